//! Non-finite values stop a command with one line naming the array and the first bad index
//! (row-major order), e.g. `samples.npy: samples[3,17] = NaN is not finite`.

use crate::error::{Error, Result};
use ndarray::{ArrayBase, Data, Dimension};

/// Refuse an array holding NaN or ±∞: `what` names the file or stage, `name` the array and
/// `hint` (may be empty) what to do about it.
pub fn check<S, D>(what: &str, name: &str, a: &ArrayBase<S, D>, hint: &str) -> Result<()>
where
    S: Data,
    S::Elem: Copy + Into<f64>,
    D: Dimension,
{
    match a.iter().position(|v| !(*v).into().is_finite()) {
        None => Ok(()),
        Some(k) => {
            let v: f64 = (*a.iter().nth(k).expect("position found")).into();
            Err(Error::NonFinite {
                what: what.into(),
                array: name.into(),
                index: unravel(k, a.shape()),
                value: v,
                hint: if hint.is_empty() {
                    String::new()
                } else {
                    format!("; {hint}")
                },
            })
        }
    }
}

/// The row-major multi-index of flat position `k` in an array of `shape`, as `i,j,…`.
fn unravel(mut k: usize, shape: &[usize]) -> String {
    let mut ix = vec![0; shape.len()];
    for (d, &n) in shape.iter().enumerate().rev() {
        ix[d] = k % n.max(1);
        k /= n.max(1);
    }
    ix.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Refuse a list of values holding NaN or ±∞ (see [`check`]).
pub fn check_slice(what: &str, name: &str, v: &[f64], hint: &str) -> Result<()> {
    check(what, name, &ndarray::ArrayView1::from(v), hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_array_and_first_index() {
        let mut a = ndarray::Array2::<f32>::zeros((3, 4));
        check("f", "J", &a, "").unwrap();
        a[[2, 1]] = f32::NAN;
        a[[2, 3]] = f32::INFINITY;
        let e = check("params.npz", "J", &a, "").unwrap_err().to_string();
        assert_eq!(e, "params.npz: J[2,1] = NaN is not finite");
        let e = check_slice("heat", "Q", &[0.0, f64::NEG_INFINITY], "lower J")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "heat: Q[1] = -inf is not finite; lower J");
    }
}
