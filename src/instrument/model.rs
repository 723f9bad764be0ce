//! The serde model of a questionnaire file and its resolution into an [`Instrument`].

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::definition::{DefinitionError, Kind};

/// What one `surveys/*.toml` file says, before its cross-references are checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    id: String,
    version: String,
    title_vi: String,
    title_en: String,
    /// A short name for titles and tables (the title when absent).
    #[serde(default)]
    short_vi: Option<String>,
    #[serde(default)]
    short_en: Option<String>,
    service: String,
    legal_basis: String,
    /// First and last year this version applies to.
    years: [i32; 2],
    #[serde(default)]
    modelled: bool,
    /// Default scoring methodology (a file name in `scoring/`, without `.toml`).
    method: String,
    #[serde(default)]
    note: Option<String>,
    /// Header overrides for the standard columns (respondent_id, unit_id, design columns).
    #[serde(default)]
    headers: BTreeMap<String, String>,
    scales: BTreeMap<String, ScaleFile>,
    #[serde(default)]
    elements: Vec<Element>,
    questions: Vec<QuestionFile>,
    #[serde(default)]
    columns: Vec<Column>,
    #[serde(default)]
    continues: Option<Continues>,
    /// What an answer off the scale costs: the whole form (`quarantine_row`, the default) or
    /// only that answer (`blank_answer`).
    #[serde(default)]
    bad_answer: BadAnswer,
}

/// What an answer that is off its scale, or not a number, costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum BadAnswer {
    /// The whole form is quarantined (no answer of it counts).
    #[default]
    QuarantineRow,
    /// The form is stored with that answer left blank, and the cell is listed in the
    /// quarantine file with its rule: the form's other answers count.
    BlankAnswer,
}

/// The earlier questionnaire version a form continues, and which of its questions ask what
/// the earlier form's questions asked: the correspondence `chiso compare` works from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Continues {
    /// Id of the earlier questionnaire.
    pub survey: String,
    /// This form's question code → the earlier form's code.
    pub items: BTreeMap<String, String>,
    /// This form's element code → the earlier form's [default: the same code].
    #[serde(default)]
    pub elements: BTreeMap<String, String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScaleFile {
    #[serde(default)]
    vi: Option<String>,
    #[serde(default)]
    en: Option<String>,
    /// The valid answer codes, in order (e.g. 1..5), or
    #[serde(default)]
    values: Option<Vec<i32>>,
    /// an inclusive integer range (e.g. [0, 100] for a percentage).
    #[serde(default)]
    range: Option<[i32; 2]>,
    #[serde(default)]
    labels_vi: Vec<String>,
    #[serde(default)]
    labels_en: Vec<String>,
    /// Codes meaning "not applicable" (không áp dụng); `[0]` when not given.
    #[serde(default)]
    not_applicable: Option<Vec<i32>>,
    /// Codes meaning "no answer" besides a blank cell.
    #[serde(default)]
    no_answer: Vec<i32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionFile {
    code: String,
    #[serde(default)]
    element: Option<String>,
    #[serde(default)]
    part: Option<String>,
    scale: String,
    vi: String,
    en: String,
    #[serde(default)]
    header: Option<String>,
    #[serde(default)]
    optional: bool,
}

/// An element (yếu tố, or a section of the health forms): a group of scored items.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Element {
    pub code: String,
    pub vi: String,
    pub en: String,
}

/// A declared non-question column: demographics, or details that identify a person.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub name: String,
    #[serde(default)]
    pub header: Option<String>,
    pub vi: String,
    pub en: String,
    /// Allowed values, when the column is categorical.
    #[serde(default)]
    pub values: Option<Vec<String>>,
    /// Identifies a person (name, phone, ID card, address): not stored without `--keep-pii`.
    #[serde(default)]
    pub pii: bool,
    /// Other spellings of the values: `aliases = { "female" = "nu" }`. Values also match in
    /// any case and, when that is unambiguous, without diacritics (`Nữ` = `nu`).
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
}

impl Column {
    pub fn header(&self) -> &str {
        self.header.as_deref().unwrap_or(&self.name)
    }
}

