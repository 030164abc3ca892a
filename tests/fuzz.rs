//! Fuzzing on stable Rust: a deterministic mutation loop (seeded xorshift) over valid inputs
//! of every reader of untrusted text or bytes. None may panic or abort; errors are fine.
//!
//! CI runs a smoke run (`FUZZ_DEFAULT` inputs per reader, seconds). The full run:
//! `THERMOCAD_FUZZ_CASES=100000 cargo test --release --test fuzz -- --nocapture`
//! (see docs/reliability.md for the measured counts and time).

use ndarray::{Array1, Array2, Array3};
use ndarray_npy::{ReadNpyExt, WriteNpyExt};
use std::path::Path;
use std::time::Instant;
use thermocad::config::{check, limits, parse};
use thermocad::data::idx::{read_digits, write_idx_images, write_idx_labels};
use thermocad::hardware::profile::parse_profile;
use thermocad::hardware::spice::read_deck;
use thermocad::io::{load_params, save_params};
use thermocad::model::Params;
use thermocad::tolerance::sweep::Sweep;
use thermocad::tolerance::Shard;

/// Inputs per reader in a plain `cargo test` (CI's smoke run).
const FUZZ_DEFAULT: usize = 2000;

fn cases() -> usize {
    std::env::var("THERMOCAD_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(FUZZ_DEFAULT)
}

/// xorshift64*: a small deterministic generator (the fuzz loop must be reproducible).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that often break parsers: boundaries of integer widths, separators, digits.
const INTERESTING: &[u8] = &[
    0, 1, 0x7f, 0x80, 0xff, b'\n', b'=', b'.', b',', b'/', b'"', b'[', b']', b'-', b'e', b'9',
];

/// 1 to 4 random edits of `seed`: flip, set to an interesting byte, insert, delete, truncate,
/// duplicate a chunk, or overwrite 4 bytes with a big-endian extreme (IDX counts, npy headers).
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(7) {
            0 if at < v.len() => v[at] ^= 1 << rng.below(8),
            1 if at < v.len() => v[at] = INTERESTING[rng.below(INTERESTING.len())],
            2 => v.insert(at, INTERESTING[rng.below(INTERESTING.len())]),
            3 if at < v.len() => {
                v.remove(at);
            }
            4 => v.truncate(at),
            5 if at < v.len() => {
                let end = (at + 1 + rng.below(16)).min(v.len());
                let chunk = v[at..end].to_vec();
                let to = rng.below(v.len() + 1);
                v.splice(to..to, chunk);
            }
            6 if at + 4 <= v.len() => {
                let x: u32 = [0, 1, 0x7fff_ffff, 0xffff_ffff, 28, 60_000][rng.below(6)];
                v[at..at + 4].copy_from_slice(&x.to_be_bytes());
            }
            _ => {}
        }
    }
    v
}

