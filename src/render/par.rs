//! `par_points.csv`, `par_totals.csv` and `par.xlsx`.

use std::path::Path;

use rust_xlsxwriter::Format;

use super::scores::new_workbook;
use super::{num, opt};
use crate::lang::Lang;
use crate::par::{ParMethod, ParResult, Source};

/// The columns of `par_points.csv`, in order: a contract (`flag` added last).
pub const POINTS_COLUMNS: [&str; 9] = [
    "year",
    "unit_id",
    "area",
    "criterion",
    "source",
    "max_points",
    "points",
    "se",
    "flag",
];

/// The columns of `par_totals.csv`, in order: a contract (`flag` added last).
pub const TOTALS_COLUMNS: [&str; 13] = [
    "year",
    "unit_id",
    "points",
    "max_points",
    "index_pct",
    "se",
    "ci_low",
    "ci_high",
    "band",
    "rank",
    "rank_low",
    "rank_high",
    "flag",
];

fn opt_usize(x: Option<usize>) -> String {
    x.map(|r| r.to_string()).unwrap_or_default()
}

pub fn write_csv(dir: &Path, year: i32, result: &ParResult) -> anyhow::Result<()> {
    let path = dir.join("par_points.csv");
    let mut w = super::csv_writer();
    w.write_record(POINTS_COLUMNS)?;
    for p in &result.points {
        w.write_record([
            year.to_string(),
            p.unit_id.clone(),
            p.area.clone(),
            p.criterion.clone(),
            p.source.name().to_string(),
            opt(p.max_points),
            opt(p.points),
            num(p.se),
            p.flag.to_string(),
        ])?;
    }
    super::save_csv(&path, w)?;
    let path = dir.join("par_totals.csv");
    let mut w = super::csv_writer();
    w.write_record(TOTALS_COLUMNS)?;
    for t in &result.totals {
        w.write_record([
            year.to_string(),
            t.unit_id.clone(),
            opt(t.points),
            num(t.max_points),
            opt(t.index_pct),
            num(t.se),
            opt(t.ci_low),
            opt(t.ci_high),
            t.band.clone().unwrap_or_default(),
            opt_usize(t.rank),
            opt_usize(t.rank_low),
            opt_usize(t.rank_high),
            t.flag.to_string(),
        ])?;
    }
    super::save_csv(&path, w)?;
    Ok(())
}

/// Labels of the workbook, per language.
fn headers(lang: Lang) -> ([&'static str; 12], [&'static str; 8]) {
    match lang {
        Lang::Vi => (
            [
                "Năm",
                "Đơn vị",
                "Điểm đạt",
                "Điểm tối đa",
                "Chỉ số (%)",
                "Sai số chuẩn",
                "Cận dưới 95%",
                "Cận trên 95%",
                "Xếp loại",
                "Xếp hạng",
                "Hạng (khoảng 95%)",
                "Ghi chú",
            ],
            [
                "Đơn vị",
                "Mã tiêu chí",
                "Tiêu chí",
                "Nguồn điểm",
                "Điểm tối đa",
                "Điểm đạt",
                "Sai số chuẩn",
                "Ghi chú",
            ],
        ),
        Lang::En => (
            [
                "Year",
                "Unit",
                "Points",
                "Maximum",
                "Index (%)",
                "Standard error",
                "95% low",
                "95% high",
                "Band",
                "Rank",
                "Rank (95% interval)",
                "Flag",
            ],
            [
                "Unit",
                "Criterion",
                "Name",
                "Source",
                "Maximum",
                "Points",
                "Standard error",
                "Flag",
            ],
        ),
    }
}

pub fn source_label(source: Source, lang: Lang) -> &'static str {
    match source {
        Source::Assessment => lang.pick("Tự chấm / thẩm định", "Self-assessment / appraisal"),
        Source::Survey => lang.pick("Điều tra xã hội học", "Survey"),
        Source::Plan => lang.pick("Kế hoạch CCHC năm", "Annual PAR plan"),
        Source::Records => lang.pick("Dữ liệu hồ sơ TTHC", "Procedure records"),
        Source::Bonus => lang.pick("Điểm thưởng", "Bonus"),
        Source::Penalty => lang.pick("Điểm trừ", "Penalty"),
    }
}