/// An answer scale with its valid codes and the codes that mean "no answer" or "not applicable".
#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    pub name: String,
    pub vi: Option<String>,
    pub en: Option<String>,
    pub min: i32,
    pub max: i32,
    /// Listed codes (None for a plain range).
    pub values: Option<Vec<i32>>,
    pub labels_vi: Vec<String>,
    pub labels_en: Vec<String>,
    pub not_applicable: Vec<i32>,
    pub no_answer: Vec<i32>,
}

/// How one integer answer code reads on a scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Valid,
    NoAnswer,
    NotApplicable,
    OutOfScale,
}

impl Scale {
    pub fn classify(&self, code: i32) -> Answer {
        if self.not_applicable.contains(&code) {
            Answer::NotApplicable
        } else if self.no_answer.contains(&code) {
            Answer::NoAnswer
        } else if self.is_valid(code) {
            Answer::Valid
        } else {
            Answer::OutOfScale
        }
    }

    pub fn is_valid(&self, code: i32) -> bool {
        match &self.values {
            Some(v) => v.contains(&code),
            None => (self.min..=self.max).contains(&code),
        }
    }

    /// "1–5, blank = no answer, 0 = not applicable": the rule quoted in error messages.
    pub fn describe(&self) -> String {
        let valid = match &self.values {
            Some(v) if v.windows(2).all(|w| w[1] == w[0] + 1) => {
                format!("{}–{}", self.min, self.max)
            }
            Some(v) => v.iter().map(i32::to_string).collect::<Vec<_>>().join(", "),
            None => format!("{}–{}", self.min, self.max),
        };
        let mut out = crate::msg!("scale.allowed", valid = valid);
        for c in &self.no_answer {
            out.push_str(&crate::msg!("scale.no_answer", code = c));
        }
        for c in &self.not_applicable {
            out.push_str(&crate::msg!("scale.not_applicable", code = c));
        }
        out
    }
}

/// A question as ingest and scoring see it.
#[derive(Debug, Clone)]
pub struct Question {
    pub code: String,
    /// The element (yếu tố) it is scored under; None for questions outside the index.
    pub element: Option<String>,
    /// A named part of the form (e.g. SIPAS `service`, `policy`, `other`).
    pub part: Option<String>,
    pub vi: String,
    pub en: String,
    pub header: String,
    pub optional: bool,
    pub scale: Scale,
}

/// The standard columns of the data contract, in store order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandardColumn {
    RespondentId,
    UnitId,
    Year,
    Stratum,
    Psu,
    Weight,
    Fpc,
}

impl StandardColumn {
    pub const ALL: [StandardColumn; 7] = [
        StandardColumn::RespondentId,
        StandardColumn::UnitId,
        StandardColumn::Year,
        StandardColumn::Stratum,
        StandardColumn::Psu,
        StandardColumn::Weight,
        StandardColumn::Fpc,
    ];

    pub fn name(self) -> &'static str {
        match self {
            StandardColumn::RespondentId => "respondent_id",
            StandardColumn::UnitId => "unit_id",
            StandardColumn::Year => "year",
            StandardColumn::Stratum => "stratum",
            StandardColumn::Psu => "psu",
            StandardColumn::Weight => "weight",
            StandardColumn::Fpc => "fpc",
        }
    }

    pub fn required(self) -> bool {
        matches!(self, StandardColumn::RespondentId | StandardColumn::UnitId)
    }
}

/// A checked questionnaire.
#[derive(Debug, Clone)]
pub struct Instrument {
    pub id: String,
    pub version: String,
    pub title_vi: String,
    pub title_en: String,
    /// A short name for chart titles and report tables.
    pub short_vi: String,
    pub short_en: String,
    pub service: String,
    pub legal_basis: String,
    pub years: [i32; 2],
    pub modelled: bool,
    pub method: String,
    pub note: Option<String>,
    pub elements: Vec<Element>,
    pub questions: Vec<Question>,
    pub columns: Vec<Column>,
    pub continues: Option<Continues>,
    /// What an answer off its scale costs (a batch may choose otherwise: `--bad-answer`).
    pub bad_answer: BadAnswer,
    headers: BTreeMap<String, String>,
}

