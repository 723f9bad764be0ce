//! Where each task stands on a date, and how each agency did.

use std::collections::BTreeMap;

use super::date::Date;
use super::method::{PlanMethod, PlanRule};
use super::read::{Plan, Quality, Task};

/// Where a task stands on the day of the assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    DoneOnTime,
    DoneLate,
    /// Not done, past its deadline.
    Overdue,
    /// Not done, not yet due: counted for nobody.
    Open,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::DoneOnTime => "done_on_time",
            Status::DoneLate => "done_late",
            Status::Overdue => "overdue",
            Status::Open => "open",
        }
    }

    pub fn label(self, lang: crate::lang::Lang) -> &'static str {
        match self {
            Status::DoneOnTime => lang.pick("Hoàn thành đúng hạn", "Done on time"),
            Status::DoneLate => lang.pick("Hoàn thành muộn", "Done late"),
            Status::Overdue => lang.pick("Quá hạn, chưa hoàn thành", "Overdue"),
            Status::Open => lang.pick("Chưa đến hạn", "Not yet due"),
        }
    }

    pub fn done(self) -> bool {
        matches!(self, Status::DoneOnTime | Status::DoneLate)
    }
}

/// A task's standing on the day of the assessment.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskStatus<'a> {
    pub task: &'a Task,
    pub status: Status,
    /// Days past the deadline: of the completion when done late, of the assessment day when
    /// overdue; 0 otherwise.
    pub days_late: i64,
}

/// Each task's status on `as_of`.
pub fn statuses(plan: &Plan, as_of: Date) -> Vec<TaskStatus<'_>> {
    plan.tasks
        .iter()
        .map(|t| {
            let due = t.deadline.date;
            // A completion recorded after the day of the assessment had not happened yet.
            let (status, late) = match t.completed_on.filter(|d| *d <= as_of) {
                Some(d) if d <= due => (Status::DoneOnTime, 0),
                Some(d) => (Status::DoneLate, d.days() - due.days()),
                None if as_of > due => (Status::Overdue, as_of.days() - due.days()),
                None => (Status::Open, 0),
            };
            TaskStatus {
                task: t,
                status,
                days_late: late,
            }
        })
        .collect()
}

/// The tasks not yet due whose deadline falls within `days` of `as_of`: what to chase next.
pub fn due_within<'a, 'b>(
    statuses: &'b [TaskStatus<'a>],
    as_of: Date,
    days: i64,
) -> Vec<&'b TaskStatus<'a>> {
    statuses
        .iter()
        .filter(|s| s.status == Status::Open && s.task.deadline.date.days() - as_of.days() <= days)
        .collect()
}

