//! The PAR (CCHC) methodology file: areas → criteria → optional component criteria, each
//! with its maximum points and where its points come from; bands; display rounding.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::definition::{DefinitionError, Kind};
use serde::Deserialize;

const SHIPPED: &[(&str, &str)] = &[(
    "par-commune",
    include_str!("../../scoring/par-commune.toml"),
)];

/// Where a criterion's points come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The unit's self-assessed score, replaced by the appraised score when one is given.
    Assessment,
    /// max points × a survey measure (in percent) / 100.
    Survey,
    /// Added, up to `max` (the cap); not part of the maximum.
    Bonus,
    /// Subtracted, up to `max` (the cap); not part of the maximum.
    Penalty,
    /// max points × the unit's plan scored by the `steps` rule of a plan methodology / its
    /// most points.
    Plan,
    /// max points × a rate the procedure records give (an item or indicator of the QĐ 766
    /// index) / 100, or the item's points scaled to max.
    Records,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Assessment => "assessment",
            Source::Survey => "survey",
            Source::Bonus => "bonus",
            Source::Penalty => "penalty",
            Source::Plan => "plan",
            Source::Records => "records",
        }
    }

    /// Whether the assessment file gives this criterion's points.
    pub fn assessed(self) -> bool {
        !matches!(self, Source::Survey | Source::Plan | Source::Records)
    }
}

/// What a criterion's points are taken from: a survey figure, or the unit's plan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(untagged)]
pub enum FromRef {
    Survey(SurveyRef),
    Plan(PlanRef),
    Records(RecordsRef),
}

impl FromRef {
    pub fn survey(&self) -> Option<&SurveyRef> {
        match self {
            FromRef::Survey(r) => Some(r),
            _ => None,
        }
    }

    pub fn plan(&self) -> Option<&PlanRef> {
        match self {
            FromRef::Plan(r) => Some(r),
            _ => None,
        }
    }

    pub fn records(&self) -> Option<&RecordsRef> {
        match self {
            FromRef::Records(r) => Some(r),
            _ => None,
        }
    }

    /// The source this `from` belongs with.
    fn source(&self) -> Source {
        match self {
            FromRef::Survey(_) => Source::Survey,
            FromRef::Plan(_) => Source::Plan,
            FromRef::Records(_) => Source::Records,
        }
    }
}

/// The plan behind a `plan` criterion: `from = { plan = "plan-commune" }`, a plan
/// methodology's id or file (relative to the PAR methodology file).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRef {
    pub plan: String,
}

/// The rate behind a `records` criterion:
/// `from = { index = "qd766", item = "2.1" }` — an item or indicator of a QĐ 766 methodology
/// (its id, or a file relative to the PAR methodology file), computed for the PAR year from
/// 1 January to 31 December (open files judged at the year's end, as `chiso qd766`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordsRef {
    pub index: String,
    pub item: String,
    /// `rate` (default): points = max × rate / 100; `points`: the item's points scaled to
    /// the criterion's max (thresholds included).
    #[serde(default)]
    pub take: Take,
    /// The level the item is taken at [default: commune].
    #[serde(default)]
    pub level: Option<crate::qd766::UnitLevel>,
}

/// What a `records` criterion takes from its item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Take {
    #[default]
    Rate,
    Points,
}

/// The survey figure behind a `survey` criterion.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyRef {
    /// Questionnaire id (or a path to a questionnaire file, relative to the methodology file).
    pub survey: String,
    /// `item`, `element` or `overall`.
    pub level: String,
    /// Item or element code, or `overall`.
    pub code: String,
    /// A percent measure: `satisfied_pct`, `comprehensive_pct`, `return_pct`, ...
    pub measure: String,
    /// Scoring methodology [default: the questionnaire's].
    #[serde(default)]
    pub method: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub code: String,
    pub vi: String,
    pub en: String,
    /// Maximum points (for bonus and penalty: the cap).
    pub max: f64,
    /// Required unless the criterion has components (which then carry the sources).
    #[serde(default)]
    pub source: Option<Source>,
    /// For `survey` criteria: the figure, e.g.
    /// `from = { survey = "sipas", level = "overall", code = "overall", measure = "satisfied_pct" }`.
    #[serde(default)]
    pub from: Option<FromRef>,
    #[serde(default)]
    pub components: Vec<Criterion>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    pub code: String,
    pub vi: String,
    pub en: String,
    pub max: f64,
    pub criteria: Vec<Criterion>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub code: String,
    /// Lowest index (percent) of the band; the last band may omit it (everything below).
    #[serde(default)]
    pub min: Option<f64>,
    pub vi: String,
    pub en: String,
}

