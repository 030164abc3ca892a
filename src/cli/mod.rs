//! The command line, in one place: raw arguments ([`args`]) are checked into jobs, the
//! workflows run them, and [`print`] reports what they found. `main.rs` only parses, calls
//! [`run`] and turns an [`Error`](crate::Error) into its exit code.

pub mod args;
mod print;

pub use args::{Cli, Command};

use crate::error::Result;
use crate::workflow::{
    bench, classify, demo, energy, export, init, sample, teach, tolerance, train,
};
use std::io::IsTerminal;

/// Run one command to completion.
pub fn run(cli: Cli) -> Result<()> {
    let progress = std::io::stderr().is_terminal();
    match cli.command {
        Command::Train(args) => {
            let job = args.check(progress)?;
            let out = job.out.clone();
            let s = train::run(job)?;
            println!(
                "trained {} trajectories on {} images in {:.1} s; loss per unit per step {:.4} -> {:.4}; model in {}",
                s.trajectories,
                s.images,
                s.seconds,
                s.first_loss,
                s.final_loss,
                out.display()
            );
        }
        Command::Init(args) => {
            let config = crate::config::load_checked(&args.config, &args.set)?;
            let n = init::run(&config, &args.out, args.force)?;
            println!("wrote an untrained {n}-unit model to {}", args.out.display());
        }
        Command::Sample(args) => {
            let job = args.check(progress)?;
            let out = job.out.clone();
            print::sample_summary(&sample::run(job)?);
            println!("samples in {}", out.display());
        }
        Command::Demo(args) => {
            let job = args.check(progress)?;
            let out = job.out.clone();
            let (t, s, c) = demo::run(job)?;
            println!(
                "demo: trained {} trajectories in {:.1} s, loss {:.4} -> {:.4}",
                t.trajectories, t.seconds, t.first_loss, t.final_loss
            );
            print::sample_summary(&s);
            for line in &c.lines {
                println!("{}", line.trim_matches('|').trim());
            }
            println!("results in {} (summary.md)", out.display());
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
            let s = tolerance::run(&job)?;
            if let Some(a) = s.classifier_accuracy {
                println!(
                    "digit classifier: {:.1} % on its held-out digits",
                    100.0 * a
                );
            }
            println!(
                "tolerance: {} tasks in this run ({} resumed) in {}",
                s.owned,
                s.resumed,
                job.out.display()
            );
            match &s.summary {
                Some(md) => print::study(md),
                None => {
                    println!("a shard of a larger study: combine the shards with `thermocad merge`")
                }
            }
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
        Command::Teach(args) => {
            let job = args.check(progress)?;
            let out = job.out.clone();
            let s = teach::run(job)?;
            println!(
                "teacher: held-out accuracy {:.4} ({} training, {} held-out images)",
                s.teacher_accuracy, s.images.0, s.images.1
            );
            println!(
                "student: {} idealised trajectories, action per unit per step {:.4}; held-out top-1 {:.4}, top-2 {:.4} (one trajectory); {:.1} s; model in {}",
                s.trajectories,
                s.final_loss,
                s.student.0,
                s.student.1,
                s.seconds,
                out.display()
            );
        }
        Command::Classify(args) => {
            let job = args.check()?;
            let (trajectories, out) = (job.trajectories, job.out.clone());
            print::classify(&classify::run(job)?, trajectories, &out);
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
