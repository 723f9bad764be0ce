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
    /// The (weighted) mean of the children's indices.
    Mean,
    /// One ratio over every valid answer beneath (the hospitals' convention).
    Pooled,
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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub rule: Rule,
    /// Children of the overall node (element codes); default: every element.
    #[serde(default)]
    pub children: Option<Vec<String>>,
    /// Weights of the children for the `mean` rule (code → weight); default: equal.
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
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
        let children = self.overall_children(inst);
        if children.is_empty() {
            return Err(invalid(
                "[overall] children = [] leaves the overall index nothing to combine".into(),
                &format!(
                    "name the elements it combines ({}), or leave `children` out for all of them",
                    elements.join(", ")
                ),
            ));
        }
        for (k, c) in children.iter().enumerate() {
            if !elements.contains(&c.as_str()) {
                return Err(invalid(
                    format!(
                        "[overall] children names `{c}`, which is not an element of {}",
                        inst.id
                    ),
                    &format!("elements of {}: {}", inst.id, elements.join(", ")),
                ));
            }
            if children[..k].contains(c) {
                return Err(invalid(
                    format!("[overall] children names `{c}` twice"),
                    "name each element once; give it a larger weight in `weights` instead",
                ));
            }
        }
        for (node, name) in [(&self.element, "element"), (&self.overall, "overall")] {
            if let Some((k, w)) = node
                .weights
                .iter()
                .find(|(_, w)| !w.is_finite() || **w < 0.0 || **w > MAX_WEIGHT)
            {
                return Err(invalid(
                    format!("[{name}] weight of `{k}` is {w}"),
                    &format!("weights are numbers from 0 to {MAX_WEIGHT:e}"),
                ));
            }
            if !node.weights.is_empty() && node.rule == Rule::Pooled {
                return Err(invalid(
                    format!(
                        "[{name}] has weights, but its rule is `pooled`, which pools every answer and takes none"
                    ),
                    "use rule = \"mean\" for a weighted mean, or remove the weights",
                ));
            }
        }
        // Element weights name items; each element's items are weighted all or none.
        let scored: Vec<&str> = inst.scored_items().map(|q| q.code.as_str()).collect();
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
                if !given.is_empty() && given.len() < items.len() {
                    let missing: Vec<&str> = items
                        .iter()
                        .copied()
                        .filter(|i| !given.contains(i))
                        .collect();
                    return Err(invalid(
                        format!(
                            "[element] weights give items {} of element {} a weight but not {}",
                            given.join(", "),
                            e.code,
                            missing.join(", ")
                        ),
                        "weight every item of an element, or none of them (then they count equally)",
                    ));
                }
                if !given.is_empty() && given.iter().all(|i| self.element.weights[*i] == 0.0) {
                    return Err(invalid(
                        format!("[element] weights of element {}'s items are all 0", e.code),
                        "at least one item of an element needs a positive weight",
                    ));
                }
            }
        }
        if let Some(k) = self.overall.weights.keys().find(|k| !children.contains(k)) {
            return Err(invalid(
                format!("[overall] weights names `{k}`, which is not one of its children"),
                &format!("its children: {}", children.join(", ")),
            ));
        }
        if !self.overall.weights.is_empty() {
            let missing: Vec<&str> = children
                .iter()
                .filter(|c| !self.overall.weights.contains_key(*c))
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                return Err(invalid(
                    format!("[overall] weights leave out {}", missing.join(", ")),
                    "weight every child, or none of them (then they count equally)",
                ));
            }
            if self.overall.weights.values().all(|w| *w == 0.0) {
                return Err(invalid(
                    "[overall] weights are all 0".into(),
                    "at least one child needs a positive weight",
                ));
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
            if codes.contains(&code) || code == "overall" || elements.contains(&code) {
                return Err(invalid(
                    format!("figure code `{code}` is used twice (or is an element's or `overall`)"),
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

    /// The elements under the overall index.
    pub fn overall_children(&self, inst: &Instrument) -> Vec<String> {
        self.overall
            .children
            .clone()
            .unwrap_or_else(|| inst.elements.iter().map(|e| e.code.clone()).collect())
    }
}

/// Resolves `--method`: a shipped id, or a path to a methodology file.
pub fn load(id_or_path: &str) -> Result<Method, DefinitionError> {
    crate::definition::load(
        Kind::Methodology,
        id_or_path,
        |path, text| Method::from_toml(&path.display().to_string(), text),
        |id| {
            SHIPPED
                .iter()
                .find(|(shipped, _)| *shipped == id)
                .map(|(id, text)| Method::from_toml(&format!("scoring/{id}.toml"), text))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_methods_fit_their_questionnaires() -> Result<(), Box<dyn std::error::Error>> {
        for inst in crate::instrument::shipped()? {
            let m = load(&inst.method)?;
            m.check(&inst.method, &inst)?;
        }
        Ok(())
    }
}
