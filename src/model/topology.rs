//! Which units exist and which pairs of them may be coupled.
//!
//! Units are arranged in contiguous named groups (e.g. `visible` = 0..784, `hidden` = 784..1296).
//! Connectivity is a symmetric 0/1 mask with a zero diagonal; the group pairs whose mask block is
//! not all zero are the only blocks the dynamics multiply by, so an uncoupled block (the paper's
//! visible–visible block) costs no flops at all. Which biases are trainable is a mask as well.
//!
//! A group is either evolving (its units follow the Langevin dynamics) or clamped (its units
//! hold the values they are given, e.g. the pixels of the classifier's input image): a clamped
//! unit never moves, and only the fields *into* evolving groups are ever computed.

use ndarray::{Array1, Array2, ArrayView2};
use std::ops::Range;

/// A contiguous, named range of units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Name used in files and netlists (`visible`, `hidden`, ...).
    pub name: String,
    /// Unit indices of the group.
    pub range: Range<usize>,
    /// Clamped units keep their given values; the dynamics never move them.
    pub clamped: bool,
}

impl Group {
    /// Number of units in the group.
    pub fn len(&self) -> usize {
        self.range.len()
    }

    /// True when the group has no units.
    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }
}

/// How units are connected.
#[derive(Clone, Debug, PartialEq)]
pub enum Connectivity {
    /// Visible–hidden and hidden–hidden couplings, no visible–visible ones (the paper's choice).
    VisibleHiddenHiddenHidden,
    /// Every pair of distinct units.
    Full,
    /// An explicit symmetric 0/1 mask of shape [N, N].
    Custom(Array2<f32>),
}

/// One group of a general layout: its name, size, role and, for image-shaped groups, the
/// (rows, cols) grid that nearest-neighbour couplings follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSpec {
    /// Group name (unique).
    pub name: String,
    /// Number of units.
    pub size: usize,
    /// True for input units clamped to data.
    pub clamped: bool,
    /// Image shape (rows·cols = size), needed by [`Block::Grid`].
    pub shape: Option<(usize, usize)>,
    /// Whether the group's biases are trained.
    pub trainable_bias: bool,
}

/// Which couplings a block between two groups (or within one) holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    /// No couplings.
    None,
    /// Every pair of distinct units.
    Full,
    /// Nearest neighbours on the group's image grid (within one image-shaped group).
    Grid,
}

/// Errors in the description of a topology.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TopologyError {
    /// A mask of the wrong shape.
    #[error("connectivity mask has shape {found:?}, expected [{n}, {n}]")]
    MaskShape { found: Vec<usize>, n: usize },
    /// A mask entry that is not 0 or 1, or an asymmetric mask, or a self-coupling.
    #[error("connectivity mask entry ({i}, {j}) is invalid: {why}")]
    MaskEntry {
        i: usize,
        j: usize,
        why: &'static str,
    },
    /// A model without units.
    #[error("a model needs at least one unit")]
    Empty,
    /// An inconsistent group layout.
    #[error("model.groups: {0}")]
    Layout(String),
    /// A frozen coupling block that does not exist.
    #[error("model.frozen_couplings: {0}")]
    Frozen(String),
}

/// A valid group name: 1 to 64 ASCII letters, digits or `_`. Group names reach netlists
/// (comments, node names), so nothing else (spaces, newlines, SPICE syntax) is accepted.
pub fn is_group_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Units, their groups, the coupling mask, the trainable-coupling mask and the
/// trainable-bias mask.
#[derive(Clone, Debug)]
pub struct Topology {
    groups: Vec<Group>,
    mask: Array2<f32>,
    /// `mask` with the frozen blocks zeroed ([`Topology::freeze`]).
    trainable: Array2<f32>,
    coupled: Vec<(usize, usize)>,
    bias_trainable: Array1<bool>,
}

