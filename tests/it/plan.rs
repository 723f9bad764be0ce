//! `chiso tasks`: a small plan whose statuses, points and ranks are worked out by hand.

use crate::util::{Dir, csv_rows, root};

/// Six tasks, judged on 30/06/2026 (A = Phòng Văn hoá - Xã hội, B = Văn phòng HĐND và UBND,
/// written once through an alias):
/// 1. A, Quý I/2026 (31/03), done 15/03, dat          → done on time
/// 2. A, Tháng 04/2026 (30/04), done 10/05, khong_dat → done late, 10 days
/// 3. A, 31/05/2026, not done                         → overdue, 30 days
/// 4. A, Năm 2026 (31/12), not done                   → not yet due: counted for nobody
/// 5. B (partner A), 6 tháng đầu năm 2026 (30/06), done 30/06, dat → done on time
/// 6. B, Tháng 02/2026 (28/02), done 01/03, dat       → done late, 1 day
const PLAN: &str = "STT,Nội dung nhiệm vụ,Cơ quan chủ trì,Cơ quan phối hợp,Thời gian hoàn thành,Ngày hoàn thành,Chất lượng,Minh chứng,Ghi chú
1,Kế hoạch tuyên truyền,Phòng Văn hoá - Xã hội,,Quý I/2026,15/03/2026,dat,12/KH-UBND,
2,Kế hoạch kiểm soát TTHC,Phòng Văn hoá - Xã hội,,Tháng 04/2026,10/05/2026,khong_dat,,
3,Rà soát đơn vị sự nghiệp,Phòng Văn hoá - Xã hội,,31/05/2026,,,,
4,Đề án vị trí việc làm,Phòng Văn hoá - Xã hội,,Năm 2026,,,,
5,Báo cáo ngày,Văn phòng HĐND-UBND,Phòng Văn hoá - Xã hội,6 tháng đầu năm 2026,30/06/2026,đạt,,
6,Đối thoại doanh nghiệp,Văn phòng HĐND và UBND,,Tháng 02/2026 (sau khi có chỉ đạo),01/03/2026,dat,,
";

fn tasks(d: &Dir, extra: &[&str]) -> crate::util::Run {
    let mut args = vec![
        "tasks",
        "--plan",
        "plan.csv",
        "--as-of",
        "30/06/2026",
        "--out",
        "out",
    ];
    args.extend_from_slice(extra);
    d.run(&args)
}

