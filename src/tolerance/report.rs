//! The study's plots and design answers, from the rows of `tolerance.csv`.
//!
//! Per condition and metric: the median over chips, the 10–90 % band, and the *yield*, the
//! fraction of chips whose metric stays within a relative threshold of the ideal reference
//! (≥ (1 − thr)·ideal for metrics where higher is better, ≤ (1 + thr)·ideal otherwise).

use super::sweep::{Sweep, SweepKey};
use super::table::{Row, Workload};
use crate::error::Result;
use crate::report::plot::{Figure, LineChart, RgbImage, Series};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// Yield below which a condition fails.
pub const YIELD_TARGET: f64 = 0.9;

/// Statistics of one metric at one condition.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConditionStats {
    /// Value of the swept parameter.
    pub value: f64,
    /// Median over chips.
    pub median: f64,
    /// 10th percentile over chips.
    pub p10: f64,
    /// 90th percentile over chips.
    pub p90: f64,
    /// Fraction of chips within the threshold of the ideal.
    pub yield_: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let x = p * (sorted.len() - 1) as f64;
    let (i, f) = (x.floor() as usize, x.fract());
    let j = (i + 1).min(sorted.len() - 1);
    sorted[i] * (1.0 - f) + sorted[j] * f
}

/// Whether `v` is within `threshold` of `ideal` for a metric (higher better or not).
pub fn within(v: f64, ideal: f64, higher_better: bool, threshold: f64) -> bool {
    if higher_better {
        v >= ideal * (1.0 - threshold)
    } else {
        v <= ideal * (1.0 + threshold)
    }
}

/// Per-condition statistics of metric number `metric` of `workload`, and the ideal value.
pub fn stats(
    rows: &BTreeMap<usize, Row>,
    sweep: &Sweep,
    workload: Workload,
    metric: usize,
    threshold: f64,
) -> Option<(f64, Vec<ConditionStats>)> {
    let higher = workload.metrics()[metric].higher_better;
    let metric_of = |r: &Row| r.metrics.get(metric).copied().flatten().map(|e| e.value);
    let ideal = metric_of(rows.get(&0)?)?;
    let out = sweep
        .values
        .iter()
        .map(|&value| {
            let mut v: Vec<f64> = rows
                .values()
                .filter(|r| r.value == Some(value))
                .filter_map(metric_of)
                .collect();
            v.sort_by(f64::total_cmp);
            let ok = v
                .iter()
                .filter(|&&x| within(x, ideal, higher, threshold))
                .count();
            ConditionStats {
                value,
                median: percentile(&v, 0.5),
                p10: percentile(&v, 0.1),
                p90: percentile(&v, 0.9),
                yield_: ok as f64 / v.len().max(1) as f64,
            }
        })
        .collect();
    Some((ideal, out))
}

/// The design answer for one metric: for bit widths, the smallest bit width from which on the
/// median stays within the threshold; for every other sweep, the largest value up to which
/// the yield stays ≥ [`YIELD_TARGET`], and the first value where it falls below.
pub fn design_answer(
    key: SweepKey,
    ideal: f64,
    cs: &[ConditionStats],
    higher: bool,
    threshold: f64,
) -> String {
    if key.is_bit_width() {
        let ok = |c: &ConditionStats| within(c.median, ideal, higher, threshold);
        let first = (0..cs.len()).find(|&i| cs[i..].iter().all(ok));
        match first {
            Some(i) => format!(
                "median within {:.0} % of ideal from {} bits on",
                100.0 * threshold,
                cs[i].value
            ),
            None => format!("median never within {:.0} % of ideal", 100.0 * threshold),
        }
    } else {
        let fail = cs.iter().position(|c| c.yield_ < YIELD_TARGET);
        match fail {
            None => format!("yield ≥ {:.0} % over the whole sweep", 100.0 * YIELD_TARGET),
            Some(0) => format!(
                "yield below {:.0} % already at {} = {}",
                100.0 * YIELD_TARGET,
                key.name(),
                cs[0].value
            ),
            Some(i) => format!(
                "yield ≥ {:.0} % up to {} = {}, falls to {:.0} % at {}",
                100.0 * YIELD_TARGET,
                key.name(),
                cs[i - 1].value,
                100.0 * cs[i].yield_,
                cs[i].value
            ),
        }
    }
}

