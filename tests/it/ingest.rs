//! `chiso ingest` and `chiso validate` on real files: formats, bad input, idempotence.

use crate::util::{CLEAN, Dir, clean_ids, id_on_line, with_field, with_field_in};

// ---------------------------------------------------------------------------------------------
// One batch, many encodings: the same rows whatever the export looks like.
// ---------------------------------------------------------------------------------------------

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for u in text.encode_utf16() {
        out.extend(if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

fn xlsx(text: &str) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, line) in text.lines().enumerate() {
        for (c, field) in line.split(',').enumerate() {
            let (r, c) = (r as u32, c as u16);
            // Numbers as numbers, as Excel holds them; everything else as text.
            match field.parse::<f64>() {
                Ok(v) if r > 0 => ws.write_number(r, c, v).map(|_| ()),
                _ => ws.write_string(r, c, field).map(|_| ()),
            }
            .expect("write a cell");
        }
    }
    wb.save_to_buffer().expect("an xlsx buffer")
}

#[test]
fn every_export_format_stores_identical_rows() {
    let tab = CLEAN.replace(',', "\t");
    let variants: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "clean.csv",
            CLEAN.as_bytes().to_vec(),
            "UTF-8 text, comma-separated",
        ),
        // Excel's "Unicode text": UTF-16 LE with BOM, tab-separated, saved as .txt.
        (
            "unicode.txt",
            utf16(&tab.replace('\n', "\r\n"), false),
            "UTF-16 LE text, tab-separated",
        ),
        ("be.txt", utf16(&tab, true), "UTF-16 BE text, tab-separated"),
        (
            "bom-semicolon.csv",
            [&[0xEF, 0xBB, 0xBF][..], CLEAN.replace(',', ";").as_bytes()].concat(),
            "UTF-8 (BOM) text, semicolon-separated",
        ),
        (
            "crlf.csv",
            CLEAN.replace('\n', "\r\n").into_bytes(),
            "comma-separated",
        ),
        // Headers with stray spaces, in NFD, upper case; the extension says nothing.
        (
            "headers.dat",
            {
                let mut lines: Vec<String> = CLEAN.lines().map(str::to_string).collect();
                lines[0] = lines[0]
                    .split(',')
                    .map(|h| format!(" {} ", h.to_uppercase()))
                    .collect::<Vec<_>>()
                    .join(",");
                (lines.join("\n") + "\n").into_bytes()
            },
            "comma-separated",
        ),
        ("book.xlsx", xlsx(CLEAN), "workbook, sheet \"Sheet1\""),
        ("book-named.csv", xlsx(CLEAN), "workbook"),
    ];
    let reference = Dir::new();
    reference.write("clean.csv", CLEAN);
    reference
        .ingest("clean.csv", &[])
        .says(&[&format!("{:<20} {:>9}", "accepted", 30)]);
    let expected = reference.stored_rows();
    let expected_id = reference.manifest().batches[0].id.clone();
    for (name, bytes, format) in variants {
        let d = Dir::new();
        d.write(name, &bytes);
        let run = d.ingest(name, &[]);
        assert_eq!(run.code, 0, "{name}: {}{}", run.stdout, run.stderr);
        run.says(&[format, &format!("{:<20} {:>9}", "accepted", 30)]);
        let got = d.stored_rows();
        assert!(
            got.equals_missing(&expected),
            "{name}: stored rows differ:\n{got}\n{expected}"
        );
        // The batch id hashes the parsed fields, so re-encoding a batch does not make it new.
        assert_eq!(d.manifest().batches[0].id, expected_id, "{name}");
    }
}

#[test]
fn stored_rows_keep_blanks_as_null_and_not_applicable_codes() {
    let d = Dir::new();
    d.write("b.csv", CLEAN);
    d.ingest("b.csv", &[]);
    let df = d.stored_rows();
    // The first fixture row with a blank answer and one with a 0 (not applicable).
    let header: Vec<&str> = CLEAN
        .lines()
        .next()
        .unwrap_or_default()
        .split(',')
        .collect();
    let find = |want: &str| {
        CLEAN.lines().skip(1).find_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (8..f.len() - 2)
                .find(|i| f[*i] == want)
                .map(|i| (f[0].to_string(), header[i].to_string()))
        })
    };
    let ids = df
        .column("respondent_id")
        .and_then(|c| c.str().cloned())
        .expect("ids");
    for (want, stored) in [("", None), ("0", Some(0))] {
        let (id, item) = find(want).expect("the fixture has blanks and 0s");
        let row = ids
            .iter()
            .position(|x| x == Some(id.as_str()))
            .expect("row stored");
        let col = df
            .column(&item)
            .and_then(|c| c.i32().cloned())
            .expect("an item column");
        assert_eq!(col.get(row), stored, "{id} {item}");
    }
    let units = df
        .column("unit_id")
        .and_then(|c| c.str().cloned())
        .expect("units");
    assert!(units.iter().any(|u| u == Some("Xuân Dương")));
}

