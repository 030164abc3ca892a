//! Configuration: a TOML file (plus `--set section.key=value` overrides) is parsed once at the
//! edge, every field checked, and turned into typed, validated values.

pub mod fields;
pub mod limits;
mod raw;

pub use fields::{FieldError, Fields};

pub use raw::{
    CouplingSection, DataSection, GroupSection, HardwareSection, ModelSection, NoisingSection,
    RawConfig, TeachSection, TrainSection,
};

use crate::dynamics::ideal::TargetMap;
use crate::dynamics::noising::{HiddenProjection, Protocol, Schedule};
use crate::hardware::quantize::BitWidth;
use crate::model::{is_group_name, Block, GroupSpec, Physics};
use crate::train::optim::OptimizerKind;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// A configuration that cannot be used, with the file and field it concerns.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    /// TOML syntax error.
    #[error("{file}: {msg}")]
    Syntax { file: String, msg: String },
    /// A field is unknown, has the wrong type, or an invalid value.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// A malformed `--set` argument.
    #[error("--set {arg}: {why}")]
    Override { arg: String, why: String },
}

/// The sections of a configuration file, in order.
pub const SECTIONS: [&str; 6] = ["model", "noising", "train", "data", "teach", "hardware"];

/// Parse TOML `text` (named `file` in errors) with `--set` overrides into a raw config.
/// Sections other than [`SECTIONS`] are rejected unless listed in `extra_sections`
/// (e.g. `result` in a model.toml).
pub fn parse(
    file: &str,
    text: &str,
    overrides: &[String],
    extra_sections: &[&str],
) -> Result<RawConfig, ConfigError> {
    let mut table: toml::Table =
        text.parse()
            .map_err(|e: toml::de::Error| ConfigError::Syntax {
                file: file.into(),
                msg: e.to_string().trim().replace('\n', " "),
            })?;
    for arg in overrides {
        apply_override(&mut table, arg)?;
    }
    let fields = Fields::new(file, text);
    let field_err = |field: String, why: String| ConfigError::from(fields.err(&field, why));
    let mut raw = RawConfig::default();
    for (name, value) in &table {
        match name.as_str() {
            "model" => raw.model = section(name, value, &field_err)?,
            "noising" => raw.noising = section(name, value, &field_err)?,
            "train" => raw.train = section(name, value, &field_err)?,
            "data" => raw.data = section(name, value, &field_err)?,
            "teach" => raw.teach = Some(section(name, value, &field_err)?),
            "hardware" => raw.hardware = Some(section(name, value, &field_err)?),
            other if extra_sections.contains(&other) => {}
            other => {
                return Err(field_err(
                    format!("[{other}]"),
                    format!(
                        "unknown section, expected one of {}",
                        SECTIONS.map(|s| format!("[{s}]")).join(", ")
                    ),
                ))
            }
        }
    }
    Ok(raw)
}

fn section<T: DeserializeOwned>(
    name: &str,
    value: &toml::Value,
    err: &impl Fn(String, String) -> ConfigError,
) -> Result<T, ConfigError> {
    let tbl = value
        .as_table()
        .ok_or_else(|| err(format!("[{name}]"), "must be a table".into()))?;
    let de = |t: &toml::Table| T::deserialize(toml::Value::Table(t.clone()));
    de(tbl).map_err(|e| {
        let msg = e.message().trim().to_string();
        // Name the offending key: serde quotes unknown ones; for a bad value, find the key
        // whose value alone fails.
        let key = msg
            .split('`')
            .nth(1)
            .filter(|_| msg.starts_with("unknown field"))
            .map(str::to_string)
            .or_else(|| {
                tbl.iter()
                    .find(|(k, v)| {
                        de(&toml::Table::from_iter([((*k).clone(), (*v).clone())])).is_err()
                    })
                    .map(|(k, _)| k.clone())
            });
        match key {
            Some(k) => err(format!("{name}.{k}"), msg),
            None => err(format!("[{name}]"), msg),
        }
    })
}

