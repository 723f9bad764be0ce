//! The report's words: the executive summary in sentences a non-statistician reads, each
//! section's opening, and the appendix (methods, definitions, files) — all from the facts
//! `annual::review` picked.

use super::tables::{band_cell, change_cell, interval_of};
use super::{Block, Cell, ChartFiles, Row, Section};
use crate::annual::{ParReview, Review, SurveyReview, YearChange};
use crate::compare::{Change, Direction};
use crate::estimate::{ALL, Level};
use crate::lang::{Lang, count, figure, interval};
use crate::render::figures::{survey_name, unit_name};

/// The cover's line under the title.
pub fn subtitle(r: &Review, lang: Lang) -> String {
    let n = r.surveys.len();
    let units = r
        .surveys
        .iter()
        .flat_map(|s| s.year.estimates.units())
        .chain(
            r.par
                .iter()
                .flat_map(|p| p.result.totals.iter().map(|t| t.unit_id.clone())),
        )
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let compared = r.compare.map_or(String::new(), |c| {
        lang.pick(
            format!("; so sánh với năm {c}"),
            format!("; compared with {c}"),
        )
    });
    let par = if r.par.is_some() {
        lang.pick(" và Chỉ số cải cách hành chính", " and the PAR index")
    } else {
        ""
    };
    lang.pick(
        format!("Kết quả {n} cuộc khảo sát sự hài lòng{par} của {units} đơn vị{compared}."),
        format!("Results of {n} satisfaction surveys{par} for {units} units{compared}."),
    )
}

fn pct(x: f64, lang: Lang) -> String {
    format!("{}%", figure(x, 1, lang))
}

/// "tăng 2,1 điểm so với năm 2025 — tăng thực sự" and the like.
fn change_words(c: &Change, from: i32, lang: Lang) -> String {
    let size = figure(c.change.abs(), 1, lang);
    let how = if c.change >= 0.0 {
        lang.pick("tăng", "up")
    } else {
        lang.pick("giảm", "down")
    };
    match c.direction {
        Some(d) if d.is_real() => lang.pick(
            format!("{how} {size} điểm so với năm {from} — thay đổi thực sự, vượt sai số mẫu"),
            format!("{how} {size} points on {from} — a real change, beyond sampling error"),
        ),
        Some(_) => lang.pick(
            format!("{how} {size} điểm so với năm {from}, nhưng mức này nằm trong sai số mẫu nên chưa thể kết luận là có thay đổi"),
            format!("{how} {size} points on {from}, within sampling error: no conclusion that it changed"),
        ),
        None => lang.pick(
            format!("{how} {size} điểm so với năm {from} (không kiểm định được)"),
            format!("{how} {size} points on {from} (could not be tested)"),
        ),
    }
}

/// The name of an element (or "chỉ số chung").
fn figure_name(s: &SurveyReview, c: &Change, lang: Lang) -> String {
    if c.level == Level::Overall {
        return lang.pick("chỉ số chung", "overall index").to_string();
    }
    s.year
        .inst
        .elements
        .iter()
        .find(|e| e.code == c.code)
        .map_or(c.code.clone(), |e| {
            format!(
                "{} “{}”",
                lang.pick("yếu tố", "element"),
                lang.pick(&e.vi, &e.en)
            )
        })
}

