//! Helpers shared by the command-line tests.

use std::process::Command;

/// Run the thermocad binary: (exit code, stdout, stderr).
pub fn thermocad(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_thermocad"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The single `thermocad: error: …` line of `stderr`.
pub fn one_error_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one line: {stderr:?}");
    assert!(lines[0].starts_with("thermocad: error: "), "{stderr}");
    lines[0]
}
