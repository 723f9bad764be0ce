//! Reading a plan's task list (CSV or .xlsx, like a survey batch), its headers mapped by
//! `surveys/plan-tasks.toml`. Every problem is reported with file, line, column, value and a
//! hint; a file with any problem is refused whole.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;

use super::date::Date;
use super::deadline::{self, Deadline};
use super::method::PlanMethod;
use crate::ingest::read::{self, ReadOptions};
use crate::msg;

const LAYOUT: &str = include_str!("../../surveys/plan-tasks.toml");

#[derive(Debug, Deserialize)]
struct Layout {
    columns: Vec<LayoutColumn>,
}

#[derive(Debug, Deserialize)]
struct LayoutColumn {
    name: String,
    #[serde(default)]
    required: bool,
    headers: Vec<String>,
}

/// Whether a finished task meets the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quality {
    /// `dat`: meets the standard.
    Dat,
    /// `khong_dat`: does not.
    KhongDat,
}

impl Quality {
    pub fn code(self) -> &'static str {
        match self {
            Quality::Dat => "dat",
            Quality::KhongDat => "khong_dat",
        }
    }
}

/// One task of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub line: u64,
    pub task_id: String,
    pub content: String,
    /// The lead agency, as the methodology spells it.
    pub lead: String,
    pub partners: Vec<String>,
    /// The deadline as written.
    pub deadline_text: String,
    pub deadline: Deadline,
    pub completed_on: Option<Date>,
    pub quality: Option<Quality>,
    pub evidence: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub file: String,
    pub tasks: Vec<Task>,
}

#[derive(Debug, Error)]
pub enum PlanError {
    #[error("{0}")]
    Read(String),
    #[error("{}", msg!("plan.missing_column", file = file, column = column, headers = headers))]
    MissingColumn {
        file: String,
        column: String,
        headers: String,
    },
    #[error("{}", msg!("plan.problems", file = file, count = count, list = list))]
    Problems {
        file: String,
        count: usize,
        list: String,
    },
}

struct Problem {
    line: u64,
    column: String,
    value: String,
    rule: &'static str,
    hint: String,
}

fn clean(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .nfc()
        .collect()
}

/// Reads and checks a plan's task list.
pub fn read(path: &Path, method: &PlanMethod) -> Result<Plan, PlanError> {
    let file = path.display().to_string();
    let layout: Layout = toml::from_str(LAYOUT)
        .map_err(|e| PlanError::Read(format!("surveys/plan-tasks.toml: {e}")))?;
    let table = read::open(
        path,
        &ReadOptions::expecting(layout.columns.iter().flat_map(|c| &c.headers)),
    )
    .map_err(|e| PlanError::Read(e.to_string()))?;
    let header: Vec<String> = table
        .header
        .iter()
        .map(|h| crate::ingest::validate::normalise_header(h))
        .collect();
    // Each layout column's position in the file.
    let mut at: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &layout.columns {
        let found = header.iter().position(|h| {
            c.headers
                .iter()
                .any(|x| crate::ingest::validate::normalise_header(x) == *h)
        });
        match found {
            Some(i) => {
                at.insert(c.name.as_str(), i);
            }
            None if c.required => {
                return Err(PlanError::MissingColumn {
                    file,
                    column: c.name.clone(),
                    headers: c.headers.join(", "),
                });
            }
            None => {}
        }
    }
    let label = |c: usize| msg!("ingest.column", at = c + 1, header = table.header[c].trim());
    let mut problems: Vec<Problem> = Vec::new();
    let mut tasks: Vec<Task> = Vec::new();
    let mut first: BTreeMap<String, u64> = BTreeMap::new();
    for part in table.parts() {
        table
            .for_each_record(&file, &part, |line, rec, _| {
                if rec.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                    return;
                }
                let field = |name: &str| -> String {
                    at.get(name)
                        .and_then(|&c| rec.get(c))
                        .map(|f| clean(&String::from_utf8_lossy(f)))
                        .unwrap_or_default()
                };
                let col = |name: &str| at.get(name).map_or_else(String::new, |&c| label(c));
                let mut bad = |name: &str, value: String, rule: &'static str, hint: String| {
                    problems.push(Problem {
                        line,
                        column: col(name),
                        value,
                        rule,
                        hint,
                    })
                };
                let task_id = field("task_id");
                let content = field("content");
                let lead = field("lead");
                let deadline_text = field("deadline");
                let mut ok = true;
                for (name, v) in [
                    ("task_id", &task_id),
                    ("content", &content),
                    ("lead", &lead),
                ] {
                    if v.is_empty() {
                        bad(
                            name,
                            String::new(),
                            "required",
                            msg!("plan.required", column = name),
                        );
                        ok = false;
                    }
                }
                if !task_id.is_empty() {
                    if let Some(prev) = first.get(&task_id) {
                        bad(
                            "task_id",
                            task_id.clone(),
                            "duplicate_task",
                            msg!("plan.duplicate", line = prev),
                        );
                        ok = false;
                    } else {
                        first.insert(task_id.clone(), line);
                    }
                }
                let deadline = deadline::parse(&deadline_text);
                if deadline.is_none() {
                    bad(
                        "deadline",
                        deadline_text.clone(),
                        "bad_deadline",
                        msg!("plan.bad_deadline"),
                    );
                    ok = false;
                }
                let done_text = field("completed_on");
                let completed_on = if done_text.is_empty() {
                    None
                } else {
                    let d = Date::parse(&done_text);
                    if d.is_none() {
                        bad(
                            "completed_on",
                            done_text.clone(),
                            "bad_date",
                            msg!("plan.bad_date"),
                        );
                        ok = false;
                    }
                    d
                };
                let q = field("quality");
                let quality = match crate::ingest::validate::fold(&q)
                    .replace([' ', '-'], "_")
                    .as_str()
                {
                    "" => None,
                    "dat" => Some(Quality::Dat),
                    "khong_dat" => Some(Quality::KhongDat),
                    _ => {
                        bad(
                            "quality",
                            q.clone(),
                            "bad_quality",
                            msg!("plan.bad_quality"),
                        );
                        ok = false;
                        None
                    }
                };
                let (Some(deadline), true) = (deadline, ok) else {
                    return;
                };
                tasks.push(Task {
                    line,
                    task_id,
                    content,
                    lead: method.agency(&lead),
                    partners: field("partners")
                        .split(';')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(|p| method.agency(p))
                        .collect(),
                    deadline_text,
                    deadline,
                    completed_on,
                    quality,
                    evidence: field("evidence"),
                    note: field("note"),
                });
            })
            .map_err(|e| PlanError::Read(e.to_string()))?;
    }
    if problems.is_empty() && tasks.is_empty() {
        return Err(PlanError::Read(msg!("plan.empty", file = file)));
    }
    if problems.is_empty() {
        return Ok(Plan { file, tasks });
    }
    let count = problems.len();
    let list = problems
        .iter()
        .take(20)
        .map(|p| {
            format!(
                "  {file}:{}: {}: `{}`: {}\n    {} {}",
                p.line,
                p.column,
                p.value,
                p.rule,
                msg!("cmd.hint"),
                p.hint
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    Err(PlanError::Problems { file, count, list })
}
