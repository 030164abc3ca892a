//! The sample-quality judge (tolerance::quality) on inputs whose verdict is known: real
//! held-out digits, their sign-inverted copies, training digits, blends of two training
//! digits and pure noise; on synthetic digits always, on MNIST when it is present.

use ndarray::{Array2, Axis};
use thermocad::data::synthetic::synthetic_digits;
use thermocad::data::{default_mnist_dir, load_mnist_dir, Digits};
use thermocad::dynamics::rng::{stream, Purpose};
use thermocad::linalg::{Parallelism, Real};
use thermocad::nn::{digit_classifier, Mlp};
use thermocad::tolerance::quality::{Quality, Recognizer, Reference};

const TRAINING_CLASSES: [u8; 3] = [0, 1, 2];

/// The digits of `set` whose class is one of `classes`.
fn of_classes(set: &Digits, classes: &[u8]) -> Digits {
    let idx: Vec<usize> = (0..set.len())
        .filter(|&i| classes.contains(&set.labels[i]))
        .collect();
    set.select(&idx)
}

/// One training digit of each training class: the first of its class in `set`.
fn one_per_class(set: &Digits) -> Digits {
    let idx: Vec<usize> = TRAINING_CLASSES
        .iter()
        .map(|&c| set.labels.iter().position(|&l| l == c).unwrap())
        .collect();
    set.select(&idx)
}

/// Standard normal pixels [n, p].
fn noise(n: usize, p: usize) -> Array2<f32> {
    let mut rng = stream(11, Purpose::Init, 0);
    Array2::from_shape_fn((n, p), |_| f32::std_normal(&mut rng))
}

/// The quality of `samples` judged against `train` with the classifier `net`.
fn judge(net: &Mlp, train: &Digits, real: &Digits, samples: &Array2<f32>) -> Quality {
    let train_z = train.standardised();
    let reference = Reference::new(
        train_z.view(),
        &train.labels,
        real.standardised().view(),
        Some(net as &dyn Recognizer),
        50,
        1,
    );
    reference.quality(samples.view())
}

/// Every check on one data set: a judge trained on `judge_set` (all ten classes), the
/// training digits and the held-out real digits of the three training classes.
fn check(
    judge_set: &Digits,
    train: &Digits,
    heldout: &Digits,
    min_recognised: f64,
    max_noise: f64,
) {
    let par = Parallelism::new(0);
    let (net, _) = par
        .install(|| digit_classifier(judge_set, None, 1, par, |_| {}))
        .unwrap();
    let real = of_classes(heldout, &TRAINING_CLASSES);
    let p = real.pixels();

    // Real held-out digits of the training classes are recognised, in either sign.
    let images = real.images.clone();
    let q = judge(&net, train, &real, &images);
    let r = q.recognised.unwrap().value;
    assert!(r >= min_recognised, "real digits recognised {r}");
    let negated = images.mapv(|v| -v);
    let qn = judge(&net, train, &real, &negated);
    assert!(
        (qn.recognised.unwrap().value - r).abs() < 0.02,
        "sign rule: {} vs {r}",
        qn.recognised.unwrap().value
    );
    // Their Fréchet distance to the reference they are part of is small next to noise's.
    let f_real = q.frechet.unwrap().value;

    // Pure noise is neither recognised as a training digit nor close in features.
    let qz = judge(&net, train, &real, &noise(500, p));
    let rz = qz.recognised.unwrap().value;
    println!("real digits recognised {r:.3}, noise recognised {rz:.3}");
    assert!(rz <= max_noise, "noise recognised {rz}");
    assert!(
        qz.frechet.unwrap().value > 5.0 * f_real,
        "Fréchet: noise {} vs real {f_real}",
        qz.frechet.unwrap().value
    );

    // The training digits themselves: |corr| 1, no mixtures, each recognised as its class.
    let own = judge(&net, train, &real, &train.images);
    assert!((own.corr.value - 1.0).abs() < 1e-5, "{}", own.corr.value);
    assert_eq!(own.mixture.value, 0.0);
    for &c in &TRAINING_CLASSES {
        assert!(
            (own.classes[c as usize] - 1.0 / 3.0).abs() < 1e-9,
            "{:?}",
            own.classes
        );
    }

    // Equal blends of two training digits of different classes are all mixtures; a training
    // digit with a faint ghost (10 %) of another is not.
    let t = train.standardised();
    let mut blends = Array2::<f32>::zeros((6, p));
    let mut ghosts = Array2::<f32>::zeros((6, p));
    let mut k = 0;
    for a in 0..3 {
        for b in 0..3 {
            if a != b {
                blends
                    .row_mut(k)
                    .assign(&(&t.row(a) * 0.5 + &t.row(b) * 0.5));
                ghosts
                    .row_mut(k)
                    .assign(&(&t.row(a) * 1.0 + &t.row(b) * 0.1));
                k += 1;
            }
        }
    }
    let qb = judge(&net, train, &real, &blends);
    assert_eq!(qb.mixture.value, 1.0, "blends");
    let qg = judge(&net, train, &real, &ghosts);
    assert_eq!(qg.mixture.value, 0.0, "ghosts");

    // A training digit buried in noise (|corr| ≈ 0.7, as the samples' mean) is recognised by
    // correlation alone but is not a mixture unless another class's digit matches it.
    let noisy = {
        let z = noise(300, p);
        let mut x = Array2::<f32>::zeros((300, p));
        for (i, mut row) in x.axis_iter_mut(Axis(0)).enumerate() {
            row.assign(&(&t.row(i % 3) + &z.row(i)));
        }
        x
    };
    let qy = judge(&net, train, &real, &noisy);
    println!(
        "noisy training digits: |corr| {:.3}, mixtures {:.3}, recognised {:.3}",
        qy.corr.value,
        qy.mixture.value,
        qy.recognised.unwrap().value
    );
    assert!(
        (qy.corr.value - 0.707).abs() < 0.03,
        "noisy copies: |corr| {}",
        qy.corr.value
    );
    assert!(
        qy.mixture.value <= 0.05,
        "noisy copies: mixtures {}",
        qy.mixture.value
    );
}

#[test]
fn judge_on_synthetic_digits() {
    let classes: Vec<u8> = (0..10).collect();
    let judge_set = synthetic_digits(&classes, 300, 7);
    let train = one_per_class(&synthetic_digits(&TRAINING_CLASSES, 1, 8));
    let heldout = synthetic_digits(&TRAINING_CLASSES, 100, 9);
    // A judge trained on 300 clean synthetic digits per class is over-confident on noise.
    check(&judge_set, &train, &heldout, 0.95, 0.2);
}

#[test]
fn judge_on_mnist() {
    let Some(dir) = default_mnist_dir() else {
        println!("skipping judge_on_mnist: MNIST not found (set THERMOCAD_MNIST)");
        return;
    };
    let all = load_mnist_dir(&dir).unwrap();
    // As the shipped judge: trained on test images 0..8000, held-out 8000..10000.
    let judge_set = all.select(&(0..8000).collect::<Vec<_>>());
    let heldout = all.select(&(8000..all.len()).collect::<Vec<_>>());
    let train = one_per_class(&all);
    check(&judge_set, &train, &heldout, 0.95, 0.05);
}
