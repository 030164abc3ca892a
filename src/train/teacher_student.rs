//! Teacher–student training (Whitelam, "Training thermodynamic computers by gradient
//! descent"): maximise the probability that the computer, with its input units clamped to an
//! image, generates the idealised trajectory built from a teacher network's activations —
//! i.e. minimise the forward Onsager–Machlup action of that trajectory.

use super::executor::TrajectoryObjective;
use super::generative::epoch_order;
use super::reverse_nll::{Direction, ReverseNll};
use crate::dynamics::ideal::{ideal_bias, relax, targets, TargetMap};
use crate::linalg::Parallelism;
use crate::model::{Computer, Physics};
use ndarray::{s, Array2, ArrayView2};
use rayon::prelude::*;

/// How teacher activations become idealised trajectories.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IdealPaths {
    /// Hidden target z = hidden_scale · tanh activation.
    pub hidden_scale: f64,
    /// Output target z = output_scale · (2p − 1).
    pub output_scale: f64,
    /// How a target sets the idealised bias.
    pub map: TargetMap,
    /// Euler steps to t_f.
    pub steps: usize,
}

/// The forward-action objective over a training set.
pub struct TeacherStudent {
    inputs: Array2<f32>,
    /// Idealised biases b⁰ [M, evolving units] (f64: solved once).
    biases: Array2<f64>,
    steps: usize,
    seed: u64,
    acc: ReverseNll<f32>,
}

impl TeacherStudent {
    /// Objective for clamped `inputs` [M, Nin] whose teacher activations are `hidden`
    /// [M, Nh] (tanh) and `probs` [M, No] (softmax); the computer's units are the inputs, then
    /// the hidden units, then the outputs.
    pub fn new(
        ph: &Physics,
        inputs: Array2<f32>,
        hidden: ArrayView2<'_, f32>,
        probs: ArrayView2<'_, f32>,
        paths: &IdealPaths,
        seed: u64,
    ) -> Self {
        let ne = hidden.ncols() + probs.ncols();
        let rows: Vec<Vec<f64>> = (0..inputs.nrows())
            .into_par_iter()
            .map(|m| {
                let (h, p) = (hidden.row(m).to_vec(), probs.row(m).to_vec());
                targets(&h, &p, paths.hidden_scale, paths.output_scale)
                    .iter()
                    .map(|&z| ideal_bias(ph, z, paths.steps, paths.map))
                    .collect()
            })
            .collect();
        let biases = Array2::from_shape_fn((rows.len(), ne), |(m, i)| rows[m][i]);
        let n = inputs.ncols() + ne;
        TeacherStudent {
            inputs,
            biases,
            steps: paths.steps,
            seed,
            acc: ReverseNll::with_direction(n, Direction::Forward),
        }
    }

    /// Number of training examples.
    pub fn len(&self) -> usize {
        self.inputs.nrows()
    }

    /// True without training examples.
    pub fn is_empty(&self) -> bool {
        self.inputs.nrows() == 0
    }

    /// The idealised trajectory [T+1, N] of example `m`: inputs clamped to the example,
    /// evolving units on their zero-noise uncoupled relaxations.
    pub fn trajectory(&self, ph: &Physics, m: usize) -> Array2<f32> {
        let nin = self.inputs.ncols();
        let mut traj = Array2::zeros((self.steps + 1, nin + self.biases.ncols()));
        traj.slice_mut(s![.., ..nin]).assign(
            &self
                .inputs
                .row(m)
                .broadcast((self.steps + 1, nin))
                .expect("row"),
        );
        for (i, &b) in self.biases.row(m).iter().enumerate() {
            for (k, x) in relax(ph, b, self.steps).into_iter().enumerate() {
                traj[[k, nin + i]] = x as f32;
            }
        }
        traj
    }
}

impl TrajectoryObjective for TeacherStudent {
    /// Idealised paths are noise-free and cheap: built on one thread.
    fn trajectory_of(&self, computer: &Computer<f32>, id: u64, _par: Parallelism) -> Array2<f32> {
        let m = epoch_order(self.seed, self.len(), id);
        self.trajectory(&computer.physics, m)
    }

    /// The evolving units (the clamped inputs carry no action).
    fn scored_units(&self, computer: &Computer<f32>) -> usize {
        computer.topology.n_evolving()
    }

    fn action(&mut self) -> &mut ReverseNll<f32> {
        &mut self.acc
    }
}
