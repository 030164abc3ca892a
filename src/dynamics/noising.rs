//! The noising protocol (Whitelam 2025): an image, imposed as biases, fades while the
//! coupling-free computer runs, turning the image into thermal noise.
//!
//! Image field: visible unit i gets bias b_i(t) = −s·λ(t)·P_i, where P is the standardised
//! image and s the bias scale (so a bright pixel pulls x_i positive). Hidden unit a gets
//! b_a(t) = −s·h·λ(t)·(projection of P)_a with h the hidden scale. All units start at 0,
//! equilibrate for t_eq with λ = 1, then run for t_f while λ(t) fades from 1 to 0.
//! Couplings are zero throughout; each unit evolves independently.
//!
//! With `noising.hold_hidden` the hidden biases do not fade: the hidden units stay where the
//! image's hidden imprint holds them (for the prototype code: the one-hot state of the image's
//! prototype) while the visible units are noised, so the reversed trajectory is a denoising
//! of the visible units given the code.

use super::philox::NormalStream;
use super::rng::{stream, Purpose};
use super::step::{Drive, EulerMaruyama};
use crate::linalg::{Parallelism, Real};
use crate::model::Physics;
use ndarray::{s, Array1, Array2, ArrayView1, ArrayViewMut2, Axis};
use rayon::prelude::*;

/// How λ(t) goes from 1 to 0 over the fade time t_fade = fade_fraction · t_f.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    /// λ = 1 − t/t_fade (the paper's choice).
    Linear,
    /// λ = cos²(π t / (2 t_fade)): slow at both ends.
    Cosine,
    /// λ = exp(−5 t/t_fade), rescaled to reach 0 at t_fade.
    Exponential,
}

/// How the image is projected onto the hidden units' biases.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HiddenProjection {
    /// Hidden unit a sees pixel a mod Nv (the paper's code).
    Copy,
    /// A fixed Gaussian projection with entries N(0, 1/Nv), drawn from the run seed.
    Random,
    /// Hidden biases stay zero.
    None,
    /// The code of `model.init = "prototypes"`: each image's hidden units are imprinted where
    /// the prototype potential holds the image's prototype (`model::prototypes::Code`).
    Prototypes,
}

/// Every number of the noising protocol.
#[derive(Clone, Debug, PartialEq)]
pub struct Protocol {
    /// Bias scale s (energy units per standardised pixel).
    pub bias_scale: f64,
    /// Multiplier h of the hidden units' projected bias.
    pub hidden_scale: f64,
    /// Projection of the image onto hidden biases.
    pub hidden_projection: HiddenProjection,
    /// Equilibration time at λ = 1 before the fade (model time units).
    pub t_eq: f64,
    /// Duration of the recorded noising trajectory t_f (model time units).
    pub t_final: f64,
    /// Fraction of t_f over which λ fades; λ = 0 for the rest.
    pub fade_fraction: f64,
    /// Shape of the fade.
    pub schedule: Schedule,
    /// The hidden biases keep their full strength for the whole trajectory
    /// (`noising.hold_hidden`; module docs).
    pub hold_hidden: bool,
}

impl Protocol {
    /// λ(t) for 0 ≤ t ≤ t_f.
    pub fn lambda(&self, t: f64) -> f64 {
        let u = (t / (self.fade_fraction * self.t_final)).clamp(0.0, 1.0);
        match self.schedule {
            Schedule::Linear => 1.0 - u,
            Schedule::Cosine => (0.5 * std::f64::consts::PI * u).cos().powi(2),
            Schedule::Exponential => {
                let e = (-5.0f64).exp();
                ((-5.0 * u).exp() - e) / (1.0 - e)
            }
        }
    }

    /// The full-strength (λ = 1) bias vector [N] for a standardised image [Nv] on a computer
    /// with `hidden` hidden units. `projection` is the fixed random matrix [Nh, Nv] when the
    /// projection is `Random`. (`Prototypes` leaves the hidden biases zero here: they depend on
    /// the image's class, `model::prototypes::Code::image_bias`.)
    pub fn image_bias<R: Real>(
        &self,
        image: ArrayView1<'_, f32>,
        hidden: usize,
        projection: Option<&Array2<f32>>,
    ) -> Array1<R> {
        let nv = image.len();
        let s = self.bias_scale;
        let sh = s * self.hidden_scale;
        let mut b = Array1::zeros(nv + hidden);
        for (bi, &p) in b.iter_mut().zip(image.iter()) {
            *bi = R::of(-s * f64::from(p));
        }
        let hb = b.slice_mut(s![nv..]);
        match (self.hidden_projection, projection) {
            (HiddenProjection::Copy, _) if nv > 0 => {
                for (a, v) in hb.into_iter().enumerate() {
                    *v = R::of(-sh * f64::from(image[a % nv]));
                }
            }
            (HiddenProjection::Random, Some(w)) => {
                for (v, p) in hb.into_iter().zip(w.dot(&image).iter()) {
                    *v = R::of(-sh * f64::from(*p));
                }
            }
            _ => {}
        }
        b
    }

