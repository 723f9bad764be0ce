//! Record exports (QĐ 766 inputs): ingest by layout, quarantine, the latest state of a record.

use crate::util::Dir;

const CATALOGUE: &str = "procedure_id,unit_id,name,online_level,eligible_full_online,has_fee,paper_result_required,max_days
P1,,Chứng thực bản sao,mot_phan,1,1,0,1
P2,Xuân Dương,Đăng ký khai sinh,toan_trinh,1,0,0,5
";

/// February's export, with Vietnamese headers: H1 finished, H2 open; H3's procedure is not in
/// Côn Minh's catalogue; H4 has an unknown channel and a due date before its receipt; H5 an
/// impossible date, an unknown status and an unknown procedure.
const FEB: &str = "Mã hồ sơ,Đơn vị xử lý,Mã TTHC,Kênh thực hiện,Ngày tiếp nhận,Ngày hẹn trả,Ngày kết thúc xử lý,Trạng thái
H1,Xuân Dương,P1,1,02/02/2026 08:00,03/02/2026 17:00,03/02/2026 10:00,10
H2,Xuân Dương,P2,truc_tuyen,20/02/2026 08:00,27/02/2026 17:00,,4
H3,Côn Minh,P2,1,21/02/2026 08:00,28/02/2026 17:00,,4
H4,Xuân Dương,P1,4,22/02/2026 08:00,21/02/2026 17:00,,4
H5,Xuân Dương,P9,1,31/02/2026,,,12
";

/// March's export overlaps: H2 again, now finished; H1 again as it was; H6 new.
const MAR: &str = "Mã hồ sơ,Đơn vị xử lý,Mã TTHC,Kênh thực hiện,Ngày tiếp nhận,Ngày hẹn trả,Ngày kết thúc xử lý,Trạng thái
H2,Xuân Dương,P2,truc_tuyen,20/02/2026 08:00,27/02/2026 17:00,26/02/2026 16:00,10
H1,Xuân Dương,P1,1,02/02/2026 08:00,03/02/2026 17:00,03/02/2026 10:00,10
H6,Xuân Dương,P1,2,02/03/2026 08:00,03/03/2026 17:00,,4
";

fn ingest(d: &Dir, survey: &str, file: &str) -> crate::util::Run {
    d.run_vi(&[
        "ingest", "--store", "store", "--survey", survey, "--year", "2026", file,
    ])
}

/// The store's current state of the procedure files: (record, finished_at) in key order.
fn state(d: &Dir) -> Vec<(String, String)> {
    let store = chiso::store::Store::open(&d.store()).expect("the store");
    let manifest = store.manifest().expect("the manifest");
    let layout = chiso::qd766::layout::load("hoso-tthc").expect("the layout");
    let df = chiso::qd766::ingest::latest(&store, &manifest, &layout, 2026).expect("latest");
    let ids = df
        .column("record_id")
        .and_then(|c| c.str().cloned())
        .expect("ids");
    let done = df
        .column("finished_at")
        .and_then(|c| c.str().cloned())
        .expect("finished");
    let mut v: Vec<(String, String)> = ids
        .iter()
        .zip(done.iter())
        .map(|(a, b)| (a.unwrap_or("").to_string(), b.unwrap_or("").to_string()))
        .collect();
    v.sort();
    v
}

