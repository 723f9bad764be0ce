//! Reading a per-PSU totals table (Parquet or CSV) that the query of [`super::sql`] produced
//! on some engine: its keys and its sums, checked row by row.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use super::EstimateError;
use super::sql::{FPC_MAX, FPC_MIN, N, PSU, STRATUM, UNIT, W};
use crate::msg;

/// The table as read: one entry per row in file order.
pub(super) struct PsuTable {
    /// unit, stratum, PSU of each row.
    pub keys: Vec<(String, String, String)>,
    pub n: Vec<f64>,
    pub w: Vec<f64>,
    pub fpc: Vec<(Option<f64>, Option<f64>)>,
    /// The sums, one column per name asked for, in that order.
    pub sums: Vec<Vec<f64>>,
}

fn err(text: String) -> EstimateError {
    EstimateError::Totals(text)
}

/// A column of the file as text (CSV) or as polars read it (Parquet).
enum Col {
    Text(Vec<String>),
    Polars(Column),
}

/// Reads `path`, taking the key columns and the sums named `names` (matched without regard
/// to case, as engines such as Trino write names in lower case).
pub(super) fn read(path: &Path, names: &[String]) -> Result<PsuTable, EstimateError> {
    let file = path.display().to_string();
    let unreadable =
        |e: &dyn std::fmt::Display| err(msg!("estimate.totals_read", file = file, error = e));
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    // Column name (lower case) → its values.
    let mut cols: HashMap<String, Col> = HashMap::new();
    let rows;
    // The first data row's line in the file (CSV: after the header).
    let first_line;
    if is_csv {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_path(path)
            .map_err(|e| unreadable(&e))?;
        let headers: Vec<String> = r
            .headers()
            .map_err(|e| unreadable(&e))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_lowercase())
            .collect();
        let mut data: Vec<Vec<String>> = vec![Vec::new(); headers.len()];
        for rec in r.records() {
            let rec = rec.map_err(|e| unreadable(&e))?;
            for (j, d) in data.iter_mut().enumerate() {
                d.push(rec.get(j).unwrap_or("").to_string());
            }
        }
        rows = data.first().map_or(0, Vec::len);
        for (h, d) in headers.into_iter().zip(data) {
            cols.insert(h, Col::Text(d));
        }
        first_line = 2;
    } else {
        // Only the columns needed, and only of types read here: numbers and text (a DECIMAL,
        // which some engines give sums of exact numbers, is refused with a hint to cast).
        let open = |p: &Path| std::fs::File::open(p).map_err(|e| unreadable(&e));
        let schema = ParquetReader::new(open(path)?)
            .schema()
            .map_err(|e| unreadable(&e))?;
        let wanted: std::collections::HashSet<String> =
            [UNIT, STRATUM, PSU, N, W, FPC_MIN, FPC_MAX]
                .iter()
                .map(|c| c.to_string())
                .chain(names.iter().cloned())
                .map(|c| c.to_lowercase())
                .collect();
        let mut read_cols = Vec::new();
        for (name, field) in schema.iter() {
            if !wanted.contains(&name.to_lowercase()) {
                continue;
            }
            use ArrowDataType as A;
            match field.dtype() {
                A::Null
                | A::Int8
                | A::Int16
                | A::Int32
                | A::Int64
                | A::UInt8
                | A::UInt16
                | A::UInt32
                | A::UInt64
                | A::Float32
                | A::Float64
                | A::Utf8
                | A::LargeUtf8
                | A::Utf8View => read_cols.push(name.to_string()),
                other => {
                    return Err(err(msg!(
                        "estimate.totals_type",
                        file = file,
                        column = name,
                        kind = format!("{other:?}")
                    )));
                }
            }
        }
        let df = ParquetReader::new(open(path)?)
            .with_columns(Some(read_cols))
            .finish()
            .map_err(|e| unreadable(&e))?;
        rows = df.height();
        for c in df.columns() {
            cols.insert(c.name().to_lowercase(), Col::Polars(c.clone()));
        }
        first_line = 1;
    }
    if rows == 0 {
        return Err(err(msg!("estimate.totals_empty", file = file)));
    }
    let blank = |name: &str, i: usize| {
        err(msg!(
            "estimate.totals_blank",
            file = file,
            line = i + first_line,
            column = name
        ))
    };
    let take = |name: &str| {
        cols.get(&name.to_lowercase())
            .ok_or_else(|| err(msg!("estimate.totals_column", file = file, column = name)))
    };
    let text = |name: &str, blank_ok: bool| -> Result<Vec<String>, EstimateError> {
        let values: Vec<Option<String>> = match take(name)? {
            Col::Text(v) => v
                .iter()
                .map(|s| (!s.is_empty()).then(|| s.clone()))
                .collect(),
            Col::Polars(c) => {
                let c = c.cast(&DataType::String).map_err(|e| unreadable(&e))?;
                let s = c.str().map_err(|e| unreadable(&e))?;
                s.iter().map(|v| v.map(str::to_string)).collect()
            }
        };
        values
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Some(v) => Ok(v),
                None if blank_ok => Ok(String::new()),
                None => Err(blank(name, i)),
            })
            .collect()
    };
    let number = |name: &str, blank_ok: bool| -> Result<Vec<Option<f64>>, EstimateError> {
        let none = |i: usize| {
            if blank_ok {
                Ok(None)
            } else {
                Err(blank(name, i))
            }
        };
        match take(name)? {
            Col::Text(v) => v
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    if s.is_empty() {
                        return none(i);
                    }
                    s.trim().parse::<f64>().map(Some).map_err(|_| {
                        err(msg!(
                            "estimate.totals_number",
                            file = file,
                            line = i + first_line,
                            column = name,
                            value = s
                        ))
                    })
                })
                .collect(),
            Col::Polars(c) => {
                if !c.dtype().is_primitive_numeric() && !c.dtype().is_null() {
                    return Err(err(msg!(
                        "estimate.totals_number",
                        file = file,
                        line = first_line,
                        column = name,
                        value = c.dtype()
                    )));
                }
                let c = c.cast(&DataType::Float64).map_err(|e| unreadable(&e))?;
                let f = c.f64().map_err(|e| unreadable(&e))?;
                f.iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        Some(v) => Ok(Some(v)),
                        None => none(i),
                    })
                    .collect()
            }
        }
    };
    let unit = text(UNIT, false)?;
    let stratum = text(STRATUM, true)?;
    let psu = text(PSU, false)?;
    let mut seen: HashMap<(&str, &str, &str), usize> = HashMap::new();
    for (i, k) in unit.iter().zip(&stratum).zip(&psu).enumerate() {
        let ((u, h), p) = k;
        if let Some(first) = seen.insert((u, h, p), i) {
            return Err(err(msg!(
                "estimate.totals_repeat",
                file = file,
                line = i + first_line,
                unit = u,
                stratum = h,
                psu = p,
                first = first + first_line
            )));
        }
    }
    let fill = |v: Vec<Option<f64>>| v.into_iter().map(|x| x.unwrap_or(0.0)).collect();
    let n = fill(number(N, false)?);
    let w = fill(number(W, false)?);
    let fpc = number(FPC_MIN, true)?
        .into_iter()
        .zip(number(FPC_MAX, true)?)
        .collect();
    let sums = names
        .iter()
        .map(|name| number(name, true).map(fill))
        .collect::<Result<_, _>>()?;
    Ok(PsuTable {
        keys: unit
            .into_iter()
            .zip(stratum)
            .zip(psu)
            .map(|((u, h), p)| (u, h, p))
            .collect(),
        n,
        w,
        fpc,
        sums,
    })
}
