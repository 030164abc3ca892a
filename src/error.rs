//! The library's error type: every variant names the file, field or step it concerns.

use std::path::PathBuf;

/// Any failure of a thermocad operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An array file (.npy/.npz) is unreadable or lacks an expected array.
    #[error("{path}: {msg}")]
    Array { path: PathBuf, msg: String },
    /// A configuration or model file is invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A data set could not be loaded.
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    /// A plot could not be drawn.
    #[error(transparent)]
    Plot(#[from] crate::report::plot::PlotError),
    /// An invalid topology.
    #[error(transparent)]
    Topology(#[from] crate::model::TopologyError),
    /// A hardware profile is invalid.
    #[error(transparent)]
    Profile(#[from] crate::hardware::profile::ProfileError),
    /// Quantization settings or inputs are invalid.
    #[error(transparent)]
    Quant(#[from] crate::hardware::quantize::QuantError),
    /// A circuit cannot be built from this model and profile.
    #[error(transparent)]
    Circuit(#[from] crate::hardware::circuit::CircuitError),
    /// A tolerance study's settings or directory are invalid.
    #[error(transparent)]
    Study(#[from] crate::tolerance::StudyError),
    /// Invalid design-search settings or directories.
    #[error(transparent)]
    Design(#[from] crate::design::DesignError),
    /// ngspice is missing or failed.
    #[error(transparent)]
    Spice(#[from] crate::hardware::spice::SpiceError),
    /// Training produced a non-finite loss or parameter.
    #[error("training diverged at trajectory {trajectory}: {what}; the last good checkpoint is kept (lower train.learning_rate)")]
    Diverged { trajectory: u64, what: String },
    /// A run cannot be resumed from its checkpoint.
    #[error("cannot resume from {path}: {why}")]
    Resume { path: PathBuf, why: String },
    /// A model directory lacks a file or field the command needs, or holds another kind of
    /// model (e.g. a generative model where a classifier is needed).
    #[error("{path}: {why}")]
    Model {
        /// The model directory or its `model.toml`.
        path: PathBuf,
        /// What is missing or wrong.
        why: String,
    },
    /// A configuration setting (one field, or fields that must agree) the run cannot use.
    #[error("{field}{why}")]
    Setting {
        /// The field, e.g. `model.visible` (may carry its file, `cfg.toml: model.visible`).
        field: String,
        /// What is wrong, starting with `: `, ` = …: ` or ` must …`.
        why: String,
    },
    /// A model and its data (or two inputs) do not fit together.
    #[error("{what}: {why}")]
    Mismatch {
        /// The input named first, e.g. the model directory.
        what: String,
        /// How it disagrees with the other.
        why: String,
    },
    /// A file thermocad wrote earlier (CSV, TOML) cannot be read back.
    #[error("{path}: {why}")]
    Malformed {
        /// The file, with `:line` when known.
        path: String,
        /// What is wrong with it.
        why: String,
    },
    /// A simulated chip diverged (non-finite node voltages): its profile or sweep values make
    /// the circuit unstable.
    #[error("task {task}: the simulated circuit diverged (non-finite node voltages)")]
    ChipDiverged {
        /// The study task and its condition.
        task: String,
    },
    /// Serialising a result failed: a defect in thermocad, not in the input.
    #[error("serialising {what}: {why}")]
    Serialize {
        /// The file or value being written.
        what: String,
        /// The serialiser's message.
        why: String,
    },
    /// A command-line flag has a value the command cannot use.
    #[error("{flag} {why}")]
    Flag {
        /// The flag, e.g. `--n`.
        flag: &'static str,
        /// What is wrong with its value.
        why: String,
    },
    /// A run would exceed a resource limit (memory, integration steps, threads); the message
    /// says what it would need and which limit applies (see docs/reliability.md).
    #[error("{0}")]
    TooLarge(String),
    /// A command would overwrite an existing model, deck or run without `--force`.
    #[error("{0}")]
    Exists(String),
    /// A parameter or result array holds NaN or infinity.
    #[error("{what}: {array}[{index}] = {value} is not finite{hint}")]
    NonFinite {
        /// The file or stage the array belongs to.
        what: String,
        /// The array's name.
        array: String,
        /// The first offending index, e.g. `3,17`.
        index: String,
        /// The value found there.
        value: f64,
        /// Extra advice (may be empty; starts with "; ").
        hint: String,
    },
}

impl Error {
    /// True when the user's input is at fault (exit code 2): invalid files, flags or
    /// configuration, a missing input file or directory, sizes beyond the limits, refused
    /// overwrites, non-finite parameters, an untrusted deck. Everything else (a failed write,
    /// ngspice failing or timing out, divergence) is a failed run (exit code 1).
    pub fn is_user_input(&self) -> bool {
        match self {
            Error::Io { source, .. } => source.kind() == std::io::ErrorKind::NotFound,
            Error::Spice(crate::hardware::spice::SpiceError::Untrusted { .. }) => true,
            Error::Config(_)
            | Error::Model { .. }
            | Error::Setting { .. }
            | Error::Mismatch { .. }
            | Error::Malformed { .. }
            | Error::ChipDiverged { .. }
            | Error::Flag { .. }
            | Error::Data(_)
            | Error::Resume { .. }
            | Error::Profile(_)
            | Error::Quant(_)
            | Error::Circuit(_)
            | Error::Study(_)
            | Error::Design(_)
            | Error::Topology(_)
            | Error::Array { .. }
            | Error::TooLarge(_)
            | Error::Exists(_)
            | Error::NonFinite { .. } => true,
            Error::Plot(_) | Error::Spice(_) | Error::Diverged { .. } | Error::Serialize { .. } => {
                false
            }
        }
    }

    /// The process exit code: 2 for the user's input, 1 for a failed run.
    pub fn exit_code(&self) -> u8 {
        if self.is_user_input() {
            2
        } else {
            1
        }
    }
}

/// One line for an error and its causes: each cause is appended once, and a cause whose text
/// already appears in the line (a message that embeds its source) is not repeated.
pub fn one_line(e: &(dyn std::error::Error + 'static)) -> String {
    let mut line = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}

/// Result with the library's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Attach a path to an I/O error.
pub fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
