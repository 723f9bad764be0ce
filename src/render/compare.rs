//! `compare.csv`, `trend.csv`, `compare_excluded.csv`, `compare_par.csv` and `compare.xlsx`.

use std::collections::BTreeMap;
use std::path::Path;

use rust_xlsxwriter::{Format, Worksheet};

use super::labels;
use super::scores::new_workbook;
use super::{num, opt};
use crate::compare::{Change, Direction, Excluded, ParChange, TrendRow};
use crate::lang::Lang;

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

fn change_cells(c: &Change) -> [String; 6] {
    [
        num(c.change),
        num(c.se_change),
        c.df.to_string(),
        opt(c.p_value),
        opt(c.p_adjusted),
        Direction::code_of(c.direction).to_string(),
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
        rec.push(c.flag.to_string());
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
                rec.push(c.flag.to_string());
            }
            None => {
                rec.extend(std::iter::repeat_n(String::new(), 6));
                rec.push(e.flag.to_string());
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
    r.map(|(a, b)| format!("{a}–{b}")).unwrap_or_default()
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
            Direction::code_of(r.direction).to_string(),
            r.rank_from.map(|x| x.to_string()).unwrap_or_default(),
            r.rank_to.map(|x| x.to_string()).unwrap_or_default(),
            rank_change,
            rank_interval(r.rank_interval_from),
            rank_interval(r.rank_interval_to),
            r.rank_intervals_overlap
                .map(|o| if o { "yes" } else { "no" }.to_string())
                .unwrap_or_default(),
            r.flag.to_string(),
        ])?;
    }
    super::save_csv(path, w)?;
    Ok(())
}

/// Two years compared, in `dir`: `compare.csv`, `compare_excluded.csv` and `compare.xlsx`.
pub fn write_changes(
    dir: &Path,
    survey: &str,
    labels: Option<&BTreeMap<String, String>>,
    changes: &[Change],
    excluded: &[(i32, i32, Excluded)],
    lang: Lang,
) -> anyhow::Result<()> {
    write_csv(&dir.join("compare.csv"), survey, changes)?;
    write_excluded(&dir.join("compare_excluded.csv"), survey, excluded)?;
    write_xlsx(
        &dir.join("compare.xlsx"),
        survey,
        labels,
        Some(changes),
        None,
        excluded,
        None,
        lang,
    )
}

/// The CCHC index of two years compared, in `dir`: `compare_par.csv` and `compare.xlsx`.
pub fn write_par_changes(
    dir: &Path,
    method: &str,
    (from, to): (i32, i32),
    rows: &[ParChange],
    lang: Lang,
) -> anyhow::Result<()> {
    write_par_csv(&dir.join("compare_par.csv"), from, to, rows)?;
    write_xlsx(
        &dir.join("compare.xlsx"),
        method,
        None,
        None,
        None,
        &[],
        Some((from, to, rows)),
        lang,
    )
}

/// A unit's name: `ALL` in words.
fn unit(u: &str, lang: Lang) -> &str {
    if u == crate::estimate::ALL {
        lang.pick("Toàn bộ các đơn vị", "All units")
    } else {
        u
    }
}

/// The item text or element name of `code`, when known.
fn label_of<'a>(labels: Option<&'a BTreeMap<String, String>>, code: &str) -> &'a str {
    labels.and_then(|l| l.get(code)).map_or("", String::as_str)
}

fn direction_label(d: Option<Direction>, lang: Lang) -> &'static str {
    d.map_or("", |d| d.label(lang))
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
    let dir = if c.direction == Some(Direction::Down) {
        &f.down
    } else {
        &f.up
    };
    sheet.write_with_format(r, c0 + 5, direction_label(c.direction, lang), dir)?;
    sheet.write(r, c0 + 6, c.flag.label(lang))?;
    Ok(())
}

