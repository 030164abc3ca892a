//! Preferred-number series of resistor values (IEC 60063): the E24, E96 and E192 tables
//! of one decade and snapping a resistance to the nearest preferred value.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::LazyLock;

/// A preferred-number series of resistor values (IEC 60063).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
pub enum ResistorSeries {
    /// 24 values per decade (±5 % parts).
    #[serde(alias = "e24")]
    E24,
    /// 96 values per decade (±1 % parts).
    #[serde(alias = "e96")]
    E96,
    /// 192 values per decade (±0.5 % and tighter parts).
    #[serde(alias = "e192")]
    E192,
}

const E24: [f64; 24] = [
    1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.8, 2.0, 2.2, 2.4, 2.7, 3.0, 3.3, 3.6, 3.9, 4.3, 4.7, 5.1, 5.6,
    6.2, 6.8, 7.5, 8.2, 9.1,
];

/// E192 in hundredths of the decade: IEC 60063 defines the E48, E96 and E192 values as
/// 10^(i/192) rounded to three significant figures, with one exception in E192 (9.20 at
/// i = 185, where the rule gives 9.19).
fn e192_hundredths(i: usize) -> f64 {
    if i == 185 {
        920.0
    } else {
        (100.0 * 10f64.powf(i as f64 / 192.0)).round()
    }
}

static E192: LazyLock<[f64; 192]> =
    LazyLock::new(|| std::array::from_fn(|i| e192_hundredths(i) / 100.0));

/// E96 is every other value of E192 (IEC 60063).
static E96: LazyLock<[f64; 96]> = LazyLock::new(|| std::array::from_fn(|i| E192[2 * i]));

impl ResistorSeries {
    /// The decade mantissas of the series, ascending in [1, 10).
    pub fn values(self) -> &'static [f64] {
        match self {
            ResistorSeries::E24 => &E24,
            ResistorSeries::E96 => &*E96,
            ResistorSeries::E192 => &*E192,
        }
    }

    /// The series value nearest to `ohms` in log distance |ln(R/ohms)|, across decades
    /// (9.95 kΩ snaps to 10 kΩ in E96). The result is the double nearest to the exact
    /// decimal value (1234 Ω → exactly 1240.0 in E96). Inputs that are not positive and
    /// finite are returned unchanged.
    pub fn snap(self, ohms: f64) -> f64 {
        if !(ohms.is_finite() && ohms > 0.0) {
            return ohms;
        }
        let decade = ohms.log10().floor() as i32;
        let mut best = ohms;
        let mut best_dist = f64::INFINITY;
        for exp in decade - 1..=decade + 1 {
            for &m in self.values() {
                // Mantissa in hundredths times 10^(exp−2), rounded once.
                let candidate = scale_pow10((m * 100.0).round(), exp - 2);
                let dist = (candidate / ohms).ln().abs();
                if dist < best_dist {
                    best_dist = dist;
                    best = candidate;
                }
            }
        }
        best
    }
}

/// `x · 10^e`, correctly rounded for integer `x` below 2^53 and moderate `e`.
fn scale_pow10(x: f64, e: i32) -> f64 {
    if e >= 0 {
        x * 10f64.powi(e)
    } else {
        x / 10f64.powi(-e)
    }
}

impl fmt::Display for ResistorSeries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ResistorSeries::E24 => "E24",
            ResistorSeries::E96 => "E96",
            ResistorSeries::E192 => "E192",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published tables (IEC 60063) in hundredths: E192 sums to 74,599 and its every other
    /// value (E96) to 37,070; spot values at both ends, the exception 9.20, and E96's 4.99.
    #[test]
    fn tables_match_iec_60063() {
        let hundredths = |s: ResistorSeries| -> Vec<u32> {
            s.values()
                .iter()
                .map(|v| (v * 100.0).round() as u32)
                .collect()
        };
        let e192 = hundredths(ResistorSeries::E192);
        let e96 = hundredths(ResistorSeries::E96);
        assert_eq!(e192.iter().sum::<u32>(), 74_599);
        assert_eq!(e96.iter().sum::<u32>(), 37_070);
        assert_eq!(&e192[..4], &[100, 101, 102, 104]);
        assert_eq!(&e192[183..], &[898, 909, 920, 931, 942, 953, 965, 976, 988]);
        assert!(e96.contains(&499) && e96.contains(&976));
        assert!(e192.windows(2).all(|w| w[0] < w[1]));
    }
}
