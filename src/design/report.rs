//! The outputs of a design search: `designs.csv` (every evaluated design), `pareto.png`
//! (energy vs area), `best.toml` (the chosen design's profile) and `summary.md` (the answer
//! in sentences: the chosen design, the binding constraint, the marginal cost of yield, the
//! chip evaluations used).

use super::search::{self, wilson, Status, Z95};
use super::space::{num, Space, BITS};
use super::target::{Minimize, Target};
use crate::error::Result;
use crate::report::plot::{Figure, LogScatter, PointGroup};
use std::fmt::Write;
use std::path::Path;

/// Everything the outputs are made from.
pub struct Outcome<'a> {
    /// The base profile's name.
    pub profile: &'a str,
    /// The grid.
    pub space: &'a Space,
    /// The target.
    pub target: &'a Target,
    /// What is minimised.
    pub minimize: Minimize,
    /// Chips of the last level.
    pub chips: usize,
    /// Bit width of designs whose space has no `bits`.
    pub bits: u32,
    /// The ideal reference's value of the target metric, and whether higher is better.
    pub ideal: (f64, bool),
    /// A chip passes within this fraction of the ideal.
    pub threshold: f64,
    /// Per design.
    pub status: &'a [Status],
    /// Median of the target metric over each design's chips (NaN: none).
    pub medians: &'a [f64],
    /// Chip evaluations made (ideal reference included).
    pub evaluations: usize,
    /// Exhaustive grid mode.
    pub grid: bool,
}

impl Outcome<'_> {
    /// The chosen design.
    pub fn chosen(&self) -> Option<usize> {
        search::chosen(self.status, self.target.yield_, self.chips, self.minimize)
    }

    /// Chip evaluations of the exhaustive grid: every design on every chip, plus the ideal.
    pub fn grid_evaluations(&self) -> usize {
        self.space.len() * self.chips + 1
    }

    fn feasible(&self, i: usize) -> bool {
        self.status[i].feasible(self.target.yield_, self.chips)
    }

    /// The Pareto front of the feasible designs, by increasing energy.
    pub fn front(&self) -> Vec<usize> {
        let feasible: Vec<usize> = (0..self.status.len())
            .filter(|&i| self.feasible(i))
            .collect();
        let mut f = search::front(self.status, &feasible);
        f.sort_by(|&a, &b| search::cmp(self.status, a, b, Minimize::Energy));
        f
    }

    fn objective(&self, i: usize) -> f64 {
        match self.minimize {
            Minimize::Energy => self.status[i].energy,
            Minimize::Area => self.status[i].area,
        }
    }

    fn unit(&self) -> &'static str {
        match self.minimize {
            Minimize::Energy => "J",
            Minimize::Area => "m²",
        }
    }

    /// `key = value, …` of design `i` (with the bit width when it is not a dimension).
    pub fn describe(&self, i: usize) -> String {
        let mut parts: Vec<String> = self
            .space
            .dims
            .iter()
            .zip(self.space.point(i))
            .map(|(d, v)| format!("{} = {}", d.key, num(v)))
            .collect();
        if !self.space.dims.iter().any(|d| d.key == BITS) {
            parts.insert(0, format!("bits = {}", self.bits));
        }
        parts.join(", ")
    }

    fn yield_text(&self, i: usize) -> String {
        let s = &self.status[i];
        let (lo, hi) = wilson(s.passes, s.chips, Z95);
        format!(
            "{}/{} = {:.0} % (95 % CI {:.0}–{:.0} %)",
            s.passes,
            s.chips,
            100.0 * s.yield_(),
            100.0 * lo,
            100.0 * hi
        )
    }
}

