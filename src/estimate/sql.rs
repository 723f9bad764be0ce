//! The heavy pass as SQL: the query that turns the stored answers into the per-PSU totals
//! table [`super::Totals`] is built from, for any engine, and the names of that table's
//! columns.
//!
//! Every column is a sum over one PSU's respondents of a quantity computed from one row, the
//! same quantities in the same arithmetic as the pass in Rust, so an engine that sums each PSU
//! in file order (DuckDB with one thread) gives the same digits; any other order changes at
//! most the last bits of a sum.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use super::EstimateError;
use super::totals::{Value, Vars};
use crate::methodology::ItemMeasure;

/// The key columns of the totals table, before the sums.
pub const UNIT: &str = "unit_id";
pub const STRATUM: &str = "stratum";
pub const PSU: &str = "psu";
/// Respondents of the PSU, Σ weight, and the smallest and largest fpc given.
pub const N: &str = "n_respondents";
pub const W: &str = "sum_weight";
pub const FPC_MIN: &str = "fpc_min";
pub const FPC_MAX: &str = "fpc_max";

/// 1 and 0 as doubles (a bare `1.0` is a DECIMAL in standard SQL).
const ONE: &str = "CAST(1 AS DOUBLE)";
const ZERO: &str = "CAST(0 AS DOUBLE)";

/// Where the query reads the answers.
pub enum Source {
    /// The store's Parquet files of the survey year (DuckDB's and DataFusion's
    /// `read_parquet`).
    Files(Vec<PathBuf>),
    /// A table holding every stored answer, with `survey` and `year` columns (a partitioned
    /// store registered in the engine).
    Table {
        name: String,
        survey: String,
        year: i32,
    },
}

