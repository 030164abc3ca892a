//! The thermodynamic classifier: forward-action gradient, idealised trajectories, clamped
//! units, and the `teach`/`classify` commands (synthetic digits; one clear error line on bad
//! input).

mod common;

use common::{one_error_line, thermocad};
use ndarray::{Array1, Array2};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_pcg::Pcg64;
use std::path::Path;
use thermocad::classifier::{classifier_inputs_of, infer};
use thermocad::data::normalise::classifier_inputs;
use thermocad::dynamics::ideal::{ideal_bias, relax, targets, TargetMap};
use thermocad::dynamics::sampler::Batch;
use thermocad::linalg::Parallelism;
use thermocad::metrics::top_accuracy;
use thermocad::model::{Block, Computer, GroupSpec, Params, Physics, Topology};
use thermocad::train::reverse_nll::{Direction, ReverseNll};
use thermocad::workflow::demo::DEMO_CLASSIFIER_CONFIG;

const SEQ: Parallelism = Parallelism::SEQUENTIAL;

fn group(name: &str, size: usize, clamped: bool) -> GroupSpec {
    GroupSpec {
        name: name.into(),
        size,
        clamped,
        shape: None,
        trainable_bias: !clamped,
    }
}

/// input (3, clamped) – hidden (2) – output (2), the paper's block pattern.
fn tiny<R: thermocad::linalg::Real>(ph: Physics, seed: u64) -> Computer<R> {
    let topology = Topology::from_groups(
        &[
            group("input", 3, true),
            group("hidden", 2, false),
            group("output", 2, false),
        ],
        &[
            (0, 1, Block::Full),
            (1, 1, Block::Full),
            (1, 2, Block::Full),
            (2, 2, Block::Full),
            (0, 2, Block::Full),
        ],
    )
    .unwrap();
    let n = topology.n();
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut g = || -> f64 { StandardNormal.sample(&mut rng) };
    let mut p = Params::<R>::zeros(n);
    for i in 0..n {
        for j in i + 1..n {
            let v = R::of(0.7 * g()) * R::of(f64::from(topology.mask()[[i, j]]));
            p.j[[i, j]] = v;
            p.j[[j, i]] = v;
        }
        p.b[i] = R::of(0.5 * g());
    }
    Computer {
        physics: ph,
        topology,
        params: p,
    }
}

const PH: Physics = Physics {
    j2: 1.0,
    j4: 1.0,
    mu: 1.0,
    kt: 1.0,
    dt: 1e-2,
};

/// The forward action written out unit by unit: force at the earlier point, evolving units only.
fn naive_action(c: &Computer<f64>, traj: &Array2<f64>) -> f64 {
    let ph = c.physics;
    let n = c.n();
    let mut s = 0.0;
    for k in 0..traj.nrows() - 1 {
        for i in 3..n {
            let x = traj[[k, i]];
            let field: f64 = (0..n).map(|j| c.params.j[[i, j]] * traj[[k, j]]).sum();
            let grad = 2.0 * ph.j2 * x + 4.0 * ph.j4 * x.powi(3) + c.params.b[i] + field;
            let r = traj[[k + 1, i]] - x + ph.mu * ph.dt * grad;
            s += r * r / (4.0 * ph.mu * ph.kt * ph.dt);
        }
    }
    s
}

