//! Design-based estimation of the satisfaction measures.
//!
//! Every measure is a ratio of weighted totals, R = Σ w·y / Σ w·x, or a weighted mean of such
//! ratios (the `mean` aggregation rule), over a domain (one unit, or ALL). Their variances are
//! Taylor-linearised: the influence of respondent k on a ratio is (y_k − R·x_k)/X, so a
//! domain's PSU totals of influence values follow from its PSU totals of w·y and w·x alone.
//!
//! One lazy polars pass turns the stored answers into those PSU totals (one row per unit ×
//! stratum × PSU); everything after works on that small table.

pub mod calibrate;
mod design;
mod dist;
mod distribution;
mod interval;
mod psu_table;
pub mod sql;
mod totals;

pub use calibrate::{CalibrationError, Frame, Weighting};
pub use design::{Design, DesignError};
pub use dist::t_two_sided_p;
pub use distribution::{Distributions, distributions};
pub use interval::normal_quantile;

use std::collections::BTreeMap;

use polars::prelude::*;
use thiserror::Error;

use crate::flag::{FlagKind, Flags};
use crate::instrument::Instrument;
use crate::methodology::{ItemMeasure, Method, Rule};
use totals::{Totals, Vars};

#[derive(Debug, Error)]
pub enum EstimateError {
    #[error(transparent)]
    Design(#[from] DesignError),
    #[error(transparent)]
    Calibration(#[from] CalibrationError),
    #[error("{}", crate::msg!("estimate.reading", error = _0))]
    Polars(#[from] PolarsError),
    /// A per-PSU totals table that cannot be used, or a query that cannot be written: the
    /// message says where and why.
    #[error("{0}")]
    Totals(String),
}

/// The level of the aggregation tree a figure belongs to: items, elements, the methodology's
/// own node levels (e.g. `part`), the overall index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Item,
    Element,
    /// A node level the methodology declares, by its name.
    Node(std::sync::Arc<str>),
    Overall,
}

impl Level {
    pub fn name(&self) -> &str {
        match self {
            Level::Item => "item",
            Level::Element => "element",
            Level::Node(name) => name,
            Level::Overall => "overall",
        }
    }

    /// Items first, then elements, nodes and the overall index.
    fn rank(&self) -> u8 {
        match self {
            Level::Item => 0,
            Level::Element => 1,
            Level::Node(_) => 2,
            Level::Overall => 3,
        }
    }
}

/// One row of `scores.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub unit_id: String,
    pub level: Level,
    pub code: String,
    pub measure: String,
    pub n: u64,
    pub estimate: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub df: i64,
    pub deff: f64,
    pub flag: Flags,
}

/// The unit id that stands for all units together.
pub const ALL: &str = "ALL";

pub use crate::measure::{self, is_percent};

/// The figures of a scoring, found by unit, level, code and measure.
#[derive(Debug, Clone, Default)]
pub struct Estimates {
    rows: Vec<Estimate>,
    index: std::collections::HashMap<(String, Level, String, String), usize>,
}

impl Estimates {
    pub fn new(rows: Vec<Estimate>) -> Estimates {
        let index = rows
            .iter()
            .enumerate()
            .map(|(i, e)| {
                (
                    (
                        e.unit_id.clone(),
                        e.level.clone(),
                        e.code.clone(),
                        e.measure.clone(),
                    ),
                    i,
                )
            })
            .collect();
        Estimates { rows, index }
    }

    /// The figure of `unit` at `level` for `code` and `measure`.
    pub fn get(&self, unit: &str, level: Level, code: &str, measure: &str) -> Option<&Estimate> {
        self.index
            .get(&(
                unit.to_string(),
                level,
                code.to_string(),
                measure.to_string(),
            ))
            .map(|&i| &self.rows[i])
    }

    /// The overall `satisfied_pct` of `unit`.
    pub fn overall(&self, unit: &str) -> Option<&Estimate> {
        self.get(unit, Level::Overall, "overall", measure::SATISFIED_PCT)
    }

