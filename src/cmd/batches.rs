//! `chiso batches`: what the store holds, batch by batch; `chiso batches retract`: withdraw one.

use std::process::ExitCode;
use std::time::SystemTime;

use crate::cli::{BatchesAction, BatchesArgs};
use crate::msg;
use crate::store::Store;

pub fn run(args: BatchesArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open(&args.store.store)?;
    if let Some(BatchesAction::Retract { id, reason }) = &args.action {
        let at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
        let b = store.retract(id, reason, &at)?;
        say!(
            "{}",
            msg!(
                "batches.withdrawn",
                batch = b.short_id(),
                survey = b.survey,
                year = b.year,
                rows = b.accepted,
                source = b.source
            )
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
        say!("{}", msg!("batches.none", path = store.root().display()));
        return Ok(ExitCode::SUCCESS);
    }
    say!(
        "{:<12}  {:<18}  {:>4}  {:>9}  {:>11}  {:<20}  {}",
        msg!("batches.h.batch"),
        msg!("batches.h.survey"),
        msg!("batches.h.year"),
        msg!("batches.h.accepted"),
        msg!("batches.h.quarantined"),
        msg!("batches.h.ingested"),
        msg!("batches.h.source")
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
                "              {}",
                match r.replaced_by.as_deref() {
                    Some(by) => msg!(
                        "batches.was_replaced",
                        at = r.at,
                        reason = r.reason,
                        by = &by[..12.min(by.len())]
                    ),
                    None => msg!("batches.was_withdrawn", at = r.at, reason = r.reason),
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
