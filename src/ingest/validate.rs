//! Checking every row of a table against a questionnaire, in one pass that also builds the
//! columns to store and the hash that identifies the batch.

use std::collections::HashMap;

use polars::prelude::*;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use super::error::{Refusal, Rule, Violation, quote_value};
use super::ids::IdList;
use super::read::{Fields, Format};
use crate::instrument::{Answer, Instrument, StandardColumn};

/// Longest field accepted as an answer or id; longer is a broken export, not data.
pub const MAX_FIELD_BYTES: usize = 4096;

/// Longest unit name (characters): it names charts, sheets and report sections.
pub const MAX_UNIT_CHARS: usize = 100;

/// Largest weight or fpc accepted: beyond it, sums over a national survey lose all precision.
pub const MAX_WEIGHT: f64 = 1e12;

/// Whether a unit name is one a row may carry (the all-units id, any case, is reserved).
pub fn unit_id_problem(unit: &str) -> Option<String> {
    if unit.chars().count() > MAX_UNIT_CHARS {
        Some(crate::msg!(
            "ingest.unit.too_long",
            chars = unit.chars().count(),
            max = MAX_UNIT_CHARS
        ))
    } else if unit.eq_ignore_ascii_case(crate::estimate::ALL) {
        Some(crate::msg!("ingest.unit.reserved", unit = unit))
    } else {
        None
    }
}

/// Where a column of the file goes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Standard(StandardColumn),
    Question(usize),
    Column(usize),
    Ignored,
}

/// The file's header resolved against the questionnaire.
pub struct Plan {
    targets: Vec<Target>,
    labels: Vec<String>,
    /// Declared columns that will be stored (PII only with --keep-pii).
    columns_kept: Vec<bool>,
    /// Declared columns the file does not have (null on every row).
    columns_absent: Vec<bool>,
    /// The fields stored as text or numbers besides the answers: (field index, target).
    stored_fields: Vec<(usize, Target)>,
    pub ignored: Vec<String>,
    pub pii_dropped: Vec<String>,
    /// Per field: a column identifying people that is not kept, whose value no message quotes.
    hidden: Vec<bool>,
    /// An answer off its scale is left blank and the row kept (`blank_answer`), rather than
    /// the row quarantined.
    pub blank_bad_answers: bool,
    /// Per declared column with values: each accepted spelling (lower case; and without
    /// diacritics when that names one value alone) → the value stored.
    categories: Vec<Option<HashMap<String, String>>>,
}

/// Text without diacritics, lower case: `Nữ` → `nu`, `Đồng` → `dong`.
pub fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .map(|c| if c == 'đ' || c == 'Đ' { 'd' } else { c })
        .collect::<String>()
        .to_lowercase()
}

/// The spellings a categorical column accepts: each value and alias in any case, and without
/// diacritics unless two values (or aliases of two values) then read the same.
pub(crate) fn spellings(c: &crate::instrument::Column) -> Option<HashMap<String, String>> {
    let values = c.values.as_ref()?;
    let mut exact: HashMap<String, String> = HashMap::new();
    let pairs = values
        .iter()
        .map(|v| (v.as_str(), v.as_str()))
        .chain(c.aliases.iter().map(|(a, v)| (a.as_str(), v.as_str())));
    let mut folded: HashMap<String, Option<String>> = HashMap::new();
    for (spelling, value) in pairs {
        let key: String = spelling.nfc().collect::<String>().to_lowercase();
        exact.entry(key).or_insert_with(|| value.to_string());
        folded
            .entry(fold(spelling))
            .and_modify(|v| {
                if v.as_deref() != Some(value) {
                    *v = None;
                }
            })
            .or_insert_with(|| Some(value.to_string()));
    }
    for (key, value) in folded {
        if let Some(v) = value {
            exact.entry(key).or_insert(v);
        }
    }
    Some(exact)
}

/// A header as it is matched: trimmed, its line breaks (Alt+Enter in Excel) and runs of spaces
/// folded into one space, NFC, case-folded.
pub fn normalise_header(h: &str) -> String {
    h.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .nfc()
        .collect::<String>()
        .to_lowercase()
}

