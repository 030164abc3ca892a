//! Digital energy budgets from a table of energy per operation
//! (`hardware/digital-energy.toml`; Horowitz, ISSCC 2014, 45 nm).
//!
//! Three budgets per generated sample, in the table's selected precision:
//! - an MLP denoiser with layer widths n_0 → n_1 → … → n_L run for S steps:
//!   E = S · Σ_l n_{l−1} n_l · E_MAC, with E_MAC = E_mult + E_add;
//! - a digital simulation of the Langevin computer itself (its fairest digital twin), for
//!   T = t_f/Δt Euler–Maruyama steps: E = T · (M·E_MAC + N·(5 E_mult + 5 E_add) + N·E_normal),
//!   with M the multiply–accumulates of one masked coupling field (`Topology::macs_per_field`),
//!   5 multiplies and 5 adds of the on-site force and update per unit, and one normal deviate
//!   per unit;
//! - the weight traffic of either: every weight (bits from the precision) read once per step
//!   from a memory level, shared by `budget.batch` samples:
//!   E = S · ⌈W·bits/64⌉ · E_read64 / batch, W the distinct weights (the MLP's MACs; the
//!   twin's symmetric couplings once each, `Topology::distinct_weights`, not its MACs).
//!
//! Errors name the file and the field, like hardware profiles ([`ProfileError`]).

use super::{Budget, Evidence, Part};
use crate::config::Fields;
use crate::hardware::profile::ProfileError;
use crate::model::Topology;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The shipped table, embedded so that the command works from any directory.
pub const DEFAULT_TABLE: &str = include_str!("../../hardware/digital-energy.toml");

/// The paper's digital estimate: 2.2e5 MACs per step (784→128→128→784, rounded), 10 steps,
/// 1 pJ per MAC = 2.4e8 kT, i.e. 5.28e14 kT per sample.
pub fn paper_digital_kt() -> f64 {
    PAPER_MACS_PER_STEP * PAPER_STEPS * super::units::PAPER_KT_PER_PJ
}
/// The paper's rounded MAC count of its MLP denoiser per step.
pub const PAPER_MACS_PER_STEP: f64 = 2.2e5;
/// The paper's number of denoising steps.
pub const PAPER_STEPS: f64 = 10.0;
/// The paper's heat per sample [kT] and its standard deviation.
pub const PAPER_HEAT_KT: (f64, f64) = (2.9e3, 3.5e2);

/// Energy of arithmetic at one precision [pJ].
#[derive(Clone, Debug, PartialEq)]
pub struct Precision {
    /// Its name in the table (`fp32`, `int8`, `paper`, …).
    pub name: String,
    /// One multiply [pJ].
    pub mult_pj: f64,
    /// One add [pJ].
    pub add_pj: f64,
    /// Bits of one stored weight.
    pub bits: u32,
}

impl Precision {
    /// One multiply–accumulate [pJ].
    pub fn mac_pj(&self) -> f64 {
        self.mult_pj + self.add_pj
    }
}

/// A memory level weights are read from.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryLevel {
    /// Its name (`sram-1mb`, `dram`, …).
    pub name: String,
    /// One 64-bit read [pJ].
    pub read_64bit_pj: f64,
    /// Capacity [bytes] (None: unbounded).
    pub capacity_bytes: Option<u64>,
}

/// Where the weight-traffic budgets read from.
#[derive(Clone, Debug, PartialEq)]
pub enum MemoryChoice {
    /// The smallest level that holds the weights.
    Auto,
    /// This level (an index into [`DigitalTable::memory`]).
    Level(usize),
    /// No weight-traffic budget.
    None,
}