/// `par_points.csv`, `par_totals.csv` and `par.xlsx` in `dir`.
pub fn write_all(
    dir: &Path,
    year: i32,
    method: &ParMethod,
    result: &ParResult,
    lang: Lang,
) -> anyhow::Result<()> {
    write_csv(dir, year, result)?;
    write_xlsx(&dir.join("par.xlsx"), year, method, result, lang)
}

/// A summary sheet, then one sheet per area.
pub fn write_xlsx(
    path: &Path,
    year: i32,
    method: &ParMethod,
    result: &ParResult,
    lang: Lang,
) -> anyhow::Result<()> {
    let mut wb = new_workbook()?;
    let header = super::header_format();
    let pattern = if method.decimals == 0 {
        "0".to_string()
    } else {
        format!("0.{}", "0".repeat(method.decimals as usize))
    };
    let number = Format::new().set_num_format(&pattern);
    let flagged = Format::new().set_font_color("9C0006");
    let (total_h, point_h) = headers(lang);
    let sheet = wb.add_worksheet();
    sheet.set_name(lang.pick("Tổng hợp", "Summary"))?;
    for (c, h) in total_h.iter().enumerate() {
        sheet.write_with_format(0, c as u16, *h, &header)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    // Summary rows by rank (unranked last), then unit.
    for (i, t) in result.ranked().iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write(r, 0, year)?;
        sheet.write(r, 1, t.unit_id.as_str())?;
        for (c, x) in [
            (2, t.points),
            (3, Some(t.max_points)),
            (4, t.index_pct),
            (5, Some(t.se)),
            (6, t.ci_low),
            (7, t.ci_high),
        ] {
            if let Some(x) = x.filter(|x| x.is_finite()) {
                sheet.write_with_format(r, c, x, &number)?;
            }
        }
        if let Some(b) = t.band.as_deref().and_then(|b| method.band_named(b)) {
            sheet.write(r, 8, b.label(lang))?;
        }
        if let Some(rank) = t.rank {
            sheet.write(r, 9, rank as f64)?;
        }
        if let (Some(lo), Some(hi)) = (t.rank_low, t.rank_high) {
            sheet.write(r, 10, format!("{lo}–{hi}"))?;
        }
        if !t.flag.is_empty() {
            sheet.write_with_format(r, 11, t.flag.label(lang), &flagged)?;
        }
    }
    super::print_ready(sheet, true, 1, 300, lang)?;
    let leaves = method.leaf_map();
    for area in &method.areas {
        let sheet = wb.add_worksheet();
        let name: String = format!("{} {}", lang.pick("Lĩnh vực", "Area"), area.code)
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        sheet.set_name(&name)?;
        let title = lang.pick(&area.vi, &area.en);
        sheet.write_with_format(
            0,
            0,
            format!("{}. {title}", area.code),
            &Format::new().set_bold(),
        )?;
        for (c, h) in point_h.iter().enumerate() {
            sheet.write_with_format(1, c as u16, *h, &header)?;
        }
        sheet.set_freeze_panes(2, 0)?;
        let mut r = 2u32;
        for p in result.points.iter().filter(|p| p.area == area.code) {
            let name = leaves
                .get(p.criterion.as_str())
                .map(|l| lang.pick(&l.criterion.vi, &l.criterion.en))
                .map_or("", |s| s.as_str());
            sheet.write(r, 0, p.unit_id.as_str())?;
            sheet.write(r, 1, p.criterion.as_str())?;
            sheet.write(r, 2, name)?;
            sheet.write(r, 3, source_label(p.source, lang))?;
            for (c, x) in [(4, p.max_points), (5, p.points), (6, Some(p.se))] {
                if let Some(x) = x.filter(|x| x.is_finite()) {
                    sheet.write_with_format(r, c, x, &number)?;
                }
            }
            if !p.flag.is_empty() {
                sheet.write_with_format(r, 7, p.flag.label(lang), &flagged)?;
            }
            r += 1;
        }
        sheet.autofilter(1, 0, r.saturating_sub(1).max(2), 7)?;
        super::print_ready(sheet, true, 2, 420, lang)?;
    }
    super::save_workbook(path, &mut wb)?;
    Ok(())
}
