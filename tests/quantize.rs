//! Quantization of couplings and biases: bit widths, a hand-worked example, error scaling with
//! bit width, per-row vs per-tensor, symmetry and masks, pruning, clipping, input validation.

use ndarray::{array, Array1, Array2};
use thermocad::hardware::quantize::{
    quantize_couplings, quantize_vector, BitWidth, Granularity, QuantError, QuantSpec,
};

/// A tiny deterministic generator (64-bit LCG, Knuth's constants) with Box–Muller normals.
struct Lcg(u64);

impl Lcg {
    fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0
    }
    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// Symmetric Gaussian couplings with zero diagonal; entry (i, j) is scaled by `row(i) row(j)`.
fn gaussian_j(n: usize, seed: u64, row: impl Fn(usize) -> f64) -> Array2<f32> {
    let mut rng = Lcg(seed);
    let mut j = Array2::<f32>::zeros((n, n));
    for r in 0..n {
        for c in (r + 1)..n {
            let v = (rng.normal() * row(r) * row(c)) as f32;
            j[[r, c]] = v;
            j[[c, r]] = v;
        }
    }
    j
}

fn full_mask(n: usize) -> Array2<f32> {
    Array2::from_shape_fn((n, n), |(r, c)| if r == c { 0.0 } else { 1.0 })
}

fn spec(bits: Option<u32>) -> QuantSpec {
    QuantSpec {
        bits: bits.map(|b| BitWidth::new(b).unwrap()),
        granularity: Granularity::PerTensor,
        clip_percentile: None,
        prune_threshold: 0.0,
    }
}

fn assert_symmetric_masked(q: &Array2<f32>, mask: &Array2<f32>) {
    let n = q.nrows();
    for r in 0..n {
        assert_eq!(q[[r, r]], 0.0, "diagonal ({r},{r}) must be 0");
        for c in 0..n {
            assert_eq!(q[[r, c]], q[[c, r]], "asymmetric at ({r},{c})");
            if mask[[r, c]] == 0.0 {
                assert_eq!(q[[r, c]], 0.0, "masked entry ({r},{c}) must be 0");
            }
        }
    }
}

#[test]
fn levels_of_bit_widths() {
    assert_eq!(BitWidth::new(2).unwrap().levels(), 1);
    assert_eq!(BitWidth::new(3).unwrap().levels(), 3);
    assert_eq!(BitWidth::new(8).unwrap().levels(), 127);
    assert_eq!(BitWidth::new(32).unwrap().levels(), 2_147_483_647);
    assert_eq!(BitWidth::new(8).unwrap().get(), 8);
}

#[test]
fn bad_bit_widths_are_rejected_with_the_range() {
    for bits in [0u32, 1, 33, 255] {
        let err = BitWidth::new(bits).unwrap_err();
        assert_eq!(err, QuantError::BitWidth { bits });
        let msg = err.to_string();
        assert!(msg.contains("2..=32"), "{msg}");
        assert!(msg.contains(&bits.to_string()), "{msg}");
    }
}

#[test]
fn hand_worked_3x3_at_3_bits() {
    // levels 3, scale = max|J| = 0.9, step 0.3:
    //  0.9 → 3·0.3 = 0.9;  -0.4/0.3 = -1.33 → -1 → -0.3;  0.1/0.3 = 0.33 → 0.
    let j = array![[0.0f32, 0.9, -0.4], [0.9, 0.0, 0.1], [-0.4, 0.1, 0.0]];
    let mask = Array2::<f32>::ones((3, 3)); // diagonal allowed by the mask: still forced to 0
    let (q, rep) = quantize_couplings(&j, &mask, &spec(Some(3))).unwrap();
    let want = array![[0.0f32, 0.9, -0.3], [0.9, 0.0, 0.0], [-0.3, 0.0, 0.0]];
    for (a, b) in q.iter().zip(want.iter()) {
        assert!((a - b).abs() < 1e-6, "got {q:?}, want {want:?}");
    }
    assert_symmetric_masked(&q, &mask);
    assert_eq!(rep.scale.len(), 1);
    assert!((rep.scale[0] - 0.3).abs() < 1e-7, "{:?}", rep.scale);
    // ||ΔJ||_F = sqrt(2·(0.1² + 0.1²)) = 0.2, ||J||_F = sqrt(2·(0.81+0.16+0.01)) = 1.4.
    assert!((rep.rel_frobenius - 0.2 / 1.4).abs() < 1e-6, "{rep:?}");
    assert!((rep.max_abs - 0.1).abs() < 1e-6, "{rep:?}");
    assert!((rep.pruned_fraction - 1.0 / 3.0).abs() < 1e-12, "{rep:?}");
    assert_eq!(rep.clipped_fraction, 0.0);
}

