//! Turns figures (scores, CCHC results, comparisons) into the charts of the annual review,
//! with Vietnamese (or English) titles, labels and footnotes. Computes nothing new.

use std::collections::BTreeMap;

use super::charts::{Bar, Chart, Frame, TrendPoint, number};
use crate::compare::Change;
use crate::estimate::{ALL, Distributions, Estimate, Estimates, Level};
use crate::instrument::Instrument;
use crate::lang::Lang;
use crate::measure;
use crate::methodology::Method;
use crate::par::{ParMethod, ParResult};

/// What every chart of one survey year needs to say where its numbers come from.
pub struct SurveyCtx<'a> {
    pub inst: &'a Instrument,
    pub method: &'a Method,
    pub year: i32,
    pub lang: Lang,
}

/// A short name of the survey for titles (the questionnaire's `short_vi` / `short_en`).
pub fn survey_name(inst: &Instrument, lang: Lang) -> String {
    lang.pick(&inst.short_vi, &inst.short_en).clone()
}

pub fn unit_name(unit: &str, lang: Lang) -> String {
    match (unit, lang) {
        (ALL, Lang::Vi) => "Toàn bộ các đơn vị".into(),
        (ALL, Lang::En) => "All units".into(),
        (u, _) => u.to_string(),
    }
}

fn element_name(ctx: &SurveyCtx, code: &str) -> String {
    let (inst, lang) = (ctx.inst, ctx.lang);
    if code == "overall" {
        return lang.pick("Chỉ số chung".into(), "Overall index".into());
    }
    if let Some(n) = ctx.method.nodes.iter().find(|n| n.code == code) {
        return lang.pick(&n.vi, &n.en).clone();
    }
    inst.elements
        .iter()
        .find(|e| e.code == code)
        .map(|e| {
            let name = lang.pick(&e.vi, &e.en);
            format!("{code}. {name}")
        })
        .unwrap_or_else(|| code.to_string())
}

fn item_name(inst: &Instrument, code: &str, lang: Lang) -> String {
    inst.questions
        .iter()
        .find(|q| q.code == code)
        .map(|q| {
            let t = lang.pick(&q.vi, &q.en);
            format!("{code}. {t}")
        })
        .unwrap_or_else(|| code.to_string())
}

fn footnote(ctx: &SurveyCtx, n: Option<u64>, extra: &str) -> String {
    footnote_with(ctx, n, extra, true)
}

/// The footnote; `intervals` says whether the chart shows 95 % intervals.
fn footnote_with(ctx: &SurveyCtx, n: Option<u64>, extra: &str, intervals: bool) -> String {
    let m = ctx.lang.pick(&ctx.method.title_vi, &ctx.method.title_en);
    let vi = ctx.lang == Lang::Vi;
    let n = match (n, vi) {
        (Some(n), true) => format!("; n = {n} người trả lời"),
        (Some(n), false) => format!("; n = {n} respondents"),
        (None, _) => String::new(),
    };
    ctx.lang.pick(
        format!(
            "Nguồn: {}, {}, năm {}{n}; phương pháp: {m}{}.{extra}",
            survey_name(ctx.inst, ctx.lang),
            ctx.inst.version,
            ctx.year,
            if intervals {
                "; khoảng tin cậy 95%"
            } else {
                ""
            }
        ),
        format!(
            "Source: {}, {}, {}{n}; method: {m}{}.{extra}",
            survey_name(ctx.inst, ctx.lang),
            ctx.inst.version,
            ctx.year,
            if intervals {
                "; 95% confidence intervals"
            } else {
                ""
            }
        ),
    )
}

fn bar(label: String, e: &Estimate) -> Bar {
    Bar {
        label,
        estimate: e.estimate,
        lo: e.ci_low,
        hi: e.ci_high,
        flagged: !e.flag.is_empty(),
        band: None,
    }
}

