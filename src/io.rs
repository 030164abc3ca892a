//! File output: atomic writes, parameter archives (.npz), arrays (.npy) and CSV tables.

use crate::error::{io_err, Error, Result};
use crate::linalg::Real;
use crate::model::Params;
use ndarray::{Array1, Array2, ArrayBase, Data, Dimension};
use ndarray_npy::{NpzReader, NpzWriter, WritableElement, WriteNpyExt};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Write a file atomically: `write` fills `PATH.tmp`, which is flushed, synced and renamed
/// over `path`, so readers see either the old or the new file, never a partial one.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let tmp = tmp_path(path);
    let file = File::create(&tmp).map_err(io_err(&tmp))?;
    let mut w = BufWriter::new(file);
    write(&mut w)?;
    w.flush().map_err(io_err(&tmp))?;
    w.get_ref().sync_all().map_err(io_err(&tmp))?;
    drop(w);
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

fn array_err(path: &Path) -> impl Fn(String) -> Error + '_ {
    move |msg| Error::Array {
        path: path.to_path_buf(),
        msg,
    }
}

/// A writer of named arrays into one .npz archive (written atomically by [`write_npz`]).
pub struct NpzOut<'a> {
    w: NpzWriter<&'a mut BufWriter<File>>,
    path: &'a Path,
}

impl NpzOut<'_> {
    /// Add an array under `name`.
    pub fn add<S, D>(&mut self, name: &str, a: &ArrayBase<S, D>) -> Result<()>
    where
        S: Data,
        S::Elem: WritableElement,
        D: Dimension,
    {
        self.w
            .add_array(name, a)
            .map_err(|e| array_err(self.path)(format!("writing array {name}: {e}")))
    }
}

/// Write an .npz archive atomically; `fill` adds the arrays.
pub fn write_npz(path: &Path, fill: impl FnOnce(&mut NpzOut<'_>) -> Result<()>) -> Result<()> {
    write_atomic(path, |w| {
        let mut out = NpzOut {
            w: NpzWriter::new(w),
            path,
        };
        fill(&mut out)?;
        out.w
            .finish()
            .map_err(|e| array_err(path)(format!("finishing archive: {e}")))?;
        Ok(())
    })
}

/// Reader of named arrays from an .npz archive, with errors naming the file and array.
pub struct NpzIn {
    r: NpzReader<File>,
    path: PathBuf,
}

impl NpzIn {
    /// Open an archive.
    pub fn open(path: &Path) -> Result<Self> {
        let f = File::open(path).map_err(io_err(path))?;
        let r =
            NpzReader::new(f).map_err(|e| array_err(path)(format!("not an .npz archive: {e}")))?;
        Ok(NpzIn {
            r,
            path: path.to_path_buf(),
        })
    }

    /// Read array `name` as a 2-D f32/f64/u64 array.
    pub fn get2<T: ndarray_npy::ReadableElement>(&mut self, name: &str) -> Result<Array2<T>> {
        self.r
            .by_name(name)
            .map_err(|e| array_err(&self.path)(format!("array {name}: {e}")))
    }

    /// Names of the arrays in the archive (without the `.npy` suffix).
    pub fn names(&mut self) -> Result<Vec<String>> {
        let names = self
            .r
            .names()
            .map_err(|e| array_err(&self.path)(format!("listing arrays: {e}")))?;
        Ok(names
            .into_iter()
            .map(|n| n.strip_suffix(".npy").map_or(n.clone(), str::to_string))
            .collect())
    }

    /// Read array `name` as a 1-D array.
    pub fn get1<T: ndarray_npy::ReadableElement>(&mut self, name: &str) -> Result<Array1<T>> {
        self.r
            .by_name(name)
            .map_err(|e| array_err(&self.path)(format!("array {name}: {e}")))
    }
}

/// Save parameters as `J` [N, N] and `b` [N] (f32).
pub fn save_params(path: &Path, p: &Params<f32>) -> Result<()> {
    write_npz(path, |z| {
        z.add("J", &p.j)?;
        z.add("b", &p.b)
    })
}

/// Load parameters saved by [`save_params`], checking shapes against N and that J is a
/// valid coupling matrix (symmetric, zero diagonal, finite).
pub fn load_params<R: Real>(path: &Path, n: usize) -> Result<Params<R>> {
    let mut z = NpzIn::open(path)?;
    let j: Array2<f32> = z.get2("J")?;
    let b: Array1<f32> = z.get1("b")?;
    let bad = array_err(path);
    if j.shape() != [n, n] || b.len() != n {
        return Err(bad(format!(
            "J has shape {:?} and b {:?}, but the model has N = {n} units",
            j.shape(),
            b.shape()
        )));
    }
    let file = path.display().to_string();
    crate::finite::check(&file, "J", &j, "")?;
    crate::finite::check(&file, "b", &b, "")?;
    let p = Params { j, b };
    if p.asymmetry() > 0.0 {
        return Err(bad(format!(
            "J is not symmetric (max |J_ij − J_ji| = {:e})",
            p.asymmetry()
        )));
    }
    if let Some(i) = (0..n).find(|&i| p.j[[i, i]] != 0.0) {
        return Err(bad(format!("J has a non-zero diagonal entry J[{i},{i}]")));
    }
    Ok(p.cast())
}

/// Save a 2-D array as .npy (atomically).
pub fn save_npy<S: Data<Elem = f32>>(path: &Path, a: &ArrayBase<S, ndarray::Ix2>) -> Result<()> {
    write_atomic(path, |w| {
        a.write_npy(w)
            .map_err(|e| array_err(path)(format!("writing .npy: {e}")))
    })
}

/// Write a CSV table with a header row (atomically).
pub fn write_csv(
    path: &Path,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<()> {
    write_atomic(path, |w| {
        let mut c = csv::Writer::from_writer(w);
        let err = |e: csv::Error| Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        };
        c.write_record(header).map_err(err)?;
        for r in rows {
            c.write_record(&r).map_err(err)?;
        }
        c.flush().map_err(io_err(path))
    })
}
