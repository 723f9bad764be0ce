//! Population weights: post-stratification and raking of the design weights to a frame of
//! population counts, and the standard errors of the calibrated estimators — as R's `survey`
//! package computes them (`postStratify`, `rake`, then `svymean`/`svyratio`).
//!
//! Respondents fall into joint cells: one per combination of the frames' grouping values. The
//! calibrated weight of a respondent is its design weight times its joint cell's factor G_j:
//!
//! - post-stratification: G_j = N_c / N̂_c, the population of the frame cell c holding j over
//!   its weighted count;
//! - raking: the same, margin after margin, repeated until every margin's weighted counts are
//!   within 1e-10 (relative) of its population.
//!
//! Variances use the influence values of the calibrated estimator: before the design's PSU
//! totals are formed, the influence values e_k (zero outside the domain) are residualised on
//! the cells, as `svyrecvar` does:
//!
//! - post-stratification: e_k − ē_c, ē_c = Σ_c w·e / Σ_c w, the weighted mean over the cell;
//! - raking: ten sweeps over the margins of e_k − ē_c with the plain mean ē_c = Σ_c e / n_c.
//!
//! Both subtract a constant per joint cell, so a domain's PSU totals follow from its sums per
//! joint cell and each PSU's weight per joint cell.

use thiserror::Error;

/// A population frame: the population of each cell of one or more grouping columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The file it was read from, as given.
    pub file: String,
    /// SHA-256 of the file's bytes, so that a figure can be traced to the frame used.
    pub sha256: String,
    /// The grouping columns (stored column names: `unit_id`, `gender`, ...).
    pub columns: Vec<String>,
    /// Each cell's values (in the order of `columns`) and population.
    pub cells: Vec<(Vec<String>, f64)>,
}

/// How the design weights are adjusted before scoring.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Weighting {
    /// The design weights as stored.
    #[default]
    Design,
    /// Post-stratified to one frame (R's `postStratify`).
    PostStratify(Frame),
    /// Raked to several margins, one frame each (R's `rake`).
    Rake(Vec<Frame>),
}

impl Weighting {
    /// The frames used, in order.
    pub fn frames(&self) -> &[Frame] {
        match self {
            Weighting::Design => &[],
            Weighting::PostStratify(f) => std::slice::from_ref(f),
            Weighting::Rake(fs) => fs,
        }
    }

    /// `design`, `poststratify` or `rake`.
    pub fn name(&self) -> &'static str {
        match self {
            Weighting::Design => "design",
            Weighting::PostStratify(_) => "poststratify",
            Weighting::Rake(_) => "rake",
        }
    }

    /// Every grouping column the frames use, each once, in order of appearance.
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for f in self.frames() {
            for c in &f.columns {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        }
        out
    }
}

#[derive(Debug, Error, PartialEq)]
pub enum CalibrationError {
    #[error("{}", crate::msg!("calibrate.no_population", file = file, cell = cell, n = n))]
    NoPopulation {
        file: String,
        cell: String,
        n: usize,
    },
    #[error("{}", crate::msg!("calibrate.no_respondents", file = file, cell = cell, population = population))]
    NoRespondents {
        file: String,
        cell: String,
        population: f64,
    },
    #[error("{}", crate::msg!("calibrate.not_converged", sweeps = sweeps))]
    NotConverged { sweeps: usize },
}

/// The joint cells and what calibration needs of them.
#[derive(Debug, Clone)]
pub struct Cells {
    /// Per margin (one for post-stratification): the margin cell of each joint cell.
    margin_of: Vec<Vec<usize>>,
    /// Per margin: how many margin cells it has.
    margin_len: Vec<usize>,
    /// The factor of each joint cell's design weights.
    pub factor: Vec<f64>,
    rake: bool,
}

/// Sweeps of raking before giving up.
const MAX_SWEEPS: usize = 1000;
/// Raking stops when every margin total is this close (relative) to its population.
const TOLERANCE: f64 = 1e-10;
/// Sweeps of the margins in the variance of a raked estimator (as `svyrecvar`).
const VARIANCE_SWEEPS: usize = 10;