    /// The first unit whose bias does not fade on a computer of `n` units, `visible` of them
    /// visible: `visible` with `hold_hidden`, else `n` (every bias fades).
    pub fn held_from(&self, visible: usize, n: usize) -> usize {
        if self.hold_hidden {
            visible
        } else {
            n
        }
    }

    /// The bias [N] at fade factor λ: λ·b on the units before `held`, b from `held` on.
    pub fn faded<R: Real>(&self, b: &Array1<R>, lambda: f64, held: usize) -> Array1<R> {
        let l = R::of(lambda);
        Array1::from_iter(
            b.iter()
                .enumerate()
                .map(|(i, &v)| if i < held { l * v } else { v }),
        )
    }

    /// The fixed random projection [Nh, Nv] (entries N(0, 1/Nv)) for `seed`, if the protocol uses one.
    pub fn projection(&self, visible: usize, hidden: usize, seed: u64) -> Option<Array2<f32>> {
        (self.hidden_projection == HiddenProjection::Random).then(|| {
            let mut rng = stream(seed, Purpose::Init, 1);
            let sd = 1.0 / (visible.max(1) as f64).sqrt();
            Array2::from_shape_simple_fn((hidden, visible), || {
                (sd * f64::std_normal(&mut rng)) as f32
            })
        })
    }

