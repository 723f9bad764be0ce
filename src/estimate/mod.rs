//! Design-based estimation of the satisfaction measures.
//!
//! Every measure is a ratio of weighted totals, R = Σ w·y / Σ w·x, or a weighted mean of such
//! ratios (the `mean` aggregation rule), over a domain (one unit, or ALL). Their variances are
//! Taylor-linearised: the influence of respondent k on a ratio is (y_k − R·x_k)/X, so a
//! domain's PSU totals of influence values follow from its PSU totals of w·y and w·x alone.
//!
//! One lazy polars pass turns the stored answers into those PSU totals (one row per unit ×
//! stratum × PSU); everything after works on that small table.

mod design;
mod interval;
mod totals;

pub use design::{Design, DesignError};

use std::collections::BTreeMap;

use polars::prelude::*;
use thiserror::Error;

use crate::instrument::Instrument;
use crate::methodology::{ItemMeasure, Method, Rule};
use totals::{Totals, Vars};

#[derive(Debug, Error)]
pub enum EstimateError {
    #[error(transparent)]
    Design(#[from] DesignError),
    #[error("reading the stored answers: {0}")]
    Polars(#[from] PolarsError),
}

/// The level of the aggregation tree a figure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Item,
    Element,
    Overall,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Item => "item",
            Level::Element => "element",
            Level::Overall => "overall",
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
    pub flag: String,
}

/// The unit id that stands for all units together.
pub const ALL: &str = "ALL";

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
    let mut vars = Vars::default();
    let (specs, alphas) = plan(inst, method, &mut vars);
    let totals = Totals::collect(rows, &vars)?;
    let design = totals.design(method.lonely_psu)?;
    let t = interval::t_quantile(method.ci_level, design.df);
    let mut out = Vec::new();
    // ALL first, then the units in order.
    let all = totals.all_units();
    let all_rows: Vec<usize> = (0..all.len()).collect();
    domain(
        &mut out, ALL, &all, &all_rows, design.df, t, &design, &specs, &alphas, method,
    );
    for (unit, rows) in totals.units() {
        let df = totals.df_of(&rows);
        let t = interval::t_quantile(method.ci_level, df);
        domain(
            &mut out, unit, &totals, &rows, df, t, &design, &specs, &alphas, method,
        );
    }
    Ok(out)
}

