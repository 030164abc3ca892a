//! Energy budgets: what one generated sample costs on a Langevin computer, on digital
//! hardware, and on a buildable circuit.
//!
//! - [`heat`]: the ideal thermodynamic cost of generation, Q = V(x(0)) − V(x(t_f)) per sample,
//!   and its Stratonovich bookkeeping;
//! - [`cycle`]: the rest of a sample's cycle: the work of switching the couplings on and off
//!   and the reset heat of relaxing back to the start distribution;
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
pub mod cycle;
pub mod digital;
pub mod forward;
pub mod heat;
pub mod ledger;
pub mod report;
pub mod units;

/// Which part of the whole cycle a row belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The thermodynamic core: generation heat, switching work, reset heat (and the noising
    /// process of training, for reference).
    Core,
    /// The analog circuit that runs the core: dissipation, static bias, noise generation.
    Circuit,
    /// Around the circuit: readout ADCs, input DACs, programming of the couplings.
    System,
    /// Digital hardware doing the same job.
    Digital,
}

impl Part {
    /// Its name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Part::Core => "core",
            Part::Circuit => "circuit",
            Part::System => "system",
            Part::Digital => "digital",
        }
    }
}

/// Where a row's number comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// Measured on simulated trajectories (of the model or of the behavioral chip).
    Simulated,
    /// A formula of profile or model values.
    Derived,
    /// Rests on a figure from a cited table (the citation next to the value in hardware/*.toml).
    Assumed,
}

impl Evidence {
    /// Its tag in the report.
    pub fn name(self) -> &'static str {
        match self {
            Evidence::Simulated => "simulated",
            Evidence::Derived => "derived",
            Evidence::Assumed => "assumed",
        }
    }
}

/// One line of the report: an energy per generated sample (per inference, for a classifier)
/// with its formula, inputs, part and evidence.
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
    /// Which part of the cycle it belongs to.
    pub part: Part,
    /// Where its number comes from.
    pub evidence: Evidence,
    /// Whether it adds into its part's total (false: a component of another row, a check, or
    /// a reference figure).
    pub total: bool,
}