#[test]
fn statuses_points_and_ranks_by_hand_for_both_rules() {
    let d = Dir::new();
    d.write("plan.csv", PLAN);
    let run = tasks(&d, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let read = |f: &str| csv_rows(&std::fs::read_to_string(d.path().join("out").join(f)).expect(f));
    let status = read("tasks_status.csv");
    let st: Vec<(&str, &str)> = status
        .iter()
        .map(|r| (r["status"].as_str(), r["days_late"].as_str()))
        .collect();
    assert_eq!(
        st,
        [
            ("done_on_time", "0"),
            ("done_late", "10"),
            ("overdue", "30"),
            ("open", "0"),
            ("done_on_time", "0"),
            ("done_late", "1")
        ]
    );
    assert_eq!(status[5]["condition"], "sau khi có chỉ đạo");
    assert_eq!(status[5]["deadline_date"], "28/02/2026");
    assert_eq!(status[4]["lead"], "Văn phòng HĐND và UBND");
    // Proportional (5 / 10 / 5), partners not counted.
    // A: due 1, 2, 3 → assigned 3, done 2, to standard 1, on time 1:
    //    5·2/3 + 10·1/3 + 5·1/3 = 8.3333 of 20 = 41.7 % → Không hoàn thành; rank 2.
    // B: 5, 6 → assigned 2, done 2, to standard 2, on time 1: 5 + 10 + 2.5 = 17.5 = 87.5 % → Tốt.
    let ag = read("tasks_agencies.csv");
    let a = &ag[1];
    assert_eq!(a["agency"], "Phòng Văn hoá - Xã hội");
    assert_eq!(
        (
            a["assigned"].as_str(),
            a["done"].as_str(),
            a["done_on_time"].as_str()
        ),
        ("3", "2", "1")
    );
    assert_eq!((a["overdue"].as_str(), a["open"].as_str()), ("1", "1"));
    let pts: f64 = a["points"].parse().expect("points");
    assert!((pts - 25.0 / 3.0).abs() < 1e-12, "{pts}");
    assert_eq!((a["band"].as_str(), a["rank"].as_str()), ("KHT", "2"));
    let b = &ag[0];
    assert_eq!(b["agency"], "Văn phòng HĐND và UBND");
    assert_eq!(
        (b["points"].as_str(), b["band"].as_str(), b["rank"].as_str()),
        ("17.5", "TOT", "1")
    );
    assert_eq!(b["on_time_pct"], "50");
    run.says(&[
        "Văn phòng HĐND và UBND",
        "17.50",
        "overdue",
        "Rà soát đơn vị sự nghiệp",
    ]);

    // Steps, partners counted with weight 0.5, thresholds > 45 % → 2, ≥ 40 % → 1:
    // A: lead 1, 2, 3 plus half of 5 → assigned 3.5, on time 1.5 → 42.86 % → 1 point; rank 2.
    // B: on time 1 of 2 = 50 % → 2 points; rank 1.
    let method = std::fs::read_to_string(root("scoring/plan-commune.toml"))
        .expect("the shipped plan methodology")
        .replace("rule = \"proportional\"", "rule = \"steps\"")
        .replace("{ above = 90, points = 2 }", "{ above = 45, points = 2 }")
        .replace("{ from = 70, points = 1 }", "{ from = 40, points = 1 }")
        .replace("count = false", "count = true");
    d.write("steps.toml", method);
    let run = tasks(&d, &["--method", "steps.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ag = read("tasks_agencies.csv");
    let row = |n: &str| ag.iter().find(|r| r["agency"] == n).expect(n).clone();
    let a = row("Phòng Văn hoá - Xã hội");
    assert_eq!(
        (a["assigned"].as_str(), a["done_on_time"].as_str()),
        ("3.5", "1.5")
    );
    assert_eq!(
        (
            a["points"].as_str(),
            a["max_points"].as_str(),
            a["rank"].as_str()
        ),
        ("1", "2", "2")
    );
    let b = row("Văn phòng HĐND và UBND");
    assert_eq!((b["points"].as_str(), b["rank"].as_str()), ("2", "1"));
}

#[test]
fn a_bad_plan_is_refused_naming_line_column_and_value() {
    let d = Dir::new();
    d.write(
        "plan.csv",
        "task_id,content,lead,deadline,completed_on\n\
         1,Một,Phòng Kinh tế,Quý V/2026,\n\
         2,Hai,,Năm 2026,\n\
         2,Ba,Phòng Kinh tế,Năm 2026,\n\
         4,Bốn,Phòng Kinh tế,Năm 2026,31/13/2026\n",
    );
    let run = d.run_vi(&["tasks", "--plan", "plan.csv", "--out", "out"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    run.says(&[
        "plan.csv:2",
        "Quý V/2026",
        "bad_deadline",
        "plan.csv:3",
        "(lead)",
        "plan.csv:4",
        "duplicate_task",
        "dòng 3",
        "plan.csv:5",
        "31/13/2026",
        "bad_date",
        "gợi ý:",
    ]);
    assert!(!d.path().join("out").exists());
    // A missing required column refuses the file, naming the headers it is read from.
    d.write("p2.csv", "task_id,content,deadline\n1,Một,Năm 2026\n");
    let run = d.run(&["tasks", "--plan", "p2.csv"]);
    assert_eq!(run.code, 1);
    run.says(&["p2.csv:1", "lead", "cơ quan chủ trì"]);
}

/// A PAR methodology with one assessed criterion and one taken from the plan.
const PAR: &str = r#"
id = "p"
title_vi = "p"
title_en = "p"
basis = "test"
decimals = 2
ci_level = 0.95
simulations = 100
seed = 1
bands = [{ code = "A", min = 50, vi = "A", en = "A" }, { code = "B", vi = "B", en = "B" }]

[[areas]]
code = "1"
vi = "Kế hoạch"
en = "Plan"
max = 5
criteria = [
  { code = "A", max = 1, source = "assessment", vi = "a", en = "a" },
  { code = "P", max = 4, source = "plan", vi = "p", en = "p", from = { plan = "plan-commune" } },
]
"#;

#[test]
fn the_cchc_criterion_takes_the_plan_by_the_steps_rule() {
    let d = Dir::new();
    d.ingest_ok(
        &root("tests/fixtures/design/fixture.toml"),
        "2026",
        std::path::Path::new(&root("tests/fixtures/design/batch.csv")),
    );
    d.write("plan.csv", PLAN);
    d.write("par.toml", PAR);
    d.write("a.csv", "unit_id,criterion,self_score\nXuân Dương,A,1\n");
    let par = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "par",
            "--store",
            "store",
            "--year",
            "2026",
            "--assessment",
            "a.csv",
            "--method",
            "par.toml",
            "--out",
            out,
        ];
        args.extend_from_slice(extra);
        let run = d.run(&args);
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        let pts = csv_rows(
            &std::fs::read_to_string(d.path().join(out).join("par_points.csv")).expect("csv"),
        );
        pts.into_iter().find(|r| r["criterion"] == "P").expect("P")
    };
    // The shipped plan-commune's steps: > 90 % done on time → 2, ≥ 70 % → 1, else 0 (of 2).
    // On 30/06/2026 the plan above has 5 tasks due, 2 of them done on time: 40 % → 0 points.
    let p = par(
        "o1",
        &["--plan", "Xuân Dương=plan.csv", "--as-of", "30/06/2026"],
    );
    assert_eq!((p["points"].as_str(), p["source"].as_str()), ("0", "plan"));
    // A plan done on time: 100 % → 2 of 2 → the criterion's whole 4 points.
    d.write(
        "good.csv",
        "task_id,content,lead,deadline,completed_on\n1,Một,Phòng Kinh tế,Tháng 01/2026,20/01/2026\n2,Hai,Phòng Kinh tế,Năm 2026,\n",
    );
    let p = par(
        "o2",
        &["--plan", "Xuân Dương=good.csv", "--as-of", "30/06/2026"],
    );
    assert_eq!(p["points"], "4");
    // Nothing due yet on 10/01/2026 (the completion on 20/01 had not happened): the plan
    // cannot be scored, and says so.
    let p = par(
        "o3",
        &["--plan", "Xuân Dương=good.csv", "--as-of", "10/01/2026"],
    );
    assert_eq!((p["points"].as_str(), p["flag"].as_str()), ("", "no_data"));
    // Without the unit's plan the criterion is flagged; the assessment may not score it.
    let p = par("o4", &[]);
    assert_eq!((p["points"].as_str(), p["flag"].as_str()), ("", "no_plan"));
    d.write(
        "a2.csv",
        "unit_id,criterion,self_score\nXuân Dương,A,1\nXuân Dương,P,2\n",
    );
    let run = d.run(&[
        "par",
        "--store",
        "store",
        "--year",
        "2026",
        "--assessment",
        "a2.csv",
        "--method",
        "par.toml",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.says(&["a2.csv:3", "plan_criterion", "--plan"]);
}
