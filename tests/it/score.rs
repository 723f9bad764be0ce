//! `chiso score` against values computed independently with R's survey package
//! (tests/fixtures/design/expected.R → expected.csv).

use std::collections::BTreeMap;

use std::path::Path;

use crate::util::{Dir, Row, csv_rows, root};

fn fixture(name: &str) -> String {
    root(&format!("tests/fixtures/design/{name}"))
}

type Key = (String, String, String, String);

/// A CSV as rows of named fields, keyed by (unit_id, level, code, measure).
fn table(text: &str, scenario: Option<&str>) -> BTreeMap<Key, Row> {
    csv_rows(text)
        .into_iter()
        .filter(|row| scenario.is_none_or(|s| row.get("scenario").map(String::as_str) == Some(s)))
        .map(|row| {
            let key = (
                row["unit_id"].clone(),
                row["level"].clone(),
                row["code"].clone(),
                row["measure"].clone(),
            );
            (key, row)
        })
        .collect()
}

fn close(got: &str, want: &str, rel: f64) -> bool {
    match (got.parse::<f64>(), want.parse::<f64>()) {
        (Ok(g), Ok(w)) => (g - w).abs() <= rel * w.abs().max(1e-9) + 1e-12,
        _ => got.is_empty() && want.is_empty(),
    }
}

/// Ingests `batch` as the fixture questionnaire, scores it with `method`, compares with R.
fn check(scenario: &str, batch: &str, method: &str) {
    compare_with_r(
        "design",
        "fixture.toml",
        scenario,
        batch,
        &["--method", &fixture(method)],
    );
}

/// Ingests `folder/batch` as questionnaire `folder/survey`, scores it with `score_args`, and
/// compares every figure with the R reference `folder/expected.csv` of `scenario`.
fn compare_with_r(folder: &str, survey: &str, scenario: &str, batch: &str, score_args: &[&str]) {
    let d = Dir::new();
    let at = |name: &str| root(&format!("tests/fixtures/{folder}/{name}"));
    let survey = at(survey);
    d.ingest_ok(&survey, "2026", std::path::Path::new(&at(batch)));
    let mut args = vec![
        "score", "--store", "store", "--survey", &survey, "--year", "2026", "--out", "out",
    ];
    args.extend_from_slice(score_args);
    let run = d.run(&args);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let got_text = std::fs::read_to_string(d.path().join("out/scores.csv")).expect("scores.csv");
    assert!(got_text.starts_with(
        "year,survey,unit_id,level,code,measure,n,estimate,se,ci_low,ci_high,df,deff,flag\n"
    ));
    let got = table(&got_text, None);
    let want = table(
        &std::fs::read_to_string(at("expected.csv")).expect("expected.csv"),
        Some(scenario),
    );
    assert!(
        want.len() >= 60,
        "{scenario}: {} reference rows",
        want.len()
    );
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{scenario}: the same figures"
    );
    for (key, w) in &want {
        let g = &got[key];
        for (field, rel) in [
            ("estimate", 1e-6),
            ("se", 1e-6),
            ("deff", 1e-6),
            ("ci_low", 1e-4),
            ("ci_high", 1e-4),
        ] {
            assert!(
                close(&g[field], &w[field], rel),
                "{scenario} {key:?} {field}: chiso {} vs R {}",
                g[field],
                w[field]
            );
        }
        assert_eq!(g["n"], w["n"], "{scenario} {key:?} n");
        assert_eq!(g["df"], w["df"], "{scenario} {key:?} df");
    }
}

#[test]
fn a_three_level_tree_with_item_nonresponse_matches_r_survey() {
    // The questionnaire names its methodology by a path relative to itself; the test runs
    // from elsewhere. Na Rì's D1 loses a PSU (nobody there answered it): its df is one less.
    compare_with_r("methods", "tree.toml", "tree", "batch.csv", &[]);
}

