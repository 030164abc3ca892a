//! First-order optimizers on the trainable parameters (masked couplings and biases).

use crate::linalg::Real;
use crate::model::Params;
use ndarray::{Array, Dimension, Zip};

/// Optimizer choice and hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimizerKind {
    /// θ ← θ − η g (with optional heavy-ball momentum).
    Sgd { learning_rate: f64, momentum: f64 },
    /// Adam (Kingma & Ba) with bias correction.
    Adam {
        learning_rate: f64,
        beta1: f64,
        beta2: f64,
        eps: f64,
    },
}

/// Optimizer state: first and second moments and the step count.
#[derive(Clone, Debug)]
pub struct Optimizer<R> {
    /// Choice and hyper-parameters.
    pub kind: OptimizerKind,
    /// First moment (momentum buffer for SGD).
    pub m: Params<R>,
    /// Second moment (Adam only; zeros for SGD).
    pub v: Params<R>,
    /// Number of steps taken.
    pub t: u64,
}

impl<R: Real> Optimizer<R> {
    /// Fresh state for N units.
    pub fn new(kind: OptimizerKind, n: usize) -> Self {
        Optimizer {
            kind,
            m: Params::zeros(n),
            v: Params::zeros(n),
            t: 0,
        }
    }

    /// One descent step on `p` with gradient `g` (already masked: masked entries are zero and
    /// stay zero because their moments stay zero).
    pub fn step(&mut self, p: &mut Params<R>, g: &Params<R>) {
        self.t += 1;
        self.kind
            .update(self.t, &mut p.j, &mut self.m.j, &mut self.v.j, &g.j);
        self.kind
            .update(self.t, &mut p.b, &mut self.m.b, &mut self.v.b, &g.b);
    }
}

impl OptimizerKind {
    /// Update one parameter array `p` in place with gradient `g` at step `t` (1-based), using
    /// and updating its moments `m` and `v` (same shape). Shared by every trainable model.
    pub fn update<R: Real, D: Dimension>(
        &self,
        t: u64,
        p: &mut Array<R, D>,
        m: &mut Array<R, D>,
        v: &mut Array<R, D>,
        g: &Array<R, D>,
    ) {
        match *self {
            OptimizerKind::Sgd {
                learning_rate,
                momentum,
            } => {
                let (lr, mom) = (R::of(learning_rate), R::of(momentum));
                Zip::from(p).and(m).and(g).par_for_each(|p, m, &g| {
                    *m = mom * *m + g;
                    *p -= lr * *m;
                });
            }
            OptimizerKind::Adam {
                learning_rate,
                beta1,
                beta2,
                eps,
            } => {
                let t = t as i32;
                let step = learning_rate / (1.0 - beta1.powi(t));
                let corr2 = 1.0 / (1.0 - beta2.powi(t));
                let (b1, b2, lr, c2, e) = (
                    R::of(beta1),
                    R::of(beta2),
                    R::of(step),
                    R::of(corr2),
                    R::of(eps),
                );
                let one = R::one();
                Zip::from(p)
                    .and(m)
                    .and(v)
                    .and(g)
                    .par_for_each(|p, m, v, &g| {
                        *m = b1 * *m + (one - b1) * g;
                        *v = b2 * *v + (one - b2) * g * g;
                        *p -= lr * *m / ((*v * c2).sqrt() + e);
                    });
            }
        }
    }
}
