//! `chiso report`: every table and chart of a year in one directory, and `report.html`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use unicode_normalization::UnicodeNormalization;

use super::compare::{Year, compare_years, score_year};
use crate::cli::ReportArgs;
use crate::compare::Change;
use crate::estimate::{self, ALL, Estimate, Level};
use crate::par::{self, ParMethod, ParResult};
use crate::render::charts::{self, Chart, number};
use crate::render::figures::{self, SurveyCtx, survey_name, unit_name};
use crate::render::labels::{self, Lang};
use crate::render::report::{Block, Cell, Report, Section};
use crate::render::scores::{self, TableContext};
use crate::store::{Manifest, Store};

/// A file-name-safe form of a unit name: ASCII, lower case, dashes.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.nfd() {
        let c = if c == 'đ' || c == 'Đ' { 'd' } else { c };
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii() && !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Writes a chart and adds it to the section.
struct Charts<'a> {
    dir: &'a Path,
    written: Vec<(PathBuf, PathBuf)>,
    /// The file-name part given to each unit: slug → unit.
    slugs: BTreeMap<String, String>,
}

impl Charts<'_> {
    /// A unit's part of a chart file name: its slug, at most 40 characters, with a short hash
    /// of the exact name when another unit (or the all-units charts, `all`) has that slug.
    fn unit_part(&mut self, unit: &str) -> String {
        let base: String = slug(unit).chars().take(40).collect();
        let base = match base.trim_end_matches('-') {
            "" => "unit".to_string(),
            b => b.to_string(),
        };
        match self.slugs.get(&base) {
            Some(u) if u == unit => base,
            None => {
                self.slugs.insert(base.clone(), unit.to_string());
                base
            }
            Some(_) => {
                use sha2::Digest as _;
                let h = sha2::Sha256::digest(unit.as_bytes());
                format!("{base}-{:02x}{:02x}{:02x}", h[0], h[1], h[2])
            }
        }
    }

    fn add(
        &mut self,
        blocks: &mut Vec<Block>,
        chart: Option<Chart>,
        name: &str,
    ) -> anyhow::Result<()> {
        let Some(chart) = chart else {
            return Ok(());
        };
        let (png, svg, text) = charts::save(&chart, self.dir, name)?;
        self.written.push((png, svg));
        blocks.push(Block::Chart {
            id: format!("chart-{name}"),
            title: chart.title().to_string(),
            svg: text,
        });
        Ok(())
    }
}

fn pct(x: f64, lang: Lang) -> String {
    if x.is_finite() {
        number(x, 1, lang)
    } else {
        "—".into()
    }
}

fn interval(e: &Estimate, lang: Lang) -> String {
    if e.ci_low.is_finite() && e.ci_high.is_finite() {
        format!("{}–{}", pct(e.ci_low, lang), pct(e.ci_high, lang))
    } else {
        "—".into()
    }
}

fn flag_cell(flag: &str, lang: Lang) -> Cell {
    if flag.is_empty() {
        Cell::text("")
    } else {
        Cell::with(labels::flag(flag, lang), "flagged")
    }
}

