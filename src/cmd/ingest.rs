//! `chiso ingest`: check batches and store the accepted answers, exactly once.

use std::io::IsTerminal;
use std::process::ExitCode;

use super::{exit, print_summary, read_options, report_refusal};
use crate::cli::IngestArgs;
use crate::ingest::{CheckOptions, FileOutcome, ingest_files};
use crate::msg;
use crate::store::Store;

pub fn run(args: IngestArgs) -> anyhow::Result<ExitCode> {
    if let Some(layout) = crate::qd766::layout::find(&args.survey.survey)? {
        return run_records(&args, &layout);
    }
    let inst = crate::annual::instrument_for(&args.survey.survey, Some(args.survey.year))?;
    // A store made by this run and left empty (every file refused) is removed again.
    let dir = &args.store.store;
    let (fresh, existed) = (Store::is_new(dir)?, dir.exists());
    let store = Store::open_or_create(dir)?;
    let opts = CheckOptions {
        instrument: &inst,
        year: Some(args.survey.year),
        read: read_options(&args.read),
        keep_pii: args.keep_pii,
        progress: std::io::stderr().is_terminal(),
        keep_ids: false,
        bad_answer: args.read.bad_answer,
    };
    let reason = args
        .reason
        .clone()
        .unwrap_or_else(|| msg!("ingest.default_reason"));
    let replaces = args.replaces.as_deref().map(|id| crate::ingest::Replaces {
        id,
        reason: &reason,
    });
    let run = ingest_files(&store, &opts, &args.files, replaces)?;
    let mut code = exit::OK;
    for f in &run.files {
        match f {
            FileOutcome::Refused(r) => report_refusal(r),
            FileOutcome::AlreadyStored {
                file,
                batch,
                ingested_at,
            } => say!(
                "{}",
                msg!(
                    "ingest.already_stored",
                    file = file,
                    batch = batch,
                    at = ingested_at
                )
            ),
            FileOutcome::Repeated { file } => {
                say!("{}", msg!("ingest.repeated", file = file))
            }
            FileOutcome::Checked { batch, entry } if run.stored => {
                print_summary(batch, args.read.show);
                say!(
                    "{}",
                    msg!(
                        "ingest.stored_as",
                        batch = entry.short_id(),
                        store = store.root().display()
                    )
                );
                if let Some(old) = &args.replaces {
                    say!("{}", msg!("ingest.replaces", batch = old));
                }
                if let Some(q) = &entry.quarantine_file {
                    say!(
                        "{}",
                        msg!("ingest.quarantine_file", path = store.path_of(q).display())
                    );
                    code = exit::QUARANTINED;
                }
            }
            FileOutcome::Checked { .. } => {}
        }
    }
    if !run.stored {
        if fresh {
            store.remove_unused(existed)?;
        }
        tell!(
            "{}",
            msg!(
                "ingest.nothing_stored",
                refused = run.refused,
                files = args.files.len()
            )
        );
        return Ok(ExitCode::from(exit::REFUSED));
    }
    Ok(ExitCode::from(code))
}

/// Record exports: each file read by its layout and stored, the latest state of a record
/// replacing the earlier.
fn run_records(
    args: &IngestArgs,
    layout: &crate::qd766::layout::Layout,
) -> anyhow::Result<ExitCode> {
    let year = args.survey.year;
    let as_of = super::as_of(args.as_of.as_ref())?;
    // A store made by this run and left empty (the first file refused) is removed again.
    let dir = &args.store.store;
    let (fresh, existed) = (Store::is_new(dir)?, dir.exists());
    let store = Store::open_or_create(dir)?;
    let mut code = exit::OK;
    for path in &args.files {
        let run = match crate::qd766::ingest::ingest_records(&store, layout, year, path, as_of) {
            Ok(run) => run,
            Err(e) => {
                if fresh {
                    store.remove_unused(existed)?;
                }
                return Err(e);
            }
        };
        if run.already_stored {
            say!(
                "{}",
                msg!("records.already", file = run.file, batch = run.batch)
            );
            continue;
        }
        for v in run.violations.iter().take(20) {
            say!(
                "{}",
                msg!(
                    "records.quarantine_line",
                    file = run.file,
                    line = v.line,
                    column = v.column,
                    value = v.value,
                    rule = v.rule,
                    message = v.message
                )
            );
        }
        say!(
            "{}",
            msg!(
                "records.summary",
                survey = layout.id,
                year = year,
                as_of = run.as_of,
                read = run.rows_read,
                accepted = run.accepted,
                new = run.new,
                updated = run.updated,
                unchanged = run.unchanged,
                quarantined = run.quarantined
            )
        );
        say!(
            "{}",
            msg!(
                "records.stored",
                batch = run.batch,
                store = store.root().display()
            )
        );
        if run.quarantined > 0 {
            code = exit::QUARANTINED;
        }
    }
    Ok(ExitCode::from(code))
}
