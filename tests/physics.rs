//! Analytic checks of the Langevin core: gradient vs finite differences, Ornstein–Uhlenbeck
//! variance, quartic equilibrium, determinism. (Heat accounting: tests/energy.rs.)

mod common;
use common::computer;

use ndarray::{s, Array2};
use std::ops::Range;
use thermocad::dynamics::equilibrium::{onsite_average, OnsiteEquilibrium};
use thermocad::dynamics::rng::{stream, Purpose};
use thermocad::dynamics::sampler::Batch;
use thermocad::linalg::{Parallelism, Real};
use thermocad::model::{Computer, Connectivity, Physics};
use thermocad::train::reverse_nll::ReverseNll;

/// The gradient checks' computer: 3 visible and 2 hidden units, random couplings of std 0.5,
/// the paper's constants at Δt = 1e-2.
fn three_plus_two() -> Computer<f64> {
    let ph = Physics {
        j2: 1.0,
        j4: 1.0,
        mu: 1.0,
        kt: 0.1,
        dt: 1e-2,
    };
    computer::<f64>(3, 2, ph, Connectivity::VisibleHiddenHiddenHidden, 0.5, 3)
}

fn loss_of(c: &Computer<f64>, traj: &Array2<f64>) -> f64 {
    scored_loss(c, traj, None)
}

/// −ln P̃ of `traj` with the steps of `unscored` units left out.
fn scored_loss(c: &Computer<f64>, traj: &Array2<f64>, unscored: Option<Range<usize>>) -> f64 {
    let mut acc = ReverseNll::new(c.n());
    if let Some(u) = unscored {
        acc.unscore(u);
    }
    acc.add(c, traj.view(), Parallelism::SEQUENTIAL)
}

/// `train.scored = "visible"`: with the hidden units' steps left out, the score is the
/// visible units' share of the full one (the two shares add up to it), its gradient matches
/// finite differences of that share, and hidden biases and hidden–hidden couplings get none.
#[test]
fn visible_only_score_and_its_gradient() {
    let mut c = three_plus_two();
    c.params
        .b
        .iter_mut()
        .enumerate()
        .for_each(|(i, b)| *b = 0.1 * i as f64 - 0.2);
    let mut rng = stream(11, Purpose::Noising, 0);
    let traj = Array2::from_shape_simple_fn((7, c.n()), || 0.5 * f64::std_normal(&mut rng));
    let (visible, hidden) = (
        scored_loss(&c, &traj, Some(3..5)),
        scored_loss(&c, &traj, Some(0..3)),
    );
    let full = loss_of(&c, &traj);
    assert!(visible > 0.0 && hidden > 0.0);
    assert!(
        (visible + hidden - full).abs() <= 1e-12 * full,
        "{visible} + {hidden} vs {full}"
    );
    let mut acc = ReverseNll::new(c.n());
    acc.unscore(3..5);
    acc.add(&c, traj.view(), Parallelism::SEQUENTIAL);
    // The hidden biases are trainable here: their zero gradient comes from the score alone.
    let g = acc.finish(&c);
    let h = 1e-6;
    let fd = |f: &dyn Fn(&mut Computer<f64>, f64)| {
        let (mut p, mut m) = (c.clone(), c.clone());
        f(&mut p, h);
        f(&mut m, -h);
        (scored_loss(&p, &traj, Some(3..5)) - scored_loss(&m, &traj, Some(3..5))) / (2.0 * h)
    };
    for i in 0..3 {
        for a in 3..5 {
            let d = fd(&|c, e| {
                c.params.j[[i, a]] += e;
                c.params.j[[a, i]] += e;
            });
            assert!(
                (d - g.j[[i, a]]).abs() <= 1e-6 * (1.0 + d.abs()),
                "J[{i},{a}]: fd {d} vs {}",
                g.j[[i, a]]
            );
            assert!(d.abs() > 1e-3, "J[{i},{a}] has no gradient to check ({d})");
        }
    }
    assert_eq!(g.j[[3, 4]], 0.0);
    assert!(
        fd(&|c, e| {
            c.params.j[[3, 4]] += e;
            c.params.j[[4, 3]] += e;
        })
        .abs()
            < 1e-9
    );
    for a in 3..5 {
        assert!(c.topology.bias_trainable()[a]);
        assert_eq!(g.b[a], 0.0, "hidden bias {a}");
    }
}

