//! Checking every row of a table against a questionnaire, in one pass that also builds the
//! columns to store and the hash that identifies the batch.

use std::collections::{BTreeMap, HashMap, HashSet};

use csv::ByteRecord;
use polars::prelude::*;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use super::error::{Refusal, Rule, Violation, quote_value};
use super::read::Format;
use crate::instrument::{Answer, Instrument, StandardColumn};

/// Longest field accepted as an answer or id; longer is a broken export, not data.
pub const MAX_FIELD_BYTES: usize = 4096;

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
    present: Vec<StandardColumn>,
    questions_present: Vec<bool>,
    /// Declared columns that will be stored (PII only with --keep-pii).
    columns_kept: Vec<bool>,
    pub ignored: Vec<String>,
    pub pii_dropped: Vec<String>,
}

/// A header as it is matched: trimmed, NFC, case-folded.
pub fn normalise_header(h: &str) -> String {
    h.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .nfc()
        .collect::<String>()
        .to_lowercase()
}

fn column_letters(mut i: usize) -> String {
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
                format!(
                    "{} more missing: {}{}; ",
                    missing.len() - 1,
                    rest.join(", "),
                    if missing.len() > 11 { ", …" } else { "" }
                )
            } else {
                String::new()
            };
            return Err(Refusal::MissingColumn {
                file: file.to_string(),
                column: column.clone(),
                header: h.clone(),
                hint: format!(
                    "{also}if the export names it differently, map it in the questionnaire (`header = \"...\"` on the question, or [headers] for standard columns)"
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
                Format::Workbook { .. } => format!("column {} ({})", column_letters(i), h.trim()),
                Format::Text { .. } => format!("column {} ({})", i + 1, h.trim()),
            })
            .collect();
        Ok(Plan {
            targets,
            labels,
            present,
            questions_present,
            columns_kept,
            ignored,
            pii_dropped,
        })
    }
}

/// Rows that passed, as columns, plus everything learned about the batch.
pub struct Checker<'a> {
    inst: &'a Instrument,
    plan: &'a Plan,
    year: Option<i32>,
    stored: &'a HashSet<String>,
    seen: HashMap<String, u64>,
    hasher: Sha256,
    hash_buf: Vec<u8>,
    // Accepted rows, column by column.
    line: Vec<i64>,
    respondent_id: Vec<String>,
    unit_id: Vec<String>,
    stratum: Vec<Option<String>>,
    psu: Vec<Option<String>>,
    weight: Vec<Option<f64>>,
    fpc: Vec<Option<f64>>,
    answers: Vec<Vec<Option<i32>>>,
    extra: Vec<Vec<Option<String>>>,
    // Scratch for the row being checked.
    row_answers: Vec<Option<i32>>,
    row_extra: Vec<Option<String>>,
    pub rows_read: u64,
    pub blank_rows: u64,
    pub quarantined_rows: u64,
    pub violations: Vec<Violation>,
}

fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