// ---------------------------------------------------------------------------------------------
// Row-level errors: the row is quarantined with line, column and value; the others are stored.
// ---------------------------------------------------------------------------------------------

struct RowCase {
    name: &'static str,
    file: String,
    /// File lines (header = 1) whose rows must be quarantined.
    bad_lines: &'static [usize],
    rule: &'static str,
    says: Vec<String>,
}

fn row_cases() -> Vec<RowCase> {
    let ragged = {
        let mut lines: Vec<String> = CLEAN.lines().map(str::to_string).collect();
        lines[8].push_str(",9");
        lines.join("\n") + "\n"
    };
    let duplicate = with_field(7, "respondent_id", &id_on_line(3));
    let big = "9".repeat(10 * 1024 * 1024);
    let case = |name, file: String, bad_lines, rule, says: &[&str]| RowCase {
        name,
        file,
        bad_lines,
        rule,
        says: says.iter().map(|s| s.to_string()).collect(),
    };
    vec![
        case(
            "out of scale",
            with_field(5, "A3", "7"),
            &[5],
            "out_of_scale",
            &[
                "b.csv:5:",
                "column 11 (A3)",
                "\"7\" is out of scale",
                "allowed 1–5",
            ],
        ),
        case(
            "negative code",
            with_field(6, "A1", "-1"),
            &[6],
            "out_of_scale",
            &["b.csv:6:", "column 9 (A1)", "\"-1\""],
        ),
        case(
            "text where a score belongs",
            with_field(4, "B2", "tốt"),
            &[4],
            "not_integer",
            &["b.csv:4:", "column 15 (B2)", "\"tốt\" is not a number"],
        ),
        case(
            "decimal score",
            with_field(10, "C1", "3.5"),
            &[10],
            "not_integer",
            &["b.csv:10:", "column 24 (C1)", "\"3.5\" is a decimal"],
        ),
        case(
            "percentage above 100",
            with_field(11, "expectation_pct", "120"),
            &[11],
            "out_of_scale",
            &["b.csv:11:", "(expectation_pct)", "\"120\"", "allowed 0–100"],
        ),
        case(
            "duplicate id in the batch",
            duplicate,
            &[7],
            "duplicate_id",
            &[
                "b.csv:7:",
                "column 1 (respondent_id)",
                &format!("\"{}\" already appears on line 3", id_on_line(3)),
            ],
        ),
        case(
            "zero weight",
            with_field(8, "weight", "0"),
            &[8],
            "bad_weight",
            &[
                "b.csv:8:",
                "column 6 (weight)",
                "\"0\" is not a positive number",
            ],
        ),
        case(
            "negative weight",
            with_field(9, "weight", "-2.5"),
            &[9],
            "bad_weight",
            &["b.csv:9:", "\"-2.5\""],
        ),
        case(
            "text weight",
            with_field(12, "weight", "abc"),
            &[12],
            "bad_weight",
            &["b.csv:12:", "\"abc\""],
        ),
        case(
            "ragged row",
            ragged,
            &[9],
            "wrong_field_count",
            &["b.csv:9:", "the row has 42 fields, the header 41"],
        ),
        case(
            "empty respondent id",
            with_field(13, "respondent_id", " "),
            &[13],
            "empty_id",
            &[
                "b.csv:13:",
                "column 1 (respondent_id)",
                "respondent_id is empty",
            ],
        ),
        case(
            "empty unit id",
            with_field(14, "unit_id", ""),
            &[14],
            "empty_id",
            &["b.csv:14:", "column 2 (unit_id)", "unit_id is empty"],
        ),
        case(
            "blank psu",
            with_field(15, "psu", ""),
            &[15],
            "missing_design",
            &["b.csv:15:", "column 5 (psu)", "psu is empty"],
        ),
        case(
            "year mismatch",
            with_field(16, "year", "2025"),
            &[16],
            "year_mismatch",
            &["b.csv:16:", "column 3 (year)", "\"2025\", --year is 2026"],
        ),
        case(
            "unknown category",
            with_field(17, "gender", "x"),
            &[17],
            "unknown_category",
            &[
                "b.csv:17:",
                "column 7 (gender)",
                "\"x\" is not one of: nam, nu",
            ],
        ),
        case(
            "a 10 MB field",
            with_field(18, "A4", &big),
            &[18],
            "field_too_long",
            &[
                "b.csv:18:",
                "column 12 (A4)",
                "\"999",
                "(10485760 bytes)",
                "at most 4096",
            ],
        ),
        case(
            "two errors on one row",
            with_field_in(&with_field(19, "A5", "6"), 19, "weight", "0"),
            &[19],
            "out_of_scale",
            &["b.csv:19:", "column 13 (A5)", "column 6 (weight)"],
        ),
    ]
}

