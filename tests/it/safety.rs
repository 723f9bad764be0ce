//! What a careless or hostile user tried (issue 11): nothing lost, nothing wrong without a
//! word. Each test names the problem it keeps fixed; each failed before its fix.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::util::{CLEAN, Dir, big_batch, csv_rows, root, with_field};

/// Every file under `dir` with its bytes, leaving out chiso's lock and staging folders.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(dir).unwrap_or(&p).display().to_string();
            if rel.starts_with(".chiso-") {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(rel, fs::read(&p).unwrap_or_default());
            }
        }
    }
    out
}

fn put(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).expect("a folder");
    }
    fs::write(p, text).expect("a file");
}

fn ingest_into(d: &Dir, store: &str, file: &str) -> crate::util::Run {
    let mut args = crate::util::ingest_args(file, &[]);
    args[2] = store;
    d.run(&args)
}

/// `chiso score` of health-outpatient 2026 from `./store` into `out`, in `lang`.
pub fn score_args(out: &str, lang: &str) -> Vec<String> {
    [
        "score",
        "--store",
        "store",
        "--survey",
        "health-outpatient",
        "--year",
        "2026",
        "--out",
        out,
        "--lang",
        lang,
    ]
    .map(String::from)
    .to_vec()
}

// 1. Data loss -----------------------------------------------------------------------------

#[test]
fn a_folder_that_is_not_a_store_is_refused_and_left_as_it_was() {
    let d = Dir::new();
    d.write("b.csv", CLEAN);
    for layout in [
        // A project folder named by mistake.
        &[
            ("data/khao-sat.xlsx", "x"),
            ("tmp/ghi-chu.txt", "y"),
            ("quarantine/danh-sach.csv", "z"),
            ("README.md", "r"),
        ][..],
        // Only folders named as a store's, holding files named as chiso names its own.
        &[
            ("tmp/part-0.parquet", "not chiso's"),
            ("data/survey=x/year=2026/notes.txt", "n"),
            ("quarantine/survey=x/year=2026/batch-ab.csv", "q"),
        ][..],
    ] {
        let dir = d.path().join("project");
        let _ = fs::remove_dir_all(&dir);
        for (rel, text) in layout {
            put(&dir, rel, text);
        }
        let before = tree(&dir);
        let run = ingest_into(&d, "project", "b.csv");
        assert_eq!(run.code, 1, "{}", run.stderr);
        run.says(&["not a chiso store", "hint:"]);
        assert_eq!(tree(&dir), before, "the folder changed");
        assert!(!dir.join("manifest.json").exists());
    }
}

#[test]
fn a_store_whose_manifest_was_lost_is_refused_never_swept() {
    let d = Dir::new();
    d.write("b.csv", CLEAN);
    assert_eq!(ingest_into(&d, "store", "b.csv").code, 0);
    fs::remove_file(d.store().join("manifest.json")).expect("remove the manifest");
    let before = tree(&d.store());
    assert!(before.keys().any(|k| k.ends_with(".parquet")));
    d.write("c.csv", big_batch("NEW", 40));
    let run = ingest_into(&d, "store", "c.csv");
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.says(&["manifest.json is missing", "1 stored batch file", "restore"]);
    assert_eq!(tree(&d.store()), before, "the store changed");
    // Reading commands say the same.
    let run = run_env(&d, &score_args("out", "vi"), &[]);
    assert_eq!(run.code, 1);
    run.says(&["thiếu manifest.json"]);
}

