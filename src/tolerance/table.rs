//! `tolerance.csv`: one row per task (the ideal reference, then chip × condition), every
//! metric with its bootstrap interval. Numbers are written in Rust's shortest round-trip form,
//! so a row read back and written again is the same text: merging shards reproduces the
//! single-machine file byte for byte.

use super::quality::Estimate;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Classes of the digit classifier (columns `class_0` … `class_9`).
pub const CLASSES: usize = 10;

/// A metric column: its name, whether higher is better, and its axis label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metric {
    /// Column name.
    pub name: &'static str,
    /// True when a larger value is better.
    pub higher_better: bool,
    /// What it measures (axis label).
    pub label: &'static str,
}

const fn metric(name: &'static str, higher_better: bool, label: &'static str) -> Metric {
    Metric {
        name,
        higher_better,
        label,
    }
}

/// What the chips of a study do, which decides how they are scored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Workload {
    /// A generative model: samples scored by [`GENERATION`]; `class_c` is the fraction of
    /// samples recognised as digit c.
    #[default]
    Generation,
    /// A classifier (clamped inputs): held-out digits scored by [`CLASSIFICATION`]; `class_c`
    /// is the top-1 accuracy on the digits of class c (recall).
    Classification,
}

/// Metrics of a generative study, in column order.
/// (`recognised` and `mixture` were appended in a later version: a study directory written
/// before them is refused by its header and must be rerun.)
pub const GENERATION: [Metric; 6] = [
    metric("corr", true, "mean largest |corr| with a training digit"),
    metric("confident", true, "fraction recognised with p > 0.9"),
    metric("frechet", false, "Fréchet distance of classifier features"),
    metric("nll", false, "held-out reverse −ln P per unit and step"),
    metric(
        "recognised",
        true,
        "fraction recognised as a training class, p > 0.9",
    ),
    metric(
        "mixture",
        false,
        "fraction of mixtures of two training classes",
    ),
];

/// Metrics of a classifier study, in column order.
pub const CLASSIFICATION: [Metric; 2] = [
    metric("top1", true, "top-1 accuracy on held-out digits"),
    metric("top2", true, "top-2 accuracy on held-out digits"),
];

impl Workload {
    /// Lower-case name, as in `study.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Generation => "generation",
            Workload::Classification => "classification",
        }
    }

    /// The metric columns of this workload's table.
    pub fn metrics(self) -> &'static [Metric] {
        match self {
            Workload::Generation => &GENERATION,
            Workload::Classification => &CLASSIFICATION,
        }
    }
}

/// The results of one task.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Task number (0 = ideal reference).
    pub task: usize,
    /// Value of the swept parameter (None for the ideal reference).
    pub value: Option<f64>,
    /// Chip index within its condition.
    pub chip: usize,
    /// One estimate per metric of the workload (None when not scored, e.g. without a digit
    /// classifier).
    pub metrics: Vec<Option<Estimate>>,
    /// The `class_c` columns (None: not scored, or no digit of that class).
    pub classes: Vec<Option<f64>>,
}

/// The CSV header of a workload's table.
pub fn header(workload: Workload) -> Vec<String> {
    let mut h: Vec<String> = ["task", "condition", "chip"].map(String::from).to_vec();
    for m in workload.metrics() {
        let m = m.name;
        h.extend([m.to_string(), format!("{m}_lo"), format!("{m}_hi")]);
    }
    h.extend((0..CLASSES).map(|c| format!("class_{c}")));
    h
}

fn record(r: &Row) -> Vec<String> {
    let mut out = vec![
        r.task.to_string(),
        r.value.map_or("ideal".into(), |v| v.to_string()),
        r.chip.to_string(),
    ];
    for m in &r.metrics {
        match m {
            Some(e) => out.extend([e.value, e.lo, e.hi].map(|v| v.to_string())),
            None => out.extend(std::iter::repeat_n(String::new(), 3)),
        }
    }
    for c in 0..CLASSES {
        out.push(
            r.classes
                .get(c)
                .copied()
                .flatten()
                .map_or(String::new(), |v| v.to_string()),
        );
    }
    out
}

fn parse_row(rec: &csv::StringRecord, at: &str, metrics: usize) -> Result<Row> {
    let bad = |what: &str| Error::Malformed {
        path: at.to_string(),
        why: what.to_string(),
    };
    let f = |i: usize| -> Result<Option<f64>> {
        let s = rec.get(i).ok_or_else(|| bad("too few columns"))?;
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse::<f64>()
                .map(Some)
                .map_err(|_| bad(&format!("column {} is not a number: `{s}`", i + 1)))
        }
    };
    let int = |i: usize| -> Result<usize> {
        rec.get(i)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(&format!("column {} is not a whole number", i + 1)))
    };
    let est = |k: usize| -> Result<Option<Estimate>> {
        let base = 3 + 3 * k;
        Ok(match (f(base)?, f(base + 1)?, f(base + 2)?) {
            (Some(value), Some(lo), Some(hi)) => Some(Estimate { value, lo, hi }),
            _ => None,
        })
    };
    let value = match rec.get(1) {
        Some("ideal") => None,
        _ => Some(f(1)?.ok_or_else(|| bad("empty condition"))?),
    };
    Ok(Row {
        task: int(0)?,
        value,
        chip: int(2)?,
        metrics: (0..metrics).map(est).collect::<Result<_>>()?,
        classes: (0..CLASSES)
            .map(|c| f(3 + 3 * metrics + c))
            .collect::<Result<_>>()?,
    })
}

/// Write a workload's rows (sorted by task) to `path` atomically.
pub fn write(path: &Path, workload: Workload, rows: &BTreeMap<usize, Row>) -> Result<()> {
    let h = header(workload);
    let h: Vec<&str> = h.iter().map(String::as_str).collect();
    crate::io::write_csv(path, &h, rows.values().map(record))
}

/// Read a workload's `tolerance.csv` (absent file: no rows). A torn last line (no final
/// newline, e.g. from a copy or a writer killed mid-line) is dropped: its task is recomputed.
pub fn read(path: &Path, workload: Workload) -> Result<BTreeMap<usize, Row>> {
    let mut rows = BTreeMap::new();
    if !path.exists() {
        return Ok(rows);
    }
    let mut bytes = std::fs::read(path).map_err(crate::error::io_err(path))?;
    if bytes.last().is_some_and(|&b| b != b'\n') {
        let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        bytes.truncate(keep);
    }
    if bytes.is_empty() {
        return Ok(rows);
    }
    let mut rd = csv::Reader::from_reader(bytes.as_slice());
    let expect = header(workload);
    let got: Vec<String> = rd
        .headers()
        .map_err(|e| Error::Malformed {
            path: path.display().to_string(),
            why: e.to_string(),
        })?
        .iter()
        .map(String::from)
        .collect();
    if got != expect {
        return Err(Error::Malformed {
            path: path.display().to_string(),
            why: format!(
                "not the tolerance.csv of a {} study (header differs)",
                workload.name()
            ),
        });
    }
    for (i, rec) in rd.records().enumerate() {
        let at = format!("{}:{}", path.display(), i + 2);
        let rec = rec.map_err(|e| Error::Malformed {
            path: at.clone(),
            why: e.to_string(),
        })?;
        let row = parse_row(&rec, &at, workload.metrics().len())?;
        rows.insert(row.task, row);
    }
    Ok(rows)
}
