//! Quantization of couplings and biases to a finite bit width or a resistor series.
//!
//! A trained computer has a symmetric coupling matrix `J` (zero diagonal, zero outside a 0/1
//! connectivity mask) and biases `b`. Before mapping to hardware the parameters are pruned,
//! optionally clipped, and rounded onto the grid of a signed, symmetric uniform quantizer
//! (like a DAC or a digitally programmed resistor array):
//!
//! ```text
//! levels = 2^(bits-1) - 1          (positive levels; the grid is symmetric around 0)
//! scale  = max |x|                 (or a percentile of |x|, see `clip_percentile`)
//! Δ      = scale / levels
//! q(x)   = clamp(round(x / Δ), -levels, levels) · Δ
//! ```
//!
//! Conventions (all computations are done in `f64`, results are cast back to `f32`):
//!
//! * **Allowed couplings** are the off-diagonal pairs `(i, j)` with `mask[[i, j]] != 0`. Each
//!   unordered pair is counted once for statistics (percentiles, `pruned_fraction`,
//!   `clipped_fraction`). Diagonal and masked entries of the output are exactly 0, whatever the
//!   input holds there.
//! * **Order of operations**: pruning (`|x| < prune_threshold → 0`) is applied first; the
//!   scale (max or percentile) is then taken over the pruned values, so pruned couplings count
//!   as zeros; values with `|x| > scale` are clipped to `±scale`; finally values are rounded.
//! * **Percentile**: linear interpolation on the sorted `|x|` of *all* allowed entries, exact
//!   zeros included: with `n` sorted values `v[0..n]`, rank `r = p/100 · (n-1)` and the
//!   result is `v[⌊r⌋] + (r-⌊r⌋)(v[⌈r⌉]-v[⌊r⌋])`.
//! * **Per-row granularity**: every row `i` gets its own scale `s_i` (max or percentile over
//!   the allowed entries of that row). To keep the result symmetric, pair `(i, j)` is
//!   quantized once with the *larger* of the two row scales, `max(s_i, s_j)`, and written to
//!   both `(i, j)` and `(j, i)`. Using the larger scale means a coupling is never clipped
//!   merely because the other endpoint's row is small; the price is a coarser step for that
//!   pair than its smaller row alone would allow.
//! * **Rounding** is round-half-away-from-zero ([`f64::round`]); the whole procedure is
//!   deterministic.
//! * **Symmetry**: `J` must be symmetric over the allowed pairs up to a relative tolerance of
//!   [`SYMMETRY_TOLERANCE`] (times the largest allowed `|J|`); within that tolerance the
//!   pair value `(J_ij + J_ji)/2` is used. The mask must be exactly symmetric.
//! * With `bits: None` no rounding happens (only pruning and clipping) and the reported step
//!   sizes are 0.

use ndarray::{Array1, Array2};

/// Relative tolerance of the symmetry check: `|J_ij - J_ji| <= SYMMETRY_TOLERANCE · max|J|`.
pub const SYMMETRY_TOLERANCE: f64 = 1e-5;

/// Smallest accepted bit width.
pub const MIN_BITS: u32 = 2;
/// Largest accepted bit width.
pub const MAX_BITS: u32 = 32;

/// A bit width of a signed, symmetric uniform quantizer: 2..=32 bits (1 bit would leave only
/// the level 0, i.e. prune everything).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitWidth(u8);

impl BitWidth {
    /// A bit width in `2..=32`.
    pub fn new(bits: u32) -> Result<Self, QuantError> {
        if (MIN_BITS..=MAX_BITS).contains(&bits) {
            Ok(BitWidth(bits as u8))
        } else {
            Err(QuantError::BitWidth { bits })
        }
    }

    /// The number of bits.
    pub fn get(self) -> u32 {
        u32::from(self.0)
    }

    /// The number of positive levels, `2^(bits-1) - 1` (1 for 2 bits, 127 for 8 bits).
    pub fn levels(self) -> u32 {
        ((1u64 << (self.get() - 1)) - 1) as u32
    }
}

/// Which values share one scale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Granularity {
    /// One scale for the whole tensor.
    PerTensor,
    /// One scale per row (couplings only; see the module docs for how symmetry is kept).
    PerRow,
}