#[test]
fn the_sweep_removes_chisos_own_leftovers_only() {
    let d = Dir::new();
    d.write("b.csv", CLEAN);
    assert_eq!(ingest_into(&d, "store", "b.csv").code, 0);
    let s = d.store();
    let part = "data/survey=health-outpatient/year=2026";
    // Leftovers of an interrupted ingest, named as chiso names its files...
    put(&s, "tmp/part-0.parquet", "half a file");
    put(
        &s,
        &format!("{part}/batch-0123abcd.parquet"),
        "not in the manifest",
    );
    // ...and files chiso did not write.
    put(&s, "tmp/ghi-chu.txt", "mine");
    put(&s, &format!("{part}/notes.txt"), "mine too");
    put(&s, "quarantine/read-me.txt", "and mine");
    d.write("c.csv", big_batch("NEW", 40));
    let run = ingest_into(&d, "store", "c.csv");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!s.join("tmp/part-0.parquet").exists());
    assert!(!s.join(format!("{part}/batch-0123abcd.parquet")).exists());
    for mine in [
        "tmp/ghi-chu.txt".to_string(),
        format!("{part}/notes.txt"),
        "quarantine/read-me.txt".to_string(),
    ] {
        assert!(s.join(&mine).is_file(), "{mine} was removed");
    }
}

#[test]
fn a_new_or_empty_folder_becomes_a_store_with_its_manifest_first() {
    let d = Dir::new();
    d.write("b.csv", CLEAN);
    fs::create_dir_all(d.path().join("empty")).expect("a folder");
    for store in ["empty", "new/nested"] {
        let run = ingest_into(&d, store, "b.csv");
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(d.path().join(store).join("manifest.json").is_file());
    }
    // A refused file into a new store leaves no store behind (tests/it/layouts.rs has more).
    d.write("bad.csv", "respondent_id,unit_id\n");
    let run = ingest_into(&d, "fresh", "bad.csv");
    assert_eq!(run.code, 1);
    assert!(!d.path().join("fresh").exists());
}

// 2. Definitions that would give wrong figures without a word ------------------------------

const METHOD: &str = r#"
id = "m"
title_vi = "m"
title_en = "m"
basis = "test"
satisfied_at = 4
item_measures = ["satisfied_pct"]
ci_method = "logit"
ci_level = 0.95
min_n = 1
lonely_psu = "adjust"
decimals = 2
shares = []
[element]
rule = "mean"
[overall]
rule = "mean"
"#;