    /// The units with figures, ALL excluded, in order.
    pub fn units(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|e| e.unit_id != ALL)
            .map(|e| e.unit_id.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    pub fn rows(&self) -> &[Estimate] {
        &self.rows
    }
}

impl std::ops::Deref for Estimates {
    type Target = [Estimate];
    fn deref(&self) -> &[Estimate] {
        &self.rows
    }
}

/// What kind of interval a figure gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Proportion,
    Mean,
}

/// A ratio Σ w·y / Σ w·x whose y and x are sums of registered variables.
#[derive(Debug, Clone)]
struct Ratio {
    y: Vec<usize>,
    x: Vec<usize>,
}

/// Second moments for the design effect of a ratio: W(y²), W(x·y), W(x²), and the domain's
/// respondents (those with x > 0), weighted and counted.
#[derive(Debug, Clone, Copy)]
struct Moments {
    yy: usize,
    xy: usize,
    xx: usize,
    dom_w: usize,
    dom_n: usize,
}

/// A figure to compute in every domain.
#[derive(Debug, Clone)]
struct Spec {
    level: Level,
    code: String,
    measure: String,
    kind: Kind,
    /// 100 for percentages.
    scale: f64,
    /// Σ a·ratio (one term with a = 1 for a plain ratio).
    terms: Vec<(f64, Ratio)>,
    /// Variable whose count is `n`.
    n: usize,
    moments: Option<Moments>,
}

impl Spec {
    /// A figure that is one ratio Σw·y / Σw·x whose design effect uses `moments`.
    #[allow(clippy::too_many_arguments)]
    fn ratio(
        level: Level,
        code: &str,
        measure: &str,
        kind: Kind,
        scale: f64,
        y: usize,
        x: usize,
        n: usize,
        moments: Moments,
    ) -> Spec {
        Spec {
            level,
            code: code.to_string(),
            measure: measure.to_string(),
            kind,
            scale,
            terms: vec![(
                1.0,
                Ratio {
                    y: vec![y],
                    x: vec![x],
                },
            )],
            n,
            moments: Some(moments),
        }
    }
}

/// Cronbach's α of an element: counts over respondents who answered all its items.
#[derive(Debug, Clone)]
struct AlphaSpec {
    code: String,
    complete: usize,
    items: Vec<(usize, usize)>,
    total: (usize, usize),
}

/// Scores one survey year: every measure of `method` for every unit and for ALL.
pub fn score(
    rows: LazyFrame,
    inst: &Instrument,
    method: &Method,
) -> Result<Vec<Estimate>, EstimateError> {
    score_weighted(rows, inst, method, &Weighting::Design)
}

/// As [`score`], with the design weights calibrated as `weighting` asks.
pub fn score_weighted(
    rows: LazyFrame,
    inst: &Instrument,
    method: &Method,
    weighting: &Weighting,
) -> Result<Vec<Estimate>, EstimateError> {
    Ok(score_keeping(rows, inst, method, weighting, &|_| false)?.estimates)
}

/// The figures of one survey year, with the linearised influence values of the figures a
/// caller asked to keep, so that the variance of a linear combination of a unit's figures
/// (their covariances included) can be computed afterwards.
#[derive(Debug, Clone)]
pub struct Scored {
    pub estimates: Vec<Estimate>,
    /// Per estimate: its PSU totals of influence values (on the estimate's scale), if kept.
    influence: Vec<Option<Vec<f64>>>,
    /// Per unit (and ALL): the stratum of each of its PSU totals, in the order of `influence`.
    strata: BTreeMap<String, Vec<usize>>,
    design: Design,
}

impl Scored {
    /// Variance of Σ a·estimate over `terms` (index into `estimates`, coefficient a), all of
    /// them figures of `unit` that were kept. None when a term is not of that unit or not kept.
    pub fn variance(&self, unit: &str, terms: &[(usize, f64)]) -> Option<f64> {
        let strata = self.strata.get(unit)?;
        let mut z = vec![0.0; strata.len()];
        for &(i, a) in terms {
            let e = self.estimates.get(i)?;
            if e.unit_id != unit {
                return None;
            }
            let zi = self.influence.get(i)?.as_ref()?;
            for (acc, v) in z.iter_mut().zip(zi) {
                *acc += a * v;
            }
        }
        Some(self.design.variance(strata, &z))
    }
}

/// As [`score_weighted`], keeping the influence values of the figures for which `keep` is true.
pub fn score_keeping(
    rows: LazyFrame,
    inst: &Instrument,
    method: &Method,
    weighting: &Weighting,
    keep: &dyn Fn(&Estimate) -> bool,
) -> Result<Scored, EstimateError> {
    let mut vars = Vars::new(method.satisfied_at);
    let (specs, alphas) = plan(inst, method, &mut vars);
    let totals = Totals::collect(rows, &vars, weighting)?;
    finish(&totals, &specs, &alphas, method, keep)
}

/// The query that turns the stored answers of `source` into the per-PSU totals table that
/// [`score_from_psu_totals`] finishes from (design weights), headed by `header` as comments.
pub fn psu_totals_sql(
    inst: &Instrument,
    method: &Method,
    source: &sql::Source,
    header: &[String],
) -> Result<String, EstimateError> {
    let mut vars = Vars::new(method.satisfied_at);
    plan(inst, method, &mut vars);
    vars.psu_totals_sql(source, header)
}

/// As [`score`], from a per-PSU totals table (Parquet or CSV) that the query of
/// [`psu_totals_sql`] produced: the respondents are not read.
pub fn score_from_psu_totals(
    table: &std::path::Path,
    inst: &Instrument,
    method: &Method,
) -> Result<Vec<Estimate>, EstimateError> {
    let mut vars = Vars::new(method.satisfied_at);
    let (specs, alphas) = plan(inst, method, &mut vars);
    let totals = Totals::read(table, &vars)?;
    Ok(finish(&totals, &specs, &alphas, method, &|_| false)?.estimates)
}

/// Every figure of every domain (ALL, then the units) from the per-PSU totals.
fn finish(
    totals: &Totals,
    specs: &[Spec],
    alphas: &[AlphaSpec],
    method: &Method,
    keep: &dyn Fn(&Estimate) -> bool,
) -> Result<Scored, EstimateError> {
    let design = totals.design(method.lonely_psu)?;
    let calibration = totals.cells.as_ref().map(|_| Calibration::of(totals));
    let mut out = Vec::new();
    let mut strata = BTreeMap::new();
    let mut t_cache = BTreeMap::new();
    let cx = Context {
        design: &design,
        specs,
        alphas,
        method,
        keep,
        calibration: calibration.as_ref(),
    };
    // ALL first, then the units in order.
    let all = totals.all_units();
    let all_rows: Vec<usize> = (0..all.len()).collect();
    strata.insert(
        ALL.to_string(),
        domain(&mut out, ALL, &all, &all_rows, &mut t_cache, &cx),
    );
    for (unit, rows) in totals.units() {
        strata.insert(
            unit.to_string(),
            domain(&mut out, unit, totals, &rows, &mut t_cache, &cx),
        );
    }
    let (estimates, influence) = out.into_iter().unzip();
    Ok(Scored {
        estimates,
        influence,
        strata,
        design,
    })
}

/// What the variance of a calibrated estimator needs of the whole sample: each joint cell's
/// calibrated weight and respondents, and each PSU's weight in each joint cell.
struct Calibration {
    w: Vec<f64>,
    n: Vec<f64>,
    /// (design PSU, joint cell, Σ calibrated weight).
    psu_cell: Vec<(usize, usize, f64)>,
}

impl Calibration {
    fn of(t: &Totals) -> Calibration {
        let cells = t.cells.as_ref().map_or(0, |c| c.len());
        let mut w = vec![0.0; cells];
        let mut n = vec![0.0; cells];
        let mut psu_cell: BTreeMap<(usize, usize), f64> = BTreeMap::new();
        for r in 0..t.len() {
            w[t.cell[r]] += t.row_w[r];
            n[t.cell[r]] += t.row_n[r];
            *psu_cell.entry((t.psu[r], t.cell[r])).or_insert(0.0) += t.row_w[r];
        }
        Calibration {
            w,
            n,
            psu_cell: psu_cell.into_iter().map(|((p, c), w)| (p, c, w)).collect(),
        }
    }
}

/// What every domain is scored with.
struct Context<'a> {
    design: &'a Design,
    specs: &'a [Spec],
    alphas: &'a [AlphaSpec],
    method: &'a Method,
    keep: &'a dyn Fn(&Estimate) -> bool,
    calibration: Option<&'a Calibration>,
}

