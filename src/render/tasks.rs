//! `tasks_status.csv`, `tasks_agencies.csv` and `tasks.xlsx`: where each task of the plan
//! stands, and how each agency did.

use std::path::Path;

use rust_xlsxwriter::Format;

use crate::lang::Lang;
use crate::plan::{Agency, PlanMethod, Status, Task};

/// A task with its status and days late, as the tables show it.
pub type TaskRow<'a> = (&'a Task, Status, i64);

pub const STATUS_COLUMNS: &[&str] = &[
    "task_id",
    "content",
    "lead",
    "deadline",
    "deadline_date",
    "condition",
    "completed_on",
    "status",
    "days_late",
    "quality",
];

pub const AGENCY_COLUMNS: &[&str] = &[
    "agency",
    "assigned",
    "done",
    "done_on_time",
    "done_late",
    "overdue",
    "open",
    "completion_pct",
    "on_time_pct",
    "points",
    "max_points",
    "band",
    "rank",
];

fn date(d: Option<crate::plan::Date>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// A band's name in `lang`.
pub fn band_name<'a>(m: &'a PlanMethod, code: &str, lang: Lang) -> &'a str {
    m.bands
        .iter()
        .find(|b| b.code == code)
        .map_or("", |b| lang.pick(b.vi.as_str(), b.en.as_str()))
}

pub fn write_all(
    dir: &Path,
    method: &PlanMethod,
    statuses: &[TaskRow<'_>],
    agencies: &[Agency],
    lang: Lang,
) -> anyhow::Result<()> {
    let mut w = super::csv_writer();
    w.write_record(STATUS_COLUMNS)?;
    for &(t, status, days_late) in statuses {
        w.write_record([
            t.task_id.clone(),
            t.content.clone(),
            t.lead.clone(),
            t.deadline_text.clone(),
            t.deadline.date.to_string(),
            t.deadline.condition.clone().unwrap_or_default(),
            date(t.completed_on),
            status.code().to_string(),
            days_late.to_string(),
            t.quality.map(|q| q.code().to_string()).unwrap_or_default(),
        ])?;
    }
    super::save_csv(&dir.join("tasks_status.csv"), w)?;
    let mut w = super::csv_writer();
    w.write_record(AGENCY_COLUMNS)?;
    for a in agencies {
        w.write_record([
            a.agency.clone(),
            super::num(a.assigned),
            super::num(a.done),
            super::num(a.done_on_time),
            super::num(a.done_late),
            super::num(a.overdue),
            super::num(a.open),
            super::opt(a.completion_pct),
            super::opt(a.on_time_pct),
            super::opt(a.points),
            super::num(a.max_points),
            a.band.clone().unwrap_or_default(),
            a.rank.map(|r| r.to_string()).unwrap_or_default(),
        ])?;
    }
    super::save_csv(&dir.join("tasks_agencies.csv"), w)?;

    let mut wb = super::scores::new_workbook()?;
    let bold = super::header_format();
    let two = Format::new().set_num_format("0.00");
    let one = Format::new().set_num_format("0.0");
    let late = Format::new().set_font_color("9C0006");
    let sheet = wb.add_worksheet();
    sheet.set_name(lang.pick("Cơ quan", "Agencies"))?;
    let heads = match lang {
        Lang::Vi => [
            "Hạng",
            "Cơ quan, đơn vị",
            "Nhiệm vụ đã đến hạn",
            "Hoàn thành",
            "Đúng hạn",
            "Muộn",
            "Quá hạn",
            "Chưa đến hạn",
            "Tỷ lệ hoàn thành (%)",
            "Tỷ lệ đúng hạn (%)",
            "Điểm",
            "Điểm tối đa",
            "Xếp loại",
        ],
        Lang::En => [
            "Rank",
            "Agency",
            "Tasks due",
            "Done",
            "On time",
            "Late",
            "Overdue",
            "Not yet due",
            "Completion (%)",
            "On time (%)",
            "Points",
            "Maximum",
            "Band",
        ],
    };
    for (c, h) in heads.iter().enumerate() {
        sheet.write_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, a) in agencies.iter().enumerate() {
        let r = r as u32 + 1;
        if let Some(rank) = a.rank {
            sheet.write(r, 0, rank as f64)?;
        }
        sheet.write(r, 1, a.agency.as_str())?;
        for (c, x) in [
            a.assigned,
            a.done,
            a.done_on_time,
            a.done_late,
            a.overdue,
            a.open,
        ]
        .into_iter()
        .enumerate()
        {
            sheet.write(r, c as u16 + 2, x)?;
        }
        for (c, x) in [a.completion_pct, a.on_time_pct].into_iter().enumerate() {
            if let Some(x) = x {
                sheet.write_with_format(r, c as u16 + 8, x, &one)?;
            }
        }
        if let Some(p) = a.points {
            sheet.write_with_format(r, 10, p, &two)?;
        }
        sheet.write(r, 11, a.max_points)?;
        if let Some(b) = &a.band {
            sheet.write(r, 12, band_name(method, b, lang))?;
        }
    }
    sheet.set_freeze_panes(1, 2)?;
    super::print_ready(sheet, true, 1, 260, lang)?;
    let sheet = wb.add_worksheet();
    sheet.set_name(lang.pick("Nhiệm vụ", "Tasks"))?;
    let heads = match lang {
        Lang::Vi => [
            "STT",
            "Nội dung",
            "Cơ quan chủ trì",
            "Thời hạn",
            "Hạn (ngày)",
            "Điều kiện",
            "Ngày hoàn thành",
            "Tình trạng",
            "Số ngày trễ",
            "Chất lượng",
        ],
        Lang::En => [
            "No.",
            "Task",
            "Lead",
            "Deadline",
            "Due date",
            "Condition",
            "Completed on",
            "Status",
            "Days late",
            "Quality",
        ],
    };
    for (c, h) in heads.iter().enumerate() {
        sheet.write_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, &(t, status, days_late)) in statuses.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write(r, 0, t.task_id.as_str())?;
        sheet.write(r, 1, t.content.as_str())?;
        sheet.write(r, 2, t.lead.as_str())?;
        sheet.write(r, 3, t.deadline_text.as_str())?;
        sheet.write(r, 4, t.deadline.date.to_string())?;
        sheet.write(r, 5, t.deadline.condition.as_deref().unwrap_or(""))?;
        sheet.write(r, 6, date(t.completed_on))?;
        if status == Status::Overdue || status == Status::DoneLate {
            sheet.write_with_format(r, 7, status.label(lang), &late)?;
        } else {
            sheet.write(r, 7, status.label(lang))?;
        }
        sheet.write(r, 8, days_late as f64)?;
        let q = match t.quality {
            Some(crate::plan::Quality::Dat) => lang.pick("Đạt", "Meets the standard"),
            Some(crate::plan::Quality::KhongDat) => lang.pick("Không đạt", "Below the standard"),
            None => "",
        };
        sheet.write(r, 9, q)?;
    }
    sheet.set_freeze_panes(1, 1)?;
    sheet.set_column_width(1, 60)?;
    super::print_ready(sheet, true, 1, 420, lang)?;
    super::save_workbook(&dir.join("tasks.xlsx"), &mut wb)
}
