//! The report's tables: per survey a wide table (units down, elements across), its changes in
//! the same shape, its items; the CCHC totals, areas and changes.

use super::{Block, Cell, Row};
use crate::annual::{ParReview, SurveyReview, YearChange};
use crate::compare::{Direction, ParChange};
use crate::estimate::{ALL, Estimate, Level, measure};
use crate::lang::{Lang, figure, interval, signed};
use crate::par::ParMethod;
use crate::render::figures::unit_name;

/// The columns of a survey's wide tables: the overall index, its parts (the methodology's
/// nodes), then every element with data.
fn columns(s: &SurveyReview, lang: Lang) -> Vec<(Level, String, String)> {
    let mut cols = vec![(
        Level::Overall,
        "overall".to_string(),
        lang.pick("Chỉ số chung", "Overall index").to_string(),
    )];
    for n in &s.year.method.nodes {
        let level = Level::Node(n.level.as_str().into());
        let has = s
            .year
            .estimates
            .get(ALL, level.clone(), &n.code, measure::SATISFIED_PCT)
            .is_some_and(|e| e.estimate.is_finite());
        if has {
            cols.push((level, n.code.clone(), lang.pick(&n.vi, &n.en).clone()));
        }
    }
    for e in &s.year.inst.elements {
        if !s.empty_elements.contains(&e.code) {
            cols.push((
                Level::Element,
                e.code.clone(),
                lang.pick(&e.vi, &e.en).clone(),
            ));
        }
    }
    cols
}

/// ALL first, then the units.
fn units(s: &SurveyReview) -> Vec<String> {
    let mut u = vec![ALL.to_string()];
    u.extend(s.year.estimates.units());
    u
}

/// A percentage with its interval under it; flagged figures marked.
fn pct_cell(e: Option<&Estimate>, lang: Lang) -> Cell {
    match e {
        Some(e) if e.estimate.is_finite() => {
            let c = Cell::with(
                figure(e.estimate, 1, lang),
                if e.flag.is_empty() { "num" } else { "flagged" },
            );
            let c = if e.flag.is_empty() {
                c
            } else {
                Cell {
                    text: format!("{}*", c.text),
                    ..c
                }
            };
            c.under(interval(e.ci_low, e.ci_high, 1, lang))
        }
        _ => Cell::num("—"),
    }
}

fn row_class(unit: &str) -> &'static str {
    if unit == ALL { "all" } else { "" }
}

/// Units down, the overall index and the elements across: share satisfied (%) with its 95 %
/// interval under it.
pub fn wide_scores(s: &SurveyReview, number: usize, lang: Lang) -> Block {
    let y = &s.year;
    let cols = columns(s, lang);
    let mut head = vec![lang.pick("Đơn vị", "Unit").to_string(), "n".to_string()];
    head.extend(cols.iter().map(|c| c.2.clone()));
    let rows = units(s)
        .into_iter()
        .map(|u| {
            let mut cells = vec![
                Cell::text(unit_name(&u, lang)),
                Cell::num(
                    y.estimates
                        .overall(&u)
                        .map_or("—".into(), |e| crate::lang::count(e.n, lang)),
                ),
            ];
            for (level, code, _) in &cols {
                cells.push(pct_cell(
                    y.estimates
                        .get(&u, level.clone(), code, measure::SATISFIED_PCT),
                    lang,
                ));
            }
            Row {
                cells,
                class: row_class(&u),
            }
        })
        .collect();
    Block::Table {
        id: format!("table-{}-units", y.inst.id),
        caption: lang.pick(
            format!(
                "Bảng {number}.1. Tỷ lệ hài lòng (%) theo đơn vị: chỉ số chung và từng yếu tố, năm {}",
                y.year
            ),
            format!(
                "Table {number}.1. Share satisfied (%) by unit: overall index and each element, {}",
                y.year
            ),
        ),
        class: "wide",
        head,
        rows,
        note: Some(
            lang.pick(
                "Dòng dưới mỗi số: khoảng tin cậy 95%. n: số người trả lời. * ít phiếu, không công bố; — không có dữ liệu.",
                "Under each figure: its 95% interval. n: respondents. * too few answers to publish; — no data.",
            )
            .to_string(),
        ),
    }
}

