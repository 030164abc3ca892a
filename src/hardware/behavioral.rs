//! The behavioral simulator: the node equations of a [`Circuit`], compiled once into the
//! batched form the sampler integrates (a block-sparse matrix product plus per-node terms).
//!
//! Every unit node i obeys Kirchhoff's current law with its capacitance C_i:
//! C_i dv_i/dt = −Σ_k G_ik v_k − k_i v_i³ − I_i − I_L,i + ξ_i,  ⟨ξ_i(t)ξ_i(t′)⟩ = S_i δ(t−t′),
//! where G collects resistors (to ground, between nodes, or to buffer outputs
//! v = gain·v_k + offset, whose offsets land in the constant currents I_i), negative
//! conductances to ground (NICs, −|G| on the diagonal) and VCCS transconductances, k_i the cubic sources, I_i the DC sources, S_i the noise PSDs. An RLC
//! node's restoring branch is an inductor L_i in series with R_i: L_i dI_L/dt = v_i − R_i I_L.
//!
//! In model units (x = v/v0, time in units of `t_unit`) this is
//! dx_i = −[a_i x_i + c_i x_i³ + e_i + Σ_k M_ki x_k + u_i] dt + σ_i η_i,
//! a_i = t_unit G_ii/C_i, M_ki = t_unit G_ik/C_i, c_i = t_unit k_i v0²/C_i, e_i = t_unit I_i/(C_i v0),
//! σ_i = √(S_i t_unit Δt)/(C_i v0), and the branch term u_i = t_unit I_L,i/(C_i v0) follows
//! du_i = (ω_i x_i − γ_i u_i) dt with ω_i = t_unit²/(L_i C_i), γ_i = R_i t_unit/L_i, integrated
//! exactly over a step (stable for any parasitic inductance). For the ideal circuit of a model
//! these are a = 2μJ2, c = 4μJ4, e = μb, M = μJ, σ = √(2μkTΔt): the model's Euler–Maruyama step.
//! Nothing here reads the model: a perturbed circuit is simulated exactly as it is built.
//!
//! A clamped unit's node is held by an ideal voltage source ([`Component::Drive`]) at the value
//! it starts a run with: it has no equation of its own (any element on it only changes the
//! current its source supplies), and its columns of the coupling matrix are a per-run constant,
//! the [`Dynamics::offset`] e_i + Σ_(k clamped) M_ki x_k, as in the ideal computer. Steps
//! update, and draw noise for, the evolving units only.

use super::circuit::{Circuit, CircuitError, Component, Mapping, NodeId, NodeRole, Terminal};
use crate::dynamics::noise::Normals;
use crate::dynamics::sampler::{Dynamics, RowStep};
use crate::dynamics::step::with_normals;
use crate::linalg::{BlockSparse, Parallelism, Real};
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2};

/// Largest a_i·Δt (node relaxation per step) the explicit update accepts.
const MAX_RATE_DT: f64 = 0.5;

/// A compiled circuit in model units, ready for the batched sampler.
#[derive(Clone, Debug)]
pub struct Behavioral<R> {
    coupling: BlockSparse<R>,
    /// With clamped units: M split by source into (evolving rows, clamped rows).
    split: Option<(BlockSparse<R>, BlockSparse<R>)>,
    /// Contiguous ranges of evolving units, in unit order.
    evolving: Vec<std::ops::Range<usize>>,
    linear: Array1<R>,
    cubic: Array1<R>,
    constant: Array1<R>,
    sigma: Array1<R>,
    /// Per node (decay e^{−γΔt}, gain (ω/γ)(1 − e^{−γΔt})) of the inductor branch; empty for RC.
    branch: Vec<(R, R)>,
    dt: R,
    mapping: Mapping,
}

/// What a non-unit node carries.
#[derive(Clone, Copy)]
enum Aux {
    /// Output of a buffer: gain·v(unit) + offset.
    Buffer { unit: usize, gain: f64, offset: f64 },
    /// Midpoint of unit's inductor branch.
    Mid { unit: usize },
    /// Not (yet) known.
    Unknown,
}

/// Node voltages as the simulator sees them.
enum End {
    Ground,
    Unit(usize),
    Buffer { unit: usize, gain: f64, offset: f64 },
    Mid(usize),
}

