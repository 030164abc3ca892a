//! IDX file format (the MNIST container), plain or gzip-compressed.
//!
//! Layout: a big-endian `u32` magic `0x0000TTDD` (`TT` = element type,
//! `0x08` = unsigned byte; `DD` = number of dimensions), then `DD` big-endian
//! `u32` dimension sizes, then the elements in row-major order.
//! Images use magic `0x00000803` (dims `[n, rows, cols]`), labels
//! `0x00000801` (dims `[n]`).
//!
//! Files are read into memory in one go; gzip is detected by a `.gz` name or
//! the gzip magic bytes `1f 8b`. Writing uses gzip iff the name ends in `.gz`.

use super::{DataError, Digits};
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use ndarray::{Array2, Array3};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Magic number of an IDX file of unsigned bytes with 3 dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with 1 dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

fn has_gz_extension(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

fn io_err(path: &Path, e: std::io::Error) -> DataError {
    if e.kind() == std::io::ErrorKind::NotFound {
        DataError::NotFound {
            path: path.to_path_buf(),
        }
    } else {
        DataError::Io {
            path: path.to_path_buf(),
            source: e,
        }
    }
}

/// Whole file contents, decompressed if gzip (by `.gz` name or magic bytes).
fn read_bytes(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|e| io_err(path, e))?;
    if !(has_gz_extension(path) || raw.starts_with(&GZIP_MAGIC)) {
        return Ok(raw);
    }
    // The gzip trailer holds the uncompressed size mod 2^32: a capacity hint.
    let hint = if raw.len() >= 18 {
        let t = &raw[raw.len() - 4..];
        (u32::from_le_bytes([t[0], t[1], t[2], t[3]]) as usize).min(1 << 30)
    } else {
        0
    };
    let mut out = Vec::with_capacity(hint);
    MultiGzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| DataError::Gzip {
            path: path.to_path_buf(),
            source: e,
        })?;
    Ok(out)
}

/// Parse an IDX header with the given magic; returns (dims, payload offset),
/// after checking the payload length exactly matches the header.
fn parse_header(
    path: &Path,
    bytes: &[u8],
    magic: u32,
    what: &'static str,
) -> Result<(Vec<usize>, usize), DataError> {
    let ndim = (magic & 0xff) as usize;
    let header_len = 4 + 4 * ndim;
    let be_u32 =
        |o: usize| u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
    if bytes.len() < 4 {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            expected: header_len,
            got: bytes.len(),
        });
    }
    let found = be_u32(0);
    if found != magic {
        return Err(DataError::BadMagic {
            path: path.to_path_buf(),
            what,
            expected: magic,
            found,
        });
    }
    if bytes.len() < header_len {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            expected: header_len,
            got: bytes.len(),
        });
    }
    let dims: Vec<usize> = (0..ndim).map(|d| be_u32(4 + 4 * d) as usize).collect();
    let expected = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .and_then(|n| n.checked_add(header_len))
        .ok_or_else(|| DataError::BadHeader {
            path: path.to_path_buf(),
            reason: format!("dimensions {dims:?} overflow the address space"),
        })?;
    if bytes.len() < expected {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            expected,
            got: bytes.len(),
        });
    }
    if bytes.len() > expected {
        return Err(DataError::TrailingData {
            path: path.to_path_buf(),
            expected,
            got: bytes.len(),
        });
    }
    Ok((dims, header_len))
}

