//! A design directory: `design.toml` (what the search is, checked when a run resumes or
//! shards merge) and `evaluations.csv` (one row per finished chip evaluation, keyed by
//! (design, chip), rewritten atomically after each, so an interrupted run resumes where it
//! stopped). Numbers are written in Rust's shortest round-trip form and rows sorted by key, so
//! the file depends only on the set of evaluations: a resumed or merged run writes the same
//! bytes as an uninterrupted one.

use super::DesignError;
use crate::error::{io_err, Error, Result};
use crate::tolerance::table::Workload;
use std::collections::BTreeMap;
use std::path::Path;

/// Name of the search description.
pub const DESIGN_TOML: &str = "design.toml";
/// Name of the evaluations table.
pub const EVALUATIONS_CSV: &str = "evaluations.csv";

/// What defines a search's results.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesignSpec {
    /// What the chips do.
    pub workload: Workload,
    /// The model directory, as given.
    pub model: String,
    /// Fingerprint of its params.npz and model.toml.
    pub model_fingerprint: String,
    /// The base hardware profile, as given.
    pub hardware: String,
    /// Fingerprint of the profile file.
    pub hardware_fingerprint: String,
    /// The space, canonical `key=v1,v2,…; …`.
    pub space: String,
    /// The target, canonical `yield(metric) >= y`.
    pub target: String,
    /// `energy` or `area`.
    pub minimize: super::target::Minimize,
    /// Chips of the last level.
    pub chips: usize,
    /// Seed of chips, samples and bootstraps.
    pub seed: u64,
    /// Bit width of designs whose space has no `bits`.
    pub bits: u32,
    /// Samples (generation) or digits (classifier) per chip.
    pub samples: usize,
    /// Held-out noising trajectories (generation; 0 for a classifier).
    pub heldout: usize,
    /// Bootstrap resamples per metric.
    pub resamples: usize,
    /// A chip passes when the metric is within this fraction of the ideal.
    pub yield_threshold: f64,
    /// Whether a digit classifier scores generated samples.
    pub classifier: bool,
    /// Exhaustive grid (every design on every chip) instead of successive halving.
    pub grid: bool,
}

/// An evaluation's key: the ideal reference (`design` None) or chip `chip` of a design.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    /// Design number (None: the ideal reference).
    pub design: Option<usize>,
    /// Chip number.
    pub chip: usize,
}

/// One evaluation: every metric of the workload (None: not scored, or the chip diverged).
pub type Metrics = Vec<Option<f64>>;

/// Evaluations so far.
pub type Evaluations = BTreeMap<Key, Metrics>;

/// Write `design.toml`, or check that the one present describes the same search.
pub fn claim(dir: &Path, spec: &DesignSpec) -> Result<()> {
    let path = dir.join(DESIGN_TOML);
    if path.exists() {
        if &read_spec(&path)? != spec {
            return Err(DesignError::Mismatch {
                path: path.display().to_string(),
                why: "holds another design search (different model, hardware, space, target or settings); choose another --out".into(),
            }
            .into());
        }
        return Ok(());
    }
    let text = toml::to_string(spec).map_err(|e| Error::Serialize {
        what: DESIGN_TOML.into(),
        why: e.to_string(),
    })?;
    write_text(&path, &text)
}

/// Read a `design.toml`.
pub fn read_spec(path: &Path) -> Result<DesignSpec> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    toml::from_str(&text).map_err(|e| Error::Malformed {
        path: path.display().to_string(),
        why: e.message().to_string(),
    })
}

/// Write `text` to `path` atomically.
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    crate::io::write_atomic(path, |w| {
        std::io::Write::write_all(w, text.as_bytes()).map_err(io_err(path))
    })
}

/// The header of `evaluations.csv` for `workload`.
fn header(workload: Workload) -> String {
    let mut h = vec!["design".to_string(), "chip".to_string()];
    h.extend(workload.metrics().iter().map(|m| m.name.to_string()));
    h.join(",")
}

/// Write `evals` to `path` atomically.
pub fn write(path: &Path, workload: Workload, evals: &Evaluations) -> Result<()> {
    let mut text = header(workload) + "\n";
    for (k, m) in evals {
        let mut row = vec![
            k.design.map_or("ideal".into(), |d| d.to_string()),
            k.chip.to_string(),
        ];
        row.extend(m.iter().map(|v| v.map_or(String::new(), |v| v.to_string())));
        text.push_str(&row.join(","));
        text.push('\n');
    }
    write_text(path, &text)
}

/// Read `path` (empty when it does not exist).
pub fn read(path: &Path, workload: Workload) -> Result<Evaluations> {
    let mut out = Evaluations::new();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io_err(path)(e)),
    };
    let bad = |line: usize, why: &str| Error::Malformed {
        path: path.display().to_string(),
        why: format!("line {line}: {why}"),
    };
    let mut lines = text.lines();
    if lines.next() != Some(header(workload).as_str()) {
        return Err(bad(1, "not the header of this workload's evaluations"));
    }
    let n = workload.metrics().len();
    for (i, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 2 + n {
            return Err(bad(i + 2, "wrong number of fields"));
        }
        let design = match f[0] {
            "ideal" => None,
            d => Some(d.parse().map_err(|_| bad(i + 2, "bad design number"))?),
        };
        let chip = f[1].parse().map_err(|_| bad(i + 2, "bad chip number"))?;
        let metrics = f[2..]
            .iter()
            .map(|v| match *v {
                "" => Ok(None),
                v => v.parse().map(Some).map_err(|_| bad(i + 2, "bad number")),
            })
            .collect::<Result<Metrics>>()?;
        out.insert(Key { design, chip }, metrics);
    }
    Ok(out)
}
