//! The annual CCHC plan: its task list read as plans write it, each task's status on a date,
//! the agencies scored and ranked by a methodology kept as data (`scoring/plan-*.toml`).

pub mod date;
pub mod deadline;
mod method;
mod read;
mod score;

pub use date::Date;
pub use deadline::Deadline;
pub use method::{PlanMethod, PlanRule, load};
pub use read::{Plan, PlanError, Quality, Task, read};
pub use score::{
    Agency, Status, TaskStatus, agencies, count, due_within, max_points, plan_steps, statuses,
};
