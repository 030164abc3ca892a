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
//!   −κ·P_{g,i}/G, and visible unit i has the bias κ·h_l·Σ_g P_{g,i}, with κ = s/(h_w − h_l)
//!   for the noising bias scale s, where h_w and h_l are the mean values of a winning and of a
//!   losing group. With group g alone on, pixel i then feels
//!   −κ·(h_w − h_l)·P_{g,i} = −s·P_{g,i}, exactly the noising protocol's imprint, so the visible
//!   units settle where the noising trajectories of prototype g start. h_w = m*, h_l = −m* to
//!   begin with; the one-winner couplings below move the groups off ±m*, so h_w and h_l are then
//!   measured in the relaxed one-hot minima and the visible couplings refitted (three times).
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
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use ndarray_npy::ReadNpyExt;
use std::path::Path;

/// File of a model directory with the noising code's hidden fields [n, Nh] (f32), written
/// when they are not those of the potential as built (`model.prototype_balance_before`).
pub const CODE_NPY: &str = "noising_code.npy";

/// Refits of the visible couplings to the relaxed one-hot minima ([`refit_visible`]) wherever
/// the groups' values move: 3.
pub const REFITS: usize = 3;

/// Ferromagnetic strength α of a group: the group's collective quadratic is J2(1 − α).
pub const ALPHA: f64 = 4.0;

/// The prototypes [n, Nv] of standardised `images` [M, Nv] with `labels` [M]: for each class in
/// `classes` (in that order), `per_class` standardised means of consecutive chunks of its images,
/// or with `medoid` each chunk's image that correlates best with that mean. Also returns each
/// prototype's class.
pub fn prototypes(
    images: ArrayView2<'_, f32>,
    labels: &[u8],
    classes: &[u8],
    per_class: usize,
    medoid: bool,
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
            if medoid {
                let best = idx[lo..hi]
                    .iter()
                    .copied()
                    .max_by(|&a, &b| {
                        let dot = |i: usize| -> f64 {
                            images
                                .row(i)
                                .iter()
                                .zip(&mean)
                                .map(|(&v, m)| v as f64 * m)
                                .sum()
                        };
                        dot(a).total_cmp(&dot(b))
                    })
                    .expect("a chunk holds at least one image");
                rows.extend(images.row(best).iter().copied());
            } else {
                rows.extend(mean.iter().map(|m| (m / (hi - lo) as f64) as f32));
            }
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
    let gf = g as f64;
    let a = 2.0 * ALPHA * physics.j2 / (gf - 1.0);
    let m = group_magnitude(physics);
    let c = init.gap;
    let bias = hidden_bias(physics, hidden, n, c);
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
        p.b[u] = bias as f32;
    }
    // The visible couplings and biases, first for the code ±m*, then (three times) for the
    // winner and loser values the groups actually take in the one-hot minima.
    fit_visible(&mut p, visible, protos, (m, -m), bias_scale);
    if n >= 2 {
        refit_visible(physics, &mut p, visible, protos, bias_scale, REFITS);
    }
    let mask = topology.mask();
    if let Some(((i, j), _)) =
        p.j.indexed_iter()
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

/// Set the visible couplings −κ·P_{g,i}/G and the visible biases κ·h_l·Σ_g P_{g,i}
/// (κ = s/(h_w − h_l)) of the prototype potential `p` for winner and loser values
/// `(h_w, h_l)` (module docs).
fn fit_visible(
    p: &mut Params<f32>,
    visible: usize,
    protos: ArrayView2<'_, f32>,
    (hw, hl): (f64, f64),
    bias_scale: f64,
) {
    let n = protos.nrows();
    let g = (p.n() - visible) / n;
    let kk = bias_scale / (hw - hl);
    for u in visible..visible + n * g {
        let proto = protos.row((u - visible) / g);
        for i in 0..visible {
            let v = (-kk * proto[i] as f64 / g as f64) as f32;
            p.j[[i, u]] = v;
            p.j[[u, i]] = v;
        }
    }
    for (b, s) in
        p.b.iter_mut()
            .zip(protos.sum_axis(Axis(0)).iter())
            .take(visible)
    {
        *b = (kk * hl * *s as f64) as f32;
    }
}

