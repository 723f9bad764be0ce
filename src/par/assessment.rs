//! The assessment file of one year: `unit_id,criterion,self_score,appraised_score,note`.
//!
//! Read like a survey batch (CSV in UTF-8 or UTF-16, any of `,` `;` tab, or an .xlsx sheet),
//! and checked against the PAR methodology. Every problem is reported with file, line,
//! column and value; a file with any problem is refused whole.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use thiserror::Error;
use unicode_normalization::UnicodeNormalization;

use super::model::{ParMethod, Source};
use crate::ingest::read::{self, ReadOptions};

/// The columns, in their documented order.
pub const COLUMNS: [&str; 5] = [
    "unit_id",
    "criterion",
    "self_score",
    "appraised_score",
    "note",
];

#[derive(Debug, Error)]
pub enum AssessmentError {
    #[error("{0}")]
    Read(String),
    #[error("{}", crate::msg!("assessment.missing_column", file = file, column = column))]
    MissingColumn { file: String, column: String },
    #[error("{}", crate::msg!("assessment.problems", file = file, count = count, list = list))]
    Problems {
        file: String,
        count: usize,
        list: String,
    },
}

/// One problem, located.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub line: u64,
    pub column: String,
    pub value: String,
    pub rule: &'static str,
    pub hint: String,
}

/// A criterion's score for a unit.
#[derive(Debug, Clone, PartialEq)]
pub enum Score {
    /// Not applicable to the unit: leaves both the points and the maximum.
    NotApplicable,
    Points {
        self_score: f64,
        appraised: Option<f64>,
    },
}

