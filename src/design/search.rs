//! Successive halving over a design grid (docs/design.md, "Search").
//!
//! Every design is first evaluated on the first `levels[0]` chips; then, level by level,
//! only the *survivors* get more chips, until the last level (`--chips`). After every batch
//! of evaluations the survivors are recomputed from all evaluations so far:
//!
//! 1. a design is a *candidate* when it can still reach the target yield Y: its one-sided
//!    95 % Wilson upper bound ([`Z_UPPER`]) is ≥ Y, and its best possible yield over all
//!    `--chips` chips (passes so far plus every remaining chip passing) is ≥ Y (at the last
//!    level: its yield is ≥ Y);
//! 2. the survivors are the candidates on the Pareto front of (energy, area). The cheapest
//!    candidate in the order of the objective (`--minimize`, ties broken by the other cost,
//!    then by design number) is always on that front.
//!
//! Survivors below the current level are brought to it (a design pruned earlier re-enters when
//! the designs that pushed it off the front fail), and the level advances when all survivors
//! have reached it. When the last level is stable, the cheapest candidate has all chips and
//! meets the target, so it is the grid's choice unless the grid's choice was dropped by its
//! upper bound at an earlier level (a statistical, not a certain, rule).

use super::target::Minimize;
use std::cmp::Ordering;

/// Normal quantile of the two-sided 95 % Wilson interval (reported).
pub const Z95: f64 = 1.959_963_984_540_054;

/// Normal quantile of the one-sided 95 % Wilson upper bound (pruning).
pub const Z_UPPER: f64 = 1.644_853_626_951_472_2;

/// Fewest chips of the first level.
pub const MIN_FIRST_LEVEL: usize = 4;

/// Wilson score interval of `passes` out of `n` (two-sided, normal quantile `z`); (0, 1) for
/// n = 0.
pub fn wilson(passes: usize, n: usize, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n_f = n as f64;
    let p = passes as f64 / n_f;
    let z2 = z * z;
    let centre = p + z2 / (2.0 * n_f);
    let half = z * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt();
    let d = 1.0 + z2 / n_f;
    (
        ((centre - half) / d).max(0.0),
        ((centre + half) / d).min(1.0),
    )
}

/// Chips per level: chips/8 (at least [`MIN_FIRST_LEVEL`], at most `chips`), doubling, ending
/// at `chips`; just `[chips]` for the exhaustive grid.
pub fn levels(chips: usize, grid: bool) -> Vec<usize> {
    if grid {
        return vec![chips];
    }
    let mut c = (chips / 8).max(MIN_FIRST_LEVEL).min(chips);
    let mut out = vec![c];
    while c < chips {
        c = (2 * c).min(chips);
        out.push(c);
    }
    out
}

/// What is known about one design.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Status {
    /// Chips evaluated (chips 0..n).
    pub chips: usize,
    /// Of which passed.
    pub passes: usize,
    /// Energy per sample [J] (NaN: the design cannot be built).
    pub energy: f64,
    /// Area [m²] (NaN: the design cannot be built).
    pub area: f64,
}

impl Status {
    /// Fraction of evaluated chips that passed.
    pub fn yield_(&self) -> f64 {
        self.passes as f64 / self.chips.max(1) as f64
    }

    fn buildable(&self) -> bool {
        self.energy.is_finite() && self.area.is_finite()
    }

    /// Whether the design can still reach yield `y` over `chips` chips (see the module docs).
    pub fn reachable(&self, y: f64, chips: usize) -> bool {
        let best = (self.passes + chips.saturating_sub(self.chips)) as f64 / chips as f64;
        self.buildable() && best >= y && wilson(self.passes, self.chips, Z_UPPER).1 >= y
    }

    /// Whether it is evaluated on all `chips` and meets yield `y`.
    pub fn feasible(&self, y: f64, chips: usize) -> bool {
        self.buildable() && self.chips >= chips && self.yield_() >= y
    }
}

