//! What the annual report says, computed: every survey stored for the year scored in the
//! version in force, compared with the chosen year and followed over the years stored, the
//! CCHC index of each unit and its change, and the summary's facts. Rendering it (tables,
//! charts, `report.html`) is `render::report`'s job.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::Context as _;

use super::summary::{ParSummary, SurveySummary};
use super::{Exclusions, Year, compare_years, score_year};
use crate::compare::{Change, ParChange, par_changes};
use crate::error::UsageError;
use crate::estimate::{self, ALL, Distributions, Estimates, Level, measure};
use crate::par::{self, ParMethod, ParResult};
use crate::store::{Manifest, Store};

/// What a report covers.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// The year of the report: every survey stored for it is included.
    pub year: i32,
    /// Another year to compare with.
    pub compare: Option<i32>,
    /// The year's CCHC assessment file.
    pub assessment: Option<PathBuf>,
    /// The compared year's assessment file.
    pub compare_assessment: Option<PathBuf>,
    /// The PAR methodology (a name in scoring/ or a path) and the rank simulation's seed.
    pub par_method: String,
    pub seed: Option<u64>,
    /// Who the report is for, on its cover (e.g. "UBND xã Côn Minh").
    pub place: Option<String>,
    /// Each unit's annual plan of the year, and of the compared year.
    pub plans: Vec<super::PlanFile>,
    pub compare_plans: Vec<super::PlanFile>,
    /// The day plans are judged on (default: the year's last day, or today if earlier).
    pub as_of: Option<crate::plan::Date>,
}

/// A survey's changes between two years.
#[derive(Debug, Clone)]
pub struct YearChange {
    pub from: i32,
    pub to: i32,
    pub changes: Vec<Change>,
    pub excluded: Exclusions,
}

/// One survey of the report.
#[derive(Debug, Clone)]
pub struct SurveyReview {
    pub year: Year,
    pub distributions: Distributions,
    pub change: Option<YearChange>,
    /// Every stored year up to the report's, scored (the report's year included), when there
    /// are at least two.
    pub trend: Vec<(i32, Estimates)>,
    /// Elements with no figure for all units together (optional questions nobody answered):
    /// left out of the tables.
    pub empty_elements: Vec<String>,
    /// Scored items with no figure for all units together.
    pub empty_items: Vec<String>,
    pub summary: SurveySummary,
}

/// The CCHC (PAR) index of the report.
#[derive(Debug, Clone)]
pub struct ParReview {
    pub result: ParResult,
    /// The change from (or to) the compared year: (from, to, rows).
    pub changes: Option<(i32, i32, Vec<ParChange>)>,
    pub summary: ParSummary,
}

/// Everything the report shows.
#[derive(Debug, Clone)]
pub struct Review {
    pub year: i32,
    pub compare: Option<i32>,
    pub place: Option<String>,
    pub par_method: ParMethod,
    pub surveys: Vec<SurveyReview>,
    pub par: Option<ParReview>,
    /// Each unit's annual plan, followed up to the day of the assessment.
    pub plans: Vec<PlanReview>,
    /// The QĐ 766 index of the year, when procedure files are stored for it.
    pub qd766: Option<Qd766Review>,
    /// Surveys (or years) stored but left out, with why.
    pub left_out: Vec<String>,
}

/// The QĐ 766 index of the report's year: the year from 1 January and each month, every unit
/// and ALL, at commune level, by the shipped method.
#[derive(Debug, Clone)]
pub struct Qd766Review {
    pub method: crate::qd766::Qd766Method,
    /// Procedure files stored for the year (their latest state).
    pub files: usize,
    pub items: Vec<crate::qd766::ItemRow>,
    pub totals: Vec<crate::qd766::TotalRow>,
}

impl Qd766Review {
    /// Reads the year's records from the store; None when no procedure file is stored.
    pub fn read(store: &Store, manifest: &Manifest, year: i32) -> anyhow::Result<Option<Self>> {
        use crate::qd766;
        if !qd766::ingest::has_files(manifest, year) {
            return Ok(None);
        }
        let method = qd766::load("qd766")?;
        let records = qd766::ingest::records(store, manifest, year)?;
        let periods = qd766::periods(year, qd766::Split::Month);
        let (items, totals) =
            qd766::compute(&method, &records, qd766::UnitLevel::Commune, &periods);
        Ok(Some(Qd766Review {
            method,
            files: records.files.len(),
            items,
            totals,
        }))
    }

