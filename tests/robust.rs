//! Robustness (issue 14): no overwrite without --force, sizes refused before allocating,
//! non-finite values named, exit codes, resume fingerprints, torn CSV lines, teach resume.

mod common;

use common::{one_error_line, thermocad};
use std::collections::BTreeMap;
use std::path::Path;
use thermocad::tolerance::quality::Estimate;
use thermocad::tolerance::table::{self, Row, Workload};

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn root(p: &str) -> String {
    format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))
}

/// `thermocad ARGS` must fail with exit 2 and one line containing every one of `needles`.
fn refused(args: &[&str], needles: &[&str]) -> String {
    let (code, _, err) = thermocad(args);
    assert_eq!(code, 2, "{args:?}: {err}");
    let line = one_error_line(&err).to_string();
    for n in needles {
        assert!(line.contains(n), "{args:?}: `{n}` missing in {line}");
    }
    line
}

const TINY: &str = "[model]\nhidden = 8\n[noising]\nt_eq = 0.1\nt_final = 0.2\n\
     [train]\ntrajectories = 2\nbatch = 2\nlearning_rate = 1e-6\n[data]\ndigits = [0, 1]\n";

#[test]
fn nothing_is_overwritten_without_force() {
    let d = tempfile::tempdir().unwrap();
    let two = root("netlists/two-unit.toml");
    let model = d.path().join("two").display().to_string();
    assert_eq!(thermocad(&["init", "--config", &two, "--out", &model]).0, 0);
    let params = Path::new(&model).join("params.npz");
    let before = std::fs::read(&params).unwrap();
    refused(
        &["init", "--config", &two, "--out", &model],
        &["--force", &model],
    );
    // A deck: refused over an existing file, written with --force; never over the model.
    let ideal = root("hardware/ideal.toml");
    let deck = d.path().join("two.cir").display().to_string();
    let export = |out: &str, force: bool| {
        let mut a = vec![
            "export",
            "--model",
            &model,
            "--hardware",
            &ideal,
            "--out",
            out,
        ];
        if force {
            a.push("--force");
        }
        thermocad(&a)
    };
    assert_eq!(export(&deck, false).0, 0);
    let (code, _, err) = export(&deck, false);
    assert_eq!(code, 2);
    assert!(one_error_line(&err).contains("already exists"), "{err}");
    assert_eq!(export(&deck, true).0, 0, "--force overwrites the deck");
    let p = params.display().to_string();
    let (code, _, err) = export(&p, true);
    assert_eq!(code, 2);
    assert!(one_error_line(&err).contains("would overwrite the input"));
    assert_eq!(std::fs::read(&params).unwrap(), before, "params.npz intact");
    assert!(
        !Path::new(&format!("{deck}.tmp")).exists(),
        "no temp file left"
    );
    // `train` over a model directory without a checkpoint.
    let cfg = write(d.path(), "tiny.toml", TINY);
    refused(&["train", "--config", &cfg, "--out", &model], &["--force"]);
    assert_eq!(std::fs::read(&params).unwrap(), before, "params.npz intact");
    // --force replaces the model.
    assert_eq!(
        thermocad(&["init", "--config", &two, "--out", &model, "--force"]).0,
        0
    );
}

#[test]
fn sizes_steps_and_threads_are_refused_before_running() {
    let d = tempfile::tempdir().unwrap();
    let cfg = write(d.path(), "tiny.toml", TINY);
    let out = d.path().join("o").display().to_string();
    let train = |set: &str| {
        refused(
            &["train", "--config", &cfg, "--out", &out, "--set", set],
            &[],
        )
    };
    assert!(train("model.hidden=1000000000").contains("would need"));
    assert!(train("data.per_class=1000000000").contains("would need"));
    assert!(train("noising.t_final=1e12").contains("integration steps"));
    assert!(train("model.dt=1e-300").contains("integration steps"));
    assert!(train("train.threads=100000").contains("limit is 1024"));
    assert!(train("model.init_scale=1e30").contains("unstable"));
    assert!(!Path::new(&out).exists(), "nothing written");
    // A small model for the commands that load one.
    let two = root("netlists/two-unit.toml");
    let model = d.path().join("two").display().to_string();
    assert_eq!(thermocad(&["init", "--config", &two, "--out", &model]).0, 0);
    let s = d.path().join("s").display().to_string();
    let line = refused(
        &[
            "sample",
            "--model",
            &model,
            "--n",
            "18446744073709551615",
            "--out",
            &s,
        ],
        &["would need"],
    );
    assert!(line.contains("bytes of memory"), "{line}");
    refused(
        &[
            "sample",
            "--model",
            &model,
            "--n",
            "100000000000",
            "--out",
            &s,
        ],
        &["--n"],
    );
    refused(
        &[
            "energy",
            "--model",
            &model,
            "--samples",
            "1000000000000",
            "--out",
            &s,
        ],
        &["--samples"],
    );
    let ideal = root("hardware/ideal.toml");
    let deck = d.path().join("d.cir").display().to_string();
    for (t, what) in [
        ("0", "positive"),
        ("-1", "positive"),
        ("NaN", "positive"),
        ("1e12", "integration steps"),
    ] {
        let t = format!("--t={t}");
        refused(
            &[
                "export",
                "--model",
                &model,
                "--hardware",
                &ideal,
                &t,
                "--out",
                &deck,
            ],
            &["--t", what],
        );
    }
    let tol = d.path().join("tol").display().to_string();
    for (flag, value, needle) in [
        ("--chips", "1000000000", "--chips"),
        ("--sweep", "mismatch=0..1/1000000000", "at most"),
        ("--resamples", "0", "--resamples"),
    ] {
        let mut args = vec![
            "tolerance",
            "--model",
            &model,
            "--hardware",
            &ideal,
            "--out",
            &tol,
            flag,
            value,
        ];
        if flag != "--sweep" {
            args.extend(["--sweep", "bits=3..4"]);
        }
        refused(&args, &[needle]);
    }
    assert!(!Path::new(&s).exists() && !Path::new(&tol).exists());
}

