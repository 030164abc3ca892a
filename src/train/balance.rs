//! Mode weights of a prototype potential (`model.prototype_balance_rounds`).
//!
//! The reverse-trajectory likelihood is local in time: it scores the drift along reversed
//! noising trajectories, not which basin a generation from noise ends in, so it cannot weigh
//! well-separated modes against each other (docs/generation.md). In the prototype potential the
//! mode of a sample is the group that is on (mean hidden value positive at t_f), and the
//! hidden biases set how often each group is on. For an energy-based model the likelihood
//! gradient of a bias is the difference between the data's and the model's mean of its unit;
//! here, with generated samples standing in for the model, every group has the data mean "on
//! in a fraction t_g of the images" (t_g its prototype's share of the training images, Σ t_g =
//! 1: every image has exactly one prototype). Three steps, all from `SAMPLES` generations from
//! noise with the shared integrator:
//!
//! 1. [`one_winner`]: a common offset of all grouped hidden biases, found by bisection, so that
//!    the mean number of groups on is 1 (the sum of the data means). With few groups the
//!    prototype potential already ends its races with one winner and nothing moves; with ten
//!    groups it does not (the stiff multi-winner states of docs/generation.md).
//! 2. [`balance`]: rounds moving every unit of group g by
//!
//!    Δb_g = step · (f_g − t_g) / t_g,   clipped to ±step,
//!
//!    where f_g is the fraction of samples in which group g is on (a larger bias lowers the
//!    group's hidden values, so a group on too often is pushed down), and step =
//!    [`STEP_KT`]·kT.
//! 3. Step 1 again: the rounds move the groups unevenly, which can shift the count of winners
//!    (with ten groups of 102 units it fell from 1.05 to 0.45 in ten rounds without this step).
//!
//! With `model.prototype_balance_before` this runs twice ([`Moment`]): on the potential as
//! built, before training, and after training. The second time the visible couplings are
//! trained ones, so the offset of step 1 is one bisection with no refit to the prototypes
//! (a refit would undo the training).
//!
//! Deterministic from the run seed: round r uses the sample streams 2⁴¹ + r·SAMPLES … of the
//! seed (the bisection those of round 0), which no `sample` run uses.

use crate::config::{Config, Init};
use crate::dynamics::sampler::Batch;
use crate::linalg::Parallelism;
use crate::model::prototypes::{self, Code};
use crate::model::Computer;
use ndarray::ArrayView2;
use std::ops::Range;

/// The bias step per round in units of kT: 0.5. A race is nearly deterministic in the biases
/// and its response to them is set by the noise, not by the size of the biases: with ten
/// groups of 51 units at C = 3,000 (a hidden bias of ≈ 700 energy units per unit once
/// [`one_winner`] has run), equal biases give every group 2–16 % of the wins, while lowering
/// one group's bias by 2 energy units (20 kT) takes its share from 0 to 2 % and by 5 units to
/// 100 % (measured with a NumPy transcription of the integrator on that potential). Steps
/// proportional to the hidden bias (2e-3 of it, 0.77 units here) made the wins jump from group
/// to group every round. (A step of 0.5 kT cannot, in ten rounds, undo the several energy
/// units by which likelihood training shifts the groups: docs/generation.md.)
pub const STEP_KT: f64 = 0.5;

/// Samples generated per round.
pub const SAMPLES: usize = 200;

/// The hidden-unit ranges of the groups and their target shares.
pub struct Groups {
    /// Unit indices of each group.
    pub units: Vec<Range<usize>>,
    /// Target fraction t_g of each group (sums to 1).
    pub targets: Vec<f64>,
}

/// How the races of the balancing are run: `steps` Euler–Maruyama steps (t_f/Δt) from the
/// noise streams of `seed`, with parallelism `par`.
#[derive(Clone, Copy, Debug)]
pub struct Race {
    /// Steps per generation.
    pub steps: usize,
    /// Run seed whose streams 2⁴¹ + … the races draw.
    pub seed: u64,
    /// Threads.
    pub par: Parallelism,
}

/// What the groups do in `SAMPLES` generations from noise.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Fraction of the samples in which each group is on (its mean hidden value positive at
    /// t_f): the model's counterpart of the group's share of the training images.
    pub on: Vec<f64>,
    /// Fraction of the samples in which exactly one group is on.
    pub one_hot: f64,
}

impl Outcome {
    /// Mean number of groups on per sample (1 when every race ends with one winner).
    pub fn winners(&self) -> f64 {
        self.on.iter().sum()
    }
}