fn axis_pct(lang: Lang) -> String {
    lang.pick(
        "Tỷ lệ hài lòng (%), khoảng tin cậy 95%".into(),
        "Satisfied (%), 95% confidence interval".into(),
    )
}

/// The overall index and each element's `satisfied_pct` for one unit (or ALL).
pub fn element_scores(ctx: &SurveyCtx, est: &Estimates, unit: &str) -> Option<Chart> {
    let overall = est.overall(unit)?;
    let mut bars = vec![bar(element_name(ctx, "overall"), overall)];
    for n in &ctx.method.nodes {
        let level = Level::Node(n.level.as_str().into());
        if let Some(x) = est.get(unit, level, &n.code, measure::SATISFIED_PCT) {
            bars.push(bar(element_name(ctx, &n.code), x));
        }
    }
    for e in &ctx.inst.elements {
        if let Some(x) = est.get(unit, Level::Element, &e.code, measure::SATISFIED_PCT) {
            bars.push(bar(element_name(ctx, &e.code), x));
        }
    }
    Some(Chart::Scores {
        frame: Frame {
            title: format!(
                "{}: {} {}",
                survey_name(ctx.inst, ctx.lang),
                ctx.lang.pick("tỷ lệ hài lòng theo yếu tố —", "satisfied by element —"),
                unit_name(unit, ctx.lang)
            ),
            subtitle: ctx.lang.pick(format!(
                    "Năm {}. Thanh: tỷ lệ hài lòng (mức 4–5); đoạn: khoảng tin cậy 95%; màu xám: ít mẫu, không công bố.",
                    ctx.year
                ), format!(
                    "{}. Bar: share satisfied (4–5); whisker: 95% interval; grey: too few respondents to publish.",
                    ctx.year
                )),
            footnote: footnote(ctx, Some(overall.n), ""),
            lang: ctx.lang,
        },
        axis: axis_pct(ctx.lang),
        bars,
    })
}

/// The answer distribution of each item of `element` (ALL or one unit).
pub fn distribution(
    ctx: &SurveyCtx,
    dist: &Distributions,
    element: &str,
    unit: &str,
) -> Option<Chart> {
    let by_item = dist.get(unit)?;
    let items: Vec<(String, [f64; 5])> = ctx
        .inst
        .scored_items()
        .filter(|q| q.element.as_deref() == Some(element))
        .filter_map(|q| {
            let (s, _) = by_item.get(&q.code)?;
            (s.len() == 5).then(|| {
                (
                    item_name(ctx.inst, &q.code, ctx.lang),
                    [s[0], s[1], s[2], s[3], s[4]],
                )
            })
        })
        .collect();
    if items.is_empty() {
        return None;
    }
    let scale = &ctx
        .inst
        .scored_items()
        .find(|q| q.element.as_deref() == Some(element))?
        .scale;
    let labels = ctx.lang.pick(&scale.labels_vi, &scale.labels_en);
    let legend: [String; 5] = std::array::from_fn(|k| {
        labels
            .get(k)
            .map(|l| format!("{} {l}", k + 1))
            .unwrap_or_else(|| (k + 1).to_string())
    });
    let n = by_item.values().map(|(_, n)| *n).max();
    Some(Chart::Distribution {
        frame: Frame {
            title: format!(
                "{} — {}",
                element_name(ctx, element),
                ctx.lang.pick("phân bố câu trả lời", "answer distribution")
            ),
            subtitle: format!(
                "{}, {} {}, {}",
                survey_name(ctx.inst, ctx.lang),
                ctx.lang.pick("năm", ""),
                ctx.year,
                unit_name(unit, ctx.lang)
            )
            .replace("  ", " "),
            footnote: footnote_with(
                ctx,
                None,
                &ctx.lang.pick(format!(
                        " Tỷ lệ có trọng số trong các câu trả lời hợp lệ của mỗi câu hỏi (nhiều nhất {} câu trả lời).",
                        n.unwrap_or(0)
                    ), format!(
                        " Weighted shares of each item's valid answers (at most {} answers).",
                        n.unwrap_or(0)
                    )),
                false,
            ),
            lang: ctx.lang,
        },
        legend,
        items,
    })
}