#[test]
fn error_halves_per_extra_bit() {
    let n = 64;
    let j = gaussian_j(n, 12345, |_| 1.0);
    let mask = full_mask(n);
    let errs: Vec<(u32, f64)> = (4..=12)
        .map(|b| {
            let (q, rep) = quantize_couplings(&j, &mask, &spec(Some(b))).unwrap();
            assert_symmetric_masked(&q, &mask);
            assert_eq!(rep.clipped_fraction, 0.0);
            (b, rep.rel_frobenius)
        })
        .collect();
    for &(b, e) in &errs {
        println!("N=64 Gaussian, {b:2} bits: rel_frobenius = {e:.3e}");
    }
    for w in errs.windows(2) {
        let ratio = w[0].1 / w[1].1;
        assert!(
            (1.6..=2.5).contains(&ratio),
            "error ratio {} → {} bits = {ratio}",
            w[0].0,
            w[1].0
        );
    }
    let e8 = errs.iter().find(|e| e.0 == 8).unwrap().1;
    assert!(e8 < 0.01, "rel_frobenius at 8 bits = {e8}");
    // Full precision (no bits, no pruning, no clipping) is the identity.
    let (q, rep) = quantize_couplings(&j, &mask, &spec(None)).unwrap();
    assert_eq!(q, j);
    assert_eq!(rep.rel_frobenius, 0.0);
    assert_eq!(rep.scale, vec![0.0]);
}

#[test]
fn per_row_beats_per_tensor_on_heterogeneous_rows() {
    let n = 48;
    // Row magnitudes spanning three decades.
    let j = gaussian_j(n, 7, |r| 10f64.powf(-1.5 * r as f64 / n as f64));
    let mask = full_mask(n);
    let tensor = spec(Some(6));
    let row = QuantSpec {
        granularity: Granularity::PerRow,
        ..tensor
    };
    let (qt, rt) = quantize_couplings(&j, &mask, &tensor).unwrap();
    let (qr, rr) = quantize_couplings(&j, &mask, &row).unwrap();
    assert_symmetric_masked(&qt, &mask);
    assert_symmetric_masked(&qr, &mask);
    assert_eq!(rr.scale.len(), n);
    assert_eq!(rr.clipped_fraction, 0.0, "max(s_i, s_j) never clips");
    // The row steps fall with the row magnitude; none exceeds the tensor step.
    assert!(rr.scale[n - 1] < 0.2 * rr.scale[0], "{:?}", rr.scale);
    assert!(rr.scale.iter().all(|&s| s <= rt.scale[0] * (1.0 + 1e-12)));
    assert!(
        rr.rel_frobenius < 0.7 * rt.rel_frobenius,
        "per row {} vs per tensor {}",
        rr.rel_frobenius,
        rt.rel_frobenius
    );
    // Small couplings among weak rows survive per row but are lost per tensor.
    assert!(
        rr.pruned_fraction < rt.pruned_fraction,
        "{} vs {}",
        rr.pruned_fraction,
        rt.pruned_fraction
    );
}

#[test]
fn sparse_mask_keeps_masked_and_diagonal_zero() {
    let n = 20;
    let mut j = gaussian_j(n, 99, |_| 1.0);
    let mask = Array2::from_shape_fn((n, n), |(r, c)| {
        if r != c && (r + c) % 3 != 0 {
            1.0f32
        } else {
            0.0
        }
    });
    // Garbage on the diagonal and outside the mask must not leak through.
    for r in 0..n {
        j[[r, r]] = 5.0;
    }
    j[[0, 3]] = 7.0; // masked ((0+3) % 3 == 0), and asymmetric: ignored
    for granularity in [Granularity::PerTensor, Granularity::PerRow] {
        for bits in [None, Some(2), Some(5)] {
            let s = QuantSpec {
                granularity,
                clip_percentile: Some(95.0),
                prune_threshold: 0.1,
                ..spec(bits)
            };
            let (q, rep) = quantize_couplings(&j, &mask, &s).unwrap();
            assert_symmetric_masked(&q, &mask);
            assert!(rep.rel_frobenius.is_finite() && rep.rel_frobenius < 1.0);
            // The result is deterministic.
            assert_eq!(quantize_couplings(&j, &mask, &s).unwrap(), (q, rep));
        }
    }
}

