//! The store as other tools see it (a clean hive dataset), the migration of a store an earlier
//! chiso wrote, and messages in the analyst's language.

use std::path::Path;

use polars::prelude::*;

use crate::util::{Dir, csv_rows, python, python_with, root};

/// Two surveys, two years: four `survey=…/year=…` folders.
fn four_batches(d: &Dir) -> u64 {
    for (survey, year) in [("sipas", "2025"), ("sipas", "2026"), ("education", "2026")] {
        let file = root(&format!("surveys/samples/{survey}-{year}.csv"));
        d.ingest_ok(survey, year, Path::new(&file));
    }
    d.manifest().batches.iter().map(|b| b.accepted).sum()
}

#[test]
fn the_store_is_read_whole_by_pandas_pyarrow_duckdb_and_polars() {
    let d = Dir::new();
    let rows = four_batches(&d);
    // No file holds a partition column: the folders say survey and year.
    for b in &d.manifest().batches {
        let df = chiso::store::read_parquet(&d.store().join(&b.data_file), None).expect("batch");
        let names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert!(
            !names.iter().any(|c| c == "year" || c == "survey"),
            "{}: {names:?}",
            b.data_file
        );
    }
    if !python_with(&["pandas", "pyarrow", "duckdb", "polars"]) {
        return;
    }
    // Each reader: the row count, the years and surveys it sees, and one answer summed.
    let script = r#"
import sys, json
import pandas as pd, pyarrow.dataset as ds, duckdb, polars as pl
data = sys.argv[1]
out = {}
df = pd.read_parquet(data)
out["pandas"] = [len(df), sorted({int(y) for y in df["year"]}), sorted({str(s) for s in df["survey"]})]
t = ds.dataset(data, format="parquet", partitioning="hive").to_table()
out["pyarrow"] = [t.num_rows, sorted(set(int(y) for y in t.column("year").to_pylist())), sorted(set(t.column("survey").to_pylist()))]
r = duckdb.sql(f"select count(*), list(distinct year order by year), list(distinct survey order by survey) from read_parquet('{data}/**/*.parquet', hive_partitioning = true, union_by_name = true)").fetchall()[0]
out["duckdb"] = [r[0], [int(y) for y in r[1]], list(r[2])]
p = pl.scan_parquet(f"{data}/**/*.parquet", hive_partitioning=True, missing_columns="insert", extra_columns="ignore").collect()
out["polars"] = [p.height, sorted(set(int(y) for y in p["year"])), sorted(set(p["survey"]))]
print(json.dumps(out))
"#;
    let text = python(script, &[&d.store().join("data").display().to_string()]);
    let seen: serde_json::Value = serde_json::from_str(&text).expect("json");
    let want = serde_json::json!([rows, [2025, 2026], ["education", "sipas"]]);
    for reader in ["pandas", "pyarrow", "duckdb", "polars"] {
        assert_eq!(seen[reader], want, "{reader} reads the store differently");
    }
}

#[test]
fn a_store_written_with_a_year_column_is_migrated_on_first_use_and_scores_the_same() {
    let d = Dir::new();
    four_batches(&d);
    let score = |out: &str| {
        let r = d.run(&[
            "score", "--store", "store", "--survey", "sipas", "--year", "2026", "--out", out,
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        std::fs::read(d.path().join(out).join("scores.csv")).expect("scores.csv")
    };
    let before = score("before");
    let ids_before: Vec<String> = d.manifest().batches.iter().map(|b| b.id.clone()).collect();
    // Make it the store an earlier chiso wrote: `year` inside each file, manifest format 1.
    for b in &d.manifest().batches {
        let path = d.store().join(&b.data_file);
        let mut df = chiso::store::read_parquet(&path, None).expect("batch");
        let year = Column::new("year".into(), vec![b.year; df.height()]);
        df.insert_column(2, year).expect("insert year");
        let file = std::fs::File::create(&path).expect("rewrite");
        ParquetWriter::new(file).finish(&mut df).expect("write");
    }
    let manifest = d.store().join("manifest.json");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    assert!(text.contains("\"format\": 2"), "{text}");
    std::fs::write(&manifest, text.replace("\"format\": 2", "\"format\": 1")).expect("old format");
    // First use, by a command that only reads: the store is migrated, then read.
    let listed = d.run(&["batches", "--store", "store"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let m = d.manifest();
    assert_eq!(m.format, 2);
    assert_eq!(
        m.batches.iter().map(|b| b.id.clone()).collect::<Vec<_>>(),
        ids_before
    );
    for b in &m.batches {
        let df = chiso::store::read_parquet(&d.store().join(&b.data_file), None).expect("batch");
        assert!(df.column("year").is_err(), "{} still has year", b.data_file);
        assert_eq!(df.height() as u64, b.accepted);
    }
    let leftovers: Vec<String> = std::fs::read_dir(d.store().join("tmp"))
        .map(|es| {
            es.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(score("after"), before, "scores changed by the migration");
}

#[test]
fn a_bad_answer_is_told_in_vietnamese_and_in_english_with_lang_en() {
    let text = std::fs::read_to_string(root("surveys/samples/sipas-2026.csv")).expect("sample");
    let mut lines: Vec<String> = text.lines().take(4).map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let at = header.iter().position(|h| *h == "TC2").expect("TC2");
    let mut row: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    row[at] = "44".into();
    lines[2] = row.join(",");
    for (lang, said) in [
        (
            None,
            [
                "b.csv:3: cột 9 (TC2): \"44\" nằm ngoài thang đo (cho phép 1–5, để trống = không trả lời",
                "gợi ý: dùng một mã của thang đo",
                "bị cách ly",
                "\"44\" nằm ngoài thang đo",
            ],
        ),
        (
            Some("en"),
            [
                "b.csv:3: column 9 (TC2): \"44\" is out of scale (allowed 1–5, blank = no answer",
                "hint: use a code of the scale",
                "quarantined",
                "\"44\" is out of scale",
            ],
        ),
    ] {
        let d = Dir::new();
        d.write("b.csv", lines.join("\n") + "\n");
        let mut args = vec![
            "ingest", "--store", "store", "--survey", "sipas", "--year", "2026",
        ];
        if let Some(l) = lang {
            args.extend(["--lang", l]);
        }
        args.push("b.csv");
        let run = d.run_vi(&args);
        assert_eq!(run.code, 3, "{}", run.stderr);
        run.says(&said[..3]);
        assert!(
            run.stderr.contains("[out_of_scale]"),
            "the rule code stays: {}",
            run.stderr
        );
        // The quarantine file speaks the same language.
        let q = d.manifest().batches[0]
            .quarantine_file
            .clone()
            .expect("quarantine");
        let rows = csv_rows(
            std::fs::read_to_string(d.store().join(q))
                .expect("q")
                .trim_start_matches('\u{feff}'),
        );
        assert_eq!(rows[0]["rule"], "out_of_scale");
        assert!(rows[0]["message"].starts_with(said[3]), "{:?}", rows[0]);
    }
}
