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

/// The metrics, in column order: (name, higher is better, axis label).
pub const METRICS: [(&str, bool, &str); 4] = [
    ("corr", true, "mean largest |corr| with a training digit"),
    ("confident", true, "fraction recognised with p > 0.9"),
    ("frechet", false, "Fréchet distance of classifier features"),
    ("nll", false, "held-out reverse −ln P per unit and step"),
];

/// The results of one task.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Task number (0 = ideal reference).
    pub task: usize,
    /// Value of the swept parameter (None for the ideal reference).
    pub value: Option<f64>,
    /// Chip index within its condition.
    pub chip: usize,
    /// Mean largest |correlation|.
    pub corr: Estimate,
    /// Confidently recognised fraction.
    pub confident: Option<Estimate>,
    /// Fréchet distance.
    pub frechet: Option<Estimate>,
    /// Held-out −ln P̃ per unit and step.
    pub nll: Estimate,
    /// Class fractions (empty without classifier).
    pub classes: Vec<f64>,
}

impl Row {
    /// A metric's estimate by name.
    pub fn metric(&self, name: &str) -> Option<Estimate> {
        match name {
            "corr" => Some(self.corr),
            "confident" => self.confident,
            "frechet" => self.frechet,
            "nll" => Some(self.nll),
            _ => None,
        }
    }
}

/// The CSV header.
pub fn header() -> Vec<String> {
    let mut h: Vec<String> = ["task", "condition", "chip"].map(String::from).to_vec();
    for (m, _, _) in METRICS {
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
    for (m, _, _) in METRICS {
        match r.metric(m) {
            Some(e) => out.extend([e.value, e.lo, e.hi].map(|v| v.to_string())),
            None => out.extend(std::iter::repeat_n(String::new(), 3)),
        }
    }
    for c in 0..CLASSES {
        out.push(r.classes.get(c).map_or(String::new(), |v| v.to_string()));
    }
    out
}

fn parse_row(rec: &csv::StringRecord, at: &str) -> Result<Row> {
    let bad = |what: &str| Error::Invalid(format!("{at}: {what}"));
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
    let classes = (0..CLASSES)
        .map(|c| f(3 + 3 * METRICS.len() + c))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    Ok(Row {
        task: int(0)?,
        value,
        chip: int(2)?,
        corr: est(0)?.ok_or_else(|| bad("corr is missing"))?,
        confident: est(1)?,
        frechet: est(2)?,
        nll: est(3)?.ok_or_else(|| bad("nll is missing"))?,
        classes,
    })
}

/// Write rows (sorted by task) to `path` atomically.
pub fn write(path: &Path, rows: &BTreeMap<usize, Row>) -> Result<()> {
    let h = header();
    let h: Vec<&str> = h.iter().map(String::as_str).collect();
    crate::io::write_csv(path, &h, rows.values().map(record))
}

/// Read a `tolerance.csv` (absent file: no rows).
pub fn read(path: &Path) -> Result<BTreeMap<usize, Row>> {
    let mut rows = BTreeMap::new();
    if !path.exists() {
        return Ok(rows);
    }
    let mut rd = csv::Reader::from_path(path)
        .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
    let expect = header();
    let got: Vec<String> = rd
        .headers()
        .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?
        .iter()
        .map(String::from)
        .collect();
    if got != expect {
        return Err(Error::Invalid(format!(
            "{}: not a tolerance.csv (header differs)",
            path.display()
        )));
    }
    for (i, rec) in rd.records().enumerate() {
        let at = format!("{}:{}", path.display(), i + 2);
        let rec = rec.map_err(|e| Error::Invalid(format!("{at}: {e}")))?;
        let row = parse_row(&rec, &at)?;
        rows.insert(row.task, row);
    }
    Ok(rows)
}
