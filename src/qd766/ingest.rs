//! Ingesting record exports (`chiso ingest --survey hoso-tthc|pakn|tthc-catalogue`): each row
//! read by its layout, bad rows quarantined with line, column, value and rule, the accepted rows
//! stored as a batch like answers (same store, lock and atomic commit). Exports overlap — March's
//! holds February's open files again, now finished — so every batch is kept and the store's
//! state of a record is its row in the batch with the latest `as_of` (then the latest ingested):
//! nothing is counted twice, and the history stays in the batches.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::SystemTime;

use anyhow::Context as _;
use polars::prelude::*;
use sha2::{Digest, Sha256};

use super::layout::{FieldType, Layout, Value};
use super::records::{Minute, day_of};
use crate::ingest::read::{self, ReadOptions};
use crate::msg;
use crate::plan::Date;
use crate::store::{BatchEntry, Manifest, NewBatch, Store};

/// A quarantined value.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordViolation {
    pub line: u64,
    pub key: String,
    pub column: String,
    pub value: String,
    pub rule: &'static str,
    pub message: String,
}

/// What one export added to the store.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordsRun {
    pub file: String,
    pub batch: String,
    pub as_of: Date,
    pub rows_read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    /// Accepted records the store did not hold, held in another state, or held as they are.
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// The same export was already stored: nothing written.
    pub already_stored: bool,
    pub violations: Vec<RecordViolation>,
}

/// A stored time: `yyyy-mm-dd hh:mm`.
pub fn time_text(t: Minute) -> String {
    let d = day_of(t);
    let m = t.rem_euclid(super::records::DAY);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        d.year,
        d.month,
        d.day,
        m / 60,
        m % 60
    )
}

/// A value as stored (text): times `yyyy-mm-dd hh:mm`, flags `1`/`0`, blank empty.
fn stored(v: &Value) -> Option<String> {
    match v {
        Value::Blank => None,
        Value::Text(s) | Value::Code(s) => Some(s.clone()),
        Value::Time(t) => Some(time_text(*t)),
        Value::Integer(n) => Some(n.to_string()),
        Value::Flag(b) => Some(if *b { "1" } else { "0" }.to_string()),
    }
}