impl Band {
    /// `B — Tốt`.
    pub fn label(&self, lang: crate::lang::Lang) -> String {
        format!("{} — {}", self.code, lang.pick(&self.vi, &self.en))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParMethod {
    pub id: String,
    pub title_vi: String,
    pub title_en: String,
    /// The legal basis, in Vietnamese; `basis_en` in English (the Vietnamese when absent).
    pub basis: String,
    #[serde(default)]
    pub basis_en: Option<String>,
    #[serde(default)]
    pub modelled: bool,
    #[serde(default)]
    pub note: String,
    /// Decimals shown in par.xlsx; also the precision at which ranks and bands are decided.
    pub decimals: u32,
    pub ci_level: f64,
    /// Draws of the rank simulation and its seed.
    pub simulations: usize,
    pub seed: u64,
    pub bands: Vec<Band>,
    /// Most bonus points a unit can earn in all (each bonus criterion is also capped by its max).
    #[serde(default)]
    pub bonus_cap: Option<f64>,
    /// Most penalty points a unit can lose in all.
    #[serde(default)]
    pub penalty_cap: Option<f64>,
    pub areas: Vec<Area>,
    /// The file it was read from (None for a shipped one): messages name it, and names in
    /// `from = {...}` are looked up next to it.
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

/// A criterion that earns points itself (one without components), with its area.
#[derive(Debug, Clone, Copy)]
pub struct Leaf<'a> {
    pub area: &'a Area,
    pub criterion: &'a Criterion,
    pub source: Source,
}

impl ParMethod {
    pub fn from_toml(file: &str, text: &str) -> Result<ParMethod, DefinitionError> {
        let m: ParMethod = crate::definition::parse_as(Kind::ParMethodology, file, text)?;
        m.check(file)?;
        Ok(m)
    }

    /// Every criterion that earns points, in file order.
    pub fn leaves(&self) -> Vec<Leaf<'_>> {
        fn walk<'a>(area: &'a Area, c: &'a Criterion, out: &mut Vec<Leaf<'a>>) {
            if c.components.is_empty() {
                if let Some(source) = c.source {
                    out.push(Leaf {
                        area,
                        criterion: c,
                        source,
                    });
                }
            } else {
                for k in &c.components {
                    walk(area, k, out);
                }
            }
        }
        let mut out = Vec::new();
        for a in &self.areas {
            for c in &a.criteria {
                walk(a, c, &mut out);
            }
        }
        out
    }

