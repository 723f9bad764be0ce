//! `qd766_items.csv`, `qd766_totals.csv` and `qd766.xlsx`.

use std::path::Path;

use rust_xlsxwriter::Format;

use crate::lang::Lang;
use crate::qd766::{ItemRow, Qd766Method, TotalRow};

pub const ITEM_COLUMNS: &[&str] = &[
    "year",
    "period",
    "unit_id",
    "group",
    "item",
    "numerator",
    "denominator",
    "rate_pct",
    "max_points",
    "points",
    "applies",
];
pub const TOTAL_COLUMNS: &[&str] = &[
    "year",
    "period",
    "unit_id",
    "points",
    "max_points",
    "index_pct",
    "band",
    "rank",
];

pub fn write_all(
    dir: &Path,
    year: i32,
    method: &Qd766Method,
    items: &[ItemRow],
    totals: &[TotalRow],
    lang: Lang,
) -> anyhow::Result<()> {
    let mut w = super::csv_writer();
    w.write_record(ITEM_COLUMNS)?;
    for r in items {
        w.write_record([
            year.to_string(),
            r.period.clone(),
            r.unit_id.clone(),
            r.group.clone(),
            r.item.clone(),
            super::opt(r.numerator),
            super::opt(r.denominator),
            super::opt(r.rate_pct),
            super::num(r.max_points),
            super::opt(r.points),
            if r.applies { "1" } else { "0" }.to_string(),
        ])?;
    }
    super::save_csv(&dir.join("qd766_items.csv"), w)?;
    let mut w = super::csv_writer();
    w.write_record(TOTAL_COLUMNS)?;
    for t in totals {
        w.write_record([
            year.to_string(),
            t.period.clone(),
            t.unit_id.clone(),
            super::num(t.points),
            super::num(t.max_points),
            super::opt(t.index_pct),
            t.band.clone().unwrap_or_default(),
            t.rank.map(|r| r.to_string()).unwrap_or_default(),
        ])?;
    }
    super::save_csv(&dir.join("qd766_totals.csv"), w)?;

    let mut wb = super::scores::new_workbook()?;
    let bold = super::header_format();
    let two = Format::new().set_num_format("0.00");
    let band_name = |code: &str| {
        method
            .bands
            .iter()
            .find(|b| b.code == code)
            .map_or(String::new(), |b| lang.pick(&b.vi, &b.en).clone())
    };
    let sheet = wb.add_worksheet();
    sheet.set_name(lang.pick("Tổng hợp", "Totals"))?;
    let head = match lang {
        Lang::Vi => [
            "Kỳ",
            "Hạng",
            "Đơn vị",
            "Điểm",
            "Điểm tối đa áp dụng",
            "Chỉ số (%)",
            "Xếp loại",
        ],
        Lang::En => [
            "Period",
            "Rank",
            "Unit",
            "Points",
            "Maximum that applies",
            "Index (%)",
            "Band",
        ],
    };
    for (c, h) in head.iter().enumerate() {
        sheet.write_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, t) in totals.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write(r, 0, t.period.as_str())?;
        if let Some(k) = t.rank {
            sheet.write(r, 1, k as f64)?;
        }
        let unit = if t.unit_id == crate::qd766::ALL {
            lang.pick("Toàn bộ các đơn vị", "All units")
        } else {
            t.unit_id.as_str()
        };
        sheet.write(r, 2, unit)?;
        sheet.write_with_format(r, 3, t.points, &two)?;
        sheet.write(r, 4, t.max_points)?;
        if let Some(i) = t.index_pct {
            sheet.write_with_format(r, 5, i, &two)?;
        }
        if let Some(b) = &t.band {
            sheet.write(r, 6, band_name(b))?;
        }
    }
    sheet.set_freeze_panes(1, 3)?;
    super::print_ready(sheet, false, 1, 220, lang)?;
    let sheet = wb.add_worksheet();
    sheet.set_name(lang.pick("Chỉ tiêu", "Items"))?;
    let head = match lang {
        Lang::Vi => [
            "Kỳ",
            "Đơn vị",
            "Nhóm",
            "Chỉ tiêu",
            "Nội dung",
            "Tử số",
            "Mẫu số",
            "Tỷ lệ (%)",
            "Điểm tối đa",
            "Điểm",
            "Áp dụng",
        ],
        Lang::En => [
            "Period",
            "Unit",
            "Group",
            "Item",
            "Label",
            "Numerator",
            "Denominator",
            "Rate (%)",
            "Maximum",
            "Points",
            "Applies",
        ],
    };
    for (c, h) in head.iter().enumerate() {
        sheet.write_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, x) in items.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write(r, 0, x.period.as_str())?;
        sheet.write(r, 1, x.unit_id.as_str())?;
        sheet.write(r, 2, x.group.as_str())?;
        sheet.write(r, 3, x.item.as_str())?;
        let label = method
            .items
            .iter()
            .find(|i| i.code == x.item)
            .map_or("", |i| lang.pick(i.vi.as_str(), i.en.as_str()));
        sheet.write(r, 4, label)?;
        for (c, v) in [(5u16, x.numerator), (6, x.denominator)] {
            if let Some(v) = v {
                sheet.write(r, c, v)?;
            }
        }
        if let Some(v) = x.rate_pct {
            sheet.write_with_format(r, 7, v, &two)?;
        }
        sheet.write(r, 8, x.max_points)?;
        if let Some(v) = x.points {
            sheet.write_with_format(r, 9, v, &two)?;
        }
        sheet.write(
            r,
            10,
            if x.applies {
                lang.pick("có", "yes")
            } else {
                lang.pick("không", "no")
            },
        )?;
    }
    sheet.set_freeze_panes(1, 4)?;
    super::print_ready(sheet, true, 1, 300, lang)?;
    super::save_workbook(&dir.join("qd766.xlsx"), &mut wb)
}
