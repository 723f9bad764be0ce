//! The whole tool on the sample data: write the samples, ingest them into a fresh store,
//! score, compare, compute the CCHC index, and write the report — each step through the same
//! library calls the commands make.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::{COMMUNES, SURVEYS, YEARS};
use crate::annual::{ReportRequest, compare_years, review, score_year};
use crate::compare::par_changes;
use crate::error::UsageError;
use crate::files::Outputs;
use crate::ingest::{CheckOptions, FileOutcome, ReadOptions, ingest_files};
use crate::lang::Lang;
use crate::render::scores::TableContext;
use crate::store::{Manifest, Store};

/// The place named on the demo report's cover.
pub const PLACE: &str = "Các xã khu vực Na Rì, tỉnh Thái Nguyên (dữ liệu mẫu)";

/// Where the demo put its report.
pub struct DemoRun {
    pub report: PathBuf,
    pub charts: usize,
}

/// Removes the previous demo's store, only if it is a chiso store that holds nothing but the
/// demo's own sample batches.
fn fresh_store(out: &Path) -> anyhow::Result<PathBuf> {
    let store_dir = out.join("store");
    if store_dir.join("manifest.json").is_file() {
        let samples = out.join("batches").display().to_string();
        let manifest = Manifest::read(&store_dir)?;
        if let Some(b) = manifest
            .batches
            .iter()
            .find(|b| !b.source.starts_with(&samples))
        {
            return Err(UsageError(crate::msg!(
                "demo.not_ours",
                path = store_dir.display(),
                source = b.source
            ))
            .into());
        }
        std::fs::remove_dir_all(&store_dir)
            .with_context(|| crate::msg!("demo.cannot_remove", path = store_dir.display()))?;
    } else if store_dir.exists() {
        return Err(UsageError(crate::msg!("demo.not_a_store", path = store_dir.display())).into());
    }
    Ok(store_dir)
}