/// Declares the variables and the figures the methodology asks for.
fn plan(inst: &Instrument, method: &Method, vars: &mut Vars) -> (Vec<Spec>, Vec<AlphaSpec>) {
    let mut specs = Vec::new();
    let mut item_ratio: BTreeMap<(String, ItemMeasure), Ratio> = BTreeMap::new();
    // Items.
    for q in inst.scored_items() {
        let v = vars.valid(q);
        let vn = vars.valid_n(q);
        let s = vars.satisfied(q);
        let x = vars.score(q);
        let x2 = vars.score_squared(q);
        item_ratio.insert(
            (q.code.clone(), ItemMeasure::SatisfiedPct),
            Ratio {
                y: vec![s],
                x: vec![v],
            },
        );
        item_ratio.insert(
            (q.code.clone(), ItemMeasure::MeanScore),
            Ratio {
                y: vec![x],
                x: vec![v],
            },
        );
        for m in &method.item_measures {
            let (y, yy, kind, scale) = match m {
                ItemMeasure::SatisfiedPct => (s, s, Kind::Proportion, 100.0),
                ItemMeasure::MeanScore => (x, x2, Kind::Mean, 1.0),
            };
            specs.push(Spec::ratio(
                Level::Item,
                &q.code,
                m.name(),
                kind,
                scale,
                y,
                v,
                vn,
                Moments {
                    yy,
                    xy: y,
                    xx: v,
                    dom_w: v,
                    dom_n: vn,
                },
            ));
        }
    }
    // Elements, the methodology's nodes (children before parents), then the overall index:
    // each a figure over the items beneath it, combining its children by its rule.
    let question = |c: &str| inst.scored_items().find(|q| q.code == c);
    let mut groups: Vec<Group> = Vec::new();
    for e in &inst.elements {
        let items: Vec<&crate::instrument::Question> = inst
            .scored_items()
            .filter(|q| q.element.as_deref() == Some(e.code.as_str()))
            .collect();
        let codes: Vec<String> = items.iter().map(|q| q.code.clone()).collect();
        let w = weights(codes.iter().map(String::as_str), &method.element.weights);
        groups.push((
            Level::Element,
            e.code.clone(),
            items,
            method.element.rule,
            codes.into_iter().zip(w).collect(),
        ));
    }
    let node_groups = method
        .nodes
        .iter()
        .map(|n| {
            (
                Level::Node(n.level.as_str().into()),
                n.code.clone(),
                n.children.clone(),
                &n.weights,
                n.rule,
            )
        })
        .chain(std::iter::once((
            Level::Overall,
            "overall".to_string(),
            method.overall_children(inst),
            &method.overall.weights,
            method.overall.rule,
        )));
    for (level, code, children, given, rule) in node_groups {
        let items = method
            .items_beneath(inst, &code)
            .iter()
            .filter_map(|c| question(c))
            .collect();
        let w = weights(children.iter().map(String::as_str), given);
        groups.push((
            level,
            code,
            items,
            rule,
            children.into_iter().zip(w).collect(),
        ));
    }
    // Each figure's index as Σ a·ratio, by code and measure: items first.
    let mut terms_of: BTreeMap<(String, ItemMeasure), Vec<(f64, Ratio)>> = item_ratio
        .into_iter()
        .map(|(k, r)| (k, vec![(1.0, r)]))
        .collect();
    let mut alphas = Vec::new();
    for (level, code, items, rule, children) in groups {
        let (_, any) = vars.any_valid(&code, &items);
        for m in &method.item_measures {
            let (terms, kind, moments) = match rule {
                Rule::Pooled => {
                    let (y, x, mo) = vars.pooled(&code, &items, *m);
                    let kind = if *m == ItemMeasure::SatisfiedPct {
                        Kind::Proportion
                    } else {
                        Kind::Mean
                    };
                    (
                        vec![(
                            1.0,
                            Ratio {
                                y: vec![y],
                                x: vec![x],
                            },
                        )],
                        kind,
                        Some(mo),
                    )
                }
                Rule::Mean | Rule::Weighted => {
                    let terms = children
                        .iter()
                        .flat_map(|(c, a)| {
                            terms_of
                                .get(&(c.clone(), *m))
                                .cloned()
                                .unwrap_or_default()
                                .into_iter()
                                .map(move |(b, r)| (a * b, r))
                        })
                        .collect();
                    (terms, Kind::Mean, None)
                }
            };
            terms_of.insert((code.clone(), *m), terms.clone());
            let scale = if *m == ItemMeasure::SatisfiedPct {
                100.0
            } else {
                1.0
            };
            specs.push(Spec {
                level: level.clone(),
                code: code.clone(),
                measure: m.name().to_string(),
                kind,
                scale,
                terms,
                n: any,
                moments,
            });
        }
        if method.comprehensive {
            let (comp, any_w, any_n) = vars.comprehensive(&code, &items);
            specs.push(Spec::ratio(
                level.clone(),
                &code,
                measure::COMPREHENSIVE_PCT,
                Kind::Proportion,
                100.0,
                comp,
                any_w,
                any_n,
                Moments {
                    yy: comp,
                    xy: comp,
                    xx: any_w,
                    dom_w: any_w,
                    dom_n: any_n,
                },
            ));
        }
        if level == Level::Element && items.len() >= 2 {
            alphas.push(vars.alpha(&code, &items));
        }
    }
    for s in &method.shares {
        if let Some(q) = inst.questions.iter().find(|q| q.code == s.question) {
            let (y, x, n) = vars.share(q, &s.codes);
            specs.push(Spec::ratio(
                Level::Overall,
                &s.code,
                &s.measure,
                Kind::Proportion,
                100.0,
                y,
                x,
                n,
                Moments {
                    yy: y,
                    xy: y,
                    xx: x,
                    dom_w: x,
                    dom_n: n,
                },
            ));
        }
    }
    for m in &method.means {
        if let Some(q) = inst.questions.iter().find(|q| q.code == m.question) {
            let (v, vn) = (vars.valid(q), vars.valid_n(q));
            let (x, x2) = (vars.score(q), vars.score_squared(q));
            specs.push(Spec::ratio(
                Level::Overall,
                &m.code,
                &m.measure,
                Kind::Mean,
                1.0,
                x,
                v,
                vn,
                Moments {
                    yy: x2,
                    xy: x,
                    xx: v,
                    dom_w: v,
                    dom_n: vn,
                },
            ));
        }
    }
    (specs, alphas)
}

