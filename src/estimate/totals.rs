//! The one pass over the answers: respondent-level variables as polars expressions, summed
//! (weighted, or counted) per unit × stratum × PSU.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::design::{Design, DesignError};
use super::{AlphaSpec, Moments};
use crate::instrument::Question;
use crate::methodology::{ItemMeasure, LonelyPsu};

const W: &str = "__w";
const H: &str = "__h";
const PSU: &str = "__psu";

/// Registered per-PSU sums: each is one aggregation of the group-by, and one column of [`Totals`].
#[derive(Default)]
pub struct Vars {
    keys: Vec<String>,
    aggs: Vec<Expr>,
    index: BTreeMap<String, usize>,
}

fn f(e: Expr) -> Expr {
    e.cast(DataType::Float64)
}

fn sum_exprs(es: impl Iterator<Item = Expr>) -> Expr {
    es.reduce(|a, b| a + b).unwrap_or_else(|| lit(0.0))
}

/// A valid answer: a code of the scale (blanks, not-applicable and no-answer codes are not).
fn valid_expr(q: &Question) -> Expr {
    let c = || col(q.code.as_str());
    let s = &q.scale;
    let contiguous = s.values.as_ref().is_none_or(|v| {
        let mut v = v.clone();
        v.sort_unstable();
        v.windows(2).all(|w| w[1] == w[0] + 1)
    });
    let e = if contiguous {
        c().gt_eq(lit(s.min)).and(c().lt_eq(lit(s.max)))
    } else {
        let v = s.values.clone().unwrap_or_default();
        v.iter()
            .map(|x| c().eq(lit(*x)))
            .reduce(|a, b| a.or(b))
            .unwrap_or_else(|| lit(false))
    };
    e.fill_null(lit(false))
}

fn sat_expr(q: &Question, threshold: i32) -> Expr {
    valid_expr(q).and(
        col(q.code.as_str())
            .gt_eq(lit(threshold))
            .fill_null(lit(false)),
    )
}

fn score_expr(q: &Question) -> Expr {
    when(valid_expr(q))
        .then(f(col(q.code.as_str())))
        .otherwise(lit(0.0))
}

impl Vars {
    fn add(&mut self, key: String, agg: impl FnOnce() -> Expr) -> usize {
        if let Some(i) = self.index.get(&key) {
            return *i;
        }
        let i = self.keys.len();
        self.aggs.push(agg().alias(format!("__v{i}")));
        self.keys.push(key.clone());
        self.index.insert(key, i);
        i
    }

    /// Σ w·e per PSU.
    fn wsum(&mut self, key: String, e: impl FnOnce() -> Expr) -> usize {
        self.add(format!("w:{key}"), || (col(W) * e()).sum())
    }

    /// Σ e per PSU (unweighted).
    fn count(&mut self, key: String, e: impl FnOnce() -> Expr) -> usize {
        self.add(format!("n:{key}"), || e().sum())
    }

    pub fn valid(&mut self, q: &Question) -> usize {
        self.wsum(format!("v:{}", q.code), || f(valid_expr(q)))
    }

    pub fn valid_n(&mut self, q: &Question) -> usize {
        self.count(format!("v:{}", q.code), || f(valid_expr(q)))
    }

    pub fn satisfied(&mut self, q: &Question, threshold: i32) -> usize {
        self.wsum(format!("s:{}", q.code), || f(sat_expr(q, threshold)))
    }

    pub fn score(&mut self, q: &Question) -> usize {
        self.wsum(format!("x:{}", q.code), || score_expr(q))
    }

    pub fn score_squared(&mut self, q: &Question) -> usize {
        self.wsum(format!("x2:{}", q.code), || score_expr(q) * score_expr(q))
    }

    fn pv(items: &[&Question]) -> Expr {
        sum_exprs(items.iter().map(|q| f(valid_expr(q))))
    }

    /// Respondents with at least one valid answer among `items`: (weighted, counted).
    pub fn any_valid(&mut self, group: &str, items: &[&Question]) -> (usize, usize) {
        let any = || f(Self::pv(items).gt(lit(0.0)));
        (
            self.wsum(format!("any:{group}"), any),
            self.count(format!("any:{group}"), any),
        )
    }