/// Bands as (lowest index, label), highest first.
pub fn bands(par: &ParMethod, lang: Lang) -> Vec<(Option<f64>, String)> {
    par.bands
        .iter()
        .map(|b| {
            let name = lang.pick(&b.vi, &b.en);
            let label = match b.min {
                Some(m) => format!("{} {name} ≥ {}", b.code, number(m, 0, lang)),
                None => format!("{} {name}", b.code),
            };
            (b.min, label)
        })
        .collect()
}

/// The band a unit's CCHC total was given, and its position among the bands.
fn band_at(par: &ParMethod, code: Option<&str>) -> Option<(String, usize)> {
    let code = code?;
    let i = par.bands.iter().position(|b| b.code == code)?;
    Some((code.to_string(), i))
}

/// The band of a survey figure, as the methodology classifies it.
fn band_of(par: &ParMethod, x: f64) -> (String, usize) {
    let (b, i) = par.classify(x);
    (b.code.clone(), i)
}

/// Units ranked by the overall `satisfied_pct`, with intervals, bands as zones.
pub fn ranked_units(ctx: &SurveyCtx, est: &Estimates, par: &ParMethod) -> Option<Chart> {
    let mut units: Vec<Bar> = est
        .iter()
        .filter(|e| {
            e.unit_id != ALL
                && e.level == Level::Overall
                && e.code == "overall"
                && e.measure == measure::SATISFIED_PCT
        })
        .map(|e| {
            let mut b = bar(e.unit_id.clone(), e);
            b.band = e.estimate.is_finite().then(|| band_of(par, e.estimate));
            b
        })
        .collect();
    if units.is_empty() {
        return None;
    }
    units.sort_by(|a, b| {
        b.estimate
            .total_cmp(&a.estimate)
            .then(a.label.cmp(&b.label))
    });
    let n = est.overall(ALL).map(|e| e.n);
    Some(Chart::Ranked {
        frame: Frame {
            title: format!(
                "{}: {}",
                survey_name(ctx.inst, ctx.lang),
                ctx.lang.pick("xếp hạng các đơn vị theo chỉ số chung", "units ranked by the overall index")
            ),
            subtitle: ctx.lang.pick(format!(
                    "Năm {}. Chấm: chỉ số; đoạn: khoảng tin cậy 95%; nền màu: mức xếp loại; màu xám: ít mẫu.",
                    ctx.year
                ), format!(
                    "{}. Dot: index; segment: 95% interval; shading: bands; grey: too few respondents.",
                    ctx.year
                )),
            footnote: footnote(ctx, n, ""),
            lang: ctx.lang,
        },
        axis: axis_pct(ctx.lang),
        bands: bands(par, ctx.lang),
        units,
        decimals: 1,
    })
}

