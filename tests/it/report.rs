//! Charts (every kind, PNG and SVG, titles in the SVG), `chiso demo` and its report.html (every
//! table and chart, nothing external, input text escaped, deterministic), and report.html in
//! headless Chromium.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::Dir;
use crate::util::csv_rows;
use chiso::compare::Direction;
use chiso::lang::Lang;
use chiso::render::charts::{self, Bar, Chart, Frame};

fn frame(title: &str, lang: Lang) -> Frame {
    Frame {
        title: title.to_string(),
        subtitle: "Năm 2026. Phụ đề có dấu: ắ ằ ẳ ẵ ặ ố ồ ổ ỗ ộ ứ ừ ử ữ ự.".into(),
        footnote: "Nguồn: phiếu khảo sát năm 2026; n = 600 người trả lời; khoảng tin cậy 95%."
            .into(),
        lang,
    }
}

fn bar(label: &str, e: f64, flagged: bool, band: Option<usize>) -> Bar {
    Bar {
        label: label.into(),
        estimate: e,
        lo: e - 4.0,
        hi: e + 3.5,
        flagged,
        band: band.map(|b| (["A", "B", "C", "D"][b].to_string(), b)),
    }
}

/// One chart of every kind, with Vietnamese titles.
fn every_kind(lang: Lang) -> Vec<(&'static str, Chart)> {
    let bands = vec![
        (Some(90.0), "A Xuất sắc ≥ 90".to_string()),
        (Some(80.0), "B Tốt ≥ 80".to_string()),
        (Some(70.0), "C Khá ≥ 70".to_string()),
        (None, "D Trung bình".to_string()),
    ];
    vec![
        (
            "scores",
            Chart::Scores {
                frame: frame("Tỷ lệ hài lòng theo yếu tố — Xuân Dương", lang),
                axis: "Tỷ lệ hài lòng (%)".into(),
                bars: vec![
                    bar("Chỉ số chung", 81.2, false, None),
                    bar("TC. Tiếp cận dịch vụ", 84.0, false, None),
                    bar(
                        "GY. Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị",
                        62.5,
                        true,
                        None,
                    ),
                ],
            },
        ),
        (
            "distribution",
            Chart::Distribution {
                frame: frame("Thủ tục hành chính — phân bố câu trả lời", lang),
                legend: [
                    "1 Rất không hài lòng",
                    "2 Không hài lòng",
                    "3 Bình thường",
                    "4 Hài lòng",
                    "5 Rất hài lòng",
                ]
                .map(String::from),
                items: vec![
                    (
                        "TT1. Thủ tục được niêm yết công khai".into(),
                        [3.0, 7.0, 20.0, 45.0, 25.0],
                    ),
                    (
                        "TT2. Thành phần hồ sơ đúng quy định".into(),
                        [1.0, 4.0, 15.0, 50.0, 30.0],
                    ),
                ],
            },
        ),
        (
            "ranked",
            Chart::Ranked {
                frame: frame("Xếp hạng các đơn vị theo chỉ số chung", lang),
                axis: "Chỉ số (%)".into(),
                bands,
                units: vec![
                    bar("Na Rì", 91.0, false, Some(0)),
                    bar("Côn Minh", 83.0, false, Some(1)),
                    bar("Quang Phong", 68.0, true, Some(3)),
                ],
                decimals: 1,
            },
        ),
        (
            "dumbbell",
            Chart::Dumbbell {
                frame: frame("Thay đổi 2025–2026 — Côn Minh", lang),
                axis: "Tỷ lệ hài lòng (%)".into(),
                years: (2025, 2026),
                rows: vec![
                    ("Chỉ số chung".into(), 70.0, 80.0, Some(Direction::Up)),
                    (
                        "TT. Thủ tục hành chính".into(),
                        75.0,
                        73.0,
                        Some(Direction::NoChange),
                    ),
                    ("KQ. Kết quả".into(), 82.0, 71.0, Some(Direction::Down)),
                ],
            },
        ),
        (
            "points",
            Chart::Points {
                frame: frame("Điểm chỉ số CCHC theo lĩnh vực — Văn Lang", lang),
                areas: vec![
                    ("1. Công tác chỉ đạo, điều hành".into(), 8.5, 10.0),
                    ("3. Cải cách thủ tục hành chính".into(), 10.25, 14.5),
                ],
            },
        ),
        (
            "rank-intervals",
            Chart::RankIntervals {
                frame: frame("Thứ hạng CCHC và khoảng tin cậy của thứ hạng", lang),
                units: vec![
                    ("Na Rì".into(), 1, 1, 2, "88,84%  B".into(), 1),
                    ("Côn Minh".into(), 2, 1, 3, "86,10%  B".into(), 1),
                    ("Xuân Dương".into(), 3, 2, 3, "78,00%  C".into(), 2),
                ],
            },
        ),
        (
            "trend",
            Chart::Trend {
                frame: frame("Xu hướng chỉ số chung 2024–2026", lang),
                axis: "Tỷ lệ hài lòng (%)".into(),
                ticks: (2024..=2026).map(|y| (y, y.to_string())).collect(),
                series: vec![
                    (
                        "Quang Phong".into(),
                        vec![
                            (2024, 70.0, 66.0, 74.0),
                            (2025, 72.0, 68.0, 76.0),
                            (2026, 69.0, 65.0, 73.0),
                        ],
                    ),
                    (
                        "Toàn bộ các đơn vị".into(),
                        vec![
                            (2024, 75.0, 73.0, 77.0),
                            (2025, 76.0, 74.0, 78.0),
                            (2026, 78.0, 76.0, 80.0),
                        ],
                    ),
                ],
            },
        ),
    ]
}

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (be(16), be(20))
}

