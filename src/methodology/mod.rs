//! Scoring methodologies (`scoring/*.toml`): which measures, how items aggregate into elements
//! and the overall index, the satisfied threshold, intervals, publication rules. Data, so that
//! a change of method is a change of file, not of code.

use std::collections::BTreeMap;

use crate::definition::{DefinitionError, Kind};
use serde::Deserialize;

use crate::instrument::Instrument;

const SHIPPED: &[(&str, &str)] = &[
    ("sipas", include_str!("../../scoring/sipas.toml")),
    ("health", include_str!("../../scoring/health.toml")),
    ("education", include_str!("../../scoring/education.toml")),
];

/// Largest weight a methodology may give (sums of weights stay far from overflow).
pub const MAX_WEIGHT: f64 = 1e12;

/// How a node of the tree combines what is beneath it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    /// The plain mean of the children's indices.
    Mean,
    /// The mean of the children's indices with the node's `weights`.
    Weighted,
    /// One ratio over every valid answer beneath (the hospitals' convention).
    Pooled,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::Mean => "mean",
            Rule::Weighted => "weighted",
            Rule::Pooled => "pooled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CiMethod {
    /// As R's `svyciprop(method = "logit")`: a t interval on the logit scale.
    Logit,
    /// Wilson's score interval with the design's effective sample size.
    Wilson,
}

/// What to do with a stratum holding a single PSU, as R's `options(survey.lonely.psu)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LonelyPsu {
    Fail,
    Remove,
    Certainty,
    Adjust,
}

/// The per-item measures a methodology can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemMeasure {
    SatisfiedPct,
    MeanScore,
}

impl ItemMeasure {
    pub fn name(self) -> &'static str {
        match self {
            ItemMeasure::SatisfiedPct => crate::measure::SATISFIED_PCT,
            ItemMeasure::MeanScore => crate::measure::MEAN_SCORE,
        }
    }
}

/// How elements combine their items (`[element]`), or how the overall index combines its
/// children (`[overall]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub rule: Rule,
    /// Children of the overall node (elements, nodes or items); default: every element and
    /// node that is not beneath another node.
    #[serde(default)]
    pub children: Option<Vec<String>>,
    /// Weights for the `weighted` rule (code → weight), normalised to sum to 1.
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
    /// The rule is the methodology's own model, not the official one.
    #[serde(default)]
    pub modelled: bool,
}

/// A node of the index tree between the elements and the overall index (e.g. the SIPAS
/// policy and service parts): its own figure at its own level.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeNode {
    pub code: String,
    /// The level name written in `scores.csv` (e.g. `part`).
    pub level: String,
    pub vi: String,
    pub en: String,
    pub rule: Rule,
    /// Items, elements or nodes listed before this one.
    pub children: Vec<String>,
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
    #[serde(default)]
    pub modelled: bool,
}

/// A share of respondents answering one of `codes` to a question (e.g. would return: 4–5).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Share {
    pub code: String,
    pub measure: String,
    pub question: String,
    pub codes: Vec<i32>,
}

/// The mean of a numeric question over those who answered it (e.g. % of expectations met).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeanOf {
    pub code: String,
    pub measure: String,
    pub question: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Method {
    pub id: String,
    pub title_vi: String,
    pub title_en: String,
    /// The legal basis, in Vietnamese; `basis_en` in English (the Vietnamese when absent).
    pub basis: String,
    #[serde(default)]
    pub basis_en: Option<String>,
    #[serde(default)]
    pub modelled: bool,
    /// An answer at or above this code is "satisfied".
    pub satisfied_at: i32,
    pub item_measures: Vec<ItemMeasure>,
    /// Report `comprehensive_pct` per element and overall.
    #[serde(default)]
    pub comprehensive: bool,
    pub ci_method: CiMethod,
    pub ci_level: f64,
    /// Fewest respondents (valid answers, for an item) for a figure to be published.
    pub min_n: u64,
    pub lonely_psu: LonelyPsu,
    /// Decimals shown in the Excel and Markdown tables (CSV and JSON keep full precision).
    pub decimals: u32,
    pub element: Node,
    /// Nodes between the elements and the overall index, children before parents.
    #[serde(default)]
    pub nodes: Vec<TreeNode>,
    pub overall: Node,
    #[serde(default)]
    pub shares: Vec<Share>,
    #[serde(default)]
    pub means: Vec<MeanOf>,
}

