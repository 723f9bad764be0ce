//! Points per criterion, totals with intervals, bands, ranks and rank intervals.
//!
//! Survey-derived points are linear in the survey estimates (max × estimate / 100), so the
//! variance of a unit's total is the variance of a linear combination of its estimates: within
//! one survey through their joint influence values (covariances included), and summed over
//! surveys, which are independent samples. Assessment, bonus and penalty points carry no
//! sampling error.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

use super::assessment::{Assessment, Score};
use super::model::{ParMethod, Source, SurveyRef};
use crate::flag::{FlagKind, Flags};

/// A unit's survey figure behind a criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub estimate: f64,
    pub se: f64,
    /// The figure's own flags (`low_n`, `no_df`, ...), empty when publishable.
    pub flag: Flags,
}

/// Where survey figures come from: the store (see `cmd::par`), or a table in a test.
pub trait Surveys {
    /// The unit's figure; None when the unit has no respondents in that survey.
    fn figure(&self, unit: &str, r: &SurveyRef) -> Option<Figure>;
    /// Variance of Σ a·figure over `terms`, figures of one survey for one unit.
    fn variance(&self, unit: &str, terms: &[(&SurveyRef, f64)]) -> Option<f64>;
}

/// One row of `par_points.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct PointRow {
    pub unit_id: String,
    pub area: String,
    pub criterion: String,
    pub source: Source,
    /// What the criterion adds to the unit's maximum: None when not applicable; 0 for bonus
    /// and penalty.
    pub max_points: Option<f64>,
    /// None when not applicable, or when the survey figure is missing.
    pub points: Option<f64>,
    pub se: f64,
    pub flag: Flags,
}

/// One row of `par_totals.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct TotalRow {
    pub unit_id: String,
    pub points: Option<f64>,
    pub max_points: f64,
    pub index_pct: Option<f64>,
    /// Standard error of `index_pct`, and its interval.
    pub se: f64,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub band: Option<String>,
    pub rank: Option<usize>,
    pub rank_low: Option<usize>,
    pub rank_high: Option<usize>,
    pub flag: Flags,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParResult {
    pub points: Vec<PointRow>,
    pub totals: Vec<TotalRow>,
}

impl ParResult {
    /// The units in rank order (best first; units without a rank last, by id).
    pub fn ranked(&self) -> Vec<&TotalRow> {
        let mut v: Vec<&TotalRow> = self.totals.iter().collect();
        v.sort_by(|a, b| {
            (a.rank.is_none(), a.rank, &a.unit_id).cmp(&(b.rank.is_none(), b.rank, &b.unit_id))
        });
        v
    }

    /// A unit's points and maximum in each area, in the methodology's order. Criteria not
    /// applicable, or without points, add nothing.
    pub fn area_totals(&self, method: &ParMethod, unit: &str) -> Vec<AreaTotal> {
        method
            .areas
            .iter()
            .map(|a| {
                let (mut points, mut max) = (0.0, 0.0);
                for x in self
                    .points
                    .iter()
                    .filter(|x| x.unit_id == unit && x.area == a.code)
                {
                    points += x.points.unwrap_or(0.0);
                    max += x.max_points.unwrap_or(0.0);
                }
                AreaTotal {
                    area: a.code.clone(),
                    points,
                    max,
                }
            })
            .collect()
    }

    /// The row of `unit`.
    pub fn total(&self, unit: &str) -> Option<&TotalRow> {
        self.totals.iter().find(|t| t.unit_id == unit)
    }
}

/// A unit's points in one area.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaTotal {
    pub area: String,
    pub points: f64,
    pub max: f64,
}

/// Rounds half away from zero to `decimals`, as the published tables do.
pub fn round_to(x: f64, decimals: u32) -> f64 {
    let f = 10f64.powi(decimals as i32);
    (x * f).round() / f
}