/// A change with its verdict: `+2,1 ▲` (real rise), `−3,0 ▼` (real fall), `+0,4` (noise),
/// red when it could not be tested.
pub(super) fn change_cell(change: f64, decimals: usize, d: Option<Direction>, lang: Lang) -> Cell {
    let text = signed(change, decimals, lang);
    match d {
        Some(Direction::Up) => Cell::with(format!("{text} ▲"), "up"),
        Some(Direction::Down) => Cell::with(format!("{text} ▼"), "down"),
        Some(Direction::NoChange) => Cell::with(text, "same"),
        None => Cell::with(text, "flagged"),
    }
}

/// An interval whose ends may be missing.
pub(super) fn interval_of(
    low: Option<f64>,
    high: Option<f64>,
    decimals: usize,
    lang: Lang,
) -> String {
    match (low, high) {
        (Some(a), Some(b)) => interval(a, b, decimals, lang),
        _ => "—".into(),
    }
}

/// A unit's CCHC band in words: `B — Tốt`.
pub(super) fn band_cell(m: &ParMethod, band: Option<&str>, lang: Lang) -> Cell {
    Cell::text(
        band.and_then(|b| m.band_named(b))
            .map_or("—".into(), |b| b.label(lang)),
    )
}

/// The changes in the wide table's shape: points of share satisfied, real ones marked.
pub fn wide_changes(s: &SurveyReview, c: &YearChange, number: usize, lang: Lang) -> Block {
    let cols = columns(s, lang);
    let find = |u: &str, level: Level, code: &str| {
        c.changes.iter().find(|x| {
            x.unit_id == u
                && x.level == level
                && x.code == code
                && x.measure == measure::SATISFIED_PCT
        })
    };
    let mut head = vec![lang.pick("Đơn vị", "Unit").to_string()];
    head.extend(cols.iter().map(|c| c.2.clone()));
    let rows = units(s)
        .into_iter()
        .map(|u| {
            let mut cells = vec![Cell::text(unit_name(&u, lang))];
            for (level, code, _) in &cols {
                cells.push(find(&u, level.clone(), code).map_or(Cell::num("—"), |c| {
                    change_cell(c.change, 1, c.direction, lang)
                }));
            }
            Row {
                cells,
                class: row_class(&u),
            }
        })
        .collect();
    Block::Table {
        id: format!("table-{}-changes", s.year.inst.id),
        caption: lang.pick(
            format!(
                "Bảng {number}.2. Thay đổi {}–{} của tỷ lệ hài lòng (điểm %)",
                c.from, c.to
            ),
            format!(
                "Table {number}.2. Change {}–{} of the share satisfied (points)",
                c.from, c.to
            ),
        ),
        class: "wide",
        head,
        rows,
        note: Some(lang.pick(
            "▲ tăng thực sự, ▼ giảm thực sự: thay đổi vượt sai số mẫu (kiểm định t, p hiệu chỉnh Benjamini–Hochberg < 0,05). Số không có dấu: thay đổi nằm trong sai số mẫu, chưa kết luận được. Số màu đỏ: không kiểm định được (thiếu bậc tự do hoặc sai số).",
            "▲ real rise, ▼ real fall: beyond sampling error (t test, Benjamini–Hochberg adjusted p < 0.05). Unmarked: within sampling error, no conclusion. Red: could not be tested (no degrees of freedom or standard error).",
        ).to_string()),
    }
}

/// Every item with data, for all units together.
pub fn items(s: &SurveyReview, number: usize, lang: Lang) -> Block {
    let y = &s.year;
    let rows = y
        .inst
        .scored_items()
        .filter(|q| !s.empty_items.contains(&q.code))
        .map(|q| {
            let e = y
                .estimates
                .get(ALL, Level::Item, &q.code, measure::SATISFIED_PCT);
            let mean = y
                .estimates
                .get(ALL, Level::Item, &q.code, measure::MEAN_SCORE);
            Row::new(vec![
                Cell::text(q.code.clone()),
                Cell::text(lang.pick(&q.vi, &q.en).clone()),
                pct_cell(e, lang),
                Cell::num(e.map_or("—".into(), |e| crate::lang::count(e.n, lang))),
                Cell::num(mean.map_or("—".into(), |m| figure(m.estimate, 2, lang))),
            ])
        })
        .collect();
    let left_out = s.empty_items.len();
    Block::Table {
        id: format!("table-{}-items", y.inst.id),
        caption: lang.pick(
            format!(
                "Bảng {number}.3. Từng câu hỏi, toàn bộ các đơn vị, năm {}",
                y.year
            ),
            format!("Table {number}.3. Every item, all units, {}", y.year),
        ),
        class: "items",
        head: [
            lang.pick("Mã", "Code"),
            lang.pick("Câu hỏi", "Item"),
            lang.pick("Tỷ lệ hài lòng (%)", "Satisfied (%)"),
            "n",
            lang.pick("Điểm trung bình", "Mean score"),
        ]
        .map(String::from)
        .to_vec(),
        rows,
        note: Some(match (left_out, lang) {
            (0, _) => lang
                .pick(
                    "Dòng dưới tỷ lệ: khoảng tin cậy 95%. Điểm trung bình trên thang của câu hỏi.",
                    "Under each share: its 95% interval. Mean score on the item's scale.",
                )
                .to_string(),
            (k, Lang::Vi) => format!(
                "Dòng dưới tỷ lệ: khoảng tin cậy 95%. {k} câu hỏi không bắt buộc không có câu trả lời nào và không đưa vào bảng."
            ),
            (k, Lang::En) => format!(
                "Under each share: its 95% interval. {k} optional items had no answers and are left out."
            ),
        }),
    }
}

