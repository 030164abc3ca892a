//! Idealised trajectories for teacher–student training (Whitelam, "Training thermodynamic
//! computers by gradient descent").
//!
//! Each evolving unit of the idealised path relaxes from x = 0, without noise and without
//! couplings, under its on-site potential plus a constant bias b⁰:
//! x_{k+1} = x_k − μΔt (2 J2 x_k + 4 J4 x_k³ + b⁰)   (the Euler step of the computer at kT = 0).
//! The teacher network sets each unit's *target* z: a hidden unit z = s_h·A with A its tanh
//! activation, an output unit z = s_o·(2p − 1) with p the softmax probability of its class
//! (the recognised class tends to +s_o, the others to −s_o). [`TargetMap`] chooses how the
//! target fixes b⁰:
//! * [`TargetMap::Endpoint`] solves for the b⁰ that makes the path end exactly at z at t_f;
//! * [`TargetMap::Bias`] uses the paper's proportional bias b⁰ = −z (force +z; the sign is that
//!   of V's Σ b_i x_i term), and the path ends wherever it relaxes to by t_f.

use crate::model::Physics;

/// How a target z sets the idealised bias b⁰ (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetMap {
    /// The path ends at z at t_f.
    Endpoint,
    /// b⁰ = −z.
    Bias,
}

/// The zero-noise, uncoupled relaxation of one unit from 0 under bias `b` for `steps` steps:
/// the T + 1 positions x_0 = 0, …, x_T.
pub fn relax(ph: &Physics, b: f64, steps: usize) -> Vec<f64> {
    let mut x = vec![0.0; steps + 1];
    for k in 0..steps {
        x[k + 1] = x[k] - ph.mu * ph.dt * (ph.onsite_grad(x[k]) + b);
    }
    x
}

/// The bias b⁰ for target `z` under `map`.
pub fn ideal_bias(ph: &Physics, z: f64, steps: usize, map: TargetMap) -> f64 {
    match map {
        TargetMap::Bias => -z,
        TargetMap::Endpoint => endpoint_bias(ph, z, steps),
    }
}

/// The bias whose relaxation ends at `z` after `steps` steps, by Newton's method on
/// x_T(b) (decreasing in b) with dx_T/db from the step's linearisation.
fn endpoint_bias(ph: &Physics, z: f64, steps: usize) -> f64 {
    let h = ph.mu * ph.dt;
    // Start from the linear (J4 = 0) solution.
    let decay = 1.0 - (1.0 - 2.0 * ph.j2 * h).powi(steps as i32);
    let mut b = if decay.abs() > 1e-12 {
        -z * 2.0 * ph.j2 / decay
    } else {
        -z / (h * steps as f64)
    };
    for _ in 0..100 {
        let (mut x, mut s) = (0.0f64, 0.0f64);
        for _ in 0..steps {
            let slope = 1.0 - h * (2.0 * ph.j2 + 12.0 * ph.j4 * x * x);
            x -= h * (ph.onsite_grad(x) + b);
            s = s * slope - h;
        }
        let miss = x - z;
        if miss.abs() < 1e-12 * z.abs().max(1.0) || s == 0.0 {
            break;
        }
        b -= miss / s;
    }
    b
}

/// Targets of the evolving units from the teacher's activations: hidden z = s_h·A,
/// outputs z = s_o·(2p − 1).
pub fn targets(hidden: &[f32], probs: &[f32], hidden_scale: f64, output_scale: f64) -> Vec<f64> {
    hidden
        .iter()
        .map(|&a| hidden_scale * a as f64)
        .chain(probs.iter().map(|&p| output_scale * (2.0 * p as f64 - 1.0)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_bias_hits_the_target() {
        let ph = Physics {
            kt: 1.0,
            ..Physics::PAPER
        };
        for z in [-2.5, -1.0, 0.0, 0.3, 1.0, 3.0] {
            let b = ideal_bias(&ph, z, 200, TargetMap::Endpoint);
            let end = *relax(&ph, b, 200).last().unwrap();
            assert!((end - z).abs() < 1e-9, "z {z}: ends at {end}");
        }
        assert_eq!(ideal_bias(&ph, 0.7, 200, TargetMap::Bias), -0.7);
    }
}