/// The [`Outcome`] of `SAMPLES` generated samples on `computer`, raced as `race` says from
/// trajectory `first` of its seed on.
pub fn outcome(computer: &Computer<f32>, groups: &Groups, race: Race, first: u64) -> Outcome {
    let Race { steps, seed, par } = race;
    let mut batch = Batch::from_equilibrium(computer, seed, first, SAMPLES);
    par.install(|| batch.run(computer, steps, par, |_, _| {}));
    let mut on = vec![0usize; groups.units.len()];
    let mut one_hot = 0usize;
    for row in batch.x.rows() {
        let mut count = 0;
        for (g, r) in groups.units.iter().enumerate() {
            let sum: f64 = r.clone().map(|a| row[a] as f64).sum();
            if sum > 0.0 {
                on[g] += 1;
                count += 1;
            }
        }
        one_hot += usize::from(count == 1);
    }
    Outcome {
        on: on.iter().map(|&w| w as f64 / SAMPLES as f64).collect(),
        one_hot: one_hot as f64 / SAMPLES as f64,
    }
}

/// Tolerance on the mean number of winners before [`one_winner`] moves any bias.
pub const WINNERS_TOLERANCE: f64 = 0.05;

/// Passes of [`one_winner`] and the visible refit in [`balance_prototypes`].
pub const OFFSET_PASSES: usize = 3;

/// Bisection steps of [`one_winner`].
pub const BISECTIONS: usize = 14;

/// Make races end with one winner: when the mean number k of groups on at t_f is off 1 by
/// more than [`WINNERS_TOLERANCE`] (tol), shift every grouped hidden unit's bias by a common
/// offset δ (a larger bias lowers every group, so k falls as δ grows). With k > 1 + tol at
/// δ = 0, δ is the smallest offset with k ≤ 1 + tol; with k < 1 − tol, the offset nearest 0
/// with k ≥ 1 − tol. Found by [`BISECTIONS`] bisection steps after bracketing within
/// ±2⁴·`scale`; returns δ (0 when k was already within tolerance).
///
/// Why it is needed (docs/generation.md, "Ten digits"): the spin picture of the one-winner
/// couplings holds while the groups stay near ±m*. With many groups the hidden bias is large,
/// the groups are driven far out where the quartic term stiffens them, and then states with
/// several groups on (or none) are stable too: which one a race ends in depends on the common
/// bias, not on the 2C gap of the spin picture. Why the edge of the one-winner range: inside
/// it, the further the biases hold every group down, the more the race is decided by which
/// prototype the visible feedback helps most instead of by the noise (for ten MNIST medoids at
/// C = 3,000, in the first pass the "1" is on in 52 % of the races at the edge and in 92 % 26
/// energy units further in), and the nearer k = 0 lies. The sample streams are those of
/// round 0 of [`balance`], so the offset is a deterministic function of the seed.
pub fn one_winner(
    computer: &mut Computer<f32>,
    groups: &Groups,
    scale: f64,
    race: Race,
    mut progress: impl FnMut(f64, &Outcome),
) -> f64 {
    let units: Vec<usize> = groups.units.iter().flat_map(|r| r.clone()).collect();
    let base: Vec<f32> = units.iter().map(|&a| computer.params.b[a]).collect();
    let shift = |c: &mut Computer<f32>, delta: f64| {
        for (&a, &b) in units.iter().zip(&base) {
            c.params.b[a] = b + delta as f32;
        }
    };
    let mut count = |c: &mut Computer<f32>, delta: f64| -> f64 {
        shift(c, delta);
        let out = outcome(c, groups, race, 1u64 << 41);
        progress(delta, &out);
        out.winners()
    };
    let start = count(computer, 0.0);
    if (start - 1.0).abs() <= WINNERS_TOLERANCE {
        return 0.0;
    }
    // `inside(k)`: k is within tolerance on the side δ moves towards. `near` never is, `far`
    // is once bracketed; the answer is the `far` end.
    let sign = if start > 1.0 { 1.0 } else { -1.0 };
    let inside = |k: f64| (k - 1.0) * sign <= WINNERS_TOLERANCE;
    let (mut near, mut far) = (0.0, sign * scale);
    for widen in 0.. {
        if inside(count(computer, far)) || widen == 4 {
            break;
        }
        (near, far) = (far, 2.0 * far);
    }
    for _ in 0..BISECTIONS {
        let mid = 0.5 * (near + far);
        if inside(count(computer, mid)) {
            far = mid;
        } else {
            near = mid;
        }
    }
    shift(computer, far);
    far
}

