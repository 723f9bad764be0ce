//! What a commune hands to its People's Committee: the report printed to A4 (a page count with
//! a limit), no `NaN` and no percentage outside 0–100 on a small, awkward batch, and
//! workbooks ready to print (page setup, widths, the summary sheet) read back from the files.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;
use std::process::Command;

use crate::util::{Dir, csv_rows};

/// Chromium, if installed: `chromium` (Debian) or `chromium-browser`.
pub fn chromium() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find_map(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|_| c.to_string())
        })
}

/// The flags a headless Chromium needs here (no sandbox as root, no network, a fresh profile).
pub fn headless(profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--allow-file-access-from-files",
    ]
    .map(String::from)
    .into_iter()
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

/// Pages of a PDF: its page objects (`/Type /Page`, not `/Type /Pages`).
pub fn pdf_pages(pdf: &[u8]) -> usize {
    let needle = b"/Type /Page";
    pdf.windows(needle.len() + 1)
        .filter(|w| &w[..needle.len()] == needle && w[needle.len()] != b's')
        .count()
}

fn demo(out: &Path) {
    let run = crate::util::chiso()
        .args(["demo", "--out", &out.display().to_string()])
        .output()
        .expect("run chiso demo");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn the_demo_report_prints_on_at_most_32_a4_pages_and_opens_with_the_summary() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "Chromium is required in CI (.ci/run installs Debian's `chromium`)"
        );
        eprintln!("SKIPPED: Chromium is not installed (apt-get install chromium); CI runs it.");
        return;
    };
    let d = Dir::new();
    let out = d.path().join("demo");
    demo(&out);
    let html = out.join("report/report.html");
    let pdf = d.path().join("report.pdf");
    let r = Command::new(&browser)
        .args(headless(&d.path().join("profile")))
        .args([
            "--no-pdf-header-footer".to_string(),
            format!("--print-to-pdf={}", pdf.display()),
            format!("file://{}", html.display()),
        ])
        .output()
        .expect("run chromium");
    assert!(
        r.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    let bytes = std::fs::read(&pdf).expect("the PDF");
    let pages = pdf_pages(&bytes);
    // The demo has no procedure records or plan tasks (each may add 4 pages when they come).
    assert!(
        (8..=32).contains(&pages),
        "the demo's report prints on {pages} A4 pages; at most 32"
    );
    // A4 portrait is 595 × 842 points.
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("/MediaBox [0 0 595") || text.contains("/MediaBox [0 0 594"),
        "pages are not A4"
    );
    // In reading order: the cover with the contents, the summary, the surveys, the CCHC index,
    // the appendix.
    let page = std::fs::read_to_string(&html).expect("report.html");
    let at = |s: &str| page.find(s).unwrap_or_else(|| panic!("no {s:?}"));
    assert!(at("class=\"contents\"") < at("<section id=\"summary\""));
    assert!(at("<section id=\"summary\"") < at("<section id=\"survey-sipas\""));
    assert!(at("<section id=\"survey-education\"") < at("<section id=\"par\""));
    assert!(at("<section id=\"par\"") < at("<section id=\"notes\""));
    // Page numbers and the running head, in print.
    assert!(page.contains("counter(page)") && page.contains("counter(pages)"));
    assert!(page.contains("@top-left { content: \"Các xã khu vực Na Rì"));
}

/// The sipas sample with a tiny unit (4 respondents in 2 villages, nearly all satisfied) and
/// the optional policy part (elements CS1–CS4) left blank by everyone.
fn awkward_batch() -> String {
    let inst = chiso::instrument::load("sipas").expect("sipas");
    let batch = chiso::demo::survey_batch(&inst, 2026, 40, 5);
    let policy: Vec<String> = inst
        .questions
        .iter()
        .filter(|q| q.element.as_deref().is_some_and(|e| e.starts_with("CS")))
        .map(|q| q.header.clone())
        .collect();
    assert!(policy.len() >= 20, "the policy items: {policy:?}");
    let scored: Vec<String> = inst.scored_items().map(|q| q.header.clone()).collect();
    let mut r = csv::Reader::from_reader(batch.as_bytes());
    let headers = r.headers().expect("a header").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let (unit, stratum, psu) = (col("unit_id"), col("stratum"), col("psu"));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).expect("header");
    let mut tiny = 0;
    for rec in r.records() {
        let mut row: Vec<String> = rec.expect("a row").iter().map(String::from).collect();
        for p in &policy {
            row[col(p)] = String::new();
        }
        if tiny < 4 && row[unit] == "Xuân Dương" {
            row[unit] = "Xã Nhỏ".into();
            row[stratum] = "Xã Nhỏ".into();
            row[psu] = format!("Nhỏ-{}", tiny % 2);
            for s in &scored {
                if !policy.contains(s) {
                    row[col(s)] = "5".into();
                }
            }
            // One answer short of everyone satisfied: the share is near 100 with an error.
            if tiny == 0 {
                row[col(&scored[0])] = "2".into();
            }
            tiny += 1;
        }
        w.write_record(&row).expect("a row");
    }
    String::from_utf8(w.into_inner().expect("csv")).expect("utf-8")
}