fn scored_store() -> Dir {
    let d = Dir::new();
    d.write("b.csv", CLEAN);
    let run = d.ingest("b.csv", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    d
}

fn score_with(d: &Dir, method: &str, out: &str) -> crate::util::Run {
    let m = d.write("m.toml", method);
    let mut args = score_args(out, "vi");
    args.extend(["--method".to_string(), m.display().to_string()]);
    run_env(d, &args, &[])
}

#[test]
fn methodologies_that_would_score_wrong_are_refused_naming_key_and_value() {
    let d = scored_store();
    let all_a = "A1 = 0, A2 = 0, A3 = 0, A4 = 0, A5 = 0";
    let cases: Vec<(String, &[&str])> = vec![
        (
            METHOD.replace("rule = \"mean\"\n[overall]", "rule = \"weighted\"\nweights = { A1 = 2 }\n[overall]"),
            &["[element] weights", "no weight to A2", "element A"],
        ),
        (
            METHOD.replace("rule = \"mean\"\n[overall]", "rule = \"weighted\"\nweights = { ZZ9 = 1 }\n[overall]"),
            &["ZZ9", "not a scored item"],
        ),
        (
            METHOD.replace("rule = \"mean\"\n[overall]", &format!("rule = \"weighted\"\nweights = {{ {all_a} }}\n[overall]")),
            &["all 0"],
        ),
        (
            METHOD.replace("rule = \"mean\"\n[overall]", "rule = \"weighted\"\nweights = { A1 = 1e308, A2 = 1, A3 = 1, A4 = 1, A5 = 1 }\n[overall]"),
            &["weight of `A1`", "1e12"],
        ),
        (format!("{METHOD}children = []\n"), &["children = []"]),
        (
            METHOD.replace("[overall]\nrule = \"mean\"", "[overall]\nrule = \"weighted\"\nweights = { A = 0, B = 0, C = 0, D = 0, E = 0 }"),
            &["all 0"],
        ),
        // Weights under the plain mean, a weighted rule without weights.
        (format!("{METHOD}weights = {{ A = 1, B = 2, C = 1, D = 1, E = 1 }}\n"), &["[overall] has weights", "rule = \"weighted\""]),
        (METHOD.replace("[overall]\nrule = \"mean\"", "[overall]\nrule = \"weighted\""), &["[overall]", "no weights"]),
        // Nodes: a child that does not exist, a node named before its children, a level taken.
        (
            format!("{METHOD}[[nodes]]\ncode = \"P\"\nlevel = \"part\"\nvi = \"p\"\nen = \"p\"\nrule = \"mean\"\nchildren = [\"A\", \"Q\"]\n"),
            &["[[nodes]] P", "`Q`"],
        ),
        (
            format!("{METHOD}[[nodes]]\ncode = \"P\"\nlevel = \"part\"\nvi = \"p\"\nen = \"p\"\nrule = \"mean\"\nchildren = [\"Q\"]\n[[nodes]]\ncode = \"Q\"\nlevel = \"part\"\nvi = \"q\"\nen = \"q\"\nrule = \"mean\"\nchildren = [\"A\"]\n"),
            &["list node `Q` before"],
        ),
        (
            format!("{METHOD}[[nodes]]\ncode = \"P\"\nlevel = \"element\"\nvi = \"p\"\nen = \"p\"\nrule = \"mean\"\nchildren = [\"A\"]\n"),
            &["level `element`"],
        ),
        (METHOD.replace("satisfied_at = 4", "satisfied_at = 0"), &["satisfied_at = 0"]),
        (METHOD.replace("satisfied_at = 4", "satisfied_at = 99"), &["satisfied_at = 99"]),
        (METHOD.replace("satisfied_at = 4", "satisfied_at = -3"), &["satisfied_at = -3"]),
        (
            METHOD.replace("shares = []", "shares = [{ code = \"r\", measure = \"r_pct\", question = \"would_return\", codes = [] }]"),
            &["share `r`", "empty"],
        ),
        (
            METHOD.replace("shares = []", "shares = [{ code = \"r\", measure = \"r_pct\", question = \"would_return\", codes = [99] }]"),
            &["share `r`", "code 99"],
        ),
        (
            METHOD.replace("shares = []", "shares = [{ code = \"r\", measure = \"r_pct\", question = \"would_return\", codes = [5] }, { code = \"r\", measure = \"r_pct\", question = \"would_return\", codes = [4] }]"),
            &["`r` is used twice"],
        ),
        (
            METHOD.replace("item_measures = [\"satisfied_pct\"]", "item_measures = [\"satisfied_pct\", \"satisfied_pct\"]"),
            &["item_measures"],
        ),
        (METHOD.replace("id = \"m\"", "id = \"../../../../tmp/x\""), &["không phải là một tên đơn giản"]),
    ];
    for (k, (text, says)) in cases.iter().enumerate() {
        let out = format!("out-{k}");
        let run = score_with(&d, text, &out);
        assert_eq!(run.code, 1, "case {k}: {}\n{}", run.stdout, run.stderr);
        run.says(says).says(&["m.toml", "gợi ý:"]);
        assert!(!d.path().join(&out).join("scores.csv").exists(), "case {k}");
    }
    // The base methodology itself scores.
    let run = score_with(&d, METHOD, "out-ok");
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn questionnaires_with_a_path_for_an_id_or_an_empty_scale_are_refused() {
    let d = Dir::new();
    d.write("b.csv", CLEAN);
    let shipped = fs::read_to_string(root("surveys/health-outpatient.toml")).expect("toml");
    for (k, (text, says)) in [
        (
            shipped.replacen("id = \"health-outpatient\"", "id = \"../../escape\"", 1),
            "not a plain name",
        ),
        (
            shipped.replacen("id = \"health-outpatient\"", "id = \"a/b\"", 1),
            "not a plain name",
        ),
        (
            shipped.replacen("id = \"health-outpatient\"", "id = \"\"", 1),
            "not a plain name",
        ),
        (
            shipped.replacen("values = [1, 2, 3, 4, 5]", "values = []", 1),
            "needs either `values`",
        ),
    ]
    .iter()
    .enumerate()
    {
        assert_ne!(&shipped, text, "case {k} changed nothing");
        let q = d.write(&format!("q{k}.toml"), text);
        let run = d.run(&[
            "ingest",
            "--store",
            "store",
            "--survey",
            &q.display().to_string(),
            "--year",
            "2026",
            "b.csv",
        ]);
        assert_ne!(run.code, 0, "case {k}");
        run.says(&[says]);
        assert!(!d.path().join("escape").exists());
        assert!(!d.store().exists(), "case {k} made a store");
    }
}

#[test]
fn a_file_named_as_a_methodology_is_never_echoed() {
    let d = scored_store();
    let secret = d.write("secret.txt", "mat-khau-bi-mat: 0912345678\n");
    let run = score_with(&d, &fs::read_to_string(&secret).expect("the file"), "out");
    assert_eq!(run.code, 1);
    run.says(&["line 1, column"]);
    assert!(
        !run.stderr.contains("0912345678") && !run.stderr.contains("mat-khau"),
        "{}",
        run.stderr
    );
}

#[test]
fn weights_beyond_range_are_quarantined() {
    let d = Dir::new();
    d.write("b.csv", with_field(2, "weight", "1e308"));
    let run = d.ingest("b.csv", &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    run.says(&["bad_weight", "1e12"]);
}

#[test]
fn a_figure_without_data_is_empty_and_flagged_never_zero() {
    let d = Dir::new();
    // One form of a unit of its own, with no answer in element A.
    let mut text = with_field(2, "unit_id", "Solo");
    for item in ["A1", "A2", "A3", "A4", "A5"] {
        text = crate::util::with_field_in(&text, 2, item, "");
    }
    d.write("b.csv", text);
    assert_eq!(d.ingest("b.csv", &[]).code, 0);
    for (method, out) in [(None, "pooled"), (Some(METHOD), "mean")] {
        let run = match method {
            Some(m) => score_with(&d, m, out),
            None => run_env(&d, &score_args(out, "vi"), &[]),
        };
        assert_eq!(run.code, 0, "{}", run.stderr);
        let rows = csv_rows(
            &fs::read_to_string(d.path().join(out).join("scores.csv")).expect("scores.csv"),
        );
        let solo: Vec<_> = rows
            .iter()
            .filter(|r| {
                r["unit_id"] == "Solo"
                    && (r["code"] == "A" || r["code"] == "A1")
                    && r["measure"] != "cronbach_alpha"
            })
            .collect();
        assert!(solo.len() >= 2, "{out}: {solo:?}");
        for r in solo {
            assert_eq!(r["estimate"], "", "{out}: {r:?}");
            assert_eq!(r["se"], "", "{out}: {r:?}");
            assert!(r["flag"].contains("no_data"), "{out}: {r:?}");
        }
    }
}

// 3. Outputs torn by a crash ---------------------------------------------------------------

fn run_env(d: &Dir, args: &[String], env: &[(&str, &str)]) -> crate::util::Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cmd = d.command(&args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run chiso");
    crate::util::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_kill_while_writing_leaves_the_previous_outputs_whole() {
    let d = scored_store();
    assert_eq!(run_env(&d, &score_args("out", "vi"), &[]).code, 0);
    let out = d.path().join("out");
    let before = tree(&out);
    assert_eq!(before.len(), 4, "{:?}", before.keys());
    // Killed part-way through its files (the English run writes other bytes).
    let total: usize = before.values().map(Vec::len).sum();
    for bytes in [10, 5000, total / 2, total * 9 / 10] {
        let bytes = bytes.to_string();
        let bytes = bytes.as_str();
        let run = run_env(
            &d,
            &score_args("out", "en"),
            &[("CHISO_TEST_ABORT_AFTER_BYTES", bytes)],
        );
        assert_ne!(run.code, 0, "not killed at {bytes}");
        assert_eq!(
            tree(&out),
            before,
            "outputs changed by a kill at {bytes} bytes"
        );
    }
    // The next run clears what the killed ones left and writes its set whole.
    assert_eq!(run_env(&d, &score_args("out", "en"), &[]).code, 0);
    let names: Vec<String> = fs::read_dir(&out)
        .expect("out")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".chiso-staging-"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
    assert_ne!(tree(&out), before);
}

#[test]
fn a_kill_between_moves_is_finished_by_the_next_command() {
    let d = scored_store();
    assert_eq!(run_env(&d, &score_args("out", "vi"), &[]).code, 0);
    assert_eq!(run_env(&d, &score_args("want", "en"), &[]).code, 0);
    let want = tree(&d.path().join("want"));
    let run = run_env(
        &d,
        &score_args("out", "en"),
        &[("CHISO_TEST_ABORT_AT_MOVE", "2")],
    );
    assert_ne!(run.code, 0);
    assert!(
        tree(&d.path().join("out")) != want,
        "all moved before the kill"
    );
    // Any later command writing into the folder moves the rest of the set in first; here one
    // that is itself killed before it has written anything.
    let run = run_env(
        &d,
        &score_args("out", "vi"),
        &[("CHISO_TEST_ABORT_AFTER_BYTES", "0")],
    );
    assert_ne!(run.code, 0);
    assert_eq!(tree(&d.path().join("out")), want);
}

#[test]
fn a_killed_report_leaves_the_previous_report_whole() {
    let d = scored_store();
    let args = |lang: &str| -> Vec<String> {
        [
            "report", "--store", "store", "--year", "2026", "--out", "rep", "--lang", lang,
        ]
        .map(String::from)
        .to_vec()
    };
    let run = run_env(&d, &args("vi"), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rep = d.path().join("rep");
    let before = tree(&rep);
    assert!(before.contains_key("report.html"));
    let total: usize = before.values().map(Vec::len).sum();
    for bytes in [100, total / 3, total * 9 / 10] {
        let bytes = bytes.to_string();
        let run = run_env(&d, &args("en"), &[("CHISO_TEST_ABORT_AFTER_BYTES", &bytes)]);
        assert_ne!(run.code, 0, "not killed at {bytes}");
        assert_eq!(
            tree(&rep),
            before,
            "report changed by a kill at {bytes} bytes"
        );
    }
}

// 4. Workbooks that would exhaust memory ---------------------------------------------------

fn workbook(extra: Option<(u32, u16)>) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    for (r, line) in CLEAN.lines().take(4).enumerate() {
        for (c, v) in line.split(',').enumerate() {
            sheet.write(r as u32, c as u16, v).expect("a cell");
        }
    }
    if let Some((r, c)) = extra {
        sheet.write(r, c, "x").expect("a far cell");
    }
    wb.save_to_buffer().expect("a workbook")
}

#[test]
fn a_workbook_with_a_cell_at_the_sheets_far_corner_is_refused_not_an_abort() {
    let d = Dir::new();
    d.write("far.xlsx", workbook(Some((1_048_575, 16_383))));
    for cmd in ["ingest", "validate"] {
        let run = if cmd == "ingest" {
            d.ingest("far.xlsx", &[])
        } else {
            d.run(&["validate", "--survey", "health-outpatient", "far.xlsx"])
        };
        assert_eq!(run.code, 1, "{cmd}: {}", run.stderr);
        run.says(&["XFD1048576", "1024 columns", "hint:"]);
    }
    // Far down the first column: read without a grid, the stray row quarantined.
    d.write("low.xlsx", workbook(Some((1_048_575, 0))));
    let run = d.ingest("low.xlsx", &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(d.manifest().batches[0].accepted, 3);
}

// 5. Writing outside the store: see questionnaires_with_a_path_for_an_id_... above. ---------

// 6. Personal data in the quarantine -------------------------------------------------------

#[test]
fn personal_data_never_reaches_the_quarantine_or_the_messages() {
    let d = Dir::new();
    let mut lines: Vec<String> = CLEAN.lines().map(str::to_string).collect();
    lines[0].push_str(",ho_ten,dien_thoai");
    let long_name = "Nguyễn Văn Bí Mật ".repeat(300);
    for (i, l) in lines.iter_mut().enumerate().skip(1) {
        let extra = match i {
            1 => format!(",{long_name},0900000001"),
            // An unquoted comma in the name shifts the phone number beyond the header.
            2 => ",Trần, Thị Riêng,0912345678".to_string(),
            _ => format!(",Người {i},09000000{i:02}"),
        };
        l.push_str(&extra);
    }
    d.write("b.csv", lines.join("\n") + "\n");
    let run = d.ingest("b.csv", &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    run.says(&["field_too_long", "wrong_field_count"]);
    let m = d.manifest();
    let q = m.batches[0]
        .quarantine_file
        .as_ref()
        .expect("a quarantine file");
    let text = fs::read_to_string(d.store().join(q)).expect("quarantine csv");
    for secret in ["Bí Mật", "Thị Riêng", "0912345678", "Trần"] {
        assert!(
            !text.contains(secret),
            "{secret} in the quarantine:\n{text}"
        );
        assert!(!run.stderr.contains(secret), "{secret} in the messages");
        assert!(!run.stdout.contains(secret), "{secret} in the summary");
    }
}

// 7. Smaller ---------------------------------------------------------------------------------

/// Text as Windows-1258 writes it: precomposed where the code page has the letter, else the
/// base letter (with its hat or horn when the code page has that) and a combining tone.
fn windows_1258(text: &str) -> Vec<u8> {
    use unicode_normalization::UnicodeNormalization;
    let enc = encoding_rs::WINDOWS_1258;
    let fits = |s: &str| !enc.encode(s).2;
    let mut out = String::new();
    for c in text.chars() {
        let s = c.to_string();
        if fits(&s) {
            out.push(c);
            continue;
        }
        let parts: Vec<char> = s.nfd().collect();
        let first_two: String = parts.iter().take(2).collect::<String>().nfc().collect();
        if parts.len() > 2 && fits(&first_two) {
            out.push_str(&first_two);
            out.extend(&parts[2..]);
        } else {
            out.extend(parts);
        }
    }
    let (bytes, _, unmappable) = enc.encode(&out);
    assert!(!unmappable, "the test text fits Windows-1258");
    bytes.into_owned()
}

#[test]
fn the_same_batch_resaved_in_nfd_or_windows_1258_is_already_stored() {
    use unicode_normalization::UnicodeNormalization;
    let d = Dir::new();
    d.write("b.csv", CLEAN);
    assert_eq!(d.ingest("b.csv", &[]).code, 0);
    let nfd: String = CLEAN.nfd().collect();
    assert_ne!(nfd, CLEAN);
    d.write("nfd.csv", nfd);
    d.write("cp1258.csv", windows_1258(CLEAN));
    for (file, extra) in [
        ("nfd.csv", &[][..]),
        ("cp1258.csv", &["--encoding", "windows-1258"][..]),
    ] {
        let run = d.ingest(file, extra);
        assert_eq!(run.code, 0, "{file}: {}\n{}", run.stdout, run.stderr);
        run.says(&["already stored as batch"]);
    }
    assert_eq!(d.manifest().batches.len(), 1);
}

#[test]
fn unit_names_too_long_or_reserved_are_quarantined() {
    let d = Dir::new();
    let mut text = with_field(2, "unit_id", &"Xã Rất Dài ".repeat(30));
    text = crate::util::with_field_in(&text, 3, "unit_id", "ALL");
    text = crate::util::with_field_in(&text, 4, "unit_id", "all");
    d.write("b.csv", text);
    let run = d.ingest("b.csv", &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    run.says(&["bad_unit_id 3", "more than 100", "reserved for all units"]);
}

#[test]
fn units_whose_names_differ_only_in_accents_or_case_get_their_own_charts() {
    let d = Dir::new();
    let units = ["Côn Minh", "Con Minh", "CÔN MINH"];
    let mut text = CLEAN.to_string();
    for line in 2..=31 {
        text = crate::util::with_field_in(&text, line, "unit_id", units[line % 3]);
    }
    d.write("b.csv", text);
    assert_eq!(d.ingest("b.csv", &[]).code, 0);
    let run = d.run(&[
        "report", "--store", "store", "--year", "2026", "--out", "rep",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let charts: Vec<String> = fs::read_dir(d.path().join("rep/charts"))
        .expect("charts")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("health-outpatient-scores-con-minh") && n.ends_with(".png"))
        .collect();
    assert_eq!(charts.len(), 3, "{charts:?}");
}

fn par_store() -> Dir {
    let d = Dir::new();
    for (q, b) in [
        (
            "tests/fixtures/design/fixture.toml",
            "tests/fixtures/design/batch.csv",
        ),
        (
            "tests/fixtures/par/fixture-b.toml",
            "tests/fixtures/par/batch-b.csv",
        ),
    ] {
        let run = d.run(&[
            "ingest",
            "--store",
            "store",
            "--survey",
            &root(q),
            "--year",
            "2026",
            &root(b),
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    d
}

fn par(d: &Dir, assessment: &str) -> crate::util::Run {
    let a = d.write("a.csv", assessment);
    d.run(&[
        "par",
        "--store",
        "store",
        "--year",
        "2026",
        "--method",
        &root("tests/fixtures/par/par.toml"),
        "--assessment",
        &a.display().to_string(),
        "--out",
        "out",
    ])
}

#[test]
fn assessments_with_a_huge_unit_name_or_no_rows_are_refused_with_status_1() {
    let d = par_store();
    let header = "unit_id,criterion,self_score,appraised_score,note\n";
    let huge = format!("{header}{},1.1,3,,\n", "X".repeat(100_000));
    for (text, says) in [(huge.as_str(), "bad_unit_id"), (header, "no rows")] {
        let run = par(&d, text);
        assert_eq!(run.code, 1, "{}", run.stderr);
        run.says(&[says]);
        assert!(!d.path().join("out").join("par_points.csv").exists());
        assert!(run.stderr.len() < 2000, "the message quotes the whole name");
    }
}

#[test]
fn negative_zero_and_subnormal_scores_are_written_as_zero() {
    let d = par_store();
    let run = par(
        &d,
        "unit_id,criterion,self_score,appraised_score,note\nCôn Minh,1.1,-0,,\nNa Rì,1.1,1e-320,,\nXuân Dương,1.1,2.5,,\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = fs::read_to_string(d.path().join("out/par_points.csv")).expect("points");
    let rows = csv_rows(&text);
    for unit in ["Côn Minh", "Na Rì"] {
        let r = rows
            .iter()
            .find(|r| r["unit_id"] == unit && r["criterion"] == "1.1")
            .expect("a row");
        assert_eq!(r["points"], "0", "{r:?}");
    }
    assert!(!text.contains("-0,") && !text.contains("e-"), "{text}");
}

#[test]
fn a_full_disk_while_storing_is_not_called_a_bad_file_and_changes_nothing() {
    let d = Dir::new();
    d.write("b.csv", CLEAN);
    assert_eq!(d.ingest("b.csv", &[]).code, 0);
    let before = d.snapshot();
    d.write("c.csv", big_batch("FULL", 2000));
    let args = crate::util::ingest_args("c.csv", &[])
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    let run = run_env(&d, &args, &[("CHISO_TEST_DISK_FULL_AFTER_BYTES", "20000")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.says(&["could not be stored", "No space left", "the file is fine"]);
    assert!(
        !run.stderr.contains("cannot read the file"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("fix it and run again"),
        "{}",
        run.stderr
    );
    assert_eq!(d.snapshot(), before);
}

#[cfg(unix)]
#[test]
fn a_full_stderr_is_no_panic() {
    let d = Dir::new();
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let status = d
        .command(&[
            "score", "--store", "nowhere", "--survey", "sipas", "--year", "2026",
        ])
        .stderr(full)
        .status()
        .expect("run chiso");
    assert_eq!(status.code(), Some(1));
}

#[test]
fn the_demo_never_replaces_a_store_holding_other_batches() {
    let d = Dir::new();
    d.write("b.csv", CLEAN);
    let run = ingest_into(&d, "demo/store", "b.csv");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let before = tree(&d.path().join("demo/store"));
    let run = d.run(&["demo", "--out", "demo"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.says(&["not the demo's", "b.csv"]);
    assert_eq!(tree(&d.path().join("demo/store")), before);
}
