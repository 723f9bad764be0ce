//! `chiso compare`: what changed between years, and whether the change is real.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::CompareArgs;
use crate::compare::{self, Change, Excluded, Side};
use crate::estimate::{self, Estimate, Level};
use crate::instrument::Instrument;
use crate::methodology::Method;
use crate::par::{self, ParResult};
use crate::render::compare::{self as out, ParChange, TrendRow};
use crate::render::labels::Lang;
use crate::store::{Manifest, Store};

/// One year of one survey, scored.
#[derive(Debug, Clone)]
pub struct Year {
    pub year: i32,
    pub inst: Instrument,
    pub method: Method,
    pub estimates: Vec<Estimate>,
}

impl Year {
    pub fn side(&self) -> Side<'_> {
        Side {
            year: self.year,
            inst: &self.inst,
            method: &self.method,
            estimates: &self.estimates,
        }
    }
}

/// Scores `survey` for `year` with the questionnaire version in force that year.
pub fn score_year(
    store: &Store,
    manifest: &Manifest,
    survey: &str,
    year: i32,
) -> anyhow::Result<Year> {
    let inst = super::instrument_at(survey, year)?;
    let method = crate::methodology::load(&inst.method)?;
    method.check(&inst.method, &inst)?;
    super::require_answers(store, manifest, &inst.id, year, "")?;
    let rows = store.scan(manifest, &inst.id, year)?;
    let estimates = estimate::score(rows, &inst, &method)
        .with_context(|| format!("scoring {} {year}", inst.id))?;
    Ok(Year {
        year,
        inst,
        method,
        estimates,
    })
}

/// What was left out of comparing two years: (from, to, what).
pub type Exclusions = Vec<(i32, i32, Excluded)>;

/// The comparison of consecutive years: changes (adjusted across all of them) and exclusions.
pub fn compare_years(years: &[&Year]) -> anyhow::Result<(Vec<Vec<Change>>, Exclusions)> {
    let mut changes = Vec::new();
    let mut excluded = Vec::new();
    for w in years.windows(2) {
        let (from, to) = (w[0].side(), w[1].side());
        let mut pairing = compare::correspond(&from, &to).map_err(super::UsageError)?;
        changes.push(compare::compare(&from, &to, &mut pairing));
        excluded.extend(
            pairing
                .excluded
                .into_iter()
                .map(|e| (from.year, to.year, e)),
        );
    }
    // Benjamini–Hochberg across every row of the table, then back into the year pairs.
    let lengths: Vec<usize> = changes.iter().map(Vec::len).collect();
    let mut all: Vec<Change> = changes.into_iter().flatten().collect();
    compare::adjust(&mut all);
    let mut rest = all.into_iter();
    let changes = lengths
        .into_iter()
        .map(|n| rest.by_ref().take(n).collect())
        .collect();
    Ok((changes, excluded))
}