/// Overall and element `satisfied_pct` of every unit, each with its interval and n.
fn unit_table(y: &Year, lang: Lang) -> Block {
    let vi = lang == Lang::Vi;
    let mut codes = vec!["overall".to_string()];
    codes.extend(y.inst.elements.iter().map(|e| e.code.clone()));
    let units: Vec<String> = {
        let mut v: Vec<String> = y
            .estimates
            .iter()
            .map(|e| e.unit_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        v.sort_by_key(|u| u != ALL);
        v
    };
    let mut headers = vec![
        if vi { "Đơn vị" } else { "Unit" }.to_string(),
        if vi { "Mã" } else { "Code" }.to_string(),
    ];
    headers.extend(
        [
            if vi {
                "Tỷ lệ hài lòng (%)"
            } else {
                "Satisfied (%)"
            },
            if vi {
                "Khoảng tin cậy 95%"
            } else {
                "95% interval"
            },
            "n",
            if vi {
                "Điểm trung bình"
            } else {
                "Mean score"
            },
            if vi { "Ghi chú" } else { "Flag" },
        ]
        .map(String::from),
    );
    let mut rows = Vec::new();
    for u in &units {
        for c in &codes {
            let level = if c == "overall" {
                Level::Overall
            } else {
                Level::Element
            };
            let Some(e) = y.estimates.iter().find(|e| {
                &e.unit_id == u && e.level == level && &e.code == c && e.measure == "satisfied_pct"
            }) else {
                continue;
            };
            let mean = y.estimates.iter().find(|m| {
                &m.unit_id == u && m.level == level && &m.code == c && m.measure == "mean_score"
            });
            let cls = if e.flag.is_empty() { "num" } else { "flagged" };
            rows.push(vec![
                Cell::text(unit_name(u, lang)),
                Cell::text(if c == "overall" {
                    if vi {
                        "Chung".to_string()
                    } else {
                        "Overall".to_string()
                    }
                } else {
                    c.clone()
                }),
                Cell::with(pct(e.estimate, lang), cls),
                Cell::num(interval(e, lang)),
                Cell::num(e.n.to_string()),
                Cell::num(mean.map_or("—".into(), |m| number(m.estimate, 2, lang))),
                flag_cell(&e.flag, lang),
            ]);
        }
    }
    Block::Table {
        id: format!("table-{}-units", y.inst.id),
        caption: if vi {
            format!(
                "Chỉ số chung và theo yếu tố của từng đơn vị, năm {}",
                y.year
            )
        } else {
            format!("Overall and element indices by unit, {}", y.year)
        },
        headers,
        rows,
    }
}

/// Every item for all units together.
fn item_table(y: &Year, lang: Lang) -> Block {
    let vi = lang == Lang::Vi;
    let rows = y
        .inst
        .scored_items()
        .filter_map(|q| {
            let e = y.estimates.iter().find(|e| {
                e.unit_id == ALL
                    && e.level == Level::Item
                    && e.code == q.code
                    && e.measure == "satisfied_pct"
            })?;
            let mean = y.estimates.iter().find(|m| {
                m.unit_id == ALL
                    && m.level == Level::Item
                    && m.code == q.code
                    && m.measure == "mean_score"
            });
            Some(vec![
                Cell::text(q.code.clone()),
                Cell::text(if vi { q.vi.clone() } else { q.en.clone() }),
                Cell::with(
                    pct(e.estimate, lang),
                    if e.flag.is_empty() { "num" } else { "flagged" },
                ),
                Cell::num(interval(e, lang)),
                Cell::num(e.n.to_string()),
                Cell::num(mean.map_or("—".into(), |m| number(m.estimate, 2, lang))),
                flag_cell(&e.flag, lang),
            ])
        })
        .collect();
    Block::Table {
        id: format!("table-{}-items", y.inst.id),
        caption: if vi {
            format!("Từng câu hỏi, toàn bộ các đơn vị, năm {}", y.year)
        } else {
            format!("Every item, all units, {}", y.year)
        },
        headers: if vi {
            [
                "Mã",
                "Câu hỏi",
                "Tỷ lệ hài lòng (%)",
                "Khoảng tin cậy 95%",
                "n",
                "Điểm trung bình",
                "Ghi chú",
            ]
        } else {
            [
                "Code",
                "Item",
                "Satisfied (%)",
                "95% interval",
                "n",
                "Mean score",
                "Flag",
            ]
        }
        .map(String::from)
        .to_vec(),
        rows,
    }
}

fn direction_cell(d: &str, lang: Lang) -> Cell {
    let vi = lang == Lang::Vi;
    match d {
        "up" => Cell::with(if vi { "▲ tăng" } else { "▲ up" }, "up"),
        "down" => Cell::with(if vi { "▼ giảm" } else { "▼ down" }, "down"),
        "no_change" => Cell::text(if vi {
            "không đổi (trong sai số)"
        } else {
            "no change (noise)"
        }),
        _ => Cell::text("—"),
    }
}

/// Changes of the overall and element indices.
fn change_table(id: &str, changes: &[Change], from: i32, to: i32, lang: Lang) -> Block {
    let vi = lang == Lang::Vi;
    let mut shown: Vec<&Change> = changes
        .iter()
        .filter(|c| {
            c.measure == "satisfied_pct" && matches!(c.level, Level::Overall | Level::Element)
        })
        .collect();
    // Each unit's overall index first, then its elements (a stable sort keeps units in order).
    shown.sort_by_key(|c| {
        (
            c.unit_id != ALL,
            c.unit_id.clone(),
            c.level != Level::Overall,
        )
    });
    let rows = shown
        .into_iter()
        .map(|c| {
            vec![
                Cell::text(unit_name(&c.unit_id, lang)),
                Cell::text(match (c.level, vi) {
                    (Level::Overall, true) => "Chung".to_string(),
                    (Level::Overall, false) => "Overall".to_string(),
                    _ => c.code.clone(),
                }),
                Cell::num(pct(c.estimate_from, lang)),
                Cell::num(pct(c.estimate_to, lang)),
                Cell::num(format!(
                    "{}{}",
                    if c.change >= 0.0 { "+" } else { "" },
                    pct(c.change, lang)
                )),
                Cell::num(number(c.se_change, 2, lang)),
                Cell::num(c.p_adjusted.map_or("—".into(), |p| number(p, 4, lang))),
                direction_cell(&c.direction, lang),
                Cell::text(c.flag.clone()),
            ]
        })
        .collect();
    Block::Table {
        id: format!("table-{id}-changes"),
        caption: if vi {
            format!("Thay đổi {from}–{to} của chỉ số chung và các yếu tố (tỷ lệ hài lòng, điểm %)")
        } else {
            format!(
                "Changes {from}–{to} of the overall and element indices (share satisfied, points)"
            )
        },
        headers: if vi {
            vec![
                "Đơn vị".into(),
                "Mã".into(),
                from.to_string(),
                to.to_string(),
                "Thay đổi".into(),
                "Sai số chuẩn".into(),
                "p hiệu chỉnh".into(),
                "Kết luận".into(),
                "Ghi chú".into(),
            ]
        } else {
            vec![
                "Unit".into(),
                "Code".into(),
                from.to_string(),
                to.to_string(),
                "Change".into(),
                "SE".into(),
                "Adjusted p".into(),
                "Verdict".into(),
                "Flag".into(),
            ]
        },
        rows,
    }
}

fn par_tables(method: &ParMethod, r: &ParResult, year: i32, lang: Lang) -> Vec<Block> {
    let vi = lang == Lang::Vi;
    let mut totals: Vec<_> = r.totals.iter().collect();
    totals.sort_by(|a, b| {
        (a.rank.is_none(), a.rank, &a.unit_id).cmp(&(b.rank.is_none(), b.rank, &b.unit_id))
    });
    let total_rows = totals
        .iter()
        .map(|t| {
            vec![
                Cell::num(t.rank.map_or("—".into(), |x| x.to_string())),
                Cell::text(t.unit_id.clone()),
                Cell::num(t.points.map_or("—".into(), |x| number(x, 2, lang))),
                Cell::num(number(t.max_points, 1, lang)),
                Cell::with(
                    t.index_pct.map_or("—".into(), |x| number(x, 2, lang)),
                    if t.flag.is_empty() { "num" } else { "flagged" },
                ),
                Cell::num(match (t.ci_low, t.ci_high) {
                    (Some(a), Some(b)) => format!("{}–{}", number(a, 2, lang), number(b, 2, lang)),
                    _ => "—".into(),
                }),
                Cell::text(t.band.as_ref().map_or("—".to_string(), |b| {
                    let name = method
                        .bands
                        .iter()
                        .find(|x| &x.code == b)
                        .map(|x| if vi { x.vi.as_str() } else { x.en.as_str() })
                        .unwrap_or("");
                    format!("{b} — {name}")
                })),
                Cell::num(match (t.rank_low, t.rank_high) {
                    (Some(a), Some(b)) => format!("{a}–{b}"),
                    _ => "—".into(),
                }),
                if t.flag.is_empty() {
                    Cell::text("")
                } else {
                    Cell::with(t.flag.clone(), "flagged")
                },
            ]
        })
        .collect();
    let mut headers = vec![
        if vi { "Hạng" } else { "Rank" }.to_string(),
        if vi { "Đơn vị" } else { "Unit" }.to_string(),
    ];
    for a in &method.areas {
        headers.push(format!("{} {}", if vi { "LV" } else { "Area" }, a.code));
    }
    let area_rows = totals
        .iter()
        .map(|t| {
            let mut row = vec![
                Cell::num(t.rank.map_or("—".into(), |x| x.to_string())),
                Cell::text(t.unit_id.clone()),
            ];
            for a in &method.areas {
                let (mut p, mut m) = (0.0, 0.0);
                for x in r
                    .points
                    .iter()
                    .filter(|x| x.unit_id == t.unit_id && x.area == a.code)
                {
                    p += x.points.unwrap_or(0.0);
                    m += x.max_points.unwrap_or(0.0);
                }
                row.push(Cell::num(format!(
                    "{} / {}",
                    number(p, 2, lang),
                    number(m, 1, lang)
                )));
            }
            row
        })
        .collect();
    vec![
        Block::Table {
            id: "table-par-totals".into(),
            caption: if vi {
                format!(
                    "Chỉ số CCHC năm {year}: tổng điểm, khoảng tin cậy, xếp loại, hạng và khoảng hạng 95%"
                )
            } else {
                format!("CCHC index {year}: totals, intervals, bands, ranks and 95% rank intervals")
            },
            headers: if vi {
                [
                    "Hạng",
                    "Đơn vị",
                    "Điểm đạt",
                    "Điểm tối đa",
                    "Chỉ số (%)",
                    "Khoảng tin cậy 95%",
                    "Xếp loại",
                    "Khoảng hạng 95%",
                    "Ghi chú",
                ]
            } else {
                [
                    "Rank",
                    "Unit",
                    "Points",
                    "Maximum",
                    "Index (%)",
                    "95% interval",
                    "Band",
                    "95% rank interval",
                    "Flag",
                ]
            }
            .map(String::from)
            .to_vec(),
            rows: total_rows,
        },
        Block::Table {
            id: "table-par-areas".into(),
            caption: if vi {
                format!("Điểm đạt / điểm tối đa theo lĩnh vực, năm {year}")
            } else {
                format!("Points / maximum by area, {year}")
            },
            headers,
            rows: area_rows,
        },
    ]
}

fn par_change_table(
    rows: &[crate::render::compare::ParChange],
    from: i32,
    to: i32,
    lang: Lang,
) -> Block {
    let vi = lang == Lang::Vi;
    let cells = rows
        .iter()
        .map(|r| {
            let o = |x: Option<f64>| x.map_or("—".into(), |x| number(x, 2, lang));
            let ri =
                |x: Option<(usize, usize)>| x.map_or("—".into(), |(a, b)| format!("{a}–{b}"));
            vec![
                Cell::text(r.unit_id.clone()),
                Cell::num(o(r.index_from)),
                Cell::num(o(r.index_to)),
                Cell::num(o(r.index_change)),
                Cell::num(match (r.ci_low, r.ci_high) {
                    (Some(a), Some(b)) => format!("{}–{}", number(a, 2, lang), number(b, 2, lang)),
                    _ => "—".into(),
                }),
                direction_cell(&r.direction, lang),
                Cell::num(format!(
                    "{} → {}",
                    r.rank_from.map_or("—".into(), |x| x.to_string()),
                    r.rank_to.map_or("—".into(), |x| x.to_string())
                )),
                Cell::num(format!(
                    "{} / {}",
                    ri(r.rank_interval_from),
                    ri(r.rank_interval_to)
                )),
                Cell::text(match (r.rank_intervals_overlap, vi) {
                    (Some(true), true) => "có — thay đổi hạng có thể do sai số mẫu",
                    (Some(false), true) => "không",
                    (Some(true), false) => "yes — the rank change may be noise",
                    (Some(false), false) => "no",
                    (None, _) => "—",
                }),
            ]
        })
        .collect();
    Block::Table {
        id: "table-par-changes".into(),
        caption: if vi {
            format!("Thay đổi chỉ số CCHC {from}–{to}")
        } else {
            format!("CCHC index changes {from}–{to}")
        },
        headers: if vi {
            vec![
                "Đơn vị".into(),
                format!("Chỉ số {from}"),
                format!("Chỉ số {to}"),
                "Thay đổi".into(),
                "Khoảng tin cậy 95%".into(),
                "Kết luận".into(),
                "Hạng".into(),
                "Khoảng hạng".into(),
                "Khoảng hạng giao nhau".into(),
            ]
        } else {
            vec![
                "Unit".into(),
                format!("Index {from}"),
                format!("Index {to}"),
                "Change".into(),
                "95% interval".into(),
                "Verdict".into(),
                "Rank".into(),
                "Rank intervals".into(),
                "Intervals overlap".into(),
            ]
        },
        rows: cells,
    }
}

/// Surveys with answers for `year` in the store, in the order of the annual review.
fn surveys_in(manifest: &Manifest, year: i32) -> Vec<String> {
    let ids: BTreeSet<String> = manifest
        .batches
        .iter()
        .filter(|b| b.year == year && b.accepted > 0)
        .map(|b| b.survey.clone())
        .collect();
    let order = |id: &str| match id {
        "sipas" => 0,
        i if i.starts_with("health-outpatient") => 1,
        i if i.starts_with("health-inpatient") => 2,
        "education" => 3,
        _ => 4,
    };
    let mut v: Vec<String> = ids.into_iter().collect();
    v.sort_by_key(|id| (order(id), id.clone()));
    v
}

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let lang = args.lang.get();
    let vi = lang == Lang::Vi;
    let store = Store::open(&args.store.store)?;
    // Everything is written into a staging folder and moved into --out together at the end.
    let outputs = crate::files::Outputs::begin(&args.out)?;
    let out = outputs.dir().to_path_buf();
    let chart_dir = out.join("charts");
    let table_dir = out.join("tables");
    std::fs::create_dir_all(&table_dir)
        .with_context(|| format!("cannot create {}", table_dir.display()))?;
    let par_method = par::load(&args.par_method.method)?;
    let mut charts = Charts {
        dir: &chart_dir,
        written: Vec::new(),
        slugs: BTreeMap::from([("all".to_string(), ALL.to_string())]),
    };
    let mut sections = Vec::new();
    let mut notes = Vec::new();
    // One reading of the manifest for the whole report.
    let manifest = store.manifest()?;
    let surveys = surveys_in(&manifest, args.year);
    if surveys.is_empty() && args.assessment.is_none() {
        return Err(super::UsageError(format!(
            "the store {} has no answers for {}\n  hint: `chiso batches` lists what is stored; ingest that year's batches first",
            store.root().display(),
            args.year
        ))
        .into());
    }
    for id in &surveys {
        let y = match score_year(&store, &manifest, id, args.year) {
            Ok(y) => y,
            Err(e) => {
                tell!("note: {id} {} left out of the report: {e:#}", args.year);
                continue;
            }
        };
        let ctx = SurveyCtx {
            inst: &y.inst,
            method: &y.method,
            year: args.year,
            lang,
        };
        let dir = table_dir.join(id);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let lbl = super::score::labels(&y.inst, lang);
        let tctx = TableContext {
            year: args.year,
            survey: &y.inst.id,
            labels: &lbl,
            decimals: y.method.decimals,
            ci_level: y.method.ci_level,
            lang,
        };
        scores::write_csv(&dir.join("scores.csv"), &tctx, &y.estimates)?;
        scores::write_xlsx(&dir.join("scores.xlsx"), &tctx, &y.estimates)?;
        scores::write_json(&dir.join("scores.json"), &tctx, &y.estimates)?;
        let dist = estimate::distributions(store.scan(&manifest, &y.inst.id, args.year)?, &y.inst)
            .with_context(|| format!("answer distributions of {id}"))?;
        let mut blocks = vec![Block::Paragraph(format!(
            "{} — {}. {}: {}. {}: {}.",
            if vi {
                &y.inst.title_vi
            } else {
                &y.inst.title_en
            },
            y.inst.legal_basis,
            if vi { "Phương pháp" } else { "Method" },
            if vi {
                &y.method.title_vi
            } else {
                &y.method.title_en
            },
            if vi { "Bảng số liệu" } else { "Tables" },
            "tables/".to_string() + id + "/scores.csv, scores.xlsx, scores.json"
        ))];
        if y.inst.modelled || y.method.modelled {
            blocks.push(Block::Paragraph(if vi {
                "Lưu ý: bộ câu hỏi hoặc phương pháp này là mô phỏng (modelled), không phải văn bản chính thức.".into()
            } else {
                "Note: this questionnaire or method is modelled, not the official text.".into()
            }));
        }
        blocks.push(unit_table(&y, lang));
        let units: Vec<String> = y
            .estimates
            .iter()
            .map(|e| e.unit_id.clone())
            .filter(|u| u != ALL)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        charts.add(
            &mut blocks,
            figures::ranked_units(&ctx, &y.estimates, &par_method),
            &format!("{id}-ranked"),
        )?;
        charts.add(
            &mut blocks,
            figures::element_scores(&ctx, &y.estimates, ALL),
            &format!("{id}-scores-all"),
        )?;
        for u in &units {
            let part = charts.unit_part(u);
            charts.add(
                &mut blocks,
                figures::element_scores(&ctx, &y.estimates, u),
                &format!("{id}-scores-{part}"),
            )?;
        }
        for e in &y.inst.elements {
            charts.add(
                &mut blocks,
                figures::distribution(&ctx, &dist, &e.code, ALL),
                &format!("{id}-answers-{}", slug(&e.code)),
            )?;
        }
        blocks.push(item_table(&y, lang));
        // Year over year, and the trend over every year stored; each other year is scored once.
        let mut others: BTreeMap<i32, Year> = BTreeMap::new();
        if let Some(c) = args.compare {
            match score_year(&store, &manifest, id, c) {
                Ok(prev) => {
                    let prev = others.entry(c).or_insert(prev);
                    let (pair, excluded) = if c < args.year {
                        compare_years(&[prev, &y])?
                    } else {
                        compare_years(&[&y, prev])?
                    };
                    let changes = &pair[0];
                    let (from, to) = (c.min(args.year), c.max(args.year));
                    crate::render::compare::write_csv(&dir.join("compare.csv"), id, changes)?;
                    crate::render::compare::write_excluded(
                        &dir.join("compare_excluded.csv"),
                        id,
                        &excluded,
                    )?;
                    crate::render::compare::write_xlsx(
                        &dir.join("compare.xlsx"),
                        id,
                        Some(changes),
                        None,
                        &excluded,
                        None,
                        lang,
                    )?;
                    let cctx = SurveyCtx { year: to, ..ctx };
                    let n_of = |u: &str| {
                        y.estimates
                            .iter()
                            .find(|e| {
                                e.unit_id == u
                                    && e.level == Level::Overall
                                    && e.code == "overall"
                                    && e.measure == "satisfied_pct"
                            })
                            .map(|e| e.n)
                    };
                    charts.add(
                        &mut blocks,
                        figures::dumbbell(&cctx, changes, from, ALL, n_of(ALL)),
                        &format!("{id}-change-all"),
                    )?;
                    for u in &units {
                        let part = charts.unit_part(u);
                        charts.add(
                            &mut blocks,
                            figures::dumbbell(&cctx, changes, from, u, n_of(u)),
                            &format!("{id}-change-{part}"),
                        )?;
                    }
                    blocks.push(change_table(id, changes, from, to, lang));
                    if !excluded.is_empty() {
                        blocks.push(Block::Paragraph(format!(
                            "{} {}: tables/{id}/compare_excluded.csv.",
                            excluded.len(),
                            if vi { "chỉ số không so sánh được (câu hỏi không tương ứng giữa hai phiên bản phiếu, hoặc đơn vị chỉ có ở một năm)" } else { "figures could not be compared (items that do not correspond, or units in one year only)" }
                        )));
                    }
                }
                Err(e) => tell!("note: {id} {c} not compared: {e:#}"),
            }
        }
        let stored_years: BTreeSet<i32> = manifest
            .batches
            .iter()
            .filter(|b| b.survey == y.inst.id && b.accepted > 0 && b.year <= args.year)
            .map(|b| b.year)
            .collect();
        if stored_years.len() >= 2 {
            for yr in &stored_years {
                if *yr != args.year
                    && !others.contains_key(yr)
                    && let Ok(o) = score_year(&store, &manifest, &y.inst.id, *yr)
                {
                    others.insert(*yr, o);
                }
            }
            let years: Vec<(i32, &[Estimate])> = stored_years
                .iter()
                .filter_map(|yr| {
                    let e = if *yr == args.year {
                        &y.estimates
                    } else {
                        &others.get(yr)?.estimates
                    };
                    Some((*yr, e.as_slice()))
                })
                .collect();
            charts.add(
                &mut blocks,
                figures::trend(&ctx, &years),
                &format!("{id}-trend"),
            )?;
        }
        sections.push(Section {
            id: format!("survey-{id}"),
            heading: format!("{} — {}", survey_name(&y.inst, lang), args.year),
            blocks,
        });
    }
    if let Some(a) = &args.assessment {
        let assessment = par::assessment::read(a, &par_method)?;
        let s = super::par::StoreSurveys::load(&store, &manifest, &par_method, args.year)?;
        let seed = args.par_method.seed.unwrap_or(par_method.seed);
        let r = par::compute(&par_method, &assessment, &s, seed);
        let dir = table_dir.join("par");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        crate::render::par::write_csv(&dir, args.year, &r)?;
        crate::render::par::write_xlsx(&dir.join("par.xlsx"), args.year, &par_method, &r, lang)?;
        let mut blocks = vec![Block::Paragraph(format!(
            "{} ({}). {}",
            if vi {
                &par_method.title_vi
            } else {
                &par_method.title_en
            },
            par_method.basis,
            if par_method.modelled {
                if vi {
                    "Phương pháp mô phỏng (modelled)."
                } else {
                    "A modelled methodology."
                }
            } else {
                ""
            }
        ))];
        blocks.extend(par_tables(&par_method, &r, args.year, lang));
        charts.add(
            &mut blocks,
            figures::par_ranked(&par_method, &r, args.year, lang),
            "par-ranked",
        )?;
        charts.add(
            &mut blocks,
            figures::par_rank_intervals(&par_method, &r, args.year, lang),
            "par-rank-intervals",
        )?;
        for t in &r.totals {
            let part = charts.unit_part(&t.unit_id);
            charts.add(
                &mut blocks,
                figures::par_points(&par_method, &r, &t.unit_id, args.year, lang),
                &format!("par-points-{part}"),
            )?;
        }
        if let (Some(c), Some(ca)) = (args.compare, &args.compare_assessment) {
            let pa = par::assessment::read(ca, &par_method)?;
            let ps = super::par::StoreSurveys::load(&store, &manifest, &par_method, c)?;
            let pr = par::compute(&par_method, &pa, &ps, seed);
            let (from, to, rf, rt) = if c < args.year {
                (c, args.year, &pr, &r)
            } else {
                (args.year, c, &r, &pr)
            };
            let rows = super::compare::par_changes(rf, rt, par_method.ci_level);
            crate::render::compare::write_par_csv(&dir.join("compare_par.csv"), from, to, &rows)?;
            blocks.push(par_change_table(&rows, from, to, lang));
        }
        sections.push(Section {
            id: "par".into(),
            heading: if vi {
                format!("Chỉ số cải cách hành chính (CCHC) — {}", args.year)
            } else {
                format!("CCHC (PAR) index — {}", args.year)
            },
            blocks,
        });
    }
    notes.extend(if vi {
        vec![
            "Mọi chỉ số là ước lượng từ mẫu: khoảng tin cậy 95% cho biết mức không chắc chắn do chọn mẫu. Sai số chuẩn tính theo thiết kế mẫu (phân tầng, đơn vị mẫu cấp 1, trọng số) bằng tuyến tính hóa Taylor, khớp với gói survey của R.".to_string(),
            "Ô tô đỏ / chữ 'ít mẫu' (low_n): quá ít người trả lời để công bố; 'no_df': không đủ bậc tự do để tính khoảng tin cậy.".into(),
            "Thay đổi giữa hai năm: kiểm định t hai phía với hai mẫu độc lập, giá trị p hiệu chỉnh Benjamini–Hochberg trên toàn bảng; 'không đổi' nghĩa là thay đổi nằm trong sai số mẫu.".into(),
            "Chỉ số CCHC: điểm điều tra = điểm tối đa × chỉ số khảo sát / 100; khoảng tin cậy của tổng điểm lan truyền sai số mẫu (kể cả hiệp phương sai trong cùng một cuộc khảo sát); khoảng hạng 95% từ mô phỏng có hạt giống cố định.".into(),
        ]
    } else {
        vec![
            "Every index is a sample estimate: the 95% interval shows the uncertainty from sampling. Standard errors follow the design (strata, PSUs, weights) by Taylor linearisation, matching R's survey package.".to_string(),
            "Red cells / 'low n': too few respondents to publish; 'no_df': too few degrees of freedom for an interval.".into(),
            "Year-over-year changes: two-sided t tests on independent samples, p adjusted by Benjamini–Hochberg across the table; 'no change' means within sampling noise.".into(),
            "CCHC index: survey points = maximum × survey index / 100; the total's interval propagates the sampling error (covariances within a survey included); 95% rank intervals come from a seeded simulation.".into(),
        ]
    });
    let report = Report {
        title: if vi {
            format!(
                "Báo cáo chỉ số hài lòng và chỉ số cải cách hành chính năm {}",
                args.year
            )
        } else {
            format!(
                "Satisfaction and public-administration-reform indices, {}",
                args.year
            )
        },
        subtitle: if vi {
            format!(
                "{} khảo sát{}{}. Tạo bởi chiso {}.",
                sections
                    .iter()
                    .filter(|s| s.id.starts_with("survey-"))
                    .count(),
                args.compare
                    .map_or(String::new(), |c| format!(", so sánh với năm {c}")),
                if args.assessment.is_some() {
                    ", chỉ số CCHC"
                } else {
                    ""
                },
                env!("CARGO_PKG_VERSION")
            )
        } else {
            format!(
                "{} surveys{}{}. Made with chiso {}.",
                sections
                    .iter()
                    .filter(|s| s.id.starts_with("survey-"))
                    .count(),
                args.compare
                    .map_or(String::new(), |c| format!(", compared with {c}")),
                if args.assessment.is_some() {
                    ", CCHC index"
                } else {
                    ""
                },
                env!("CARGO_PKG_VERSION")
            )
        },
        lang,
        sections,
        notes,
    };
    let path = out.join("report.html");
    crate::files::create_synced(&path, crate::render::report::html(&report).as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    let n_charts = charts.written.len();
    outputs.commit()?;
    say!(
        "report: {} ({} charts as PNG and SVG in {}, tables in {})",
        args.out.join("report.html").display(),
        n_charts,
        args.out.join("charts").display(),
        args.out.join("tables").display()
    );
    Ok(ExitCode::SUCCESS)
}
