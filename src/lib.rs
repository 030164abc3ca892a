//! thermocad: co-design of thermodynamic (Langevin) computers and the analog circuits that run them.
//!
//! Pipeline: `data → model → dynamics → train (generative; or nn teacher → student) →
//! hardware (quantize → circuit IR → perturb → {netlist + ngspice, behavioral simulator}) →
//! tolerance / energy → metrics → report`; [`workflow`] holds the commands that run it. The command
//! line (src/cli/: raw arguments checked into jobs, and what the commands print) belongs to the
//! binary, src/main.rs; no library module depends on it.

pub mod classifier;
pub mod config;
pub mod data;
pub mod design;
pub mod dynamics;
pub mod energy;
pub mod error;
pub mod finite;
pub mod io;
pub mod limits;
pub mod linalg;
pub mod model;
pub mod nn;
pub mod report;
pub mod rundir;
pub mod train;

pub use error::{Error, Result};
pub mod hardware;
pub mod metrics;
pub mod tolerance;
pub mod workflow;
