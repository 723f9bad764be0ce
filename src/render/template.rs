//! The data-entry template an office types paper forms into (`chiso template`): a data sheet
//! whose headers are exactly what ingest reads, each answer column limited to its scale's codes
//! by Excel's data validation, a "Hướng dẫn" (instructions) sheet, and a hidden `_chiso` sheet
//! naming the questionnaire and version, which ingest checks.

use rust_xlsxwriter::{DataValidation, DataValidationRule, Format, Formula, Workbook};

use crate::instrument::{Instrument, Scale, StandardColumn};
use crate::lang::Lang;

/// Rows of the data sheet that get the drop-downs (forms an office types in one workbook).
pub const TEMPLATE_ROWS: u32 = 5_000;

/// The hidden sheet that names the questionnaire a template was made for.
pub const TEMPLATE_SHEET: &str = "_chiso";

/// Excel's limit on a validation message.
const MESSAGE_CHARS: usize = 250;

fn clip(s: String) -> String {
    if s.encode_utf16().count() <= MESSAGE_CHARS {
        return s;
    }
    let mut out = String::new();
    for c in s.chars() {
        if out.encode_utf16().count() + c.len_utf16() > MESSAGE_CHARS - 1 {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// A scale's codes with their labels, and the codes for "not applicable" and "no answer".
fn codes(scale: &Scale, lang: Lang) -> (Vec<String>, String) {
    let labels = lang.pick(&scale.labels_vi, &scale.labels_en);
    let mut list: Vec<String> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    if let Some(v) = &scale.values {
        for (k, code) in v.iter().enumerate() {
            list.push(code.to_string());
            words.push(match labels.get(k) {
                Some(l) => format!("{code} = {l}"),
                None => code.to_string(),
            });
        }
    } else {
        words.push(format!("{}–{}", scale.min, scale.max));
    }
    for c in &scale.not_applicable {
        list.push(c.to_string());
        words.push(format!(
            "{c} = {}",
            lang.pick("không áp dụng", "not applicable")
        ));
    }
    for c in &scale.no_answer {
        list.push(c.to_string());
        words.push(format!("{c} = {}", lang.pick("không trả lời", "no answer")));
    }
    words.push(
        lang.pick("để trống = không trả lời", "blank = no answer")
            .to_string(),
    );
    (list, words.join("; "))
}

/// The template of `inst` as workbook bytes; `units` (if any) become `unit_id`'s drop-down.
pub fn build(inst: &Instrument, units: &[String], lang: Lang) -> anyhow::Result<Vec<u8>> {
    let mut wb: Workbook = super::scores::new_workbook()?;
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color("DDEBF7");
    let last = TEMPLATE_ROWS;
    // The columns: the two ids, the declared columns that are not personal data, the questions.
    let mut cols: Vec<(String, String, Option<DataValidation>)> = Vec::new();
    cols.push((
        inst.header_of(StandardColumn::RespondentId).to_string(),
        lang.pick(
            "Mã phiếu: mỗi phiếu một mã, không trùng",
            "Form id: one per form, never repeated",
        )
        .to_string(),
        None,
    ));
    let unit_rule = (!units.is_empty()).then(|| {
        DataValidation::new().allow_list_formula(Formula::new(format!(
            "={TEMPLATE_SHEET}!$A$3:$A${}",
            units.len() + 2
        )))
    });
    cols.push((
        inst.header_of(StandardColumn::UnitId).to_string(),
        lang.pick(
            "Đơn vị (xã, phường, bệnh viện, trường) của phiếu",
            "The unit (commune, hospital, school) of the form",
        )
        .to_string(),
        unit_rule,
    ));
    for c in inst.columns.iter().filter(|c| !c.pii) {
        let rule = match &c.values {
            Some(v) => Some(
                DataValidation::new()
                    .allow_list_strings(v)?
                    .set_input_title(clip(lang.pick(&c.vi, &c.en).clone()))?
                    .set_input_message(clip(v.join(", ")))?,
            ),
            None => None,
        };
        let what = match &c.values {
            Some(v) => format!("{}: {}", lang.pick(&c.vi, &c.en), v.join(", ")),
            None => lang.pick(&c.vi, &c.en).clone(),
        };
        cols.push((c.header().to_string(), what, rule));
    }
    for q in &inst.questions {
        let (list, words) = codes(&q.scale, lang);
        let text = lang.pick(&q.vi, &q.en);
        let rule = match &q.scale.values {
            Some(_) => DataValidation::new().allow_list_strings(&list)?,
            None => {
                let lo = q.scale.min.min(
                    list.iter()
                        .filter_map(|c| c.parse().ok())
                        .min()
                        .unwrap_or(q.scale.min),
                );
                let hi = q.scale.max.max(
                    list.iter()
                        .filter_map(|c| c.parse().ok())
                        .max()
                        .unwrap_or(q.scale.max),
                );
                DataValidation::new().allow_whole_number(DataValidationRule::Between(lo, hi))
            }
        };
        let rule = rule
            .set_input_title(clip(format!(
                "{} {}",
                q.code,
                lang.pick("— mã trả lời", "— answer code")
            )))?
            .set_input_message(clip(format!("{text}\n{words}")))?
            .set_error_title(clip(
                lang.pick("Mã không có trong thang", "Not a code of the scale")
                    .to_string(),
            ))?
            .set_error_message(clip(words.clone()))?;
        cols.push((
            q.header.clone(),
            format!(
                "{}{}: {text} ({words})",
                q.code,
                if q.optional {
                    lang.pick(" (không bắt buộc)", " (optional)")
                } else {
                    ""
                }
            ),
            Some(rule),
        ));
    }
    let data = wb.add_worksheet();
    data.set_name(lang.pick("Phiếu", "Forms"))?;
    for (c, (h, _, rule)) in cols.iter().enumerate() {
        data.write_with_format(0, c as u16, h, &header)?;
        if let Some(rule) = rule {
            data.add_data_validation(1, c as u16, last, c as u16, rule)?;
        }
    }
    data.set_freeze_panes(1, 2)?;
    data.autofilter(0, 0, last, (cols.len() - 1) as u16)?;
    data.set_column_width(0, 14)?;
    data.set_column_width(1, 22)?;
    super::print_ready(data, true, 1, 200, lang)?;
    // The instructions, in the analyst's language.
    let guide = wb.add_worksheet();
    guide.set_name(lang.pick("Hướng dẫn", "Instructions"))?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    guide.write_with_format(
        0,
        0,
        format!(
            "{} — {} ({})",
            lang.pick("Mẫu nhập phiếu", "Data-entry template"),
            lang.pick(&inst.title_vi, &inst.title_en),
            inst.version
        ),
        &bold,
    )?;
    let intro = [
        lang.pick(
            "Mỗi dòng của trang Phiếu là một phiếu. Không đổi tên, không xóa các cột tiêu đề.",
            "Each row of the Forms sheet is one form. Do not rename or delete the header columns.",
        ),
        lang.pick(
            "Nhập mã trả lời (số), không nhập chữ; ô để trống nghĩa là người trả lời bỏ qua câu hỏi.",
            "Type the answer codes (numbers), not words; a blank cell means the question was skipped.",
        ),
        lang.pick(
            "Không nhập họ tên, số điện thoại, số căn cước vào mẫu này.",
            "Do not type names, phone numbers or ID numbers into this template.",
        ),
        lang.pick(
            "Nhập xong, lưu tệp (.xlsx) rồi kiểm tra và nhập kho: chiso validate --survey … TỆP; chiso ingest --survey … --year NĂM TỆP.",
            "When done, save (.xlsx), then check and store it: chiso validate --survey … FILE; chiso ingest --survey … --year YEAR FILE.",
        ),
    ];
    for (k, line) in intro.iter().enumerate() {
        guide.write(1 + k as u32, 0, *line)?;
    }
    let top = 2 + intro.len() as u32;
    guide.write_with_format(top, 0, lang.pick("Cột", "Column"), &header)?;
    guide.write_with_format(
        top,
        1,
        lang.pick("Nội dung và mã", "Meaning and codes"),
        &header,
    )?;
    for (k, (h, what, _)) in cols.iter().enumerate() {
        guide.write(top + 1 + k as u32, 0, h)?;
        guide.write_with_format(top + 1 + k as u32, 1, what, &wrap)?;
    }
    guide.set_column_width(0, 16)?;
    guide.set_column_width(1, 110)?;
    // The questionnaire the template was made for, and the units' list.
    let meta = wb.add_worksheet();
    meta.set_name(TEMPLATE_SHEET)?;
    meta.write(0, 0, inst.id.as_str())?;
    meta.write(0, 1, inst.version.as_str())?;
    meta.write(1, 0, lang.pick("Đơn vị", "Units"))?;
    for (k, u) in units.iter().enumerate() {
        meta.write(2 + k as u32, 0, u.as_str())?;
    }
    meta.set_hidden(true);
    Ok(wb.save_to_buffer()?)
}
