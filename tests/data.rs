//! Integration tests for `thermocad::data`: IDX I/O, error reporting,
//! standardisation, synthetic digits and (if present) the real MNIST test set.

use ndarray::{Array2, Array3};
use std::path::Path;
use thermocad::data::idx::{
    read_digits, read_idx_images, read_idx_labels, write_idx_images, write_idx_labels,
};
use thermocad::data::synthetic::synthetic_digits;
use thermocad::data::{default_mnist_dir, load_mnist_dir, DataError, Digits};

/// Small deterministic image stack with distinct bytes everywhere.
fn sample_images(n: usize, rows: usize, cols: usize) -> Array3<u8> {
    Array3::from_shape_fn((n, rows, cols), |(i, r, c)| {
        ((i * 31 + r * 7 + c * 3) % 256) as u8
    })
}

fn header(magic: u32, dims: &[u32]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v
}

fn round_trip(ext: &str) {
    let dir = tempfile::tempdir().unwrap();
    let ip = dir.path().join(format!("imgs-idx3-ubyte{ext}"));
    let lp = dir.path().join(format!("labs-idx1-ubyte{ext}"));
    let imgs = sample_images(5, 4, 3);
    let labs = vec![3u8, 1, 4, 1, 5];
    write_idx_images(&ip, &imgs).unwrap();
    write_idx_labels(&lp, &labs).unwrap();

    let raw = std::fs::read(&ip).unwrap();
    if ext == ".gz" {
        assert_eq!(&raw[..2], &[0x1f, 0x8b], "written .gz file is not gzip");
    } else {
        assert_eq!(raw.len(), 16 + 5 * 4 * 3);
        assert_eq!(&raw[..4], &[0, 0, 8, 3]);
    }

    assert_eq!(read_idx_images(&ip).unwrap(), imgs);
    assert_eq!(read_idx_labels(&lp).unwrap(), labs);
    let d = read_digits(&ip, &lp).unwrap();
    assert_eq!((d.len(), d.rows, d.cols), (5, 4, 3));
    assert_eq!(d.images.dim(), (5, 12));
    assert_eq!(d.labels, labs);
    assert_eq!(d.images[[2, 7]], imgs[[2, 2, 1]] as f32);
    assert_eq!(d.images[[4, 11]], imgs[[4, 3, 2]] as f32);
}

#[test]
fn round_trip_plain() {
    round_trip("");
}

#[test]
fn round_trip_gz() {
    round_trip(".gz");
}

#[test]
fn gzip_detected_by_magic_without_gz_name() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("l.gz");
    let labs: Vec<u8> = (0..50).collect();
    write_idx_labels(&gz, &labs).unwrap();
    let renamed = dir.path().join("labels-idx1-ubyte");
    std::fs::rename(&gz, &renamed).unwrap();
    assert_eq!(read_idx_labels(&renamed).unwrap(), labs);
}

