//! A fully connected network: dense layers with a shared hidden nonlinearity and a linear
//! output layer read through a softmax. Every product goes through [`crate::linalg::gemm`].

use crate::dynamics::rng::{stream, Purpose};
use crate::error::{Error, Result};
use crate::io::{write_npz, NpzIn};
use crate::linalg::{gemm, Parallelism, Real};
use ndarray::{Array1, Array2, ArrayView2, Axis, Zip};
use std::path::Path;

/// Hidden-layer nonlinearity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// tanh(z), range (−1, 1).
    Tanh,
    /// max(z, 0).
    Relu,
}

impl Activation {
    fn code(self) -> u8 {
        match self {
            Activation::Tanh => 0,
            Activation::Relu => 1,
        }
    }

    fn apply(self, z: f32) -> f32 {
        match self {
            Activation::Tanh => z.tanh(),
            Activation::Relu => z.max(0.0),
        }
    }

    /// Derivative expressed through the activation value a = f(z).
    fn slope(self, a: f32) -> f32 {
        match self {
            Activation::Tanh => 1.0 - a * a,
            Activation::Relu => f32::from(a > 0.0),
        }
    }
}

/// One dense layer y = x·W + c.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    /// Weights [inputs, outputs].
    pub w: Array2<f32>,
    /// Offsets [outputs].
    pub c: Array1<f32>,
}

/// A multilayer perceptron.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    /// Layers, input first; the last one produces the logits.
    pub layers: Vec<Dense>,
    /// Nonlinearity of every hidden layer.
    pub activation: Activation,
}