/// A unit's elements and overall index in two years, with the verdict of each change.
pub fn dumbbell(
    ctx: &SurveyCtx,
    changes: &[Change],
    from: i32,
    unit: &str,
    n: Option<u64>,
) -> Option<Chart> {
    let rows: Vec<(String, f64, f64, Option<crate::compare::Direction>)> =
        std::iter::once("overall".to_string())
            .chain(ctx.method.nodes.iter().map(|n| n.code.clone()))
            .chain(ctx.inst.elements.iter().map(|e| e.code.clone()))
            .filter_map(|code| {
                let c = changes.iter().find(|c| {
                    c.unit_id == unit
                        && c.code == code
                        && c.measure == measure::SATISFIED_PCT
                        && matches!(c.level, Level::Element | Level::Node(_) | Level::Overall)
                })?;
                Some((
                    element_name(ctx, &code),
                    c.estimate_from,
                    c.estimate_to,
                    c.direction,
                ))
            })
            .collect();
    if rows.is_empty() {
        return None;
    }
    Some(Chart::Dumbbell {
        frame: Frame {
            title: format!(
                "{}: {} {from}–{} — {}",
                survey_name(ctx.inst, ctx.lang),
                ctx.lang.pick("thay đổi", "change"),
                ctx.year,
                unit_name(unit, ctx.lang)
            ),
            subtitle: ctx.lang.pick("Tỷ lệ hài lòng (%) hai năm; kiểm định t hai phía, hiệu chỉnh Benjamini–Hochberg."
                    .into(), "Share satisfied (%) in two years; two-sided t test, Benjamini–Hochberg adjusted."
                    .into()),
            footnote: footnote_with(
                ctx,
                n,
                &ctx.lang.pick(format!(
                        " Hai năm là hai mẫu độc lập; chỉ so sánh các yếu tố có câu hỏi tương ứng ({from} và {}).",
                        ctx.year
                    ), format!(
                        " The years are independent samples; only elements whose items correspond are compared ({from} and {}).",
                        ctx.year
                    )),
                false,
            ),
            lang: ctx.lang,
        },
        axis: ctx.lang.pick("Tỷ lệ hài lòng (%)".into(), "Satisfied (%)".into()),
        years: (from, ctx.year),
        rows,
    })
}

/// The overall index of every unit over the years in `years`.
pub fn trend(ctx: &SurveyCtx, years: &[(i32, &Estimates)]) -> Option<Chart> {
    if years.len() < 2 {
        return None;
    }
    let mut series: BTreeMap<String, Vec<TrendPoint>> = BTreeMap::new();
    for (y, est) in years {
        for e in est.iter().filter(|e| {
            e.level == Level::Overall && e.code == "overall" && e.measure == measure::SATISFIED_PCT
        }) {
            series
                .entry(e.unit_id.clone())
                .or_default()
                .push((*y, e.estimate, e.ci_low, e.ci_high));
        }
    }
    let mut series: Vec<(String, Vec<TrendPoint>)> = series
        .into_iter()
        .map(|(u, v)| (unit_name(&u, ctx.lang), v))
        .collect();
    // ALL last, drawn over the units.
    series.sort_by_key(|(u, _)| u == &unit_name(ALL, ctx.lang));
    let first = years[0].0;
    let ticks = years.iter().map(|(y, _)| (*y, y.to_string())).collect();
    // n of the latest year, all units together.
    let n_last = years
        .last()
        .and_then(|(_, est)| est.overall(ALL))
        .map(|e| e.n);
    Some(Chart::Trend {
        frame: Frame {
            title: format!(
                "{}: {} {first}–{}",
                survey_name(ctx.inst, ctx.lang),
                ctx.lang
                    .pick("xu hướng chỉ số chung", "overall index trend"),
                ctx.year
            ),
            subtitle: ctx.lang.pick(
                "Tỷ lệ hài lòng chung (%) theo năm; đoạn dọc: khoảng tin cậy 95%.".into(),
                "Overall share satisfied (%) by year; vertical segments: 95% intervals.".into(),
            ),
            footnote: footnote(ctx, n_last, ""),
            lang: ctx.lang,
        },
        axis: axis_pct(ctx.lang),
        ticks,
        series,
    })
}

fn par_footnote(par: &ParMethod, year: i32, lang: Lang) -> String {
    lang.pick(format!(
            "Nguồn: tự chấm, thẩm định và điều tra xã hội học năm {year}; phương pháp: {} ({}); khoảng tin cậy 95% từ sai số mẫu của các tiêu chí điều tra.",
            par.title_vi, par.id
        ), format!(
            "Source: self-assessment, appraisal and surveys, {year}; method: {} ({}); 95% intervals from the survey criteria's sampling error.",
            par.title_en, par.id
        ))
}

