//! The CCHC (PAR) index of each unit in two years: the change of its index with an interval,
//! and of its rank with whether the rank intervals overlap.

use std::collections::BTreeMap;

use super::Direction;
use crate::estimate;
use crate::flag::Flags;
use crate::par::{self, ParResult};

/// A unit's CCHC index in two years.
#[derive(Debug, Clone, PartialEq)]
pub struct ParChange {
    pub unit_id: String,
    pub points_from: Option<f64>,
    pub points_to: Option<f64>,
    pub index_from: Option<f64>,
    pub index_to: Option<f64>,
    pub index_change: Option<f64>,
    pub se_change: f64,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub direction: Option<Direction>,
    pub rank_from: Option<usize>,
    pub rank_to: Option<usize>,
    pub rank_interval_from: Option<(usize, usize)>,
    pub rank_interval_to: Option<(usize, usize)>,
    pub rank_intervals_overlap: Option<bool>,
    pub flag: Flags,
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
            (Some(_), Some(lo), _) if lo > 0.0 => Some(Direction::Up),
            (Some(_), _, Some(hi)) if hi < 0.0 => Some(Direction::Down),
            (Some(_), Some(_), Some(_)) => Some(Direction::NoChange),
            _ => None,
        };
        let overlap = match (f.rank_low, f.rank_high, t.rank_low, t.rank_high) {
            (Some(a), Some(b), Some(c), Some(d)) => Some(a.max(c) <= b.min(d)),
            _ => None,
        };
        let mut flags = Flags::none();
        flags.extend_scoped("from", &f.flag);
        flags.extend_scoped("to", &t.flag);
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
            direction,
            rank_from: f.rank,
            rank_to: t.rank,
            rank_interval_from: f.rank_low.zip(f.rank_high),
            rank_interval_to: t.rank_low.zip(t.rank_high),
            rank_intervals_overlap: overlap,
            flag: flags,
        });
    }
    rows
}
