//! The swept parameter of a tolerance study, parsed from `--sweep "KEY=RANGE"`.
//!
//! RANGE is `A..B` (integer steps, for `bits`), `A..B/N` (N evenly spaced values from A to B
//! inclusive), `A..B/Nlog` (N log-spaced values, A > 0) or a list `V1,V2,…`.

use super::{Condition, StudyError};
use crate::hardware::quantize::BitWidth;
use std::fmt;

/// What a study varies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SweepKey {
    /// Bit width of couplings and biases (2..=32).
    Bits,
    /// Resistor tolerance bound |ΔR|/R [fraction].
    Tolerance,
    /// Capacitor tolerance bound |ΔC|/C [fraction].
    CapacitorTolerance,
    /// Chip-wide transconductance tolerance bound |Δgm|/gm [fraction].
    GmTolerance,
    /// Local 1σ transconductance mismatch A/√(W·L) [fraction].
    Mismatch,
    /// Fault rate of coupling elements [probability].
    Faults,
    /// Relative noise-temperature error (T_noise·(1 + error)).
    Noise,
    /// Parasitic inductance in series with every node's restoring branch [H].
    Inductance,
    /// Operating-temperature offset from the specification temperature [K].
    Temperature,
    /// Bit width of the DACs that drive a classifier's clamped inputs (2..=32).
    InputBits,
}

/// Most points of one sweep (each point is a condition run on every chip).
pub const MAX_POINTS: usize = 10_000;

impl SweepKey {
    const ALL: [(&'static str, SweepKey); 10] = [
        ("bits", SweepKey::Bits),
        ("tolerance", SweepKey::Tolerance),
        ("capacitor_tolerance", SweepKey::CapacitorTolerance),
        ("gm_tolerance", SweepKey::GmTolerance),
        ("mismatch", SweepKey::Mismatch),
        ("faults", SweepKey::Faults),
        ("noise", SweepKey::Noise),
        ("inductance", SweepKey::Inductance),
        ("temperature", SweepKey::Temperature),
        ("input_bits", SweepKey::InputBits),
    ];

    /// The key's name in `--sweep` and in the CSV.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("?", |(n, _)| n)
    }

    /// Axis label with unit.
    pub fn label(self) -> &'static str {
        match self {
            SweepKey::Bits => "bit width of couplings and biases",
            SweepKey::Tolerance => "resistor tolerance |ΔR|/R",
            SweepKey::CapacitorTolerance => "capacitor tolerance |ΔC|/C",
            SweepKey::GmTolerance => "process transconductance tolerance |Δgm|/gm",
            SweepKey::Mismatch => "transconductor mismatch σ(Δgm/gm)",
            SweepKey::Faults => "fault rate of couplings",
            SweepKey::Noise => "noise-temperature error ΔT/T",
            SweepKey::Inductance => "parasitic inductance [H]",
            SweepKey::Temperature => "temperature offset [K]",
            SweepKey::InputBits => "bit width of the input drives (DACs)",
        }
    }

    /// True for the keys whose values are bit widths (whole numbers, `A..B` in steps of 1).
    pub fn is_bit_width(self) -> bool {
        matches!(self, SweepKey::Bits | SweepKey::InputBits)
    }

    fn parse(s: &str) -> Result<SweepKey, StudyError> {
        let s = s.trim();
        let alias = match s {
            "fault_rate" => "faults",
            "noise_temperature" => "noise",
            "resistor_tolerance" => "tolerance",
            other => other,
        };
        Self::ALL
            .iter()
            .find(|(n, _)| *n == alias)
            .map(|(_, k)| *k)
            .ok_or_else(|| {
                StudyError::Sweep(format!(
                    "unknown key `{s}`; one of {}",
                    Self::ALL.map(|(n, _)| n).join(", ")
                ))
            })
    }

    /// Check one value of this key.
    fn check(self, v: f64) -> Result<(), String> {
        let fraction = |what: &str| {
            if (0.0..1.0).contains(&v) {
                Ok(())
            } else {
                Err(format!("{what} must be a fraction in [0, 1), got {v}"))
            }
        };
        match self {
            SweepKey::Bits | SweepKey::InputBits => {
                if v.fract() != 0.0 {
                    return Err(format!("bits must be whole numbers, got {v}"));
                }
                BitWidth::new(v as u32)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            SweepKey::Tolerance | SweepKey::CapacitorTolerance | SweepKey::GmTolerance => {
                fraction("a tolerance")
            }
            SweepKey::Mismatch => fraction("mismatch"),
            SweepKey::Faults => {
                if (0.0..=1.0).contains(&v) {
                    Ok(())
                } else {
                    Err(format!("a fault rate must be in [0, 1], got {v}"))
                }
            }
            SweepKey::Noise => {
                if v > -1.0 && v.is_finite() {
                    Ok(())
                } else {
                    Err(format!(
                        "a noise-temperature error must be above −1, got {v}"
                    ))
                }
            }
            SweepKey::Inductance => {
                if v >= 0.0 && v.is_finite() {
                    Ok(())
                } else {
                    Err(format!("an inductance must be ≥ 0 H, got {v}"))
                }
            }
            SweepKey::Temperature => {
                if v.is_finite() {
                    Ok(())
                } else {
                    Err(format!("a temperature offset must be finite, got {v}"))
                }
            }
        }
    }

    /// Apply value `v` to a chip's condition.
    pub fn apply(self, v: f64, c: &mut Condition) {
        let nd = &mut c.nd;
        match self {
            SweepKey::Bits => c.bits = Some(v as u32),
            SweepKey::Tolerance => nd.resistor_tolerance = v,
            SweepKey::CapacitorTolerance => nd.capacitor_tolerance = v,
            SweepKey::GmTolerance => nd.transconductance_tolerance = v,
            SweepKey::Mismatch => nd.mismatch = v,
            SweepKey::Faults => nd.fault_rate = v,
            SweepKey::Noise => nd.noise_temperature_error = v,
            SweepKey::Inductance => c.inductance = (v > 0.0).then_some(v),
            SweepKey::Temperature => nd.temperature_offset = v,
            SweepKey::InputBits => c.input_bits = Some(v as u32),
        }
    }
}