#[test]
fn poststratification_by_unit_matches_r_survey() {
    let units = root("tests/fixtures/methods/units.csv");
    compare_with_r(
        "methods",
        "tree.toml",
        "post",
        "batch.csv",
        &["--poststratify", &units],
    );
}

#[test]
fn raking_to_two_margins_matches_r_survey() {
    // gender.csv spells a value as the form's alias (`Nữ` for `nu`).
    let units = root("tests/fixtures/methods/units.csv");
    let gender = root("tests/fixtures/methods/gender.csv");
    compare_with_r(
        "methods",
        "tree.toml",
        "rake",
        "batch.csv",
        &["--rake", &units, "--rake", &gender],
    );
}

#[test]
fn pooled_rule_matches_r_survey() {
    check("pooled", "batch.csv", "../../../scoring/health.toml");
}

#[test]
fn mean_rule_with_weights_matches_r_survey() {
    check("mean", "batch.csv", "mean.toml");
}

#[test]
fn finite_population_correction_matches_r_survey() {
    check("fpc", "batch-fpc.csv", "../../../scoring/health.toml");
}

#[test]
fn lonely_psu_policies_match_r_survey() {
    for p in ["remove", "certainty", "adjust"] {
        check(
            &format!("lonely-{p}"),
            "batch-lonely.csv",
            &format!("lonely-{p}.toml"),
        );
    }
}

#[test]
fn a_lonely_psu_fails_by_default_naming_the_stratum() {
    let d = Dir::new();
    let survey = fixture("fixture.toml");
    assert_eq!(
        d.run(&[
            "ingest",
            "--store",
            "store",
            "--survey",
            &survey,
            "--year",
            "2026",
            &fixture("batch-lonely.csv")
        ])
        .code,
        0
    );
    let run = d.run(&[
        "score", "--store", "store", "--survey", &survey, "--year", "2026", "--out", "out",
    ]);
    assert_eq!(run.code, 1);
    run.says(&["stratum \"S5\" has only one PSU", "lonely_psu"]);
}

#[test]
fn two_runs_write_byte_identical_tables_whatever_the_threads() {
    let d = Dir::new();
    let survey = fixture("fixture.toml");
    assert_eq!(
        d.run(&[
            "ingest",
            "--store",
            "store",
            "--survey",
            &survey,
            "--year",
            "2026",
            &fixture("batch.csv")
        ])
        .code,
        0
    );
    let score = |out: &str, threads: Option<&str>| {
        let mut cmd = d.command(&[
            "score", "--store", "store", "--survey", &survey, "--year", "2026", "--out", out,
        ]);
        if let Some(t) = threads {
            cmd.env("POLARS_MAX_THREADS", t).env("RAYON_NUM_THREADS", t);
        }
        assert!(cmd.output().expect("run chiso").status.success());
    };
    score("a", None);
    score("b", None);
    score("c", Some("1"));
    for f in ["scores.csv", "scores.xlsx", "scores.json"] {
        let a = std::fs::read(d.path().join("a").join(f)).expect("output");
        assert_eq!(
            a,
            std::fs::read(d.path().join("b").join(f)).expect("output"),
            "{f}"
        );
        assert_eq!(
            a,
            std::fs::read(d.path().join("c").join(f)).expect("output"),
            "{f}"
        );
    }
}

#[test]
fn scores_are_the_same_whatever_the_part_size_the_pass_reads() {
    // The pass over the answers reads the store in parts and sums each PSU in file order: the
    // same additions in the same order whatever the part size, with or without calibrated
    // weights (whose cell totals are a pass of their own).
    let d = methods_store();
    let units = root("tests/fixtures/methods/units.csv");
    let gender = root("tests/fixtures/methods/gender.csv");
    let survey = root("tests/fixtures/methods/tree.toml");
    let scenarios: [&[&str]; 3] = [
        &[],
        &["--poststratify", &units],
        &["--rake", &units, "--rake", &gender],
    ];
    for (k, extra) in scenarios.iter().enumerate() {
        let run = |out: &str, rows: Option<&str>| -> Vec<u8> {
            let mut args = vec![
                "score", "--store", "store", "--survey", &survey, "--year", "2026", "--out", out,
            ];
            args.extend_from_slice(extra);
            let mut cmd = d.command(&args);
            if let Some(n) = rows {
                cmd.env("CHISO_CHUNK_ROWS", n);
            }
            let o = cmd.output().expect("run chiso");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            std::fs::read(d.path().join(out).join("scores.csv")).expect("scores.csv")
        };
        let whole = run(&format!("whole{k}"), None);
        for rows in ["1", "7", "100"] {
            assert_eq!(
                whole,
                run(&format!("parts{k}-{rows}"), Some(rows)),
                "scenario {k}, parts of {rows} rows"
            );
        }
    }
}

