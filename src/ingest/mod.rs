//! Ingest: read a batch file, check every row against the questionnaire, and hand the
//! accepted rows and the quarantined ones to the store.
//!
//! A file that cannot be read as a table of the questionnaire is refused whole
//! ([`Refusal`]); a row that breaks a rule is quarantined with its line, column, value and
//! reason ([`Violation`]) while the batch's other rows are kept.

mod error;
mod ids;
mod keep;
pub mod read;
pub(crate) mod validate;

pub use error::{Refusal, Rule, Violation, quote_value};
pub use keep::{FileOutcome, Ingested, Replaces, ingest_files};
pub use read::{Format, ReadOptions};
pub use validate::unit_id_problem;

use std::collections::BTreeMap;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use polars::prelude::DataFrame;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::instrument::Instrument;
use crate::store::{DataWriter, EncodedRows, IdSet};

/// What ingest needs to know besides the file.
pub struct CheckOptions<'a> {
    pub instrument: &'a Instrument,
    /// The survey year; `None` when only validating without one.
    pub year: Option<i32>,
    pub read: ReadOptions,
    pub keep_pii: bool,
    /// Show a progress bar (it hides itself when stderr is not a terminal).
    pub progress: bool,
    /// Return the accepted respondent ids (needed when more files of the run follow).
    pub keep_ids: bool,
    /// What an answer off its scale costs in this batch (default: the questionnaire's).
    pub bad_answer: Option<crate::instrument::BadAnswer>,
}

/// A checked batch, ready to store.
pub struct CheckedBatch {
    pub file: String,
    pub format: Format,
    /// Hex SHA-256 of the survey, year and parsed content: the batch's identity.
    pub id: String,
    pub rows_read: u64,
    pub blank_rows: u64,
    pub quarantined_rows: u64,
    /// Answers off their scale left blank in rows that were stored (`blank_answer`).
    pub blanked_answers: u64,
    pub violations: Vec<Violation>,
    pub by_rule: BTreeMap<Rule, usize>,
    pub ignored_columns: Vec<String>,
    pub pii_dropped: Vec<String>,
    /// Rows accepted (given to the sink, in file order).
    pub accepted: u64,
    /// Their respondent ids, in file order.
    pub accepted_ids: Vec<String>,
}

impl CheckedBatch {
    pub fn short_id(&self) -> &str {
        &self.id[..12.min(self.id.len())]
    }
}

/// Progress bars start for files at least this large.
const PROGRESS_MIN_BYTES: u64 = 4 << 20;

/// One checked part of a file: what was learned, the accepted rows, and those rows encoded
/// for the store (when storing).
type PartResult<'a> = Result<(validate::Checker<'a>, DataFrame, Option<EncodedRows>), Refusal>;

