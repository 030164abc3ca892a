//! Input normalisation of the thermodynamic classifier (Whitelam, "Training thermodynamic
//! computers by gradient descent"): pixel/255, standardised with the global MNIST statistics,
//! then every image rescaled to one common L2 norm.

use ndarray::{Array2, ArrayView2, Axis};

/// Mean of pixel/255 over the MNIST training set.
pub const MNIST_MEAN: f64 = 0.13066;
/// Standard deviation of pixel/255 over the MNIST training set, √(0.112003 − 0.13066²).
pub const MNIST_STD: f64 = 0.3081;

/// (pixel/255 − mean)/std for raw pixels in 0..=255 (dimensionless).
pub fn mnist_standardised(images: ArrayView2<'_, f32>) -> Array2<f32> {
    images.mapv(|p| ((p as f64 / 255.0 - MNIST_MEAN) / MNIST_STD) as f32)
}

/// Largest L2 norm of a row.
pub fn max_row_norm(x: ArrayView2<'_, f32>) -> f64 {
    x.axis_iter(Axis(0))
        .map(|r| {
            r.iter()
                .map(|&v| (v as f64) * (v as f64))
                .sum::<f64>()
                .sqrt()
        })
        .fold(0.0, f64::max)
}

/// Every row rescaled to L2 norm `norm` (an all-zero row stays zero).
pub fn rescale_rows(mut x: Array2<f32>, norm: f64) -> Array2<f32> {
    for mut r in x.axis_iter_mut(Axis(0)) {
        let n = r
            .iter()
            .map(|&v| (v as f64) * (v as f64))
            .sum::<f64>()
            .sqrt();
        if n > 0.0 {
            r *= (norm / n) as f32;
        }
    }
    x
}

/// The classifier's inputs for raw images: standardised, then rescaled to `norm`.
pub fn classifier_inputs(images: ArrayView2<'_, f32>, norm: f64) -> Array2<f32> {
    rescale_rows(mnist_standardised(images), norm)
}