/// How to quantize.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantSpec {
    /// Bit width; `None` keeps full precision (only pruning and clipping apply).
    pub bits: Option<BitWidth>,
    /// One scale per tensor or per row.
    pub granularity: Granularity,
    /// Percentile `p` in `(0, 100]` of `|x|` over the allowed entries that sets the scale
    /// instead of the max (e.g. 99.9); values beyond it are clipped. `None`: the max.
    pub clip_percentile: Option<f64>,
    /// `|x| < prune_threshold → 0` (absolute, model energy units), applied before
    /// quantization; 0 disables pruning.
    pub prune_threshold: f64,
}

impl QuantSpec {
    /// Per-tensor quantization to `bits` with neither clipping nor pruning.
    pub fn bits(bits: BitWidth) -> Self {
        QuantSpec {
            bits: Some(bits),
            granularity: Granularity::PerTensor,
            clip_percentile: None,
            prune_threshold: 0.0,
        }
    }

    /// Check the percentile and the threshold.
    pub fn validate(&self) -> Result<(), QuantError> {
        if let Some(p) = self.clip_percentile {
            if !(p > 0.0 && p <= 100.0) {
                return Err(QuantError::Percentile { percentile: p });
            }
        }
        let t = self.prune_threshold;
        if !(t.is_finite() && t >= 0.0) {
            return Err(QuantError::Threshold { threshold: t });
        }
        Ok(())
    }
}

/// Invalid input to the quantizer.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum QuantError {
    /// A bit width outside `2..=32`.
    #[error("bit width must be in {MIN_BITS}..={MAX_BITS} bits, got {bits} (1 bit leaves only the level 0)")]
    BitWidth { bits: u32 },
    /// A clip percentile outside `(0, 100]`.
    #[error("clip percentile must be in (0, 100], got {percentile}")]
    Percentile { percentile: f64 },
    /// A negative, infinite or NaN prune threshold.
    #[error("prune threshold must be finite and >= 0, got {threshold}")]
    Threshold { threshold: f64 },
    /// The coupling matrix is not symmetric over the allowed pairs.
    #[error("coupling matrix is not symmetric: max |J[{i},{j}] - J[{j},{i}]| = {asymmetry:e} (tolerance {tolerance:e})")]
    NotSymmetric {
        i: usize,
        j: usize,
        asymmetry: f64,
        tolerance: f64,
    },
    /// The mask is not symmetric.
    #[error("mask is not symmetric: mask[{i},{j}] = {a} but mask[{j},{i}] = {b}")]
    MaskNotSymmetric { i: usize, j: usize, a: f32, b: f32 },
    /// Shapes do not fit (non-square `J`, or mask of another shape).
    #[error("shape mismatch: {what}")]
    Shape { what: String },
    /// A NaN or infinite value in the input.
    #[error("non-finite value {value} at index {index:?}")]
    NonFinite { index: Vec<usize>, value: f32 },
}

/// Quantization report.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantReport {
    /// `||q − x||_F / ||x||_F` over the allowed entries (0 if `x = 0` there).
    pub rel_frobenius: f64,
    /// `max |q − x|` over the allowed entries.
    pub max_abs: f64,
    /// Fraction of allowed entries that are exactly 0 after quantization (pruned, or rounded
    /// to 0, or zero to begin with).
    pub pruned_fraction: f64,
    /// Step size Δ per tensor (length 1) or per row; 0 when `bits` is `None` or the scale is 0.
    pub scale: Vec<f64>,
    /// Fraction of allowed entries with `|x| > scale` (after pruning) that were clipped.
    pub clipped_fraction: f64,
}

/// Percentile `p` (in (0, 100]) of `values` by linear interpolation; sorts `values`.
/// Returns 0 for an empty slice.
fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let r = p / 100.0 * (values.len() - 1) as f64;
    let lo = r.floor() as usize;
    let hi = (r.ceil() as usize).min(values.len() - 1);
    let w = r - lo as f64;
    values[lo] + w * (values[hi] - values[lo])
}

/// The clipping scale of a set of magnitudes (max, or the percentile).
fn scale_of(mags: &mut [f64], clip: Option<f64>) -> f64 {
    match clip {
        Some(p) => percentile(mags, p),
        None => mags.iter().copied().fold(0.0, f64::max),
    }
}

/// Step size for a scale.
fn step_of(scale: f64, bits: Option<BitWidth>) -> f64 {
    match bits {
        Some(b) if scale > 0.0 => scale / f64::from(b.levels()),
        _ => 0.0,
    }
}