/// Run `rounds` balancing rounds on `computer` (module docs) with bias step `step`, calling
/// `progress(round, outcome)` after each round's measurement; returns the on-fractions
/// measured in each round, before its update.
pub fn balance(
    computer: &mut Computer<f32>,
    groups: &Groups,
    rounds: usize,
    step: f64,
    race: Race,
    mut progress: impl FnMut(usize, &Outcome),
) -> Vec<Vec<f64>> {
    let mut history = Vec::with_capacity(rounds);
    for r in 0..rounds {
        let first = (1u64 << 41) + (r * SAMPLES) as u64;
        let out = outcome(computer, groups, race, first);
        progress(r, &out);
        for ((units, &fg), &tg) in groups.units.iter().zip(&out.on).zip(&groups.targets) {
            let d = (step * (fg - tg) / tg.max(1e-9)).clamp(-step, step) as f32;
            for a in units.clone() {
                computer.params.b[a] += d;
            }
        }
        history.push(out.on);
    }
    history
}

/// When [`balance_prototypes`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    /// On the potential as built, before the first trajectory (only with
    /// `model.prototype_balance_before`).
    BeforeTraining,
    /// After the last trajectory.
    AfterTraining,
}

/// Whether [`balance_prototypes`] does anything at `moment` for a run configured by `cfg`:
/// `model.init = "prototypes"` with balancing rounds, and before training only with
/// `model.prototype_balance_before`.
pub fn runs(cfg: &Config, moment: Moment) -> bool {
    match cfg.model.init {
        Init::Prototypes(init) => {
            init.balance_rounds > 0 && (moment == Moment::AfterTraining || init.balance_before)
        }
        Init::Random => false,
    }
}

/// Which measurement of [`balance_prototypes`] an [`Outcome`] is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stage {
    /// [`one_winner`] trying this common offset (energy per unit).
    Offset(f64),
    /// Round r (from 0) of [`balance`].
    Round(usize),
}

/// What [`balance_prototypes`] did.
#[derive(Clone, Debug, Default)]
pub struct Balanced {
    /// The common hidden-bias offset of [`one_winner`], summed over its passes (energy per
    /// unit).
    pub offset: f64,
    /// The on-fractions of the groups measured in each round, before its update.
    pub history: Vec<Vec<f64>>,
}

