//! Population frames (`--poststratify FILE`, `--rake FILE`, `sample-size --frame FILE`): a CSV
//! with one or more grouping columns and `population`, read and checked against the
//! questionnaire.
//!
//! ```text
//! unit_id,population
//! Xuân Dương,4210
//! Côn Minh,3875
//! ```
//!
//! Grouping columns are `unit_id` or a column of the questionnaire, by name or by header
//! (`gender` or `gioi_tinh`); a categorical column's values are read as ingest reads them
//! (`Nữ` = `nu`).

use std::collections::HashMap;
use std::path::Path;

use thiserror::Error;
use unicode_normalization::UnicodeNormalization;

use crate::estimate::Frame;
use crate::instrument::Instrument;
use crate::msg;

/// The population column; `dan_so` is accepted too.
pub const POPULATION: &str = "population";
const POPULATION_VI: &str = "dan_so";
/// Largest frame read (a frame has one row per cell: thousands at most).
const MAX_BYTES: u64 = 16 << 20;

#[derive(Debug, Error)]
pub enum FrameError {
    #[error("{}", msg!("frame.io", file = file, error = error))]
    Io { file: String, error: String },
    #[error("{}", msg!("frame.not_utf8", file = file))]
    NotUtf8 { file: String },
    #[error("{}", msg!("frame.columns", file = file, header = header))]
    Columns { file: String, header: String },
    #[error("{}", msg!("frame.unknown_column", file = file, column = column, hint = hint))]
    UnknownColumn {
        file: String,
        column: String,
        hint: String,
    },
    #[error("{}", msg!("frame.fields", file = file, line = line, got = got, want = want))]
    Fields {
        file: String,
        line: u64,
        got: usize,
        want: usize,
    },
    #[error("{}", msg!("frame.population", file = file, line = line, value = value))]
    Population {
        file: String,
        line: u64,
        value: String,
    },
    #[error("{}", msg!("frame.value", file = file, line = line, column = column, value = value, allowed = allowed))]
    Value {
        file: String,
        line: u64,
        column: String,
        value: String,
        allowed: String,
    },
    #[error("{}", msg!("frame.duplicate", file = file, line = line, first = first, cell = cell))]
    Duplicate {
        file: String,
        line: u64,
        first: u64,
        cell: String,
    },
    #[error("{}", msg!("frame.empty", file = file))]
    Empty { file: String },
}

/// How a categorical column's values are read (spelling → value), and its values.
type Spellings = (HashMap<String, String>, Vec<String>);

/// Reads the frame at `path` for questionnaire `inst`.
pub fn read(path: &Path, inst: &Instrument) -> Result<Frame, FrameError> {
    let file = path.display().to_string();
    let io = |e: std::io::Error| FrameError::Io {
        file: file.clone(),
        error: e.to_string(),
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_BYTES {
        return Err(FrameError::Io {
            file: file.clone(),
            error: msg!("frame.too_large", bytes = size, max = MAX_BYTES),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let sha256 = {
        use sha2::Digest as _;
        crate::definition::hex(&sha2::Sha256::digest(&bytes))
    };
    let text =
        std::str::from_utf8(&bytes).map_err(|_| FrameError::NotUtf8 { file: file.clone() })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(h)) => h.iter().map(|x| x.trim().nfc().collect()).collect(),
        Some(Err(e)) => {
            return Err(FrameError::Io {
                file,
                error: e.to_string(),
            });
        }
        None => return Err(FrameError::Empty { file }),
    };
    let lower: Vec<String> = header.iter().map(|h| h.to_lowercase()).collect();
    let pop = lower
        .iter()
        .position(|h| h == POPULATION || h == POPULATION_VI);
    let groups: Vec<usize> = (0..header.len()).filter(|&i| Some(i) != pop).collect();
    let Some(pop) = pop.filter(|_| !groups.is_empty()) else {
        return Err(FrameError::Columns {
            file,
            header: header.join(","),
        });
    };
    // Each grouping column: its stored name, and how its values are read.
    let mut columns = Vec::new();
    let mut spellings: Vec<Option<Spellings>> = Vec::new();
    for &i in &groups {
        let h = &lower[i];
        if h == "unit_id" || h == "don_vi" {
            columns.push("unit_id".to_string());
            spellings.push(None);
            continue;
        }
        let Some(c) = inst
            .columns
            .iter()
            .find(|c| c.name.to_lowercase() == *h || c.header().to_lowercase() == *h)
        else {
            let mut known: Vec<&str> = vec!["unit_id"];
            for c in inst.columns.iter().filter(|c| !c.pii) {
                known.push(c.name.as_str());
                if c.header() != c.name {
                    known.push(c.header());
                }
            }
            let hint = match crate::ingest::validate::nearest(&header[i], &known) {
                Some(n) => msg!("frame.did_you_mean", name = n, known = known.join(", ")),
                None => msg!("frame.known_columns", known = known.join(", ")),
            };
            return Err(FrameError::UnknownColumn {
                file,
                column: header[i].clone(),
                hint,
            });
        };
        columns.push(c.name.clone());
        spellings.push(
            crate::ingest::validate::spellings(c)
                .map(|s| (s, c.values.clone().unwrap_or_default())),
        );
    }
    let mut cells: Vec<(Vec<String>, f64)> = Vec::new();
    let mut first_line: HashMap<Vec<String>, u64> = HashMap::new();
    for rec in records {
        let rec = rec.map_err(|e| FrameError::Io {
            file: file.clone(),
            error: e.to_string(),
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() != header.len() {
            return Err(FrameError::Fields {
                file,
                line,
                got: rec.len(),
                want: header.len(),
            });
        }
        let raw = rec.get(pop).unwrap_or("").trim();
        let population = raw
            .parse::<f64>()
            .ok()
            .filter(|p| p.is_finite() && *p >= 0.0);
        let Some(population) = population else {
            return Err(FrameError::Population {
                file,
                line,
                value: raw.to_string(),
            });
        };
        let mut values = Vec::with_capacity(groups.len());
        for (k, &i) in groups.iter().enumerate() {
            let v: String = rec.get(i).unwrap_or("").trim().nfc().collect();
            let v = match &spellings[k] {
                None => v,
                Some((map, allowed)) => match map.get(&v.to_lowercase()) {
                    Some(canonical) => canonical.clone(),
                    None => {
                        return Err(FrameError::Value {
                            file,
                            line,
                            column: header[i].clone(),
                            value: v,
                            allowed: allowed.join(", "),
                        });
                    }
                },
            };
            values.push(v);
        }
        if let Some(&first) = first_line.get(&values) {
            return Err(FrameError::Duplicate {
                file,
                line,
                first,
                cell: values.join(", "),
            });
        }
        first_line.insert(values.clone(), line);
        cells.push((values, population));
    }
    if cells.is_empty() {
        return Err(FrameError::Empty { file });
    }
    cells.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Frame {
        file,
        sha256,
        columns,
        cells,
    })
}
