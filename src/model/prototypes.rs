//! The prototype initialisation (`model.init = "prototypes"`): a winner-take-all potential
//! whose stable states are the training classes' prototypes, built from pairwise couplings and
//! biases alone, with the paper's on-site terms (J2, J4 > 0) kept for every unit.
//!
//! Why it is needed (docs/generation.md): with J = 0 to start from, the reverse-trajectory
//! likelihood trains potentials whose stable states are superpositions of training digits
//! (mixtures). A pure digit has to be made stable by the couplings themselves, which the
//! likelihood of t_f = 2.5 noising trajectories does not ask for. This potential does it
//! explicitly, and training starts from it.
//!
//! Construction, for n prototypes P_g (standardised images, g = 0 … n−1) and Nh hidden units:
//!
//! - **Groups.** Hidden units are split into n groups of G = ⌊Nh/n⌋ (the ⌊Nh mod n⌋ left over
//!   stay uncoupled). Within a group every pair is coupled by −a with a = 2α·J2/(G−1), α = 4,
//!   so a group's mean m feels J2(1 − α)m² + J4 m⁴ per unit: a collective double well with
//!   minima m = ±m*, m*² = J2(α−1)/(2 J4). A group is a collective spin s_g = ±1 whose flip
//!   costs ≈ G·J2²(α−1)²/(4 J4) (far above kT for G ≳ 10).
//! - **Visible couplings.** Visible unit i and a unit of group g are coupled by
//!   −k·P_{g,i}/(G m*), and visible unit i has the bias −k·Σ_g P_{g,i}, with k = s/2 for the
//!   noising bias scale s. Group spins s_g then put the field
//!   −k·Σ_g P_{g,i}(1 + s_g) on pixel i: zero when every group is off, and exactly the
//!   noising protocol's imprint −s·P_{g,i} when group g alone is on. The visible units settle
//!   where the noising trajectories of prototype g start.
//! - **One winner.** Units of different groups are coupled by +C/(G² m*²) and every hidden unit
//!   has the bias C(n−2)/(G m*), C = `model.prototype_gap` (energy). In the group spins this is
//!   C·Σ_(g<h) s_g s_h + C(n−2)·Σ_g s_g, whose minimum over the 2ⁿ configurations is the n
//!   one-hot states (exactly one group on), 2C below the nearest other state. C must exceed
//!   the energy by which the visible units' feedback favours a second group (the overlap of
//!   two prototypes, ≈ k·Σ_i x_i P_{h,i}); 3000 energy units suit MNIST digits at s = 3.
//!
//! The prototypes of a class are the standardised means of `per_class` consecutive chunks of
//! that class's training images (one chunk: the image itself for the paper's one image per
//! class).

use super::{Params, Physics, Topology};
use crate::config::PrototypeInit;
use crate::data::standardise_rows;
use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView2, Axis};

/// Ferromagnetic strength α of a group: the group's collective quadratic is J2(1 − α).
pub const ALPHA: f64 = 4.0;

/// The prototypes [n, Nv] of standardised `images` [M, Nv] with `labels` [M]: for each class in
/// `classes` (in that order), `per_class` standardised means of consecutive chunks of its images.
/// Also returns each prototype's class.
pub fn prototypes(
    images: ArrayView2<'_, f32>,
    labels: &[u8],
    classes: &[u8],
    per_class: usize,
) -> Result<(Array2<f32>, Vec<u8>)> {
    let nv = images.ncols();
    let mut rows = Vec::new();
    let mut of = Vec::new();
    for &c in classes {
        let idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
        if idx.len() < per_class {
            return Err(Error::Setting {
                field: "model.prototypes_per_class".into(),
                why: format!(
                    " = {per_class}: class {c} has only {} training image(s)",
                    idx.len()
                ),
            });
        }
        for k in 0..per_class {
            let (lo, hi) = (k * idx.len() / per_class, (k + 1) * idx.len() / per_class);
            let mut mean = vec![0.0f64; nv];
            for &i in &idx[lo..hi] {
                for (m, &v) in mean.iter_mut().zip(images.row(i)) {
                    *m += v as f64;
                }
            }
            rows.extend(mean.iter().map(|m| (m / (hi - lo) as f64) as f32));
            of.push(c);
        }
    }
    let p = Array2::from_shape_vec((of.len(), nv), rows).expect("rows of nv pixels");
    Ok((standardise_rows(p.view()), of))
}

