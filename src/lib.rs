//! chiso (chỉ số, "index"): turns citizen-satisfaction survey batches into the indices that
//! Vietnamese local government reports every year.
//!
//! Arrows point one way: `cmd` (parse, call, print; no command imports another) → `annual`,
//! `demo` (a year's review; the demo run) → `ingest`, `estimate`, `par`, `compare`, `render`
//! → `store`, `instrument`, `methodology`, `definition`, `lang`, `flag`. `render` draws what
//! the others computed.

#![forbid(unsafe_code)]

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
pub mod frame;
pub mod ingest;
pub mod instrument;
pub mod lang;
pub mod measure;
pub mod messages;
pub mod methodology;
pub mod par;
pub mod plan;
pub mod qd766;
pub mod render;
pub mod sample_size;
pub mod store;