/// Declares the variables and the figures the methodology asks for.
fn plan(inst: &Instrument, method: &Method, vars: &mut Vars) -> (Vec<Spec>, Vec<AlphaSpec>) {
    let mut specs = Vec::new();
    let threshold = method.satisfied_at;
    let mut item_ratio: BTreeMap<(String, ItemMeasure), Ratio> = BTreeMap::new();
    // Items.
    for q in inst.scored_items() {
        let v = vars.valid(q);
        let vn = vars.valid_n(q);
        let s = vars.satisfied(q, threshold);
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
            specs.push(Spec {
                level: Level::Item,
                code: q.code.clone(),
                measure: m.name().to_string(),
                kind,
                scale,
                terms: vec![(
                    1.0,
                    Ratio {
                        y: vec![y],
                        x: vec![v],
                    },
                )],
                n: vn,
                moments: Some(Moments {
                    yy,
                    xy: y,
                    xx: v,
                    dom_w: v,
                    dom_n: vn,
                }),
            });
        }
    }
    // Elements, then overall: each a group of items with a rule.
    let items_of = |e: &str| -> Vec<&crate::instrument::Question> {
        inst.scored_items()
            .filter(|q| q.element.as_deref() == Some(e))
            .collect()
    };
    let mut element_terms: BTreeMap<(String, ItemMeasure), Vec<(f64, Ratio)>> = BTreeMap::new();
    let overall_children = method.overall_children(inst);
    let mut groups: Vec<(Level, String, Vec<&crate::instrument::Question>, Rule)> = inst
        .elements
        .iter()
        .map(|e| {
            (
                Level::Element,
                e.code.clone(),
                items_of(&e.code),
                method.element.rule,
            )
        })
        .collect();
    groups.push((
        Level::Overall,
        "overall".to_string(),
        overall_children.iter().flat_map(|c| items_of(c)).collect(),
        method.overall.rule,
    ));
    let mut alphas = Vec::new();
    for (level, code, items, rule) in groups {
        let (_, any) = vars.any_valid(&code, &items);
        for m in &method.item_measures {
            let (terms, kind, moments) = match rule {
                Rule::Pooled => {
                    let (y, x, mo) = vars.pooled(&code, &items, *m, threshold);
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
                Rule::Mean => {
                    let terms = if level == Level::Element {
                        let w = weights(
                            items.iter().map(|q| q.code.as_str()),
                            &method.element.weights,
                        );
                        items
                            .iter()
                            .zip(w)
                            .filter_map(|(q, a)| {
                                item_ratio
                                    .get(&(q.code.clone(), *m))
                                    .map(|r| (a, r.clone()))
                            })
                            .collect()
                    } else {
                        let w = weights(
                            overall_children.iter().map(String::as_str),
                            &method.overall.weights,
                        );
                        overall_children
                            .iter()
                            .zip(w)
                            .flat_map(|(c, a)| {
                                element_terms
                                    .get(&(c.clone(), *m))
                                    .cloned()
                                    .unwrap_or_default()
                                    .into_iter()
                                    .map(move |(b, r)| (a * b, r))
                            })
                            .collect()
                    };
                    (terms, Kind::Mean, None)
                }
            };
            if level == Level::Element {
                element_terms.insert((code.clone(), *m), terms.clone());
            }
            let scale = if *m == ItemMeasure::SatisfiedPct {
                100.0
            } else {
                1.0
            };
            specs.push(Spec {
                level,
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
            let (comp, any_w, any_n) = vars.comprehensive(&code, &items, threshold);
            specs.push(Spec {
                level,
                code: code.clone(),
                measure: "comprehensive_pct".to_string(),
                kind: Kind::Proportion,
                scale: 100.0,
                terms: vec![(
                    1.0,
                    Ratio {
                        y: vec![comp],
                        x: vec![any_w],
                    },
                )],
                n: any_n,
                moments: Some(Moments {
                    yy: comp,
                    xy: comp,
                    xx: any_w,
                    dom_w: any_w,
                    dom_n: any_n,
                }),
            });
        }
        if level == Level::Element && items.len() >= 2 {
            alphas.push(vars.alpha(&code, &items));
        }
    }
    for s in &method.shares {
        if let Some(q) = inst.questions.iter().find(|q| q.code == s.question) {
            let (y, x, n) = vars.share(q, &s.codes);
            specs.push(Spec {
                level: Level::Overall,
                code: s.code.clone(),
                measure: s.measure.clone(),
                kind: Kind::Proportion,
                scale: 100.0,
                terms: vec![(
                    1.0,
                    Ratio {
                        y: vec![y],
                        x: vec![x],
                    },
                )],
                n,
                moments: Some(Moments {
                    yy: y,
                    xy: y,
                    xx: x,
                    dom_w: x,
                    dom_n: n,
                }),
            });
        }
    }
    for m in &method.means {
        if let Some(q) = inst.questions.iter().find(|q| q.code == m.question) {
            let (v, vn) = (vars.valid(q), vars.valid_n(q));
            let (x, x2) = (vars.score(q), vars.score_squared(q));
            specs.push(Spec {
                level: Level::Overall,
                code: m.code.clone(),
                measure: m.measure.clone(),
                kind: Kind::Mean,
                scale: 1.0,
                terms: vec![(
                    1.0,
                    Ratio {
                        y: vec![x],
                        x: vec![v],
                    },
                )],
                n: vn,
                moments: Some(Moments {
                    yy: x2,
                    xy: x,
                    xx: v,
                    dom_w: v,
                    dom_n: vn,
                }),
            });
        }
    }
    (specs, alphas)
}

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

/// Every figure for one domain, whose PSU rows in `table` are `rows`.
#[allow(clippy::too_many_arguments)]
fn domain(
    out: &mut Vec<Estimate>,
    unit: &str,
    table: &Totals,
    rows: &[usize],
    df: i64,
    t: Option<f64>,
    design: &Design,
    specs: &[Spec],
    alphas: &[AlphaSpec],
    method: &Method,
) {
    let strata: Vec<usize> = rows.iter().map(|&r| table.stratum[r]).collect();
    let sum = |v: usize| -> f64 { rows.iter().map(|&r| table.col(v)[r]).sum() };
    let sum_of = |vs: &[usize], r: usize| -> f64 { vs.iter().map(|&v| table.col(v)[r]).sum() };
    let mut z = vec![0.0; rows.len()];
    for s in specs {
        z.iter_mut().for_each(|zi| *zi = 0.0);
        let mut est = 0.0;
        for (a, ratio) in &s.terms {
            let y: f64 = ratio.y.iter().map(|&v| sum(v)).sum();
            let x: f64 = ratio.x.iter().map(|&v| sum(v)).sum();
            let r = y / x;
            est += a * r;
            for (k, &row) in rows.iter().enumerate() {
                z[k] += a * (sum_of(&ratio.y, row) - r * sum_of(&ratio.x, row)) / x;
            }
        }
        let var = design.variance(&strata, &z);
        let se = var.sqrt();
        let n = sum(s.n).round() as u64;
        let (lo, hi) = match (t, s.kind) {
            (None, _) => (f64::NAN, f64::NAN),
            (Some(t), Kind::Proportion) => interval::proportion(method.ci_method, est, se, t),
            (Some(t), Kind::Mean) => interval::wald(est, se, t),
        };
        let deff = s.moments.map_or(f64::NAN, |m| {
            design_effect(var, est, &s.terms[0].1, m, &sum)
        });
        let mut flags = Vec::new();
        if !est.is_finite() {
            flags.push("no_data");
        }
        if df < 1 {
            flags.push("no_df");
        }
        if n < method.min_n {
            flags.push("low_n");
        }
        out.push(Estimate {
            unit_id: unit.to_string(),
            level: s.level,
            code: s.code.clone(),
            measure: s.measure.clone(),
            n,
            estimate: est * s.scale,
            se: se * s.scale,
            ci_low: lo * s.scale,
            ci_high: hi * s.scale,
            df,
            deff,
            flag: flags.join(";"),
        });
    }
    for a in alphas {
        let n = sum(a.complete);
        let var = |(s1, s2): (usize, usize)| (sum(s2) - sum(s1) * sum(s1) / n) / (n - 1.0);
        let k = a.items.len() as f64;
        let item_var: f64 = a.items.iter().map(|p| var(*p)).sum();
        let alpha = k / (k - 1.0) * (1.0 - item_var / var(a.total));
        let n = n.round() as u64;
        let mut flags = Vec::new();
        if !alpha.is_finite() {
            flags.push("no_data");
        }
        if n < method.min_n {
            flags.push("low_n");
        }
        out.push(Estimate {
            unit_id: unit.to_string(),
            level: Level::Element,
            code: a.code.clone(),
            measure: "cronbach_alpha".to_string(),
            n,
            estimate: alpha,
            se: f64::NAN,
            ci_low: f64::NAN,
            ci_high: f64::NAN,
            df,
            deff: f64::NAN,
            flag: flags.join(";"),
        });
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