/// A unit's CCHC points against the maximum, area by area.
pub fn par_points(
    par: &ParMethod,
    result: &ParResult,
    unit: &str,
    year: i32,
    lang: Lang,
) -> Option<Chart> {
    let areas: Vec<(String, f64, f64)> = par
        .areas
        .iter()
        .zip(result.area_totals(par, unit))
        .map(|(a, t)| {
            let name = lang.pick(&a.vi, &a.en);
            (format!("{}. {name}", a.code), t.points, t.max)
        })
        .collect();
    let total = result.totals.iter().find(|t| t.unit_id == unit)?;
    let index = total.index_pct.map_or("—".into(), |x| number(x, 2, lang));
    Some(Chart::Points {
        frame: Frame {
            title: format!(
                "{} — {unit}, {year}",
                lang.pick("Điểm chỉ số CCHC theo lĩnh vực", "CCHC points by area")
            ),
            subtitle: lang.pick(format!(
                    "Chỉ số {index}%, xếp loại {}, hạng {}. Thanh màu: điểm đạt (xanh lá ≥ 90% điểm tối đa, xanh dương 70–90%, cam < 70%); nền xám: điểm tối đa.",
                    total.band.as_deref().unwrap_or("—"),
                    total.rank.map_or("—".into(), |r| r.to_string())
                ), format!(
                    "Index {index}%, band {}, rank {}. Bar: points earned (green ≥ 90% of the maximum, blue 70–90%, orange < 70%); grey: the maximum.",
                    total.band.as_deref().unwrap_or("—"),
                    total.rank.map_or("—".into(), |r| r.to_string())
                )),
            footnote: par_footnote(par, year, lang),
            lang,
        },
        areas,
    })
}

/// Units ranked by the CCHC index with 95 % intervals, bands coloured.
pub fn par_ranked(par: &ParMethod, result: &ParResult, year: i32, lang: Lang) -> Option<Chart> {
    let mut units: Vec<(usize, Bar)> = result
        .totals
        .iter()
        .filter_map(|t| {
            let i = t.index_pct?;
            Some((
                t.rank?,
                Bar {
                    label: t.unit_id.clone(),
                    estimate: i,
                    lo: t.ci_low.unwrap_or(i),
                    hi: t.ci_high.unwrap_or(i),
                    flagged: !t.flag.is_empty(),
                    band: band_at(par, t.band.as_deref()),
                },
            ))
        })
        .collect();
    if units.is_empty() {
        return None;
    }
    units.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.label.cmp(&b.1.label)));
    Some(Chart::Ranked {
        frame: Frame {
            title: format!(
                "{} {year}",
                lang.pick("Xếp hạng chỉ số cải cách hành chính (CCHC)", "CCHC (PAR) index ranking")
            ),
            subtitle: lang.pick("Chấm: chỉ số (%); đoạn: khoảng tin cậy 95%; nền màu: mức xếp loại; màu xám: có tiêu chí điều tra ít mẫu.".into(), "Dot: index (%); segment: 95% interval; shading: bands; grey: a survey criterion had too few respondents.".into()),
            footnote: par_footnote(par, year, lang),
            lang,
        },
        axis: lang.pick("Chỉ số CCHC (%)".into(), "CCHC index (%)".into()),
        bands: bands(par, lang),
        units: units.into_iter().map(|(_, b)| b).collect(),
        decimals: par.decimals as usize,
    })
}