#[test]
fn procedure_files_are_checked_quarantined_and_kept_at_their_latest_state() {
    let d = Dir::new();
    d.write("cat.csv", CATALOGUE);
    d.write("feb.csv", FEB);
    d.write("mar.csv", MAR);
    // Files need the catalogue first.
    let run = ingest(&d, "hoso-tthc", "feb.csv");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    run.says(&["feb.csv", "tthc-catalogue", "gợi ý:"]);
    assert!(
        !d.store().exists(),
        "the store this refused run made is removed"
    );
    assert_eq!(ingest(&d, "tthc-catalogue", "cat.csv").code, 0);
    // Bad rows are quarantined with line, column, value and rule; the others stored.
    let run = ingest(&d, "hoso-tthc", "feb.csv");
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    run.says(&[
        "feb.csv:4: cột 3 (Mã TTHC): \"P2\" [not_in_catalogue]",
        "feb.csv:5: cột 4 (Kênh thực hiện): \"4\" [unknown_code]",
        "feb.csv:5: cột 6 (Ngày hẹn trả): \"21/02/2026 17:00\" [before_received]",
        "feb.csv:6: cột 5 (Ngày tiếp nhận): \"31/02/2026\" [bad_time]",
        "feb.csv:6: cột 8 (Trạng thái): \"12\" [unknown_code]",
        "đọc 5 dòng, nhận 2 (2 mới, 0 cập nhật, 0 không đổi), cách ly 3",
    ]);
    assert_eq!(
        state(&d),
        [
            ("H1".into(), "2026-02-03 10:00".into()),
            ("H2".into(), String::new())
        ]
    );
    // The overlapping March export: H2 updated, H1 unchanged, H6 new — each record once.
    let run = ingest(&d, "hoso-tthc", "mar.csv");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    run.says(&[
        "đến ngày 03/03/2026",
        "nhận 3 (1 mới, 1 cập nhật, 1 không đổi)",
    ]);
    assert_eq!(
        state(&d),
        [
            ("H1".into(), "2026-02-03 10:00".into()),
            ("H2".into(), "2026-02-26 16:00".into()),
            ("H6".into(), String::new())
        ]
    );
    // Ingesting an export again changes nothing; the earlier export keeps its batch (history)
    // but not the say over H2.
    let run = ingest(&d, "hoso-tthc", "mar.csv");
    assert_eq!(run.code, 0);
    run.says(&["không có gì thay đổi"]);
    assert_eq!(state(&d)[1].1, "2026-02-26 16:00");
}

#[test]
fn an_older_export_ingested_later_does_not_undo_a_newer_one() {
    let d = Dir::new();
    d.write("cat.csv", CATALOGUE);
    d.write("feb.csv", FEB);
    d.write("mar.csv", MAR);
    assert_eq!(ingest(&d, "tthc-catalogue", "cat.csv").code, 0);
    assert_eq!(ingest(&d, "hoso-tthc", "mar.csv").code, 0);
    let run = ingest(&d, "hoso-tthc", "feb.csv");
    assert_eq!(run.code, 3);
    // H2's state as of 03/03 (finished) stays; February's (open) is history.
    let s = state(&d);
    assert_eq!(s.len(), 3, "{s:?}");
    assert_eq!(s[1], ("H2".into(), "2026-02-26 16:00".into()));
}

#[test]
fn an_export_missing_a_required_column_is_refused_whole() {
    let d = Dir::new();
    d.write("cat.csv", CATALOGUE);
    assert_eq!(ingest(&d, "tthc-catalogue", "cat.csv").code, 0);
    d.write(
        "bad.csv",
        "Mã hồ sơ,Đơn vị xử lý,Mã TTHC,Kênh thực hiện,Trạng thái\nH1,Xuân Dương,P1,1,10\n",
    );
    let before = d.snapshot();
    let run = ingest(&d, "hoso-tthc", "bad.csv");
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.says(&["bad.csv:1", "received_at", "ngày tiếp nhận"]);
    assert_eq!(d.snapshot(), before, "nothing stored");
}