/// A figure above the items: its level, code, the items beneath, its rule and its children
/// with their normalised weights.
type Group<'a> = (
    Level,
    String,
    Vec<&'a crate::instrument::Question>,
    Rule,
    Vec<(String, f64)>,
);

/// Normalised weights of the children named by `codes` (equal when none are given).
fn weights<'a>(codes: impl Iterator<Item = &'a str>, given: &BTreeMap<String, f64>) -> Vec<f64> {
    let raw: Vec<f64> = codes
        .map(|c| {
            if given.is_empty() {
                1.0
            } else {
                given.get(c).copied().unwrap_or(0.0)
            }
        })
        .collect();
    let sum: f64 = raw.iter().sum();
    raw.into_iter()
        .map(|w| if sum > 0.0 { w / sum } else { 0.0 })
        .collect()
}

/// Every figure for one domain, whose rows in `table` are `rows`; returns the stratum of each
/// of the PSU totals its figures' variances are computed from.
fn domain(
    out: &mut Vec<(Estimate, Option<Vec<f64>>)>,
    unit: &str,
    table: &Totals,
    rows: &[usize],
    t_cache: &mut BTreeMap<i64, Option<f64>>,
    cx: &Context,
) -> Vec<usize> {
    let Context {
        design,
        specs,
        alphas,
        method,
        keep,
        calibration,
    } = *cx;
    let start = out.len();
    // Without calibration each row of a domain is one PSU; with it, the influence values
    // reach every PSU of the design (through the cells), so the totals are the design's PSUs.
    let strata: Vec<usize> = match calibration {
        None => rows.iter().map(|&r| table.stratum[r]).collect(),
        Some(_) => table.psu_stratum.clone(),
    };
    let sum = |v: usize| -> f64 { rows.iter().map(|&r| table.col(v)[r]).sum() };
    let sum_of = |vs: &[usize], r: usize| -> f64 { vs.iter().map(|&v| table.col(v)[r]).sum() };
    let plain_of = |vs: &[usize], r: usize| -> f64 {
        vs.iter()
            .map(|&v| table.unweighted(v).map_or(0.0, |u| u[r]))
            .sum()
    };
    let mut z = vec![0.0; rows.len()];
    let mut u = vec![0.0; rows.len()];
    let mut t_of = |df: i64| {
        *t_cache
            .entry(df)
            .or_insert_with(|| interval::t_quantile(method.ci_level, df))
    };
    let domain_df = table.df_of(rows);
    for s in specs {
        z.iter_mut().for_each(|zi| *zi = 0.0);
        u.iter_mut().for_each(|ui| *ui = 0.0);
        let mut est = 0.0;
        for (a, ratio) in &s.terms {
            let y: f64 = ratio.y.iter().map(|&v| sum(v)).sum();
            let x: f64 = ratio.x.iter().map(|&v| sum(v)).sum();
            let r = y / x;
            est += a * r;
            for (k, &row) in rows.iter().enumerate() {
                z[k] += a * (sum_of(&ratio.y, row) - r * sum_of(&ratio.x, row)) / x;
            }
            if table.cells.as_ref().is_some_and(|c| c.is_rake()) {
                for (k, &row) in rows.iter().enumerate() {
                    u[k] += a * (plain_of(&ratio.y, row) - r * plain_of(&ratio.x, row)) / x;
                }
            }
        }
        // Nothing to estimate from (no children, no valid answer, sums beyond range): the
        // figure is empty and flagged, never 0 with se 0.
        let no_data = s.terms.is_empty() || !est.is_finite();
        if no_data {
            est = f64::NAN;
        }
        let psu_z = match calibration {
            None => z.clone(),
            Some(cal) => calibrated_totals(table, rows, &z, &u, cal),
        };
        let var = if no_data {
            f64::NAN
        } else {
            design.variance(&strata, &psu_z)
        };
        let se = var.sqrt();
        let n = sum(s.n).round() as u64;
        // The figure's degrees of freedom: the PSUs of the respondents it counts, minus their
        // strata (R's degf(subset(design, domain & answered))).
        let df = table.df_where(rows, |r| table.col(s.n)[r] > 0.0);
        let t = t_of(df);
        let (lo, hi) = match (t, s.kind) {
            (None, _) => (f64::NAN, f64::NAN),
            (Some(t), Kind::Proportion) => interval::proportion(method.ci_method, est, se, t),
            (Some(t), Kind::Mean) => interval::wald(est, se, t),
        };
        let deff = s.moments.map_or(f64::NAN, |m| {
            design_effect(var, est, &s.terms[0].1, m, &sum)
        });
        let mut flags = Flags::none();
        if no_data {
            flags.push(FlagKind::NoData);
        }
        if df < 1 {
            flags.push(FlagKind::NoDf);
        }
        if n < method.min_n {
            flags.push(FlagKind::LowN);
        }
        let e = Estimate {
            unit_id: unit.to_string(),
            level: s.level.clone(),
            code: s.code.clone(),
            measure: s.measure.clone(),
            n,
            estimate: est * s.scale,
            se: se * s.scale,
            ci_low: clamp_percent(&s.measure, lo * s.scale),
            ci_high: clamp_percent(&s.measure, hi * s.scale),
            df,
            deff,
            flag: flags,
        };
        let kept = keep(&e).then(|| psu_z.iter().map(|v| v * s.scale).collect());
        out.push((e, kept));
    }
    let df = domain_df;
    for a in alphas {
        let n = sum(a.complete);
        let var = |(s1, s2): (usize, usize)| (sum(s2) - sum(s1) * sum(s1) / n) / (n - 1.0);
        let k = a.items.len() as f64;
        let item_var: f64 = a.items.iter().map(|p| var(*p)).sum();
        let alpha = k / (k - 1.0) * (1.0 - item_var / var(a.total));
        let n = n.round() as u64;
        let mut flags = Flags::none();
        if !alpha.is_finite() {
            flags.push(FlagKind::NoData);
        }
        if n < method.min_n {
            flags.push(FlagKind::LowN);
        }
        out.push((
            Estimate {
                unit_id: unit.to_string(),
                level: Level::Element,
                code: a.code.clone(),
                measure: measure::CRONBACH_ALPHA.to_string(),
                n,
                estimate: alpha,
                se: f64::NAN,
                ci_low: f64::NAN,
                ci_high: f64::NAN,
                df,
                deff: f64::NAN,
                flag: flags,
            },
            None,
        ));
    }
    // Items, elements, nodes, overall; the methodology's order within a level (stable sort).
    out[start..].sort_by_key(|e| e.0.level.rank());
    strata
}