/// Units by CCHC rank with their simulated 95 % rank intervals.
pub fn par_rank_intervals(
    par: &ParMethod,
    result: &ParResult,
    year: i32,
    lang: Lang,
) -> Option<Chart> {
    let mut units: Vec<(String, usize, usize, usize, String, usize)> = result
        .totals
        .iter()
        .filter_map(|t| {
            let i = t.index_pct?;
            let (code, band) = band_at(par, t.band.as_deref())?;
            Some((
                t.unit_id.clone(),
                t.rank?,
                t.rank_low?,
                t.rank_high?,
                format!("{}%  {code}", number(i, 2, lang)),
                band,
            ))
        })
        .collect();
    if units.is_empty() {
        return None;
    }
    units.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    Some(Chart::RankIntervals {
        frame: Frame {
            title: format!(
                "{} {year}",
                lang.pick("Thứ hạng CCHC và khoảng tin cậy của thứ hạng", "CCHC ranks and their intervals")
            ),
            subtitle: lang.pick(format!(
                    "Mô phỏng {} lần sai số mẫu của các tiêu chí điều tra; hai đơn vị có khoảng hạng chồng nhau có thể chưa thực sự khác nhau.",
                    par.simulations
                ), format!(
                    "{} simulations of the survey criteria's sampling error; units whose rank intervals overlap may not really differ.",
                    par.simulations
                )),
            footnote: par_footnote(par, year, lang),
            lang,
        },
        units,
    })
}

/// A plan's tasks on the year's calendar: deadlines, completions, what is late or overdue.
pub fn plan_timeline(p: &crate::annual::PlanReview, lang: Lang) -> Option<Chart> {
    use crate::plan::Status;
    let year = p.as_of.year;
    let span = (
        crate::plan::Date::new(year, 1, 1)?.days(),
        crate::plan::Date::new(year, 12, 31)?.days(),
    );
    let rows = p
        .plan
        .tasks
        .iter()
        .zip(&p.statuses)
        .map(|(t, (status, _))| {
            let short: String = t.content.chars().take(48).collect();
            let more = if t.content.chars().count() > 48 {
                "…"
            } else {
                ""
            };
            crate::render::charts::TimelineRow {
                label: format!("{}. {short}{more}", t.task_id),
                due: t.deadline.date.days(),
                done: t.completed_on.filter(|_| status.done()).map(|d| d.days()),
                late: matches!(status, Status::DoneLate | Status::Overdue),
            }
        })
        .collect();
    Some(Chart::Timeline {
        frame: Frame {
            title: lang.pick(
                format!(
                    "{}: nhiệm vụ trọng tâm của Kế hoạch CCHC năm {year}",
                    p.unit
                ),
                format!("{}: key tasks of the {year} PAR plan", p.unit),
            ),
            subtitle: lang.pick(
                format!(
                    "Thời hạn và ngày hoàn thành của từng nhiệm vụ, đến ngày {}",
                    p.as_of
                ),
                format!("Each task's deadline and completion, as of {}", p.as_of),
            ),
            footnote: lang.pick(
                format!(
                    "Nguồn: danh mục nhiệm vụ và theo dõi thực hiện ({}).",
                    p.file_name
                ),
                format!(
                    "Source: the plan's task list and follow-up ({}).",
                    p.file_name
                ),
            ),
            lang,
        },
        span,
        as_of: p.as_of.days(),
        rows,
    })
}

fn qd766_footnote(q: &crate::annual::Qd766Review, lang: Lang) -> String {
    let m = &q.method;
    lang.pick(
        format!(
            "Nguồn: {} hồ sơ TTHC trong hệ thống một cửa đã nhập (trạng thái mới nhất); phương pháp: {} ({}, mô phỏng một phần).",
            crate::lang::count(q.files as u64, lang), m.title_vi, m.id
        ),
        format!(
            "Source: {} procedure files from the one-stop-shop exports entered (latest state); method: {} ({}, partly modelled).",
            crate::lang::count(q.files as u64, lang), m.title_en, m.id
        ),
    )
}