/// A code as it can stand in a column name: letters, digits and `_`.
fn ident(code: &str) -> String {
    code.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// A name as an SQL identifier, quoted.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl Vars {
    /// The totals table's column of each registered sum, in registration order. Two sums
    /// whose names would meet (codes differing only in case or punctuation) are an error.
    pub fn column_names(&self) -> Result<Vec<String>, EstimateError> {
        let q = |i: usize| ident(&self.questions[i].code);
        let g = |i: usize| ident(&self.groups[i].0);
        let measure = |m: ItemMeasure| match m {
            ItemMeasure::SatisfiedPct => "ps",
            ItemMeasure::MeanScore => "px",
        };
        let names: Vec<String> = self
            .defs
            .iter()
            .map(|(weighted, v)| {
                let (owner, what) = match v {
                    Value::Valid(i) => (q(*i), "valid".to_string()),
                    Value::Satisfied(i) => (q(*i), "satisfied".to_string()),
                    Value::Score(i) => (q(*i), "score".to_string()),
                    Value::ScoreSquared(i) => (q(*i), "score2".to_string()),
                    Value::In(i, codes) => {
                        let codes: Vec<String> = codes
                            .iter()
                            .map(|c| c.to_string().replace('-', "m"))
                            .collect();
                        (q(*i), format!("in_{}", codes.join("_")))
                    }
                    Value::Any(i) => (g(*i), "any".to_string()),
                    Value::PooledV(i) => (g(*i), "pv".to_string()),
                    Value::PooledVV(i) => (g(*i), "pv2".to_string()),
                    Value::PooledY(i, m) => (g(*i), measure(*m).to_string()),
                    Value::PooledYY(i, m) => (g(*i), format!("{}2", measure(*m))),
                    Value::PooledXY(i, m) => (g(*i), format!("{}pv", measure(*m))),
                    Value::Comprehensive(i) => (g(*i), "allsat".to_string()),
                    Value::Complete(i) => (g(*i), "complete".to_string()),
                    Value::CompleteT(i) => (g(*i), "complete_t".to_string()),
                    Value::CompleteTT(i) => (g(*i), "complete_t2".to_string()),
                    Value::CompleteX(i, m) => (g(*i), format!("complete_x_{}", q(*m))),
                    Value::CompleteXX(i, m) => (g(*i), format!("complete_x2_{}", q(*m))),
                };
                format!("{owner}__{what}_{}", if *weighted { "w" } else { "n" })
            })
            .collect();
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for n in &names {
            if let Some(first) = seen.insert(n.to_lowercase(), n) {
                return Err(EstimateError::Totals(crate::msg!(
                    "estimate.sql_names",
                    names = format!("{first} / {n}")
                )));
            }
        }
        Ok(names)
    }

    /// The SQL of one registered sum over a PSU's rows (`q{i}`: question i's valid answer or
    /// NULL; `g{i}_v`, `g{i}_s`, `g{i}_x`: group i's valid answers, satisfied answers and
    /// score total of the row), in the Rust pass's arithmetic.
    fn sum_sql(&self, weighted: bool, v: &Value) -> String {
        let t = self.threshold;
        let w = if weighted { "w" } else { ONE };
        let gv = |i: usize| format!("g{i}_v");
        let gm = |i: usize, m: ItemMeasure| match m {
            ItemMeasure::SatisfiedPct => format!("g{i}_s"),
            ItemMeasure::MeanScore => format!("g{i}_x"),
        };
        let any = |i: usize, e: String| format!("CASE WHEN g{i}_v > 0 THEN {e} END");
        let complete = |i: usize, e: String| {
            let n = self.groups[i].1.len();
            format!("CASE WHEN g{i}_v > 0 AND g{i}_v = {n} THEN {e} END")
        };
        let inner = match v {
            Value::Valid(i) => format!("CASE WHEN q{i} IS NOT NULL THEN {w} END"),
            Value::Satisfied(i) => format!("CASE WHEN q{i} >= {t} THEN {w} END"),
            Value::Score(i) => format!("{w} * q{i}"),
            Value::ScoreSquared(i) => format!("{w} * q{i} * q{i}"),
            Value::In(i, codes) => {
                let codes: Vec<String> = codes.iter().map(i32::to_string).collect();
                format!("CASE WHEN q{i} IN ({}) THEN {w} END", codes.join(", "))
            }
            Value::Any(i) => any(*i, w.to_string()),
            Value::PooledV(i) => any(*i, format!("{w} * {}", gv(*i))),
            Value::PooledVV(i) => any(*i, format!("{w} * {0} * {0}", gv(*i))),
            Value::PooledY(i, m) => any(*i, format!("{w} * {}", gm(*i, *m))),
            Value::PooledYY(i, m) => any(*i, format!("{w} * {0} * {0}", gm(*i, *m))),
            Value::PooledXY(i, m) => any(*i, format!("{w} * {} * {}", gm(*i, *m), gv(*i))),
            Value::Comprehensive(i) => {
                format!("CASE WHEN g{i}_v > 0 AND g{i}_s = g{i}_v THEN {w} END")
            }
            Value::Complete(i) => complete(*i, ONE.to_string()),
            Value::CompleteT(i) => complete(*i, format!("g{i}_x")),
            Value::CompleteTT(i) => complete(*i, format!("g{i}_x * g{i}_x")),
            Value::CompleteX(i, q) => complete(*i, format!("q{q}")),
            Value::CompleteXX(i, q) => complete(*i, format!("q{q} * q{q}")),
        };
        format!("COALESCE(SUM({inner}), {ZERO})")
    }

    /// The query: one row per unit × stratum × PSU, its respondents, Σ weight, fpc range and
    /// every registered sum, with `header` as leading comment lines.
    pub fn psu_totals_sql(
        &self,
        source: &Source,
        header: &[String],
    ) -> Result<String, EstimateError> {
        let names = self.column_names()?;
        let mut s = String::new();
        for line in header {
            let _ = writeln!(s, "-- {line}");
        }
        // The rows: design defaults as the Rust pass fills them, each answer kept only when a
        // valid code of its scale.
        s.push_str("WITH answers AS (\n  SELECT\n");
        let _ = writeln!(s, "    COALESCE(unit_id, '') AS unit_id,");
        let _ = writeln!(s, "    COALESCE(stratum, '') AS stratum,");
        let _ = writeln!(s, "    COALESCE(psu, respondent_id) AS psu,");
        let _ = writeln!(s, "    COALESCE(CAST(weight AS DOUBLE), {ONE}) AS w,");
        let _ = write!(s, "    CAST(fpc AS DOUBLE) AS fpc");
        for (i, q) in self.questions.iter().enumerate() {
            let c = format!("CAST({} AS INTEGER)", quoted(&q.code));
            let valid = match &q.scale.values {
                Some(v) => {
                    let v: Vec<String> = v.iter().map(i32::to_string).collect();
                    format!("{c} IN ({})", v.join(", "))
                }
                None => format!("{c} BETWEEN {} AND {}", q.scale.min, q.scale.max),
            };
            let _ = write!(
                s,
                ",\n    CASE WHEN {valid} THEN CAST({c} AS DOUBLE) END AS q{i}"
            );
        }
        s.push_str("\n  FROM ");
        match source {
            Source::Files(files) => {
                let list: Vec<String> = files
                    .iter()
                    .map(|f| literal(&f.display().to_string()))
                    .collect();
                let _ = write!(
                    s,
                    "read_parquet([{}], hive_partitioning = false)",
                    list.join(", ")
                );
            }
            Source::Table { name, survey, year } => {
                let _ = write!(
                    s,
                    "{name}\n  WHERE survey = {} AND year = {year}",
                    literal(survey)
                );
            }
        }
        // Each row's counts over the items of each group: valid, satisfied, score total.
        s.push_str("\n), rows AS (\n  SELECT\n    answers.*");
        for (i, (_, members)) in self.groups.iter().enumerate() {
            let sum = |term: &dyn Fn(usize) -> String| {
                if members.is_empty() {
                    "0".to_string()
                } else {
                    members
                        .iter()
                        .map(|&q| term(q))
                        .collect::<Vec<_>>()
                        .join(" + ")
                }
            };
            let v = sum(&|q| format!("CASE WHEN q{q} IS NULL THEN 0 ELSE 1 END"));
            let sat = sum(&|q| format!("CASE WHEN q{q} >= {} THEN 1 ELSE 0 END", self.threshold));
            let x = sum(&|q| format!("COALESCE(q{q}, {ZERO})"));
            let _ = write!(
                s,
                ",\n    CAST({v} AS DOUBLE) AS g{i}_v,\n    CAST({sat} AS DOUBLE) AS g{i}_s,\n    CAST({x} AS DOUBLE) AS g{i}_x"
            );
        }
        s.push_str("\n  FROM answers\n)\nSELECT\n");
        let _ = writeln!(
            s,
            "  unit_id AS {UNIT},\n  stratum AS {STRATUM},\n  psu AS {PSU},"
        );
        let _ = writeln!(s, "  CAST(COUNT(*) AS DOUBLE) AS {N},");
        let _ = writeln!(s, "  SUM(w) AS {W},");
        let _ = write!(s, "  MIN(fpc) AS {FPC_MIN},\n  MAX(fpc) AS {FPC_MAX}");
        for ((weighted, v), name) in self.defs.iter().zip(&names) {
            let _ = write!(s, ",\n  {} AS {name}", self.sum_sql(*weighted, v));
        }
        s.push_str("\nFROM rows\nGROUP BY unit_id, stratum, psu\nORDER BY unit_id, stratum, psu\n");
        Ok(s)
    }
}