/// Write `tolerance.png`, `yield.png` and `summary.md` into `dir`; returns the summary text.
pub fn write(
    dir: &Path,
    sweep: &Sweep,
    workload: Workload,
    rows: &BTreeMap<usize, Row>,
    threshold: f64,
    title: &str,
) -> Result<String> {
    let x_label = sweep.key.label();
    let mut panels = Vec::new();
    let mut yields: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    let mut md = String::new();
    let _ = writeln!(md, "# Tolerance study: {title}\n");
    let _ = writeln!(
        md,
        "Sweep `{sweep}`; {} chips per condition. Yield = fraction of chips within {:.0} % of the ideal.\n",
        rows.values().filter(|r| r.value == sweep.values.first().copied()).count(),
        100.0 * threshold
    );
    for (m, metric) in workload.metrics().iter().enumerate() {
        let (name, higher, label) = (metric.name, metric.higher_better, metric.label);
        let Some((ideal, cs)) = stats(rows, sweep, workload, m, threshold) else {
            continue;
        };
        let pts =
            |f: fn(&ConditionStats) -> f64| cs.iter().map(|c| (c.value, f(c))).collect::<Vec<_>>();
        let (med, lo, hi) = (pts(|c| c.median), pts(|c| c.p10), pts(|c| c.p90));
        let (x0, x1) = (
            sweep.values[0],
            *sweep.values.last().unwrap_or(&sweep.values[0]),
        );
        let ideal_line = vec![(x0, ideal), (x1, ideal)];
        panels.push(
            LineChart {
                title: label,
                x_label,
                y_label: name,
                series: &[
                    Series {
                        label: "median",
                        points: &med,
                    },
                    Series {
                        label: "10 %",
                        points: &lo,
                    },
                    Series {
                        label: "90 %",
                        points: &hi,
                    },
                    Series {
                        label: "ideal",
                        points: &ideal_line,
                    },
                ],
                log_y: false,
            }
            .render((760, 500))?,
        );
        yields.push((name.to_string(), pts(|c| c.yield_)));
        let answer = design_answer(sweep.key, ideal, &cs, higher, threshold);
        let _ = writeln!(
            md,
            "## {name} ({label}; ideal {ideal:.4})\n\n**{answer}.**\n"
        );
        let _ = writeln!(
            md,
            "| {} | median | 10 % | 90 % | yield |\n|---|---|---|---|---|",
            sweep.key.name()
        );
        for c in &cs {
            let _ = writeln!(
                md,
                "| {} | {:.4} | {:.4} | {:.4} | {:.0} % |",
                c.value,
                c.median,
                c.p10,
                c.p90,
                100.0 * c.yield_
            );
        }
        md.push('\n');
    }
    RgbImage::tile(&panels, 2).save_png(&dir.join("tolerance.png"))?;
    let target: Vec<(f64, f64)> = vec![
        (sweep.values[0], YIELD_TARGET),
        (
            *sweep.values.last().unwrap_or(&sweep.values[0]),
            YIELD_TARGET,
        ),
    ];
    let mut series: Vec<Series> = yields
        .iter()
        .map(|(n, p)| Series {
            label: n,
            points: p,
        })
        .collect();
    series.push(Series {
        label: "90 % target",
        points: &target,
    });
    LineChart {
        title: &format!("Yield: chips within {:.0} % of ideal", 100.0 * threshold),
        x_label,
        y_label: "yield",
        series: &series,
        log_y: false,
    }
    .render(crate::report::plot::LINE_CHART_SIZE)?
    .save_png(&dir.join("yield.png"))?;
    let path = dir.join("summary.md");
    crate::io::write_atomic(&path, |w| {
        std::io::Write::write_all(w, md.as_bytes()).map_err(crate::error::io_err(&path))
    })?;
    Ok(md)
}