/// A parsed sweep: the key and its values, in the order given.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    /// What is varied.
    pub key: SweepKey,
    /// The values, in order.
    pub values: Vec<f64>,
}

impl fmt::Display for Sweep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v: Vec<String> = self.values.iter().map(|v| v.to_string()).collect();
        write!(f, "{}={}", self.key.name(), v.join(","))
    }
}

impl Sweep {
    /// Parse `KEY=RANGE` (see the module documentation).
    pub fn parse(text: &str) -> Result<Sweep, StudyError> {
        let err = |m: String| StudyError::Sweep(format!("\"{text}\": {m}"));
        let (key, range) = text
            .split_once('=')
            .ok_or_else(|| err("expected KEY=RANGE, e.g. bits=2..12".into()))?;
        let key = SweepKey::parse(key).map_err(|e| err(e.to_string()))?;
        let values = parse_range(range, key.is_bit_width()).map_err(err)?;
        for &v in &values {
            key.check(v).map_err(err)?;
        }
        Ok(Sweep { key, values })
    }
}

/// The values of a RANGE: `A..B` (integer steps; only when `whole`, i.e. for bit widths),
/// `A..B/N` (N evenly spaced values from A to B inclusive), `A..B/Nlog` (N log-spaced values,
/// A > 0) or a list `V1,V2,…`; at most [`MAX_POINTS`] values. Shared by `tolerance --sweep`
/// and `design --space`; the error says what is wrong with the range (the caller names the
/// flag and key).
pub fn parse_range(range: &str, whole: bool) -> Result<Vec<f64>, String> {
    let num = |s: &str| -> Result<f64, String> {
        s.trim()
            .parse::<f64>()
            .map_err(|_| format!("`{}` is not a number", s.trim()))
    };
    let values: Vec<f64> = if let Some((a, rest)) = range.split_once("..") {
        let (b, count) = match rest.split_once('/') {
            Some((b, c)) => (b, Some(c.trim())),
            None => (rest, None),
        };
        let (a, b) = (num(a)?, num(b)?);
        if !(a.is_finite() && b.is_finite()) || b < a {
            return Err(format!("the range {a}..{b} is empty"));
        }
        match count {
            None => {
                if !whole || a.fract() != 0.0 || b.fract() != 0.0 {
                    return Err(
                        "give the number of points, A..B/N (integer steps only for bits)".into(),
                    );
                }
                if b - a + 1.0 > MAX_POINTS as f64 {
                    return Err(format!(
                        "{:.1e} points; a sweep has at most {MAX_POINTS}",
                        b - a + 1.0
                    ));
                }
                (a as i64..=b as i64).map(|v| v as f64).collect()
            }
            Some(c) => {
                let (c, log) = match c.strip_suffix("log") {
                    Some(c) => (c, true),
                    None => (c, false),
                };
                let k: usize = c
                    .parse()
                    .ok()
                    .filter(|&k| k >= 2)
                    .ok_or_else(|| format!("`{c}` is not a point count ≥ 2"))?;
                if k > MAX_POINTS {
                    return Err(format!("{k} points; a sweep has at most {MAX_POINTS}"));
                }
                if log && a <= 0.0 {
                    return Err("a log-spaced range must start above 0".into());
                }
                (0..k)
                    .map(|i| {
                        let f = i as f64 / (k - 1) as f64;
                        if log {
                            a * (b / a).powf(f)
                        } else {
                            a + (b - a) * f
                        }
                    })
                    .collect()
            }
        }
    } else {
        if range.split(',').count() > MAX_POINTS {
            return Err(format!("a sweep has at most {MAX_POINTS} points"));
        }
        range.split(',').map(num).collect::<Result<_, _>>()?
    };
    if values.is_empty() {
        return Err("no values".into());
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_lists_and_errors() {
        let s = Sweep::parse("bits=2..5").unwrap();
        assert_eq!(
            (s.key, s.values),
            (SweepKey::Bits, vec![2.0, 3.0, 4.0, 5.0])
        );
        let s = Sweep::parse("input_bits=3..4").unwrap();
        assert_eq!((s.key, s.values), (SweepKey::InputBits, vec![3.0, 4.0]));
        let s = Sweep::parse("tolerance=0..0.04/5").unwrap();
        assert_eq!(s.values, vec![0.0, 0.01, 0.02, 0.03, 0.04]);
        let s = Sweep::parse("inductance=1e-9..1e-6/4log").unwrap();
        assert!((s.values[1] / 1e-8 - 1.0).abs() < 1e-9);
        assert_eq!(
            Sweep::parse("fault_rate=0,0.1").unwrap().key,
            SweepKey::Faults
        );
        for (bad, says) in [
            ("bits=0..4", "bit width"),
            ("tolerance=-0.01,0.02", "fraction"),
            ("colour=1", "unknown key"),
            ("tolerance=0..0.1", "number of points"),
            ("bits=8..2", "empty"),
            ("input_bits=1..4", "bit width"),
            ("mismatch=0..x/3", "not a number"),
        ] {
            let e = Sweep::parse(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