#[test]
fn every_chart_kind_is_a_valid_png_and_svg_carrying_its_vietnamese_title() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    for (name, chart) in every_kind(Lang::Vi) {
        let (png, svg, text) = charts::save(&chart, tmp.path(), name).expect("a chart");
        let bytes = std::fs::read(&png).expect("the PNG");
        assert_eq!(png_size(&bytes), charts::SIZE, "{name}");
        // Not blank: a white 1600×1000 image compresses to a few kB.
        assert!(
            bytes.len() > 20_000,
            "{name}.png is nearly empty ({} bytes)",
            bytes.len()
        );
        let on_disk = std::fs::read_to_string(&svg).expect("the SVG");
        assert_eq!(on_disk, text);
        assert!(
            text.trim_start().starts_with("<svg") && text.trim_end().ends_with("</svg>"),
            "{name}.svg"
        );
        // The title is in the SVG as text (possibly on two lines: check each word).
        for word in chart.title().split_whitespace() {
            assert!(
                text.contains(word),
                "{name}.svg lacks {word:?} of its title"
            );
        }
        assert!(
            text.contains("Phụ đề có dấu: ắ ằ ẳ ẵ ặ ố ồ ổ ỗ ộ ứ ừ ử ữ ự"),
            "{name}: diacritics"
        );
        assert!(
            text.contains("font-family=\"DejaVu Sans"),
            "{name}: the embedded font's family"
        );
    }
}

#[test]
fn charts_are_deterministic_and_speak_english_on_request() {
    let a = tempfile::tempdir().expect("a temporary directory");
    let b = tempfile::tempdir().expect("a temporary directory");
    for (name, chart) in every_kind(Lang::En) {
        let (pa, _, sa) = charts::save(&chart, a.path(), name).expect("a chart");
        let (pb, _, sb) = charts::save(&chart, b.path(), name).expect("a chart");
        assert_eq!(sa, sb, "{name}.svg differs between runs");
        assert_eq!(
            std::fs::read(pa).ok(),
            std::fs::read(pb).ok(),
            "{name}.png differs between runs"
        );
    }
    // English number format and axis words.
    let (_, _, svg) = charts::save(&every_kind(Lang::En)[2].1, a.path(), "en").expect("a chart");
    assert!(svg.contains("91.0") && !svg.contains("91,0"));
}

fn demo(dir: &Path) -> String {
    let out = dir.display().to_string();
    let run = crate::util::chiso()
        .args(["demo", "--out", &out])
        .output()
        .expect("run chiso demo");
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    stdout
}

fn charts_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the charts folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "svg"))
        .collect();
    v.sort();
    v
}