    /// Generate noising trajectory `index` of run `seed` into `out` [T+1, N] (row k = state at
    /// time k·Δt of the fade, row 0 after equilibration), for full-strength bias `b_image`
    /// whose units from `held` on do not fade ([`Protocol::held_from`]).
    /// Without couplings every unit evolves on its own, so the units are cut into one slice
    /// per thread of `par`, each running every step; a slice reads its normals at their
    /// positions in the trajectory's stream (step s, unit i: normal s·N + i), so the result
    /// does not depend on the number of threads.
    pub fn trajectory_into<R: Real>(
        &self,
        ph: &Physics,
        (b_image, held): (&Array1<R>, usize),
        (seed, index): (u64, u64),
        mut out: ArrayViewMut2<'_, R>,
        par: Parallelism,
    ) {
        let em = EulerMaruyama::<R>::new(ph);
        let b = b_image.as_slice().expect("contiguous bias");
        let n = b.len();
        let eq = ph.steps(self.t_eq);
        let lambdas: Vec<R> = (1..out.nrows())
            .map(|k| R::of(self.lambda((k - 1) as f64 * ph.dt)))
            .collect();
        let run = |first: usize, mut cols: ArrayViewMut2<'_, R>| {
            let b = &b[first..first + cols.ncols()];
            // Units of this slice from `keep` on hold their bias.
            let keep = held.saturating_sub(first).min(b.len());
            let mut rng = NormalStream::new(seed, Purpose::Noising, index);
            let mut x = vec![R::zero(); b.len()];
            for s in 0..eq {
                rng.seek((s * n + first) as u64);
                em.advance(&mut x, Drive::Scaled(R::one(), b, b.len()), &mut rng);
            }
            cols.row_mut(0).assign(&ArrayView1::from(&x[..]));
            for (k, &lambda) in (1..).zip(&lambdas) {
                rng.seek(((eq + k - 1) * n + first) as u64);
                let (done, mut rest) = cols.view_mut().split_at(Axis(0), k);
                let mut row = rest.row_mut(0);
                row.assign(&done.row(k - 1));
                let row = row.as_slice_mut().expect("contiguous trajectory rows");
                em.advance(row, Drive::Scaled(lambda, b, keep), &mut rng);
            }
        };
        let width = n.div_ceil(par.threads().max(1)).max(1);
        if width >= n {
            run(0, out);
        } else {
            let slices: Vec<_> = out
                .axis_chunks_iter_mut(Axis(1), width)
                .enumerate()
                .collect();
            slices
                .into_par_iter()
                .for_each(|(i, cols)| run(i * width, cols));
        }
    }

    /// Convenience: a fresh trajectory [T+1, N] with T = t_f/Δt steps, noise stream `index` of
    /// `seed`, on `par`'s threads, for `bias` = (full-strength bias, first held unit).
    pub fn trajectory<R: Real>(
        &self,
        ph: &Physics,
        bias: (&Array1<R>, usize),
        seed: u64,
        index: u64,
        par: Parallelism,
    ) -> Array2<R> {
        let mut out = Array2::zeros((ph.steps(self.t_final) + 1, bias.0.len()));
        self.trajectory_into(ph, bias, (seed, index), out.view_mut(), par);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn protocol(schedule: Schedule, hidden_projection: HiddenProjection) -> Protocol {
        Protocol {
            bias_scale: 2.0,
            hidden_scale: 0.5,
            hidden_projection,
            t_eq: 1.0,
            t_final: 2.0,
            fade_fraction: 0.75,
            schedule,
            hold_hidden: false,
        }
    }

    #[test]
    fn schedules_fade_from_one_to_zero_at_the_fade_time() {
        for s in [Schedule::Linear, Schedule::Cosine, Schedule::Exponential] {
            let p = protocol(s, HiddenProjection::None);
            assert!((p.lambda(0.0) - 1.0).abs() < 1e-12, "{s:?}");
            assert!(p.lambda(1.5).abs() < 1e-12, "{s:?} reaches 0 at 0.75 t_f");
            assert!(p.lambda(1.9).abs() < 1e-12);
            assert!(p.lambda(0.5) < 1.0 && p.lambda(0.5) > 0.0);
        }
        assert!(
            (protocol(Schedule::Linear, HiddenProjection::None).lambda(0.75) - 0.5).abs() < 1e-12
        );
    }

    #[test]
    fn image_bias_pulls_bright_pixels_positive() {
        let img = array![1.5f32, -0.5, 0.0];
        let p = protocol(Schedule::Linear, HiddenProjection::Copy);
        let b: Array1<f64> = p.image_bias(img.view(), 4, None);
        // visible: −s·P; hidden a: −s·h·P[a mod Nv]
        assert_eq!(b.to_vec(), vec![-3.0, 1.0, 0.0, -1.5, 0.5, 0.0, -1.5]);
        let r = protocol(Schedule::Linear, HiddenProjection::Random);
        let w = r.projection(3, 4, 7).unwrap();
        assert_eq!(
            Some(&w),
            r.projection(3, 4, 7).as_ref(),
            "deterministic per seed"
        );
        let br: Array1<f64> = r.image_bias(img.view(), 4, Some(&w));
        let expect = -(w.dot(&img)[2] as f64);
        assert!((br[5] - expect).abs() < 1e-6);
    }

    /// `hold_hidden`: the visible units are noised exactly as without it (same floats), the
    /// hidden ones stay where their full bias holds them (2x + 4x³ = 2 for b = −2: x = 0.5898)
    /// instead of forgetting it, and the result does not depend on the thread count.
    #[test]
    fn held_hidden_units_keep_their_imprint() {
        let ph = Physics::PAPER;
        let (nv, nh) = (40, 24);
        let mut b = Array1::from_elem(nv + nh, -2.0f64);
        b.slice_mut(s![..nv]).fill(1.0);
        let faded = protocol(Schedule::Linear, HiddenProjection::None);
        let held = Protocol {
            hold_hidden: true,
            ..faded.clone()
        };
        let from = held.held_from(nv, nv + nh);
        assert_eq!((from, faded.held_from(nv, nv + nh)), (nv, nv + nh));
        let t0 = faded.trajectory(&ph, (&b, nv + nh), 5, 2, Parallelism::SEQUENTIAL);
        let t1 = held.trajectory(&ph, (&b, from), 5, 2, Parallelism::SEQUENTIAL);
        for threads in [2, 5] {
            let par = Parallelism::new(threads);
            let split = par.install(|| held.trajectory(&ph, (&b, from), 5, 2, par));
            assert_eq!(split, t1, "units cut in {threads} slices");
        }
        assert_eq!(t1.slice(s![.., ..nv]), t0.slice(s![.., ..nv]));
        let late = |t: &Array2<f64>| t.slice(s![1600.., nv..]).mean().unwrap();
        let (m0, m1) = (late(&t0), late(&t1));
        assert!((m1 - 0.5898).abs() < 0.03, "held hidden mean {m1}");
        assert!(m0.abs() < 0.2, "faded hidden mean {m0}");
    }

    #[test]
    fn equilibrated_state_follows_the_image_then_forgets_it() {
        let ph = Physics::PAPER;
        let img = Array1::from_shape_fn(200, |i| if i % 2 == 0 { 1.0f32 } else { -1.0 });
        let p = protocol(Schedule::Linear, HiddenProjection::None);
        let b: Array1<f64> = p.image_bias(img.view(), 0, None);
        let t = p.trajectory(&ph, (&b, 200), 3, 0, Parallelism::SEQUENTIAL);
        for threads in [2, 3, 7] {
            let par = Parallelism::new(threads);
            let split = par.install(|| p.trajectory(&ph, (&b, 200), 3, 0, par));
            assert_eq!(split, t, "units cut in {threads} slices");
        }
        assert_eq!(t.nrows(), 2001);
        let overlap = |k: usize| {
            t.row(k)
                .iter()
                .zip(img.iter())
                .map(|(x, &p)| x * p as f64)
                .sum::<f64>()
                / 200.0
        };
        assert!(
            overlap(0) > 0.5,
            "equilibrated with the image: {}",
            overlap(0)
        );
        assert!(overlap(2000).abs() < 0.1, "noise at t_f: {}", overlap(2000));
    }
}
