//! Resource limits, in one place: every size, count, step number and thread count that a
//! command would allocate or run is checked here *before* allocating or running, and refused
//! with one line saying what it would need (exit code 2). The rules (docs/reliability.md):
//!
//! - **Memory**: an estimated allocation may use at most half of the machine's physical
//!   memory (`MemTotal` in /proc/meminfo; 8 GiB when unknown), or `THERMOCAD_MEMORY_BYTES`
//!   when that variable is set.
//! - **Integration steps**: one trajectory may take at most [`MAX_STEPS`] Euler–Maruyama steps
//!   (t / Δt), and a run at most [`MAX_TOTAL_STEPS`] unit-steps in total.
//! - **Threads**: at most [`MAX_THREADS`].

use crate::error::{Error, Result};

/// Most Euler–Maruyama steps in one trajectory (t / Δt). 10⁷ steps of a 1296-unit computer
/// take minutes; a longer trajectory is a unit mistake (e.g. `dt = 1e-300`).
pub const MAX_STEPS: f64 = 1e7;
/// Most unit-steps (units × steps × trajectories) one command may integrate: about a day on
/// two cores at ~10⁹ unit-steps per second.
pub const MAX_TOTAL_STEPS: f64 = 1e14;
/// Most worker threads.
pub const MAX_THREADS: usize = 1024;
/// Most tasks of a tolerance study (sweep values × chips).
pub const MAX_TASKS: f64 = 1e7;

/// The memory budget in bytes: `THERMOCAD_MEMORY_BYTES`, else half the physical memory.
pub fn memory_budget() -> f64 {
    if let Some(b) = std::env::var("THERMOCAD_MEMORY_BYTES")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|b| *b > 0.0)
    {
        return b;
    }
    let total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            let line = t.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024.0)
        })
        .unwrap_or(8.0 * 1024.0 * 1024.0 * 1024.0);
    total / 2.0
}

/// Refuse `what` if it would need more than the memory budget; `bytes` is computed in
/// floating point so that absurd sizes cannot overflow.
pub fn memory(what: &str, bytes: f64) -> Result<()> {
    let budget = memory_budget();
    if !bytes.is_finite() || bytes > budget {
        return Err(Error::TooLarge(format!(
            "{what} would need {bytes:.1e} bytes of memory; the limit is {budget:.1e} bytes (half the physical memory, or THERMOCAD_MEMORY_BYTES)"
        )));
    }
    Ok(())
}

/// Refuse a trajectory of duration `t` at step `dt` (model time units) that is not a positive
/// finite duration of at least one and at most [`MAX_STEPS`] steps. Returns the step count.
pub fn steps(what: &str, t: f64, dt: f64) -> Result<usize> {
    if !t.is_finite() || t <= 0.0 {
        return Err(Error::Setting {
            field: what.into(),
            why: format!(" = {t}: must be a positive, finite duration (model time units)"),
        });
    }
    let n = t / dt;
    if !n.is_finite() || n > MAX_STEPS {
        return Err(Error::TooLarge(format!(
            "{what} = {} at dt = {} would need {n:.1e} integration steps; the limit is {MAX_STEPS:.0e} per trajectory",
            short(t),
            short(dt)
        )));
    }
    if n.round() < 1.0 {
        return Err(Error::Setting {
            field: what.into(),
            why: format!(" = {t} is shorter than one time step dt = {dt}"),
        });
    }
    Ok(n.round() as usize)
}

/// Refuse a run of `unit_steps` (units × steps × trajectories) above [`MAX_TOTAL_STEPS`].
pub fn work(what: &str, unit_steps: f64) -> Result<()> {
    if !unit_steps.is_finite() || unit_steps > MAX_TOTAL_STEPS {
        return Err(Error::TooLarge(format!(
            "{what} would integrate {unit_steps:.1e} unit-steps (units × steps × trajectories); the limit is {MAX_TOTAL_STEPS:.0e}"
        )));
    }
    Ok(())
}

/// Refuse more than [`MAX_THREADS`] threads.
pub fn threads(what: &str, n: usize) -> Result<()> {
    if n > MAX_THREADS {
        return Err(Error::TooLarge(format!(
            "{what} = {n} threads; the limit is {MAX_THREADS} (0 = all cores)"
        )));
    }
    Ok(())
}

/// Refuse a count of items (samples, chips, trajectories, tasks) that is zero or above `max`.
pub fn count(what: &str, n: f64, max: f64) -> Result<()> {
    if n < 1.0 {
        return Err(Error::Setting {
            field: what.into(),
            why: " must be at least 1".into(),
        });
    }
    if !n.is_finite() || n > max {
        return Err(Error::TooLarge(format!(
            "{what} = {n:.1e}; the limit is {max:.0e}"
        )));
    }
    Ok(())
}

/// A number as the user would write it: plain when that is short, else in scientific
/// notation (1e-300 rather than 300 zeros).
fn short(v: f64) -> String {
    let plain = format!("{v}");
    if plain.len() <= 12 {
        plain
    } else {
        format!("{v:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_sizes_are_refused_with_the_need() {
        let e = memory("x", 4.0e18).unwrap_err().to_string();
        assert!(e.contains("would need 4.0e18 bytes"), "{e}");
        assert!(memory("x", 1e3).is_ok());
        assert_eq!(steps("t", 2.5, 0.01).unwrap(), 250);
        assert!(steps("t", 1e12, 1e-3).is_err());
        assert!(steps("t", 1.0, 1e-300).is_err());
        assert!(steps("t", f64::NAN, 0.01).is_err());
        assert!(steps("t", -1.0, 0.01).is_err());
        assert!(steps("t", 0.0, 0.01).is_err());
        assert!(threads("t", 100_000).is_err());
        assert!(threads("t", 8).is_ok());
        assert!(count("c", 0.0, 10.0).is_err());
        assert!(count("c", 11.0, 10.0).is_err());
    }
}
