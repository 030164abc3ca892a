//! Floating-point scalar trait and the one dense matrix product the crate uses.
//!
//! Every matrix product on a hot path (fields, gradients, behavioral chip, classifier
//! inference) goes through [`gemm`], which wraps faer's matmul (the fastest f32 GEMM
//! measured on the target machines, see `docs/performance.md`). Two small products stay
//! with ndarray's sequential `.dot`, deliberately: the noising protocol's hidden projection
//! (one matrix–vector product per training image, computed once per run) and the f64
//! statistics of `tolerance::quality` (covariances of ≤ 784 dimensions per study point);
//! moving them to faer would change their summation order, hence every figure derived from
//! them, for no measurable speed.
//!
//! Parallelism is passed explicitly as a [`Parallelism`] value, never read from global state:
//! a loop over rows runs on rayon only when `par` has more than one thread (then inside the
//! pool the caller installed with [`Parallelism::install`]), else sequentially.
//!
//! Reproducibility: faer computes each output row with the same summation order whatever
//! the number of rows and threads, except for a single-row product (a GEMV path). [`gemm`]
//! therefore pads one-row products to two rows, so a trajectory's arithmetic never depends on
//! the batch it runs in.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use ndarray::{Array2, ArrayView2, ArrayViewMut2, LinalgScalar, ScalarOperand};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use std::fmt::{Debug, Display};

/// Real scalar type of a simulation: `f32` for production runs, `f64` for exact checks.
pub trait Real:
    faer::traits::RealField
    + num_traits::Float
    + num_traits::FromPrimitive
    + LinalgScalar
    + ScalarOperand
    + Default
    + Debug
    + Display
    + Send
    + Sync
    + std::iter::Sum
    + ndarray_npy::WritableElement
    + ndarray_npy::ReadableElement
    + 'static
{
    /// A standard normal deviate.
    fn std_normal<G: Rng + ?Sized>(rng: &mut G) -> Self;
    /// Lossy conversion from `f64` (model constants are stored in `f64`).
    fn of(v: f64) -> Self;
    /// Widening conversion to `f64` (for accumulating statistics).
    fn f64(self) -> f64;
}

macro_rules! impl_real {
    ($t:ty) => {
        impl Real for $t {
            #[inline]
            fn std_normal<G: Rng + ?Sized>(rng: &mut G) -> Self {
                StandardNormal.sample(rng)
            }
            #[inline]
            fn of(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn f64(self) -> f64 {
                self as f64
            }
        }
    };
}
impl_real!(f32);
impl_real!(f64);

/// How many threads a computation may use. Passed explicitly through every hot path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parallelism {
    threads: usize,
}

impl Parallelism {
    /// Single-threaded.
    pub const SEQUENTIAL: Parallelism = Parallelism { threads: 1 };

    /// Use `threads` threads (0 means all available cores).
    pub fn new(threads: usize) -> Self {
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            threads
        };
        Parallelism { threads }
    }

    /// Number of threads.
    pub fn threads(self) -> usize {
        self.threads
    }

    /// faer's parallelism value for the same thread count.
    pub fn faer(self) -> Par {
        if self.threads <= 1 {
            Par::Seq
        } else {
            Par::rayon(self.threads)
        }
    }

    /// Run `f` inside a rayon pool of exactly this many threads, so that both faer and
    /// the crate's own `par_iter` loops use the requested count.
    pub fn install<T: Send>(self, f: impl FnOnce() -> T + Send) -> T {
        match rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
        {
            Ok(pool) => pool.install(f),
            // A pool cannot be built (e.g. thread limit): run on the caller's pool.
            Err(_) => f(),
        }
    }
}

fn as_faer<'a, T: Real>(a: &ArrayView2<'a, T>) -> MatRef<'a, T> {
    let s = a.strides();
    // SAFETY: the pointer, shape and strides come from a live ndarray view of the same lifetime.
    unsafe { MatRef::from_raw_parts(a.as_ptr(), a.nrows(), a.ncols(), s[0], s[1]) }
}

fn as_faer_mut<'a, T: Real>(a: &'a mut ArrayViewMut2<'_, T>) -> MatMut<'a, T> {
    let s = a.strides().to_vec();
    let (m, n) = (a.nrows(), a.ncols());
    // SAFETY: as above; the mutable view is borrowed exclusively for 'a.
    unsafe { MatMut::from_raw_parts_mut(a.as_mut_ptr(), m, n, s[0], s[1]) }
}

/// `out ← α·a·b` (`accumulate = false`) or `out ← out + α·a·b` (`accumulate = true`).
///
/// Any strides are accepted (transposed views, column blocks of a row-major array).
/// Shapes must agree; callers construct them from one topology, so a mismatch is a bug.
pub fn gemm<T: Real>(
    mut out: ArrayViewMut2<'_, T>,
    accumulate: bool,
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    alpha: T,
    par: Parallelism,
) {
    assert_eq!(a.ncols(), b.nrows(), "gemm inner dimensions");
    assert_eq!(
        (out.nrows(), out.ncols()),
        (a.nrows(), b.ncols()),
        "gemm output shape"
    );
    let accum = if accumulate {
        Accum::Add
    } else {
        Accum::Replace
    };
    if a.nrows() == 1 {
        // Pad to two rows so that the result is bitwise the one of a batched product.
        let mut a2 = Array2::<T>::zeros((2, a.ncols()));
        a2.row_mut(0).assign(&a.row(0));
        a2.row_mut(1).assign(&a.row(0));
        let mut o2 = Array2::<T>::zeros((2, out.ncols()));
        o2.row_mut(0).assign(&out.row(0));
        o2.row_mut(1).assign(&out.row(0));
        {
            let mut o2v = o2.view_mut();
            matmul(
                as_faer_mut(&mut o2v),
                accum,
                as_faer(&a2.view()),
                as_faer(&b),
                alpha,
                par.faer(),
            );
        }
        out.row_mut(0).assign(&o2.row(0));
        return;
    }
    matmul(
        as_faer_mut(&mut out),
        accum,
        as_faer(&a),
        as_faer(&b),
        alpha,
        par.faer(),
    );
}

