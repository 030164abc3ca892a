//! The Langevin computer: physical constants, topology, parameters, and the batched
//! potential and force.
//!
//! V(x) = Σ_i (J2 x_i² + J4 x_i⁴) + Σ_i b_i x_i + Σ_(i<j) J_ij x_i x_j, in units of energy
//! (the same units as kT). The force on unit i is −∂_iV = −(2 J2 x_i + 4 J4 x_i³ + b_i + Σ_j J_ij x_j).
//! Units evolve by overdamped Langevin dynamics dx = −μ ∂V/∂x dt + √(2 μ kT dt) η.

use super::{Params, Topology};
use crate::linalg::{block_product, Parallelism, Real};
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis, Zip};

/// Physical constants of the computer. Energies in a common unit (kT sets the scale),
/// time in model time units, μ in 1/(energy · time).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Physics {
    /// Quadratic on-site coefficient J2.
    pub j2: f64,
    /// Quartic on-site coefficient J4 (≥ 0 keeps V bounded below).
    pub j4: f64,
    /// Mobility μ.
    pub mu: f64,
    /// Thermal energy kT.
    pub kt: f64,
    /// Euler–Maruyama time step Δt.
    pub dt: f64,
}

impl Physics {
    /// The paper's constants: J2 = J4 = 1, μ = 1, kT = 0.1 (so J2 = J4 = 10 kT), Δt = 1e-3.
    pub const PAPER: Physics = Physics {
        j2: 1.0,
        j4: 1.0,
        mu: 1.0,
        kt: 0.1,
        dt: 1e-3,
    };

    /// Standard deviation of one Euler–Maruyama noise kick, √(2 μ kT Δt).
    pub fn noise_amplitude(&self) -> f64 {
        (2.0 * self.mu * self.kt * self.dt).sqrt()
    }

    /// Number of Euler–Maruyama steps that cover a duration `t` (rounded to nearest).
    pub fn steps(&self, t: f64) -> usize {
        (t / self.dt).round() as usize
    }

    /// On-site force derivative 2 J2 x + 4 J4 x³.
    #[inline]
    pub fn onsite_grad<R: Real>(&self, x: R) -> R {
        let (j2, j4) = (R::of(2.0 * self.j2), R::of(4.0 * self.j4));
        x * (j2 + j4 * x * x)
    }

    /// On-site energy J2 x² + J4 x⁴.
    #[inline]
    pub fn onsite_energy(&self, x: f64) -> f64 {
        let x2 = x * x;
        x2 * (self.j2 + self.j4 * x2)
    }
}

/// Which source groups a coupling field sums over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sources {
    /// Every coupled group.
    All,
    /// Evolving groups only (the part that changes during a trajectory).
    Evolving,
    /// Clamped groups only (constant during a trajectory).
    Clamped,
}

impl Sources {
    fn accepts(self, clamped: bool) -> bool {
        match self {
            Sources::All => true,
            Sources::Evolving => !clamped,
            Sources::Clamped => clamped,
        }
    }
}

/// Which part of the coupling field h = x·J [`Computer::coupling_field`] computes, and how it
/// writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldPart {
    /// The source groups summed over.
    pub sources: Sources,
    /// Also compute the field on clamped units (the energy needs it; no dynamics does).
    pub clamped_targets: bool,
    /// Add h to `out` instead of overwriting it.
    pub accumulate: bool,
}

impl FieldPart {
    /// The field from `sources` on the evolving units, overwriting `out`.
    pub fn of(sources: Sources) -> Self {
        FieldPart {
            sources,
            clamped_targets: false,
            accumulate: false,
        }
    }

    /// The field from `sources` on the evolving units, added to `out`.
    pub fn added(sources: Sources) -> Self {
        FieldPart {
            accumulate: true,
            ..Self::of(sources)
        }
    }
}

/// A Langevin computer: constants, topology and parameters.
#[derive(Clone, Debug)]
pub struct Computer<R> {
    /// Physical constants.
    pub physics: Physics,
    /// Units, groups and masks.
    pub topology: Topology,
    /// Couplings and biases.
    pub params: Params<R>,
}

impl<R: Real> Computer<R> {
    /// Number of units N.
    pub fn n(&self) -> usize {
        self.topology.n()
    }

