//! Hardware: from a trained computer to a circuit. Profiles (component technology) →
//! quantization → circuit IR (the single source of truth) → ngspice netlist.

pub mod circuit;
pub mod netlist;
pub mod profile;
pub mod quantize;
pub mod spice;
