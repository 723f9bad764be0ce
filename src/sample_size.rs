//! How many forms each unit needs for a target margin of error (`chiso sample-size`).
//!
//! For a unit of population N, a margin e (a proportion: 5 points = 0.05), confidence level
//! 1 − α (z = the normal quantile) and an expected share p:
//!
//! ```text
//! Slovin:                      n = N / (1 + N·e²)                 (ignores p, the level, the design)
//! simple random sampling:     n₀ = z²·p·(1 − p) / e²,   n = n₀ / (1 + (n₀ − 1)/N)
//! with last year's deff:      n₀' = deff·n₀,            n = n₀' / (1 + (n₀' − 1)/N)
//! ```
//!
//! each rounded up to a whole form. The design effect is last year's for the unit: that of its
//! overall index when the methodology pools (a pooled ratio has one), otherwise the mean design
//! effect of its items' shares satisfied (a `mean`-rule index has none of its own).

use crate::estimate::{Estimate, Estimates, Level, measure};

/// Where the expected share came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// The value given (default 50 %, the most cautious).
    Given,
    /// The unit's overall share satisfied last year, from the store.
    LastYear,
}

/// Where the design effect came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeffFrom {
    /// Last year's overall index.
    Overall,
    /// The mean over last year's items (share satisfied).
    ItemMean,
    /// Not available: no last year in the store, or no design effect estimable.
    None,
}

impl Expected {
    pub fn name(self) -> &'static str {
        match self {
            Expected::Given => "given",
            Expected::LastYear => "last_year",
        }
    }
}

impl DeffFrom {
    pub fn name(self) -> &'static str {
        match self {
            DeffFrom::Overall => "overall",
            DeffFrom::ItemMean => "item_mean",
            DeffFrom::None => "none",
        }
    }
}

/// What the office asks for.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Margin of error in percentage points (5 = ±5 points).
    pub margin_pts: f64,
    /// Confidence level, e.g. 0.95.
    pub level: f64,
    /// Expected share in percent when last year's is not used (50 = the most cautious).
    pub expected_pct: f64,
}

/// One unit's sample sizes.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    pub unit_id: String,
    pub population: f64,
    pub expected_pct: f64,
    pub expected_from: Expected,
    pub slovin_n: u64,
    pub srs_n: u64,
    pub deff: Option<f64>,
    pub deff_from: DeffFrom,
    /// The n with the design effect, when there is one.
    pub design_n: Option<u64>,
}

/// Slovin's n = N / (1 + N·e²), rounded up.
pub fn slovin(population: f64, e: f64) -> u64 {
    (population / (1.0 + population * e * e)).ceil() as u64
}

/// n₀ / (1 + (n₀ − 1)/N), rounded up (Cochran's finite-population correction).
pub fn with_fpc(n0: f64, population: f64) -> u64 {
    (n0 / (1.0 + (n0 - 1.0) / population)).ceil() as u64
}

/// The unit's design effect last year and where it came from.
fn last_deff(est: &Estimates, unit: &str) -> (Option<f64>, DeffFrom) {
    if let Some(e) = est.overall(unit)
        && e.deff.is_finite()
        && e.deff > 0.0
    {
        return (Some(e.deff), DeffFrom::Overall);
    }
    let items: Vec<f64> = est
        .iter()
        .filter(|e: &&Estimate| {
            e.unit_id == unit
                && e.level == Level::Item
                && e.measure == measure::SATISFIED_PCT
                && e.deff.is_finite()
                && e.deff > 0.0
        })
        .map(|e| e.deff)
        .collect();
    if items.is_empty() {
        (None, DeffFrom::None)
    } else {
        (
            Some(items.iter().sum::<f64>() / items.len() as f64),
            DeffFrom::ItemMean,
        )
    }
}

/// Sample sizes for every unit of `frame` ((unit, population) pairs), with last year's figures
/// when given.
pub fn plan(frame: &[(String, f64)], target: Target, last: Option<&Estimates>) -> Vec<Need> {
    let e = target.margin_pts / 100.0;
    let z = crate::estimate::normal_quantile(target.level);
    frame
        .iter()
        .map(|(unit, population)| {
            let previous = last
                .and_then(|est| est.overall(unit))
                .map(|o| o.estimate)
                .filter(|p| p.is_finite());
            let (expected_pct, expected_from) = match previous {
                Some(p) => (p, Expected::LastYear),
                None => (target.expected_pct, Expected::Given),
            };
            let p = expected_pct / 100.0;
            let n0 = z * z * p * (1.0 - p) / (e * e);
            let (deff, deff_from) = last.map_or((None, DeffFrom::None), |est| last_deff(est, unit));
            Need {
                unit_id: unit.clone(),
                population: *population,
                expected_pct,
                expected_from,
                slovin_n: slovin(*population, e),
                srs_n: with_fpc(n0, *population),
                deff,
                deff_from,
                design_n: deff.map(|d| with_fpc(d * n0, *population)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worked_example_by_hand() {
        // N = 4210, ±5 points at 95 % (z = 1.959964), p = 50 %.
        // Slovin: 4210 / (1 + 4210 · 0.0025) = 4210 / 11.525 = 365.29 → 366.
        // n₀ = 1.959964² · 0.25 / 0.0025 = 384.146; n = 384.146 / (1 + 383.146 / 4210)
        //    = 384.146 / 1.091008 = 352.10 → 353.
        // deff 1.8: n₀' = 691.463; n = 691.463 / (1 + 690.463 / 4210) = 691.463 / 1.164005
        //    = 594.04 → 595.
        let t = Target {
            margin_pts: 5.0,
            level: 0.95,
            expected_pct: 50.0,
        };
        let need = plan(&[("Xuân Dương".into(), 4210.0)], t, None);
        assert_eq!(need[0].slovin_n, 366);
        assert_eq!(need[0].srs_n, 353);
        assert_eq!(need[0].design_n, None);
        assert_eq!(need[0].deff_from, DeffFrom::None);
        let n0 = 1.959_963_984_540_054_f64.powi(2) * 0.25 / 0.0025;
        assert_eq!(with_fpc(1.8 * n0, 4210.0), 595);
        // A small commune: N = 300 → Slovin 300 / 1.75 = 171.43 → 172;
        // n = 384.146 / (1 + 383.146 / 300) = 384.146 / 2.277153 = 168.69 → 169.
        let need = plan(&[("Na Rì".into(), 300.0)], t, None);
        assert_eq!((need[0].slovin_n, need[0].srs_n), (172, 169));
    }
}
