//! Charts, drawn with plotters, each written as PNG and SVG from the same drawing code.
//!
//! Text is set in DejaVu Sans, embedded in the binary (the `dejavu` crate) and registered with
//! plotters' ab_glyph text renderer, so PNGs render Vietnamese diacritics on a machine with no
//! fonts installed; SVGs name the family (with fallbacks) and keep their text as text.
//! Charts render what they are given: the numbers come from `estimate`, `par` and `compare`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::Context as _;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::compare::Direction;
use crate::lang::Lang;

/// The family name charts use; registered once per process.
pub const FONT: &str = "DejaVu Sans";
/// What standalone SVGs ask for: DejaVu first, then fonts that also cover Vietnamese.
const SVG_FAMILY: &str = "DejaVu Sans, Noto Sans, Arial, sans-serif";

/// Default size of a chart, in pixels (PNG) or user units (SVG).
pub const SIZE: (u32, u32) = (1600, 1000);

fn register_font() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .map_err(|_| "the embedded DejaVu Sans font is invalid".to_string())?;
        plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold())
            .map_err(|_| "the embedded DejaVu Sans Bold font is invalid".to_string())
    })
    .clone()
}

// Colours: readable in print and for colour-blind readers (ColorBrewer RdBu, RdYlGn).
const INK: RGBColor = RGBColor(33, 37, 41);
const MUTED: RGBColor = RGBColor(96, 104, 112);
const GRID: RGBColor = RGBColor(222, 226, 230);
const BAR: RGBColor = RGBColor(33, 102, 172);
const OVERALL: RGBColor = RGBColor(8, 48, 107);
const FLAGGED: RGBColor = RGBColor(173, 181, 189);
const UP: RGBColor = RGBColor(26, 152, 80);
const DOWN: RGBColor = RGBColor(215, 48, 39);
const LIKERT: [RGBColor; 5] = [
    RGBColor(178, 24, 43),
    RGBColor(239, 138, 98),
    RGBColor(204, 204, 204),
    RGBColor(103, 169, 207),
    RGBColor(33, 102, 172),
];
const BANDS: [RGBColor; 5] = [
    RGBColor(26, 152, 80),
    RGBColor(145, 207, 96),
    RGBColor(254, 224, 139),
    RGBColor(252, 141, 89),
    RGBColor(215, 48, 39),
];
const SERIES: [RGBColor; 8] = [
    RGBColor(33, 102, 172),
    RGBColor(215, 48, 39),
    RGBColor(26, 152, 80),
    RGBColor(118, 42, 131),
    RGBColor(230, 97, 1),
    RGBColor(1, 133, 113),
    RGBColor(140, 81, 10),
    RGBColor(77, 77, 77),
];

pub use crate::lang::number;

/// Title, subtitle and footnote of a chart.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    pub title: String,
    pub subtitle: String,
    /// Source, year, n and methodology.
    pub footnote: String,
    pub lang: Lang,
}

/// One task of a [`Chart::Timeline`].
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineRow {
    pub label: String,
    /// Deadline and completion, as day numbers.
    pub due: i64,
    pub done: Option<i64>,
    /// Late (done late, or overdue): drawn in the warning colour.
    pub late: bool,
}

/// A figure with its interval.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub estimate: f64,
    pub lo: f64,
    pub hi: f64,
    pub flagged: bool,
    /// Band code and colour index (ranked charts).
    pub band: Option<(String, usize)>,
}

/// A point of a trend line: (year, estimate, interval low, interval high).
pub type TrendPoint = (i32, f64, f64, f64);