fn apply_override(table: &mut toml::Table, arg: &str) -> Result<(), ConfigError> {
    let bad = |why: &str| ConfigError::Override {
        arg: arg.into(),
        why: why.into(),
    };
    let (path, value) = arg
        .split_once('=')
        .ok_or_else(|| bad("expected section.key=value"))?;
    let (sec, key) = path
        .trim()
        .split_once('.')
        .ok_or_else(|| bad("expected section.key=value"))?;
    if !SECTIONS.contains(&sec) {
        return Err(bad(&format!(
            "unknown section `{sec}`, expected one of {}",
            SECTIONS.join(", ")
        )));
    }
    // A TOML literal if it parses as one (numbers, booleans, arrays, quoted strings), else a bare string.
    let v = format!("v = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.trim().to_string()));
    let entry = table
        .entry(sec.to_string())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    entry
        .as_table_mut()
        .ok_or_else(|| bad(&format!("[{sec}] is not a table")))?
        .insert(key.trim().to_string(), v);
    Ok(())
}

/// Read and parse a config file with overrides.
pub fn load(
    path: &Path,
    overrides: &[String],
    extra_sections: &[&str],
) -> crate::Result<RawConfig> {
    let text = std::fs::read_to_string(path).map_err(crate::error::io_err(path))?;
    Ok(parse(
        &path.display().to_string(),
        &text,
        overrides,
        extra_sections,
    )?)
}

/// Where training images come from.
#[derive(Clone, Debug, PartialEq)]
pub enum DataSource {
    /// The embedded synthetic digits, generated from a seed.
    Synthetic { seed: u64 },
    /// IDX files in a directory (None: the default location).
    Mnist { dir: Option<PathBuf> },
}

/// Validated `[data]`.
#[derive(Clone, Debug, PartialEq)]
pub struct DataSpec {
    /// Source of images.
    pub source: DataSource,
    /// Classes to train on.
    pub digits: Vec<u8>,
    /// Images per class.
    pub per_class: usize,
    /// First image index considered.
    pub offset: usize,
}

/// Validated `[model]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSpec {
    /// Visible units, if fixed by the config.
    pub visible: Option<usize>,
    /// Hidden units.
    pub hidden: usize,
    /// Physical constants.
    pub physics: Physics,
    /// Connectivity kind, with the mask path for `custom`.
    pub connectivity: ConnectivitySpec,
    /// Group names with trainable biases.
    pub trainable_biases: Vec<String>,
    /// Group-name pairs whose coupling block training leaves where it starts.
    pub frozen_couplings: Vec<(String, String)>,
    /// Initial coupling standard deviation.
    pub init_scale: f64,
    /// How training starts: `init_scale` Gaussian couplings, or the prototype potential.
    pub init: Init,
    /// The general layout from `[[model.groups]]` / `[[model.couplings]]`, if given.
    pub layout: Option<Layout>,
}

/// `model.init`: where training starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// Couplings N(0, init_scale²) (J = 0 when init_scale = 0, the paper's start), zero biases.
    Random,
    /// The winner-take-all prototype potential of `model::prototypes`.
    Prototypes(PrototypeInit),
}

/// Settings of `model.init = "prototypes"`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrototypeInit {
    /// Prototypes per class (`model.prototypes_per_class`).
    pub per_class: usize,
    /// Coupling energy C between two prototype groups (`model.prototype_gap`, energy).
    pub gap: f64,
    /// Medoids instead of means (`model.prototype_kind = "medoid"`).
    pub medoid: bool,
    /// Mode-weight balancing rounds after training (`model.prototype_balance_rounds`).
    pub balance_rounds: usize,
    /// Balance the potential as built as well, before training
    /// (`model.prototype_balance_before`).
    pub balance_before: bool,
}

/// A validated general layout: groups in unit order and the blocks between them (group
/// indices).
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// The groups.
    pub groups: Vec<GroupSpec>,
    /// Coupled blocks.
    pub blocks: Vec<(usize, usize, Block)>,
}

/// Validated `[teach]`.
#[derive(Clone, Debug, PartialEq)]
pub struct TeachSpec {
    /// Training images (from `data.offset`).
    pub train_images: usize,
    /// Held-out images (the last ones).
    pub test_images: usize,
    /// Observation time t_f.
    pub t_final: f64,
    /// How the teacher MLP is trained (`teacher_epochs`, `teacher_batch`,
    /// `teacher_learning_rate`).
    pub teacher: TeacherSpec,
    /// Target → idealised bias.
    pub target: TargetMap,
    /// Hidden target scale.
    pub hidden_scale: f64,
    /// Output target scale.
    pub output_scale: f64,
    /// Common input L2 norm, if fixed.
    pub input_norm: Option<f64>,
    /// Held-out images scored at each checkpoint.
    pub eval_images: usize,
}

/// Validated teacher training settings of `[teach]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TeacherSpec {
    /// Epochs (≥ 1).
    pub epochs: usize,
    /// Minibatch size (≥ 1).
    pub batch: usize,
    /// Initial Adam step size (> 0; decays linearly to 0).
    pub learning_rate: f64,
}

