//! `chiso batches`: what the store holds, batch by batch.

use std::process::ExitCode;

use crate::cli::BatchesArgs;
use crate::store::Store;

pub fn run(args: BatchesArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open(&args.store.store)?;
    let manifest = store.manifest()?;
    if args.json {
        say!("{}", serde_json::to_string_pretty(&manifest.batches)?);
        return Ok(ExitCode::SUCCESS);
    }
    if manifest.batches.is_empty() {
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
    for b in &manifest.batches {
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
    }
    Ok(ExitCode::SUCCESS)
}
