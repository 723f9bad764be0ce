//! `chiso par`: the CCHC (PAR) index of each unit from its assessment and the survey figures.

use std::process::ExitCode;

use crate::annual::ParInputs;
use crate::cli::ParArgs;
use crate::msg;
use crate::par;
use crate::store::Store;

pub fn run(args: ParArgs, lang: crate::lang::Lang) -> anyhow::Result<ExitCode> {
    let method = par::load(&args.par_method.method)?;
    let assessment = par::assessment::read(&args.assessment, &method)?;
    if assessment.entries.is_empty() {
        // A file refused (exit 1), as README says: the data is wrong, not the command line.
        anyhow::bail!(msg!("par.no_rows", file = args.assessment.display()));
    }
    let store = Store::open(&args.store.store)?;
    let seed = args.par_method.seed.unwrap_or(method.seed);
    let as_of = crate::annual::plan_as_of(args.year, super::as_of(args.as_of.as_ref())?);
    let inputs = ParInputs::load(
        &store,
        &store.manifest()?,
        &method,
        args.year,
        &args.plan,
        as_of,
    )?;
    let result = par::compute(&method, &assessment, &inputs.inputs(), seed);
    let surveys = &inputs.surveys;
    let outputs = crate::files::Outputs::begin(&args.out)?;
    crate::render::par::write_all(outputs.dir(), args.year, &method, &result, lang)?;
    outputs.commit()?;
    let assessed = assessment.units();
    let unassessed: Vec<&str> = surveys
        .units()
        .into_iter()
        .filter(|u| !assessed.contains(u))
        .collect();
    if !unassessed.is_empty() {
        tell!(
            "{}",
            msg!(
                "par.unassessed",
                count = unassessed.len(),
                units = unassessed.join(", ")
            )
        );
    }
    let flagged = result.totals.iter().filter(|t| !t.flag.is_empty()).count();
    say!(
        "{}",
        msg!(
            "par.summary",
            method = method.id,
            year = args.year,
            units = result.totals.len(),
            title = lang.pick(&method.title_vi, &method.title_en),
            flagged = flagged
        )
    );
    for t in &result.totals {
        let shown = |x: Option<f64>| {
            x.map_or("—".to_string(), |x| {
                crate::lang::number(x, method.decimals as usize, lang)
            })
        };
        say!(
            "  {:<20} {:>7}  {}  {} {} ({}–{}){}",
            t.unit_id,
            shown(t.index_pct),
            t.band.as_deref().unwrap_or("—"),
            msg!("par.rank"),
            t.rank.map_or("—".into(), |r| r.to_string()),
            t.rank_low.map_or("—".into(), |r| r.to_string()),
            t.rank_high.map_or("—".into(), |r| r.to_string()),
            if t.flag.is_empty() {
                String::new()
            } else {
                format!("  [{}]", t.flag)
            }
        );
    }
    say!(
        "{}",
        msg!(
            "par.wrote",
            path = args.out.join("par_totals.csv").display()
        )
    );
    Ok(ExitCode::SUCCESS)
}
