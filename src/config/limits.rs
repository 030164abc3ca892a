//! Size, step and thread limits of a validated configuration (the rules of
//! [`crate::limits`]), checked before any data is loaded or array allocated.

use super::Config;
use crate::error::Result;
use crate::limits;

/// Pixels of an image when `model.visible` is not set (28 × 28 MNIST).
const DEFAULT_VISIBLE: f64 = 784.0;

/// Check `cfg` against the memory, step and thread limits; `file` names the configuration.
pub fn check(cfg: &Config, file: &str) -> Result<()> {
    let m = &cfg.model;
    let n = match &m.layout {
        Some(l) => l.groups.iter().map(|g| g.size as f64).sum::<f64>(),
        None => m.visible.map_or(DEFAULT_VISIBLE, |v| v as f64) + m.hidden as f64,
    };
    let dt = m.physics.dt;
    let field = |k: &str| format!("{file}: {k}");
    limits::threads(&field("train.threads"), cfg.train.threads)?;
    let (t_name, t_final) = match &cfg.teach {
        Some(t) => ("teach.t_final", t.t_final),
        None => ("noising.t_final", cfg.noising.t_final),
    };
    let steps = limits::steps(&field(t_name), t_final, dt)? as f64;
    // Couplings, their gradient and the optimizer's two moments, plus one gradient per thread.
    let threads = std::thread::available_parallelism().map_or(2, |p| p.get()) as f64;
    let params = (4.0 + threads) * n * n * 4.0;
    // A batch of trajectories (states and residuals, f32) held at once.
    let batch = cfg.train.batch as f64 * (steps + 1.0) * n * 4.0 * 2.0;
    // The training images (f32, with a standardised copy).
    let images = match &cfg.teach {
        Some(t) => (t.train_images + t.test_images) as f64,
        None => cfg.data.digits.len() as f64 * cfg.data.per_class as f64,
    } * DEFAULT_VISIBLE
        * 4.0
        * 3.0;
    let what = format!(
        "{file}: a {n:.0}-unit model (batch {}, {steps:.0} steps per trajectory)",
        cfg.train.batch
    );
    limits::memory(&what, params + batch + images)?;
    limits::work(
        &format!("{file}: train.trajectories = {}", cfg.train.trajectories),
        cfg.train.trajectories as f64 * steps * n,
    )?;
    // Euler–Maruyama is stable while μΔt times the largest curvature stays below 2; couplings
    // drawn with std s have a spectral radius of about 2 s √N (semicircle law).
    let ph = &m.physics;
    let curvature = 2.0 * ph.j2.abs() + 2.0 * m.init_scale * n.sqrt();
    let stiff = ph.mu * dt * curvature;
    if stiff.is_nan() || stiff >= 2.0 {
        return Err(crate::Error::Setting {
            field: field("model.init_scale"),
            why: format!(
                " = {}: couplings of that size make the Euler step unstable (μΔt·(2|J2| + 2·init_scale·√N) = {stiff:.3e}, needs < 2)",
                m.init_scale
            ),
        });
    }
    Ok(())
}