#[test]
fn the_demo_writes_a_self_contained_report_with_every_table_and_chart() {
    let d = Dir::new();
    let out = d.path().join("demo");
    let said = demo(&out);
    let report = out.join("report/report.html");
    assert!(
        said.contains(&report.display().to_string()),
        "the demo says where the report is:\n{said}"
    );
    let html = std::fs::read_to_string(&report).expect("report.html");
    // Every chart is in the directory as PNG and SVG; the report shows those for all units
    // together (each unit's are files, listed in the appendix).
    let svgs = charts_in(&out.join("report/charts"));
    assert!(svgs.len() >= 7 * 4, "{} charts", svgs.len());
    for svg in &svgs {
        assert!(
            svg.with_extension("png").is_file(),
            "{} has no PNG",
            svg.display()
        );
    }
    let shown: Vec<&str> = html
        .split("<figure id=\"chart-")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    assert_eq!(shown.len(), html.matches("<svg").count());
    for name in &shown {
        assert!(
            out.join(format!("report/charts/{name}.svg")).is_file(),
            "chart {name} is in the report but not in charts/"
        );
    }
    for s in [
        "sipas",
        "health-outpatient",
        "health-inpatient",
        "education",
    ] {
        for kind in ["ranked", "scores-all", "change-all", "trend"] {
            assert!(
                shown.contains(&format!("{s}-{kind}").as_str()),
                "no {s}-{kind} chart"
            );
        }
    }
    for kind in ["par-ranked", "par-rank-intervals"] {
        assert!(shown.contains(&kind), "no {kind} chart");
    }
    assert!(
        html.replace("&#x2f;", "/").contains("charts/: 95 biểu đồ"),
        "the appendix says how many charts are in charts/"
    );
    // The QĐ 766 index from the demo's records: ranked, groups, months up to the export (30/11).
    assert!(html.contains("Chỉ số phục vụ người dân, doanh nghiệp (QĐ 766) năm 2026"));
    for kind in ["qd766-ranked", "qd766-on-time", "qd766-online"] {
        assert!(shown.contains(&kind), "no {kind} chart");
    }
    assert_eq!(html.matches("id=\"table-qd766-").count(), 1);
    assert!(html.contains("Năm 2026: 20.000 hồ sơ của 5 đơn vị."));
    let totals = std::fs::read_to_string(out.join("report/tables/qd766/qd766_totals.csv"))
        .expect("the QĐ 766 totals beside the report");
    assert!(totals.contains("2026,2026-11,") && !totals.contains("2026,2026-12,"));
    let online = std::fs::read_to_string(out.join("report/charts/qd766-online.svg"))
        .expect("the online chart");
    assert!(
        online.contains("T11") && !online.contains("T12"),
        "months after the export are left out"
    );
    // The plans: a section with each commune's tasks on a timeline, its agencies ranked.
    assert!(html.contains("Thực hiện Kế hoạch CCHC năm 2026"));
    // The stored record exports are not surveys: nothing is listed as left out.
    assert!(
        !html.contains("Không đưa vào báo cáo"),
        "something left out of the report"
    );
    for c in chiso::demo::COMMUNES {
        assert!(html.contains(&format!(
            "{}: nhiệm vụ trọng tâm của Kế hoạch CCHC năm 2026",
            c.name
        )));
    }
    assert_eq!(html.matches("id=\"table-plan-").count(), 5);
    assert!(
        out.join("report/tables/plan-xuan-duong/tasks_agencies.csv")
            .is_file()
    );
    // Every table: per survey its units (wide), items and changes; the CCHC totals, areas,
    // changes; the summary's.
    for s in [
        "sipas",
        "health-outpatient",
        "health-inpatient",
        "education",
    ] {
        for t in ["units", "items", "changes"] {
            assert!(
                html.contains(&format!("id=\"table-{s}-{t}\"")),
                "no {t} table for {s}"
            );
        }
        assert!(out.join(format!("report/tables/{s}/scores.csv")).is_file());
        assert!(out.join(format!("report/tables/{s}/compare.csv")).is_file());
    }
    for t in [
        "par-totals",
        "par-areas",
        "par-changes",
        "summary-surveys",
        "summary-par",
    ] {
        assert!(html.contains(&format!("id=\"table-{t}\"")), "no {t} table");
    }
    // The wide table: elements across by name, each figure with its interval and n.
    assert!(html.contains("<th>Tiếp cận dịch vụ</th>") && html.contains("<th>n</th>"));
    assert!(html.contains("Dòng dưới mỗi số: khoảng tin cậy 95%"));
    // The summary in sentences, from the figures in scores.csv.
    let scores = std::fs::read_to_string(out.join("report/tables/sipas/scores.csv")).expect("csv");
    let all = crate::util::csv_rows(&scores)
        .into_iter()
        .find(|r| {
            r["unit_id"] == "ALL" && r["code"] == "overall" && r["measure"] == "satisfied_pct"
        })
        .expect("the overall index");
    let one =
        |k: &str| format!("{:.1}", all[k].parse::<f64>().expect("a number")).replace('.', ",");
    let sentence = format!(
        "Hài lòng về sự phục vụ hành chính (SIPAS): {}% người trả lời hài lòng (khoảng tin cậy 95%: {}–{}%; {} phiếu)",
        one("estimate"),
        one("ci_low"),
        one("ci_high"),
        all["n"]
    );
    assert!(html.contains(&sentence), "no summary sentence {sentence:?}");
    // Vietnamese throughout: no English left in the Vietnamese text.
    for english in [
        "(modelled)",
        "areas of",
        "criteria modelled",
        "Flag",
        "Unit",
    ] {
        assert!(!html.contains(english), "report.html says {english:?}");
    }
    // Nothing external: no links, scripts, images or fonts from elsewhere.
    for bad in [
        "http://", "https://", "<link", "<script", "<img", "<iframe", "@import", "src=\"",
    ] {
        assert!(!html.contains(bad), "report.html contains {bad:?}");
    }
    assert_eq!(
        html.matches("url(").count(),
        html.matches("url(data:").count()
    );
    // SIPAS shows its two parts beside the overall index, and CCHC criterion 8.1 takes the
    // service-delivery part: points = 5.5 × the part's share satisfied / 100, se likewise.
    assert!(html.contains("Phần cung ứng dịch vụ hành chính công"));
    assert!(html.contains("Phần thực hiện chính sách"));
    let scores =
        csv_rows(&std::fs::read_to_string(out.join("scores/sipas/scores.csv")).expect("csv"));
    let points =
        csv_rows(&std::fs::read_to_string(out.join("par/2026/par_points.csv")).expect("csv"));
    let mut units = 0;
    for p in points.iter().filter(|p| p["criterion"] == "8.1") {
        let part = scores
            .iter()
            .find(|s| {
                s["unit_id"] == p["unit_id"]
                    && s["level"] == "part"
                    && s["code"] == "service"
                    && s["measure"] == "satisfied_pct"
            })
            .expect("the unit's service part");
        let f = |r: &crate::util::Row, k: &str| r[k].parse::<f64>().expect("a number");
        assert!((f(p, "points") - 5.5 * f(part, "estimate") / 100.0).abs() < 1e-9);
        assert!((f(p, "se") - 5.5 * f(part, "se") / 100.0).abs() < 1e-9);
        units += 1;
    }
    assert_eq!(units, 5);
    // Same inputs, same report.
    let again = d.path().join("again");
    demo(&again);
    assert_eq!(
        std::fs::read(&report).ok(),
        std::fs::read(again.join("report/report.html")).ok(),
        "report.html differs between runs"
    );
}

