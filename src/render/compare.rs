//! `compare.csv`, `trend.csv`, `compare_excluded.csv`, `compare_par.csv` and `compare.xlsx`.

use std::path::Path;

use rust_xlsxwriter::{Format, Worksheet};

use super::labels::{self, Lang};
use super::scores::new_workbook;
use super::{num, opt};
use crate::compare::{Change, Excluded};
use crate::estimate::Estimate;

/// The columns of `compare.csv`, in order: a contract.
pub const CSV_COLUMNS: [&str; 14] = [
    "survey",
    "unit_id",
    "level",
    "code",
    "measure",
    "estimate_from",
    "estimate_to",
    "change",
    "se_change",
    "df",
    "p_value",
    "p_adjusted",
    "direction",
    "flag",
];

pub const TREND_COLUMNS: [&str; 18] = [
    "survey",
    "unit_id",
    "level",
    "code",
    "measure",
    "year",
    "n",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "change",
    "se_change",
    "df",
    "p_value",
    "p_adjusted",
    "direction",
    "flag",
];

pub const EXCLUDED_COLUMNS: [&str; 7] =
    ["survey", "from", "to", "unit_id", "level", "code", "reason"];

pub const PAR_COLUMNS: [&str; 20] = [
    "from",
    "to",
    "unit_id",
    "points_from",
    "points_to",
    "points_change",
    "index_from",
    "index_to",
    "index_change",
    "se_change",
    "ci_low",
    "ci_high",
    "direction",
    "rank_from",
    "rank_to",
    "rank_change",
    "rank_interval_from",
    "rank_interval_to",
    "rank_intervals_overlap",
    "flag",
];

/// A row of the trend table: a year's figure and its change from the year before.
#[derive(Debug, Clone)]
pub struct TrendRow {
    pub year: i32,
    pub estimate: Estimate,
    pub change: Option<Change>,
}

/// A unit's CCHC index in two years.
#[derive(Debug, Clone, PartialEq)]
pub struct ParChange {
    pub unit_id: String,
    pub points_from: Option<f64>,
    pub points_to: Option<f64>,
    pub index_from: Option<f64>,
    pub index_to: Option<f64>,
    pub index_change: Option<f64>,
    pub se_change: f64,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub direction: String,
    pub rank_from: Option<usize>,
    pub rank_to: Option<usize>,
    pub rank_interval_from: Option<(usize, usize)>,
    pub rank_interval_to: Option<(usize, usize)>,
    pub rank_intervals_overlap: Option<bool>,
    pub flag: String,
}

fn change_cells(c: &Change) -> [String; 6] {
    [
        num(c.change),
        num(c.se_change),
        c.df.to_string(),
        opt(c.p_value),
        opt(c.p_adjusted),
        c.direction.clone(),
    ]
}

pub fn write_csv(path: &Path, survey: &str, rows: &[Change]) -> anyhow::Result<()> {
    let mut w = super::csv_writer();
    w.write_record(CSV_COLUMNS)?;
    for c in rows {
        let mut rec = vec![
            survey.to_string(),
            c.unit_id.clone(),
            c.level.name().to_string(),
            c.code.clone(),
            c.measure.clone(),
            num(c.estimate_from),
            num(c.estimate_to),
        ];
        rec.extend(change_cells(c));
        rec.push(c.flag.clone());
        w.write_record(rec)?;
    }
    super::save_csv(path, w)?;
    Ok(())
}

pub fn write_trend_csv(path: &Path, survey: &str, rows: &[TrendRow]) -> anyhow::Result<()> {
    let mut w = super::csv_writer();
    w.write_record(TREND_COLUMNS)?;
    for r in rows {
        let e = &r.estimate;
        let mut rec = vec![
            survey.to_string(),
            e.unit_id.clone(),
            e.level.name().to_string(),
            e.code.clone(),
            e.measure.clone(),
            r.year.to_string(),
            e.n.to_string(),
            num(e.estimate),
            num(e.se),
            num(e.ci_low),
            num(e.ci_high),
        ];
        match &r.change {
            Some(c) => {
                rec.extend(change_cells(c));
                rec.push(c.flag.clone());
            }
            None => {
                rec.extend(std::iter::repeat_n(String::new(), 6));
                rec.push(e.flag.clone());
            }
        }
        w.write_record(rec)?;
    }
    super::save_csv(path, w)?;
    Ok(())
}

