//! Running ngspice in batch and reading back what it writes; reading back the subset of SPICE
//! that the netlist writer produces (for round-trip checks).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Failures of the ngspice stage.
#[derive(Debug, thiserror::Error)]
pub enum SpiceError {
    /// ngspice is not on PATH.
    #[error("ngspice is not installed or not on PATH (Debian: apt-get install ngspice)")]
    Missing,
    /// ngspice ran but failed.
    #[error("ngspice failed on {deck}: {msg}")]
    Failed { deck: PathBuf, msg: String },
    /// A deck with lines thermocad does not write (or edited after it wrote it), run without
    /// `--trust-deck`.
    #[error("{}:{line}: {why}; refusing to run it (pass --trust-deck to run a deck you trust)", deck.display())]
    Untrusted {
        deck: PathBuf,
        line: usize,
        why: String,
    },
    /// ngspice ran longer than the time limit and was killed.
    #[error("ngspice did not finish {} within {seconds} s and was stopped (raise --timeout)", deck.display())]
    Timeout { deck: PathBuf, seconds: f64 },
    /// An output or deck file is unreadable or malformed.
    #[error("{path}:{line}: {msg}")]
    Parse {
        path: PathBuf,
        line: usize,
        msg: String,
    },
}

/// Node voltages over time as written by `wrdata` (single time scale, with vector names).
#[derive(Clone, Debug, PartialEq)]
pub struct Waveforms {
    /// Time points [s].
    pub time: Vec<f64>,
    /// Vector names, e.g. `v(v0)`.
    pub names: Vec<String>,
    /// values[k][t]: vector k at time t [V].
    pub values: Vec<Vec<f64>>,
}

impl Waveforms {
    /// The waveform of node `name` (`v0`, `h3`, …).
    pub fn node(&self, name: &str) -> Option<&[f64]> {
        let key = format!("v({name})");
        self.names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(&key))
            .map(|k| &self.values[k][..])
    }
}

/// The output file named by a deck's first `wrdata` line (without the `.k` chunk suffix).
pub fn data_file_of(deck: &Path) -> Result<String, SpiceError> {
    let text = std::fs::read_to_string(deck).map_err(|e| SpiceError::Parse {
        path: deck.to_path_buf(),
        line: 0,
        msg: e.to_string(),
    })?;
    text.lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("wrdata ")
                .and_then(|r| r.split_whitespace().next())
        })
        .map(|f| f.strip_suffix(".0").unwrap_or(f).to_string())
        .ok_or_else(|| SpiceError::Parse {
            path: deck.to_path_buf(),
            line: 0,
            msg: "no `wrdata` line in the .control block: nothing to read back".into(),
        })
}

/// How [`run_with`] runs a deck.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunOptions {
    /// Run the deck even if [`super::trust::check`] refuses it.
    pub trust: bool,
    /// Wall-clock limit of the ngspice process [s]; it is killed (with its process group,
    /// e.g. `shell` children) when exceeded.
    pub timeout: f64,
}

/// Default wall-clock limit of one ngspice run [s] (`thermocad spice --timeout`).
pub const DEFAULT_TIMEOUT: f64 = 600.0;

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            trust: false,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Run a deck with the default [`RunOptions`]: checked, at most [`DEFAULT_TIMEOUT`] seconds.
pub fn run(deck: &Path) -> Result<Waveforms, SpiceError> {
    run_with(deck, RunOptions::default())
}

/// Refuse `deck` unless [`super::trust::check`] accepts it.
pub fn check_deck(deck: &Path) -> Result<(), SpiceError> {
    let text = std::fs::read_to_string(deck).map_err(|e| SpiceError::Parse {
        path: deck.to_path_buf(),
        line: 0,
        msg: e.to_string(),
    })?;
    super::trust::check(&text)
        .map(|_| ())
        .map_err(|r| SpiceError::Untrusted {
            deck: deck.to_path_buf(),
            line: r.line,
            why: r.why,
        })
}