/// A store holding the methods fixture's batch.
fn methods_store() -> Dir {
    let d = Dir::new();
    let survey = root("tests/fixtures/methods/tree.toml");
    let batch = root("tests/fixtures/methods/batch.csv");
    d.ingest_ok(&survey, "2026", std::path::Path::new(&batch));
    d
}

fn score_methods(d: &Dir, vi: bool, extra: &[&str]) -> crate::util::Run {
    let survey = root("tests/fixtures/methods/tree.toml");
    let mut args = vec![
        "score", "--store", "store", "--survey", &survey, "--year", "2026", "--out", "out",
    ];
    args.extend_from_slice(extra);
    if vi { d.run_vi(&args) } else { d.run(&args) }
}

#[test]
fn frame_cells_without_population_or_respondents_are_errors_naming_the_cell() {
    let d = methods_store();
    let cases: Vec<(&str, &str, Vec<&str>)> = vec![
        (
            "missing.csv",
            "unit_id,population\nXuân Dương,4210\nCôn Minh,3875\n",
            vec![
                "missing.csv",
                "unit_id = \"Na Rì\"",
                "người trả lời",
                "dân số",
                "gợi ý:",
            ],
        ),
        (
            "ghost.csv",
            "unit_id,population\nXuân Dương,4210\nCôn Minh,3875\nNa Rì,2650\nBản Ma,90\n",
            vec![
                "ghost.csv",
                "unit_id = \"Bản Ma\"",
                "90",
                "không có người trả lời",
                "gợi ý:",
            ],
        ),
        (
            "typo.csv",
            "gioi_tinhh,population\nnam,1\nnu,1\n",
            vec![
                "typo.csv",
                "\"gioi_tinhh\"",
                "có phải là \"gioi_tinh\"",
                "gợi ý:",
            ],
        ),
        (
            "comma.csv",
            "unit_id,population\nXuân Dương,\"4.210,5\"\n",
            vec!["comma.csv:2", "4.210,5", "population", "gợi ý:"],
        ),
        (
            "value.csv",
            "gioi_tinh,population\nnam,5300\nkhác,10\n",
            vec!["value.csv:3", "khác", "nam, nu"],
        ),
        (
            "twice.csv",
            "unit_id,population\nNa Rì,1\nNa Rì,2\n",
            vec!["twice.csv:3", "Na Rì", "dòng 2"],
        ),
    ];
    for (name, text, says) in cases {
        let path = d.write(name, text).display().to_string();
        let run = score_methods(&d, true, &["--poststratify", &path]);
        assert_eq!(run.code, 1, "{name}: {}{}", run.stdout, run.stderr);
        run.says(&says);
        assert!(!d.path().join("out").exists(), "{name}: nothing written");
    }
}