fn text(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(trim(b));
    if s.is_ascii() {
        s.into_owned()
    } else {
        s.nfc().collect()
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
    pub fn new(
        inst: &'a Instrument,
        plan: &'a Plan,
        header: &[String],
        year: Option<i32>,
        stored: &'a HashSet<String>,
    ) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"chiso-batch-v1\0");
        hasher.update(inst.id.as_bytes());
        hasher.update(b"\0");
        hasher.update(year.map(|y| y.to_string()).unwrap_or_default().as_bytes());
        for h in header {
            hasher.update(b"\x1f");
            hasher.update(normalise_header(h).as_bytes());
        }
        Checker {
            inst,
            plan,
            year,
            stored,
            seen: HashMap::new(),
            hasher,
            hash_buf: Vec::with_capacity(1 << 17),
            line: Vec::new(),
            respondent_id: Vec::new(),
            unit_id: Vec::new(),
            stratum: Vec::new(),
            psu: Vec::new(),
            weight: Vec::new(),
            fpc: Vec::new(),
            answers: vec![Vec::new(); inst.questions.len()],
            extra: vec![Vec::new(); inst.columns.len()],
            row_answers: vec![None; inst.questions.len()],
            row_extra: vec![None; inst.columns.len()],
            rows_read: 0,
            blank_rows: 0,
            quarantined_rows: 0,
            violations: Vec::new(),
        }
    }

    fn hash_record(&mut self, rec: &ByteRecord) {
        self.hash_buf.push(0x1e);
        for f in rec.iter() {
            self.hash_buf.extend_from_slice(f);
            self.hash_buf.push(0x1f);
        }
        if self.hash_buf.len() >= 1 << 16 {
            self.hasher.update(&self.hash_buf);
            self.hash_buf.clear();
        }
    }

    /// Checks one record; accepted rows are appended to the columns.
    pub fn record(&mut self, line: u64, rec: &ByteRecord) {
        if rec.iter().all(|f| trim(f).is_empty()) {
            self.blank_rows += 1;
            return;
        }
        self.rows_read += 1;
        self.hash_record(rec);
        let plan = self.plan;
        let before = self.violations.len();
        let mut rid = String::new();
        if let Some(i) = plan
            .targets
            .iter()
            .position(|t| *t == Target::Standard(StandardColumn::RespondentId))
            && let Some(f) = rec.get(i)
            && f.len() <= MAX_FIELD_BYTES
        {
            rid = text(f);
        }
        if rec.len() != plan.targets.len() {
            let msg = format!(
                "the row has {} fields, the header {}",
                rec.len(),
                plan.targets.len()
            );
            self.violation(line, &rid, "(row)".into(), b"", Rule::WrongFieldCount, msg);
            self.quarantined_rows += 1;
            return;
        }
        let mut unit = String::new();
        let mut stratum = None;
        let mut psu = None;
        let mut weight = None;
        let mut fpc = None;
        for (i, f) in rec.iter().enumerate() {
            let target = plan.targets[i];
            if target == Target::Ignored {
                continue;
            }
            if f.len() > MAX_FIELD_BYTES {
                let msg = format!(
                    "the field is {} bytes long (at most {MAX_FIELD_BYTES})",
                    f.len()
                );
                self.violation(
                    line,
                    &rid,
                    plan.labels[i].clone(),
                    f,
                    Rule::FieldTooLong,
                    msg,
                );
                continue;
            }
            let v = trim(f);
            match target {
                Target::Ignored => {}
                Target::Standard(StandardColumn::RespondentId) => {
                    if v.is_empty() {
                        let msg = "respondent_id is empty".to_string();
                        self.violation(line, &rid, plan.labels[i].clone(), f, Rule::EmptyId, msg);
                    }
                }
                Target::Standard(StandardColumn::UnitId) => {
                    if v.is_empty() {
                        let msg = "unit_id is empty".to_string();
                        self.violation(line, &rid, plan.labels[i].clone(), f, Rule::EmptyId, msg);
                    } else {
                        unit = text(v);
                    }
                }
                Target::Standard(StandardColumn::Year) => {
                    if !v.is_empty() {
                        let y = parse_int(v);
                        if let Some(want) = self.year
                            && y != Some(want)
                        {
                            let msg =
                                format!("the row says year {}, --year is {want}", quote_value(v));
                            self.violation(
                                line,
                                &rid,
                                plan.labels[i].clone(),
                                f,
                                Rule::YearMismatch,
                                msg,
                            );
                        }
                    }
                }
                Target::Standard(c @ (StandardColumn::Stratum | StandardColumn::Psu)) => {
                    if v.is_empty() {
                        let msg = format!("{} is empty, but the column is present", c.name());
                        self.violation(
                            line,
                            &rid,
                            plan.labels[i].clone(),
                            f,
                            Rule::MissingDesign,
                            msg,
                        );
                    } else if c == StandardColumn::Stratum {
                        stratum = Some(text(v));
                    } else {
                        psu = Some(text(v));
                    }
                }
                Target::Standard(StandardColumn::Weight) => match parse_real(v) {
                    _ if v.is_empty() => {
                        let msg = "weight is empty, but the column is present".to_string();
                        self.violation(
                            line,
                            &rid,
                            plan.labels[i].clone(),
                            f,
                            Rule::MissingDesign,
                            msg,
                        );
                    }
                    Some(w) if w > 0.0 => weight = Some(w),
                    _ => {
                        let msg = format!("weight \"{}\" is not a positive number", quote_value(v));
                        self.violation(line, &rid, plan.labels[i].clone(), f, Rule::BadWeight, msg);
                    }
                },
                Target::Standard(StandardColumn::Fpc) => match parse_real(v) {
                    _ if v.is_empty() => {
                        let msg = "fpc is empty, but the column is present".to_string();
                        self.violation(
                            line,
                            &rid,
                            plan.labels[i].clone(),
                            f,
                            Rule::MissingDesign,
                            msg,
                        );
                    }
                    Some(x) if x > 0.0 => fpc = Some(x),
                    _ => {
                        let msg = format!("fpc \"{}\" is not a positive number", quote_value(v));
                        self.violation(line, &rid, plan.labels[i].clone(), f, Rule::BadFpc, msg);
                    }
                },
                Target::Question(q) => {
                    self.row_answers[q] = None;
                    if v.is_empty() {
                        continue;
                    }
                    let scale = &self.inst.questions[q].scale;
                    match parse_int(v) {
                        Some(code) if scale.classify(code) != Answer::OutOfScale => {
                            self.row_answers[q] = Some(code);
                        }
                        Some(_) => {
                            let msg = format!(
                                "\"{}\" is out of scale ({})",
                                quote_value(v),
                                scale.describe()
                            );
                            self.violation(
                                line,
                                &rid,
                                plan.labels[i].clone(),
                                f,
                                Rule::OutOfScale,
                                msg,
                            );
                        }
                        None => {
                            let what = if parse_real(v).is_some() {
                                "a decimal"
                            } else {
                                "not a number"
                            };
                            let msg = format!(
                                "\"{}\" is {what}; answers are whole-number codes ({})",
                                quote_value(v),
                                scale.describe()
                            );
                            self.violation(
                                line,
                                &rid,
                                plan.labels[i].clone(),
                                f,
                                Rule::NotInteger,
                                msg,
                            );
                        }
                    }
                }
                Target::Column(c) => {
                    self.row_extra[c] = None;
                    if v.is_empty() {
                        continue;
                    }
                    let value = text(v);
                    if let Some(allowed) = &self.inst.columns[c].values
                        && !allowed.iter().any(|a| a.eq_ignore_ascii_case(&value))
                    {
                        let msg = format!(
                            "\"{}\" is not one of: {}",
                            quote_value(v),
                            allowed.join(", ")
                        );
                        self.violation(
                            line,
                            &rid,
                            plan.labels[i].clone(),
                            f,
                            Rule::UnknownCategory,
                            msg,
                        );
                        continue;
                    }
                    self.row_extra[c] = Some(value);
                }
            }
        }
        if !rid.is_empty() {
            let id_label = plan
                .targets
                .iter()
                .position(|t| *t == Target::Standard(StandardColumn::RespondentId))
                .map(|i| plan.labels[i].clone())
                .unwrap_or_default();
            if self.stored.contains(&rid) {
                let msg = format!(
                    "respondent \"{}\" is already stored for {} {}",
                    rid,
                    self.inst.id,
                    self.year.map(|y| y.to_string()).unwrap_or_default()
                );
                self.violation(
                    line,
                    &rid,
                    id_label,
                    rid.as_bytes(),
                    Rule::AlreadyStored,
                    msg,
                );
            } else if let Some(first) = self.seen.get(&rid) {
                let msg = format!("respondent \"{rid}\" already appears on line {first}");
                self.violation(line, &rid, id_label, rid.as_bytes(), Rule::DuplicateId, msg);
            } else {
                self.seen.insert(rid.clone(), line);
            }
        }
        if self.violations.len() > before {
            self.quarantined_rows += 1;
            return;
        }
        self.line.push(line as i64);
        self.respondent_id.push(rid);
        self.unit_id.push(unit);
        self.stratum.push(stratum);
        self.psu.push(psu);
        self.weight.push(weight);
        self.fpc.push(fpc);
        for (col, v) in self.answers.iter_mut().zip(&self.row_answers) {
            col.push(*v);
        }
        for (col, v) in self.extra.iter_mut().zip(&self.row_extra) {
            col.push(v.clone());
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

    /// Violations counted by rule, in rule order.
    pub fn by_rule(&self) -> BTreeMap<Rule, usize> {
        let mut m = BTreeMap::new();
        for v in &self.violations {
            *m.entry(v.rule).or_insert(0) += 1;
        }
        m
    }

    /// The accepted rows in the store's schema (without the `batch` column), and the batch id (hex SHA-256 of the content).
    pub fn finish(mut self) -> PolarsResult<(DataFrame, String)> {
        self.hasher.update(&self.hash_buf);
        let id: String = self
            .hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let n = self.respondent_id.len();
        let plan = self.plan;
        let has = |c: StandardColumn| plan.present.contains(&c);
        let mut cols: Vec<Column> = vec![
            Series::new(
                "respondent_id".into(),
                std::mem::take(&mut self.respondent_id),
            )
            .into(),
            Series::new("unit_id".into(), std::mem::take(&mut self.unit_id)).into(),
            Series::new("year".into(), vec![self.year; n]).into(),
            Series::new("stratum".into(), std::mem::take(&mut self.stratum)).into(),
            Series::new("psu".into(), std::mem::take(&mut self.psu)).into(),
            Series::new("weight".into(), std::mem::take(&mut self.weight)).into(),
            Series::new("fpc".into(), std::mem::take(&mut self.fpc)).into(),
        ];
        // A design column absent from the file is null, not an empty string.
        for (i, c) in [StandardColumn::Stratum, StandardColumn::Psu]
            .into_iter()
            .enumerate()
        {
            if !has(c) {
                cols[3 + i] = Series::full_null(c.name().into(), n, &DataType::String).into();
            }
        }
        for (i, c) in self.inst.columns.iter().enumerate() {
            if plan.columns_kept[i] {
                cols.push(
                    Series::new(c.name.as_str().into(), std::mem::take(&mut self.extra[i])).into(),
                );
            }
        }
        for (i, q) in self.inst.questions.iter().enumerate() {
            let s = if plan.questions_present[i] {
                Series::new(q.code.as_str().into(), std::mem::take(&mut self.answers[i]))
            } else {
                Series::full_null(q.code.as_str().into(), n, &DataType::Int32)
            };
            cols.push(s.into());
        }
        cols.push(Series::new("line".into(), std::mem::take(&mut self.line)).into());
        Ok((DataFrame::new(n, cols)?, id))
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
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
    }
}