/// Ranks (1 = best) of `values`, highest first; equal values share the better rank.
pub fn competition_ranks(values: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let mut ranks = vec![0; values.len()];
    for (pos, &i) in order.iter().enumerate() {
        ranks[i] = if pos > 0 && values[order[pos - 1]] == values[i] {
            ranks[order[pos - 1]]
        } else {
            pos + 1
        };
    }
    ranks
}

/// Each unit's plan scored for the `plan` criteria: (unit, plan methodology as the criterion
/// names it) → the share of its most points the plan earned (0–1), None when no task was due
/// yet. A unit whose plan was not given is absent.
#[derive(Debug, Clone, Default)]
pub struct PlanShares(pub BTreeMap<(String, String), Option<f64>>);

/// The rates the `records` criteria take, per unit: (unit, criterion code) → what the records
/// say. A unit absent from the map has no records stored for the year.
#[derive(Debug, Clone, Default)]
pub struct RecordRates(pub BTreeMap<(String, String), RecordRate>);

/// A `records` criterion's input for one unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RecordRate {
    /// The share of the criterion's maximum earned (0–1): rate / 100, or the item's points
    /// over its maximum.
    Share(f64),
    /// The rate cannot be formed (its denominator is 0, or its inputs were not exported): the
    /// criterion does not apply, as the item does not in the QĐ 766 index.
    NotApplicable,
}

/// The inputs a unit's index draws on besides its assessment.
pub struct Inputs<'a> {
    pub surveys: &'a dyn Surveys,
    pub plans: &'a PlanShares,
    pub records: &'a RecordRates,
}