    /// The year's label among the periods (`2026`).
    pub fn year_label(&self) -> Option<&str> {
        self.totals.first().map(|t| t.period.as_str())
    }
}

/// A unit's annual CCHC plan on the day of the assessment.
#[derive(Debug, Clone)]
pub struct PlanReview {
    pub unit: String,
    pub as_of: crate::plan::Date,
    pub method: crate::plan::PlanMethod,
    pub plan: crate::plan::Plan,
    /// The plan file's name (without its folder), as the report cites it.
    pub file_name: String,
    /// Per task of `plan`: its status and days late.
    pub statuses: Vec<(crate::plan::Status, i64)>,
    pub agencies: Vec<crate::plan::Agency>,
}

impl PlanReview {
    /// How many tasks stand at `status`.
    pub fn count(&self, status: crate::plan::Status) -> usize {
        self.statuses.iter().filter(|(s, _)| *s == status).count()
    }

    /// Reads `file` with the plan methodology the CCHC methodology's plan criterion names
    /// (`plan-commune` if none), judged on `as_of`.
    pub fn read(
        unit: &str,
        file: &std::path::Path,
        par_method: &ParMethod,
        as_of: crate::plan::Date,
    ) -> anyhow::Result<PlanReview> {
        let name = par_method
            .leaves()
            .iter()
            .find_map(|l| l.criterion.from.as_ref().and_then(|f| f.plan()))
            .map_or_else(
                || "plan-commune".to_string(),
                |r| par_method.resolve(&r.plan),
            );
        let method = crate::plan::load(&name)?;
        let plan = crate::plan::read(file, &method)?;
        let st = crate::plan::statuses(&plan, as_of);
        let agencies = crate::plan::agencies(&method, &st);
        let statuses = st.iter().map(|s| (s.status, s.days_late)).collect();
        Ok(PlanReview {
            unit: unit.to_string(),
            file_name: file
                .file_name()
                .map_or_else(|| plan.file.clone(), |n| n.to_string_lossy().into_owned()),
            as_of,
            method,
            plan,
            statuses,
            agencies,
        })
    }
}

/// Surveys with answers for `year` in the store, in the order of the annual review (record
/// exports left out: they are not surveys).
pub fn surveys_in(manifest: &Manifest, year: i32) -> Vec<String> {
    let ids: BTreeSet<String> = manifest
        .live()
        .filter(|b| b.year == year && b.accepted > 0)
        .filter(|b| !crate::qd766::layout::is_shipped(&b.survey))
        .map(|b| b.survey.clone())
        .collect();
    let order = |id: &str| match id {
        "sipas" => 0,
        i if i.starts_with("health-outpatient") => 1,
        i if i.starts_with("health-inpatient") => 2,
        "education" => 3,
        _ => 4,
    };
    let mut v: Vec<String> = ids.into_iter().collect();
    v.sort_by_key(|id| (order(id), id.clone()));
    v
}

/// Computes what the report for `req` shows from `store`.
pub fn review(store: &Store, req: &ReportRequest) -> anyhow::Result<Review> {
    let manifest = store.manifest()?;
    let par_method = par::load(&req.par_method)?;
    let ids = surveys_in(&manifest, req.year);
    if ids.is_empty()
        && req.assessment.is_none()
        && !crate::qd766::ingest::has_files(&manifest, req.year)
    {
        return Err(UsageError(format!(
            "the store {} has no answers for {}\n  hint: `chiso batches` lists what is stored; ingest that year's batches first",
            store.root().display(),
            req.year
        ))
        .into());
    }
    let mut left_out = Vec::new();
    let mut surveys = Vec::new();
    for id in &ids {
        match survey(store, &manifest, id, req) {
            Ok((s, mut notes)) => {
                surveys.push(s);
                left_out.append(&mut notes);
            }
            Err(e) => left_out.push(format!("{id} {}: {e:#}", req.year)),
        }
    }
    let par = match &req.assessment {
        Some(a) => Some(par_review(store, &manifest, &par_method, req, a)?),
        None => None,
    };
    let as_of = super::plan_as_of(req.year, req.as_of);
    let plans = req
        .plans
        .iter()
        .map(|(unit, file)| PlanReview::read(unit, file, &par_method, as_of))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let qd766 = Qd766Review::read(store, &manifest, req.year)?;
    Ok(Review {
        year: req.year,
        compare: req.compare,
        place: req.place.clone(),
        par_method,
        surveys,
        par,
        plans,
        qd766,
        left_out,
    })
}