#[test]
fn text_from_input_files_is_escaped_in_the_report() {
    let d = Dir::new();
    let inst = chiso::instrument::load("sipas").expect("sipas");
    let batch =
        chiso::demo::survey_batch(&inst, 2026, 30, 9).replace("Văn Lang", "Xã <b>Mới</b> & \"Cũ\"");
    let file = d.write("batch.csv", batch);
    let store = d.store().display().to_string();
    d.ingest_ok("sipas", "2026", &file);
    let r = d.run(&[
        "report", "--store", &store, "--year", "2026", "--out", "rep",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let html = std::fs::read_to_string(d.path().join("rep/report.html")).expect("report.html");
    assert!(
        !html.contains("<b>Mới</b>"),
        "unescaped input in report.html"
    );
    assert!(html.contains("Xã &lt;b&gt;Mới&lt;/b&gt; &amp; &quot;Cũ&quot;"));
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(browser) = crate::print::chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "Chromium is required in CI (.ci/run installs Debian's `chromium`)"
        );
        eprintln!(
            "SKIPPED report_renders_in_headless_chromium: Chromium is not installed (apt-get install chromium); CI runs it."
        );
        return;
    };
    let d = Dir::new();
    let out = d.path().join("demo");
    demo(&out);
    let report = out.join("report/report.html");
    let url = format!("file://{}", report.display());
    let base = crate::print::headless(&d.path().join("profile"));
    let dom = Command::new(&browser)
        .args(&base)
        .args(["--virtual-time-budget=5000", "--dump-dom", &url])
        .output()
        .expect("run chromium");
    assert!(
        dom.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("Báo cáo chỉ số hài lòng và chỉ số cải cách hành chính năm 2026"),
        "the rendered DOM lacks the title"
    );
    let figures = std::fs::read_to_string(&report)
        .expect("report")
        .matches("<figure")
        .count();
    assert_eq!(
        dom.matches("<svg").count(),
        figures,
        "every inline chart is in the rendered DOM"
    );
    // A screenshot and a PDF print: the page lays out and prints.
    let shot = d.path().join("shot.png");
    let pdf = d.path().join("report.pdf");
    for arg in [
        format!("--screenshot={}", shot.display()),
        format!("--print-to-pdf={}", pdf.display()),
    ] {
        let r = Command::new(&browser)
            .args(&base)
            .args(["--window-size=1280,2000", &arg, &url])
            .output()
            .expect("run chromium");
        assert!(
            r.status.success(),
            "chromium {arg}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
    }
    let png = std::fs::read(&shot).expect("the screenshot");
    assert_eq!(png_size(&png), (1280, 2000));
    let pdf = std::fs::read(&pdf).expect("the PDF");
    assert!(
        pdf.starts_with(b"%PDF") && pdf.len() > 100_000,
        "the printed PDF is {} bytes",
        pdf.len()
    );
}
