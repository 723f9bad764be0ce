//! `chiso validate`: the checks of `ingest`, storing nothing.

use std::io::IsTerminal;
use std::process::ExitCode;

use super::{exit, print_summary, read_options, report_refusal};
use crate::cli::ValidateArgs;
use crate::ingest::{CheckOptions, check_file};
use crate::store::{IdSet, Store};

pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let inst = crate::annual::instrument_for(&args.survey, args.year)?;
    let stored = match (&args.store, args.year) {
        (Some(dir), Some(year)) => {
            let store = Store::open(dir)?;
            store.stored_ids(&store.manifest()?, &inst.id, year)?
        }
        _ => IdSet::default(),
    };
    let opts = CheckOptions {
        instrument: &inst,
        year: args.year,
        read: read_options(&args.read),
        keep_pii: false,
        progress: std::io::stderr().is_terminal(),
        keep_ids: false,
        bad_answer: args.read.bad_answer,
    };
    let mut code = exit::OK;
    for path in &args.files {
        match check_file(path, &opts, &stored, None) {
            Err(r) => {
                report_refusal(&r);
                code = exit::REFUSED;
            }
            Ok(b) => {
                print_summary(&b, args.read.show);
                if b.quarantined_rows > 0 && code == exit::OK {
                    code = exit::QUARANTINED;
                }
            }
        }
    }
    say!("{}", crate::msg!("validate.nothing_stored"));
    Ok(ExitCode::from(code))
}