/// Quantize one (already pruned) value with clipping range `scale`; returns the value and
/// whether it was clipped.
fn quantize_one(x: f64, scale: f64, bits: Option<BitWidth>) -> (f64, bool) {
    let clipped = x.abs() > scale;
    let c = x.clamp(-scale, scale);
    let q = match bits {
        None => c,
        Some(b) => {
            if scale <= 0.0 {
                0.0
            } else {
                let levels = f64::from(b.levels());
                let step = scale / levels;
                (c / step).round().clamp(-levels, levels) * step
            }
        }
    };
    (q, clipped)
}

fn prune(x: f64, threshold: f64) -> f64 {
    if x.abs() < threshold {
        0.0
    } else {
        x
    }
}

/// Accumulates the error statistics of a report.
#[derive(Default)]
struct ErrorAcc {
    diff2: f64,
    norm2: f64,
    max_abs: f64,
}

impl ErrorAcc {
    fn add(&mut self, orig: f64, quant: f64) {
        let d = quant - orig;
        self.diff2 += d * d;
        self.norm2 += orig * orig;
        self.max_abs = self.max_abs.max(d.abs());
    }

    fn rel(&self) -> f64 {
        if self.norm2 > 0.0 {
            (self.diff2 / self.norm2).sqrt()
        } else {
            0.0
        }
    }
}

fn fraction(count: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        count as f64 / total as f64
    }
}

/// A copy of `computer` with its couplings quantized by `spec` (within the topology's mask) and
/// its biases by the same spec without pruning; returns the coupling and bias reports.
pub fn quantize_computer(
    computer: &crate::model::Computer<f32>,
    spec: &QuantSpec,
) -> Result<(crate::model::Computer<f32>, QuantReport, QuantReport), QuantError> {
    let (j, couplings) = quantize_couplings(&computer.params.j, computer.topology.mask(), spec)?;
    let bias_spec = QuantSpec {
        prune_threshold: 0.0,
        ..*spec
    };
    let (b, biases) = quantize_vector(&computer.params.b, &bias_spec)?;
    let mut q = computer.clone();
    q.params.j = j;
    q.params.b = b;
    Ok((q, couplings, biases))
}

