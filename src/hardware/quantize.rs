//! Quantization of couplings and biases to a finite bit width or a resistor series.