#[test]
fn forward_action_gradient_matches_finite_differences() {
    let mut c = tiny::<f64>(PH, 3);
    let n = c.n();
    let mut rng = Pcg64::seed_from_u64(9);
    let inputs = Array1::from_shape_fn(3, |_| StandardNormal.sample(&mut rng));
    let traj = Array2::from_shape_fn((8, n), |(k, i)| {
        if i < 3 {
            inputs[i]
        } else {
            0.3 * k as f64 * {
                let v: f64 = StandardNormal.sample(&mut rng);
                v.tanh()
            }
        }
    });
    let mut acc = ReverseNll::<f64>::with_direction(n, Direction::Forward);
    let loss = acc.add(&c, traj.view(), SEQ);
    assert!((loss - naive_action(&c, &traj)).abs() < 1e-9 * loss.abs().max(1.0));
    let grad = acc.finish(&c);
    let eps = 1e-6;
    let mut checked = 0;
    for i in 0..n {
        for j in i + 1..n {
            if c.topology.mask()[[i, j]] == 0.0 {
                assert_eq!(grad.j[[i, j]], 0.0);
                continue;
            }
            let base = c.params.j[[i, j]];
            let mut at = |v: f64| {
                c.params.j[[i, j]] = v;
                c.params.j[[j, i]] = v;
                naive_action(&c, &traj)
            };
            let fd = (at(base + eps) - at(base - eps)) / (2.0 * eps);
            at(base);
            assert!(
                (fd - grad.j[[i, j]]).abs() < 1e-5 * fd.abs().max(1.0),
                "J[{i},{j}]: analytic {} vs finite difference {fd}",
                grad.j[[i, j]]
            );
            checked += 1;
        }
        let base = c.params.b[i];
        c.params.b[i] = base + eps;
        let up = naive_action(&c, &traj);
        c.params.b[i] = base - eps;
        let down = naive_action(&c, &traj);
        c.params.b[i] = base;
        let fd = (up - down) / (2.0 * eps);
        assert!((fd - grad.b[i]).abs() < 1e-5 * fd.abs().max(1.0), "b[{i}]");
        if i < 3 {
            assert_eq!(
                grad.b[i], 0.0,
                "a clamped unit's bias does not enter the action"
            );
        }
    }
    assert_eq!(checked, 3 * 2 + 1 + 2 * 2 + 1 + 3 * 2);
}

#[test]
fn idealised_trajectory_reaches_its_targets_and_the_dynamics_reproduce_it() {
    let ph = Physics {
        kt: 0.0, // zero noise
        dt: 1e-3,
        ..PH
    };
    let steps = 200;
    let z = targets(&[0.9, -0.4], &[0.05, 0.95], 3.0, 2.0);
    assert_eq!(
        z,
        vec![
            3.0 * 0.9f32 as f64,
            -3.0 * 0.4f32 as f64,
            2.0 * (2.0 * 0.05f32 as f64 - 1.0),
            2.0 * (2.0 * 0.95f32 as f64 - 1.0)
        ]
    );
    let b: Vec<f64> = z
        .iter()
        .map(|&t| ideal_bias(&ph, t, steps, TargetMap::Endpoint))
        .collect();
    for (&t, &bi) in z.iter().zip(&b) {
        assert!((relax(&ph, bi, steps)[steps] - t).abs() < 1e-9);
    }
    // An uncoupled computer with these biases, run by the sampler at kT = 0, ends there too.
    let mut c = tiny::<f64>(ph, 1);
    c.params = Params::zeros(c.n());
    for (i, &bi) in b.iter().enumerate() {
        c.params.b[3 + i] = bi;
    }
    let mut x = Array2::zeros((2, c.n()));
    x.row_mut(0).slice_mut(ndarray::s![..3]).fill(0.5);
    let mut batch = Batch::from_states(x, 1, 0);
    batch.run(&c, steps, SEQ, |_, _| {});
    for (i, &t) in z.iter().enumerate() {
        assert!((batch.x[[0, 3 + i]] - t).abs() < 1e-9, "unit {i}");
    }
}

#[test]
fn clamped_units_never_move() {
    let c = tiny::<f32>(PH, 7);
    let mut x = Array2::<f32>::zeros((5, c.n()));
    for r in 0..5 {
        for i in 0..3 {
            x[[r, i]] = r as f32 - 1.5 * i as f32;
        }
    }
    let start = x.clone();
    let mut batch = Batch::from_states(x, 4, 0);
    let mut moved = 0usize;
    batch.run(&c, 100, SEQ, |_, x| {
        assert_eq!(
            x.slice(ndarray::s![.., ..3]),
            start.slice(ndarray::s![.., ..3])
        );
        moved += x
            .slice(ndarray::s![.., 3..])
            .iter()
            .filter(|v| **v != 0.0)
            .count();
    });
    assert!(moved > 0, "the evolving units do move");
}