impl Method {
    /// The legal basis in `lang`.
    pub fn basis(&self, lang: crate::lang::Lang) -> &str {
        match lang {
            crate::lang::Lang::En => self.basis_en.as_deref().unwrap_or(&self.basis),
            crate::lang::Lang::Vi => &self.basis,
        }
    }

    pub fn from_toml(file: &str, text: &str) -> Result<Method, DefinitionError> {
        let m: Method = crate::definition::parse_as(Kind::Methodology, file, text)?;
        if !crate::definition::is_plain_id(&m.id) {
            return Err(DefinitionError::invalid(
                file,
                crate::msg!("definition.id", id = m.id.escape_debug()),
                &crate::msg!("definition.id_hint"),
            ));
        }
        Ok(m)
    }

    /// Checks the methodology against the questionnaire it scores.
    pub fn check(&self, file: &str, inst: &Instrument) -> Result<(), DefinitionError> {
        let invalid = |message: String, hint: &str| DefinitionError::invalid(file, message, hint);
        if !(0.5..1.0).contains(&self.ci_level) {
            return Err(invalid(
                format!("ci_level = {} is not in [0.5, 1)", self.ci_level),
                "e.g. ci_level = 0.95",
            ));
        }
        if self.decimals > 10 {
            return Err(invalid(
                format!("decimals = {} is more than 10", self.decimals),
                "e.g. decimals = 2",
            ));
        }
        let mut measures = self.item_measures.clone();
        measures.sort();
        if measures.is_empty() || measures.windows(2).any(|w| w[0] == w[1]) {
            return Err(invalid(
                format!(
                    "item_measures = {:?} is empty or names a measure twice",
                    self.item_measures
                ),
                "e.g. item_measures = [\"satisfied_pct\", \"mean_score\"]",
            ));
        }
        // The threshold must be an answer of every scored item's scale.
        if let Some(q) = inst
            .scored_items()
            .find(|q| !q.scale.is_valid(self.satisfied_at))
        {
            return Err(invalid(
                format!(
                    "satisfied_at = {} is not an answer of item `{}` ({})",
                    self.satisfied_at,
                    q.code,
                    q.scale.describe()
                ),
                "the threshold is the lowest answer that counts as satisfied, e.g. satisfied_at = 4 on a 1–5 scale",
            ));
        }
        let elements: Vec<&str> = inst.elements.iter().map(|e| e.code.as_str()).collect();
        let scored: Vec<&str> = inst.scored_items().map(|q| q.code.as_str()).collect();
        let mut before: Vec<&str> = Vec::new();
        for n in &self.nodes {
            let name = format!("[[nodes]] {}", n.code);
            if !crate::definition::is_plain_id(&n.code) {
                return Err(invalid(
                    format!("node code `{}` is not a plain id", n.code.escape_debug()),
                    &crate::msg!("definition.id_hint"),
                ));
            }
            if n.code == "overall"
                || elements.contains(&n.code.as_str())
                || scored.contains(&n.code.as_str())
                || before.contains(&n.code.as_str())
            {
                return Err(invalid(
                    format!(
                        "node code `{}` is already an element's, an item's, another node's or `overall`",
                        n.code
                    ),
                    "give each node a code of its own, e.g. code = \"service\"",
                ));
            }
            if !crate::definition::is_plain_id(&n.level)
                || ["item", "element", "overall"].contains(&n.level.as_str())
            {
                return Err(invalid(
                    format!("{name} has level `{}`", n.level.escape_debug()),
                    "a node's level is a name of its own (item, element and overall are taken), e.g. level = \"part\"",
                ));
            }
            let later: Vec<&str> = self.nodes.iter().map(|m| m.code.as_str()).collect();
            check_children(
                &name,
                n.rule,
                &n.children,
                &n.weights,
                (&scored, &elements, &before, &later),
                &inst.id,
            )
            .map_err(|(m, h)| invalid(m, &h))?;
            before.push(&n.code);
        }
        let children = self.overall_children(inst);
        check_children(
            "[overall]",
            self.overall.rule,
            &children,
            &self.overall.weights,
            (&scored, &elements, &before, &before),
            &inst.id,
        )
        .map_err(|(m, h)| invalid(m, &h))?;
        check_weights("[element]", self.element.rule, &self.element.weights)
            .map_err(|(m, h)| invalid(m, &h))?;
        // Element weights name items; each element's items are weighted all or none.
        if let Some(k) = self
            .element
            .weights
            .keys()
            .find(|k| !scored.contains(&k.as_str()))
        {
            return Err(invalid(
                format!(
                    "[element] weights names `{k}`, which is not a scored item of {}",
                    inst.id
                ),
                "[element] weights are keyed by item code, e.g. weights = { TC1 = 2, TC2 = 1 }",
            ));
        }
        if !self.element.weights.is_empty() {
            for e in &inst.elements {
                let items: Vec<&str> = inst
                    .scored_items()
                    .filter(|q| q.element.as_deref() == Some(e.code.as_str()))
                    .map(|q| q.code.as_str())
                    .collect();
                let given: Vec<&str> = items
                    .iter()
                    .copied()
                    .filter(|i| self.element.weights.contains_key(*i))
                    .collect();
                if given.len() < items.len() {
                    let missing: Vec<&str> = items
                        .iter()
                        .copied()
                        .filter(|i| !given.contains(i))
                        .collect();
                    return Err(invalid(
                        format!(
                            "[element] weights give no weight to {} of element {}",
                            missing.join(", "),
                            e.code,
                        ),
                        "with rule = \"weighted\", weight every item of every element",
                    ));
                }
                if given.iter().all(|i| self.element.weights[*i] == 0.0) {
                    return Err(invalid(
                        format!("[element] weights of element {}'s items are all 0", e.code),
                        "at least one item of an element needs a positive weight",
                    ));
                }
            }
        }
        // Every figure code is reported once per measure.
        let mut codes: Vec<&str> = Vec::new();
        for code in self
            .shares
            .iter()
            .map(|s| s.code.as_str())
            .chain(self.means.iter().map(|m| m.code.as_str()))
        {
            if codes.contains(&code)
                || code == "overall"
                || elements.contains(&code)
                || self.nodes.iter().any(|n| n.code == code)
            {
                return Err(invalid(
                    format!(
                        "figure code `{code}` is used twice (or is an element's, a node's or `overall`)"
                    ),
                    "shares and means need codes of their own",
                ));
            }
            codes.push(code);
        }
        let question = |code: &str| inst.questions.iter().find(|q| q.code == code);
        for s in &self.shares {
            let Some(q) = question(&s.question) else {
                return Err(invalid(
                    format!(
                        "share `{}` names question `{}`, which {} does not have",
                        s.code, s.question, inst.id
                    ),
                    "name a question code of the questionnaire",
                ));
            };
            let mut codes = s.codes.clone();
            codes.sort_unstable();
            codes.dedup();
            if codes.is_empty() || codes.len() != s.codes.len() {
                return Err(invalid(
                    format!(
                        "share `{}`: codes = {:?} is empty or lists a code twice",
                        s.code, s.codes
                    ),
                    "list the answers that count, each once, e.g. codes = [4, 5]",
                ));
            }
            if let Some(c) = s.codes.iter().find(|c| !q.scale.is_valid(**c)) {
                return Err(invalid(
                    format!(
                        "share `{}`: code {c} is not an answer of question `{}` ({})",
                        s.code,
                        q.code,
                        q.scale.describe()
                    ),
                    "the codes are answers of the question's scale",
                ));
            }
        }
        for m in &self.means {
            if question(&m.question).is_none() {
                return Err(invalid(
                    format!(
                        "mean `{}` names question `{}`, which {} does not have",
                        m.code, m.question, inst.id
                    ),
                    "name a question code of the questionnaire",
                ));
            }
        }
        Ok(())
    }

