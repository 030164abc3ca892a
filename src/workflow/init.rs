//! `thermocad init`: an untrained model directory from a config alone (no data), with couplings
//! drawn from `model.init_scale`, e.g. to design circuits for small reference computers.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::build::{self, RunResult};
use std::path::Path;

/// Write `out/model.toml` and `out/params.npz` for `config` without training.
/// `model.visible` must be set, since no data set fixes it (unless `[[model.groups]]` does).
pub fn run(config: &Config, out: &Path, force: bool) -> Result<usize> {
    let layout = config.model.layout.as_ref().map(|_| 0);
    let visible = config
        .model
        .visible
        .or(layout)
        .ok_or_else(|| Error::Setting {
            field: "model.visible".into(),
            why: " must be set for init (no data set fixes it)".into(),
        })?;
    if config.model.init != crate::config::Init::Random {
        return Err(Error::Setting {
            field: "model.init".into(),
            why: " = \"prototypes\" is built from training images: use `thermocad train`".into(),
        });
    }
    let computer = build::build(&config.model, visible, config.train.seed)?;
    crate::rundir::claim_dir(out, force, "init")?;
    build::save_dir(out, &config.raw, &RunResult::default(), &computer.params)?;
    Ok(computer.n())
}
