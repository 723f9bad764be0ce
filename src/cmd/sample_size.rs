//! `chiso sample-size`: forms needed per unit for a target margin of error.

use std::process::ExitCode;

use crate::cli::SampleSizeArgs;
use crate::error::UsageError;
use crate::msg;
use crate::sample_size::{self, Target};
use crate::store::Store;

pub fn run(args: SampleSizeArgs, lang: crate::lang::Lang) -> anyhow::Result<ExitCode> {
    let year = args.survey.year;
    // The year planned may lie beyond the questionnaire's years (next year's survey).
    let inst = crate::annual::instrument_for(&args.survey.survey, None)?;
    let bad = |name: &str, value: f64, range: &str| {
        UsageError(msg!(
            "sample.bad",
            name = name,
            value = value,
            range = range
        ))
    };
    if !(args.margin > 0.0 && args.margin <= 50.0) {
        return Err(bad("--margin", args.margin, "0 < margin ≤ 50").into());
    }
    if !(0.5..1.0).contains(&args.level) {
        return Err(bad("--level", args.level, "0.5 ≤ level < 1").into());
    }
    if !(args.expected > 0.0 && args.expected < 100.0) {
        return Err(bad("--expected", args.expected, "0 < expected < 100").into());
    }
    let frame = crate::frame::read(&args.frame, &inst)?;
    if frame.columns != ["unit_id"] {
        return Err(UsageError(msg!(
            "sample.frame_columns",
            file = args.frame.display(),
            columns = frame.columns.join(", ")
        ))
        .into());
    }
    let units: Vec<(String, f64)> = frame.cells.iter().map(|(v, p)| (v.concat(), *p)).collect();
    // Last year's figures, when a store holds them.
    let last = match &args.store {
        None => None,
        Some(dir) => {
            let store = Store::open(dir)?;
            let manifest = store.manifest()?;
            if manifest
                .batches_of(&inst.id, year - 1)
                .any(|b| b.accepted > 0)
            {
                let y =
                    crate::annual::score_year(&store, &manifest, &args.survey.survey, year - 1)?;
                say!(
                    "{}",
                    msg!("sample.last_year", survey = inst.id, year = year - 1)
                );
                Some(y.estimates)
            } else {
                say!(
                    "{}",
                    msg!("sample.no_last_year", survey = inst.id, year = year - 1)
                );
                None
            }
        }
    };
    let target = Target {
        margin_pts: args.margin,
        level: args.level,
        expected_pct: args.expected,
    };
    let needs = sample_size::plan(&units, target, last.as_ref());
    let outputs = crate::files::Outputs::begin(&args.out)?;
    crate::render::sample_size::write_all(outputs.dir(), &needs, target, lang)?;
    outputs.commit()?;
    say!(
        "{}",
        msg!(
            "sample.header",
            survey = inst.id,
            year = year,
            margin = crate::lang::number(args.margin, 1, lang),
            level = (args.level * 100.0).round()
        )
    );
    say!("{}", msg!("sample.columns"));
    for n in &needs {
        let design = n
            .design_n
            .map(|x| x.to_string())
            .unwrap_or_else(|| "—".to_string());
        say!(
            "  {:<20} {:>9} {:>9} {:>9} {:>9}",
            n.unit_id,
            n.population,
            n.slovin_n,
            n.srs_n,
            design
        );
    }
    say!(
        "{}",
        msg!(
            "sample.wrote",
            path = args.out.join("sample_size.csv").display()
        )
    );
    Ok(ExitCode::SUCCESS)
}