    /// The pooled ratio over all valid answers in `items`: (y, x, moments for the deff).
    pub fn pooled(
        &mut self,
        group: &str,
        items: &[&Question],
        m: ItemMeasure,
        threshold: i32,
    ) -> (usize, usize, Moments) {
        let pv = || Self::pv(items);
        let py = || match m {
            ItemMeasure::SatisfiedPct => sum_exprs(items.iter().map(|q| f(sat_expr(q, threshold)))),
            ItemMeasure::MeanScore => sum_exprs(items.iter().map(|q| score_expr(q))),
        };
        let tag = m.name();
        let y = self.wsum(format!("py:{tag}:{group}"), py);
        let x = self.wsum(format!("pv:{group}"), pv);
        let yy = self.wsum(format!("pyy:{tag}:{group}"), || py() * py());
        let xy = self.wsum(format!("pxy:{tag}:{group}"), || py() * pv());
        let xx = self.wsum(format!("pvv:{group}"), || pv() * pv());
        let (dom_w, dom_n) = self.any_valid(group, items);
        (
            y,
            x,
            Moments {
                yy,
                xy,
                xx,
                dom_w,
                dom_n,
            },
        )
    }

    /// Respondents (with a valid answer) whose every valid answer is satisfied:
    /// (weighted comprehensive, weighted any-valid, counted any-valid).
    pub fn comprehensive(
        &mut self,
        group: &str,
        items: &[&Question],
        threshold: i32,
    ) -> (usize, usize, usize) {
        let comp = || {
            let pv = Self::pv(items);
            let ps = sum_exprs(items.iter().map(|q| f(sat_expr(q, threshold))));
            f(pv.clone().gt(lit(0.0)).and(ps.eq(pv)))
        };
        let c = self.wsum(format!("comp:{group}"), comp);
        let (w, n) = self.any_valid(group, items);
        (c, w, n)
    }

    /// Counts for Cronbach's α over respondents who answered every item of the element.
    pub fn alpha(&mut self, group: &str, items: &[&Question]) -> AlphaSpec {
        let complete = || {
            f(items
                .iter()
                .map(|q| valid_expr(q))
                .reduce(|a, b| a.and(b))
                .unwrap_or_else(|| lit(false)))
        };
        let total = || sum_exprs(items.iter().map(|q| score_expr(q)));
        let n = self.count(format!("cc:{group}"), complete);
        let items_v = items
            .iter()
            .map(|q| {
                let s1 = self.count(format!("cx:{}", q.code), || complete() * score_expr(q));
                let s2 = self.count(format!("cx2:{}", q.code), || {
                    complete() * score_expr(q) * score_expr(q)
                });
                (s1, s2)
            })
            .collect();
        let t1 = self.count(format!("cT:{group}"), || complete() * total());
        let t2 = self.count(format!("cT2:{group}"), || complete() * total() * total());
        AlphaSpec {
            code: group.to_string(),
            complete: n,
            items: items_v,
            total: (t1, t2),
        }
    }

    /// A share of those who answered `q`: (Σ w·[answer in codes], Σ w·valid, count valid).
    pub fn share(&mut self, q: &Question, codes: &[i32]) -> (usize, usize, usize) {
        let key = codes
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let hit = || {
            let c = col(q.code.as_str());
            let any = codes
                .iter()
                .map(|x| c.clone().eq(lit(*x)))
                .reduce(|a, b| a.or(b))
                .unwrap_or_else(|| lit(false));
            f(valid_expr(q).and(any.fill_null(lit(false))))
        };
        (
            self.wsum(format!("in[{key}]:{}", q.code), hit),
            self.valid(q),
            self.valid_n(q),
        )
    }
}

/// Per-PSU sums, one row per unit × stratum × PSU, sorted, with the design around them.
pub struct Totals {
    unit: Vec<String>,
    pub stratum: Vec<usize>,
    psu: Vec<usize>,
    cols: Vec<Vec<f64>>,
    strata: Vec<String>,
    n_psu: Vec<usize>,
    fpc: Vec<(Option<f64>, Option<f64>)>,
}

fn f64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<f64>> {
    Ok(df
        .column(name)?
        .cast(&DataType::Float64)?
        .f64()?
        .iter()
        .map(|v| v.unwrap_or(0.0))
        .collect())
}