    /// The children of the overall index: as given, or every element and node that is not
    /// beneath a node.
    pub fn overall_children(&self, inst: &Instrument) -> Vec<String> {
        if let Some(c) = &self.overall.children {
            return c.clone();
        }
        let beneath = |code: &str| {
            self.nodes
                .iter()
                .any(|n| n.children.iter().any(|c| c == code))
        };
        inst.elements
            .iter()
            .map(|e| e.code.clone())
            .chain(self.nodes.iter().map(|n| n.code.clone()))
            .filter(|c| !beneath(c))
            .collect()
    }

    /// The scored items beneath `code` (an item, element, node or `overall`), each once, in
    /// the questionnaire's order.
    pub fn items_beneath(&self, inst: &Instrument, code: &str) -> Vec<String> {
        let mut found = std::collections::BTreeSet::new();
        let mut stack = vec![code.to_string()];
        while let Some(c) = stack.pop() {
            if c == "overall" {
                stack.extend(self.overall_children(inst));
            } else if let Some(n) = self.nodes.iter().find(|n| n.code == c) {
                stack.extend(n.children.iter().cloned());
            } else if inst.elements.iter().any(|e| e.code == c) {
                found.extend(
                    inst.scored_items()
                        .filter(|q| q.element.as_deref() == Some(c.as_str()))
                        .map(|q| q.code.clone()),
                );
            } else {
                found.insert(c);
            }
        }
        inst.scored_items()
            .filter(|q| found.contains(&q.code))
            .map(|q| q.code.clone())
            .collect()
    }