#[test]
fn rows_that_break_a_rule_are_quarantined_and_the_rest_stored() {
    let cases = row_cases();
    assert!(cases.len() >= 15);
    for c in cases {
        let d = Dir::new();
        d.write("b.csv", &c.file);
        let run = d.ingest("b.csv", &[]);
        assert_eq!(
            run.code, 3,
            "{}: exit {}\n{}{}",
            c.name, run.code, run.stdout, run.stderr
        );
        let says: Vec<&str> = c.says.iter().map(String::as_str).collect();
        run.says(&says).says(&[c.rule, "hint:"]);
        // Exactly the valid rows are stored.
        // (For the duplicate, the first of the two rows keeps the id: line 7's own id is gone.)
        let bad: Vec<String> = c.bad_lines.iter().map(|l| id_on_line(*l)).collect();
        let want: Vec<String> = clean_ids()
            .into_iter()
            .filter(|i| !bad.contains(i))
            .collect();
        assert_eq!(d.stored_ids(), want, "{}", c.name);
        // The quarantine file names line, column, value and rule.
        let m = d.manifest();
        let q = m.batches[0]
            .quarantine_file
            .clone()
            .expect("a quarantine file");
        let text = std::fs::read_to_string(d.store().join(q)).expect("quarantine readable");
        // A BOM first, so that Excel reads the Vietnamese as UTF-8.
        assert!(
            text.starts_with("\u{feff}line,respondent_id,column,value,rule,message\n"),
            "{text}"
        );
        for l in c.bad_lines {
            assert!(
                text.lines()
                    .any(|row| row.starts_with(&format!("{l},")) && row.contains(c.rule)),
                "{}: {text}",
                c.name
            );
        }
        assert_eq!(
            m.batches[0].quarantined,
            c.bad_lines.len() as u64,
            "{}",
            c.name
        );
    }
}