/// Balance the prototype potential `computer` of a run configured by `cfg` (nothing unless
/// `model.init = "prototypes"` with `model.prototype_balance_rounds` > 0): up to
/// [`OFFSET_PASSES`] passes of [`one_winner`] (offsets within ±the prototype hidden bias,
/// widened if needed), each followed by a refit of the visible couplings to the moved one-hot
/// minima; then the rounds of [`balance`], each group's target being its prototype's share of
/// the standardised training `images` with `labels` under `code`, with the step
/// [`STEP_KT`]·kT; then the offset passes once more. `progress` sees every measurement.
///
/// `moment` says when: before training it runs only with `model.prototype_balance_before`;
/// after training that followed such a balancing, the visible couplings have been trained,
/// so the offset is one pass of [`one_winner`] without a refit.
pub fn balance_prototypes(
    computer: &mut Computer<f32>,
    code: &Code,
    (images, labels): (ArrayView2<'_, f32>, &[u8]),
    cfg: &Config,
    (moment, par): (Moment, Parallelism),
    mut progress: impl FnMut(Stage, &Outcome),
) -> Balanced {
    let Init::Prototypes(init) = cfg.model.init else {
        return Balanced::default();
    };
    if !runs(cfg, moment) {
        return Balanced::default();
    }
    // After a balancing before training, the visible couplings are trained ones: a refit to
    // the prototypes would undo that training, so the offsets move the biases alone.
    let refit = !(moment == Moment::AfterTraining && init.balance_before);
    let (visible, n) = (images.ncols(), code.len());
    let hidden = computer.n() - visible;
    let groups = Groups {
        units: prototypes::group_units(visible, hidden, n),
        targets: code.shares(images, labels),
    };
    let physics = computer.physics;
    let bias = prototypes::hidden_bias(&physics, hidden, n, init.gap).abs();
    let step = STEP_KT * physics.kt;
    let race = Race {
        steps: physics.steps(cfg.noising.t_final),
        seed: cfg.train.seed,
        par,
    };
    // The offset moves the groups' values, so the visible couplings are refitted to the new
    // one-hot minima; that changes the race a little, so the offset is searched again. The
    // rounds move the groups' biases unevenly, so the level is checked again after them.
    let level = |computer: &mut Computer<f32>, progress: &mut dyn FnMut(Stage, &Outcome)| {
        let mut offset = 0.0;
        for _ in 0..OFFSET_PASSES {
            let d = one_winner(computer, &groups, bias.max(1.0), race, |d, o| {
                progress(Stage::Offset(d), o)
            });
            if d == 0.0 {
                break;
            }
            offset += d;
            if !refit {
                break;
            }
            prototypes::refit_visible(
                &physics,
                &mut computer.params,
                visible,
                code.prototypes(),
                cfg.noising.bias_scale,
                prototypes::REFITS,
            );
        }
        offset
    };
    let mut offset = level(computer, &mut progress);
    let history = balance(
        computer,
        &groups,
        init.balance_rounds,
        step,
        race,
        |r, o| progress(Stage::Round(r), o),
    );
    offset += level(computer, &mut progress);
    Balanced { offset, history }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PrototypeInit;
    use crate::data::standardise_rows;
    use crate::model::{prototypes, Connectivity, Physics, Topology};
    use ndarray::Array2;

    /// A two-prototype potential whose first group is handicapped by a bias is on in far fewer
    /// samples than the other; balancing brings both groups near their equal shares.
    #[test]
    fn balancing_moves_the_wins_to_the_targets() {
        let (mut computer, groups) = computer(2, 4, 5.0);
        let physics = computer.physics;
        for a in groups.units[0].clone() {
            computer.params.b[a] += 1.0;
        }
        let race = Race {
            steps: physics.steps(1.0),
            seed: 3,
            par: Parallelism::new(1),
        };
        let before = outcome(&computer, &groups, race, 1 << 50).on;
        assert!(
            before[0] < before[1] - 0.4,
            "handicapped group on in {before:?}"
        );
        balance(&mut computer, &groups, 20, 0.2, race, |_, _| {});
        let after = outcome(&computer, &groups, race, 1 << 50).on;
        assert!(
            after.iter().all(|f| (f - 0.5).abs() < 0.15),
            "after balancing: {after:?} (before {before:?})"
        );
    }

    /// A potential of `n` prototypes on 12 visible units, `g` hidden units per group.
    fn computer(n: usize, g: usize, gap: f64) -> (Computer<f32>, Groups) {
        let nv = 12;
        let hidden = n * g;
        let physics = Physics::PAPER;
        let raw = Array2::from_shape_fn((n, nv), |(q, i)| ((i * (q + 2) + q) % 5) as f32);
        let protos = standardise_rows(raw.view());
        let topology =
            Topology::visible_hidden(nv, hidden, &Connectivity::VisibleHiddenHiddenHidden, &[])
                .unwrap();
        let init = PrototypeInit {
            per_class: 1,
            gap,
            medoid: false,
            balance_rounds: 0,
            balance_before: false,
        };
        let params = prototypes::params(&physics, &topology, nv, protos.view(), init, 3.0).unwrap();
        let groups = Groups {
            units: prototypes::group_units(nv, hidden, n),
            targets: vec![1.0 / n as f64; n],
        };
        let c = Computer {
            physics,
            topology,
            params,
        };
        (c, groups)
    }

    /// Races that end with too few groups on (the soft four-prototype potential as built) or
    /// too many (every hidden bias lowered by 2 energy units) are brought to one winner per
    /// sample by a common offset of the right sign; a count already at 1 moves nothing.
    #[test]
    fn one_winner_brings_the_count_of_winners_to_one() {
        let (built, groups) = computer(4, 4, 5.0);
        let race = Race {
            steps: built.physics.steps(1.0),
            seed: 5,
            par: Parallelism::new(1),
        };
        let winners = |c: &Computer<f32>| outcome(c, &groups, race, 1 << 41).winners();
        for shift in [0.0f32, -2.0] {
            let mut c = built.clone();
            for a in groups.units.iter().flat_map(|r| r.clone()) {
                c.params.b[a] += shift;
            }
            let before = winners(&c);
            assert!(
                (before - 1.0).abs() > 0.3,
                "shift {shift}: {before} winners"
            );
            let delta = one_winner(&mut c, &groups, 1.0, race, |_, _| {});
            let after = winners(&c);
            assert!(
                (after - 1.0).abs() <= WINNERS_TOLERANCE,
                "shift {shift}: offset {delta} leaves {after} winners (before {before})"
            );
            assert!(
                delta * (before - 1.0) > 0.0,
                "shift {shift}: offset {delta}, {before} winners before"
            );
            assert_eq!(one_winner(&mut c, &groups, 1.0, race, |_, _| {}), 0.0);
        }
    }
}
