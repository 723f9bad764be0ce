//! `chiso compare`: across questionnaire versions (3869/QĐ-BYT → 56/QĐ-BYT), within one
//! version (changes recomputed from the two years' scores.csv), trends, and the CCHC index.
//! The t test and Benjamini–Hochberg are checked against R in `src/compare/mod.rs`.

use std::collections::{BTreeMap, BTreeSet};

use crate::util::{Dir, Row, csv_rows, root};

fn read(d: &Dir, path: &str) -> Vec<Row> {
    csv_rows(
        &std::fs::read_to_string(d.path().join(path)).unwrap_or_else(|e| panic!("{path}: {e}")),
    )
}

fn num(r: &Row, k: &str) -> f64 {
    r[k].parse().unwrap_or(f64::NAN)
}

fn ingest_generated(d: &Dir, survey: &str, year: i32, seed: u64) {
    let inst = chiso::instrument::load(survey).expect("a shipped questionnaire");
    let file = d.write(
        &format!("{survey}-{year}.csv"),
        chiso::demo::survey_batch(&inst, year, 40, seed),
    );
    let store = d.store().display().to_string();
    let run = d.run(&[
        "ingest",
        "--store",
        &store,
        "--survey",
        survey,
        "--year",
        &year.to_string(),
        &file.display().to_string(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

fn run(d: &Dir, args: &[&str]) -> crate::util::Run {
    let store = d.store().display().to_string();
    let mut all = vec![args[0], "--store", &store];
    all.extend_from_slice(&args[1..]);
    let r = d.run(&all);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    r
}

#[test]
fn a_3869_year_and_a_56_year_compare_exactly_the_corresponding_items() {
    let d = Dir::new();
    ingest_generated(&d, "health-outpatient-3869", 2023, 1);
    ingest_generated(&d, "health-outpatient", 2024, 2);
    run(
        &d,
        &[
            "compare",
            "--survey",
            "health-outpatient",
            "--from",
            "2023",
            "--to",
            "2024",
            "--out",
            "c",
        ],
    )
    .says(&[
        "2023: health-outpatient-3869 (3869/QĐ-BYT)",
        "2024: health-outpatient (56/QĐ-BYT)",
    ]);
    let compared = read(&d, "c/compare.csv");
    let codes = |level: &str| -> BTreeSet<String> {
        compared
            .iter()
            .filter(|r| r["level"] == level)
            .map(|r| r["code"].clone())
            .collect()
    };
    // Items: the 25 that both forms ask (56's B6–B10 and E4 are new; 3869's B6 is not carried over).
    let mut items: BTreeSet<String> = BTreeSet::new();
    for (s, n) in [("A", 5), ("B", 5), ("C", 8), ("D", 4), ("E", 3)] {
        items.extend((1..=n).map(|i| format!("{s}{i}")));
    }
    assert_eq!(codes("item"), items);
    // Elements whose items all correspond; not B or E, nor the overall index.
    assert_eq!(
        codes("element"),
        BTreeSet::from(["A", "C", "D"].map(String::from))
    );
    assert_eq!(
        codes("overall"),
        BTreeSet::from(["expectation_pct", "return_pct"].map(String::from))
    );
    // Every unit and ALL, each measure of a compared figure.
    let units: BTreeSet<&str> = compared.iter().map(|r| r["unit_id"].as_str()).collect();
    assert_eq!(units.len(), 6);
    // What was left out, and why.
    let left = read(&d, "c/compare_excluded.csv");
    let left_codes: BTreeSet<String> = left.iter().map(|r| r["code"].clone()).collect();
    let want: BTreeSet<String> = [
        "B6",
        "B7",
        "B8",
        "B9",
        "B10",
        "E4",
        "B6 (3869/QĐ-BYT)",
        "B",
        "E",
        "overall",
    ]
    .map(String::from)
    .into();
    assert_eq!(left_codes, want);
    let reason = |code: &str| {
        left.iter()
            .find(|r| r["code"] == code)
            .map(|r| r["reason"].clone())
    };
    assert_eq!(
        reason("E4").as_deref(),
        Some("new in 56/QĐ-BYT: no counterpart in 3869/QĐ-BYT")
    );
    assert!(
        reason("B").is_some_and(|r| r.contains("B6, B7, B8, B9, B10 new in 56/QĐ-BYT")
            && r.contains("B6 of 3869/QĐ-BYT not carried over"))
    );
}

#[test]
fn changes_recomputed_from_the_two_years_scores_and_verdicts_follow_adjusted_p() {
    let d = Dir::new();
    ingest_generated(&d, "sipas", 2025, 3);
    ingest_generated(&d, "sipas", 2026, 4);
    for y in ["2025", "2026"] {
        run(&d, &["score", "--survey", "sipas", "--year", y, "--out", y]);
    }
    run(
        &d,
        &[
            "compare", "--survey", "sipas", "--from", "2025", "--to", "2026", "--out", "c",
        ],
    );
    let key = |r: &Row| {
        (
            r["unit_id"].clone(),
            r["level"].clone(),
            r["code"].clone(),
            r["measure"].clone(),
        )
    };
    let scores = |y: &str| -> BTreeMap<_, Row> {
        read(&d, &format!("{y}/scores.csv"))
            .into_iter()
            .map(|r| (key(&r), r))
            .collect()
    };
    let (a, b) = (scores("2025"), scores("2026"));
    let compared = read(&d, "c/compare.csv");
    let text = std::fs::read_to_string(d.path().join("c/compare.csv")).expect("compare.csv");
    assert_eq!(
        text.lines().next(),
        Some(
            "survey,unit_id,level,code,measure,estimate_from,estimate_to,change,se_change,df,p_value,p_adjusted,direction,flag"
        )
    );
    // Every figure but Cronbach's α is compared.
    assert_eq!(
        compared.len(),
        b.values()
            .filter(|r| r["measure"] != "cronbach_alpha")
            .count()
    );
    for r in &compared {
        let (f, t) = (&a[&key(r)], &b[&key(r)]);
        let change = num(t, "estimate") - num(f, "estimate");
        let se = (num(f, "se").powi(2) + num(t, "se").powi(2)).sqrt();
        assert!((num(r, "change") - change).abs() < 1e-9, "{r:?}");
        assert!((num(r, "se_change") - se).abs() < 1e-9, "{r:?}");
        assert_eq!(num(r, "df"), num(f, "df").min(num(t, "df")));
        let q = num(r, "p_adjusted");
        assert!(q >= num(r, "p_value") - 1e-15, "BH never lowers p: {r:?}");
        let want = if q < 0.05 {
            if change > 0.0 { "up" } else { "down" }
        } else {
            "no_change"
        };
        assert_eq!(r["direction"], want, "{r:?}");
    }
}

#[test]
fn a_trend_over_three_years_has_a_row_per_unit_figure_and_year() {
    let d = Dir::new();
    for (y, seed) in [(2024, 5), (2025, 6), (2026, 7)] {
        ingest_generated(&d, "education", y, seed);
    }
    run(
        &d,
        &[
            "compare",
            "--survey",
            "education",
            "--years",
            "2024,2025,2026",
            "--out",
            "t",
        ],
    );
    let trend = read(&d, "t/trend.csv");
    let mut by_key: BTreeMap<(String, String, String, String), Vec<&Row>> = BTreeMap::new();
    for r in &trend {
        by_key
            .entry((
                r["unit_id"].clone(),
                r["level"].clone(),
                r["code"].clone(),
                r["measure"].clone(),
            ))
            .or_default()
            .push(r);
    }
    assert!(!by_key.is_empty());
    for rs in by_key.values() {
        let years: Vec<&str> = rs.iter().map(|r| r["year"].as_str()).collect();
        assert_eq!(years, ["2024", "2025", "2026"]);
        assert!(rs[0]["change"].is_empty(), "the first year has no change");
        for w in rs.windows(2) {
            let d = num(w[1], "estimate") - num(w[0], "estimate");
            assert!((num(w[1], "change") - d).abs() < 1e-9);
        }
    }
}

#[test]
fn par_index_changes_with_intervals_and_rank_overlap_on_the_shipped_samples() {
    let d = Dir::new();
    for y in ["2025", "2026"] {
        for s in ["sipas", "health-outpatient", "education"] {
            let store = d.store().display().to_string();
            let file = root(&format!("surveys/samples/{s}-{y}.csv"));
            let r = d.run(&[
                "ingest", "--store", &store, "--survey", s, "--year", y, &file,
            ]);
            assert_eq!(r.code, 0, "{}", r.stderr);
        }
        crate::util::ingest_sample_records(&d, y.parse().expect("a year"));
        let a = root(&format!("surveys/samples/assessment-{y}.csv"));
        let plans = crate::util::sample_plans("--plan", y.parse().expect("a year"));
        let mut args = vec!["par", "--year", y, "--assessment", &a, "--out", y];
        args.extend(plans.iter().map(String::as_str));
        run(&d, &args);
    }
    let (af, at) = (
        root("surveys/samples/assessment-2025.csv"),
        root("surveys/samples/assessment-2026.csv"),
    );
    let plans: Vec<String> = crate::util::sample_plans("--plan-from", 2025)
        .into_iter()
        .chain(crate::util::sample_plans("--plan-to", 2026))
        .collect();
    let mut args = vec![
        "compare",
        "--par",
        "--from",
        "2025",
        "--to",
        "2026",
        "--assessment-from",
        &af,
        "--assessment-to",
        &at,
        "--out",
        "c",
    ];
    args.extend(plans.iter().map(String::as_str));
    run(&d, &args);
    let totals = |y: &str| -> BTreeMap<String, Row> {
        read(&d, &format!("{y}/par_totals.csv"))
            .into_iter()
            .map(|r| (r["unit_id"].clone(), r))
            .collect()
    };
    let (f, t) = (totals("2025"), totals("2026"));
    let rows = read(&d, "c/compare_par.csv");
    assert_eq!(rows.len(), 5);
    let mut verdicts = BTreeSet::new();
    for r in &rows {
        let (a, b) = (&f[&r["unit_id"]], &t[&r["unit_id"]]);
        let change = num(b, "index_pct") - num(a, "index_pct");
        let se = (num(a, "se").powi(2) + num(b, "se").powi(2)).sqrt();
        assert!((num(r, "index_change") - change).abs() < 1e-9);
        assert!((num(r, "points_change") - (num(b, "points") - num(a, "points"))).abs() < 1e-9);
        assert!((num(r, "ci_low") - (change - 1.959963984540054 * se)).abs() < 1e-9);
        assert!((num(r, "ci_high") - (change + 1.959963984540054 * se)).abs() < 1e-9);
        assert_eq!(num(r, "rank_change"), num(a, "rank") - num(b, "rank"));
        let overlap = num(a, "rank_low").max(num(b, "rank_low"))
            <= num(a, "rank_high").min(num(b, "rank_high"));
        assert_eq!(
            r["rank_intervals_overlap"],
            if overlap { "yes" } else { "no" }
        );
        verdicts.insert(r["direction"].clone());
    }
    // The demo communes include one improving and one slipping.
    assert!(
        verdicts.contains("up") && verdicts.contains("down"),
        "{verdicts:?}"
    );
}

#[test]
fn a_year_without_answers_is_a_clear_usage_error() {
    let d = Dir::new();
    ingest_generated(&d, "sipas", 2026, 8);
    let store = d.store().display().to_string();
    let r = d.run(&[
        "compare", "--store", &store, "--survey", "sipas", "--from", "2025", "--to", "2026",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    r.says(&["no sipas answers for 2025", "hint: ingest"]);
    let r = d.run(&[
        "compare", "--store", &store, "--survey", "sipas", "--from", "2020", "--to", "2026",
    ]);
    assert_eq!(r.code, 2);
    r.says(&["applies to 2023–2026", "2020"]);
}