impl Topology {
    /// Build a visible/hidden topology. `trainable_bias_groups` lists the group names whose biases
    /// are trained (the paper: hidden only).
    pub fn visible_hidden(
        visible: usize,
        hidden: usize,
        connectivity: &Connectivity,
        trainable_bias_groups: &[&str],
    ) -> Result<Topology, TopologyError> {
        let n = visible + hidden;
        if n == 0 {
            return Err(TopologyError::Empty);
        }
        let groups = vec![
            Group {
                name: "visible".into(),
                range: 0..visible,
                clamped: false,
            },
            Group {
                name: "hidden".into(),
                range: visible..n,
                clamped: false,
            },
        ];
        let mask = match connectivity {
            Connectivity::Full => Array2::from_shape_fn((n, n), |(i, j)| f32::from(i != j)),
            Connectivity::VisibleHiddenHiddenHidden => Array2::from_shape_fn((n, n), |(i, j)| {
                f32::from(i != j && (i >= visible || j >= visible))
            }),
            Connectivity::Custom(m) => {
                check_mask(m.view(), n)?;
                m.clone()
            }
        };
        let mut bias_trainable = Array1::from_elem(n, false);
        for g in groups
            .iter()
            .filter(|g| trainable_bias_groups.contains(&g.name.as_str()))
        {
            bias_trainable
                .slice_mut(ndarray::s![g.range.clone()])
                .fill(true);
        }
        Ok(Self::from_parts(groups, mask, bias_trainable))
    }

    /// Build a topology from groups (in unit order) and the blocks between them, given as
    /// pairs of group indices; unlisted pairs are uncoupled.
    pub fn from_groups(
        specs: &[GroupSpec],
        blocks: &[(usize, usize, Block)],
    ) -> Result<Topology, TopologyError> {
        let bad = |m: String| Err(TopologyError::Layout(m));
        let mut groups = Vec::with_capacity(specs.len());
        let mut start = 0;
        for g in specs {
            if !is_group_name(&g.name) {
                return bad(format!(
                    "group name \"{}\" must be 1–64 letters, digits or _ (it names circuit nodes)",
                    g.name.escape_debug()
                ));
            }
            if groups.iter().any(|h: &Group| h.name == g.name) {
                return bad(format!("group name \"{}\" is used twice", g.name));
            }
            if g.shape.is_some_and(|(r, c)| r * c != g.size) {
                return bad(format!(
                    "group \"{}\": shape does not multiply to size {}",
                    g.name, g.size
                ));
            }
            groups.push(Group {
                name: g.name.clone(),
                range: start..start + g.size,
                clamped: g.clamped,
            });
            start += g.size;
        }
        if start == 0 {
            return Err(TopologyError::Empty);
        }
        let mut mask = Array2::<f32>::zeros((start, start));
        for &(a, b, kind) in blocks {
            let (ra, rb) = (groups[a].range.clone(), groups[b].range.clone());
            match kind {
                Block::None => {}
                Block::Full => {
                    for i in ra.clone() {
                        for j in rb.clone().filter(|&j| j != i) {
                            mask[[i, j]] = 1.0;
                            mask[[j, i]] = 1.0;
                        }
                    }
                }
                Block::Grid => {
                    let Some((rows, cols)) = specs[a].shape.filter(|_| a == b) else {
                        return bad(format!(
                            "a grid block needs one image-shaped group (shape = [rows, cols]), got \"{}\"–\"{}\"",
                            groups[a].name, groups[b].name
                        ));
                    };
                    for r in 0..rows {
                        for c in 0..cols {
                            let i = ra.start + r * cols + c;
                            for j in [
                                (c + 1 < cols).then_some(i + 1),
                                (r + 1 < rows).then_some(i + cols),
                            ]
                            .into_iter()
                            .flatten()
                            {
                                mask[[i, j]] = 1.0;
                                mask[[j, i]] = 1.0;
                            }
                        }
                    }
                }
            }
        }
        let mut bias_trainable = Array1::from_elem(start, false);
        for (g, spec) in groups.iter().zip(specs) {
            bias_trainable
                .slice_mut(ndarray::s![g.range.clone()])
                .fill(spec.trainable_bias);
        }
        Ok(Self::from_parts(groups, mask, bias_trainable))
    }

    fn from_parts(groups: Vec<Group>, mask: Array2<f32>, bias_trainable: Array1<bool>) -> Self {
        let mut coupled = Vec::new();
        for a in 0..groups.len() {
            for b in a..groups.len() {
                let block = mask.slice(ndarray::s![
                    groups[a].range.clone(),
                    groups[b].range.clone()
                ]);
                if block.iter().any(|&m| m != 0.0) {
                    coupled.push((a, b));
                }
            }
        }
        Topology {
            groups,
            trainable: mask.clone(),
            mask,
            coupled,
            bias_trainable,
        }
    }

