//! Reports: PNG figures rendered with an embedded font, so they look the same on machines
//! without any system fonts. (CSV, NPY and NPZ writers live in [`crate::io`].)
//!
//! [`plot`] renders line charts (e.g. loss vs trajectory), histograms and image grids
//! (e.g. generated digits); [`bars`] horizontal bar charts on a log axis (energy budgets).

pub mod bars;
pub mod plot;