/// The header among `candidates` closest to `want` (normalised Levenshtein similarity of their
/// normalised forms at least 0.6), if any.
pub(crate) fn nearest<'a>(want: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let w = normalise_header(want);
    candidates
        .iter()
        .map(|c| (*c, strsim::normalized_levenshtein(&w, &normalise_header(c))))
        .filter(|(_, score)| *score >= 0.6)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| c)
}

/// Every header the questionnaire reads, normalised: what a workbook's header row holds.
pub fn expected_headers(inst: &Instrument) -> std::collections::HashSet<String> {
    StandardColumn::ALL
        .iter()
        .map(|c| inst.header_of(*c))
        .chain(inst.questions.iter().map(|q| q.header.as_str()))
        .chain(inst.columns.iter().map(|c| c.header()))
        .map(normalise_header)
        .collect()
}

/// A column's letters as a spreadsheet names it: 0 → A, 26 → AA, 16383 → XFD.
pub(super) fn column_letters(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8_lossy(&s).into_owned()
}

impl Plan {
    pub fn new(
        file: &str,
        header: &[String],
        format: &Format,
        inst: &Instrument,
        keep_pii: bool,
    ) -> Result<Plan, Refusal> {
        let header_line = match format {
            Format::Workbook { header_row, .. } => *header_row,
            Format::Text { .. } => 1,
        };
        let mut wanted: HashMap<String, Target> = HashMap::new();
        for c in StandardColumn::ALL {
            wanted.insert(normalise_header(inst.header_of(c)), Target::Standard(c));
        }
        for (i, q) in inst.questions.iter().enumerate() {
            wanted.insert(normalise_header(&q.header), Target::Question(i));
        }
        for (i, c) in inst.columns.iter().enumerate() {
            wanted.insert(normalise_header(c.header()), Target::Column(i));
        }
        let mut targets = Vec::with_capacity(header.len());
        let mut first_at: HashMap<String, usize> = HashMap::new();
        let mut ignored = Vec::new();
        for (i, h) in header.iter().enumerate() {
            let key = normalise_header(h);
            let target = wanted.get(&key).copied().unwrap_or(Target::Ignored);
            if target != Target::Ignored {
                if let Some(first) = first_at.insert(key, i) {
                    return Err(Refusal::DuplicateHeader {
                        line: header_line,
                        file: file.to_string(),
                        header: h.trim().to_string(),
                        first: first + 1,
                        second: i + 1,
                    });
                }
            } else if !key.is_empty() {
                ignored.push(h.trim().to_string());
            }
            targets.push(target);
        }
        let present: Vec<StandardColumn> = StandardColumn::ALL
            .into_iter()
            .filter(|c| targets.contains(&Target::Standard(*c)))
            .collect();
        let questions_present: Vec<bool> = (0..inst.questions.len())
            .map(|i| targets.contains(&Target::Question(i)))
            .collect();
        let mut missing: Vec<(String, String)> = StandardColumn::ALL
            .into_iter()
            .filter(|c| c.required() && !present.contains(c))
            .map(|c| (c.name().to_string(), inst.header_of(c).to_string()))
            .collect();
        missing.extend(
            inst.questions
                .iter()
                .zip(&questions_present)
                .filter(|(q, p)| !q.optional && !**p)
                .map(|(q, _)| (q.code.clone(), q.header.clone())),
        );
        if let Some((column, h)) = missing.first() {
            let also = if missing.len() > 1 {
                let rest: Vec<&str> = missing[1..].iter().take(10).map(|m| m.1.as_str()).collect();
                crate::msg!(
                    "ingest.missing.also",
                    count = missing.len() - 1,
                    headers = format!(
                        "{}{}",
                        rest.join(", "),
                        if missing.len() > 11 { ", …" } else { "" }
                    )
                )
            } else {
                String::new()
            };
            // The headers no column of the questionnaire took: what the file holds instead.
            let unused: Vec<&str> = header
                .iter()
                .zip(&targets)
                .filter(|(h, t)| **t == Target::Ignored && !h.trim().is_empty())
                .map(|(h, _)| h.trim())
                .collect();
            let guesses: Vec<String> = missing
                .iter()
                .take(10)
                .filter_map(|(_, want)| {
                    nearest(want, &unused)
                        .map(|got| crate::msg!("ingest.missing.guess", got = got, want = want))
                })
                .collect();
            let holds = if header.iter().all(|h| h.trim().is_empty()) {
                String::new()
            } else {
                let shown: Vec<String> = header
                    .iter()
                    .filter(|h| !h.trim().is_empty())
                    .take(15)
                    .map(|h| format!("\"{}\"", h.trim()))
                    .collect();
                let more = header.iter().filter(|h| !h.trim().is_empty()).count() - shown.len();
                crate::msg!(
                    "ingest.missing.holds",
                    place = match format {
                        Format::Workbook { sheet, header_row } =>
                            crate::msg!("ingest.missing.sheet_row", sheet = sheet, row = header_row),
                        Format::Text { .. } => crate::msg!("ingest.missing.line_1"),
                    },
                    headers = format!(
                        "{}{}",
                        shown.join(", "),
                        if more > 0 {
                            crate::msg!("ingest.and_more", count = more)
                        } else {
                            String::new()
                        }
                    )
                )
            };
            let did_you_mean = if guesses.is_empty() {
                String::new()
            } else {
                crate::msg!("ingest.missing.did_you_mean", guesses = guesses.join(", "))
            };
            return Err(Refusal::MissingColumn {
                file: file.to_string(),
                line: header_line,
                column: column.clone(),
                header: h.clone(),
                hint: format!(
                    "{also}{holds}{did_you_mean}{}",
                    crate::msg!("ingest.missing.map_it")
                ),
            });
        }
        let mut pii_dropped = Vec::new();
        let columns_kept = inst
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let here = targets.contains(&Target::Column(i));
                if here && c.pii && !keep_pii {
                    pii_dropped.push(c.header().to_string());
                }
                !c.pii || keep_pii
            })
            .collect();
        let labels = header
            .iter()
            .enumerate()
            .map(|(i, h)| match format {
                Format::Workbook { .. } => {
                    crate::msg!("ingest.column", at = column_letters(i), header = h.trim())
                }
                Format::Text { .. } => {
                    crate::msg!("ingest.column", at = i + 1, header = h.trim())
                }
            })
            .collect();
        let columns_absent = (0..inst.columns.len())
            .map(|i| !targets.contains(&Target::Column(i)))
            .collect();
        let stored_fields = targets
            .iter()
            .enumerate()
            .filter(|(_, t)| matches!(t, Target::Standard(_) | Target::Column(_)))
            .map(|(i, t)| (i, *t))
            .collect();
        let hidden = targets
            .iter()
            .map(|t| matches!(t, Target::Column(c) if inst.columns[*c].pii && !keep_pii))
            .collect();
        let categories = inst.columns.iter().map(spellings).collect();
        Ok(Plan {
            blank_bad_answers: false,
            categories,
            hidden,
            stored_fields,
            columns_absent,
            targets,
            labels,
            columns_kept,
            ignored,
            pii_dropped,
        })
    }
}