/// The tables as one workbook: the comparison or the trend, the CCHC comparison, and what was
/// left out, with headers in the output language.
#[allow(clippy::too_many_arguments)]
pub fn write_xlsx(
    path: &Path,
    survey: &str,
    labels: Option<&BTreeMap<String, String>>,
    changes: Option<&[Change]>,
    trend: Option<&[TrendRow]>,
    excluded: &[(i32, i32, Excluded)],
    par: Option<(i32, i32, &[ParChange])>,
    lang: Lang,
) -> anyhow::Result<()> {
    let vi = lang == Lang::Vi;
    let mut wb = new_workbook()?;
    let head = super::header_format();
    let fmts = Formats {
        number: Format::new().set_num_format("0.00"),
        pval: Format::new().set_num_format("0.0000"),
        up: Format::new().set_font_color("006100"),
        down: Format::new().set_font_color("9C0006"),
    };
    let (number, up, down) = (&fmts.number, &fmts.up, &fmts.down);
    let dir_fmt = |d: Option<Direction>| if d == Some(Direction::Down) { down } else { up };
    if let Some(rows) = changes {
        let sheet = wb.add_worksheet();
        sheet.set_name(lang.pick("So sánh", "Changes"))?;
        let names: Vec<&str> = if vi {
            vec![
                "Khảo sát",
                "Đơn vị",
                "Cấp",
                "Mã",
                "Nội dung",
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
            let mut v = CSV_COLUMNS.to_vec();
            v.insert(4, "label");
            v
        };
        headers(sheet, 0, &names, &head)?;
        for (i, c) in rows.iter().enumerate() {
            let r = i as u32 + 1;
            sheet.write(r, 0, survey)?;
            sheet.write(r, 1, unit(&c.unit_id, lang))?;
            sheet.write(r, 2, labels::level(c.level.name(), lang))?;
            sheet.write(r, 3, c.code.as_str())?;
            sheet.write(r, 4, label_of(labels, &c.code))?;
            sheet.write(r, 5, labels::measure(&c.measure, lang))?;
            for (col, x) in [(6, c.estimate_from), (7, c.estimate_to)] {
                if x.is_finite() {
                    sheet.write_with_format(r, col, x, number)?;
                }
            }
            write_change(sheet, r, 8, c, &fmts, lang)?;
        }
        sheet.autofilter(0, 0, (rows.len() as u32).max(1), 14)?;
        super::print_ready(sheet, true, 1, 330, lang)?;
    }
    if let Some(rows) = trend {
        let sheet = wb.add_worksheet();
        sheet.set_name(lang.pick("Xu hướng", "Trend"))?;
        let names: Vec<&str> = if vi {
            vec![
                "Khảo sát",
                "Đơn vị",
                "Cấp",
                "Mã",
                "Nội dung",
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
            let mut v = TREND_COLUMNS.to_vec();
            v.insert(4, "label");
            v
        };
        headers(sheet, 0, &names, &head)?;
        for (i, t) in rows.iter().enumerate() {
            let r = i as u32 + 1;
            let e = &t.estimate;
            sheet.write(r, 0, survey)?;
            sheet.write(r, 1, unit(&e.unit_id, lang))?;
            sheet.write(r, 2, labels::level(e.level.name(), lang))?;
            sheet.write(r, 3, e.code.as_str())?;
            sheet.write(r, 4, label_of(labels, &e.code))?;
            sheet.write(r, 5, labels::measure(&e.measure, lang))?;
            sheet.write(r, 6, t.year)?;
            sheet.write(r, 7, e.n as f64)?;
            for (col, x) in [(8, e.estimate), (9, e.se), (10, e.ci_low), (11, e.ci_high)] {
                if x.is_finite() {
                    sheet.write_with_format(r, col, x, number)?;
                }
            }
            if let Some(c) = &t.change {
                write_change(sheet, r, 12, c, &fmts, lang)?;
            } else if !e.flag.is_empty() {
                sheet.write(r, 18, e.flag.label(lang))?;
            }
        }
        sheet.autofilter(0, 0, (rows.len() as u32).max(1), 18)?;
        super::print_ready(sheet, true, 1, 330, lang)?;
    }
    if let Some((from, to, rows)) = par {
        let sheet = wb.add_worksheet();
        sheet.set_name(lang.pick("Chỉ số CCHC", "PAR index"))?;
        let names: Vec<String> = lang.pick(
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
            .to_vec(),
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
            .to_vec(),
        );
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
                direction_label(p.direction, lang),
                dir_fmt(p.direction),
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
            sheet.write(r, 14, p.flag.label(lang))?;
        }
        super::print_ready(sheet, true, 1, 330, lang)?;
    }
    let sheet = wb.add_worksheet();
    sheet.set_name(lang.pick("Không so sánh", "Left out"))?;
    let names: Vec<&str> = lang.pick(
        vec![
            "Khảo sát",
            "Từ năm",
            "Đến năm",
            "Đơn vị",
            "Cấp",
            "Mã",
            "Lý do",
        ],
        EXCLUDED_COLUMNS.to_vec(),
    );
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
    super::print_ready(sheet, true, 1, 600, lang)?;
    super::save_workbook(path, &mut wb)?;
    Ok(())
}