/// A survey's sentences for the summary.
fn survey_sentences(s: &SurveyReview, lang: Lang) -> String {
    let name = survey_name(&s.year.inst, lang);
    let f = &s.summary;
    let mut out = match &f.overall {
        Some(o) if o.estimate.is_finite() => lang.pick(
            format!(
                "{name}: {} người trả lời hài lòng (khoảng tin cậy 95%: {}%; {} phiếu)",
                pct(o.estimate, lang),
                interval(o.ci_low, o.ci_high, 1, lang),
                count(o.n, lang)
            ),
            format!(
                "{name}: {} satisfied (95% interval {}%; {} forms)",
                pct(o.estimate, lang),
                interval(o.ci_low, o.ci_high, 1, lang),
                count(o.n, lang)
            ),
        ),
        _ => lang.pick(
            format!("{name}: không tính được chỉ số chung"),
            format!("{name}: no overall index could be computed"),
        ),
    };
    if let (Some(c), Some(ch)) = (&f.overall_change, &s.change) {
        out.push_str(", ");
        out.push_str(&change_words(c, ch.from, lang));
    }
    out.push('.');
    if let (Some(b), Some(w)) = (&f.best, &f.worst) {
        out.push_str(&lang.pick(
            format!(
                " Cao nhất: {} ({}); thấp nhất: {} ({}).",
                b.unit_id,
                pct(b.estimate, lang),
                w.unit_id,
                pct(w.estimate, lang)
            ),
            format!(
                " Highest: {} ({}); lowest: {} ({}).",
                b.unit_id,
                pct(b.estimate, lang),
                w.unit_id,
                pct(w.estimate, lang)
            ),
        ));
    }
    if s.change.is_some() {
        // The overall index of all units together is told above.
        let below: Vec<&Change> = f
            .real_changes
            .iter()
            .filter(|c| !(c.unit_id == ALL && c.level == Level::Overall))
            .collect();
        let real: Vec<String> = below
            .iter()
            .take(4)
            .map(|c| {
                format!(
                    "{} {} {} {} ({})",
                    unit_name(&c.unit_id, lang),
                    match c.direction {
                        Some(Direction::Down) => lang.pick("giảm", "fell"),
                        _ => lang.pick("tăng", "rose"),
                    },
                    figure(c.change.abs(), 1, lang),
                    lang.pick("điểm", "points"),
                    figure_name(s, c, lang)
                )
            })
            .collect();
        if real.is_empty() {
            out.push_str(&lang.pick(
                format!(
                    " Trong {} chỉ số được so sánh (từng đơn vị, từng yếu tố), không có thay đổi nào vượt sai số mẫu.",
                    f.tested
                ),
                format!(
                    " Of the {} figures compared (each unit, each element), no change is beyond sampling error.",
                    f.tested
                ),
            ));
        } else {
            let more = below.len() - real.len();
            out.push_str(&lang.pick(
                format!(
                    " Thay đổi thực sự: {}{}.",
                    real.join("; "),
                    if more > 0 {
                        format!("; và {more} thay đổi khác (Bảng so sánh)")
                    } else {
                        String::new()
                    }
                ),
                format!(
                    " Real changes: {}{}.",
                    real.join("; "),
                    if more > 0 {
                        format!("; and {more} more (see the changes table)")
                    } else {
                        String::new()
                    }
                ),
            ));
        }
    }
    if !f.unpublishable.is_empty() {
        out.push_str(&lang.pick(
            format!(
                " Chưa đủ phiếu để công bố chỉ số của: {}.",
                f.unpublishable.join(", ")
            ),
            format!(
                " Too few forms to publish the index of: {}.",
                f.unpublishable.join(", ")
            ),
        ));
    }
    out
}

