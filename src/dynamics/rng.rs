//! Reproducible random streams.
//!
//! Every trajectory owns its streams, identified by the run seed, a purpose and the
//! trajectory's global index. A trajectory's noise therefore never depends on the batch it
//! runs in, on the thread that runs it, or on whether a run was resumed. The thermal noise of
//! the dynamics (the hot path: one normal per unit and step) comes from counter-based Philox
//! streams ([`normal_streams`], `dynamics::philox`); everything drawn once per run or per
//! trajectory (initial states, image order, chips, bootstrap, deck noise) from PCG streams
//! ([`stream`]).

use super::philox::NormalStream;
use rand::SeedableRng;
use rand_pcg::Pcg64;

/// What a random stream is used for; distinct purposes never share a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Thermal noise of a noising (training) trajectory.
    Noising = 1,
    /// Which training image a trajectory noises.
    ImageChoice = 2,
    /// Initial state of a generated sample.
    SampleInit = 3,
    /// Thermal noise of a generated sample.
    SampleNoise = 4,
    /// Random initial parameters and random projections.
    Init = 5,
    /// Component deviations of one chip of a tolerance study.
    Chip = 6,
    /// Bootstrap resampling of a metric.
    Bootstrap = 7,
    /// Held-out noising trajectories that score a chip.
    HeldOut = 8,
    /// Thermal noise of one node of an exported deck (index: the unit), shared by the deck's
    /// noise currents and the behavioral simulator driven by them.
    DeckNoise = 9,
}

/// The PCG stream for (`seed`, `purpose`, `index`).
pub fn stream(seed: u64, purpose: Purpose, index: u64) -> Pcg64 {
    // Spread the seed over the 128-bit state with a fixed odd multiplier (SplitMix-style), so
    // that nearby seeds give unrelated states; the stream selector carries purpose and index.
    let mut z = seed
        .wrapping_add(0x9E37_79B9_7F4A_7C15)
        .wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z ^= z >> 31;
    let state = (u128::from(z) << 64) | u128::from(seed ^ 0xD1B5_4A32_D192_ED03);
    let selector = (u128::from(purpose as u64) << 64) | u128::from(index);
    let mut rng = Pcg64::new(state, selector);
    // Decorrelate the first outputs of neighbouring streams.
    let _ = Pcg64::from_rng(&mut rng);
    rng
}

/// One stream per trajectory for indices `first..first + count`.
pub fn streams(seed: u64, purpose: Purpose, first: u64, count: usize) -> Vec<Pcg64> {
    (0..count as u64)
        .map(|k| stream(seed, purpose, first + k))
        .collect()
}

/// One Philox normal stream per trajectory for indices `first..first + count`.
pub fn normal_streams(seed: u64, purpose: Purpose, first: u64, count: usize) -> Vec<NormalStream> {
    (0..count as u64)
        .map(|k| NormalStream::new(seed, purpose, first + k))
        .collect()
}