impl<R: Real> Behavioral<R> {
    /// Compile `circuit` for Euler–Maruyama steps of `dt` model time units.
    pub fn compile(circuit: &Circuit, dt: f64) -> Result<Self, CircuitError> {
        let n = circuit.n_units();
        let clamped = circuit.clamped_units();
        let unsupported = CircuitError::Unsupported;
        let mut aux = vec![Aux::Unknown; circuit.nodes.len()];
        for (i, node) in circuit.nodes.iter().enumerate() {
            match node.role {
                NodeRole::Unit { unit } if unit == i && i < n => {}
                NodeRole::Unit { .. } => {
                    return Err(unsupported(format!(
                        "unit node {} is out of order",
                        node.name
                    )))
                }
                NodeRole::Inductor { of } => {
                    aux[i] = Aux::Mid {
                        unit: of.0 as usize,
                    }
                }
                NodeRole::Buffered { .. } => {}
            }
        }
        for comp in &circuit.components {
            if let Component::Buffer {
                input,
                output,
                gain,
                offset,
            } = *comp
            {
                let unit = input.0 as usize;
                if unit >= n {
                    return Err(unsupported(format!(
                        "buffer input {} is not a unit node",
                        circuit.nodes[unit].name
                    )));
                }
                aux[output.0 as usize] = Aux::Buffer { unit, gain, offset };
            }
        }
        let end = |t: Terminal| -> Result<End, CircuitError> {
            Ok(match t {
                Terminal::Ground => End::Ground,
                Terminal::Node(NodeId(k)) if (k as usize) < n => End::Unit(k as usize),
                Terminal::Node(NodeId(k)) => match aux[k as usize] {
                    Aux::Buffer { unit, gain, offset } => End::Buffer { unit, gain, offset },
                    Aux::Mid { unit } => End::Mid(unit),
                    Aux::Unknown => {
                        return Err(unsupported(format!(
                            "node {} is not driven by a buffer",
                            circuit.nodes[k as usize].name
                        )))
                    }
                },
            })
        };
        let unit_of = |id: NodeId| -> Result<usize, CircuitError> {
            let k = id.0 as usize;
            if k < n {
                Ok(k)
            } else {
                Err(unsupported(format!(
                    "{} is not a unit node",
                    circuit.nodes[k].name
                )))
            }
        };

        let mut cap = vec![0.0f64; n];
        let mut g = Array2::<f64>::zeros((n, n));
        let mut cubic = vec![0.0f64; n];
        let mut current = vec![0.0f64; n];
        let mut psd = vec![0.0f64; n];
        let mut inductance = vec![None::<f64>; n];
        let mut branch_r = vec![None::<f64>; n];
        for comp in &circuit.components {
            match *comp {
                Component::Capacitor { node, farads } => cap[unit_of(node)?] += farads,
                Component::Resistor { a, b, ohms } => {
                    let y = 1.0 / ohms;
                    match (end(a)?, end(b)?) {
                        (End::Unit(i), End::Ground) | (End::Ground, End::Unit(i)) => {
                            g[[i, i]] += y
                        }
                        (End::Unit(i), End::Unit(j)) => {
                            g[[i, i]] += y;
                            g[[j, j]] += y;
                            g[[i, j]] -= y;
                            g[[j, i]] -= y;
                        }
                        (End::Unit(i), End::Buffer { unit, gain, offset })
                        | (End::Buffer { unit, gain, offset }, End::Unit(i)) => {
                            g[[i, i]] += y;
                            g[[i, unit]] -= y * gain;
                            current[i] -= y * offset;
                        }
                        (End::Mid(i), End::Ground) | (End::Ground, End::Mid(i)) => {
                            branch_r[i] = Some(ohms)
                        }
                        _ => {
                            return Err(unsupported(format!(
                                "resistor {ohms:e} Ω between {a:?} and {b:?} is not a supported connection"
                            )))
                        }
                    }
                }
                Component::Inductor { a, b, henries } => match (end(a)?, end(b)?) {
                    (End::Unit(i), End::Mid(k)) | (End::Mid(k), End::Unit(i)) if i == k => {
                        inductance[i] = Some(henries)
                    }
                    _ => {
                        return Err(unsupported(
                            "an inductor must join a unit node to its branch midpoint".into(),
                        ))
                    }
                },
                Component::Vccs { out, ctrl, siemens } => {
                    g[[unit_of(out)?, unit_of(ctrl)?]] += siemens
                }
                Component::Buffer { .. } => {}
                Component::Drive { node } => {
                    unit_of(node)?;
                }
                Component::Cubic {
                    node,
                    amps_per_volt3,
                } => cubic[unit_of(node)?] += amps_per_volt3,
                Component::NegativeConductance { node, siemens } => {
                    let i = unit_of(node)?;
                    g[[i, i]] -= siemens
                }
                Component::CurrentSource { node, amps } => current[unit_of(node)?] += amps,
                Component::NoiseCurrent { node, psd: s } => psd[unit_of(node)?] += s,
            }
        }

        let m = &circuit.mapping;
        let (tu, v0) = (m.t_unit, m.v0);
        let mut branch = Vec::new();
        let any_branch = inductance.iter().any(Option::is_some);
        let mut coupling = Array2::<R>::zeros((n, n));
        let mut linear = Array1::zeros(n);
        let mut cub = Array1::zeros(n);
        let mut constant = Array1::zeros(n);
        let mut sigma = Array1::zeros(n);
        for i in 0..n {
            let name = &circuit.nodes[i].name;
            if clamped[i] {
                // Driven node: no equation; its column of M stays zero.
                if any_branch {
                    branch.push((R::zero(), R::zero()));
                }
                continue;
            }
            if cap[i] <= 0.0 {
                return Err(unsupported(format!("unit node {name} has no capacitance")));
            }
            let rate = tu / cap[i];
            let a = rate * g[[i, i]];
            if a.is_nan() || a * dt > MAX_RATE_DT {
                return Err(CircuitError::Stiff {
                    node: name.to_string(),
                    rate: a,
                    dt,
                    limit: MAX_RATE_DT,
                });
            }
            linear[i] = R::of(a);
            cub[i] = R::of(rate * cubic[i] * v0 * v0);
            constant[i] = R::of(rate * current[i] / v0);
            sigma[i] = R::of((psd[i] * tu * dt).sqrt() / (cap[i] * v0));
            for k in (0..n).filter(|&k| k != i) {
                coupling[[k, i]] = R::of(rate * g[[i, k]]);
            }
            if any_branch {
                branch.push(match (inductance[i], branch_r[i]) {
                    (Some(l), Some(r)) => {
                        let omega = tu * tu / (l * cap[i]);
                        let gamma = r * tu / l;
                        let decay = (-gamma * dt).exp();
                        (R::of(decay), R::of(omega / gamma * (1.0 - decay)))
                    }
                    (None, None) => (R::zero(), R::zero()),
                    _ => {
                        return Err(unsupported(format!(
                            "unit node {name}: inductor without its series resistor"
                        )))
                    }
                });
            }
        }
        let ranges: Vec<_> = circuit.groups.iter().map(|(_, r)| r.clone()).collect();
        let split = clamped.iter().any(|&c| c).then(|| {
            let rows = |keep: bool| {
                let mut m = coupling.clone();
                for (k, mut row) in m.rows_mut().into_iter().enumerate() {
                    if clamped[k] != keep {
                        row.fill(R::zero());
                    }
                }
                BlockSparse::new(m, ranges.clone())
            };
            (rows(false), rows(true))
        });
        let mut evolving: Vec<std::ops::Range<usize>> = Vec::new();
        for i in (0..n).filter(|&i| !clamped[i]) {
            match evolving.last_mut() {
                Some(r) if r.end == i => r.end += 1,
                _ => evolving.push(i..i + 1),
            }
        }
        Ok(Behavioral {
            coupling: BlockSparse::new(coupling, ranges),
            split,
            evolving,
            linear,
            cubic: cub,
            constant,
            sigma,
            branch,
            dt: R::of(dt),
            mapping: *m,
        })
    }