fn describe(columns: &[String], values: &[String]) -> String {
    columns
        .iter()
        .zip(values)
        .map(|(c, v)| format!("{c} = \"{v}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Cells {
    /// The joint cells `keys` (values of `columns`, one entry per joint cell) with their
    /// weighted counts `w0` (design weights) and respondent counts `n`, calibrated to the
    /// frames of `weighting`.
    pub fn new(
        weighting: &Weighting,
        columns: &[String],
        keys: &[Vec<String>],
        w0: &[f64],
        n: &[usize],
    ) -> Result<Cells, CalibrationError> {
        let frames = weighting.frames();
        let mut margin_of = Vec::with_capacity(frames.len());
        let mut margin_len = Vec::with_capacity(frames.len());
        let mut population = Vec::with_capacity(frames.len());
        for f in frames {
            let pos: Vec<usize> = f
                .columns
                .iter()
                .map(|c| columns.iter().position(|x| x == c).unwrap_or(0))
                .collect();
            let mut of = Vec::with_capacity(keys.len());
            let mut counts = vec![0usize; f.cells.len()];
            for (j, key) in keys.iter().enumerate() {
                let values: Vec<String> = pos.iter().map(|&p| key[p].clone()).collect();
                match f.cells.iter().position(|(v, _)| *v == values) {
                    Some(c) if f.cells[c].1 > 0.0 => {
                        of.push(c);
                        counts[c] += n[j];
                    }
                    _ => {
                        let n_cell = keys
                            .iter()
                            .zip(n)
                            .filter(|(k, _)| pos.iter().map(|&p| &k[p]).eq(values.iter()))
                            .map(|(_, n)| n)
                            .sum();
                        return Err(CalibrationError::NoPopulation {
                            file: f.file.clone(),
                            cell: describe(&f.columns, &values),
                            n: n_cell,
                        });
                    }
                }
            }
            if let Some(c) = (0..f.cells.len()).find(|&c| counts[c] == 0 && f.cells[c].1 > 0.0) {
                return Err(CalibrationError::NoRespondents {
                    file: f.file.clone(),
                    cell: describe(&f.columns, &f.cells[c].0),
                    population: f.cells[c].1,
                });
            }
            margin_of.push(of);
            margin_len.push(f.cells.len());
            population.push(f.cells.iter().map(|c| c.1).collect::<Vec<f64>>());
        }
        let mut factor = vec![1.0; keys.len()];
        let totals = |m: usize, factor: &[f64]| {
            let mut t = vec![0.0; margin_len[m]];
            for (j, &c) in margin_of[m].iter().enumerate() {
                t[c] += w0[j] * factor[j];
            }
            t
        };
        let rake = matches!(weighting, Weighting::Rake(_));
        let sweeps = if rake { MAX_SWEEPS } else { 1 };
        let mut converged = !rake;
        for _ in 0..sweeps {
            for m in 0..frames.len() {
                let t = totals(m, &factor);
                for (j, &c) in margin_of[m].iter().enumerate() {
                    factor[j] *= population[m][c] / t[c];
                }
            }
            if rake
                && (0..frames.len()).all(|m| {
                    totals(m, &factor)
                        .iter()
                        .zip(&population[m])
                        .all(|(t, p)| (t - p).abs() <= TOLERANCE * p.abs().max(1.0))
                })
            {
                converged = true;
                break;
            }
        }
        if !converged {
            return Err(CalibrationError::NotConverged { sweeps: MAX_SWEEPS });
        }
        Ok(Cells {
            margin_of,
            margin_len,
            factor,
            rake,
        })
    }

    pub fn len(&self) -> usize {
        self.factor.len()
    }

    /// Whether the cells were raked (their variance then needs the plain sums too).
    pub fn is_rake(&self) -> bool {
        self.rake
    }

    pub fn is_empty(&self) -> bool {
        self.factor.is_empty()
    }

    /// The constant to take from every influence value of joint cell j (times the
    /// respondent's weight, in PSU totals), given the domain's sums per joint cell of the
    /// weighted influence values `z` and of the plain ones `u`, and each joint cell's
    /// calibrated weight `w` and respondent count `n` over the whole sample.
    pub fn shift(&self, z: &[f64], u: &[f64], w: &[f64], n: &[f64]) -> Vec<f64> {
        let cells = self.len();
        let mut shift = vec![0.0; cells];
        if !self.rake {
            // One post-stratification: the weighted mean of e over each cell.
            for (of, &len) in self.margin_of.iter().zip(&self.margin_len) {
                let mut zc = vec![0.0; len];
                let mut wc = vec![0.0; len];
                for j in 0..cells {
                    zc[of[j]] += z[j];
                    wc[of[j]] += w[j];
                }
                for j in 0..cells {
                    let c = of[j];
                    if wc[c] != 0.0 {
                        shift[j] += zc[c] / wc[c];
                    }
                }
            }
            return shift;
        }
        // Raking: sweeps of the plain mean of e over each margin's cells.
        let mut u = u.to_vec();
        for _ in 0..VARIANCE_SWEEPS {
            for (of, &len) in self.margin_of.iter().zip(&self.margin_len) {
                let mut uc = vec![0.0; len];
                let mut nc = vec![0.0; len];
                for j in 0..cells {
                    uc[of[j]] += u[j];
                    nc[of[j]] += n[j];
                }
                for j in 0..cells {
                    let c = of[j];
                    if nc[c] != 0.0 {
                        let mean = uc[c] / nc[c];
                        shift[j] += mean;
                        u[j] -= mean * n[j];
                    }
                }
            }
        }
        shift
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(file: &str, columns: &[&str], cells: &[(&[&str], f64)]) -> Frame {
        Frame {
            file: file.into(),
            sha256: String::new(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            cells: cells
                .iter()
                .map(|(v, p)| (v.iter().map(|x| x.to_string()).collect(), *p))
                .collect(),
        }
    }

    fn keys(k: &[&[&str]]) -> Vec<Vec<String>> {
        k.iter()
            .map(|v| v.iter().map(|x| x.to_string()).collect())
            .collect()
    }

    #[test]
    fn poststratification_scales_each_cell_to_its_population() {
        // Cells a (weighted 10) and b (weighted 30) to populations 100 and 60.
        let w = Weighting::PostStratify(frame(
            "f.csv",
            &["unit_id"],
            &[(&["a"], 100.0), (&["b"], 60.0)],
        ));
        let cols = vec!["unit_id".to_string()];
        let c = Cells::new(&w, &cols, &keys(&[&["b"], &["a"]]), &[30.0, 10.0], &[3, 2]);
        let c = c.expect("calibrates");
        assert_eq!(c.factor, vec![2.0, 10.0]);
    }

    #[test]
    fn raking_two_margins_by_hand() {
        // Joint cells (unit, sex) with design-weighted counts: (a,m) 1, (a,f) 1, (b,m) 1,
        // (b,f) 3. Margins: units a 4, b 6; sex m 5, f 5. Raking converges to the weights of
        // the log-linear fit: factors x_u·y_s with 1·x_a·y_m + 1·x_a·y_f = 4, x_b·(y_m + 3·y_f)
        // = 6, x_a·y_m + x_b·y_m = 5. Check the margins rather than the closed form.
        let w = Weighting::Rake(vec![
            frame("u.csv", &["unit_id"], &[(&["a"], 4.0), (&["b"], 6.0)]),
            frame("s.csv", &["sex"], &[(&["m"], 5.0), (&["f"], 5.0)]),
        ]);
        let cols = vec!["unit_id".to_string(), "sex".to_string()];
        let k = keys(&[&["a", "m"], &["a", "f"], &["b", "m"], &["b", "f"]]);
        let w0 = [1.0, 1.0, 1.0, 3.0];
        let c = Cells::new(&w, &cols, &k, &w0, &[1, 1, 1, 3]).expect("converges");
        let t: Vec<f64> = w0.iter().zip(&c.factor).map(|(a, b)| a * b).collect();
        assert!((t[0] + t[1] - 4.0).abs() < 1e-9 && (t[2] + t[3] - 6.0).abs() < 1e-9);
        assert!((t[0] + t[2] - 5.0).abs() < 1e-9 && (t[1] + t[3] - 5.0).abs() < 1e-9);
        // The odds ratio of the design counts (1·3 / 1·1 = 3) is kept by raking.
        assert!((t[0] * t[3] / (t[1] * t[2]) - 3.0).abs() < 1e-9);
    }

    #[test]
    fn a_cell_without_population_or_without_respondents_is_named() {
        let cols = vec!["unit_id".to_string()];
        let w = Weighting::PostStratify(frame("f.csv", &["unit_id"], &[(&["a"], 100.0)]));
        let e = Cells::new(&w, &cols, &keys(&[&["a"], &["b"]]), &[1.0, 1.0], &[1, 4]);
        assert_eq!(
            e.err(),
            Some(CalibrationError::NoPopulation {
                file: "f.csv".into(),
                cell: "unit_id = \"b\"".into(),
                n: 4
            })
        );
        let w = Weighting::PostStratify(frame(
            "f.csv",
            &["unit_id"],
            &[(&["a"], 100.0), (&["c"], 7.0)],
        ));
        let e = Cells::new(&w, &cols, &keys(&[&["a"]]), &[1.0], &[1]);
        assert_eq!(
            e.err(),
            Some(CalibrationError::NoRespondents {
                file: "f.csv".into(),
                cell: "unit_id = \"c\"".into(),
                population: 7.0
            })
        );
    }
}