/// How answer codes -128..=127 read on each question's scale, looked up instead of searched.
struct CodeTable([Answer; 256]);

impl CodeTable {
    fn new(scale: &crate::instrument::Scale) -> Self {
        let mut t = [Answer::OutOfScale; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            *slot = scale.classify(i as i32 - 128);
        }
        CodeTable(t)
    }

    fn classify(&self, scale: &crate::instrument::Scale, code: i32) -> Answer {
        match usize::try_from(code + 128) {
            Ok(i) if i < 256 => self.0[i],
            _ => scale.classify(code),
        }
    }
}

/// Accepted rows, built column by column straight into polars builders.
struct Columns {
    line: PrimitiveChunkedBuilder<Int64Type>,
    respondent_id: StringChunkedBuilder,
    unit_id: StringChunkedBuilder,
    stratum: StringChunkedBuilder,
    psu: StringChunkedBuilder,
    weight: PrimitiveChunkedBuilder<Float64Type>,
    fpc: PrimitiveChunkedBuilder<Float64Type>,
    /// Answer codes, [`NO_ANSWER`] where blank: plain vectors, turned into columns at the end.
    answers: Vec<Vec<i32>>,
    extra: Vec<StringChunkedBuilder>,
    len: usize,
}

impl Columns {
    fn new(inst: &Instrument, capacity: usize) -> Columns {
        let s = |name: &str| StringChunkedBuilder::new(name.into(), capacity);
        Columns {
            line: PrimitiveChunkedBuilder::new("line".into(), capacity),
            respondent_id: s("respondent_id"),
            unit_id: s("unit_id"),
            stratum: s("stratum"),
            psu: s("psu"),
            weight: PrimitiveChunkedBuilder::new("weight".into(), capacity),
            fpc: PrimitiveChunkedBuilder::new("fpc".into(), capacity),
            answers: inst
                .questions
                .iter()
                .map(|_| Vec::with_capacity(capacity))
                .collect(),
            extra: inst.columns.iter().map(|c| s(&c.name)).collect(),
            len: 0,
        }
    }
}