    /// The coupling matrix M [N, N] (drift of unit i gets Σ_k M_ki x_k; the columns of clamped
    /// units are zero) and its stored blocks.
    pub fn coupling(&self) -> &BlockSparse<R> {
        &self.coupling
    }

    /// The mapping constants of the circuit this was compiled from.
    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// Per-unit noise amplitude σ_i of one step (model units).
    pub fn sigma(&self) -> &Array1<R> {
        &self.sigma
    }

    /// Deterministic drift rate D_i(x) = a_i x_i + c_i x_i³ + e_i + Σ_k M_ki x_k + u_i of each
    /// row of a batch x [B, N] into `out`, with inductor branches at their quasi-static current
    /// u_i = (ω_i/γ_i) x_i.
    pub fn drift(&self, x: ArrayView2<'_, R>, mut out: ArrayViewMut2<'_, R>, par: Parallelism) {
        self.coupling.product(x, out.view_mut(), false, par);
        let branch: Vec<R> = self
            .branch
            .iter()
            .map(|&(decay, gain)| {
                if gain == R::zero() {
                    R::zero()
                } else {
                    gain / (R::one() - decay)
                }
            })
            .collect();
        ndarray::Zip::from(out.rows_mut())
            .and(x.rows())
            .par_for_each(|mut o, xr| {
                for (i, (o, &v)) in o.iter_mut().zip(xr.iter()).enumerate() {
                    let lin = self.linear[i] + branch.get(i).copied().unwrap_or(R::zero());
                    *o = *o + v * (lin + self.cubic[i] * v * v) + self.constant[i];
                }
            });
    }

