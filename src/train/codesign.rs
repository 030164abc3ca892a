//! Hardware-aware training (issue 12, docs/codesign.md): the chip a model is trained for
//! (`[hardware]`, `--hardware`, `--bits`) turned into what training enforces.
//!
//! Built so far: the realisability constraints of the profile ([`Profile::constraints`]),
//! projected onto J after every optimizer step by the executor. The bit width is recorded in
//! model.toml but not yet trained for.

use super::project::Constraints;
use crate::config::HardwareSpec;
use crate::error::Result;
use crate::hardware::profile::{load_profile, Profile};
use crate::model::Physics;

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
