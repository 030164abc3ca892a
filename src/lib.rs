//! thermocad: co-design of thermodynamic (Langevin) computers and the analog circuits that run them.
//!
//! Pipeline: `data → model → dynamics → train → hardware → {netlist, behavioral sim} → metrics → report`.

pub mod data;
pub mod report;