/// Quantize symmetric couplings `j` restricted to `mask` (nonzero = allowed).
///
/// Returns the quantized matrix (symmetric, zero diagonal, zero outside the mask) and a report.
/// With [`Granularity::PerRow`] each pair `(i, j)` uses the larger of the two row scales,
/// `max(s_i, s_j)`, so the result stays symmetric and no coupling is clipped by the smaller
/// row's scale; `report.scale` then holds the step size of each row. Errors in the report are
/// measured against the input over all allowed (ordered) entries. See the module docs for the
/// order of operations and the percentile definition.
pub fn quantize_couplings(
    j: &Array2<f32>,
    mask: &Array2<f32>,
    spec: &QuantSpec,
) -> Result<(Array2<f32>, QuantReport), QuantError> {
    spec.validate()?;
    let (n, m) = j.dim();
    if n != m {
        return Err(QuantError::Shape {
            what: format!("coupling matrix must be square, got {n}x{m}"),
        });
    }
    if mask.dim() != j.dim() {
        let (a, b) = mask.dim();
        return Err(QuantError::Shape {
            what: format!("mask is {a}x{b} but the coupling matrix is {n}x{n}"),
        });
    }

    // Validate mask symmetry and finiteness of the allowed entries; find the largest |J|.
    let mut max_abs_j = 0.0f64;
    for r in 0..n {
        for c in 0..n {
            if r == c {
                continue;
            }
            let (a, b) = (mask[[r, c]], mask[[c, r]]);
            if (a != 0.0) != (b != 0.0) {
                return Err(QuantError::MaskNotSymmetric { i: r, j: c, a, b });
            }
            if a != 0.0 {
                let v = j[[r, c]];
                if !v.is_finite() {
                    return Err(QuantError::NonFinite {
                        index: vec![r, c],
                        value: v,
                    });
                }
                max_abs_j = max_abs_j.max(f64::from(v).abs());
            }
        }
    }

    // Symmetry check over the allowed pairs; collect the pair values (upper triangle).
    let tolerance = SYMMETRY_TOLERANCE * max_abs_j;
    let mut worst: Option<(usize, usize, f64)> = None;
    let mut pairs: Vec<(usize, usize, f64)> = Vec::new();
    for r in 0..n {
        for c in (r + 1)..n {
            if mask[[r, c]] == 0.0 {
                continue;
            }
            let (a, b) = (f64::from(j[[r, c]]), f64::from(j[[c, r]]));
            let asym = (a - b).abs();
            if asym > tolerance && worst.is_none_or(|(_, _, w)| asym > w) {
                worst = Some((r, c, asym));
            }
            pairs.push((r, c, prune(0.5 * (a + b), spec.prune_threshold)));
        }
    }
    if let Some((i, jj, asymmetry)) = worst {
        return Err(QuantError::NotSymmetric {
            i,
            j: jj,
            asymmetry,
            tolerance,
        });
    }

    // Scales: per tensor (one) or per row.
    let scales: Vec<f64> = match spec.granularity {
        Granularity::PerTensor => {
            let mut mags: Vec<f64> = pairs.iter().map(|p| p.2.abs()).collect();
            vec![scale_of(&mut mags, spec.clip_percentile)]
        }
        Granularity::PerRow => {
            let mut rows: Vec<Vec<f64>> = vec![Vec::new(); n];
            for &(r, c, v) in &pairs {
                rows[r].push(v.abs());
                rows[c].push(v.abs());
            }
            rows.iter_mut()
                .map(|mags| scale_of(mags, spec.clip_percentile))
                .collect()
        }
    };
    let pair_scale = |r: usize, c: usize| match spec.granularity {
        Granularity::PerTensor => scales[0],
        Granularity::PerRow => scales[r].max(scales[c]),
    };

    let mut out = Array2::<f32>::zeros((n, n));
    let mut zeros = 0usize;
    let mut clipped = 0usize;
    for &(r, c, v) in &pairs {
        let (q, was_clipped) = quantize_one(v, pair_scale(r, c), spec.bits);
        let qf = q as f32;
        out[[r, c]] = qf;
        out[[c, r]] = qf;
        if qf == 0.0 {
            zeros += 1;
        }
        if was_clipped {
            clipped += 1;
        }
    }

    let mut acc = ErrorAcc::default();
    for r in 0..n {
        for c in 0..n {
            if r != c && mask[[r, c]] != 0.0 {
                acc.add(f64::from(j[[r, c]]), f64::from(out[[r, c]]));
            }
        }
    }

    let report = QuantReport {
        rel_frobenius: acc.rel(),
        max_abs: acc.max_abs,
        pruned_fraction: fraction(zeros, pairs.len()),
        scale: scales.iter().map(|&s| step_of(s, spec.bits)).collect(),
        clipped_fraction: fraction(clipped, pairs.len()),
    };
    Ok((out, report))
}

/// Quantize a vector (biases) with one scale for the whole vector, with the same rules as
/// [`quantize_couplings`] (pruning, then clipping at the max or percentile of `|b|`, then
/// rounding). There is no mask: every entry is allowed. `spec.granularity` is ignored (a
/// per-entry scale would make quantization a no-op).
pub fn quantize_vector(
    b: &Array1<f32>,
    spec: &QuantSpec,
) -> Result<(Array1<f32>, QuantReport), QuantError> {
    spec.validate()?;
    if let Some((i, &v)) = b.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(QuantError::NonFinite {
            index: vec![i],
            value: v,
        });
    }
    let pruned: Vec<f64> = b
        .iter()
        .map(|&v| prune(f64::from(v), spec.prune_threshold))
        .collect();
    let mut mags: Vec<f64> = pruned.iter().map(|v| v.abs()).collect();
    let scale = scale_of(&mut mags, spec.clip_percentile);

    let mut out = Array1::<f32>::zeros(b.len());
    let mut zeros = 0usize;
    let mut clipped = 0usize;
    let mut acc = ErrorAcc::default();
    for (i, &v) in pruned.iter().enumerate() {
        let (q, was_clipped) = quantize_one(v, scale, spec.bits);
        let qf = q as f32;
        out[i] = qf;
        zeros += usize::from(qf == 0.0);
        clipped += usize::from(was_clipped);
        acc.add(f64::from(b[i]), f64::from(qf));
    }
    let report = QuantReport {
        rel_frobenius: acc.rel(),
        max_abs: acc.max_abs,
        pruned_fraction: fraction(zeros, b.len()),
        scale: vec![step_of(scale, spec.bits)],
        clipped_fraction: fraction(clipped, b.len()),
    };
    Ok((out, report))
}
