//! What can be wrong with a batch: a file refused whole ([`Refusal`]), or a row that breaks a
//! rule and goes to quarantine ([`Violation`]).

use thiserror::Error;

/// A file that cannot be read as a table of this questionnaire: nothing of it is stored.
/// Its words are in the message catalogue (`messages/catalogue.toml`, `refusal.*`).
#[derive(Debug, Error)]
pub enum Refusal {
    Io {
        file: String,
        message: String,
    },
    /// Writing the store failed while this file was being stored: the file itself is fine.
    Store {
        file: String,
        message: String,
    },
    Empty {
        file: String,
    },
    WrongTemplate {
        file: String,
        made_for: String,
        made_for_id: String,
        survey: String,
        survey_id: String,
    },
    Binary {
        file: String,
        offset: u64,
    },
    Undecodable {
        file: String,
        encoding: String,
        line: Option<u64>,
    },
    UnknownEncoding {
        label: String,
    },
    UnterminatedQuote {
        file: String,
        line: u64,
    },
    Csv {
        file: String,
        message: String,
    },
    Workbook {
        file: String,
        message: String,
    },
    NoSuchSheet {
        file: String,
        sheet: String,
        sheets: Vec<String>,
    },
    NoDataRows {
        file: String,
    },
    MissingColumn {
        file: String,
        /// The header's line (a workbook's header row).
        line: u64,
        column: String,
        header: String,
        hint: String,
    },
    DuplicateHeader {
        line: u64,
        file: String,
        header: String,
        first: usize,
        second: usize,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::msg;
        let text = match self {
            Refusal::Io { file, message } => msg!("refusal.io", file = file, message = message),
            Refusal::Store { file, message } => {
                msg!("refusal.store", file = file, message = message)
            }
            Refusal::Empty { file } => msg!("refusal.empty", file = file),
            Refusal::WrongTemplate {
                file,
                made_for,
                made_for_id,
                survey,
                survey_id,
            } => msg!(
                "refusal.wrong_template",
                file = file,
                made_for = made_for,
                made_for_id = made_for_id,
                survey = survey,
                survey_id = survey_id
            ),
            Refusal::Binary { file, offset } => {
                msg!("refusal.binary", file = file, offset = offset)
            }
            Refusal::Undecodable {
                file,
                encoding,
                line,
            } => msg!(
                "refusal.undecodable",
                file = format!(
                    "{file}{}",
                    line.map(|l| format!(":{l}")).unwrap_or_default()
                ),
                encoding = encoding
            ),
            Refusal::UnknownEncoding { label } => msg!("refusal.unknown_encoding", label = label),
            Refusal::UnterminatedQuote { file, line } => {
                msg!("refusal.unterminated_quote", file = file, line = line)
            }
            Refusal::Csv { file, message } => format!("{file}: {message}"),
            Refusal::Workbook { file, message } => {
                msg!("refusal.workbook", file = file, message = message)
            }
            Refusal::NoSuchSheet {
                file,
                sheet,
                sheets,
            } => msg!(
                "refusal.no_such_sheet",
                file = file,
                sheet = sheet,
                sheets = sheets.join(", ")
            ),
            Refusal::NoDataRows { file } => msg!("refusal.no_data_rows", file = file),
            Refusal::MissingColumn {
                file,
                line,
                column,
                header,
                hint,
            } => msg!(
                "refusal.missing_column",
                file = file,
                line = line,
                column = column,
                header = header,
                hint = hint
            ),
            Refusal::DuplicateHeader {
                line,
                file,
                header,
                first,
                second,
            } => msg!(
                "refusal.duplicate_header",
                file = file,
                line = line,
                header = header,
                first = first,
                second = second
            ),
        };
        f.write_str(&text)
    }
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
    pub fn hint(self) -> String {
        use crate::msg;
        match self {
            Rule::WrongFieldCount => msg!("rule.wrong_field_count"),
            Rule::FieldTooLong => msg!("rule.field_too_long"),
            Rule::EmptyId => msg!("rule.empty_id"),
            Rule::DuplicateId => msg!("rule.duplicate_id"),
            Rule::AlreadyStored => msg!("rule.already_stored"),
            Rule::NotInteger => msg!("rule.not_integer"),
            Rule::OutOfScale => msg!("rule.out_of_scale"),
            Rule::BadWeight => msg!("rule.bad_weight"),
            Rule::BadFpc => msg!("rule.bad_fpc"),
            Rule::MissingDesign => msg!("rule.missing_design"),
            Rule::YearMismatch => msg!("rule.year_mismatch"),
            Rule::UnknownCategory => msg!("rule.unknown_category"),
            Rule::BadUnitId => msg!("rule.bad_unit_id"),
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