    /// Every criterion that earns points, by code.
    pub fn leaf_map(&self) -> std::collections::BTreeMap<&str, Leaf<'_>> {
        self.leaves()
            .into_iter()
            .map(|l| (l.criterion.code.as_str(), l))
            .collect()
    }

    /// The band of an index (percent).
    pub fn band(&self, index: f64) -> &Band {
        self.bands
            .iter()
            .find(|b| b.min.is_none_or(|m| index >= m))
            .unwrap_or_else(|| &self.bands[self.bands.len() - 1])
    }

    /// The band of an index, decided at the methodology's precision (`decimals`), and its
    /// position among the bands (0 = best).
    pub fn classify(&self, index: f64) -> (&Band, usize) {
        let b = self.band(super::round_to(index, self.decimals));
        let i = self
            .bands
            .iter()
            .position(|c| c.code == b.code)
            .unwrap_or(0);
        (b, i)
    }

    /// The band with `code`.
    pub fn band_named(&self, code: &str) -> Option<&Band> {
        self.bands.iter().find(|b| b.code == code)
    }

    /// The legal basis in `lang`.
    pub fn basis(&self, lang: crate::lang::Lang) -> &str {
        match lang {
            crate::lang::Lang::En => self.basis_en.as_deref().unwrap_or(&self.basis),
            crate::lang::Lang::Vi => &self.basis,
        }
    }

    /// The distinct survey figures the methodology draws on.
    pub fn survey_refs(&self) -> BTreeSet<SurveyRef> {
        self.leaves()
            .into_iter()
            .filter_map(|l| l.criterion.from.as_ref().and_then(FromRef::survey).cloned())
            .collect()
    }

    fn check(&self, file: &str) -> Result<(), DefinitionError> {
        let invalid = |message: String, hint: &str| DefinitionError::invalid(file, message, hint);
        if !crate::definition::is_plain_id(&self.id) {
            return Err(invalid(
                crate::msg!("definition.id", id = self.id.escape_debug()),
                &crate::msg!("definition.id_hint"),
            ));
        }
        if !(0.5..1.0).contains(&self.ci_level) {
            return Err(invalid(
                format!("ci_level = {} is not in [0.5, 1)", self.ci_level),
                "e.g. ci_level = 0.95",
            ));
        }
        if self.simulations > 1_000_000 {
            return Err(invalid(
                format!("simulations = {} is more than 1,000,000", self.simulations),
                "a few thousand draws give a stable rank interval, e.g. simulations = 5000",
            ));
        }
        if self.decimals > 10 {
            return Err(invalid(
                format!("decimals = {} is more than 10", self.decimals),
                "e.g. decimals = 2",
            ));
        }
        for (name, cap) in [
            ("bonus_cap", self.bonus_cap),
            ("penalty_cap", self.penalty_cap),
        ] {
            if let Some(c) = cap
                && (!c.is_finite() || c < 0.0)
            {
                return Err(invalid(
                    format!("{name} = {c}"),
                    "a cap is a number of points ≥ 0",
                ));
            }
        }
        if self.areas.is_empty() {
            return Err(invalid(
                "the methodology has no [[areas]]".into(),
                "an index needs at least one area with its criteria",
            ));
        }
        if self.simulations < 100 {
            return Err(invalid(
                format!(
                    "simulations = {} is too few for a rank interval",
                    self.simulations
                ),
                "use at least 100 (thousands recommended)",
            ));
        }
        if self.bands.is_empty() || self.bands.last().is_some_and(|b| b.min.is_some()) {
            return Err(invalid(
                "the last band must have no `min` (it takes every index below the others)".into(),
                "e.g. { code = \"D\", vi = \"Trung bình\", en = \"Average\" }",
            ));
        }
        let mins: Vec<f64> = self.bands.iter().filter_map(|b| b.min).collect();
        if mins.len() != self.bands.len() - 1
            || mins.iter().any(|m| !m.is_finite())
            || mins.windows(2).any(|w| w[0] <= w[1])
        {
            return Err(invalid(
                "band minimums must be given for every band but the last, highest first".into(),
                "e.g. A min 90, B min 80, C min 70, then D",
            ));
        }
        let mut codes = BTreeSet::new();
        for a in &self.areas {
            if !codes.insert(a.code.clone()) {
                return Err(invalid(
                    format!("area code `{}` is used twice", a.code),
                    "codes are unique",
                ));
            }
            let mut sum = 0.0;
            for c in &a.criteria {
                sum += self.check_criterion(c, &mut codes, &invalid)?;
            }
            if (sum - a.max).abs() > 1e-9 {
                return Err(invalid(
                    format!(
                        "area {} has max = {} but its criteria's maximums add up to {sum}",
                        a.code, a.max
                    ),
                    "bonus and penalty caps do not count towards the maximum",
                ));
            }
        }
        Ok(())
    }

    /// Checks a criterion; returns what it adds to its area's maximum.
    fn check_criterion(
        &self,
        c: &Criterion,
        codes: &mut BTreeSet<String>,
        invalid: &dyn Fn(String, &str) -> DefinitionError,
    ) -> Result<f64, DefinitionError> {
        if !codes.insert(c.code.clone()) {
            return Err(invalid(
                format!("criterion code `{}` is used twice", c.code),
                "codes are unique",
            ));
        }
        if !c.max.is_finite() || c.max < 0.0 {
            return Err(invalid(
                format!("criterion {} has max = {}", c.code, c.max),
                "max is a number ≥ 0",
            ));
        }
        if !c.components.is_empty() {
            if c.source.is_some() || c.from.is_some() {
                return Err(invalid(
                    format!(
                        "criterion {} has components and a source of its own",
                        c.code
                    ),
                    "give the source on each component",
                ));
            }
            let mut sum = 0.0;
            for k in &c.components {
                sum += self.check_criterion(k, codes, invalid)?;
            }
            if (sum - c.max).abs() > 1e-9 {
                return Err(invalid(
                    format!(
                        "criterion {} has max = {} but its components add up to {sum}",
                        c.code, c.max
                    ),
                    "make max the sum of the components' maximums",
                ));
            }
            return Ok(c.max);
        }
        let Some(source) = c.source else {
            return Err(invalid(
                format!("criterion {} has no source", c.code),
                "source = \"assessment\", \"survey\", \"plan\", \"records\", \"bonus\" or \"penalty\"",
            ));
        };
        let example = |source: Source| match source {
            Source::Survey => {
                "from = { survey = \"sipas\", level = \"overall\", code = \"overall\", measure = \"satisfied_pct\" }"
            }
            Source::Plan => "from = { plan = \"plan-commune\" }",
            _ => "from = { index = \"qd766\", item = \"2.1\" }",
        };
        match (source, &c.from) {
            (Source::Survey | Source::Plan | Source::Records, None) => {
                return Err(invalid(
                    format!(
                        "{} criterion {} does not say what it is taken from",
                        source.name(),
                        c.code
                    ),
                    &format!("add {}", example(source)),
                ));
            }
            (Source::Survey | Source::Plan | Source::Records, Some(f)) if f.source() != source => {
                return Err(invalid(
                    format!(
                        "criterion {} has source = \"{}\" but its `from` is for source = \"{}\"",
                        c.code,
                        source.name(),
                        f.source().name()
                    ),
                    &format!("a {} criterion takes {}", source.name(), example(source)),
                ));
            }
            (Source::Survey, Some(FromRef::Survey(r))) => {
                if !r.measure.ends_with("_pct") {
                    return Err(invalid(
                        format!(
                            "criterion {} uses measure `{}`, which is not a percentage",
                            c.code, r.measure
                        ),
                        "points = max × measure / 100 needs a percent measure such as satisfied_pct",
                    ));
                }
                if !crate::definition::is_plain_id(&r.level) {
                    return Err(invalid(
                        format!(
                            "criterion {} has level `{}`",
                            c.code,
                            r.level.escape_debug()
                        ),
                        "level is item, element, overall or a level of the scoring methodology's nodes, e.g. part",
                    ));
                }
            }
            (Source::Assessment | Source::Bonus | Source::Penalty, Some(_)) => {
                return Err(invalid(
                    format!(
                        "criterion {} names what it is taken from but its source is {}",
                        c.code,
                        source.name()
                    ),
                    "only source = \"survey\", \"plan\" or \"records\" takes `from`",
                ));
            }
            _ => {}
        }
        Ok(match source {
            Source::Bonus | Source::Penalty => 0.0,
            Source::Assessment | Source::Survey | Source::Plan | Source::Records => c.max,
        })
    }

    /// Resolves a questionnaire or scoring-methodology name from a `from = {...}`: a file
    /// next to this methodology file when there is one, else the name as given (a shipped id,
    /// or a path from the working directory).
    pub fn resolve(&self, name: &str) -> String {
        match self.file.as_deref().and_then(Path::parent) {
            Some(dir) if dir.join(name).is_file() => dir.join(name).display().to_string(),
            _ => name.to_string(),
        }
    }
}

