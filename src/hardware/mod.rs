//! Hardware: from a trained computer to a circuit. Profiles (component technology) →
//! quantization → circuit IR (the single source of truth) → ngspice netlist.

pub mod behavioral;
pub mod circuit;
pub mod netlist;
pub mod perturb;
pub mod profile;
pub mod quantize;
pub mod spice;
pub mod trust;