/// Read an IDX image file (magic `0x00000803`): pixel bytes with shape
/// `[n, rows, cols]`. Plain, or gzip if the name ends in `.gz` or the first
/// two bytes are the gzip magic `1f 8b`.
pub fn read_idx_images(path: &Path) -> Result<Array3<u8>, DataError> {
    let bytes = read_bytes(path)?;
    let (dims, off) = parse_header(path, &bytes, IMAGES_MAGIC, "images: u8, 3 dims")?;
    let shape = (dims[0], dims[1], dims[2]);
    Array3::from_shape_vec(shape, bytes[off..].to_vec()).map_err(|e| DataError::BadHeader {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Read an IDX label file (magic `0x00000801`): one byte per item. Plain or
/// gzip as for [`read_idx_images`]. Any `u8` value is accepted.
pub fn read_idx_labels(path: &Path) -> Result<Vec<u8>, DataError> {
    let mut bytes = read_bytes(path)?;
    let (_, off) = parse_header(path, &bytes, LABELS_MAGIC, "labels: u8, 1 dim")?;
    bytes.drain(..off);
    Ok(bytes)
}

/// Read an image file and a label file into [`Digits`] (pixels as `f32`
/// 0..=255). Errors with [`DataError::CountMismatch`] (naming both files and
/// both counts) if the number of images and labels differ.
pub fn read_digits(images: &Path, labels: &Path) -> Result<Digits, DataError> {
    let imgs = read_idx_images(images)?;
    let labs = read_idx_labels(labels)?;
    let (n, rows, cols) = imgs.dim();
    if n != labs.len() {
        return Err(DataError::CountMismatch {
            images: images.to_path_buf(),
            n_images: n,
            labels: labels.to_path_buf(),
            n_labels: labs.len(),
        });
    }
    let data: Vec<f32> = imgs.iter().map(|&b| b as f32).collect();
    let images =
        Array2::from_shape_vec((n, rows * cols), data).map_err(|e| DataError::BadHeader {
            path: images.to_path_buf(),
            reason: e.to_string(),
        })?;
    Ok(Digits {
        images,
        labels: labs,
        rows,
        cols,
    })
}

/// Write a complete IDX file (header + payload), gzip iff the name ends in `.gz`.
fn write_idx(path: &Path, magic: u32, dims: &[usize], payload: &[u8]) -> Result<(), DataError> {
    let mut buf = Vec::with_capacity(4 + 4 * dims.len() + payload.len());
    buf.extend_from_slice(&magic.to_be_bytes());
    for &d in dims {
        let d32 = u32::try_from(d).map_err(|_| DataError::BadHeader {
            path: path.to_path_buf(),
            reason: format!("dimension {d} does not fit in u32"),
        })?;
        buf.extend_from_slice(&d32.to_be_bytes());
    }
    buf.extend_from_slice(payload);
    let io = |e| DataError::Io {
        path: PathBuf::from(path),
        source: e,
    };
    if has_gz_extension(path) {
        let file = std::fs::File::create(path).map_err(io)?;
        let mut enc = GzEncoder::new(std::io::BufWriter::new(file), Compression::default());
        enc.write_all(&buf).map_err(io)?;
        let mut w = enc.finish().map_err(io)?;
        w.flush().map_err(io)?;
        Ok(())
    } else {
        std::fs::write(path, &buf).map_err(io)
    }
}

/// Write images `[n, rows, cols]` as an IDX file (magic `0x00000803`); gzip
/// iff the name ends in `.gz`.
pub fn write_idx_images(path: &Path, images: &Array3<u8>) -> Result<(), DataError> {
    let (n, r, c) = images.dim();
    let payload: Vec<u8> = images.iter().copied().collect(); // logical (row-major) order
    write_idx(path, IMAGES_MAGIC, &[n, r, c], &payload)
}

/// Write labels as an IDX file (magic `0x00000801`); gzip iff the name ends in `.gz`.
pub fn write_idx_labels(path: &Path, labels: &[u8]) -> Result<(), DataError> {
    write_idx(path, LABELS_MAGIC, &[labels.len()], labels)
}

/// Write a [`Digits`] set as an image/label IDX pair. Pixel values are
/// rounded and clamped to 0..=255.
pub fn write_digits(images: &Path, labels: &Path, digits: &Digits) -> Result<(), DataError> {
    let bytes: Vec<u8> = digits
        .images
        .iter()
        .map(|&v| v.round().clamp(0.0, 255.0) as u8)
        .collect();
    let n = digits.len();
    let payload_len = n * digits.rows * digits.cols;
    if bytes.len() != payload_len {
        return Err(DataError::BadHeader {
            path: images.to_path_buf(),
            reason: format!(
                "Digits has {} pixel values, expected {n}×{}×{}",
                bytes.len(),
                digits.rows,
                digits.cols
            ),
        });
    }
    write_idx(images, IMAGES_MAGIC, &[n, digits.rows, digits.cols], &bytes)?;
    write_idx_labels(labels, &digits.labels)
}
