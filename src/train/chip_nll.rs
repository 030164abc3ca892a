//! The training loss of one trajectory evaluated on a chip: the behavioral simulator's drift
//! and noise ([`Behavioral`], compiled from the circuit IR) in place of the ideal computer's,
//! with its gradient carried back to the couplings J and biases b by the chain rule.
//!
//! On a chip, unit i follows dx_i = −D_i(x) dt + σ_i η_i with
//! D_i(x) = a_i x_i + c_i x_i³ + e_i + Σ_k M_ki x_k (docs: hardware/behavioral.rs). The
//! path probability of a step is Gaussian, so the action of a trajectory is
//!
//! ```text
//! S = Σ_t Σ_i r_{t,i}² / (2 σ_i²),   r_{t,i} = s·(x_t − x_{t+1})_i + Δt·D_i(p_t)
//! ```
//!
//! with p_t = x_{t+1}, s = +1 for the time-reversed path (generative training) and p_t = x_t,
//! s = −1 for the forward path (teacher–student). For the ideal circuit σ² = 2μkTΔt, D = μ∂V,
//! and S is exactly [`super::reverse_nll::ReverseNll`]'s loss. Its gradient with respect to
//! the chip's drift coefficients is
//!
//! ```text
//! ∂S/∂M_ki = Σ_t (Δt/σ_i²) r_{t,i} p_{t,k},     ∂S/∂e_i = Σ_t (Δt/σ_i²) r_{t,i}.
//! ```
//!
//! The chip realises M_ki = F_ki·J_ik and e_i = f_i·b_i, where F and f are what the circuit
//! made of one unit of coupling or bias (μ on the ideal chip; times the element's mismatch,
//! process spread, E-series snapping ratio and the node's capacitor error on a built chip).
//! F is read off the compiled chip as F_ki = M_ki / J_ik for every built element (exact for
//! multiplicative errors, and the straight-through derivative of snapping), and is μ·C/C_i for
//! a coupling the chip does not build (J_ik = 0); f_i = μ·C/C_i (the bias current source is
//! not toleranced, its node capacitor is). With one parameter per symmetric pair,
//!
//! ```text
//! ∂S/∂J_ik = F_ki ∂S/∂M_ki + F_ik ∂S/∂M_ik,      ∂S/∂b_i = f_i ∂S/∂e_i.
//! ```
//!
//! Neglected: the dependence of a_i on J through an imperfect resistive compensation (the
//! ground element and the coupling loads cancel as designed; what is left is of the order of
//! the resistor tolerance), and faults (training draws none).

use crate::hardware::behavioral::Behavioral;
use crate::hardware::circuit::{Circuit, Component};
use crate::linalg::{gemm, Parallelism};
use crate::model::{Computer, Params};
use ndarray::{s, Array1, Array2, ArrayView2, Zip};

use super::reverse_nll::Direction;

/// A compiled chip and its per-element chain-rule factors.
pub struct Chip {
    sim: Behavioral<f32>,
    /// F [target i, source k]: ∂M_ki/∂J_ik.
    factor: Array2<f32>,
    /// f_i = ∂e_i/∂b_i.
    bias_factor: Array1<f32>,
}

impl Chip {
    /// Compile `circuit`, built from `computer` (the parameters the circuit realises), for
    /// steps of the model's Δt.
    pub fn new(computer: &Computer<f32>, circuit: &Circuit) -> crate::Result<Self> {
        let ph = computer.physics;
        let sim = Behavioral::<f32>::compile(circuit, ph.dt)?;
        let n = computer.n();
        let nominal_c = circuit.mapping.c;
        let mut cap = vec![0.0f64; n];
        for comp in &circuit.components {
            if let Component::Capacitor { node, farads } = *comp {
                if let Some(c) = cap.get_mut(node.0 as usize) {
                    *c += farads;
                }
            }
        }
        let bias_factor: Array1<f32> = cap
            .iter()
            .map(|&c| {
                if c > 0.0 {
                    (ph.mu * nominal_c / c) as f32
                } else {
                    0.0
                }
            })
            .collect();
        let m = sim.coupling().matrix();
        let j = &computer.params.j;
        let factor = Array2::from_shape_fn((n, n), |(i, k)| {
            let jv = j[[i, k]];
            if i == k {
                0.0
            } else if jv != 0.0 {
                m[[k, i]] / jv
            } else {
                bias_factor[i]
            }
        });
        Ok(Chip {
            sim,
            factor,
            bias_factor,
        })
    }

    /// The compiled chip.
    pub fn simulator(&self) -> &Behavioral<f32> {
        &self.sim
    }

    /// The action S of `traj` [T+1, N] scored in `direction` (units without noise, e.g.
    /// clamped inputs, carry none) and its gradient with respect to J (one parameter per
    /// pair, symmetric, inside the mask of `computer`) and b (zero where b is not trainable).
    /// Single-threaded, so the result does not depend on the thread count.
    pub fn action(
        &self,
        computer: &Computer<f32>,
        traj: ArrayView2<'_, f32>,
        direction: Direction,
    ) -> (f64, Params<f32>) {
        let par = Parallelism::SEQUENTIAL;
        let t = traj.nrows() - 1;
        let n = computer.n();
        let (earlier, later) = (traj.slice(s![..t, ..]), traj.slice(s![1.., ..]));
        let (point, sign) = match direction {
            Direction::Reverse => (later, 1.0f32),
            Direction::Forward => (earlier, -1.0f32),
        };
        let mut r = Array2::<f32>::zeros((t, n));
        self.sim.drift(point, r.view_mut(), par);
        let dt = computer.physics.dt as f32;
        Zip::from(&mut r)
            .and(&earlier)
            .and(&later)
            .for_each(|r, &x, &xp| *r = sign * (x - xp) + dt * *r);
        // w_i = Δt/σ_i² scales r into ∂S/∂D·(1/Δt)…; units without noise are not scored.
        let sigma = self.sim.sigma();
        let mut loss = 0.0f64;
        for (i, mut col) in r.columns_mut().into_iter().enumerate() {
            let s2 = f64::from(sigma[i]).powi(2);
            if s2 == 0.0 {
                col.fill(0.0);
                continue;
            }
            loss += col.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / (2.0 * s2);
            let w = (f64::from(dt) / s2) as f32;
            col.mapv_inplace(|v| v * w);
        }
        // dM[k, i] = Σ_t p_{t,k} w_i r_{t,i}
        let mut dm = Array2::<f32>::zeros((n, n));
        gemm(dm.view_mut(), false, point.t(), r.view(), 1.0, par);
        let mut g = Params::<f32>::zeros(n);
        let mask = computer.topology.trainable_mask();
        for i in 0..n {
            for k in 0..n {
                if i != k && mask[[i, k]] != 0.0 {
                    g.j[[i, k]] =
                        self.factor[[i, k]] * dm[[k, i]] + self.factor[[k, i]] * dm[[i, k]];
                }
            }
        }
        let rsum = r.sum_axis(ndarray::Axis(0));
        Zip::from(&mut g.b)
            .and(&rsum)
            .and(&self.bias_factor)
            .and(computer.topology.bias_trainable())
            .for_each(|gb, &rs, &f, &tr| *gb = if tr { f * rs } else { 0.0 });
        (loss, g)
    }
}
