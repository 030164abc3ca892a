//! Generation-quality metrics of a set of samples, computed the same way for the ideal
//! computer and for every perturbed chip, each with a bootstrap confidence interval.
//!
//! - `corr`: mean over samples of the largest |Pearson correlation| with a training digit;
//! - `confident`: fraction of samples a digit classifier recognises with p > 0.9;
//! - `frechet`: Fréchet distance between the classifier's features of the samples and of real
//!   digits of the training classes (held out from training), ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½);
//! - `nll`: reverse-trajectory −ln P̃ per unit and step of held-out noising trajectories under
//!   the chip's own dynamics (0.5 for a chip that explains nothing but noise);
//! - `recognised`: fraction the classifier recognises with p > 0.9 as one of the training
//!   classes;
//! - `mixture`: fraction of samples whose best |corr| with a training digit of *another*
//!   class is at least half their best |corr| (a "1" stroke through a "0").
//!
//! A sample and its negative are the same digit to the computer (sign-inverted samples are
//! common, docs/reproduction.md): the classifier sees each standardised sample in the sign of
//! its best-correlated training digit. (Choosing the sign by the classifier's own confidence
//! lets noise pick the class: noisy "2"s read as confident "7"s.)

use crate::data::standardise_rows as standardise;
use crate::dynamics::rng::{stream, Purpose};
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
    /// Fraction recognised with p > [`CONFIDENT`] as any digit (None without a classifier).
    pub confident: Option<Estimate>,
    /// Fréchet distance of classifier features to the training digits (None without one).
    pub frechet: Option<Estimate>,
    /// Fraction of samples assigned to each class (empty without a classifier).
    pub classes: Vec<f64>,
    /// Fraction recognised with p > [`CONFIDENT`] as one of the *training* classes (None
    /// without a classifier).
    pub recognised: Option<Estimate>,
    /// Fraction of mixtures: samples whose best |corr| with a training digit of another class
    /// is at least [`MIXTURE`] × their best |corr|.
    pub mixture: Estimate,
}

/// A sample is a mixture when a training digit of another class than its best match
/// correlates at least this fraction as well (a training digit plus noise at the samples'
/// background level: 0 %).
pub const MIXTURE: f64 = 0.5;

/// Held-out real digits per training class behind the Fréchet reference (and the judge's
/// held-out check), at least.
pub const REAL_PER_CLASS: usize = 100;

/// The verdict on one sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Judged {
    /// The training digit with the largest |correlation|, and that (signed) correlation:
    /// negative for a sign-inverted copy.
    pub best: crate::metrics::Match,
    /// Class of that training digit.
    pub best_class: u8,
    /// Largest |correlation| with a training digit of another class (0 with one class), and
    /// that class.
    pub other: (f64, Option<u8>),
    /// The classifier's class and its probability, for the sample in the sign of its best
    /// match (None without a classifier).
    pub judged: Option<(u8, f32)>,
}

impl Judged {
    /// Whether a training digit of another class correlates at least [`MIXTURE`] × as well.
    pub fn is_mixture(&self) -> bool {
        self.other.0 >= MIXTURE * self.best.correlation.abs() && self.other.1.is_some()
    }
}