impl Score {
    /// The appraised score when given, else the self-assessed one; None when not applicable.
    pub fn points(&self) -> Option<f64> {
        match self {
            Score::NotApplicable => None,
            Score::Points {
                self_score,
                appraised,
            } => Some(appraised.unwrap_or(*self_score)),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub score: Score,
    pub note: String,
    pub line: u64,
}

/// A year's assessment: (unit, criterion) → entry. Units in sorted order.
#[derive(Debug, Clone, Default)]
pub struct Assessment {
    pub file: String,
    pub entries: BTreeMap<(String, String), Entry>,
}

impl Assessment {
    pub fn units(&self) -> BTreeSet<&str> {
        self.entries.keys().map(|(u, _)| u.as_str()).collect()
    }

    pub fn get(&self, unit: &str, criterion: &str) -> Option<&Entry> {
        self.entries.get(&(unit.to_string(), criterion.to_string()))
    }
}

fn clean(s: &str) -> String {
    s.trim().nfc().collect()
}

fn is_na(s: &str) -> bool {
    matches!(
        s.to_ascii_uppercase().as_str(),
        "NA" | "N/A" | "KHÔNG ÁP DỤNG" | "KAD"
    )
}

/// Reads and checks an assessment file against the methodology.
pub fn read(path: &Path, method: &ParMethod) -> Result<Assessment, AssessmentError> {
    let file = path.display().to_string();
    let table = read::open(path, &ReadOptions::default())
        .map_err(|e| AssessmentError::Read(e.to_string()))?;
    let header: Vec<String> = table
        .header
        .iter()
        .map(|h| clean(h).to_lowercase())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(c_unit), Some(c_crit), Some(c_self)) =
        (col("unit_id"), col("criterion"), col("self_score"))
    else {
        let missing = ["unit_id", "criterion", "self_score"]
            .into_iter()
            .find(|c| col(c).is_none())
            .unwrap_or("unit_id");
        return Err(AssessmentError::MissingColumn {
            file,
            column: missing.to_string(),
        });
    };
    let (c_appr, c_note) = (col("appraised_score"), col("note"));
    let label = |c: usize| crate::msg!("ingest.column", at = c + 1, header = header[c]);
    let mut problems: Vec<Problem> = Vec::new();
    let mut entries: BTreeMap<(String, String), Entry> = BTreeMap::new();
    let leaves = method.leaf_map();
    for part in table.parts() {
        table
            .for_each_record(&file, &part, |line, rec, _| {
                let field = |c: usize| clean(&String::from_utf8_lossy(rec.get(c).unwrap_or(b"")));
                let mut bad = |c: usize, value: String, rule: &'static str, hint: String| {
                    problems.push(Problem {
                        line,
                        column: label(c),
                        value,
                        rule,
                        hint,
                    })
                };
                if rec.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                    return;
                }
                let unit = field(c_unit);
                let crit = field(c_crit);
                if unit.is_empty() {
                    bad(
                        c_unit,
                        unit.clone(),
                        "required",
                        crate::msg!("assessment.unit_required"),
                    );
                    return;
                }
                if let Some(problem) = crate::ingest::unit_id_problem(&unit) {
                    bad(
                        c_unit,
                        crate::ingest::quote_value(unit.as_bytes()),
                        "bad_unit_id",
                        crate::msg!("assessment.bad_unit", problem = problem),
                    );
                    return;
                }
                let Some(leaf) = leaves.get(crit.as_str()).copied() else {
                    let known: Vec<&str> = method
                        .leaves()
                        .iter()
                        .filter(|l| l.source.assessed())
                        .map(|l| l.criterion.code.as_str())
                        .collect();
                    bad(
                        c_crit,
                        crit.clone(),
                        "unknown_criterion",
                        crate::msg!(
                            "assessment.unknown_criterion",
                            method = method.id,
                            criterion = crit,
                            known = known.join(", ")
                        ),
                    );
                    return;
                };
                let max = leaf.criterion.max;
                let number = |c: usize,
                              bad: &mut dyn FnMut(usize, String, &'static str, String)|
                 -> Option<Option<f64>> {
                    let v = field(c);
                    if v.is_empty() {
                        return Some(None);
                    }
                    match v.replace(',', ".").parse::<f64>() {
                        Ok(x) if x.is_finite() && x < 0.0 => {
                            bad(c, v, "negative", crate::msg!("assessment.negative"));
                            None
                        }
                        Ok(x) if x.is_finite() && x > max + 1e-9 => {
                            bad(
                                c,
                                v,
                                "above_max",
                                crate::msg!(
                                    "assessment.above_max",
                                    criterion = leaf.criterion.code,
                                    max = max
                                ),
                            );
                            None
                        }
                        Ok(x) if x.is_finite() => Some(Some(x)),
                        _ => {
                            bad(c, v, "not_a_number", crate::msg!("assessment.not_a_number"));
                            None
                        }
                    }
                };
                let raw_self = field(c_self);
                let score = if is_na(&raw_self) {
                    Score::NotApplicable
                } else if leaf.source == Source::Survey {
                    bad(
                        c_self,
                        raw_self,
                        "survey_criterion",
                        crate::msg!(
                            "assessment.survey_criterion",
                            criterion = leaf.criterion.code
                        ),
                    );
                    return;
                } else if leaf.source == Source::Records {
                    bad(
                        c_self,
                        raw_self,
                        "records_criterion",
                        crate::msg!(
                            "assessment.records_criterion",
                            criterion = leaf.criterion.code
                        ),
                    );
                    return;
                } else if leaf.source == Source::Plan {
                    bad(
                        c_self,
                        raw_self,
                        "plan_criterion",
                        crate::msg!("assessment.plan_criterion", criterion = leaf.criterion.code),
                    );
                    return;
                } else {
                    let Some(s) = number(c_self, &mut bad) else {
                        return;
                    };
                    let a = match c_appr {
                        Some(c) => match number(c, &mut bad) {
                            Some(a) => a,
                            None => return,
                        },
                        None => None,
                    };
                    let Some(s) = s else {
                        bad(
                            c_self,
                            String::new(),
                            "required",
                            crate::msg!("assessment.self_required"),
                        );
                        return;
                    };
                    Score::Points {
                        self_score: s,
                        appraised: a,
                    }
                };
                let key = (unit.clone(), crit.clone());
                if let Some(first) = entries.get(&key) {
                    bad(
                        c_crit,
                        crit,
                        "duplicate",
                        crate::msg!("assessment.duplicate", unit = unit, line = first.line),
                    );
                    return;
                }
                let note = c_note.map(&field).unwrap_or_default();
                entries.insert(key, Entry { score, note, line });
            })
            .map_err(|e| AssessmentError::Read(e.to_string()))?;
    }
    // Every unit needs a row (or NA) for every assessed criterion; bonus and penalty are optional.
    let units: BTreeSet<String> = entries.keys().map(|(u, _)| u.clone()).collect();
    let in_order = method.leaves();
    for unit in &units {
        for leaf in &in_order {
            if leaf.source == Source::Assessment
                && !entries.contains_key(&(unit.clone(), leaf.criterion.code.clone()))
            {
                problems.push(Problem {
                    line: 0,
                    column: label(c_crit),
                    value: leaf.criterion.code.clone(),
                    rule: "missing_criterion",
                    hint: crate::msg!(
                        "assessment.missing_criterion",
                        unit = unit,
                        criterion = leaf.criterion.code
                    ),
                });
            }
        }
    }
    if problems.is_empty() {
        return Ok(Assessment { file, entries });
    }
    let count = problems.len();
    let list = problems
        .iter()
        .take(20)
        .map(|p| {
            let at = if p.line == 0 {
                file.clone()
            } else {
                format!("{file}:{}", p.line)
            };
            format!(
                "  {at}: {}: `{}`: {}\n    {} {}",
                p.column,
                p.value,
                p.rule,
                crate::msg!("cmd.hint"),
                p.hint
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    Err(AssessmentError::Problems { file, count, list })
}
