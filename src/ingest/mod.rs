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
    let mut checker = validate::Checker::new(
        opts.instrument,
        &plan,
        &table.header,
        opts.year,
        stored,
        table.rows_hint(),
    );
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
    let mut n = 0u64;
    table.for_each_record(&file, |line, rec, done| {
        checker.record(line, rec);
        n += 1;
        if n.is_multiple_of(65_536)
            && let Some(b) = &bar
        {
            b.set_position(done);
        }
    })?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if checker.rows_read == 0 {
        return Err(Refusal::NoDataRows { file });
    }
    let rows_read = checker.rows_read;
    let blank_rows = checker.blank_rows;
    let quarantined_rows = checker.quarantined_rows;
    let by_rule = checker.by_rule();
    let violations = std::mem::take(&mut checker.violations);
    // The batch column holds the id, which is known only once every row is hashed.
    let (mut rows, id) = checker.finish().map_err(|e| Refusal::Csv {
        file: file.clone(),
        message: e.to_string(),
    })?;
    set_batch_column(&mut rows, &id[..12]).map_err(|e| Refusal::Csv {
        file: file.clone(),
        message: e.to_string(),
    })?;
    Ok(CheckedBatch {
        file,
        format: table.format,
        id,
        rows_read,
        blank_rows,
        quarantined_rows,
        violations,
        by_rule,
        ignored_columns: plan.ignored,
        pii_dropped: plan.pii_dropped,
        rows,
    })
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
