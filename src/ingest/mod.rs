//! Ingest: read a batch file, check every row against the questionnaire, and hand the
//! accepted rows and the quarantined ones to the store.
//!
//! A file that cannot be read as a table of the questionnaire is refused whole
//! ([`Refusal`]); a row that breaks a rule is quarantined with its line, column, value and
//! reason ([`Violation`]) while the batch's other rows are kept.

mod error;
mod read;
mod validate;

pub use error::{Refusal, Rule, Violation};
pub use read::{Format, ReadOptions};

use std::collections::BTreeMap;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use polars::prelude::DataFrame;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::instrument::Instrument;
use crate::store::IdSet;

/// What ingest needs to know besides the file.
pub struct CheckOptions<'a> {
    pub instrument: &'a Instrument,
    /// The survey year; `None` when only validating without one.
    pub year: Option<i32>,
    pub read: ReadOptions,
    pub keep_pii: bool,
    /// Show a progress bar (it hides itself when stderr is not a terminal).
    pub progress: bool,
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
    pub violations: Vec<Violation>,
    pub by_rule: BTreeMap<Rule, usize>,
    pub ignored_columns: Vec<String>,
    pub pii_dropped: Vec<String>,
    /// Accepted rows in the store's schema.
    pub rows: DataFrame,
}

impl CheckedBatch {
    pub fn accepted(&self) -> usize {
        self.rows.height()
    }

    pub fn short_id(&self) -> &str {
        &self.id[..12.min(self.id.len())]
    }
}

/// Progress bars start for files at least this large.
const PROGRESS_MIN_BYTES: u64 = 4 << 20;

/// Reads and checks one file. `stored` holds the respondent ids already stored for this
/// survey and year (and those accepted from earlier files of the same run).
///
/// A text file without quotes is checked in parts (ranges of whole lines) in parallel; the
/// parts are then merged in file order, where duplicate ids are found, so the outcome is the
/// same as checking line by line.
pub fn check_file(
    path: &Path,
    opts: &CheckOptions<'_>,
    stored: &IdSet,
) -> Result<CheckedBatch, Refusal> {
    let file = path.display().to_string();
    let table = read::open(path, &opts.read)?;
    let plan = validate::Plan::new(
        &file,
        &table.header,
        &table.format,
        opts.instrument,
        opts.keep_pii,
    )?;
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
    let parts = table.parts();
    let capacity = table.rows_hint().min(read::PART_LINES as usize + 1);
    let checked: Vec<(validate::Checker<'_>, DataFrame)> = parts
        .par_iter()
        .map(|part| {
            let mut checker = validate::Checker::new(opts.instrument, &plan, opts.year, capacity);
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
            Ok((checker, rows))
        })
        .collect::<Result<_, Refusal>>()?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let rows_read: u64 = checked.iter().map(|(c, _)| c.rows_read).sum();
    if rows_read == 0 {
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
    for (c, _) in &checked {
        for d in &c.digests {
            hasher.update(d);
        }
    }
    let id: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // Duplicates, in file order: the first row with an id keeps it.
    let mut seen: foldhash::HashMap<&str, u64> = foldhash::HashMap::default();
    seen.reserve(checked.iter().map(|(c, _)| c.ids.len()).sum());
    let mut violations = Vec::new();
    let mut dropped: Vec<Vec<usize>> = vec![Vec::new(); checked.len()];
    let mut quarantined_rows: u64 = checked.iter().map(|(c, _)| c.quarantined_rows).sum();
    let year = opts.year.map(|y| y.to_string()).unwrap_or_default();
    for (k, (c, _)) in checked.iter().enumerate() {
        let label = c.id_label();
        for (rid, line, accepted) in &c.ids {
            let broken = if stored.contains(rid.as_str()) {
                Some((
                    Rule::AlreadyStored,
                    format!(
                        "respondent \"{rid}\" is already stored for {} {year}",
                        opts.instrument.id
                    ),
                ))
            } else if let Some(first) = seen.get(rid.as_str()) {
                Some((
                    Rule::DuplicateId,
                    format!("respondent \"{rid}\" already appears on line {first}"),
                ))
            } else {
                seen.insert(rid, *line);
                None
            };
            if let Some((rule, message)) = broken {
                violations.push(Violation {
                    line: *line,
                    respondent_id: rid.clone(),
                    column: label.clone(),
                    value: rid.clone(),
                    rule,
                    message,
                });
                if let Some(i) = accepted {
                    dropped[k].push(*i);
                    quarantined_rows += 1;
                }
            }
        }
    }
    let blank_rows = checked.iter().map(|(c, _)| c.blank_rows).sum();
    let mut frames = Vec::with_capacity(checked.len());
    let mut all_violations = Vec::new();
    for ((c, df), drop) in checked.into_iter().zip(dropped) {
        all_violations.extend(c.violations);
        frames.push(if drop.is_empty() {
            df
        } else {
            without_rows(&df, &drop).map_err(|e| Refusal::Csv {
                file: file.clone(),
                message: e.to_string(),
            })?
        });
    }
    all_violations.extend(violations);
    all_violations.sort_by_key(|v| v.line);
    let mut rows = frames.remove(0);
    for f in &frames {
        rows.vstack_mut(f).map_err(|e| Refusal::Csv {
            file: file.clone(),
            message: e.to_string(),
        })?;
    }
    set_batch_column(&mut rows, &id[..12]).map_err(|e| Refusal::Csv {
        file: file.clone(),
        message: e.to_string(),
    })?;
    let mut by_rule = BTreeMap::new();
    for v in &all_violations {
        *by_rule.entry(v.rule).or_insert(0) += 1;
    }
    Ok(CheckedBatch {
        file,
        format: table.format,
        id,
        rows_read,
        blank_rows,
        quarantined_rows,
        violations: all_violations,
        by_rule,
        ignored_columns: plan.ignored,
        pii_dropped: plan.pii_dropped,
        rows,
    })
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

fn set_batch_column(df: &mut DataFrame, id: &str) -> polars::prelude::PolarsResult<()> {
    use polars::prelude::*;
    let n = df.height();
    df.with_column(Column::new_scalar(
        "batch".into(),
        Scalar::new(DataType::String, AnyValue::StringOwned(id.into())),
        n,
    ))?;
    Ok(())
}