impl Instrument {
    pub fn from_toml(file: &str, text: &str) -> Result<Self, DefinitionError> {
        let raw: File = crate::definition::parse_as(Kind::Questionnaire, file, text)?;
        resolve(file, raw)
    }

    /// The CSV header a standard column is read from.
    pub fn header_of(&self, column: StandardColumn) -> &str {
        self.headers
            .get(column.name())
            .map(String::as_str)
            .unwrap_or(column.name())
    }

    /// Item and element labels in `lang`, and the overall index's, by code.
    pub fn labels(&self, lang: crate::lang::Lang) -> BTreeMap<String, String> {
        self.questions
            .iter()
            .map(|q| (q.code.clone(), lang.pick(&q.vi, &q.en).clone()))
            .chain(
                self.elements
                    .iter()
                    .map(|e| (e.code.clone(), lang.pick(&e.vi, &e.en).clone())),
            )
            .chain([(
                "overall".to_string(),
                lang.pick("Chỉ số chung", "Overall index").to_string(),
            )])
            .collect()
    }

    /// Questions that belong to an element, i.e. enter the satisfaction index.
    pub fn scored_items(&self) -> impl Iterator<Item = &Question> {
        self.questions.iter().filter(|q| q.element.is_some())
    }
}

fn resolve(file: &str, raw: File) -> Result<Instrument, DefinitionError> {
    let invalid = |message: String, hint: String| DefinitionError::invalid(file, message, &hint);
    use crate::msg;
    if !crate::definition::is_plain_id(&raw.id) {
        return Err(invalid(
            msg!("definition.id", id = raw.id.escape_debug()),
            msg!("definition.id_hint"),
        ));
    }
    if raw.years[0] > raw.years[1] {
        return Err(invalid(
            msg!("questionnaire.years", years = format!("{:?}", raw.years)),
            msg!("questionnaire.years_hint"),
        ));
    }
    for c in &raw.columns {
        for (alias, value) in &c.aliases {
            if !c.values.as_ref().is_some_and(|v| v.contains(value)) {
                return Err(invalid(
                    msg!(
                        "questionnaire.alias",
                        column = c.name,
                        alias = alias,
                        value = value
                    ),
                    msg!("questionnaire.alias_hint"),
                ));
            }
        }
    }
    for key in raw.headers.keys() {
        if !StandardColumn::ALL.iter().any(|c| c.name() == key) {
            return Err(invalid(
                msg!("questionnaire.header_key", key = key),
                msg!("questionnaire.header_key_hint"),
            ));
        }
    }
    let mut scales = BTreeMap::new();
    for (name, s) in raw.scales {
        let (values, min, max) = match (s.values, s.range) {
            (Some(v), None) if !v.is_empty() => {
                let mut sorted = v.clone();
                sorted.sort_unstable();
                if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
                    return Err(invalid(
                        msg!("questionnaire.scale_twice", scale = name, value = w[0]),
                        msg!("questionnaire.scale_twice_hint"),
                    ));
                }
                let min = v.iter().copied().min().unwrap_or_default();
                let max = v.iter().copied().max().unwrap_or_default();
                (Some(v), min, max)
            }
            (None, Some([lo, hi])) if lo <= hi => (None, lo, hi),
            _ => {
                return Err(invalid(
                    msg!("questionnaire.scale_values", scale = name),
                    msg!("questionnaire.scale_values_hint"),
                ));
            }
        };
        let n = values.as_ref().map(Vec::len);
        for (labels, lang) in [(&s.labels_vi, "labels_vi"), (&s.labels_en, "labels_en")] {
            if !labels.is_empty() && Some(labels.len()) != n {
                return Err(invalid(
                    msg!(
                        "questionnaire.labels",
                        scale = name,
                        key = lang,
                        labels = labels.len(),
                        values = n.unwrap_or(0)
                    ),
                    msg!("questionnaire.labels_hint"),
                ));
            }
        }
        let not_applicable = s.not_applicable.unwrap_or_else(|| vec![0]);
        let scale = Scale {
            name: name.clone(),
            vi: s.vi,
            en: s.en,
            min,
            max,
            values,
            labels_vi: s.labels_vi,
            labels_en: s.labels_en,
            not_applicable,
            no_answer: s.no_answer,
        };
        if let Some(c) = scale
            .not_applicable
            .iter()
            .chain(&scale.no_answer)
            .find(|c| scale.is_valid(**c))
        {
            return Err(invalid(
                msg!("questionnaire.missing_code", scale = name, code = c),
                msg!("questionnaire.missing_code_hint"),
            ));
        }
        scales.insert(name, scale);
    }
    let element_codes: BTreeSet<&str> = raw.elements.iter().map(|e| e.code.as_str()).collect();
    if element_codes.len() != raw.elements.len() {
        return Err(invalid(
            msg!("questionnaire.element_twice"),
            msg!("questionnaire.unique_hint"),
        ));
    }
    let mut seen_codes = BTreeSet::new();
    let mut seen_headers = BTreeSet::new();
    for c in StandardColumn::ALL {
        seen_headers.insert(
            raw.headers
                .get(c.name())
                .cloned()
                .unwrap_or_else(|| c.name().to_string())
                .to_lowercase(),
        );
    }
    let mut questions = Vec::with_capacity(raw.questions.len());
    for q in raw.questions {
        let scale = scales.get(&q.scale).cloned().ok_or_else(|| {
            invalid(
                msg!("questionnaire.no_scale", question = q.code, scale = q.scale),
                msg!("questionnaire.no_scale_hint"),
            )
        })?;
        if let Some(e) = &q.element
            && !element_codes.contains(e.as_str())
        {
            return Err(invalid(
                msg!("questionnaire.no_element", question = q.code, element = e),
                msg!("questionnaire.no_element_hint"),
            ));
        }
        if !seen_codes.insert(q.code.clone()) {
            return Err(invalid(
                msg!("questionnaire.question_twice", question = q.code),
                msg!("questionnaire.unique_hint"),
            ));
        }
        let header = q.header.unwrap_or_else(|| q.code.clone());
        if !seen_headers.insert(header.to_lowercase()) {
            return Err(invalid(
                msg!(
                    "questionnaire.header_twice",
                    header = header,
                    column = q.code
                ),
                msg!("questionnaire.header_twice_hint"),
            ));
        }
        questions.push(Question {
            code: q.code,
            element: q.element,
            part: q.part,
            vi: q.vi,
            en: q.en,
            header,
            optional: q.optional,
            scale,
        });
    }
    for c in &raw.columns {
        if !seen_headers.insert(c.header().to_lowercase()) {
            return Err(invalid(
                msg!(
                    "questionnaire.header_twice",
                    header = c.header(),
                    column = c.name
                ),
                msg!("questionnaire.header_twice_hint"),
            ));
        }
    }
    for e in &raw.elements {
        if !questions
            .iter()
            .any(|q| q.element.as_deref() == Some(&e.code))
        {
            return Err(invalid(
                msg!("questionnaire.empty_element", element = e.code),
                msg!("questionnaire.empty_element_hint"),
            ));
        }
    }
    if let Some(c) = &raw.continues {
        for (code, e) in c
            .items
            .keys()
            .map(|k| (k, "items"))
            .chain(c.elements.keys().map(|k| (k, "elements")))
        {
            let known = if e == "items" {
                questions.iter().any(|q| &q.code == code)
            } else {
                raw.elements.iter().any(|x| &x.code == code)
            };
            if !known {
                return Err(invalid(
                    msg!("questionnaire.continues", key = e, code = code),
                    msg!("questionnaire.continues_hint"),
                ));
            }
        }
    }
    Ok(Instrument {
        id: raw.id,
        version: raw.version,
        short_vi: raw.short_vi.unwrap_or_else(|| raw.title_vi.clone()),
        short_en: raw.short_en.unwrap_or_else(|| raw.title_en.clone()),
        title_vi: raw.title_vi,
        title_en: raw.title_en,
        service: raw.service,
        legal_basis: raw.legal_basis,
        years: raw.years,
        modelled: raw.modelled,
        method: raw.method,
        note: raw.note,
        elements: raw.elements,
        questions,
        columns: raw.columns,
        continues: raw.continues,
        bad_answer: raw.bad_answer,
        headers: raw.headers,
    })
}