/// The executive summary.
pub fn section(r: &Review, lang: Lang) -> Section {
    let mut blocks = vec![Block::Lead {
        text: lang
            .pick(
                "Các tỷ lệ dưới đây là ước lượng từ mẫu khảo sát, kèm khoảng tin cậy 95%: khoảng mà chỉ số thực của toàn bộ người dân có thể nằm trong đó. Một thay đổi chỉ được gọi là “thực sự” khi nó lớn hơn sai số do chọn mẫu.",
                "The shares below are estimates from survey samples, with 95% intervals: the range in which the true figure for everyone likely lies. A change is called real only when it is larger than the sampling error.",
            )
            .to_string(),
    }];
    if !r.surveys.is_empty() {
        let mut head = vec![
            lang.pick("Khảo sát", "Survey").to_string(),
            format!("{} {}", lang.pick("Chỉ số chung", "Overall index"), r.year),
            lang.pick("Số phiếu", "Forms").to_string(),
        ];
        if let Some(c) = r.compare {
            head.push(format!("{} {c}", lang.pick("So với", "Change on")));
        }
        let rows = r
            .surveys
            .iter()
            .map(|s| {
                let o = s.summary.overall.as_ref();
                let mut cells = vec![
                    Cell::text(survey_name(&s.year.inst, lang)),
                    match o {
                        Some(o) if o.estimate.is_finite() => Cell::num(pct(o.estimate, lang))
                            .under(interval(o.ci_low, o.ci_high, 1, lang)),
                        _ => Cell::num("—"),
                    },
                    Cell::num(o.map_or("—".into(), |o| count(o.n, lang))),
                ];
                if r.compare.is_some() {
                    cells.push(match &s.summary.overall_change {
                        Some(c) => change_cell(c.change, 1, c.direction, lang)
                            .under(c.direction.map_or("", |d| d.label(lang)).to_string()),
                        None => Cell::num("—"),
                    });
                }
                Row::new(cells)
            })
            .collect();
        blocks.push(Block::Table {
            id: "table-summary-surveys".into(),
            caption: lang.pick(
                format!("Chỉ số hài lòng chung năm {} (tỷ lệ người trả lời hài lòng, %)", r.year),
                format!("Overall satisfaction {} (share satisfied, %)", r.year),
            ),
            class: "",
            head,
            rows,
            note: Some(
                lang.pick(
                    "Dòng dưới tỷ lệ: khoảng tin cậy 95%. ▲/▼: thay đổi thực sự (vượt sai số mẫu).",
                    "Under each share: its 95% interval. ▲/▼: a real change (beyond sampling error).",
                )
                .to_string(),
            ),
        });
        blocks.push(Block::Bullets {
            items: r
                .surveys
                .iter()
                .map(|s| survey_sentences(s, lang))
                .collect(),
        });
    }
    if let Some(p) = &r.par {
        blocks.extend(par_summary(r, p, lang));
    }
    if let Some(q) = &r.qd766 {
        blocks.push(Block::paragraph(super::qd766_sentence(q, lang)));
    }
    Section {
        id: "summary".into(),
        number: String::new(),
        heading: lang.pick("Tóm tắt", "Summary").into(),
        class: "",
        blocks,
    }
}

