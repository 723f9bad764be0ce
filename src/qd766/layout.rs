//! Record layouts (`surveys/*.toml` with `kind = "records"`): the columns of a record export,
//! their types and the headers they are read from, so that a real export with Vietnamese
//! headers is mapped in data. `hoso-tthc` (procedure files), `pakn` (complaints and
//! petitions) and `tthc-catalogue` (the procedures a unit applies) are shipped.

use std::collections::BTreeMap;

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use super::records::{Minute, parse_time};
use crate::definition::{DefinitionError, Kind};
use crate::ingest::validate::{fold, normalise_header};

const SHIPPED: &[(&str, &str)] = &[
    ("hoso-tthc", include_str!("../../surveys/hoso-tthc.toml")),
    ("pakn", include_str!("../../surveys/pakn.toml")),
    (
        "tthc-catalogue",
        include_str!("../../surveys/tthc-catalogue.toml"),
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LayoutKind {
    Records,
}

/// How a column's values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Trimmed, NFC.
    Text,
    /// A date or date and time (`dd/mm/yyyy hh:mm`, ISO 8601, an Excel serial number).
    Time,
    /// A whole number ≥ 0.
    Integer,
    /// 0/1 (also có/không, yes/no, true/false); blank = 0.
    Flag,
    /// One of `codes` (keys matched without case or diacritics, spaces as `_`).
    Code,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    #[serde(default)]
    pub required: bool,
    pub headers: Vec<String>,
    /// For `code`: spelling → stored code.
    #[serde(default)]
    pub codes: BTreeMap<String, String>,
    /// `codes` with each spelling folded (lower case, no diacritics), as values are matched.
    #[serde(skip)]
    folded: Vec<(String, String)>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    pub kind: LayoutKind,
    pub id: String,
    pub version: String,
    pub title_vi: String,
    pub title_en: String,
    pub years: [i32; 2],
    /// The fields that identify a record (a later export's row with the same key replaces it).
    pub key: Vec<String>,
    /// Times that must not come before another: [earlier, later].
    #[serde(default)]
    pub order: Vec<[String; 2]>,
    pub fields: Vec<Field>,
}

/// A value read from a field.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Blank,
    Text(String),
    Time(Minute),
    Integer(i64),
    Flag(bool),
    Code(String),
}

/// Why a value was not read: the rule's code and a hint.
pub type Broken = (&'static str, String);

impl Layout {
    pub fn from_toml(file: &str, text: &str) -> Result<Layout, DefinitionError> {
        let mut l: Layout = crate::definition::parse_as(Kind::Questionnaire, file, text)?;
        for f in &mut l.fields {
            f.folded = f.codes.iter().map(|(k, c)| (fold(k), c.clone())).collect();
        }
        let invalid = |message: String, hint: &str| DefinitionError::invalid(file, message, hint);
        let known = |n: &str| l.fields.iter().any(|f| f.name == n);
        if let Some(k) = l.key.iter().find(|k| !known(k)) {
            return Err(invalid(
                format!("key names `{k}`, which is not a field"),
                "key = [\"record_id\"]",
            ));
        }
        if let Some([a, b]) = l.order.iter().find(|[a, b]| !known(a) || !known(b)) {
            return Err(invalid(
                format!("order names `{a}` or `{b}`, not fields"),
                "order = [[\"received_at\", \"due_at\"]]",
            ));
        }
        if let Some(f) = l
            .fields
            .iter()
            .find(|f| f.kind == FieldType::Code && f.codes.is_empty())
        {
            return Err(invalid(
                format!("field {} is a code without codes", f.name),
                "codes = { \"1\" = \"1\" }",
            ));
        }
        Ok(l)
    }

    /// Each field's column in `header` (None when absent); Err(the field) when a required one
    /// is missing.
    pub fn columns(&self, header: &[String]) -> Result<Vec<Option<usize>>, &Field> {
        let header: Vec<String> = header.iter().map(|h| normalise_header(h)).collect();
        self.fields
            .iter()
            .map(|f| {
                let at = header
                    .iter()
                    .position(|h| f.headers.iter().any(|x| normalise_header(x) == *h));
                match at {
                    None if f.required => Err(f),
                    at => Ok(at),
                }
            })
            .collect()
    }

    /// Reads `raw` as `field`'s value.
    pub fn read(&self, field: &Field, raw: &str) -> Result<Value, Broken> {
        let t = raw.trim();
        // Most values are ASCII or already NFC: normalised only when they need it.
        let v: std::borrow::Cow<str> = if t.is_ascii()
            || unicode_normalization::is_nfc_quick(t.chars())
                == unicode_normalization::IsNormalized::Yes
        {
            std::borrow::Cow::Borrowed(t)
        } else {
            std::borrow::Cow::Owned(t.nfc().collect())
        };
        let v = v.as_ref();
        if v.is_empty() {
            return if field.required {
                Err((
                    "required",
                    crate::msg!("records.required", column = field.name),
                ))
            } else {
                Ok(Value::Blank)
            };
        }
        match field.kind {
            FieldType::Text => Ok(Value::Text(v.to_string())),
            FieldType::Time => parse_time(v)
                .map(Value::Time)
                .ok_or_else(|| ("bad_time", crate::msg!("records.bad_time"))),
            FieldType::Integer => v
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map(Value::Integer)
                .ok_or_else(|| ("not_an_integer", crate::msg!("records.not_an_integer"))),
            FieldType::Flag if v == "1" => Ok(Value::Flag(true)),
            FieldType::Flag if v == "0" => Ok(Value::Flag(false)),
            FieldType::Flag => match fold(v).as_str() {
                "1" | "co" | "yes" | "true" | "x" => Ok(Value::Flag(true)),
                "0" | "khong" | "no" | "false" => Ok(Value::Flag(false)),
                _ => Err(("not_a_flag", crate::msg!("records.not_a_flag"))),
            },
            FieldType::Code => {
                if let Some(c) = field.codes.get(v) {
                    return Ok(Value::Code(c.clone()));
                }
                let key = fold(v).split_whitespace().collect::<Vec<_>>().join("_");
                field
                    .folded
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, c)| Value::Code(c.clone()))
                    .ok_or_else(|| {
                        let known: Vec<&str> = field.codes.keys().map(String::as_str).collect();
                        (
                            "unknown_code",
                            crate::msg!("records.unknown_code", codes = known.join(", ")),
                        )
                    })
            }
        }
    }

    /// The `order` rules a row's times break: (the later field, its rule, hint).
    pub fn order_broken(&self, values: &[Value]) -> Vec<(usize, Broken)> {
        let at = |n: &str| self.fields.iter().position(|f| f.name == n);
        self.order
            .iter()
            .filter_map(|[a, b]| {
                let (i, j) = (at(a)?, at(b)?);
                match (&values[i], &values[j]) {
                    (Value::Time(x), Value::Time(y)) if y < x => Some((
                        j,
                        (
                            "before_received",
                            crate::msg!("records.before", later = b, earlier = a),
                        ),
                    )),
                    _ => None,
                }
            })
            .collect()
    }
}

