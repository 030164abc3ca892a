//! Quantization- and perturbation-aware training (issue 12, docs/codesign.md): an
//! [`Objective`] that evaluates a [`TrajectoryObjective`] on the chip a model is trained for
//! instead of on the float computer the optimizer updates.
//!
//! - **Quantization** (`[hardware] bits`): the loss is evaluated on J and b quantized by
//!   [`hardware::quantize`](crate::hardware::quantize) exactly as `export --bits B` does (one
//!   scale per tensor, round half away from zero); the gradient at the quantized point is
//!   applied to the float *shadow* parameters unchanged (straight-through estimator). With a
//!   load bound, rows whose rounded load exceeds it are rounded toward zero instead (on the
//!   same grid), so the quantized couplings satisfy the profile too ([`Hardware::quantized`]).
//! - **Chips** (`[hardware] perturb`, or bits on a profile with an E-series): every trajectory
//!   is scored on a circuit built by [`tolerance::chip_circuit`] from the quantized
//!   parameters (E-series snapping included) — with `perturb`, chip number
//!   [`TRAIN_CHIPS`] + id of the run seed, its own draw of the profile's deviations — compiled
//!   into the behavioral simulator ([`Chip`]).

use super::chip_nll::Chip;
use super::executor::{Evaluation, Objective, TrajectoryObjective};
use super::project::Constraints;
use super::reverse_nll::Direction;
use crate::config::HardwareSpec;
use crate::error::Result;
use crate::hardware::perturb::Nonidealities;
use crate::hardware::profile::{load_profile, Profile};
use crate::hardware::quantize::{quantize_computer, BitWidth, QuantSpec};
use crate::linalg::Parallelism;
use crate::model::{Computer, Params};
use crate::tolerance::{chip_circuit, Condition};
use ndarray::Array2;
use rayon::prelude::*;
use std::ops::Range;

/// Training trajectory `id` is scored on chip `TRAIN_CHIPS + id` of the run seed: far above
/// any chip number of a tolerance study, so training never draws a chip that a study with the
/// same seed evaluates.
pub const TRAIN_CHIPS: u64 = 1 << 56;

/// The chip a run trains for.
#[derive(Clone, Debug)]
pub struct Hardware {
    /// The profile.
    pub profile: Profile,
    /// Bit width of couplings and biases (None: full precision).
    pub bits: Option<BitWidth>,
    /// Realisability constraints of the profile (the load bound is kept after quantization).
    pub constraints: Option<Constraints>,
    /// Draw a chip per trajectory.
    pub perturb: bool,
    /// Seed of the chip draws (the run seed).
    pub seed: u64,
}

impl Hardware {
    /// The training chip of `[hardware]`: None without the section, or when it asks for
    /// neither bits nor perturbation (constraints alone are the executor's projection).
    pub fn of(
        hw: Option<&HardwareSpec>,
        constraints: Option<Constraints>,
        seed: u64,
    ) -> Result<Option<Self>> {
        let Some(h) = hw.filter(|h| h.bits.is_some() || h.perturb) else {
            return Ok(None);
        };
        Ok(Some(Hardware {
            profile: load_profile(&h.profile)?,
            bits: h.bits,
            constraints,
            perturb: h.perturb,
            seed,
        }))
    }

    /// Whether trajectories are scored on a built circuit: with perturbation, or when the
    /// quantized values are further snapped to a resistor series.
    pub fn uses_circuit(&self) -> bool {
        self.perturb || (self.bits.is_some() && self.profile.resistor_series.is_some())
    }

    /// The parameters the chip realises: `computer` quantized as `export --bits` quantizes it
    /// (a copy when no bit width is set). With a load bound L, each row whose rounded load
    /// Σ_k |q_ik| exceeds L is rounded toward zero on the same grid (|q| ≤ |x| for each of its
    /// pairs, so the row load is at most the shadow's, which the projection keeps ≤ L); the
    /// grid's full-scale value is left as it is, so `export --bits` reproduces the result bit
    /// for bit.
    pub fn quantized(&self, computer: &Computer<f32>) -> Result<Computer<f32>> {
        let Some(bits) = self.bits else {
            return Ok(computer.clone());
        };
        let (mut q, report, _) = quantize_computer(computer, &QuantSpec::bits(bits))?;
        let load = self.constraints.and_then(|c| c.max_load());
        if let (Some(load), Some(&step)) = (load, report.scale.first()) {
            if step > 0.0 {
                truncate_overloaded(&mut q.params.j, &computer.params.j, step, load);
            }
        }
        Ok(q)
    }

