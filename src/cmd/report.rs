//! `chiso report`: every table and chart of a year in one directory, and `report.html`.

use std::process::ExitCode;

use crate::annual::{ReportRequest, review};
use crate::cli::ReportArgs;
use crate::files::Outputs;
use crate::store::Store;

pub fn run(args: ReportArgs, lang: crate::lang::Lang) -> anyhow::Result<ExitCode> {
    let store = Store::open(&args.store.store)?;
    let review = review(
        &store,
        &ReportRequest {
            year: args.year,
            compare: args.compare,
            assessment: args.assessment.clone(),
            compare_assessment: args.compare_assessment.clone(),
            par_method: args.par_method.method.clone(),
            seed: args.par_method.seed,
            place: args.place.clone(),
            plans: args.plan.clone(),
            compare_plans: args.compare_plan.clone(),
            as_of: super::as_of(args.as_of.as_ref())?,
        },
    )?;
    for note in &review.left_out {
        tell!("{}", crate::msg!("report.left_out", note = note));
    }
    // Everything is written into a staging folder and moved into --out together at the end.
    let outputs = Outputs::begin(&args.out)?;
    let written = crate::render::report::write(&review, outputs.dir(), lang)?;
    outputs.commit()?;
    say!(
        "{}",
        crate::msg!(
            "report.wrote",
            path = args.out.join("report.html").display(),
            charts = written.charts,
            charts_dir = args.out.join("charts").display(),
            tables_dir = args.out.join("tables").display()
        )
    );
    Ok(ExitCode::SUCCESS)
}