/// Run `target` on `cases()` mutations of the seeds; report the count and time.
fn fuzz(name: &str, seeds: &[Vec<u8>], mut target: impl FnMut(&[u8])) {
    let n = cases();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
    let t = Instant::now();
    for s in seeds {
        target(s);
    }
    for _ in 0..n {
        let input = mutate(&seeds[rng.below(seeds.len())], &mut rng);
        target(&input);
    }
    eprintln!(
        "fuzz {name}: {n} inputs in {:.2} s, no panic",
        t.elapsed().as_secs_f64()
    );
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn project(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

#[test]
fn idx_reader() {
    let d = tempfile::tempdir().unwrap();
    let (img, lab) = (d.path().join("i"), d.path().join("l"));
    let images = Array3::from_shape_fn((3, 28, 28), |(k, r, c)| (k * 7 + r * 3 + c) as u8);
    write_idx_images(&img, &images).unwrap();
    write_idx_labels(&lab, &[1, 2, 3]).unwrap();
    let (iseed, lseed) = (std::fs::read(&img).unwrap(), std::fs::read(&lab).unwrap());
    // One mutated file per case, the other valid.
    let mut flip = false;
    fuzz("idx", &[iseed.clone(), lseed.clone()], |b| {
        flip = !flip;
        let (target, other, valid) = if flip {
            (&img, &lab, &lseed)
        } else {
            (&lab, &img, &iseed)
        };
        std::fs::write(target, b).unwrap();
        std::fs::write(other, valid).unwrap();
        let _ = read_digits(&img, &lab);
    });
}

#[test]
fn config_parser() {
    let seeds = [
        project("examples/mnist3.toml"),
        project("examples/mnist-classifier.toml"),
        project("netlists/sixteen-unit.toml"),
    ];
    fuzz("config", &seeds, |b| {
        let t = text(b);
        if let Ok(raw) = parse("fuzz.toml", &t, &[], &["result"]) {
            if let Ok(cfg) = check(raw, "fuzz.toml", &t) {
                let _ = limits::check(&cfg, "fuzz.toml");
            }
        }
    });
}

#[test]
fn set_overrides() {
    let base = text(&project("examples/mnist3.toml"));
    let seeds: Vec<Vec<u8>> = [
        "train.batch=4",
        "model.hidden=64",
        "noising.t_final=2.5",
        "data.digits=[0,1]",
        "model.dt=1e-3",
        "train.optimizer=\"sgd\"",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    fuzz("--set", &seeds, |b| {
        if let Ok(raw) = parse("f.toml", &base, &[text(b)], &[]) {
            if let Ok(cfg) = check(raw, "f.toml", &base) {
                let _ = limits::check(&cfg, "f.toml");
            }
        }
    });
}

#[test]
fn profile_parser() {
    let seeds = [
        project("hardware/ideal.toml"),
        project("hardware/gm-c.toml"),
        project("hardware/discrete-rc.toml"),
    ];
    fuzz("profile", &seeds, |b| {
        let _ = parse_profile("fuzz.toml", &text(b));
    });
}

#[test]
fn npz_params_reader() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("p.npz");
    let mut p = Params::<f32>::zeros(4);
    p.j[[0, 1]] = 0.5;
    p.j[[1, 0]] = 0.5;
    p.b[2] = -1.0;
    save_params(&path, &p).unwrap();
    let seed = std::fs::read(&path).unwrap();
    fuzz("npz", &[seed], |b| {
        std::fs::write(&path, b).unwrap();
        let _ = load_params::<f32>(&path, 4);
    });
}

#[test]
fn npy_reader() {
    let mut a = Vec::new();
    Array2::<f32>::from_shape_fn((3, 5), |(i, j)| (i * 5 + j) as f32)
        .write_npy(&mut a)
        .unwrap();
    let mut b = Vec::new();
    Array1::<u8>::from(vec![1, 2, 3]).write_npy(&mut b).unwrap();
    fuzz("npy", &[a, b], |bytes| {
        let _ = Array2::<f32>::read_npy(bytes);
        let _ = Array1::<u8>::read_npy(bytes);
    });
}

#[test]
fn deck_reader() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("deck.cir");
    let seeds = [
        project("netlists/two-unit.cir"),
        project("netlists/sixteen-unit.cir"),
    ];
    fuzz("deck", &seeds, |b| {
        std::fs::write(&path, b).unwrap();
        let _ = read_deck(&path);
    });
}

#[test]
fn sweep_and_shard_parsers() {
    let seeds: Vec<Vec<u8>> = [
        "bits=2..12",
        "mismatch=0..0.1/5",
        "tolerance=0.01,0.02,0.05",
        "mismatch=1e-3..1e-1/4log",
        "input_bits=2,3,4",
        "1/4",
        "3/3",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    fuzz("--sweep/--shard", &seeds, |b| {
        let t = text(b);
        let _ = Sweep::parse(&t);
        let _ = t.parse::<Shard>();
    });
}
