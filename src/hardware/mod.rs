//! Hardware: from a trained computer to a circuit, and the circuit's simulation.
//!
//! - [`profile`]: component technology (capacitance, noise temperature, coupling style,
//!   tolerances, buffers, power) from `hardware/*.toml`;
//! - [`eseries`]: the E24/E96/E192 resistor tables and snapping to them;
//! - [`quantize`]: couplings and biases to B-bit codes (pruning, E-series snapping);
//! - [`circuit`]: the circuit IR, the single source of truth for everything below;
//! - [`perturb`]: component tolerances, mismatch and faults drawn onto a circuit (one chip);
//! - [`netlist`]: the ngspice deck written from the circuit IR;
//! - [`spice`]: running ngspice in batch and reading node voltages back;
//! - [`behavioral`]: the circuit's Langevin dynamics simulated directly (the chip model used
//!   by tolerance studies), cross-validated against ngspice.

pub mod behavioral;
pub mod circuit;
pub mod eseries;
pub mod netlist;
pub mod perturb;
pub mod profile;
pub mod quantize;
pub mod spice;
pub mod trust;
