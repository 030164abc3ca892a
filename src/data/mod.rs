//! Data sets: IDX (MNIST) reader, embedded synthetic digits, normalisation.
//!
//! * [`idx`] reads and writes IDX files (the MNIST container format), plain or gzip.
//! * [`synthetic`] draws a deterministic, file-free stand-in for MNIST.
//! * [`Digits`] holds a labelled set of grayscale images as one `[n, rows*cols]`
//!   matrix of raw pixel values (0..=255 for MNIST), with class filtering,
//!   slicing and per-image standardisation.
//! * [`load_mnist_dir`] / [`default_mnist_dir`] locate and load the real MNIST files.
//! * [`select`] resolves a configuration's `[data]` section to its training and held-out images.

pub mod idx;
pub mod normalise;
pub mod select;
pub mod synthetic;

use ndarray::{Array2, ArrayView2, Axis};
use std::path::{Path, PathBuf};

/// Errors from reading, writing or slicing data sets.
///
/// Every file-related variant names the offending path; each renders as one line.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file does not exist.
    #[error("file not found: {}", path.display())]
    NotFound { path: PathBuf },

    /// Any other I/O failure while reading or writing `path`.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The 4-byte IDX magic number is not the one expected for this kind of file.
    #[error(
        "{}: bad IDX magic number: expected 0x{expected:08x} ({what}), found 0x{found:08x}",
        path.display()
    )]
    BadMagic {
        path: PathBuf,
        /// What the file should contain, e.g. "images, u8, 3 dims".
        what: &'static str,
        expected: u32,
        found: u32,
    },

    /// The (decompressed) file is shorter than its header says.
    #[error(
        "{}: truncated IDX file: expected {expected} bytes, got {got} bytes",
        path.display()
    )]
    Truncated {
        path: PathBuf,
        /// Bytes implied by the header (header + payload), after decompression.
        expected: usize,
        /// Bytes actually present, after decompression.
        got: usize,
    },

    /// The (decompressed) file is longer than its header says.
    #[error(
        "{}: IDX file has trailing data: expected {expected} bytes, got {got} bytes",
        path.display()
    )]
    TrailingData {
        path: PathBuf,
        expected: usize,
        got: usize,
    },

    /// The header is self-consistent in magic but unusable (e.g. size overflow,
    /// or data too large to write as IDX).
    #[error("{}: invalid IDX header: {reason}", path.display())]
    BadHeader { path: PathBuf, reason: String },

    /// The image and label files disagree on the number of items.
    #[error(
        "image/label count mismatch: {} has {n_images} images but {} has {n_labels} labels",
        images.display(),
        labels.display()
    )]
    CountMismatch {
        images: PathBuf,
        n_images: usize,
        labels: PathBuf,
        n_labels: usize,
    },

    /// The file looked like gzip (by name or magic bytes) but could not be decoded.
    #[error("{}: gzip decode failed: {source}", path.display())]
    Gzip {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// No complete image+label pair was found in a directory.
    #[error(
        "no MNIST files found in directory {} (tried: {})",
        dir.display(),
        tried.join(", ")
    )]
    NoMnistFiles { dir: PathBuf, tried: Vec<String> },

    /// No MNIST directory was given and none is configured.
    #[error("no MNIST directory: pass --data DIR, set data.path, or set THERMOCAD_MNIST")]
    NoSource,

    /// The data set holds fewer images of a class than the selection needs.
    #[error("data: only {found} images of digit {digit} at or after offset {offset} (after {skip} skipped), {take} needed")]
    TooFew {
        digit: u8,
        found: usize,
        offset: usize,
        skip: usize,
        take: usize,
    },

    /// [`Digits::slice`] was asked for rows outside the data set (no file involved).
    #[error("slice [{start}, {end}) out of range for a data set of {len} images")]
    OutOfRange {
        start: usize,
        end: usize,
        len: usize,
    },
}

/// A set of square grayscale images with labels.
///
/// Invariant: `images.nrows() == labels.len()` and `images.ncols() == rows * cols`.
#[derive(Debug, Clone, PartialEq)]
pub struct Digits {
    /// `[n, rows*cols]`, row-major pixels of each image, raw intensity values
    /// (0..=255 for MNIST and synthetic digits; 0 = background, 255 = ink).
    pub images: Array2<f32>,
    /// Class label of each image (0..=9 for digits).
    pub labels: Vec<u8>,
    /// Image height in pixels.
    pub rows: usize,
    /// Image width in pixels.
    pub cols: usize,
}

impl Digits {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True if there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels per image (`rows * cols`).
    pub fn pixels(&self) -> usize {
        self.rows * self.cols
    }