/// Connectivity as configured (a custom mask is loaded when the model is built).
#[derive(Clone, Debug, PartialEq)]
pub enum ConnectivitySpec {
    /// Visible–hidden + hidden–hidden.
    VisibleHiddenHiddenHidden,
    /// All pairs.
    Full,
    /// Mask from a .npy file.
    Custom(PathBuf),
}

/// Validated `[train]`.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainSpec {
    /// Total trajectories.
    pub trajectories: u64,
    /// Trajectories per step.
    pub batch: usize,
    /// Optimizer and hyper-parameters.
    pub optimizer: OptimizerKind,
    /// Checkpoint period in trajectories.
    pub checkpoint_every: u64,
    /// Run seed.
    pub seed: u64,
    /// Threads (0 = all).
    pub threads: usize,
    /// Which units the likelihood scores (`train.scored`).
    pub scored: Scored,
}

/// `train.scored`: whose reverse steps the generative likelihood scores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scored {
    /// Every evolving unit (the paper).
    All,
    /// The visible units only: the likelihood of their reverse path given the hidden units'
    /// path. Hidden biases and hidden–hidden couplings get no gradient.
    Visible,
}

/// Validated `[hardware]`: the chip a model is trained for.
#[derive(Clone, Debug, PartialEq)]
pub struct HardwareSpec {
    /// The hardware profile file.
    pub profile: PathBuf,
    /// Bit width of couplings and biases (quantization-aware training).
    pub bits: Option<BitWidth>,
    /// Each trajectory evaluated on its own drawn chip (perturbation-aware training).
    pub perturb: bool,
}

/// A validated configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The raw form (written back into model.toml).
    pub raw: RawConfig,
    /// `[model]`
    pub model: ModelSpec,
    /// `[noising]`
    pub noising: Protocol,
    /// `[train]`
    pub train: TrainSpec,
    /// `[data]`
    pub data: DataSpec,
    /// `[teach]`, if present.
    pub teach: Option<TeachSpec>,
    /// `[hardware]`, if present.
    pub hardware: Option<HardwareSpec>,
}

/// Validate a raw configuration (`file`/`text` locate errors).
pub fn check(raw: RawConfig, file: &str, text: &str) -> Result<Config, ConfigError> {
    Ok(check_fields(raw, Fields::new(file, text))?)
}