/// Marks a blank answer while the column is being built (no scale uses it as a code: codes
/// are parsed from at most nine digits).
const NO_ANSWER: i32 = i32::MIN;

/// A column of answer codes, null where blank.
fn answer_column(name: &str, mut values: Vec<i32>) -> Int32Chunked {
    // What lies under a null is not an answer; zero keeps the column's bytes the same run to run.
    let answered: polars_arrow::bitmap::Bitmap = values
        .iter_mut()
        .map(|v| {
            let answered = *v != NO_ANSWER;
            if !answered {
                *v = 0;
            }
            answered
        })
        .collect();
    let validity = (answered.unset_bits() > 0).then_some(answered);
    Int32Chunked::from_vec_validity(name.into(), values, validity)
}

/// Checks rows and keeps the ones that pass, plus everything learned about the batch.
pub struct Checker<'a> {
    inst: &'a Instrument,
    plan: &'a Plan,
    year: Option<i32>,
    /// Digest of the line range being read, and those finished: (range index, SHA-256).
    hasher: Sha256,
    hash_range: Option<u64>,
    hash_buf: Vec<u8>,
    pub digests: Vec<[u8; 32]>,
    /// Every row with a respondent id: (id, line, index among the accepted rows).
    pub ids: IdList,
    tables: Vec<CodeTable>,
    id_column: Option<usize>,
    cols: Columns,
    // The answers of the row being checked.
    row_answers: Vec<Option<i32>>,
    pub rows_read: u64,
    pub blank_rows: u64,
    pub quarantined_rows: u64,
    pub blanked_answers: u64,
    pub violations: Vec<Violation>,
}

fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// A field as text: trimmed, and in Unicode NFC so that "Xuân Dương" typed either way is one unit.
fn text(b: &[u8]) -> std::borrow::Cow<'_, str> {
    nfc(trim(b))
}

/// A field's text in Unicode NFC (untrimmed). The file was decoded to UTF-8 already, so the
/// text is borrowed unless it must be normalised.
fn nfc(b: &[u8]) -> std::borrow::Cow<'_, str> {
    let s = String::from_utf8_lossy(b);
    if s.is_ascii()
        || unicode_normalization::is_nfc_quick(s.chars())
            == unicode_normalization::IsNormalized::Yes
    {
        s
    } else {
        std::borrow::Cow::Owned(s.nfc().collect())
    }
}

