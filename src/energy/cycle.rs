//! The whole cycle of one sample on a Langevin computer, in model energy units.
//!
//! Write V(x) = V₀(x) + U(x) + K, with V₀(x) = Σ_(evolving i) (J2 x_i² + J4 x_i⁴) the
//! coupling-free, bias-free potential of the evolving units, K the terms of clamped units
//! alone (held by their drivers, never switched; V at the same clamped values with every
//! evolving unit at 0) and U the rest: the biases and couplings that act on evolving units.
//! One sample is a cycle:
//!
//! 1. **switch on** the couplings and biases at fixed x₀: work W_on = U(x₀);
//! 2. **generate** (or infer) at constant parameters for t_f: heat Q = V(x₀) − V(x_f);
//! 3. **switch off** at fixed x_f: work W_off = −U(x_f);
//! 4. **reset**: with the couplings off, the units relax (or are discharged) back to the
//!    distribution the next sample starts from; no work is done, so the heat is the drop of
//!    V₀: ⟨Q_reset⟩ = ⟨V₀(x_f)⟩ − ⟨V₀⟩_start. A generation starts from the coupling-free
//!    equilibrium, whose ⟨V₀⟩_eq is computed by quadrature ([`onsite_average`]); a classifier
//!    starts its evolving units at x = 0, measured on the start states.
//!
//! Over the cycle the system returns to its start distribution, so the first law reads
//! ⟨W_on + W_off⟩ = ⟨Q⟩ + ⟨Q_reset⟩: the heat of a sample is paid for by the switching work.
//! The paper counts only Q. Every quantity is measured on simulated states x₀ and x_f.

use crate::dynamics::equilibrium::onsite_average;
use crate::linalg::{Parallelism, Real};
use crate::model::Computer;
use ndarray::{Array1, ArrayView2};

/// V₀ per row: Σ over evolving units of J2 x² + J4 x⁴ [model energy units].
pub fn coupling_free_energy<R: Real>(c: &Computer<R>, x: ArrayView2<'_, R>) -> Array1<f64> {
    let ph = c.physics;
    let evolving: Vec<std::ops::Range<usize>> = c
        .topology
        .groups()
        .iter()
        .filter(|g| !g.clamped)
        .map(|g| g.range.clone())
        .collect();
    x.rows()
        .into_iter()
        .map(|row| {
            evolving
                .iter()
                .map(|r| {
                    row.slice(ndarray::s![r.clone()])
                        .iter()
                        .map(|v| ph.onsite_energy(v.f64()))
                        .sum::<f64>()
                })
                .sum()
        })
        .collect()
}

/// K per row: V with every evolving unit at 0, the terms of clamped units alone (0 without
/// clamped units) [model energy units].
pub fn clamped_energy<R: Real>(
    c: &Computer<R>,
    x: ArrayView2<'_, R>,
    par: Parallelism,
) -> Array1<f64> {
    if !c.topology.has_clamped() {
        return Array1::zeros(x.nrows());
    }
    let mut held = x.to_owned();
    for g in c.topology.groups().iter().filter(|g| !g.clamped) {
        held.slice_mut(ndarray::s![.., g.range.clone()])
            .fill(R::of(0.0));
    }
    c.energy(held.view(), par)
}

/// Per row: U = V − V₀ − K (the biases and couplings acting on evolving units), V₀ and V
/// [model energy units].
fn switched_energy<R: Real>(
    c: &Computer<R>,
    x: ArrayView2<'_, R>,
    par: Parallelism,
) -> (Array1<f64>, Array1<f64>, Array1<f64>) {
    let v = c.energy(x, par);
    let v0 = coupling_free_energy(c, x);
    let k = clamped_energy(c, x, par);
    let u = v
        .iter()
        .zip(&v0)
        .zip(&k)
        .map(|((v, v0), k)| v - v0 - k)
        .collect();
    (u, v0, v)
}

/// ⟨V₀⟩ of the coupling-free equilibrium of the evolving units, by quadrature
/// [model energy units]: N_evolving · ⟨J2 x² + J4 x⁴⟩ under exp(−(J2 x² + J4 x⁴)/kT).
pub fn equilibrium_v0<R: Real>(c: &Computer<R>) -> f64 {
    let ph = c.physics;
    c.topology.n_evolving() as f64 * onsite_average(&ph, |x| ph.onsite_energy(x))
}

/// What the next sample starts from, i.e. where the reset leads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ResetTo {
    /// The coupling-free equilibrium (generation): ⟨V₀⟩_eq by quadrature.
    Equilibrium,
    /// The start states themselves (a classifier's evolving units at 0): their measured V₀.
    Start,
}

/// Switch work and reset heat of every trajectory, recorded from its start and final states.
#[derive(Clone, Debug, Default)]
pub struct CycleRecorder {
    w_on: Vec<f64>,
    v0_start: Vec<f64>,
    w_off: Vec<f64>,
    v0_final: Vec<f64>,
    v_start: Vec<f64>,
    v_final: Vec<f64>,
}

impl CycleRecorder {
    /// Record the start states x₀ of a batch (in trajectory order).
    pub fn start<R: Real>(&mut self, c: &Computer<R>, x: ArrayView2<'_, R>, par: Parallelism) {
        let (u, v0, v) = switched_energy(c, x, par);
        self.w_on.extend(u);
        self.v0_start.extend(v0);
        self.v_start.extend(v);
    }

    /// Record the final states x_f of a batch (in trajectory order).
    pub fn finish<R: Real>(&mut self, c: &Computer<R>, x: ArrayView2<'_, R>, par: Parallelism) {
        let (u, v0, v) = switched_energy(c, x, par);
        self.w_off.extend(u.iter().map(|u| -u));
        self.v0_final.extend(v0);
        self.v_final.extend(v);
    }

    /// The generation heat per trajectory, Q = (V(x₀) − V(x_f))/kT, from the recorded states.
    pub fn heat_kt<R: Real>(&self, c: &Computer<R>) -> Vec<f64> {
        let kt = c.physics.kt;
        self.v_start
            .iter()
            .zip(&self.v_final)
            .map(|(a, b)| (a - b) / kt)
            .collect()
    }

    /// The cycle per trajectory in kT, the reset leading to `to`.
    pub fn cycle<R: Real>(&self, c: &Computer<R>, to: ResetTo) -> Cycle {
        let kt = c.physics.kt;
        let eq = equilibrium_v0(c);
        let reset = self
            .v0_final
            .iter()
            .zip(&self.v0_start)
            .map(|(f, s)| match to {
                ResetTo::Equilibrium => (f - eq) / kt,
                ResetTo::Start => (f - s) / kt,
            })
            .collect();
        Cycle {
            w_on_kt: self.w_on.iter().map(|w| w / kt).collect(),
            w_off_kt: self.w_off.iter().map(|w| w / kt).collect(),
            reset_kt: reset,
            reset_to: to,
        }
    }
}

/// The switching work and reset heat of every trajectory [kT].
#[derive(Clone, Debug, PartialEq)]
pub struct Cycle {
    /// Work of switching the couplings and biases on, U(x₀)/kT.
    pub w_on_kt: Vec<f64>,
    /// Work of switching them off, −U(x_f)/kT.
    pub w_off_kt: Vec<f64>,
    /// Reset heat, (V₀(x_f) − ⟨V₀⟩_start)/kT.
    pub reset_kt: Vec<f64>,
    /// Where the reset leads.
    pub reset_to: ResetTo,
}