#[test]
fn pruning_zeroes_small_couplings() {
    let n = 64;
    let j = gaussian_j(n, 2024, |_| 1.0);
    let mask = full_mask(n);
    let thr = 0.5;
    let pairs = n * (n - 1) / 2;
    let small = (0..n)
        .flat_map(|r| ((r + 1)..n).map(move |c| (r, c)))
        .filter(|&(r, c)| f64::from(j[[r, c]].abs()) < thr)
        .count();
    let expect = small as f64 / pairs as f64;
    assert!(expect > 0.3 && expect < 0.45, "{expect}"); // P(|z| < 0.5) ≈ 0.38

    // Full precision: exactly the small couplings vanish, the rest are untouched.
    let s = QuantSpec {
        prune_threshold: thr,
        ..spec(None)
    };
    let (q, rep) = quantize_couplings(&j, &mask, &s).unwrap();
    assert!((rep.pruned_fraction - expect).abs() < 1e-12, "{rep:?}");
    for ((r, c), &v) in j.indexed_iter() {
        if r != c {
            let want = if f64::from(v.abs()) < thr { 0.0 } else { v };
            assert_eq!(q[[r, c]], want);
        }
    }
    assert!(rep.max_abs < thr);

    // With 8 bits too: small couplings are 0, and pruned_fraction counts at least them.
    let s8 = QuantSpec {
        prune_threshold: thr,
        ..spec(Some(8))
    };
    let (q8, rep8) = quantize_couplings(&j, &mask, &s8).unwrap();
    for ((r, c), &v) in j.indexed_iter() {
        if f64::from(v.abs()) < thr {
            assert_eq!(q8[[r, c]], 0.0);
        }
    }
    assert!(rep8.pruned_fraction >= expect - 1e-12, "{rep8:?}");
    assert!(rep8.pruned_fraction < expect + 0.01, "{rep8:?}");
    let (_, plain) = quantize_couplings(&j, &mask, &spec(Some(8))).unwrap();
    assert!(plain.pruned_fraction < 0.01, "{plain:?}");
}

#[test]
fn clipping_at_90th_percentile() {
    let n = 64;
    let j = gaussian_j(n, 31337, |_| 1.0);
    let mask = full_mask(n);
    let (_, full) = quantize_couplings(&j, &mask, &spec(Some(6))).unwrap();
    let s = QuantSpec {
        clip_percentile: Some(90.0),
        ..spec(Some(6))
    };
    let (q, rep) = quantize_couplings(&j, &mask, &s).unwrap();
    assert_symmetric_masked(&q, &mask);
    assert!(
        (0.09..=0.11).contains(&rep.clipped_fraction),
        "clipped {}",
        rep.clipped_fraction
    );
    assert_eq!(full.clipped_fraction, 0.0);
    // 90th percentile of |z| ≈ 1.645 vs max of ~2000 normals ≈ 3.5: the step shrinks ~2×.
    assert!(rep.scale[0] < 0.7 * full.scale[0], "{rep:?} vs {full:?}");
    // Clipped values sit at ±scale = ±levels·Δ.
    let top = rep.scale[0] * 31.0;
    let qmax = q.iter().fold(0.0f64, |m, &v| m.max(f64::from(v).abs()));
    assert!((qmax - top).abs() < 1e-5 * top, "{qmax} vs {top}");
    // Full precision + clipping: only the clipping error, and 100th percentile = max.
    let (_, c_only) = quantize_couplings(
        &j,
        &mask,
        &QuantSpec {
            clip_percentile: Some(90.0),
            ..spec(None)
        },
    )
    .unwrap();
    assert!((c_only.clipped_fraction - rep.clipped_fraction).abs() < 1e-12);
    let (_, p100) = quantize_couplings(
        &j,
        &mask,
        &QuantSpec {
            clip_percentile: Some(100.0),
            ..spec(Some(6))
        },
    )
    .unwrap();
    assert_eq!(p100, full);
}