/// A whole number, also when written `4.0` or `4,0` (decimal comma) by an export.
fn parse_int(b: &[u8]) -> Option<i32> {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let (int, frac) = match digits.iter().position(|c| *c == b'.' || *c == b',') {
        Some(p) => (&digits[..p], &digits[p + 1..]),
        None => (digits, &[][..]),
    };
    if int.is_empty() || int.len() > 9 || !frac.iter().all(|c| *c == b'0') {
        return None;
    }
    let mut v: i32 = 0;
    for c in int {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i32::from(c - b'0');
    }
    Some(if neg { -v } else { v })
}

/// A real number with a decimal point, or a lone decimal comma.
fn parse_real(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    let v = if !s.contains('.') && s.matches(',').count() == 1 {
        s.replace(',', ".").parse::<f64>().ok()?
    } else {
        s.parse::<f64>().ok()?
    };
    v.is_finite().then_some(v)
}

impl<'a> Checker<'a> {
    pub fn new(inst: &'a Instrument, plan: &'a Plan, year: Option<i32>, capacity: usize) -> Self {
        let cols = Columns::new(inst, capacity);
        Checker {
            inst,
            plan,
            year,
            hasher: Sha256::new(),
            hash_range: None,
            hash_buf: Vec::with_capacity(1 << 17),
            digests: Vec::new(),
            ids: IdList::with_capacity(capacity),
            tables: inst
                .questions
                .iter()
                .map(|q| CodeTable::new(&q.scale))
                .collect(),
            id_column: plan
                .targets
                .iter()
                .position(|t| *t == Target::Standard(StandardColumn::RespondentId)),
            cols,
            row_answers: vec![None; inst.questions.len()],
            rows_read: 0,
            blank_rows: 0,
            quarantined_rows: 0,
            blanked_answers: 0,
            violations: Vec::new(),
        }
    }

    /// Closes the digest of the line range being read.
    fn close_digest(&mut self) {
        if self.hash_range.take().is_some() {
            self.hasher.update(&self.hash_buf);
            self.hash_buf.clear();
            let h = std::mem::take(&mut self.hasher);
            self.digests.push(h.finalize().into());
        }
    }

    /// Feeds a record to the digest of its range of lines (fixed-size ranges, so the batch id
    /// does not depend on how the file was split for checking).
    fn hash_record(&mut self, line: u64, rec: &Fields<'_>) {
        let range = line.saturating_sub(1) / super::read::PART_LINES;
        if self.hash_range != Some(range) {
            self.close_digest();
            self.hash_range = Some(range);
        }
        // The fields with a separator after each; most are a byte or two, copied without a
        // call to memcpy each.
        let buf = &mut self.hash_buf;
        buf.reserve(1 + rec.bytes() + rec.len());
        buf.push(0x1e);
        for f in rec.iter() {
            if f.len() <= 4 && f.is_ascii() {
                for &b in f {
                    buf.push(b);
                }
            } else if f.is_ascii() {
                buf.extend_from_slice(f);
            } else {
                // The parsed content is what identifies a batch: text in Unicode NFC, so the
                // same forms re-saved decomposed (NFD, or Windows-1258's combining tones) are
                // the same batch.
                buf.extend_from_slice(nfc(f).as_bytes());
            }
            buf.push(0x1f);
        }
        if self.hash_buf.len() >= 1 << 16 {
            self.hasher.update(&self.hash_buf);
            self.hash_buf.clear();
        }
    }