/// A validated digital energy table with its selections.
#[derive(Clone, Debug, PartialEq)]
pub struct DigitalTable {
    /// The file it came from (for messages).
    pub file: String,
    /// Its description (may be empty).
    pub description: String,
    /// Where its figures come from.
    pub source: String,
    /// The selected precision.
    pub precision: Precision,
    /// One standard normal deviate [pJ].
    pub normal_pj: f64,
    /// Memory levels, in file order.
    pub memory: Vec<MemoryLevel>,
    /// Which level weights are read from.
    pub memory_choice: MemoryChoice,
    /// Samples sharing one read of the weights per step.
    pub batch: u64,
    /// MLP layer widths, input first (at least two).
    pub mlp_layers: Vec<u64>,
    /// MLP denoising steps.
    pub mlp_steps: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    description: Option<String>,
    source: String,
    budget: RawBudget,
    precision: BTreeMap<String, RawPrecision>,
    rng: RawRng,
    #[serde(default)]
    memory: Vec<RawMemory>,
    mlp: RawMlp,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudget {
    precision: String,
    memory: String,
    batch: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrecision {
    mult_pj: f64,
    add_pj: f64,
    bits: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRng {
    normal_pj: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMemory {
    name: String,
    read_64bit_pj: f64,
    capacity_bytes: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMlp {
    layers: Vec<u64>,
    steps: u64,
}

/// Load the table at `path` (None: the shipped one), selecting `precision` if given
/// (overriding `budget.precision`).
pub fn load_table(
    path: Option<&Path>,
    precision: Option<&str>,
) -> Result<DigitalTable, ProfileError> {
    match path {
        Some(p) => {
            let file = p.display().to_string();
            let text = std::fs::read_to_string(p).map_err(|source| ProfileError::Io {
                file: file.clone(),
                source,
            })?;
            parse_table(&file, &text, precision)
        }
        None => parse_table("hardware/digital-energy.toml", DEFAULT_TABLE, precision),
    }
}

/// Parse and validate table text; `file` labels the errors.
pub fn parse_table(
    file: &str,
    text: &str,
    precision: Option<&str>,
) -> Result<DigitalTable, ProfileError> {
    let v = Fields::new(file, text);
    let raw: RawTable = toml::from_str(text).map_err(|e| ProfileError::Syntax(v.syntax(&e)))?;
    let mut precisions = Vec::new();
    for (name, p) in &raw.precision {
        let field = |k: &str| format!("precision.{name}.{k}");
        precisions.push(Precision {
            name: name.clone(),
            mult_pj: v.non_negative(&field("mult_pj"), p.mult_pj)?,
            add_pj: v.non_negative(&field("add_pj"), p.add_pj)?,
            bits: if p.bits == 0 {
                return Err(v.err(&field("bits"), "must be at least 1").into());
            } else {
                p.bits
            },
        });
    }
    let wanted = precision.unwrap_or(&raw.budget.precision);
    let selected = precisions
        .iter()
        .find(|p| p.name == wanted)
        .cloned()
        .ok_or_else(|| {
            let names: Vec<String> = precisions
                .iter()
                .map(|p| format!("\"{}\"", p.name))
                .collect();
            v.err(
                "budget.precision",
                format!(
                    "unknown precision \"{wanted}\", expected one of {}",
                    names.join(", ")
                ),
            )
        })?;
    let mut memory = Vec::new();
    for (i, m) in raw.memory.iter().enumerate() {
        memory.push(MemoryLevel {
            name: m.name.clone(),
            read_64bit_pj: v
                .non_negative(&format!("memory[{i}].read_64bit_pj"), m.read_64bit_pj)?,
            capacity_bytes: m.capacity_bytes,
        });
    }
    let memory_choice = match raw.budget.memory.as_str() {
        "auto" => MemoryChoice::Auto,
        "none" => MemoryChoice::None,
        name => {
            MemoryChoice::Level(memory.iter().position(|m| m.name == name).ok_or_else(|| {
                let names: Vec<String> = memory.iter().map(|m| format!("\"{}\"", m.name)).collect();
                v.err(
                    "budget.memory",
                    format!(
                        "unknown memory level \"{name}\", expected \"auto\", \"none\" or one of {}",
                        names.join(", ")
                    ),
                )
            })?)
        }
    };
    if raw.budget.batch == 0 {
        return Err(v.err("budget.batch", "must be at least 1").into());
    }
    if raw.mlp.layers.len() < 2 {
        return Err(v
            .err(
                "mlp.layers",
                format!(
                    "needs at least two layer widths (input and output), got {}",
                    raw.mlp.layers.len()
                ),
            )
            .into());
    }
    if let Some(i) = raw.mlp.layers.iter().position(|&w| w == 0) {
        return Err(v
            .err(
                &format!("mlp.layers[{i}]"),
                "a layer width must be at least 1",
            )
            .into());
    }
    if raw.mlp.steps == 0 {
        return Err(v.err("mlp.steps", "must be at least 1").into());
    }
    Ok(DigitalTable {
        file: file.to_string(),
        description: raw.description.unwrap_or_default(),
        source: raw.source,
        precision: selected,
        normal_pj: v.non_negative("rng.normal_pj", raw.rng.normal_pj)?,
        memory,
        memory_choice,
        batch: raw.budget.batch,
        mlp_layers: raw.mlp.layers,
        mlp_steps: raw.mlp.steps,
    })
}

/// Multiply–accumulates of one MLP evaluation, Σ_l n_{l−1} n_l.
pub fn mlp_macs(layers: &[u64]) -> u64 {
    layers.windows(2).map(|w| w[0] * w[1]).sum()
}

const PJ: f64 = 1e-12;

/// `x` rounded to 1e-6 for printing (3.7 + 0.9 prints as 4.6, not 4.6000000000000005).
fn rounded(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

impl DigitalTable {
    /// The MLP denoiser of the table (`mlp.layers`, `mlp.steps`): steps × MACs per step × E_MAC.
    pub fn mlp(&self) -> Budget {
        self.mlp_of("MLP denoiser", &self.mlp_layers, self.mlp_steps)
    }

    /// An MLP `what` with layer widths `layers` (input first) run `steps` times:
    /// steps × Σ n_{l−1} n_l × E_MAC.
    pub fn mlp_of(&self, what: &str, layers: &[u64], steps: u64) -> Budget {
        let macs = mlp_macs(layers);
        let p = &self.precision;
        let widths: Vec<String> = layers.iter().map(u64::to_string).collect();
        Budget {
            name: format!("digital {what} ({})", p.name),
            joules: (steps * macs) as f64 * p.mac_pj() * PJ,
            formula: "S · Σ n_{l−1}n_l · (E_mult + E_add)".into(),
            inputs: format!(
                "layers {}, {macs} MACs/step, S = {steps} steps, E_MAC = {} pJ",
                widths.join("→"),
                rounded(p.mac_pj())
            ),
            part: Part::Digital,
            evidence: Evidence::Assumed,
            total: true,
        }
    }

    /// A digital Euler–Maruyama simulation of the computer with `topology` for `steps` steps.
    pub fn twin(&self, topology: &Topology, steps: usize) -> Budget {
        let (m, n) = (topology.macs_per_field() as f64, topology.n() as f64);
        let p = &self.precision;
        let per_step_pj = m * p.mac_pj() + n * 5.0 * (p.mult_pj + p.add_pj) + n * self.normal_pj;
        Budget {
            name: format!("digital Langevin twin ({})", p.name),
            joules: steps as f64 * per_step_pj * PJ,
            formula: "T · (M·E_MAC + N·(5 E_mult + 5 E_add) + N·E_normal)".into(),
            inputs: format!(
                "T = {steps} steps, M = {m} masked MACs/step, N = {n} units, E_MAC = {} pJ, E_normal = {} pJ",
                rounded(p.mac_pj()),
                self.normal_pj
            ),
            part: Part::Digital,
            evidence: Evidence::Assumed,
            total: true,
        }
    }

    /// Weight traffic of `what` with `weights` weights read every step for `steps` steps, or
    /// None when the table selects no memory (or no level holds the weights).
    pub fn traffic(&self, what: &str, weights: u64, steps: u64) -> Option<Budget> {
        let bits = u64::from(self.precision.bits);
        let bytes = (weights * bits).div_ceil(8);
        let level = match self.memory_choice {
            MemoryChoice::None => return None,
            MemoryChoice::Level(i) => &self.memory[i],
            MemoryChoice::Auto => self
                .memory
                .iter()
                .find(|m| m.capacity_bytes.is_none_or(|c| c >= bytes))?,
        };
        let reads = (weights * bits).div_ceil(64);
        Some(Budget {
            name: format!("weight traffic, {what} ({})", level.name),
            joules: (steps * reads) as f64 * level.read_64bit_pj * PJ / self.batch as f64,
            formula: "S · ⌈W·bits/64⌉ · E_read64 / batch".into(),
            inputs: format!(
                "W = {weights} weights ({bytes} bytes at {bits} bits), S = {steps} steps, E_read64 = {} pJ ({}), batch {}",
                level.read_64bit_pj, level.name, self.batch
            ),
            part: Part::Digital,
            evidence: Evidence::Assumed,
            total: true,
        })
    }
}