/// Reads and checks one file. `stored` holds the respondent ids already stored for this
/// survey and year (and those accepted from earlier files of the same run).
///
/// A text file without quotes is checked in parts (ranges of whole lines) in parallel. The
/// parts are taken in file order as they finish: duplicate ids are found there, and the
/// accepted rows go to `data` (already encoded on the checking thread) while later parts are
/// still being checked. The outcome is the same as checking line by line. Without `data`
/// (validating) the rows go nowhere.
pub fn check_file(
    path: &Path,
    opts: &CheckOptions<'_>,
    stored: &IdSet,
    data: Option<&mut DataWriter>,
) -> Result<CheckedBatch, Refusal> {
    let file = path.display().to_string();
    let mut read_opts = opts.read.clone();
    if read_opts.expect.is_empty() {
        read_opts.expect = validate::expected_headers(opts.instrument);
    }
    let table = read::open(path, &read_opts)?;
    if let Some((id, version)) = &table.template {
        let inst = opts.instrument;
        if *id != inst.id || *version != inst.version {
            return Err(Refusal::WrongTemplate {
                file,
                made_for: format!("{id} ({version})"),
                made_for_id: id.clone(),
                survey: format!("{} ({})", inst.id, inst.version),
                survey_id: inst.id.clone(),
            });
        }
    }
    let mut plan = validate::Plan::new(
        &file,
        &table.header,
        &table.format,
        opts.instrument,
        opts.keep_pii,
    )?;
    plan.blank_bad_answers = opts.bad_answer.unwrap_or(opts.instrument.bad_answer)
        == crate::instrument::BadAnswer::BlankAnswer;
    let bar = (opts.progress && table.len >= PROGRESS_MIN_BYTES).then(|| {
        let bar = ProgressBar::new(table.len);
        if let Ok(style) =
            ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(format!(
            "checking {}",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        ));
        bar
    });
    let store_err = |e: crate::store::StoreError| Refusal::Store {
        file: file.clone(),
        message: e.to_string(),
    };
    // The store's file is started with the schema every part's rows will have.
    let data: Option<&DataWriter> = match data {
        Some(w) => {
            let empty = validate::Checker::new(opts.instrument, &plan, opts.year, 0)
                .finish()
                .map_err(|e| Refusal::Csv {
                    file: file.clone(),
                    message: e.to_string(),
                })?;
            w.start(empty.schema()).map_err(store_err)?;
            Some(w)
        }
        None => None,
    };
    let parts = table.parts();
    let check_part = |part: &read::Part| -> PartResult<'_> {
        let mut checker =
            validate::Checker::new(opts.instrument, &plan, opts.year, part.lines as usize);
        let mut done = part.bytes.start as u64;
        table.for_each_record(&file, part, |line, rec, at| {
            checker.record(line, rec);
            if let Some(b) = &bar
                && at >= done + (1 << 20)
            {
                b.inc(at - done);
                done = at;
            }
        })?;
        let rows = checker.finish().map_err(|e| Refusal::Csv {
            file: file.clone(),
            message: e.to_string(),
        })?;
        let encoded = data
            .map(|w| w.encode(&rows))
            .transpose()
            .map_err(store_err)?;
        Ok((checker, rows, encoded))
    };
    // Sized for every line up front: growing a map of a million ids rehashes it 20 times,
    // on the thread that also writes the Parquet file.
    let lines: u64 = parts.iter().map(|p| p.lines).sum();
    let mut merge = Merge::new(opts, stored, lines as usize);
    std::thread::scope(|s| -> Result<(), Refusal> {
        let (tx, rx) = std::sync::mpsc::channel::<(usize, PartResult<'_>)>();
        let parts = &parts;
        let check_part = &check_part;
        s.spawn(move || {
            // Handed out in file order, so the merge below is rarely kept waiting.
            parts
                .iter()
                .enumerate()
                .par_bridge()
                .for_each_with(tx, |tx, (k, part)| {
                    let _ = tx.send((k, check_part(part)));
                });
        });
        // Parts arrive as they finish; they are merged strictly in file order.
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        for (k, result) in rx {
            waiting.insert(k, result);
            while let Some(result) = waiting.remove(&next) {
                let (checker, rows, encoded) = result?;
                let height = rows.height();
                let rows = merge.part(checker, rows).map_err(|e| Refusal::Csv {
                    file: file.clone(),
                    message: e.to_string(),
                })?;
                if let Some(w) = data {
                    // Rows dropped by the merge (repeated ids) mean encoding the rest again.
                    let encoded = match encoded {
                        Some(e) if rows.height() == height => e,
                        _ => w.encode(&rows).map_err(store_err)?,
                    };
                    w.write(encoded).map_err(store_err)?;
                }
                next += 1;
            }
        }
        Ok(())
    })?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if merge.rows_read == 0 {
        return Err(Refusal::NoDataRows { file });
    }
    // The batch id: survey, year, header, then the digests of the line ranges in order.
    let mut hasher = Sha256::new();
    hasher.update(b"chiso-batch-v2\0");
    hasher.update(opts.instrument.id.as_bytes());
    hasher.update(b"\0");
    hasher.update(
        opts.year
            .map(|y| y.to_string())
            .unwrap_or_default()
            .as_bytes(),
    );
    for h in &table.header {
        hasher.update(b"\x1f");
        hasher.update(validate::normalise_header(h).as_bytes());
    }
    for d in &merge.digests {
        hasher.update(d);
    }
    let id = crate::definition::hex(&hasher.finalize());
    merge.violations.sort_by_key(|v| v.line);
    let mut by_rule = BTreeMap::new();
    for v in &merge.violations {
        *by_rule.entry(v.rule).or_insert(0) += 1;
    }
    Ok(CheckedBatch {
        file,
        format: table.format,
        id,
        rows_read: merge.rows_read,
        blank_rows: merge.blank_rows,
        quarantined_rows: merge.quarantined_rows,
        blanked_answers: merge.blanked_answers,
        violations: merge.violations,
        by_rule,
        ignored_columns: plan.ignored,
        pii_dropped: plan.pii_dropped,
        accepted: merge.accepted,
        accepted_ids: merge.accepted_ids,
    })
}

