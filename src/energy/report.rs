//! The energy report: `energy.md` (a table of every budget with its part, evidence tag, value
//! in kT and joules, formula and inputs; the per-sample totals; the entropy production; the
//! advantage ratios and their assumptions), `energy.csv` (the table) and `energy.png`
//! (log-scale bars of every budget above the histogram of the heat per sample).

use super::ledger::Total;
use super::units::Thermal;
use super::Budget;
use crate::error::{io_err, Result};
use crate::io::write_csv;
use crate::metrics::mean_std;
use crate::report::bars::{log_bars_rgb, Bar};
use crate::report::plot::RgbImage;
use crate::report::plot::{Figure, Histogram, Marker};
use std::fmt::Write as _;
use std::path::Path;

/// Everything the report shows.
pub struct Report<'a> {
    /// What was measured (model directory, samples, temperature …), one line.
    pub subject: String,
    /// The bath the kT column refers to.
    pub thermal: Thermal,
    /// What one row is per: "sample" or "inference".
    pub per: &'a str,
    /// Heat of every generated sample [kT].
    pub heat_kt: &'a [f64],
    /// The budgets, per sample.
    pub budgets: &'a [Budget],
    /// The per-sample totals.
    pub totals: &'a [Total],
    /// Entropy productions: (what, value in k_B, formula).
    pub entropy: &'a [(String, f64, String)],
    /// Advantage ratios, each with the assumptions it rests on.
    pub advantages: &'a [String],
    /// Further notes (what dominates, what was skipped).
    pub notes: &'a [String],
}

/// Write `energy.md`, `energy.csv` and `energy.png` into `out`.
pub fn write(out: &Path, r: &Report) -> Result<()> {
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    let kt = |b: &Budget| r.thermal.kt(b.joules);
    write_csv(
        &out.join("energy.csv"),
        &[
            "budget", "kt", "joules", "formula", "inputs", "part", "evidence", "in_total",
        ],
        r.budgets.iter().map(|b| {
            vec![
                b.name.clone(),
                format!("{:.4e}", kt(b)),
                format!("{:.4e}", b.joules),
                b.formula.clone(),
                b.inputs.clone(),
                b.part.name().to_string(),
                b.evidence.name().to_string(),
                b.total.to_string(),
            ]
        }),
    )?;
    let mut md = String::new();
    let _ = writeln!(md, "# Energy budgets per {}\n\n{}\n", r.per, r.subject);
    let _ = writeln!(
        md,
        "kT = k_B·T at T = {} K = {:.4e} J. Evidence: `simulated` = measured on trajectories, \
         `derived` = formula of profile values, `assumed` = rests on a cited table figure. \
         Σ: the row adds into its part's total.\n\n\
         | budget | kT | J | part | evidence | Σ | formula | inputs |\n|---|---|---|---|---|---|---|---|",
        r.thermal.temperature_k,
        r.thermal.kt_joules()
    );
    for b in r.budgets {
        let _ = writeln!(
            md,
            "| {} | {:.3e} | {:.3e} | {} | {} | {} | {} | {} |",
            b.name,
            kt(b),
            b.joules,
            b.part.name(),
            b.evidence.name(),
            if b.total { "Σ" } else { "" },
            b.formula.replace('|', "\\|"),
            b.inputs.replace('|', "\\|")
        );
    }
    let _ = writeln!(
        md,
        "\n## Totals per {}\n\n| total | kT | J | what |\n|---|---|---|---|",
        r.per
    );
    for t in r.totals {
        let _ = writeln!(
            md,
            "| {} | {:.3e} | {:.3e} | {} |",
            t.name,
            r.thermal.kt(t.joules),
            t.joules,
            t.what
        );
    }
    let _ = writeln!(
        md,
        "\n## Entropy production\n\n| process | k_B | formula |\n|---|---|---|"
    );
    for (what, v, f) in r.entropy {
        let _ = writeln!(md, "| {what} | {v:.4e} | {f} |");
    }
    let _ = writeln!(md, "\n## Advantage ratios\n");
    for a in r.advantages {
        let _ = writeln!(md, "- {a}");
    }
    if !r.notes.is_empty() {
        let _ = writeln!(md, "\n## Notes\n");
        for n in r.notes {
            let _ = writeln!(md, "- {n}");
        }
    }
    let _ = writeln!(
        md,
        "\nFiles: `energy.csv` (this table), `energy.png` (budgets on a log scale; heat histogram). \
         Formulas: docs/energy.md."
    );
    let path = out.join("energy.md");
    std::fs::write(&path, md).map_err(io_err(&path))?;
    plot(out, r)
}

fn plot(out: &Path, r: &Report) -> Result<()> {
    let path = out.join("energy.png");
    let values: Vec<f64> = r.budgets.iter().map(|b| r.thermal.kt(b.joules)).collect();
    let bars: Vec<Bar> = r
        .budgets
        .iter()
        .zip(&values)
        .filter(|(_, &v)| v > 0.0 && v.is_finite())
        .map(|(b, &value)| Bar {
            label: &b.name,
            value,
        })
        .collect();
    let height = 120 + 34 * bars.len() as u32;
    let top = log_bars_rgb(
        &path,
        (1200, height),
        &format!("Energy per {}", r.per),
        &format!("kT at {} K (log scale)", r.thermal.temperature_k),
        &bars,
    )?;
    let (m, sd) = mean_std(r.heat_kt);
    let bottom = Histogram {
        title: &format!("Heat per sample: mean {m:.4e} kT, std {sd:.3e} kT"),
        x_label: "Q = V(x(0)) − V(x(t_f))  [kT]",
        values: r.heat_kt,
        bins: 30,
        markers: &[Marker {
            label: "mean",
            x: m,
        }],
    }
    .render((1200, 520))?;
    RgbImage::tile(&[top, bottom], 1).save_png(&path)?;
    Ok(())
}