/// The demo's classifier config (the library's constant), scaled down for tests: `inputs`
/// input units, 16 hidden units, no hidden–hidden or output–output couplings, fewer images
/// and trajectories, a fixed input norm.
fn config(dir: &Path, inputs: usize) -> String {
    let mut text = DEMO_CLASSIFIER_CONFIG.to_string();
    for (from, to) in [
        ("size = 784", format!("size = {inputs}")),
        ("size = 32", "size = 16".into()),
        (
            "[[model.couplings]]\nbetween = [\"hidden\", \"hidden\"]\n",
            String::new(),
        ),
        (
            "[[model.couplings]]\nbetween = [\"output\", \"output\"]\n",
            String::new(),
        ),
        ("train_images = 800", "train_images = 300".into()),
        ("test_images = 200", "test_images = 100".into()),
        (
            "teacher_epochs = 20",
            "teacher_epochs = 20\neval_images = 50\ninput_norm = 30.0".into(),
        ),
        ("trajectories = 4000", "trajectories = 1200".into()),
        ("batch = 50", "batch = 20".into()),
        ("checkpoint_every = 1000", "checkpoint_every = 600".into()),
        ("per_class = 100", "per_class = 40".into()),
    ] {
        assert!(
            text.contains(from),
            "the demo classifier config lost {from:?}"
        );
        text = text.replacen(from, &to, 1);
    }
    let p = dir.join(format!("c{inputs}.toml"));
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn write_idx(dir: &Path, n_images: usize, n_labels: usize) -> String {
    let d = thermocad::data::synthetic::synthetic_digits(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 10, 2);
    let imgs = d.select(&(0..n_images).collect::<Vec<_>>());
    let mut labels = imgs.clone();
    labels.labels.truncate(n_labels);
    std::fs::create_dir_all(dir).unwrap();
    let images3 = imgs
        .images
        .mapv(|v| v as u8)
        .into_shape_with_order((n_images, 28, 28))
        .unwrap();
    thermocad::data::idx::write_idx_images(&dir.join("t10k-images-idx3-ubyte"), &images3).unwrap();
    thermocad::data::idx::write_idx_labels(&dir.join("t10k-labels-idx1-ubyte"), &labels.labels)
        .unwrap();
    dir.display().to_string()
}

/// Run `thermocad teach --config cfg --out out extra…`, which must succeed.
fn teach(cfg: &str, out: &str, extra: &[&str]) {
    let mut args = vec!["teach", "--config", cfg, "--out", out];
    args.extend_from_slice(extra);
    let (code, so, se) = thermocad(&args);
    assert_eq!(code, 0, "{so}{se}");
}

#[test]
fn teach_then_classify_on_synthetic_digits_with_resume() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), 784);
    let out = d.path().join("m").display().to_string();
    teach(&cfg, &out, &["--set", "train.trajectories=600"]);
    let (code, so, se) = thermocad(&["teach", "--config", &cfg, "--out", &out, "--resume"]);
    assert_eq!(code, 0, "{so}{se}");
    assert!(so.contains("student: 1200 idealised trajectories"), "{so}");
    // Resuming gives the same parameters as an uninterrupted run.
    let straight = d.path().join("m2").display().to_string();
    let (code, so, se) = thermocad(&["teach", "--config", &cfg, "--out", &straight]);
    assert_eq!(code, 0, "{so}{se}");
    let params = |dir: &str| std::fs::read(Path::new(dir).join("params.npz")).unwrap();
    assert!(
        params(&out) == params(&straight),
        "resumed run differs from a straight one"
    );
    let acc = std::fs::read_to_string(d.path().join("m/accuracy.csv")).unwrap();
    assert_eq!(acc.lines().count(), 3, "{acc}");
    let data = write_idx(&d.path().join("idx"), 100, 100);
    let c_out = d.path().join("c").display().to_string();
    let (code, so, se) = thermocad(&[
        "classify",
        "--model",
        &out,
        "--data",
        &data,
        "--out",
        &c_out,
        "--trajectories",
        "2",
        "--seed",
        "5",
    ]);
    assert_eq!(code, 0, "{so}{se}");
    let printed = |what: &str| -> f64 {
        so.lines()
            .find_map(|l| l.strip_prefix(&format!("{what} accuracy: ")))
            .unwrap_or_else(|| panic!("no {what} accuracy in {so}"))
            .parse()
            .unwrap()
    };
    let (top1, top2) = (printed("top-1"), printed("top-2"));
    assert!(top1 > 0.3, "an untrained-looking classifier: {so}");
    // The printed figures are the library's: the held-out digits through `infer` (same
    // trajectories and seed) and `top_accuracy`, to the printed three decimals.
    let md = thermocad::model::build::load_dir(Path::new(&out)).unwrap();
    let teach_spec = md.config.teach.clone().unwrap();
    let digits = thermocad::data::load_mnist_dir(Path::new(&data)).unwrap();
    let n = digits.len();
    let set = digits.slice(n - teach_spec.test_images.min(n), n).unwrap();
    let ci = classifier_inputs_of(Path::new(&out), &md.computer, &teach_spec, &set, &data).unwrap();
    let steps = md.computer.physics.steps(teach_spec.t_final);
    let inf = infer(
        &md.computer,
        ci.inputs.view(),
        steps,
        2,
        5,
        0,
        Parallelism::new(1),
    )
    .unwrap();
    let (lib1, lib2) = top_accuracy(inf.outputs.view(), &set.labels);
    assert!((top1 - lib1).abs() < 5e-4, "top-1 {top1} vs library {lib1}");
    assert!((top2 - lib2).abs() < 5e-4, "top-2 {top2} vs library {lib2}");
    assert!(lib2 >= lib1, "top-2 {lib2} below top-1 {lib1}");
    for f in [
        "confusion.csv",
        "confusion.png",
        "heat.png",
        "trajectory_0.png",
        "summary.txt",
    ] {
        assert!(d.path().join("c").join(f).exists(), "{f}");
    }
    // The student model directory loads like any other model.
    let md = thermocad::model::build::load_dir(Path::new(&out)).unwrap();
    assert_eq!(md.computer.n(), 784 + 16 + 10);
}