#[test]
fn an_id_already_stored_is_quarantined_and_nothing_stored_changes() {
    let d = Dir::new();
    d.write("first.csv", CLEAN);
    assert_eq!(d.ingest("first.csv", &[]).code, 0);
    let before = d.snapshot();
    // A second batch: two new forms and one respondent of the first batch again.
    let lines: Vec<&str> = CLEAN.lines().collect();
    let again = lines[2];
    let new1 = lines[3].replacen("HE2026-0003", "HE2026-9001", 1);
    let new2 = lines[4].replacen("HE2026-0004", "HE2026-9002", 1);
    d.write(
        "second.csv",
        format!("{}\n{new1}\n{again}\n{new2}\n", lines[0]),
    );
    let run = d.ingest("second.csv", &[]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    run.says(&[
        "second.csv:3:",
        "column 1 (respondent_id)",
        "\"HE2026-0002\" is already stored for health-outpatient 2026",
        "already_stored",
    ]);
    let after = d.snapshot();
    for (path, bytes) in &before {
        if path != "manifest.json" {
            assert_eq!(after.get(path), Some(bytes), "{path} changed");
        }
    }
    let mut want = clean_ids();
    want.extend(["HE2026-9001".to_string(), "HE2026-9002".to_string()]);
    want.sort();
    assert_eq!(d.stored_ids(), want);
}

// ---------------------------------------------------------------------------------------------
// Files refused whole: exit 1, nothing stored, the store byte-identical.
// ---------------------------------------------------------------------------------------------

#[test]
fn files_that_are_not_tables_are_refused_and_the_store_is_untouched() {
    let drop_a3 = CLEAN
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split(',').collect();
            f.remove(10);
            f.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let open_quote = with_field(6, "psu", "\"Na Rì / thôn 2");
    let mut latin1 = CLEAN.as_bytes().to_vec();
    let at = CLEAN.find("Xuân").expect("a Vietnamese name") + 2;
    latin1[at] = 0xE2; // a lone Latin-1 byte inside "Xuân" on line 2
    latin1[at + 1] = b'n';
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let dup_header = CLEAN.replacen(",A2,", ",A1,", 1);
    let header_only = CLEAN.lines().next().unwrap_or_default().to_string() + "\n";
    // (name, file bytes, what the message must say, extra flags)
    type Case<'a> = (&'a str, Vec<u8>, Vec<&'a str>, &'a [&'a str]);
    let cases: Vec<Case> = vec![
        (
            "missing required column",
            drop_a3.into_bytes(),
            vec!["b.csv:1:", "required column `A3` is missing", "hint:"],
            &[],
        ),
        (
            "unterminated quote",
            open_quote.into_bytes(),
            vec!["b.csv:6:", "quote opened on this line is never closed"],
            &[],
        ),
        (
            "empty file",
            Vec::new(),
            vec!["b.csv: the file is empty"],
            &[],
        ),
        (
            "whitespace only",
            b" \r\n\n".to_vec(),
            vec!["b.csv: the file is empty"],
            &[],
        ),
        (
            "header only",
            header_only.into_bytes(),
            vec!["b.csv:1:", "no data rows"],
            &[],
        ),
        (
            "binary garbage",
            garbage,
            vec!["b.csv: binary content", "NUL byte"],
            &[],
        ),
        (
            "not UTF-8",
            latin1,
            vec!["b.csv:2: not valid UTF-8", "--encoding windows-1258"],
            &[],
        ),
        (
            "duplicate header",
            dup_header.into_bytes(),
            vec!["b.csv:1:", "columns 9 and 10 both have the header \"A1\""],
            &[],
        ),
        (
            "no such sheet",
            xlsx(CLEAN),
            vec!["b.csv: no sheet named \"Phiếu\"", "Sheet1"],
            &["--sheet", "Phiếu"],
        ),
        (
            "unknown encoding label",
            CLEAN.as_bytes().to_vec(),
            vec!["unknown encoding `klingon`"],
            &["--encoding", "klingon"],
        ),
    ];
    let d = Dir::new();
    d.write("first.csv", CLEAN);
    assert_eq!(d.ingest("first.csv", &[]).code, 0);
    let before = d.snapshot();
    for (name, bytes, says, extra) in cases {
        d.write("b.csv", &bytes);
        let run = d.ingest("b.csv", extra);
        assert_eq!(run.code, 1, "{name}: {}{}", run.stdout, run.stderr);
        run.says(&says).says(&["nothing stored"]);
        assert_eq!(d.snapshot(), before, "{name}: the store changed");
    }
}

#[test]
fn a_legacy_code_page_is_read_when_named() {
    // "Xuân Dương" and "Côn Minh" in Windows-1258 (Vietnamese): â = E2, ư = FD, ơ = F5, ô = F4.
    // ("Na Rì" and "thôn" are left out: cp1258 writes some tones as combining marks.)
    let text: String = CLEAN
        .lines()
        .filter(|l| !l.contains("Na Rì") && !l.contains("Quang Phong"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace(" / thôn ", "/");
    let (cp1258, _, bad) = encoding_rs::WINDOWS_1258.encode(&text);
    assert!(!bad);
    assert!(
        cp1258.windows(2).any(|w| w == [0xFD, 0xF5]),
        "ươ as single bytes"
    );
    let d = Dir::new();
    d.write("legacy.csv", &cp1258);
    assert_eq!(d.ingest("legacy.csv", &[]).code, 1);
    let run = d.ingest("legacy.csv", &["--encoding", "windows-1258"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        d.stored_rows()
            .column("unit_id")
            .and_then(|c| c.str().cloned())
            .is_ok_and(|u| u.iter().any(|x| x == Some("Xuân Dương")))
    );
}

#[test]
fn usage_errors_exit_2() {
    let d = Dir::new();
    d.write("b.csv", CLEAN);
    d.run(&[
        "ingest", "--store", "store", "--survey", "nope", "--year", "2026", "b.csv",
    ])
    .says(&["unknown survey `nope`", "chiso surveys"]);
    let r = d.run(&[
        "ingest", "--store", "store", "--survey", "nope", "--year", "2026", "b.csv",
    ]);
    assert_eq!(r.code, 2);
    let r = d.run(&[
        "ingest",
        "--store",
        "store",
        "--survey",
        "health-outpatient",
        "--year",
        "2019",
        "b.csv",
    ]);
    assert_eq!(r.code, 2);
    r.says(&["applies to 2024–2030, not to 2019"]);
    let r = d.run(&[
        "ingest",
        "--store",
        "store",
        "--survey",
        "health-outpatient",
        "b.csv",
    ]);
    assert_eq!(r.code, 2);
    assert!(!d.store().join("manifest.json").exists());
}

// ---------------------------------------------------------------------------------------------
// Exactly once; validate stores nothing; undeclared and personal columns.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_same_content_twice_changes_nothing_and_says_so() {
    let d = Dir::new();
    d.write("b.csv", CLEAN);
    assert_eq!(d.ingest("b.csv", &[]).code, 0);
    let before = d.snapshot();
    // Same content under another name and with CRLF line ends is the same batch.
    d.write("copy.csv", CLEAN.replace('\n', "\r\n"));
    let run = d.ingest("copy.csv", &[]);
    assert_eq!(run.code, 0);
    run.says(&["already stored as batch", "nothing changed"]);
    assert_eq!(d.snapshot(), before);
    let list = d.run(&["batches", "--store", "store"]);
    assert_eq!(
        list.stdout
            .lines()
            .filter(|l| l.contains("health-outpatient"))
            .count(),
        1,
        "{}",
        list.stdout
    );
}

#[test]
fn validate_checks_like_ingest_and_stores_nothing() {
    let d = Dir::new();
    d.write("b.csv", with_field(5, "A3", "7"));
    let run = d.run(&["validate", "--survey", "health-outpatient", "b.csv"]);
    assert_eq!(run.code, 3);
    run.says(&["b.csv:5:", "column 11 (A3)", "\"7\"", "nothing stored"]);
    assert!(!d.store().exists());
    d.write("ok.csv", CLEAN);
    assert_eq!(
        d.run(&[
            "validate",
            "--survey",
            "health-outpatient",
            "--year",
            "2026",
            "ok.csv"
        ])
        .code,
        0
    );
}

#[test]
fn undeclared_columns_are_listed_and_personal_columns_dropped_unless_kept() {
    let mut lines: Vec<String> = CLEAN.lines().map(str::to_string).collect();
    lines[0].push_str(",ghi_chu,ho_ten,dien_thoai");
    for l in lines.iter_mut().skip(1) {
        l.push_str(",note,Nguyễn Văn An,0912345678");
    }
    let text = lines.join("\n") + "\n";
    let d = Dir::new();
    d.write("b.csv", &text);
    d.ingest("b.csv", &[]).says(&[
        "warning: columns not in the questionnaire, ignored: ghi_chu",
        "not stored (use --keep-pii to keep them): ho_ten, dien_thoai",
    ]);
    let cols = d
        .stored_rows()
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>();
    assert!(
        !cols
            .iter()
            .any(|c| c == "full_name" || c == "phone" || c == "ghi_chu"),
        "{cols:?}"
    );
    let kept = Dir::new();
    kept.write("b.csv", &text);
    assert_eq!(kept.ingest("b.csv", &["--keep-pii"]).code, 0);
    let df = kept.stored_rows();
    let names = df
        .column("full_name")
        .and_then(|c| c.str().cloned())
        .expect("full_name kept");
    assert_eq!(names.get(0), Some("Nguyễn Văn An"));
}

#[test]
fn surveys_lists_the_four_questionnaires_with_item_counts() {
    let d = Dir::new();
    let run = d.run(&["surveys"]);
    assert_eq!(run.code, 0);
    for (id, items) in [
        ("sipas", "39"),
        ("health-outpatient", "31"),
        ("health-inpatient", "36"),
        ("education", "20"),
    ] {
        let line = run
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("{id} listed:\n{}", run.stdout));
        assert!(line.split_whitespace().any(|w| w == items), "{id}: {line}");
    }
}

// ---------------------------------------------------------------------------------------------
// A batch large enough to be checked in parallel parts gives what checking it whole gives.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_large_batch_checked_in_parts_matches_the_same_batch_checked_whole() {
    // 150,000 forms (three parts of 65,536 lines, about 20 MB): the clean fixture's rows again
    // and again under new ids, with two faults placed by hand in later parts.
    let rows: Vec<&str> = CLEAN.lines().skip(1).collect();
    let header = CLEAN.lines().next().unwrap_or_default();
    let n = 150_000;
    let dup_line = 100_000; // repeats the id of line 10 (in the first part)
    let bad_line = 140_000; // an answer of 7 on a 1-5 scale (in the third part)
    let id_of = |line: usize| format!("BIG-{line:07}");
    let mut plain = format!("{header}\n");
    for line in 2..n + 2 {
        let row = rows[(line - 2) % rows.len()];
        let (_, rest) = row.split_once(',').unwrap_or_default();
        let id = if line == dup_line {
            id_of(10)
        } else {
            id_of(line)
        };
        let rest = if line == bad_line {
            // A1 is the 9th column: the 8th field after the id.
            let mut f: Vec<&str> = rest.split(',').collect();
            f[7] = "7";
            f.join(",")
        } else {
            rest.to_string()
        };
        plain.push_str(&format!("{id},{rest}\n"));
    }
    // The same content with one field quoted: a file with quotes is read whole, in one part.
    let quoted = plain.replacen(&format!("{},", id_of(5)), &format!("\"{}\",", id_of(5)), 1);
    assert_ne!(quoted, plain);
    assert!(plain.len() > 16 << 20, "large enough to be read in pieces");

    let mut seen = Vec::new();
    for (name, text) in [("plain.csv", &plain), ("quoted.csv", &quoted)] {
        let d = Dir::new();
        d.write(name, text);
        let run = d.ingest(name, &[]);
        assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
        run.says(&[
            &format!("{name}:{dup_line}:"),
            &format!("\"{}\" already appears on line 10", id_of(10)),
            &format!("{name}:{bad_line}:"),
            "\"7\" is out of scale",
        ]);
        let m = d.manifest();
        let b = &m.batches[0];
        assert_eq!(
            (b.rows_read, b.accepted, b.quarantined),
            (150_000, 149_998, 2)
        );
        let stored = d.stored_rows();
        let lines: Vec<i64> = stored
            .column("line")
            .and_then(|c| c.i64().cloned())
            .expect("line")
            .into_no_null_iter()
            .collect();
        // Every line but the two faulty ones, in file order.
        let want: Vec<i64> = (2..n as i64 + 2)
            .filter(|l| *l != dup_line as i64 && *l != bad_line as i64)
            .collect();
        assert_eq!(lines, want);
        seen.push((b.id.clone(), stored));
    }
    assert_eq!(seen[0].0, seen[1].0, "the same content is the same batch");
    assert!(seen[0].1.equals_missing(&seen[1].1), "the same rows stored");
}

#[test]
fn a_batch_id_is_the_documented_digest_of_its_content() {
    // Worked out here from the definition, so that a change in how rows are read or hashed
    // cannot silently change the identity of batches already stored: SHA-256 of
    // "chiso-batch-v2\0", the survey, "\0", the year, each header (trimmed, lower case) after
    // 0x1f, then the SHA-256 of every range of 65,536 lines, each row 0x1e then every field
    // followed by 0x1f.
    use sha2::{Digest, Sha256};
    let d = Dir::new();
    d.write("b.csv", CLEAN);
    assert_eq!(d.ingest("b.csv", &[]).code, 0);
    let mut lines = CLEAN.lines();
    let header = lines.next().unwrap_or_default();
    let mut rows = Sha256::new();
    for line in lines {
        rows.update([0x1e]);
        for f in line.split(',') {
            rows.update(f.as_bytes());
            rows.update([0x1f]);
        }
    }
    let mut id = Sha256::new();
    id.update(b"chiso-batch-v2\0health-outpatient\x002026");
    for h in header.split(',') {
        id.update([0x1f]);
        id.update(h.trim().to_lowercase().as_bytes());
    }
    id.update(rows.finalize());
    let want: String = id.finalize().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(d.manifest().batches[0].id, want);
}
