//! A study directory: its `study.toml` (what the study is, so a resumed run or a shard can be
//! checked against it), its `tolerance.csv` (one row per finished task, rewritten atomically
//! after each), the cached digit classifier, the scheduling of a shard's remaining tasks, and
//! the merge of shards into the single-machine result (byte-identical, tests/tolerance.rs).

use super::sweep::Sweep;
use super::table::{self, Row};
use super::{report, Shard, Study, StudyError, StudySpec};
use crate::error::{io_err, Error, Result};
use crate::linalg::Parallelism;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Name of the study description in a study directory.
pub const STUDY_TOML: &str = "study.toml";
/// Name of the results table.
pub const TOLERANCE_CSV: &str = "tolerance.csv";

/// Name of the cached digit classifier in a study directory.
pub const CLASSIFIER_NPZ: &str = "classifier.npz";

/// The bytes of `path` (for fingerprints).
pub fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(io_err(path))
}

/// Fingerprint of a trained model directory: its params.npz and model.toml.
pub fn model_fingerprint(model: &Path) -> Result<String> {
    Ok(super::fingerprint([
        read_bytes(&model.join("params.npz"))?.as_slice(),
        read_bytes(&model.join("model.toml"))?.as_slice(),
    ]))
}

/// Write `study.toml`, or check that the one present describes the same study.
pub fn claim(dir: &Path, spec: &StudySpec) -> Result<()> {
    let path = dir.join(STUDY_TOML);
    if path.exists() {
        let old = read_spec(&path)?;
        if &old != spec {
            return Err(StudyError::Mismatch {
                    path: path.display().to_string(),
                    why: "holds another study (different model, hardware, sweep or settings); choose another --out".into(),
                }
                .into());
        }
        return Ok(());
    }
    let text = toml::to_string(spec).map_err(|e| Error::Serialize {
        what: STUDY_TOML.into(),
        why: e.to_string(),
    })?;
    crate::io::write_atomic(&path, |w| {
        std::io::Write::write_all(w, text.as_bytes()).map_err(io_err(&path))
    })
}

/// Read a study directory's `study.toml`.
pub fn read_spec(path: &Path) -> Result<StudySpec> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    toml::from_str(&text).map_err(|e| Error::Malformed {
        path: path.display().to_string(),
        why: e.message().to_string(),
    })
}

/// The plots' title: the profile name and the swept key.
pub fn title(spec: &StudySpec) -> String {
    let hw = spec.hardware.split_whitespace().next().unwrap_or("?");
    format!(
        "{hw}, sweep {}",
        spec.sweep.split('=').next().unwrap_or("?")
    )
}

/// The tasks of `shard` and, of those, the ones `done` does not hold yet (in task order).
pub fn pending(
    spec: &StudySpec,
    sweep: &Sweep,
    shard: Shard,
    done: &BTreeMap<usize, Row>,
) -> (Vec<usize>, Vec<usize>) {
    let owned: Vec<usize> = (0..spec.tasks(sweep)).filter(|&t| shard.owns(t)).collect();
    let todo = owned
        .iter()
        .copied()
        .filter(|t| !done.contains_key(t))
        .collect();
    (owned, todo)
}

/// Run the tasks `todo` of `study` in parallel on `par` (each chip single-threaded), adding
/// each finished row to `done` and rewriting `csv` atomically after every task, so an
/// interrupted run resumes where it stopped; `on_task` is called once per finished task.
pub fn run_tasks(
    study: &Study<'_>,
    todo: &[usize],
    done: BTreeMap<usize, Row>,
    csv: &Path,
    par: Parallelism,
    on_task: impl Fn() + Sync,
) -> Result<BTreeMap<usize, Row>> {
    let workload = study.spec.workload;
    let rows = Mutex::new(done);
    par.install(|| {
        todo.par_iter().try_for_each(|&t| -> Result<()> {
            let row = study.run_task(t)?;
            let mut rows = rows.lock().expect("no task panics while holding the lock");
            rows.insert(t, row);
            table::write(csv, workload, &rows)?;
            on_task();
            Ok(())
        })
    })?;
    Ok(rows.into_inner().expect("lock released"))
}

/// Merge the study directories `inputs` (shards of one study) into `out`: the same
/// `tolerance.csv`, plots and summary as a single-machine run.
pub fn merge(inputs: &[PathBuf], out: &Path, force: bool) -> Result<String> {
    let first = inputs.first().ok_or_else(|| StudyError::Setting {
        field: "merge".into(),
        message: "give at least one study directory".into(),
    })?;
    let spec = read_spec(&first.join(STUDY_TOML))?;
    let mut rows: BTreeMap<usize, Row> = BTreeMap::new();
    let workload = spec.workload;
    for dir in inputs {
        let path = dir.join(STUDY_TOML);
        if read_spec(&path)? != spec {
            return Err(StudyError::Mismatch {
                path: path.display().to_string(),
                why: format!("is another study than {}", first.join(STUDY_TOML).display()),
            }
            .into());
        }
        for (t, r) in table::read(&dir.join(TOLERANCE_CSV), workload)? {
            if let Some(old) = rows.get(&t) {
                if old != &r {
                    return Err(StudyError::Mismatch {
                        path: dir.join(TOLERANCE_CSV).display().to_string(),
                        why: format!("task {t} differs from the same task in another shard"),
                    }
                    .into());
                }
            }
            rows.insert(t, r);
        }
    }
    let sweep = Sweep::parse(&spec.sweep)?;
    let total = spec.tasks(&sweep);
    let missing: Vec<usize> = (0..total).filter(|t| !rows.contains_key(t)).collect();
    if !missing.is_empty() {
        return Err(StudyError::Setting {
            field: "merge".into(),
            message: format!(
                "{} of {total} tasks are missing (first: task {}); run the remaining shards",
                missing.len(),
                missing[0]
            ),
        }
        .into());
    }
    if let Some(d) = inputs.iter().find(|d| crate::rundir::same_path(d, out)) {
        return Err(Error::Exists(format!(
            "merge --out {}: is one of the input shards ({}); choose another --out",
            out.display(),
            d.display()
        )));
    }
    if !out.join(STUDY_TOML).exists() || force {
        crate::rundir::claim_dir(out, force, "merge")?;
    } else {
        return Err(Error::Exists(format!(
            "merge --out {}: already holds a study; choose another --out or pass --force to overwrite",
            out.display()
        )));
    }
    claim(out, &spec)?;
    table::write(&out.join(TOLERANCE_CSV), workload, &rows)?;
    report::write(
        out,
        &sweep,
        workload,
        &rows,
        spec.yield_threshold,
        &title(&spec),
    )
}
