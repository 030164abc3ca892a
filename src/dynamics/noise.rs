//! Sources of the standard normals η of the Euler–Maruyama step: a counter-based Philox stream
//! ([`NormalStream`], the normal case, one stream per trajectory), a PCG stream, or thermocad's
//! per-node deck noise ([`HeldNormals`]), the same numbers an exported noisy deck carries in
//! its PWL noise currents.
//!
//! A deck's noise current on node i is held constant over each noise step h = Δt_noise·t_unit
//! at I_k = η_ik·√(S_i/h) (S_i its two-sided PSD); it moves v_i by I_k h/C_i, i.e. x_i by
//! σ_i η_ik with σ_i = √(S_i t_unit Δt_noise)/(C_i v0), the behavioral step's noise term. An
//! integrator running m sub-steps per noise step sees the same held current as m increments of
//! σ_i η_ik/m = σ'_i η_ik/√m, σ'_i the sub-step's σ: [`HeldNormals`] returns η_ik/√m m times.

use super::philox::NormalStream;
use super::rng::{stream, Purpose};
use crate::linalg::Real;
use rand_pcg::Pcg64;

/// A source of standard normal deviates for one trajectory.
pub trait Normals: Send {
    /// The next deviate.
    fn normal<R: Real>(&mut self) -> R;

    /// The next `out.len()` deviates, in order (the same numbers as as many calls of
    /// [`Normals::normal`]).
    fn fill<R: Real>(&mut self, out: &mut [R]) {
        for v in out {
            *v = self.normal();
        }
    }
}

impl Normals for NormalStream {
    #[inline]
    fn normal<R: Real>(&mut self) -> R {
        R::of(f64::from(self.next_normal()))
    }

    #[inline]
    fn fill<R: Real>(&mut self, out: &mut [R]) {
        let mut buf = [0.0f32; 256];
        for chunk in out.chunks_mut(buf.len()) {
            let b = &mut buf[..chunk.len()];
            NormalStream::fill(self, b);
            for (o, &v) in chunk.iter_mut().zip(b.iter()) {
                *o = R::of(f64::from(v));
            }
        }
    }
}

impl Normals for Pcg64 {
    #[inline]
    fn normal<R: Real>(&mut self) -> R {
        R::std_normal(self)
    }
}

/// The deck noise stream of node `unit` for export seed `seed`: η_i0, η_i1, … in f64, one per
/// noise step.
pub fn deck_stream(seed: u64, unit: usize) -> impl Iterator<Item = f64> {
    let mut rng = stream(seed, Purpose::DeckNoise, unit as u64);
    std::iter::repeat_with(move || f64::std_normal(&mut rng))
}

/// The deck noise of one trajectory as the integrator draws it: per step, one value per
/// evolving unit in unit order; unit i's values come from [`deck_stream`]`(seed, i)`, each held
/// for `substeps` steps and scaled by 1/√substeps.
pub struct HeldNormals {
    streams: Vec<Box<dyn Iterator<Item = f64> + Send>>,
    values: Vec<f64>,
    cursor: usize,
    sub: usize,
    substeps: usize,
    scale: f64,
}

impl HeldNormals {
    /// Deck noise of the evolving units `units` (in the order the integrator visits them).
    pub fn new(seed: u64, units: &[usize], substeps: usize) -> Self {
        let substeps = substeps.max(1);
        HeldNormals {
            streams: units
                .iter()
                .map(|&u| Box::new(deck_stream(seed, u)) as Box<dyn Iterator<Item = f64> + Send>)
                .collect(),
            values: vec![0.0; units.len()],
            cursor: 0,
            sub: 0,
            substeps,
            scale: 1.0 / (substeps as f64).sqrt(),
        }
    }
}

impl Normals for HeldNormals {
    fn normal<R: Real>(&mut self) -> R {
        if self.values.is_empty() {
            return R::zero();
        }
        if self.cursor == 0 && self.sub == 0 {
            for (v, s) in self.values.iter_mut().zip(&mut self.streams) {
                *v = s.next().unwrap_or(0.0);
            }
        }
        let v = self.values[self.cursor] * self.scale;
        self.cursor += 1;
        if self.cursor == self.values.len() {
            self.cursor = 0;
            self.sub = (self.sub + 1) % self.substeps;
        }
        R::of(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_normals_repeat_each_deck_value_scaled() {
        let mut h = HeldNormals::new(3, &[2, 5], 4);
        let a: Vec<f64> = deck_stream(3, 2).take(2).collect();
        let b: Vec<f64> = deck_stream(3, 5).take(2).collect();
        for k in 0..8 {
            let (x, y): (f64, f64) = (h.normal(), h.normal());
            assert_eq!(x, a[k / 4] / 2.0);
            assert_eq!(y, b[k / 4] / 2.0);
        }
        assert_ne!(a[0], a[1]);
    }
}
