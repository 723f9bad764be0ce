//! The report's charts as files: `charts/NAME.png` and `.svg`, a unit's part of each name
//! made file-safe and unique.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use unicode_normalization::UnicodeNormalization;

use super::Block;
use crate::estimate::ALL;
use crate::render::charts::{self, Chart};

/// A file-name-safe form of a name: ASCII, lower case, dashes.
pub fn slug(s: &str) -> String {
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

/// Writes charts into one folder.
pub struct ChartFiles<'a> {
    dir: &'a Path,
    /// Every chart written: (PNG, SVG).
    pub written: Vec<(PathBuf, PathBuf)>,
    /// The file-name part given to each unit: slug → unit.
    slugs: BTreeMap<String, String>,
}

impl ChartFiles<'_> {
    pub fn new(dir: &Path) -> ChartFiles<'_> {
        ChartFiles {
            dir,
            written: Vec::new(),
            slugs: BTreeMap::from([("all".to_string(), ALL.to_string())]),
        }
    }

    /// A unit's part of a chart file name: its slug, at most 40 characters, with a short hash
    /// of the exact name when another unit (or the all-units charts, `all`) has that slug.
    pub fn unit_part(&mut self, unit: &str) -> String {
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

    /// Writes `chart` as `NAME.png` and `NAME.svg`; returns it as a block of the report.
    pub fn save(&mut self, chart: Option<Chart>, name: &str) -> anyhow::Result<Option<Block>> {
        let Some(chart) = chart else {
            return Ok(None);
        };
        let (png, svg, text) = charts::save(&chart, self.dir, name)?;
        self.written.push((png, svg));
        Ok(Some(Block::Chart {
            id: format!("chart-{name}"),
            title: chart.title().to_string(),
            svg: inline_svg(&text),
        }))
    }
}

/// An SVG written by plotters, ready to sit inside HTML: no XML prolog or namespace, sized
/// by its container.
fn inline_svg(svg: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    svg[start..]
        .replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
        .replacen(
            "<svg width=\"1600\" height=\"1000\"",
            "<svg role=\"img\"",
            1,
        )
}