/// The kinds of chart.
#[derive(Debug, Clone)]
pub enum Chart {
    /// Element scores of one unit (or ALL) with 95 % whiskers, on a 0–100 axis.
    Scores {
        frame: Frame,
        axis: String,
        bars: Vec<Bar>,
    },
    /// Diverging stacked bars of the answer distribution (1–5) of each item of an element.
    Distribution {
        frame: Frame,
        legend: [String; 5],
        /// (item label, shares of codes 1–5 in percent).
        items: Vec<(String, [f64; 5])>,
    },
    /// Units ranked by an index with intervals; flagged units grey; bands as coloured zones.
    Ranked {
        frame: Frame,
        axis: String,
        /// (lowest index, label), highest band first.
        bands: Vec<(Option<f64>, String)>,
        units: Vec<Bar>,
        /// Decimals of the printed values.
        decimals: usize,
    },
    /// Two years side by side per element; significant changes marked.
    Dumbbell {
        frame: Frame,
        axis: String,
        years: (i32, i32),
        /// (label, from, to, verdict; None when untested).
        rows: Vec<(String, f64, f64, Option<Direction>)>,
    },
    /// A unit's CCHC points against the maximum, area by area.
    Points {
        frame: Frame,
        /// (area label, points, maximum).
        areas: Vec<(String, f64, f64)>,
    },
    /// Units by CCHC rank with their 95 % rank intervals.
    RankIntervals {
        frame: Frame,
        /// (unit, rank, rank_low, rank_high, label at the right, band colour index).
        units: Vec<(String, usize, usize, usize, String, usize)>,
    },
    /// A plan's tasks on the year's calendar: each task's deadline (a hollow mark), its
    /// completion (on time: a filled mark; late: a red segment from the deadline), a task
    /// overdue as a red segment to the day of the assessment.
    Timeline {
        frame: Frame,
        /// The year's first and last day, as day numbers.
        span: (i64, i64),
        /// The day of the assessment.
        as_of: i64,
        rows: Vec<TimelineRow>,
    },
    /// An index over several years (or months), one line per unit, with intervals where
    /// they are finite.
    Trend {
        frame: Frame,
        axis: String,
        /// The x positions in order, each with its label (`2025`, `T3`).
        ticks: Vec<(i32, String)>,
        /// (unit, [(x, estimate, lo, hi)]).
        series: Vec<(String, Vec<TrendPoint>)>,
    },
}

/// Drawing in pixel coordinates on any plotters backend.
struct Pen<'a, DB: DrawingBackend> {
    area: &'a DrawingArea<DB, Shift>,
}

type Res = Result<(), String>;

