//! A year's review: the figures an annual report needs, scored from the store — each survey in
//! the questionnaire version in force that year, compared with other years, and the survey
//! figures the CCHC (PAR) index draws on.

mod par_inputs;
pub mod report;
mod summary;

use std::collections::BTreeMap;

use anyhow::Context as _;

use crate::compare::{self, Change, Excluded, Side, TrendRow};
use crate::error::UsageError;
use crate::estimate::{self, Estimates, Level, measure};
use crate::instrument::{self, Instrument};
use crate::methodology::Method;
use crate::store::{Manifest, Store};
pub use par_inputs::{ParInputs, PlanFile, StoreSurveys, plan_as_of, plan_shares};
pub use report::{
    ParReview, PlanReview, Qd766Review, ReportRequest, Review, SurveyReview, YearChange, review,
};
pub use summary::{ParSummary, SurveySummary};

/// Loads a questionnaire and checks that it applies to `year`.
pub fn instrument_for(survey: &str, year: Option<i32>) -> anyhow::Result<Instrument> {
    let inst = instrument::load(survey)?;
    if let Some(y) = year
        && !(inst.years[0]..=inst.years[1]).contains(&y)
    {
        return Err(UsageError(format!(
            "questionnaire {} ({}) applies to {}–{}, not to {y}\n  hint: choose the questionnaire version in force that year (`chiso surveys`)",
            inst.id, inst.version, inst.years[0], inst.years[1]
        ))
        .into());
    }
    Ok(inst)
}

/// The version of a questionnaire in force in `year`: the one named, or one it continues (or
/// that continues it, among the shipped ones), following `[continues]`.
pub fn instrument_at(survey: &str, year: i32) -> anyhow::Result<Instrument> {
    let named = instrument::load(survey)?;
    let applies = |i: &Instrument| (i.years[0]..=i.years[1]).contains(&year);
    let mut seen = vec![named.id.clone()];
    // Back through the versions it continues.
    let mut cur = named.clone();
    while !applies(&cur) {
        let Some(prev) = cur.continues.as_ref().map(|c| c.survey.clone()) else {
            break;
        };
        if seen.contains(&prev) {
            break;
        }
        seen.push(prev.clone());
        cur = instrument::load(&prev)?;
    }
    if applies(&cur) {
        return Ok(cur);
    }
    // Forward through the shipped versions that continue it.
    let shipped = instrument::shipped()?;
    let mut cur = named.clone();
    for _ in 0..shipped.len() {
        let Some(next) = shipped
            .iter()
            .find(|i| i.continues.as_ref().is_some_and(|c| c.survey == cur.id))
        else {
            break;
        };
        if applies(next) {
            return Ok(next.clone());
        }
        cur = next.clone();
    }
    Err(UsageError(format!(
        "questionnaire {} ({}) applies to {}–{}, and no version it continues or that continues it applies to {year}\n  hint: `chiso surveys` lists the versions and their years",
        named.id, named.version, named.years[0], named.years[1]
    ))
    .into())
}

/// Refuses a year with no stored answers for questionnaire `id`, naming what to ingest;
/// `or` adds another way out to the hint.
pub fn require_answers(
    store: &Store,
    manifest: &Manifest,
    id: &str,
    year: i32,
    or: &str,
) -> anyhow::Result<()> {
    if manifest.batches_of(id, year).any(|b| b.accepted > 0) {
        return Ok(());
    }
    Err(UsageError(format!(
        "no {id} answers for {year} in the store {}\n  hint: ingest that year's batches first (`chiso ingest --survey {id} --year {year} FILE`){or}",
        store.root().display()
    ))
    .into())
}

/// One year of one survey, scored.
#[derive(Debug, Clone)]
pub struct Year {
    pub year: i32,
    pub inst: Instrument,
    pub method: Method,
    pub estimates: Estimates,
}

impl Year {
    pub fn side(&self) -> Side<'_> {
        Side {
            year: self.year,
            inst: &self.inst,
            method: &self.method,
            estimates: self.estimates.rows(),
        }
    }
}

/// Scores `survey` for `year` with the questionnaire version in force that year.
pub fn score_year(
    store: &Store,
    manifest: &Manifest,
    survey: &str,
    year: i32,
) -> anyhow::Result<Year> {
    let inst = instrument_at(survey, year)?;
    let method = crate::methodology::load(&inst.method)?;
    method.check(&inst.method, &inst)?;
    require_answers(store, manifest, &inst.id, year, "")?;
    let rows = store.scan(manifest, &inst.id, year)?;
    let estimates = estimate::score(rows, &inst, &method)
        .with_context(|| format!("scoring {} {year}", inst.id))?;
    Ok(Year {
        year,
        inst,
        method,
        estimates: Estimates::new(estimates),
    })
}

/// What was left out of comparing two years: (from, to, what).
pub type Exclusions = Vec<(i32, i32, Excluded)>;

/// The comparison of consecutive years: changes (adjusted across all of them) and exclusions.
pub fn compare_years(years: &[&Year]) -> anyhow::Result<(Vec<Vec<Change>>, Exclusions)> {
    let mut changes = Vec::new();
    let mut excluded = Vec::new();
    for w in years.windows(2) {
        let (from, to) = (w[0].side(), w[1].side());
        let mut pairing = compare::correspond(&from, &to).map_err(UsageError)?;
        changes.push(compare::compare(&from, &to, &mut pairing));
        excluded.extend(
            pairing
                .excluded
                .into_iter()
                .map(|e| (from.year, to.year, e)),
        );
    }
    // Benjamini–Hochberg across every row of the table, then back into the year pairs.
    let lengths: Vec<usize> = changes.iter().map(Vec::len).collect();
    let mut all: Vec<Change> = changes.into_iter().flatten().collect();
    compare::adjust(&mut all);
    let mut rest = all.into_iter();
    let changes = lengths
        .into_iter()
        .map(|n| rest.by_ref().take(n).collect())
        .collect();
    Ok((changes, excluded))
}

/// One row per unit, figure and year, with the change from the year before where it corresponds.
pub fn trend_rows(years: &[Year], changes: &[Vec<Change>]) -> Vec<TrendRow> {
    let mut rows = Vec::new();
    for (i, y) in years.iter().enumerate() {
        let from_prev: BTreeMap<(&str, Level, &str, &str), &Change> = if i == 0 {
            BTreeMap::new()
        } else {
            changes[i - 1]
                .iter()
                .map(|c| {
                    (
                        (
                            c.unit_id.as_str(),
                            c.level.clone(),
                            c.code.as_str(),
                            c.measure.as_str(),
                        ),
                        c,
                    )
                })
                .collect()
        };
        for e in y
            .estimates
            .iter()
            .filter(|e| e.measure != measure::CRONBACH_ALPHA)
        {
            let c = from_prev
                .get(&(
                    e.unit_id.as_str(),
                    e.level.clone(),
                    e.code.as_str(),
                    e.measure.as_str(),
                ))
                .copied()
                .cloned();
            rows.push(TrendRow {
                year: y.year,
                estimate: e.clone(),
                change: c,
            });
        }
    }
    rows
}
