//! `chiso compare`: what changed between years, and whether the change is real.

use std::process::ExitCode;

use crate::annual::{compare_years, score_year, trend_rows};
use crate::cli::CompareArgs;
use crate::compare::{Change, Direction, par_changes};
use crate::error::UsageError;
use crate::lang::Lang;
use crate::msg;
use crate::par::{self, ParResult};
use crate::render::compare as out;
use crate::store::{Manifest, Store};

pub fn run(args: CompareArgs, lang: crate::lang::Lang) -> anyhow::Result<ExitCode> {
    let store = Store::open(&args.store.store)?;
    let manifest = store.manifest()?;
    let outputs = crate::files::Outputs::begin(&args.out)?;
    if args.par {
        return run_par(&args, outputs, &store, &manifest, lang);
    }
    let survey = args.survey.clone().unwrap_or_default();
    let mut years: Vec<i32> = match (args.from, args.to) {
        (Some(f), Some(t)) => vec![f, t],
        _ => args.years.clone(),
    };
    let trend = args.from.is_none();
    years.sort_unstable();
    years.dedup();
    if years.len() < 2 {
        return Err(UsageError(msg!("compare.two_years")).into());
    }
    let scored = years
        .iter()
        .map(|&y| score_year(&store, &manifest, &survey, y))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let id = scored.last().map(|y| y.inst.id.clone()).unwrap_or_default();
    let labels = scored.last().map(|y| y.method.labels(&y.inst, lang));
    let (changes, excluded) = compare_years(&scored.iter().collect::<Vec<_>>())?;
    let excluded_path = args.out.join("compare_excluded.csv");
    let (n, up, down) = {
        let all: Vec<&Change> = changes.iter().flatten().collect();
        (
            all.len(),
            all.iter()
                .filter(|c| c.direction == Some(Direction::Up))
                .count(),
            all.iter()
                .filter(|c| c.direction == Some(Direction::Down))
                .count(),
        )
    };
    let main = if trend {
        let rows = trend_rows(&scored, &changes);
        let path = args.out.join("trend.csv");
        out::write_excluded(&outputs.dir().join("compare_excluded.csv"), &id, &excluded)?;
        out::write_trend_csv(&outputs.dir().join("trend.csv"), &id, &rows)?;
        out::write_xlsx(
            &outputs.dir().join("compare.xlsx"),
            &id,
            labels.as_ref(),
            None,
            Some(&rows),
            &excluded,
            None,
            lang,
        )?;
        path
    } else {
        out::write_changes(
            outputs.dir(),
            &id,
            labels.as_ref(),
            &changes[0],
            &excluded,
            lang,
        )?;
        args.out.join("compare.csv")
    };
    outputs.commit()?;
    say!(
        "{}",
        msg!(
            "compare.summary",
            survey = id,
            years = years
                .iter()
                .map(|y| y.to_string())
                .collect::<Vec<_>>()
                .join(" → "),
            tested = n,
            up = up,
            down = down,
            excluded = excluded.len()
        )
    );
    for y in &scored {
        say!("  {}: {} ({})", y.year, y.inst.id, y.inst.version);
    }
    say!(
        "{}",
        msg!(
            "compare.wrote",
            path = main.display(),
            excluded = excluded_path.display()
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// `chiso compare --par`: the CCHC index of two years.
fn run_par(
    args: &CompareArgs,
    outputs: crate::files::Outputs,
    store: &Store,
    manifest: &Manifest,
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    let (Some(from), Some(to), Some(af), Some(at)) = (
        args.from,
        args.to,
        args.assessment_from.as_ref(),
        args.assessment_to.as_ref(),
    ) else {
        return Err(UsageError(msg!("compare.par_needs")).into());
    };
    let method = par::load(&args.par_method.method)?;
    let seed = args.par_method.seed.unwrap_or(method.seed);
    let year = |y: i32,
                file: &std::path::Path,
                plans: &[crate::annual::PlanFile]|
     -> anyhow::Result<ParResult> {
        let a = par::assessment::read(file, &method)?;
        let inputs = crate::annual::ParInputs::load(
            store,
            manifest,
            &method,
            y,
            plans,
            crate::annual::plan_as_of(y, None),
        )?;
        Ok(par::compute(&method, &a, &inputs.inputs(), seed))
    };
    let (rf, rt) = (
        year(from, af, &args.plan_from)?,
        year(to, at, &args.plan_to)?,
    );
    let rows = par_changes(&rf, &rt, method.ci_level);
    let path = args.out.join("compare_par.csv");
    out::write_par_changes(outputs.dir(), &method.id, (from, to), &rows, lang)?;
    outputs.commit()?;
    say!(
        "{}",
        msg!(
            "compare.par_summary",
            method = method.id,
            from = from,
            to = to,
            units = rows.len()
        )
    );
    for r in &rows {
        say!(
            "  {:<20} {:>7} → {:>7}  {:+.2} [{:+.2}, {:+.2}]  {}",
            r.unit_id,
            r.index_from.map_or("—".into(), |x| format!("{x:.2}")),
            r.index_to.map_or("—".into(), |x| format!("{x:.2}")),
            r.index_change.unwrap_or(f64::NAN),
            r.ci_low.unwrap_or(f64::NAN),
            r.ci_high.unwrap_or(f64::NAN),
            r.direction.map_or("—", |d| d.label(lang))
        );
    }
    say!("{}", msg!("compare.par_wrote", path = path.display()));
    Ok(ExitCode::SUCCESS)
}
