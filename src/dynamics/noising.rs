//! The noising protocol (Whitelam 2025): an image, imposed as biases, fades while the
//! coupling-free computer runs, turning the image into thermal noise.
//!
//! Image field: visible unit i gets bias b_i(t) = −s·λ(t)·P_i, where P is the standardised
//! image and s the bias scale (so a bright pixel pulls x_i positive). Hidden unit a gets
//! b_a(t) = −s·h·λ(t)·(projection of P)_a with h the hidden scale. All units start at 0,
//! equilibrate for t_eq with λ = 1, then run for t_f while λ(t) fades from 1 to 0.
//! Couplings are zero throughout; each unit evolves independently.

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
    /// time k·Δt of the fade, row 0 after equilibration), for full-strength bias `b_image`.
    /// Without couplings every unit evolves on its own, so the units are cut into one slice
    /// per thread of `par`, each running every step; a slice reads its normals at their
    /// positions in the trajectory's stream (step s, unit i: normal s·N + i), so the result
    /// does not depend on the number of threads.
    pub fn trajectory_into<R: Real>(
        &self,
        ph: &Physics,
        b_image: &Array1<R>,
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
            let mut rng = NormalStream::new(seed, Purpose::Noising, index);
            let mut x = vec![R::zero(); b.len()];
            for s in 0..eq {
                rng.seek((s * n + first) as u64);
                em.advance(&mut x, Drive::Scaled(R::one(), b), &mut rng);
            }
            cols.row_mut(0).assign(&ArrayView1::from(&x[..]));
            for (k, &lambda) in (1..).zip(&lambdas) {
                rng.seek(((eq + k - 1) * n + first) as u64);
                let (done, mut rest) = cols.view_mut().split_at(Axis(0), k);
                let mut row = rest.row_mut(0);
                row.assign(&done.row(k - 1));
                let row = row.as_slice_mut().expect("contiguous trajectory rows");
                em.advance(row, Drive::Scaled(lambda, b), &mut rng);
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
    /// `seed`, on `par`'s threads.
    pub fn trajectory<R: Real>(
        &self,
        ph: &Physics,
        b_image: &Array1<R>,
        seed: u64,
        index: u64,
        par: Parallelism,
    ) -> Array2<R> {
        let mut out = Array2::zeros((ph.steps(self.t_final) + 1, b_image.len()));
        self.trajectory_into(ph, b_image, (seed, index), out.view_mut(), par);
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

    #[test]
    fn equilibrated_state_follows_the_image_then_forgets_it() {
        let ph = Physics::PAPER;
        let img = Array1::from_shape_fn(200, |i| if i % 2 == 0 { 1.0f32 } else { -1.0 });
        let p = protocol(Schedule::Linear, HiddenProjection::None);
        let b: Array1<f64> = p.image_bias(img.view(), 0, None);
        let t = p.trajectory(&ph, &b, 3, 0, Parallelism::SEQUENTIAL);
        for threads in [2, 3, 7] {
            let par = Parallelism::new(threads);
            let split = par.install(|| p.trajectory(&ph, &b, 3, 0, par));
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
