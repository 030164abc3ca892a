//! Heat and work of the forward (noising) process.
//!
//! While an image is noised the couplings are zero and the bias fades,
//! V_λ(x) = Σ_i (J2 x_i² + J4 x_i⁴) + λ(t) Σ_i b_i x_i. Row k of a recorded trajectory
//! (k ≥ 1) is reached by one step under λ_{k−1} = λ((k−1)Δt); then the bias switches to λ_k
//! at fixed x. Per step (model energy units):
//!
//! - heat to the bath (Stratonovich): dQ = −∇V_{λ_{k−1}}(x̄)·(x_k − x_{k−1}), x̄ the midpoint;
//! - work done on the units by the protocol: dW = V_{λ_k}(x_k) − V_{λ_{k−1}}(x_k)
//!   = (λ_k − λ_{k−1}) Σ_i b_i x_{k,i}.
//!
//! The first law ΔV = W − Q, with ΔV = V_{λ_T}(x_T) − V_{λ_0}(x_0), holds up to the
//! discretisation error of the Stratonovich sum.

use super::heat::StratonovichHeat;
use crate::dynamics::noising::Protocol;
use crate::linalg::Parallelism;
use crate::model::{Computer, Connectivity, Params, Physics, Topology};
use ndarray::{Array1, Array2, ArrayView2, Axis};

/// Energetics of one forward trajectory [model energy units].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ForwardHeat {
    /// Heat emitted to the bath, Σ dQ.
    pub heat: f64,
    /// Work done by the fading bias, Σ dW.
    pub work: f64,
    /// Change of potential energy V_{λ_T}(x_T) − V_{λ_0}(x_0).
    pub delta_v: f64,
}

/// Account a noising trajectory `traj` [T+1, N] recorded under `protocol` with the
/// full-strength bias `b_image` [N] whose units from `held` on do not fade (see
/// [`Protocol::trajectory_into`]).
pub fn account(
    ph: &Physics,
    protocol: &Protocol,
    (b_image, held): (&Array1<f32>, usize),
    traj: ArrayView2<'_, f32>,
) -> ForwardHeat {
    let n = b_image.len();
    let free = Connectivity::Custom(Array2::zeros((n, n)));
    let topology = Topology::visible_hidden(n, 0, &free, &[]).expect("an all-zero mask is valid");
    let mut c = Computer {
        physics: *ph,
        topology,
        params: Params::zeros(n),
    };
    let par = Parallelism::SEQUENTIAL;
    let lambda = |k: usize| protocol.lambda(k as f64 * ph.dt);
    let row = |k: usize| traj.slice(ndarray::s![k..k + 1, ..]);
    let last = traj.nrows() - 1;
    c.params.b = protocol.faded(b_image, lambda(0), held);
    let v0 = c.energy(row(0), par)[0];
    let mut strat = StratonovichHeat::new(row(0));
    let mut work = 0.0f64;
    for k in 1..=last {
        c.params.b = protocol.faded(b_image, lambda(k - 1), held);
        strat.step(&c, row(k), par);
        // Only the fading biases do work.
        let bx: f64 = b_image
            .iter()
            .take(held)
            .zip(traj.index_axis(Axis(0), k).iter())
            .map(|(&b, &x)| f64::from(b) * f64::from(x))
            .sum();
        work += (lambda(k) - lambda(k - 1)) * bx;
    }
    c.params.b = protocol.faded(b_image, lambda(last), held);
    let v1 = c.energy(row(last), par)[0];
    ForwardHeat {
        heat: strat.heat[0],
        work,
        delta_v: v1 - v0,
    }
}

/// Heat and work of the noising trajectories 0..count of `gen` (the training images, generated
/// as training generates them), in parallel on `par`.
pub fn measure(
    c: &Computer<f32>,
    gen: &crate::train::generative::Generative,
    protocol: &Protocol,
    count: usize,
    par: crate::linalg::Parallelism,
) -> Vec<ForwardHeat> {
    use rayon::prelude::*;
    let ph = c.physics;
    par.install(|| {
        (0..count as u64)
            .into_par_iter()
            .map(|id| {
                account(
                    &ph,
                    protocol,
                    (gen.bias(id), gen.held()),
                    gen.trajectory(c, id, par).view(),
                )
            })
            .collect()
    })
}