#[test]
fn exported_classifier_drives_its_inputs() {
    // A short teach run, then its deck: the 784 inputs are DC sources at v0·x, without
    // capacitor, noise or initial condition; only couplings into hidden/output are built.
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), 784);
    let out = d.path().join("m").display().to_string();
    let sets = [
        "train.trajectories=40",
        "teach.teacher_epochs=2",
        "teach.eval_images=10",
    ];
    teach(&cfg, &out, &sets.map(|v| ["--set", v]).concat());
    let deck = d.path().join("m.cir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, so, se) = thermocad(&[
        "export",
        "--model",
        &out,
        "--hardware",
        &root.join("hardware/ideal.toml").display().to_string(),
        "--t",
        "0.01",
        "--image",
        "3",
        "--out",
        &deck.display().to_string(),
    ]);
    assert_eq!(code, 0, "{so}{se}");
    let text = std::fs::read_to_string(&deck).unwrap();
    // The inputs carry image 3 of the model's data set, normalised as in training.
    let md = thermocad::model::build::load_dir(Path::new(&out)).unwrap();
    let all = thermocad::data::select::load_digits(&md.config.data, None).unwrap();
    let norm = md.config.teach.as_ref().unwrap().input_norm.unwrap();
    let x = classifier_inputs(all.images.slice(ndarray::s![3..4, ..]), norm);
    let number = |s: &str| s.parse::<f64>().unwrap();
    let v0 = number(
        text.split("v0=")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap(),
    );
    let mut lit = 0;
    for k in 0..784 {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("V{k} i{k} 0 DC ")))
            .unwrap_or_else(|| panic!("no drive of input {k}"));
        let v = number(line.rsplit(' ').next().unwrap());
        assert!((v - v0 * f64::from(x[[0, k]])).abs() < 1e-9 * v0, "{line}");
        lit += usize::from(v > 0.0);
    }
    assert!(lit > 20, "a digit has lit pixels: {lit}");
    assert!(
        text.contains(&format!(
            "image 3 of the data set (digit {})",
            all.labels[3]
        )),
        "the deck names its digit"
    );
    assert!(so.contains("inputs driven by image 3"), "{so}");
    let elements = |kind: char, node: &dyn Fn(&str) -> bool| {
        text.lines()
            .filter(|l| l.starts_with(kind))
            .filter(|l| l.split_whitespace().nth(1).is_some_and(node))
            .count()
    };
    let input = |n: &str| n.starts_with('i');
    let any = |_: &str| true;
    assert_eq!(elements('V', &input), 784);
    assert_eq!(elements('V', &any), 784);
    assert_eq!(elements('C', &input), 0);
    assert_eq!(
        elements('I', &input),
        0,
        "no noise or bias current on inputs"
    );
    assert_eq!(elements('B', &input), 0);
    assert_eq!(elements('G', &input), 0, "no coupling into an input");
    assert_eq!(elements('C', &any), 16 + 10);
    // input–hidden, hidden–output (both directions) and input–output couplings.
    assert_eq!(elements('G', &any), 784 * 16 + 2 * 16 * 10 + 784 * 10);
    assert!(
        !text.contains(".ic v(i"),
        "inputs have no initial condition"
    );
    assert_eq!(text.matches(".ic v(").count(), 26);
    // An image beyond the data set, and --image on a generative model, are one line each.
    let hw = root.join("hardware/ideal.toml").display().to_string();
    let deck = deck.display().to_string();
    let export = |model: &str, image: &str| {
        let args = [
            "export",
            "--model",
            model,
            "--hardware",
            &hw,
            "--image",
            image,
        ];
        thermocad(&[&args[..], &["--out", &deck]].concat())
    };
    let (code, _, se) = export(&out, "400");
    assert_eq!(code, 2);
    let line = one_error_line(&se);
    assert!(
        line.contains("--image 400") && line.contains("400 images"),
        "{line}"
    );
    let gen_cfg = d.path().join("g.toml");
    std::fs::write(&gen_cfg, "[model]\nvisible = 784\nhidden = 4\n").unwrap();
    let gen = d.path().join("g").display().to_string();
    let (code, _, se) = thermocad(&["init", "--config", gen_cfg.to_str().unwrap(), "--out", &gen]);
    assert_eq!(code, 0, "{se}");
    let (code, _, se) = export(&gen, "0");
    assert_eq!(code, 2);
    let line = one_error_line(&se);
    assert!(line.contains("not a classifier"), "{line}");
}

