//! Claiming an output: the one rule every command that writes follows. An output directory
//! that already holds files, or an output file that already exists, is refused unless the
//! command was given `--force`; the check runs before anything is written. `--force` never
//! deletes anything: files the command writes are replaced (atomically), others are kept.

use crate::error::{io_err, Error, Result};
use std::path::{Path, PathBuf};

/// Make `dir` the output directory of `command`: refused when it exists and is not empty
/// (unless `force`), or when it is a file; created otherwise.
pub fn claim_dir(dir: &Path, force: bool, command: &str) -> Result<()> {
    if dir.is_file() {
        return Err(Error::Exists(format!(
            "{command} --out {}: is a file, not a directory",
            dir.display()
        )));
    }
    if !force && non_empty(dir)? {
        return Err(Error::Exists(format!(
            "{command} --out {}: the directory already holds files (a model or run); choose another --out or pass --force to overwrite",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(io_err(dir))
}

/// Make `file` the output file of `command`: refused when it exists (unless `force`) or is a
/// directory. `protected` lists files the output must never replace, even with `--force`
/// (e.g. the inputs the command reads).
pub fn claim_file(file: &Path, force: bool, command: &str, protected: &[PathBuf]) -> Result<()> {
    if file.is_dir() {
        return Err(Error::Exists(format!(
            "{command} --out {}: is a directory, not a file",
            file.display()
        )));
    }
    if let Some(p) = protected.iter().find(|p| same_path(p, file)) {
        return Err(Error::Exists(format!(
            "{command} --out {}: would overwrite the input {}",
            file.display(),
            p.display()
        )));
    }
    if !force && file.exists() {
        return Err(Error::Exists(format!(
            "{command} --out {}: the file already exists; choose another --out or pass --force to overwrite",
            file.display()
        )));
    }
    Ok(())
}

/// Whether two paths name the same file or directory (by canonical path when both exist).
pub fn same_path(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Whether `dir` exists and holds at least one entry.
fn non_empty(dir: &Path) -> Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut it) => Ok(it.next().is_some()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_err(dir)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_empty_dir_refused_without_force() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("o");
        claim_dir(&out, false, "t").unwrap();
        claim_dir(&out, false, "t").unwrap(); // empty: fine
        std::fs::write(out.join("x"), "1").unwrap();
        let e = claim_dir(&out, false, "t").unwrap_err();
        assert!(matches!(e, Error::Exists(_)), "{e}");
        claim_dir(&out, true, "t").unwrap();
        assert!(out.join("x").exists());
    }

    #[test]
    fn file_refused_and_inputs_protected() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("a.cir");
        claim_file(&f, false, "t", &[]).unwrap();
        std::fs::write(&f, "x").unwrap();
        assert!(claim_file(&f, false, "t", &[]).is_err());
        claim_file(&f, true, "t", &[]).unwrap();
        let alias = d.path().join(".").join("a.cir");
        assert!(claim_file(&f, true, "t", &[alias]).is_err());
    }
}
