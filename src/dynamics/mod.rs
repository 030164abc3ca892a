//! Dynamics: reproducible noise streams, the Euler–Maruyama step, exact coupling-free
//! equilibrium samples, the batched sampler and the noising protocol.

pub mod equilibrium;
pub mod ideal;
pub mod noise;
pub mod noising;
pub mod philox;
pub mod rng;
pub mod sampler;
pub mod step;