impl Mlp {
    /// A network with layer widths `sizes` (input, hidden…, output), weights drawn from
    /// N(0, gain/fan_in) (gain 1 for tanh, 2 for ReLU) from stream `seed`, offsets zero.
    pub fn new(sizes: &[usize], activation: Activation, seed: u64) -> Result<Self> {
        if sizes.len() < 2 || sizes.contains(&0) {
            return Err(Error::Setting {
                field: "MLP layer widths".into(),
                why: format!(" {sizes:?}: an MLP needs at least two positive layer widths"),
            });
        }
        let gain = match activation {
            Activation::Tanh => 1.0,
            Activation::Relu => 2.0,
        };
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(l, w)| {
                let mut rng = stream(seed, Purpose::Init, 1000 + l as u64);
                let sd = (gain / w[0] as f64).sqrt();
                Dense {
                    w: Array2::from_shape_simple_fn((w[0], w[1]), || {
                        (sd * f64::std_normal(&mut rng)) as f32
                    }),
                    c: Array1::zeros(w[1]),
                }
            })
            .collect();
        Ok(Mlp { layers, activation })
    }

    /// Layer widths, input first.
    pub fn sizes(&self) -> Vec<usize> {
        let mut s = vec![self.layers[0].w.nrows()];
        s.extend(self.layers.iter().map(|l| l.w.ncols()));
        s
    }

    /// Multiply–accumulates of one forward pass for one input.
    pub fn macs(&self) -> usize {
        self.layers.iter().map(|l| l.w.len()).sum()
    }

    /// Outputs of every layer for a batch x [B, inputs]: the hidden activations, then the
    /// logits (last entry).
    pub fn forward(&self, x: ArrayView2<'_, f32>, par: Parallelism) -> Vec<Array2<f32>> {
        let mut outs: Vec<Array2<f32>> = Vec::with_capacity(self.layers.len());
        for (l, layer) in self.layers.iter().enumerate() {
            let input = outs.last().map_or(x, |a| a.view());
            let mut z = Array2::from_shape_fn((input.nrows(), layer.c.len()), |(_, j)| layer.c[j]);
            gemm(z.view_mut(), true, input, layer.w.view(), 1.0, par);
            if l + 1 < self.layers.len() {
                let act = self.activation;
                z.par_mapv_inplace(|v| act.apply(v));
            }
            outs.push(z);
        }
        outs
    }

    /// Class probabilities (softmax of the logits) [B, classes].
    pub fn probabilities(&self, x: ArrayView2<'_, f32>, par: Parallelism) -> Array2<f32> {
        let mut logits = self.forward(x, par).pop().expect("at least one layer");
        softmax_rows(&mut logits);
        logits
    }

    /// Penultimate-layer activations [B, last hidden width] (the input itself for a network
    /// without hidden layers).
    pub fn features(&self, x: ArrayView2<'_, f32>, par: Parallelism) -> Array2<f32> {
        let mut outs = self.forward(x, par);
        outs.pop();
        outs.pop().unwrap_or_else(|| x.to_owned())
    }

    /// Predicted class of every row.
    pub fn predict(&self, x: ArrayView2<'_, f32>, par: Parallelism) -> Vec<usize> {
        let logits = self.forward(x, par).pop().expect("at least one layer");
        logits
            .axis_iter(Axis(0))
            .map(|r| argmax(r.iter()))
            .collect()
    }

    /// Fraction of rows whose predicted class equals the label.
    pub fn accuracy(&self, x: ArrayView2<'_, f32>, labels: &[u8], par: Parallelism) -> f64 {
        let hits = self
            .predict(x, par)
            .iter()
            .zip(labels)
            .filter(|(p, &l)| **p == l as usize)
            .count();
        hits as f64 / labels.len().max(1) as f64
    }

    /// Mean softmax cross-entropy of a batch and its gradient with respect to every layer
    /// (returned in the layers' shapes).
    pub fn loss_and_grad(
        &self,
        x: ArrayView2<'_, f32>,
        labels: &[u8],
        par: Parallelism,
    ) -> (f64, Vec<Dense>) {
        let outs = self.forward(x, par);
        let b = x.nrows();
        let mut delta = outs.last().expect("at least one layer").clone();
        softmax_rows(&mut delta);
        let mut loss = 0.0;
        for (mut row, &l) in delta.axis_iter_mut(Axis(0)).zip(labels) {
            loss -= (row[l as usize].max(1e-30) as f64).ln();
            row[l as usize] -= 1.0;
        }
        delta /= b as f32;
        let mut grads = Vec::with_capacity(self.layers.len());
        for l in (0..self.layers.len()).rev() {
            let input = if l == 0 { x } else { outs[l - 1].view() };
            let mut gw = Array2::zeros(self.layers[l].w.raw_dim());
            gemm(gw.view_mut(), false, input.t(), delta.view(), 1.0, par);
            grads.push(Dense {
                w: gw,
                c: delta.sum_axis(Axis(0)),
            });
            if l > 0 {
                let mut back = Array2::zeros(input.raw_dim());
                let w = &self.layers[l].w;
                gemm(back.view_mut(), false, delta.view(), w.t(), 1.0, par);
                let act = self.activation;
                Zip::from(&mut back)
                    .and(&input)
                    .par_for_each(|d, &a| *d *= act.slope(a));
                delta = back;
            }
        }
        grads.reverse();
        (loss / b as f64, grads)
    }

    /// Save as an .npz archive: `W{l}`, `c{l}` per layer and `activation` (0 tanh, 1 ReLU).
    pub fn save(&self, path: &Path) -> Result<()> {
        write_npz(path, |z| {
            for (l, layer) in self.layers.iter().enumerate() {
                z.add(&format!("W{l}"), &layer.w)?;
                z.add(&format!("c{l}"), &layer.c)?;
            }
            z.add("activation", &Array1::from(vec![self.activation.code()]))
        })
    }

    /// Load a network written by [`Mlp::save`], checking that consecutive layers fit.
    pub fn load(path: &Path) -> Result<Self> {
        let mut z = NpzIn::open(path)?;
        let code: Array1<u8> = z.get1("activation")?;
        let activation = match code.first() {
            Some(0) => Activation::Tanh,
            Some(1) => Activation::Relu,
            other => {
                return Err(Error::Array {
                    path: path.into(),
                    msg: format!("unknown activation code {other:?}"),
                })
            }
        };
        let names = z.names()?;
        let mut layers: Vec<Dense> = Vec::new();
        while names.contains(&format!("W{}", layers.len())) {
            let l = layers.len();
            let layer = Dense {
                w: z.get2(&format!("W{l}"))?,
                c: z.get1(&format!("c{l}"))?,
            };
            let fits = layers.last().is_none_or(|p| p.w.ncols() == layer.w.nrows());
            if !fits || layer.c.len() != layer.w.ncols() {
                return Err(Error::Array {
                    path: path.into(),
                    msg: format!("layer {l} does not fit its neighbours"),
                });
            }
            layers.push(layer);
        }
        if layers.is_empty() {
            return Err(Error::Array {
                path: path.into(),
                msg: "no layers (W0) in the archive".into(),
            });
        }
        Ok(Mlp { layers, activation })
    }
}

/// Index of the largest value (the first one on ties; NaN never wins).
pub fn argmax<'a>(v: impl Iterator<Item = &'a f32>) -> usize {
    let mut best = (0, f32::NEG_INFINITY);
    for (i, &x) in v.enumerate() {
        if x > best.1 {
            best = (i, x);
        }
    }
    best.0
}

/// Numerically stable softmax of every row, in place.
pub fn softmax_rows(a: &mut Array2<f32>) {
    for mut row in a.axis_iter_mut(Axis(0)) {
        let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        row.mapv_inplace(|v| (v - m).exp());
        let s = row.sum();
        row /= s;
    }
}
