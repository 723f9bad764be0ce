use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = chiso::cli::Cli::parse();
    match chiso::cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // Never a panic when stderr is closed or full: the exit status still tells.
            let mut e = std::io::stderr();
            let _ = writeln!(e, "{} {err}", chiso::msg!("cmd.error"));
            for cause in err.chain().skip(1) {
                let _ = writeln!(e, "  {} {cause}", chiso::msg!("cmd.caused_by"));
            }
            chiso::cmd::exit_code_of(&err)
        }
    }
}