/// The couplings and biases of the prototype potential (module docs) for `protos` [n, Nv] on
/// a visible/hidden computer (`visible` visible units first, then the hidden ones), noising
/// bias scale `bias_scale`. Every coupling lies inside `topology`'s mask, or it is an error.
pub fn params(
    physics: &Physics,
    topology: &Topology,
    visible: usize,
    protos: ArrayView2<'_, f32>,
    init: PrototypeInit,
    bias_scale: f64,
) -> Result<Params<f32>> {
    let n_units = topology.n();
    let hidden = n_units - visible;
    let n = protos.nrows();
    let setting = |field: &str, why: String| Error::Setting {
        field: field.into(),
        why,
    };
    if physics.j2 <= 0.0 || physics.j4 <= 0.0 {
        return Err(setting(
            "model.init",
            " = \"prototypes\" needs J2 > 0 and J4 > 0 (each group is a collective double well of J2 and J4)".into(),
        ));
    }
    if bias_scale <= 0.0 {
        return Err(setting(
            "noising.bias_scale",
            " must be positive with model.init = \"prototypes\" (the prototypes are imprinted as the noising protocol imprints images)".into(),
        ));
    }
    let g = hidden / n.max(1);
    if n == 0 || g < 2 {
        return Err(setting(
            "model.hidden",
            format!(
                " = {hidden}: model.init = \"prototypes\" needs at least 2 hidden units per prototype ({n} prototypes)"
            ),
        ));
    }
    let (gf, nf) = (g as f64, n as f64);
    let a = 2.0 * ALPHA * physics.j2 / (gf - 1.0);
    let m = group_magnitude(physics);
    let k = bias_scale / 2.0;
    let c = init.gap;
    let mut p = Params::<f32>::zeros(n_units);
    let group = |u: usize| (u - visible) / g;
    for u in visible..visible + n * g {
        for w in (u + 1)..visible + n * g {
            let v = if group(u) == group(w) {
                -a
            } else {
                c / (gf * gf * m * m)
            };
            p.j[[u, w]] = v as f32;
            p.j[[w, u]] = v as f32;
        }
        p.b[u] = (c * (nf - 2.0) / (gf * m)) as f32;
        let proto = protos.row(group(u));
        for i in 0..visible {
            let v = (-k * proto[i] as f64 / (gf * m)) as f32;
            p.j[[i, u]] = v;
            p.j[[u, i]] = v;
        }
    }
    for (b, s) in p
        .b
        .iter_mut()
        .zip(protos.sum_axis(Axis(0)).iter())
        .take(visible)
    {
        *b = (-k * *s as f64) as f32;
    }
    let mask = topology.mask();
    if let Some(((i, j), _)) = p
        .j
        .indexed_iter()
        .find(|&((i, j), &v)| v != 0.0 && mask[[i, j]] == 0.0)
    {
        return Err(setting(
            "model.connectivity",
            format!(
                ": model.init = \"prototypes\" couples units {i} and {j}, which the connectivity does not connect (it needs the visible–hidden and hidden–hidden blocks, e.g. \"vh-hh\")"
            ),
        ));
    }
    Ok(p)
}

/// m* of the module docs: where a group's mean settles, √(J2(α−1)/(2 J4)).
pub fn group_magnitude(physics: &Physics) -> f64 {
    (physics.j2 * (ALPHA - 1.0) / (2.0 * physics.j4)).sqrt()
}

/// The hidden projection M [Nh, Nv] of `noising.hidden_projection = "prototypes"`: the noising
/// protocol gives hidden unit a the bias −s·h·(M P)_a, and M = T·P⁺/s with P⁺ the
/// pseudo-inverse of the prototypes [n, Nv] and T_{a,g} = 2 J2 h̄ + 4 J4 h̄³ at h̄ = h̄^g_a, the
/// value hidden unit a takes in the minimum of the prototype potential `init` nearest to
/// prototype g (found by gradient descent from the one-hot code ±m*). An uncoupled unit with
/// that bias sits at h̄^g_a, so a prototype's noising trajectory starts (at h = 1) where the
/// prototype potential holds it: the potential's drift vanishes at the imprinted state, and the
/// likelihood's first gradients do not tear the groups apart. Any other image is imprinted as
/// its least-squares mixture of the prototypes' codes.
pub fn projection(
    physics: &Physics,
    init: &Params<f32>,
    visible: usize,
    protos: ArrayView2<'_, f32>,
    bias_scale: f64,
) -> Result<Array2<f32>> {
    let (n, nv) = protos.dim();
    let hidden = init.n() - visible;
    let mut m = Array2::<f32>::zeros((hidden, nv));
    if n == 0 || bias_scale <= 0.0 {
        return Ok(m);
    }
    // P⁺ = Pᵀ (P Pᵀ)⁻¹, with the n×n Gram matrix inverted in f64.
    let p = protos.mapv(f64::from);
    let gram = p.dot(&p.t());
    let inv = invert(&gram).ok_or_else(|| Error::Setting {
        field: "model.prototypes_per_class".into(),
        why: ": two prototypes are linearly dependent (identical images?), so the hidden code cannot tell them apart".into(),
    })?;
    let pinv = p.t().dot(&inv); // [Nv, n]
    let held = relaxed_codes(physics, init, visible, protos, bias_scale); // [n, Nh]
    let t = held.mapv(|h| (2.0 * physics.j2 * h + 4.0 * physics.j4 * h.powi(3)) / bias_scale);
    // M = T P⁺ with T [Nh, n] = heldᵀ mapped.
    let mm = t.t().dot(&pinv.t()); // [Nh, Nv]
    m.assign(&mm.mapv(|v| v as f32));
    Ok(m)
}