#[test]
fn no_nan_and_no_percent_outside_0_100_with_an_empty_element_and_a_tiny_unit() {
    let d = Dir::new();
    let file = d.write("awkward.csv", awkward_batch());
    let store = d.store().display().to_string();
    d.ingest_ok("sipas", "2026", &file);
    for args in [
        vec!["score", "--survey", "sipas", "--year", "2026", "--out", "s"],
        vec!["report", "--year", "2026", "--out", "rep"],
    ] {
        let mut a = vec![args[0], "--store", &store];
        a.extend(&args[1..]);
        let r = d.run_vi(&a);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let scores = std::fs::read_to_string(d.path().join("s/scores.csv")).expect("scores.csv");
    assert!(!scores.to_lowercase().contains("nan") && !scores.contains("inf"));
    let rows = csv_rows(&scores);
    let mut clamped = 0;
    for row in rows.iter().filter(|r| r["measure"].ends_with("_pct")) {
        for k in ["estimate", "ci_low", "ci_high"] {
            if let Ok(x) = row[k].parse::<f64>() {
                assert!((0.0..=100.0).contains(&x), "{k} = {x} in {row:?}");
            }
        }
        if row["unit_id"] == "Xã Nhỏ" && row["ci_high"] == "100" && row["se"] != "0" {
            clamped += 1;
        }
    }
    // The tiny unit's Wald intervals (t on 1 degree of freedom) cross 100 before the clamp.
    assert!(clamped > 0, "no interval of the tiny unit reached 100");
    // The empty elements are flagged in the table, never a 0.
    let cs1 = rows
        .iter()
        .find(|r| r["unit_id"] == "ALL" && r["code"] == "CS1" && r["measure"] == "satisfied_pct")
        .expect("CS1 for ALL");
    assert_eq!(cs1["estimate"], "");
    assert!(cs1["flag"].starts_with("no_data"), "{cs1:?}");
    let html = std::fs::read_to_string(d.path().join("rep/report.html")).expect("report.html");
    let body = &html[html.find("<body>").expect("body")..];
    for bad in ["NaN", "inf", "không có dữ liệu</td>"] {
        assert!(!body.contains(bad), "report.html shows {bad:?}");
    }
    // Every percentage interval in the report lies within 0–100.
    for part in body.split("<small>").skip(1) {
        let text = &part[..part.find("</small>").unwrap_or(0)];
        for x in text.split('–') {
            if let Ok(v) = x.trim().replace(',', ".").parse::<f64>() {
                assert!((0.0..=100.0).contains(&v), "interval {text}");
            }
        }
    }
    // The empty optional elements are left out, with one line saying so.
    assert!(
        body.contains("Không có câu trả lời năm 2026 cho 4 yếu tố không bắt buộc"),
        "no line about the empty elements"
    );
    let table = &body[body
        .find("id=\"table-sipas-units\"")
        .expect("the wide table")..];
    let table = &table[..table.find("</table>").expect("its end")];
    assert!(!table.contains("Cung cấp thông tin chính sách"));
    assert!(table.contains("Xã Nhỏ") && table.contains("Toàn bộ các đơn vị"));
    // The tiny unit's overall index is flagged (too few answers) and marked.
    assert!(body.contains("Chưa đủ phiếu để công bố chỉ số của: Xã Nhỏ"));
}

/// The parts of an .xlsx file, by name.
pub fn xlsx_parts(path: &Path) -> BTreeMap<String, String> {
    let f = std::fs::File::open(path).expect("the workbook");
    let mut z = zip::ZipArchive::new(f).expect("a zip");
    let mut parts = BTreeMap::new();
    for i in 0..z.len() {
        let mut e = z.by_index(i).expect("a part");
        let name = e.name().expect("a part's name").to_string();
        let mut s = String::new();
        if name.ends_with(".xml") || name.ends_with(".rels") {
            e.read_to_string(&mut s).expect("xml");
            parts.insert(name, s);
        }
    }
    parts
}

/// Each sheet's name and XML, in order.
fn sheets(parts: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let wb = &parts["xl/workbook.xml"];
    wb.split("<sheet ")
        .skip(1)
        .enumerate()
        .map(|(i, s)| {
            let name = s
                .split("name=\"")
                .nth(1)
                .and_then(|x| x.split('"').next())
                .expect("a name");
            (
                name.to_string(),
                parts[&format!("xl/worksheets/sheet{}.xml", i + 1)].clone(),
            )
        })
        .collect()
}

#[test]
fn workbooks_are_ready_to_print_with_a_wide_summary_sheet() {
    use calamine::Reader as _;
    let d = Dir::new();
    let out = d.path().join("demo");
    demo(&out);
    for (file, first) in [
        ("scores/sipas/scores.xlsx", "Tổng hợp"),
        ("compare/sipas/compare.xlsx", "So sánh"),
        ("par/2026/par.xlsx", "Tổng hợp"),
        ("compare/par/compare.xlsx", "Chỉ số CCHC"),
    ] {
        let parts = xlsx_parts(&out.join(file));
        let sheets = sheets(&parts);
        assert_eq!(sheets[0].0, first, "{file}");
        for (name, xml) in &sheets {
            // A4, fit to one page wide, with page numbers in the footer.
            assert!(xml.contains("paperSize=\"9\""), "{file} {name}: not A4");
            assert!(
                xml.contains("<pageSetUpPr fitToPage=\"1\"/>") && xml.contains("fitToHeight=\"0\""),
                "{file} {name}: not fit to width"
            );
            assert!(
                xml.contains("<oddFooter>"),
                "{file} {name}: no page numbers"
            );
            // Column widths set for every column that holds text.
            assert!(xml.contains("<cols>"), "{file} {name}: no column widths");
        }
        // The header rows repeat on every printed page.
        assert!(
            parts["xl/workbook.xml"].contains("_xlnm.Print_Titles"),
            "{file}: no repeated header rows"
        );
    }
    // scores.xlsx: its summary sheet is wide (units down, elements across) and landscape.
    let path = out.join("scores/sipas/scores.xlsx");
    let parts = xlsx_parts(&path);
    let wide = &sheets(&parts)[0].1;
    assert!(wide.contains("orientation=\"landscape\""));
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&path).expect("open scores.xlsx");
    let range = wb.worksheet_range("Tổng hợp").expect("the summary sheet");
    let cell = |r: u32, c: u32| range.get_value((r, c)).map(|v| v.to_string());
    assert_eq!(cell(1, 0).as_deref(), Some("Đơn vị"));
    assert_eq!(cell(1, 2).as_deref(), Some("Chỉ số chung"));
    // The SIPAS parts (the methodology's nodes) come between the overall and the elements.
    assert_eq!(
        cell(1, 4).as_deref(),
        Some("Phần cung ứng dịch vụ hành chính công")
    );
    assert_eq!(cell(1, 6).as_deref(), Some("Phần thực hiện chính sách"));
    assert_eq!(cell(1, 8).as_deref(), Some("Tiếp cận dịch vụ"));
    assert_eq!(cell(2, 0).as_deref(), Some("Toàn bộ các đơn vị"));
    // The summary's figure is scores.csv's, and its interval is written low–high.
    let csv = std::fs::read_to_string(out.join("scores/sipas/scores.csv")).expect("scores.csv");
    let all = csv_rows(&csv)
        .into_iter()
        .find(|r| {
            r["unit_id"] == "ALL" && r["code"] == "overall" && r["measure"] == "satisfied_pct"
        })
        .expect("the overall index");
    let v: f64 = all["estimate"].parse().expect("a number");
    assert_eq!(range.get_value((2, 2)), Some(&calamine::Data::Float(v)));
    let lo: f64 = all["ci_low"].parse().expect("a number");
    let hi: f64 = all["ci_high"].parse().expect("a number");
    assert_eq!(
        cell(2, 3),
        Some(format!("{:.1}–{:.1}", lo, hi).replace('.', ","))
    );
    // Six rows: all units, then the five communes.
    assert_eq!(cell(7, 0).as_deref().map(|s| !s.is_empty()), Some(true));
    // The unit column is wide enough for "Toàn bộ các đơn vị": 14 letters and 4 spaces, about
    // 110 pixels in Excel's default font, 15 character widths (the default column is 8.43).
    let first_col = wide
        .split("<col ")
        .nth(1)
        .and_then(|c| c.split("width=\"").nth(1))
        .and_then(|w| w.split('"').next())
        .and_then(|w| w.parse::<f64>().ok())
        .expect("the first column's width");
    assert!(first_col >= 15.0, "unit column {first_col} wide");
    // compare.xlsx: the item text beside each code, and ALL in words.
    let path = out.join("compare/sipas/compare.xlsx");
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&path).expect("open compare.xlsx");
    let range = wb.worksheet_range("So sánh").expect("the changes sheet");
    assert_eq!(
        range.get_value((0, 4)).map(|v| v.to_string()).as_deref(),
        Some("Nội dung")
    );
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert!(rows.iter().all(|r| r[1] != "ALL"), "ALL untranslated");
    assert!(
        rows.iter().any(|r| r[1] == "Toàn bộ các đơn vị"
            && r[3] == "TC1"
            && r[4].starts_with("Nơi tiếp nhận")),
        "no item text beside TC1"
    );
    // Intervals one way everywhere: an en dash, also for ranks.
    let par = std::fs::read_to_string(out.join("compare/par/compare_par.csv")).expect("csv");
    assert!(
        par.contains("–")
            && !par
                .lines()
                .skip(1)
                .any(|l| l.contains("-5,") || l.contains(",5-"))
    );
}