/// Computes the index of every unit of the assessment. `seed` drives the rank simulation.
pub fn compute(
    method: &ParMethod,
    assessment: &Assessment,
    inputs: &Inputs<'_>,
    seed: u64,
) -> ParResult {
    let (surveys, plans) = (inputs.surveys, inputs.plans);
    let leaves = method.leaves();
    let z = crate::estimate::normal_quantile(method.ci_level);
    let mut points = Vec::new();
    let mut totals = Vec::new();
    for unit in assessment.units() {
        let mut sum = 0.0;
        let (mut bonus, mut penalty) = (0.0, 0.0);
        let mut max = 0.0;
        let mut complete = true;
        let mut flags = Flags::none();
        let mut survey_terms: BTreeMap<&str, Vec<(&SurveyRef, f64)>> = BTreeMap::new();
        for leaf in &leaves {
            let c = leaf.criterion;
            let entry = assessment.get(unit, &c.code);
            let not_applicable = matches!(entry.map(|e| &e.score), Some(Score::NotApplicable));
            let mut row = PointRow {
                unit_id: unit.to_string(),
                area: leaf.area.code.clone(),
                criterion: c.code.clone(),
                source: leaf.source,
                max_points: None,
                points: None,
                se: 0.0,
                flag: Flags::none(),
            };
            let records = (leaf.source == Source::Records)
                .then(|| inputs.records.0.get(&(unit.to_string(), c.code.clone())));
            if not_applicable || records == Some(Some(&RecordRate::NotApplicable)) {
                row.flag = Flags::of(FlagKind::NotApplicable);
                points.push(row);
                continue;
            }
            match leaf.source {
                Source::Assessment => {
                    row.max_points = Some(c.max);
                    row.points = entry.and_then(|e| e.score.points());
                }
                Source::Bonus => {
                    row.max_points = Some(0.0);
                    row.points = Some(entry.and_then(|e| e.score.points()).unwrap_or(0.0));
                }
                Source::Penalty => {
                    row.max_points = Some(0.0);
                    row.points = Some(0.0 - entry.and_then(|e| e.score.points()).unwrap_or(0.0));
                }
                Source::Plan => {
                    row.max_points = Some(c.max);
                    let Some(r) = c.from.as_ref().and_then(|f| f.plan()) else {
                        continue;
                    };
                    match plans.0.get(&(unit.to_string(), r.plan.clone())) {
                        Some(Some(share)) => row.points = Some(c.max * share),
                        Some(None) => row.flag = Flags::of(FlagKind::NoData),
                        None => row.flag = Flags::of(FlagKind::NoPlan),
                    }
                }
                Source::Records => {
                    row.max_points = Some(c.max);
                    match records.flatten() {
                        Some(RecordRate::Share(share)) => row.points = Some(c.max * share),
                        _ => row.flag = Flags::of(FlagKind::NoRecords),
                    }
                }
                Source::Survey => {
                    row.max_points = Some(c.max);
                    let Some(r) = c.from.as_ref().and_then(|f| f.survey()) else {
                        continue;
                    };
                    match surveys.figure(unit, r) {
                        Some(f) if f.estimate.is_finite() => {
                            row.points = Some(c.max * f.estimate / 100.0);
                            row.se = c.max * f.se / 100.0;
                            row.flag = f.flag;
                            survey_terms
                                .entry(r.survey.as_str())
                                .or_default()
                                .push((r, c.max / 100.0));
                        }
                        Some(f) => {
                            row.flag = if f.flag.is_empty() {
                                Flags::of(FlagKind::NoData)
                            } else {
                                f.flag
                            };
                        }
                        None => row.flag = Flags::of(FlagKind::NoSurvey),
                    }
                }
            }
            if !row.flag.is_empty() {
                flags.extend_scoped(&c.code, &row.flag);
            }
            match (row.points, leaf.source) {
                (Some(p), Source::Bonus) => bonus += p,
                (Some(p), Source::Penalty) => penalty -= p,
                (Some(p), _) => sum += p,
                (None, _) => complete = false,
            }
            max += row.max_points.unwrap_or(0.0);
            points.push(row);
        }
        sum += method.bonus_cap.map_or(bonus, |c| bonus.min(c));
        sum -= method.penalty_cap.map_or(penalty, |c| penalty.min(c));
        // Surveys are independent samples: their variances add. (Starts at +0.0.)
        let var: Option<f64> = survey_terms.values().try_fold(0.0, |acc, terms| {
            surveys.variance(unit, terms).map(|v| acc + v)
        });
        let index = (complete && max > 0.0).then(|| sum / max * 100.0);
        if max <= 0.0 {
            flags.push(FlagKind::NoApplicableCriteria);
        }
        let se = var.map_or(f64::NAN, |v| v.sqrt() / max * 100.0);
        totals.push(TotalRow {
            unit_id: unit.to_string(),
            points: complete.then_some(sum),
            max_points: max,
            index_pct: index,
            se: if index.is_some() { se } else { f64::NAN },
            ci_low: index.map(|i| i - z * se),
            ci_high: index.map(|i| i + z * se),
            band: index.map(|i| method.band(round_to(i, method.decimals)).code.clone()),
            rank: None,
            rank_low: None,
            rank_high: None,
            flag: flags,
        });
    }
    rank(method, &mut totals, seed);
    ParResult { points, totals }
}