/// The latest state of every record of `layout` stored for `year` (an empty frame when none).
pub fn latest(
    store: &Store,
    manifest: &Manifest,
    layout: &Layout,
    year: i32,
) -> anyhow::Result<DataFrame> {
    let live: Vec<&BatchEntry> = manifest
        .batches_of(&layout.id, year)
        .filter(|b| b.accepted > 0)
        .collect();
    if live.is_empty() {
        let cols: Vec<Column> = layout
            .fields
            .iter()
            .map(|f| Column::new_empty(f.name.as_str().into(), &DataType::String))
            .collect();
        return Ok(DataFrame::new(0, cols)?);
    }
    let frames = live
        .iter()
        .enumerate()
        .map(|(k, b)| {
            // The partition folders are for people and other tools; the columns are in the file.
            let args = ScanArgsParquet {
                hive_options: HiveOptions {
                    enabled: Some(false),
                    hive_start_idx: 0,
                    schema: None,
                    try_parse_dates: false,
                },
                ..ScanArgsParquet::default()
            };
            let lf = LazyFrame::scan_parquet(
                PlRefPath::new(store.root().join(&b.data_file).display().to_string()),
                args,
            )?;
            Ok(lf.with_column(lit(k as i64).alias("__batch")))
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    let all = concat(frames, UnionArgs::default())?;
    let key: Vec<Expr> = layout.key.iter().map(|k| col(k.as_str())).collect();
    let df = all
        .sort(["as_of", "__batch", "line"], SortMultipleOptions::default())
        .unique_stable_generic(Some(key), UniqueKeepStrategy::Last)
        .drop(by_name(["__batch"], true, false))
        .collect()?;
    Ok(df)
}

/// A record's key: its key fields' stored values.
fn key_of(at: &[usize], row: &[Option<String>]) -> String {
    at.iter()
        .map(|&i| row[i].clone().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// Reads `path` as `layout` and stores its accepted rows for `year`. `as_of` dates the export
/// (default: its newest date). A procedure file whose procedure the stored catalogue lacks is
/// quarantined; without a stored catalogue, `hoso-tthc` is refused.
pub fn ingest_records(
    store: &Store,
    layout: &Layout,
    year: i32,
    path: &Path,
    as_of: Option<Date>,
) -> anyhow::Result<RecordsRun> {
    let file = path.display().to_string();
    let lock = store.lock()?;
    let manifest = store.manifest()?;
    store.sweep(&lock, &manifest)?;
    let table = read::open(
        path,
        &ReadOptions::expecting(layout.fields.iter().flat_map(|f| &f.headers)),
    )?;
    let cols = layout.columns(&table.header).map_err(|f| {
        anyhow::anyhow!(msg!(
            "records.missing_column",
            file = file,
            column = f.name,
            headers = f.headers.join(", ")
        ))
    })?;
    // The catalogue the files are checked against: (procedure, unit or blank).
    let catalogue: Option<HashSet<(String, String)>> = if layout.id == "hoso-tthc" {
        let cat = super::layout::load("tthc-catalogue")?;
        let df = latest(store, &manifest, &cat, year)?;
        if df.height() == 0 {
            anyhow::bail!(msg!("records.no_catalogue", file = file, year = year));
        }
        let p = df.column("procedure_id")?.str()?.clone();
        let u = df.column("unit_id")?.str()?.clone();
        Some(
            p.iter()
                .zip(u.iter())
                .map(|(p, u)| (p.unwrap_or("").to_string(), u.unwrap_or("").to_string()))
                .collect(),
        )
    } else {
        None
    };
    let key_at: Vec<usize> = layout
        .key
        .iter()
        .filter_map(|k| layout.fields.iter().position(|f| &f.name == k))
        .collect();
    let field_at = |n: &str| layout.fields.iter().position(|f| f.name == n);
    let mut rows: Vec<(u64, Vec<Option<String>>)> = Vec::new();
    let mut violations: Vec<RecordViolation> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut newest: Option<Minute> = None;
    let (mut read_n, mut quarantined) = (0u64, 0u64);
    let label = |i: usize| msg!("ingest.column", at = i + 1, header = table.header[i].trim());
    for part in table.parts() {
        table.for_each_record(&file, &part, |line, rec, _| {
            if rec.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                return;
            }
            read_n += 1;
            let raw = |c: Option<usize>| {
                c.and_then(|c| rec.get(c))
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .unwrap_or_default()
            };
            let mut values = Vec::with_capacity(layout.fields.len());
            let mut broken: Vec<(usize, &'static str, String)> = Vec::new();
            for (k, f) in layout.fields.iter().enumerate() {
                match layout.read(f, &raw(cols[k])) {
                    Ok(v) => values.push(v),
                    Err((rule, hint)) => {
                        broken.push((k, rule, hint));
                        values.push(Value::Blank);
                    }
                }
            }
            for (k, (rule, hint)) in layout.order_broken(&values) {
                broken.push((k, rule, hint));
            }
            let row: Vec<Option<String>> = values.iter().map(stored).collect();
            let key = key_of(&key_at, &row);
            if let (Some(cat), Some(pi), Some(ui)) =
                (&catalogue, field_at("procedure_id"), field_at("unit_id"))
            {
                let p = row[pi].clone().unwrap_or_default();
                let u = row[ui].clone().unwrap_or_default();
                if !p.is_empty()
                    && !cat.contains(&(p.clone(), u))
                    && !cat.contains(&(p, String::new()))
                {
                    broken.push((
                        pi,
                        "not_in_catalogue",
                        msg!("records.not_in_catalogue", year = year),
                    ));
                }
            }
            if broken.is_empty() {
                if let Some(first) = seen.get(&key) {
                    let k = key_at.first().copied().unwrap_or(0);
                    broken.push((k, "duplicate_key", msg!("records.duplicate", line = first)));
                } else {
                    seen.insert(key.clone(), line);
                }
            }
            if broken.is_empty() {
                for (v, f) in values.iter().zip(&layout.fields) {
                    if let (Value::Time(t), FieldType::Time) = (v, f.kind) {
                        newest = Some(newest.map_or(*t, |n| n.max(*t)));
                    }
                }
                rows.push((line, row));
            } else {
                quarantined += 1;
                for (k, rule, message) in broken {
                    violations.push(RecordViolation {
                        line,
                        key: key.replace('\u{1f}', " / "),
                        column: cols[k].map_or_else(|| layout.fields[k].name.clone(), label),
                        value: raw(cols[k]).trim().to_string(),
                        rule,
                        message,
                    });
                }
            }
        })?;
    }
    if read_n == 0 {
        anyhow::bail!(msg!("records.no_rows", file = file));
    }
    let as_of = as_of
        .or_else(|| newest.map(day_of))
        .unwrap_or_else(Date::today);
    // New, updated or unchanged against the stored state.
    let before = latest(store, &manifest, layout, year)?;
    let mut stored_rows: HashMap<String, Vec<Option<String>>> = HashMap::new();
    if before.height() > 0 {
        let cs: Vec<StringChunked> = layout
            .fields
            .iter()
            .map(|f| before.column(&f.name).and_then(|c| c.str().cloned()))
            .collect::<PolarsResult<_>>()?;
        for i in 0..before.height() {
            let row: Vec<Option<String>> =
                cs.iter().map(|c| c.get(i).map(str::to_string)).collect();
            stored_rows.insert(key_of(&key_at, &row), row);
        }
    }
    let (mut new, mut updated, mut unchanged) = (0, 0, 0);
    for (_, row) in &rows {
        match stored_rows.get(&key_of(&key_at, row)) {
            None => new += 1,
            Some(s) if s == row => unchanged += 1,
            Some(_) => updated += 1,
        }
    }
    // The batch: its identity from the layout, year, as-of day and the accepted rows.
    let mut h = Sha256::new();
    h.update(format!("chiso-records-v1\0{}\0{year}\0{as_of}\0", layout.id).as_bytes());
    for (_, row) in &rows {
        for v in row {
            h.update(v.as_deref().unwrap_or("").as_bytes());
            h.update(b"\x1f");
        }
        h.update(b"\n");
    }
    let id = crate::definition::hex(&h.finalize());
    let short = id[..12].to_string();
    let mut run = RecordsRun {
        file: file.clone(),
        batch: short.clone(),
        as_of,
        rows_read: read_n,
        accepted: rows.len() as u64,
        quarantined,
        new,
        updated,
        unchanged,
        already_stored: manifest.find(&id).is_some(),
        violations,
    };
    if run.already_stored {
        return Ok(run);
    }
    let mut columns: Vec<Column> = vec![Column::new(
        "line".into(),
        rows.iter().map(|(l, _)| *l as i64).collect::<Vec<_>>(),
    )];
    for (k, f) in layout.fields.iter().enumerate() {
        let vals: Vec<Option<&str>> = rows.iter().map(|(_, r)| r[k].as_deref()).collect();
        columns.push(Column::new(f.name.as_str().into(), vals));
    }
    // `yyyy-mm-dd`, so that the latest state sorts last.
    let as_of_iso = format!("{:04}-{:02}-{:02}", as_of.year, as_of.month, as_of.day);
    columns.push(Column::new("as_of".into(), vec![as_of_iso; rows.len()]));
    let df = DataFrame::new(rows.len(), columns)?;
    let mut data = store.data_writer(&lock, "records")?;
    data.start(df.schema())?;
    let encoded = data.encode(&df)?;
    data.write(encoded)?;
    let data = data.finish()?;
    let dir = format!("survey={}/year={year}", layout.id);
    let quarantine_csv = (!run.violations.is_empty())
        .then(|| quarantine(&run.violations))
        .transpose()?;
    let entry = BatchEntry {
        id: id.clone(),
        survey: layout.id.clone(),
        survey_version: layout.version.clone(),
        year,
        source: file.clone(),
        format: table.format.to_string(),
        rows_read: read_n,
        accepted: run.accepted,
        quarantined,
        data_file: format!("data/{dir}/batch-{short}.parquet"),
        quarantine_file: quarantine_csv
            .as_ref()
            .map(|_| format!("quarantine/{dir}/batch-{short}.csv")),
        ingested_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        ignored_columns: Vec::new(),
        pii_kept: false,
        retracted: None,
    };
    if let Err(e) = store.commit(
        &lock,
        manifest,
        vec![NewBatch {
            entry,
            data: data.clone(),
            quarantine_csv,
        }],
    ) {
        let _ = std::fs::remove_file(&data);
        return Err(anyhow::Error::new(e).context(msg!("ingest.not_stored")));
    }
    run.violations.sort_by_key(|v| v.line);
    Ok(run)
}

/// The quarantine file (with a BOM, for Excel): one line per broken rule.
fn quarantine(v: &[RecordViolation]) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer("\u{feff}".as_bytes().to_vec());
    w.write_record(["line", "record", "column", "value", "rule", "message"])?;
    for x in v {
        w.write_record([
            &x.line.to_string(),
            &x.key,
            &x.column,
            &x.value,
            x.rule,
            &x.message,
        ])?;
    }
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("the quarantine file")
}

/// The records of `year` in the store, at their latest state: procedure files, and the
/// complaints and catalogue when stored (None when not: their items then do not apply).
pub fn records(store: &Store, manifest: &Manifest, year: i32) -> anyhow::Result<super::Records> {
    use super::records::{
        Channel, Feedback, FileRecord, FileStatus, OnlineLevel, Procedure, parse_time,
    };
    let frame = |id: &str| -> anyhow::Result<DataFrame> {
        latest(store, manifest, &super::layout::load(id)?, year)
    };
    let text = |df: &DataFrame, name: &str| -> anyhow::Result<Vec<Option<String>>> {
        Ok(match df.column(name) {
            Ok(c) => c.str()?.iter().map(|v| v.map(str::to_string)).collect(),
            Err(_) => vec![None; df.height()],
        })
    };
    let files_df = frame("hoso-tthc")?;
    let col = |name: &str| text(&files_df, name);
    let (id, unit, proc_id, channel, received, due, finished, status) = (
        col("record_id")?,
        col("unit_id")?,
        col("procedure_id")?,
        col("channel")?,
        col("received_at")?,
        col("due_at")?,
        col("finished_at")?,
        col("status")?,
    );
    let flags: Vec<Vec<Option<String>>> = [
        "e_result",
        "digitised",
        "reused_data",
        "from_data_store",
        "citizen_data",
        "has_fee",
        "disliked",
    ]
    .iter()
    .map(|n| col(n))
    .collect::<anyhow::Result<_>>()?;
    let (sup_n, sup_days, paid) = (
        col("supplement_requests")?,
        col("supplement_days")?,
        col("paid_online")?,
    );
    let flag = |k: usize, i: usize| flags[k][i].as_deref() == Some("1");
    let num = |v: &Option<String>| {
        v.as_deref()
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let time = |v: &Option<String>| v.as_deref().and_then(parse_time);
    let mut files = Vec::with_capacity(files_df.height());
    for i in 0..files_df.height() {
        let (Some(ch), Some(rec), Some(st)) = (
            channel[i].as_deref().and_then(Channel::parse),
            time(&received[i]),
            status[i].as_deref().and_then(FileStatus::parse),
        ) else {
            continue;
        };
        files.push(FileRecord {
            record_id: id[i].clone().unwrap_or_default(),
            unit_id: unit[i].clone().unwrap_or_default(),
            procedure_id: proc_id[i].clone().unwrap_or_default(),
            channel: ch,
            received_at: rec,
            due_at: time(&due[i]),
            finished_at: time(&finished[i]),
            status: st,
            supplement_requests: num(&sup_n[i]),
            supplement_days: num(&sup_days[i]),
            e_result: flag(0, i),
            digitised: flag(1, i),
            reused_data: flag(2, i),
            from_data_store: flag(3, i),
            citizen_data: flag(4, i),
            paid_online: num(&paid[i]) as u8,
            has_fee: flag(5, i),
            disliked: flag(6, i),
        });
    }
    let fb = frame("pakn")?;
    let feedback = (fb.height() > 0)
        .then(|| -> anyhow::Result<Vec<Feedback>> {
            let c = |n: &str| text(&fb, n);
            let (id, unit, rec, due, done, dis, again) = (
                c("feedback_id")?,
                c("unit_id")?,
                c("received_at")?,
                c("due_at")?,
                c("handled_at")?,
                c("disliked")?,
                c("recomplained")?,
            );
            Ok((0..fb.height())
                .filter_map(|i| {
                    Some(Feedback {
                        feedback_id: id[i].clone()?,
                        unit_id: unit[i].clone()?,
                        received_at: time(&rec[i])?,
                        due_at: time(&due[i])?,
                        handled_at: time(&done[i]),
                        disliked: dis[i].as_deref() == Some("1"),
                        recomplained: again[i].as_deref() == Some("1"),
                    })
                })
                .collect())
        })
        .transpose()?;
    let cat = frame("tthc-catalogue")?;
    let catalogue = (cat.height() > 0)
        .then(|| -> anyhow::Result<Vec<Procedure>> {
            let c = |n: &str| text(&cat, n);
            let (id, unit, name, level, elig, fee, paper, days) = (
                c("procedure_id")?,
                c("unit_id")?,
                c("name")?,
                c("online_level")?,
                c("eligible_full_online")?,
                c("has_fee")?,
                c("paper_result_required")?,
                c("max_days")?,
            );
            let yes = |v: &Option<String>| v.as_deref() == Some("1");
            Ok((0..cat.height())
                .map(|i| Procedure {
                    procedure_id: id[i].clone().unwrap_or_default(),
                    unit_id: unit[i].clone().filter(|u| !u.is_empty()),
                    name: name[i].clone().unwrap_or_default(),
                    online_level: match level[i].as_deref() {
                        Some("toan_trinh") => OnlineLevel::Full,
                        Some("mot_phan") => OnlineLevel::Partial,
                        _ => OnlineLevel::None,
                    },
                    eligible_full_online: yes(&elig[i]),
                    has_fee: yes(&fee[i]),
                    paper_result_required: yes(&paper[i]),
                    max_days: days[i].as_deref().and_then(|s| s.parse().ok()),
                })
                .collect())
        })
        .transpose()?;
    let as_of = text(&files_df, "as_of")?
        .into_iter()
        .flatten()
        .filter_map(|d| Date::parse(&d))
        .max()
        .map(super::records::end_of);
    Ok(super::Records {
        files,
        feedback,
        catalogue,
        as_of,
    })
}
