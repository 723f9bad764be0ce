//! Ingesting record exports (`chiso ingest --survey hoso-tthc|pakn|tthc-catalogue`): each row
//! read by its layout, bad rows quarantined with line, column, value and rule, the accepted rows
//! stored as a batch like answers (same store, lock and atomic commit). Exports overlap — March's
//! holds February's open files again, now finished — so every batch is kept and the store's
//! state of a record is its row in the batch with the latest `as_of` (then the latest ingested):
//! nothing is counted twice, and the history stays in the batches.

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
fn write_time(t: Minute, out: &mut String) {
    let d = day_of(t);
    let m = t.rem_euclid(super::records::DAY);
    let digits = |out: &mut String, n: i64, width: u32| {
        for k in (0..width).rev() {
            out.push(char::from(b'0' + (n / 10i64.pow(k) % 10) as u8));
        }
    };
    digits(out, i64::from(d.year), 4);
    out.push('-');
    digits(out, i64::from(d.month), 2);
    out.push('-');
    digits(out, i64::from(d.day), 2);
    out.push(' ');
    digits(out, m / 60, 2);
    out.push(':');
    digits(out, m % 60, 2);
}

/// A value as stored (text) into `out`: times `yyyy-mm-dd hh:mm`, flags `1`/`0`. False for a
/// blank (stored as null).
fn write_stored(v: &Value, out: &mut String) -> bool {
    use std::fmt::Write as _;
    out.clear();
    match v {
        Value::Blank => return false,
        Value::Text(s) | Value::Code(s) => out.push_str(s),
        Value::Time(t) => write_time(*t, out),
        Value::Integer(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Flag(b) => out.push(if *b { '1' } else { '0' }),
    }
    true
}

/// Whether procedure files (`hoso-tthc`) are stored for `year`: the index, and the criteria
/// taken from it, need them.
pub fn has_files(manifest: &Manifest, year: i32) -> bool {
    manifest
        .batches_of("hoso-tthc", year)
        .any(|b| b.accepted > 0)
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
            Ok(store
                .scan_batch(b)?
                .with_column(lit(k as i64).alias("__batch")))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let all = concat(frames, UnionArgs::default())?;
    let key: Vec<Expr> = layout.key.iter().map(|k| col(k.as_str())).collect();
    let df = all
        .sort(["as_of", "__batch", "line"], SortMultipleOptions::default())
        .unique_stable_generic(Some(key), UniqueKeepStrategy::Last)
        .drop(by_name(["__batch"], true, false))
        .collect()?;
    Ok(df)
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
    let catalogue: Option<PlHashMap<String, PlHashSet<String>>> = if layout.id == "hoso-tthc" {
        let cat = super::layout::load("tthc-catalogue")?;
        let df = latest(store, &manifest, &cat, year)?;
        if df.height() == 0 {
            anyhow::bail!(msg!("records.no_catalogue", file = file, year = year));
        }
        let p = df.column("procedure_id")?.str()?.clone();
        let u = df.column("unit_id")?.str()?.clone();
        let mut by_procedure: PlHashMap<String, PlHashSet<String>> = PlHashMap::new();
        for (p, u) in p.iter().zip(u.iter()) {
            by_procedure
                .entry(p.unwrap_or("").to_string())
                .or_default()
                .insert(u.unwrap_or("").to_string());
        }
        Some(by_procedure)
    } else {
        None
    };
    let key_at: Vec<usize> = layout
        .key
        .iter()
        .filter_map(|k| layout.fields.iter().position(|f| &f.name == k))
        .collect();
    let field_at = |n: &str| layout.fields.iter().position(|f| f.name == n);
    let (proc_at, unit_at) = match catalogue {
        Some(_) => (field_at("procedure_id"), field_at("unit_id")),
        None => (None, None),
    };
    let label = |i: usize| msg!("ingest.column", at = i + 1, header = table.header[i].trim());
    // Each part of the file is read and checked on its own (in parallel); duplicates across
    // parts are found after, in file order.
    let check_part = |part: &read::Part| -> anyhow::Result<PartOut> {
        let mut out = PartOut {
            lines: Vec::new(),
            columns: layout
                .fields
                .iter()
                .map(|f| StringChunkedBuilder::new(f.name.as_str().into(), part.lines as usize))
                .collect(),
            keys: Vec::new(),
            violations: Vec::new(),
            newest: None,
            read: 0,
            quarantined: 0,
        };
        let mut values: Vec<Value> = Vec::with_capacity(layout.fields.len());
        let mut text: Vec<(bool, String)> = vec![(false, String::new()); layout.fields.len()];
        table.for_each_record(&file, part, |line, rec, _| {
            if rec.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                return;
            }
            out.read += 1;
            let raw = |c: Option<usize>| {
                c.and_then(|c| rec.get(c))
                    .map_or(std::borrow::Cow::Borrowed(""), String::from_utf8_lossy)
            };
            values.clear();
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
            for (v, (some, t)) in values.iter().zip(text.iter_mut()) {
                *some = write_stored(v, t);
            }
            let mut key = String::new();
            for (n, &i) in key_at.iter().enumerate() {
                if n > 0 {
                    key.push('\u{1f}');
                }
                key.push_str(&text[i].1);
            }
            if let (Some(cat), Some(pi), Some(ui)) = (&catalogue, proc_at, unit_at) {
                let (p, u) = (text[pi].1.as_str(), text[ui].1.as_str());
                let listed = cat
                    .get(p)
                    .is_some_and(|units| units.contains(u) || units.contains(""));
                if text[pi].0 && !listed {
                    broken.push((
                        pi,
                        "not_in_catalogue",
                        msg!("records.not_in_catalogue", year = year),
                    ));
                }
            }
            if broken.is_empty() {
                for (v, f) in values.iter().zip(&layout.fields) {
                    if let (Value::Time(t), FieldType::Time) = (v, f.kind) {
                        out.newest = Some(out.newest.map_or(*t, |n| n.max(*t)));
                    }
                }
                out.lines.push(line as i64);
                out.keys.push(key);
                for ((some, t), b) in text.iter().zip(out.columns.iter_mut()) {
                    if *some {
                        b.append_value(t);
                    } else {
                        b.append_null();
                    }
                }
            } else {
                out.quarantined += 1;
                for (k, rule, message) in broken {
                    out.violations.push(RecordViolation {
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
        Ok(out)
    };
    let outs: Vec<PartOut> = {
        use rayon::prelude::*;
        table
            .parts()
            .par_iter()
            .map(check_part)
            .collect::<anyhow::Result<_>>()?
    };
    // A key seen before (in file order) is a duplicate: quarantined, the first kept.
    let mut seen: PlHashMap<&str, u64> =
        PlHashMap::with_capacity(outs.iter().map(|o| o.keys.len()).sum());
    let (mut read_n, mut quarantined) = (0u64, 0u64);
    let mut violations: Vec<RecordViolation> = Vec::new();
    let mut newest: Option<Minute> = None;
    let mut frames: Vec<DataFrame> = Vec::with_capacity(outs.len());
    let mut dropped: Vec<Vec<bool>> = Vec::with_capacity(outs.len());
    for out in &outs {
        read_n += out.read;
        quarantined += out.quarantined;
        newest = newest.max(out.newest);
        let mut keep = vec![true; out.keys.len()];
        for (r, key) in out.keys.iter().enumerate() {
            let line = out.lines[r] as u64;
            if let Some(first) = seen.get(key.as_str()) {
                keep[r] = false;
                quarantined += 1;
                let k = key_at.first().copied().unwrap_or(0);
                violations.push(RecordViolation {
                    line,
                    key: key.replace('\u{1f}', " / "),
                    column: cols[k].map_or_else(|| layout.fields[k].name.clone(), label),
                    value: key.replace('\u{1f}', " / "),
                    rule: "duplicate_key",
                    message: msg!("records.duplicate", line = first),
                });
            } else {
                seen.insert(key, line);
            }
        }
        dropped.push(keep);
    }
    drop(seen);
    for (out, keep) in outs.into_iter().zip(dropped) {
        violations.extend(out.violations);
        let mut cs: Vec<Column> = vec![Column::new("line".into(), out.lines)];
        cs.extend(out.columns.into_iter().map(|b| b.finish().into_column()));
        let df = DataFrame::new(keep.len(), cs)?;
        frames.push(if keep.iter().all(|k| *k) {
            df
        } else {
            df.filter(&BooleanChunked::from_slice("keep".into(), &keep))?
        });
    }
    if read_n == 0 {
        anyhow::bail!(msg!("records.no_rows", file = file));
    }
    let as_of = as_of
        .or_else(|| newest.map(day_of))
        .unwrap_or_else(Date::today);
    let mut frames = frames.into_iter();
    let mut df = frames.next().unwrap_or_default();
    for f in frames {
        df.vstack_mut_owned(f)?;
    }
    let accepted = df.height();
    // `yyyy-mm-dd`, so that the latest state sorts last.
    let as_of_iso = format!("{:04}-{:02}-{:02}", as_of.year, as_of.month, as_of.day);
    df.with_column(Column::new_scalar(
        "as_of".into(),
        Scalar::new(DataType::String, AnyValue::StringOwned(as_of_iso.into())),
        accepted,
    ))?;
    // One row group per part of the file: every column cut the same way.
    df.align_chunks_par();
    // New, updated or unchanged against the stored state.
    let before = latest(store, &manifest, layout, year)?;
    let (new, updated, unchanged) = if before.height() == 0 {
        (accepted as u64, 0, 0)
    } else {
        compare_states(&df, before, layout)?
    };
    // The batch: its identity from the layout, year, as-of day and the accepted rows.
    let mut h = Sha256::new();
    h.update(format!("chiso-records-v2\0{}\0{year}\0{as_of}\0", layout.id).as_bytes());
    h.update(rows_digest(&df, layout)?);
    let id = crate::definition::hex(&h.finalize());
    let short = id[..12].to_string();
    let mut run = RecordsRun {
        file: file.clone(),
        batch: short.clone(),
        as_of,
        rows_read: read_n,
        accepted: accepted as u64,
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
    let mut data = store.data_writer(&lock, "records")?;
    data.start(df.schema())?;
    // Keys and times are nearly all different: no dictionary for them.
    let plain: Vec<usize> = df
        .get_column_names()
        .iter()
        .enumerate()
        .filter(|(_, n)| {
            layout.key.iter().any(|k| k == n.as_str())
                || layout
                    .fields
                    .iter()
                    .any(|f| f.name == n.as_str() && f.kind == FieldType::Time)
        })
        .map(|(i, _)| i)
        .collect();
    data.plain(&plain);
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

/// One part of an export, read and checked.
struct PartOut {
    lines: Vec<i64>,
    columns: Vec<StringChunkedBuilder>,
    /// Each accepted row's key.
    keys: Vec<String>,
    violations: Vec<RecordViolation>,
    newest: Option<Minute>,
    read: u64,
    quarantined: u64,
}

/// The digest of the accepted rows as stored, row by row (each value then 0x1F, each row then
/// a newline), in blocks of rows hashed in parallel and combined in order.
fn rows_digest(df: &DataFrame, layout: &Layout) -> anyhow::Result<Vec<u8>> {
    use rayon::prelude::*;
    const BLOCK: usize = 1 << 16;
    let columns: Vec<&StringChunked> = layout
        .fields
        .iter()
        .map(|f| df.column(&f.name).and_then(|c| c.str()))
        .collect::<PolarsResult<_>>()?;
    let columns: Vec<StringChunked> = columns
        .into_iter()
        .map(|c| c.rechunk().into_owned())
        .collect();
    let blocks: Vec<Vec<u8>> = (0..df.height().div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let mut h = Sha256::new();
            for i in b * BLOCK..((b + 1) * BLOCK).min(df.height()) {
                for c in &columns {
                    if let Some(v) = c.get(i) {
                        h.update(v.as_bytes());
                    }
                    h.update(b"\x1f");
                }
                h.update(b"\n");
            }
            h.finalize().to_vec()
        })
        .collect();
    let mut h = Sha256::new();
    for b in blocks {
        h.update(b);
    }
    Ok(h.finalize().to_vec())
}

/// How many of the batch's records are new, updated and unchanged against `before` (the
/// stored latest state, one row per key), compared field by field (blank equals blank).
fn compare_states(
    batch: &DataFrame,
    before: DataFrame,
    layout: &Layout,
) -> anyhow::Result<(u64, u64, u64)> {
    let old = |n: &str| format!("{n}__before");
    let renamed: Vec<Expr> = layout
        .fields
        .iter()
        .map(|f| col(f.name.as_str()).alias(old(&f.name)))
        .chain(std::iter::once(lit(true).alias("__present")))
        .collect();
    let left: Vec<Expr> = layout.key.iter().map(|k| col(k.as_str())).collect();
    let right: Vec<Expr> = layout.key.iter().map(|k| col(old(k))).collect();
    // The key columns are joined on (and coalesced): the other fields are compared.
    let same = layout
        .fields
        .iter()
        .filter(|f| !layout.key.contains(&f.name))
        .map(|f| col(f.name.as_str()).eq_missing(col(old(&f.name))))
        .reduce(|a, b| a.and(b))
        .unwrap_or_else(|| lit(true));
    let counts = batch
        .clone()
        .lazy()
        .join(
            before.lazy().select(renamed),
            left,
            right,
            JoinArgs::new(JoinType::Left),
        )
        .select([
            col("__present")
                .is_null()
                .cast(DataType::UInt64)
                .sum()
                .alias("new"),
            col("__present")
                .is_not_null()
                .and(same)
                .cast(DataType::UInt64)
                .sum()
                .alias("unchanged"),
        ])
        .collect()?;
    let get = |n: &str| -> anyhow::Result<u64> { Ok(counts.column(n)?.u64()?.get(0).unwrap_or(0)) };
    let (new, unchanged) = (get("new")?, get("unchanged")?);
    let total = batch.height() as u64;
    Ok((new, total - new - unchanged, unchanged))
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
    // A column in one piece, read in place: no string is copied but those a record keeps.
    fn text(df: &DataFrame, name: &str) -> anyhow::Result<StringChunked> {
        Ok(match df.column(name) {
            Ok(c) => c.str()?.rechunk().into_owned(),
            Err(_) => StringChunked::full_null(name.into(), df.height()),
        })
    }
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
    let flags: Vec<StringChunked> = [
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
    let flag = |k: usize, i: usize| flags[k].get(i) == Some("1");
    let num = |v: &Option<&str>| {
        v.as_deref()
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let time = |v: &Option<&str>| v.as_deref().and_then(parse_time);
    let mut files = Vec::with_capacity(files_df.height());
    for i in 0..files_df.height() {
        let (Some(ch), Some(rec), Some(st)) = (
            channel.get(i).and_then(Channel::parse),
            time(&received.get(i)),
            status.get(i).and_then(FileStatus::parse),
        ) else {
            continue;
        };
        files.push(FileRecord {
            record_id: id.get(i).unwrap_or_default().to_string(),
            unit_id: unit.get(i).unwrap_or_default().to_string(),
            procedure_id: proc_id.get(i).unwrap_or_default().to_string(),
            channel: ch,
            received_at: rec,
            due_at: time(&due.get(i)),
            finished_at: time(&finished.get(i)),
            status: st,
            supplement_requests: num(&sup_n.get(i)),
            supplement_days: num(&sup_days.get(i)),
            e_result: flag(0, i),
            digitised: flag(1, i),
            reused_data: flag(2, i),
            from_data_store: flag(3, i),
            citizen_data: flag(4, i),
            paid_online: num(&paid.get(i)) as u8,
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
                        feedback_id: id.get(i)?.to_string(),
                        unit_id: unit.get(i)?.to_string(),
                        received_at: time(&rec.get(i))?,
                        due_at: time(&due.get(i))?,
                        handled_at: time(&done.get(i)),
                        disliked: dis.get(i) == Some("1"),
                        recomplained: again.get(i) == Some("1"),
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
            let yes = |v: &Option<&str>| v.as_deref() == Some("1");
            Ok((0..cat.height())
                .map(|i| Procedure {
                    procedure_id: id.get(i).unwrap_or_default().to_string(),
                    unit_id: unit.get(i).filter(|u| !u.is_empty()).map(str::to_string),
                    name: name.get(i).unwrap_or_default().to_string(),
                    online_level: match level.get(i) {
                        Some("toan_trinh") => OnlineLevel::Full,
                        Some("mot_phan") => OnlineLevel::Partial,
                        _ => OnlineLevel::None,
                    },
                    eligible_full_online: yes(&elig.get(i)),
                    has_fee: yes(&fee.get(i)),
                    paper_result_required: yes(&paper.get(i)),
                    max_days: days.get(i).and_then(|s| s.parse().ok()),
                })
                .collect())
        })
        .transpose()?;
    // Stored as `yyyy-mm-dd`: the newest sorts last.
    let as_of = text(&files_df, "as_of")?
        .iter()
        .flatten()
        .max()
        .and_then(Date::parse)
        .map(super::records::end_of);
    Ok(super::Records {
        files,
        feedback,
        catalogue,
        as_of,
    })
}
