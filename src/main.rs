//! The `thermocad` command: parse the arguments, run the command, and turn a failure into one
//! line on stderr and an exit code (2: the user's input or configuration is at fault, 1: the
//! run failed). The arguments and their checking live in [`cli`], the binary's one module; the
//! work is the library's.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    restore_sigpipe();
    match cli::run(cli::Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("thermocad: error: {}", thermocad::error::one_line(&e));
            ExitCode::from(e.exit_code())
        }
    }
}

/// Let a closed output pipe (`thermocad sample … | head`) end the process quietly, as it ends
/// any Unix filter, instead of `println!` panicking on the broken pipe. Results are written
/// atomically (a temporary file renamed into place), so ending mid-run leaves no partial file.
#[cfg(unix)]
fn restore_sigpipe() {
    // SAFETY: called first in `main`, before any thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_sigpipe() {}
