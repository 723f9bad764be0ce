//! The t and normal distributions, computed the same to the last bit on every platform.
//!
//! The standard library's `ln` and `exp` call the platform's math library (glibc on Linux,
//! mingw-w64's on Windows), which differ in the last bit now and then; so do statrs' t and
//! normal distributions built on them, and an interval or p-value printed at full precision then
//! differs between `chiso` and `chiso.exe`. These use the `libm` crate (a port of musl's math
//! library, pure Rust) instead, and only arithmetic besides; they are checked against statrs
//! (and t tables) in the tests below.

/// ln Γ(x) for x > 0.
fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// The continued fraction of the regularized incomplete beta function (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let nonzero = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / nonzero(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=1000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 / nonzero(1.0 + aa * d);
        c = nonzero(1.0 + aa / c);
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 / nonzero(1.0 + aa * d);
        c = nonzero(1.0 + aa / c);
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// The regularized incomplete beta function I_x(a, b).
fn beta_reg(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = libm::exp(
        ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * libm::log(x) + b * libm::log1p(-x),
    );
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

/// P(|T| ≥ |t|) for Student's t with `df` degrees of freedom: the two-sided p-value.
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return 0.0;
    }
    beta_reg(df / 2.0, 0.5, df / (df + t * t))
}

/// The t > 0 at which `tail(t)` (decreasing from 1 at 0) falls to `alpha`, by bisection to
/// the last bit: the same steps, so the same result, everywhere.
fn solve_tail(alpha: f64, tail: impl Fn(f64) -> f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while tail(hi) > alpha && hi < 1e300 {
        lo = hi;
        hi *= 2.0;
    }
    for _ in 0..2000 {
        let mid = lo + (hi - lo) / 2.0;
        if mid <= lo || mid >= hi {
            break;
        }
        if tail(mid) > alpha {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// The two-sided t quantile: t such that P(|T| ≥ t) = 1 − level.
pub fn t_two_sided_quantile(level: f64, df: f64) -> f64 {
    solve_tail(1.0 - level, |t| t_two_sided_p(t, df))
}

/// The two-sided normal quantile: z such that P(|Z| ≥ z) = 1 − level.
pub fn normal_two_sided_quantile(level: f64) -> f64 {
    solve_tail(1.0 - level, |z| libm::erfc(z / std::f64::consts::SQRT_2))
}

/// ln(x), as `libm` computes it.
pub fn ln(x: f64) -> f64 {
    libm::log(x)
}

/// e^x, as `libm` computes it.
pub fn exp(x: f64) -> f64 {
    libm::exp(x)
}

#[cfg(test)]
mod tests {
    //! Checked against statrs (an independent implementation) over a grid, and t tables.
    use super::*;
    use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn two_sided_p_values_agree_with_statrs() {
        for df in [
            1.0, 2.0, 3.0, 4.0, 7.0, 10.0, 29.0, 30.0, 120.0, 1000.0, 36_524.0,
        ] {
            for t in [0.0, 0.01, 0.5, 1.0, 1.96, 2.5, 3.0, 5.0, 10.0, 40.0] {
                let ours = t_two_sided_p(t, df);
                let dist = StudentsT::new(0.0, 1.0, df).expect("a t distribution");
                let theirs = 2.0 * dist.cdf(-t);
                let tol = if theirs > 1e-12 { 1e-10 } else { 1e-6 };
                assert!(
                    close(ours, theirs, tol),
                    "t = {t}, df = {df}: {ours} vs {theirs}"
                );
            }
        }
        assert_eq!(t_two_sided_p(0.0, 5.0), 1.0);
        assert_eq!(t_two_sided_p(f64::INFINITY, 5.0), 0.0);
        assert!(t_two_sided_p(1.0, 0.0).is_nan());
    }

    #[test]
    fn quantiles_agree_with_statrs_and_tables() {
        for df in [1.0, 2.0, 5.0, 10.0, 30.0, 200.0] {
            for level in [0.5, 0.8, 0.9, 0.95, 0.99, 0.999] {
                let ours = t_two_sided_quantile(level, df);
                let dist = StudentsT::new(0.0, 1.0, df).expect("a t distribution");
                let theirs = dist.inverse_cdf(1.0 - (1.0 - level) / 2.0);
                assert!(
                    close(ours, theirs, 1e-9),
                    "level {level}, df {df}: {ours} vs {theirs}"
                );
            }
        }
        // Values from mpmath (betainc and findroot at mp.dps = 40, rounded to 17 digits), where statrs' own
        // inversion stops short (it gives 0.6744964607 for the first).
        for (level, df, want) in [
            (0.5, 36_524.0, 0.674_496_467_343_779_8),
            (0.95, 36_524.0, 1.960_028_937_680_732_5),
            (0.5, 10.0, 0.699_812_061_312_431_7),
        ] {
            let ours = t_two_sided_quantile(level, df);
            assert!(
                close(ours, want, 1e-10),
                "level {level}, df {df}: {ours} vs {want}"
            );
        }
        assert!(close(
            t_two_sided_p(2.5, 29.0),
            0.018_325_344_338_426_076,
            1e-12
        ));
        assert!(close(
            t_two_sided_p(40.0, 1000.0),
            1.047_885_215_517_336_1e-209,
            1e-9
        ));
        // Published tables: t(0.975; 10) = 2.228139, t(0.975; 1) = 12.706205.
        assert!((t_two_sided_quantile(0.95, 10.0) - 2.228_138_851_986_274).abs() < 1e-11);
        assert!((t_two_sided_quantile(0.95, 1.0) - 12.706_204_736_174_7).abs() < 1e-9);
        for level in [0.5, 0.9, 0.95, 0.99, 0.9999] {
            let ours = normal_two_sided_quantile(level);
            let theirs = Normal::standard().inverse_cdf(0.5 + level / 2.0);
            assert!(
                close(ours, theirs, 1e-12),
                "level {level}: {ours} vs {theirs}"
            );
        }
        assert!((normal_two_sided_quantile(0.95) - 1.959_963_984_540_054).abs() < 1e-14);
    }
}