/// `designs.csv`: one row per design evaluated on at least one chip.
pub fn designs_csv(o: &Outcome<'_>) -> String {
    let chosen = o.chosen();
    let front = o.front();
    let mut h: Vec<String> = vec!["design".into()];
    if !o.space.dims.iter().any(|d| d.key == BITS) {
        h.push(BITS.into());
    }
    h.extend(o.space.dims.iter().map(|d| d.key.clone()));
    h.extend(
        [
            "chips",
            "passes",
            "yield",
            "yield_lo",
            "yield_hi",
            &format!("median_{}", o.target.metric),
            "energy_j",
            "area_m2",
            "feasible",
            "front",
            "chosen",
        ]
        .map(String::from),
    );
    let mut out = h.join(",") + "\n";
    for (i, s) in o.status.iter().enumerate().filter(|(_, s)| s.chips > 0) {
        let (lo, hi) = wilson(s.passes, s.chips, Z95);
        let mut row = vec![i.to_string()];
        if !o.space.dims.iter().any(|d| d.key == BITS) {
            row.push(o.bits.to_string());
        }
        row.extend(o.space.point(i).iter().map(|&v| num(v)));
        row.extend([
            s.chips.to_string(),
            s.passes.to_string(),
            s.yield_().to_string(),
            lo.to_string(),
            hi.to_string(),
            o.medians[i].to_string(),
            num(s.energy),
            num(s.area),
            o.feasible(i).to_string(),
            front.contains(&i).to_string(),
            (chosen == Some(i)).to_string(),
        ]);
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// `pareto.png`: energy vs area of the evaluated designs (log axes); feasible designs
/// coloured, the front joined, infeasible ones grey, the chosen one ringed.
pub fn pareto(o: &Outcome<'_>, path: &Path) -> Result<()> {
    let pt = |i: usize| (o.status[i].area, o.status[i].energy);
    let evaluated = || (0..o.status.len()).filter(|&i| o.status[i].chips > 0);
    let feasible: Vec<(f64, f64)> = evaluated().filter(|&i| o.feasible(i)).map(pt).collect();
    let other: Vec<(f64, f64)> = evaluated().filter(|&i| !o.feasible(i)).map(pt).collect();
    let mut front: Vec<(f64, f64)> = o.front().into_iter().map(pt).collect();
    front.sort_by(|a, b| a.0.total_cmp(&b.0));
    let label = format!("chosen (min {})", o.minimize.name());
    let title = format!("{}: designs for {}", o.profile, o.target);
    let groups = [
        PointGroup {
            label: "infeasible / not at all chips",
            points: &other,
            color: (175, 175, 175),
        },
        PointGroup {
            label: "feasible",
            points: &feasible,
            color: (31, 119, 180),
        },
    ];
    LogScatter {
        title: &title,
        x_label: "chip area [m²]",
        y_label: "energy per sample [J]",
        groups: &groups,
        line: ("Pareto front (feasible)", &front),
        marked: o.chosen().map(|c| (label.as_str(), pt(c))),
    }
    .save(path)?;
    Ok(())
}

/// `best.toml`: the chosen design's profile text under a header naming the design and its
/// bit width.
pub fn best_toml(o: &Outcome<'_>, chosen: usize, profile_text: &str) -> String {
    let b = o.space.bits(chosen, o.bits);
    format!(
        "# thermocad design: design {chosen} of \"{}\" on {}, chosen for {} (minimise {}).\n# bits = {b}: quantize couplings and biases to {b} bits (e.g. thermocad tolerance --hardware best.toml --sweep \"bits={b}\").\n# {}\n{profile_text}",
        o.space,
        o.profile,
        o.target,
        o.minimize.name(),
        o.describe(chosen)
    )
}

/// For each dimension, whether moving the chosen design one step towards lower cost keeps
/// the target: the sentences naming the binding constraints.
fn binding(o: &Outcome<'_>, c: usize) -> Vec<String> {
    let idx = o.space.indices(c);
    let mut out = Vec::new();
    for (k, d) in o.space.dims.iter().enumerate() {
        let neighbours: Vec<usize> = [idx[k].checked_sub(1), Some(idx[k] + 1)]
            .into_iter()
            .flatten()
            .filter(|&j| j < d.values.len())
            .map(|j| {
                let mut n = idx.clone();
                n[k] = j;
                o.space.design_of(&n)
            })
            .collect();
        let cheaper = neighbours
            .into_iter()
            .filter(|&n| search::cmp(o.status, n, c, o.minimize).is_lt())
            .min_by(|&a, &b| search::cmp(o.status, a, b, o.minimize));
        let v = num(d.values[idx[k]]);
        let line = match cheaper {
            None => format!(
                "`{}` = {v}: no neighbouring value is cheaper — the range's end (or a value that does not lower the cost) binds",
                d.key
            ),
            Some(n) => {
                let s = &o.status[n];
                let v2 = num(o.space.point(n)[k]);
                let (de, da) = (
                    s.energy - o.status[c].energy,
                    s.area - o.status[c].area,
                );
                let why = if !s.energy.is_finite() {
                    "that design cannot be built".to_string()
                } else if s.chips >= o.chips {
                    format!("its yield falls to {}", o.yield_text(n))
                } else {
                    format!(
                        "the search dropped it after {} chips ({} passed: it cannot reach the target)",
                        s.chips, s.passes
                    )
                };
                format!(
                    "`{}` = {v} → {v2} would change energy per sample by {:.3e} J and area by {:.3e} m², but {why}: **the yield target binds**",
                    d.key, de, da
                )
            }
        };
        out.push(line);
    }
    out
}

/// The dimension that limits the yield when no design meets the target: the one whose best
/// yield per value varies most, with where along its range that best yield peaks.
fn limiting(o: &Outcome<'_>) -> String {
    let mut best: Option<(f64, String)> = None;
    for (k, d) in o.space.dims.iter().enumerate() {
        let per_value: Vec<f64> = (0..d.values.len())
            .map(|j| {
                (0..o.status.len())
                    .filter(|&i| o.space.indices(i)[k] == j && o.status[i].chips > 0)
                    .map(|i| o.status[i].yield_())
                    .fold(0.0, f64::max)
            })
            .collect();
        let (lo, hi) = per_value
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &y| (a.min(y), b.max(y)));
        let at = per_value.iter().position(|&y| y == hi).unwrap_or(0);
        let end = if at + 1 == d.values.len() || at == 0 {
            format!(
                "highest at {} = {}, the end of its range: extend the range beyond it",
                d.key,
                num(d.values[at])
            )
        } else {
            format!(
                "highest at {} = {} inside its range",
                d.key,
                num(d.values[at])
            )
        };
        let text = format!(
            "`{}` — the best yield per value ranges from {:.0} % to {:.0} % ({}; values {})",
            d.key,
            100.0 * lo,
            100.0 * hi,
            end,
            per_value
                .iter()
                .zip(&d.values)
                .map(|(y, &v)| format!("{}: {:.0} %", num(v), 100.0 * y))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if best.as_ref().is_none_or(|(s, _)| hi - lo > *s) {
            best = Some((hi - lo, text));
        }
    }
    match best {
        Some((spread, t)) if spread > 0.0 => t,
        _ => "none — no dimension changes the best yield over its range; widen the ranges or look beyond this space (e.g. the profile's global tolerances)".into(),
    }
}

/// `summary.md`.
pub fn summary(o: &Outcome<'_>) -> String {
    let mut md = String::new();
    let (ideal, higher) = o.ideal;
    let _ = writeln!(md, "# Design search on {}\n", o.profile);
    let _ = writeln!(
        md,
        "Space `{}` ({} designs); target `{}`: a chip passes when {} is {} {:.4} ({:.0} % of the ideal {ideal:.4}); minimise {}; {} by {}.\n",
        o.space,
        o.space.len(),
        o.target,
        o.target.metric,
        if higher { "≥" } else { "≤" },
        if higher { ideal * (1.0 - o.threshold) } else { ideal * (1.0 + o.threshold) },
        100.0 * o.threshold,
        o.minimize.name(),
        if o.grid { "every design on every chip" } else { "successive halving" },
        format_args!("{} chips at the last level", o.chips),
    );
    let _ = writeln!(md, "## Answer\n");
    match o.chosen() {
        Some(c) => {
            let s = &o.status[c];
            let _ = writeln!(
                md,
                "**Chosen design {c}: {} — yield {}, median {} {:.4}, energy per sample {:.3e} J, area {:.3e} m² ({:.4} mm²).** Its profile is `best.toml`.\n",
                o.describe(c),
                o.yield_text(c),
                o.target.metric,
                o.medians[c],
                s.energy,
                s.area,
                s.area * 1e6
            );
            let _ = writeln!(md, "Which constraint binds, dimension by dimension:\n");
            for l in binding(o, c) {
                let _ = writeln!(md, "- {l}");
            }
            md.push('\n');
            let better = (0..o.status.len())
                .filter(|&i| o.status[i].chips >= o.chips && o.status[i].yield_() > s.yield_())
                .min_by(|&a, &b| search::cmp(o.status, a, b, o.minimize));
            let _ = match better {
                Some(b) => writeln!(
                    md,
                    "Marginal cost of yield: the cheapest design with more yield is design {b} ({}; yield {}), {:.3e} {} more {}: **{:.3e} {} per point of yield**.\n",
                    o.describe(b),
                    o.yield_text(b),
                    o.objective(b) - o.objective(c),
                    o.unit(),
                    o.minimize.name(),
                    (o.objective(b) - o.objective(c)) / (100.0 * (o.status[b].yield_() - s.yield_())),
                    o.unit()
                ),
                None => writeln!(
                    md,
                    "Marginal cost of yield: no design evaluated on all chips has a higher yield{}.\n",
                    if s.passes == s.chips { " (the chosen design passes every chip)" } else { "" }
                ),
            };
        }
        None => {
            let best = (0..o.status.len())
                .filter(|&i| o.status[i].chips > 0)
                .max_by(|&a, &b| {
                    let (x, y) = (&o.status[a], &o.status[b]);
                    (x.yield_(), x.chips)
                        .partial_cmp(&(y.yield_(), y.chips))
                        .unwrap_or(std::cmp::Ordering::Equal)
                        .then(b.cmp(&a))
                });
            let _ = writeln!(md, "**No design meets `{}`.**", o.target);
            if let Some(b) = best {
                let _ = writeln!(
                    md,
                    "The best achieved yield is {} (design {b}: {}).",
                    o.yield_text(b),
                    o.describe(b)
                );
            }
            let _ = writeln!(md, "Limiting dimension: {}.\n", limiting(o));
        }
    }
    let _ = writeln!(
        md,
        "Chip evaluations: {} ({:.0} % of the exhaustive grid's {} = {} designs × {} chips + the ideal reference).\n",
        o.evaluations,
        100.0 * o.evaluations as f64 / o.grid_evaluations() as f64,
        o.grid_evaluations(),
        o.space.len(),
        o.chips
    );
    let front = o.front();
    if !front.is_empty() {
        let _ = writeln!(
            md,
            "## Pareto front of the feasible designs\n\n| design | parameters | yield | energy [J] | area [m²] |\n|---|---|---|---|---|"
        );
        for i in front {
            let _ = writeln!(
                md,
                "| {i} | {} | {:.0} % | {:.3e} | {:.3e} |",
                o.describe(i),
                100.0 * o.status[i].yield_(),
                o.status[i].energy,
                o.status[i].area
            );
        }
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "Files: `designs.csv` (every evaluated design), `pareto.png`, {}`evaluations.csv` (every chip), `design.toml`; method: docs/design.md.",
        if o.chosen().is_some() { "`best.toml`, " } else { "" }
    );
    md
}
