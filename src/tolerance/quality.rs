//! Generation-quality metrics of a set of samples, computed the same way for the ideal
//! computer and for every perturbed chip, each with a bootstrap confidence interval.
//!
//! - `corr`: mean over samples of the largest |Pearson correlation| with a training digit;
//! - `confident`: fraction of samples a digit classifier recognises with p > 0.9;
//! - `frechet`: Fréchet distance between the classifier's features of the samples and of real
//!   digits of the training classes (held out from training), ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½);
//! - `nll`: reverse-trajectory −ln P̃ per unit and step of held-out noising trajectories under
//!   the chip's own dynamics (0.5 for a chip that explains nothing but noise).
//!
//! A sample and its negative are the same digit to the computer (sign-inverted samples are
//! common, docs/reproduction.md): the classifier sees each standardised sample in the sign it
//! is more confident about.

use crate::data::standardise_rows as standardise;
use crate::dynamics::rng::{stream, Purpose};
use crate::metrics::best_matches;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::RngExt;

/// Probability above which a sample counts as confidently recognised.
pub const CONFIDENT: f64 = 0.9;

/// A statistic and its bootstrap 95 % interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The statistic on the full set.
    pub value: f64,
    /// 2.5th percentile of the bootstrap distribution.
    pub lo: f64,
    /// 97.5th percentile of the bootstrap distribution.
    pub hi: f64,
}

/// Bootstrap of `stat` over `n` items with `resamples` resamples from the stream of `seed`.
pub fn bootstrap(
    n: usize,
    resamples: usize,
    seed: u64,
    stat: impl Fn(&[usize]) -> f64,
) -> Estimate {
    let all: Vec<usize> = (0..n).collect();
    let value = stat(&all);
    if n < 2 || resamples == 0 {
        return Estimate {
            value,
            lo: value,
            hi: value,
        };
    }
    let mut rng = stream(seed, Purpose::Bootstrap, 0);
    let mut idx = vec![0usize; n];
    let mut stats: Vec<f64> = (0..resamples)
        .map(|_| {
            idx.iter_mut().for_each(|i| *i = rng.random_range(0..n));
            stat(&idx)
        })
        .collect();
    stats.sort_by(f64::total_cmp);
    let q = |p: f64| stats[((p * (resamples - 1) as f64).round() as usize).min(resamples - 1)];
    Estimate {
        value,
        lo: q(0.025),
        hi: q(0.975),
    }
}

/// Mean of `v` over the items `idx`.
fn mean_of(v: &[f64], idx: &[usize]) -> f64 {
    idx.iter().map(|&i| v[i]).sum::<f64>() / idx.len() as f64
}

/// Something that recognises digits: class probabilities and a feature vector per image.
pub trait Recognizer: Sync {
    /// Number of classes.
    fn classes(&self) -> usize;
    /// Class probabilities [S, K] and features [S, F] of standardised images [S, P].
    fn recognise(&self, images: ArrayView2<'_, f32>) -> (Array2<f32>, Array2<f32>);
}

impl Recognizer for crate::nn::Mlp {
    fn classes(&self) -> usize {
        self.sizes().last().copied().unwrap_or(0)
    }