/// Ranks the units with an index (on the index as published, rounded to the display
/// decimals) and simulates their rank intervals: each draw takes every unit's index from
/// N(index, se²) — the totals are linear in the survey estimates, and units are disjoint
/// domains, so this is the joint sampling distribution the survey figures imply — and ranks
/// them; the interval is the (1 − level)/2 and (1 + level)/2 quantiles of a unit's ranks.
fn rank(method: &ParMethod, totals: &mut [TotalRow], seed: u64) {
    let ranked: Vec<usize> = (0..totals.len())
        .filter(|&i| totals[i].index_pct.is_some())
        .collect();
    if ranked.is_empty() {
        return;
    }
    let shown: Vec<f64> = ranked
        .iter()
        .map(|&i| round_to(totals[i].index_pct.unwrap_or(0.0), method.decimals))
        .collect();
    for (&i, r) in ranked.iter().zip(competition_ranks(&shown)) {
        totals[i].rank = Some(r);
    }
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    let draws = method.simulations;
    let mut by_unit: Vec<Vec<usize>> = vec![Vec::with_capacity(draws); ranked.len()];
    let mut x = vec![0.0; ranked.len()];
    for _ in 0..draws {
        for (k, &i) in ranked.iter().enumerate() {
            let t = &totals[i];
            let z: f64 = StandardNormal.sample(&mut rng);
            let se = if t.se.is_finite() { t.se } else { 0.0 };
            x[k] = t.index_pct.unwrap_or(0.0) + se * z;
        }
        for (k, r) in competition_ranks(&x).into_iter().enumerate() {
            by_unit[k].push(r);
        }
    }
    let alpha = 1.0 - method.ci_level;
    // Type-1 (inverse empirical distribution) quantile: the ⌈N·p⌉-th smallest.
    let q = |v: &[usize], p: f64| v[((draws as f64 * p).ceil() as usize).clamp(1, draws) - 1];
    for (k, &i) in ranked.iter().enumerate() {
        by_unit[k].sort_unstable();
        totals[i].rank_low = Some(q(&by_unit[k], alpha / 2.0));
        totals[i].rank_high = Some(q(&by_unit[k], 1.0 - alpha / 2.0));
    }
}

#[cfg(test)]
mod tests {
    //! Worked by hand: a two-area methodology, units with assessment points, appraisals, NA,
    //! survey figures (independent, so a total's variance is Σ (max/100)² · se²), bonus and
    //! penalty caps, and ties.
    use super::*;
    use crate::par::assessment::Entry;

    const METHOD: &str = r#"
        id = "t"
        title_vi = "t"
        title_en = "t"
        basis = "test"
        decimals = 2
        ci_level = 0.95
        simulations = 2000
        seed = 1
        bonus_cap = 1.5
        penalty_cap = 2
        bands = [
          { code = "A", min = 90, vi = "a", en = "a" },
          { code = "B", min = 80, vi = "b", en = "b" },
          { code = "C", min = 70, vi = "c", en = "c" },
          { code = "D", vi = "d", en = "d" },
        ]
        [[areas]]
        code = "1"
        vi = "1"
        en = "1"
        max = 10
        criteria = [
          { code = "1.1", max = 4, source = "assessment", vi = "", en = "" },
          { code = "1.2", max = 6, vi = "", en = "", components = [
            { code = "1.2.1", max = 3, source = "assessment", vi = "", en = "" },
            { code = "1.2.2", max = 3, source = "assessment", vi = "", en = "" },
          ] },
          { code = "1.3", max = 1, source = "bonus", vi = "", en = "" },
          { code = "1.4", max = 1, source = "bonus", vi = "", en = "" },
          { code = "1.5", max = 2, source = "penalty", vi = "", en = "" },
          { code = "1.6", max = 2, source = "penalty", vi = "", en = "" },
        ]
        [[areas]]
        code = "2"
        vi = "2"
        en = "2"
        max = 10
        criteria = [
          { code = "2.1", max = 6, source = "survey", vi = "", en = "", from = { survey = "s1", level = "overall", code = "overall", measure = "satisfied_pct" } },
          { code = "2.2", max = 4, source = "survey", vi = "", en = "", from = { survey = "s2", level = "element", code = "E", measure = "satisfied_pct" } },
        ]
    "#;

    /// Figures by (unit, survey); surveys independent of each other.
    struct Fake(BTreeMap<(String, String), Figure>);

    impl Surveys for Fake {
        fn figure(&self, unit: &str, r: &SurveyRef) -> Option<Figure> {
            self.0.get(&(unit.to_string(), r.survey.clone())).cloned()
        }
        fn variance(&self, unit: &str, terms: &[(&SurveyRef, f64)]) -> Option<f64> {
            terms
                .iter()
                .map(|(r, a)| self.figure(unit, r).map(|f| (a * f.se).powi(2)))
                .sum()
        }
    }

