//! The digit classifier that judges generated samples (the `confident` and `frechet` metrics
//! of [`super::quality`]): an `nn` MLP trained on MNIST test images 0..8000 (tested on
//! 8000..10000) for MNIST models, else on synthetic digits of all ten classes; cached in the
//! study directory as `classifier.npz` so shards and resumed runs share one.

use crate::config::{Config, DataSource};
use crate::data::Digits;
use crate::error::Result;
use crate::linalg::Parallelism;
use crate::nn::Mlp;
use std::path::Path;

/// Images the digit classifier is trained and tested on: MNIST test images 0..8000 / 8000..10000
/// when the model was trained on MNIST, else 800 / 200 synthetic digits per class.
pub fn classifier_data(cfg: &Config, cli: Option<&Path>) -> Result<(Digits, Digits)> {
    Ok(match &cfg.data.source {
        DataSource::Mnist { dir } => {
            let all =
                crate::data::load_mnist_dir(&crate::data::select::mnist_dir(cli, dir.as_ref())?)?;
            let n = all.len();
            let cut = n * 4 / 5;
            (
                all.select(&(0..cut).collect::<Vec<_>>()),
                all.select(&(cut..n).collect::<Vec<_>>()),
            )
        }
        DataSource::Synthetic { seed } => {
            let classes: Vec<u8> = (0..10).collect();
            let all = crate::data::synthetic::synthetic_digits(&classes, 1000, seed ^ 0x5eed);
            let cut = 8000;
            (
                all.select(&(0..cut).collect::<Vec<_>>()),
                all.select(&(cut..all.len()).collect::<Vec<_>>()),
            )
        }
    })
}

/// The judge for a model configured by `cfg` (its data from `--data` `cli`): loaded from
/// `cached` when that file exists, else trained from `seed` and saved there; with its accuracy
/// on its held-out images.
pub fn load_or_train(
    cfg: &Config,
    cli: Option<&Path>,
    cached: &Path,
    seed: u64,
    par: Parallelism,
) -> Result<(Mlp, f64)> {
    load_or_train_on(&classifier_data(cfg, cli)?, cached, seed, par)
}

/// [`load_or_train`] on images already read by [`classifier_data`] (train, test), for a caller
/// that needs the judge's held-out images as well.
pub fn load_or_train_on(
    (train, test): &(Digits, Digits),
    cached: &Path,
    seed: u64,
    par: Parallelism,
) -> Result<(Mlp, f64)> {
    let net = if cached.exists() {
        Mlp::load(cached)?
    } else {
        let (net, _) =
            par.install(|| crate::nn::digit_classifier(train, None, seed, par, |_| {}))?;
        net.save(cached)?;
        net
    };
    let acc = net.accuracy(test.standardised().view(), &test.labels, par);
    Ok((net, acc))
}