    fn recognise(&self, images: ArrayView2<'_, f32>) -> (Array2<f32>, Array2<f32>) {
        let par = crate::linalg::Parallelism::SEQUENTIAL;
        (self.probabilities(images, par), self.features(images, par))
    }
}

/// Mean and covariance of the rows of `f` selected by `idx`.
fn moments(f: ArrayView2<'_, f32>, idx: &[usize]) -> (Array1<f64>, Array2<f64>) {
    let d = f.ncols();
    let sel = Array2::from_shape_fn((idx.len(), d), |(r, c)| f64::from(f[[idx[r], c]]));
    let mean = sel.mean_axis(Axis(0)).expect("non-empty");
    let centred = &sel - &mean;
    let cov = centred.t().dot(&centred) / (idx.len().max(2) - 1) as f64;
    (mean, cov)
}

/// Eigen-decomposition of a symmetric matrix: eigenvalues (clamped at 0) and vectors.
/// Sequential, so the result does not depend on the thread count.
fn sym_eigen(a: &Array2<f64>) -> (Vec<f64>, Array2<f64>) {
    use faer::dyn_stack::{MemBuffer, MemStack};
    use faer::linalg::evd::{self_adjoint_evd, self_adjoint_evd_scratch, ComputeEigenvectors};
    let n = a.nrows();
    let m = faer::Mat::<f64>::from_fn(n, n, |i, j| 0.5 * (a[[i, j]] + a[[j, i]]));
    let mut s = faer::diag::Diag::<f64>::zeros(n);
    let mut u = faer::Mat::<f64>::zeros(n, n);
    let par = faer::Par::Seq;
    let mut mem = MemBuffer::new(self_adjoint_evd_scratch::<f64>(
        n,
        ComputeEigenvectors::Yes,
        par,
        Default::default(),
    ));
    let ok = self_adjoint_evd(
        m.as_ref(),
        s.as_mut(),
        Some(u.as_mut()),
        par,
        MemStack::new(&mut mem),
        Default::default(),
    );
    if ok.is_err() {
        // A finite symmetric matrix always decomposes; NaN input lands here.
        return (vec![f64::NAN; n], Array2::zeros((n, n)));
    }
    (
        (0..n).map(|i| s[i].max(0.0)).collect(),
        Array2::from_shape_fn((n, n), |(i, j)| u[(i, j)]),
    )
}

/// Fréchet distance between two Gaussians (μ₁, Σ₁) and (μ₂, Σ₂).
pub fn frechet(m1: &Array1<f64>, c1: &Array2<f64>, m2: &Array1<f64>, c2: &Array2<f64>) -> f64 {
    let (l1, u1) = sym_eigen(c1);
    let root1 = {
        let scaled = &u1 * &Array1::from_iter(l1.iter().map(|v| v.sqrt()));
        scaled.dot(&u1.t())
    };
    let inner = root1.dot(c2).dot(&root1);
    let (li, _) = sym_eigen(&inner);
    let tr_sqrt: f64 = li.iter().map(|v| v.sqrt()).sum();
    let diff = m1 - m2;
    diff.dot(&diff) + c1.diag().sum() + c2.diag().sum() - 2.0 * tr_sqrt
}

/// Quality of one set of samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Quality {
    /// Mean largest |correlation| with a training digit.
    pub corr: Estimate,
    /// Fraction recognised with p > [`CONFIDENT`] (None without a classifier).
    pub confident: Option<Estimate>,
    /// Fréchet distance of classifier features to the training digits (None without one).
    pub frechet: Option<Estimate>,
    /// Fraction of samples assigned to each class (empty without a classifier).
    pub classes: Vec<f64>,
}

/// The fixed references a set of samples is compared with.
pub struct Reference<'a> {
    /// Training digits [M, P] (model representation).
    pub train: ArrayView2<'a, f32>,
    /// The classifier, if any.
    pub recognizer: Option<&'a dyn Recognizer>,
    /// Feature mean and covariance of real digits of the training classes.
    pub features: Option<(Array1<f64>, Array2<f64>)>,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Seed of the bootstrap streams.
    pub seed: u64,
}

impl<'a> Reference<'a> {
    /// References: `train` [M, P] for the correlations, and the feature statistics of `real`
    /// [R, P] (held-out digits of the training classes, many more than the few training
    /// images) for the Fréchet distance, computed once.
    pub fn new(
        train: ArrayView2<'a, f32>,
        real: ArrayView2<'_, f32>,
        recognizer: Option<&'a dyn Recognizer>,
        resamples: usize,
        seed: u64,
    ) -> Self {
        let features = recognizer.map(|r| {
            let (_, f) = r.recognise(standardise(real).view());
            let all: Vec<usize> = (0..f.nrows()).collect();
            moments(f.view(), &all)
        });
        Reference {
            train,
            recognizer,
            features,
            resamples,
            seed,
        }
    }

