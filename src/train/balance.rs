//! Mode weights of a prototype potential (`model.prototype_balance_rounds`).
//!
//! The reverse-trajectory likelihood is local in time: it scores the drift along reversed
//! noising trajectories, not which basin a generation from noise ends in, so it cannot weigh
//! well-separated modes against each other (docs/generation.md). In the prototype potential the
//! mode of a sample is the group that wins (the group with the largest mean hidden value at
//! t_f), and a group's hidden bias sets how often it wins. For an energy-based model the
//! likelihood gradient of a bias is the difference between the data's and the model's mean of
//! its unit; here, with the generated samples standing in for the model, each round generates
//! `SAMPLES` samples from noise with the shared integrator and moves every unit of group g by
//!
//!   Δb_g = step · (f_g − t_g) / t_g,   clipped to ±step,
//!
//! where f_g is the fraction of samples group g wins and t_g its share of the training images
//! (a larger bias lowers the group's hidden values, so a group that wins too often is pushed
//! down). `step` is [`STEP_FRACTION`] of the prototype hidden bias C(n−2)/(G m*) (at least
//! 0.05 energy units). Deterministic from the run seed: round r uses the sample streams
//! 2⁴¹ + r·SAMPLES … of the seed, which no `sample` run uses.

use crate::config::{Config, Init};
use crate::dynamics::sampler::Batch;
use crate::linalg::Parallelism;
use crate::model::prototypes::{self, Code};
use crate::model::Computer;
use ndarray::ArrayView2;
use std::ops::Range;

/// The bias step per round as a fraction of the prototype hidden bias C(n−2)/(G m*): 2e-3
/// (0.77 energy units per hidden unit for ten prototypes of 51 units at C = 3,000; 2e-2
/// overshot, concentrating the wins on two groups, 5e-4 balanced as well as 2e-3 in ten rounds).
pub const STEP_FRACTION: f64 = 2e-3;

/// Samples generated per round.
pub const SAMPLES: usize = 200;

/// The hidden-unit ranges of the groups and their target shares.
pub struct Groups {
    /// Unit indices of each group.
    pub units: Vec<Range<usize>>,
    /// Target fraction t_g of each group (sums to 1).
    pub targets: Vec<f64>,
}

/// Fraction of `SAMPLES` generated samples that each group wins, on `computer` over `steps`
/// Euler–Maruyama steps from the noise streams of `seed` starting at trajectory `first`.
pub fn win_fractions(
    computer: &Computer<f32>,
    groups: &Groups,
    steps: usize,
    seed: u64,
    first: u64,
    par: Parallelism,
) -> Vec<f64> {
    let mut batch = Batch::from_equilibrium(computer, seed, first, SAMPLES);
    par.install(|| batch.run(computer, steps, par, |_, _| {}));
    let mut wins = vec![0usize; groups.units.len()];
    for row in batch.x.rows() {
        let mean = |r: &Range<usize>| {
            r.clone().map(|a| row[a] as f64).sum::<f64>() / r.len().max(1) as f64
        };
        let best = (0..groups.units.len())
            .max_by(|&a, &b| mean(&groups.units[a]).total_cmp(&mean(&groups.units[b])));
        if let Some(g) = best {
            wins[g] += 1;
        }
    }
    wins.iter().map(|&w| w as f64 / SAMPLES as f64).collect()
}

/// Run `rounds` balancing rounds on `computer` (module docs) with bias step `step`; returns
/// the win fractions measured in each round, before its update.
pub fn balance(
    computer: &mut Computer<f32>,
    groups: &Groups,
    rounds: usize,
    step: f64,
    steps: usize,
    seed: u64,
    par: Parallelism,
) -> Vec<Vec<f64>> {
    let mut history = Vec::with_capacity(rounds);
    for r in 0..rounds {
        let first = (1u64 << 41) + (r * SAMPLES) as u64;
        let f = win_fractions(computer, groups, steps, seed, first, par);
        for ((units, &fg), &tg) in groups.units.iter().zip(&f).zip(&groups.targets) {
            let d = (step * (fg - tg) / tg.max(1e-9)).clamp(-step, step) as f32;
            for a in units.clone() {
                computer.params.b[a] += d;
            }
        }
        history.push(f);
    }
    history
}

/// `model.prototype_balance_rounds` rounds on the prototype potential `computer` of a run
/// configured by `cfg` (none unless `model.init = "prototypes"`): each group's target is its
/// prototype's share of the standardised training `images` with `labels` under `code`, and the
/// step [`STEP_FRACTION`] of the prototype hidden bias. Returns the win fractions of each round.
pub fn balance_prototypes(
    computer: &mut Computer<f32>,
    code: &Code,
    (images, labels): (ArrayView2<'_, f32>, &[u8]),
    cfg: &Config,
    par: Parallelism,
) -> Vec<Vec<f64>> {
    let Init::Prototypes(init) = cfg.model.init else {
        return Vec::new();
    };
    let (visible, n) = (images.ncols(), code.len());
    let hidden = computer.n() - visible;
    let groups = Groups {
        units: prototypes::group_units(visible, hidden, n),
        targets: code.shares(images, labels),
    };
    let physics = computer.physics;
    let step =
        (STEP_FRACTION * prototypes::hidden_bias(&physics, hidden, n, init.gap).abs()).max(0.05);
    let steps = physics.steps(cfg.noising.t_final);
    balance(
        computer,
        &groups,
        init.balance_rounds,
        step,
        steps,
        cfg.train.seed,
        par,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PrototypeInit;
    use crate::data::standardise_rows;
    use crate::model::{prototypes, Connectivity, Physics, Topology};
    use ndarray::Array2;

    /// A two-prototype potential whose first group is handicapped by a bias wins far less than
    /// half the samples; balancing brings both groups near their equal shares.
    #[test]
    fn balancing_moves_the_wins_to_the_targets() {
        let (nv, hidden) = (12, 8);
        let physics = Physics::PAPER;
        let raw = Array2::from_shape_fn((2, nv), |(q, i)| ((i * (q + 2) + q) % 5) as f32);
        let protos = standardise_rows(raw.view());
        let topology =
            Topology::visible_hidden(nv, hidden, &Connectivity::VisibleHiddenHiddenHidden, &[])
                .unwrap();
        let init = PrototypeInit {
            per_class: 1,
            gap: 5.0,
            medoid: false,
            balance_rounds: 0,
        };
        let params = prototypes::params(&physics, &topology, nv, protos.view(), init, 3.0).unwrap();
        let mut computer = Computer {
            physics,
            topology,
            params,
        };
        let groups = Groups {
            units: prototypes::group_units(nv, hidden, 2),
            targets: vec![0.5, 0.5],
        };
        for a in groups.units[0].clone() {
            computer.params.b[a] += 1.0;
        }
        let steps = physics.steps(1.0);
        let par = Parallelism::new(1);
        let before = win_fractions(&computer, &groups, steps, 3, 1 << 50, par);
        assert!(before[0] < 0.2, "handicapped group wins {}", before[0]);
        balance(&mut computer, &groups, 20, 0.2, steps, 3, par);
        let after = win_fractions(&computer, &groups, steps, 3, 1 << 50, par);
        assert!(
            (after[0] - 0.5).abs() < 0.15,
            "after balancing: {after:?} (before {before:?})"
        );
    }
}