/// `rounds` times: measure the mean values h_w of a winning and h_l of a losing group in the
/// relaxed one-hot minima of `p` and refit its visible couplings and biases to them
/// ([`fit_visible`]), so that a lone winner imprints exactly −s·P on the visible units. Stops
/// early if the minima no longer separate winners from losers (h_w ≤ h_l). Needed whenever the
/// hidden biases move the groups' values (the construction, and the common offset of
/// `train::balance::one_winner`).
pub fn refit_visible(
    physics: &Physics,
    p: &mut Params<f32>,
    visible: usize,
    protos: ArrayView2<'_, f32>,
    bias_scale: f64,
    rounds: usize,
) {
    let n = protos.nrows();
    let (g, nf) = ((p.n() - visible) / n, n as f64);
    for _ in 0..rounds {
        let held = relaxed_states(physics, p, visible, protos, bias_scale);
        let mean = |q: usize, grp: usize| -> f64 {
            (0..g)
                .map(|a| held[[q, visible + grp * g + a]])
                .sum::<f64>()
                / g as f64
        };
        let hw = (0..n).map(|q| mean(q, q)).sum::<f64>() / nf;
        let hl = (0..n)
            .flat_map(|q| (0..n).filter(move |&o| o != q).map(move |o| (q, o)))
            .map(|(q, o)| mean(q, o))
            .sum::<f64>()
            / (nf * (nf - 1.0));
        if hw - hl <= 0.0 {
            break;
        }
        fit_visible(p, visible, protos, (hw, hl), bias_scale);
    }
}

/// m* of the module docs: where a group's mean settles, √(J2(α−1)/(2 J4)).
pub fn group_magnitude(physics: &Physics) -> f64 {
    (physics.j2 * (ALPHA - 1.0) / (2.0 * physics.j4)).sqrt()
}

/// The hidden code of `noising.hidden_projection = "prototypes"`: for each prototype q, the
/// field T_q [Nh] that holds an uncoupled hidden unit a where the prototype potential holds it
/// in the one-hot state of q (h̄^q_a, found by gradient descent from the code ±m*):
/// T_{q,a} = 2 J2 h̄ + 4 J4 h̄³. The noising protocol gives hidden unit a of an image assigned to
/// prototype q the bias −h·T_{q,a} (h the hidden scale), so the image's noising trajectory
/// starts, on the hidden units, exactly where the prototype potential holds prototype q: the
/// potential's drift vanishes there, and the likelihood's first gradients do not tear the
/// groups apart. An image is assigned to the prototype of its own class it correlates with
/// best (with one prototype per class: its class's).
#[derive(Clone, Debug)]
pub struct Code {
    protos: Array2<f32>,
    classes: Vec<u8>,
    fields: Array2<f32>,
}

impl Code {
    /// The code of the prototype potential `init` over the prototypes `protos` [n, Nv] of
    /// `classes` [n], with noising bias scale `bias_scale`.
    pub fn new(
        physics: &Physics,
        init: &Params<f32>,
        protos: Array2<f32>,
        classes: Vec<u8>,
        bias_scale: f64,
    ) -> Self {
        let fields = fields(physics, init, protos.view(), bias_scale);
        Code {
            protos,
            classes,
            fields,
        }
    }

    /// Refit the code to another potential `params` over the same prototypes: the fields of
    /// its relaxed one-hot states (after `model.prototype_balance_before` has moved the
    /// hidden biases, the states the balanced potential holds the prototypes in).
    pub fn refit(&mut self, physics: &Physics, params: &Params<f32>, bias_scale: f64) {
        self.fields = fields(physics, params, self.protos.view(), bias_scale);
    }

    /// Save the hidden fields in the model directory `dir` ([`CODE_NPY`], atomically).
    pub fn save(&self, dir: &Path) -> Result<()> {
        crate::io::save_npy(&dir.join(CODE_NPY), &self.fields)
    }

