//! The design space of `--space "KEY=RANGE; KEY=RANGE; …"`: each KEY is `bits` (the bit width
//! of couplings and biases) or a numeric field of the hardware profile named by its dotted
//! TOML path (`node.capacitance_f`, `mismatch.unit_area_m2`, …); each RANGE is the `--sweep`
//! grammar ([`crate::tolerance::sweep::parse_range`]). The designs are the grid of all
//! combinations, numbered with the last dimension varying fastest.
//!
//! A design's profile is the base profile's text with each field's value replaced (comments
//! kept), re-parsed and validated by the profile parser, so a bad key or value is refused
//! with the profile's own message, naming `--space` and the key.

use super::DesignError;
use crate::hardware::profile::{parse_profile, Profile};
use crate::hardware::quantize::BitWidth;
use crate::tolerance::sweep::{parse_range, MAX_POINTS};
use std::fmt;

/// The special dimension: bit width of couplings and biases.
pub const BITS: &str = "bits";

/// `v` in the shortest form that reads back to the same f64: plain decimals for
/// 1e-3 ≤ |v| < 1e7 (and 0), exponent form otherwise (`1e-12`, `9.19e-11`).
pub fn num(v: f64) -> String {
    if v == 0.0 || (1e-3..1e7).contains(&v.abs()) || !v.is_finite() {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// One dimension: its key and values in the order given.
#[derive(Clone, Debug, PartialEq)]
pub struct Dimension {
    /// `bits` or a dotted profile path.
    pub key: String,
    /// The values.
    pub values: Vec<f64>,
}

/// The grid of designs.
#[derive(Clone, Debug, PartialEq)]
pub struct Space {
    /// The dimensions, in the order given.
    pub dims: Vec<Dimension>,
}

impl fmt::Display for Space {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d: Vec<String> = self
            .dims
            .iter()
            .map(|d| {
                let v: Vec<String> = d.values.iter().map(|&v| num(v)).collect();
                format!("{}={}", d.key, v.join(","))
            })
            .collect();
        write!(f, "{}", d.join("; "))
    }
}

impl Space {
    /// Parse `KEY=RANGE; …` (syntax only; the profile fields are checked by [`Space::profile`]).
    pub fn parse(text: &str) -> Result<Space, DesignError> {
        let err = |m: String| DesignError::Space(format!("\"{text}\": {m}"));
        let mut dims: Vec<Dimension> = Vec::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, range) = part.split_once('=').ok_or_else(|| {
                err(format!(
                    "`{part}`: expected KEY=RANGE, e.g. bits=3..8 or node.capacitance_f=1e-13..1e-12/4log"
                ))
            })?;
            let key = key.trim();
            let valid = !key.is_empty()
                && key.split('.').all(|s| {
                    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                });
            if !valid || (key != BITS && !key.contains('.')) {
                return Err(err(format!(
                    "`{key}` is not `bits` or a dotted profile field (section.key, e.g. node.capacitance_f)"
                )));
            }
            if dims.iter().any(|d| d.key == key) {
                return Err(err(format!("`{key}` is given twice")));
            }
            let values = parse_range(range, key == BITS).map_err(|m| err(format!("{key}: {m}")))?;
            if key == BITS {
                for &v in &values {
                    if v.fract() != 0.0 || BitWidth::new(v as u32).is_err() {
                        return Err(err(format!("bits: {v} is not a bit width 2..=32")));
                    }
                }
            }
            dims.push(Dimension {
                key: key.to_string(),
                values,
            });
        }
        if dims.is_empty() {
            return Err(err(
                "no dimensions; e.g. \"bits=3..8; mismatch.unit_area_m2=1e-12..1e-10/5log\"".into(),
            ));
        }
        let space = Space { dims };
        if space.len() > MAX_POINTS {
            return Err(err(format!(
                "{} designs; a space has at most {MAX_POINTS}",
                space.len()
            )));
        }
        Ok(space)
    }

    /// Number of designs (product of the dimensions' sizes).
    pub fn len(&self) -> usize {
        self.dims.iter().map(|d| d.values.len()).product()
    }

    /// Always false (a space has at least one design).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value index of each dimension at design `i` (last dimension fastest).
    pub fn indices(&self, mut i: usize) -> Vec<usize> {
        let mut idx = vec![0; self.dims.len()];
        for (k, d) in self.dims.iter().enumerate().rev() {
            idx[k] = i % d.values.len();
            i /= d.values.len();
        }
        idx
    }

    /// The design number of value indices `idx`.
    pub fn design_of(&self, idx: &[usize]) -> usize {
        self.dims
            .iter()
            .zip(idx)
            .fold(0, |acc, (d, &i)| acc * d.values.len() + i)
    }

    /// The values of design `i`, one per dimension.
    pub fn point(&self, i: usize) -> Vec<f64> {
        self.indices(i)
            .iter()
            .zip(&self.dims)
            .map(|(&k, d)| d.values[k])
            .collect()
    }

    /// The bit width of design `i`: its `bits` value, else `default`.
    pub fn bits(&self, i: usize, default: u32) -> u32 {
        let p = self.point(i);
        self.dims
            .iter()
            .zip(p)
            .find(|(d, _)| d.key == BITS)
            .map_or(default, |(_, v)| v as u32)
    }

    /// Design `i`'s profile text (the base text with its field values replaced) and the
    /// profile parsed from it, named `name`.
    pub fn profile(
        &self,
        base: &str,
        name: &str,
        i: usize,
    ) -> Result<(String, Profile), DesignError> {
        let mut text = base.to_string();
        let point = self.point(i);
        for (d, v) in self.dims.iter().zip(&point) {
            if d.key != BITS {
                text = set_field(&text, &d.key, *v)
                    .map_err(|m| DesignError::Space(format!("{}={}: {m}", d.key, num(*v))))?;
            }
        }
        let profile = parse_profile(name, &text).map_err(|e| {
            let at: Vec<String> = self
                .dims
                .iter()
                .zip(&point)
                .filter(|(d, _)| d.key != BITS)
                .map(|(d, v)| format!("{}={}", d.key, num(*v)))
                .collect();
            DesignError::Space(format!("{}: {}", at.join(", "), crate::error::one_line(&e)))
        })?;
        Ok((text, profile))
    }
}

