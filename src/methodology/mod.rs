//! Scoring methodologies (`scoring/*.toml`): which measures, how items aggregate into elements
//! and the overall index, the satisfied threshold, intervals, publication rules. Data, so that
//! a change of method is a change of file, not of code.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use thiserror::Error;

use crate::instrument::Instrument;

const SHIPPED: &[(&str, &str)] = &[
    ("sipas", include_str!("../../scoring/sipas.toml")),
    ("health", include_str!("../../scoring/health.toml")),
    ("education", include_str!("../../scoring/education.toml")),
];

#[derive(Debug, Error)]
pub enum MethodError {
    #[error("{file}: not a valid methodology: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: {message}\n  hint: {hint}")]
    Invalid {
        file: String,
        message: String,
        hint: String,
    },
    #[error(
        "unknown methodology `{0}`\n  hint: the shipped ones are sipas, health and education; a path to a .toml file also works"
    )]
    Unknown(String),
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
}

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
            ItemMeasure::SatisfiedPct => "satisfied_pct",
            ItemMeasure::MeanScore => "mean_score",
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
    pub basis: String,
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
    pub fn from_toml(file: &str, text: &str) -> Result<Method, MethodError> {
        toml::from_str(text).map_err(|e| MethodError::Parse {
            file: file.to_string(),
            message: e.to_string(),
        })
    }

    /// Checks the methodology against the questionnaire it scores.
    pub fn check(&self, file: &str, inst: &Instrument) -> Result<(), MethodError> {
        let invalid = |message: String, hint: &str| MethodError::Invalid {
            file: file.to_string(),
            message,
            hint: hint.to_string(),
        };
        if !(0.5..1.0).contains(&self.ci_level) {
            return Err(invalid(
                format!("ci_level = {} is not in [0.5, 1)", self.ci_level),
                "e.g. ci_level = 0.95",
            ));
        }
        let elements: Vec<&str> = inst.elements.iter().map(|e| e.code.as_str()).collect();
        for c in self.overall_children(inst) {
            if !elements.contains(&c.as_str()) {
                return Err(invalid(
                    format!(
                        "[overall] children names `{c}`, which is not an element of {}",
                        inst.id
                    ),
                    &format!("elements of {}: {}", inst.id, elements.join(", ")),
                ));
            }
        }
        for (node, name) in [(&self.element, "element"), (&self.overall, "overall")] {
            if let Some((k, w)) = node
                .weights
                .iter()
                .find(|(_, w)| !w.is_finite() || **w < 0.0)
            {
                return Err(invalid(
                    format!("[{name}] weight of `{k}` is {w}"),
                    "weights are non-negative numbers",
                ));
            }
        }
        let question = |code: &str| inst.questions.iter().find(|q| q.code == code);
        for s in &self.shares {
            if question(&s.question).is_none() {
                return Err(invalid(
                    format!(
                        "share `{}` names question `{}`, which {} does not have",
                        s.code, s.question, inst.id
                    ),
                    "name a question code of the questionnaire",
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
pub fn load(id_or_path: &str) -> Result<Method, MethodError> {
    let path = Path::new(id_or_path);
    if id_or_path.ends_with(".toml") || path.is_file() {
        let text = std::fs::read_to_string(path).map_err(|source| MethodError::Io {
            file: id_or_path.to_string(),
            source,
        })?;
        return Method::from_toml(id_or_path, &text);
    }
    SHIPPED
        .iter()
        .find(|(id, _)| *id == id_or_path)
        .map(|(id, text)| Method::from_toml(&format!("scoring/{id}.toml"), text))
        .ok_or_else(|| MethodError::Unknown(id_or_path.to_string()))?
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