    /// Take the hidden fields saved in the model directory `dir` by [`Code::save`], if there
    /// are any; an array of another shape is an error naming the file.
    pub fn load_saved(&mut self, dir: &Path) -> Result<()> {
        let path = dir.join(CODE_NPY);
        if !path.exists() {
            return Ok(());
        }
        let f = std::fs::File::open(&path).map_err(crate::error::io_err(&path))?;
        let fields = Array2::<f32>::read_npy(f).map_err(|e| Error::Array {
            path: path.clone(),
            msg: e.to_string(),
        })?;
        if fields.dim() != self.fields.dim() {
            return Err(Error::Array {
                path,
                msg: format!(
                    "shape {:?}, expected {:?} (prototypes × hidden units)",
                    fields.dim(),
                    self.fields.dim()
                ),
            });
        }
        if !fields.iter().all(|v| v.is_finite()) {
            return Err(Error::Array {
                path,
                msg: "non-finite entries".into(),
            });
        }
        self.fields = fields;
        Ok(())
    }

    /// Number of prototypes.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// The prototypes [n, Nv] (standardised).
    pub fn prototypes(&self) -> ArrayView2<'_, f32> {
        self.protos.view()
    }

    /// True without prototypes.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// Each prototype's share of the standardised `images` with `labels` (the images
    /// [`Code::assign`] gives it, over all images).
    pub fn shares(&self, images: ArrayView2<'_, f32>, labels: &[u8]) -> Vec<f64> {
        let mut share = vec![0.0; self.len()];
        for (img, &l) in images.rows().into_iter().zip(labels) {
            if let Some(q) = self.assign(img, l) {
                share[q] += 1.0 / images.nrows() as f64;
            }
        }
        share
    }

    /// The prototype an image (standardised) of class `label` is assigned to: among its
    /// class's prototypes, the one with the largest correlation; None when no prototype has
    /// that class.
    pub fn assign(&self, image: ArrayView1<'_, f32>, label: u8) -> Option<usize> {
        (0..self.classes.len())
            .filter(|&q| self.classes[q] == label)
            .map(|q| (q, self.protos.row(q).dot(&image)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(q, _)| q)
    }

    /// The hidden field T_q [Nh] of prototype q (energy).
    pub fn field(&self, q: usize) -> ArrayView1<'_, f32> {
        self.fields.row(q)
    }

    /// The full-strength noising bias [N] of `image` with `label`: the protocol's visible
    /// bias −s·P and the hidden bias −h·T_q of its prototype (hidden biases zero when the
    /// label has no prototype).
    pub fn image_bias(
        &self,
        protocol: &crate::dynamics::noising::Protocol,
        image: ArrayView1<'_, f32>,
        label: u8,
    ) -> Array1<f32> {
        let hidden = self.fields.ncols();
        let mut b = protocol.image_bias::<f32>(image, hidden, None);
        if let Some(q) = self.assign(image, label) {
            let nv = image.len();
            let h = protocol.hidden_scale as f32;
            for (v, t) in b.slice_mut(ndarray::s![nv..]).iter_mut().zip(self.field(q)) {
                *v = -h * t;
            }
        }
        b
    }
}

/// The hidden fields T_q [n, Nh] of the one-hot states of `params` ([`Code`]).
fn fields(
    physics: &Physics,
    params: &Params<f32>,
    protos: ArrayView2<'_, f32>,
    bias_scale: f64,
) -> Array2<f32> {
    let visible = protos.ncols();
    let held = relaxed_states(physics, params, visible, protos, bias_scale)
        .slice_move(ndarray::s![.., visible..]);
    held.mapv(|h| (2.0 * physics.j2 * h + 4.0 * physics.j4 * h.powi(3)) as f32)
}