fn strs(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

impl Totals {
    /// The single pass: stored answers → per-PSU sums of every registered variable.
    pub fn collect(rows: LazyFrame, vars: &Vars) -> PolarsResult<Totals> {
        let mut aggs = vars.aggs.clone();
        aggs.push(f(col("fpc")).min().alias("__fpc_lo"));
        aggs.push(f(col("fpc")).max().alias("__fpc_hi"));
        let df = rows
            .with_columns([
                f(col("weight")).fill_null(lit(1.0)).alias(W),
                col("stratum").fill_null(lit("")).alias(H),
                // Without PSUs, each respondent is its own PSU.
                when(col("psu").is_null())
                    .then(col("respondent_id"))
                    .otherwise(col("psu"))
                    .alias(PSU),
            ])
            .group_by([col("unit_id"), col(H), col(PSU)])
            .agg(aggs)
            .sort(["unit_id", H, PSU], SortMultipleOptions::default())
            .collect()?;
        let unit = strs(&df, "unit_id")?;
        let h_names = strs(&df, H)?;
        let psu_names = strs(&df, PSU)?;
        let mut strata: Vec<String> = h_names.clone();
        strata.sort();
        strata.dedup();
        let stratum: Vec<usize> = h_names
            .iter()
            .map(|h| strata.binary_search(h).unwrap_or(0))
            .collect();
        let mut psus: Vec<(usize, &str)> = stratum
            .iter()
            .copied()
            .zip(psu_names.iter().map(String::as_str))
            .collect();
        psus.sort();
        psus.dedup();
        let psu: Vec<usize> = stratum
            .iter()
            .zip(&psu_names)
            .map(|(h, p)| psus.binary_search(&(*h, p.as_str())).unwrap_or(0))
            .collect();
        let mut n_psu = vec![0usize; strata.len()];
        for (h, _) in &psus {
            n_psu[*h] += 1;
        }
        let lo = df.column("__fpc_lo")?.f64()?.clone();
        let hi = df.column("__fpc_hi")?.f64()?.clone();
        let mut fpc: Vec<(Option<f64>, Option<f64>)> = vec![(None, None); strata.len()];
        for (i, h) in stratum.iter().enumerate() {
            let (a, b) = (lo.get(i), hi.get(i));
            let e = &mut fpc[*h];
            e.0 = match (e.0, a) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            };
            e.1 = match (e.1, b) {
                (Some(x), Some(y)) => Some(x.max(y)),
                (x, y) => x.or(y),
            };
        }
        let cols = (0..vars.keys.len())
            .map(|i| f64s(&df, &format!("__v{i}")))
            .collect::<PolarsResult<_>>()?;
        Ok(Totals {
            unit,
            stratum,
            psu,
            cols,
            strata,
            n_psu,
            fpc,
        })
    }

    pub fn col(&self, v: usize) -> &[f64] {
        &self.cols[v]
    }

    pub fn len(&self) -> usize {
        self.unit.len()
    }

    pub fn design(&self, lonely: LonelyPsu) -> Result<Design, DesignError> {
        let mut fpc = Vec::with_capacity(self.strata.len());
        for (h, (lo, hi)) in self.fpc.iter().enumerate() {
            match (lo, hi) {
                (Some(a), Some(b)) if a != b => {
                    return Err(DesignError::FpcVaries {
                        stratum: self.strata[h].clone(),
                        a: *a,
                        b: *b,
                    });
                }
                _ => fpc.push(*lo),
            }
        }
        Design::new(self.strata.clone(), self.n_psu.clone(), fpc, lonely)
    }

    /// The units in order, each with its rows (contiguous, as the table is sorted by unit).
    pub fn units(&self) -> Vec<(&str, Vec<usize>)> {
        let mut out: Vec<(&str, Vec<usize>)> = Vec::new();
        for (i, u) in self.unit.iter().enumerate() {
            match out.last_mut() {
                Some((last, rows)) if *last == u.as_str() => rows.push(i),
                _ => out.push((u.as_str(), vec![i])),
            }
        }
        out
    }

    /// Degrees of freedom of a domain: its PSUs minus its strata (R's `degf` of the subset).
    pub fn df_of(&self, rows: &[usize]) -> i64 {
        let mut p: Vec<usize> = rows.iter().map(|&r| self.psu[r]).collect();
        p.sort_unstable();
        p.dedup();
        let mut h: Vec<usize> = rows.iter().map(|&r| self.stratum[r]).collect();
        h.sort_unstable();
        h.dedup();
        p.len() as i64 - h.len() as i64
    }

    /// All units together: the rows summed PSU by PSU.
    pub fn all_units(&self) -> Totals {
        let n = self.psu.iter().copied().max().map_or(0, |m| m + 1);
        let mut stratum = vec![0; n];
        let mut cols = vec![vec![0.0; n]; self.cols.len()];
        for (r, &p) in self.psu.iter().enumerate() {
            stratum[p] = self.stratum[r];
            for (c, col) in cols.iter_mut().enumerate() {
                col[p] += self.cols[c][r];
            }
        }
        Totals {
            unit: vec![super::ALL.to_string(); n],
            stratum,
            psu: (0..n).collect(),
            cols,
            strata: self.strata.clone(),
            n_psu: self.n_psu.clone(),
            fpc: self.fpc.clone(),
        }
    }
}
