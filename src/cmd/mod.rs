//! One module per subcommand, each with `pub fn run`: thin, calls the library.

/// `say!` that ends the process quietly when stdout is closed early (`chiso batches | head`)
/// instead of panicking on the broken pipe.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*)
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            std::process::exit(0);
        }
    }};
}

/// `eprintln!` that never panics: a closed or full stderr (`2>/dev/full`) loses the message,
/// not the command's work.
macro_rules! tell {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod batches;
mod compare;
mod demo;
mod ingest;
mod par;
mod report;
mod score;
mod surveys;
mod validate;

use std::process::ExitCode;

use thiserror::Error;

use crate::cli::{Cli, Command};

/// Exit statuses, as documented in README.md.
pub mod exit {
    /// Every row accepted.
    pub const OK: u8 = 0;
    /// A file refused whole: nothing stored.
    pub const REFUSED: u8 = 1;
    /// The command line or a named questionnaire is wrong.
    pub const USAGE: u8 = 2;
    /// Some rows quarantined; the others stored.
    pub const QUARANTINED: u8 = 3;
}

/// An error in what the user asked for (exit status 2), as opposed to in their data.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Demo(a) => demo::run(a),
        Command::Ingest(a) => ingest::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Score(a) => score::run(a),
        Command::Par(a) => par::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Report(a) => report::run(a),
        Command::Batches(a) => batches::run(a),
        Command::Surveys => surveys::run(),
    }
}

/// The exit status for an error that reached `main`.
pub fn exit_code_of(err: &anyhow::Error) -> ExitCode {
    let usage = err.chain().any(|c| {
        c.is::<UsageError>()
            || matches!(
                c.downcast_ref::<crate::instrument::InstrumentError>(),
                Some(crate::instrument::InstrumentError::Unknown(_))
            )
    });
    ExitCode::from(if usage { exit::USAGE } else { exit::REFUSED })
}

/// Loads a questionnaire and checks that it applies to `year`.
fn instrument_for(
    survey: &str,
    year: Option<i32>,
) -> anyhow::Result<crate::instrument::Instrument> {
    let inst = crate::instrument::load(survey)?;
    if let Some(y) = year
        && !(inst.years[0]..=inst.years[1]).contains(&y)
    {
        return Err(UsageError(format!(
            "questionnaire {} ({}) applies to {}–{}, not to {y}\n  hint: choose the questionnaire version in force that year (`chiso surveys`)",
            inst.id, inst.version, inst.years[0], inst.years[1]
        ))
        .into());
    }
    Ok(inst)
}

/// The version of a questionnaire in force in `year`: the one named, or one it continues (or
/// that continues it, among the shipped ones), following `[continues]`.
fn instrument_at(survey: &str, year: i32) -> anyhow::Result<crate::instrument::Instrument> {
    let named = crate::instrument::load(survey)?;
    let applies = |i: &crate::instrument::Instrument| (i.years[0]..=i.years[1]).contains(&year);
    let mut seen = vec![named.id.clone()];
    // Back through the versions it continues.
    let mut cur = named.clone();
    while !applies(&cur) {
        let Some(prev) = cur.continues.as_ref().map(|c| c.survey.clone()) else {
            break;
        };
        if seen.contains(&prev) {
            break;
        }
        seen.push(prev.clone());
        cur = crate::instrument::load(&prev)?;
    }
    if applies(&cur) {
        return Ok(cur);
    }
    // Forward through the shipped versions that continue it.
    let shipped = crate::instrument::shipped()?;
    let mut cur = named.clone();
    for _ in 0..shipped.len() {
        let Some(next) = shipped
            .iter()
            .find(|i| i.continues.as_ref().is_some_and(|c| c.survey == cur.id))
        else {
            break;
        };
        if applies(next) {
            return Ok(next.clone());
        }
        cur = next.clone();
    }
    Err(UsageError(format!(
        "questionnaire {} ({}) applies to {}–{}, and no version it continues or that continues it applies to {year}\n  hint: `chiso surveys` lists the versions and their years",
        named.id, named.version, named.years[0], named.years[1]
    ))
    .into())
}

/// Refuses a year with no stored answers for questionnaire `id`, naming what to ingest;
/// `or` adds another way out to the hint.
fn require_answers(
    store: &crate::store::Store,
    manifest: &crate::store::Manifest,
    id: &str,
    year: i32,
    or: &str,
) -> anyhow::Result<()> {
    if manifest.batches_of(id, year).any(|b| b.accepted > 0) {
        return Ok(());
    }
    Err(UsageError(format!(
        "no {id} answers for {year} in the store {}\n  hint: ingest that year's batches first (`chiso ingest --survey {id} --year {year} FILE`){or}",
        store.root().display()
    ))
    .into())
}
