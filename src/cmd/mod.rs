//! One module per subcommand, each with `pub fn run`: it parses nothing more than clap did,
//! calls the library, and prints. No command imports another; what two share (exit statuses,
//! how a checked file is summarised) is here.

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
mod qd766;
mod report;
mod sample_size;
mod score;
mod surveys;
mod tasks;
mod template;
mod validate;

use crate::cli::{Cli, Command};
use std::collections::HashSet;
use std::process::ExitCode;

use crate::cli::ReadArgs;
use crate::error::UsageError;
use crate::ingest::{CheckedBatch, ReadOptions, Refusal};

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

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let lang = cli.lang;
    crate::messages::set_lang(lang);
    match cli.command {
        Command::Demo(a) => demo::run(a, lang),
        Command::Ingest(a) => ingest::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Score(a) => score::run(a, lang),
        Command::Par(a) => par::run(a, lang),
        Command::Compare(a) => compare::run(a, lang),
        Command::Report(a) => report::run(a, lang),
        Command::Template(a) => template::run(a, lang),
        Command::Batches(a) => batches::run(a),
        Command::Surveys(a) => surveys::run(a, lang),
        Command::SampleSize(a) => sample_size::run(a, lang),
        Command::Tasks(a) => tasks::run(a, lang),
        Command::Qd766(a) => qd766::run(a, lang),
    }
}

/// `--as-of DATE`, read as plans write dates; a usage error when it is not one.
pub fn as_of(text: Option<&String>) -> anyhow::Result<Option<crate::plan::Date>> {
    text.map(|t| {
        crate::plan::Date::parse(t)
            .ok_or_else(|| UsageError(crate::msg!("tasks.bad_as_of", value = t)).into())
    })
    .transpose()
}

/// The exit status for an error that reached `main`.
pub fn exit_code_of(err: &anyhow::Error) -> ExitCode {
    let usage = err.chain().any(|c| {
        c.is::<UsageError>()
            || matches!(
                c.downcast_ref::<crate::definition::DefinitionError>(),
                Some(crate::definition::DefinitionError::Unknown { .. })
            )
    });
    ExitCode::from(if usage { exit::USAGE } else { exit::REFUSED })
}

fn read_options(r: &ReadArgs) -> ReadOptions {
    ReadOptions {
        sheet: r.sheet.clone(),
        encoding: r.encoding.clone(),
        expect: Default::default(),
    }
}

fn report_refusal(r: &Refusal) {
    tell!("{} {r}", crate::msg!("cmd.error"));
    if !matches!(r, Refusal::Store { .. }) {
        tell!("{}", crate::msg!("refusal.whole"));
    }
}

/// The summary of one checked file, and its first problems on stderr.
fn print_summary(b: &CheckedBatch, show: usize) {
    use crate::msg;
    say!("{} ({})", b.file, b.format);
    say!("  {:<20} {:>9}", msg!("summary.rows_read"), b.rows_read);
    say!("  {:<20} {:>9}", msg!("summary.accepted"), b.accepted);
    let reasons: Vec<String> = b
        .by_rule
        .iter()
        .map(|(r, n)| format!("{} {n}", r.code()))
        .collect();
    let quarantined = msg!("summary.quarantined");
    if reasons.is_empty() {
        say!("  {quarantined:<20} {:>9}", b.quarantined_rows);
    } else if b.blanked_answers == 0 {
        say!(
            "  {quarantined:<20} {:>9}   ({})",
            b.quarantined_rows,
            reasons.join(", ")
        );
    } else {
        say!("  {quarantined:<20} {:>9}", b.quarantined_rows);
        say!(
            "  {:<20} {:>9}   ({})",
            msg!("summary.blanked"),
            b.blanked_answers,
            msg!("summary.blanked_note", rules = reasons.join(", "))
        );
    }
    if b.blank_rows > 0 {
        say!("  {:<20} {:>9}", msg!("summary.blank_rows"), b.blank_rows);
    }
    if !b.ignored_columns.is_empty() {
        say!(
            "{}",
            msg!("summary.ignored", columns = b.ignored_columns.join(", "))
        );
    }
    if !b.pii_dropped.is_empty() {
        say!(
            "{}",
            msg!("summary.pii_dropped", columns = b.pii_dropped.join(", "))
        );
    }
    let mut hinted = HashSet::new();
    for v in b.violations.iter().take(show) {
        tell!(
            "{}:{}: {}: {} [{}]",
            b.file,
            v.line,
            v.column,
            v.message,
            v.rule.code()
        );
        if hinted.insert(v.rule) {
            tell!("  {} {}", msg!("cmd.hint"), v.rule.hint());
        }
    }
    if b.violations.len() > show {
        tell!(
            "{}",
            msg!(
                "summary.more_problems",
                file = b.file,
                count = b.violations.len() - show
            )
        );
    }
}