#[test]
fn non_finite_parameters_name_the_array_and_index() {
    let d = tempfile::tempdir().unwrap();
    let model = d.path().join("two").display().to_string();
    let two = root("netlists/two-unit.toml");
    assert_eq!(thermocad(&["init", "--config", &two, "--out", &model]).0, 0);
    let params = Path::new(&model).join("params.npz");
    let write_params = |j: ndarray::Array2<f32>, b: [f32; 2]| {
        thermocad::io::write_npz(&params, |z| {
            z.add("J", &j)?;
            z.add("b", &ndarray::Array1::from(b.to_vec()))
        })
        .unwrap();
    };
    write_params(ndarray::Array2::zeros((2, 2)), [0.0, f32::INFINITY]);
    let out = d.path().join("s").display().to_string();
    let args = ["sample", "--model", &model, "--n", "2", "--out", &out];
    refused(&args, &["params.npz", "b[1] = inf", "not finite"]);
    // Couplings so strong that the dynamics blow up: the samples are refused, not written.
    let mut j = ndarray::Array2::zeros((2, 2));
    j[[0, 1]] = 1e30;
    j[[1, 0]] = 1e30;
    write_params(j, [0.0, 0.0]);
    refused(&args, &["samples[", "not finite"]);
    assert!(!Path::new(&out).join("samples.npy").exists());
}

#[test]
fn missing_inputs_exit_2_with_the_cause_once() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("nope").display().to_string();
    let out = d.path().join("o").display().to_string();
    let line = refused(
        &["sample", "--model", &missing, "--out", &out],
        &[&missing, "model.toml: not found"],
    );
    assert_eq!(line.matches("not found").count(), 1, "{line}");
    assert!(!line.contains("os error"), "{line}");
    let line = refused(
        &[
            "export",
            "--model",
            &missing,
            "--hardware",
            &missing,
            "--out",
            &out,
        ],
        &["nope", "not found"],
    );
    assert_eq!(line.matches("not found").count(), 1, "{line}");
    assert!(!line.contains("os error"), "{line}");
    // An I/O error that is printed with its cause prints the cause once.
    let line = refused(
        &["train", "--config", &missing, "--out", &out],
        &["nope", "No such file or directory"],
    );
    assert_eq!(line.matches("No such file").count(), 1, "{line}");
}

/// Two IDX data sets of 20 synthetic-looking images (digits 0, 1), differing in one pixel.
fn idx_sets(dir: &Path) -> (String, String) {
    let mut names = Vec::new();
    for (k, tweak) in [(0, 0u8), (1, 1u8)] {
        let d = dir.join(format!("data{k}"));
        std::fs::create_dir_all(&d).unwrap();
        let mut images = ndarray::Array3::<u8>::from_shape_fn((20, 28, 28), |(i, r, c)| {
            ((i * 31 + r * 7 + c * 3) % 256) as u8
        });
        images[[3, 10, 10]] = images[[3, 10, 10]].wrapping_add(tweak);
        let labels: Vec<u8> = (0..20).map(|i| (i % 2) as u8).collect();
        thermocad::data::idx::write_idx_images(&d.join("t10k-images-idx3-ubyte"), &images).unwrap();
        thermocad::data::idx::write_idx_labels(&d.join("t10k-labels-idx1-ubyte"), &labels).unwrap();
        names.push(d.display().to_string());
    }
    (names[0].clone(), names[1].clone())
}

