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

/// A unit's plan file: `--plan "Xuân Dương=plan-2026.csv"`.
pub type PlanFile = (String, std::path::PathBuf);

/// The day plans are judged on for `year`: `given`, else the year's last day or today,
/// whichever comes first.
pub fn plan_as_of(year: i32, given: Option<crate::plan::Date>) -> crate::plan::Date {
    let end = crate::plan::Date::month_end(year, 12).unwrap_or(crate::plan::Date {
        year,
        month: 12,
        day: 31,
    });
    given.unwrap_or_else(|| end.min(crate::plan::Date::today()))
}

/// Each unit's plan scored for the `plan` criteria of `method`, as of `as_of`: the share of
/// the `steps` rule's most points the plan earns.
pub fn plan_shares(
    method: &ParMethod,
    plans: &[PlanFile],
    as_of: crate::plan::Date,
) -> anyhow::Result<crate::par::PlanShares> {
    let mut out = crate::par::PlanShares::default();
    let named: BTreeSet<String> = method
        .leaves()
        .iter()
        .filter_map(|l| l.criterion.from.as_ref().and_then(|f| f.plan()))
        .map(|r| r.plan.clone())
        .collect();
    for name in named {
        let pm = crate::plan::load(&method.resolve(&name))?;
        for (unit, file) in plans {
            let plan = crate::plan::read(file, &pm)?;
            let statuses = crate::plan::statuses(&plan, as_of);
            let share = crate::plan::plan_steps(&pm, &statuses)
                .map(|(_, points, max)| if max > 0.0 { points / max } else { 0.0 });
            out.0.insert((unit.clone(), name.clone()), share);
        }
    }
    Ok(out)
}

/// Everything a year's CCHC index draws on besides the assessment: the survey figures, the
/// plans and the procedure records.
pub struct ParInputs {
    pub surveys: StoreSurveys,
    pub plans: crate::par::PlanShares,
    pub records: crate::par::RecordRates,
}

impl ParInputs {
    /// Loads `year`'s inputs of `method`: plans judged as of `as_of` (see [`plan_as_of`]).
    pub fn load(
        store: &Store,
        manifest: &Manifest,
        method: &ParMethod,
        year: i32,
        plans: &[PlanFile],
        as_of: crate::plan::Date,
    ) -> anyhow::Result<ParInputs> {
        Ok(ParInputs {
            surveys: StoreSurveys::load(store, manifest, method, year)?,
            plans: plan_shares(method, plans, as_of)?,
            records: record_rates(store, manifest, method, year)?,
        })
    }

    pub fn inputs(&self) -> crate::par::Inputs<'_> {
        crate::par::Inputs {
            surveys: &self.surveys,
            plans: &self.plans,
            records: &self.records,
        }
    }
}

/// The rates the `records` criteria of `method` take from the records stored for `year`, each
/// unit's year from 1 January to 31 December. Empty when no procedure files are stored for the
/// year (the criteria are then flagged `no_records`).
pub fn record_rates(
    store: &Store,
    manifest: &Manifest,
    method: &ParMethod,
    year: i32,
) -> anyhow::Result<crate::par::RecordRates> {
    use crate::par::{RecordRate, Take};
    use crate::qd766::{self, UnitLevel};
    let mut out = crate::par::RecordRates::default();
    let wanted: Vec<(&str, &crate::par::RecordsRef)> = method
        .leaves()
        .into_iter()
        .filter_map(|l| {
            let r = l.criterion.from.as_ref()?.records()?;
            Some((l.criterion.code.as_str(), r))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(out);
    }
    // Every index the criteria name, checked before anything is read.
    let mut indices: BTreeMap<&str, crate::qd766::Qd766Method> = BTreeMap::new();
    for (code, r) in &wanted {
        if !indices.contains_key(r.index.as_str()) {
            let m = qd766::load(&method.resolve(&r.index)).with_context(|| {
                format!(
                    "the PAR methodology {} draws on the index `{}`",
                    method.id, r.index
                )
            })?;
            indices.insert(r.index.as_str(), m);
        }
        let m = &indices[r.index.as_str()];
        let is_item = m.items.iter().any(|i| i.code == r.item);
        if !m.knows(&r.item) || (r.take == Take::Points && !is_item) {
            let items: Vec<&str> = m.items.iter().map(|i| i.code.as_str()).collect();
            let indicators: Vec<&str> = m.indicators.iter().map(|i| i.code.as_str()).collect();
            return Err(UsageError(crate::msg!(
                "par.records_item",
                method = method.file.as_ref().map_or_else(
                    || method.id.clone(),
                    |f| format!("{} ({})", method.id, f.display())
                ),
                criterion = code,
                item = r.item,
                index = m.id,
                items = items.join(", "),
                indicators = indicators.join(", ")
            ))
            .into());
        }
    }
    if !qd766::ingest::has_files(manifest, year) {
        return Ok(out);
    }
    let records = qd766::ingest::records(store, manifest, year)?;
    let Some(period) = qd766::periods(year, qd766::Split::Year).into_iter().next() else {
        return Ok(out);
    };
    let mut facts = BTreeMap::new();
    for (code, r) in wanted {
        let m = &indices[r.index.as_str()];
        let by_unit = facts
            .entry(r.index.as_str())
            .or_insert_with(|| qd766::facts_by_unit(m, &records, &period));
        let level = r.level.unwrap_or(UnitLevel::Commune);
        for (unit, f) in by_unit.iter() {
            let rate = match (m.figure(&r.item, f, level), r.take) {
                (Some((rate, _)), Take::Rate) => RecordRate::Share(rate / 100.0),
                (Some((_, Some(share))), Take::Points) => RecordRate::Share(share),
                _ => RecordRate::NotApplicable,
            };
            out.0.insert((unit.clone(), code.to_string()), rate);
        }
    }
    Ok(out)
}