/// Run `ngspice -b DECK` in the deck's directory and read the files its `wrdata` lines write
/// (`data_file`, or `data_file.0`, `.1`, … for large decks). Unless `opt.trust`, the deck must
/// pass [`check_deck`] first; ngspice is stopped after `opt.timeout` seconds.
pub fn run_with(deck: &Path, opt: RunOptions) -> Result<Waveforms, SpiceError> {
    if !(opt.timeout.is_finite() && opt.timeout > 0.0) {
        return Err(SpiceError::Failed {
            deck: deck.to_path_buf(),
            msg: format!("timeout {} s must be positive", opt.timeout),
        });
    }
    if !opt.trust {
        check_deck(deck)?;
    }
    let data_file = &data_file_of(deck)?;
    let dir = deck
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file = deck.file_name().ok_or_else(|| SpiceError::Failed {
        deck: deck.to_path_buf(),
        msg: "not a file".into(),
    })?;
    let mut cmd = Command::new("ngspice");
    cmd.arg("-b").arg(file).current_dir(dir);
    let out = run_limited(cmd, opt.timeout).map_err(|e| match e {
        Limited::Io(e) if e.kind() == std::io::ErrorKind::NotFound => SpiceError::Missing,
        Limited::Io(e) => SpiceError::Failed {
            deck: deck.to_path_buf(),
            msg: e.to_string(),
        },
        Limited::Timeout => SpiceError::Timeout {
            deck: deck.to_path_buf(),
            seconds: opt.timeout,
        },
    })?;
    let log =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    if !out.status.success()
        || log.contains("Error")
            && !dir.join(data_file).exists()
            && !dir.join(format!("{data_file}.0")).exists()
    {
        let msg = log
            .lines()
            .filter(|l| l.contains("rror"))
            .take(3)
            .collect::<Vec<_>>()
            .join("; ");
        return Err(SpiceError::Failed {
            deck: deck.to_path_buf(),
            msg: if msg.is_empty() {
                format!("exit status {}", out.status)
            } else {
                msg
            },
        });
    }
    let single = dir.join(data_file);
    if single.exists() {
        return read_wrdata(&single);
    }
    let mut all: Option<Waveforms> = None;
    for k in 0.. {
        let p = dir.join(format!("{data_file}.{k}"));
        if !p.exists() {
            break;
        }
        let w = read_wrdata(&p)?;
        match &mut all {
            None => all = Some(w),
            Some(a) => {
                a.names.extend(w.names);
                a.values.extend(w.values);
            }
        }
    }
    all.ok_or_else(|| SpiceError::Failed {
        deck: deck.to_path_buf(),
        msg: format!("no output file {data_file} was written"),
    })
}

enum Limited {
    Io(std::io::Error),
    Timeout,
}