/// The states [n, N] at the minimum of the potential `params` reached by gradient descent
/// (up to 20,000 steps, until the largest force is below 1e-6) from each prototype's
/// imprinted state: visible units where the noising bias −s·P holds them, hidden units at the
/// one-hot code ±m*.
fn relaxed_states(
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
    // Gradient descent with step 1/L, L a Gershgorin bound on the Hessian's largest eigenvalue
    // (row sums of |J| plus the on-site curvature at the largest |x| so far), recomputed as x
    // moves: stable, and far fewer steps than the dynamics' Δt.
    let rows: Vec<f64> = j
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|v| v.abs()).sum())
        .collect();
    let row_max = rows.iter().fold(0.0f64, |m, &v| m.max(v));
    for _ in 0..20_000 {
        let xmax = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let l = row_max + 2.0 * physics.j2.abs() + 12.0 * physics.j4 * xmax * xmax;
        let mut f = x.dot(&j);
        f += &b;
        f.zip_mut_with(&x, |fi, &xi| *fi += onsite(xi));
        let worst = f.iter().fold(0.0f64, |w, v| w.max(v.abs()));
        if worst < 1e-6 {
            break;
        }
        x.scaled_add(-1.0 / l, &f);
    }
    x
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

/// The hidden units of each of `n` prototype groups on a computer with `visible` visible and
/// `hidden` hidden units (groups of ⌊hidden/n⌋, in order after the visible units).
pub fn group_units(visible: usize, hidden: usize, n: usize) -> Vec<std::ops::Range<usize>> {
    let g = hidden / n.max(1);
    (0..n)
        .map(|q| visible + q * g..visible + (q + 1) * g)
        .collect()
}

/// The hidden bias C(n−2)/(G m*) of every grouped unit in the prototype potential.
pub fn hidden_bias(physics: &Physics, hidden: usize, n: usize, gap: f64) -> f64 {
    let g = (hidden / n.max(1)).max(1) as f64;
    gap * (n as f64 - 2.0) / (g * group_magnitude(physics))
}

/// What a `model.init = "prototypes"` run starts from, built once from its training images:
/// the prototype potential and, with `noising.hidden_projection = "prototypes"`, its code.
pub struct Start {
    /// The couplings and biases of the prototype potential.
    pub params: Params<f32>,
    /// The hidden code of the noising protocol, when the config asks for it.
    pub code: Option<Code>,
}

/// The [`Start`] of a model configured by `cfg` on `topology`, from its standardised training
/// `images` with `labels`; None unless `model.init = "prototypes"`.
pub fn start(
    cfg: &crate::config::Config,
    physics: &Physics,
    topology: &Topology,
    images: ArrayView2<'_, f32>,
    labels: &[u8],
) -> Result<Option<Start>> {
    use crate::config::Init;
    use crate::dynamics::noising::HiddenProjection;
    let Init::Prototypes(init) = cfg.model.init else {
        return Ok(None);
    };
    let (protos, classes) = prototypes(
        images,
        labels,
        &cfg.data.digits,
        init.per_class,
        init.medoid,
    )?;
    let s = cfg.noising.bias_scale;
    let params = params(physics, topology, images.ncols(), protos.view(), init, s)?;
    let code = (cfg.noising.hidden_projection == HiddenProjection::Prototypes)
        .then(|| Code::new(physics, &params, protos, classes, s));
    Ok(Some(Start { params, code }))
}