/// Resolves `--method` for `chiso par`: a shipped id, or a path to a PAR methodology file.
pub fn load(id_or_path: &str) -> Result<ParMethod, DefinitionError> {
    crate::definition::load(
        Kind::ParMethodology,
        id_or_path,
        |path, text| {
            let mut m = ParMethod::from_toml(&path.display().to_string(), text)?;
            m.file = Some(path.to_path_buf());
            Ok(m)
        },
        |id| crate::definition::shipped_in("scoring", SHIPPED, id, ParMethod::from_toml),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(criterion: &str) -> Result<ParMethod, DefinitionError> {
        let text = format!(
            r#"id = "t"
title_vi = "t"
title_en = "t"
basis = "t"
decimals = 2
ci_level = 0.95
simulations = 100
seed = 1
bands = [{{ code = "A", vi = "A", en = "A" }}]
[[areas]]
code = "1"
vi = "a"
en = "a"
max = 2
criteria = [{criterion}]
"#
        );
        ParMethod::from_toml("t.toml", &text)
    }

    #[test]
    fn a_records_criterion_names_an_index_item_and_nothing_else() {
        let ok = with(
            r#"{ code = "1.1", max = 2, source = "records", vi = "x", en = "x", from = { index = "qd766", item = "3.3", take = "points" } }"#,
        )
        .expect("a records criterion");
        let from = ok.areas[0].criteria[0]
            .from
            .as_ref()
            .and_then(FromRef::records);
        assert_eq!(
            from.map(|r| (r.item.as_str(), r.take)),
            Some(("3.3", Take::Points))
        );
        let err = |c: &str| with(c).expect_err("refused").to_string();
        let missing = err(r#"{ code = "1.1", max = 2, source = "records", vi = "x", en = "x" }"#);
        assert!(
            missing.contains("does not say what it is taken from"),
            "{missing}"
        );
        assert!(missing.contains("index = \"qd766\""), "{missing}");
        let crossed = err(
            r#"{ code = "1.1", max = 2, source = "survey", vi = "x", en = "x", from = { index = "qd766", item = "2.1" } }"#,
        );
        assert!(crossed.contains("is for source = \"records\""), "{crossed}");
        let assessed = err(
            r#"{ code = "1.1", max = 2, source = "assessment", vi = "x", en = "x", from = { index = "qd766", item = "2.1" } }"#,
        );
        assert!(assessed.contains("its source is assessment"), "{assessed}");
    }
}