fn check_fields(raw: RawConfig, c: Fields<'_>) -> Result<Config, FieldError> {
    let m = &raw.model;
    let physics = Physics {
        j2: m.j2,
        j4: c.non_negative("model.j4", m.j4)?,
        mu: c.positive("model.mu", m.mu)?,
        kt: c.positive("model.kt", m.kt)?,
        dt: c.positive("model.dt", m.dt)?,
    };
    if !m.j2.is_finite() || (physics.j4 == 0.0 && m.j2 <= 0.0) {
        return Err(c.err(
            "model.j2",
            format!(
                "with j4 = 0, j2 must be positive for a bounded potential, got {}",
                m.j2
            ),
        ));
    }
    // Explicit Euler is stable while μΔt·V''(x) stays well below 2 at typical |x| ≲ 3√(kT/…).
    let stiff = physics.mu * physics.dt * 2.0 * m.j2.abs();
    if stiff >= 0.5 {
        return Err(c.err(
            "model.dt",
            format!(
                "μΔt·2J2 = {stiff:.3} is too large for a stable Euler–Maruyama step (needs < 0.5)"
            ),
        ));
    }
    if m.visible == Some(0) && m.hidden == 0 {
        return Err(c.err("model.hidden", "the model has no units"));
    }
    let connectivity = match m.connectivity.as_str() {
        "vh-hh" => ConnectivitySpec::VisibleHiddenHiddenHidden,
        "full" => ConnectivitySpec::Full,
        "custom" => ConnectivitySpec::Custom(m.mask.clone().ok_or_else(|| {
            c.err(
                "model.mask",
                "connectivity = \"custom\" needs mask = \"FILE.npy\"",
            )
        })?),
        other => {
            return Err(c.err(
                "model.connectivity",
                format!(
                    "unknown value \"{other}\", expected one of \"vh-hh\", \"full\", \"custom\""
                ),
            ))
        }
    };
    for g in &m.trainable_biases {
        if g != "visible" && g != "hidden" {
            return Err(c.err(
                "model.trainable_biases",
                format!("unknown group \"{g}\", expected \"visible\" or \"hidden\""),
            ));
        }
    }
    let mut frozen_couplings = Vec::new();
    for pair in &m.frozen_couplings {
        match pair.split_once('-') {
            Some((a, b)) if is_group_name(a) && is_group_name(b) => {
                frozen_couplings.push((a.to_string(), b.to_string()))
            }
            _ => {
                return Err(c.err(
                    "model.frozen_couplings",
                    format!(
                        "\"{pair}\" is not a pair of group names \"a-b\", e.g. \"hidden-hidden\""
                    ),
                ))
            }
        }
    }
    let init = check_init(&c, m)?;
    let model = ModelSpec {
        visible: m.visible,
        hidden: m.hidden,
        physics,
        connectivity,
        trainable_biases: m.trainable_biases.clone(),
        frozen_couplings,
        init_scale: c.non_negative("model.init_scale", m.init_scale)?,
        init,
        layout: check_layout(&c, m)?,
    };

    let n = &raw.noising;
    let noising = Protocol {
        bias_scale: c.non_negative("noising.bias_scale", n.bias_scale)?,
        hidden_scale: c.non_negative("noising.hidden_scale", n.hidden_scale)?,
        hidden_projection: c.choice(
            "noising.hidden_projection",
            &n.hidden_projection,
            &[
                ("copy", HiddenProjection::Copy),
                ("random", HiddenProjection::Random),
                ("none", HiddenProjection::None),
                ("prototypes", HiddenProjection::Prototypes),
            ],
        )?,
        t_eq: c.non_negative("noising.t_eq", n.t_eq)?,
        t_final: c.positive("noising.t_final", n.t_final)?,
        fade_fraction: {
            let f = c.positive("noising.fade_fraction", n.fade_fraction)?;
            if f > 1.0 {
                return Err(c.err(
                    "noising.fade_fraction",
                    format!("must be in (0, 1], got {f}"),
                ));
            }
            f
        },
        schedule: c.choice(
            "noising.schedule",
            &n.schedule,
            &[
                ("linear", Schedule::Linear),
                ("cosine", Schedule::Cosine),
                ("exponential", Schedule::Exponential),
            ],
        )?,
        hold_hidden: n.hold_hidden,
    };
    if physics.steps(noising.t_final) == 0 {
        return Err(c.err("noising.t_final", "shorter than one time step model.dt"));
    }

    let t = &raw.train;
    let lr = c.positive("train.learning_rate", t.learning_rate)?;
    let optimizer = match t.optimizer.as_str() {
        "sgd" => OptimizerKind::Sgd {
            learning_rate: lr,
            momentum: c.fraction("train.momentum", t.momentum)?,
        },
        "adam" => OptimizerKind::Adam {
            learning_rate: lr,
            beta1: c.fraction("train.beta1", t.beta1)?,
            beta2: c.fraction("train.beta2", t.beta2)?,
            eps: c.positive("train.eps", t.eps)?,
        },
        other => {
            return Err(c.err(
                "train.optimizer",
                format!("unknown value \"{other}\", expected \"adam\" or \"sgd\""),
            ))
        }
    };
    if t.trajectories == 0 {
        return Err(c.err("train.trajectories", "must be at least 1"));
    }
    if t.batch == 0 {
        return Err(c.err("train.batch", "must be at least 1"));
    }
    if t.checkpoint_every == 0 {
        return Err(c.err("train.checkpoint_every", "must be at least 1"));
    }
    let train = TrainSpec {
        trajectories: t.trajectories,
        batch: t.batch,
        optimizer,
        checkpoint_every: t.checkpoint_every,
        seed: t.seed,
        threads: t.threads,
        scored: c.choice(
            "train.scored",
            &t.scored,
            &[("all", Scored::All), ("visible", Scored::Visible)],
        )?,
    };

    let d = &raw.data;
    let source = match d.source.as_str() {
        "synthetic" => DataSource::Synthetic {
            seed: d.synthetic_seed,
        },
        "mnist" => DataSource::Mnist {
            dir: d.path.clone(),
        },
        other => {
            return Err(c.err(
                "data.source",
                format!("unknown value \"{other}\", expected \"synthetic\" or \"mnist\""),
            ))
        }
    };
    if d.digits.is_empty() {
        return Err(c.err("data.digits", "list at least one digit class"));
    }
    if let Some(bad) = d.digits.iter().find(|&&x| x > 9) {
        return Err(c.err("data.digits", format!("digit classes are 0..=9, got {bad}")));
    }
    if d.per_class == 0 {
        return Err(c.err("data.per_class", "must be at least 1"));
    }
    let data = DataSpec {
        source,
        digits: d.digits.clone(),
        per_class: d.per_class,
        offset: d.offset,
    };
    let teach = match &raw.teach {
        Some(t) => Some(check_teach(&c, t, &physics)?),
        None => None,
    };
    let hardware = match &raw.hardware {
        Some(h) => Some(check_hardware(&c, h)?),
        None => None,
    };
    if noising.hidden_projection == HiddenProjection::Prototypes
        && !matches!(model.init, Init::Prototypes(_))
    {
        return Err(c.err(
            "noising.hidden_projection",
            "\"prototypes\" is the hidden code of model.init = \"prototypes\" (set both)",
        ));
    }
    if train.scored != Scored::All && (hardware.is_some() || teach.is_some()) {
        return Err(c.err(
            "train.scored",
            "= \"visible\" is a setting of generative training on the ideal computer (not with [hardware] or [teach])",
        ));
    }
    if teach.is_some() && matches!(model.init, Init::Prototypes(_)) {
        return Err(c.err(
            "model.init",
            "\"prototypes\" starts generative training (`train`); a classifier ([teach]) starts from model.init_scale",
        ));
    }
    Ok(Config {
        raw,
        model,
        noising,
        train,
        data,
        teach,
        hardware,
    })
}