#[test]
fn non_symmetric_input_names_the_pair() {
    let n = 6;
    let mut j = gaussian_j(n, 5, |_| 1.0);
    let mask = full_mask(n);
    j[[4, 1]] += 0.25;
    j[[2, 3]] += 0.01;
    let err = quantize_couplings(&j, &mask, &spec(Some(8))).unwrap_err();
    match &err {
        QuantError::NotSymmetric {
            i,
            j: jj,
            asymmetry,
            ..
        } => {
            assert_eq!((*i, *jj), (1, 4));
            assert!((asymmetry - 0.25).abs() < 1e-6, "{asymmetry}");
        }
        other => panic!("expected NotSymmetric, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("J[1,4]") && msg.contains("J[4,1]"), "{msg}");
    // A rounding-level asymmetry is tolerated.
    let mut k = gaussian_j(n, 5, |_| 1.0);
    k[[4, 1]] = k[[1, 4]] * (1.0 + 1e-7);
    assert!(quantize_couplings(&k, &mask, &spec(Some(8))).is_ok());
}

#[test]
fn invalid_specs_and_shapes_are_rejected() {
    let j = gaussian_j(4, 1, |_| 1.0);
    let mask = full_mask(4);
    for p in [0.0, -1.0, 100.5, f64::NAN] {
        let s = QuantSpec {
            clip_percentile: Some(p),
            ..spec(Some(4))
        };
        let err = quantize_couplings(&j, &mask, &s).unwrap_err();
        assert!(matches!(err, QuantError::Percentile { .. }), "{err:?}");
        assert!(err.to_string().contains("(0, 100]"));
        assert!(quantize_vector(&Array1::zeros(3), &s).is_err());
    }
    for t in [-0.1, f64::NAN, f64::INFINITY] {
        let s = QuantSpec {
            prune_threshold: t,
            ..spec(Some(4))
        };
        let err = quantize_couplings(&j, &mask, &s).unwrap_err();
        assert!(matches!(err, QuantError::Threshold { .. }), "{err:?}");
    }
    let err = quantize_couplings(&j, &full_mask(5), &spec(Some(4))).unwrap_err();
    assert!(matches!(err, QuantError::Shape { .. }), "{err:?}");
    let err = quantize_couplings(
        &Array2::zeros((3, 4)),
        &Array2::zeros((3, 4)),
        &spec(Some(4)),
    )
    .unwrap_err();
    assert!(matches!(err, QuantError::Shape { .. }), "{err:?}");
    let mut lopsided = mask.clone();
    lopsided[[0, 2]] = 0.0;
    let err = quantize_couplings(&j, &lopsided, &spec(Some(4))).unwrap_err();
    assert!(
        matches!(err, QuantError::MaskNotSymmetric { .. }),
        "{err:?}"
    );
    let mut bad = j.clone();
    bad[[1, 2]] = f32::NAN;
    bad[[2, 1]] = f32::NAN;
    let err = quantize_couplings(&bad, &mask, &spec(Some(4))).unwrap_err();
    assert!(matches!(err, QuantError::NonFinite { .. }), "{err:?}");
    // All-zero couplings: nothing to scale, no error.
    let (q, rep) = quantize_couplings(&Array2::zeros((4, 4)), &mask, &spec(Some(4))).unwrap();
    assert!(q.iter().all(|&v| v == 0.0));
    assert_eq!(rep.rel_frobenius, 0.0);
    assert_eq!(rep.pruned_fraction, 1.0);
}

#[test]
fn quantize_vector_per_tensor() {
    // 3 bits: scale 1, step 1/3.  -0.45·3 = -1.35 → -1;  0.1·3 = 0.3 → 0;  0.7·3 = 2.1 → 2.
    let b = array![1.0f32, -0.45, 0.1, 0.7];
    let (q, rep) = quantize_vector(&b, &spec(Some(3))).unwrap();
    let want = [1.0f32, -1.0 / 3.0, 0.0, 2.0 / 3.0];
    for (a, w) in q.iter().zip(want) {
        assert!((a - w).abs() < 1e-6, "{q:?}");
    }
    assert_eq!(rep.scale.len(), 1);
    assert!((rep.scale[0] - 1.0 / 3.0).abs() < 1e-12);
    assert!((rep.pruned_fraction - 0.25).abs() < 1e-12);
    let d = [0.0, 0.45 - 1.0 / 3.0, 0.1, 0.7 - 2.0 / 3.0];
    let want_rel = (d.iter().map(|x| x * x).sum::<f64>()
        / b.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>())
    .sqrt();
    assert!((rep.rel_frobenius - want_rel).abs() < 1e-6, "{rep:?}");
    assert!((rep.max_abs - (0.45 - 1.0 / 3.0)).abs() < 1e-6, "{rep:?}");

    // Pruning + clipping on a vector; granularity is irrelevant for vectors.
    let s = QuantSpec {
        granularity: Granularity::PerRow,
        clip_percentile: Some(50.0),
        prune_threshold: 0.2,
        bits: None,
    };
    let (q, rep) = quantize_vector(&b, &s).unwrap();
    // Pruned: [1, -0.45, 0, 0.7]; |.| sorted [0, 0.45, 0.7, 1]; median = 0.575.
    let want = [0.575f32, -0.45, 0.0, 0.575];
    for (a, w) in q.iter().zip(want) {
        assert!((a - w).abs() < 1e-6, "{q:?}");
    }
    assert!((rep.clipped_fraction - 0.5).abs() < 1e-12);
    assert!((rep.pruned_fraction - 0.25).abs() < 1e-12);

    let err = quantize_vector(&array![1.0f32, f32::INFINITY], &spec(Some(4))).unwrap_err();
    assert!(matches!(err, QuantError::NonFinite { .. }), "{err:?}");
}
