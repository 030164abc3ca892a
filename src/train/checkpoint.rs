//! Checkpoints: the whole training state in one .npz, written atomically, so that an
//! interrupted or diverged run keeps its last good state and `--resume` continues bit for bit.

use super::executor::TrainState;
use super::optim::Optimizer;
use crate::error::{Error, Result};
use crate::io::{write_npz, NpzIn};
use crate::model::{Computer, Params};
use ndarray::{Array1, Array2};
use std::path::Path;

/// File name of the checkpoint inside a run directory.
pub const FILE: &str = "checkpoint.npz";

/// Separator between the settings and the data parts of a fingerprint.
const DATA_TAG: &str = "\n# training data: ";

/// A checkpoint fingerprint: the settings (`settings`, TOML) and a 64-bit FNV-1a hash of the
/// training images (f32 pixels, little-endian) and their labels, so that a resume on other
/// data is refused.
pub fn fingerprint(settings: &str, images: &ndarray::Array2<f32>, labels: &[u8]) -> String {
    let pixels: Vec<u8> = images.iter().flat_map(|v| v.to_le_bytes()).collect();
    let hash = crate::tolerance::fingerprint([pixels.as_slice(), labels]);
    format!("{settings}{DATA_TAG}{} images, hash {hash}", labels.len())
}

/// Save `state`; `fingerprint` identifies the settings a resume must match.
pub fn save(path: &Path, state: &TrainState, fingerprint: &str) -> Result<()> {
    let hist = Array2::from_shape_fn((state.history.len(), 2), |(i, k)| {
        if k == 0 {
            state.history[i].0 as f64
        } else {
            state.history[i].1
        }
    });
    let o = &state.optimizer;
    write_npz(path, |z| {
        z.add("J", &state.computer.params.j)?;
        z.add("b", &state.computer.params.b)?;
        z.add("m_J", &o.m.j)?;
        z.add("m_b", &o.m.b)?;
        z.add("v_J", &o.v.j)?;
        z.add("v_b", &o.v.b)?;
        z.add("progress", &Array1::from(vec![state.done, o.t]))?;
        z.add("history", &hist)?;
        z.add(
            "fingerprint",
            &Array1::from(fingerprint.as_bytes().to_vec()),
        )
    })
}

/// Restore a state saved by [`save`] into `computer`'s shape and `optimizer`'s kind,
/// refusing a checkpoint made with other settings.
pub fn load(
    path: &Path,
    mut computer: Computer<f32>,
    optimizer: Optimizer<f32>,
    fingerprint: &str,
) -> Result<TrainState> {
    let refuse = |why: String| Error::Resume {
        path: path.to_path_buf(),
        why,
    };
    let mut z = NpzIn::open(path)?;
    let fp: Array1<u8> = z.get1("fingerprint")?;
    let stored = String::from_utf8_lossy(fp.as_slice().unwrap_or(&[])).into_owned();
    let split = |s: &str| -> (String, String) {
        match s.split_once(DATA_TAG) {
            Some((a, b)) => (a.to_string(), b.to_string()),
            None => (s.to_string(), "unrecorded".to_string()),
        }
    };
    let ((old_set, old_data), (new_set, new_data)) = (split(&stored), split(fingerprint));
    if old_set == new_set && old_data != new_data {
        return Err(refuse(format!(
            "it was trained on other data ({old_data}; --data gives {new_data}); pass the same --data or start a new run"
        )));
    }
    if let Some(why) = hardware_change(&old_set, &new_set) {
        return Err(refuse(why));
    }
    if stored != fingerprint {
        return Err(refuse(
            "it was written with different [model], [noising], [data] or [train] settings (only train.trajectories and train.checkpoint_every may change)".into(),
        ));
    }
    let n = computer.n();
    let params = |z: &mut NpzIn, j: &str, b: &str| -> Result<Params<f32>> {
        let p = Params {
            j: z.get2(j)?,
            b: z.get1(b)?,
        };
        if p.j.shape() != [n, n] || p.b.len() != n {
            return Err(refuse(format!("arrays {j}/{b} do not match N = {n}")));
        }
        Ok(p)
    };
    computer.params = params(&mut z, "J", "b")?;
    let m = params(&mut z, "m_J", "m_b")?;
    let v = params(&mut z, "v_J", "v_b")?;
    let progress: Array1<u64> = z.get1("progress")?;
    let hist: Array2<f64> = z.get2("history")?;
    if progress.len() != 2 || hist.ncols() != 2 {
        return Err(refuse("malformed progress or history array".into()));
    }
    Ok(TrainState {
        computer,
        optimizer: Optimizer {
            kind: optimizer.kind,
            m,
            v,
            t: progress[1],
        },
        done: progress[0],
        history: hist
            .rows()
            .into_iter()
            .map(|r| (r[0] as u64, r[1]))
            .collect(),
    })
}

/// Why the `[hardware]` section of two fingerprint settings differs, if it does: a model is
/// trained for one chip, so a resume may not change the profile or the bit width.
fn hardware_change(old: &str, new: &str) -> Option<String> {
    let section = |s: &str| -> String {
        s.parse::<toml::Table>()
            .ok()
            .and_then(|t| t.get("hardware").cloned())
            .and_then(|h| h.as_table().map(|h| h.to_string()))
            .map(|h| h.trim().replace('\n', ", "))
            .unwrap_or_else(|| "none".into())
    };
    let (was, now) = (section(old), section(new));
    (was != now).then(|| {
        format!("it was trained for [hardware] {was}, this run asks for {now}; start a new run for another chip")
    })
}
