//! The command line: bad input gives one clear error line and exit code 2.

mod common;

use common::{one_error_line, thermocad};
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn config_typo_is_one_line_naming_the_field() {
    let d = tempfile::tempdir().unwrap();
    let cfg = write(d.path(), "c.toml", "[train]\nlerning_rate = 0.1\n");
    let out = d.path().join("o").display().to_string();
    let (code, _, err) = thermocad(&["train", "--config", &cfg, "--out", &out]);
    assert_eq!(code, 2);
    let line = one_error_line(&err);
    assert!(line.contains("c.toml:2: train.lerning_rate"), "{line}");
}

#[test]
fn bad_mnist_files_are_one_line_naming_the_file() {
    let d = tempfile::tempdir().unwrap();
    let cfg = write(d.path(), "c.toml", "[data]\nsource = \"mnist\"\n");
    let out = d.path().join("o").display().to_string();
    let data = d.path().join("mnist");
    std::fs::create_dir_all(&data).unwrap();
    let data_s = data.display().to_string();
    // Missing files.
    let (code, _, err) = thermocad(&["train", "--config", &cfg, "--out", &out, "--data", &data_s]);
    assert_eq!(code, 2);
    assert!(one_error_line(&err).contains(&data_s), "{err}");
    // Wrong magic: a label file where the image file should be.
    let mut labels = vec![0u8, 0, 8, 1, 0, 0, 0, 2];
    labels.extend([0u8, 1]);
    std::fs::write(data.join("t10k-images-idx3-ubyte"), &labels).unwrap();
    std::fs::write(data.join("t10k-labels-idx1-ubyte"), &labels).unwrap();
    let (code, _, err) = thermocad(&["train", "--config", &cfg, "--out", &out, "--data", &data_s]);
    assert_eq!(code, 2);
    let line = one_error_line(&err);
    assert!(
        line.contains("t10k-images-idx3-ubyte") && line.contains("magic"),
        "{line}"
    );
    // Truncated: the header promises 2 images of 28×28, the file holds 10 bytes of pixels.
    let mut images = vec![0u8, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28];
    images.extend([0u8; 10]);
    std::fs::write(data.join("t10k-images-idx3-ubyte"), &images).unwrap();
    let (code, _, err) = thermocad(&["train", "--config", &cfg, "--out", &out, "--data", &data_s]);
    assert_eq!(code, 2);
    let line = one_error_line(&err);
    assert!(
        line.contains("t10k-images-idx3-ubyte") && line.contains("truncated"),
        "{line}"
    );
}

#[test]
fn missing_model_directory_is_one_line() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("nope").display().to_string();
    let out = d.path().join("o").display().to_string();
    let (code, _, err) = thermocad(&["sample", "--model", &missing, "--out", &out]);
    assert_eq!(code, 2, "a missing model directory is bad input: {err}");
    let line = one_error_line(&err);
    assert!(
        line.contains(&format!("{missing}/model.toml")) && line.contains("not found"),
        "{line}"
    );
}

/// Train a tiny model through the binary; `init` is the std of random initial couplings.
fn tiny_model(dir: &Path, init: f64) -> String {
    let cfg = write(
        dir,
        "tiny.toml",
        &format!(
            "[model]\nhidden = 8\ninit_scale = {init}\n[noising]\nt_eq = 0.1\nt_final = 0.2\n\
             [train]\ntrajectories = 2\nbatch = 2\nlearning_rate = 1e-6\n[data]\ndigits = [0, 1]\n"
        ),
    );
    let out = dir.join("model").display().to_string();
    let (code, _, err) = thermocad(&["train", "--config", &cfg, "--out", &out]);
    assert_eq!(code, 0, "{err}");
    out
}

