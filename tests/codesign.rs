//! Hardware-aware training (issue 12, first slice): a profile's realisability limits hold
//! after every optimizer step, training without them is unchanged, and bad input is refused.

mod common;

use std::path::{Path, PathBuf};
use thermocad::config::{check, parse, Config};
use thermocad::data::select::training_set;
use thermocad::hardware::profile::{load_profile, parse_profile};
use thermocad::linalg::Parallelism;
use thermocad::model::build::{build, load_dir};
use thermocad::model::Physics;
use thermocad::train::codesign;
use thermocad::train::generative::Generative;
use thermocad::train::optim::Optimizer;
use thermocad::train::{Executor, TrainState};
use thermocad::workflow::train::{run, TrainJob};

const TINY: &str = r#"
[model]
hidden = 16
[noising]
t_eq = 0.2
t_final = 0.3
[train]
trajectories = 48
batch = 6
optimizer = "adam"
learning_rate = 0.1
checkpoint_every = 6
threads = 2
[data]
source = "synthetic"
digits = [0, 1]
per_class = 2
"#;

const N: usize = 784 + 16;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// hardware/gm-c.toml with `limits` added to its [coupling] section, written into `dir`.
fn profile_with(dir: &Path, name: &str, limits: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join("hardware/gm-c.toml")).unwrap();
    let text = text.replacen("[coupling]\n", &format!("[coupling]\n{limits}"), 1);
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn hardware_set(profile: &Path) -> String {
    format!(
        "hardware.profile={}",
        toml::Value::String(profile.display().to_string())
    )
}

fn config(sets: &[String]) -> Config {
    let raw = parse("tiny", TINY, sets, &[]).unwrap();
    check(raw, "tiny", TINY).unwrap()
}

fn job(out: &Path, sets: &[String], resume: bool) -> TrainJob {
    common::train_job(config(sets), out, resume)
}

fn params(dir: &Path) -> thermocad::model::Params<f32> {
    common::saved_params(dir, N)
}

/// Fan-in 2 and compensation 0.5 (load L = 2·J2·0.5 = 1 for J2 = 1) hold exactly after every
/// optimizer step, and both bind: without the projection the same run breaks them.
#[test]
fn every_step_respects_fan_in_and_compensation() {
    let d = tempfile::tempdir().unwrap();
    let prof = profile_with(
        d.path(),
        "p.toml",
        "max_fan_in = 2\nmax_compensation = 0.5\n",
    );
    let cfg = config(&[hardware_set(&prof)]);
    let c = codesign::constraints(cfg.hardware.as_ref(), &cfg.model.physics)
        .unwrap()
        .unwrap();
    assert_eq!(c.max_fan_in(), Some(2));
    assert_eq!(c.max_load(), Some(1.0));
    assert_eq!(c.j_max(), None);

    let digits = training_set(&cfg.data, None).unwrap();
    let images = digits.standardised();
    let train = |constraints| {
        let computer = build(&cfg.model, digits.pixels(), cfg.train.seed).unwrap();
        let mask = computer.topology.mask().clone();
        let mut state = TrainState {
            optimizer: Optimizer::new(cfg.train.optimizer, computer.n()),
            computer,
            done: 0,
            history: Vec::new(),
        };
        let mut objective = Generative::new(&images, 16, cfg.noising.clone(), cfg.train.seed);
        let exec = Executor {
            total: 48,
            batch: 6,
            checkpoint_every: 6,
            par: Parallelism::new(2),
            progress: false,
            constraints,
        };
        let mut worst = Vec::new();
        exec.run(&mut objective, &mut state, &mut |s| {
            worst.push(c.violation(s.computer.params.j.view(), mask.view()));
            Ok(())
        })
        .unwrap();
        (worst, state.computer.params.j)
    };
    let (worst, j) = train(Some(c));
    assert_eq!(worst.len(), 8, "one check per optimizer step");
    assert!(worst.iter().all(|&w| w == 0.0), "{worst:?}");
    let fan_in = j
        .rows()
        .into_iter()
        .map(|r| r.iter().filter(|&&v| v != 0.0).count());
    assert_eq!(fan_in.max(), Some(2), "the fan-in bound binds");
    let load = j
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|v| f64::from(v.abs())).sum::<f64>())
        .fold(0.0, f64::max);
    assert!(load > 0.99 && load <= 1.0, "the load bound binds: {load}");

    let (free, _) = train(None);
    assert!(
        free.last().unwrap() > &1.0,
        "unconstrained training exceeds the bounds: {free:?}"
    );
}