/// Run `cmd` in its own process group with its output captured; past `seconds` of wall time
/// the whole group is killed.
fn run_limited(mut cmd: Command, seconds: f64) -> Result<std::process::Output, Limited> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd.spawn().map_err(Limited::Io)?;
    // Readers on their own threads, so a chatty ngspice never blocks on a full pipe.
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = reader(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = reader(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds.min(1e9));
    let status = loop {
        if let Some(status) = child.try_wait().map_err(Limited::Io)? {
            break status;
        }
        if Instant::now() >= deadline {
            // The group id is the child's pid (process_group(0)); `shell` children die too.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
            return Err(Limited::Timeout);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ok(std::process::Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Parse a `wrdata` file written with `wr_singlescale` and `wr_vecnames`.
pub fn read_wrdata(path: &Path) -> Result<Waveforms, SpiceError> {
    let text = std::fs::read_to_string(path).map_err(|e| SpiceError::Parse {
        path: path.to_path_buf(),
        line: 0,
        msg: e.to_string(),
    })?;
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if header.first().map(String::as_str) != Some("time") {
        return Err(SpiceError::Parse {
            path: path.to_path_buf(),
            line: 1,
            msg: "expected a header starting with `time`".into(),
        });
    }
    let names = header[1..].to_vec();
    let mut time = Vec::new();
    let mut values = vec![Vec::new(); names.len()];
    for (ln, line) in lines.enumerate() {
        let nums: Result<Vec<f64>, _> = line.split_whitespace().map(str::parse::<f64>).collect();
        let nums = nums.map_err(|e| SpiceError::Parse {
            path: path.to_path_buf(),
            line: ln + 2,
            msg: e.to_string(),
        })?;
        if nums.len() != names.len() + 1 {
            return Err(SpiceError::Parse {
                path: path.to_path_buf(),
                line: ln + 2,
                msg: format!("{} columns, expected {}", nums.len(), names.len() + 1),
            });
        }
        time.push(nums[0]);
        for (v, x) in values.iter_mut().zip(&nums[1..]) {
            v.push(*x);
        }
    }
    Ok(Waveforms {
        time,
        names,
        values,
    })
}

/// The elements of a deck, read back: the mapping line's constants and, per element letter,
/// the node names and value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Deck {
    /// Values of the `* thermocad-mapping:` line (v0, t_unit, kT, c).
    pub mapping: HashMap<String, f64>,
    /// (name, nodes, value) of every element line; B sources carry their coefficient.
    pub elements: Vec<(String, Vec<String>, f64)>,
    /// `.ic` initial voltages by node.
    pub initial: HashMap<String, f64>,
}

/// Read a deck written by [`super::netlist::write`].
pub fn read_deck(path: &Path) -> Result<Deck, SpiceError> {
    let text = std::fs::read_to_string(path).map_err(|e| SpiceError::Parse {
        path: path.to_path_buf(),
        line: 0,
        msg: e.to_string(),
    })?;
    let bad = |line: usize, msg: String| SpiceError::Parse {
        path: path.to_path_buf(),
        line,
        msg,
    };
    let num = |s: &str, line: usize| {
        s.parse::<f64>()
            .map_err(|e| bad(line, format!("`{s}`: {e}")))
    };
    let mut deck = Deck::default();
    for (k, line) in text.lines().enumerate().skip(1) {
        let ln = k + 1;
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("* thermocad-mapping:") {
            for kv in rest.split_whitespace() {
                let (key, v) = kv
                    .split_once('=')
                    .ok_or_else(|| bad(ln, format!("`{kv}` is not key=value")))?;
                deck.mapping.insert(key.into(), num(v, ln)?);
            }
            continue;
        }
        if t.is_empty() || t.starts_with('*') {
            continue;
        }
        if let Some(rest) = t.strip_prefix(".ic ") {
            for kv in rest.split_whitespace() {
                let (node, v) = kv
                    .split_once('=')
                    .ok_or_else(|| bad(ln, format!("`{kv}`")))?;
                let node = node.trim_start_matches("v(").trim_end_matches(')');
                deck.initial.insert(node.into(), num(v, ln)?);
            }
            continue;
        }
        if t.starts_with('.') || !t.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        if t.eq_ignore_ascii_case("run")
            || t.starts_with("set ")
            || t.starts_with("option ")
            || t.starts_with("wrdata ")
            || t == "quit"
        {
            continue;
        }
        let f: Vec<&str> = t.split_whitespace().collect();
        let name = f[0].to_string();
        let (nodes, value) = match name.chars().next().map(|c| c.to_ascii_uppercase()) {
            Some('C' | 'R' | 'L') if f.len() >= 4 => {
                (vec![f[1].into(), f[2].into()], num(f[3], ln)?)
            }
            Some('G' | 'E') if f.len() >= 6 => (
                vec![f[1].into(), f[2].into(), f[3].into(), f[4].into()],
                num(f[5], ln)?,
            ),
            Some('B') if f.len() >= 6 => (vec![f[1].into(), f[2].into()], num(f[5], ln)?),
            // A held-noise PWL source (its points follow on `+` lines): value 0 like TRNOISE.
            Some('I') if f.len() >= 4 && f[3].starts_with("PWL(") => {
                (vec![f[1].into(), f[2].into()], 0.0)
            }
            Some('I') if f.len() >= 5 => (vec![f[1].into(), f[2].into()], num(f[4], ln)?),
            _ => return Err(bad(ln, format!("unsupported element line `{t}`"))),
        };
        deck.elements.push((name, nodes, value));
    }
    Ok(deck)
}
