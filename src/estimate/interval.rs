//! Confidence intervals: logit and Wilson for proportions, Wald with a t quantile for means.

use super::dist;
use crate::methodology::CiMethod;

/// The two-sided t quantile for `level` with `df` degrees of freedom (None when df < 1).
pub fn t_quantile(level: f64, df: i64) -> Option<f64> {
    if df < 1 {
        return None;
    }
    Some(dist::t_two_sided_quantile(level, df as f64))
}

/// The two-sided normal quantile for `level` (1.959963984540054 at 0.95).
pub fn normal_quantile(level: f64) -> f64 {
    dist::normal_two_sided_quantile(level)
}

/// Interval for a mean: estimate ± t·se.
pub fn wald(est: f64, se: f64, t: f64) -> (f64, f64) {
    (est - t * se, est + t * se)
}

/// Interval for a proportion `p` (0–1) with standard error `se`.
///
/// Logit, as R's `svyciprop(method = "logit")`: logit(p) ± t·se/(p(1 − p)), back-transformed.
/// Wilson: the score interval with the effective sample size p(1 − p)/se² and t for z.
/// At p = 0 or 1 both collapse to [p, p].
pub fn proportion(method: CiMethod, p: f64, se: f64, t: f64) -> (f64, f64) {
    if p <= 0.0 || p >= 1.0 || se <= 0.0 {
        return (p, p);
    }
    match method {
        CiMethod::Logit => {
            let l = dist::ln(p / (1.0 - p));
            let h = t * se / (p * (1.0 - p));
            (expit(l - h), expit(l + h))
        }
        CiMethod::Wilson => {
            let n = p * (1.0 - p) / (se * se);
            let t2 = t * t;
            let centre = (p + t2 / (2.0 * n)) / (1.0 + t2 / n);
            let half = t / (1.0 + t2 / n) * (p * (1.0 - p) / n + t2 / (4.0 * n * n)).sqrt();
            (centre - half, centre + half)
        }
    }
}

fn expit(x: f64) -> f64 {
    1.0 / (1.0 + dist::exp(-x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Published t tables: t(0.975; 10) = 2.228139, t(0.975; 1) = 12.706205.
        assert!((t_quantile(0.95, 10).unwrap_or(0.0) - 2.228_138_851_986_274).abs() < 1e-9);
        assert!((t_quantile(0.95, 1).unwrap_or(0.0) - 12.706_204_736_174_7).abs() < 1e-7);
        assert_eq!(t_quantile(0.95, 0), None);
    }

    #[test]
    fn logit_interval_by_hand() {
        // p = 0.8, se = 0.05, t = 2: logit = ln 4 = 1.386294; half-width 2·0.05/0.16 = 0.625.
        // expit(0.761294) = 0.681635, expit(2.011294) = 0.881978.
        let (lo, hi) = proportion(CiMethod::Logit, 0.8, 0.05, 2.0);
        assert!((lo - 0.681_634_69).abs() < 1e-6, "{lo}");
        assert!((hi - 0.881_977_82).abs() < 1e-6, "{hi}");
    }

    #[test]
    fn wilson_interval_by_hand() {
        // p = 0.8, se = 0.04 → n = 0.16/0.0016 = 100; z = 1.96 (the classic Wilson for 80/100):
        // centre = (0.8 + 0.019208)/(1.038416) = 0.788910; half = 1.96/1.038416 ·
        // √(0.0016 + 0.00009604) = 0.077732 → [0.711178, 0.866642].
        let (lo, hi) = proportion(CiMethod::Wilson, 0.8, 0.04, 1.96);
        assert!((lo - 0.711_178).abs() < 1e-5, "{lo}");
        assert!((hi - 0.866_642).abs() < 1e-5, "{hi}");
    }
}