/// Design `a` before `b` in the order of `minimize` (objective, the other cost, number).
pub fn cmp(s: &[Status], a: usize, b: usize, minimize: Minimize) -> Ordering {
    let key = |i: usize| match minimize {
        Minimize::Energy => (s[i].energy, s[i].area),
        Minimize::Area => (s[i].area, s[i].energy),
    };
    let (x, y) = (key(a), key(b));
    x.0.total_cmp(&y.0)
        .then(x.1.total_cmp(&y.1))
        .then(a.cmp(&b))
}

/// Whether `a` dominates `b` in (energy, area): no worse in both, better in one.
fn dominates(a: &Status, b: &Status) -> bool {
    a.energy <= b.energy && a.area <= b.area && (a.energy < b.energy || a.area < b.area)
}

/// The designs of `set` on their Pareto front of (energy, area), in `set`'s order.
pub fn front(s: &[Status], set: &[usize]) -> Vec<usize> {
    set.iter()
        .copied()
        .filter(|&i| !set.iter().any(|&j| dominates(&s[j], &s[i])))
        .collect()
}

/// The survivors: the Pareto front of the candidates, in design order. (The front holds the
/// cheapest candidate whichever cost is minimised, so `minimize` does not change it.)
pub fn survivors(s: &[Status], y: f64, chips: usize) -> Vec<usize> {
    let cand: Vec<usize> = (0..s.len()).filter(|&i| s[i].reachable(y, chips)).collect();
    front(s, &cand)
}

/// The chosen design: the first feasible design in the order of `minimize`.
pub fn chosen(s: &[Status], y: f64, chips: usize, minimize: Minimize) -> Option<usize> {
    (0..s.len())
        .filter(|&i| s[i].feasible(y, chips))
        .min_by(|&a, &b| cmp(s, a, b, minimize))
}

/// The next evaluations: `(design, chips it must reach)` for the survivors below the current
/// level, advancing `level` while the survivors are all at it; empty when the search is done.
pub fn next(s: &[Status], levels: &[usize], level: &mut usize, y: f64) -> Vec<(usize, usize)> {
    let chips = *levels.last().expect("at least one level");
    loop {
        let want = levels[*level];
        let todo: Vec<(usize, usize)> = survivors(s, y, chips)
            .into_iter()
            .filter(|&i| s[i].chips < want)
            .map(|i| (i, want))
            .collect();
        if !todo.is_empty() || *level + 1 == levels.len() {
            return todo;
        }
        *level += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_hand_values() {
        // 3 of 4: p = 0.75, z² = 3.8415: (0.75 + 0.4802 ± 1.96·√(0.046875 + 0.060023))/1.9604.
        let (lo, hi) = wilson(3, 4, Z95);
        assert!(
            (hi - 0.9544).abs() < 1e-3 && (lo - 0.3006).abs() < 1e-3,
            "{lo} {hi}"
        );
        assert_eq!(wilson(0, 0, Z95), (0.0, 1.0));
        assert_eq!(levels(20, false), vec![4, 8, 16, 20]);
        assert_eq!(levels(40, false), vec![5, 10, 20, 40]);
        assert_eq!(levels(3, false), vec![3]);
        assert_eq!(levels(20, true), vec![20]);
    }

    #[test]
    fn survivors_are_the_reachable_front() {
        let st = |chips, passes, energy, area| Status {
            chips,
            passes,
            energy,
            area,
        };
        let s = [
            st(4, 2, 1.0, 1.0), // cheapest but 2 of 4 fail: out of reach of 0.9 over 20
            st(4, 4, 2.0, 2.0), // front
            st(4, 4, 3.0, 1.5), // front
            st(4, 4, 2.5, 3.0), // dominated by 1
            st(4, 3, 0.5, 5.0), // 3 of 4: one-sided upper bound 0.94, best possible 19/20
        ];
        assert_eq!(survivors(&s, 0.9, 20), vec![1, 2, 4]);
        let mut level = 0;
        let todo = next(&s, &[4, 8, 20], &mut level, 0.9);
        assert_eq!((level, todo), (1, vec![(1, 8), (2, 8), (4, 8)]));
        assert_eq!(chosen(&s, 0.9, 4, Minimize::Energy), Some(1));
        assert!(!s[4].feasible(0.9, 4) && !s[0].reachable(0.9, 20));
        assert_eq!(chosen(&s, 0.9, 4, Minimize::Area), Some(2));
    }
}
