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
    for (s, f) in [
        ("tthc-catalogue", "cat.csv"),
        ("hoso-tthc", "feb.csv"),
        ("hoso-tthc", "mar.csv"),
    ] {
        assert!(matches!(ingest(&d, s, f).code, 0 | 3));
    }
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
    // The year, judged on 31/12: H1 and H2 finished on time, H6 (due 03/03) still open →
    // 2 of 3 on time: 66.67 % of 20 points.
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
    assert_eq!(
        periods,
        ["2026", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    );
    assert!(d.path().join("q/qd766.xlsx").is_file());
}