#[test]
fn the_qd766_index_from_the_stored_records_by_hand() {
    let d = Dir::new();
    d.write("cat.csv", CATALOGUE);
    d.write("feb.csv", FEB);
    d.write("mar.csv", MAR);
    let run = d.run(&["qd766", "--store", "store", "--year", "2026"]);
    assert_ne!(run.code, 0, "no store yet");
    for (s, f) in [("tthc-catalogue", "cat.csv"), ("hoso-tthc", "feb.csv")] {
        assert!(matches!(ingest(&d, s, f).code, 0 | 3));
    }
    // March's export, taken on 30/06: H6 is still open then.
    let run = d.run(&[
        "ingest",
        "--store",
        "store",
        "--survey",
        "hoso-tthc",
        "--year",
        "2026",
        "--as-of",
        "30/06/2026",
        "mar.csv",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let run = d.run(&[
        "qd766", "--store", "store", "--year", "2026", "--period", "quarter", "--out", "q",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let read = |f: &str| {
        crate::util::csv_rows(&std::fs::read_to_string(d.path().join("q").join(f)).expect(f))
    };
    let items = read("qd766_items.csv");
    let item = |period: &str, code: &str| {
        items
            .iter()
            .find(|r| r["period"] == period && r["unit_id"] == "Xuân Dương" && r["item"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("{period} {code}"))
    };
    // The year so far, judged on the export's day (30/06): H1 and H2 finished on time, H6 (due
    // 03/03) still open → 2 of 3 on time: 66.67 % of 20 points.
    let i = item("2026", "2.1");
    assert_eq!(
        (i["numerator"].as_str(), i["denominator"].as_str()),
        ("2", "3")
    );
    assert!((i["points"].parse::<f64>().expect("points") - 40.0 / 3.0).abs() < 1e-9);
    // Q2: only H6, still open and overdue → 0 of 1: applies, 0 points.
    let i = item("2026-Q2", "2.1");
    assert_eq!(
        (
            i["numerator"].as_str(),
            i["denominator"].as_str(),
            i["points"].as_str()
        ),
        ("0", "1", "0")
    );
    assert_eq!(i["applies"], "1");
    // Received in Q1: H1 (in person), H2 (online), H6 (online) → 2 of 3 online = 66.7 % ≥ 50
    // → the full 6 points of 3.3.
    assert_eq!(item("2026-Q1", "3.3")["points"], "6");
    // No complaints stored: 5.2 and 5.3 do not apply.
    assert_eq!(item("2026", "5.2")["applies"], "0");
    let totals = read("qd766_totals.csv");
    let periods: Vec<&str> = totals
        .iter()
        .filter(|r| r["unit_id"] == "ALL")
        .map(|r| r["period"].as_str())
        .collect();
    // Q3 and Q4 start after the export: the records say nothing of them yet.
    assert_eq!(periods, ["2026", "2026-Q1", "2026-Q2"]);
    assert!(d.path().join("q/qd766.xlsx").is_file());
}

/// A CCHC methodology drawing four criteria from the records: a rate (2.1), an item's points
/// (3.3, whose threshold is 50 %), an indicator without points (toan_trinh) and an item whose
/// denominator is 0 (3.6: no file carries a fee), beside one assessed criterion.
const PAR_RECORDS: &str = r#"id = "par-records"
title_vi = "Chỉ số thử"
title_en = "Test index"
basis = "test"
decimals = 2
ci_level = 0.95
simulations = 100
seed = 5
bands = [
  { code = "A", min = 60, vi = "Tốt", en = "Good" },
  { code = "B", vi = "Khá", en = "Fair" },
]

[[areas]]
code = "1"
vi = "Một cửa"
en = "One-stop shop"
max = 10
criteria = [
  { code = "1.1", max = 1, source = "assessment", vi = "Tự chấm", en = "Assessed" },
  { code = "1.2", max = 2, source = "records", vi = "Đúng hạn", en = "On time", from = { index = "qd766", item = "2.1" } },
  { code = "1.3", max = 4, source = "records", vi = "Nộp trực tuyến", en = "Online", from = { index = "qd766", item = "3.3", take = "points" } },
  { code = "1.4", max = 2, source = "records", vi = "Toàn trình", en = "End to end", from = { index = "qd766", item = "toan_trinh" } },
  { code = "1.5", max = 1, source = "records", vi = "Thanh toán", en = "Paid online", from = { index = "qd766", item = "3.6" } },
]
"#;

/// Xuân Dương's January: A and D on time, B finished two days late (online), C on time.
const JAN: &str = "record_id,unit_id,procedure_id,channel,received_at,due_at,finished_at,status
A,Xuân Dương,P1,1,05/01/2026 08:00,06/01/2026 17:00,06/01/2026 10:00,10
B,Xuân Dương,P2,2,05/01/2026 09:00,12/01/2026 17:00,14/01/2026 10:00,10
C,Xuân Dương,P2,1,07/01/2026 08:00,14/01/2026 17:00,13/01/2026 10:00,10
D,Xuân Dương,P1,1,08/01/2026 08:00,09/01/2026 17:00,09/01/2026 15:00,10
";

#[test]
fn cchc_criteria_take_their_rates_from_the_stored_records() {
    let d = Dir::new();
    d.write("par.toml", PAR_RECORDS);
    d.write("cat.csv", CATALOGUE);
    d.write("jan.csv", JAN);
    d.write(
        "a.csv",
        "unit_id,criterion,self_score,appraised_score,note\nXuân Dương,1.1,1,,\nCôn Minh,1.1,1,,\n",
    );
    let par = |d: &Dir, out: &str, assessment: &str| {
        let method = if out == "typo" {
            "typo.toml"
        } else {
            "par.toml"
        };
        d.run(&[
            "par",
            "--store",
            "store",
            "--year",
            "2026",
            "--method",
            method,
            "--assessment",
            assessment,
            "--out",
            out,
        ])
    };
    // No records stored yet: the records criteria are flagged, and no index is given.
    assert_eq!(ingest(&d, "tthc-catalogue", "cat.csv").code, 0);
    let run = par(&d, "none", "a.csv");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let totals = std::fs::read_to_string(d.path().join("none/par_totals.csv")).expect("totals");
    let xd = totals
        .lines()
        .find(|l| l.contains("Xuân Dương"))
        .expect("a row");
    assert!(xd.contains("1.2:no_records"), "{xd}");
    assert!(xd.contains(",,"), "no index without the records: {xd}");

    assert_eq!(ingest(&d, "hoso-tthc", "jan.csv").code, 0);
    let run = par(&d, "out", "a.csv");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let points = crate::util::csv_rows(
        &std::fs::read_to_string(d.path().join("out/par_points.csv")).expect("points"),
    );
    let get = |unit: &str, c: &str| {
        points
            .iter()
            .find(|r| r["unit_id"] == unit && r["criterion"] == c)
            .unwrap_or_else(|| panic!("{unit} {c}"))
            .clone()
    };
    // 1.2: 3 of 4 files on time = 75 % → 2 × 0.75.
    assert_eq!(get("Xuân Dương", "1.2")["points"], "1.5");
    assert_eq!(get("Xuân Dương", "1.2")["source"], "records");
    // 1.3: 1 of 4 online = 25 %; QĐ 766 item 3.3 gives 25 × 6 / 50 = 3 of its 6 points,
    // half of them → 4 × 0.5.
    assert_eq!(get("Xuân Dương", "1.3")["points"], "2");
    // 1.4: P1 and P2 are eligible, P2 offered end to end → 50 % → 2 × 0.5.
    assert_eq!(get("Xuân Dương", "1.4")["points"], "1");
    // 1.5: no file carries a fee: not applicable, out of the maximum — never a 0.
    let paid = get("Xuân Dương", "1.5");
    assert_eq!(
        (paid["points"].as_str(), paid["max_points"].as_str()),
        ("", "")
    );
    assert_eq!(paid["flag"], "not_applicable");
    // Côn Minh has no files: its records criteria are flagged, its index empty.
    assert_eq!(get("Côn Minh", "1.2")["flag"], "no_records");
    let totals = crate::util::csv_rows(
        &std::fs::read_to_string(d.path().join("out/par_totals.csv")).expect("totals"),
    );
    let xd = totals
        .iter()
        .find(|r| r["unit_id"] == "Xuân Dương")
        .expect("Xuân Dương");
    // (1 + 1.5 + 2 + 1) of (1 + 2 + 4 + 2) = 5.5 / 9.
    assert_eq!(xd["points"], "5.5");
    assert_eq!(xd["max_points"], "9");
    let index: f64 = xd["index_pct"].parse().expect("an index");
    assert!((index - 5.5 / 9.0 * 100.0).abs() < 1e-9, "{index}");
    assert_eq!(xd["se"], "0", "records carry no sampling error");
    assert!(
        totals
            .iter()
            .any(|r| r["unit_id"] == "Côn Minh" && r["index_pct"].is_empty())
    );

    // The assessment must not score a records criterion.
    d.write(
        "bad.csv",
        "unit_id,criterion,self_score,appraised_score,note\nXuân Dương,1.1,1,,\nXuân Dương,1.2,2,,\n",
    );
    let run = d.run_vi(&[
        "par",
        "--store",
        "store",
        "--year",
        "2026",
        "--method",
        "par.toml",
        "--assessment",
        "bad.csv",
        "--out",
        "bad",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    run.says(&["bad.csv:3", "`2`", "records_criterion", "hồ sơ TTHC"]);
    // A methodology naming an item the index lacks is refused before anything is read.
    d.write(
        "typo.toml",
        PAR_RECORDS.replace("item = \"2.1\"", "item = \"2.9\""),
    );
    let run = par(&d, "typo", "a.csv");
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    run.says(&["1.2", "`2.9`", "hint: items: 1.1"]);
}
