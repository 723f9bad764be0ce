//! `chiso surveys`: the questionnaires chiso knows; `chiso surveys ID`: one of them, as text,
//! as JSON, or written out to edit.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::SurveysArgs;
use crate::error::UsageError;
use crate::instrument::{self, Instrument};
use crate::msg;

pub fn run(args: SurveysArgs, lang: crate::lang::Lang) -> anyhow::Result<ExitCode> {
    let Some(id) = &args.survey else {
        return list(args.json);
    };
    let inst = instrument::load(id)?;
    if let Some(path) = &args.export {
        if path.exists() {
            return Err(UsageError(msg!("surveys.exists", path = path.display())).into());
        }
        let text = instrument::definition_text(id)?;
        crate::files::replace_beside(path, text.as_bytes())
            .with_context(|| msg!("cmd.cannot_write", path = path.display()))?;
        say!(
            "{}",
            msg!(
                "surveys.exported",
                path = path.display(),
                survey = inst.id,
                version = inst.version
            )
        );
        return Ok(ExitCode::SUCCESS);
    }
    if args.json {
        say!("{:#}", instrument::describe(&inst));
        return Ok(ExitCode::SUCCESS);
    }
    show(&inst, lang);
    Ok(ExitCode::SUCCESS)
}

fn list(json: bool) -> anyhow::Result<ExitCode> {
    let all = instrument::shipped()?;
    if json {
        let v: Vec<_> = all.iter().map(instrument::describe).collect();
        say!("{:#}", serde_json::Value::Array(v));
        return Ok(ExitCode::SUCCESS);
    }
    say!(
        "{:<22}  {:<26}  {:<9}  {:>8}  {:>5}  {:>9}  {}",
        msg!("surveys.h.survey"),
        msg!("surveys.h.version"),
        msg!("surveys.h.years"),
        msg!("surveys.h.elements"),
        msg!("surveys.h.items"),
        msg!("surveys.h.questions"),
        msg!("surveys.h.title")
    );
    for i in all {
        say!(
            "{:<22}  {:<26}  {:<9}  {:>8}  {:>5}  {:>9}  {}{}",
            i.id,
            i.version,
            format!("{}–{}", i.years[0], i.years[1]),
            i.elements.len(),
            i.scored_items().count(),
            i.questions.len(),
            i.title_vi,
            if i.modelled {
                msg!("surveys.modelled")
            } else {
                String::new()
            }
        );
    }
    say!("\n{}", msg!("surveys.list_note"));
    Ok(ExitCode::SUCCESS)
}

/// One questionnaire in words: its columns, then each element's questions with their headers
/// and scales.
fn show(inst: &Instrument, lang: crate::lang::Lang) {
    say!(
        "{} ({}), {}–{}",
        inst.id,
        inst.version,
        inst.years[0],
        inst.years[1]
    );
    say!("{}", lang.pick(&inst.title_vi, &inst.title_en));
    say!("{}", inst.legal_basis);
    say!("\n{}", msg!("surveys.columns"));
    for c in crate::instrument::StandardColumn::ALL {
        say!(
            "  {:<16} {}{}",
            c.name(),
            inst.header_of(c),
            if c.required() {
                msg!("surveys.required")
            } else {
                String::new()
            }
        );
    }
    for c in &inst.columns {
        say!(
            "  {:<16} {}  {}{}{}",
            c.name,
            c.header(),
            lang.pick(&c.vi, &c.en),
            c.values
                .as_ref()
                .map_or(String::new(), |v| format!("  [{}]", v.join(", "))),
            if c.pii {
                msg!("surveys.pii")
            } else {
                String::new()
            }
        );
    }
    let mut groups: Vec<(Option<&str>, String)> = inst
        .elements
        .iter()
        .map(|e| {
            (
                Some(e.code.as_str()),
                format!("{} {}", e.code, lang.pick(&e.vi, &e.en)),
            )
        })
        .collect();
    groups.push((None, msg!("surveys.outside_index")));
    for (code, title) in groups {
        let qs: Vec<_> = inst
            .questions
            .iter()
            .filter(|q| q.element.as_deref() == code)
            .collect();
        if qs.is_empty() {
            continue;
        }
        say!("\n{title}:");
        for q in qs {
            let s = &q.scale;
            let codes = match &s.values {
                Some(v) => v
                    .iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                None => format!("{}–{}", s.min, s.max),
            };
            say!(
                "  {:<10} {:<12} [{codes}{}{}]{}  {}",
                q.code,
                q.header,
                if s.not_applicable.is_empty() {
                    String::new()
                } else {
                    msg!("surveys.na", codes = format!("{:?}", s.not_applicable))
                },
                if s.no_answer.is_empty() {
                    String::new()
                } else {
                    msg!("surveys.blank", codes = format!("{:?}", s.no_answer))
                },
                if q.optional {
                    msg!("surveys.optional")
                } else {
                    String::new()
                },
                lang.pick(&q.vi, &q.en)
            );
        }
    }
}