#[test]
fn bad_classifier_input_is_one_line() {
    let d = tempfile::tempdir().unwrap();
    // A model whose input group does not match 784-pixel images.
    let cfg = config(d.path(), 100);
    let model = d.path().join("m100").display().to_string();
    let (code, _, se) = thermocad(&["init", "--config", &cfg, "--out", &model]);
    assert_eq!(code, 0, "{se}");
    let data = write_idx(&d.path().join("ok"), 20, 20);
    let out = d.path().join("o").display().to_string();
    let (code, _, se) = thermocad(&[
        "classify", "--model", &model, "--data", &data, "--out", &out,
    ]);
    assert_eq!(code, 2);
    assert!(one_error_line(&se).contains("100 input units"), "{se}");
    let (code, _, se) = thermocad(&["teach", "--config", &cfg, "--out", &out]);
    assert_eq!(code, 2);
    assert!(
        one_error_line(&se)
            .contains("100 input units but the images in the data set have 784 pixels"),
        "{se}"
    );
    // Labels that do not match the images.
    let cfg = config(d.path(), 784);
    let model = d.path().join("m784").display().to_string();
    assert_eq!(thermocad(&["init", "--config", &cfg, "--out", &model]).0, 0);
    let data = write_idx(&d.path().join("bad"), 20, 15);
    let (code, _, se) = thermocad(&[
        "classify", "--model", &model, "--data", &data, "--out", &out,
    ]);
    assert_eq!(code, 2);
    let line = one_error_line(&se);
    assert!(
        line.contains("20 images") && line.contains("15 labels"),
        "{line}"
    );
}

