//! The way in: questionnaires shown and written out to edit; workbooks as offices make them
//! (title rows above the header, an instructions sheet before the data, headers typed over two
//! lines, a sheet named in another case); a missing column told with what the file holds and
//! the nearest header; a refused first ingest leaving the folder as it was.

use crate::util::{CLEAN, Dir, csv_rows, root};

/// A workbook of `sheets`, each (name, rows of cells), numbers as numbers below row `numbers_from`.
fn book(sheets: &[(&str, Vec<Vec<String>>)], numbers_from: u32) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).expect("a sheet name");
        for (r, row) in rows.iter().enumerate() {
            for (c, field) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match field.parse::<f64>() {
                    Ok(v) if r >= numbers_from => ws.write_number(r, c, v).map(|_| ()),
                    _ if field.is_empty() => Ok(()),
                    _ => ws.write_string(r, c, field).map(|_| ()),
                }
                .expect("a cell");
            }
        }
    }
    wb.save_to_buffer().expect("an xlsx buffer")
}

fn rows_of(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

fn accepted(stdout: &str) -> u64 {
    stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("accepted"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn title_rows_and_an_instructions_sheet_are_passed_over_and_said() {
    let d = Dir::new();
    let forms = CLEAN.lines().count() as u64 - 1;
    let mut data = vec![
        vec!["PHIẾU KHẢO SÁT NGƯỜI BỆNH NGOẠI TRÚ NĂM 2026".to_string()],
        vec!["Đơn vị: Trung tâm Y tế huyện Na Rì".to_string()],
    ];
    data.extend(rows_of(CLEAN));
    let guide = rows_of("Hướng dẫn nhập phiếu\nMỗi dòng là một phiếu,\nCột A: mã phiếu");
    let file = d.write(
        "so-lieu.xlsx",
        book(&[("Hướng dẫn", guide), ("Dữ liệu", data)], 3),
    );
    let run = d.ingest(&file.display().to_string(), &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.says(&["workbook, sheet \"Dữ liệu\", header on row 3"]);
    assert_eq!(accepted(&run.stdout), forms, "{}", run.stdout);
    // The rows stored are those of the CSV: the title rows are not forms.
    assert_eq!(d.stored_rows().height() as u64, forms);
}

#[test]
fn a_sheet_named_in_another_case_is_found() {
    let d = Dir::new();
    let file = d.write(
        "b.xlsx",
        book(&[("Bìa", rows_of("x")), ("Dữ Liệu", rows_of(CLEAN))], 1),
    );
    let run = d.ingest(&file.display().to_string(), &["--sheet", "dữ liệu"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.says(&["sheet \"Dữ Liệu\""]);
}

#[test]
fn headers_typed_over_two_lines_or_with_doubled_spaces_match() {
    let d = Dir::new();
    // The outpatient form read from headers with spaces, as a Vietnamese export has them.
    let toml = std::fs::read_to_string(root("surveys/health-outpatient.toml"))
        .expect("the questionnaire")
        .replace("id = \"health-outpatient\"", "id = \"kham-ngoai-tru\"")
        + "\n[headers]\nrespondent_id = \"Mã phiếu\"\nunit_id = \"Đơn vị\"\n";
    let q = d.write("kham-ngoai-tru.toml", toml);
    let mut rows = rows_of(CLEAN);
    rows[0][0] = "Mã\nphiếu".into(); // Alt+Enter in the cell
    rows[0][1] = "  Đơn   vị ".into();
    let file = d.write("b.xlsx", book(&[("Sheet1", rows)], 1));
    let run = d.run(&[
        "ingest",
        "--store",
        "store",
        "--survey",
        &q.display().to_string(),
        "--year",
        "2026",
        &file.display().to_string(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(accepted(&run.stdout), CLEAN.lines().count() as u64 - 1);
}

#[test]
fn a_missing_column_is_told_with_the_headers_the_file_holds_and_the_nearest() {
    let d = Dir::new();
    // `unit_id` typed `unit id`, and `A3` dropped.
    let text = CLEAN.replacen("unit_id", "unit id", 1);
    let mut rows = rows_of(&text);
    let a3 = rows[0].iter().position(|h| h == "A3").expect("A3");
    for r in &mut rows {
        r.remove(a3);
    }
    let file = d.write("b.xlsx", book(&[("Data", rows)], 1));
    let run = d.ingest(&file.display().to_string(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.says(&[
        "required column `unit_id` is missing",
        "1 more missing: A3",
        "the file's header (sheet \"Data\", row 1) holds \"respondent_id\", \"unit id\", \"year\"",
        "did you mean \"unit id\" for \"unit_id\"?",
    ]);
    // Nothing was made where the store would have been.
    assert!(
        !d.store().exists(),
        "a refused first ingest left the store folder"
    );
}

#[test]
fn a_refused_first_ingest_leaves_the_folder_as_it_found_it() {
    let d = Dir::new();
    let bad = d.write("bad.csv", "respondent_id,unit_id\n");
    let bad = bad.display().to_string();
    // A folder that did not exist is not left behind.
    let run = d.ingest(&bad, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!d.store().exists());
    // An empty folder stays, empty.
    std::fs::create_dir_all(d.store()).expect("a folder");
    let run = d.ingest(&bad, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let left: Vec<_> = std::fs::read_dir(d.store())
        .expect("the folder")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // A good file then makes the store as usual.
    let good = d.write("good.csv", CLEAN);
    let run = d.ingest(&good.display().to_string(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let batches = d.run(&["batches", "--store", "store", "--json"]);
    assert_eq!(batches.code, 0, "{}", batches.stderr);
    assert!(csv_rows(CLEAN).len() > 1);
}

#[test]
fn a_questionnaire_is_shown_given_as_json_and_written_out_to_edit() {
    let d = Dir::new();
    let run = d.run_vi(&["surveys", "sipas"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.says(&[
        "sipas (1001/QĐ-BNV)",
        "TC Tiếp cận dịch vụ:",
        "Nơi tiếp nhận và trả kết quả có biển hiệu",
        "gioi_tinh",
    ]);
    let run = d.run(&["surveys", "health-outpatient", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(v["id"], "health-outpatient");
    // methodology.md §2: 31 outpatient items scored under an element.
    let scored = v["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .filter(|q| !q["element"].is_null())
        .count();
    assert_eq!(scored, 31);
    // Written out, the definition loads back as the same questionnaire; never overwritten.
    let copy = d.path().join("cua-toi.toml");
    let path = copy.display().to_string();
    let run = d.run(&["surveys", "education", "--export", &path]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let back = chiso::instrument::load(&path).expect("the copy loads");
    let shipped = chiso::instrument::load("education").expect("education");
    assert_eq!(
        (back.id, back.version, back.questions.len()),
        (shipped.id, shipped.version, shipped.questions.len())
    );
    std::fs::write(&copy, "# my edits\n").expect("edit");
    let run = d.run(&["surveys", "education", "--export", &path]);
    assert_eq!(run.code, 2);
    assert_eq!(
        std::fs::read_to_string(&copy).expect("the copy"),
        "# my edits\n"
    );
    // CHISO_LANG chooses the language as --lang does.
    let en = d
        .command(&["surveys", "sipas"])
        .env("CHISO_LANG", "en")
        .output()
        .expect("run chiso");
    assert!(String::from_utf8_lossy(&en.stdout).contains("TC Access to services:"));
    // An unknown id is a usage error with the list's hint.
    let run = d.run(&["surveys", "nope"]);
    assert_eq!(run.code, 2);
    run.says(&["unknown survey `nope`"]);
}

/// A stored column of health-outpatient 2026, row by row in file order, as text.
fn stored_column(d: &Dir, name: &str) -> Vec<Option<String>> {
    let df = d.stored_rows();
    let c = df.column(name).expect("the column");
    (0..df.height())
        .map(|i| {
            let v = c.get(i).expect("a value");
            (!v.is_null()).then(|| v.to_string().trim_matches('"').to_string())
        })
        .collect()
}

#[test]
fn a_bad_answer_can_cost_only_that_answer_and_is_listed_with_its_cell() {
    let forms = CLEAN.lines().count() - 1;
    // Line 2's A2 typed 44 instead of 4; its other 32 answers are good.
    let text = crate::util::with_field(2, "A2", "44");
    // Today's rule: the whole form is quarantined.
    let d = Dir::new();
    let file = d.write("b.csv", &text);
    let run = d.ingest(&file.display().to_string(), &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(accepted(&run.stdout) as usize, forms - 1);
    // `--bad-answer blank-answer`: the form is stored with A2 blank, the cell listed.
    let d = Dir::new();
    let file = d.write("b.csv", &text);
    let run = d.ingest(
        &file.display().to_string(),
        &["--bad-answer", "blank-answer"],
    );
    assert_eq!(
        run.code, 3,
        "the quarantine file lists the cell: {}",
        run.stderr
    );
    assert_eq!(accepted(&run.stdout) as usize, forms, "{}", run.stdout);
    run.says(&[
        &format!("{:<20} {:>9}", "answers left blank", 1),
        "column 10 (A2): \"44\" is out of scale",
        "[out_of_scale]",
    ]);
    let a2 = stored_column(&d, "A2");
    let a1 = stored_column(&d, "A1");
    assert_eq!(a2[0], None, "A2 of the first form is blank");
    let want_a1 = csv_rows(CLEAN)[0]["A1"].clone();
    assert_eq!(
        a1[0].as_deref(),
        Some(want_a1.as_str()),
        "A1 of the form is kept"
    );
    let m = d.manifest();
    let q = m.batches[0]
        .quarantine_file
        .clone()
        .expect("a quarantine file");
    let listed = std::fs::read_to_string(d.store().join(q)).expect("the quarantine file");
    let rows = csv_rows(listed.trim_start_matches('\u{feff}'));
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0]["line"].as_str(),
            rows[0]["value"].as_str(),
            rows[0]["rule"].as_str()
        ),
        ("2", "44", "out_of_scale")
    );
    assert!(rows[0]["message"].contains("left blank"));
}

#[test]
fn categories_match_in_any_case_and_without_diacritics_and_are_stored_as_declared() {
    let d = Dir::new();
    // The questionnaire's values are `nam` and `nu`.
    let text = crate::util::with_field_in(
        &crate::util::with_field(2, "gender", "Nữ"),
        3,
        "gender",
        "NAM",
    );
    let file = d.write("b.csv", &text);
    let run = d.ingest(&file.display().to_string(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let g = stored_column(&d, "gender");
    assert_eq!(
        (g[0].as_deref(), g[1].as_deref()),
        (Some("nu"), Some("nam"))
    );
    // Still refused: a value that is none of them.
    let d = Dir::new();
    let file = d.write("b.csv", crate::util::with_field(2, "gender", "khác"));
    let run = d.ingest(&file.display().to_string(), &[]);
    assert_eq!(run.code, 3);
    run.says(&["[unknown_category]"]);
}

/// `chiso template ARGS --units UNITS --out OUT`, which must succeed.
fn template(d: &Dir, args: &[&str], units: &std::path::Path, out: &std::path::Path) {
    let (units, out) = (units.display().to_string(), out.display().to_string());
    let mut all = vec!["template"];
    all.extend_from_slice(args);
    all.extend(["--units", units.as_str(), "--out", out.as_str()]);
    let run = d.run_vi(&all);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_template_filled_in_as_a_person_would_ingests_with_no_warning() {
    let d = Dir::new();
    let units = d.write("don-vi.txt", "Xuân Dương\nCôn Minh\nNa Rì\n");
    let out = d.path().join("mau-sipas.xlsx");
    template(&d, &["--survey", "sipas"], &units, &out);
    // The drop-downs, read from the workbook's XML: each answer column limited to its scale's
    // codes (TC1 is column G: 1–5 and 0, not applicable), unit_id to the units given.
    let xml = crate::print::xlsx_parts(&out)["xl/worksheets/sheet1.xml"].clone();
    assert!(
        xml.contains(r#"sqref="G2:G5001"><formula1>"1,2,3,4,5,0"</formula1>"#),
        "no list on TC1"
    );
    assert!(
        xml.contains("<formula1>_chiso!$A$3:$A$5</formula1>"),
        "no list of units on unit_id"
    );
    // The headers are exactly what ingest reads; a second template never overwrites the first.
    let run = d.run(&[
        "template",
        "--survey",
        "sipas",
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(run.code, 2);
    if !crate::util::python_with(&["openpyxl"]) {
        return; // the filling-in part needs openpyxl
    }
    // Ten forms typed in, the way a person would: ids, a unit from the list, gender, answers.
    let filled = d.path().join("da-nhap.xlsx");
    let script = r#"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["Phiếu"]
heads = [c.value for c in ws[1]]
units = ["Xuân Dương", "Côn Minh", "Na Rì"]
for r in range(2, 12):
    for j, h in enumerate(heads, start=1):
        if h == "respondent_id": v = "P%03d" % r
        elif h == "unit_id": v = units[r % 3]
        elif h == "gioi_tinh": v = "nam" if r % 2 else "nu"
        elif h in ("nhom_tuoi", "trinh_do", "thu_tuc"): v = None
        elif h[:2] in ("CS", "QT", "PH", "MD", "NN"): v = None
        else: v = 3 + (r + j) % 3
        if v is not None: ws.cell(row=r, column=j, value=v)
wb.save(sys.argv[2])
"#;
    crate::util::python(
        script,
        &[&out.display().to_string(), &filled.display().to_string()],
    );
    let run = d.run(&[
        "ingest",
        "--store",
        "store",
        "--survey",
        "sipas",
        "--year",
        "2026",
        &filled.display().to_string(),
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(accepted(&run.stdout), 10, "{}", run.stdout);
    assert!(
        !run.stdout.contains("warning") && !run.stderr.contains("warning") && run.stderr.is_empty(),
        "warnings: {}\n{}",
        run.stdout,
        run.stderr
    );
    run.says(&["sheet \"Phiếu\""]);
    // The template of one questionnaire is refused for another, saying which it was made for.
    let run = d.run(&[
        "ingest",
        "--store",
        "other",
        "--survey",
        "health-outpatient",
        "--year",
        "2026",
        &filled.display().to_string(),
    ]);
    assert_eq!(run.code, 1);
    run.says(&["this workbook is the template of sipas (1001/QĐ-BNV)"]);
}

/// `chiso score` of health-outpatient 2026 from `dir/store`: scores.csv's text.
fn score_csv(d: &Dir, out: &str) -> String {
    let args = crate::safety::score_args(out, "vi");
    let run = d.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::read_to_string(d.path().join(out).join("scores.csv")).expect("scores.csv")
}

/// scores.csv of a fresh store holding only `text`.
fn scores_of(text: &str) -> String {
    let d = Dir::new();
    let f = d.write("b.csv", text);
    let run = d.ingest(&f.display().to_string(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    score_csv(&d, "out")
}

#[test]
fn a_wrong_batch_is_replaced_or_withdrawn_and_its_history_kept() {
    let d = Dir::new();
    let first = d.write("dot-1.csv", CLEAN);
    let run = d.ingest(&first.display().to_string(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let old = d.manifest().batches[0].id.clone();
    let before = score_csv(&d, "before");
    assert_eq!(before, scores_of(CLEAN));
    // The corrected file: the first form's A2 was typed 4 but the form says 1.
    let corrected = crate::util::with_field(2, "A2", "1");
    let second = d.write("dot-1-sua.csv", &corrected);
    let run = d.ingest(
        &second.display().to_string(),
        &[
            "--replaces",
            &old[..8],
            "--reason",
            "A2 của phiếu 1 nhập sai",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // Its respondents were the old batch's: no conflict, every form stored.
    assert_eq!(accepted(&run.stdout) as usize, CLEAN.lines().count() - 1);
    run.says(&["it replaces batch"]);
    let after = score_csv(&d, "after");
    assert_ne!(after, before);
    assert_eq!(
        after,
        scores_of(&corrected),
        "scores are the corrected batch's alone"
    );
    // The history stays: listed with --all, with when and why; the old file is still there.
    let m = d.manifest();
    let gone = m.find(&old).expect("the old batch stays in the manifest");
    let r = gone.retracted.as_ref().expect("withdrawn");
    assert_eq!(r.reason, "A2 của phiếu 1 nhập sai");
    assert_eq!(r.replaced_by.as_deref(), Some(m.batches[1].id.as_str()));
    assert!(d.store().join(&gone.data_file).is_file());
    let listed = d.run(&["batches", "--store", "store"]);
    assert!(!listed.stdout.contains(&old[..12]), "{}", listed.stdout);
    let all = d.run(&["batches", "--store", "store", "--all"]);
    all.says(&[
        &old[..12],
        "withdrawn",
        "A2 của phiếu 1 nhập sai",
        "replaced by",
    ]);
    // Withdrawing the corrected one too leaves nothing to score; its file stays.
    let new = m.batches[1].id.clone();
    let run = d.run(&[
        "batches",
        "--store",
        "store",
        "retract",
        &new[..10],
        "--reason",
        "thử lại",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = d.run(&[
        "score",
        "--store",
        "store",
        "--survey",
        "health-outpatient",
        "--year",
        "2026",
    ]);
    assert_ne!(run.code, 0);
    assert!(d.store().join(&m.batches[1].data_file).is_file());
    // A batch withdrawn once cannot be withdrawn or replaced again.
    let run = d.run(&[
        "batches",
        "--store",
        "store",
        "retract",
        &new[..10],
        "--reason",
        "x",
    ]);
    assert_eq!(run.code, 1);
    run.says(&["was already withdrawn"]);
}

#[test]
fn a_cchc_assessment_template_filled_in_reads_back_with_no_problem() {
    let d = Dir::new();
    let units = d.write("don-vi.txt", "Côn Minh\nNa Rì\n");
    let out = d.path().join("cham-diem.xlsx");
    template(&d, &["--par"], &units, &out);
    let method = chiso::par::load("par-commune").expect("par-commune");
    let assessed: Vec<String> = method
        .leaves()
        .iter()
        .filter(|l| l.source == chiso::par::Source::Assessment)
        .map(|l| l.criterion.code.clone())
        .collect();
    // self_score limited to 0..maximum (column F) or NA.
    let xml = crate::print::xlsx_parts(&out)["xl/worksheets/sheet1.xml"].clone();
    let rows = 1 + 2 * assessed.len();
    assert!(
        xml.contains(&format!(
            r#"sqref="C2:C{rows}"><formula1>OR(UPPER(C2)="NA",AND(ISNUMBER(C2),C2&gt;=0,C2&lt;=$F2))</formula1>"#
        )),
        "no 0..max-or-NA rule on self_score"
    );
    if !crate::util::python_with(&["openpyxl"]) {
        return;
    }
    // Half the maximum on every row, NA on the first unit's first criterion.
    let filled = d.path().join("da-cham.xlsx");
    let script = r#"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
for r in range(2, ws.max_row + 1):
    ws.cell(row=r, column=3, value="NA" if r == 2 else ws.cell(row=r, column=6).value / 2)
wb.save(sys.argv[2])
"#;
    crate::util::python(
        script,
        &[&out.display().to_string(), &filled.display().to_string()],
    );
    let a = chiso::par::assessment::read(&filled, &method).expect("no problem in the assessment");
    assert_eq!(a.entries.len(), 2 * assessed.len());
    let first = a.get("Côn Minh", &assessed[0]).expect("the first row");
    assert_eq!(first.score, chiso::par::assessment::Score::NotApplicable);
    let k = &method.leaf_map()[assessed[1].as_str()];
    assert_eq!(
        a.get("Na Rì", &assessed[1]).map(|e| e.score.points()),
        Some(Some(k.criterion.max / 2.0))
    );
}

#[test]
fn bad_units_and_a_missing_column_below_title_rows_are_told_by_line() {
    let d = Dir::new();
    // A units file whose third line is `ALL` (it stands for all units together).
    let units = d.write("don-vi.txt", "Côn Minh\nNa Rì\nALL\n");
    let out = d.path().join("mau.xlsx");
    let run = d.run(&[
        "template",
        "--survey",
        "sipas",
        "--units",
        &units.display().to_string(),
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.says(&["don-vi.txt:3: unit \"ALL\""]);
    assert!(!out.exists());
    // The header is on row 3 below two title rows; `A3` is missing: the message names row 3.
    let mut rows = vec![vec!["PHIẾU".to_string()], vec![String::new()]];
    rows.extend(rows_of(CLEAN));
    let a3 = rows[2].iter().position(|h| h == "A3").expect("A3");
    for r in rows.iter_mut().skip(2) {
        r.remove(a3);
    }
    let file = d.write("b.xlsx", book(&[("Data", rows)], 3));
    let run = d.ingest(&file.display().to_string(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.says(&[
        "b.xlsx:3: required column `A3` is missing",
        "(sheet \"Data\", row 3)",
    ]);
}