/// Units ranked by the QĐ 766 index for the year, bands as zones (no intervals: the records
/// are a census).
pub fn qd766_ranked(q: &crate::annual::Qd766Review, lang: Lang) -> Option<Chart> {
    let year = q.year_label()?;
    let mut units: Vec<(usize, Bar)> = q
        .totals
        .iter()
        .filter(|t| t.period == year && t.unit_id != ALL)
        .filter_map(|t| {
            let i = t.index_pct?;
            let band = t.band.as_deref().and_then(|b| {
                let k = q.method.bands.iter().position(|x| x.code == b)?;
                Some((b.to_string(), k))
            });
            Some((
                t.rank?,
                Bar {
                    label: t.unit_id.clone(),
                    estimate: i,
                    lo: i,
                    hi: i,
                    flagged: false,
                    band,
                },
            ))
        })
        .collect();
    if units.is_empty() {
        return None;
    }
    units.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.label.cmp(&b.1.label)));
    let bands = q
        .method
        .bands
        .iter()
        .map(|b| {
            let name = lang.pick(&b.vi, &b.en);
            let label = match b.min {
                Some(m) => format!("{name} ≥ {}", number(m, 0, lang)),
                None => name.to_string(),
            };
            (b.min, label)
        })
        .collect();
    Some(Chart::Ranked {
        frame: Frame {
            title: lang.pick(
                format!("Xếp hạng Bộ chỉ số phục vụ người dân, doanh nghiệp (QĐ 766) năm {year}"),
                format!("Service-quality index (QĐ 766) ranking, {year}"),
            ),
            subtitle: lang.pick(
                "Chấm: điểm trên 100 của các chỉ số thành phần áp dụng; nền màu: mức xếp loại (mô phỏng). Số liệu tổng hợp toàn bộ hồ sơ, không có sai số mẫu.".into(),
                "Dot: points out of 100 of the items that apply; shading: bands (modelled). Every file counted: no sampling error.".into(),
            ),
            footnote: qd766_footnote(q, lang),
            lang,
        },
        axis: lang.pick("Chỉ số QĐ 766 (%)".into(), "QĐ 766 index (%)".into()),
        bands,
        units: units.into_iter().map(|(_, b)| b).collect(),
        decimals: 2,
    })
}

/// An item's rate in each month on its own, one line per unit and ALL (the year's months
/// that have a rate).
pub fn qd766_monthly(q: &crate::annual::Qd766Review, item: &str, lang: Lang) -> Option<Chart> {
    let year = q.year_label()?;
    let it = q.method.items.iter().find(|i| i.code == item)?;
    let month = |period: &str| -> Option<i32> {
        period.strip_prefix(year)?.strip_prefix('-')?.parse().ok()
    };
    let mut series: BTreeMap<String, Vec<TrendPoint>> = BTreeMap::new();
    for r in q.items.iter().filter(|r| r.item == item) {
        let (Some(m), Some(rate)) = (month(&r.period), r.rate_pct) else {
            continue;
        };
        series
            .entry(r.unit_id.clone())
            .or_default()
            .push((m, rate, f64::NAN, f64::NAN));
    }
    let mut months: Vec<i32> = series.values().flatten().map(|p| p.0).collect();
    months.sort_unstable();
    months.dedup();
    if months.len() < 2 {
        return None;
    }
    let ticks = months
        .iter()
        .map(|m| (*m, lang.pick(format!("T{m}"), format!("M{m}"))))
        .collect();
    let mut series: Vec<(String, Vec<TrendPoint>)> = series
        .into_iter()
        .map(|(u, v)| (unit_name(&u, lang), v))
        .collect();
    // ALL last, drawn over the units.
    series.sort_by_key(|(u, _)| u == &unit_name(ALL, lang));
    let name = lang.pick(&it.vi, &it.en);
    Some(Chart::Trend {
        frame: Frame {
            title: lang.pick(
                format!("{name}: từng tháng năm {year}"),
                format!("{name}: month by month, {year}"),
            ),
            subtitle: lang.pick(
                format!("Tỷ lệ (%) của chỉ số {item} trong từng tháng (không cộng dồn); hồ sơ còn mở được xét vào ngày cuối tháng."),
                format!("Rate (%) of item {item} in each month on its own (not cumulative); open files judged on the month's last day."),
            ),
            footnote: qd766_footnote(q, lang),
            lang,
        },
        axis: lang.pick("Tỷ lệ (%)".into(), "Rate (%)".into()),
        ticks,
        series,
    })
}
