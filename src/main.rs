use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    tune_allocator();
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

/// glibc's allocator, tuned before any other thread starts. Scoring allocates and frees a
/// part's columns (megabytes each) one part after another; by default glibc maps such blocks
/// afresh and hands freed memory back to the kernel, which then faults in and clears every
/// page again. Here blocks under 32 MB come from the heap, up to 1 GB of freed heap is kept
/// for reuse, and the threads share one arena per processor: a 10-million-respondent score
/// faulted in 65,000 pages instead of 170,000 (BENCHMARKS.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn tune_allocator() {
    let arenas = std::thread::available_parallelism().map_or(1, |n| n.get());
    let arenas = libc::c_int::try_from(arenas).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt only sets the allocator's parameters, here before any other thread
    // exists; a value it refuses leaves the default in place (its return value says so, and
    // nothing depends on it).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

/// Other platforms' allocators are left as they are.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}