/// The design's PSU totals of a calibrated estimator's influence values: the domain's
/// weighted sums `z` (and plain sums `u`, for raking) per row, residualised on the cells.
fn calibrated_totals(
    table: &Totals,
    rows: &[usize],
    z: &[f64],
    u: &[f64],
    cal: &Calibration,
) -> Vec<f64> {
    let Some(cells) = table.cells.as_ref() else {
        return z.to_vec();
    };
    let mut zj = vec![0.0; cells.len()];
    let mut uj = vec![0.0; cells.len()];
    let mut psu = vec![0.0; table.psu_stratum.len()];
    for (k, &r) in rows.iter().enumerate() {
        zj[table.cell[r]] += z[k];
        uj[table.cell[r]] += u[k];
        psu[table.psu[r]] += z[k];
    }
    let shift = cells.shift(&zj, &uj, &cal.w, &cal.n);
    for &(p, j, w) in &cal.psu_cell {
        psu[p] -= shift[j] * w;
    }
    psu
}

/// A percentage's interval end kept within 0–100: the Wald interval of a mean of shares (the
/// `mean` rule) can otherwise cross 0 or 100; logit and Wilson intervals never do.
fn clamp_percent(measure: &str, x: f64) -> f64 {
    if is_percent(measure) && x.is_finite() {
        x.clamp(0.0, 100.0)
    } else {
        x
    }
}