    /// Coupling field h = x·J for a batch x [B, N] into `out`, the part `part` says: summed
    /// over its source groups, block by block over the coupled groups only, into the evolving
    /// groups (clamped groups never move, so their field is not computed unless
    /// `part.clamped_targets`: their columns of `out` are zeroed, or left as they are with
    /// `part.accumulate`). With `accumulate`, h is added to `out`; otherwise `out` is
    /// overwritten.
    pub fn coupling_field(
        &self,
        x: ArrayView2<'_, R>,
        out: ArrayViewMut2<'_, R>,
        part: FieldPart,
        par: Parallelism,
    ) {
        let FieldPart {
            sources,
            clamped_targets,
            accumulate,
        } = part;
        let groups = self.topology.groups();
        // Clamped targets never move: no sources, so their field is zeroed (or left).
        let sources_of = |a: usize| {
            let skip = groups[a].clamped && !clamped_targets;
            self.topology
                .sources(a)
                .filter(move |&b| !skip && sources.accepts(groups[b].clamped))
        };
        block_product(
            self.params.j.view(),
            groups.len(),
            |a| groups[a].range.clone(),
            x,
            out,
            accumulate,
            sources_of,
            par,
        );
    }

    /// The part of ∂V/∂x that clamped units keep constant, for each row of x [B, N]:
    /// b + Σ_(j clamped) J_ij x_j (just b for a model without clamped groups). Evolving units'
    /// columns are what the dynamics need; clamped columns hold b only.
    pub fn clamped_offset(&self, x: ArrayView2<'_, R>, par: Parallelism) -> Array2<R> {
        let mut out = Array2::zeros(x.raw_dim());
        out.assign(&self.params.b.broadcast(x.raw_dim()).expect("bias shape"));
        self.coupling_field(x, out.view_mut(), FieldPart::added(Sources::Clamped), par);
        out
    }

    /// ∂V/∂x for a batch x [B, N] into `out` [B, N] (clamped units' columns hold only their
    /// on-site and bias terms: no dynamics uses them).
    pub fn grad_potential(
        &self,
        x: ArrayView2<'_, R>,
        mut out: ArrayViewMut2<'_, R>,
        par: Parallelism,
    ) {
        let dim = out.raw_dim();
        out.assign(&self.params.b.broadcast(dim).expect("bias shape"));
        self.coupling_field(x, out.view_mut(), FieldPart::added(Sources::All), par);
        self.add_onsite(x, out, par);
    }

    /// ∂V/∂x along one trajectory x [T, N] whose clamped units hold the same values in every
    /// row: the field from clamped units is computed once, from the first row.
    pub fn grad_potential_path(
        &self,
        x: ArrayView2<'_, R>,
        mut out: ArrayViewMut2<'_, R>,
        par: Parallelism,
    ) {
        let offset = self.clamped_offset(x.slice(s![..1, ..]), par);
        let dim = out.raw_dim();
        out.assign(&offset.broadcast(dim).expect("one row"));
        self.coupling_field(x, out.view_mut(), FieldPart::added(Sources::Evolving), par);
        self.add_onsite(x, out, par);
    }

    /// `out += ∂V_onsite/∂x` elementwise, on `par`'s threads when it has more than one.
    fn add_onsite(&self, x: ArrayView2<'_, R>, mut out: ArrayViewMut2<'_, R>, par: Parallelism) {
        let ph = self.physics;
        let zip = Zip::from(&mut out).and(&x);
        if par.threads() > 1 {
            zip.par_for_each(|o, &xi| *o += ph.onsite_grad(xi));
        } else {
            zip.for_each(|o, &xi| *o += ph.onsite_grad(xi));
        }
    }

    /// Potential energy V(x) of each row of a batch x [B, N], accumulated in f64.
    pub fn energy(&self, x: ArrayView2<'_, R>, par: Parallelism) -> Array1<f64> {
        let mut h = Array2::zeros(x.raw_dim());
        let all = FieldPart {
            clamped_targets: true,
            ..FieldPart::of(Sources::All)
        };
        self.coupling_field(x, h.view_mut(), all, par);
        energy_from_field(&self.physics, self.params.b.view(), x, h.view())
    }
}

/// V per row from x and its coupling field h = x·J: Σ(J2x² + J4x⁴ + b x + ½ x h).
pub fn energy_from_field<R: Real>(
    ph: &Physics,
    b: ArrayView1<'_, R>,
    x: ArrayView2<'_, R>,
    h: ArrayView2<'_, R>,
) -> Array1<f64> {
    let mut e = Array1::zeros(x.nrows());
    Zip::from(&mut e)
        .and(x.axis_iter(Axis(0)))
        .and(h.axis_iter(Axis(0)))
        .par_for_each(|e, xr, hr| {
            let mut acc = 0.0f64;
            for ((&xi, &hi), &bi) in xr.iter().zip(hr.iter()).zip(b.iter()) {
                let xi = xi.f64();
                acc += ph.onsite_energy(xi) + xi * (bi.f64() + 0.5 * hi.f64());
            }
            *e = acc;
        });
    e
}
