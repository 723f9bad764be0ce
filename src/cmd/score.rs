//! `chiso score`: satisfaction indices with design-based standard errors and intervals.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::ScoreArgs;
use crate::estimate;
use crate::msg;
use crate::render::scores::{self, TableContext};
use crate::store::Store;

pub fn run(args: ScoreArgs, lang: crate::lang::Lang) -> anyhow::Result<ExitCode> {
    let inst = crate::annual::instrument_for(&args.survey.survey, Some(args.survey.year))?;
    let method_name = args.method.clone().unwrap_or_else(|| inst.method.clone());
    let method = crate::methodology::load(&method_name)?;
    method.check(&method_name, &inst)?;
    if args.emit_sql {
        let source = match &args.sql_table {
            Some(name) => estimate::sql::Source::Table {
                name: name.clone(),
                survey: inst.id.clone(),
                year: args.survey.year,
            },
            None => {
                let store = Store::open(&args.store.store)?;
                let manifest = store.manifest()?;
                estimate::sql::Source::Files(store.data_files(
                    &manifest,
                    &inst.id,
                    args.survey.year,
                )?)
            }
        };
        let header = vec![
            msg!(
                "score.sql_header",
                survey = inst.id,
                year = args.survey.year,
                method = method.id,
                version = env!("CARGO_PKG_VERSION")
            ),
            msg!("score.sql_then", survey = inst.id, year = args.survey.year),
        ];
        print!(
            "{}",
            estimate::psu_totals_sql(&inst, &method, &source, &header)?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let weighting = if let Some(f) = &args.poststratify {
        estimate::Weighting::PostStratify(crate::frame::read(f, &inst)?)
    } else if !args.rake.is_empty() {
        let frames = args
            .rake
            .iter()
            .map(|f| crate::frame::read(f, &inst))
            .collect::<Result<Vec<_>, _>>()?;
        estimate::Weighting::Rake(frames)
    } else {
        estimate::Weighting::Design
    };
    let estimates = match &args.psu_totals {
        Some(table) => estimate::score_from_psu_totals(table, &inst, &method),
        None => {
            let store = Store::open(&args.store.store)?;
            let manifest = store.manifest()?;
            let rows = store.scan(&manifest, &inst.id, args.survey.year)?;
            estimate::score_weighted(rows, &inst, &method, &weighting)
        }
    }
    .with_context(|| msg!("score.scoring", survey = inst.id, year = args.survey.year))?;
    let outputs = crate::files::Outputs::begin(&args.out)?;
    let stage = outputs.dir();
    let labels = method.labels(&inst, lang);
    let ctx = TableContext {
        year: args.survey.year,
        survey: &inst.id,
        labels: &labels,
        decimals: method.decimals,
        ci_level: method.ci_level,
        lang,
    };
    scores::write_all(stage, &ctx, &estimates)?;
    scores::write_weighting(&stage.join("weighting.json"), &weighting)?;
    outputs.commit()?;
    let csv = args.out.join("scores.csv");
    let units = estimates
        .iter()
        .map(|e| e.unit_id.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let flagged = estimates.iter().filter(|e| !e.flag.is_empty()).count();
    say!(
        "{}",
        msg!(
            "score.summary",
            survey = inst.id,
            year = args.survey.year,
            figures = estimates.len(),
            units = units.saturating_sub(1),
            method = method.id,
            title = lang.pick(&method.title_vi, &method.title_en),
            flagged = flagged
        )
    );
    for f in weighting.frames() {
        let sha256 = f.sha256.get(..16).unwrap_or(&f.sha256);
        let line = match weighting {
            estimate::Weighting::Rake(_) => {
                msg!("score.frame_rake", file = f.file, sha256 = sha256)
            }
            _ => msg!("score.frame_poststratify", file = f.file, sha256 = sha256),
        };
        say!("{line}");
    }
    say!("{}", msg!("score.wrote", path = csv.display()));
    Ok(ExitCode::SUCCESS)
}