    /// The circuit-level chip of trajectory `id` for the quantized computer `q`.
    fn chip(&self, q: &Computer<f32>, id: u64) -> Result<Chip> {
        let c = Condition {
            nd: if self.perturb {
                Nonidealities::from_profile(&self.profile)
            } else {
                Nonidealities::none()
            },
            bits: None,
            inductance: self.profile.inductance,
            input_bits: None,
        };
        let draw = self.perturb.then_some((self.seed, TRAIN_CHIPS + id));
        let circuit = chip_circuit(q, &self.profile, &c, draw)?;
        Chip::new(q, &circuit)
    }
}

/// Round the rows of `q` whose load exceeds `load` toward zero on the grid of `step`, from the
/// shadow values `x`.
fn truncate_overloaded(q: &mut Array2<f32>, x: &Array2<f32>, step: f64, load: f64) {
    let n = q.nrows();
    let over: Vec<bool> = q
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|v| f64::from(v.abs())).sum::<f64>() > load)
        .collect();
    for i in (0..n).filter(|&i| over[i]) {
        for k in 0..n {
            let v = f64::from(q[[i, k]]);
            if v == 0.0 {
                continue;
            }
            let level = (v.abs() / step).round();
            let shadow = 0.5 * (f64::from(x[[i, k]]) + f64::from(x[[k, i]]));
            let down = (shadow.abs() / step + 1e-9).floor().min(level);
            let t = (down * step).copysign(v) as f32;
            q[[i, k]] = t;
            q[[k, i]] = t;
        }
    }
}

/// A trajectory objective evaluated on the chip of [`Hardware`].
pub struct Aware<T> {
    /// The objective (generative or teacher–student).
    pub inner: T,
    /// The chip.
    pub hardware: Hardware,
    /// How its trajectories are scored.
    pub direction: Direction,
}

impl<T: TrajectoryObjective> Objective for Aware<T> {
    fn evaluate(
        &mut self,
        computer: &Computer<f32>,
        ids: Range<u64>,
        par: Parallelism,
    ) -> Result<Evaluation> {
        let q = self.hardware.quantized(computer)?;
        if !self.hardware.uses_circuit() {
            // Straight through: the gradient at the quantized point is the shadow's step.
            return self.inner.evaluate(&q, ids, par);
        }
        let (this, hw, dir) = (&self.inner, &self.hardware, self.direction);
        let one = |id: u64| -> Result<(f64, usize, Params<f32>)> {
            let traj = this.trajectory_of(&q, id, Parallelism::SEQUENTIAL);
            let (loss, grad) = hw.chip(&q, id)?.action(&q, traj.view(), dir);
            Ok((loss, traj.nrows() - 1, grad))
        };
        let ids: Vec<u64> = ids.collect();
        let parts: Vec<Result<(f64, usize, Params<f32>)>> = if par.threads() > 1 {
            ids.par_iter().map(|&id| one(id)).collect()
        } else {
            ids.iter().map(|&id| one(id)).collect()
        };
        // Summed in trajectory order: independent of the thread count.
        let mut grad = Params::<f32>::zeros(q.n());
        let (mut loss, mut steps) = (0.0, 0);
        for p in parts {
            let (l, t, g) = p?;
            loss += l;
            steps += t;
            grad.j += &g.j;
            grad.b += &g.b;
        }
        let count = ids.len().max(1);
        let inv = 1.0 / count as f32;
        grad.j *= inv;
        grad.b *= inv;
        let units = this.scored_units(&q).max(1);
        Ok(Evaluation {
            loss: loss / (steps.max(1) * units) as f64,
            grad,
        })
    }
}
