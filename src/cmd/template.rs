//! `chiso template`: the workbook an office types paper forms into.

use std::process::ExitCode;

use anyhow::Context as _;
use unicode_normalization::UnicodeNormalization;

use crate::cli::TemplateArgs;
use crate::error::UsageError;

pub fn run(args: TemplateArgs) -> anyhow::Result<ExitCode> {
    if args.out.exists() {
        return Err(UsageError(format!(
            "{} exists; chiso does not overwrite it (it may hold typed forms)\n  hint: choose a new file name",
            args.out.display()
        ))
        .into());
    }
    // The units file: one unit per line; each checked as ingest checks a unit_id.
    let mut units: Vec<String> = Vec::new();
    if let Some(f) = &args.units {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read the units file {}", f.display()))?;
        for (k, line) in text.lines().enumerate() {
            let u: String = line.trim().trim_start_matches('\u{feff}').nfc().collect();
            if u.is_empty() {
                continue;
            }
            if let Some(problem) = crate::ingest::unit_id_problem(&u) {
                return Err(UsageError(format!(
                    "{}:{}: unit \"{}\": {problem}\n  hint: one commune, agency or school per line, at most 100 characters",
                    f.display(),
                    k + 1,
                    crate::ingest::quote_value(u.as_bytes())
                ))
                .into());
            }
            units.push(u);
        }
    }
    let Some(survey) = &args.survey else {
        if units.is_empty() {
            return Err(UsageError(
                "the assessment template needs the units: --units FILE, one unit per line".into(),
            )
            .into());
        }
        let method = crate::par::load(&args.method)?;
        let bytes = crate::render::template::build_par(&method, &units, args.lang)?;
        crate::files::replace_beside(&args.out, &bytes)
            .with_context(|| format!("cannot write {}", args.out.display()))?;
        say!(
            "wrote {}: the CCHC assessment of {} units under {}; fill in self_score (and appraised_score), then `chiso par --assessment {}`",
            args.out.display(),
            units.len(),
            method.id,
            args.out.display()
        );
        return Ok(ExitCode::SUCCESS);
    };
    let inst = crate::instrument::load(survey)?;
    let bytes = crate::render::template::build(&inst, &units, args.lang)?;
    crate::files::replace_beside(&args.out, &bytes)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    say!(
        "wrote {}: the template of {} ({}), {} columns{}; type one form per row, then `chiso ingest --survey {} --year YYYY {}`",
        args.out.display(),
        inst.id,
        inst.version,
        2 + inst.columns.iter().filter(|c| !c.pii).count() + inst.questions.len(),
        if units.is_empty() {
            String::new()
        } else {
            format!(", {} units in its list", units.len())
        },
        inst.id,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