    /// Freeze the coupling blocks between the named group pairs: training leaves their
    /// couplings where they start (`model.frozen_couplings`). Each pair must name two groups
    /// whose block is coupled.
    pub fn freeze(mut self, pairs: &[(&str, &str)]) -> Result<Topology, TopologyError> {
        for &(a, b) in pairs {
            let index = |name: &str| {
                self.groups
                    .iter()
                    .position(|g| g.name == name)
                    .ok_or_else(|| TopologyError::Frozen(format!("no group named \"{name}\"")))
            };
            let (ia, ib) = (index(a)?, index(b)?);
            if !self.coupled.contains(&(ia.min(ib), ia.max(ib))) {
                return Err(TopologyError::Frozen(format!(
                    "the groups \"{a}\" and \"{b}\" are not coupled"
                )));
            }
            let (ra, rb) = (self.groups[ia].range.clone(), self.groups[ib].range.clone());
            self.trainable
                .slice_mut(ndarray::s![ra.clone(), rb.clone()])
                .fill(0.0);
            self.trainable.slice_mut(ndarray::s![rb, ra]).fill(0.0);
        }
        Ok(self)
    }

    /// Total number of units N.
    pub fn n(&self) -> usize {
        self.mask.nrows()
    }

    /// The unit groups, in index order.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// The group with this name.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// The input and output unit ranges of a classifier: groups named `input` (clamped) and
    /// `output` (evolving), plus an evolving `hidden` group.
    pub fn classifier_groups(&self) -> Result<(Range<usize>, Range<usize>), TopologyError> {
        let find = |name: &str, clamped: bool| {
            self.group(name)
                .filter(|g| g.clamped == clamped)
                .map(|g| g.range.clone())
                .ok_or_else(|| {
                    TopologyError::Layout(format!(
                        "a classifier needs a{} group named \"{name}\"",
                        if clamped { " clamped" } else { "n evolving" }
                    ))
                })
        };
        find("hidden", false)?;
        Ok((find("input", true)?, find("output", false)?))
    }

    /// Number of evolving (not clamped) units.
    pub fn n_evolving(&self) -> usize {
        self.groups
            .iter()
            .filter(|g| !g.clamped)
            .map(Group::len)
            .sum()
    }

    /// True when some group is clamped.
    pub fn has_clamped(&self) -> bool {
        self.groups.iter().any(|g| g.clamped)
    }

    /// Symmetric 0/1 coupling mask [N, N] with zero diagonal.
    pub fn mask(&self) -> &Array2<f32> {
        &self.mask
    }

    /// Unordered group pairs `(a, b)`, `a <= b`, whose block has at least one allowed coupling.
    pub fn coupled_blocks(&self) -> &[(usize, usize)] {
        &self.coupled
    }

    /// For output group `a`: the groups `b` with a non-empty block `J[b, a]`.
    pub fn sources(&self, a: usize) -> impl Iterator<Item = usize> + '_ {
        self.coupled.iter().filter_map(move |&(p, q)| {
            if p == a {
                Some(q)
            } else if q == a {
                Some(p)
            } else {
                None
            }
        })
    }

    /// Symmetric 0/1 mask [N, N] of the couplings that training moves: [`Topology::mask`]
    /// without the frozen blocks.
    pub fn trainable_mask(&self) -> &Array2<f32> {
        &self.trainable
    }

    /// Which biases are trainable.
    pub fn bias_trainable(&self) -> &Array1<bool> {
        &self.bias_trainable
    }

    /// Number of allowed couplings (unordered pairs).
    pub fn n_couplings(&self) -> usize {
        (self.mask.iter().filter(|&&m| m != 0.0).count()) / 2
    }

    /// Distinct coupling weights a digital simulation must store and read: the unordered
    /// allowed pairs (i, j) with at least one evolving unit (J is symmetric, so J_ij and J_ji
    /// are one weight; pairs of two clamped units never enter the dynamics). For the paper's
    /// 784 + 512 visible–hidden/hidden–hidden model: 784·512 + 512·511/2 = 532,224, fewer
    /// than the 1,064,960 multiply–accumulates of one field ([`Self::macs_per_field`]), which
    /// use every hidden–hidden weight twice and every visible–hidden weight twice.
    pub fn distinct_weights(&self) -> usize {
        let mut evolving = vec![false; self.n()];
        for g in self.groups.iter().filter(|g| !g.clamped) {
            evolving[g.range.clone()].fill(true);
        }
        self.mask
            .indexed_iter()
            .filter(|&((i, j), &m)| i < j && m != 0.0 && (evolving[i] || evolving[j]))
            .count()
    }

    /// Multiply-accumulates of one coupling-field evaluation x·J for a single state,
    /// counting only the blocks that are computed (fields into evolving groups).
    pub fn macs_per_field(&self) -> usize {
        self.macs_from(|_| true)
    }

    /// Multiply-accumulates of the field into evolving groups from the source groups
    /// accepted by `from`.
    pub fn macs_from(&self, from: impl Fn(&Group) -> bool) -> usize {
        (0..self.groups.len())
            .filter(|&a| !self.groups[a].clamped)
            .map(|a| {
                self.sources(a)
                    .filter(|&b| from(&self.groups[b]))
                    .map(|b| self.groups[a].len() * self.groups[b].len())
                    .sum::<usize>()
            })
            .sum()
    }
}