#[test]
fn bad_magic_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    // A label file given to the image reader.
    let p = dir.path().join("labels-as-images");
    write_idx_labels(&p, &[1, 2, 3]).unwrap();
    let err = read_idx_images(&p).unwrap_err();
    match &err {
        DataError::BadMagic {
            path,
            expected,
            found,
            ..
        } => {
            assert_eq!(path, &p);
            assert_eq!(*expected, 0x803);
            assert_eq!(*found, 0x801);
        }
        other => panic!("expected BadMagic, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&p.display().to_string()), "{msg}");
    assert!(
        msg.contains("0x00000803") && msg.contains("0x00000801"),
        "{msg}"
    );
    assert!(!msg.contains('\n'));
}

#[test]
fn truncated_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("short-idx3-ubyte");
    // Header claims 10 images of 4×4 but only 3 are present.
    let mut bytes = header(0x803, &[10, 4, 4]);
    bytes.extend(std::iter::repeat_n(7u8, 3 * 16));
    std::fs::write(&p, &bytes).unwrap();
    let err = read_idx_images(&p).unwrap_err();
    match &err {
        DataError::Truncated {
            path,
            expected,
            got,
        } => {
            assert_eq!(path, &p);
            assert_eq!(*expected, 16 + 10 * 16);
            assert_eq!(*got, 16 + 3 * 16);
        }
        other => panic!("expected Truncated, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&p.display().to_string()), "{msg}");
    assert!(msg.contains("176") && msg.contains("64"), "{msg}");

    // Same through gzip, and a file shorter than its header.
    let pg = dir.path().join("short.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &bytes).unwrap();
    std::fs::write(&pg, enc.finish().unwrap()).unwrap();
    assert!(matches!(
        read_idx_images(&pg),
        Err(DataError::Truncated {
            expected: 176,
            got: 64,
            ..
        })
    ));
    let ph = dir.path().join("tiny");
    std::fs::write(&ph, [0u8, 0, 8, 1, 0]).unwrap();
    assert!(matches!(
        read_idx_labels(&ph),
        Err(DataError::Truncated {
            expected: 8,
            got: 5,
            ..
        })
    ));
}

#[test]
fn trailing_data_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("long-idx1-ubyte");
    let mut bytes = header(0x801, &[2]);
    bytes.extend_from_slice(&[1, 2, 3]);
    std::fs::write(&p, &bytes).unwrap();
    assert!(matches!(
        read_idx_labels(&p),
        Err(DataError::TrailingData {
            expected: 10,
            got: 11,
            ..
        })
    ));
}

#[test]
fn count_mismatch_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let ip = dir.path().join("i-idx3-ubyte");
    let lp = dir.path().join("l-idx1-ubyte.gz");
    write_idx_images(&ip, &sample_images(4, 2, 2)).unwrap();
    write_idx_labels(&lp, &[0, 1, 2]).unwrap();
    let err = read_digits(&ip, &lp).unwrap_err();
    match &err {
        DataError::CountMismatch {
            images,
            n_images,
            labels,
            n_labels,
        } => {
            assert_eq!((images, labels), (&ip, &lp));
            assert_eq!((*n_images, *n_labels), (4, 3));
        }
        other => panic!("expected CountMismatch, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&ip.display().to_string()), "{msg}");
    assert!(msg.contains(&lp.display().to_string()), "{msg}");
    assert!(msg.contains(" 4 ") && msg.contains(" 3 "), "{msg}");
}

#[test]
fn missing_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("does-not-exist-idx3-ubyte.gz");
    let err = read_idx_images(&p).unwrap_err();
    assert!(
        matches!(&err, DataError::NotFound { path } if path == &p),
        "{err:?}"
    );
    assert!(err.to_string().contains(&p.display().to_string()));
}

#[test]
fn corrupt_gzip_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("broken-idx1-ubyte.gz");
    std::fs::write(&p, [0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).unwrap();
    let err = read_idx_labels(&p).unwrap_err();
    assert!(
        matches!(&err, DataError::Gzip { path, .. } if path == &p),
        "{err:?}"
    );
    assert!(err.to_string().contains(&p.display().to_string()));
}

#[test]
fn load_mnist_dir_finds_pairs_and_reports_missing() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_mnist_dir(dir.path()).unwrap_err();
    match &err {
        DataError::NoMnistFiles { dir: d, tried } => {
            assert_eq!(d, dir.path());
            assert!(tried.iter().any(|t| t == "t10k-images-idx3-ubyte.gz"));
            assert!(tried.iter().any(|t| t == "train-labels-idx1-ubyte"));
        }
        other => panic!("expected NoMnistFiles, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
    assert!(msg.contains("t10k-labels-idx1-ubyte"), "{msg}");

    // train pair only (mixed plain / gz) is found when t10k is absent.
    write_idx_images(
        &dir.path().join("train-images-idx3-ubyte.gz"),
        &sample_images(3, 5, 5),
    )
    .unwrap();
    write_idx_labels(&dir.path().join("train-labels-idx1-ubyte"), &[9, 8, 7]).unwrap();
    let d = load_mnist_dir(dir.path()).unwrap();
    assert_eq!((d.len(), d.rows, d.cols), (3, 5, 5));
    assert_eq!(d.labels, vec![9, 8, 7]);

    // t10k is preferred once complete.
    write_idx_images(
        &dir.path().join("t10k-images-idx3-ubyte"),
        &sample_images(2, 5, 5),
    )
    .unwrap();
    write_idx_labels(&dir.path().join("t10k-labels-idx1-ubyte.gz"), &[1, 2]).unwrap();
    assert_eq!(load_mnist_dir(dir.path()).unwrap().labels, vec![1, 2]);
}

fn tiny_digits() -> Digits {
    let images = Array2::from_shape_vec(
        (4, 4),
        vec![
            0.0, 255.0, 10.0, 3.0, //
            7.0, 7.0, 7.0, 7.0, // constant image
            1.0, 2.0, 3.0, 4.0, //
            0.0, 0.0, 0.0, 200.0,
        ],
    )
    .unwrap();
    Digits {
        images,
        labels: vec![3, 1, 3, 0],
        rows: 2,
        cols: 2,
    }
}

#[test]
fn standardised_rows_have_zero_mean_unit_variance() {
    let d = tiny_digits();
    let s = d.standardised();
    assert_eq!(s.dim(), (4, 4));
    assert!(s.iter().all(|v| v.is_finite()));
    for i in [0, 2, 3] {
        let row = s.row(i);
        let mean = row.sum() / 4.0;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / 4.0;
        assert!(mean.abs() < 1e-6, "row {i} mean {mean}");
        assert!((var - 1.0).abs() < 1e-5, "row {i} var {var}");
    }
    assert!(
        s.row(1).iter().all(|&v| v == 0.0),
        "constant image: {:?}",
        s.row(1)
    );
    // 1,2,3,4: mean 2.5, population std sqrt(1.25).
    let z = (1.0f32 - 2.5) / 1.25f32.sqrt();
    assert!((s[[2, 0]] - z).abs() < 1e-6);

    // Also on real-sized synthetic images, including an all-zero one.
    let mut syn = synthetic_digits(&[0, 5], 3, 1);
    syn.images.row_mut(0).fill(0.0);
    let ss = syn.standardised();
    assert!(ss.row(0).iter().all(|&v| v == 0.0));
    for row in ss.rows().into_iter().skip(1) {
        let mean = row.sum() / row.len() as f32;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / row.len() as f32;
        assert!(
            mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-4,
            "{mean} {var}"
        );
    }
}

#[test]
fn filter_and_slice() {
    let d = tiny_digits();
    let f = d.filter_classes(&[3, 0]);
    assert_eq!(f.labels, vec![3, 3, 0]);
    assert_eq!(f.images.row(1), d.images.row(2));
    assert_eq!(f.images.row(2), d.images.row(3));
    assert!(d.filter_classes(&[9]).is_empty());
    assert_eq!(d.label_counts(), vec![1, 1, 0, 2]);

    let s = d.slice(1, 3).unwrap();
    assert_eq!(s.labels, vec![1, 3]);
    assert_eq!(s.images.row(0), d.images.row(1));
    assert_eq!((s.rows, s.cols), (2, 2));
    assert!(d.slice(4, 4).unwrap().is_empty());
    let err = d.slice(2, 5).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::OutOfRange {
                start: 2,
                end: 5,
                len: 4
            }
        ),
        "{err:?}"
    );
    assert!(d.slice(3, 2).is_err());
}

fn corr(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len() as f64;
    let ma = a.iter().map(|&x| x as f64).sum::<f64>() / n;
    let mb = b.iter().map(|&x| x as f64).sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (dx, dy) = (x as f64 - ma, y as f64 - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    sab / (saa * sbb).sqrt()
}

#[test]
fn synthetic_digits_are_deterministic_and_labelled() {
    let classes = [0u8, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    let a = synthetic_digits(&classes, 6, 42);
    let b = synthetic_digits(&classes, 6, 42);
    let c = synthetic_digits(&classes, 6, 43);
    assert_eq!(a, b);
    assert_ne!(a.images, c.images);
    assert_eq!((a.len(), a.rows, a.cols), (60, 28, 28));
    assert_eq!(a.images.dim(), (60, 784));
    for (k, &l) in a.labels.iter().enumerate() {
        assert_eq!(l, classes[k % 10]);
    }
    assert!(a
        .images
        .iter()
        .all(|&v| (0.0..=255.0).contains(&v) && v.fract() == 0.0));
    // Real ink and real background in every image.
    for row in a.images.rows() {
        let ink = row.iter().filter(|&&v| v >= 200.0).count();
        let bg = row.iter().filter(|&&v| v == 0.0).count();
        assert!((15..400).contains(&ink), "ink pixels {ink}");
        assert!(bg > 300, "background pixels {bg}");
    }
    // A larger request extends a smaller one; a subset of classes works.
    let small = synthetic_digits(&classes, 2, 42);
    assert_eq!(small, a.slice(0, 20).unwrap());
    let two = synthetic_digits(&[7, 3], 4, 0);
    assert_eq!(two.labels, vec![7, 3, 7, 3, 7, 3, 7, 3]);
    assert!(synthetic_digits(&[], 5, 0).is_empty());
}

#[test]
fn synthetic_classes_are_separable() {
    let classes: Vec<u8> = (0..10).collect();
    let d = synthetic_digits(&classes, 20, 7);
    let rows: Vec<Vec<f32>> = d.images.rows().into_iter().map(|r| r.to_vec()).collect();
    let (mut intra, mut n_intra, mut inter, mut n_inter) = (0.0, 0usize, 0.0, 0usize);
    let mut per_class_intra = [0.0f64; 10];
    let mut per_class_n = [0usize; 10];
    for i in 0..rows.len() {
        for j in i + 1..rows.len() {
            let r = corr(&rows[i], &rows[j]);
            if d.labels[i] == d.labels[j] {
                intra += r;
                n_intra += 1;
                per_class_intra[d.labels[i] as usize] += r;
                per_class_n[d.labels[i] as usize] += 1;
            } else {
                inter += r;
                n_inter += 1;
            }
        }
    }
    let (intra, inter) = (intra / n_intra as f64, inter / n_inter as f64);
    println!("mean intra-class corr {intra:.3}, inter-class corr {inter:.3}");
    assert!(intra > inter + 0.15, "intra {intra:.3} vs inter {inter:.3}");
    // Every class is internally coherent but not a copy-paste of one image.
    for c in 0..10 {
        let m = per_class_intra[c] / per_class_n[c] as f64;
        assert!(m > inter + 0.05 && m < 0.95, "class {c}: intra {m:.3}");
    }
}

/// Prints one synthetic digit per class (`cargo test --test data -- --nocapture`).
#[test]
fn synthetic_digits_ascii_preview() {
    let d = synthetic_digits(&(0..10).collect::<Vec<u8>>(), 1, 2024);
    for i in 0..d.len() {
        let art = d.ascii_art(i);
        assert_eq!(art.lines().count(), 28);
        println!("class {}:\n{art}", d.labels[i]);
    }
}

#[test]
fn real_mnist_test_set_if_available() {
    let Some(dir) = default_mnist_dir() else {
        println!("skipping: MNIST not found (set THERMOCAD_MNIST)");
        return;
    };
    if !Path::new(&dir).is_dir() {
        panic!("THERMOCAD_MNIST={} is not a directory", dir.display());
    }
    let d = load_mnist_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    if d.len() != 10_000 {
        // A train set (60000) or another set in a custom directory.
        println!(
            "note: {} holds {} images, not the t10k set",
            dir.display(),
            d.len()
        );
    }
    assert_eq!(d.len(), 10_000);
    assert_eq!((d.rows, d.cols), (28, 28));
    assert_eq!(d.images.dim(), (10_000, 784));
    let counts = d.label_counts();
    assert_eq!(counts.len(), 10);
    assert_eq!(counts.iter().sum::<usize>(), 10_000);
    assert_eq!(counts[0], 980); // published t10k class sizes
    assert_eq!(counts[1], 1135);
    assert_eq!(d.labels[0], 7);
    assert!(d.images.iter().all(|&v| (0.0..=255.0).contains(&v)));
    let max = d.images.iter().cloned().fold(0.0f32, f32::max);
    assert_eq!(max, 255.0);
}