/// The CCHC part of the summary: the units in rank order, and a few sentences.
fn par_summary(r: &Review, p: &ParReview, lang: Lang) -> Vec<Block> {
    let m = &r.par_method;
    let f = &p.summary;
    let mut head = vec![
        lang.pick("Hạng", "Rank").to_string(),
        lang.pick("Đơn vị", "Unit").to_string(),
        lang.pick("Chỉ số CCHC (%)", "CCHC index (%)").to_string(),
        lang.pick("Xếp loại", "Band").to_string(),
    ];
    let compared = p.changes.as_ref().map(|c| c.0.min(c.1));
    if let Some((from, to, _)) = &p.changes {
        head.push(lang.pick(
            format!("Thay đổi {from}–{to}"),
            format!("Change {from}–{to}"),
        ));
    }
    let rows = f
        .ranked
        .iter()
        .map(|(t, c)| {
            let mut cells = vec![
                Cell::num(t.rank.map_or("—".into(), |x| x.to_string())),
                Cell::text(t.unit_id.clone()),
                Cell::num(t.index_pct.map_or("—".into(), |x| figure(x, 2, lang)))
                    .under(interval_of(t.ci_low, t.ci_high, 2, lang)),
                band_cell(m, t.band.as_deref(), lang),
            ];
            if compared.is_some() {
                cells.push(
                    match c.as_ref().and_then(|c| c.index_change.map(|x| (x, c))) {
                        Some((x, c)) => {
                            let t = crate::lang::signed(x, 2, lang);
                            match c.direction {
                                Some(Direction::Up) => Cell::with(format!("{t} ▲"), "up"),
                                Some(Direction::Down) => Cell::with(format!("{t} ▼"), "down"),
                                _ => Cell::with(t, "same"),
                            }
                        }
                        None => Cell::num("—"),
                    },
                );
            }
            Row::new(cells)
        })
        .collect();
    let mut sentences = Vec::new();
    let with_index: Vec<_> = f
        .ranked
        .iter()
        .filter(|(t, _)| t.index_pct.is_some())
        .collect();
    if let (Some((b, _)), Some((w, _))) = (with_index.first(), with_index.last())
        && with_index.len() >= 2
    {
        let band = |t: &crate::par::TotalRow| {
            t.band
                .as_deref()
                .and_then(|x| m.band_named(x))
                .map_or(String::new(), |x| {
                    lang.pick(
                        format!(", xếp loại {}", x.label(lang)),
                        format!(", band {}", x.label(lang)),
                    )
                })
        };
        sentences.push(lang.pick(
            format!(
                "Chỉ số CCHC năm {}: cao nhất là {} ({}%{}), thấp nhất là {} ({}%{}).",
                r.year,
                b.unit_id,
                b.index_pct.map_or("—".into(), |x| figure(x, 2, lang)),
                band(b),
                w.unit_id,
                w.index_pct.map_or("—".into(), |x| figure(x, 2, lang)),
                band(w)
            ),
            format!(
                "CCHC index {}: highest {} ({}%{}), lowest {} ({}%{}).",
                r.year,
                b.unit_id,
                b.index_pct.map_or("—".into(), |x| figure(x, 2, lang)),
                band(b),
                w.unit_id,
                w.index_pct.map_or("—".into(), |x| figure(x, 2, lang)),
                band(w)
            ),
        ));
    }
    if f.uncertain_ranks > 0 {
        sentences.push(lang.pick(
            format!(
                "{} trong {} đơn vị có khoảng hạng rộng hơn một bậc: thứ hạng của các đơn vị này có thể khác nếu khảo sát lại, nên không nên coi chênh lệch một, hai bậc là khác biệt thực sự.",
                f.uncertain_ranks,
                f.ranked.len()
            ),
            format!(
                "{} of {} units have a rank interval wider than one place: their ranks could differ if surveyed again, so a difference of a place or two is not a real difference.",
                f.uncertain_ranks,
                f.ranked.len()
            ),
        ));
    }
    if let Some(from) = compared {
        if f.real_changes.is_empty() {
            sentences.push(lang.pick(
                format!("So với năm {from}, không đơn vị nào có chỉ số CCHC thay đổi vượt sai số."),
                format!("Compared with {from}, no unit's CCHC index changed beyond its error."),
            ));
        } else {
            let list: Vec<String> = f
                .real_changes
                .iter()
                .map(|c| {
                    let x = c.index_change.unwrap_or(0.0);
                    format!(
                        "{} {} {} {}",
                        c.unit_id,
                        if x >= 0.0 {
                            lang.pick("tăng", "rose")
                        } else {
                            lang.pick("giảm", "fell")
                        },
                        figure(x.abs(), 2, lang),
                        lang.pick("điểm", "points")
                    )
                })
                .collect();
            sentences.push(lang.pick(
                format!("Thay đổi thực sự so với năm {from}: {}.", list.join("; ")),
                format!("Real changes on {from}: {}.", list.join("; ")),
            ));
        }
    }
    vec![
        Block::Table {
            id: "table-summary-par".into(),
            caption: lang.pick(
                format!("Chỉ số cải cách hành chính năm {} theo thứ hạng", r.year),
                format!("PAR index {} in rank order", r.year),
            ),
            class: "",
            head,
            rows,
            note: Some(
                lang.pick(
                    "Dòng dưới chỉ số: khoảng tin cậy 95%. ▲/▼: thay đổi thực sự.",
                    "Under the index: its 95% interval. ▲/▼: a real change.",
                )
                .to_string(),
            ),
        },
        Block::Bullets { items: sentences },
    ]
}