fn check_mask(m: ArrayView2<'_, f32>, n: usize) -> Result<(), TopologyError> {
    if m.shape() != [n, n] {
        return Err(TopologyError::MaskShape {
            found: m.shape().to_vec(),
            n,
        });
    }
    for ((i, j), &v) in m.indexed_iter() {
        let why = if v != 0.0 && v != 1.0 {
            "entries must be 0 or 1"
        } else if v != m[[j, i]] {
            "mask must be symmetric"
        } else if i == j && v != 0.0 {
            "a unit cannot couple to itself"
        } else {
            continue;
        };
        return Err(TopologyError::MaskEntry { i, j, why });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_topology_skips_visible_visible() {
        let t = Topology::visible_hidden(
            784,
            512,
            &Connectivity::VisibleHiddenHiddenHidden,
            &["hidden"],
        )
        .unwrap();
        assert_eq!(t.coupled_blocks(), &[(0, 1), (1, 1)]);
        assert_eq!(t.n_couplings(), 784 * 512 + 512 * 511 / 2);
        assert_eq!(t.macs_per_field(), 512 * 784 + 1296 * 512);
        assert_eq!(t.distinct_weights(), 532_224);
        assert_eq!(t.bias_trainable().iter().filter(|&&b| b).count(), 512);
    }

    #[test]
    fn general_layout_with_grid_and_clamped_inputs() {
        let g = |name: &str, size, clamped, shape| GroupSpec {
            name: name.into(),
            size,
            clamped,
            shape,
            trainable_bias: !clamped,
        };
        let specs = [
            g("input", 6, true, Some((2, 3))),
            g("hidden", 4, false, None),
        ];
        let t = Topology::from_groups(&specs, &[(0, 0, Block::Grid), (0, 1, Block::Full)]).unwrap();
        // 2×3 grid: 2·2 horizontal + 3 vertical neighbour pairs; 6·4 input–hidden pairs.
        assert_eq!(t.n_couplings(), 7 + 24);
        assert_eq!(t.n_evolving(), 4);
        assert_eq!(t.macs_per_field(), 4 * 6);
        assert_eq!(t.macs_from(|g| !g.clamped), 0);
        // The 7 grid pairs join two clamped inputs: never read by the dynamics.
        assert_eq!(t.distinct_weights(), 24);
        assert_eq!(t.bias_trainable().iter().filter(|&&b| b).count(), 4);
        let e = Topology::from_groups(&specs, &[(0, 1, Block::Grid)]).unwrap_err();
        assert!(matches!(e, TopologyError::Layout(_)));
    }

    #[test]
    fn custom_mask_is_checked() {
        let mut m = Array2::zeros((3, 3));
        m[[0, 1]] = 1.0;
        let e = Topology::visible_hidden(2, 1, &Connectivity::Custom(m), &[]).unwrap_err();
        assert!(matches!(e, TopologyError::MaskEntry { i: 0, j: 1, .. }));
    }
}
