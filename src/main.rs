//! The `thermocad` command: parse the arguments, run the command, and turn a failure into one
//! line on stderr and an exit code (2: the user's input or configuration is at fault, 1: the
//! run failed). The arguments and their checking live in [`cli`], the binary's one module; the
//! work is the library's.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run(cli::Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("thermocad: error: {}", thermocad::error::one_line(&e));
            ExitCode::from(e.exit_code())
        }
    }
}