#[test]
fn resume_refuses_other_training_data() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = idx_sets(d.path());
    let cfg = write(
        d.path(),
        "m.toml",
        "[model]\nhidden = 4\n[noising]\nt_eq = 0.1\nt_final = 0.2\n[train]\ntrajectories = 2\n\
         batch = 2\nlearning_rate = 1e-6\n[data]\nsource = \"mnist\"\ndigits = [0, 1]\nper_class = 5\n",
    );
    let out = d.path().join("run").display().to_string();
    let run = |data: &str, n: &str, resume: bool| {
        let mut args = vec![
            "train", "--config", &cfg, "--out", &out, "--data", data, "--set", n,
        ];
        if resume {
            args.push("--resume");
        }
        thermocad(&args)
    };
    assert_eq!(run(&a, "train.trajectories=2", false).0, 0);
    let (code, _, err) = run(&b, "train.trajectories=4", true);
    assert_eq!(code, 2, "{err}");
    let line = one_error_line(&err);
    assert!(
        line.contains("other data") && line.contains("hash"),
        "{line}"
    );
    assert_eq!(
        run(&a, "train.trajectories=4", true).0,
        0,
        "same data resumes"
    );
}

fn row(task: usize) -> Row {
    let e = Estimate {
        value: 0.5 + task as f64,
        lo: 0.25,
        hi: 0.75,
    };
    Row {
        task,
        value: (task > 0).then_some(0.1 * task as f64),
        chip: task,
        metrics: vec![Some(e); Workload::Generation.metrics().len()],
        classes: vec![None; 10],
    }
}

#[test]
fn a_torn_last_csv_line_is_dropped_and_its_task_recomputed() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("tolerance.csv");
    let rows: BTreeMap<usize, Row> = (0..3).map(|t| (t, row(t))).collect();
    table::write(&path, Workload::Generation, &rows).unwrap();
    let whole = std::fs::read_to_string(&path).unwrap();
    // A copy of the file cut in the middle of its last line.
    let cut = whole.len() - 7;
    std::fs::write(&path, &whole[..cut]).unwrap();
    let read = table::read(&path, Workload::Generation).unwrap();
    assert_eq!(read.keys().copied().collect::<Vec<_>>(), vec![0, 1]);
    assert_eq!(read[&1], rows[&1]);
    // Complete lines are all kept; a bad complete line is still an error naming the line.
    std::fs::write(&path, &whole).unwrap();
    assert_eq!(table::read(&path, Workload::Generation).unwrap(), rows);
    std::fs::write(&path, whole.replace("1.5,", "x,")).unwrap();
    let e = table::read(&path, Workload::Generation)
        .unwrap_err()
        .to_string();
    assert!(e.contains("tolerance.csv:3"), "{e}");
}

const TEACH: &str = r#"[model]
kt = 1.0
[[model.groups]]
name = "input"
size = 784
clamped = true
[[model.groups]]
name = "hidden"
size = 8
[[model.groups]]
name = "output"
size = 10
[[model.couplings]]
between = ["input", "hidden"]
[[model.couplings]]
between = ["hidden", "output"]
[teach]
train_images = 60
test_images = 40
teacher_epochs = 2
eval_images = 20
input_norm = 30.0
[train]
trajectories = 40
batch = 10
learning_rate = 5e-3
checkpoint_every = 10
[data]
source = "synthetic"
digits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
per_class = 10
"#;

#[test]
fn teach_resumed_after_a_lost_row_gives_the_same_accuracy_curve() {
    let d = tempfile::tempdir().unwrap();
    let cfg = write(d.path(), "t.toml", TEACH);
    let full = d.path().join("full").display().to_string();
    let (code, _, err) = thermocad(&["teach", "--config", &cfg, "--out", &full]);
    assert_eq!(code, 0, "{err}");
    let reference = std::fs::read_to_string(Path::new(&full).join("accuracy.csv")).unwrap();
    assert_eq!(reference.lines().count(), 5, "header + 4 rows: {reference}");
    // Half the run, then a kill between the checkpoint and its accuracy row (the old order).
    let part = d.path().join("part").display().to_string();
    let set = "train.trajectories=20";
    let (code, _, err) = thermocad(&["teach", "--config", &cfg, "--out", &part, "--set", set]);
    assert_eq!(code, 0, "{err}");
    let acc = Path::new(&part).join("accuracy.csv");
    let text = std::fs::read_to_string(&acc).unwrap();
    let lost: Vec<&str> = text.lines().take(text.lines().count() - 1).collect();
    std::fs::write(&acc, lost.join("\n") + "\n").unwrap();
    // …and a row beyond the checkpoint (the new order killed before the checkpoint).
    let mut extra = std::fs::read_to_string(&acc).unwrap();
    extra.push_str("30,0.9999\n");
    std::fs::write(&acc, &extra).unwrap();
    let (code, _, err) = thermocad(&["teach", "--config", &cfg, "--out", &part, "--resume"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(&acc).unwrap(), reference);
    // An existing run is refused before anything is written (teacher files untouched).
    let teacher = std::fs::read(Path::new(&full).join("teacher.npz")).unwrap();
    refused(
        &["teach", "--config", &cfg, "--out", &full],
        &["--resume", "--force"],
    );
    assert_eq!(
        std::fs::read(Path::new(&full).join("teacher.npz")).unwrap(),
        teacher
    );
}
