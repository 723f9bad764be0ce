use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = chiso::cli::Cli::parse();
    match chiso::cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            chiso::cmd::exit_code_of(&err)
        }
    }
}
