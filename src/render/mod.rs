//! Writing results: tables (CSV, XLSX, JSON). Renders what it is given; computes nothing.

pub mod charts;
pub mod compare;
pub mod figures;
pub mod labels;
pub mod par;
pub mod report;
pub mod scores;

/// A number for a CSV cell: full precision, shortest round-trip form; empty when missing.
pub(crate) fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// As [`num`], for an optional number.
pub(crate) fn opt(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
}
