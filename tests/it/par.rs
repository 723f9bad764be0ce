//! `chiso par`: the total's standard error against R's survey package on a fixture drawing on
//! two surveys (tests/fixtures/par/expected.R → expected.csv), the shipped samples end to end,
//! and the assessment file's checks.

use std::collections::BTreeMap;

use crate::util::{Dir, Row, csv_rows, root};

/// Rows of a CSV as maps, keyed by `unit_id`.
fn by_unit(text: &str) -> BTreeMap<String, Row> {
    csv_rows(text)
        .into_iter()
        .map(|row| (row["unit_id"].clone(), row))
        .collect()
}

fn number(row: &Row, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} is not a number in {row:?}"))
}

fn ingest(d: &Dir, survey: &str, year: &str, file: &str) {
    let store = d.store().display().to_string();
    let run = d.run(&[
        "ingest", "--store", &store, "--survey", survey, "--year", year, file,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

fn par(d: &Dir, args: &[&str]) -> crate::util::Run {
    let store = d.store().display().to_string();
    let mut all = vec!["par", "--store", &store];
    all.extend_from_slice(args);
    d.run(&all)
}

#[test]
fn total_and_its_standard_error_match_r_survey_on_two_surveys() {
    let d = Dir::new();
    ingest(
        &d,
        &root("tests/fixtures/design/fixture.toml"),
        "2026",
        &root("tests/fixtures/design/batch.csv"),
    );
    ingest(
        &d,
        &root("tests/fixtures/par/fixture-b.toml"),
        "2026",
        &root("tests/fixtures/par/batch-b.csv"),
    );
    let out = d.path().join("out").display().to_string();
    let run = par(
        &d,
        &[
            "--year",
            "2026",
            "--method",
            &root("tests/fixtures/par/par.toml"),
            "--assessment",
            &root("tests/fixtures/par/assessment.csv"),
            "--out",
            &out,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let got =
        by_unit(&std::fs::read_to_string(d.path().join("out/par_totals.csv")).expect("totals"));
    let want = by_unit(
        &std::fs::read_to_string(root("tests/fixtures/par/expected.csv")).expect("expected.csv"),
    );
    assert_eq!(got.len(), 3);
    for (unit, w) in &want {
        let g = &got[unit];
        for col in ["points", "max_points", "index_pct", "se"] {
            let (a, b) = (number(g, col), number(w, col));
            assert!(
                (a - b).abs() <= 1e-6 * b.abs(),
                "{unit} {col}: chiso {a}, R {b}"
            );
        }
        // The 95 % interval is index ± z·se.
        let (i, se) = (number(g, "index_pct"), number(g, "se"));
        assert!((number(g, "ci_low") - (i - 1.959963984540054 * se)).abs() < 1e-9);
    }
}

#[test]
fn shipped_samples_give_each_unit_a_total_band_rank_and_interval_twice_identically() {
    let d = Dir::new();
    for s in ["sipas", "health-outpatient", "education"] {
        ingest(
            &d,
            s,
            "2026",
            &root(&format!("surveys/samples/{s}-2026.csv")),
        );
    }
    crate::util::ingest_sample_records(&d, 2026);
    let assessment = root("surveys/samples/assessment-2026.csv");
    let files = |dir: &str| {
        let out = d.path().join(dir).display().to_string();
        let mut args = vec![
            "--year".to_string(),
            "2026".into(),
            "--assessment".into(),
            assessment.clone(),
            "--as-of".into(),
            "30/11/2026".into(),
            "--out".into(),
            out,
        ];
        args.extend(crate::util::sample_plans("--plan", 2026));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = par(&d, &args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        ["par_points.csv", "par_totals.csv", "par.xlsx"]
            .map(|f| std::fs::read(d.path().join(dir).join(f)).expect("an output file"))
    };
    let first = files("a");
    assert_eq!(first, files("b"), "two runs differ");
    let totals = by_unit(&String::from_utf8_lossy(&first[1]));
    assert_eq!(
        totals.keys().collect::<Vec<_>>(),
        ["Côn Minh", "Na Rì", "Quang Phong", "Văn Lang", "Xuân Dương"]
    );
    for (unit, t) in &totals {
        for col in [
            "points",
            "index_pct",
            "se",
            "band",
            "rank",
            "rank_low",
            "rank_high",
        ] {
            assert!(!t[col].is_empty(), "{unit} has no {col}: {t:?}");
        }
        let (lo, r, hi) = (
            number(t, "rank_low"),
            number(t, "rank"),
            number(t, "rank_high"),
        );
        assert!(lo <= r && r <= hi, "{unit}: rank {r} outside {lo}–{hi}");
        assert!(
            number(t, "se") > 0.0,
            "{unit}: survey points carry sampling error"
        );
        // Văn Lang's criterion 2.1 (3 points) does not apply: it leaves the maximum.
        let max = if unit == "Văn Lang" { 97.0 } else { 100.0 };
        assert_eq!(number(t, "max_points"), max);
    }
    // Survey criteria carry their figure's se; the others none.
    let points = String::from_utf8_lossy(&first[0]).into_owned();
    let mut r = csv::Reader::from_reader(points.as_bytes());
    for rec in r.records() {
        let rec = rec.expect("a record");
        let se: f64 = rec[7].parse().expect("se");
        assert_eq!(se > 0.0, &rec[4] == "survey", "{rec:?}");
    }
}

#[test]
fn assessment_problems_are_refused_naming_line_column_and_rule() {
    let d = Dir::new();
    ingest(&d, "sipas", "2026", &root("surveys/samples/sipas-2026.csv"));
    let sample = std::fs::read_to_string(root("surveys/samples/assessment-2026.csv"))
        .expect("the sample assessment");
    let lines: Vec<&str> = sample.lines().collect();
    let appended = format!(":{}:", lines.len() + 1);
    // (what to do to the sample, the fragments the error must contain)
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            format!("{}\nCôn Minh,9.9,1,,\n", sample.trim_end()),
            vec![
                &appended,
                "column 2 (criterion)",
                "`9.9`",
                "unknown_criterion",
            ],
        ),
        (
            sample.replacen("Xuân Dương,1.2,", "Xuân Dương,1.2,7,,\nX,1.2,", 1),
            vec![
                ":2:",
                "column 3 (self_score)",
                "`7`",
                "above_max",
                "at most 1",
            ],
        ),
        (
            sample.replacen("Xuân Dương,1.2,", "Xuân Dương,1.2,-1,,\nX,1.2,", 1),
            vec![":2:", "`-1`", "negative"],
        ),
        (
            format!("{}\n{}\n", sample.trim_end(), lines[1]),
            vec![&appended, "duplicate", "already has a row", "line 2"],
        ),
        (
            sample.replacen("Xuân Dương,1.2,", "Xuân Dương,1.2,1,abc,\nX,1.2,", 1),
            vec![":2:", "column 4 (appraised_score)", "`abc`", "not_a_number"],
        ),
        (
            format!("{}\nCôn Minh,8.1,50,,\n", sample.trim_end()),
            vec![&appended, "`50`", "survey_criterion"],
        ),
        (
            format!("{}\nCôn Minh,3.2.2,1,,\n", sample.trim_end()),
            vec![&appended, "`1`", "records_criterion", "hoso-tthc"],
        ),
        (
            format!("{}\nCôn Minh,1.1,2,,\n", sample.trim_end()),
            vec![&appended, "`2`", "plan_criterion", "--plan"],
        ),
        (
            lines
                .iter()
                .filter(|l| !l.starts_with("Na Rì,2.3,"))
                .map(|l| format!("{l}\n"))
                .collect(),
            vec![
                "missing_criterion",
                "unit Na Rì has no row for criterion 2.3",
            ],
        ),
        (
            sample.replacen("self_score", "points", 1),
            vec!["no `self_score` column"],
        ),
    ];
    for (i, (text, says)) in cases.iter().enumerate() {
        let file = d.write(&format!("bad{i}.csv"), text);
        let out = d.path().join(format!("out{i}"));
        let run = par(
            &d,
            &[
                "--year",
                "2026",
                "--assessment",
                &file.display().to_string(),
                "--out",
                &out.display().to_string(),
            ],
        );
        assert_eq!(run.code, 1, "case {i}: {}", run.stderr);
        run.says(says);
        run.says(&[&format!("bad{i}.csv")]);
        assert!(!out.exists(), "case {i}: nothing is written on refusal");
    }
}
