//! Training end to end on tiny computers: the loss falls, resume is exact, divergence is caught.

use std::path::Path;
use thermocad::config::{check, parse};
use thermocad::data::select::training_set;
use thermocad::io::load_params;
use thermocad::linalg::Parallelism;
use thermocad::model::build::load_dir;
use thermocad::train::generative::Generative;
use thermocad::train::reverse_nll::ReverseNll;
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
optimizer = "sgd"
learning_rate = 1e-3
checkpoint_every = 6
threads = 2
[data]
source = "synthetic"
digits = [0, 1]
per_class = 2
"#;

fn job(out: &Path, sets: &[&str], resume: bool) -> TrainJob {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let raw = parse("tiny", TINY, &sets, &[]).unwrap();
    TrainJob {
        config: check(raw, "tiny", TINY).unwrap(),
        data_dir: None,
        out: out.to_path_buf(),
        resume,
        force: false,
        progress: false,
    }
}

/// −ln P̃ per unit-step of fixed held-out trajectories (ids 10_000..10_006) under a model.
fn heldout_loss(dir: &Path) -> f64 {
    let md = load_dir(dir).unwrap();
    let imgs = training_set(&md.config.data, None).unwrap().standardised();
    let g = Generative::new(
        &imgs,
        md.config.model.hidden,
        md.config.noising.clone(),
        md.config.train.seed,
    );
    let mut acc = ReverseNll::new(md.computer.n());
    for id in 10_000..10_006 {
        acc.add(
            &md.computer,
            g.trajectory(&md.computer, id, Parallelism::SEQUENTIAL)
                .view(),
            Parallelism::SEQUENTIAL,
        );
    }
    let (l, steps) = acc.loss();
    l / (steps * md.computer.n()) as f64
}

#[test]
fn training_lowers_the_heldout_loss_and_writes_its_files() {
    let d = tempfile::tempdir().unwrap();
    let init = d.path().join("init");
    run(&job(
        &init,
        &[
            "train.trajectories=1",
            "train.batch=1",
            "train.learning_rate=1e-9",
        ],
        false,
    ))
    .unwrap();
    let trained = d.path().join("trained");
    // Adam at 1e-2 (the tiny config's SGD at 1e-3 moves the loss by only 3e-4 relative).
    let s = run(&job(
        &trained,
        &["train.optimizer=adam", "train.learning_rate=1e-2"],
        false,
    ))
    .unwrap();
    assert_eq!(s.trajectories, 48);
    for f in [
        "model.toml",
        "params.npz",
        "loss.csv",
        "loss.png",
        "checkpoint.npz",
    ] {
        assert!(trained.join(f).exists(), "{f}");
    }
    let (before, after) = (heldout_loss(&init), heldout_loss(&trained));
    println!("held-out loss {before} -> {after}");
    // A perfect model scores ½ per unit-step (r²/(4μkTΔt) = ξ²/2 for its own noise ξ), so
    // only the excess over ½ can be trained away. Measured: 0.505673 → 0.505259, 7.3 % of
    // the excess in 48 trajectories (SGD at 1e-3: 3.0 %); require 5 %.
    let removed = (before - after) / (before - 0.5);
    assert!(
        removed > 0.05,
        "held-out loss {before} -> {after}: {:.1} % of the excess over ½",
        100.0 * removed
    );
    let csv = std::fs::read_to_string(trained.join("loss.csv")).unwrap();
    assert_eq!(
        csv.lines().count(),
        1 + 8,
        "header + one row per optimizer step"
    );
    let md = load_dir(&trained).unwrap();
    let p = &md.computer.params;
    assert_eq!(p.asymmetry(), 0.0);
    // Visible–visible couplings and visible biases stay exactly zero.
    assert!(p
        .j
        .slice(ndarray::s![..784, ..784])
        .iter()
        .all(|&v| v == 0.0));
    assert!(p.b.slice(ndarray::s![..784]).iter().all(|&v| v == 0.0));
    assert!(p.j.iter().any(|&v| v != 0.0));
}

/// `model.frozen_couplings = ["hidden-hidden"]`: training moves the visible–hidden couplings
/// and leaves every hidden–hidden one bitwise where it started (random couplings, so the
/// block is not trivially zero).
#[test]
fn frozen_couplings_stay_where_they_start() {
    let d = tempfile::tempdir().unwrap();
    let sets = [
        "model.init_scale=0.05",
        "train.optimizer=adam",
        "train.learning_rate=1e-2",
    ];
    let free = d.path().join("free");
    run(&job(&free, &sets, false)).unwrap();
    let frozen = d.path().join("frozen");
    let mut sets = sets.to_vec();
    sets.push(r#"model.frozen_couplings=["hidden-hidden"]"#);
    run(&job(&frozen, &sets, false)).unwrap();
    let free = load_dir(&free).unwrap();
    let p0 = thermocad::model::build::build(&free.config.model, 784, free.config.train.seed)
        .unwrap()
        .params
        .j;
    let frozen = load_dir(&frozen).unwrap().computer.params.j;
    let free = free.computer.params.j;
    // Couplings of the block rows × 784.. that differ from the start.
    let moved = |a: &ndarray::Array2<f32>, rows: std::ops::Range<usize>| {
        let blk = ndarray::s![rows, 784..];
        let start = p0.slice(blk);
        let now = a.slice(blk);
        now.iter().zip(start.iter()).filter(|(x, y)| x != y).count()
    };
    let (vh, hh) = (0..784, 784..p0.nrows());
    assert!(p0
        .slice(ndarray::s![784.., 784..])
        .iter()
        .any(|&v| v != 0.0));
    assert_eq!(
        moved(&frozen, hh.clone()),
        0,
        "frozen hidden–hidden couplings moved"
    );
    assert!(
        moved(&free, hh) > 100,
        "free hidden–hidden couplings did not move"
    );
    assert!(
        moved(&frozen, vh) > 1000,
        "visible–hidden couplings did not move"
    );
}

#[test]
fn resume_continues_bit_for_bit() {
    let d = tempfile::tempdir().unwrap();
    let straight = d.path().join("straight");
    run(&job(&straight, &[], false)).unwrap();
    let split = d.path().join("split");
    run(&job(&split, &["train.trajectories=12"], false)).unwrap();
    let again = run(&job(&split, &[], false));
    assert!(
        again.unwrap_err().to_string().contains("--resume"),
        "refuses to overwrite a run"
    );
    run(&job(&split, &["train.threads=1"], true)).unwrap();
    let a = load_params::<f32>(&straight.join("params.npz"), 800).unwrap();
    let b = load_params::<f32>(&split.join("params.npz"), 800).unwrap();
    assert_eq!(a, b);
    // A resume with different physics is refused.
    let e = run(&job(
        &split,
        &["train.trajectories=30", "model.j2=2.0"],
        true,
    ))
    .unwrap_err();
    assert!(e.to_string().contains("cannot resume"), "{e}");
}

#[test]
fn divergence_is_reported_and_keeps_the_last_checkpoint() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("div");
    let e = run(&job(
        &out,
        &[
            "train.optimizer=\"sgd\"",
            "train.learning_rate=1e4",
            "train.checkpoint_every=3",
        ],
        false,
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains("diverged"), "{e}");
    assert!(!e.contains('\n'));
    // The last checkpoint written before the divergence is intact and loadable.
    let md = load_dir(&out).unwrap();
    assert!(md.computer.params.is_finite());
    assert!(md.result.trajectories_trained >= 3 && md.result.trajectories_trained < 48);
}
