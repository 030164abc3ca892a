//! Which images a run uses: the `[data]` source of a configuration resolved to a data set,
//! and its training and held-out selections.

use crate::config::{DataSource, DataSpec};
use crate::data::{self, Digits};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Directory of the MNIST files: `--data`, else `data.path`, else the default location.
pub fn mnist_dir(cli: Option<&Path>, configured: Option<&PathBuf>) -> Result<PathBuf> {
    cli.map(Path::to_path_buf)
        .or_else(|| configured.cloned())
        .or_else(data::default_mnist_dir)
        .ok_or(Error::Data(data::DataError::NoSource))
}

/// True when `e` says the data files are absent (no directory given, no files there), as
/// opposed to present but unreadable: a command that can run without them says so and goes
/// on; any other data error stops it.
pub fn is_absent(e: &Error) -> bool {
    match e {
        Error::Data(
            data::DataError::NotFound { .. }
            | data::DataError::NoSource
            | data::DataError::NoMnistFiles { .. },
        ) => true,
        Error::Io { source, .. } => source.kind() == std::io::ErrorKind::NotFound,
        _ => false,
    }
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
            return Err(data::DataError::TooFew {
                digit: d,
                found: idx.len(),
                offset: spec.offset,
                skip,
                take,
            }
            .into());
        }
        picked.extend(idx);
    }
    Ok(all.select(&picked))
}