/// End to end: params.npz satisfies the profile, model.toml records [hardware], and 1 or 2
/// threads give identical parameters.
#[test]
fn hardware_run_writes_feasible_params_on_any_thread_count() {
    let d = tempfile::tempdir().unwrap();
    let prof = profile_with(
        d.path(),
        "p.toml",
        "max_fan_in = 2\nmax_compensation = 0.5\n",
    );
    let set = |threads: usize| {
        vec![
            hardware_set(&prof),
            "hardware.bits=4".to_string(),
            format!("train.threads={threads}"),
        ]
    };
    let (one, two) = (d.path().join("t1"), d.path().join("t2"));
    run(&job(&one, &set(1), false)).unwrap();
    run(&job(&two, &set(2), false)).unwrap();
    assert_eq!(params(&one), params(&two));

    let md = load_dir(&one).unwrap();
    let hw = md.config.hardware.as_ref().expect("[hardware] recorded");
    assert_eq!(hw.profile, prof);
    assert_eq!(hw.bits.map(|b| b.get()), Some(4));
    let c = codesign::constraints(Some(hw), &md.config.model.physics)
        .unwrap()
        .unwrap();
    let p = &md.computer.params;
    assert_eq!(
        c.violation(p.j.view(), md.computer.topology.mask().view()),
        0.0
    );
}

/// A profile without limits (gm-C: transconductors, no load, fan-in or range bound) trains
/// byte-identically to no profile at all, and a run without [hardware] records none.
#[test]
fn a_profile_without_limits_changes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let (plain, hw) = (d.path().join("plain"), d.path().join("hw"));
    run(&job(&plain, &[], false)).unwrap();
    run(&job(
        &hw,
        &[hardware_set(&root().join("hardware/gm-c.toml"))],
        false,
    ))
    .unwrap();
    assert_eq!(params(&plain), params(&hw));
    let toml = std::fs::read_to_string(plain.join("model.toml")).unwrap();
    assert!(!toml.contains("[hardware]"), "{toml}");
    assert!(std::fs::read_to_string(hw.join("model.toml"))
        .unwrap()
        .contains("[hardware]"));
}

/// A resume asking for another chip (another profile, or none) is refused with one line; the
/// same chip resumes bit for bit.
#[test]
fn resume_on_another_chip_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let a = profile_with(d.path(), "a.toml", "max_fan_in = 2\n");
    let b = profile_with(d.path(), "b.toml", "max_fan_in = 3\n");
    let (straight, split) = (d.path().join("straight"), d.path().join("split"));
    run(&job(&straight, &[hardware_set(&a)], false)).unwrap();
    let short = vec![hardware_set(&a), "train.trajectories=12".into()];
    run(&job(&split, &short, false)).unwrap();
    for other in [vec![hardware_set(&b)], vec![]] {
        let e = run(&job(&split, &other, true)).unwrap_err().to_string();
        assert!(
            e.contains("cannot resume") && e.contains("[hardware]"),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
    }
    run(&job(&split, &[hardware_set(&a)], true)).unwrap();
    assert_eq!(params(&straight), params(&split));
}

