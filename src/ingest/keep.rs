//! Ingest into a store: check every file of a run, then store the accepted answers of all of
//! them at once — or, when any file is refused, nothing.

use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::Context as _;

use super::{CheckOptions, CheckedBatch, Refusal, check_file};
use crate::store::{BatchEntry, NewBatch, Store};

/// What happened to one file of a run, in the order given.
pub enum FileOutcome {
    /// Refused whole: nothing of the run is stored.
    Refused(Refusal),
    /// The same batch is already in the store.
    AlreadyStored {
        file: String,
        batch: String,
        ingested_at: String,
    },
    /// The same content as an earlier file of this run.
    Repeated { file: String },
    /// Checked; stored when the run stored anything ([`Ingested::stored`]).
    Checked {
        batch: Box<CheckedBatch>,
        entry: Box<BatchEntry>,
    },
}

/// The outcome of a run.
pub struct Ingested {
    pub files: Vec<FileOutcome>,
    /// Whether the checked batches were stored (false when any file was refused).
    pub stored: bool,
    pub refused: usize,
}

/// A batch the run's batches replace: withdrawn in the same commit that stores them.
pub struct Replaces<'a> {
    /// The id, or its first characters (at least 6).
    pub id: &'a str,
    pub reason: &'a str,
}

/// Checks `files` against `opts.instrument` and stores their accepted answers in `store`, as
/// one commit: every file or none. `opts.year` must be set. With `replaces`, that batch (of
/// the same survey and year) is withdrawn in the same commit, and its respondents are no
/// conflict for the new ones.
pub fn ingest_files(
    store: &Store,
    opts: &CheckOptions,
    files: &[PathBuf],
    replaces: Option<Replaces<'_>>,
) -> anyhow::Result<Ingested> {
    let inst = opts.instrument;
    let year = opts
        .year
        .with_context(|| crate::msg!("ingest.needs_year"))?;
    let lock = store.lock()?;
    let mut manifest = store.manifest()?;
    store.sweep(&lock, &manifest)?;
    let replaced = match &replaces {
        Some(r) => {
            let b = manifest
                .find_prefix(r.id)
                .map_err(crate::store::StoreError::Batch)?;
            if let Some(x) = &b.retracted {
                anyhow::bail!(crate::store::StoreError::Batch(crate::msg!(
                    "ingest.replaces_withdrawn",
                    batch = b.short_id(),
                    at = x.at,
                    reason = x.reason
                )));
            }
            if b.survey != inst.id || b.year != year {
                anyhow::bail!(crate::store::StoreError::Batch(crate::msg!(
                    "ingest.replaces_other",
                    batch = b.short_id(),
                    survey = b.survey,
                    year = b.year,
                    want_survey = inst.id,
                    want_year = year
                )));
            }
            Some(b.id.clone())
        }
        None => None,
    };
    // The replaced batch's respondents are no conflict: it stops counting in this commit.
    let counted = match &replaced {
        Some(id) => {
            let mut m = manifest.clone();
            m.batches.retain(|b| &b.id != id);
            m
        }
        None => manifest.clone(),
    };
    let mut stored_ids = store
        .stored_ids(&counted, &inst.id, year)
        .with_context(|| crate::msg!("ingest.reading_ids"))?;
    let mut opts = CheckOptions {
        read: opts.read.clone(),
        ..*opts
    };
    let mut outcomes = Vec::new();
    let mut checked: Vec<(CheckedBatch, PathBuf)> = Vec::new();
    let mut refused = 0;
    for (k, path) in files.iter().enumerate() {
        // Later files of this run must not repeat this one's respondents.
        opts.keep_ids = k + 1 < files.len();
        let mut data = store.data_writer(&lock, &format!("part-{k}"))?;
        match check_file(path, &opts, &stored_ids, Some(&mut data)) {
            Err(r) => {
                data.discard();
                outcomes.push(FileOutcome::Refused(r));
                refused += 1;
            }
            Ok(b) => {
                if let Some(prev) = manifest.find(&b.id) {
                    data.discard();
                    outcomes.push(FileOutcome::AlreadyStored {
                        file: b.file.clone(),
                        batch: prev.short_id().to_string(),
                        ingested_at: prev.ingested_at.clone(),
                    });
                    continue;
                }
                if checked.iter().any(|(c, _)| c.id == b.id) {
                    data.discard();
                    outcomes.push(FileOutcome::Repeated {
                        file: b.file.clone(),
                    });
                    continue;
                }
                stored_ids.extend(b.accepted_ids.iter().cloned());
                let data = data.finish().map_err(|e| Refusal::Store {
                    file: b.file.clone(),
                    message: e.to_string(),
                })?;
                checked.push((b, data));
            }
        }
    }
    let discard = |checked: &[(CheckedBatch, PathBuf)]| {
        for (_, data) in checked {
            let _ = std::fs::remove_file(data);
        }
    };
    if refused > 0 {
        discard(&checked);
        return Ok(Ingested {
            files: outcomes,
            stored: false,
            refused,
        });
    }
    let ingested_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let mut batches = Vec::with_capacity(checked.len());
    for (b, data) in &checked {
        let dir = format!("survey={}/year={year}", inst.id);
        let quarantine_file = (!b.violations.is_empty())
            .then(|| format!("quarantine/{dir}/batch-{}.csv", b.short_id()));
        batches.push(NewBatch {
            entry: BatchEntry {
                id: b.id.clone(),
                survey: inst.id.clone(),
                survey_version: inst.version.clone(),
                year,
                source: b.file.clone(),
                format: b.format.to_string(),
                rows_read: b.rows_read,
                accepted: b.accepted,
                quarantined: b.quarantined_rows,
                data_file: format!("data/{dir}/batch-{}.parquet", b.short_id()),
                quarantine_file,
                ingested_at: ingested_at.clone(),
                ignored_columns: b.ignored_columns.clone(),
                pii_kept: opts.keep_pii,
                retracted: None,
            },
            data: data.clone(),
            quarantine_csv: (!b.violations.is_empty())
                .then(|| quarantine_csv(b))
                .transpose()?,
        });
    }
    let entries: Vec<BatchEntry> = batches.iter().map(|b| b.entry.clone()).collect();
    if let (Some(id), Some(r), false) = (&replaced, &replaces, entries.is_empty()) {
        let by = entries
            .iter()
            .map(|e| e.id.clone())
            .collect::<Vec<_>>()
            .join(",");
        if let Some(old) = manifest.batches.iter_mut().find(|b| &b.id == id) {
            old.retracted = Some(crate::store::Retraction {
                at: ingested_at.clone(),
                reason: r.reason.to_string(),
                replaced_by: (!by.is_empty()).then_some(by),
            });
        }
    }
    if let Err(e) = store.commit(&lock, manifest, batches) {
        discard(&checked);
        return Err(anyhow::Error::new(e).context(crate::msg!("ingest.not_stored")));
    }
    // The stored batches follow the run's other outcomes (already stored, repeated).
    for ((b, _), e) in checked.into_iter().zip(entries) {
        outcomes.push(FileOutcome::Checked {
            batch: Box::new(b),
            entry: Box::new(e),
        });
    }
    Ok(Ingested {
        files: outcomes,
        stored: true,
        refused: 0,
    })
}

/// The quarantine file: one line per broken rule. It is for people, who open it in Excel to
/// fix their rows: it starts with a UTF-8 BOM, without which Excel on Windows reads its
/// Vietnamese as another code page.
fn quarantine_csv(b: &CheckedBatch) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer("\u{feff}".as_bytes().to_vec());
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