    fn fig(estimate: f64, se: f64, flag: &str) -> Figure {
        Figure {
            estimate,
            se,
            flag: match flag {
                "low_n" => Flags::of(FlagKind::LowN),
                "" => Flags::none(),
                other => panic!("no such test flag {other}"),
            },
        }
    }

    /// `rows`: (unit, criterion, self, appraised); self None = NA.
    fn assessment(rows: &[(&str, &str, Option<f64>, Option<f64>)]) -> Assessment {
        let mut a = Assessment::default();
        for (i, (u, c, s, ap)) in rows.iter().enumerate() {
            let score = match s {
                None => Score::NotApplicable,
                Some(s) => Score::Points {
                    self_score: *s,
                    appraised: *ap,
                },
            };
            a.entries.insert(
                (u.to_string(), c.to_string()),
                Entry {
                    score,
                    note: String::new(),
                    line: i as u64 + 2,
                },
            );
        }
        a
    }

    fn method() -> ParMethod {
        ParMethod::from_toml("t.toml", METHOD).expect("a valid methodology")
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    fn run() -> ParResult {
        let a = assessment(&[
            // U1: assessment only (both survey criteria NA); 1.2.1 appraised down to 1.5.
            ("U1", "1.1", Some(3.0), None),
            ("U1", "1.2.1", Some(2.0), Some(1.5)),
            ("U1", "1.2.2", Some(3.0), None),
            ("U1", "2.1", None, None),
            ("U1", "2.2", None, None),
            // U2: appraisal overrides 1.1; 1.2.1 not applicable; both surveys.
            ("U2", "1.1", Some(4.0), Some(3.5)),
            ("U2", "1.2.1", None, None),
            ("U2", "1.2.2", Some(3.0), None),
            // U3: full marks, bonus 2 capped at 1.5, penalty 3 capped at 2.
            ("U3", "1.1", Some(4.0), None),
            ("U3", "1.2.1", Some(3.0), None),
            ("U3", "1.2.2", Some(3.0), None),
            ("U3", "1.3", Some(1.0), None),
            ("U3", "1.4", Some(1.0), None),
            ("U3", "1.5", Some(2.0), None),
            ("U3", "1.6", Some(1.0), None),
            // U4: ties U1 at 75 %.
            ("U4", "1.1", Some(3.5), Some(3.0)),
            ("U4", "1.2.1", Some(1.5), None),
            ("U4", "1.2.2", Some(3.0), None),
            ("U4", "2.1", None, None),
            ("U4", "2.2", None, None),
            // U5: no respondents in s2 → no total.
            ("U5", "1.1", Some(4.0), None),
            ("U5", "1.2.1", Some(3.0), None),
            ("U5", "1.2.2", Some(3.0), None),
            // U6: s1 figure flagged low_n; s2 NA.
            ("U6", "1.1", Some(1.0), None),
            ("U6", "1.2.1", Some(1.0), None),
            ("U6", "1.2.2", Some(1.0), None),
            ("U6", "2.2", None, None),
        ]);
        let s = |u: &str, s: &str| (u.to_string(), s.to_string());
        let surveys = Fake(BTreeMap::from([
            (s("U2", "s1"), fig(80.0, 2.0, "")),
            (s("U2", "s2"), fig(50.0, 5.0, "")),
            (s("U3", "s1"), fig(90.0, 0.0, "")),
            (s("U3", "s2"), fig(100.0, 0.0, "")),
            (s("U5", "s1"), fig(70.0, 3.0, "")),
            (s("U6", "s1"), fig(60.0, 10.0, "low_n")),
        ]));
        compute(&method(), &a, &only(&surveys), 7)
    }

    /// Inputs with survey figures only.
    fn only(surveys: &dyn Surveys) -> Inputs<'_> {
        static NONE: std::sync::LazyLock<(PlanShares, RecordRates)> =
            std::sync::LazyLock::new(Default::default);
        Inputs {
            surveys,
            plans: &NONE.0,
            records: &NONE.1,
        }
    }