pub fn run(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let lang = args.lang.get();
    let store = Store::open(&args.store.store)?;
    let manifest = store.manifest()?;
    let outputs = crate::files::Outputs::begin(&args.out)?;
    if args.par {
        return run_par(&args, outputs, &store, &manifest, lang);
    }
    let survey = args.survey.clone().unwrap_or_default();
    let mut years: Vec<i32> = match (args.from, args.to) {
        (Some(f), Some(t)) => vec![f, t],
        _ => args.years.clone(),
    };
    let trend = args.from.is_none();
    years.sort_unstable();
    years.dedup();
    if years.len() < 2 {
        return Err(super::UsageError(
            "compare needs two years: --from YYYY --to YYYY, or --years Y1,Y2[,Y3...]\n  hint: e.g. chiso compare --survey sipas --from 2025 --to 2026".into(),
        )
        .into());
    }
    let scored = years
        .iter()
        .map(|&y| score_year(&store, &manifest, &survey, y))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let id = scored.last().map(|y| y.inst.id.clone()).unwrap_or_default();
    let (changes, excluded) = compare_years(&scored.iter().collect::<Vec<_>>())?;
    let excluded_path = args.out.join("compare_excluded.csv");
    out::write_excluded(&outputs.dir().join("compare_excluded.csv"), &id, &excluded)?;
    let (n, up, down) = {
        let all: Vec<&Change> = changes.iter().flatten().collect();
        (
            all.len(),
            all.iter().filter(|c| c.direction == "up").count(),
            all.iter().filter(|c| c.direction == "down").count(),
        )
    };
    let main = if trend {
        let rows = trend_rows(&scored, &changes);
        let path = args.out.join("trend.csv");
        out::write_trend_csv(&outputs.dir().join("trend.csv"), &id, &rows)?;
        out::write_xlsx(
            &outputs.dir().join("compare.xlsx"),
            &id,
            None,
            Some(&rows),
            &excluded,
            None,
            lang,
        )?;
        path
    } else {
        let rows = &changes[0];
        let path = args.out.join("compare.csv");
        out::write_csv(&outputs.dir().join("compare.csv"), &id, rows)?;
        out::write_xlsx(
            &outputs.dir().join("compare.xlsx"),
            &id,
            Some(rows),
            None,
            &excluded,
            None,
            lang,
        )?;
        path
    };
    outputs.commit()?;
    say!(
        "{id} {}: {n} changes tested ({up} up, {down} down at 5 % after Benjamini–Hochberg); {} left out",
        years
            .iter()
            .map(|y| y.to_string())
            .collect::<Vec<_>>()
            .join(" → "),
        excluded.len()
    );
    for y in &scored {
        say!("  {}: {} ({})", y.year, y.inst.id, y.inst.version);
    }
    say!(
        "wrote {} (and {}, compare.xlsx)",
        main.display(),
        excluded_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// One row per unit, figure and year, with the change from the year before where it corresponds.
fn trend_rows(years: &[Year], changes: &[Vec<Change>]) -> Vec<TrendRow> {
    let mut rows = Vec::new();
    for (i, y) in years.iter().enumerate() {
        let from_prev: BTreeMap<(&str, Level, &str, &str), &Change> = if i == 0 {
            BTreeMap::new()
        } else {
            changes[i - 1]
                .iter()
                .map(|c| {
                    (
                        (
                            c.unit_id.as_str(),
                            c.level,
                            c.code.as_str(),
                            c.measure.as_str(),
                        ),
                        c,
                    )
                })
                .collect()
        };
        for e in y.estimates.iter().filter(|e| e.measure != "cronbach_alpha") {
            let c = from_prev
                .get(&(
                    e.unit_id.as_str(),
                    e.level,
                    e.code.as_str(),
                    e.measure.as_str(),
                ))
                .copied()
                .cloned();
            rows.push(TrendRow {
                year: y.year,
                estimate: e.clone(),
                change: c,
            });
        }
    }
    rows
}

/// `chiso compare --par`: the CCHC index of two years.
fn run_par(
    args: &CompareArgs,
    outputs: crate::files::Outputs,
    store: &Store,
    manifest: &Manifest,
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    let (Some(from), Some(to), Some(af), Some(at)) = (
        args.from,
        args.to,
        args.assessment_from.as_ref(),
        args.assessment_to.as_ref(),
    ) else {
        return Err(super::UsageError(
            "compare --par needs --from, --to, --assessment-from and --assessment-to".into(),
        )
        .into());
    };
    let method = par::load(&args.par_method.method)?;
    let seed = args.par_method.seed.unwrap_or(method.seed);
    let year = |y: i32, file: &std::path::Path| -> anyhow::Result<ParResult> {
        let a = par::assessment::read(file, &method)?;
        let s = super::par::StoreSurveys::load(store, manifest, &method, y)?;
        Ok(par::compute(&method, &a, &s, seed))
    };
    let (rf, rt) = (year(from, af)?, year(to, at)?);
    let rows = par_changes(&rf, &rt, method.ci_level);
    let path = args.out.join("compare_par.csv");
    out::write_par_csv(&outputs.dir().join("compare_par.csv"), from, to, &rows)?;
    out::write_xlsx(
        &outputs.dir().join("compare.xlsx"),
        &method.id,
        None,
        None,
        &[],
        Some((from, to, &rows)),
        lang,
    )?;
    outputs.commit()?;
    say!("{} {from} → {to}: {} units", method.id, rows.len());
    for r in &rows {
        say!(
            "  {:<20} {:>7} → {:>7}  {:+.2} [{:+.2}, {:+.2}]  {}",
            r.unit_id,
            r.index_from.map_or("—".into(), |x| format!("{x:.2}")),
            r.index_to.map_or("—".into(), |x| format!("{x:.2}")),
            r.index_change.unwrap_or(f64::NAN),
            r.ci_low.unwrap_or(f64::NAN),
            r.ci_high.unwrap_or(f64::NAN),
            r.direction
        );
    }
    say!("wrote {} (and compare.xlsx)", path.display());
    Ok(ExitCode::SUCCESS)
}

/// Per unit present in both years: the change in points, index and rank, the index change's
/// interval (the two years' sampling errors are independent), and whether the rank intervals
/// overlap.
pub fn par_changes(from: &ParResult, to: &ParResult, level: f64) -> Vec<ParChange> {
    let z = estimate::normal_quantile(level);
    let before: BTreeMap<&str, &par::TotalRow> = from
        .totals
        .iter()
        .map(|t| (t.unit_id.as_str(), t))
        .collect();
    let mut rows = Vec::new();
    for t in &to.totals {
        let Some(f) = before.get(t.unit_id.as_str()) else {
            continue;
        };
        let both = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| b - a);
        let index_change = both(f.index_pct, t.index_pct);
        let se = (f.se.powi(2) + t.se.powi(2)).sqrt();
        let (ci_low, ci_high) = match index_change {
            Some(d) if se.is_finite() => (Some(d - z * se), Some(d + z * se)),
            _ => (None, None),
        };
        let direction = match (index_change, ci_low, ci_high) {
            (Some(_), Some(lo), _) if lo > 0.0 => "up",
            (Some(_), _, Some(hi)) if hi < 0.0 => "down",
            (Some(_), Some(_), Some(_)) => "no_change",
            _ => "",
        };
        let overlap = match (f.rank_low, f.rank_high, t.rank_low, t.rank_high) {
            (Some(a), Some(b), Some(c), Some(d)) => Some(a.max(c) <= b.min(d)),
            _ => None,
        };
        let mut flags = Vec::new();
        for (row, which) in [(*f, "from"), (t, "to")] {
            if !row.flag.is_empty() {
                flags.push(format!("{which}:{}", row.flag));
            }
        }
        rows.push(ParChange {
            unit_id: t.unit_id.clone(),
            points_from: f.points,
            points_to: t.points,
            index_from: f.index_pct,
            index_to: t.index_pct,
            index_change,
            se_change: se,
            ci_low,
            ci_high,
            direction: direction.to_string(),
            rank_from: f.rank,
            rank_to: t.rank,
            rank_interval_from: f.rank_low.zip(f.rank_high),
            rank_interval_to: t.rank_low.zip(t.rank_high),
            rank_intervals_overlap: overlap,
            flag: flags.join(" | "),
        });
    }
    rows
}
