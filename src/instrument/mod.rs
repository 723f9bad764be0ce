//! Questionnaire definitions (`surveys/*.toml`): the serde model, its checks, and the
//! resolved [`Instrument`] that ingest and scoring work from.
//!
//! A questionnaire is data: its questions, their scales, the elements (yếu tố) they belong
//! to, the CSV header each is read from, and the legal basis and years it applies to.
//! The shipped questionnaires are embedded in the binary so that `chiso` works from any
//! directory; a path to another `.toml` file can be given wherever a survey id is taken.

mod model;

pub use model::{
    Answer, BadAnswer, Column, Continues, Element, Instrument, Question, Scale, StandardColumn,
};

use crate::definition::{DefinitionError, Kind};

/// The questionnaires shipped in `surveys/`, embedded at build time: (file name, text).
const SHIPPED: &[(&str, &str)] = &[
    ("sipas.toml", include_str!("../../surveys/sipas.toml")),
    (
        "health-outpatient.toml",
        include_str!("../../surveys/health-outpatient.toml"),
    ),
    (
        "health-outpatient-3869.toml",
        include_str!("../../surveys/health-outpatient-3869.toml"),
    ),
    (
        "health-inpatient.toml",
        include_str!("../../surveys/health-inpatient.toml"),
    ),
    (
        "education.toml",
        include_str!("../../surveys/education.toml"),
    ),
];

/// All shipped questionnaires, in a stable order (by id).
pub fn shipped() -> Result<Vec<Instrument>, DefinitionError> {
    let mut all = SHIPPED
        .iter()
        .map(|(name, text)| Instrument::from_toml(name, text))
        .collect::<Result<Vec<_>, _>>()?;
    all.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(all)
}

/// The definition's text as written (comments included): a shipped questionnaire's embedded
/// file, or the file `id_or_path` names.
pub fn definition_text(id_or_path: &str) -> Result<String, DefinitionError> {
    crate::definition::load(
        Kind::Questionnaire,
        id_or_path,
        |_, text| Ok(text.to_string()),
        |id| {
            SHIPPED
                .iter()
                .find(|(name, text)| {
                    name.trim_end_matches(".toml") == id
                        || Instrument::from_toml(name, text).is_ok_and(|i| i.id == id)
                })
                .map(|(_, text)| Ok(text.to_string()))
        },
    )
}

/// A questionnaire as data for programs (`chiso surveys ID --json`): its identity, elements,
/// questions with their headers, texts and scales, and its other columns.
pub fn describe(inst: &Instrument) -> serde_json::Value {
    use serde_json::json;
    let scale = |s: &Scale| {
        json!({
            "name": s.name,
            "min": s.min,
            "max": s.max,
            "values": s.values,
            "labels_vi": s.labels_vi,
            "labels_en": s.labels_en,
            "not_applicable": s.not_applicable,
            "no_answer": s.no_answer,
        })
    };
    json!({
        "id": inst.id,
        "version": inst.version,
        "title_vi": inst.title_vi,
        "title_en": inst.title_en,
        "legal_basis": inst.legal_basis,
        "years": inst.years,
        "modelled": inst.modelled,
        "method": inst.method,
        "standard_columns": StandardColumn::ALL
            .iter()
            .map(|c| json!({"name": c.name(), "header": inst.header_of(*c), "required": c.required()}))
            .collect::<Vec<_>>(),
        "columns": inst.columns.iter().map(|c| json!({
            "name": c.name, "header": c.header(), "vi": c.vi, "en": c.en,
            "values": c.values, "pii": c.pii,
        })).collect::<Vec<_>>(),
        "elements": inst.elements.iter().map(|e| json!({
            "code": e.code, "vi": e.vi, "en": e.en,
        })).collect::<Vec<_>>(),
        "questions": inst.questions.iter().map(|q| json!({
            "code": q.code, "header": q.header, "element": q.element, "part": q.part,
            "optional": q.optional, "vi": q.vi, "en": q.en, "scale": scale(&q.scale),
        })).collect::<Vec<_>>(),
    })
}

/// Resolves `--survey`: a shipped id, or a path to a questionnaire file.
pub fn load(id_or_path: &str) -> Result<Instrument, DefinitionError> {
    crate::definition::load(
        Kind::Questionnaire,
        id_or_path,
        |path, text| {
            let mut inst = Instrument::from_toml(&path.display().to_string(), text)?;
            // A methodology named by file is found beside the questionnaire, wherever chiso
            // runs from (as PAR criteria's `from` are).
            let method = std::path::Path::new(&inst.method);
            if let Some(dir) = path.parent()
                && inst.method.ends_with(".toml")
                && method.is_relative()
            {
                inst.method = dir.join(method).display().to_string();
            }
            Ok(inst)
        },
        |id| match shipped() {
            Ok(all) => all.into_iter().find(|i| i.id == id).map(Ok),
            Err(e) => Some(Err(e)),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_questionnaires_load_with_the_documented_item_counts() -> Result<(), DefinitionError>
    {
        let all = shipped()?;
        let count = |id: &str| {
            all.iter()
                .find(|i| i.id == id)
                .map(|i| (i.scored_items().count(), i.questions.len()))
        };
        // methodology.md §1: 16 service items + 23 policy items; §2: 31 outpatient, 36 inpatient.
        assert_eq!(count("sipas").map(|c| c.0), Some(16 + 23));
        assert_eq!(count("health-outpatient").map(|c| c.0), Some(31));
        assert_eq!(count("health-inpatient").map(|c| c.0), Some(36));
        assert_eq!(count("education").map(|c| c.0), Some(20));
        let sipas = all.iter().find(|i| i.id == "sipas");
        let in_part = |part: &str| {
            sipas.map(|i| {
                i.scored_items()
                    .filter(|q| q.part.as_deref() == Some(part))
                    .count()
            })
        };
        assert_eq!(in_part("service"), Some(16));
        assert_eq!(in_part("policy"), Some(23));
        Ok(())
    }

    #[test]
    fn a_question_naming_an_unknown_scale_is_refused() {
        let text = r#"
            id = "x"
            version = "v1"
            title_vi = "X"
            title_en = "X"
            service = "health"
            legal_basis = "none"
            years = [2024, 2024]
            method = "health"
            [scales.s]
            values = [1, 2]
            [[elements]]
            code = "A"
            vi = "A"
            en = "A"
            [[questions]]
            code = "A1"
            element = "A"
            scale = "nope"
            vi = "a"
            en = "a"
        "#;
        let err = Instrument::from_toml("x.toml", text)
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("A1") && e.contains("nope")),
            "{err:?}"
        );
    }
}
