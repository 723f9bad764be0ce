//! `chiso ingest`: check batches and store the accepted answers, exactly once.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Context;

use super::exit;
use crate::cli::{IngestArgs, ReadArgs};
use crate::ingest::{CheckOptions, CheckedBatch, ReadOptions, Refusal, check_file};
use crate::store::{BatchEntry, NewBatch, Store};

pub fn run(args: IngestArgs) -> anyhow::Result<ExitCode> {
    let inst = super::instrument_for(&args.survey.survey, Some(args.survey.year))?;
    let store = Store::open_or_create(&args.store.store)?;
    let lock = store.lock()?;
    let manifest = store.manifest()?;
    store.sweep(&lock, &manifest)?;
    let mut stored = store
        .stored_ids(&manifest, &inst.id, args.survey.year)
        .context("reading the respondent ids already stored")?;
    let mut opts = CheckOptions {
        instrument: &inst,
        year: Some(args.survey.year),
        read: read_options(&args.read),
        keep_pii: args.keep_pii,
        progress: std::io::stderr().is_terminal(),
        keep_ids: false,
    };
    let mut checked: Vec<(CheckedBatch, PathBuf)> = Vec::new();
    let mut refused = 0;
    for (k, path) in args.files.iter().enumerate() {
        // Later files of this run must not repeat this one's respondents.
        opts.keep_ids = k + 1 < args.files.len();
        let mut data = store.data_writer(&lock, &format!("part-{k}"))?;
        match check_file(path, &opts, &stored, Some(&mut data)) {
            Err(r) => {
                data.discard();
                report_refusal(&r);
                refused += 1;
            }
            Ok(b) => {
                if let Some(prev) = manifest.find(&b.id) {
                    data.discard();
                    say!(
                        "{}: already stored as batch {} (ingested {}): nothing changed",
                        b.file,
                        prev.short_id(),
                        prev.ingested_at
                    );
                    continue;
                }
                if checked.iter().any(|(c, _)| c.id == b.id) {
                    data.discard();
                    say!(
                        "{}: same content as an earlier file of this run: skipped",
                        b.file
                    );
                    continue;
                }
                stored.extend(b.accepted_ids.iter().cloned());
                let data = data.finish().map_err(|e| Refusal::Store {
                    file: b.file.clone(),
                    message: e.to_string(),
                })?;
                checked.push((b, data));
            }
        }
    }
    if refused > 0 {
        for (_, data) in &checked {
            let _ = std::fs::remove_file(data);
        }
        tell!(
            "nothing stored: {refused} of {} file(s) refused",
            args.files.len()
        );
        return Ok(ExitCode::from(exit::REFUSED));
    }
    let ingested_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let mut batches = Vec::with_capacity(checked.len());
    for (b, data) in &checked {
        let dir = format!("survey={}/year={}", inst.id, args.survey.year);
        let quarantine_file = (!b.violations.is_empty())
            .then(|| format!("quarantine/{dir}/batch-{}.csv", b.short_id()));
        batches.push(NewBatch {
            entry: BatchEntry {
                id: b.id.clone(),
                survey: inst.id.clone(),
                survey_version: inst.version.clone(),
                year: args.survey.year,
                source: b.file.clone(),
                format: b.format.to_string(),
                rows_read: b.rows_read,
                accepted: b.accepted,
                quarantined: b.quarantined_rows,
                data_file: format!("data/{dir}/batch-{}.parquet", b.short_id()),
                quarantine_file,
                ingested_at: ingested_at.clone(),
                ignored_columns: b.ignored_columns.clone(),
                pii_kept: args.keep_pii,
            },
            data: data.clone(),
            quarantine_csv: (!b.violations.is_empty())
                .then(|| quarantine_csv(b))
                .transpose()?,
        });
    }
    let entries: Vec<BatchEntry> = batches.iter().map(|b| b.entry.clone()).collect();
    if let Err(e) = store.commit(&lock, manifest, batches) {
        for (_, data) in &checked {
            let _ = std::fs::remove_file(data);
        }
        return Err(anyhow::Error::new(e).context(
            "the batches could not be stored; the store is as it was before this run\n  hint: the files are fine; free disk space or fix the store folder's permissions, then run again",
        ));
    }
    let mut code = exit::OK;
    for ((b, _), e) in checked.iter().zip(&entries) {
        print_summary(b, args.read.show);
        say!(
            "  stored as batch {} in {}",
            e.short_id(),
            store.root().display()
        );
        if let Some(q) = &e.quarantine_file {
            say!(
                "  quarantined rows and reasons: {}",
                store.path_of(q).display()
            );
            code = exit::QUARANTINED;
        }
    }
    Ok(ExitCode::from(code))
}

pub(super) fn read_options(r: &ReadArgs) -> ReadOptions {
    ReadOptions {
        sheet: r.sheet.clone(),
        encoding: r.encoding.clone(),
    }
}

pub(super) fn report_refusal(r: &Refusal) {
    tell!("error: {r}");
    if !matches!(r, Refusal::Store { .. }) {
        tell!("  the file was refused whole; fix it and run again");
    }
}

/// The summary of one checked file, and its first problems on stderr.
pub(super) fn print_summary(b: &CheckedBatch, show: usize) {
    say!("{} ({})", b.file, b.format);
    say!("  rows read     {:>9}", b.rows_read);
    say!("  accepted      {:>9}", b.accepted);
    let reasons: Vec<String> = b
        .by_rule
        .iter()
        .map(|(r, n)| format!("{} {n}", r.code()))
        .collect();
    if reasons.is_empty() {
        say!("  quarantined   {:>9}", b.quarantined_rows);
    } else {
        say!(
            "  quarantined   {:>9}   ({})",
            b.quarantined_rows,
            reasons.join(", ")
        );
    }
    if b.blank_rows > 0 {
        say!("  blank rows skipped {:>4}", b.blank_rows);
    }
    if !b.ignored_columns.is_empty() {
        say!(
            "warning: columns not in the questionnaire, ignored: {}",
            b.ignored_columns.join(", ")
        );
    }
    if !b.pii_dropped.is_empty() {
        say!(
            "note: columns identifying people not stored (use --keep-pii to keep them): {}",
            b.pii_dropped.join(", ")
        );
    }
    let mut hinted = HashSet::new();
    for v in b.violations.iter().take(show) {
        tell!(
            "{}:{}: {}: {} [{}]",
            b.file,
            v.line,
            v.column,
            v.message,
            v.rule.code()
        );
        if hinted.insert(v.rule) {
            tell!("  hint: {}", v.rule.hint());
        }
    }
    if b.violations.len() > show {
        tell!(
            "{}: … and {} more problems",
            b.file,
            b.violations.len() - show
        );
    }
}

/// The quarantine file: one line per broken rule.
fn quarantine_csv(b: &CheckedBatch) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "line",
        "respondent_id",
        "column",
        "value",
        "rule",
        "message",
    ])?;
    for v in &b.violations {
        w.write_record([
            v.line.to_string().as_str(),
            &v.respondent_id,
            &v.column,
            &v.value,
            v.rule.code(),
            &v.message,
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}