fn opt2(x: Option<f64>, lang: Lang) -> String {
    x.map_or("—".into(), |x| figure(x, 2, lang))
}

fn rank_range(a: Option<usize>, b: Option<usize>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => format!("{a}–{b}"),
        _ => "—".into(),
    }
}

/// The CCHC totals in rank order.
pub fn par_totals(m: &ParMethod, p: &ParReview, year: i32, number: usize, lang: Lang) -> Block {
    let rows = p
        .result
        .ranked()
        .into_iter()
        .map(|t| {
            let flagged = !t.flag.is_empty();
            Row::new(vec![
                Cell::num(t.rank.map_or("—".into(), |x| x.to_string())),
                Cell::text(t.unit_id.clone()),
                Cell::num(format!(
                    "{} / {}",
                    opt2(t.points, lang),
                    figure(t.max_points, 1, lang)
                )),
                Cell::with(
                    opt2(t.index_pct, lang),
                    if flagged { "flagged" } else { "num" },
                )
                .under(interval_of(t.ci_low, t.ci_high, 2, lang)),
                band_cell(m, t.band.as_deref(), lang),
                Cell::num(rank_range(t.rank_low, t.rank_high)),
                Cell::text(t.flag.label(lang)),
            ])
        })
        .collect();
    Block::Table {
        id: "table-par-totals".into(),
        caption: lang.pick(
            format!("Bảng {number}.1. Chỉ số CCHC năm {year}: điểm, chỉ số, xếp loại và thứ hạng"),
            format!("Table {number}.1. CCHC index {year}: points, index, band and rank"),
        ),
        class: "",
        head: [
            lang.pick("Hạng", "Rank"),
            lang.pick("Đơn vị", "Unit"),
            lang.pick("Điểm đạt / tối đa", "Points / maximum"),
            lang.pick("Chỉ số (%)", "Index (%)"),
            lang.pick("Xếp loại", "Band"),
            lang.pick("Khoảng hạng 95%", "95% rank interval"),
            lang.pick("Ghi chú", "Flag"),
        ]
        .map(String::from)
        .to_vec(),
        rows,
        note: Some(lang.pick(
            "Dòng dưới chỉ số: khoảng tin cậy 95% (sai số của phần điểm lấy từ khảo sát). Khoảng hạng: các thứ hạng đơn vị có thể nhận nếu khảo sát lại.",
            "Under the index: its 95% interval (the sampling error of the survey points). Rank interval: the ranks the unit could take if surveyed again.",
        ).to_string()),
    }
}

