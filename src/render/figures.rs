//! Turns figures (scores, CCHC results, comparisons) into the charts of the annual review,
//! with Vietnamese (or English) titles, labels and footnotes. Computes nothing new.

use std::collections::BTreeMap;

use super::charts::{Bar, Chart, Frame, TrendPoint, number};
use crate::compare::Change;
use crate::estimate::{ALL, Distributions, Estimate, Level};
use crate::instrument::Instrument;
use crate::lang::Lang;
use crate::methodology::Method;
use crate::par::{ParMethod, ParResult};

/// What every chart of one survey year needs to say where its numbers come from.
pub struct SurveyCtx<'a> {
    pub inst: &'a Instrument,
    pub method: &'a Method,
    pub year: i32,
    pub lang: Lang,
}

/// A short name of the survey for titles.
pub fn survey_name(inst: &Instrument, lang: Lang) -> String {
    let vi = lang == Lang::Vi;
    match inst.id.as_str() {
        "sipas" if vi => "Hài lòng về sự phục vụ hành chính (SIPAS)".into(),
        "sipas" => "Satisfaction with administrative services (SIPAS)".into(),
        id if id.starts_with("health-outpatient") && vi => {
            "Hài lòng của người bệnh ngoại trú".into()
        }
        id if id.starts_with("health-outpatient") => "Outpatient satisfaction".into(),
        id if id.starts_with("health-inpatient") && vi => "Hài lòng của người bệnh nội trú".into(),
        id if id.starts_with("health-inpatient") => "Inpatient satisfaction".into(),
        "education" if vi => "Hài lòng về dịch vụ giáo dục công".into(),
        "education" => "Satisfaction with public education".into(),
        _ if vi => inst.title_vi.clone(),
        _ => inst.title_en.clone(),
    }
}

pub fn unit_name(unit: &str, lang: Lang) -> String {
    match (unit, lang) {
        (ALL, Lang::Vi) => "Toàn bộ các đơn vị".into(),
        (ALL, Lang::En) => "All units".into(),
        (u, _) => u.to_string(),
    }
}

fn element_name(inst: &Instrument, code: &str, lang: Lang) -> String {
    if code == "overall" {
        return if lang == Lang::Vi {
            "Chỉ số chung".into()
        } else {
            "Overall index".into()
        };
    }
    inst.elements
        .iter()
        .find(|e| e.code == code)
        .map(|e| {
            let name = if lang == Lang::Vi { &e.vi } else { &e.en };
            format!("{code}. {name}")
        })
        .unwrap_or_else(|| code.to_string())
}

fn item_name(inst: &Instrument, code: &str, lang: Lang) -> String {
    inst.questions
        .iter()
        .find(|q| q.code == code)
        .map(|q| {
            let t = if lang == Lang::Vi { &q.vi } else { &q.en };
            format!("{code}. {t}")
        })
        .unwrap_or_else(|| code.to_string())
}

fn footnote(ctx: &SurveyCtx, n: Option<u64>, extra: &str) -> String {
    footnote_with(ctx, n, extra, true)
}

/// The footnote; `intervals` says whether the chart shows 95 % intervals.
fn footnote_with(ctx: &SurveyCtx, n: Option<u64>, extra: &str, intervals: bool) -> String {
    let m = if ctx.lang == Lang::Vi {
        &ctx.method.title_vi
    } else {
        &ctx.method.title_en
    };
    let vi = ctx.lang == Lang::Vi;
    let n = match (n, vi) {
        (Some(n), true) => format!("; n = {n} người trả lời"),
        (Some(n), false) => format!("; n = {n} respondents"),
        (None, _) => String::new(),
    };
    if vi {
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
        )
    } else {
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
        )
    }
}

fn find<'a>(
    est: &'a [Estimate],
    unit: &str,
    level: Level,
    code: &str,
    measure: &str,
) -> Option<&'a Estimate> {
    est.iter()
        .find(|e| e.unit_id == unit && e.level == level && e.code == code && e.measure == measure)
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
    if lang == Lang::Vi {
        "Tỷ lệ hài lòng (%), khoảng tin cậy 95%".into()
    } else {
        "Satisfied (%), 95% confidence interval".into()
    }
}

