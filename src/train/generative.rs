//! Generative training (Whitelam 2025): maximise the probability that the computer generates
//! the time reverse of noising trajectories of the training images.

use super::executor::{Evaluation, Objective};
use super::reverse_nll::ReverseNll;
use crate::dynamics::noising::Protocol;
use crate::dynamics::rng::{stream, Purpose};
use crate::error::Result;
use crate::linalg::Parallelism;
use crate::model::Computer;
use ndarray::{Array1, Array2, Axis};
use rand::seq::SliceRandom;
use rayon::prelude::*;
use std::ops::Range;

/// The generative objective over a set of standardised training images.
pub struct Generative {
    biases: Vec<Array1<f32>>,
    protocol: Protocol,
    seed: u64,
    acc: ReverseNll<f32>,
}

impl Generative {
    /// Objective for `images` [M, Nv] (standardised) on a computer with `hidden` hidden units.
    pub fn new(images: &Array2<f32>, hidden: usize, protocol: Protocol, seed: u64) -> Self {
        let proj = protocol.projection(images.ncols(), hidden, seed);
        let biases = images
            .axis_iter(Axis(0))
            .map(|img| protocol.image_bias(img, hidden, proj.as_ref()))
            .collect();
        Generative {
            biases,
            protocol,
            seed,
            acc: ReverseNll::new(images.ncols() + hidden),
        }
    }

    /// Which image trajectory `id` noises: every image once per epoch, in an order shuffled
    /// per epoch from the run seed.
    pub fn image_of(&self, id: u64) -> usize {
        let m = self.biases.len() as u64;
        let mut order: Vec<usize> = (0..self.biases.len()).collect();
        order.shuffle(&mut stream(self.seed, Purpose::ImageChoice, id / m));
        order[(id % m) as usize]
    }

    /// The full-strength (λ = 1) bias [N] of the image that trajectory `id` noises.
    pub fn bias(&self, id: u64) -> &Array1<f32> {
        &self.biases[self.image_of(id)]
    }

    /// The noising trajectory [T+1, N] of index `id`.
    pub fn trajectory(&self, computer: &Computer<f32>, id: u64) -> Array2<f32> {
        self.protocol
            .trajectory(&computer.physics, self.bias(id), self.seed, id)
    }
}

impl Objective for Generative {
    fn evaluate(
        &mut self,
        computer: &Computer<f32>,
        ids: Range<u64>,
        par: Parallelism,
    ) -> Result<Evaluation> {
        let count = (ids.end - ids.start) as usize;
        let trajs: Vec<Array2<f32>> = ids
            .clone()
            .into_par_iter()
            .map(|id| self.trajectory(computer, id))
            .collect();
        for t in &trajs {
            self.acc.add(computer, t.view(), par);
        }
        let (loss, steps) = self.acc.loss();
        let mut grad = self.acc.finish(computer);
        let inv = 1.0 / count as f32;
        grad.j *= inv;
        grad.b *= inv;
        Ok(Evaluation {
            loss: loss / (steps as f64 * computer.n() as f64),
            grad,
        })
    }
}
