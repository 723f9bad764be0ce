//! `chiso demo`: the whole tool on seeded sample data, in one command.

use std::process::ExitCode;
use std::time::Instant;

use crate::cli::DemoArgs;

pub fn run(args: DemoArgs, lang: crate::lang::Lang) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let done = crate::demo::run(&args.out, lang, &mut |line| say!("{line}"))?;
    say!(
        "{}",
        crate::msg!(
            "demo.report",
            path = done.report.display(),
            charts = done.charts
        )
    );
    say!(
        "\n{}",
        crate::msg!(
            "demo.finished",
            seconds = crate::lang::number(started.elapsed().as_secs_f64(), 1, lang),
            path = done.report.display()
        )
    );
    Ok(ExitCode::SUCCESS)
}
