//! `--target "yield(METRIC) >= Y"` and `--minimize energy|area`: what a design must achieve
//! and what the search minimises among the designs that achieve it.

use super::DesignError;
use crate::tolerance::table::Workload;
use std::fmt;
use std::str::FromStr;

/// A yield target: the fraction of chips whose `metric` is within the yield threshold of the
/// ideal reference must be at least `yield_`.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// A metric of the model's workload (`frechet`, `corr`, `confident`, `nll`; `top1`, `top2`).
    pub metric: String,
    /// Required yield, a fraction in (0, 1].
    pub yield_: f64,
}

impl FromStr for Target {
    type Err = DesignError;
    fn from_str(s: &str) -> Result<Target, DesignError> {
        let err = || {
            DesignError::Target(format!(
                "\"{s}\": expected yield(METRIC) >= Y, e.g. \"yield(frechet) >= 0.9\""
            ))
        };
        let t = s.trim();
        let rest = t.strip_prefix("yield(").ok_or_else(err)?;
        let (metric, rest) = rest.split_once(')').ok_or_else(err)?;
        let rest = rest.trim();
        let y = rest
            .strip_prefix(">=")
            .or_else(|| rest.strip_prefix('≥'))
            .ok_or_else(err)?;
        let y: f64 = y.trim().parse().map_err(|_| err())?;
        if !(y > 0.0 && y <= 1.0) {
            return Err(DesignError::Target(format!(
                "\"{s}\": the yield must be a fraction in (0, 1], got {y}"
            )));
        }
        let metric = metric.trim();
        if metric.is_empty() {
            return Err(err());
        }
        Ok(Target {
            metric: metric.to_string(),
            yield_: y,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "yield({}) >= {}", self.metric, self.yield_)
    }
}

impl Target {
    /// The column of the target's metric in `workload`'s metrics.
    pub fn metric_index(&self, workload: Workload) -> Result<usize, DesignError> {
        let m = workload.metrics();
        m.iter().position(|x| x.name == self.metric).ok_or_else(|| {
            DesignError::Target(format!(
                "\"{self}\": a {} model has no metric `{}`; one of {}",
                workload.name(),
                self.metric,
                m.iter().map(|x| x.name).collect::<Vec<_>>().join(", ")
            ))
        })
    }
}

/// What the search minimises among feasible designs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Minimize {
    /// Energy per sample [J] (ties broken by area).
    Energy,
    /// Area [m²] (ties broken by energy).
    Area,
}

impl FromStr for Minimize {
    type Err = DesignError;
    fn from_str(s: &str) -> Result<Minimize, DesignError> {
        match s.trim() {
            "energy" => Ok(Minimize::Energy),
            "area" => Ok(Minimize::Area),
            other => Err(DesignError::Flag {
                flag: "--minimize",
                why: format!("`{other}`: expected energy or area"),
            }),
        }
    }
}

impl Minimize {
    /// Name as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Minimize::Energy => "energy",
            Minimize::Area => "area",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_and_check() {
        let t: Target = "yield(frechet) >= 0.9".parse().unwrap();
        assert_eq!((t.metric.as_str(), t.yield_), ("frechet", 0.9));
        assert_eq!(t.metric_index(Workload::Generation).unwrap(), 2);
        assert!(t.metric_index(Workload::Classification).is_err());
        let t: Target = " yield(top1)≥1 ".parse().unwrap();
        assert_eq!(t.metric_index(Workload::Classification).unwrap(), 0);
        for bad in [
            "yield(frechet) > 0.9",
            "frechet >= 0.9",
            "yield(corr) >= 1.5",
            "yield() >= 0.5",
        ] {
            let e = bad.parse::<Target>().unwrap_err().to_string();
            assert!(e.starts_with("--target"), "{bad}: {e}");
        }
    }
}