    /// Image `i` as a `[rows, cols]` view. Panics if `i >= len()`.
    pub fn image(&self, i: usize) -> ArrayView2<'_, f32> {
        self.images
            .row(i)
            .into_shape_with_order((self.rows, self.cols))
            .expect("Digits invariant: images.ncols() == rows*cols")
    }

    /// Keep only images whose label is in `classes`, in original order.
    pub fn filter_classes(&self, classes: &[u8]) -> Digits {
        let mut keep = [false; 256];
        for &c in classes {
            keep[c as usize] = true;
        }
        let idx: Vec<usize> = (0..self.len())
            .filter(|&i| keep[self.labels[i] as usize])
            .collect();
        self.select(&idx)
    }

    /// Images with the given row indices, in the given order. Panics on an
    /// out-of-range index.
    pub fn select(&self, indices: &[usize]) -> Digits {
        Digits {
            images: self.images.select(Axis(0), indices),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            rows: self.rows,
            cols: self.cols,
        }
    }

    /// Rows `[start, end)`. Errors with [`DataError::OutOfRange`] if
    /// `start > end` or `end > len()`.
    pub fn slice(&self, start: usize, end: usize) -> Result<Digits, DataError> {
        if start > end || end > self.len() {
            return Err(DataError::OutOfRange {
                start,
                end,
                len: self.len(),
            });
        }
        Ok(Digits {
            images: self.images.slice(ndarray::s![start..end, ..]).to_owned(),
            labels: self.labels[start..end].to_vec(),
            rows: self.rows,
            cols: self.cols,
        })
    }

    /// Number of images per label: entry `c` counts label `c`; length is
    /// `max label + 1` (0 for an empty set).
    pub fn label_counts(&self) -> Vec<usize> {
        let len = self
            .labels
            .iter()
            .map(|&l| l as usize + 1)
            .max()
            .unwrap_or(0);
        let mut counts = vec![0usize; len];
        for &l in &self.labels {
            counts[l as usize] += 1;
        }
        counts
    }

    /// Each image standardised to zero mean and unit (population) variance over
    /// its own pixels; dimensionless, same shape as `images`.
    ///
    /// A constant (or numerically constant) image becomes all zeros, never NaN.
    pub fn standardised(&self) -> Array2<f32> {
        standardise_rows(self.images.view())
    }

    /// Image `i` as ASCII art (one text line per pixel row), scaled so 255 is
    /// darkest; handy for eyeballing. Panics if `i >= len()`.
    pub fn ascii_art(&self, i: usize) -> String {
        const RAMP: &[u8] = b" .:-=+*#%@";
        let img = self.image(i);
        let mut s = String::with_capacity(self.rows * (self.cols + 1));
        for r in 0..self.rows {
            for c in 0..self.cols {
                let v = (img[[r, c]] / 255.0).clamp(0.0, 1.0);
                let k = (v * (RAMP.len() - 1) as f32).round() as usize;
                s.push(RAMP[k] as char);
            }
            s.push('\n');
        }
        s
    }
}

/// Each row of `x` standardised to zero mean and unit (population) variance over its own
/// entries; a constant (or numerically constant) row becomes all zeros, never NaN.
pub fn standardise_rows(x: ndarray::ArrayView2<'_, f32>) -> Array2<f32> {
    let mut out = x.to_owned();
    let p = out.ncols();
    if p == 0 {
        return out;
    }
    for mut row in out.rows_mut() {
        // Accumulate in f64: two passes for a stable variance.
        let mean = row.iter().map(|&v| v as f64).sum::<f64>() / p as f64;
        let var = row
            .iter()
            .map(|&v| {
                let d = v as f64 - mean;
                d * d
            })
            .sum::<f64>()
            / p as f64;
        // Relative threshold: variance at the level of f32 rounding noise is "constant".
        let floor = 1e-12 * mean.abs().max(1.0).powi(2);
        if var.is_finite() && var > floor {
            let inv = 1.0 / var.sqrt();
            row.mapv_inplace(|v| ((v as f64 - mean) * inv) as f32);
        } else {
            // Constant image (or one holding NaN/inf pixels): all zeros.
            row.fill(0.0);
        }
    }
    out
}

/// Base names tried by [`load_mnist_dir`], in order of preference (each
/// plain or with `.gz`): (images, labels).
const MNIST_PAIRS: [(&str, &str); 4] = [
    ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    ("t10k-images.idx3-ubyte", "t10k-labels.idx1-ubyte"),
    ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    ("train-images.idx3-ubyte", "train-labels.idx1-ubyte"),
];

/// Load the MNIST-style pair from a directory.
///
/// Looks for `t10k-images-idx3-ubyte` / `t10k-labels-idx1-ubyte` (and the
/// `train-...` pair if the t10k pair is absent), each either plain or with
/// `.gz`; the dotted variant `t10k-images.idx3-ubyte` is accepted as well.
/// Errors with [`DataError::NoMnistFiles`] naming the directory and every file
/// name tried if no complete pair exists; read errors name the file.
pub fn load_mnist_dir(dir: &Path) -> Result<Digits, DataError> {
    let mut tried = Vec::new();
    let find = |base: &str, tried: &mut Vec<String>| -> Option<PathBuf> {
        let mut found = None;
        for name in [base.to_string(), format!("{base}.gz")] {
            let p = dir.join(&name);
            if found.is_none() && p.is_file() {
                found = Some(p);
            }
            tried.push(name);
        }
        found
    };
    for (img, lab) in MNIST_PAIRS {
        let img_path = find(img, &mut tried);
        let lab_path = find(lab, &mut tried);
        if let (Some(i), Some(l)) = (img_path, lab_path) {
            return idx::read_digits(&i, &l);
        }
    }
    Err(DataError::NoMnistFiles {
        dir: dir.to_path_buf(),
        tried,
    })
}

/// Where to find real MNIST data: the directory in the environment variable
/// `THERMOCAD_MNIST` if it is set and non-empty (returned even if it does not
/// exist, so a mistyped setting fails loudly), else `../shared/data/mnist`
/// relative to the crate root if that directory exists; `None` otherwise.
///
/// Tests that need real data skip with a clear message when this is `None`.
pub fn default_mnist_dir() -> Option<PathBuf> {
    if let Some(v) = std::env::var_os("THERMOCAD_MNIST") {
        if !v.is_empty() {
            return Some(PathBuf::from(v));
        }
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mnist");
    if p.is_dir() {
        Some(p)
    } else {
        None
    }
}