impl<DB: DrawingBackend> Pen<'_, DB> {
    fn style(size: f64, color: RGBColor, bold: bool, h: HPos, v: VPos) -> TextStyle<'static> {
        let font = if bold {
            FontDesc::new(FontFamily::Name(FONT), size, FontStyle::Bold)
        } else {
            FontDesc::new(FontFamily::Name(FONT), size, FontStyle::Normal)
        };
        font.color(&color).pos(Pos::new(h, v))
    }

    fn text(&self, s: &str, at: (i32, i32), size: f64, color: RGBColor, h: HPos, v: VPos) -> Res {
        self.text_styled(s, at, Self::style(size, color, false, h, v))
    }

    fn bold(&self, s: &str, at: (i32, i32), size: f64, color: RGBColor, h: HPos, v: VPos) -> Res {
        self.text_styled(s, at, Self::style(size, color, true, h, v))
    }

    fn text_styled(&self, s: &str, at: (i32, i32), style: TextStyle) -> Res {
        if s.is_empty() {
            return Ok(());
        }
        self.area
            .draw(&Text::new(s.to_string(), at, style))
            .map_err(|e| e.to_string())
    }

    fn width(&self, s: &str, size: f64, bold: bool) -> u32 {
        let style = Self::style(size, INK, bold, HPos::Left, VPos::Top);
        self.area
            .estimate_text_size(s, &style)
            .map(|(w, _)| w)
            .unwrap_or((s.chars().count() as f64 * size * 0.55) as u32)
    }

    /// Splits `s` into at most `lines` lines of at most `max` pixels, ending in "…" if cut.
    fn wrap(&self, s: &str, max: u32, size: f64, lines: usize) -> Vec<String> {
        self.wrap_as(s, max, size, lines, false)
    }

    fn wrap_as(&self, s: &str, max: u32, size: f64, lines: usize, bold: bool) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut cur = String::new();
        let words: Vec<&str> = s.split_whitespace().collect();
        let mut i = 0;
        while i < words.len() {
            let try_ = if cur.is_empty() {
                words[i].to_string()
            } else {
                format!("{cur} {}", words[i])
            };
            if self.width(&try_, size, bold) <= max || cur.is_empty() {
                cur = try_;
                i += 1;
            } else {
                out.push(std::mem::take(&mut cur));
                if out.len() == lines {
                    break;
                }
            }
        }
        if !cur.is_empty() && out.len() < lines {
            out.push(cur);
        }
        if (i < words.len() || out.iter().any(|l| self.width(l, size, bold) > max))
            && let Some(last) = out.last_mut()
        {
            {
                while !last.is_empty() && self.width(&format!("{last}…"), size, bold) > max {
                    last.pop();
                }
                let trimmed = last.trim_end_matches([',', ' ']).to_string();
                *last = format!("{trimmed}…");
            }
        }
        out
    }

    fn rect(&self, a: (i32, i32), b: (i32, i32), color: RGBColor, filled: bool) -> Res {
        let style = if filled {
            color.filled()
        } else {
            color.stroke_width(2)
        };
        self.area
            .draw(&Rectangle::new([a, b], style))
            .map_err(|e| e.to_string())
    }

    fn line(&self, pts: Vec<(i32, i32)>, color: RGBColor, width: u32) -> Res {
        self.area
            .draw(&PathElement::new(pts, color.stroke_width(width)))
            .map_err(|e| e.to_string())
    }

    fn dot(&self, at: (i32, i32), r: i32, color: RGBColor) -> Res {
        self.area
            .draw(&Circle::new(at, r, color.filled()))
            .map_err(|e| e.to_string())?;
        self.area
            .draw(&Circle::new(at, r, INK.stroke_width(1)))
            .map_err(|e| e.to_string())
    }

    /// Title and subtitle at the top (each wrapped to two lines at most), footnote at the
    /// bottom; returns the top and bottom of the room left for the chart.
    fn frame(&self, f: &Frame) -> Result<(i32, i32), String> {
        let (w, h) = self.area.dim_in_pixel();
        let (w, h) = (w as i32, h as i32);
        self.area.fill(&WHITE).map_err(|e| e.to_string())?;
        let max = (w - 120) as u32;
        let mut y = 36;
        // A smaller title before a second line.
        let size = if self.width(&f.title, 38.0, true) <= max {
            38.0
        } else {
            33.0
        };
        for l in self.wrap_bold(&f.title, max, size, 2) {
            self.bold(&l, (60, y), size, INK, HPos::Left, VPos::Top)?;
            y += (size * 1.25) as i32;
        }
        y += 6;
        for l in self.wrap(&f.subtitle, max, 24.0, 2) {
            self.text(&l, (60, y), 24.0, MUTED, HPos::Left, VPos::Top)?;
            y += 32;
        }
        let foot = self.wrap(&f.footnote, max, 20.0, 2);
        let top_of_foot = h - 30 - 28 * foot.len() as i32;
        self.line(
            vec![(60, top_of_foot - 12), (w - 60, top_of_foot - 12)],
            GRID,
            2,
        )?;
        for (k, l) in foot.iter().enumerate() {
            self.text(
                l,
                (60, top_of_foot + 28 * k as i32),
                20.0,
                MUTED,
                HPos::Left,
                VPos::Top,
            )?;
        }
        Ok((y + 24, top_of_foot - 30))
    }

    /// As `wrap`, measured in bold.
    fn wrap_bold(&self, s: &str, max: u32, size: f64, lines: usize) -> Vec<String> {
        self.wrap_as(s, max, size, lines, true)
    }

    /// A horizontal axis from `lo` to `hi` over pixels x0..x1 with vertical grid lines at
    /// `ticks` (labelled by `label_of`) and a title below; returns the mapping.
    #[allow(clippy::too_many_arguments)]
    fn x_axis(
        &self,
        (x0, x1): (i32, i32),
        (y0, y1): (i32, i32),
        (lo, hi): (f64, f64),
        ticks: &[f64],
        label_of: &dyn Fn(f64) -> String,
        title: &str,
    ) -> Result<impl Fn(f64) -> i32 + use<DB>, String> {
        let map = move |v: f64| x0 + ((v - lo) / (hi - lo) * f64::from(x1 - x0)).round() as i32;
        for &v in ticks {
            let x = map(v);
            self.line(vec![(x, y0), (x, y1)], GRID, 1)?;
            self.text(
                &label_of(v),
                (x, y1 + 10),
                22.0,
                MUTED,
                HPos::Center,
                VPos::Top,
            )?;
        }
        self.text(
            title,
            ((x0 + x1) / 2, y1 + 42),
            22.0,
            MUTED,
            HPos::Center,
            VPos::Top,
        )?;
        Ok(map)
    }
}

/// Ticks from `lo` to `hi` every `step`.
fn ticks(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let n = ((hi - lo) / step).round() as usize;
    (0..=n).map(|k| lo + step * k as f64).collect()
}

/// Bar thickness for rows of height `h`: a share of it, at most 56 px.
fn thickness(h: i32, share: f64) -> i32 {
    ((f64::from(h) * share) as i32).min(56)
}