#[test]
fn export_writes_a_deck_and_rejects_bad_input_in_one_line() {
    let d = tempfile::tempdir().unwrap();
    let model = tiny_model(d.path(), 0.0);
    let root = env!("CARGO_MANIFEST_DIR");
    let ideal = format!("{root}/hardware/ideal.toml");
    let deck = d.path().join("m.cir").display().to_string();
    let (code, out, err) = thermocad(&[
        "export",
        "--model",
        &model,
        "--hardware",
        &ideal,
        "--bits",
        "8",
        "--out",
        &deck,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("792 nodes"), "{out}");
    let text = std::fs::read_to_string(&deck).unwrap();
    let second = text.lines().nth(1).unwrap();
    assert!(
        second.starts_with("* thermocad-mapping: v0=")
            && second.contains(" t_unit=")
            && second.contains(" kT=")
            && second.contains(" c="),
        "{second}"
    );
    assert!(text.contains(".ic v(v0)=") && text.contains(".ic v(h7)=") && text.contains("wrdata"));
    for bits in ["0", "33"] {
        let (code, _, err) = thermocad(&[
            "export",
            "--model",
            &model,
            "--hardware",
            &ideal,
            "--bits",
            bits,
            "--out",
            &deck,
        ]);
        assert_eq!(code, 2);
        let line = one_error_line(&err);
        assert!(line.contains("--bits") && line.contains("2..=32"), "{err}");
    }
    let missing = d.path().join("nope.toml").display().to_string();
    let (code, _, err) = thermocad(&[
        "export",
        "--model",
        &model,
        "--hardware",
        &missing,
        "--out",
        &deck,
    ]);
    assert_eq!(code, 2);
    assert!(one_error_line(&err).contains("nope.toml"), "{err}");
    // Couplings far too strong for resistive coupling on discrete parts: refused with the margin.
    let d2 = tempfile::tempdir().unwrap();
    let strong = tiny_model(d2.path(), 0.5);
    let rc = format!("{root}/hardware/discrete-rc.toml");
    let (code, _, err) = thermocad(&[
        "export",
        "--model",
        &strong,
        "--hardware",
        &rc,
        "--out",
        &deck,
    ]);
    assert_eq!(code, 2);
    let line = one_error_line(&err);
    assert!(
        line.contains("too strong") && line.contains("margin"),
        "{line}"
    );
    // A non-symmetric coupling matrix in params.npz is refused, naming the file.
    let params = Path::new(&model).join("params.npz");
    let n = 792;
    let mut j = ndarray::Array2::<f32>::zeros((n, n));
    j[[0, 790]] = 0.1;
    thermocad::io::write_npz(&params, |z| {
        z.add("J", &j)?;
        z.add("b", &ndarray::Array1::<f32>::zeros(n))
    })
    .unwrap();
    let (code, _, err) = thermocad(&[
        "export",
        "--model",
        &model,
        "--hardware",
        &ideal,
        "--out",
        &deck,
    ]);
    // An inconsistent params.npz is the user's input: exit code 2.
    assert_eq!(code, 2, "{err}");
    let line = one_error_line(&err);
    assert!(
        line.contains("params.npz") && line.contains("not symmetric"),
        "{line}"
    );
}

#[test]
fn init_writes_a_reference_model_that_exports() {
    let d = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let model = d.path().join("two").display().to_string();
    let (code, out, err) = thermocad(&[
        "init",
        "--config",
        &format!("{root}/netlists/two-unit.toml"),
        "--out",
        &model,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2-unit"), "{out}");
    let deck = d.path().join("two.cir").display().to_string();
    let (code, _, err) = thermocad(&[
        "export",
        "--model",
        &model,
        "--hardware",
        &format!("{root}/hardware/ideal.toml"),
        "--out",
        &deck,
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&deck).unwrap();
    assert_eq!(text.lines().filter(|l| l.starts_with(".ic ")).count(), 2);
    assert_eq!(
        text.lines().filter(|l| l.starts_with('G')).count(),
        2,
        "one VCCS per coupling direction"
    );
    // Without model.visible there is nothing to build.
    let cfg = write(d.path(), "nv.toml", "[model]\nhidden = 3\n");
    let (code, _, err) = thermocad(&["init", "--config", &cfg, "--out", &model]);
    assert_eq!(code, 2);
    assert!(one_error_line(&err).contains("model.visible"), "{err}");
}

#[test]
fn energy_writes_its_report_and_rejects_bad_tables_in_one_line() {
    let d = tempfile::tempdir().unwrap();
    let model = tiny_model(d.path(), 0.0);
    let root = env!("CARGO_MANIFEST_DIR");
    let out = d.path().join("energy").display().to_string();
    let rc = format!("{root}/hardware/discrete-rc.toml");
    let (code, stdout, err) = thermocad(&[
        "energy",
        "--model",
        &model,
        "--hardware",
        &rc,
        "--samples",
        "20",
        "--forward",
        "2",
        "--out",
        &out,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("paper: 5.280e14 kT"), "{stdout}");
    for f in ["energy.md", "energy.csv", "energy.png"] {
        assert!(Path::new(&out).join(f).exists(), "{f}");
    }
    let md = std::fs::read_to_string(Path::new(&out).join("energy.md")).unwrap();
    assert!(
        md.contains("| budget | kT | J | part | evidence | Σ | formula | inputs |"),
        "{md}"
    );
    assert!(md.contains("circuit discrete-rc: buffers (static)"), "{md}");
    let (code, _, err) = thermocad(&[
        "energy",
        "--model",
        &model,
        "--samples-per-program",
        "0",
        "--out",
        &out,
        "--force",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        one_error_line(&err).contains("--samples-per-program"),
        "{err}"
    );
    let table = std::fs::read_to_string(format!("{root}/hardware/digital-energy.toml")).unwrap();
    let cases = [
        (
            table.replacen("add_pj = 0.9", "add_pj = -0.9", 1),
            vec![],
            "precision.fp32.add_pj",
        ),
        (
            table.clone(),
            vec!["--precision", "fp64"],
            "budget.precision",
        ),
        (
            table.replacen("layers = [784, 128, 128, 784]", "layers = []", 1),
            vec![],
            "mlp.layers",
        ),
    ];
    for (text, extra, field) in cases {
        let bad = write(d.path(), "bad-digital.toml", &text);
        let mut args = vec![
            "energy",
            "--model",
            &model,
            "--digital",
            &bad,
            "--out",
            &out,
        ];
        args.extend(extra);
        let (code, _, err) = thermocad(&args);
        assert_eq!(code, 2, "{err}");
        let line = one_error_line(&err);
        assert!(
            line.contains("bad-digital.toml") && line.contains(field),
            "{line}"
        );
    }
}

#[test]
fn sample_reference_digits_are_checked_in_one_line() {
    let d = tempfile::tempdir().unwrap();
    let model = tiny_model(d.path(), 0.0);
    let out = d.path().join("s").display().to_string();
    let judge = d.path().join("judge.npz").display().to_string();
    for (extra, needle) in [
        (
            vec!["--reference-digits", "0-9"],
            "needs the digit-classifier judge",
        ),
        (
            vec!["--reference-digits", "0-10", "--classifier", &judge],
            "expected digits 0-9",
        ),
        (
            vec!["--reference-digits", "3-1", "--classifier", &judge],
            "expected digits 0-9",
        ),
        (
            vec!["--reference-digits", "a", "--classifier", &judge],
            "expected digits 0-9",
        ),
    ] {
        let mut a = vec!["sample", "--model", &model, "--out", &out];
        a.extend(extra);
        let (code, _, err) = thermocad(&a);
        assert_eq!(code, 2, "{a:?}: {err}");
        let line = one_error_line(&err);
        assert!(
            line.contains("--reference-digits") && line.contains(needle),
            "{line}"
        );
    }
    assert!(!Path::new(&out).exists() && !Path::new(&judge).exists());
}

/// `thermocad sample … | head` must not panic when the reader closes the pipe early: the
/// process ends as Unix filters do (SIGPIPE), with nothing on stderr.
#[cfg(unix)]
#[test]
fn a_closed_output_pipe_ends_the_run_without_a_panic() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    let d = tempfile::tempdir().unwrap();
    let model = tiny_model(d.path(), 0.0);
    let out = d.path().join("s").display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_thermocad"))
        .args(["sample", "--model", &model, "--n", "3", "--out", &out])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away before the first line
    let res = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        res.status.success() || res.status.signal() == Some(libc::SIGPIPE),
        "{:?}: {err}",
        res.status
    );
}
