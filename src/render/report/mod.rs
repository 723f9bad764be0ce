//! The annual report: its tables (`tables/`), its charts (`charts/`) and `report.html` — one
//! self-contained, printable file (A4, a cover with the contents, running heads and page
//! numbers in print, the executive summary first, the methods in an appendix), the font
//! embedded, nothing loaded from the network. The HTML comes from a template whose every value
//! is escaped (minijinja's auto-escaping); only the charts' SVG, which chiso draws, is not.
//!
//! Renders what `annual::review` computed: it chooses words, numbers' form and layout, and
//! computes nothing.

mod chart_files;
mod summary;
mod tables;

use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use serde::Serialize;

pub use chart_files::{ChartFiles, slug};

use crate::annual::{ParReview, Review, SurveyReview};
use crate::estimate::ALL;
use crate::lang::Lang;
use crate::render::figures::{self, SurveyCtx, survey_name};
use crate::render::scores::TableContext;

/// A table cell: its text, an optional second line (an interval), a CSS class (`num`,
/// `flagged`, `up`, `down`, `same`, or empty).
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub text: String,
    pub sub: Option<String>,
    pub class: &'static str,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::with(s, "")
    }
    pub fn num(s: impl Into<String>) -> Cell {
        Cell::with(s, "num")
    }
    pub fn with(s: impl Into<String>, class: &'static str) -> Cell {
        Cell {
            text: s.into(),
            sub: None,
            class,
        }
    }
    /// With a second, smaller line.
    pub fn under(mut self, sub: impl Into<String>) -> Cell {
        self.sub = Some(sub.into());
        self
    }
}

/// A table row; `class` `all` marks the all-units row.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub class: &'static str,
}