    /// The quality of samples [S, P].
    pub fn quality(&self, samples: ArrayView2<'_, f32>) -> Quality {
        let s = samples.nrows();
        let corr: Vec<f64> = best_matches(samples, self.train)
            .iter()
            .map(|m| m.correlation.abs())
            .collect();
        let corr = bootstrap(s, self.resamples, self.seed, |i| mean_of(&corr, i));
        let (Some(rec), Some((fm, fc))) = (self.recognizer, &self.features) else {
            return Quality {
                corr,
                confident: None,
                frechet: None,
                classes: Vec::new(),
            };
        };
        let plus = standardise(samples);
        let minus = plus.mapv(|v| -v);
        let (pp, fp) = rec.recognise(plus.view());
        let (pm, fmn) = rec.recognise(minus.view());
        let k = rec.classes();
        let mut classes = vec![0.0; k];
        let mut top = Vec::with_capacity(s);
        let mut feats = Array2::<f32>::zeros((s, fp.ncols()));
        for r in 0..s {
            let best = |p: ArrayView2<'_, f32>| {
                p.row(r)
                    .iter()
                    .enumerate()
                    .fold(
                        (0usize, f32::MIN),
                        |b, (c, &v)| if v > b.1 { (c, v) } else { b },
                    )
            };
            let (cp, vp) = best(pp.view());
            let (cm, vm) = best(pm.view());
            let (c, v, f) = if vp >= vm {
                (cp, vp, &fp)
            } else {
                (cm, vm, &fmn)
            };
            classes[c] += 1.0 / s as f64;
            top.push(f64::from(v));
            feats.row_mut(r).assign(&f.row(r));
        }
        let confident: Vec<f64> = top
            .iter()
            .map(|&p| f64::from(u8::from(p > CONFIDENT)))
            .collect();
        let confident = bootstrap(s, self.resamples, self.seed + 1, |i| mean_of(&confident, i));
        let frechet = bootstrap(s, self.resamples, self.seed + 2, |i| {
            let (m, c) = moments(feats.view(), i);
            frechet(&m, &c, fm, fc)
        });
        Quality {
            corr,
            confident: Some(confident),
            frechet: Some(frechet),
            classes,
        }
    }
}

/// Mean of per-trajectory values with its bootstrap interval (e.g. the held-out −ln P̃).
pub fn mean_estimate(values: &[f64], resamples: usize, seed: u64) -> Estimate {
    bootstrap(values.len(), resamples, seed, |i| mean_of(values, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frechet_of_gaussians_is_analytic() {
        // Diagonal covariances: d = ‖Δμ‖² + Σ (√a − √b)².
        let m1 = Array1::from(vec![0.0, 1.0]);
        let m2 = Array1::from(vec![3.0, 1.0]);
        let c1 = Array2::from_diag(&Array1::from(vec![4.0, 1.0]));
        let c2 = Array2::from_diag(&Array1::from(vec![1.0, 9.0]));
        let d = frechet(&m1, &c1, &m2, &c2);
        assert!((d - (9.0 + 1.0 + 4.0)).abs() < 1e-9, "{d}");
        assert!(frechet(&m1, &c1, &m1, &c1).abs() < 1e-9);
    }

    #[test]
    fn bootstrap_interval_covers_the_mean() {
        let v: Vec<f64> = (0..200).map(|i| (i % 10) as f64).collect();
        let e = mean_estimate(&v, 500, 1);
        assert!((e.value - 4.5).abs() < 1e-12);
        // Standard error ≈ 2.87/√200 = 0.20: the 95 % interval is about ±0.4.
        assert!(
            e.lo < 4.5 && e.hi > 4.5 && e.hi - e.lo > 0.5 && e.hi - e.lo < 1.2,
            "{e:?}"
        );
        assert_eq!(mean_estimate(&v, 500, 1), e, "seeded");
    }
}
