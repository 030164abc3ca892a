//! Hardware-aware training (issue 12, docs/codesign.md): the chip a model is trained for
//! (`[hardware]`, `--hardware`, `--bits`, `--perturb`) turned into what training enforces.
//!
//! - the realisability constraints of the profile ([`Profile::constraints`]), projected onto
//!   J after every optimizer step by the executor;
//! - quantization- and perturbation-aware evaluation of the loss ([`super::aware`]), and the
//!   quantized parameters a run writes (what `export --bits` reproduces exactly).

use super::aware::{Aware, Hardware};
use super::executor::{Objective, TrajectoryObjective};
use super::project::Constraints;
use super::reverse_nll::Direction;
use super::TrainState;
use crate::config::{Config, HardwareSpec};
use crate::error::Result;
use crate::hardware::profile::{load_profile, Profile};
use crate::model::Physics;
use std::borrow::Cow;

/// The constraints a run must respect: None without `[hardware]`, else those of its profile
/// for a model of `physics`. A missing or invalid profile, or limits the model can never meet,
/// is an error naming the profile.
pub fn constraints(hw: Option<&HardwareSpec>, physics: &Physics) -> Result<Option<Constraints>> {
    match hw {
        None => Ok(None),
        Some(h) => {
            let profile: Profile = load_profile(&h.profile)?;
            Ok(Some(profile.constraints(physics)?))
        }
    }
}

/// What a run of `cfg` trains for: the constraints of its `[hardware]` profile (projected by
/// the executor) and its training chip (None: the loss is the float computer's).
pub fn of_config(cfg: &Config) -> Result<(Option<Constraints>, Option<Hardware>)> {
    let hw = cfg.hardware.as_ref();
    let constraints = constraints(hw, &cfg.model.physics)?;
    Ok((constraints, Hardware::of(hw, constraints, cfg.train.seed)?))
}

/// `inner`, evaluated on the chip `hw` when there is one.
pub fn objective<'a, T: TrajectoryObjective + Send + 'a>(
    inner: T,
    hw: Option<Hardware>,
    direction: Direction,
) -> Box<dyn Objective + Send + 'a> {
    match hw {
        None => Box::new(inner),
        Some(hardware) => Box::new(Aware {
            inner,
            hardware,
            direction,
        }),
    }
}

/// The state whose parameters a run writes to params.npz: with a bit width, the quantized
/// parameters the loss was evaluated on (the checkpoint keeps the float shadow).
pub fn exported<'s>(hw: Option<&Hardware>, s: &'s TrainState) -> Result<Cow<'s, TrainState>> {
    match hw.filter(|h| h.bits.is_some()) {
        None => Ok(Cow::Borrowed(s)),
        Some(h) => {
            let mut q = s.clone();
            q.computer = h.quantized(&s.computer)?;
            Ok(Cow::Owned(q))
        }
    }
}