/// A square matrix whose rows and columns are split into the same contiguous ranges, of which
/// only some (source, destination) blocks are non-zero: `out[:, dst] (+)= x[:, src]·M[src, dst]`
/// is one GEMM per stored block, so an all-zero block costs nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockSparse<T> {
    ranges: Vec<std::ops::Range<usize>>,
    blocks: Vec<(usize, usize)>,
    m: Array2<T>,
}

impl<T: Real> BlockSparse<T> {
    /// Split `m` [N, N] by `ranges` (contiguous, covering 0..N) and keep the blocks with a
    /// non-zero entry.
    pub fn new(m: Array2<T>, ranges: Vec<std::ops::Range<usize>>) -> Self {
        let mut blocks = Vec::new();
        for (s, rs) in ranges.iter().enumerate() {
            for (d, rd) in ranges.iter().enumerate() {
                let blk = m.slice(ndarray::s![rs.clone(), rd.clone()]);
                if blk.iter().any(|v| *v != T::zero()) {
                    blocks.push((s, d));
                }
            }
        }
        BlockSparse { ranges, blocks, m }
    }

    /// The dense matrix.
    pub fn matrix(&self) -> &Array2<T> {
        &self.m
    }

    /// The stored (source, destination) range pairs.
    pub fn blocks(&self) -> &[(usize, usize)] {
        &self.blocks
    }

    /// Multiply–accumulates of one product x·M for a single row, stored blocks only.
    pub fn macs(&self) -> usize {
        self.blocks
            .iter()
            .map(|&(s, d)| self.ranges[s].len() * self.ranges[d].len())
            .sum()
    }

    /// `out ← x·M` (or `out ← out + x·M` with `accumulate`) for a batch x [B, N].
    pub fn product(
        &self,
        x: ArrayView2<'_, T>,
        out: ArrayViewMut2<'_, T>,
        accumulate: bool,
        par: Parallelism,
    ) {
        let blocks = &self.blocks;
        block_product(
            self.m.view(),
            self.ranges.len(),
            |i| self.ranges[i].clone(),
            x,
            out,
            accumulate,
            |d| {
                blocks
                    .iter()
                    .filter(move |&&(_, dd)| dd == d)
                    .map(|&(s, _)| s)
            },
            par,
        );
    }
}

/// Block product over a partition of 0..N into `blocks` contiguous ranges, range i being
/// `range(i)`: for every destination range d, `out[:, d] ← Σ_(s ∈ sources(d)) x[:, s]·m[s, d]`
/// (added to `out` with `accumulate`), one GEMM per run of adjacent listed sources, in the
/// order listed. A destination without sources is zeroed, or left as it is with `accumulate`.
#[allow(clippy::too_many_arguments)]
pub fn block_product<T: Real, I: IntoIterator<Item = usize>>(
    m: ArrayView2<'_, T>,
    blocks: usize,
    range: impl Fn(usize) -> std::ops::Range<usize>,
    x: ArrayView2<'_, T>,
    mut out: ArrayViewMut2<'_, T>,
    accumulate: bool,
    sources: impl Fn(usize) -> I,
    par: Parallelism,
) {
    for d in 0..blocks {
        let rd = range(d);
        let mut acc = accumulate;
        let mut o = out.slice_mut(ndarray::s![.., rd.clone()]);
        // Adjacent source ranges are one product with a longer inner dimension (one pass
        // over the output instead of one per block).
        let mut merged: Vec<std::ops::Range<usize>> = Vec::new();
        for s in sources(d) {
            let rs = range(s);
            match merged.last_mut() {
                Some(last) if last.end == rs.start => last.end = rs.end,
                _ => merged.push(rs),
            }
        }
        for rs in merged {
            gemm(
                o.view_mut(),
                acc,
                x.slice(ndarray::s![.., rs.clone()]),
                m.slice(ndarray::s![rs, rd.clone()]),
                T::one(),
                par,
            );
            acc = true;
        }
        if !acc {
            o.fill(T::zero());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn gemm_matches_naive_with_strides_and_accumulation() {
        let a = Array2::from_shape_fn((5, 7), |(i, j)| (i as f64) - 0.3 * j as f64);
        let b = Array2::from_shape_fn((9, 7), |(i, j)| 0.1 * (i * j) as f64 - 1.0);
        // b.t() is a strided (column-major) view.
        let mut out = Array2::from_elem((5, 9), 1.0f64);
        gemm(
            out.view_mut(),
            true,
            a.view(),
            b.t(),
            2.0,
            Parallelism::SEQUENTIAL,
        );
        let expect = a.dot(&b.t()) * 2.0 + 1.0;
        for (x, y) in out.iter().zip(expect.iter()) {
            assert!((x - y).abs() < 1e-12, "{x} vs {y}");
        }
        // One-row product through the padded path.
        let mut one = Array2::zeros((1, 9));
        gemm(
            one.view_mut(),
            false,
            a.slice(ndarray::s![2..3, ..]),
            b.t(),
            1.0,
            Parallelism::SEQUENTIAL,
        );
        let e = a.row(2).dot(&b.t());
        for (x, y) in one.iter().zip(e.iter()) {
            assert!((x - y).abs() < 1e-12);
        }
    }
}
