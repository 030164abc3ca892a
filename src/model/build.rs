//! Building a computer from a validated `[model]` spec, and saving/loading a trained model
//! directory (`model.toml` + `params.npz`).

use super::{Computer, Connectivity, Params, Topology};
use crate::config::{self, Config, ConnectivitySpec, ModelSpec, RawConfig};
use crate::dynamics::rng::{stream, Purpose};
use crate::error::{io_err, Error, Result};
use crate::io::{load_params, save_params, write_atomic};
use crate::linalg::Real;
use ndarray::Array2;
use ndarray_npy::ReadNpyExt;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// File names of a model directory.
pub const MODEL_TOML: &str = "model.toml";
/// Parameter archive of a model directory.
pub const PARAMS_NPZ: &str = "params.npz";

/// Build the computer for `spec` with `visible` visible units (ignored when the spec has a
/// general layout); couplings start at zero, or Gaussian with std `init_scale` (symmetric,
/// masked) drawn from `seed`.
pub fn build(spec: &ModelSpec, visible: usize, seed: u64) -> Result<Computer<f32>> {
    let topology = match &spec.layout {
        Some(l) => Topology::from_groups(&l.groups, &l.blocks)?,
        None => visible_hidden(spec, visible)?,
    };
    let frozen: Vec<(&str, &str)> = spec
        .frozen_couplings
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let topology = topology.freeze(&frozen)?;
    let params = build_params(spec, &topology, seed);
    Ok(Computer {
        physics: spec.physics,
        topology,
        params,
    })
}

/// The visible/hidden topology of a generative model.
fn visible_hidden(spec: &ModelSpec, visible: usize) -> Result<Topology> {
    let connectivity = match &spec.connectivity {
        ConnectivitySpec::VisibleHiddenHiddenHidden => Connectivity::VisibleHiddenHiddenHidden,
        ConnectivitySpec::Full => Connectivity::Full,
        ConnectivitySpec::Custom(path) => {
            let f = std::fs::File::open(path).map_err(io_err(path))?;
            let m = Array2::<f32>::read_npy(f).map_err(|e| Error::Array {
                path: path.clone(),
                msg: format!("model.mask: {e}"),
            })?;
            Connectivity::Custom(m)
        }
    };
    let groups: Vec<&str> = spec.trainable_biases.iter().map(String::as_str).collect();
    Ok(Topology::visible_hidden(
        visible,
        spec.hidden,
        &connectivity,
        &groups,
    )?)
}

fn build_params(spec: &ModelSpec, topology: &Topology, seed: u64) -> Params<f32> {
    let n = topology.n();
    let mut params = Params::zeros(n);
    if spec.init_scale > 0.0 {
        let mut rng = stream(seed, Purpose::Init, 0);
        for i in 0..n {
            for j in (i + 1)..n {
                if topology.mask()[[i, j]] != 0.0 {
                    let v = (spec.init_scale * f64::std_normal(&mut rng)) as f32;
                    params.j[[i, j]] = v;
                    params.j[[j, i]] = v;
                }
            }
        }
    }
    params
}

/// What a training run records about itself in model.toml's `[result]` section.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct RunResult {
    /// Trajectories trained on.
    pub trajectories_trained: u64,
    /// Loss per unit per step, averaged over the last 10 % of optimizer steps.
    pub final_loss: f64,
    /// Number of training images.
    pub training_images: usize,
}

#[derive(Serialize)]
struct ModelToml<'a> {
    #[serde(flatten)]
    raw: &'a RawConfig,
    result: &'a RunResult,
}

/// A trained model loaded from a directory.
pub struct ModelDir {
    /// The validated configuration it was trained with (`model.visible` is always set).
    pub config: Config,
    /// The computer with its trained parameters.
    pub computer: Computer<f32>,
    /// The run's record.
    pub result: RunResult,
}

/// Write `DIR/model.toml` and `DIR/params.npz`. `raw.model.visible` must be set.
pub fn save_dir(
    dir: &Path,
    raw: &RawConfig,
    result: &RunResult,
    params: &Params<f32>,
) -> Result<()> {
    let text =
        toml::to_string_pretty(&ModelToml { raw, result }).map_err(|e| Error::Serialize {
            what: MODEL_TOML.into(),
            why: e.to_string(),
        })?;
    let path = dir.join(MODEL_TOML);
    write_atomic(&path, |w| {
        w.write_all(b"# thermocad model: the configuration this computer was trained with.\n")
            .and_then(|_| w.write_all(text.as_bytes()))
            .map_err(io_err(&path))
    })?;
    save_params(&dir.join(PARAMS_NPZ), params)
}

/// Load a model directory written by [`save_dir`].
pub fn load_dir(dir: &Path) -> Result<ModelDir> {
    let path = dir.join(MODEL_TOML);
    if !path.exists() {
        // The user named something that is not a model directory: bad input, not a failure.
        return Err(Error::Model {
            path,
            why: "not found; a model directory (from train, teach or init) holds it".into(),
        });
    }
    let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
    let file = path.display().to_string();
    let raw = config::parse(&file, &text, &[], &["result"])?;
    let config = config::check(raw, &file, &text)?;
    config::limits::check(&config, &file)?;
    let result = text
        .parse::<toml::Table>()
        .ok()
        .and_then(|t| t.get("result").cloned())
        .and_then(|v| v.try_into().ok())
        .unwrap_or_default();
    let visible = config
        .model
        .visible
        .or(config.model.layout.as_ref().map(|_| 0))
        .ok_or_else(|| Error::Model {
            path: path.clone(),
            why: "model.visible is missing".into(),
        })?;
    let mut computer = build(&config.model, visible, config.train.seed)?;
    let params_path = dir.join(PARAMS_NPZ);
    computer.params = load_params(&params_path, computer.n())?;
    check_mask(&params_path, &computer)?;
    Ok(ModelDir {
        config,
        computer,
        result,
    })
}

/// Refuse couplings that the model's connectivity does not allow (they would be silently
/// ignored by the dynamics and the circuit): the first J[i,j] ≠ 0 with mask[i,j] = 0.
fn check_mask(path: &Path, computer: &Computer<f32>) -> Result<()> {
    let mask = computer.topology.mask();
    match computer
        .params
        .j
        .indexed_iter()
        .find(|&((i, j), &v)| v != 0.0 && mask[[i, j]] == 0.0)
    {
        None => Ok(()),
        Some(((i, j), v)) => Err(Error::Array {
            path: path.to_path_buf(),
            msg: format!(
                "J[{i},{j}] = {v} couples units that the model's connectivity does not connect (mask is 0 there)"
            ),
        }),
    }
}
