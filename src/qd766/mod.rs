//! The QĐ 766 service-quality index from procedure records: the records, the method as data
//! (`scoring/qd766.toml`), the on-time rule, and the index per unit and period.

pub mod compute;
pub mod ingest;
pub mod layout;
pub mod method;
pub mod records;

pub use compute::{
    ALL, ItemRow, Period, Split, TotalRow, UnitRecords, compute, facts, facts_by_unit, on_time,
    periods,
};
pub use method::{Fact, Indicator, Qd766Method, UnitLevel, load};
pub use records::{
    Channel, Feedback, FileRecord, FileStatus, Minute, OnlineLevel, Procedure, Records,
};
