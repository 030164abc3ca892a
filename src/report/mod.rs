//! Reports: PNG plots, CSV and NPY writers.