/// The opening of a survey's section.
pub fn survey_lead(s: &SurveyReview, lang: Lang) -> String {
    let y = &s.year;
    let n = y.estimates.overall(ALL).map_or(0, |e| e.n);
    let units = y.estimates.units().len();
    let modelled = if y.inst.modelled || y.method.modelled {
        lang.pick(
            " Một số quy tắc tổng hợp là mô phỏng, chưa phải văn bản chính thức (xem Phụ lục).",
            " Some aggregation rules are modelled, not the official text (see the appendix).",
        )
    } else {
        ""
    };
    lang.pick(
        format!(
            "{} ({}), theo {}. {} phiếu hợp lệ tại {units} đơn vị. {}.{modelled}",
            y.inst.title_vi,
            y.inst.version,
            y.inst.legal_basis,
            count(n, lang),
            y.method.title_vi
        ),
        format!(
            "{} ({}), under {}. {} valid forms from {units} units. Method: {}.{modelled}",
            y.inst.title_en,
            y.inst.version,
            y.inst.legal_basis,
            count(n, lang),
            y.method.title_en
        ),
    )
}

/// The line that says which elements are left out.
pub fn empty_elements(s: &SurveyReview, lang: Lang) -> String {
    let names: Vec<String> = s
        .empty_elements
        .iter()
        .map(|c| {
            s.year
                .inst
                .elements
                .iter()
                .find(|e| &e.code == c)
                .map_or(c.clone(), |e| lang.pick(&e.vi, &e.en).clone())
        })
        .collect();
    lang.pick(
        format!(
            "Không có câu trả lời năm {} cho {} yếu tố không bắt buộc, nên không đưa vào bảng và biểu đồ: {}.",
            s.year.year,
            names.len(),
            names.join("; ")
        ),
        format!(
            "No answers in {} for {} optional elements, left out of the tables and charts: {}.",
            s.year.year,
            names.len(),
            names.join("; ")
        ),
    )
}

/// The line that says what could not be compared.
pub fn excluded(c: &YearChange, id: &str, lang: Lang) -> String {
    lang.pick(
        format!(
            "{} chỉ số không so sánh được (câu hỏi không tương ứng giữa hai phiên bản phiếu, hoặc đơn vị chỉ có ở một năm): xem tables/{id}/compare_excluded.csv.",
            c.excluded.len()
        ),
        format!(
            "{} figures could not be compared (items that do not correspond, or units in one year only): see tables/{id}/compare_excluded.csv.",
            c.excluded.len()
        ),
    )
}

/// The opening of the CCHC section.
pub fn par_lead(r: &Review, p: &ParReview, lang: Lang) -> String {
    let m = &r.par_method;
    let modelled = if m.modelled {
        lang.pick(
            " Phương pháp này là mô phỏng: mỗi tỉnh ban hành bộ tiêu chí riêng.",
            " This methodology is modelled: each province issues its own criteria.",
        )
    } else {
        ""
    };
    lang.pick(
        format!(
            "{}. Căn cứ: {}. {} đơn vị được chấm điểm.{modelled}",
            m.title_vi,
            m.basis(lang),
            p.result.totals.len()
        ),
        format!(
            "{}. Basis: {}. {} units assessed.{modelled}",
            m.title_en,
            m.basis(lang),
            p.result.totals.len()
        ),
    )
}