    /// The questionnaire's labels (items, elements, overall) with this methodology's nodes.
    pub fn labels(&self, inst: &Instrument, lang: crate::lang::Lang) -> BTreeMap<String, String> {
        let mut labels = inst.labels(lang);
        for n in &self.nodes {
            labels.insert(n.code.clone(), lang.pick(&n.vi, &n.en).clone());
        }
        labels
    }
}

/// Children codes known at a node: (items, elements, nodes before it, every node).
type Known<'a> = (&'a [&'a str], &'a [&'a str], &'a [&'a str], &'a [&'a str]);

/// Checks a node's children and weights; Err((message, hint)).
fn check_children(
    name: &str,
    rule: Rule,
    children: &[String],
    weights: &BTreeMap<String, f64>,
    (items, elements, before, all_nodes): Known,
    survey: &str,
) -> Result<(), (String, String)> {
    if children.is_empty() {
        return Err((
            format!("{name} children = [] leaves it nothing to combine"),
            format!("name the elements it combines ({})", elements.join(", ")),
        ));
    }
    for (k, c) in children.iter().enumerate() {
        let c = c.as_str();
        if !items.contains(&c) && !elements.contains(&c) && !before.contains(&c) {
            let hint = if all_nodes.contains(&c) {
                format!("list node `{c}` before {name}: a node names only nodes listed above it")
            } else {
                format!(
                    "children are elements ({}), scored items or nodes listed above",
                    elements.join(", ")
                )
            };
            return Err((
                format!(
                    "{name} children names `{c}`, which is not an element, item or node of {survey}"
                ),
                hint,
            ));
        }
        if children[..k].iter().any(|x| x == c) {
            return Err((
                format!("{name} children names `{c}` twice"),
                "name each child once; give it a larger weight with rule = \"weighted\" instead"
                    .into(),
            ));
        }
    }
    check_weights(name, rule, weights)?;
    if rule == Rule::Weighted {
        if let Some(k) = weights.keys().find(|k| !children.contains(k)) {
            return Err((
                format!("{name} weights names `{k}`, which is not one of its children"),
                format!("its children: {}", children.join(", ")),
            ));
        }
        let missing: Vec<&str> = children
            .iter()
            .filter(|c| !weights.contains_key(*c))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err((
                format!("{name} weights leave out {}", missing.join(", ")),
                "with rule = \"weighted\", weight every child".into(),
            ));
        }
        if weights.values().all(|w| *w == 0.0) {
            return Err((
                format!("{name} weights are all 0"),
                "at least one child needs a positive weight".into(),
            ));
        }
    }
    Ok(())
}

/// Weights are numbers within range, given with the `weighted` rule and only with it.
fn check_weights(
    name: &str,
    rule: Rule,
    weights: &BTreeMap<String, f64>,
) -> Result<(), (String, String)> {
    if let Some((k, w)) = weights
        .iter()
        .find(|(_, w)| !w.is_finite() || **w < 0.0 || **w > MAX_WEIGHT)
    {
        return Err((
            format!("{name} weight of `{k}` is {w}"),
            format!("weights are numbers from 0 to {MAX_WEIGHT:e}"),
        ));
    }
    match (rule, weights.is_empty()) {
        (Rule::Weighted, true) => Err((
            format!("{name} has rule = \"weighted\" but no weights"),
            "add weights = { CODE = 2, OTHER = 1 }, or use rule = \"mean\" for equal weights"
                .into(),
        )),
        (Rule::Mean | Rule::Pooled, false) => Err((
            format!(
                "{name} has weights, but its rule is `{}`, which takes none",
                rule.name()
            ),
            "use rule = \"weighted\" for a weighted mean, or remove the weights".into(),
        )),
        _ => Ok(()),
    }
}

/// Resolves `--method`: a shipped id, or a path to a methodology file.
pub fn load(id_or_path: &str) -> Result<Method, DefinitionError> {
    crate::definition::load(
        Kind::Methodology,
        id_or_path,
        |path, text| Method::from_toml(&path.display().to_string(), text),
        |id| crate::definition::shipped_in("scoring", SHIPPED, id, Method::from_toml),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sipas_overall_weights_reproduce_the_published_2024_national_figure()
    -> Result<(), Box<dyn std::error::Error>> {
        // Published 2024 (methodology.md §1): overall 83.94 %, policy part 83.84 %, service
        // part 84.09 %. The shipped tree weighs the parts by their items (23 and 16):
        // (23 · 83.84 + 16 · 84.09) / 39 = 83.9426 → 83.94; their plain mean is 83.965.
        let m = load("sipas")?;
        assert_eq!(m.overall.rule, Rule::Weighted);
        assert!(m.overall.modelled && m.nodes.iter().all(|n| n.modelled));
        let (p, s) = (m.overall.weights["policy"], m.overall.weights["service"]);
        let overall = (p * 83.84 + s * 84.09) / (p + s);
        assert_eq!(format!("{overall:.2}"), "83.94");
        assert!((f64::midpoint(83.84, 84.09) - 83.94).abs() > 0.02);
        // Parts: the four policy groups and the five service elements.
        let inst = crate::instrument::load("sipas")?;
        let kids = |c: &str| {
            m.nodes
                .iter()
                .find(|n| n.code == c)
                .map(|n| n.children.len())
        };
        assert_eq!((kids("policy"), kids("service")), (Some(4), Some(5)));
        assert_eq!(m.items_beneath(&inst, "policy").len(), 23);
        assert_eq!(m.items_beneath(&inst, "service").len(), 16);
        assert_eq!(m.items_beneath(&inst, "overall").len(), 39);
        Ok(())
    }

    #[test]
    fn shipped_methods_fit_their_questionnaires() -> Result<(), Box<dyn std::error::Error>> {
        for inst in crate::instrument::shipped()? {
            let m = load(&inst.method)?;
            m.check(&inst.method, &inst)?;
        }
        Ok(())
    }
}
