//! The Langevin computer: topology (which couplings exist), parameters (J, b) and the
//! batched potential, force and heat.

pub mod build;
mod computer;
mod params;
pub mod prototypes;
mod topology;

pub use computer::{energy_from_field, Computer, FieldPart, Physics, Sources};
pub use params::Params;
pub use topology::{is_group_name, Block, Connectivity, Group, GroupSpec, Topology, TopologyError};
