//! Year over year: the change of each figure between two independent samples, its standard
//! error, a two-sided t test, Benjamini–Hochberg adjustment across the table, and a verdict.

pub mod correspond;
mod par;

use std::collections::{BTreeMap, BTreeSet};

use crate::estimate::{Estimate, Level};
use crate::flag::{FlagKind, Flags};
use crate::lang::Lang;
pub use correspond::{Excluded, Pairing, Side, correspond};
pub use par::{ParChange, par_changes};

/// Significance level of `direction` (on the adjusted p-value).
pub const ALPHA: f64 = 0.05;

/// One row of `compare.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub unit_id: String,
    pub level: Level,
    /// The code in the later year's questionnaire.
    pub code: String,
    pub measure: String,
    pub estimate_from: f64,
    pub estimate_to: f64,
    pub change: f64,
    pub se_change: f64,
    pub df: i64,
    pub p_value: Option<f64>,
    pub p_adjusted: Option<f64>,
    /// The verdict; None when there is no test.
    pub direction: Option<Direction>,
    pub flag: Flags,
}

/// The verdict on a change: real (up or down, at [`ALPHA`] after adjustment), or within the
/// sampling error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Up,
    Down,
    NoChange,
}

impl Direction {
    /// The code written in tables: `up`, `down`, `no_change`.
    pub fn code(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::NoChange => "no_change",
        }
    }

    /// The verdict in words.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Direction::Up => lang.pick("Tăng", "Up"),
            Direction::Down => lang.pick("Giảm", "Down"),
            Direction::NoChange => lang.pick("Không thay đổi có ý nghĩa", "No significant change"),
        }
    }

    /// Whether the change is real (up or down).
    pub fn is_real(self) -> bool {
        self != Direction::NoChange
    }

    /// The code of an optional verdict (empty when there is no test).
    pub fn code_of(d: Option<Direction>) -> &'static str {
        d.map_or("", Direction::code)
    }
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A row of the trend table: a year's figure and its change from the year before.
#[derive(Debug, Clone)]
pub struct TrendRow {
    pub year: i32,
    pub estimate: Estimate,
    pub change: Option<Change>,
}

/// A change from two independent estimates: change = to − from, se = √(se_from² + se_to²),
/// df the smaller of the two, and the two-sided t-test p-value (None without df or se).
pub fn change(from: &Estimate, to: &Estimate) -> Change {
    let d = to.estimate - from.estimate;
    let se = (from.se.powi(2) + to.se.powi(2)).sqrt();
    let df = from.df.min(to.df);
    let mut flags = Flags::none();
    flags.extend_scoped("from", &from.flag);
    flags.extend_scoped("to", &to.flag);
    let p = p_value(d, se, df);
    if p.is_none() {
        flags.push(if df < 1 {
            FlagKind::NoDf
        } else {
            FlagKind::NoSe
        });
    }
    Change {
        unit_id: to.unit_id.clone(),
        level: to.level.clone(),
        code: to.code.clone(),
        measure: to.measure.clone(),
        estimate_from: from.estimate,
        estimate_to: to.estimate,
        change: d,
        se_change: se,
        df,
        p_value: p,
        p_adjusted: None,
        direction: None,
        flag: flags,
    }
}

/// Two-sided p-value of t = change / se on `df` degrees of freedom.
pub fn p_value(change: f64, se: f64, df: i64) -> Option<f64> {
    if df < 1 || !change.is_finite() || !se.is_finite() || se <= 0.0 {
        return None;
    }
    // The same to the last bit on every platform (see `estimate::t_two_sided_p`).
    Some(crate::estimate::t_two_sided_p(change / se, df as f64).min(1.0))
}

/// Benjamini–Hochberg adjusted p-values (as R's `p.adjust(method = "BH")`) over the values
/// present; None stays None.
pub fn benjamini_hochberg(p: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| p[i].is_some()).collect();
    let m = idx.len() as f64;
    idx.sort_by(|&a, &b| p[a].unwrap_or(1.0).total_cmp(&p[b].unwrap_or(1.0)));
    let mut out = vec![None; p.len()];
    let mut running = 1.0f64;
    for (rank, &i) in idx.iter().enumerate().rev() {
        let q = p[i].unwrap_or(1.0) * m / (rank as f64 + 1.0);
        running = running.min(q);
        out[i] = Some(running.min(1.0));
    }
    out
}

/// Fills `p_adjusted` across the rows and the verdict at [`ALPHA`].
pub fn adjust(rows: &mut [Change]) {
    let adj = benjamini_hochberg(&rows.iter().map(|r| r.p_value).collect::<Vec<_>>());
    for (r, a) in rows.iter_mut().zip(adj) {
        r.p_adjusted = a;
        r.direction = match a {
            None => None,
            Some(q) if q < ALPHA && r.change > 0.0 => Some(Direction::Up),
            Some(q) if q < ALPHA && r.change < 0.0 => Some(Direction::Down),
            Some(_) => Some(Direction::NoChange),
        };
    }
}

