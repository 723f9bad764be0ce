//! chiso (chỉ số, "index"): turns citizen-satisfaction survey batches into the indices that
//! Vietnamese local government reports every year.
//!
//! Arrows point one way: `cmd` → (`ingest`, `estimate`, `par`, `compare`, `render`) → (`store`, `instrument`,
//! `methodology`).

pub mod annual;
pub mod cli;
pub mod cmd;
pub mod compare;
pub mod definition;
pub mod demo;
pub mod error;
pub mod estimate;
pub mod files;
pub mod flag;
pub mod ingest;
pub mod instrument;
pub mod lang;
pub mod methodology;
pub mod par;
pub mod render;
pub mod store;
