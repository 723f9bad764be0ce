//! Taylor-linearised variance of a domain estimate from per-PSU totals of its influence values.
//!
//! With strata h, PSUs i in h (n_h of them in the whole design), and Z_hi the PSU total of the
//! weighted influence values of the domain's respondents (0 for a PSU without any),
//!
//! ```text
//! V = Σ_h (1 − f_h) · n_h / (n_h − 1) · Σ_i (Z_hi − Z̄_h)²,   Z̄_h = Σ_i Z_hi / n_h
//! ```
//!
//! which is what R's `survey` package computes for `svyby`/`subset` domains (`onestrat` pads a
//! domain's PSUs with zero rows up to the design's n_h). A stratum with one PSU follows the
//! methodology's lonely-PSU policy, as `options(survey.lonely.psu)`.

use thiserror::Error;

use crate::methodology::LonelyPsu;

#[derive(Debug, Error)]
pub enum DesignError {
    #[error("{}", crate::msg!("design.lonely_psu", stratum = _0))]
    LonelyPsu(String),
    #[error("{}", crate::msg!("design.fpc_varies", stratum = stratum, a = a, b = b))]
    FpcVaries { stratum: String, a: f64, b: f64 },
    #[error("{}", crate::msg!("design.fpc_too_small", stratum = stratum, fpc = fpc, n = n))]
    FpcTooSmall { stratum: String, fpc: f64, n: usize },
}

/// The sampling design, stratum by stratum.
#[derive(Debug, Clone)]
pub struct Design {
    pub strata: Vec<Stratum>,
    pub lonely: LonelyPsu,
    /// PSUs minus strata of the whole design: its degrees of freedom.
    pub df: i64,
}

#[derive(Debug, Clone)]
pub struct Stratum {
    pub name: String,
    /// PSUs sampled in the stratum, in the whole design.
    pub n_psu: usize,
    /// Finite population correction factor 1 − f_h (1 without fpc).
    pub fpc_factor: f64,
}

impl Design {
    /// `n_psu[h]` PSUs in stratum h; `fpc[h]` the stratum's fpc if given (population PSUs ≥ 1,
    /// or a sampling fraction ≤ 1).
    pub fn new(
        names: Vec<String>,
        n_psu: Vec<usize>,
        fpc: Vec<Option<f64>>,
        lonely: LonelyPsu,
    ) -> Result<Design, DesignError> {
        let mut strata = Vec::with_capacity(names.len());
        for ((name, n), fpc) in names.into_iter().zip(n_psu).zip(fpc) {
            if n == 1 && lonely == LonelyPsu::Fail {
                return Err(DesignError::LonelyPsu(name));
            }
            let fpc_factor = match fpc {
                None => 1.0,
                Some(f) if f <= 1.0 => 1.0 - f,
                Some(pop) if pop >= n as f64 => (pop - n as f64) / pop,
                Some(pop) => {
                    return Err(DesignError::FpcTooSmall {
                        stratum: name,
                        fpc: pop,
                        n,
                    });
                }
            };
            strata.push(Stratum {
                name,
                n_psu: n,
                fpc_factor,
            });
        }
        let psus: usize = strata.iter().map(|s| s.n_psu).sum();
        let df = psus as i64 - strata.len() as i64;
        Ok(Design { strata, lonely, df })
    }

    /// Variance from the PSU totals `z` of one domain; `stratum[i]` is PSU i's stratum index.
    /// PSUs of the design that hold none of the domain's respondents are simply absent.
    pub fn variance(&self, stratum: &[usize], z: &[f64]) -> f64 {
        let mut s1 = vec![0.0; self.strata.len()];
        let mut s2 = vec![0.0; self.strata.len()];
        for (&h, &zi) in stratum.iter().zip(z) {
            s1[h] += zi;
            s2[h] += zi * zi;
        }
        let mut v = 0.0;
        for (h, st) in self.strata.iter().enumerate() {
            let n = st.n_psu as f64;
            v += if st.n_psu > 1 {
                st.fpc_factor * n / (n - 1.0) * (s2[h] - s1[h] * s1[h] / n)
            } else {
                match self.lonely {
                    // Centred at the population mean of the influence values, which is 0.
                    LonelyPsu::Adjust => st.fpc_factor * s2[h],
                    LonelyPsu::Remove | LonelyPsu::Certainty | LonelyPsu::Fail => 0.0,
                }
            };
        }
        v.max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variance_matches_a_hand_calculation() {
        // Two strata. h0: 3 PSUs, domain totals 1, 2 and (absent) 0; h1: 2 PSUs, 4 and 0.
        // h0: mean 1, Σ(z − 1)² = 0 + 1 + 1 = 2, × 3/2 = 3.
        // h1: mean 2, Σ(z − 2)² = 4 + 4 = 8, × 2/1 = 16. Total 19.
        let d = Design::new(
            vec!["a".into(), "b".into()],
            vec![3, 2],
            vec![None, None],
            LonelyPsu::Fail,
        );
        let d = d.expect("a valid design");
        assert_eq!(d.df, 3);
        let v = d.variance(&[0, 0, 1], &[1.0, 2.0, 4.0]);
        assert!((v - 19.0).abs() < 1e-12, "{v}");
    }

    #[test]
    fn fpc_and_lonely_psu_policies() {
        // fpc: 10 PSUs in h0's population, 3 sampled → factor 0.7; h1 a sampling fraction 0.25.
        let d = Design::new(
            vec!["a".into(), "b".into()],
            vec![3, 2],
            vec![Some(10.0), Some(0.25)],
            LonelyPsu::Fail,
        );
        let v = d.map(|d| d.variance(&[0, 0, 1], &[1.0, 2.0, 4.0]));
        assert!(v.is_ok_and(|v| (v - (0.7 * 3.0 + 0.75 * 16.0)).abs() < 1e-12));
        let lonely = |p| {
            Design::new(
                vec!["a".into(), "b".into()],
                vec![2, 1],
                vec![None, None],
                p,
            )
        };
        assert!(matches!(lonely(LonelyPsu::Fail), Err(DesignError::LonelyPsu(s)) if s == "b"));
        // h0: totals 1 and 3, mean 2, Σ = 2, × 2 = 4; lonely h1 total 5.
        let v = |p| {
            lonely(p)
                .map(|d| d.variance(&[0, 0, 1], &[1.0, 3.0, 5.0]))
                .unwrap_or(f64::NAN)
        };
        assert_eq!(v(LonelyPsu::Remove), 4.0);
        assert_eq!(v(LonelyPsu::Certainty), 4.0);
        assert_eq!(v(LonelyPsu::Adjust), 4.0 + 25.0);
    }
}
