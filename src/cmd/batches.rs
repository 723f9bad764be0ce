//! `chiso batches`: what the store holds, batch by batch; `chiso batches retract`: withdraw one.

use std::process::ExitCode;
use std::time::SystemTime;

use crate::cli::{BatchesAction, BatchesArgs};
use crate::store::Store;

pub fn run(args: BatchesArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open(&args.store.store)?;
    if let Some(BatchesAction::Retract { id, reason }) = &args.action {
        let at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
        let b = store.retract(id, reason, &at)?;
        say!(
            "batch {} ({} {}, {} rows from {}) withdrawn: it no longer counts; its files stay (chiso batches --all)",
            b.short_id(),
            b.survey,
            b.year,
            b.accepted,
            b.source
        );
        return Ok(ExitCode::SUCCESS);
    }
    let manifest = store.manifest()?;
    let shown: Vec<_> = manifest
        .batches
        .iter()
        .filter(|b| args.all || b.retracted.is_none())
        .collect();
    if args.json {
        say!("{}", serde_json::to_string_pretty(&shown)?);
        return Ok(ExitCode::SUCCESS);
    }
    if shown.is_empty() {
        say!("no batches in {}", store.root().display());
        return Ok(ExitCode::SUCCESS);
    }
    say!(
        "{:<12}  {:<18}  {:>4}  {:>9}  {:>11}  {:<20}  source",
        "batch",
        "survey",
        "year",
        "accepted",
        "quarantined",
        "ingested (UTC)"
    );
    for b in shown {
        say!(
            "{:<12}  {:<18}  {:>4}  {:>9}  {:>11}  {:<20}  {}",
            b.short_id(),
            b.survey,
            b.year,
            b.accepted,
            b.quarantined,
            b.ingested_at,
            b.source
        );
        if let Some(r) = &b.retracted {
            say!(
                "              withdrawn {}: {}{}",
                r.at,
                r.reason,
                r.replaced_by.as_deref().map_or(String::new(), |by| format!(
                    " (replaced by {})",
                    &by[..12.min(by.len())]
                ))
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
