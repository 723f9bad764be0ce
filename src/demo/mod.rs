//! Realistic, seeded sample data: survey batches for a handful of communes and their CCHC
//! assessment files. `chiso demo` runs the whole tool on them; the same files, small, are
//! shipped in `surveys/samples/` (a test checks they are what this module writes).
//!
//! Each commune is its own stratum with eight villages (thôn) as PSUs, weights that differ by
//! village, a commune-level quality that moves from year to year, a respondent effect, item
//! effects, and a few blanks and not-applicable answers.

mod run;

pub use run::{DemoRun, PLACE, run};

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_pcg::Pcg64;

use crate::instrument::{Instrument, StandardColumn};
use crate::par::{ParMethod, Source};

/// A commune of the demo: its name, its quality in 2025 (0–1) and its change per year.
#[derive(Debug, Clone, Copy)]
pub struct Commune {
    pub name: &'static str,
    pub quality: f64,
    pub trend: f64,
}

/// Five communes of Na Rì (Thái Nguyên): one improving fast, one slipping, the others steady.
pub const COMMUNES: [Commune; 5] = [
    Commune {
        name: "Xuân Dương",
        quality: 0.70,
        trend: 0.00,
    },
    Commune {
        name: "Côn Minh",
        quality: 0.62,
        trend: 0.10,
    },
    Commune {
        name: "Quang Phong",
        quality: 0.75,
        trend: -0.08,
    },
    Commune {
        name: "Na Rì",
        quality: 0.78,
        trend: 0.01,
    },
    Commune {
        name: "Văn Lang",
        quality: 0.67,
        trend: 0.02,
    },
];

/// Villages (PSUs) per commune.
const VILLAGES: usize = 8;

/// The demo's survey batches: (questionnaire id, respondents per commune, seed offset).
pub const SURVEYS: [(&str, usize, u64); 4] = [
    ("sipas", 120, 1),
    ("health-outpatient", 100, 2),
    ("health-inpatient", 60, 4),
    ("education", 80, 3),
];

/// The demo's years.
pub const YEARS: [i32; 2] = [2025, 2026];

/// A small stable hash (FNV-1a) to derive seeds and item effects from names.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

fn prefix(id: &str) -> String {
    id.split('-')
        .map(|p| p.chars().next().unwrap_or('X').to_ascii_uppercase())
        .collect()
}

