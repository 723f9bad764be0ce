//! Writing results: tables (CSV, XLSX, JSON). Renders what it is given; computes nothing.

pub mod charts;
pub mod compare;
pub mod figures;
pub mod labels;
pub mod par;
pub mod report;
pub mod scores;