pub fn write_excluded(
    path: &Path,
    survey: &str,
    rows: &[(i32, i32, Excluded)],
) -> anyhow::Result<()> {
    let mut w = super::csv_writer();
    w.write_record(EXCLUDED_COLUMNS)?;
    for (f, t, e) in rows {
        w.write_record([
            survey,
            &f.to_string(),
            &t.to_string(),
            &e.unit_id,
            &e.level,
            &e.code,
            &e.reason,
        ])?;
    }
    super::save_csv(path, w)?;
    Ok(())
}

fn rank_interval(r: Option<(usize, usize)>) -> String {
    r.map(|(a, b)| format!("{a}-{b}")).unwrap_or_default()
}

pub fn write_par_csv(path: &Path, from: i32, to: i32, rows: &[ParChange]) -> anyhow::Result<()> {
    let mut w = super::csv_writer();
    w.write_record(PAR_COLUMNS)?;
    for r in rows {
        let rank_change = r
            .rank_from
            .zip(r.rank_to)
            .map(|(a, b)| (a as i64 - b as i64).to_string())
            .unwrap_or_default();
        w.write_record([
            from.to_string(),
            to.to_string(),
            r.unit_id.clone(),
            opt(r.points_from),
            opt(r.points_to),
            opt(r.points_from.zip(r.points_to).map(|(a, b)| b - a)),
            opt(r.index_from),
            opt(r.index_to),
            opt(r.index_change),
            num(r.se_change),
            opt(r.ci_low),
            opt(r.ci_high),
            r.direction.clone(),
            r.rank_from.map(|x| x.to_string()).unwrap_or_default(),
            r.rank_to.map(|x| x.to_string()).unwrap_or_default(),
            rank_change,
            rank_interval(r.rank_interval_from),
            rank_interval(r.rank_interval_to),
            r.rank_intervals_overlap
                .map(|o| if o { "yes" } else { "no" }.to_string())
                .unwrap_or_default(),
            r.flag.clone(),
        ])?;
    }
    super::save_csv(path, w)?;
    Ok(())
}

fn direction_label(d: &str, lang: Lang) -> &str {
    match (d, lang) {
        ("up", Lang::Vi) => "Tăng",
        ("down", Lang::Vi) => "Giảm",
        ("no_change", Lang::Vi) => "Không thay đổi có ý nghĩa",
        ("up", Lang::En) => "Up",
        ("down", Lang::En) => "Down",
        ("no_change", Lang::En) => "No significant change",
        (other, _) => other,
    }
}

fn headers(sheet: &mut Worksheet, row: u32, names: &[&str], fmt: &Format) -> anyhow::Result<()> {
    for (c, h) in names.iter().enumerate() {
        sheet.write_with_format(row, c as u16, *h, fmt)?;
    }
    sheet.set_freeze_panes(row + 1, 0)?;
    Ok(())
}

/// Cell formats of the workbook.
struct Formats {
    number: Format,
    pval: Format,
    up: Format,
    down: Format,
}

/// A change's cells from column `c0`: change, its se, df, p, adjusted p, verdict, flag.
fn write_change(
    sheet: &mut Worksheet,
    r: u32,
    c0: u16,
    c: &Change,
    f: &Formats,
    lang: Lang,
) -> anyhow::Result<()> {
    for (k, x) in [(0, c.change), (1, c.se_change)] {
        if x.is_finite() {
            sheet.write_with_format(r, c0 + k, x, &f.number)?;
        }
    }
    sheet.write(r, c0 + 2, c.df as f64)?;
    for (k, x) in [(3, c.p_value), (4, c.p_adjusted)] {
        if let Some(x) = x {
            sheet.write_with_format(r, c0 + k, x, &f.pval)?;
        }
    }
    let dir = if c.direction == "down" {
        &f.down
    } else {
        &f.up
    };
    sheet.write_with_format(r, c0 + 5, direction_label(&c.direction, lang), dir)?;
    sheet.write(r, c0 + 6, c.flag.as_str())?;
    Ok(())
}