/// One survey: scored, its answer distributions, the change from the compared year and the
/// trend over the stored years. Returns notes on what could not be compared.
fn survey(
    store: &Store,
    manifest: &Manifest,
    id: &str,
    req: &ReportRequest,
) -> anyhow::Result<(SurveyReview, Vec<String>)> {
    let y = score_year(store, manifest, id, req.year)?;
    let distributions =
        estimate::distributions(store.scan(manifest, &y.inst.id, req.year)?, &y.inst)
            .with_context(|| format!("answer distributions of {id}"))?;
    let mut notes = Vec::new();
    // Each other year is scored once.
    let mut others: BTreeMap<i32, Year> = BTreeMap::new();
    let mut change = None;
    if let Some(c) = req.compare {
        match score_year(store, manifest, id, c) {
            Ok(prev) => {
                let prev = others.entry(c).or_insert(prev);
                let (pair, excluded) = if c < req.year {
                    compare_years(&[prev, &y])?
                } else {
                    compare_years(&[&y, prev])?
                };
                change = pair.into_iter().next().map(|changes| YearChange {
                    from: c.min(req.year),
                    to: c.max(req.year),
                    changes,
                    excluded,
                });
            }
            Err(e) => notes.push(format!("{id} {c}: {e:#}")),
        }
    }
    let stored_years: BTreeSet<i32> = manifest
        .live()
        .filter(|b| b.survey == y.inst.id && b.accepted > 0 && b.year <= req.year)
        .map(|b| b.year)
        .collect();
    let mut trend = Vec::new();
    if stored_years.len() >= 2 {
        for yr in &stored_years {
            if *yr == req.year {
                trend.push((*yr, y.estimates.clone()));
                continue;
            }
            if !others.contains_key(yr) {
                match score_year(store, manifest, &y.inst.id, *yr) {
                    Ok(o) => {
                        others.insert(*yr, o);
                    }
                    Err(e) => notes.push(format!("{id} {yr}: {e:#}")),
                }
            }
            if let Some(o) = others.get(yr) {
                trend.push((*yr, o.estimates.clone()));
            }
        }
    }
    let empty = |level: Level, code: &str| {
        y.estimates
            .get(ALL, level, code, measure::SATISFIED_PCT)
            .is_none_or(|e| !e.estimate.is_finite())
    };
    let empty_elements = y
        .inst
        .elements
        .iter()
        .filter(|e| empty(Level::Element, &e.code))
        .map(|e| e.code.clone())
        .collect();
    let empty_items = y
        .inst
        .scored_items()
        .filter(|q| empty(Level::Item, &q.code))
        .map(|q| q.code.clone())
        .collect();
    let summary = SurveySummary::of(&y, change.as_ref());
    Ok((
        SurveyReview {
            year: y,
            distributions,
            change,
            trend,
            empty_elements,
            empty_items,
            summary,
        },
        notes,
    ))
}

fn par_review(
    store: &Store,
    manifest: &Manifest,
    method: &ParMethod,
    req: &ReportRequest,
    assessment: &std::path::Path,
) -> anyhow::Result<ParReview> {
    let seed = req.seed.unwrap_or(method.seed);
    let year = |y: i32,
                file: &std::path::Path,
                plans: &[super::PlanFile],
                as_of: Option<crate::plan::Date>|
     -> anyhow::Result<ParResult> {
        let a = par::assessment::read(file, method)?;
        let inputs = super::ParInputs::load(
            store,
            manifest,
            method,
            y,
            plans,
            super::plan_as_of(y, as_of),
        )?;
        Ok(par::compute(method, &a, &inputs.inputs(), seed))
    };
    let result = year(req.year, assessment, &req.plans, req.as_of)?;
    let changes = match (req.compare, &req.compare_assessment) {
        (Some(c), Some(ca)) => {
            let other = year(c, ca, &req.compare_plans, None)?;
            let (from, to, rf, rt) = if c < req.year {
                (c, req.year, &other, &result)
            } else {
                (req.year, c, &result, &other)
            };
            Some((from, to, par_changes(rf, rt, method.ci_level)))
        }
        _ => None,
    };
    let summary = ParSummary::of(&result, changes.as_ref().map(|c| c.2.as_slice()));
    Ok(ParReview {
        result,
        changes,
        summary,
    })
}
