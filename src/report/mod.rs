//! Reports: PNG plots, CSV and NPY writers.
//!
//! [`plot`] renders line charts (e.g. loss vs trajectory), histograms and image grids
//! (e.g. generated digits) to PNG with an embedded font, so it works on machines without
//! any system fonts.

pub mod bars;
pub mod plot;
