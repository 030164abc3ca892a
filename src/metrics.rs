//! Statistics of samples and classifier outputs: heat, correlations, top-k accuracy.

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};

/// Mean and (population) standard deviation.
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, var.sqrt())
}

/// Pearson correlation of two vectors (0 when either is constant).
pub fn correlation(a: ArrayView1<'_, f32>, b: ArrayView1<'_, f32>) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.sum() as f64 / n, b.sum() as f64 / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b.iter()) {
        let (dx, dy) = (x as f64 - ma, y as f64 - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    if saa == 0.0 || sbb == 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

/// Pearson correlations [S, M] of every row of `a` [S, P] with every row of `b` [M, P], as one
/// matrix product of the standardised rows (0 against a constant row, as [`correlation`]).
pub fn correlation_matrix(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>) -> Array2<f64> {
    let p = a.ncols().max(1) as f64;
    let (za, zb) = (
        crate::data::standardise_rows(a),
        crate::data::standardise_rows(b),
    );
    za.dot(&zb.t()).mapv(|v| f64::from(v) / p)
}

/// A sample's closest training image by |correlation|.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Match {
    /// Index of the training image.
    pub image: usize,
    /// Its correlation with the sample (negative: a sign-inverted copy).
    pub correlation: f64,
}

/// The (image, correlation) pair with the largest |correlation| (the first on ties; image 0
/// with correlation 0 when none is non-zero).
pub fn strongest(correlations: impl IntoIterator<Item = (usize, f64)>) -> Match {
    correlations.into_iter().fold(
        Match {
            image: 0,
            correlation: 0.0,
        },
        |best, (image, correlation)| {
            if correlation.abs() > best.correlation.abs() {
                Match { image, correlation }
            } else {
                best
            }
        },
    )
}

/// For each sample [S, P], the training image [M, P] with the largest |correlation|.
pub fn best_matches(samples: ArrayView2<'_, f32>, train: ArrayView2<'_, f32>) -> Vec<Match> {
    samples
        .axis_iter(Axis(0))
        .map(|s| {
            strongest(
                train
                    .axis_iter(Axis(0))
                    .enumerate()
                    .map(|(i, t)| (i, correlation(s, t))),
            )
        })
        .collect()
}

/// Rank of the true label among a classifier's outputs, per row: the number of outputs
/// strictly larger than the label's (0 = correct top-1, ≤ 1 = correct top-2).
pub fn label_ranks(outputs: ArrayView2<'_, f32>, labels: &[u8]) -> Vec<usize> {
    outputs
        .axis_iter(Axis(0))
        .zip(labels)
        .map(|(row, &l)| {
            let v = row[l as usize];
            row.iter().filter(|&&o| o > v).count()
        })
        .collect()
}

/// Fractions of rows whose label is the largest output (top-1) or one of the two largest
/// (top-2).
pub fn top_accuracy(outputs: ArrayView2<'_, f32>, labels: &[u8]) -> (f64, f64) {
    let ranks = label_ranks(outputs, labels);
    let n = ranks.len().max(1) as f64;
    let within = |k: usize| ranks.iter().filter(|&&r| r < k).count() as f64 / n;
    (within(1), within(2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn correlation_and_matching() {
        let t = array![[1.0f32, 2.0, 3.0, 4.0], [4.0, 1.0, 3.0, 2.0]];
        let s = array![[-2.0f32, -4.0, -6.0, -8.0]];
        let m = best_matches(s.view(), t.view());
        assert_eq!(m[0].image, 0);
        assert!((m[0].correlation + 1.0).abs() < 1e-12);
        assert_eq!(mean_std(&[1.0, 3.0]), (2.0, 1.0));
    }

    #[test]
    fn correlation_matrix_matches_pairwise() {
        let a = ndarray::Array2::from_shape_fn((3, 7), |(i, j)| ((i * 7 + j) as f32 * 0.37).sin());
        let b = ndarray::Array2::from_shape_fn((4, 7), |(i, j)| {
            if i == 3 {
                2.0 // constant row: correlation 0
            } else {
                ((i * 5 + j * j) as f32 * 0.21).cos()
            }
        });
        let m = correlation_matrix(a.view(), b.view());
        for i in 0..3 {
            for j in 0..4 {
                let e = correlation(a.row(i), b.row(j));
                assert!(
                    (m[[i, j]] - e).abs() < 1e-6,
                    "{i},{j}: {} vs {e}",
                    m[[i, j]]
                );
            }
        }
        assert_eq!(m[[0, 3]], 0.0);
    }
}