/// The overall index and each element's `satisfied_pct` for one unit (or ALL).
pub fn element_scores(ctx: &SurveyCtx, est: &[Estimate], unit: &str) -> Option<Chart> {
    let overall = find(est, unit, Level::Overall, "overall", "satisfied_pct")?;
    let mut bars = vec![bar(element_name(ctx.inst, "overall", ctx.lang), overall)];
    for e in &ctx.inst.elements {
        if let Some(x) = find(est, unit, Level::Element, &e.code, "satisfied_pct") {
            bars.push(bar(element_name(ctx.inst, &e.code, ctx.lang), x));
        }
    }
    let vi = ctx.lang == Lang::Vi;
    Some(Chart::Scores {
        frame: Frame {
            title: format!(
                "{}: {} {}",
                survey_name(ctx.inst, ctx.lang),
                if vi {
                    "tỷ lệ hài lòng theo yếu tố —"
                } else {
                    "satisfied by element —"
                },
                unit_name(unit, ctx.lang)
            ),
            subtitle: if vi {
                format!(
                    "Năm {}. Thanh: tỷ lệ hài lòng (mức 4–5); đoạn: khoảng tin cậy 95%; màu xám: ít mẫu, không công bố.",
                    ctx.year
                )
            } else {
                format!(
                    "{}. Bar: share satisfied (4–5); whisker: 95% interval; grey: too few respondents to publish.",
                    ctx.year
                )
            },
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
    let labels = if ctx.lang == Lang::Vi {
        &scale.labels_vi
    } else {
        &scale.labels_en
    };
    let legend: [String; 5] = std::array::from_fn(|k| {
        labels
            .get(k)
            .map(|l| format!("{} {l}", k + 1))
            .unwrap_or_else(|| (k + 1).to_string())
    });
    let n = by_item.values().map(|(_, n)| *n).max();
    let vi = ctx.lang == Lang::Vi;
    Some(Chart::Distribution {
        frame: Frame {
            title: format!(
                "{} — {}",
                element_name(ctx.inst, element, ctx.lang),
                if vi {
                    "phân bố câu trả lời"
                } else {
                    "answer distribution"
                }
            ),
            subtitle: format!(
                "{}, {} {}, {}",
                survey_name(ctx.inst, ctx.lang),
                if vi { "năm" } else { "" },
                ctx.year,
                unit_name(unit, ctx.lang)
            )
            .replace("  ", " "),
            footnote: footnote_with(
                ctx,
                None,
                &if vi {
                    format!(
                        " Tỷ lệ có trọng số trong các câu trả lời hợp lệ của mỗi câu hỏi (nhiều nhất {} câu trả lời).",
                        n.unwrap_or(0)
                    )
                } else {
                    format!(
                        " Weighted shares of each item's valid answers (at most {} answers).",
                        n.unwrap_or(0)
                    )
                },
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
            let name = if lang == Lang::Vi { &b.vi } else { &b.en };
            let label = match b.min {
                Some(m) => format!("{} {name} ≥ {}", b.code, number(m, 0, lang)),
                None => format!("{} {name}", b.code),
            };
            (b.min, label)
        })
        .collect()
}

fn band_of(par: &ParMethod, x: f64) -> (String, usize) {
    let b = par.band(crate::par::round_to(x, par.decimals));
    let i = par.bands.iter().position(|c| c.code == b.code).unwrap_or(0);
    (b.code.clone(), i)
}

/// Units ranked by the overall `satisfied_pct`, with intervals, bands as zones.
pub fn ranked_units(ctx: &SurveyCtx, est: &[Estimate], par: &ParMethod) -> Option<Chart> {
    let mut units: Vec<Bar> = est
        .iter()
        .filter(|e| {
            e.unit_id != ALL
                && e.level == Level::Overall
                && e.code == "overall"
                && e.measure == "satisfied_pct"
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
    let n = find(est, ALL, Level::Overall, "overall", "satisfied_pct").map(|e| e.n);
    let vi = ctx.lang == Lang::Vi;
    Some(Chart::Ranked {
        frame: Frame {
            title: format!(
                "{}: {}",
                survey_name(ctx.inst, ctx.lang),
                if vi {
                    "xếp hạng các đơn vị theo chỉ số chung"
                } else {
                    "units ranked by the overall index"
                }
            ),
            subtitle: if vi {
                format!(
                    "Năm {}. Chấm: chỉ số; đoạn: khoảng tin cậy 95%; nền màu: mức xếp loại; màu xám: ít mẫu.",
                    ctx.year
                )
            } else {
                format!(
                    "{}. Dot: index; segment: 95% interval; shading: bands; grey: too few respondents.",
                    ctx.year
                )
            },
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
            .chain(ctx.inst.elements.iter().map(|e| e.code.clone()))
            .filter_map(|code| {
                let c = changes.iter().find(|c| {
                    c.unit_id == unit
                        && c.code == code
                        && c.measure == "satisfied_pct"
                        && matches!(c.level, Level::Element | Level::Overall)
                })?;
                Some((
                    element_name(ctx.inst, &code, ctx.lang),
                    c.estimate_from,
                    c.estimate_to,
                    c.direction,
                ))
            })
            .collect();
    if rows.is_empty() {
        return None;
    }
    let vi = ctx.lang == Lang::Vi;
    Some(Chart::Dumbbell {
        frame: Frame {
            title: format!(
                "{}: {} {from}–{} — {}",
                survey_name(ctx.inst, ctx.lang),
                if vi { "thay đổi" } else { "change" },
                ctx.year,
                unit_name(unit, ctx.lang)
            ),
            subtitle: if vi {
                "Tỷ lệ hài lòng (%) hai năm; kiểm định t hai phía, hiệu chỉnh Benjamini–Hochberg."
                    .into()
            } else {
                "Share satisfied (%) in two years; two-sided t test, Benjamini–Hochberg adjusted."
                    .into()
            },
            footnote: footnote_with(
                ctx,
                n,
                &if vi {
                    format!(
                        " Hai năm là hai mẫu độc lập; chỉ so sánh các yếu tố có câu hỏi tương ứng ({from} và {}).",
                        ctx.year
                    )
                } else {
                    format!(
                        " The years are independent samples; only elements whose items correspond are compared ({from} and {}).",
                        ctx.year
                    )
                },
                false,
            ),
            lang: ctx.lang,
        },
        axis: if vi {
            "Tỷ lệ hài lòng (%)".into()
        } else {
            "Satisfied (%)".into()
        },
        years: (from, ctx.year),
        rows,
    })
}

/// The overall index of every unit over the years in `years`.
pub fn trend(ctx: &SurveyCtx, years: &[(i32, &[Estimate])]) -> Option<Chart> {
    if years.len() < 2 {
        return None;
    }
    let mut series: BTreeMap<String, Vec<TrendPoint>> = BTreeMap::new();
    for (y, est) in years {
        for e in est.iter().filter(|e| {
            e.level == Level::Overall && e.code == "overall" && e.measure == "satisfied_pct"
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
    let vi = ctx.lang == Lang::Vi;
    let first = years[0].0;
    // n of the latest year, all units together.
    let n_last = years
        .last()
        .and_then(|(_, est)| find(est, ALL, Level::Overall, "overall", "satisfied_pct"))
        .map(|e| e.n);
    Some(Chart::Trend {
        frame: Frame {
            title: format!(
                "{}: {} {first}–{}",
                survey_name(ctx.inst, ctx.lang),
                if vi {
                    "xu hướng chỉ số chung"
                } else {
                    "overall index trend"
                },
                ctx.year
            ),
            subtitle: if vi {
                "Tỷ lệ hài lòng chung (%) theo năm; đoạn dọc: khoảng tin cậy 95%.".into()
            } else {
                "Overall share satisfied (%) by year; vertical segments: 95% intervals.".into()
            },
            footnote: footnote(ctx, n_last, ""),
            lang: ctx.lang,
        },
        axis: axis_pct(ctx.lang),
        series,
    })
}

fn par_footnote(par: &ParMethod, year: i32, lang: Lang) -> String {
    if lang == Lang::Vi {
        format!(
            "Nguồn: tự chấm, thẩm định và điều tra xã hội học năm {year}; phương pháp: {} ({}); khoảng tin cậy 95% từ sai số mẫu của các tiêu chí điều tra.",
            par.title_vi, par.id
        )
    } else {
        format!(
            "Source: self-assessment, appraisal and surveys, {year}; method: {} ({}); 95% intervals from the survey criteria's sampling error.",
            par.title_en, par.id
        )
    }
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
        .map(|a| {
            let rows = result
                .points
                .iter()
                .filter(|p| p.unit_id == unit && p.area == a.code);
            let (mut pts, mut max) = (0.0, 0.0);
            for r in rows {
                pts += r.points.unwrap_or(0.0);
                max += r.max_points.unwrap_or(0.0);
            }
            let name = if lang == Lang::Vi { &a.vi } else { &a.en };
            (format!("{}. {name}", a.code), pts, max)
        })
        .collect();
    let total = result.totals.iter().find(|t| t.unit_id == unit)?;
    let vi = lang == Lang::Vi;
    let index = total.index_pct.map_or("—".into(), |x| number(x, 2, lang));
    Some(Chart::Points {
        frame: Frame {
            title: format!(
                "{} — {unit}, {year}",
                if vi {
                    "Điểm chỉ số CCHC theo lĩnh vực"
                } else {
                    "CCHC points by area"
                }
            ),
            subtitle: if vi {
                format!(
                    "Chỉ số {index}%, xếp loại {}, hạng {}. Thanh màu: điểm đạt (xanh lá ≥ 90% điểm tối đa, xanh dương 70–90%, cam < 70%); nền xám: điểm tối đa.",
                    total.band.as_deref().unwrap_or("—"),
                    total.rank.map_or("—".into(), |r| r.to_string())
                )
            } else {
                format!(
                    "Index {index}%, band {}, rank {}. Bar: points earned (green ≥ 90% of the maximum, blue 70–90%, orange < 70%); grey: the maximum.",
                    total.band.as_deref().unwrap_or("—"),
                    total.rank.map_or("—".into(), |r| r.to_string())
                )
            },
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
                    band: Some(band_of(par, i)),
                },
            ))
        })
        .collect();
    if units.is_empty() {
        return None;
    }
    units.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.label.cmp(&b.1.label)));
    let vi = lang == Lang::Vi;
    Some(Chart::Ranked {
        frame: Frame {
            title: format!(
                "{} {year}",
                if vi {
                    "Xếp hạng chỉ số cải cách hành chính (CCHC)"
                } else {
                    "CCHC (PAR) index ranking"
                }
            ),
            subtitle: if vi {
                "Chấm: chỉ số (%); đoạn: khoảng tin cậy 95%; nền màu: mức xếp loại; màu xám: có tiêu chí điều tra ít mẫu.".into()
            } else {
                "Dot: index (%); segment: 95% interval; shading: bands; grey: a survey criterion had too few respondents.".into()
            },
            footnote: par_footnote(par, year, lang),
            lang,
        },
        axis: if vi {
            "Chỉ số CCHC (%)".into()
        } else {
            "CCHC index (%)".into()
        },
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
            let (code, band) = band_of(par, i);
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
    let vi = lang == Lang::Vi;
    Some(Chart::RankIntervals {
        frame: Frame {
            title: format!(
                "{} {year}",
                if vi {
                    "Thứ hạng CCHC và khoảng tin cậy của thứ hạng"
                } else {
                    "CCHC ranks and their intervals"
                }
            ),
            subtitle: if vi {
                format!(
                    "Mô phỏng {} lần sai số mẫu của các tiêu chí điều tra; hai đơn vị có khoảng hạng chồng nhau có thể chưa thực sự khác nhau.",
                    par.simulations
                )
            } else {
                format!(
                    "{} simulations of the survey criteria's sampling error; units whose rank intervals overlap may not really differ.",
                    par.simulations
                )
            },
            footnote: par_footnote(par, year, lang),
            lang,
        },
        units,
    })
}