    /// Reverse-step −ln P̃ of a recorded trajectory `traj` [T+1, N] under this circuit, per unit
    /// and step: Σ_k Σ_i (x_k,i − x_k+1,i + Δt D_i(x_k+1))² / (2 σ_i²) / (T N), the model's
    /// training loss (eq. 7) with the circuit's drift and noise in place of the model's.
    /// Units without noise are skipped (their reverse step is not a probability density).
    pub fn reverse_nll(&self, traj: ArrayView2<'_, R>, par: Parallelism) -> f64 {
        let t = traj.nrows() - 1;
        let later = traj.slice(ndarray::s![1.., ..]);
        let mut d = Array2::zeros(later.raw_dim());
        self.drift(later, d.view_mut(), par);
        let noisy: Vec<(usize, f64)> = self
            .sigma
            .iter()
            .enumerate()
            .filter(|(_, s)| **s > R::zero())
            .map(|(i, s)| (i, 1.0 / (2.0 * s.f64() * s.f64())))
            .collect();
        let dt = self.dt.f64();
        let mut total = 0.0;
        for k in 0..t {
            for &(i, w) in &noisy {
                let r = traj[[k, i]].f64() - traj[[k + 1, i]].f64() + dt * d[[k, i]].f64();
                total += r * r * w;
            }
        }
        total / (t * noisy.len().max(1)) as f64
    }
}

impl<R: Real> Dynamics<R> for Behavioral<R> {
    fn n(&self) -> usize {
        self.linear.len()
    }

    fn aux_len(&self) -> usize {
        self.branch.len()
    }

    /// With clamped units: e_i + Σ_(k clamped) M_ki x_k from the starting states [B, N] (the
    /// drive voltages hold for the whole run); [B, 0] otherwise (e_i is added per step).
    fn offset(&self, x: ArrayView2<'_, R>, par: Parallelism) -> Array2<R> {
        let Some((_, from_clamped)) = &self.split else {
            return Array2::zeros((x.nrows(), 0));
        };
        let mut out = Array2::zeros(x.raw_dim());
        out.assign(
            &self
                .constant
                .broadcast(x.raw_dim())
                .expect("constant shape"),
        );
        from_clamped.product(x, out.view_mut(), true, par);
        out
    }

    /// Σ_k M_ki x_k over evolving sources k.
    fn field(&self, x: ArrayView2<'_, R>, out: ArrayViewMut2<'_, R>, par: Parallelism) {
        let m = self.split.as_ref().map_or(&self.coupling, |(m, _)| m);
        m.product(x, out, false, par);
    }

    fn advance<N: Normals>(&self, row: RowStep<'_, R>, noise: &mut N) {
        let RowStep {
            x,
            aux,
            field,
            offset,
        } = row;
        let dt = self.dt;
        let branch = !aux.is_empty();
        // The normals of a chunk of units first (one vectorised fill), then its updates.
        for range in &self.evolving {
            with_normals(range.clone(), noise, |start, eta: &[R]| {
                for (i, &e) in (start..).zip(eta) {
                    let v = x[i];
                    let u = if branch { aux[i] } else { R::zero() };
                    let constant = if offset.is_empty() {
                        self.constant[i]
                    } else {
                        offset[i]
                    };
                    let drift =
                        v * (self.linear[i] + self.cubic[i] * v * v) + constant + field[i] + u;
                    x[i] = v - dt * drift + self.sigma[i] * e;
                    if branch {
                        let (decay, gain) = self.branch[i];
                        aux[i] = decay * u + gain * x[i];
                    }
                }
            });
        }
    }
}