#[test]
fn classifier_tolerance_study_scores_accuracy() {
    // A classifier goes through the same hardware path as a generative model: its tolerance
    // study classifies the held-out digits on every chip and reports top-1/top-2 accuracy.
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), 784);
    let model = d.path().join("m").display().to_string();
    let args = ["teach", "--config", &cfg, "--out", &model];
    let (code, so, se) = thermocad(&args);
    assert_eq!(code, 0, "{so}{se}");
    let taught: f64 = so
        .split("held-out top-1 ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no held-out top-1 in {so}"));
    let hw = Path::new(env!("CARGO_MANIFEST_DIR")).join("hardware/gm-c.toml");
    let hw = hw.to_str().unwrap();
    let out = d.path().join("study");
    let out = out.to_str().unwrap();
    let study = |extra: &[&str]| {
        let mut a = vec![
            "tolerance",
            "--model",
            &model,
            "--hardware",
            hw,
            "--chips",
            "2",
            "--resamples",
            "50",
            "--isolate",
            "--out",
            out,
        ];
        a.extend_from_slice(extra);
        thermocad(&a)
    };
    let (code, so, se) = study(&["--sweep", "bits=2,8"]);
    assert_eq!(code, 0, "{so}{se}");
    assert!(so.contains("top1 (top-1 accuracy"), "{so}");
    let csv = std::fs::read_to_string(Path::new(out).join("tolerance.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        &rows[0][..6],
        ["task", "condition", "chip", "top1", "top1_lo", "top1_hi"]
    );
    assert_eq!(
        rows.len(),
        1 + 1 + 2 * 2,
        "header, ideal, 2 bit widths × 2 chips"
    );
    let top1 = |r: usize| rows[r][3].parse::<f64>().unwrap();
    // The ideal circuit classifies the same 100 held-out digits with the same noise streams
    // as `teach` did with the model (f32 round-off may flip a borderline digit).
    assert!(
        (top1(1) - taught).abs() <= 0.02,
        "ideal chip {} vs model {taught}",
        top1(1)
    );
    let (lo, hi): (f64, f64) = (rows[1][4].parse().unwrap(), rows[1][5].parse().unwrap());
    assert!(
        lo < top1(1) && top1(1) < hi,
        "bootstrap interval {lo}..{hi}"
    );
    // 8 bits keep the accuracy; 2 bits (couplings in {−1, 0, 1}·full scale) lose it.
    for r in [4, 5] {
        assert!((top1(r) - top1(1)).abs() <= 0.03, "8 bits: {}", top1(r));
    }
    for r in [2, 3] {
        assert!(top1(r) < top1(1) - 0.1, "2 bits: {}", top1(r));
    }
    // Only the model's held-out digits are scored.
    let (code, _, se) = study(&["--sweep", "bits=8", "--samples", "101"]);
    assert_eq!(code, 2);
    let line = one_error_line(&se);
    assert!(
        line.contains("--samples") && line.contains("teach.test_images"),
        "{line}"
    );
}