/// The hidden part [n, Nh] of the minimum of the potential `params` reached by gradient descent
/// (step μΔt, up to 20,000 steps, until the largest force is below 1e-6) from each prototype's
/// imprinted state: visible units where the noising bias −s·P holds them, hidden units at the
/// one-hot code ±m*.
fn relaxed_codes(
    physics: &Physics,
    params: &Params<f32>,
    visible: usize,
    protos: ArrayView2<'_, f32>,
    bias_scale: f64,
) -> Array2<f64> {
    let n = protos.nrows();
    let units = params.n();
    let g = (units - visible) / n;
    let ms = group_magnitude(physics);
    let j = params.j.mapv(f64::from);
    let b = params.b.mapv(f64::from);
    let onsite = |v: f64| 2.0 * physics.j2 * v + 4.0 * physics.j4 * v.powi(3);
    let mut x = Array2::<f64>::zeros((n, units));
    for q in 0..n {
        for i in 0..visible {
            x[[q, i]] = solve_onsite(physics, -bias_scale * protos[[q, i]] as f64);
        }
        for a in 0..n * g {
            x[[q, visible + a]] = if a / g == q { ms } else { -ms };
        }
    }
    let step = physics.mu * physics.dt;
    for _ in 0..20_000 {
        let mut f = x.dot(&j);
        f += &b;
        f.zip_mut_with(&x, |fi, &xi| *fi += onsite(xi));
        let worst = f.iter().fold(0.0f64, |w, v| w.max(v.abs()));
        x.scaled_add(-step, &f);
        if worst < 1e-6 {
            break;
        }
    }
    x.slice(ndarray::s![.., visible..]).to_owned()
}

/// The x where an uncoupled unit with bias `b` rests: 2 J2 x + 4 J4 x³ + b = 0 (Newton from a
/// bracketing start; J2, J4 > 0 make the root unique).
fn solve_onsite(physics: &Physics, b: f64) -> f64 {
    let mut x = -b / (2.0 * physics.j2);
    for _ in 0..100 {
        let f = 2.0 * physics.j2 * x + 4.0 * physics.j4 * x.powi(3) + b;
        let d = 2.0 * physics.j2 + 12.0 * physics.j4 * x * x;
        let nx = x - f / d;
        if (nx - x).abs() < 1e-14 {
            return nx;
        }
        x = nx;
    }
    x
}

/// Inverse of a small symmetric positive-definite matrix by Gauss–Jordan elimination with
/// partial pivoting; None when it is singular to working precision.
fn invert(a: &Array2<f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    let mut m = a.clone();
    let mut inv = Array2::<f64>::eye(n);
    let norm = a.iter().fold(0.0f64, |s, v| s.max(v.abs()));
    for col in 0..n {
        let piv = (col..n).max_by(|&x, &y| m[[x, col]].abs().total_cmp(&m[[y, col]].abs()))?;
        if m[[piv, col]].abs() <= 1e-10 * norm {
            return None;
        }
        for k in 0..n {
            m.swap([col, k], [piv, k]);
            inv.swap([col, k], [piv, k]);
        }
        let d = m[[col, col]];
        for k in 0..n {
            m[[col, k]] /= d;
            inv[[col, k]] /= d;
        }
        for r in 0..n {
            if r != col {
                let f = m[[r, col]];
                if f != 0.0 {
                    for k in 0..n {
                        m[[r, k]] -= f * m[[col, k]];
                        inv[[r, k]] -= f * inv[[col, k]];
                    }
                }
            }
        }
    }
    Some(inv)
}

/// The noising protocol's hidden projection for a model configured by `cfg`, trained on the
/// standardised `images` with `labels`: the prototype code with
/// `noising.hidden_projection = "prototypes"`, else the protocol's own (seeded) projection.
pub fn noising_projection(
    cfg: &crate::config::Config,
    physics: &Physics,
    images: ArrayView2<'_, f32>,
    labels: &[u8],
) -> Result<Option<Array2<f32>>> {
    use crate::config::Init;
    use crate::dynamics::noising::HiddenProjection;
    let hidden = cfg.model.hidden;
    match (cfg.noising.hidden_projection, cfg.model.init) {
        (HiddenProjection::Prototypes, Init::Prototypes(init)) => {
            let (protos, _) = prototypes(images, labels, &cfg.data.digits, init.per_class)?;
            let visible = images.ncols();
            let topology = super::Topology::visible_hidden(
                visible,
                hidden,
                &super::Connectivity::VisibleHiddenHiddenHidden,
                &[],
            )?;
            let start = params(
                physics,
                &topology,
                visible,
                protos.view(),
                init,
                cfg.noising.bias_scale,
            )?;
            Ok(Some(projection(
                physics,
                &start,
                visible,
                protos.view(),
                cfg.noising.bias_scale,
            )?))
        }
        _ => Ok(cfg
            .noising
            .projection(images.ncols(), hidden, cfg.train.seed)),
    }
}
