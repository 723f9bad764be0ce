//! `chiso demo`: the whole tool on seeded sample data, in one command.

use std::process::ExitCode;
use std::time::Instant;

use crate::cli::DemoArgs;

pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let done = crate::demo::run(&args.out, &mut |line| say!("{line}"))?;
    say!("report: {} ({} charts)", done.report.display(), done.charts);
    say!(
        "\ndemo finished in {:.1} s. The report: {}",
        started.elapsed().as_secs_f64(),
        done.report.display()
    );
    Ok(ExitCode::SUCCESS)
}