    fn total<'a>(r: &'a ParResult, unit: &str) -> &'a TotalRow {
        r.totals
            .iter()
            .find(|t| t.unit_id == unit)
            .expect("a total per unit")
    }

    fn point<'a>(r: &'a ParResult, unit: &str, c: &str) -> &'a PointRow {
        r.points
            .iter()
            .find(|p| p.unit_id == unit && p.criterion == c)
            .expect("a row per unit and criterion")
    }

    #[test]
    fn assessment_only_total_with_appraisal_and_not_applicable() {
        let r = run();
        // U1: 3 + 1.5 (appraised) + 3 = 7.5 of 4 + 3 + 3 = 10 → 75 %, no sampling error.
        let t = total(&r, "U1");
        assert_eq!((t.points, t.max_points), (Some(7.5), 10.0));
        assert_eq!(t.index_pct, Some(75.0));
        assert_eq!((t.se, t.ci_low, t.ci_high), (0.0, Some(75.0), Some(75.0)));
        assert_eq!(t.band.as_deref(), Some("C"));
        assert_eq!(point(&r, "U1", "1.2.1").points, Some(1.5));
        let na = point(&r, "U1", "2.1");
        assert_eq!(
            (na.points, na.max_points, na.flag.to_string().as_str()),
            (None, None, "not_applicable")
        );
        assert_eq!(t.flag.to_string(), "");
    }

    #[test]
    fn survey_points_and_their_standard_error() {
        let r = run();
        // U2: 1.1 appraised 3.5; 1.2.1 NA; 1.2.2 3; 2.1 = 6 × 80 / 100 = 4.8 (se 6 × 2 / 100 =
        // 0.12); 2.2 = 4 × 50 / 100 = 2 (se 0.2). Points 13.3 of 4 + 3 + 6 + 4 = 17.
        let p = point(&r, "U2", "2.1");
        assert!(close(p.points.unwrap_or(f64::NAN), 4.8) && close(p.se, 0.12));
        let t = total(&r, "U2");
        assert!(close(t.points.unwrap_or(f64::NAN), 13.3), "{t:?}");
        assert_eq!(t.max_points, 17.0);
        let index = 13.3 / 17.0 * 100.0;
        assert!(close(t.index_pct.unwrap_or(f64::NAN), index));
        // se(index) = √(0.12² + 0.2²) / 17 × 100; the interval ± 1.959963984540054 se.
        let se = (0.12f64.powi(2) + 0.2f64.powi(2)).sqrt() / 17.0 * 100.0;
        assert!(close(t.se, se), "{} vs {se}", t.se);
        assert!(close(
            t.ci_low.unwrap_or(f64::NAN),
            index - 1.959963984540054 * se
        ));
        assert!(close(
            t.ci_high.unwrap_or(f64::NAN),
            index + 1.959963984540054 * se
        ));
        assert_eq!(t.band.as_deref(), Some("C"));
    }

    #[test]
    fn bonus_and_penalty_within_their_caps() {
        let r = run();
        // U3: 10 assessed + 5.4 + 4 survey + bonus min(1 + 1, 1.5) − penalty min(2 + 1, 2)
        // = 18.9 of 20 → 94.5 %, band A. Bonus and penalty add no maximum.
        let t = total(&r, "U3");
        assert!(close(t.points.unwrap_or(f64::NAN), 18.9), "{t:?}");
        assert_eq!(t.max_points, 20.0);
        assert!(close(t.index_pct.unwrap_or(f64::NAN), 94.5));
        assert_eq!(t.band.as_deref(), Some("A"));
        assert_eq!(point(&r, "U3", "1.5").points, Some(-2.0));
        assert_eq!(point(&r, "U3", "1.3").max_points, Some(0.0));
    }

    #[test]
    fn flagged_and_missing_survey_figures_are_never_a_silent_zero() {
        let r = run();
        // U5 has no s2 respondents: 2.2 has no points, the total none, no rank.
        let p = point(&r, "U5", "2.2");
        assert_eq!((p.points, p.flag.to_string().as_str()), (None, "no_survey"));
        let t = total(&r, "U5");
        assert_eq!(
            (t.points, t.index_pct, t.rank, t.band.clone()),
            (None, None, None, None)
        );
        assert_eq!(t.flag.to_string(), "2.2:no_survey");
        // U6: the low-n figure still gives points (6 × 60 / 100 = 3.6), flagged with its total.
        let p = point(&r, "U6", "2.1");
        assert_eq!(p.flag.to_string(), "low_n");
        assert!(close(p.points.unwrap_or(f64::NAN), 3.6));
        let t = total(&r, "U6");
        assert_eq!(t.flag.to_string(), "2.1:low_n");
        assert!(close(t.index_pct.unwrap_or(f64::NAN), 6.6 / 16.0 * 100.0));
    }

    #[test]
    fn ties_share_the_better_rank() {
        let r = run();
        // 94.5 (U3), 78.24 (U2), 75 (U1), 75 (U4), 41.25 (U6); U5 unranked.
        let ranks: Vec<_> = ["U1", "U2", "U3", "U4", "U5", "U6"]
            .iter()
            .map(|u| total(&r, u).rank)
            .collect();
        assert_eq!(ranks, [Some(3), Some(2), Some(1), Some(3), None, Some(5)]);
        assert_eq!(
            competition_ranks(&[5.0, 7.0, 7.0, 1.0, 7.0]),
            [4, 1, 1, 5, 1]
        );
        // U3 and U6 are far from the others: their rank cannot move.
        assert_eq!(
            (total(&r, "U3").rank_low, total(&r, "U3").rank_high),
            (Some(1), Some(1))
        );
        assert_eq!(
            (total(&r, "U6").rank_low, total(&r, "U6").rank_high),
            (Some(5), Some(5))
        );
        // Same inputs and seed, same output (compared as text: a missing se is NaN).
        assert_eq!(format!("{:?}", run()), format!("{r:?}"));
    }

    #[test]
    fn rank_interval_of_two_indistinguishable_units_spans_both_ranks() {
        // Two units at 60 % with a 10-point se each: each is first half of the time.
        let a = assessment(&[
            ("X", "1.1", Some(0.0), None),
            ("X", "1.2.1", None, None),
            ("X", "1.2.2", None, None),
            ("X", "2.2", None, None),
            ("Y", "1.1", Some(0.0), None),
            ("Y", "1.2.1", None, None),
            ("Y", "1.2.2", None, None),
            ("Y", "2.2", None, None),
        ]);
        // X: 0 of 4 plus 6 × p: p = 100 gives 6 of 10 = 60 %.
        let surveys = Fake(BTreeMap::from([
            (("X".to_string(), "s1".to_string()), fig(100.0, 16.0, "")),
            (("Y".to_string(), "s1".to_string()), fig(100.0, 16.0, "")),
        ]));
        let r = compute(&method(), &a, &only(&surveys), 3);
        for u in ["X", "Y"] {
            let t = total(&r, u);
            assert_eq!(t.index_pct, Some(60.0));
            assert_eq!(t.rank, Some(1));
            assert_eq!((t.rank_low, t.rank_high), (Some(1), Some(2)));
        }
        // A different seed gives a different simulation but the same intervals here.
        assert_eq!(
            compute(&method(), &a, &only(&surveys), 4).totals[0].rank_high,
            Some(2)
        );
    }
}