fn check_hardware(c: &Fields<'_>, h: &HardwareSection) -> Result<HardwareSpec, FieldError> {
    let profile = h.profile.clone().ok_or_else(|| {
        c.err(
            "hardware.profile",
            "[hardware] needs profile = \"hardware/NAME.toml\" (or --hardware FILE)",
        )
    })?;
    let bits = h
        .bits
        .map(|b| BitWidth::new(b).map_err(|e| c.err("hardware.bits", e.to_string())))
        .transpose()?;
    Ok(HardwareSpec {
        profile,
        bits,
        perturb: h.perturb.unwrap_or(false),
    })
}

/// `model.init` with its settings: the prototype keys only with `init = "prototypes"`, which
/// needs the visible/hidden layout, zero `init_scale` and at least one prototype per class.
fn check_init(c: &Fields<'_>, m: &raw::ModelSection) -> Result<Init, FieldError> {
    let init = c.choice(
        "model.init",
        &m.init,
        &[("random", false), ("prototypes", true)],
    )?;
    if !init {
        for (field, set) in [
            (
                "model.prototypes_per_class",
                m.prototypes_per_class.is_some(),
            ),
            ("model.prototype_gap", m.prototype_gap.is_some()),
            ("model.prototype_kind", m.prototype_kind.is_some()),
            (
                "model.prototype_balance_rounds",
                m.prototype_balance_rounds.is_some(),
            ),
            (
                "model.prototype_balance_before",
                m.prototype_balance_before.is_some(),
            ),
        ] {
            if set {
                return Err(c.err(field, "is a setting of model.init = \"prototypes\""));
            }
        }
        return Ok(Init::Random);
    }
    if m.init_scale != 0.0 {
        return Err(c.err(
            "model.init_scale",
            "must be 0 with model.init = \"prototypes\" (the prototype potential fixes the couplings)",
        ));
    }
    if !m.groups.is_empty() {
        return Err(c.err(
            "model.init",
            "\"prototypes\" needs the visible/hidden layout, not [[model.groups]]",
        ));
    }
    let per_class = m.prototypes_per_class.unwrap_or(1);
    if per_class == 0 {
        return Err(c.err("model.prototypes_per_class", "must be at least 1"));
    }
    let gap = c.positive("model.prototype_gap", m.prototype_gap.unwrap_or(3000.0))?;
    let medoid = c.choice(
        "model.prototype_kind",
        m.prototype_kind.as_deref().unwrap_or("mean"),
        &[("mean", false), ("medoid", true)],
    )?;
    let balance_rounds = m.prototype_balance_rounds.unwrap_or(0);
    if balance_rounds > 1000 {
        return Err(c.err(
            "model.prototype_balance_rounds",
            format!("= {balance_rounds}: at most 1000 rounds (each generates 200 samples)"),
        ));
    }
    let balance_before = m.prototype_balance_before.unwrap_or(false);
    if balance_before && balance_rounds == 0 {
        return Err(c.err(
            "model.prototype_balance_before",
            "= true needs model.prototype_balance_rounds > 0",
        ));
    }
    Ok(Init::Prototypes(PrototypeInit {
        per_class,
        gap,
        medoid,
        balance_rounds,
        balance_before,
    }))
}