/// The noising code of a model configured by `cfg` (a loaded model: its `computer`, from the
/// directory `dir`), rebuilt from its training `images` as training built it, with the hidden
/// fields training saved in `dir` ([`CODE_NPY`]) if there are any; None unless
/// `noising.hidden_projection = "prototypes"`.
pub fn noising_code(
    cfg: &crate::config::Config,
    (computer, dir): (&super::Computer<f32>, &Path),
    images: ArrayView2<'_, f32>,
    labels: &[u8],
) -> Result<Option<Code>> {
    if cfg.noising.hidden_projection != crate::dynamics::noising::HiddenProjection::Prototypes {
        return Ok(None);
    }
    let start = start(cfg, &computer.physics, &computer.topology, images, labels)?;
    let mut code = start.and_then(|s| s.code);
    if let Some(c) = code.as_mut() {
        c.load_saved(dir)?;
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PrototypeInit;
    use crate::model::Connectivity;

    const NV: usize = 12;
    const G: usize = 4;
    const N: usize = 3;
    const S: f64 = 3.0;
    const C: f64 = 50.0;

    fn setup() -> (Physics, Topology, Array2<f32>, Params<f32>) {
        let physics = Physics::PAPER;
        // Three standardised "images" that overlap (pixel values from a fixed pattern).
        let raw = Array2::from_shape_fn((N, NV), |(q, i)| {
            (((i * (q + 2) + 3 * q) % 7) as f32) - if i % (q + 3) == 0 { 4.0 } else { 0.0 }
        });
        let protos = standardise_rows(raw.view());
        let hidden = N * G + 1; // one unit left over
        let topology =
            Topology::visible_hidden(NV, hidden, &Connectivity::VisibleHiddenHiddenHidden, &[])
                .unwrap();
        let p = params(&physics, &topology, NV, protos.view(), init(), S).unwrap();
        (physics, topology, protos, p)
    }

    fn init() -> PrototypeInit {
        PrototypeInit {
            per_class: 1,
            gap: C,
            medoid: false,
            balance_rounds: 0,
            balance_before: false,
        }
    }

    /// The state with every visible unit 0 and group g at s_g·m*.
    fn code(physics: &Physics, hidden: usize, on: &[bool]) -> Vec<f64> {
        let m = group_magnitude(physics);
        let mut x = vec![0.0; NV + hidden];
        for a in 0..N * G {
            x[NV + a] = if on[a / G] { m } else { -m };
        }
        x
    }

    #[test]
    fn couplings_are_symmetric_masked_and_leave_spare_units_alone() {
        let (_, topology, _, p) = setup();
        assert_eq!(p.asymmetry(), 0.0);
        let mask = topology.mask();
        for ((i, j), &v) in p.j.indexed_iter() {
            assert!(
                v == 0.0 || mask[[i, j]] != 0.0,
                "J[{i},{j}] outside the mask"
            );
        }
        let spare = NV + N * G;
        assert!(p.j.row(spare).iter().all(|&v| v == 0.0) && p.b[spare] == 0.0);
    }

    /// Each one-hot minimum holds its prototype: the visible part of the relaxed state of
    /// prototype q rests where the noising imprint −s·P_q alone would hold it (the visible
    /// couplings are fitted to the groups' actual winner and loser values).
    #[test]
    fn one_hot_minima_hold_their_prototypes() {
        let (physics, _, protos, p) = setup();
        let states = relaxed_states(&physics, &p, NV, protos.view(), S);
        for q in 0..N {
            let worst = (0..NV)
                .map(|i| {
                    (states[[q, i]] - solve_onsite(&physics, -S * protos[[q, i]] as f64)).abs()
                })
                .fold(0.0f64, f64::max);
            assert!(
                worst < 0.05,
                "prototype {q}: a pixel {worst} away from its imprint"
            );
        }
    }

    /// In the group spins the hidden energy is C·Σ s_g s_h + C(n−2)·Σ s_g (+ a constant): the
    /// three one-hot states are its minima, 2C below every other configuration.
    #[test]
    fn one_hot_states_are_the_minima_by_two_c() {
        let (physics, _, _, p) = setup();
        let hidden = p.n() - NV;
        let energy = |x: &[f64]| -> f64 {
            let mut e = 0.0;
            for u in NV..p.n() {
                e += p.b[u] as f64 * x[u];
                for w in (u + 1)..p.n() {
                    e += p.j[[u, w]] as f64 * x[u] * x[w];
                }
            }
            e
        };
        let mut by_count = vec![Vec::new(); N + 1];
        for bits in 0..(1 << N) {
            let flags: Vec<bool> = (0..N).map(|g| bits >> g & 1 == 1).collect();
            let k = flags.iter().filter(|&&f| f).count();
            by_count[k].push(energy(&code(&physics, hidden, &flags)));
        }
        let one = by_count[1][0];
        assert!(by_count[1].iter().all(|e| (e - one).abs() < 1e-6 * C));
        assert!(
            (by_count[0][0] - one - 2.0 * C).abs() < 1e-4 * C,
            "{by_count:?}"
        );
        assert!(by_count[2]
            .iter()
            .all(|e| (e - one - 2.0 * C).abs() < 1e-4 * C));
        assert!(by_count[3].iter().all(|e| e - one > 2.0 * C));
    }

    /// The prototype code: each relaxed state is a rest point of the potential with its own group
    /// on, and the noising bias of a prototype holds an uncoupled hidden unit exactly there.
    #[test]
    fn the_noising_code_imprints_the_relaxed_state() {
        let (physics, _, protos, p) = setup();
        let held =
            relaxed_states(&physics, &p, NV, protos.view(), S).slice_move(ndarray::s![.., NV..]);
        let code = Code::new(&physics, &p, protos.clone(), vec![4, 5, 6], S);
        let protocol = crate::dynamics::noising::Protocol {
            bias_scale: S,
            hidden_scale: 1.0,
            hidden_projection: crate::dynamics::noising::HiddenProjection::Prototypes,
            t_eq: 1.0,
            t_final: 1.0,
            fade_fraction: 1.0,
            schedule: crate::dynamics::noising::Schedule::Linear,
            hold_hidden: false,
        };
        for q in 0..N {
            assert_eq!(code.assign(protos.row(q), 4 + q as u8), Some(q));
            let b = code.image_bias(&protocol, protos.row(q), 4 + q as u8);
            for i in 0..NV {
                assert!((b[i] as f64 + S * protos[[q, i]] as f64).abs() < 1e-5);
            }
            for a in 0..N * G {
                assert_eq!(held[[q, a]] > 0.0, a / G == q, "prototype {q}, unit {a}");
                let rest = solve_onsite(&physics, b[NV + a] as f64);
                assert!(
                    (rest - held[[q, a]]).abs() < 1e-4,
                    "{rest} vs {}",
                    held[[q, a]]
                );
            }
        }
        assert_eq!(code.assign(protos.row(0), 9), None);
    }

    /// A code refitted to a potential whose hidden biases moved (as the balancing before
    /// training moves them) holds each hidden unit where the moved potential rests, which the
    /// code as built does not; saved and read back, it is the same code, and a saved array
    /// of another shape is refused naming its file.
    #[test]
    fn a_refitted_code_follows_the_moved_potential_and_is_saved_with_the_model() {
        let (physics, _, protos, built) = setup();
        let mut moved = built.clone();
        for a in NV..NV + N * G {
            moved.b[a] += 2.0;
        }
        let rest = relaxed_states(&physics, &moved, NV, protos.view(), S);
        let as_built = Code::new(&physics, &built, protos.clone(), vec![4, 5, 6], S);
        let mut code = as_built.clone();
        code.refit(&physics, &moved, S);
        // Where the field −T_{q,a} holds an uncoupled unit, against the moved rest point.
        let miss = |c: &Code| -> f64 {
            let mut worst = 0.0f64;
            for q in 0..N {
                for a in 0..N * G {
                    let x = solve_onsite(&physics, -(c.field(q)[a] as f64));
                    worst = worst.max((x - rest[[q, NV + a]]).abs());
                }
            }
            worst
        };
        assert!(
            miss(&code) < 1e-4,
            "refitted code misses by {}",
            miss(&code)
        );
        assert!(
            miss(&as_built) > 1e-2,
            "code as built misses by only {}",
            miss(&as_built)
        );

        let dir = tempfile::tempdir().unwrap();
        code.save(dir.path()).unwrap();
        let mut back = as_built.clone();
        back.load_saved(dir.path()).unwrap();
        assert_eq!(back.fields, code.fields);
        crate::io::save_npy(&dir.path().join(CODE_NPY), &Array2::<f32>::zeros((2, 3))).unwrap();
        let e = back.load_saved(dir.path()).unwrap_err().to_string();
        assert!(e.contains(CODE_NPY) && e.contains("shape"), "{e}");
    }

    #[test]
    fn too_few_hidden_units_is_a_setting_error() {
        let (physics, _, protos, _) = setup();
        let topology =
            Topology::visible_hidden(NV, 5, &Connectivity::VisibleHiddenHiddenHidden, &[]).unwrap();
        let e = params(&physics, &topology, NV, protos.view(), init(), S).unwrap_err();
        assert!(e.to_string().contains("model.hidden"), "{e}");
    }
}