#[test]
fn reverse_nll_gradient_matches_finite_differences() {
    let c = three_plus_two();
    // Any trajectory will do: the gradient is exact for a given path.
    let mut rng = stream(9, Purpose::Noising, 0);
    let traj = Array2::from_shape_simple_fn((7, c.n()), || 0.5 * f64::std_normal(&mut rng));
    let mut acc = ReverseNll::new(c.n());
    acc.add(&c, traj.view(), Parallelism::SEQUENTIAL);
    let g = acc.finish(&c);
    let h = 1e-6;
    let mut checked = 0;
    for i in 0..c.n() {
        for j in (i + 1)..c.n() {
            let mut p = c.clone();
            let mut m = c.clone();
            p.params.j[[i, j]] += h;
            p.params.j[[j, i]] += h;
            m.params.j[[i, j]] -= h;
            m.params.j[[j, i]] -= h;
            let fd = (loss_of(&p, &traj) - loss_of(&m, &traj)) / (2.0 * h);
            if c.topology.mask()[[i, j]] != 0.0 {
                assert!(
                    (fd - g.j[[i, j]]).abs() <= 1e-6 * (1.0 + fd.abs()),
                    "J[{i},{j}]: fd {fd} vs {}",
                    g.j[[i, j]]
                );
                assert_eq!(g.j[[i, j]], g.j[[j, i]]);
                checked += 1;
            } else {
                assert_eq!(
                    g.j[[i, j]],
                    0.0,
                    "masked coupling ({i},{j}) must get no gradient"
                );
            }
        }
        let mut p = c.clone();
        let mut m = c.clone();
        p.params.b[i] += h;
        m.params.b[i] -= h;
        let fd = (loss_of(&p, &traj) - loss_of(&m, &traj)) / (2.0 * h);
        if c.topology.bias_trainable()[i] {
            assert!(
                (fd - g.b[i]).abs() <= 1e-6 * (1.0 + fd.abs()),
                "b[{i}]: fd {fd} vs {}",
                g.b[i]
            );
        } else {
            assert_eq!(g.b[i], 0.0);
        }
    }
    assert_eq!(checked, 3 * 2 + 1, "visible–hidden and hidden–hidden pairs");
}

/// Time-and-ensemble average of x² over `rows` independent trajectories of one unit.
fn stationary_x2(ph: Physics, rows: usize, burn: usize, steps: usize, every: usize) -> f64 {
    let c = computer::<f32>(1, 0, ph, Connectivity::Full, 0.0, 1);
    let mut c = c;
    c.params.b.fill(0.0);
    let mut batch = Batch::from_states(Array2::zeros((rows, 1)), 5, 0);
    let par = Parallelism::new(0);
    batch.run(&c, burn, par, |_, _| {});
    let (mut sum, mut count) = (0.0f64, 0usize);
    batch.run(&c, steps, par, |k, x| {
        if k % every == 0 {
            sum += x.iter().map(|v| (*v as f64).powi(2)).sum::<f64>();
            count += x.len();
        }
    });
    sum / count as f64
}

#[test]
fn ornstein_uhlenbeck_stationary_variance() {
    // J4 = 0: V = J2 x², stationary variance kT / (2 J2) = 0.1 (Euler–Maruyama bias 1/(1 − μJ2Δt) = 0.5 %).
    let ph = Physics {
        j2: 5.0,
        j4: 0.0,
        mu: 1.0,
        kt: 1.0,
        dt: 1e-3,
    };
    let var = stationary_x2(ph, 4000, 1000, 2000, 100);
    let exact = ph.kt / (2.0 * ph.j2);
    assert!(
        (var / exact - 1.0).abs() < 0.03,
        "OU variance {var} vs {exact}"
    );
}

#[test]
fn quartic_unit_equilibrium_matches_quadrature() {
    let ph = Physics::PAPER;
    let exact = onsite_average(&ph, |x| x * x);
    let var = stationary_x2(ph, 4000, 2000, 4000, 200);
    assert!(
        (var / exact - 1.0).abs() < 0.03,
        "quartic <x²> {var} vs quadrature {exact}"
    );
    // The exact rejection sampler agrees, for this unit and for a double well (J2 < 0).
    for ph in [ph, Physics { j2: -1.0, ..ph }] {
        let exact = onsite_average(&ph, |x| x * x);
        let eq = OnsiteEquilibrium::new(&ph);
        let mut rng = stream(2, Purpose::SampleInit, 0);
        let n = 200_000;
        let m2 = (0..n)
            .map(|_| eq.sample::<f64, _>(&mut rng).powi(2))
            .sum::<f64>()
            / n as f64;
        assert!(
            (m2 / exact - 1.0).abs() < 0.01,
            "J2 = {}: rejection sampler <x²> {m2} vs {exact}",
            ph.j2
        );
    }
}