/// Runs the demo into `out`; `say` is told each step's outcome.
pub fn run(out: &Path, lang: Lang, say: &mut dyn FnMut(String)) -> anyhow::Result<DemoRun> {
    let store_dir = fresh_store(out)?;
    let files = super::write_samples(&out.join("batches"))?;
    say(crate::msg!(
        "demo.samples",
        files = files.len(),
        communes = COMMUNES.len(),
        years = YEARS.len(),
        path = out.join("batches").display()
    ));
    let store = Store::open_or_create(&store_dir)?;
    for (survey, year, path) in files.iter().filter(|(s, _, _)| {
        s != "assessment" && !s.starts_with("plan:") && !s.starts_with("records:")
    }) {
        let inst = crate::annual::instrument_for(survey, Some(*year))?;
        let opts = CheckOptions {
            instrument: &inst,
            year: Some(*year),
            read: ReadOptions::default(),
            keep_pii: false,
            progress: false,
            keep_ids: false,
            bad_answer: None,
        };
        let run = ingest_files(&store, &opts, std::slice::from_ref(path), None)?;
        for f in &run.files {
            match f {
                FileOutcome::Checked { batch, .. } if run.stored => say(crate::msg!(
                    "demo.ingested",
                    survey = survey,
                    year = year,
                    accepted = batch.accepted,
                    quarantined = batch.quarantined_rows
                )),
                FileOutcome::Refused(r) => anyhow::bail!(crate::msg!("demo.refused", refusal = r)),
                _ => {}
            }
        }
    }
    // The records, catalogue first, as exported on the demo's day; then the QĐ 766 index.
    for (kind, year, path) in files.iter().filter(|(s, _, _)| s.starts_with("records:")) {
        let layout = crate::qd766::layout::load(kind.trim_start_matches("records:"))?;
        let day = super::records_as_of(*year);
        let run = crate::qd766::ingest::ingest_records(&store, &layout, *year, path, day)?;
        say(crate::msg!(
            "demo.records",
            layout = layout.id,
            year = year,
            accepted = run.accepted,
            quarantined = run.quarantined
        ));
    }
    let manifest = store.manifest()?;
    {
        let method = crate::qd766::load("qd766")?;
        let ry = YEARS[YEARS.len() - 1];
        let records = crate::qd766::ingest::records(&store, &manifest, ry)?;
        let periods = crate::qd766::periods(ry, crate::qd766::Split::Month);
        let (items, totals) = crate::qd766::compute(
            &method,
            &records,
            crate::qd766::UnitLevel::Commune,
            &periods,
        );
        let outputs = Outputs::begin(&out.join("qd766"))?;
        crate::render::qd766::write_all(outputs.dir(), ry, &method, &items, &totals, lang)?;
        outputs.commit()?;
    }
    let (first, last) = (YEARS[0], YEARS[YEARS.len() - 1]);
    for (survey, _, _) in SURVEYS {
        let y = score_year(&store, &manifest, survey, last)?;
        let labels = y.method.labels(&y.inst, lang);
        let ctx = TableContext {
            year: last,
            survey: &y.inst.id,
            labels: &labels,
            decimals: y.method.decimals,
            ci_level: y.method.ci_level,
            lang,
        };
        let outputs = Outputs::begin(&out.join("scores").join(survey))?;
        crate::render::scores::write_all(outputs.dir(), &ctx, &y.estimates)?;
        outputs.commit()?;
        let prev = score_year(&store, &manifest, survey, first)?;
        let (changes, excluded) = compare_years(&[&prev, &y])?;
        let outputs = Outputs::begin(&out.join("compare").join(survey))?;
        crate::render::compare::write_changes(
            outputs.dir(),
            survey,
            Some(&labels),
            &changes[0],
            &excluded,
            lang,
        )?;
        outputs.commit()?;
        say(crate::msg!(
            "demo.scored",
            survey = survey,
            figures = y.estimates.len(),
            last = last,
            changes = changes[0].len(),
            first = first
        ));
    }
    let method = crate::par::load("par-commune")?;
    let assessment = |y: i32| out.join("batches").join(format!("assessment-{y}.csv"));
    let plans = |y: i32| -> Vec<crate::annual::PlanFile> {
        COMMUNES
            .iter()
            .map(|c| {
                (
                    c.name.to_string(),
                    out.join("batches").join(super::plan_file(c, y)),
                )
            })
            .collect()
    };
    let as_of = |y: i32| super::plan_as_of(y);
    let mut results = Vec::new();
    for y in YEARS {
        let a = crate::par::assessment::read(&assessment(y), &method)?;
        let inputs =
            crate::annual::ParInputs::load(&store, &manifest, &method, y, &plans(y), as_of(y))?;
        let r = crate::par::compute(&method, &a, &inputs.inputs(), method.seed);
        let outputs = Outputs::begin(&out.join("par").join(y.to_string()))?;
        crate::render::par::write_all(outputs.dir(), y, &method, &r, lang)?;
        outputs.commit()?;
        say(crate::msg!("demo.par", year = y, units = r.totals.len()));
        results.push(r);
    }
    let rows = par_changes(&results[0], &results[results.len() - 1], method.ci_level);
    let outputs = Outputs::begin(&out.join("compare").join("par"))?;
    crate::render::compare::write_par_changes(
        outputs.dir(),
        &method.id,
        (first, last),
        &rows,
        lang,
    )?;
    outputs.commit()?;
    let report = out.join("report");
    let r = review(
        &store,
        &ReportRequest {
            year: last,
            compare: Some(first),
            assessment: Some(assessment(last)),
            compare_assessment: Some(assessment(first)),
            par_method: "par-commune".into(),
            seed: None,
            place: Some(PLACE.into()),
            plans: plans(last),
            compare_plans: plans(first),
            as_of: Some(as_of(last)),
        },
    )?;
    let outputs = Outputs::begin(&report)?;
    let written = crate::render::report::write(&r, outputs.dir(), lang)?;
    outputs.commit()?;
    Ok(DemoRun {
        report: report.join("report.html"),
        charts: written.charts,
    })
}
