//! The survey figures the CCHC (PAR) index draws on, scored from the store.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context as _;

use crate::error::UsageError;
use crate::estimate::{self, Scored};
use crate::par::{Figure, ParMethod, SurveyRef, Surveys};
use crate::store::{Manifest, Store};

/// The survey figures a methodology draws on, scored from the store: one scoring per
/// (questionnaire, methodology), keeping the influence values of the figures it needs.
/// A scoring's figures: [unit, level, code, measure] → index into its estimates.
type Figures = BTreeMap<[String; 4], usize>;

pub struct StoreSurveys {
    /// (survey, method) → its scoring and its figures: [unit, level, code, measure] → index
    /// into the scoring's estimates.
    scored: BTreeMap<(String, Option<String>), (Scored, Figures)>,
}

impl StoreSurveys {
    pub fn load(
        store: &Store,
        manifest: &Manifest,
        method: &ParMethod,
        year: i32,
    ) -> anyhow::Result<StoreSurveys> {
        let refs = method.survey_refs();
        let mut by_source: BTreeMap<(String, Option<String>), BTreeSet<&SurveyRef>> =
            BTreeMap::new();
        for r in &refs {
            by_source
                .entry((r.survey.clone(), r.method.clone()))
                .or_default()
                .insert(r);
        }
        let mut scored = BTreeMap::new();
        for ((survey, method_name), wanted) in by_source {
            let inst =
                super::instrument_for(&method.resolve(&survey), Some(year)).with_context(|| {
                    format!(
                        "the PAR methodology {} draws on survey `{survey}`",
                        method.id
                    )
                })?;
            let m_name = method_name
                .as_deref()
                .map_or_else(|| inst.method.clone(), |m| method.resolve(m));
            let m = crate::methodology::load(&m_name)?;
            m.check(&m_name, &inst)?;
            super::require_answers(
                store,
                manifest,
                &inst.id,
                year,
                ", or mark the criteria that use it NA in the assessment",
            )?;
            let rows = store.scan(manifest, &inst.id, year)?;
            let keep = |e: &estimate::Estimate| {
                wanted.iter().any(|r| {
                    r.level == e.level.name() && r.code == e.code && r.measure == e.measure
                })
            };
            let s = estimate::score_keeping(rows, &inst, &m, &estimate::Weighting::Design, &keep)
                .with_context(|| format!("scoring {} {year}", inst.id))?;
            for r in &wanted {
                if !s.estimates.iter().any(|e| {
                    r.level == e.level.name() && r.code == e.code && r.measure == e.measure
                }) {
                    return Err(UsageError(format!(
                        "the PAR methodology {} asks for {} {} `{}` {}, which the {} scores do not have\n  hint: `chiso score --survey {} --year {year}` lists the figures in scores.csv",
                        method.id, r.survey, r.level, r.code, r.measure, m.id, inst.id
                    ))
                    .into());
                }
            }
            let index = s
                .estimates
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let key = [&e.unit_id, e.level.name(), &e.code, &e.measure].map(String::from);
                    (key, i)
                })
                .collect();
            scored.insert((survey, method_name), (s, index));
        }
        Ok(StoreSurveys { scored })
    }

    fn find(&self, unit: &str, r: &SurveyRef) -> Option<(&Scored, usize)> {
        let (s, index) = self.scored.get(&(r.survey.clone(), r.method.clone()))?;
        let key = [unit, &r.level, &r.code, &r.measure].map(String::from);
        Some((s, *index.get(&key)?))
    }

    /// Units with answers in any of the surveys.
    pub fn units(&self) -> BTreeSet<&str> {
        self.scored
            .values()
            .flat_map(|(s, _)| s.estimates.iter().map(|e| e.unit_id.as_str()))
            .filter(|u| *u != estimate::ALL)
            .collect()
    }
}

impl Surveys for StoreSurveys {
    fn figure(&self, unit: &str, r: &SurveyRef) -> Option<Figure> {
        let (s, i) = self.find(unit, r)?;
        let e = &s.estimates[i];
        Some(Figure {
            estimate: e.estimate,
            se: e.se,
            flag: e.flag.clone(),
        })
    }

    fn variance(&self, unit: &str, terms: &[(&SurveyRef, f64)]) -> Option<f64> {
        let mut scored: Option<&Scored> = None;
        let mut idx = Vec::with_capacity(terms.len());
        for (r, a) in terms {
            let (s, i) = self.find(unit, r)?;
            if scored.is_some_and(|prev| !std::ptr::eq(prev, s)) {
                return None;
            }
            scored = Some(s);
            idx.push((i, *a));
        }
        scored?.variance(unit, &idx)
    }
}