/// The default compensation bound of a resistive profile: c = (1 − ε)/(1 + ε) with ε the
/// resistor tolerance plus half the largest E96 step; explicit fields override it.
#[test]
fn profile_limits_and_their_defaults() {
    // The shipped board sets max_compensation = 8 with NICs (tests/nic.rs); the passive
    // default is that of the same board without the field and without [nic].
    let shipped = load_profile(&root().join("hardware/discrete-rc.toml")).unwrap();
    assert_eq!(shipped.compensation_bound(), Some(8.0));
    let text = std::fs::read_to_string(root().join("hardware/discrete-rc.toml")).unwrap();
    let passive: String = text[..text.find("\n[nic]").unwrap()]
        .lines()
        .filter(|l| !l.starts_with("max_compensation"))
        .map(|l| format!("{l}\n"))
        .collect();
    let rc = parse_profile("discrete-rc", &passive).unwrap();
    let eps = rc.conductance_error();
    // E96 steps are ≈ 10^(1/96) − 1 = 2.43 %; the largest in the rounded table is 3.0 %
    // (1.33 → 1.37), so ε = 1 % + 1.5 % and c = 0.975/1.025 = 0.951.
    assert!(
        (eps - (0.01 + (1.37 / 1.33 - 1.0) / 2.0)).abs() < 1e-12,
        "{eps}"
    );
    let c = rc.compensation_bound().unwrap();
    assert!((c - (1.0 - eps) / (1.0 + eps)).abs() < 1e-15);
    assert!(c > 0.951 && c < 0.952, "{c}");
    let paper = Physics::PAPER;
    let limits = rc.constraints(&paper).unwrap();
    assert_eq!(limits.max_load(), Some(2.0 * paper.j2 * c));

    let gm = load_profile(&root().join("hardware/gm-c.toml")).unwrap();
    let free = gm.constraints(&paper).unwrap();
    assert_eq!(
        (free.j_max(), free.max_fan_in(), free.max_load()),
        (None, None, None)
    );

    let text = std::fs::read_to_string(root().join("hardware/gm-c.toml")).unwrap();
    let with = |limits: &str| text.replacen("[coupling]\n", &format!("[coupling]\n{limits}"), 1);
    let p = parse_profile("x", &with("max_coupling = 0.25\nmax_compensation = 2.0\n")).unwrap();
    let l = p.constraints(&paper).unwrap();
    assert_eq!(
        (l.j_max(), l.max_load()),
        (Some(0.25), Some(4.0 * paper.j2))
    );
    // A double-well unit (J2 < 0) cannot carry a load bound.
    let well = Physics { j2: -1.0, ..paper };
    let e = p.constraints(&well).unwrap_err().to_string();
    assert!(
        e.contains("hardware profile x") && e.contains("j2 ≤ 0"),
        "{e}"
    );
    for (bad, field) in [
        ("max_compensation = 0.0\n", "coupling.max_compensation"),
        ("max_fan_in = 0\n", "coupling.max_fan_in"),
        ("max_coupling = -1.0\n", "coupling.max_coupling"),
    ] {
        let e = parse_profile("x", &with(bad)).unwrap_err().to_string();
        assert!(e.starts_with("x:") && e.contains(field), "{e}");
    }
}

/// Bad input on the command line: one line, exit code 2.
#[test]
fn bad_hardware_input_exits_2_with_one_line() {
    let d = tempfile::tempdir().unwrap();
    let cfg = d.path().join("tiny.toml");
    std::fs::write(&cfg, TINY).unwrap();
    let cfg = cfg.to_str().unwrap();
    let out = d.path().join("out");
    let out = out.to_str().unwrap();
    let zero = profile_with(d.path(), "zero.toml", "max_fan_in = 0\n");
    let zero = zero.to_str().unwrap();
    let missing = d.path().join("missing.toml");
    let missing = missing.to_str().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["--bits", "1"], "--bits"),
        (&["--hardware", missing], "missing.toml"),
        (&["--hardware", zero], "zero.toml:"),
        (&["--bits", "3"], "hardware.profile"),
    ];
    for cmd in ["train", "teach"] {
        for (flags, needle) in cases {
            let mut args = vec![cmd, "--config", cfg, "--out", out];
            args.extend_from_slice(flags);
            let (code, _, stderr) = common::thermocad(&args);
            let line = common::one_error_line(&stderr);
            assert_eq!(code, 2, "{args:?}: {stderr}");
            assert!(line.contains(needle), "{args:?}: {line}");
        }
    }
    let line = common::thermocad(&["train", "--config", cfg, "--out", out, "--hardware", zero]).2;
    assert!(line.contains("coupling.max_fan_in"), "{line}");
    assert!(!Path::new(out).join("checkpoint.npz").exists());
}