/// Design variance over the variance of the same ratio from a simple random sample of the
/// domain's n respondents, as R's `svymean(..., deff = TRUE)`:
/// V_srs = (1 − n/N̂) · s²/n, s² = n/(n − 1) · Σ w·u² / N̂, u = (y − R·x)/x̄, N̂ = Σ w.
fn design_effect(var: f64, r: f64, ratio: &Ratio, m: Moments, sum: &dyn Fn(usize) -> f64) -> f64 {
    let n = sum(m.dom_n);
    let big_n = sum(m.dom_w);
    let x: f64 = ratio.x.iter().map(|&v| sum(v)).sum();
    let xbar = x / big_n;
    let ss = (sum(m.yy) - 2.0 * r * sum(m.xy) + r * r * sum(m.xx)) / (xbar * xbar);
    let s2 = n / (n - 1.0) * ss / big_n;
    let v_srs = s2 * (big_n - n) / (big_n * n);
    if v_srs > 0.0 && var.is_finite() {
        var / v_srs
    } else {
        f64::NAN
    }
}

#[cfg(test)]
mod tests {
    //! Tiny frames worked by hand. With no design columns each respondent is its own PSU in
    //! one stratum, so V = n/(n − 1) · Σ_k z_k² (the z_k sum to 0), with n = 5 respondents and
    //! z_k = (y_k − R·x_k)/X the influence on a ratio R = Y/X. A figure's degrees of freedom are
    //! the PSUs of the respondents it counts minus their strata: 3 answers → df 2, 4 → df 3.
    //! t(0.975; 1, 2, 3) = 12.706205, 4.302653, 3.182446 (R's qt).
    use super::*;
    use crate::instrument::Instrument;

    const FORM: &str = r#"
        id = "tiny"
        version = "v"
        title_vi = "t"
        title_en = "t"
        service = "health"
        legal_basis = "none"
        years = [2020, 2030]
        method = "x"
        questions = [
          { code = "I1", element = "E", scale = "sat5", vi = "1", en = "1" },
          { code = "I2", element = "E", scale = "sat5", vi = "2", en = "2" },
          { code = "exp", optional = true, scale = "pct", vi = "e", en = "e" },
          { code = "ret", optional = true, scale = "r5", vi = "r", en = "r" },
        ]
        [scales.sat5]
        values = [1, 2, 3, 4, 5]
        [scales.pct]
        range = [0, 100]
        not_applicable = []
        [scales.r5]
        values = [1, 2, 3, 4, 5]
        [[elements]]
        code = "E"
        vi = "E"
        en = "E"
    "#;

    fn method(rule: &str) -> Method {
        let text = format!(
            r#"
            id = "m"
            title_vi = "m"
            title_en = "m"
            basis = "test"
            satisfied_at = 4
            item_measures = ["satisfied_pct", "mean_score"]
            comprehensive = true
            ci_method = "logit"
            ci_level = 0.95
            min_n = 3
            lonely_psu = "fail"
            decimals = 2
            means = [{{ code = "exp", measure = "expectation_pct", question = "exp" }}]
            shares = [{{ code = "ret", measure = "return_pct", question = "ret", codes = [4, 5] }}]
            [element]
            rule = "{rule}"
            [overall]
            rule = "{rule}"
            "#
        );
        Method::from_toml("m.toml", &text).expect("a valid method")
    }

    type Col = Vec<Option<i32>>;

