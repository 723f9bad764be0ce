//! `sample_size.csv` and `sample_size.xlsx`: per unit, the forms needed by each rule.

use std::path::Path;

use rust_xlsxwriter::Format;

use crate::lang::Lang;
use crate::sample_size::{DeffFrom, Expected, Need, Target};

const COLUMNS: &[&str] = &[
    "unit_id",
    "population",
    "margin_pts",
    "ci_level",
    "expected_pct",
    "expected_from",
    "slovin_n",
    "srs_n",
    "deff",
    "deff_from",
    "design_n",
];

fn headers(lang: Lang) -> Vec<String> {
    let v: &[&str] = match lang {
        Lang::Vi => &[
            "Đơn vị",
            "Dân số (N)",
            "Sai số cho phép (± điểm %)",
            "Độ tin cậy",
            "Tỷ lệ dự kiến (%)",
            "Nguồn tỷ lệ dự kiến",
            "Cỡ mẫu Slovin",
            "Cỡ mẫu ngẫu nhiên đơn giản (có hiệu chỉnh tổng thể hữu hạn)",
            "Hiệu ứng thiết kế năm trước",
            "Nguồn hiệu ứng thiết kế",
            "Cỡ mẫu theo hiệu ứng thiết kế",
        ],
        Lang::En => &[
            "Unit",
            "Population (N)",
            "Margin of error (± points)",
            "Confidence level",
            "Expected share (%)",
            "Expected share from",
            "Slovin's n",
            "Simple random sampling n (finite-population corrected)",
            "Last year's design effect",
            "Design effect from",
            "n with the design effect",
        ],
    };
    v.iter().map(|s| s.to_string()).collect()
}

fn expected_word(e: Expected, lang: Lang) -> &'static str {
    match (e, lang) {
        (Expected::Given, Lang::Vi) => "giá trị đặt (mặc định 50%)",
        (Expected::LastYear, Lang::Vi) => "chỉ số chung năm trước",
        (Expected::Given, Lang::En) => "given (default 50%)",
        (Expected::LastYear, Lang::En) => "last year's overall index",
    }
}

fn deff_word(d: DeffFrom, lang: Lang) -> &'static str {
    match (d, lang) {
        (DeffFrom::Overall, Lang::Vi) => "chỉ số chung năm trước",
        (DeffFrom::ItemMean, Lang::Vi) => "trung bình các câu hỏi năm trước",
        (DeffFrom::None, Lang::Vi) => "không có",
        (DeffFrom::Overall, Lang::En) => "last year's overall index",
        (DeffFrom::ItemMean, Lang::En) => "mean over last year's items",
        (DeffFrom::None, Lang::En) => "none",
    }
}

/// Writes `sample_size.csv` (machine names, full precision) and `sample_size.xlsx` (headers
/// in `lang`, ready to print) in `dir`.
pub fn write_all(dir: &Path, needs: &[Need], target: Target, lang: Lang) -> anyhow::Result<()> {
    let mut w = super::csv_writer();
    w.write_record(COLUMNS)?;
    for n in needs {
        w.write_record([
            n.unit_id.clone(),
            super::num(n.population),
            super::num(target.margin_pts),
            super::num(target.level),
            super::num(n.expected_pct),
            n.expected_from.name().to_string(),
            n.slovin_n.to_string(),
            n.srs_n.to_string(),
            super::opt(n.deff),
            n.deff_from.name().to_string(),
            n.design_n.map(|x| x.to_string()).unwrap_or_default(),
        ])?;
    }
    super::save_csv(&dir.join("sample_size.csv"), w)?;

    let mut wb = super::scores::new_workbook()?;
    let sheet = wb.add_worksheet();
    sheet.set_name(lang.pick("Cỡ mẫu", "Sample size"))?;
    let bold = super::header_format();
    let one = Format::new().set_num_format("0.0");
    let two = Format::new().set_num_format("0.00");
    for (c, h) in headers(lang).iter().enumerate() {
        sheet.write_with_format(0, c as u16, h, &bold)?;
    }
    for (r, n) in needs.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write(r, 0, n.unit_id.as_str())?;
        sheet.write(r, 1, n.population)?;
        sheet.write_with_format(r, 2, target.margin_pts, &one)?;
        sheet.write(r, 3, format!("{}%", (target.level * 100.0).round()))?;
        sheet.write_with_format(r, 4, n.expected_pct, &one)?;
        sheet.write(r, 5, expected_word(n.expected_from, lang))?;
        sheet.write(r, 6, n.slovin_n as f64)?;
        sheet.write(r, 7, n.srs_n as f64)?;
        if let Some(d) = n.deff {
            sheet.write_with_format(r, 8, d, &two)?;
        }
        sheet.write(r, 9, deff_word(n.deff_from, lang))?;
        if let Some(x) = n.design_n {
            sheet.write(r, 10, x as f64)?;
        }
    }
    sheet.set_freeze_panes(1, 1)?;
    super::print_ready(sheet, true, 1, 160, lang)?;
    super::save_workbook(&dir.join("sample_size.xlsx"), &mut wb)
}
