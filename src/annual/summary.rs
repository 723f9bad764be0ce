//! The facts of the report's executive summary, picked from the figures: each survey's overall
//! index and its change, the best and the worst unit, the changes that are real; the CCHC
//! index of each unit in rank order. The words are `render::report`'s.

use crate::compare::{Change, Direction, ParChange};
use crate::estimate::{ALL, Estimate, Level, measure};
use crate::flag::FlagKind;
use crate::par::{ParResult, TotalRow};

use super::{Year, YearChange};

/// A survey's headline facts.
#[derive(Debug, Clone)]
pub struct SurveySummary {
    /// The overall index of all units together.
    pub overall: Option<Estimate>,
    /// Its change from the compared year.
    pub overall_change: Option<Change>,
    /// The units with the highest and the lowest overall index, among those that can be
    /// published (None when fewer than two can).
    pub best: Option<Estimate>,
    pub worst: Option<Estimate>,
    /// Changes of the overall and element indices (share satisfied) that are real after the
    /// adjustment for many tests: all units together first, then by size of change.
    pub real_changes: Vec<Change>,
    /// How many overall and element changes were tested.
    pub tested: usize,
    /// Units whose overall index has too few answers to publish.
    pub unpublishable: Vec<String>,
}

impl SurveySummary {
    pub fn of(y: &Year, change: Option<&YearChange>) -> SurveySummary {
        let overall = y.estimates.overall(ALL).cloned();
        let mut units: Vec<&Estimate> = y
            .estimates
            .units()
            .iter()
            .filter_map(|u| y.estimates.overall(u))
            .collect();
        let unpublishable = units
            .iter()
            .filter(|e| e.flag.contains(FlagKind::LowN))
            .map(|e| e.unit_id.clone())
            .collect();
        units.retain(|e| e.estimate.is_finite() && e.flag.is_empty());
        units.sort_by(|a, b| {
            b.estimate
                .total_cmp(&a.estimate)
                .then(a.unit_id.cmp(&b.unit_id))
        });
        let (best, worst) = if units.len() >= 2 {
            (
                units.first().map(|e| (*e).clone()),
                units.last().map(|e| (*e).clone()),
            )
        } else {
            (None, None)
        };
        let headline = |c: &&Change| {
            c.measure == measure::SATISFIED_PCT
                && matches!(c.level, Level::Overall | Level::Node(_) | Level::Element)
        };
        let (overall_change, mut real_changes, tested) = match change {
            Some(ch) => (
                ch.changes
                    .iter()
                    .find(|c| c.unit_id == ALL && c.level == Level::Overall && headline(c))
                    .cloned(),
                ch.changes
                    .iter()
                    .filter(headline)
                    .filter(|c| c.direction.is_some_and(Direction::is_real))
                    .cloned()
                    .collect::<Vec<_>>(),
                ch.changes.iter().filter(headline).count(),
            ),
            None => (None, Vec::new(), 0),
        };
        real_changes.sort_by(|a, b| {
            (a.unit_id != ALL, a.level != Level::Overall)
                .cmp(&(b.unit_id != ALL, b.level != Level::Overall))
                .then(b.change.abs().total_cmp(&a.change.abs()))
                .then(a.unit_id.cmp(&b.unit_id))
                .then(a.code.cmp(&b.code))
        });
        SurveySummary {
            overall,
            overall_change,
            best,
            worst,
            real_changes,
            tested,
            unpublishable,
        }
    }
}

/// The CCHC index's headline facts.
#[derive(Debug, Clone)]
pub struct ParSummary {
    /// Every unit in rank order, with its change when the compared year has it.
    pub ranked: Vec<(TotalRow, Option<ParChange>)>,
    /// Units whose rank interval is wider than one place: their rank is uncertain.
    pub uncertain_ranks: usize,
    /// Changes of the index whose interval excludes zero.
    pub real_changes: Vec<ParChange>,
}

impl ParSummary {
    pub fn of(result: &ParResult, changes: Option<&[ParChange]>) -> ParSummary {
        let ranked = result
            .ranked()
            .into_iter()
            .map(|t| {
                let c = changes.and_then(|cs| cs.iter().find(|c| c.unit_id == t.unit_id));
                (t.clone(), c.cloned())
            })
            .collect::<Vec<_>>();
        let uncertain_ranks = ranked
            .iter()
            .filter(|(t, _)| matches!((t.rank_low, t.rank_high), (Some(a), Some(b)) if b > a))
            .count();
        let mut real_changes: Vec<ParChange> = changes
            .unwrap_or_default()
            .iter()
            .filter(|c| c.direction.is_some_and(Direction::is_real))
            .cloned()
            .collect();
        real_changes.sort_by(|a, b| {
            b.index_change
                .unwrap_or(0.0)
                .abs()
                .total_cmp(&a.index_change.unwrap_or(0.0).abs())
                .then(a.unit_id.cmp(&b.unit_id))
        });
        ParSummary {
            ranked,
            uncertain_ranks,
            real_changes,
        }
    }
}
