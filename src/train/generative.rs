//! Generative training (Whitelam 2025): maximise the probability that the computer generates
//! the time reverse of noising trajectories of the training images.

use super::executor::TrajectoryObjective;
use super::reverse_nll::ReverseNll;
use crate::config::Scored;
use crate::dynamics::noising::Protocol;
use crate::dynamics::rng::{stream, Purpose};
use crate::linalg::Parallelism;
use crate::model::prototypes::Code;
use crate::model::Computer;
use ndarray::{Array1, Array2, Axis};
use rand::seq::SliceRandom;

/// The generative objective over a set of standardised training images.
pub struct Generative {
    biases: Vec<Array1<f32>>,
    protocol: Protocol,
    seed: u64,
    acc: ReverseNll<f32>,
    /// Units whose steps are scored (all, or the visible ones with `train.scored`).
    scored: usize,
    /// First unit whose noising bias does not fade ([`Protocol::held_from`]).
    held: usize,
}

impl Generative {
    /// Objective for `images` [M, Nv] (standardised) on a computer with `hidden` hidden units.
    pub fn new(images: &Array2<f32>, hidden: usize, protocol: Protocol, seed: u64) -> Self {
        let proj = protocol.projection(images.ncols(), hidden, seed);
        let biases = images
            .axis_iter(Axis(0))
            .map(|img| protocol.image_bias(img, hidden, proj.as_ref()))
            .collect();
        Self::from_biases((images.ncols(), hidden), biases, protocol, seed)
    }

    /// The objective of a run configured by `cfg` ([model] hidden count, [noising], seed) for
    /// `images` of classes `labels`, imprinted on the hidden units by the prototype `code` when
    /// one is given (`noising.hidden_projection = "prototypes"`).
    pub fn with_code(
        images: &Array2<f32>,
        labels: &[u8],
        cfg: &crate::config::Config,
        code: Option<&Code>,
    ) -> Self {
        let (hidden, protocol, seed) = (cfg.model.hidden, cfg.noising.clone(), cfg.train.seed);
        let mut objective = match code {
            None => Self::new(images, hidden, protocol, seed),
            Some(code) => {
                let biases = images
                    .axis_iter(Axis(0))
                    .zip(labels)
                    .map(|(img, &l)| code.image_bias(&protocol, img, l))
                    .collect();
                Self::from_biases((images.ncols(), hidden), biases, protocol, seed)
            }
        };
        if cfg.train.scored == Scored::Visible {
            let nv = images.ncols();
            objective.acc.unscore(nv..nv + hidden);
            objective.scored = nv;
        }
        objective
    }

    /// The objective of the noising `biases` [N] on a computer of `visible` + `hidden` units;
    /// every unit scored.
    fn from_biases(
        (visible, hidden): (usize, usize),
        biases: Vec<Array1<f32>>,
        protocol: Protocol,
        seed: u64,
    ) -> Self {
        let n = visible + hidden;
        Generative {
            held: protocol.held_from(visible, n),
            biases,
            protocol,
            seed,
            acc: ReverseNll::new(n),
            scored: n,
        }
    }

    /// Which image trajectory `id` noises (see [`epoch_order`]).
    pub fn image_of(&self, id: u64) -> usize {
        epoch_order(self.seed, self.biases.len(), id)
    }

    /// The full-strength (λ = 1) bias [N] of the image that trajectory `id` noises.
    pub fn bias(&self, id: u64) -> &Array1<f32> {
        &self.biases[self.image_of(id)]
    }

    /// The first unit whose noising bias does not fade (N when every bias fades).
    pub fn held(&self) -> usize {
        self.held
    }

    /// The noising trajectory [T+1, N] of index `id`.
    pub fn trajectory(&self, computer: &Computer<f32>, id: u64, par: Parallelism) -> Array2<f32> {
        let bias = (self.bias(id), self.held);
        self.protocol
            .trajectory(&computer.physics, bias, self.seed, id, par)
    }
}

/// Which of `m` training examples trajectory `id` uses: every example once per epoch, in an
/// order shuffled per epoch from the run seed.
pub fn epoch_order(seed: u64, m: usize, id: u64) -> usize {
    let mut order: Vec<usize> = (0..m).collect();
    order.shuffle(&mut stream(seed, Purpose::ImageChoice, id / m as u64));
    order[(id % m as u64) as usize]
}

impl TrajectoryObjective for Generative {
    fn trajectory_of(&self, computer: &Computer<f32>, id: u64, par: Parallelism) -> Array2<f32> {
        self.trajectory(computer, id, par)
    }

    /// Every unit, visible and hidden, or with `train.scored = "visible"` the visible ones.
    fn scored_units(&self, _computer: &Computer<f32>) -> usize {
        self.scored
    }

    fn action(&mut self) -> &mut ReverseNll<f32> {
        &mut self.acc
    }
}
