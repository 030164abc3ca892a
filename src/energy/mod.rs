//! Energy budgets: what one generated sample costs on a Langevin computer, on digital
//! hardware, and on a buildable circuit.
//!
//! - [`heat`]: the ideal thermodynamic cost of generation, Q = V(x(0)) − V(x(t_f)) per sample,
//!   and its Stratonovich bookkeeping;
//! - [`forward`]: heat and work of the forward (noising) process, whose bias changes in time;
//! - [`digital`]: energy-per-operation tables (`hardware/digital-energy.toml`) and the digital
//!   budgets: an MLP denoiser, a digital simulation of the same computer, weight traffic;
//! - [`circuit`]: the circuit's own cost from the circuit IR: conductive dissipation measured
//!   on node-voltage snapshots, noise-source power and static power of active elements;
//! - [`units`]: kT at a chosen temperature and conversions between kT and joules;
//! - [`ledger`]: every row of the report assembled from the measurements and the tables;
//! - [`report`]: the `energy.md` / `energy.csv` / `energy.png` report.
//!
//! Formulas and where the ideal and circuit numbers part ways: docs/energy.md.

pub mod circuit;
pub mod digital;
pub mod forward;
pub mod heat;
pub mod ledger;
pub mod report;
pub mod units;

/// One line of the report: an energy per generated sample with its formula and inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Budget {
    /// What is counted.
    pub name: String,
    /// Energy per sample [J].
    pub joules: f64,
    /// How it is computed.
    pub formula: String,
    /// The numbers that went in.
    pub inputs: String,
}
