//! The commands' orchestration: each module takes a checked job (see `cli`), runs the
//! library's stages in order and writes its files.
//!
//! * [`train`], [`teach`]: generative and teacher–student training;
//! * [`init`]: an untrained model directory;
//! * [`sample`], [`classify`]: generation and classification with a trained model;
//! * [`export`]: quantize, map to a circuit, write (and run) an ngspice deck;
//! * [`tolerance`]: Monte Carlo tolerance studies and the merge of their shards;
//! * [`energy`]: energy budgets per sample;
//! * [`bench`]: throughput against a plain SGEMM;
//! * [`demo`]: all of the above on the embedded synthetic digits.

pub mod bench;
pub mod classify;
pub mod demo;
pub mod energy;
pub mod export;
pub mod init;
pub mod sample;
pub mod teach;
pub mod tolerance;
pub mod train;

pub use crate::data::select::{held_out_set, load_digits, mnist_dir, training_set};
