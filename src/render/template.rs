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
    let header = super::header_format();
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

/// The CCHC assessment template: one row per unit and criterion scored by assessment (its
/// maximum and text beside it), `self_score` and `appraised_score` limited to 0..maximum or
/// `NA`, and an instructions sheet listing the bonus and penalty criteria (rows the unit adds
/// only when it earns one).
pub fn build_par(
    method: &crate::par::ParMethod,
    units: &[String],
    lang: Lang,
) -> anyhow::Result<Vec<u8>> {
    use crate::par::Source;
    let mut wb: Workbook = super::scores::new_workbook()?;
    let header = super::header_format();
    let muted = Format::new().set_font_color("606870").set_text_wrap();
    let leaves = method.leaves();
    let assessed: Vec<_> = leaves
        .iter()
        .filter(|l| l.source == Source::Assessment)
        .collect();
    let sheet = wb.add_worksheet();
    sheet.set_name(lang.pick("Chấm điểm", "Assessment"))?;
    let heads = [
        "unit_id",
        "criterion",
        "self_score",
        "appraised_score",
        "note",
        lang.pick("điểm tối đa", "maximum"),
        lang.pick("nội dung tiêu chí", "criterion"),
    ];
    for (c, h) in heads.iter().enumerate() {
        sheet.write_with_format(0, c as u16, *h, &header)?;
    }
    let mut r = 1u32;
    for u in units {
        for l in &assessed {
            let k = l.criterion;
            sheet.write(r, 0, u.as_str())?;
            sheet.write(r, 1, k.code.as_str())?;
            sheet.write_with_format(r, 5, k.max, &muted)?;
            sheet.write_with_format(r, 6, lang.pick(&k.vi, &k.en).as_str(), &muted)?;
            r += 1;
        }
    }
    let last = r.saturating_sub(1).max(1);
    let words = lang
        .pick(
            "Số điểm từ 0 đến điểm tối đa của tiêu chí (cột F), hoặc NA nếu tiêu chí không áp dụng.",
            "Points from 0 to the criterion's maximum (column F), or NA when it does not apply.",
        )
        .to_string();
    for (c, col) in [(2u16, "C"), (3u16, "D")] {
        let rule = DataValidation::new()
            .allow_custom(Formula::new(format!(
                "=OR(UPPER({col}2)=\"NA\",AND(ISNUMBER({col}2),{col}2>=0,{col}2<=$F2))"
            )))
            .set_input_title(clip(heads[c as usize].to_string()))?
            .set_input_message(clip(words.clone()))?
            .set_error_message(clip(words.clone()))?;
        sheet.add_data_validation(1, c, last, c, &rule)?;
    }
    sheet.set_freeze_panes(1, 2)?;
    sheet.autofilter(0, 0, last, (heads.len() - 1) as u16)?;
    super::print_ready(sheet, true, 1, 420, lang)?;
    let guide = wb.add_worksheet();
    guide.set_name(lang.pick("Hướng dẫn", "Instructions"))?;
    let bold = Format::new().set_bold();
    guide.write_with_format(
        0,
        0,
        format!(
            "{} — {} ({})",
            lang.pick("Mẫu chấm điểm CCHC", "CCHC assessment template"),
            lang.pick(&method.title_vi, &method.title_en),
            method.basis(lang)
        ),
        &bold,
    )?;
    let lines = [
        lang.pick(
            "Mỗi dòng: một đơn vị, một tiêu chí. Nhập điểm tự chấm (self_score) và, nếu có, điểm thẩm định (appraised_score); ghi chú tùy ý.",
            "Each row: one unit, one criterion. Type the self-assessed points (self_score) and, if any, the appraised points (appraised_score); a note is optional.",
        ),
        lang.pick(
            "Tiêu chí không áp dụng với đơn vị: ghi NA. Không xóa dòng, không đổi mã tiêu chí.",
            "A criterion that does not apply to the unit: write NA. Do not delete rows or change criterion codes.",
        ),
        lang.pick(
            "Điểm các tiêu chí lấy từ khảo sát do chiso tính, không nhập ở đây.",
            "Criteria scored from surveys are computed by chiso and not typed here.",
        ),
        lang.pick(
            "Điểm thưởng / điểm trừ: chỉ thêm dòng khi đơn vị có (mã dưới đây), với số điểm:",
            "Bonus and penalty points: add a row only when the unit has one (codes below), with its points:",
        ),
    ];
    for (k, l) in lines.iter().enumerate() {
        guide.write(1 + k as u32, 0, *l)?;
    }
    let first = 1 + lines.len() as u32;
    for (row, l) in (first..).zip(
        leaves
            .iter()
            .filter(|l| matches!(l.source, Source::Bonus | Source::Penalty)),
    ) {
        guide.write(
            row,
            0,
            format!(
                "{} ({} {}): {}",
                l.criterion.code,
                lang.pick("tối đa", "at most"),
                l.criterion.max,
                lang.pick(&l.criterion.vi, &l.criterion.en)
            ),
        )?;
    }
    guide.set_column_width(0, 120)?;
    Ok(wb.save_to_buffer()?)
}