/// The key of a `key = value` line (None for headers, comments, blank lines).
fn line_key(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if t.starts_with('#') || t.starts_with('[') {
        return None;
    }
    t.split_once('=').map(|(k, _)| k.trim())
}

/// A TOML number for `v`: an integer when `integer`, else a float in exponent form.
fn number(v: f64, integer: bool) -> Result<String, String> {
    if integer {
        if v.fract() != 0.0 || v.abs() > 9.0e15 {
            return Err(format!("the field is an integer, {v} is not"));
        }
        Ok(format!("{}", v as i64))
    } else {
        Ok(format!("{v:e}"))
    }
}

/// `text` with the value of `section.key` set to `v` (the line replaced, or added after the
/// section header when the section exists without the key); other lines, comments included,
/// are kept.
pub fn set_field(text: &str, path: &str, v: f64) -> Result<String, String> {
    let (section, key) = path
        .rsplit_once('.')
        .ok_or_else(|| format!("`{path}` is not section.key"))?;
    let header = format!("[{section}]");
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.split('#').next().unwrap_or("").trim() == header)
        .ok_or_else(|| format!("the profile has no section [{section}]"))?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.trim_start().starts_with('['))
        .map_or(lines.len(), |p| start + 1 + p);
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    match (start + 1..end).find(|&i| line_key(lines[i]) == Some(key)) {
        Some(i) => {
            let old = lines[i].split_once('=').map_or("", |(_, v)| v);
            let old = old.split('#').next().unwrap_or("").trim();
            if old.parse::<f64>().is_err() {
                return Err(format!("{path} = {old} is not a number field"));
            }
            let integer = old.parse::<i64>().is_ok();
            out[i] = format!("{key} = {}", number(v, integer)?);
        }
        None => out.insert(start + 1, format!("{key} = {}", number(v, false)?)),
    }
    Ok(out.join("\n") + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_order_and_fields() {
        let s = Space::parse("bits=3..4; node.capacitance_f=1e-13,1e-12,1e-11").unwrap();
        assert_eq!(s.len(), 6);
        assert_eq!(s.point(4), vec![4.0, 1e-12]);
        assert_eq!(s.design_of(&s.indices(5)), 5);
        assert_eq!(s.bits(1, 8), 3);
        let text = "[node]\n# C\ncapacitance_f = 1e-12\n[coupling]\nmax_fan_in = 4\n";
        let t = set_field(text, "node.capacitance_f", 2e-13).unwrap();
        assert!(
            t.contains("capacitance_f = 2e-13") && t.contains("# C"),
            "{t}"
        );
        let t = set_field(text, "coupling.max_fan_in", 8.0).unwrap();
        assert!(t.contains("max_fan_in = 8\n"), "{t}");
        assert!(set_field(text, "coupling.max_fan_in", 2.5).is_err());
        assert!(set_field(text, "power.supply_v", 1.0).is_err());
        for (bad, says) in [
            ("colour=1", "dotted"),
            ("bits=1..3", "bit width"),
            ("node.capacitance_f=1..2", "number of points"),
            ("bits=3; bits=4", "twice"),
        ] {
            let e = Space::parse(bad).unwrap_err().to_string();
            assert!(e.starts_with("--space") && e.contains(says), "{bad}: {e}");
        }
    }
}
