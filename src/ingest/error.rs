//! What can be wrong with a batch: a file refused whole ([`Refusal`]), or a row that breaks a
//! rule and goes to quarantine ([`Violation`]).

use thiserror::Error;

/// A file that cannot be read as a table of this questionnaire: nothing of it is stored.
#[derive(Debug, Error)]
pub enum Refusal {
    #[error("{file}: cannot read the file: {message}")]
    Io { file: String, message: String },
    /// Writing the store failed while this file was being stored: the file itself is fine.
    #[error(
        "{file}: could not be stored: {message}\n  hint: the file is fine; free disk space or fix the store folder's permissions, then run again (nothing was stored)"
    )]
    Store { file: String, message: String },
    #[error(
        "{file}: the file is empty\n  hint: export the sheet again; the first line must be the header"
    )]
    Empty { file: String },
    #[error(
        "{file}: this workbook is the template of {made_for}, not of {survey}\n  hint: ingest it with --survey {made_for_id}, or type the forms into a template made with `chiso template --survey {survey_id}`"
    )]
    WrongTemplate {
        file: String,
        made_for: String,
        made_for_id: String,
        survey: String,
        survey_id: String,
    },
    #[error(
        "{file}: binary content (a NUL byte at byte {offset}), not a table\n  hint: give a CSV or tab-separated text export, or an .xlsx workbook"
    )]
    Binary { file: String, offset: u64 },
    #[error("{file}{}: not valid {encoding} text\n  hint: save the file as UTF-8 (Excel: \"CSV UTF-8\"), or name its encoding with --encoding windows-1258", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Undecodable {
        file: String,
        encoding: String,
        line: Option<u64>,
    },
    #[error(
        "unknown encoding `{label}`\n  hint: use a WHATWG label such as windows-1258, windows-1252 or utf-16le"
    )]
    UnknownEncoding { label: String },
    #[error(
        "{file}:{line}: a quote opened on this line is never closed, so the rest of the file would be one field\n  hint: close the quote, or double a quote that belongs inside a field (\"\")"
    )]
    UnterminatedQuote { file: String, line: u64 },
    #[error("{file}: {message}")]
    Csv { file: String, message: String },
    #[error("{file}: cannot read the workbook: {message}")]
    Workbook { file: String, message: String },
    #[error("{file}: no sheet named \"{sheet}\"; the workbook has: {}\n  hint: pass one of them with --sheet", sheets.join(", "))]
    NoSuchSheet {
        file: String,
        sheet: String,
        sheets: Vec<String>,
    },
    #[error(
        "{file}:1: the header has no data rows below it\n  hint: a batch needs at least one answered form"
    )]
    NoDataRows { file: String },
    #[error(
        "{file}:{line}: required column `{column}` is missing (looked for the header \"{header}\")\n  hint: {hint}"
    )]
    MissingColumn {
        file: String,
        /// The header's line (a workbook's header row).
        line: u64,
        column: String,
        header: String,
        hint: String,
    },
    #[error(
        "{file}:{line}: columns {first} and {second} both have the header \"{header}\"\n  hint: each header may appear once; rename or remove one of them"
    )]
    DuplicateHeader {
        line: u64,
        file: String,
        header: String,
        first: usize,
        second: usize,
    },
}

/// The rules a row can break. The code (`snake_case`) appears in quarantine files and summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    WrongFieldCount,
    FieldTooLong,
    EmptyId,
    DuplicateId,
    AlreadyStored,
    NotInteger,
    OutOfScale,
    BadWeight,
    BadFpc,
    MissingDesign,
    YearMismatch,
    UnknownCategory,
    BadUnitId,
}

impl Rule {
    pub fn code(self) -> &'static str {
        match self {
            Rule::WrongFieldCount => "wrong_field_count",
            Rule::FieldTooLong => "field_too_long",
            Rule::EmptyId => "empty_id",
            Rule::DuplicateId => "duplicate_id",
            Rule::AlreadyStored => "already_stored",
            Rule::NotInteger => "not_integer",
            Rule::OutOfScale => "out_of_scale",
            Rule::BadWeight => "bad_weight",
            Rule::BadFpc => "bad_fpc",
            Rule::MissingDesign => "missing_design",
            Rule::YearMismatch => "year_mismatch",
            Rule::UnknownCategory => "unknown_category",
            Rule::BadUnitId => "bad_unit_id",
        }
    }

    /// What to do about it, shown under the first violation of each rule.
    pub fn hint(self) -> &'static str {
        match self {
            Rule::WrongFieldCount => {
                "the row has more or fewer fields than the header: look for a stray delimiter or a missing one"
            }
            Rule::FieldTooLong => "a field this long is not an answer: check the export",
            Rule::EmptyId => "every form needs its respondent_id and unit_id",
            Rule::DuplicateId => "respondent_id must be unique: renumber one of the forms",
            Rule::AlreadyStored => {
                "this respondent is already in the store for this survey and year (`chiso batches` lists the batches)"
            }
            Rule::NotInteger => {
                "answers are whole-number codes of the scale; leave the cell blank for no answer"
            }
            Rule::OutOfScale => {
                "use a code of the scale, blank for no answer, or the not-applicable code"
            }
            Rule::BadWeight => {
                "weights are positive numbers up to 1e12; drop the column if the sample is self-weighting"
            }
            Rule::BadFpc => {
                "fpc is the population size (≥ 1) or the sampling fraction (0 < f ≤ 1) of the stratum"
            }
            Rule::MissingDesign => "a design column, once present, must be filled on every row",
            Rule::YearMismatch => {
                "the row's year differs from --year: ingest it under its own year"
            }
            Rule::UnknownCategory => {
                "use one of the values the questionnaire declares for this column"
            }
            Rule::BadUnitId => {
                "a unit name has at most 100 characters, and `ALL` stands for all units together: name the commune, agency or school"
            }
        }
    }
}

/// One broken rule on one row: what the quarantine file records.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub line: u64,
    pub respondent_id: String,
    /// Column as the analyst sees it: `column 12 (A3)`, or `column L (A3)` in a workbook.
    pub column: String,
    pub value: String,
    pub rule: Rule,
    pub message: String,
}

/// A value as quoted in a message: long values are cut, with their full length said.
pub fn quote_value(v: &[u8]) -> String {
    const SHOW: usize = 60;
    let s = String::from_utf8_lossy(v);
    if s.chars().count() <= SHOW {
        s.into_owned()
    } else {
        let head: String = s.chars().take(SHOW).collect();
        format!("{head}… ({} bytes)", v.len())
    }
}