    /// Five respondents, one unit, no design columns.
    ///   r1: I1 5, I2 4 | r2: 4, 2 | r3: 3, blank | r4: blank, 3 | r5: 0, 0 (not applicable)
    ///   exp: 80, 60, –, 100, –;  ret: 5, 1, 4, –, 2
    fn tiny(i1: Col, i2: Col, design: Option<(Vec<&str>, Vec<&str>, Vec<f64>)>) -> LazyFrame {
        let n = i1.len();
        let ids: Vec<String> = (1..=n).map(|i| format!("r{i}")).collect();
        type Design<'a> = (Vec<Option<&'a str>>, Vec<Option<&'a str>>, Vec<Option<f64>>);
        let (h, p, w): Design = match design {
            Some((h, p, w)) => (
                h.into_iter().map(Some).collect(),
                p.into_iter().map(Some).collect(),
                w.into_iter().map(Some).collect(),
            ),
            None => (vec![None; n], vec![None; n], vec![None; n]),
        };
        let exp: Col = [Some(80), Some(60), None, Some(100), None]
            .into_iter()
            .take(n)
            .collect();
        let ret: Col = [Some(5), Some(1), Some(4), None, Some(2)]
            .into_iter()
            .take(n)
            .collect();
        let cols: Vec<Column> = vec![
            Series::new("respondent_id".into(), ids).into(),
            Series::new("unit_id".into(), vec!["U"; n]).into(),
            Series::new("stratum".into(), h).into(),
            Series::new("psu".into(), p).into(),
            Series::new("weight".into(), w).into(),
            Series::new("fpc".into(), vec![None::<f64>; n]).into(),
            Series::new("I1".into(), i1).into(),
            Series::new("I2".into(), i2).into(),
            Series::new("exp".into(), exp).into(),
            Series::new("ret".into(), ret).into(),
        ];
        DataFrame::new(n, cols).expect("a frame").lazy()
    }

    fn five() -> LazyFrame {
        tiny(
            vec![Some(5), Some(4), Some(3), None, Some(0)],
            vec![Some(4), Some(2), None, Some(3), Some(0)],
            None,
        )
    }

