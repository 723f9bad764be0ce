//! `chiso template`: the workbook an office types paper forms into.

use std::process::ExitCode;

use anyhow::Context as _;
use unicode_normalization::UnicodeNormalization;

use crate::cli::TemplateArgs;
use crate::error::UsageError;
use crate::msg;

pub fn run(args: TemplateArgs, lang: crate::lang::Lang) -> anyhow::Result<ExitCode> {
    if args.out.exists() {
        return Err(UsageError(msg!("template.exists", path = args.out.display())).into());
    }
    // The units file: one unit per line; each checked as ingest checks a unit_id.
    let mut units: Vec<String> = Vec::new();
    if let Some(f) = &args.units {
        let text = std::fs::read_to_string(f)
            .with_context(|| msg!("template.units_unreadable", path = f.display()))?;
        for (k, line) in text.lines().enumerate() {
            let u: String = line.trim().trim_start_matches('\u{feff}').nfc().collect();
            if u.is_empty() {
                continue;
            }
            if let Some(problem) = crate::ingest::unit_id_problem(&u) {
                return Err(UsageError(msg!(
                    "template.bad_unit",
                    file = f.display(),
                    line = k + 1,
                    unit = crate::ingest::quote_value(u.as_bytes()),
                    problem = problem
                ))
                .into());
            }
            units.push(u);
        }
    }
    let Some(survey) = &args.survey else {
        if units.is_empty() {
            return Err(UsageError(msg!("template.needs_units")).into());
        }
        let method = crate::par::load(&args.method)?;
        let bytes = crate::render::template::build_par(&method, &units, lang)?;
        crate::files::replace_beside(&args.out, &bytes)
            .with_context(|| msg!("cmd.cannot_write", path = args.out.display()))?;
        say!(
            "{}",
            msg!(
                "template.wrote_par",
                path = args.out.display(),
                units = units.len(),
                method = method.id
            )
        );
        return Ok(ExitCode::SUCCESS);
    };
    let inst = crate::instrument::load(survey)?;
    let bytes = crate::render::template::build(&inst, &units, lang)?;
    crate::files::replace_beside(&args.out, &bytes)
        .with_context(|| msg!("cmd.cannot_write", path = args.out.display()))?;
    say!(
        "{}",
        msg!(
            "template.wrote",
            path = args.out.display(),
            survey = inst.id,
            version = inst.version,
            columns = 2 + inst.columns.iter().filter(|c| !c.pii).count() + inst.questions.len(),
            units = if units.is_empty() {
                String::new()
            } else {
                msg!("template.units_listed", count = units.len())
            }
        )
    );
    Ok(ExitCode::SUCCESS)
}