    /// Checks one record; a row that passes every rule is appended to the columns.
    pub fn record(&mut self, line: u64, rec: &Fields<'_>) {
        if rec.iter().all(|f| trim(f).is_empty()) {
            self.blank_rows += 1;
            return;
        }
        self.rows_read += 1;
        self.hash_record(line, rec);
        let plan = self.plan;
        let before = self.violations.len();
        // Answers left blank under `blank_answer`: listed, but the row is kept.
        let mut blanked = 0;
        let rid = match self.id_column.and_then(|i| rec.get(i)) {
            Some(f) if f.len() <= MAX_FIELD_BYTES => text(f),
            _ => std::borrow::Cow::Borrowed(""),
        };
        if rec.len() != plan.targets.len() {
            let n = plan.targets.len();
            // Name where the row and the header part: the first extra field, or the first
            // column the row does not reach.
            let (column, value, msg) = if rec.len() > n && plan.hidden.contains(&true) {
                // Fields have shifted: any of them may be a name or a phone number.
                (
                    crate::msg!("ingest.column_beyond", at = n + 1),
                    &b""[..],
                    crate::msg!("ingest.fields.shifted_pii", fields = rec.len(), header = n),
                )
            } else if rec.len() > n {
                let extra = rec.get(n).unwrap_or_default();
                (
                    crate::msg!("ingest.column_beyond", at = n + 1),
                    extra,
                    crate::msg!(
                        "ingest.fields.extra",
                        fields = rec.len(),
                        header = n,
                        value = quote_value(extra)
                    ),
                )
            } else {
                (
                    plan.labels[rec.len()].clone(),
                    &b""[..],
                    crate::msg!(
                        "ingest.fields.short",
                        fields = rec.len(),
                        header = n,
                        column = plan.labels[rec.len()]
                    ),
                )
            };
            self.violation(line, &rid, column, value, Rule::WrongFieldCount, msg);
            self.quarantined_rows += 1;
            return;
        }
        // First pass: every rule, on every field; answers are kept for the second pass.
        for (i, (f, &target)) in rec.iter().zip(&plan.targets).enumerate() {
            // The common answer, one digit on the scale or blank, without the general path.
            if let Target::Question(q) = target {
                match *f {
                    [] => {
                        self.row_answers[q] = None;
                        continue;
                    }
                    [d] if d.is_ascii_digit() => {
                        let code = i32::from(d - b'0');
                        let scale = &self.inst.questions[q].scale;
                        if self.tables[q].classify(scale, code) != Answer::OutOfScale {
                            self.row_answers[q] = Some(code);
                            continue;
                        }
                    }
                    _ => {}
                }
            }
            if target == Target::Ignored {
                continue;
            }
            if f.len() > MAX_FIELD_BYTES {
                let msg = if plan.hidden[i] {
                    crate::msg!(
                        "ingest.too_long_pii",
                        bytes = f.len(),
                        max = MAX_FIELD_BYTES
                    )
                } else {
                    crate::msg!(
                        "ingest.too_long",
                        value = quote_value(f),
                        max = MAX_FIELD_BYTES
                    )
                };
                let value = if plan.hidden[i] { &b""[..] } else { f };
                self.violation(
                    line,
                    &rid,
                    plan.labels[i].clone(),
                    value,
                    Rule::FieldTooLong,
                    msg,
                );
                continue;
            }
            let v = trim(f);
            let broken = match target {
                Target::Ignored => None,
                Target::Standard(StandardColumn::RespondentId) => v
                    .is_empty()
                    .then(|| (Rule::EmptyId, crate::msg!("ingest.empty_respondent"))),
                Target::Standard(StandardColumn::UnitId) if v.is_empty() => {
                    Some((Rule::EmptyId, crate::msg!("ingest.empty_unit")))
                }
                Target::Standard(StandardColumn::UnitId) => {
                    unit_id_problem(&text(v)).map(|m| (Rule::BadUnitId, m))
                }
                Target::Standard(StandardColumn::Year) => match self.year {
                    Some(want) if !v.is_empty() && parse_int(v) != Some(want) => Some((
                        Rule::YearMismatch,
                        crate::msg!("ingest.year_mismatch", value = quote_value(v), want = want),
                    )),
                    _ => None,
                },
                Target::Standard(c) if v.is_empty() => Some((
                    Rule::MissingDesign,
                    crate::msg!("ingest.design_empty", column = c.name()),
                )),
                Target::Standard(StandardColumn::Stratum | StandardColumn::Psu) => None,
                Target::Standard(c @ (StandardColumn::Weight | StandardColumn::Fpc)) => {
                    match parse_real(v) {
                        Some(x) if x > 0.0 && x <= MAX_WEIGHT => None,
                        _ => Some((
                            if c == StandardColumn::Weight {
                                Rule::BadWeight
                            } else {
                                Rule::BadFpc
                            },
                            crate::msg!(
                                "ingest.bad_weight",
                                column = c.name(),
                                value = quote_value(v),
                                max = format!("{MAX_WEIGHT:e}")
                            ),
                        )),
                    }
                }
                Target::Question(q) => {
                    self.row_answers[q] = None;
                    if v.is_empty() {
                        None
                    } else {
                        let scale = &self.inst.questions[q].scale;
                        match parse_int(v) {
                            Some(code)
                                if self.tables[q].classify(scale, code) != Answer::OutOfScale =>
                            {
                                self.row_answers[q] = Some(code);
                                None
                            }
                            Some(_) => Some((
                                Rule::OutOfScale,
                                crate::msg!(
                                    "ingest.out_of_scale",
                                    value = quote_value(v),
                                    scale = scale.describe()
                                ),
                            )),
                            None => {
                                let message = if parse_real(v).is_some() {
                                    crate::msg!(
                                        "ingest.decimal",
                                        value = quote_value(v),
                                        scale = scale.describe()
                                    )
                                } else {
                                    crate::msg!(
                                        "ingest.not_a_number",
                                        value = quote_value(v),
                                        scale = scale.describe()
                                    )
                                };
                                Some((Rule::NotInteger, message))
                            }
                        }
                    }
                }
                Target::Column(c) => match &self.inst.columns[c].values {
                    Some(allowed) if !v.is_empty() => {
                        let value = text(v);
                        let known = plan.categories[c].as_ref().is_some_and(|m| {
                            m.contains_key(&value.to_lowercase()) || m.contains_key(&fold(&value))
                        });
                        (!known).then(|| {
                            (
                                Rule::UnknownCategory,
                                crate::msg!(
                                    "ingest.unknown_category",
                                    value = quote_value(v),
                                    allowed = allowed.join(", ")
                                ),
                            )
                        })
                    }
                    _ => None,
                },
            };
            if let Some((rule, mut msg)) = broken {
                if plan.blank_bad_answers
                    && matches!(target, Target::Question(_))
                    && matches!(rule, Rule::OutOfScale | Rule::NotInteger)
                {
                    blanked += 1;
                    msg.push_str(&crate::msg!("ingest.left_blank"));
                }
                if plan.hidden[i] {
                    let msg = crate::msg!("ingest.hidden_value", rule = rule.code());
                    self.violation(line, &rid, plan.labels[i].clone(), b"", rule, msg);
                } else {
                    self.violation(line, &rid, plan.labels[i].clone(), f, rule, msg);
                }
            }
        }
        self.blanked_answers += blanked;
        if self.violations.len() - blanked as usize > before {
            self.quarantined_rows += 1;
            // Its blanked answers are not stored either: the row is quarantined whole.
            self.blanked_answers -= blanked;
            if !rid.is_empty() {
                self.ids.push(&rid, line, None);
            }
            return;
        }
        // Second pass: the row passed, so append it.
        let cols = &mut self.cols;
        cols.line.append_value(line as i64);
        cols.respondent_id.append_value(&rid);
        if !rid.is_empty() {
            self.ids.push(&rid, line, Some(cols.len));
        }
        cols.len += 1;
        let mut seen_design = [false; 4];
        for &(i, target) in &plan.stored_fields {
            let f = rec.get(i).unwrap_or_default();
            match target {
                Target::Standard(StandardColumn::UnitId) => cols.unit_id.append_value(text(f)),
                Target::Standard(StandardColumn::Stratum) => {
                    cols.stratum.append_value(text(f));
                    seen_design[0] = true;
                }
                Target::Standard(StandardColumn::Psu) => {
                    cols.psu.append_value(text(f));
                    seen_design[1] = true;
                }
                Target::Standard(StandardColumn::Weight) => {
                    cols.weight.append_option(parse_real(trim(f)));
                    seen_design[2] = true;
                }
                Target::Standard(StandardColumn::Fpc) => {
                    cols.fpc.append_option(parse_real(trim(f)));
                    seen_design[3] = true;
                }
                Target::Column(c) => {
                    let v = text(f);
                    // A categorical value is stored as the questionnaire spells it.
                    let canonical = plan.categories[c]
                        .as_ref()
                        .and_then(|m| m.get(&v.to_lowercase()).or_else(|| m.get(&fold(&v))));
                    match canonical {
                        Some(c0) => cols.extra[c].append_value(c0),
                        None => cols.extra[c].append_option((!v.is_empty()).then_some(v)),
                    }
                }
                _ => {}
            }
        }
        if !seen_design[0] {
            cols.stratum.append_null();
        }
        if !seen_design[1] {
            cols.psu.append_null();
        }
        if !seen_design[2] {
            cols.weight.append_null();
        }
        if !seen_design[3] {
            cols.fpc.append_null();
        }
        for (b, absent) in cols.extra.iter_mut().zip(&plan.columns_absent) {
            if *absent {
                b.append_null();
            }
        }
        for (b, v) in cols.answers.iter_mut().zip(&self.row_answers) {
            b.push(v.unwrap_or(NO_ANSWER));
        }
    }