/// Whether `id` is a shipped record layout's (its batches are records, not answers).
pub fn is_shipped(id: &str) -> bool {
    SHIPPED.iter().any(|(s, _)| *s == id)
}

/// The record layout `survey` names, if it names one: a shipped layout's id, or a `.toml` file
/// with `kind = "records"`.
pub fn find(survey: &str) -> Result<Option<Layout>, DefinitionError> {
    let path = std::path::Path::new(survey);
    let is_layout = is_shipped(survey)
        || (survey.ends_with(".toml")
            && std::fs::read_to_string(path).is_ok_and(|t| {
                t.lines().any(|l| {
                    l.split('#').next().unwrap_or("").replace(' ', "") == "kind=\"records\""
                })
            }));
    if is_layout {
        load(survey).map(Some)
    } else {
        Ok(None)
    }
}

/// A record layout by id (shipped) or path.
pub fn load(id_or_path: &str) -> Result<Layout, DefinitionError> {
    crate::definition::load(
        Kind::Questionnaire,
        id_or_path,
        |path, text| Layout::from_toml(&path.display().to_string(), text),
        |id| crate::definition::shipped_in("surveys", SHIPPED, id, Layout::from_toml),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_layouts_map_vietnamese_headers_and_read_typed_values() -> Result<(), DefinitionError>
    {
        let l = load("hoso-tthc")?;
        assert_eq!(l.kind, LayoutKind::Records);
        let header: Vec<String> = [
            "Mã hồ sơ",
            "Đơn vị xử lý",
            "Mã TTHC",
            "Kênh thực hiện",
            "Ngày tiếp nhận",
            "Ngày hẹn trả",
            "Trạng thái",
        ]
        .map(String::from)
        .to_vec();
        let cols = l
            .columns(&header)
            .map_err(|f| DefinitionError::invalid("t", f.name.clone(), ""))?;
        assert_eq!(
            &cols[..8],
            &[
                Some(0),
                Some(1),
                Some(2),
                Some(3),
                Some(4),
                Some(5),
                None,
                Some(6)
            ]
        );
        // A required column missing is named.
        assert_eq!(
            l.columns(&header[1..]).err().map(|f| f.name.as_str()),
            Some("record_id")
        );
        let f = |n: &str| l.fields.iter().find(|f| f.name == n).cloned().expect(n);
        assert_eq!(
            l.read(&f("channel"), "Trực tuyến"),
            Ok(Value::Code("2".into()))
        );
        assert_eq!(l.read(&f("channel"), "2"), Ok(Value::Code("2".into())));
        assert_eq!(
            l.read(&f("channel"), "4").map_err(|e| e.0),
            Err("unknown_code")
        );
        assert_eq!(
            l.read(&f("status"), "11").map_err(|e| e.0),
            Err("unknown_code")
        );
        assert_eq!(l.read(&f("e_result"), "có"), Ok(Value::Flag(true)));
        assert_eq!(l.read(&f("e_result"), ""), Ok(Value::Blank));
        assert_eq!(
            l.read(&f("e_result"), "2").map_err(|e| e.0),
            Err("not_a_flag")
        );
        assert_eq!(
            l.read(&f("received_at"), "").map_err(|e| e.0),
            Err("required")
        );
        assert_eq!(
            l.read(&f("received_at"), "31/02/2026").map_err(|e| e.0),
            Err("bad_time")
        );
        assert_eq!(
            l.read(&f("supplement_requests"), "-1").map_err(|e| e.0),
            Err("not_an_integer")
        );
        // A due date before the receipt breaks the layout's order.
        let mut values = vec![Value::Blank; l.fields.len()];
        let at = |n: &str| l.fields.iter().position(|f| f.name == n).expect(n);
        values[at("received_at")] = l.read(&f("received_at"), "10/03/2026 08:00").expect("t");
        values[at("due_at")] = l.read(&f("due_at"), "09/03/2026").expect("t");
        let broken = l.order_broken(&values);
        assert_eq!(broken.len(), 1);
        assert_eq!(
            (broken[0].0, broken[0].1.0),
            (at("due_at"), "before_received")
        );
        for id in ["pakn", "tthc-catalogue"] {
            load(id)?;
        }
        Ok(())
    }
}