/// The tables as one workbook: the comparison or the trend, the CCHC comparison, and what was
/// left out, with headers in the output language.
#[allow(clippy::too_many_arguments)]
pub fn write_xlsx(
    path: &Path,
    survey: &str,
    changes: Option<&[Change]>,
    trend: Option<&[TrendRow]>,
    excluded: &[(i32, i32, Excluded)],
    par: Option<(i32, i32, &[ParChange])>,
    lang: Lang,
) -> anyhow::Result<()> {
    let vi = lang == Lang::Vi;
    let mut wb = new_workbook()?;
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color("DDEBF7");
    let fmts = Formats {
        number: Format::new().set_num_format("0.00"),
        pval: Format::new().set_num_format("0.0000"),
        up: Format::new().set_font_color("006100"),
        down: Format::new().set_font_color("9C0006"),
    };
    let (number, up, down) = (&fmts.number, &fmts.up, &fmts.down);
    let dir_fmt = |d: &str| if d == "down" { down } else { up };
    if let Some(rows) = changes {
        let sheet = wb.add_worksheet();
        sheet.set_name(if vi { "So sánh" } else { "Changes" })?;
        let names: Vec<&str> = if vi {
            vec![
                "Khảo sát",
                "Đơn vị",
                "Cấp",
                "Mã",
                "Chỉ số",
                "Năm trước",
                "Năm sau",
                "Thay đổi",
                "Sai số chuẩn",
                "Bậc tự do",
                "Giá trị p",
                "p hiệu chỉnh (BH)",
                "Kết luận",
                "Ghi chú",
            ]
        } else {
            CSV_COLUMNS.to_vec()
        };
        headers(sheet, 0, &names, &head)?;
        for (i, c) in rows.iter().enumerate() {
            let r = i as u32 + 1;
            sheet.write(r, 0, survey)?;
            sheet.write(r, 1, c.unit_id.as_str())?;
            sheet.write(r, 2, labels::level(c.level.name(), lang))?;
            sheet.write(r, 3, c.code.as_str())?;
            sheet.write(r, 4, labels::measure(&c.measure, lang))?;
            for (col, x) in [(5, c.estimate_from), (6, c.estimate_to)] {
                if x.is_finite() {
                    sheet.write_with_format(r, col, x, number)?;
                }
            }
            write_change(sheet, r, 7, c, &fmts, lang)?;
        }
        sheet.set_column_width(4, 26)?;
        sheet.set_column_width(12, 24)?;
        sheet.autofilter(0, 0, (rows.len() as u32).max(1), 13)?;
    }
    if let Some(rows) = trend {
        let sheet = wb.add_worksheet();
        sheet.set_name(if vi { "Xu hướng" } else { "Trend" })?;
        let names: Vec<&str> = if vi {
            vec![
                "Khảo sát",
                "Đơn vị",
                "Cấp",
                "Mã",
                "Chỉ số",
                "Năm",
                "n",
                "Ước lượng",
                "Sai số chuẩn",
                "Cận dưới 95%",
                "Cận trên 95%",
                "Thay đổi so với năm trước",
                "Sai số chuẩn của thay đổi",
                "Bậc tự do",
                "Giá trị p",
                "p hiệu chỉnh (BH)",
                "Kết luận",
                "Ghi chú",
            ]
        } else {
            TREND_COLUMNS.to_vec()
        };
        headers(sheet, 0, &names, &head)?;
        for (i, t) in rows.iter().enumerate() {
            let r = i as u32 + 1;
            let e = &t.estimate;
            sheet.write(r, 0, survey)?;
            sheet.write(r, 1, e.unit_id.as_str())?;
            sheet.write(r, 2, labels::level(e.level.name(), lang))?;
            sheet.write(r, 3, e.code.as_str())?;
            sheet.write(r, 4, labels::measure(&e.measure, lang))?;
            sheet.write(r, 5, t.year)?;
            sheet.write(r, 6, e.n as f64)?;
            for (col, x) in [(7, e.estimate), (8, e.se), (9, e.ci_low), (10, e.ci_high)] {
                if x.is_finite() {
                    sheet.write_with_format(r, col, x, number)?;
                }
            }
            if let Some(c) = &t.change {
                write_change(sheet, r, 11, c, &fmts, lang)?;
            } else if !e.flag.is_empty() {
                sheet.write(r, 17, e.flag.as_str())?;
            }
        }
        sheet.set_column_width(4, 26)?;
        sheet.autofilter(0, 0, (rows.len() as u32).max(1), 17)?;
    }
    if let Some((from, to, rows)) = par {
        let sheet = wb.add_worksheet();
        sheet.set_name(if vi { "Chỉ số CCHC" } else { "PAR index" })?;
        let names: Vec<String> = if vi {
            [
                "Đơn vị".to_string(),
                format!("Điểm {from}"),
                format!("Điểm {to}"),
                format!("Chỉ số {from} (%)"),
                format!("Chỉ số {to} (%)"),
                "Thay đổi".into(),
                "Cận dưới 95%".into(),
                "Cận trên 95%".into(),
                "Kết luận".into(),
                format!("Hạng {from}"),
                format!("Hạng {to}"),
                format!("Khoảng hạng {from}"),
                format!("Khoảng hạng {to}"),
                "Khoảng hạng giao nhau".into(),
                "Ghi chú".into(),
            ]
            .to_vec()
        } else {
            [
                "Unit".to_string(),
                format!("Points {from}"),
                format!("Points {to}"),
                format!("Index {from} (%)"),
                format!("Index {to} (%)"),
                "Change".into(),
                "95% low".into(),
                "95% high".into(),
                "Verdict".into(),
                format!("Rank {from}"),
                format!("Rank {to}"),
                format!("Rank interval {from}"),
                format!("Rank interval {to}"),
                "Rank intervals overlap".into(),
                "Flag".into(),
            ]
            .to_vec()
        };
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        headers(sheet, 0, &refs, &head)?;
        for (i, p) in rows.iter().enumerate() {
            let r = i as u32 + 1;
            sheet.write(r, 0, p.unit_id.as_str())?;
            for (col, x) in [
                (1, p.points_from),
                (2, p.points_to),
                (3, p.index_from),
                (4, p.index_to),
                (5, p.index_change),
                (6, p.ci_low),
                (7, p.ci_high),
            ] {
                if let Some(x) = x.filter(|x| x.is_finite()) {
                    sheet.write_with_format(r, col, x, number)?;
                }
            }
            sheet.write_with_format(
                r,
                8,
                direction_label(&p.direction, lang),
                dir_fmt(&p.direction),
            )?;
            for (col, x) in [(9, p.rank_from), (10, p.rank_to)] {
                if let Some(x) = x {
                    sheet.write(r, col, x as f64)?;
                }
            }
            sheet.write(r, 11, rank_interval(p.rank_interval_from))?;
            sheet.write(r, 12, rank_interval(p.rank_interval_to))?;
            let overlap = match (p.rank_intervals_overlap, vi) {
                (Some(true), true) => "Có",
                (Some(false), true) => "Không",
                (Some(true), false) => "Yes",
                (Some(false), false) => "No",
                (None, _) => "",
            };
            sheet.write(r, 13, overlap)?;
            sheet.write(r, 14, p.flag.as_str())?;
        }
        sheet.set_column_width(0, 20)?;
    }
    let sheet = wb.add_worksheet();
    sheet.set_name(if vi { "Không so sánh" } else { "Left out" })?;
    let names: Vec<&str> = if vi {
        vec![
            "Khảo sát",
            "Từ năm",
            "Đến năm",
            "Đơn vị",
            "Cấp",
            "Mã",
            "Lý do",
        ]
    } else {
        EXCLUDED_COLUMNS.to_vec()
    };
    headers(sheet, 0, &names, &head)?;
    for (i, (f, t, e)) in excluded.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write(r, 0, survey)?;
        sheet.write(r, 1, *f)?;
        sheet.write(r, 2, *t)?;
        sheet.write(r, 3, e.unit_id.as_str())?;
        sheet.write(r, 4, labels::level(&e.level, lang))?;
        sheet.write(r, 5, e.code.as_str())?;
        sheet.write(r, 6, e.reason.as_str())?;
    }
    sheet.set_column_width(6, 80)?;
    super::save_workbook(path, &mut wb)?;
    Ok(())
}
