//! The commands' orchestration: each module takes a checked job (from `cli`), runs the
//! library's stages in order and writes its files:
//!
//! - [`train`]: `train` (generative training, checkpoints, resume);
//! - [`init`]: `init` (an untrained model from a config);
//! - [`sample`]: `sample` (generation from noise, heat, quality);
//! - [`export`]: `export` and `spice` (quantize → circuit → ngspice deck, run it);
//! - [`bench`]: `bench` (throughput against SGEMM; `--spice`: ngspice vs behavioral);
//! - [`tolerance`]: `tolerance` and `merge` (Monte Carlo studies on the behavioral chip);
//! - [`design`]: `design` (design-space search: the cheapest chip meeting a yield target);
//! - [`teach`]: `teach` (teacher–student training of a classifier);
//! - [`classify`]: `classify` (accuracy, confusion, heat per inference);
//! - [`energy`]: `energy` (ideal, digital and circuit budgets);
//! - [`demo`]: `demo` (all of the above on the embedded synthetic digits).

pub mod bench;
pub mod classify;
pub mod demo;
pub mod design;
pub mod energy;
pub mod export;
pub mod init;
pub mod sample;
pub mod teach;
pub mod tolerance;
pub mod train;
