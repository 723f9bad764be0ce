//! Plan scoring methodologies (`scoring/plan-*.toml`): how an agency's tasks become points,
//! whether partner tasks count, the bands, the agency aliases. Data, as the other methods.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::definition::{DefinitionError, Kind};

const SHIPPED: &[(&str, &str)] = &[(
    "plan-commune",
    include_str!("../../scoring/plan-commune.toml"),
)];

/// How an agency's points are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanRule {
    /// quantity × done/assigned + quality × done to standard/assigned + progress × on time/assigned.
    Proportional,
    /// The share done on time, mapped to points by thresholds.
    Steps,
}

/// A lower bound: `above = 90` (strictly more) or `from = 70` (at least); none: anything.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    pub above: Option<f64>,
    pub from: Option<f64>,
}

impl Bound {
    pub fn holds(&self, x: f64) -> bool {
        self.above.is_none_or(|a| x > a) && self.from.is_none_or(|f| x >= f)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    #[serde(default)]
    pub above: Option<f64>,
    #[serde(default)]
    pub from: Option<f64>,
    pub points: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanBand {
    pub code: String,
    pub vi: String,
    pub en: String,
    #[serde(default)]
    pub above: Option<f64>,
    #[serde(default)]
    pub from: Option<f64>,
}

impl Step {
    pub fn bound(&self) -> Bound {
        Bound {
            above: self.above,
            from: self.from,
        }
    }
}

impl PlanBand {
    pub fn bound(&self) -> Bound {
        Bound {
            above: self.above,
            from: self.from,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proportional {
    pub quantity: f64,
    pub quality: f64,
    pub progress: f64,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partners {
    /// Whether a task counts for its partner agencies too.
    pub count: bool,
    /// With what weight (a lead's task weighs 1).
    #[serde(default = "half")]
    pub weight: f64,
}

fn half() -> f64 {
    0.5
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanMethod {
    pub id: String,
    pub title_vi: String,
    pub title_en: String,
    pub basis: String,
    #[serde(default)]
    pub basis_en: Option<String>,
    #[serde(default)]
    pub modelled: bool,
    /// The rule that ranks the agencies.
    pub rule: PlanRule,
    pub proportional: Proportional,
    /// Highest first; below the last, 0 points. The CCHC criterion takes this rule.
    pub steps: Vec<Step>,
    pub partners: Partners,
    /// Highest first; the last has no bound.
    pub bands: Vec<PlanBand>,
    /// Other spellings of agency names: `"Văn phòng HĐND-UBND" = "Văn phòng HĐND và UBND"`.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
}

impl PlanMethod {
    pub fn from_toml(file: &str, text: &str) -> Result<PlanMethod, DefinitionError> {
        let m: PlanMethod = crate::definition::parse_as(Kind::Methodology, file, text)?;
        let invalid = |message: String, hint: &str| DefinitionError::invalid(file, message, hint);
        if !crate::definition::is_plain_id(&m.id) {
            return Err(invalid(
                crate::msg!("definition.id", id = m.id.escape_debug()),
                &crate::msg!("definition.id_hint"),
            ));
        }
        let p = m.proportional;
        if [p.quantity, p.quality, p.progress]
            .iter()
            .any(|x| !x.is_finite() || *x < 0.0)
            || p.quantity + p.quality + p.progress <= 0.0
        {
            return Err(invalid(
                "[proportional] maxima must be numbers ≥ 0, not all 0".into(),
                "e.g. quantity = 5, quality = 10, progress = 5",
            ));
        }
        if m.steps.is_empty() || m.steps.windows(2).any(|w| w[0].points < w[1].points) {
            return Err(invalid(
                "steps must be listed highest points first".into(),
                "e.g. steps = [{ above = 90, points = 2 }, { from = 70, points = 1 }]",
            ));
        }
        if !(0.0..=1.0).contains(&m.partners.weight) {
            return Err(invalid(
                format!("[partners] weight = {} is not in 0–1", m.partners.weight),
                "a partner's share of a task, e.g. weight = 0.5",
            ));
        }
        if m.bands.is_empty() {
            return Err(invalid(
                "bands = [] names no band".into(),
                "list the bands, highest first",
            ));
        }
        Ok(m)
    }

    /// The most points the `steps` rule gives.
    pub fn steps_max(&self) -> f64 {
        self.steps.first().map_or(0.0, |s| s.points)
    }

    /// Points of a share (percent) by the `steps` rule.
    pub fn steps_points(&self, pct: f64) -> f64 {
        self.steps
            .iter()
            .find(|s| s.bound().holds(pct))
            .map_or(0.0, |s| s.points)
    }

    /// The band of an index (percent).
    pub fn band(&self, pct: f64) -> Option<&PlanBand> {
        self.bands
            .iter()
            .find(|b| b.bound().holds(pct))
            .or(self.bands.last())
    }

    /// An agency's name as the methodology spells it: trimmed, NFC, through the aliases
    /// (which match ignoring case).
    pub fn agency(&self, name: &str) -> String {
        use unicode_normalization::UnicodeNormalization;
        let clean: String = name
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .nfc()
            .collect();
        let key = clean.to_lowercase();
        self.aliases
            .iter()
            .find(|(a, _)| a.nfc().collect::<String>().to_lowercase() == key)
            .map_or(clean, |(_, v)| v.clone())
    }
}

/// Resolves `--method`: a shipped plan methodology's id, or a path.
pub fn load(id_or_path: &str) -> Result<PlanMethod, DefinitionError> {
    crate::definition::load(
        Kind::Methodology,
        id_or_path,
        |path, text| PlanMethod::from_toml(&path.display().to_string(), text),
        |id| crate::definition::shipped_in("scoring", SHIPPED, id, PlanMethod::from_toml),
    )
}