/// The fixed references a set of samples is compared with.
pub struct Reference<'a> {
    /// Training digits [M, P] (model representation).
    pub train: ArrayView2<'a, f32>,
    /// Class of every training digit.
    pub labels: &'a [u8],
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
    /// References: `train` [M, P] with its classes `labels` for the correlations, and the
    /// feature statistics of `real` [R, P] (held-out digits of the training classes, many
    /// more than the few training images) for the Fréchet distance, computed once.
    pub fn new(
        train: ArrayView2<'a, f32>,
        labels: &'a [u8],
        real: ArrayView2<'_, f32>,
        recognizer: Option<&'a dyn Recognizer>,
        resamples: usize,
        seed: u64,
    ) -> Self {
        assert_eq!(train.nrows(), labels.len(), "one class per training digit");
        let features = recognizer.map(|r| {
            let (_, f) = r.recognise(standardise(real).view());
            let all: Vec<usize> = (0..f.nrows()).collect();
            moments(f.view(), &all)
        });
        Reference {
            train,
            labels,
            recognizer,
            features,
            resamples,
            seed,
        }
    }

    /// Whether `class` is one of the training classes.
    pub fn is_training_class(&self, class: u8) -> bool {
        self.labels.contains(&class)
    }

    /// Judge samples [S, P]: best training match, best match of another class, and the
    /// classifier's verdict on the standardised sample in the sign of its best match (a
    /// sample and its negative are the same digit to the computer; choosing the sign by the
    /// classifier's confidence instead reads noisy "2"s as confident "7"s). Also returns the
    /// classifier features [S, F] of the sign-corrected samples (None without a classifier).
    pub fn judge(&self, samples: ArrayView2<'_, f32>) -> (Vec<Judged>, Option<Array2<f32>>) {
        let corr = crate::metrics::correlation_matrix(samples, self.train);
        let mut judged: Vec<Judged> = corr
            .rows()
            .into_iter()
            .map(|row| {
                let best = crate::metrics::strongest(row.iter().copied().enumerate());
                let best_class = self.labels.get(best.image).copied().unwrap_or(0);
                let other = row
                    .iter()
                    .zip(self.labels)
                    .filter(|(_, &l)| l != best_class)
                    .fold((0.0f64, None), |b, (&c, &l)| {
                        if c.abs() > b.0 || b.1.is_none() {
                            (c.abs(), Some(l))
                        } else {
                            b
                        }
                    });
                Judged {
                    best,
                    best_class,
                    other,
                    judged: None,
                }
            })
            .collect();
        let Some(rec) = self.recognizer else {
            return (judged, None);
        };
        let mut z = standardise(samples);
        for (mut row, j) in z.rows_mut().into_iter().zip(&judged) {
            if j.best.correlation < 0.0 {
                row.mapv_inplace(|v| -v);
            }
        }
        let (p, f) = rec.recognise(z.view());
        for (j, row) in judged.iter_mut().zip(p.rows()) {
            let c = crate::nn::argmax(row.iter());
            j.judged = Some((c as u8, row[c]));
        }
        (judged, Some(f))
    }

    /// The quality of samples [S, P].
    pub fn quality(&self, samples: ArrayView2<'_, f32>) -> Quality {
        let (judged, feats) = self.judge(samples);
        self.quality_of(&judged, feats)
    }

    /// The quality of samples already judged by [`Reference::judge`].
    pub fn quality_of(&self, judged: &[Judged], feats: Option<Array2<f32>>) -> Quality {
        let s = judged.len();
        let corr: Vec<f64> = judged.iter().map(|j| j.best.correlation.abs()).collect();
        let corr = bootstrap(s, self.resamples, self.seed, |i| mean_of(&corr, i));
        let mixture: Vec<f64> = judged
            .iter()
            .map(|j| f64::from(u8::from(j.is_mixture())))
            .collect();
        let mixture = bootstrap(s, self.resamples, self.seed + 6, |i| mean_of(&mixture, i));
        let (Some(rec), Some((fm, fc)), Some(feats)) = (self.recognizer, &self.features, feats)
        else {
            return Quality {
                corr,
                confident: None,
                frechet: None,
                classes: Vec::new(),
                recognised: None,
                mixture,
            };
        };
        let mut classes = vec![0.0; rec.classes()];
        let verdicts: Vec<(u8, f32)> = judged.iter().filter_map(|j| j.judged).collect();
        for &(c, _) in &verdicts {
            classes[c as usize] += 1.0 / s as f64;
        }
        let fraction = |ok: &dyn Fn(u8, f32) -> bool| -> Vec<f64> {
            verdicts
                .iter()
                .map(|&(c, p)| f64::from(u8::from(ok(c, p))))
                .collect()
        };
        let confident = fraction(&|_, p| f64::from(p) > CONFIDENT);
        let confident = bootstrap(s, self.resamples, self.seed + 1, |i| mean_of(&confident, i));
        let recognised = fraction(&|c, p| f64::from(p) > CONFIDENT && self.is_training_class(c));
        let recognised = bootstrap(s, self.resamples, self.seed + 7, |i| {
            mean_of(&recognised, i)
        });
        let frechet = bootstrap(s, self.resamples, self.seed + 2, |i| {
            let (m, c) = moments(feats.view(), i);
            frechet(&m, &c, fm, fc)
        });
        Quality {
            corr,
            confident: Some(confident),
            frechet: Some(frechet),
            classes,
            recognised: Some(recognised),
            mixture,
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