/// The appendix: methods, definitions, the files beside the report.
pub fn appendix(r: &Review, charts: &ChartFiles, lang: Lang) -> Vec<Section> {
    let mut methods = vec![
        lang.pick(
            "Mỗi chỉ số là ước lượng từ mẫu. Sai số chuẩn tính theo thiết kế mẫu (phân tầng, đơn vị mẫu cấp 1, trọng số) bằng tuyến tính hóa Taylor, khớp với gói survey của R; khoảng tin cậy 95% của tỷ lệ theo phương pháp logit (hoặc Wilson), luôn nằm trong 0–100%.",
            "Every index is a sample estimate. Standard errors follow the design (strata, primary sampling units, weights) by Taylor linearisation, matching R's survey package; 95% intervals of shares are logit (or Wilson) intervals and stay within 0–100%.",
        ).to_string(),
        lang.pick(
            "Chỉ số của yếu tố, của từng phần (SIPAS: phần chính sách và phần cung ứng dịch vụ) và chỉ số chung tổng hợp từ các câu hỏi theo quy tắc ghi trong tệp phương pháp (gộp chung, trung bình, hoặc trung bình có trọng số); khoảng tin cậy của một trung bình các tỷ lệ được giới hạn trong 0–100%. Bậc tự do của mỗi chỉ số là số đơn vị mẫu cấp 1 có người trả lời chỉ số đó trừ số tầng của chúng.",
            "Element, part (SIPAS: the policy and service-delivery parts) and overall indices combine the items by the rule written in the methodology file (pooled, a mean, or a weighted mean); the interval of a mean of shares is clamped to 0–100%. Each figure's degrees of freedom are the primary sampling units holding someone who answered it, minus their strata.",
        ).to_string(),
        lang.pick(
            "Thay đổi giữa hai năm: kiểm định t hai phía với hai mẫu độc lập; giá trị p được hiệu chỉnh Benjamini–Hochberg trên toàn bảng so sánh vì có nhiều phép so sánh cùng lúc. “Thay đổi thực sự” nghĩa là p hiệu chỉnh dưới 0,05.",
            "Changes between two years: two-sided t tests on independent samples; p-values adjusted by Benjamini–Hochberg across the whole table, since many comparisons are made at once. A “real change” has an adjusted p below 0.05.",
        ).to_string(),
    ];
    if r.par.is_some() {
        methods.push(lang.pick(
            "Chỉ số CCHC: điểm phần khảo sát = điểm tối đa × chỉ số khảo sát / 100; khoảng tin cậy của chỉ số lan truyền sai số mẫu của các chỉ số khảo sát (kể cả hiệp phương sai trong cùng một cuộc khảo sát); khoảng hạng 95% lấy từ mô phỏng với hạt giống cố định, nên cùng số liệu cho cùng kết quả.",
            "CCHC index: survey points = maximum × survey index / 100; the index's interval propagates the surveys' sampling error (covariances within a survey included); 95% rank intervals come from a seeded simulation, so the same data give the same result.",
        ).to_string());
    }
    for s in &r.surveys {
        methods.push(lang.pick(
            format!(
                "{}: phiếu {} ({}); {} — căn cứ: {}.",
                survey_name(&s.year.inst, lang),
                s.year.inst.id,
                s.year.inst.version,
                s.year.method.title_vi,
                s.year.method.basis(lang)
            ),
            format!(
                "{}: questionnaire {} ({}); method {} — basis: {}.",
                survey_name(&s.year.inst, lang),
                s.year.inst.id,
                s.year.inst.version,
                s.year.method.title_en,
                s.year.method.basis(lang)
            ),
        ));
    }
    let glossary = vec![
        lang.pick("Tỷ lệ hài lòng: tỷ lệ câu trả lời ở mức “hài lòng” hoặc “rất hài lòng” (có trọng số) trong các câu trả lời hợp lệ.", "Share satisfied: the weighted share of answers at “satisfied” or “very satisfied” among valid answers.").to_string(),
        lang.pick("Khoảng tin cậy 95%: nếu khảo sát lặp lại nhiều lần, 95% các khoảng tính như vậy chứa giá trị thực.", "95% interval: were the survey repeated many times, 95% of such intervals would hold the true value.").to_string(),
        lang.pick("Ít phiếu (*): số câu trả lời hợp lệ dưới mức tối thiểu của phương pháp; con số không nên công bố.", "Too few answers (*): fewer valid answers than the methodology's minimum; the figure should not be published.").to_string(),
        lang.pick("Không đủ bậc tự do: mẫu không đủ đơn vị mẫu cấp 1 để tính khoảng tin cậy.", "No degrees of freedom: too few primary sampling units for an interval.").to_string(),
        lang.pick("Khoảng hạng 95%: các thứ hạng một đơn vị có thể nhận khi tính đến sai số mẫu.", "95% rank interval: the ranks a unit could take given the sampling error.").to_string(),
    ];
    let per_unit = charts.written.len();
    let mut files = vec![
        lang.pick(
            "tables/<khảo sát>/scores.csv, scores.xlsx, scores.json: mọi chỉ số (câu hỏi, yếu tố, chỉ số chung; từng đơn vị và toàn bộ) kèm sai số chuẩn, khoảng tin cậy, bậc tự do, hiệu ứng thiết kế.",
            "tables/<survey>/scores.csv, scores.xlsx, scores.json: every figure (items, elements, overall; each unit and all units) with its standard error, interval, degrees of freedom and design effect.",
        ).to_string(),
        lang.pick(
            "tables/<khảo sát>/compare.csv, compare.xlsx, compare_excluded.csv: mọi thay đổi giữa hai năm và những gì không so sánh được; tables/par/: điểm, tổng và thay đổi của chỉ số CCHC.",
            "tables/<survey>/compare.csv, compare.xlsx, compare_excluded.csv: every change between the two years and what could not be compared; tables/par/: the CCHC points, totals and changes.",
        ).to_string(),
        lang.pick(
            format!("charts/: {per_unit} biểu đồ (PNG và SVG), gồm cả biểu đồ của từng đơn vị và phân bố câu trả lời từng yếu tố không in trong báo cáo này."),
            format!("charts/: {per_unit} charts (PNG and SVG), including each unit's charts and the answer distributions not printed in this report."),
        ),
    ];
    if r.qd766.is_some() {
        files.push(lang.pick(
            "tables/qd766/qd766_items.csv, qd766_totals.csv, qd766.xlsx: chỉ số QĐ 766 của từng đơn vị và toàn bộ, cả năm và từng tháng: tử số, mẫu số, tỷ lệ, điểm từng chỉ số thành phần.",
            "tables/qd766/qd766_items.csv, qd766_totals.csv, qd766.xlsx: the QĐ 766 index of each unit and all units, for the year and each month: numerator, denominator, rate and points of every item.",
        ).to_string());
    }
    if !r.plans.is_empty() {
        files.push(lang.pick(
            "tables/plan-<đơn vị>/tasks_status.csv, tasks_agencies.csv, tasks.xlsx: tình trạng từng nhiệm vụ của Kế hoạch CCHC năm và xếp hạng cơ quan chủ trì.",
            "tables/plan-<unit>/tasks_status.csv, tasks_agencies.csv, tasks.xlsx: each task of the annual plan and the lead agencies ranked.",
        ).to_string());
    }
    let mut blocks = vec![
        Block::Subheading {
            text: lang.pick("Phương pháp", "Methods").into(),
        },
        Block::Bullets { items: methods },
        Block::Subheading {
            text: lang.pick("Thuật ngữ", "Definitions").into(),
        },
        Block::Bullets { items: glossary },
        Block::Subheading {
            text: lang
                .pick("Các tệp kèm theo", "Files beside this report")
                .into(),
        },
        Block::Bullets { items: files },
    ];
    if !r.left_out.is_empty() {
        blocks.push(Block::Subheading {
            text: lang.pick("Không đưa vào báo cáo", "Left out").into(),
        });
        blocks.push(Block::Bullets {
            items: r.left_out.clone(),
        });
    }
    vec![Section {
        id: "notes".into(),
        number: lang.pick("Phụ lục", "Appendix").into(),
        heading: lang
            .pick("Phương pháp và thuật ngữ", "Methods and definitions")
            .into(),
        class: "",
        blocks,
    }]
}
