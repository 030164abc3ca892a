//! End-to-end jobs behind the commands. Each takes validated inputs, runs a stage of the
//! pipeline and writes its files:
//!
//! - [`train`]: `train` (generative training, checkpoints, resume);
//! - [`init`]: `init` (an untrained model from a config);
//! - [`sample`]: `sample` (generation from noise, heat, quality);
//! - [`export`]: `export` and `spice` (quantize → circuit → ngspice deck, run it);
//! - [`bench`]: `bench` (throughput against SGEMM; `--spice`: ngspice vs behavioral);
//! - [`tolerance`]: `tolerance` and `merge` (Monte Carlo studies on the behavioral chip);
//! - [`teach`]: `teach` (teacher–student training of a classifier);
//! - [`classify`]: `classify` (accuracy, confusion, heat per inference);
//! - [`energy`]: `energy` (ideal, digital and circuit budgets);
//! - [`demo`]: `demo` (all of the above on the embedded synthetic digits).

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

use crate::config::{DataSource, DataSpec};
use crate::data::{self, Digits};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Directory of the MNIST files: `--data`, else `data.path`, else the default location.
pub fn mnist_dir(cli: Option<&Path>, configured: Option<&PathBuf>) -> Result<PathBuf> {
    cli.map(Path::to_path_buf)
        .or_else(|| configured.cloned())
        .or_else(data::default_mnist_dir)
        .ok_or_else(|| {
            Error::Invalid(
                "no MNIST directory: pass --data DIR, set data.path, or set THERMOCAD_MNIST".into(),
            )
        })
}

/// The whole data set of the `[data]` source: MNIST IDX files, or the synthetic digits
/// (`data.per_class` of each of `data.digits`).
pub fn load_digits(spec: &DataSpec, cli: Option<&Path>) -> Result<Digits> {
    Ok(match &spec.source {
        DataSource::Synthetic { seed } => {
            data::synthetic::synthetic_digits(&spec.digits, spec.per_class, *seed)
        }
        DataSource::Mnist { dir } => data::load_mnist_dir(&mnist_dir(cli, dir.as_ref())?)?,
    })
}

/// The training images selected by `spec`: `per_class` images of each class in `digits`,
/// the first ones at or after index `offset`, class by class in the order of `digits`.
pub fn training_set(spec: &DataSpec, cli_dir: Option<&Path>) -> Result<Digits> {
    images_after(spec, cli_dir, 0, spec.per_class)
}

/// Held-out images of the training classes: the `per_class` images of each class that follow
/// the training images (never seen in training).
pub fn held_out_set(spec: &DataSpec, cli_dir: Option<&Path>, per_class: usize) -> Result<Digits> {
    images_after(spec, cli_dir, spec.per_class, per_class)
}

/// `take` images of each class of `spec`, skipping the first `skip` at or after `offset`.
fn images_after(
    spec: &DataSpec,
    cli_dir: Option<&Path>,
    skip: usize,
    take: usize,
) -> Result<Digits> {
    let all = match &spec.source {
        // Enough synthetic digits of every class for the images skipped and taken.
        DataSource::Synthetic { seed } => {
            let per = spec.offset + skip + take;
            data::synthetic::synthetic_digits(&spec.digits, per, *seed)
        }
        DataSource::Mnist { .. } => load_digits(spec, cli_dir)?,
    };
    let mut picked = Vec::new();
    for &d in &spec.digits {
        let idx: Vec<usize> = (spec.offset..all.len())
            .filter(|&i| all.labels[i] == d)
            .skip(skip)
            .take(take)
            .collect();
        if idx.len() < take {
            return Err(Error::Invalid(format!(
                "data: only {} images of digit {d} at or after offset {} (after {skip} skipped), {take} needed",
                idx.len(),
                spec.offset,
            )));
        }
        picked.extend(idx);
    }
    Ok(all.select(&picked))
}
