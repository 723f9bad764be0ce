//! `chiso tasks`: the annual plan's tasks on a date, its agencies ranked.

use std::process::ExitCode;

use crate::cli::TasksArgs;
use crate::error::UsageError;
use crate::msg;
use crate::plan::{self, Date, Status};

pub fn run(args: TasksArgs, lang: crate::lang::Lang) -> anyhow::Result<ExitCode> {
    let method = plan::load(&args.method)?;
    let as_of = match &args.as_of {
        None => Date::today(),
        Some(t) => Date::parse(t).ok_or_else(|| UsageError(msg!("tasks.bad_as_of", value = t)))?,
    };
    let p = plan::read(&args.plan, &method)?;
    let statuses = plan::statuses(&p, as_of);
    let agencies = plan::agencies(&method, &statuses);
    let outputs = crate::files::Outputs::begin(&args.out)?;
    let rows: Vec<_> = statuses
        .iter()
        .map(|s| (s.task, s.status, s.days_late))
        .collect();
    crate::render::tasks::write_all(outputs.dir(), &method, &rows, &agencies, lang)?;
    outputs.commit()?;
    let count = |s: Status| plan::count(&statuses, s);
    say!(
        "{}",
        msg!(
            "tasks.summary",
            file = args.plan.display(),
            date = as_of,
            tasks = statuses.len(),
            on_time = count(Status::DoneOnTime),
            late = count(Status::DoneLate),
            overdue = count(Status::Overdue),
            open = count(Status::Open)
        )
    );
    say!(
        "{}",
        msg!(
            "tasks.agencies",
            max = crate::lang::number(plan::max_points(&method), 0, lang)
        )
    );
    for a in &agencies {
        let rank = a.rank.map_or_else(|| "—".to_string(), |r| r.to_string());
        let points = a
            .points
            .map_or_else(|| "—".to_string(), |p| crate::lang::number(p, 2, lang));
        let band = a
            .band
            .as_deref()
            .map(|b| crate::render::tasks::band_name(&method, b, lang))
            .unwrap_or("");
        say!("  {rank:>3}  {:<34} {points:>7}  {band}", a.agency);
    }
    let overdue: Vec<_> = statuses
        .iter()
        .filter(|s| s.status == Status::Overdue)
        .collect();
    if !overdue.is_empty() {
        say!("{}", msg!("tasks.overdue", n = overdue.len()));
        for s in overdue {
            say!(
                "{}",
                msg!(
                    "tasks.overdue_line",
                    id = s.task.task_id,
                    lead = s.task.lead,
                    due = s.task.deadline.date,
                    days = s.days_late,
                    content = s.task.content
                )
            );
        }
    }
    let soon = plan::due_within(&statuses, as_of, 30);
    if !soon.is_empty() {
        say!("{}", msg!("tasks.soon", n = soon.len()));
        for s in soon {
            say!(
                "{}",
                msg!(
                    "tasks.soon_line",
                    id = s.task.task_id,
                    lead = s.task.lead,
                    due = s.task.deadline.date,
                    content = s.task.content
                )
            );
        }
    }
    say!(
        "{}",
        msg!(
            "tasks.wrote",
            path = args.out.join("tasks_agencies.csv").display()
        )
    );
    Ok(ExitCode::SUCCESS)
}
