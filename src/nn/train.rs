//! Minibatch training of an [`Mlp`] with softmax cross-entropy, the crate's Adam, a linearly
//! decaying step size and optional random-shift augmentation of square images.

use super::mlp::{Dense, Mlp};
use crate::dynamics::rng::{stream, Purpose};
use crate::linalg::Parallelism;
use crate::train::optim::OptimizerKind;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::RngExt;

/// How a network is trained.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MlpTraining {
    /// Passes over the training set.
    pub epochs: usize,
    /// Examples per Adam step.
    pub batch: usize,
    /// Initial Adam step size; it decays linearly to zero over the run.
    pub learning_rate: f64,
    /// Random translation of each example by up to ±`shift` pixels in x and y (square images
    /// only; 0 = no augmentation). Uncovered pixels take the image's top-left (background) value.
    pub shift: usize,
    /// Seed of the initial weights, the example order and the shifts.
    pub seed: u64,
}

/// One epoch's record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochRecord {
    /// Epoch number (1-based).
    pub epoch: usize,
    /// Mean training cross-entropy over the epoch's batches (nats).
    pub loss: f64,
    /// Accuracy on the held-out set passed to [`train`], if any.
    pub test_accuracy: Option<f64>,
}

/// Train `net` on inputs `x` [M, inputs] with `labels`; after every epoch the accuracy on
/// `test` (inputs, labels) is recorded, and `on_epoch` sees the record.
pub fn train(
    net: &mut Mlp,
    x: ArrayView2<'_, f32>,
    labels: &[u8],
    test: Option<(ArrayView2<'_, f32>, &[u8])>,
    cfg: &MlpTraining,
    par: Parallelism,
    mut on_epoch: impl FnMut(&EpochRecord),
) -> Vec<EpochRecord> {
    let m = x.nrows();
    let zeros = |net: &Mlp| -> Vec<Dense> {
        net.layers
            .iter()
            .map(|l| Dense {
                w: Array2::zeros(l.w.raw_dim()),
                c: Array1::zeros(l.c.len()),
            })
            .collect()
    };
    let (mut mom, mut var) = (zeros(net), zeros(net));
    let steps_per_epoch = m.div_ceil(cfg.batch.max(1));
    let total = (cfg.epochs * steps_per_epoch).max(1) as f64;
    let mut t = 0u64;
    let mut records = Vec::with_capacity(cfg.epochs);
    for epoch in 1..=cfg.epochs {
        let mut order: Vec<usize> = (0..m).collect();
        order.shuffle(&mut stream(cfg.seed, Purpose::ImageChoice, epoch as u64));
        let mut loss_sum = 0.0;
        for (k, chunk) in order.chunks(cfg.batch.max(1)).enumerate() {
            let mut xb = x.select(Axis(0), chunk);
            if cfg.shift > 0 {
                let index = (epoch * steps_per_epoch + k) as u64;
                shift_rows(&mut xb, cfg.shift, cfg.seed, index);
            }
            let yb: Vec<u8> = chunk.iter().map(|&i| labels[i]).collect();
            let (loss, grads) = net.loss_and_grad(xb.view(), &yb, par);
            loss_sum += loss;
            t += 1;
            let lr = cfg.learning_rate * (1.0 - (t - 1) as f64 / total);
            let adam = OptimizerKind::Adam {
                learning_rate: lr,
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
            };
            for ((p, g), (mo, va)) in net
                .layers
                .iter_mut()
                .zip(&grads)
                .zip(mom.iter_mut().zip(var.iter_mut()))
            {
                adam.update(t, &mut p.w, &mut mo.w, &mut va.w, &g.w);
                adam.update(t, &mut p.c, &mut mo.c, &mut va.c, &g.c);
            }
        }
        let rec = EpochRecord {
            epoch,
            loss: loss_sum / steps_per_epoch as f64,
            test_accuracy: test.map(|(tx, tl)| net.accuracy(tx, tl, par)),
        };
        on_epoch(&rec);
        records.push(rec);
    }
    records
}

/// Translate every row (a square image) by a random offset in [−shift, shift]² drawn from
/// stream (`seed`, index), filling uncovered pixels with the row's first (background) pixel.
fn shift_rows(x: &mut Array2<f32>, shift: usize, seed: u64, index: u64) {
    let side = (x.ncols() as f64).sqrt() as usize;
    if side * side != x.ncols() {
        return;
    }
    let mut rng = stream(seed, Purpose::Noising, index);
    let span = 2 * shift as i64 + 1;
    for mut row in x.axis_iter_mut(Axis(0)) {
        let dy = rng.random_range(0..span) - shift as i64;
        let dx = rng.random_range(0..span) - shift as i64;
        let src = row.to_owned();
        let fill = src[0];
        let img = src.into_shape_with_order((side, side)).expect("square");
        for r in 0..side as i64 {
            for c in 0..side as i64 {
                let (sr, sc) = (r - dy, c - dx);
                let inside = (0..side as i64).contains(&sr) && (0..side as i64).contains(&sc);
                row[(r * side as i64 + c) as usize] = if inside {
                    img[[sr as usize, sc as usize]]
                } else {
                    fill
                };
            }
        }
    }
}