#[test]
fn the_frame_used_is_recorded_with_its_digest() {
    use sha2::Digest as _;
    let d = methods_store();
    let units = root("tests/fixtures/methods/units.csv");
    let gender = root("tests/fixtures/methods/gender.csv");
    let run = score_methods(&d, false, &["--rake", &units, "--rake", &gender]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let digest = |p: &str| {
        sha2::Sha256::digest(std::fs::read(p).expect("frame"))
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(d.path().join("out/weighting.json")).expect("weighting.json"),
    )
    .expect("json");
    assert_eq!(json["weighting"], "rake");
    assert_eq!(json["frames"][0]["sha256"], digest(&units));
    assert_eq!(json["frames"][1]["sha256"], digest(&gender));
    assert_eq!(json["frames"][1]["columns"][0], "gender");
    assert_eq!(json["frames"][0]["population"], 10735.0);
    run.says(&["raked", "units.csv", &digest(&units)[..16]]);
    // Without a frame, the design weights are recorded as such.
    let run = score_methods(&d, false, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = std::fs::read_to_string(d.path().join("out/weighting.json")).expect("json");
    assert!(json.contains("\"weighting\": \"design\""), "{json}");
    // --poststratify and --rake together are refused.
    let run = score_methods(&d, false, &["--poststratify", &units, "--rake", &gender]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn sample_sizes_follow_the_worked_example_and_last_years_design_effect() {
    let d = Dir::new();
    let sample = |survey: &str, frame: &str, extra: &[&str], vi: bool| {
        let mut args = vec![
            "sample-size",
            "--survey",
            survey,
            "--year",
            "2027",
            "--frame",
            frame,
        ];
        args.extend_from_slice(extra);
        if vi { d.run_vi(&args) } else { d.run(&args) }
    };
    d.write(
        "pop.csv",
        "unit_id,population\nXuân Dương,4210\nCôn Minh,3875\nNa Rì,300\n",
    );
    // Without a store: p = 50 %. Xuân Dương, N = 4210, ±5 points at 95 % (z = 1.959964):
    // Slovin 4210 / (1 + 4210 · 0.05²) = 365.29 → 366; n₀ = z² · 0.25 / 0.05² = 384.146,
    // 384.146 / (1 + 383.146 / 4210) = 352.10 → 353. Na Rì, N = 300: 171.43 → 172 and
    // 384.146 / (1 + 383.146 / 300) = 168.69 → 169.
    let run = sample("fixture-x", "pop.csv", &[], true);
    assert_eq!(run.code, 2, "an unknown questionnaire: {}", run.stderr);
    let survey = root("tests/fixtures/design/fixture.toml");
    let run = sample(&survey, "pop.csv", &["--out", "a"], true);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.says(&["±5,0 điểm", "Slovin", "sample_size.csv"]);
    let rows = csv_rows(&std::fs::read_to_string(d.path().join("a/sample_size.csv")).expect("csv"));
    let row = |u: &str| {
        rows.iter()
            .find(|r| r["unit_id"] == u)
            .expect("a unit")
            .clone()
    };
    let x = row("Xuân Dương");
    assert_eq!(
        (x["slovin_n"].as_str(), x["srs_n"].as_str()),
        ("366", "353")
    );
    assert_eq!(
        (x["expected_from"].as_str(), x["deff_from"].as_str()),
        ("given", "none")
    );
    assert_eq!(x["design_n"], "");
    let n = row("Na Rì");
    assert_eq!(
        (n["slovin_n"].as_str(), n["srs_n"].as_str()),
        ("172", "169")
    );
    assert!(d.path().join("a/sample_size.xlsx").exists());

    // With last year in the store: each unit's share and its overall index's design effect
    // (the fixture's methodology pools, so the overall has one), from scores.csv.
    d.ingest_ok(&survey, "2026", std::path::Path::new(&fixture("batch.csv")));
    let run = d.run(&[
        "score", "--store", "store", "--survey", &survey, "--year", "2026", "--out", "s",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = sample(
        &survey,
        "pop.csv",
        &["--store", "store", "--margin", "4", "--out", "b"],
        false,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.says(&["2026"]);
    let scores = csv_rows(&std::fs::read_to_string(d.path().join("s/scores.csv")).expect("csv"));
    let got = csv_rows(&std::fs::read_to_string(d.path().join("b/sample_size.csv")).expect("csv"));
    let z = 1.959_963_984_540_054_f64;
    for (unit, big_n) in [
        ("Xuân Dương", 4210.0),
        ("Côn Minh", 3875.0),
        ("Na Rì", 300.0),
    ] {
        let overall = scores
            .iter()
            .find(|r| {
                r["unit_id"] == unit && r["code"] == "overall" && r["measure"] == "satisfied_pct"
            })
            .expect("last year's overall");
        let p: f64 = overall["estimate"].parse::<f64>().expect("p") / 100.0;
        let deff: f64 = overall["deff"].parse().expect("deff");
        // n₀ = z²·p(1 − p)/e², e = 0.04; with the design effect, deff·n₀; each corrected for
        // the finite population N and rounded up.
        let n0 = z * z * p * (1.0 - p) / (0.04 * 0.04);
        let fpc = |n: f64| (n / (1.0 + (n - 1.0) / big_n)).ceil().to_string();
        let r = got.iter().find(|r| r["unit_id"] == unit).expect("unit");
        assert_eq!(r["expected_from"], "last_year");
        assert_eq!(r["deff_from"], "overall");
        assert_eq!(r["srs_n"], fpc(n0), "{unit}");
        assert_eq!(r["design_n"], fpc(deff * n0), "{unit}");
        // Slovin at e = 0.04: N / (1 + N · 0.0016).
        assert_eq!(
            r["slovin_n"],
            (big_n / (1.0 + big_n * 0.0016)).ceil().to_string()
        );
    }
    // A frame by another column, or a margin of 0, is refused.
    d.write("g.csv", "gioi_tinh,population\nnam,10\n");
    let tree = root("tests/fixtures/methods/tree.toml");
    let run = sample(&tree, "g.csv", &[], false);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.says(&["g.csv", "unit_id,population"]);
    let run = sample(&survey, "pop.csv", &["--margin", "0"], false);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.says(&["--margin"]);
}

/// DuckDB runs what `chiso score --emit-sql` prints, on a store of the demo's samples (the
/// four surveys, 2026), with one thread so that each PSU is summed in file order; `chiso score
/// --psu-totals` of its result (Parquet, CSV, and from a partitioned table with `--sql-table`)
/// writes the very bytes `chiso score` writes from the store.
#[test]
fn duckdb_running_the_emitted_sql_gives_the_same_scores_from_the_psu_totals() {
    let d = Dir::new();
    let surveys = [
        "sipas",
        "health-outpatient",
        "health-inpatient",
        "education",
    ];
    for s in surveys {
        d.ingest_ok(
            s,
            "2026",
            Path::new(&root(&format!("surveys/samples/{s}-2026.csv"))),
        );
    }
    if !crate::util::python_with(&["duckdb"]) {
        return;
    }
    let store = d.store().display().to_string();
    // Runs the SQL in argv[1] (a file) with one thread, after the setup in argv[3], and writes
    // the result to argv[2] (Parquet or CSV by its extension).
    let script = r#"
import sys, duckdb
con = duckdb.connect()
con.execute("SET threads = 1")
if sys.argv[3]:
    con.execute(sys.argv[3])
fmt = "csv" if sys.argv[2].endswith(".csv") else "parquet"
con.execute(f"COPY ({open(sys.argv[1]).read()}) TO '{sys.argv[2]}' (FORMAT {fmt})")
"#;
    let partitioned = format!(
        "CREATE VIEW answers AS SELECT * FROM read_parquet('{store}/data/**/*.parquet', \
         hive_partitioning = true, union_by_name = true)"
    );
    for s in surveys {
        let direct = d.run(&[
            "score", "--store", &store, "--survey", s, "--year", "2026", "--out", "direct",
        ]);
        assert_eq!(direct.code, 0, "{}", direct.stderr);
        let want = std::fs::read(d.path().join("direct/scores.csv")).expect("scores.csv");
        let cases: [(&[&str], &str, &str); 3] = [
            (&[], "totals.parquet", ""),
            (&[], "totals.csv", ""),
            (&["--sql-table", "answers"], "table.parquet", &partitioned),
        ];
        for (extra, table, setup) in cases {
            let mut args = vec![
                "score",
                "--store",
                &store,
                "--survey",
                s,
                "--year",
                "2026",
                "--emit-sql",
            ];
            args.extend_from_slice(extra);
            let sql = d.run(&args);
            assert_eq!(sql.code, 0, "{}", sql.stderr);
            assert!(
                sql.stdout.contains("GROUP BY unit_id, stratum, psu"),
                "{}",
                sql.stdout
            );
            let sql_file = d.write("totals.sql", &sql.stdout);
            let table = d.path().join(table).display().to_string();
            crate::util::python(script, &[&sql_file.display().to_string(), &table, setup]);
            // Not the store: the totals alone.
            let r = d.run(&[
                "score",
                "--store",
                "no-store",
                "--survey",
                s,
                "--year",
                "2026",
                "--psu-totals",
                &table,
                "--out",
                "from-sql",
            ]);
            assert_eq!(r.code, 0, "{}", r.stderr);
            let got = std::fs::read(d.path().join("from-sql/scores.csv")).expect("scores.csv");
            assert!(
                got == want,
                "{s}, {table}: scores.csv from the PSU totals differs from chiso score's"
            );
        }
    }
}

/// A totals table that is not what the query makes is refused, saying where and why; the
/// weights of a calibration cannot go through the SQL path.
#[test]
fn a_psu_totals_table_that_is_not_the_querys_is_refused_with_its_row_and_column() {
    let d = Dir::new();
    let good = "unit_id,stratum,psu,n_respondents,sum_weight,fpc_min,fpc_max\nU1,,P1,2,2,,\n";
    let cases = [
        ("missing.csv", good.to_string(), "no column `TC1__valid_w`"),
        (
            "repeat.csv",
            format!("{good}U1,,P1,1,1,,\n"),
            "row 3: unit U1, stratum \"\", PSU P1 already at row 2",
        ),
        (
            "text.csv",
            good.replace("U1,,P1,2,2", "U1,,P1,two,2"),
            "row 2, column n_respondents: `two` is not a number",
        ),
        (
            "blank.csv",
            good.replace("U1,,P1", ",,P1"),
            "row 2, column unit_id: blank",
        ),
        (
            "empty.csv",
            good.lines().next().unwrap_or("").to_string(),
            "has no rows",
        ),
    ];
    let score = |extra: &[&str]| {
        let mut args = vec!["score", "--survey", "sipas", "--year", "2026"];
        args.extend_from_slice(extra);
        d.run(&args)
    };
    let refused = |name: &str, want: &str| {
        let file = d.path().join(name).display().to_string();
        let r = score(&["--psu-totals", &file]);
        assert_eq!(r.code, 1, "{name}: {}", r.stderr);
        assert!(r.stderr.contains(name), "{name}: {}", r.stderr);
        assert!(
            r.stderr.contains(want),
            "{name}: want {want:?} in {}",
            r.stderr
        );
        assert!(r.stderr.contains("hint:"), "{name}: {}", r.stderr);
        assert!(!d.path().join("output").exists(), "{name}: wrote output");
    };
    for (name, text, want) in cases {
        d.write(name, text);
        refused(name, want);
    }
    // A DECIMAL column (an engine's sum of exact numbers) is refused by its type, not read.
    if crate::util::python_with(&["duckdb"]) {
        let file = d.path().join("decimal.parquet").display().to_string();
        crate::util::python(
            "import sys, duckdb\nduckdb.execute(f\"COPY (SELECT 'U1' AS unit_id, '' AS stratum, 'P1' AS psu, 2.0 AS n_respondents, 2.0 AS sum_weight) TO '{sys.argv[1]}' (FORMAT parquet)\")",
            &[&file],
        );
        refused(
            "decimal.parquet",
            "column n_respondents: type Decimal(2, 1)",
        );
    }
    let r = score(&["--emit-sql", "--rake", "m.csv"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}
