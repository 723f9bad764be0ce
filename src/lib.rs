//! chiso (chỉ số, "index"): turns citizen-satisfaction survey batches into the indices that
//! Vietnamese local government reports every year.
//!
//! Arrows point one way: `cmd` → (`ingest`, ...) → (`store`, `instrument`).

pub mod cli;
pub mod cmd;
pub mod ingest;
pub mod instrument;
pub mod store;
