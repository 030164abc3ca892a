//! Tolerance studies end to end: determinism across threads, shards merged bit for bit,
//! resume, and one clear error line for impossible settings.

mod common;

use common::thermocad;
use std::path::{Path, PathBuf};

/// An untrained 784 + 16 unit model on the synthetic digits with a short generation time.
fn model(dir: &Path) -> String {
    common::init_model(dir, 0.05)
}

fn study(model: &str, out: &Path, extra: &[&str]) -> (i32, String, String) {
    let hw = Path::new(env!("CARGO_MANIFEST_DIR")).join("hardware/gm-c.toml");
    let mut args = vec![
        "tolerance",
        "--model",
        model,
        "--hardware",
        hw.to_str().unwrap(),
        "--chips",
        "3",
        "--samples",
        "6",
        "--heldout",
        "2",
        "--resamples",
        "20",
        "--out",
        out.to_str().unwrap(),
    ];
    if !extra.contains(&"--sweep") {
        args.extend(["--sweep", "bits=3..5"]);
    }
    args.extend_from_slice(extra);
    thermocad(&args)
}

fn csv(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("tolerance.csv")).unwrap()
}

#[test]
fn studies_are_deterministic_shardable_and_resumable() {
    let d = tempfile::tempdir().unwrap();
    let m = model(d.path());
    let p = |s: &str| -> PathBuf { d.path().join(s) };
    let (code, out, err) = study(&m, &p("one"), &["--threads", "1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("10 tasks"), "{out}");
    for f in ["tolerance.png", "yield.png", "summary.md", "study.toml"] {
        assert!(p("one").join(f).exists(), "{f}");
    }
    let reference = csv(&p("one"));
    assert_eq!(
        reference.lines().count(),
        11,
        "header + ideal + 3 bits × 3 chips"
    );

    assert!(out.contains("digit classifier:"), "{out}");
    // Later runs reuse the classifier the first one trained and cached.
    let cls = p("one").join("classifier.npz");
    let cls = cls.to_str().unwrap();
    let (code, _, err) = study(&m, &p("two"), &["--threads", "2", "--classifier", cls]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(csv(&p("two")), reference, "1 vs 2 threads");

    for k in ["1/3", "2/3", "3/3"] {
        let dir = format!("shard{}", &k[..1]);
        let (code, out, err) = study(&m, &p(&dir), &["--shard", k, "--classifier", cls]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("thermocad merge"), "{out}");
    }
    let merge = |shards: &[&str]| {
        let out = p("merged");
        let dirs: Vec<PathBuf> = shards.iter().map(|s| p(s)).collect();
        let mut args = vec!["merge", "--out", out.to_str().unwrap()];
        args.extend(dirs.iter().map(|d| d.to_str().unwrap()));
        thermocad(&args)
    };
    let (code, _, err) = merge(&["shard1", "shard2"]);
    assert_eq!(code, 2, "a shard is missing");
    assert!(err.contains("missing"), "{err}");
    let (code, _, err) = merge(&["shard1", "shard2", "shard3"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(csv(&p("merged")), reference, "merged shards = single run");

    // A run cut short: keep the header and the first four rows, then resume.
    let cut: Vec<&str> = reference.lines().take(5).collect();
    std::fs::create_dir_all(p("resumed")).unwrap();
    std::fs::copy(p("one").join("study.toml"), p("resumed").join("study.toml")).unwrap();
    std::fs::write(p("resumed").join("tolerance.csv"), cut.join("\n") + "\n").unwrap();
    let (code, out, err) = study(&m, &p("resumed"), &["--classifier", cls]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("(4 resumed)"), "{out}");
    assert_eq!(csv(&p("resumed")), reference, "resumed = uninterrupted");

    // Another study in the same directory is refused.
    let (code, _, err) = study(
        &m,
        &p("one"),
        &["--sweep", "bits=6..7", "--classifier", cls],
    );
    assert_eq!(code, 2);
    assert!(err.contains("another study"), "{err}");
}

#[test]
fn impossible_settings_are_one_line() {
    let d = tempfile::tempdir().unwrap();
    let m = model(d.path());
    let out = d.path().join("o");
    for (args, says) in [
        (vec!["--sweep", "bits=0..4"], "bit width must be in 2..=32"),
        (vec!["--sweep", "tolerance=-0.01,0.02"], "fraction"),
        (vec!["--sweep", "tolerance=0..0.1"], "number of points"),
        (vec!["--shard", "3/2"], "1 ≤ K ≤ M"),
        (vec!["--shard", "0/2"], "1 ≤ K ≤ M"),
        (vec!["--yield-threshold", "1.5"], "--yield-threshold"),
        (vec!["--sweep", "input_bits=4"], "applies to classifiers"),
    ] {
        let (code, _, err) = study(&m, &out, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "{err}");
        assert!(
            lines[0].starts_with("thermocad: error: ") && lines[0].contains(says),
            "{args:?}: {err}"
        );
    }
}
