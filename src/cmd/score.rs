//! `chiso score`: satisfaction indices with design-based standard errors and intervals.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::ScoreArgs;
use crate::estimate;
use crate::render::scores::{self, TableContext};
use crate::store::Store;

pub fn run(args: ScoreArgs) -> anyhow::Result<ExitCode> {
    let inst = crate::annual::instrument_for(&args.survey.survey, Some(args.survey.year))?;
    let method_name = args.method.clone().unwrap_or_else(|| inst.method.clone());
    let method = crate::methodology::load(&method_name)?;
    method.check(&method_name, &inst)?;
    let store = Store::open(&args.store.store)?;
    let manifest = store.manifest()?;
    let rows = store.scan(&manifest, &inst.id, args.survey.year)?;
    let estimates = estimate::score(rows, &inst, &method)
        .with_context(|| format!("scoring {} {}", inst.id, args.survey.year))?;
    let outputs = crate::files::Outputs::begin(&args.out)?;
    let stage = outputs.dir();
    let lang = args.lang;
    let labels = inst.labels(lang);
    let ctx = TableContext {
        year: args.survey.year,
        survey: &inst.id,
        labels: &labels,
        decimals: method.decimals,
        ci_level: method.ci_level,
        lang,
    };
    scores::write_all(stage, &ctx, &estimates)?;
    outputs.commit()?;
    let csv = args.out.join("scores.csv");
    let units = estimates
        .iter()
        .map(|e| e.unit_id.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let flagged = estimates.iter().filter(|e| !e.flag.is_empty()).count();
    say!(
        "{} {}: {} figures for {} units and ALL ({}, {}); {} flagged",
        inst.id,
        args.survey.year,
        estimates.len(),
        units.saturating_sub(1),
        method.id,
        method.title_vi,
        flagged
    );
    say!("wrote {} (and scores.xlsx, scores.json)", csv.display());
    Ok(ExitCode::SUCCESS)
}