/// A batch of `per_unit` respondents in each commune for `year`, as CSV text.
pub fn survey_batch(inst: &Instrument, year: i32, per_unit: usize, seed: u64) -> String {
    let mut rng = Pcg64::seed_from_u64(seed ^ fnv(&inst.id) ^ (year as u64).wrapping_mul(0x9e37));
    let noise = Normal::new(0.0, 0.22).unwrap_or_else(|_| unreachable!());
    let person = Normal::new(0.0, 0.08).unwrap_or_else(|_| unreachable!());
    let columns: Vec<_> = inst
        .columns
        .iter()
        .filter(|c| !c.pii && c.values.as_ref().is_some_and(|v| !v.is_empty()))
        .collect();
    let mut header: Vec<String> = [
        StandardColumn::RespondentId,
        StandardColumn::UnitId,
        StandardColumn::Stratum,
        StandardColumn::Psu,
        StandardColumn::Weight,
    ]
    .iter()
    .map(|c| inst.header_of(*c).to_string())
    .collect();
    header.extend(columns.iter().map(|c| c.header().to_string()));
    header.extend(inst.questions.iter().map(|q| q.header.clone()));
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let mut rows: Vec<Vec<String>> = Vec::new();
    let service = match inst.service.as_str() {
        "health" => 0.02,
        "education" => 0.04,
        _ => 0.0,
    };
    for (u, c) in COMMUNES.iter().enumerate() {
        let quality = c.quality + c.trend * f64::from(year - 2025) + service;
        for _ in 0..per_unit {
            let village = rng.random_range(0..VILLAGES);
            let weight = 40.0 + 25.0 * village as f64 + rng.random_range(0.0..10.0);
            let mut row = vec![
                String::new(),
                c.name.to_string(),
                format!("S{}", u + 1),
                format!("{} / thôn {}", c.name, village + 1),
                format!("{weight:.1}"),
            ];
            for col in &columns {
                let v = col.values.as_deref().unwrap_or_default();
                row.push(v[rng.random_range(0..v.len())].clone());
            }
            let me = quality + person.sample(&mut rng);
            for q in &inst.questions {
                let s = &q.scale;
                let effect = (fnv(&q.code) % 9) as f64 * 0.012 - 0.048;
                let x: f64 = rng.random();
                let answer = if x < 0.02 {
                    String::new()
                } else if x < 0.035 && s.not_applicable.contains(&0) && s.min > 0 {
                    "0".to_string()
                } else {
                    let latent = (me + effect + noise.sample(&mut rng)).clamp(0.0, 1.0);
                    let v = f64::from(s.min) + f64::from(s.max - s.min) * latent;
                    let v = v.round() as i32;
                    match &s.values {
                        Some(vals) if !vals.contains(&v) => vals[vals.len() / 2].to_string(),
                        _ => v.to_string(),
                    }
                };
                row.push(answer);
            }
            rows.push(row);
        }
    }
    // Forms arrive mixed, not commune by commune.
    for i in (1..rows.len()).rev() {
        let j = rng.random_range(0..=i);
        rows.swap(i, j);
    }
    let p = prefix(&inst.id);
    let _ = w.write_record(&header);
    for (i, mut row) in rows.into_iter().enumerate() {
        row[0] = format!("{p}{year}-{:04}", i + 1);
        let _ = w.write_record(&row);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// The CCHC assessment of every demo commune for `year`: self-assessed points near the
/// commune's quality, appraised down now and then, a few bonuses and penalties, one criterion
/// not applicable.
pub fn assessment(method: &ParMethod, year: i32, seed: u64) -> String {
    let mut rng = Pcg64::seed_from_u64(seed ^ fnv(&method.id) ^ (year as u64).wrapping_mul(0x9e37));
    let mut out = String::from("unit_id,criterion,self_score,appraised_score,note\n");
    let quarter = |x: f64| (x * 4.0).round() / 4.0;
    for c in COMMUNES {
        let quality = c.quality + c.trend * f64::from(year - 2025);
        for leaf in method.leaves() {
            let k = leaf.criterion;
            match leaf.source {
                Source::Survey => {}
                Source::Bonus | Source::Penalty => {
                    if rng.random::<f64>() < 0.3 {
                        let pts = quarter(k.max * rng.random_range(0.25..=1.0));
                        let note = if leaf.source == Source::Bonus {
                            "được UBND tỉnh công nhận"
                        } else {
                            "theo kết luận kiểm tra"
                        };
                        let _ = writeln!(out, "{},{},{pts},,{note}", c.name, k.code);
                    }
                }
                Source::Assessment => {
                    if k.code == "2.1" && c.name == "Văn Lang" {
                        let _ = writeln!(
                            out,
                            "{},{},NA,,không ban hành văn bản QPPL trong năm",
                            c.name, k.code
                        );
                        continue;
                    }
                    let share = (quality + 0.18 + rng.random_range(-0.12..0.1)).clamp(0.0, 1.0);
                    let own = quarter(k.max * share);
                    if rng.random::<f64>() < 0.2 && own >= 0.25 {
                        let _ = writeln!(
                            out,
                            "{},{},{own},{},thẩm định giảm điểm",
                            c.name,
                            k.code,
                            own - 0.25
                        );
                    } else {
                        let _ = writeln!(out, "{},{},{own},,", c.name, k.code);
                    }
                }
            }
        }
    }
    out
}

/// The demo's sample files, written to `dir`: (survey or "assessment", year, path).
pub fn write_samples(dir: &Path) -> anyhow::Result<Vec<(String, i32, PathBuf)>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let method = crate::par::load("par-commune")?;
    let mut files = Vec::new();
    for year in YEARS {
        for (survey, per_unit, seed) in SURVEYS {
            let inst = crate::instrument::load(survey)?;
            let path = dir.join(format!("{survey}-{year}.csv"));
            crate::files::replace(
                &path,
                dir,
                survey_batch(&inst, year, per_unit, seed).as_bytes(),
            )
            .with_context(|| format!("cannot write {}", path.display()))?;
            files.push((survey.to_string(), year, path));
        }
        let path = dir.join(format!("assessment-{year}.csv"));
        crate::files::replace(&path, dir, assessment(&method, year, 7).as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        files.push(("assessment".to_string(), year, path));
    }
    Ok(files)
}