impl Chart {
    fn frame(&self) -> &Frame {
        match self {
            Chart::Scores { frame, .. }
            | Chart::Distribution { frame, .. }
            | Chart::Ranked { frame, .. }
            | Chart::Dumbbell { frame, .. }
            | Chart::Points { frame, .. }
            | Chart::RankIntervals { frame, .. }
            | Chart::Timeline { frame, .. }
            | Chart::Trend { frame, .. } => frame,
        }
    }

    /// The chart's title (checked in the SVG by the tests).
    pub fn title(&self) -> &str {
        &self.frame().title
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Res {
        let p = Pen { area };
        let f = self.frame();
        let lang = f.lang;
        let (top, bottom) = p.frame(f)?;
        let (w, _) = area.dim_in_pixel();
        let w = w as i32;
        // Room for the x axis labels below the plot.
        let plot_bottom = bottom - 80;
        match self {
            Chart::Scores { axis, bars, .. } => {
                let (x0, x1) = (560, w - 140);
                let pct = |v: f64| number(v, 0, lang);
                let map = p.x_axis(
                    (x0, x1),
                    (top, plot_bottom),
                    (0.0, 100.0),
                    &ticks(0.0, 100.0, 10.0),
                    &pct,
                    axis,
                )?;
                rows(bars.len(), top, plot_bottom, |k, y, hgt| {
                    let b = &bars[k];
                    // The first bar is the overall index: darker, its label bold.
                    if k == 0 {
                        label_at(&p, &b.label, (x0 - 20, y), 24.0, 480, true)?;
                    } else {
                        label_left(&p, &b.label, x0 - 20, y, 24.0, 480)?;
                    }
                    let color = match (b.flagged, k) {
                        (true, _) => FLAGGED,
                        (false, 0) => OVERALL,
                        _ => BAR,
                    };
                    let bh = thickness(hgt, 0.55);
                    if b.estimate.is_finite() {
                        p.rect(
                            (map(0.0), y - bh / 2),
                            (map(b.estimate), y + bh / 2),
                            color,
                            true,
                        )?;
                        whisker(&p, map(b.lo), map(b.hi), y, bh / 2)?;
                        let tx = map(b.hi.max(b.estimate)).max(map(b.estimate)) + 12;
                        let mut s = number(b.estimate, 1, lang);
                        if b.flagged {
                            s.push_str(lang.pick(" (ít mẫu)", " (low n)"));
                        }
                        p.text(&s, (tx, y), 24.0, INK, HPos::Left, VPos::Center)?;
                    }
                    Ok(())
                })
            }
            Chart::Distribution { legend, items, .. } => {
                // Legend on one line under the subtitle.
                let mut lx = 60;
                for (k, l) in legend.iter().enumerate() {
                    p.rect((lx, top - 2), (lx + 26, top + 22), LIKERT[k], true)?;
                    p.text(l, (lx + 34, top + 10), 22.0, INK, HPos::Left, VPos::Center)?;
                    lx += 34 + p.width(l, 22.0, false) as i32 + 36;
                }
                let top = top + 50;
                let (x0, x1) = (660, w - 80);
                // Disagreement (1, 2 and half of 3) to the left of 0, agreement to the right.
                // Shares are positive on both sides of 0.
                let abs = |v: f64| number(v.abs(), 0, lang);
                let map = p.x_axis(
                    (x0, x1),
                    (top, plot_bottom),
                    (-100.0, 100.0),
                    &ticks(-100.0, 100.0, 25.0),
                    &abs,
                    &legend_axis(lang),
                )?;
                rows(items.len(), top, plot_bottom, |k, y, hgt| {
                    let (label, s) = &items[k];
                    label_left(&p, label, x0 - 20, y, 22.0, 580)?;
                    let bh = thickness(hgt, 0.6);
                    let left = s[0] + s[1] + s[2] / 2.0;
                    let mut at = -left;
                    for (c, share) in s.iter().enumerate() {
                        let (a, b) = (map(at), map(at + share));
                        if b > a {
                            p.rect((a, y - bh / 2), (b, y + bh / 2), LIKERT[c], true)?;
                            if b - a > 56 {
                                let ink = if c == 2 { INK } else { WHITE };
                                p.text(
                                    &number(*share, 0, lang),
                                    ((a + b) / 2, y),
                                    20.0,
                                    ink,
                                    HPos::Center,
                                    VPos::Center,
                                )?;
                            }
                        }
                        at += share;
                    }
                    Ok(())
                })
            }
            Chart::Ranked {
                axis,
                bands,
                units,
                decimals,
                ..
            } => {
                // Band legend on one line.
                let mut lx = 60;
                for (k, (_, label)) in bands.iter().enumerate() {
                    let c = BANDS[k.min(BANDS.len() - 1)];
                    p.rect((lx, top - 2), (lx + 26, top + 22), light(c, 0.55), true)?;
                    p.text(
                        label,
                        (lx + 34, top + 10),
                        22.0,
                        INK,
                        HPos::Left,
                        VPos::Center,
                    )?;
                    lx += 34 + p.width(label, 22.0, false) as i32 + 36;
                }
                let top = top + 50;
                let (x0, x1) = (420, w - 200);
                let map0 = |v: f64| x0 + (v / 100.0 * f64::from(x1 - x0)).round() as i32;
                // Band zones behind the grid, their letter at the top.
                let mut upper = 100.0;
                for (k, (min, _)) in bands.iter().enumerate() {
                    let m = min.unwrap_or(0.0);
                    let c = light(BANDS[k.min(BANDS.len() - 1)], 0.8);
                    p.rect((map0(m), top), (map0(upper), plot_bottom), c, true)?;
                    upper = m;
                }
                let pct = |v: f64| number(v, 0, lang);
                let map = p.x_axis(
                    (x0, x1),
                    (top, plot_bottom),
                    (0.0, 100.0),
                    &ticks(0.0, 100.0, 10.0),
                    &pct,
                    axis,
                )?;
                rows(units.len(), top, plot_bottom, |k, y, hgt| {
                    let u = &units[k];
                    let ink = if u.flagged { FLAGGED } else { INK };
                    let label = format!("{}. {}", k + 1, u.label);
                    label_left(&p, &label, x0 - 20, y, 24.0, 340)?;
                    if !u.estimate.is_finite() {
                        return Ok(());
                    }
                    let color = match (&u.band, u.flagged) {
                        (_, true) => FLAGGED,
                        (Some((_, i)), false) => BANDS[(*i).min(BANDS.len() - 1)],
                        (None, false) => BAR,
                    };
                    p.dot((map(u.estimate), y), 11, color)?;
                    // The interval over the dot, so that a narrow one still shows.
                    whisker(&p, map(u.lo), map(u.hi), y, (hgt / 5).clamp(4, 14))?;
                    let mut s = number(u.estimate, *decimals, lang);
                    if let Some((code, _)) = &u.band {
                        s = format!("{s}  {code}");
                    }
                    if u.flagged {
                        s.push_str(lang.pick("  (ít mẫu)", "  (low n)"));
                    }
                    p.text(&s, (x1 + 16, y), 24.0, ink, HPos::Left, VPos::Center)
                })
            }
            Chart::Dumbbell {
                axis,
                years,
                rows: data,
                ..
            } => {
                let (x0, x1) = (560, w - 200);
                // Legend.
                let ly = top + 4;
                p.dot((60 + 10, ly), 10, MUTED)?;
                p.text(
                    &years.0.to_string(),
                    (60 + 28, ly),
                    22.0,
                    INK,
                    HPos::Left,
                    VPos::Center,
                )?;
                p.dot((170 + 10, ly), 10, BAR)?;
                p.text(
                    &years.1.to_string(),
                    (170 + 28, ly),
                    22.0,
                    INK,
                    HPos::Left,
                    VPos::Center,
                )?;
                let sig = lang.pick("▲ tăng / ▼ giảm có ý nghĩa thống kê (p hiệu chỉnh < 0,05); — thay đổi nằm trong sai số mẫu", "▲ up / ▼ down: significant (adjusted p < 0.05); — within sampling noise");
                p.text(sig, (290, ly), 22.0, MUTED, HPos::Left, VPos::Center)?;
                let top = top + 44;
                let pct = |v: f64| number(v, 0, lang);
                let map = p.x_axis(
                    (x0, x1),
                    (top, plot_bottom),
                    (0.0, 100.0),
                    &ticks(0.0, 100.0, 10.0),
                    &pct,
                    axis,
                )?;
                rows(data.len(), top, plot_bottom, |k, y, _| {
                    let (label, a, b, dir) = &data[k];
                    label_left(&p, label, x0 - 20, y, 24.0, 480)?;
                    let color = match dir {
                        Some(Direction::Up) => UP,
                        Some(Direction::Down) => DOWN,
                        _ => FLAGGED,
                    };
                    p.line(vec![(map(*a), y), (map(*b), y)], color, 5)?;
                    p.dot((map(*a), y), 10, MUTED)?;
                    p.dot((map(*b), y), 12, BAR)?;
                    let mark = match dir {
                        Some(Direction::Up) => "▲",
                        Some(Direction::Down) => "▼",
                        _ => "—",
                    };
                    let d = b - a;
                    let s = format!(
                        "{mark} {}{}",
                        if d >= 0.0 { "+" } else { "" },
                        number(d, 1, lang)
                    );
                    p.bold(
                        &s,
                        (x1 + 20, y),
                        24.0,
                        if dir.is_none() { MUTED } else { color },
                        HPos::Left,
                        VPos::Center,
                    )
                })
            }
            Chart::Points { areas, .. } => {
                let (x0, x1) = (700, w - 200);
                let max = areas.iter().map(|a| a.2).fold(0.0, f64::max).max(1.0);
                let step = if max > 10.0 { 2.0 } else { 1.0 };
                let axis = lang.pick("Điểm", "Points");
                let hi = (max / step).ceil() * step;
                let whole = |v: f64| number(v, 0, lang);
                let map = p.x_axis(
                    (x0, x1),
                    (top, plot_bottom),
                    (0.0, hi),
                    &ticks(0.0, hi, step),
                    &whole,
                    axis,
                )?;
                rows(areas.len(), top, plot_bottom, |k, y, hgt| {
                    let (label, pts, mx) = &areas[k];
                    label_left(&p, label, x0 - 20, y, 22.0, 620)?;
                    let bh = thickness(hgt, 0.55);
                    p.rect((map(0.0), y - bh / 2), (map(*mx), y + bh / 2), GRID, true)?;
                    let share = if *mx > 0.0 { pts / mx } else { 0.0 };
                    let c = if share >= 0.9 {
                        BANDS[0]
                    } else if share >= 0.7 {
                        BAR
                    } else {
                        BANDS[3]
                    };
                    p.rect(
                        (map(0.0), y - bh / 2),
                        (map(pts.max(0.0)), y + bh / 2),
                        c,
                        true,
                    )?;
                    p.rect((map(0.0), y - bh / 2), (map(*mx), y + bh / 2), MUTED, false)?;
                    let s = format!("{} / {}", number(*pts, 2, lang), number(*mx, 1, lang));
                    p.text(&s, (map(*mx) + 14, y), 24.0, INK, HPos::Left, VPos::Center)
                })
            }
            Chart::Timeline {
                span,
                as_of,
                rows: tasks,
                ..
            } => {
                let (x0, x1) = (620, w - 60);
                let (lo, hi) = (span.0 as f64, span.1 as f64 + 1.0);
                // A tick at the first day of each month, labelled T1 … T12.
                let starts: Vec<f64> = (0..12)
                    .filter_map(|m| {
                        let first = crate::plan::Date::new(
                            crate::plan::Date::from_days(span.0).year,
                            m + 1,
                            1,
                        )?;
                        Some(first.days() as f64)
                    })
                    .collect();
                let month = |v: f64| {
                    let d = crate::plan::Date::from_days(v as i64);
                    format!("{}{}", lang.pick("T", "M"), d.month)
                };
                let axis = lang.pick(
                    "Tháng; ◇ thời hạn, ● hoàn thành, đỏ: muộn hoặc quá hạn, đường dọc: ngày đánh giá",
                    "Month; ◇ deadline, ● done, red: late or overdue, vertical line: day of the assessment",
                );
                let map = p.x_axis(
                    (x0, x1),
                    (top, plot_bottom),
                    (lo, hi),
                    &starts,
                    &month,
                    axis,
                )?;
                let now = map(*as_of as f64);
                p.line(vec![(now, top), (now, plot_bottom)], MUTED, 3)?;
                rows(tasks.len(), top, plot_bottom, |k, y, hgt| {
                    let t = &tasks[k];
                    label_left(&p, &t.label, x0 - 20, y, 20.0, 580)?;
                    let r = (hgt / 5).clamp(5, 12);
                    let due = map(t.due as f64);
                    let color = if t.late { DOWN } else { UP };
                    match t.done {
                        Some(d) if t.late => {
                            p.line(vec![(due, y), (map(d as f64), y)], DOWN, 5)?;
                            p.dot((map(d as f64), y), r, DOWN)?;
                        }
                        Some(d) => p.dot((map(d as f64), y), r, color)?,
                        None if t.late => p.line(vec![(due, y), (now, y)], DOWN, 5)?,
                        None => {}
                    }
                    // The deadline: a hollow diamond.
                    let dia = vec![
                        (due, y - r - 3),
                        (due + r + 3, y),
                        (due, y + r + 3),
                        (due - r - 3, y),
                        (due, y - r - 3),
                    ];
                    p.line(dia, INK, 3)
                })
            }
            Chart::RankIntervals { units, .. } => {
                let (x0, x1) = (420, w - 300);
                let n = units.len().max(2);
                let axis = lang.pick(
                    "Thứ hạng (1 = cao nhất); đoạn thẳng: khoảng 95% của thứ hạng",
                    "Rank (1 = best); segment: 95% rank interval",
                );
                // Rank 1 on the left; half a rank of room at either end.
                let whole = |v: f64| number(v, 0, lang);
                let map = p.x_axis(
                    (x0, x1),
                    (top, plot_bottom),
                    (0.5, n as f64 + 0.5),
                    &ticks(1.0, n as f64, 1.0),
                    &whole,
                    axis,
                )?;
                rows(units.len(), top, plot_bottom, |k, y, _| {
                    let (label, rank, lo, hi, right, band) = &units[k];
                    label_left(&p, label, x0 - 20, y, 24.0, 340)?;
                    p.line(vec![(map(*lo as f64), y), (map(*hi as f64), y)], INK, 6)?;
                    p.dot(
                        (map(*rank as f64), y),
                        13,
                        BANDS[(*band).min(BANDS.len() - 1)],
                    )?;
                    p.text(right, (x1 + 24, y), 24.0, INK, HPos::Left, VPos::Center)
                })
            }
            Chart::Trend {
                axis,
                ticks,
                series,
                ..
            } => {
                let (x0, x1) = (140, w - 340);
                let years: Vec<i32> = ticks.iter().map(|t| t.0).collect();
                let (ylo, yhi) = (0.0, 100.0);
                let ymap = |v: f64| {
                    plot_bottom
                        - ((v - ylo) / (yhi - ylo) * f64::from(plot_bottom - top)).round() as i32
                };
                let mut v = ylo;
                while v <= yhi + 1e-9 {
                    p.line(vec![(x0, ymap(v)), (x1, ymap(v))], GRID, 1)?;
                    p.text(
                        &number(v, 0, lang),
                        (x0 - 12, ymap(v)),
                        22.0,
                        MUTED,
                        HPos::Right,
                        VPos::Center,
                    )?;
                    v += 10.0;
                }
                p.text_styled(
                    axis,
                    (40, (top + plot_bottom) / 2),
                    Pen::<DB>::style(22.0, MUTED, false, HPos::Center, VPos::Center)
                        .transform(FontTransform::Rotate270),
                )?;
                let span = years.len().saturating_sub(1).max(1) as f64;
                let pad = 60;
                let xmap = |y: i32| {
                    let k = years.iter().position(|x| *x == y).unwrap_or(0) as f64;
                    x0 + pad + (k / span * f64::from(x1 - x0 - 2 * pad)).round() as i32
                };
                for (y, label) in ticks {
                    p.text(
                        label,
                        (xmap(*y), plot_bottom + 12),
                        22.0,
                        MUTED,
                        HPos::Center,
                        VPos::Top,
                    )?;
                }
                let last = series.len().saturating_sub(1);
                for (k, (label, pts)) in series.iter().enumerate() {
                    // The last series is all units together: black.
                    let c = if k == last && series.len() > 1 {
                        INK
                    } else {
                        SERIES[k % SERIES.len()]
                    };
                    let off = (k as i32 - series.len() as i32 / 2) * 6;
                    let line: Vec<(i32, i32)> = pts
                        .iter()
                        .map(|&(yr, e, _, _)| (xmap(yr) + off, ymap(e)))
                        .collect();
                    p.line(line.clone(), c, 4)?;
                    for pt in &line {
                        p.dot(*pt, 7, c)?;
                    }
                    // Intervals over the dots, with caps, so that they stay visible.
                    for &(yr, _, lo, hi) in pts {
                        if lo.is_finite() && hi.is_finite() {
                            let x = xmap(yr) + off;
                            p.line(vec![(x, ymap(lo)), (x, ymap(hi))], c, 3)?;
                            p.line(vec![(x - 6, ymap(lo)), (x + 6, ymap(lo))], c, 3)?;
                            p.line(vec![(x - 6, ymap(hi)), (x + 6, ymap(hi))], c, 3)?;
                        }
                    }
                    if let Some(&(_, e, _, _)) = pts.last() {
                        let ly = top + 20 + 40 * k as i32;
                        p.rect((x1 + 40, ly - 4), (x1 + 70, ly + 4), c, true)?;
                        p.text(
                            &format!("{label} ({})", number(e, 1, lang)),
                            (x1 + 80, ly),
                            22.0,
                            INK,
                            HPos::Left,
                            VPos::Center,
                        )?;
                    }
                }
                Ok(())
            }
        }
    }
}

fn legend_axis(lang: Lang) -> String {
    lang.pick(
        "% câu trả lời (trái: chưa hài lòng, phải: hài lòng; mức 3 chia đôi)".into(),
        "% of answers (left: dissatisfied, right: satisfied; level 3 split)".into(),
    )
}

/// Calls `each(k, y_center, row_height)` for `n` rows spread between `top` and `bottom`.
fn rows(n_rows: usize, top: i32, bottom: i32, mut each: impl FnMut(usize, i32, i32) -> Res) -> Res {
    if n_rows == 0 {
        return Ok(());
    }
    let h = (bottom - top) / n_rows as i32;
    for k in 0..n_rows {
        each(k, top + h * k as i32 + h / 2, h)?;
    }
    Ok(())
}

/// A row label, right-aligned at `x`, on one or two lines.
fn label_left<DB: DrawingBackend>(
    p: &Pen<DB>,
    s: &str,
    x: i32,
    y: i32,
    size: f64,
    max: u32,
) -> Res {
    label_at(p, s, (x, y), size, max, false)
}

fn label_at<DB: DrawingBackend>(
    p: &Pen<DB>,
    s: &str,
    (x, y): (i32, i32),
    size: f64,
    max: u32,
    bold: bool,
) -> Res {
    let lines = p.wrap_as(s, max, size, 2, bold);
    let lh = (size * 1.2) as i32;
    let y0 = y - lh * (lines.len() as i32 - 1) / 2;
    for (k, l) in lines.iter().enumerate() {
        let style = Pen::<DB>::style(size, INK, bold, HPos::Right, VPos::Center);
        p.text_styled(l, (x, y0 + lh * k as i32), style)?;
    }
    Ok(())
}

/// An interval whisker from x `a` to `b` at height `y`, caps of half-height `cap`.
fn whisker<DB: DrawingBackend>(p: &Pen<DB>, a: i32, b: i32, y: i32, cap: i32) -> Res {
    p.line(vec![(a, y), (b, y)], INK, 3)?;
    p.line(vec![(a, y - cap), (a, y + cap)], INK, 3)?;
    p.line(vec![(b, y - cap), (b, y + cap)], INK, 3)
}

/// `c` blended towards white by `t` (0 = c, 1 = white).
fn light(c: RGBColor, t: f64) -> RGBColor {
    let m = |x: u8| (f64::from(x) + (255.0 - f64::from(x)) * t).round() as u8;
    RGBColor(m(c.0), m(c.1), m(c.2))
}

/// Writes `NAME.png` and `NAME.svg` in `dir`; returns their paths and the SVG text.
pub fn save(chart: &Chart, dir: &Path, name: &str) -> anyhow::Result<(PathBuf, PathBuf, String)> {
    register_font().map_err(anyhow::Error::msg)?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let png = dir.join(format!("{name}.png"));
    {
        let root = BitMapBackend::new(&png, SIZE).into_drawing_area();
        chart
            .draw(&root)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("drawing {}", png.display()))?;
        root.present()
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", png.display()))?;
    }
    crate::files::sync_file(&png)?;
    crate::files::count_written(&png);
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        chart
            .draw(&root)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("drawing {name}.svg"))?;
        root.present()
            .map_err(|e| anyhow::anyhow!("drawing {name}.svg: {e}"))?;
    }
    let text = text.replace(
        &format!("font-family=\"{FONT}\""),
        &format!("font-family=\"{SVG_FAMILY}\""),
    );
    let svg = dir.join(format!("{name}.svg"));
    super::save_bytes(&svg, text.as_bytes())?;
    Ok((png, svg, text))
}