    fn violation(
        &mut self,
        line: u64,
        rid: &str,
        column: String,
        value: &[u8],
        rule: Rule,
        message: String,
    ) {
        self.violations.push(Violation {
            line,
            respondent_id: rid.to_string(),
            column,
            value: quote_value(value),
            rule,
            message,
        });
    }

    /// The accepted rows in the store's schema (without the `batch` column). The digests, ids
    /// and violations stay behind for the merge.
    pub fn finish(&mut self) -> PolarsResult<DataFrame> {
        self.close_digest();
        let plan = self.plan;
        let c = std::mem::replace(&mut self.cols, Columns::new(self.inst, 0));
        let n = c.len;
        let mut cols: Vec<Column> = vec![
            c.respondent_id.finish().into_column(),
            c.unit_id.finish().into_column(),
            c.stratum.finish().into_column(),
            c.psu.finish().into_column(),
            c.weight.finish().into_column(),
            c.fpc.finish().into_column(),
        ];
        for (i, b) in c.extra.into_iter().enumerate() {
            if plan.columns_kept[i] {
                cols.push(b.finish().into_column());
            }
        }
        for (q, values) in self.inst.questions.iter().zip(c.answers) {
            cols.push(answer_column(&q.code, values).into_column());
        }
        cols.push(c.line.finish().into_column());
        DataFrame::new(n, cols)
    }