/// How many tasks stand at `status`.
pub fn count(statuses: &[TaskStatus<'_>], status: Status) -> usize {
    statuses.iter().filter(|s| s.status == status).count()
}

/// One agency's record: tasks counted with their weights (1 as lead, the partners' weight
/// as a partner when the methodology counts partners).
#[derive(Debug, Clone, PartialEq)]
pub struct Agency {
    pub agency: String,
    /// Tasks due (or done) by the assessment day: the ones that count.
    pub assigned: f64,
    pub done: f64,
    pub done_on_time: f64,
    pub done_late: f64,
    pub overdue: f64,
    /// Not yet due: listed, not counted.
    pub open: f64,
    /// Done and judged to meet the standard.
    pub done_to_standard: f64,
    pub completion_pct: Option<f64>,
    pub on_time_pct: Option<f64>,
    /// None when nothing counts yet.
    pub points: Option<f64>,
    pub max_points: f64,
    pub band: Option<String>,
    pub rank: Option<usize>,
}

/// Points of counts by the methodology's ranking rule; None when nothing is assigned.
fn points(m: &PlanMethod, assigned: f64, done: f64, to_standard: f64, on_time: f64) -> Option<f64> {
    if assigned <= 0.0 {
        return None;
    }
    Some(match m.rule {
        PlanRule::Proportional => {
            let p = m.proportional;
            p.quantity * done / assigned
                + p.quality * to_standard / assigned
                + p.progress * on_time / assigned
        }
        PlanRule::Steps => m.steps_points(100.0 * on_time / assigned),
    })
}

/// The most points of the ranking rule.
pub fn max_points(m: &PlanMethod) -> f64 {
    match m.rule {
        PlanRule::Proportional => {
            m.proportional.quantity + m.proportional.quality + m.proportional.progress
        }
        PlanRule::Steps => m.steps_max(),
    }
}

/// Every agency (lead, and partner when partners count), scored and ranked (1 = best, ties
/// share); agencies with nothing due yet are listed unranked.
pub fn agencies<'a>(m: &PlanMethod, statuses: &[TaskStatus<'a>]) -> Vec<Agency> {
    let mut by: BTreeMap<&'a str, [f64; 7]> = BTreeMap::new();
    for s in statuses {
        let mut add = |agency: &'a str, w: f64| {
            let c = by.entry(agency).or_insert([0.0; 7]);
            match s.status {
                Status::Open => c[5] += w,
                st => {
                    c[0] += w;
                    if st.done() {
                        c[1] += w;
                        if s.task.quality == Some(Quality::Dat) {
                            c[6] += w;
                        }
                    }
                    match st {
                        Status::DoneOnTime => c[2] += w,
                        Status::DoneLate => c[3] += w,
                        _ => c[4] += w,
                    }
                }
            }
        };
        add(&s.task.lead, 1.0);
        if m.partners.count {
            for p in s.task.partners.iter().filter(|p| **p != s.task.lead) {
                add(p, m.partners.weight);
            }
        }
    }
    let max = max_points(m);
    let mut out: Vec<Agency> = by
        .into_iter()
        .map(|(agency, c)| {
            let pct = |x: f64| (c[0] > 0.0).then(|| 100.0 * x / c[0]);
            let pts = points(m, c[0], c[1], c[6], c[2]);
            Agency {
                agency: agency.to_string(),
                assigned: c[0],
                done: c[1],
                done_on_time: c[2],
                done_late: c[3],
                overdue: c[4],
                open: c[5],
                done_to_standard: c[6],
                completion_pct: pct(c[1]),
                on_time_pct: pct(c[2]),
                points: pts,
                max_points: max,
                band: pts
                    .and_then(|p| m.band(100.0 * p / max))
                    .map(|b| b.code.clone()),
                rank: None,
            }
        })
        .collect();
    // Rank by points (rounded to 2 decimals, as shown), ties sharing the better rank.
    let ranked: Vec<usize> = (0..out.len())
        .filter(|&i| out[i].points.is_some())
        .collect();
    let values: Vec<f64> = ranked
        .iter()
        .map(|&i| crate::par::round_to(out[i].points.unwrap_or(0.0), 2))
        .collect();
    for (k, r) in crate::par::competition_ranks(&values)
        .into_iter()
        .enumerate()
    {
        out[ranked[k]].rank = Some(r);
    }
    out.sort_by(|a, b| {
        (a.rank.is_none(), a.rank, &a.agency).cmp(&(b.rank.is_none(), b.rank, &b.agency))
    });
    out
}

/// The plan as a whole by the `steps` rule (each task once): (share done on time in percent,
/// points, the rule's maximum); None when no task is due yet.
pub fn plan_steps(m: &PlanMethod, statuses: &[TaskStatus<'_>]) -> Option<(f64, f64, f64)> {
    let counted = statuses.iter().filter(|s| s.status != Status::Open).count();
    if counted == 0 {
        return None;
    }
    let on_time = statuses
        .iter()
        .filter(|s| s.status == Status::DoneOnTime)
        .count();
    let pct = 100.0 * on_time as f64 / counted as f64;
    Some((pct, m.steps_points(pct), m.steps_max()))
}
