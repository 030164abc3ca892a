//! Preferred-number series of resistor values (IEC 60063): the E24, E96 and E192 tables
//! of one decade and snapping a resistance to the nearest preferred value.

use serde::{Deserialize, Serialize};
use std::fmt;

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

/// E96 is every other value of E192 (IEC 60063).
const E96: [f64; 96] = {
    let mut t = [0.0; 96];
    let mut i = 0;
    while i < 96 {
        t[i] = E192[2 * i];
        i += 1;
    }
    t
};

const E192: [f64; 192] = [
    1.00, 1.01, 1.02, 1.04, 1.05, 1.06, 1.07, 1.09, 1.10, 1.11, 1.13, 1.14, 1.15, 1.17, 1.18, 1.20,
    1.21, 1.23, 1.24, 1.26, 1.27, 1.29, 1.30, 1.32, 1.33, 1.35, 1.37, 1.38, 1.40, 1.42, 1.43, 1.45,
    1.47, 1.49, 1.50, 1.52, 1.54, 1.56, 1.58, 1.60, 1.62, 1.64, 1.65, 1.67, 1.69, 1.72, 1.74, 1.76,
    1.78, 1.80, 1.82, 1.84, 1.87, 1.89, 1.91, 1.93, 1.96, 1.98, 2.00, 2.03, 2.05, 2.08, 2.10, 2.13,
    2.15, 2.18, 2.21, 2.23, 2.26, 2.29, 2.32, 2.34, 2.37, 2.40, 2.43, 2.46, 2.49, 2.52, 2.55, 2.58,
    2.61, 2.64, 2.67, 2.71, 2.74, 2.77, 2.80, 2.84, 2.87, 2.91, 2.94, 2.98, 3.01, 3.05, 3.09, 3.12,
    3.16, 3.20, 3.24, 3.28, 3.32, 3.36, 3.40, 3.44, 3.48, 3.52, 3.57, 3.61, 3.65, 3.70, 3.74, 3.79,
    3.83, 3.88, 3.92, 3.97, 4.02, 4.07, 4.12, 4.17, 4.22, 4.27, 4.32, 4.37, 4.42, 4.48, 4.53, 4.59,
    4.64, 4.70, 4.75, 4.81, 4.87, 4.93, 4.99, 5.05, 5.11, 5.17, 5.23, 5.30, 5.36, 5.42, 5.49, 5.56,
    5.62, 5.69, 5.76, 5.83, 5.90, 5.97, 6.04, 6.12, 6.19, 6.26, 6.34, 6.42, 6.49, 6.57, 6.65, 6.73,
    6.81, 6.90, 6.98, 7.06, 7.15, 7.23, 7.32, 7.41, 7.50, 7.59, 7.68, 7.77, 7.87, 7.96, 8.06, 8.16,
    8.25, 8.35, 8.45, 8.56, 8.66, 8.76, 8.87, 8.98, 9.09, 9.20, 9.31, 9.42, 9.53, 9.65, 9.76, 9.88,
];

impl ResistorSeries {
    /// The decade mantissas of the series, ascending in [1, 10).
    pub fn values(self) -> &'static [f64] {
        match self {
            ResistorSeries::E24 => &E24,
            ResistorSeries::E96 => &E96,
            ResistorSeries::E192 => &E192,
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