fn check_layout(c: &Fields<'_>, m: &ModelSection) -> Result<Option<Layout>, FieldError> {
    if m.groups.is_empty() {
        if !m.couplings.is_empty() {
            return Err(c.err("model.couplings", "needs [[model.groups]]"));
        }
        return Ok(None);
    }
    let mut groups: Vec<GroupSpec> = Vec::new();
    for g in &m.groups {
        if !is_group_name(&g.name) {
            return Err(c.err(
                "model.groups",
                format!(
                    "group name \"{}\" must be 1–64 letters, digits or _ (it names circuit nodes)",
                    g.name.escape_debug()
                ),
            ));
        }
        if g.size == 0 || groups.iter().any(|h| h.name == g.name) {
            return Err(c.err(
                "model.groups",
                format!("group \"{}\" must have a unique name and size ≥ 1", g.name),
            ));
        }
        if g.shape.is_some_and(|[r, k]| r * k != g.size) {
            return Err(c.err(
                "model.groups",
                format!(
                    "group \"{}\": shape does not multiply to size {}",
                    g.name, g.size
                ),
            ));
        }
        groups.push(GroupSpec {
            name: g.name.clone(),
            size: g.size,
            clamped: g.clamped,
            shape: g.shape.map(|[r, k]| (r, k)),
            trainable_bias: g.trainable_bias.unwrap_or(!g.clamped),
        });
    }
    if groups.iter().all(|g| g.clamped) {
        return Err(c.err(
            "model.groups",
            "at least one group must evolve (clamped = false)",
        ));
    }
    let index = |name: &str| {
        groups.iter().position(|g| g.name == name).ok_or_else(|| {
            c.err(
                "model.couplings",
                format!("unknown group \"{name}\" in between"),
            )
        })
    };
    let mut blocks = Vec::new();
    for cs in &m.couplings {
        let (a, b) = (index(&cs.between[0])?, index(&cs.between[1])?);
        let kind = c.choice(
            "model.couplings",
            &cs.kind,
            &[
                ("full", Block::Full),
                ("grid", Block::Grid),
                ("none", Block::None),
            ],
        )?;
        if kind == Block::Grid && (a != b || groups[a].shape.is_none()) {
            return Err(c.err(
                "model.couplings",
                format!(
                    "kind = \"grid\" couples an image-shaped group (with shape) to itself, got {:?}",
                    cs.between
                ),
            ));
        }
        blocks.push((a.min(b), a.max(b), kind));
    }
    Ok(Some(Layout { groups, blocks }))
}

fn check_teach(c: &Fields<'_>, t: &TeachSection, ph: &Physics) -> Result<TeachSpec, FieldError> {
    for (field, v) in [
        ("teach.train_images", t.train_images),
        ("teach.test_images", t.test_images),
        ("teach.teacher_epochs", t.teacher_epochs),
        ("teach.teacher_batch", t.teacher_batch),
    ] {
        if v == 0 {
            return Err(c.err(field, "must be at least 1"));
        }
    }
    let t_final = c.positive("teach.t_final", t.t_final)?;
    if ph.steps(t_final) == 0 {
        return Err(c.err("teach.t_final", "shorter than one time step model.dt"));
    }
    Ok(TeachSpec {
        train_images: t.train_images,
        test_images: t.test_images,
        t_final,
        teacher: TeacherSpec {
            epochs: t.teacher_epochs,
            batch: t.teacher_batch,
            learning_rate: c.positive("teach.teacher_learning_rate", t.teacher_learning_rate)?,
        },
        target: c.choice(
            "teach.target",
            &t.target,
            &[("endpoint", TargetMap::Endpoint), ("bias", TargetMap::Bias)],
        )?,
        hidden_scale: c.non_negative("teach.hidden_scale", t.hidden_scale)?,
        output_scale: c.positive("teach.output_scale", t.output_scale)?,
        input_norm: t
            .input_norm
            .map(|v| c.positive("teach.input_norm", v))
            .transpose()?,
        eval_images: t.eval_images,
    })
}

/// Load, override and validate a config file.
pub fn load_checked(path: &Path, overrides: &[String]) -> crate::Result<Config> {
    let text = std::fs::read_to_string(path).map_err(crate::error::io_err(path))?;
    let file = path.display().to_string();
    let raw = parse(&file, &text, overrides, &[])?;
    let config = check(raw, &file, &text)?;
    limits::check(&config, &file)?;
    Ok(config)
}