    /// The label of the respondent_id column, for messages.
    pub fn id_label(&self) -> String {
        self.id_column
            .map(|i| self.plan.labels[i].clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_parse_also_with_a_zero_fraction() {
        assert_eq!(parse_int(b"4"), Some(4));
        assert_eq!(parse_int(b"4.0"), Some(4));
        assert_eq!(parse_int(b"4,00"), Some(4));
        assert_eq!(parse_int(b"-1"), Some(-1));
        assert_eq!(parse_int(b"3.5"), None);
        assert_eq!(parse_int(b"four"), None);
        assert_eq!(parse_int(b""), None);
        assert_eq!(parse_int(b"99999999999"), None);
    }

    #[test]
    fn reals_accept_a_lone_decimal_comma() {
        assert_eq!(parse_real(b"1.25"), Some(1.25));
        assert_eq!(parse_real(b"1,25"), Some(1.25));
        assert_eq!(parse_real(b"1,250.5"), None);
        assert_eq!(parse_real(b"inf"), None);
    }

    #[test]
    fn headers_match_trimmed_nfc_and_case_folded() {
        // "Mã phiếu" typed with a combining tilde and dot (NFD) and stray spaces.
        assert_eq!(
            normalise_header("  Ma\u{0303} phie\u{0302}\u{0301}u "),
            "mã phiếu"
        );
        // A header typed over two lines in one cell (Alt+Enter), with doubled spaces.
        assert_eq!(
            normalise_header("Mã\r\nphiếu  khảo\u{a0}sát"),
            "mã phiếu khảo sát"
        );
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
    }
}
