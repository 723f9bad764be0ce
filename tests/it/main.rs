//! The integration tests: one binary (each test file a module), so that polars is linked once.
#![allow(dead_code)]

mod compare;
mod demo;
mod fuzz;
mod hive;
mod ingest;
mod layouts;
mod par;
mod plan;
mod portable;
mod print;
mod records;
mod report;
mod safety;
mod score;
mod store;
mod util;
