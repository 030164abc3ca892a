//! One chip for `thermocad sample --hardware`: the nominal chip (K = 0) or chip K of a
//! tolerance study with the same seed, drawn by [`super::chip_circuit`] and compiled into the
//! behavioral simulator.

use super::{chip_circuit, Condition};
use crate::dynamics::noise::Normals;
use crate::dynamics::sampler::{Dynamics, RowStep};
use crate::error::{Error, Result};
use crate::hardware::behavioral::Behavioral;
use crate::hardware::perturb::Nonidealities;
use crate::hardware::profile::load_profile;
use crate::linalg::Parallelism;
use crate::model::build::ModelDir;
use crate::model::Computer;
use ndarray::{Array2, ArrayView2, ArrayViewMut2};
use std::path::{Path, PathBuf};

/// Which chip to sample from.
#[derive(Clone, Debug, PartialEq)]
pub struct ChipChoice {
    /// Hardware profile.
    pub profile: PathBuf,
    /// Bit width of couplings and biases (None: the model's `[hardware] bits` when it was
    /// trained for this profile, else full precision).
    pub bits: Option<u32>,
    /// 0: the nominal chip; K ≥ 1: chip K of a tolerance study seeded `seed` (its
    /// `tolerance.csv` row with `chip = K`), with the profile's own deviations.
    pub chip: u64,
}

/// The compiled chip `choice` of the model in `md`, for a study seed `seed`.
pub fn sample_chip(md: &ModelDir, choice: &ChipChoice, seed: u64) -> Result<Behavioral<f32>> {
    let profile = load_profile(&choice.profile)?;
    let trained = md.config.hardware.as_ref();
    let same = trained.is_some_and(|h| same_file(&h.profile, &choice.profile));
    if let Some(h) = trained.filter(|h| !same && (h.bits.is_some() || h.perturb)) {
        return Err(Error::Flag {
            flag: "--hardware",
            why: format!(
                "{}: the model was trained for the chip {} ([hardware] bits or perturb in its model.toml); sample it with --hardware {} or train for this profile",
                choice.profile.display(),
                h.profile.display(),
                h.profile.display()
            ),
        });
    }
    let bits = choice.bits.or_else(|| {
        trained
            .filter(|_| same)
            .and_then(|h| h.bits.map(|b| b.get()))
    });
    let cond = Condition {
        nd: Nonidealities::from_profile(&profile),
        bits,
        inductance: profile.inductance,
        input_bits: None,
    };
    let draw = (choice.chip > 0).then_some((seed, choice.chip));
    let circuit = chip_circuit(&md.computer, &profile, &cond, draw)?;
    Ok(Behavioral::compile(&circuit, md.computer.physics.dt)?)
}

/// Whether two profile paths name the same chip: the same bytes, or (when either cannot be
/// read) the same path as written.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::read(a), std::fs::read(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// What `sample` integrates: the ideal computer or a chip.
pub enum Sampler<'a> {
    /// The model's own Langevin dynamics.
    Ideal(&'a Computer<f32>),
    /// A chip's behavioral simulator.
    Chip(Box<Behavioral<f32>>),
}

/// The sampler of `md`: its chip with `choice`, else the ideal computer.
pub fn sampler<'a>(
    md: &'a ModelDir,
    choice: Option<&ChipChoice>,
    seed: u64,
) -> Result<Sampler<'a>> {
    Ok(match choice {
        None => Sampler::Ideal(&md.computer),
        Some(c) => Sampler::Chip(Box::new(sample_chip(md, c, seed)?)),
    })
}

impl Dynamics<f32> for Sampler<'_> {
    fn n(&self) -> usize {
        match self {
            Sampler::Ideal(c) => Dynamics::n(*c),
            Sampler::Chip(s) => s.n(),
        }
    }

    fn aux_len(&self) -> usize {
        match self {
            Sampler::Ideal(c) => c.aux_len(),
            Sampler::Chip(s) => s.aux_len(),
        }
    }

    fn offset(&self, x: ArrayView2<'_, f32>, par: Parallelism) -> Array2<f32> {
        match self {
            Sampler::Ideal(c) => Dynamics::offset(*c, x, par),
            Sampler::Chip(s) => s.offset(x, par),
        }
    }

    fn field(&self, x: ArrayView2<'_, f32>, out: ArrayViewMut2<'_, f32>, par: Parallelism) {
        match self {
            Sampler::Ideal(c) => Dynamics::field(*c, x, out, par),
            Sampler::Chip(s) => s.field(x, out, par),
        }
    }

    fn advance<N: Normals>(&self, row: RowStep<'_, f32>, noise: &mut N) {
        match self {
            Sampler::Ideal(c) => c.advance(row, noise),
            Sampler::Chip(s) => s.advance(row, noise),
        }
    }
}
