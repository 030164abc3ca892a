//! The small MLP: it learns, it round-trips through .npz, and (with real MNIST, on request)
//! the digit-classifier preset reaches its accuracy.

use thermocad::data::synthetic::synthetic_digits;
use thermocad::linalg::Parallelism;
use thermocad::nn::{self, Activation, Mlp, MlpTraining};

#[test]
fn mlp_learns_synthetic_digits_and_round_trips() {
    let all = synthetic_digits(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 40, 3);
    let order: Vec<usize> = (0..all.len()).collect();
    let (tr, te): (Vec<usize>, Vec<usize>) = order.iter().partition(|&&i| i % 4 != 0);
    let (train, test) = (all.select(&tr), all.select(&te));
    let par = Parallelism::new(2);
    let mut net = Mlp::new(&[train.pixels(), 32, 10], Activation::Tanh, 5).unwrap();
    let x = train.standardised();
    let cfg = MlpTraining {
        epochs: 15,
        batch: 32,
        learning_rate: 3e-3,
        shift: 1,
        seed: 5,
    };
    let rec = nn::train::train(&mut net, x.view(), &train.labels, None, &cfg, par, |_| {});
    assert!(rec.last().unwrap().loss < rec[0].loss, "{rec:?}");
    let tx = test.standardised();
    let acc = net.accuracy(tx.view(), &test.labels, par);
    assert!(acc > 0.8, "held-out accuracy {acc}");
    let p = net.probabilities(tx.view(), par);
    assert!((p.row(0).sum() - 1.0).abs() < 1e-5);
    assert_eq!(net.features(tx.view(), par).ncols(), 32);
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("net.npz");
    net.save(&path).unwrap();
    assert_eq!(Mlp::load(&path).unwrap(), net);
}

/// `cargo test --release --test nn -- --ignored --nocapture`: the digit-classifier preset
/// trained on the first 8,000 MNIST test images, scored on the last 2,000.
#[test]
#[ignore]
fn digit_classifier_preset_on_mnist() {
    let Some(dir) = thermocad::data::default_mnist_dir() else {
        eprintln!("skipped: MNIST not found (set THERMOCAD_MNIST)");
        return;
    };
    let all = thermocad::data::load_mnist_dir(&dir).unwrap();
    let (train, test) = (all.slice(0, 8000).unwrap(), all.slice(8000, 10000).unwrap());
    let t = std::time::Instant::now();
    let (net, _) = nn::digit_classifier(&train, Some(&test), 1, Parallelism::new(0), |r| {
        eprintln!(
            "epoch {} loss {:.4} test {:?}",
            r.epoch, r.loss, r.test_accuracy
        )
    })
    .unwrap();
    let acc = net.accuracy(
        test.standardised().view(),
        &test.labels,
        Parallelism::new(0),
    );
    eprintln!(
        "digit classifier: {acc:.4} on the last 2,000 in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    assert!(acc >= 0.97, "accuracy {acc}");
}
