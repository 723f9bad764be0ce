//! The CCHC (public-administration-reform, PAR) index: a methodology as data
//! (`scoring/par-*.toml`), a year's assessment file, and the computation of points, totals,
//! intervals, bands and ranks.

pub mod assessment;
pub mod index;
mod model;

pub use assessment::{Assessment, AssessmentError};
pub use index::{
    AreaTotal, Figure, Inputs, ParResult, PlanShares, PointRow, RecordRate, RecordRates, Surveys,
    TotalRow, competition_ranks, compute, round_to,
};
pub use model::{
    Area, Band, Criterion, FromRef, Leaf, ParMethod, PlanRef, RecordsRef, Source, SurveyRef, Take,
    load,
};