/// What the parts add up to, taken in file order.
struct Merge<'a> {
    stored: &'a IdSet,
    survey: &'a str,
    year: String,
    /// First line of each respondent id seen so far.
    seen: ids::SeenIds,
    digests: Vec<[u8; 32]>,
    violations: Vec<Violation>,
    rows_read: u64,
    blank_rows: u64,
    quarantined_rows: u64,
    blanked_answers: u64,
    accepted: u64,
    accepted_ids: Vec<String>,
    keep_ids: bool,
}

impl<'a> Merge<'a> {
    fn new(opts: &'a CheckOptions<'_>, stored: &'a IdSet, rows: usize) -> Merge<'a> {
        Merge {
            stored,
            survey: &opts.instrument.id,
            year: opts.year.map(|y| y.to_string()).unwrap_or_default(),
            seen: ids::SeenIds::with_capacity(rows),
            digests: Vec::new(),
            violations: Vec::new(),
            rows_read: 0,
            blank_rows: 0,
            quarantined_rows: 0,
            blanked_answers: 0,
            accepted: 0,
            accepted_ids: Vec::new(),
            keep_ids: opts.keep_ids,
        }
    }

    /// Adds the next part in file order; returns its rows that are still accepted once
    /// respondent ids are checked against the store and the earlier rows.
    fn part(
        &mut self,
        mut c: validate::Checker<'_>,
        rows: DataFrame,
    ) -> polars::prelude::PolarsResult<DataFrame> {
        self.rows_read += c.rows_read;
        self.blank_rows += c.blank_rows;
        self.quarantined_rows += c.quarantined_rows;
        self.blanked_answers += c.blanked_answers;
        self.digests.append(&mut c.digests);
        self.violations.append(&mut c.violations);
        let label = c.id_label();
        let mut drop = Vec::new();
        for (rid, line, accepted) in c.ids.iter() {
            let broken = if self.stored.contains(rid) {
                Some((
                    Rule::AlreadyStored,
                    crate::msg!(
                        "ingest.id_stored",
                        id = rid,
                        survey = self.survey,
                        year = self.year
                    ),
                ))
            } else {
                self.seen.check_and_insert(rid, line).map(|first| {
                    (
                        Rule::DuplicateId,
                        crate::msg!("ingest.id_repeated", id = rid, line = first),
                    )
                })
            };
            match broken {
                Some((rule, message)) => {
                    if let Some(i) = accepted {
                        drop.push(i);
                        self.quarantined_rows += 1;
                    }
                    self.violations.push(Violation {
                        line,
                        respondent_id: rid.to_string(),
                        column: label.clone(),
                        value: rid.to_string(),
                        rule,
                        message,
                    });
                }
                None => {
                    if accepted.is_some() && self.keep_ids {
                        self.accepted_ids.push(rid.to_string());
                    }
                }
            }
        }
        let rows = if drop.is_empty() {
            rows
        } else {
            without_rows(&rows, &drop)?
        };
        self.accepted += rows.height() as u64;
        Ok(rows)
    }
}

/// `df` without the rows at `drop` (indices).
fn without_rows(df: &DataFrame, drop: &[usize]) -> polars::prelude::PolarsResult<DataFrame> {
    let mut keep = vec![true; df.height()];
    for &i in drop {
        keep[i] = false;
    }
    use polars::prelude::NewChunkedArray;
    df.filter(&polars::prelude::BooleanChunked::from_slice(
        "keep".into(),
        &keep,
    ))
}