    fn find<'a>(rows: &'a [Estimate], unit: &str, code: &str, measure: &str) -> &'a Estimate {
        rows.iter()
            .find(|e| e.unit_id == unit && e.code == code && e.measure == measure)
            .unwrap_or_else(|| panic!("{unit} {code} {measure} missing"))
    }

    fn near(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * b.abs().max(1.0)
    }

    fn run(rule: &str, rows: LazyFrame) -> Vec<Estimate> {
        let inst = Instrument::from_toml("tiny.toml", FORM).expect("a valid form");
        score(rows, &inst, &method(rule)).expect("scores")
    }

    #[test]
    fn item_share_satisfied_and_mean_score() {
        let rows = run("pooled", five());
        // I1 valid: 5, 4, 3 (blank and 0 leave the denominator) → 2/3 satisfied, X = 3.
        // z = (1 − 2/3)/3 = 1/9 (r1, r2), −2/9 (r3), 0 (r4, r5); Σz² = 6/81; V = 5/4 · 6/81.
        let e = find(&rows, "U", "I1", "satisfied_pct");
        assert_eq!((e.n, e.df), (3, 2));
        assert!(near(e.estimate, 200.0 / 3.0));
        assert!(near(e.se, 100.0 * (30.0_f64 / 324.0).sqrt()));
        // logit(2/3) = ln 2 ± 4.302653 · 0.304290 / (2/9) → expit → 0.549447 %, 99.862070 %.
        assert!(
            (e.ci_low - 0.549_447_445).abs() < 1e-6 && (e.ci_high - 99.862_069_748).abs() < 1e-6
        );
        // Mean score (5 + 4 + 3)/3 = 4; z = (x − 4)/3 → 1/3, 0, −1/3; V = 5/4 · 2/9; Wald t.
        let m = find(&rows, "U", "I1", "mean_score");
        assert!(near(m.estimate, 4.0) && near(m.se, (10.0_f64 / 36.0).sqrt()));
        // 4 ∓ 4.302653 · 0.527046 → 1.732303, 6.267697.
        assert!(
            (m.ci_low - 1.732_302_899).abs() < 1e-6 && (m.ci_high - 6.267_697_101).abs() < 1e-6
        );
        // The ALL domain is the same single unit here.
        assert!(near(find(&rows, ALL, "I1", "satisfied_pct").se, e.se));
    }

    #[test]
    fn pooled_and_mean_rules_differ_in_their_errors() {
        // Pooled over E: satisfied answers 2 + 1 + 0 + 0 = 3 of 6 valid → 1/2;
        // z = (y − x/2)/6 → 1/6, 0, −1/12, −1/12; Σz² = 1/24; V = 5/4 · 1/24 = 5/96.
        let pooled = run("pooled", five());
        let e = find(&pooled, "U", "E", "satisfied_pct");
        assert_eq!(e.n, 4);
        assert!(near(e.estimate, 50.0) && near(e.se, 100.0 * (5.0_f64 / 96.0).sqrt()));
        // Four respondents answered beneath E → df 3: logit 0 ± 3.182446 · 0.228218 / (1/4).
        assert_eq!(e.df, 3);
        assert!((e.ci_low - 5.189_894_089).abs() < 1e-6);
        // Mean of the item indices: (2/3 + 1/3)/2 = 1/2, but z = (z_I1 + z_I2)/2 → 1/6, 0,
        // −1/9, −1/18; Σz² = 14/324; V = 5/4 · 14/324 = 70/1296. Wald t interval (a mean).
        let mean = run("mean", five());
        let e = find(&mean, "U", "E", "satisfied_pct");
        assert!(near(e.estimate, 50.0) && near(e.se, 100.0 * (70.0_f64 / 1296.0).sqrt()));
        // Wald: 50 ∓ 3.182446 · 23.24 = [−23.961823, 123.961823], a percentage, so kept
        // within 0–100.
        assert_eq!((e.ci_low, e.ci_high), (0.0, 100.0));
        assert!(e.deff.is_nan(), "no deff for a mean of ratios");
        // Overall with one element equals the element.
        assert!(near(find(&mean, "U", "overall", "satisfied_pct").se, e.se));
    }

    #[test]
    fn comprehensive_expectation_return_and_alpha() {
        let rows = run("pooled", five());
        // Respondents with a valid answer: r1 (all satisfied), r2, r3, r4 → 1/4;
        // z = 3/16, −1/16 ×3; Σz² = 12/256; V = 5/4 · 12/256.
        let c = find(&rows, "U", "E", "comprehensive_pct");
        assert_eq!(c.n, 4);
        assert!(near(c.estimate, 25.0) && near(c.se, 100.0 * (60.0_f64 / 1024.0).sqrt()));
        // Expectation: (80 + 60 + 100)/3 = 80; z = 0, −20/3, 20/3; V = 5/4 · 800/9.
        let x = find(&rows, "U", "exp", "expectation_pct");
        assert!(near(x.estimate, 80.0) && near(x.se, (1000.0_f64 / 9.0).sqrt()));
        // Three answered → df 2. Wald: 80 ∓ 4.302653 · 10.540926 → [34.646058, 125.353942],
        // the top clamped to 100.
        assert_eq!(x.df, 2);
        assert!((x.ci_low - 34.646_057_978).abs() < 1e-6);
        assert_eq!(x.ci_high, 100.0);
        // Would return (4 or 5): r1, r3 of r1, r2, r3, r5 → 1/2; z = ±1/8; V = 5/4 · 1/16.
        let r = find(&rows, "U", "ret", "return_pct");
        assert!(near(r.estimate, 50.0) && near(r.se, 100.0 * (5.0_f64 / 64.0).sqrt()));
        // Cronbach's α over complete cases r1 (5, 4), r2 (4, 2): var 0.5 and 2, totals 9 and 6
        // with var 4.5 → α = 2 · (1 − 2.5/4.5) = 8/9.
        let a = find(&rows, "U", "E", "cronbach_alpha");
        assert_eq!(a.n, 2);
        assert!(near(a.estimate, 8.0 / 9.0));
        // min_n = 3: the α on 2 respondents is flagged, the item on 3 is not.
        assert_eq!(a.flag.to_string(), "low_n");
        assert!(find(&rows, "U", "I1", "satisfied_pct").flag.is_empty());
    }

    #[test]
    fn strata_psus_and_weights_by_hand() {
        // h1: PSU a r1 (w 1, I1 5), PSU b r2 (w 2, I1 2); h2: PSU c r3 (w 3, I1 4), PSU d r4
        // (w 4, blank). p = (1 + 3)/(1 + 2 + 3) = 2/3; z = w(y − p·x)/6 → 1/18, −2/9, 1/6, 0.
        // h1: totals 1/18, −2/9 around −1/12: 2 · 2 · (5/36)² = 100/1296;
        // h2: 1/6, 0 around 1/12: 2 · 2 · (1/12)² = 36/1296 → V = 136/1296. Those who
        // answered are in PSUs a, b, c of strata h1, h2: df = 3 − 2 = 1 (the design's is 2).
        let rows = run(
            "pooled",
            tiny(
                vec![Some(5), Some(2), Some(4), None],
                vec![Some(5), Some(5), Some(5), Some(5)],
                Some((
                    vec!["h1", "h1", "h2", "h2"],
                    vec!["a", "b", "c", "d"],
                    vec![1.0, 2.0, 3.0, 4.0],
                )),
            ),
        );
        let e = find(&rows, "U", "I1", "satisfied_pct");
        assert_eq!(e.df, 1);
        assert!(near(e.estimate, 200.0 / 3.0) && near(e.se, 100.0 * (136.0_f64 / 1296.0).sqrt()));
        // t(0.975; 1) = 12.706205 → logit interval 1.806716e-6 %, 99.999999548 %.
        assert!(
            (e.ci_low - 1.806_716e-6).abs() < 1e-10 && (e.ci_high - 99.999_999_548).abs() < 1e-8
        );
    }
}
