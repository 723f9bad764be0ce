//! Writing results: tables (CSV, XLSX, JSON). Renders what it is given; computes nothing.

pub mod compare;
pub mod labels;
pub mod par;
pub mod scores;