impl Row {
    pub fn new(cells: Vec<Cell>) -> Row {
        Row { cells, class: "" }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    Paragraph {
        text: String,
    },
    /// A paragraph that opens a section, a little larger.
    Lead {
        text: String,
    },
    /// A small note.
    Note {
        text: String,
    },
    Subheading {
        text: String,
    },
    Bullets {
        items: Vec<String>,
    },
    Table {
        id: String,
        caption: String,
        /// `wide` for a units × elements table.
        class: &'static str,
        head: Vec<String>,
        rows: Vec<Row>,
        note: Option<String>,
    },
    /// A chart: its title and its SVG (drawn by chiso, inlined as is).
    Chart {
        id: String,
        title: String,
        svg: String,
    },
}

impl Block {
    pub fn paragraph(text: impl Into<String>) -> Block {
        Block::Paragraph { text: text.into() }
    }
    pub fn note(text: impl Into<String>) -> Block {
        Block::Note { text: text.into() }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub id: String,
    /// `1`, `2`, … for the body; `A`, `B` for the appendix; empty for the summary.
    pub number: String,
    pub heading: String,
    /// `landscape` to print the section on landscape pages.
    pub class: &'static str,
    pub blocks: Vec<Block>,
}

/// Words of the page furniture.
#[derive(Debug, Clone, Serialize)]
pub struct Words {
    pub contents: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub lang: &'static str,
    pub title: String,
    pub place: Option<String>,
    pub subtitle: String,
    /// The running head printed at the top of every page but the cover.
    pub running_head: String,
    pub made_with: String,
    pub words: Words,
    pub summary: Section,
    pub sections: Vec<Section>,
    pub appendix: Vec<Section>,
}

/// What [`write`] wrote.
pub struct Written {
    pub charts: usize,
}

/// Writes the report of `review` into `dir`: `tables/` (each survey's scores and changes,
/// the CCHC tables), `charts/` (PNG and SVG) and `report.html`.
pub fn write(review: &Review, dir: &Path, lang: Lang) -> anyhow::Result<Written> {
    let table_dir = dir.join("tables");
    let chart_dir = dir.join("charts");
    std::fs::create_dir_all(&table_dir)
        .with_context(|| format!("cannot create {}", table_dir.display()))?;
    let mut charts = ChartFiles::new(&chart_dir);
    let mut sections = Vec::new();
    for (k, s) in review.surveys.iter().enumerate() {
        write_survey_tables(s, &table_dir.join(&s.year.inst.id), lang)?;
        sections.push(survey_section(review, s, k + 1, &mut charts, lang)?);
    }
    if let Some(p) = &review.par {
        let pdir = table_dir.join("par");
        std::fs::create_dir_all(&pdir)
            .with_context(|| format!("cannot create {}", pdir.display()))?;
        crate::render::par::write_all(&pdir, review.year, &review.par_method, &p.result, lang)?;
        if let Some((from, to, rows)) = &p.changes {
            crate::render::compare::write_par_csv(&pdir.join("compare_par.csv"), *from, *to, rows)?;
        }
        sections.push(par_section(
            review,
            p,
            sections.len() + 1,
            &mut charts,
            lang,
        )?);
    }
    if !review.plans.is_empty() {
        sections.push(plan_section(
            review,
            &table_dir,
            sections.len() + 1,
            &mut charts,
            lang,
        )?);
    }
    if let Some(q) = &review.qd766 {
        let qdir = table_dir.join("qd766");
        std::fs::create_dir_all(&qdir)
            .with_context(|| format!("cannot create {}", qdir.display()))?;
        crate::render::qd766::write_all(&qdir, review.year, &q.method, &q.items, &q.totals, lang)?;
        sections.push(qd766_section(q, sections.len() + 1, &mut charts, lang)?);
    }
    let report = Report {
        lang: lang.code(),
        title: lang.pick(
            format!(
                "Báo cáo chỉ số hài lòng và chỉ số cải cách hành chính năm {}",
                review.year
            ),
            format!(
                "Satisfaction and public-administration-reform indices, {}",
                review.year
            ),
        ),
        place: review.place.clone(),
        subtitle: summary::subtitle(review, lang),
        running_head: match &review.place {
            Some(p) => lang.pick(
                format!("{p} — Báo cáo chỉ số năm {}", review.year),
                format!("{p} — Indices {}", review.year),
            ),
            None => lang.pick(
                format!("Báo cáo chỉ số năm {}", review.year),
                format!("Indices {}", review.year),
            ),
        },
        made_with: lang.pick(
            format!(
                "Số liệu và biểu đồ do chiso {} tính từ các phiếu khảo sát và hồ sơ đánh giá đã nhập.",
                env!("CARGO_PKG_VERSION")
            ),
            format!(
                "Figures and charts computed by chiso {} from the survey forms and assessment files entered.",
                env!("CARGO_PKG_VERSION")
            ),
        ),
        words: Words {
            contents: lang.pick("Mục lục", "Contents"),
        },
        summary: summary::section(review, lang),
        appendix: summary::appendix(review, &charts, lang),
        sections,
    };
    let path = dir.join("report.html");
    crate::render::save_bytes(&path, html(&report)?.as_bytes())?;
    Ok(Written {
        charts: charts.written.len(),
    })
}

/// A survey's tables: scores (CSV, XLSX, JSON) and, with a compared year, its changes.
fn write_survey_tables(s: &SurveyReview, dir: &Path, lang: Lang) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let y = &s.year;
    let labels = y.method.labels(&y.inst, lang);
    let ctx = TableContext {
        year: y.year,
        survey: &y.inst.id,
        labels: &labels,
        decimals: y.method.decimals,
        ci_level: y.method.ci_level,
        lang,
    };
    crate::render::scores::write_all(dir, &ctx, &y.estimates)?;
    if let Some(c) = &s.change {
        crate::render::compare::write_changes(
            dir,
            &y.inst.id,
            Some(&labels),
            &c.changes,
            &c.excluded,
            lang,
        )?;
    }
    Ok(())
}

/// A survey's section: the wide table, its charts, its changes, its items.
fn survey_section(
    review: &Review,
    s: &SurveyReview,
    number: usize,
    charts: &mut ChartFiles,
    lang: Lang,
) -> anyhow::Result<Section> {
    let y = &s.year;
    let id = &y.inst.id;
    let ctx = SurveyCtx {
        inst: &y.inst,
        method: &y.method,
        year: y.year,
        lang,
    };
    let est = &y.estimates;
    let mut blocks = vec![Block::Lead {
        text: summary::survey_lead(s, lang),
    }];
    blocks.push(tables::wide_scores(s, number, lang));
    if !s.empty_elements.is_empty() {
        blocks.push(Block::note(summary::empty_elements(s, lang)));
    }
    // Every chart is written; the report shows those for all units, the others are files.
    blocks.extend(charts.save(
        figures::ranked_units(&ctx, est, &review.par_method),
        &format!("{id}-ranked"),
    )?);
    blocks.extend(charts.save(
        figures::element_scores(&ctx, est, ALL),
        &format!("{id}-scores-all"),
    )?);
    let units = y.estimates.units();
    for u in &units {
        let part = charts.unit_part(u);
        charts.save(
            figures::element_scores(&ctx, est, u),
            &format!("{id}-scores-{part}"),
        )?;
    }
    for e in &y.inst.elements {
        charts.save(
            figures::distribution(&ctx, &s.distributions, &e.code, ALL),
            &format!("{id}-answers-{}", slug(&e.code)),
        )?;
    }
    if let Some(c) = &s.change {
        blocks.push(tables::wide_changes(s, c, number, lang));
        let cctx = SurveyCtx { year: c.to, ..ctx };
        let n_of = |u: &str| y.estimates.overall(u).map(|e| e.n);
        blocks.extend(charts.save(
            figures::dumbbell(&cctx, &c.changes, c.from, ALL, n_of(ALL)),
            &format!("{id}-change-all"),
        )?);
        for u in &units {
            let part = charts.unit_part(u);
            charts.save(
                figures::dumbbell(&cctx, &c.changes, c.from, u, n_of(u)),
                &format!("{id}-change-{part}"),
            )?;
        }
        if !c.excluded.is_empty() {
            blocks.push(Block::note(summary::excluded(c, id, lang)));
        }
    }
    if !s.trend.is_empty() {
        let years: Vec<(i32, &crate::estimate::Estimates)> =
            s.trend.iter().map(|(yr, e)| (*yr, e)).collect();
        blocks.extend(charts.save(figures::trend(&ctx, &years), &format!("{id}-trend"))?);
    }
    blocks.push(tables::items(s, number, lang));
    Ok(Section {
        id: format!("survey-{id}"),
        number: number.to_string(),
        heading: format!("{} — {}", survey_name(&y.inst, lang), y.year),
        class: "",
        blocks,
    })
}

/// The CCHC index's section.
fn par_section(
    review: &Review,
    p: &ParReview,
    number: usize,
    charts: &mut ChartFiles,
    lang: Lang,
) -> anyhow::Result<Section> {
    let m = &review.par_method;
    let year = review.year;
    let mut blocks = vec![Block::Lead {
        text: summary::par_lead(review, p, lang),
    }];
    blocks.push(tables::par_totals(m, p, year, number, lang));
    blocks.push(tables::par_areas(m, p, year, number, lang));
    blocks.extend(charts.save(figures::par_ranked(m, &p.result, year, lang), "par-ranked")?);
    blocks.extend(charts.save(
        figures::par_rank_intervals(m, &p.result, year, lang),
        "par-rank-intervals",
    )?);
    for t in &p.result.totals {
        let part = charts.unit_part(&t.unit_id);
        charts.save(
            figures::par_points(m, &p.result, &t.unit_id, year, lang),
            &format!("par-points-{part}"),
        )?;
    }
    if let Some((from, to, rows)) = &p.changes {
        blocks.push(tables::par_changes(rows, *from, *to, number, lang));
    }
    Ok(Section {
        id: "par".into(),
        number: number.to_string(),
        heading: lang.pick(
            format!("Chỉ số cải cách hành chính (CCHC) — {year}"),
            format!("CCHC (PAR) index — {year}"),
        ),
        class: "",
        blocks,
    })
}

/// The annual plans: per unit, its tasks on a timeline, its agencies ranked, what is overdue.
fn plan_section(
    review: &Review,
    table_dir: &Path,
    number: usize,
    charts: &mut ChartFiles,
    lang: Lang,
) -> anyhow::Result<Section> {
    use crate::plan::Status;
    let mut blocks = vec![Block::Lead {
        text: lang
            .pick(
                "Tiến độ các nhiệm vụ trọng tâm của Kế hoạch CCHC năm ở từng đơn vị, và xếp hạng các cơ quan chủ trì theo mức độ hoàn thành (đúng hạn, đạt chất lượng).",
                "Progress of each unit's key PAR-plan tasks, and its lead agencies ranked by how they carried them out (on time, to standard).",
            )
            .to_string(),
    }];
    for (k, p) in review.plans.iter().enumerate() {
        let part = charts.unit_part(&p.unit);
        let dir = table_dir.join(format!("plan-{part}"));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let rows: Vec<_> = p
            .plan
            .tasks
            .iter()
            .zip(&p.statuses)
            .map(|(t, &(s, days))| (t, s, days))
            .collect();
        crate::render::tasks::write_all(&dir, &p.method, &rows, &p.agencies, lang)?;
        let count = |s: Status| p.count(s);
        blocks.push(Block::Subheading {
            text: p.unit.clone(),
        });
        blocks.push(Block::paragraph(crate::msg!(
            "tasks.summary",
            file = p.file_name,
            date = p.as_of,
            tasks = p.statuses.len(),
            on_time = count(Status::DoneOnTime),
            late = count(Status::DoneLate),
            overdue = count(Status::Overdue),
            open = count(Status::Open)
        )));
        blocks.extend(charts.save(figures::plan_timeline(p, lang), &format!("plan-{part}"))?);
        blocks.push(tables::plan_agencies(
            p,
            &format!("{number}.{}", k + 1),
            lang,
        ));
        let overdue: Vec<String> = p
            .plan
            .tasks
            .iter()
            .zip(&p.statuses)
            .filter(|(_, (s, _))| *s == Status::Overdue)
            .map(|(t, (_, days))| {
                crate::msg!(
                    "tasks.overdue_line",
                    id = t.task_id,
                    lead = t.lead,
                    due = t.deadline.date,
                    days = days,
                    content = t.content
                )
                .trim()
                .to_string()
            })
            .collect();
        if !overdue.is_empty() {
            blocks.push(Block::paragraph(crate::msg!(
                "tasks.overdue",
                n = overdue.len()
            )));
            blocks.push(Block::Bullets { items: overdue });
        }
    }
    Ok(Section {
        id: "plan".into(),
        number: number.to_string(),
        heading: lang.pick(
            format!("Thực hiện Kế hoạch CCHC năm {}", review.year),
            format!("The {} PAR plan: task completion", review.year),
        ),
        class: "",
        blocks,
    })
}

/// The QĐ 766 index in a sentence: files, units, the index of all units, the on-time and online
/// shares of the year.
pub(super) fn qd766_sentence(q: &crate::annual::Qd766Review, lang: Lang) -> String {
    let year = q.year_label().unwrap_or_default().to_string();
    let all = |item: &str| {
        q.items
            .iter()
            .find(|r| r.period == year && r.unit_id == ALL && r.item == item)
            .and_then(|r| r.rate_pct)
            .map_or("—".to_string(), |x| crate::lang::number(x, 1, lang))
    };
    let index = q
        .totals
        .iter()
        .find(|t| t.period == year && t.unit_id == ALL)
        .and_then(|t| t.index_pct)
        .map_or("—".to_string(), |x| crate::lang::number(x, 2, lang));
    let units = q
        .totals
        .iter()
        .filter(|t| t.period == year && t.unit_id != ALL)
        .count();
    crate::msg!(
        "report.qd766_summary",
        year = year,
        files = crate::lang::count(q.files as u64, lang),
        units = units,
        index = index,
        on_time = all("2.1"),
        online = all("3.3")
    )
}

/// The QĐ 766 index from the procedure records: the units ranked, each group's points, and
/// month by month the shares of files settled on time and submitted online.
fn qd766_section(
    q: &crate::annual::Qd766Review,
    number: usize,
    charts: &mut ChartFiles,
    lang: Lang,
) -> anyhow::Result<Section> {
    let year = q.year_label().unwrap_or_default().to_string();
    let mut blocks = vec![
        Block::Lead {
            text: lang
                .pick(
                    "Bộ chỉ số chỉ đạo, điều hành và đánh giá chất lượng phục vụ người dân, doanh nghiệp (Quyết định 766/QĐ-TTg), tính lại từ dữ liệu hồ sơ thủ tục hành chính của hệ thống một cửa: mỗi đơn vị thấy vì sao điểm của mình thay đổi.",
                    "The Prime Minister's service-quality index (Decision 766/QĐ-TTg), recomputed from the one-stop shop's own procedure records, so that each unit can see why its score moves.",
                )
                .to_string(),
        },
        Block::paragraph(qd766_sentence(q, lang)),
    ];
    blocks.extend(charts.save(figures::qd766_ranked(q, lang), "qd766-ranked")?);
    blocks.extend(tables::qd766_ranked(q, &format!("{number}.1"), lang));
    blocks.extend(charts.save(figures::qd766_monthly(q, "2.1", lang), "qd766-on-time")?);
    blocks.extend(charts.save(figures::qd766_monthly(q, "3.3", lang), "qd766-online")?);
    blocks.push(Block::note(lang.pick(
        "Tính theo phương pháp mô phỏng scoring/qd766.toml (các nhóm điểm và công thức theo mô tả công khai của Cổng Dịch vụ công quốc gia; phần chưa được công bố là mô phỏng). Hồ sơ còn đang xử lý được xét vào ngày cuối kỳ, hoặc ngày xuất dữ liệu nếu sớm hơn; các tháng sau ngày xuất dữ liệu không được tính. Bảng đầy đủ: tables/qd766/.",
        "By the modelled method scoring/qd766.toml (groups and formulas after the national portal's public descriptions; what is not published is modelled). Open files are judged on the period's last day, or the export's day if earlier; months after the export are left out. Full tables: tables/qd766/.",
    )));
    Ok(Section {
        id: "qd766".into(),
        number: number.to_string(),
        heading: lang.pick(
            format!("Chỉ số phục vụ người dân, doanh nghiệp (QĐ 766) năm {year}"),
            format!("Service-quality index (QĐ 766), {year}"),
        ),
        class: "",
        blocks,
    })
}

/// A CSS string literal of `s` (for `content:` in the page margins), safe inside `<style>`.
fn css_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' | '<' | '>' | '&' | '\n' | '\r' => {
                out.push_str(&format!("\\{:x} ", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `report.html` from the report's model.
pub fn html(r: &Report) -> anyhow::Result<String> {
    let mut env = minijinja::Environment::new();
    // Auto-escaping follows the template's name: `.html` escapes every value.
    env.add_template("report.html", include_str!("report.html"))
        .context("the report template")?;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let lang = if r.lang == "en" { Lang::En } else { Lang::Vi };
    let ctx = minijinja::context! {
        lang => r.lang,
        title => &r.title,
        place => &r.place,
        subtitle => &r.subtitle,
        made_with => &r.made_with,
        words => &r.words,
        summary => &r.summary,
        sections => &r.sections,
        appendix => &r.appendix,
        css => include_str!("report.css"),
        font_regular => b64(dejavu::sans::regular()),
        font_bold => b64(dejavu::sans::bold()),
        running_head_css => css_string(&r.running_head),
        page_label_css => css_string(lang.pick("Trang ", "Page ")),
        page_of_css => css_string(" / "),
    };
    let tmpl = env
        .get_template("report.html")
        .context("the report template")?;
    let mut out = tmpl.render(ctx).context("rendering report.html")?;
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_input_files_is_escaped() {
        let section = |blocks| Section {
            id: "s\"><script>".into(),
            number: "1".into(),
            heading: "<h>".into(),
            class: "",
            blocks,
        };
        let r = Report {
            lang: "vi",
            title: "T <b>".into(),
            place: Some("Xã \"A\" & <B>".into()),
            subtitle: String::new(),
            running_head: "Xã \"A\" </style><script>".into(),
            made_with: String::new(),
            words: Words {
                contents: "Mục lục",
            },
            summary: section(vec![]),
            sections: vec![section(vec![Block::Table {
                id: "t".into(),
                caption: "c".into(),
                class: "",
                head: vec!["<u>".into()],
                rows: vec![Row::new(vec![
                    Cell::text("Xã <img src=x onerror=alert(1)>").under("<i>"),
                ])],
                note: Some("<em>".into()),
            }])],
            appendix: vec![],
        };
        let out = html(&r).expect("html");
        assert!(!out.contains("<img") && !out.contains("<script>"));
        assert!(!out.contains("<u>") && !out.contains("<b>") && !out.contains("<i>"));
        assert!(!out.contains("<em>") && !out.contains("</style><script>"));
        assert!(out.contains("Xã &lt;img src=x onerror=alert(1)&gt;"));
        assert!(out.contains("Xã &quot;A&quot; &amp; &lt;B&gt;"));
        // The running head is a CSS string: its quote and angle brackets escaped for CSS.
        assert!(out.contains(r#""Xã \22 A\22  \3c /style\3e \3c script\3e ""#));
    }
}