/// Points / maximum by area, units down.
pub fn par_areas(m: &ParMethod, p: &ParReview, year: i32, number: usize, lang: Lang) -> Block {
    let mut head = vec![lang.pick("Đơn vị", "Unit").to_string()];
    head.extend(
        m.areas
            .iter()
            .map(|a| format!("{} {}", lang.pick("LV", "Area"), a.code)),
    );
    let rows = p
        .result
        .ranked()
        .into_iter()
        .map(|t| {
            let mut cells = vec![Cell::text(t.unit_id.clone())];
            for a in p.result.area_totals(m, &t.unit_id) {
                cells.push(
                    Cell::num(figure(a.points, 2, lang))
                        .under(format!("/ {}", figure(a.max, 1, lang))),
                );
            }
            Row::new(cells)
        })
        .collect();
    let legend = m
        .areas
        .iter()
        .map(|a| {
            format!(
                "{} {}: {}",
                lang.pick("LV", "Area"),
                a.code,
                lang.pick(&a.vi, &a.en)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    Block::Table {
        id: "table-par-areas".into(),
        caption: lang.pick(
            format!("Bảng {number}.2. Điểm đạt / điểm tối đa theo lĩnh vực, năm {year}"),
            format!("Table {number}.2. Points / maximum by area, {year}"),
        ),
        class: "wide",
        head,
        rows,
        note: Some(format!("{legend}.")),
    }
}

/// Each unit's CCHC index in two years.
pub fn par_changes(rows: &[ParChange], from: i32, to: i32, number: usize, lang: Lang) -> Block {
    let cells = rows
        .iter()
        .map(|r| {
            Row::new(vec![
                Cell::text(r.unit_id.clone()),
                Cell::num(opt2(r.index_from, lang)),
                Cell::num(opt2(r.index_to, lang)),
                r.index_change
                    .map_or(Cell::num("—"), |x| change_cell(x, 2, r.direction, lang))
                    .under(interval_of(r.ci_low, r.ci_high, 2, lang)),
                Cell::num(format!(
                    "{} → {}",
                    r.rank_from.map_or("—".into(), |x| x.to_string()),
                    r.rank_to.map_or("—".into(), |x| x.to_string())
                )),
                Cell::text(match r.rank_intervals_overlap {
                    Some(true) => lang.pick(
                        "có — thay đổi hạng có thể do sai số mẫu",
                        "yes — the rank change may be noise",
                    ),
                    Some(false) => lang.pick("không", "no"),
                    None => "—",
                }),
            ])
        })
        .collect();
    Block::Table {
        id: "table-par-changes".into(),
        caption: lang.pick(
            format!("Bảng {number}.3. Thay đổi chỉ số CCHC {from}–{to}"),
            format!("Table {number}.3. CCHC index changes {from}–{to}"),
        ),
        class: "",
        head: vec![
            lang.pick("Đơn vị", "Unit").to_string(),
            format!("{} {from}", lang.pick("Chỉ số", "Index")),
            format!("{} {to}", lang.pick("Chỉ số", "Index")),
            lang.pick("Thay đổi (điểm %)", "Change (points)").to_string(),
            lang.pick("Hạng", "Rank").to_string(),
            lang.pick("Khoảng hạng hai năm giao nhau", "Rank intervals overlap")
                .to_string(),
        ],
        rows: cells,
        note: Some(lang.pick(
            "Dòng dưới thay đổi: khoảng tin cậy 95%. ▲/▼: khoảng tin cậy không chứa 0 — thay đổi thực sự.",
            "Under the change: its 95% interval. ▲/▼: the interval excludes 0 — a real change.",
        ).to_string()),
    }
}

/// A plan's agencies ranked: tasks due, done on time, late, overdue, points and band.
pub fn plan_agencies(p: &crate::annual::PlanReview, number: &str, lang: Lang) -> Block {
    let count = |x: f64| Cell::num(figure(x, if x.fract() == 0.0 { 0 } else { 1 }, lang));
    let rows = p
        .agencies
        .iter()
        .map(|a| {
            Row::new(vec![
                Cell::num(a.rank.map_or("—".into(), |x| x.to_string())),
                Cell::text(a.agency.clone()),
                count(a.assigned),
                count(a.done_on_time),
                count(a.done_late),
                count(a.overdue),
                count(a.open),
                Cell::num(a.points.map_or("—".into(), |x| {
                    format!("{} / {}", figure(x, 2, lang), figure(a.max_points, 0, lang))
                })),
                Cell::text(
                    a.band
                        .as_deref()
                        .map(|b| crate::render::tasks::band_name(&p.method, b, lang))
                        .unwrap_or("—"),
                ),
            ])
        })
        .collect();
    Block::Table {
        id: format!("table-plan-{number}"),
        caption: lang.pick(
            format!("Bảng {number}. {}: xếp hạng cơ quan, đơn vị theo mức độ hoàn thành nhiệm vụ đến ngày {}", p.unit, p.as_of),
            format!("Table {number}. {}: agencies ranked by task completion as of {}", p.unit, p.as_of),
        ),
        class: "",
        head: [
            lang.pick("Hạng", "Rank"),
            lang.pick("Cơ quan, đơn vị chủ trì", "Lead agency"),
            lang.pick("Đã đến hạn", "Due"),
            lang.pick("Đúng hạn", "On time"),
            lang.pick("Muộn", "Late"),
            lang.pick("Quá hạn", "Overdue"),
            lang.pick("Chưa đến hạn", "Not yet due"),
            lang.pick("Điểm", "Points"),
            lang.pick("Xếp loại", "Band"),
        ]
        .map(String::from)
        .to_vec(),
        rows,
        note: Some(lang.pick(
            format!("Phương pháp: {} ({}). Nhiệm vụ chưa đến hạn không tính cho ai.", p.method.title_vi, p.method.basis),
            format!("Method: {} ({}). Tasks not yet due count for nobody.", p.method.title_en, p.method.basis_en.as_deref().unwrap_or(&p.method.basis)),
        )),
    }
}

/// The QĐ 766 index of the year: units ranked (ALL first), with each group's points against
/// its maximum — a group none of whose items apply shows `—`.
pub fn qd766_ranked(q: &crate::annual::Qd766Review, number: &str, lang: Lang) -> Option<Block> {
    let year = q.year_label()?;
    let mut totals: Vec<&crate::qd766::TotalRow> =
        q.totals.iter().filter(|t| t.period == year).collect();
    totals.sort_by_key(|t| (t.unit_id != ALL, t.rank.is_none(), t.rank));
    let groups = &q.method.groups;
    let rows = totals
        .iter()
        .map(|t| {
            let mut cells = vec![
                Cell::num(t.rank.map_or("—".into(), |r| r.to_string())),
                Cell::text(unit_name(&t.unit_id, lang)),
                Cell::num(t.index_pct.map_or("—".into(), |x| figure(x, 2, lang))),
                Cell::text(
                    t.band
                        .as_deref()
                        .and_then(|b| q.method.bands.iter().find(|x| x.code == b))
                        .map_or("—", |b| lang.pick(b.vi.as_str(), b.en.as_str())),
                ),
            ];
            for g in groups {
                let rows: Vec<&crate::qd766::ItemRow> = q
                    .items
                    .iter()
                    .filter(|r| {
                        r.period == year && r.unit_id == t.unit_id && r.group == g.code && r.applies
                    })
                    .collect();
                let points: f64 = rows.iter().filter_map(|r| r.points).sum();
                let max: f64 = rows.iter().map(|r| r.max_points).sum();
                cells.push(Cell::num(if rows.is_empty() {
                    "—".into()
                } else {
                    format!("{} / {}", figure(points, 1, lang), figure(max, 0, lang))
                }));
            }
            let mut row = Row::new(cells);
            if t.unit_id == ALL {
                row.class = "all";
            }
            row
        })
        .collect();
    let mut head: Vec<String> = [
        lang.pick("Hạng", "Rank"),
        lang.pick("Đơn vị", "Unit"),
        lang.pick("Chỉ số (%)", "Index (%)"),
        lang.pick("Xếp loại", "Band"),
    ]
    .map(String::from)
    .to_vec();
    head.extend(groups.iter().map(|g| lang.pick(&g.vi, &g.en).clone()));
    let omitted: Vec<String> = q
        .method
        .items
        .iter()
        .filter(|i| {
            !q.items
                .iter()
                .any(|r| r.period == year && r.item == i.code && r.applies)
        })
        .map(|i| i.code.clone())
        .collect();
    Some(Block::Table {
        id: format!("table-qd766-{number}"),
        caption: lang.pick(
            format!("Bảng {number}. Chỉ số QĐ 766 năm {year}: xếp hạng và điểm từng nhóm (đạt / tối đa)"),
            format!("Table {number}. The QĐ 766 index, {year}: ranking and each group's points (earned / maximum)"),
        ),
        class: "wide",
        head,
        rows,
        note: Some(lang.pick(
            format!(
                "Chỉ số = điểm đạt / tổng điểm tối đa của các chỉ số thành phần áp dụng × 100. Không áp dụng (thiếu dữ liệu đầu vào hoặc mẫu số bằng 0): {}. Xếp loại là mô phỏng.",
                if omitted.is_empty() { "—".to_string() } else { omitted.join(", ") }
            ),
            format!(
                "Index = points earned / the maximum of the items that apply × 100. Not applicable (inputs missing or a denominator of 0): {}. Bands are modelled.",
                if omitted.is_empty() { "—".to_string() } else { omitted.join(", ") }
            ),
        )),
    })
}