/// Compares two years' figures: every unit present in both, every paired figure, every
/// measure both have. Units present in one year only are added to the pairing's exclusions.
pub fn compare(from: &Side, to: &Side, pairing: &mut Pairing) -> Vec<Change> {
    let index: BTreeMap<(&str, Level, &str, &str), &Estimate> = from
        .estimates
        .iter()
        .map(|e| {
            (
                (
                    e.unit_id.as_str(),
                    e.level.clone(),
                    e.code.as_str(),
                    e.measure.as_str(),
                ),
                e,
            )
        })
        .collect();
    let units =
        |s: &Side| -> BTreeSet<String> { s.estimates.iter().map(|e| e.unit_id.clone()).collect() };
    let (uf, ut) = (units(from), units(to));
    for (u, year, other) in ut
        .difference(&uf)
        .map(|u| (u, from.year, to.year))
        .chain(uf.difference(&ut).map(|u| (u, to.year, from.year)))
    {
        pairing.excluded.push(Excluded {
            unit_id: u.clone(),
            level: String::new(),
            code: String::new(),
            reason: format!("no respondents in {year}, only in {other}"),
        });
    }
    let mut rows = Vec::new();
    // Cronbach's α has no standard error: it is not tested.
    for e in to
        .estimates
        .iter()
        .filter(|e| e.measure != crate::measure::CRONBACH_ALPHA)
    {
        let Some((fl, fc)) = pairing.pairs.get(&(e.level.clone(), e.code.clone())) else {
            continue;
        };
        if let Some(f) = index.get(&(
            e.unit_id.as_str(),
            fl.clone(),
            fc.as_str(),
            e.measure.as_str(),
        )) {
            rows.push(change(f, e));
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    //! Changes, p-values and BH-adjusted p-values against R (tests/fixtures/compare/expected.R
    //! → expected.csv, from input.csv), and the two cases of the issue worked by hand.
    use super::*;

    fn est(unit: &str, estimate: f64, se: f64, df: i64, flag: &str) -> Estimate {
        Estimate {
            unit_id: unit.to_string(),
            level: Level::Overall,
            code: "overall".to_string(),
            measure: "satisfied_pct".to_string(),
            n: 100,
            estimate,
            se,
            ci_low: f64::NAN,
            ci_high: f64::NAN,
            df,
            deff: f64::NAN,
            flag: match flag {
                "low_n" => Flags::of(FlagKind::LowN),
                _ => Flags::none(),
            },
        }
    }

    fn rows(text: &str) -> Vec<BTreeMap<String, String>> {
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let h = r.headers().expect("header").clone();
        r.records()
            .map(|rec| {
                let rec = rec.expect("record");
                h.iter()
                    .zip(rec.iter())
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect()
            })
            .collect()
    }

    fn f(row: &BTreeMap<String, String>, k: &str) -> f64 {
        row[k].parse().unwrap_or(f64::NAN)
    }

    #[test]
    fn change_se_p_and_adjusted_p_match_r() {
        let input = rows(include_str!("../../tests/fixtures/compare/input.csv"));
        let want = rows(include_str!("../../tests/fixtures/compare/expected.csv"));
        let mut got: Vec<Change> = input
            .iter()
            .map(|r| {
                change(
                    &est(
                        &r["unit_id"],
                        f(r, "estimate_from"),
                        f(r, "se_from"),
                        f(r, "df_from") as i64,
                        "",
                    ),
                    &est(
                        &r["unit_id"],
                        f(r, "estimate_to"),
                        f(r, "se_to"),
                        f(r, "df_to") as i64,
                        "",
                    ),
                )
            })
            .collect();
        adjust(&mut got);
        assert_eq!(got.len(), want.len());
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1e-300);
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.unit_id, w["unit_id"]);
            assert!(close(g.change, f(w, "change")), "{g:?} {w:?}");
            assert!(close(g.se_change, f(w, "se_change")), "{g:?} {w:?}");
            assert_eq!(g.df, f(w, "df") as i64);
            let p = g.p_value.unwrap_or(f64::NAN);
            assert!(close(p, f(w, "p_value")), "p {p} vs R {}", w["p_value"]);
            let q = g.p_adjusted.unwrap_or(f64::NAN);
            assert!(
                close(q, f(w, "p_adjusted")),
                "BH {q} vs R {}",
                w["p_adjusted"]
            );
            assert_eq!(Direction::code_of(g.direction), w["direction"], "{g:?}");
        }
    }

    #[test]
    fn a_two_point_fall_within_six_point_intervals_is_no_change_and_a_ten_point_rise_within_three_is_up()
     {
        // df 30: t(0.975; 30) = 2.042272456301238; a ±6 interval means se = 6 / t.
        let t = 2.042272456301238;
        let fell = change(
            &est("A", 80.0, 6.0 / t, 30, ""),
            &est("A", 78.0, 6.0 / t, 30, ""),
        );
        let rose = change(
            &est("B", 70.0, 3.0 / t, 30, ""),
            &est("B", 80.0, 3.0 / t, 30, ""),
        );
        let mut both = vec![fell, rose];
        adjust(&mut both);
        // Fell: se_change = 6√2 / t = 4.1548; t = −0.4814; p ≈ 0.634 → no change.
        assert!((both[0].se_change - 6.0 * 2f64.sqrt() / t).abs() < 1e-12);
        assert_eq!(both[0].direction, Some(Direction::NoChange));
        // Rose: se_change = 3√2 / t = 2.0774; t = 4.8137; p ≈ 3.9e-5 → up, also after BH.
        assert_eq!(both[1].direction, Some(Direction::Up));
        assert!(both[1].p_adjusted.is_some_and(|q| q < 0.001));
    }

    #[test]
    fn flags_of_either_year_and_missing_tests_are_carried() {
        let c = change(
            &est("A", 80.0, 2.0, 0, "low_n"),
            &est("A", 82.0, 2.0, 12, ""),
        );
        assert_eq!(c.p_value, None);
        assert_eq!(c.flag.to_string(), "from:low_n;no_df");
        let mut v = vec![c];
        adjust(&mut v);
        assert_eq!((v[0].p_adjusted, v[0].direction), (None, None));
    }
}