fn sample_run(threads: usize, batch: usize, first: u64) -> Array2<f32> {
    seeded_run(42, threads, batch, first)
}

fn seeded_run(seed: u64, threads: usize, batch: usize, first: u64) -> Array2<f32> {
    let ph = Physics::PAPER;
    let c = computer::<f32>(40, 24, ph, Connectivity::VisibleHiddenHiddenHidden, 0.2, 4);
    let par = Parallelism::new(threads);
    par.install(|| {
        let mut b = Batch::from_equilibrium(&c, seed, first, batch);
        b.run(&c, 200, par, |_, _| {});
        b.x
    })
}

#[test]
fn trajectories_do_not_depend_on_threads_or_batch() {
    let big1 = sample_run(1, 37, 0);
    let big2 = sample_run(2, 37, 0);
    assert_eq!(big1, big2, "1 vs 2 threads");
    for (first, len) in [(0usize, 1usize), (5, 1), (3, 2), (10, 27)] {
        let part = sample_run(2, len, first as u64);
        assert_eq!(
            part,
            big1.slice(s![first..first + len, ..]),
            "batch of {len} starting at {first}"
        );
    }
    // Same trajectories under another run seed: other initial states and noise, every row.
    let other_seed = seeded_run(43, 1, 37, 0);
    for (a, b) in other_seed.rows().into_iter().zip(big1.rows()) {
        assert!(
            a.iter().zip(b.iter()).all(|(x, y)| x != y),
            "seed 43 repeats a value of seed 42"
        );
    }
}

/// Φ(z), the standard normal CDF, from erfc by its Chebyshev fit (Numerical Recipes' erfcc,
/// fractional error < 1.2e-7 everywhere).
fn normal_cdf(z: f64) -> f64 {
    let x = -z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let p = -x * x - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * p.exp();
    0.5 * if x >= 0.0 { erfc } else { 2.0 - erfc }
}

/// The thermal noise of the dynamics: 10⁶ draws of the Philox/Box–Muller stream have the
/// moments of N(0, 1) within five standard errors of their estimates (⟨z⟩: 1e-3, ⟨z²⟩:
/// √(2/n) = 1.4e-3, ⟨z³⟩: √(15/n) = 3.9e-3, ⟨z⁴⟩: √(96/n) = 9.8e-3) and pass a Kolmogorov–Smirnov test (D·√n < 1.95, p = 0.001), also for a stream read
/// in odd pieces and for the next 10⁶ draws of a second stream.
#[test]
fn thermal_normals_are_standard_normal() {
    use thermocad::dynamics::philox::NormalStream;
    let n = 1_000_000usize;
    for (seed, index, piece) in [(1u64, 0u64, n), (2, 12_345, 777)] {
        let mut s = NormalStream::new(seed, Purpose::SampleNoise, index);
        let mut z = vec![0.0f32; n];
        for chunk in z.chunks_mut(piece) {
            s.fill(chunk);
        }
        let m = |p: i32| z.iter().map(|&v| (v as f64).powi(p)).sum::<f64>() / n as f64;
        let (mean, m2, m3, m4) = (m(1), m(2), m(3), m(4));
        assert!(mean.abs() < 5e-3, "mean {mean}");
        assert!((m2 - 1.0).abs() < 7e-3, "variance {m2}");
        assert!(m3.abs() < 2e-2, "third moment {m3}");
        assert!((m4 - 3.0).abs() < 5e-2, "fourth moment {m4}");
        let mut sorted: Vec<f64> = z.iter().map(|&v| v as f64).collect();
        sorted.sort_by(f64::total_cmp);
        let d = sorted
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let f = normal_cdf(v);
                (f - i as f64 / n as f64)
                    .abs()
                    .max(((i + 1) as f64 / n as f64 - f).abs())
            })
            .fold(0.0, f64::max);
        assert!(
            d * (n as f64).sqrt() < 1.95,
            "KS D = {d} (D·√n = {})",
            d * (n as f64).sqrt()
        );
        // Box–Muller pairs are independent: the lag-one correlation of the stream is ~0.
        let lag = z.windows(2).map(|w| w[0] as f64 * w[1] as f64).sum::<f64>() / n as f64;
        assert!(lag.abs() < 5e-3, "lag-1 correlation {lag}");
    }
}
