//! Data sets: IDX (MNIST) reader, embedded synthetic digits, normalisation.
