//! The command line, in one place: raw arguments ([`args`]) are checked into jobs, the
//! workflows run them, and [`print`] reports what they found. `main.rs` only parses, calls
//! [`run`] and turns an [`Error`](thermocad::Error) into its exit code.

pub mod args;
mod print;

pub use args::{Cli, Command};

use std::io::IsTerminal;
use thermocad::error::Result;
use thermocad::workflow::{
    bench, classify, demo, design, energy, export, init, sample, teach, tolerance, train,
};

/// Run one command to completion.
pub fn run(cli: Cli) -> Result<()> {
    let progress = std::io::stderr().is_terminal();
    match cli.command {
        Command::Train(args) => {
            let job = args.check(progress)?;
            print::train(&train::run(&job)?, &job.out);
        }
        Command::Init(args) => {
            let config = thermocad::config::load_checked(&args.config, &args.set)?;
            let n = init::run(&config, &args.out, args.force)?;
            println!(
                "wrote an untrained {n}-unit model to {}",
                args.out.display()
            );
        }
        Command::Sample(args) => {
            let job = args.check(progress)?;
            print::sample_summary(&sample::run(&job)?, &job.reference);
            println!("samples in {}", job.out.display());
        }
        Command::Demo(args) => {
            let job = args.check(progress)?;
            print::demo(&demo::run(&job)?, &job.out);
        }
        Command::Energy(args) => {
            let job = args.check()?;
            print::energy(&energy::run(&job)?, &job.out);
        }
        Command::Export(args) => {
            let (job, run) = args.check()?;
            let s = export::export(&job)?;
            print::export(&s, &job.out);
            if run {
                let w = export::run_spice(&job.out)?;
                print::waveforms(&w);
                if let Some(p) = s.digit.as_ref().and_then(|d| d.prediction(&w)) {
                    println!("ngspice prediction: digit {p}");
                }
            }
        }
        Command::Tolerance(args) => {
            let job = args.check(progress)?;
            print::tolerance(&tolerance::run(&job)?, &job.out);
        }
        Command::Merge(args) => {
            let md = tolerance::merge(&args.inputs, &args.out, args.force)?;
            print::study(&md);
            println!(
                "merged {} shards into {}",
                args.inputs.len(),
                args.out.display()
            );
        }
        Command::Design(args) => {
            let s = match args.check(progress)? {
                args::DesignRun::Search(job) => design::run(&job)?,
                args::DesignRun::Merge(job) => design::merge(&job)?,
            };
            print::design(&s);
        }
        Command::Teach(args) => {
            let job = args.check(progress)?;
            print::teach(&teach::run(&job)?, &job.out);
        }
        Command::Classify(args) => {
            let job = args.check()?;
            print::classify(&classify::run(&job)?, job.trajectories, &job.out);
        }
        Command::Spice(args) => print::waveforms(&export::run_spice_with(
            &args.netlist,
            args.trust_deck,
            args.timeout,
        )?),
        Command::Bench(args) => print::bench(&bench::run(args.check()?)),
    }
    Ok(())
}
