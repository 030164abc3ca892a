//! A trained thermodynamic classifier at work: its inputs (digits normalised as in training,
//! checked against its input and output units) and its inference.
//!
//! Inference: the input units are clamped to the normalised image, hidden and output units
//! start at 0 and follow the Langevin dynamics to t_f; the prediction is the argmax of the
//! output units at t_f (averaged over K independent trajectories). Heat per inference
//! Q = V(x(0)) − V(x(t_f)) in kT: the parameters do not change during a run, so no work is
//! done and the energy the units lose is dissipated (clamped units enter V through their
//! couplings to the evolving ones).

use crate::config::TeachSpec;
use crate::data::{normalise::classifier_inputs, Digits};
use crate::dynamics::sampler::Batch;
use crate::energy::cycle::{Cycle, CycleRecorder, ResetTo};
use crate::energy::heat::run_chunked;
use crate::error::{Error, Result};
use crate::linalg::Parallelism;
use crate::model::Computer;
use ndarray::{s, Array2, ArrayView2, Axis};
use std::ops::Range;
use std::path::Path;

/// File name of the teacher network inside a classifier model directory.
pub const TEACHER_NPZ: &str = "teacher.npz";

/// Rows simulated at once (bounds memory; results do not depend on it).
const CHUNK: usize = 2000;

/// Digits as a classifier sees them: normalised as in training, one row per digit.
pub struct ClassifierInputs {
    /// The inputs [digits, input units].
    pub inputs: Array2<f32>,
    /// The (clamped) input units.
    pub input: Range<usize>,
    /// The output units.
    pub output: Range<usize>,
}

/// An error unless `digits` (from `source`) fit a classifier whose `input` and `output`
/// units these are; `model` names the model in the message.
pub fn check_fit(
    input: &Range<usize>,
    output: &Range<usize>,
    digits: &Digits,
    model: &str,
    source: &str,
) -> Result<()> {
    if digits.pixels() != input.len() {
        return Err(Error::Mismatch {
            what: model.into(),
            why: format!(
                "the model has {} input units but the images in {source} have {} pixels",
                input.len(),
                digits.pixels()
            ),
        });
    }
    if let Some(&bad) = digits.labels.iter().find(|&&l| l as usize >= output.len()) {
        return Err(Error::Mismatch {
            what: source.into(),
            why: format!(
                "label {bad} has no output unit (the model has {})",
                output.len()
            ),
        });
    }
    Ok(())
}

/// The inputs of `digits` (from `source`, a path for messages) for the classifier `c` in
/// directory `model`, after checking that the images fit its input units and the labels its
/// output units.
pub fn classifier_inputs_of(
    model: &Path,
    c: &Computer<f32>,
    teach: &TeachSpec,
    digits: &Digits,
    source: &str,
) -> Result<ClassifierInputs> {
    let mdir = model.display();
    let (input, output) = c.topology.classifier_groups()?;
    check_fit(&input, &output, digits, &mdir.to_string(), source)?;
    let norm = teach.input_norm.ok_or_else(|| Error::Model {
        path: model.to_path_buf(),
        why: "teach.input_norm is missing from model.toml".into(),
    })?;
    Ok(ClassifierInputs {
        inputs: classifier_inputs(digits.images.view(), norm),
        input,
        output,
    })
}

/// Result of running the classifier on a batch of inputs.
pub struct Inference {
    /// Output units at t_f, averaged over the trajectories of each input [B, outputs].
    pub outputs: Array2<f32>,
    /// Heat of every trajectory (input-major), in kT.
    pub heat_kt: Vec<f64>,
    /// Output units at every step (T+1 rows) of the first trajectory of the first inputs.
    pub traces: Vec<Array2<f32>>,
    /// Switching work and reset heat of every trajectory (input-major): the rest of the
    /// inference's cycle ([`crate::energy::cycle`]; the reset discharges the evolving units
    /// back to 0).
    pub cycle: Cycle,
}

/// Run `k` trajectories of `steps` steps for every row of `inputs` [B, input units].
/// Trajectory j of input i uses noise stream i·k + j of `seed`; the first `traced` inputs'
/// first trajectories are recorded.
pub fn infer(
    c: &Computer<f32>,
    inputs: ArrayView2<'_, f32>,
    steps: usize,
    k: usize,
    seed: u64,
    traced: usize,
    par: Parallelism,
) -> Result<Inference> {
    let (inp, outp) = c.topology.classifier_groups()?;
    let (b, n) = (inputs.nrows(), c.n());
    let rows = b * k;
    let mut outputs = Array2::<f32>::zeros((b, outp.len()));
    let mut traces = vec![Array2::<f32>::zeros((steps + 1, outp.len())); traced.min(b)];
    // Inputs clamped, evolving units at 0 (so the traced outputs start at 0).
    let begin = |start: usize, count: usize| {
        let mut x = Array2::<f32>::zeros((count, n));
        for r in 0..count {
            let img = (start + r) / k;
            x.slice_mut(s![r, inp.clone()]).assign(&inputs.row(img));
        }
        Batch::from_states(x, seed, start as u64)
    };
    let rec = std::cell::RefCell::new(CycleRecorder::default());
    let trace = |start: usize, step: usize, x: ArrayView2<'_, f32>| {
        if step == 0 {
            rec.borrow_mut().start(c, x, par);
        }
        for (i, t) in traces.iter_mut().enumerate() {
            let r = i * k;
            if (start..start + x.nrows()).contains(&r) {
                t.row_mut(step)
                    .assign(&x.slice(s![r - start, outp.clone()]));
            }
        }
    };
    let average = |start: usize, x: ArrayView2<'_, f32>| {
        rec.borrow_mut().finish(c, x, par);
        for (r, row) in x.axis_iter(Axis(0)).enumerate() {
            let mut o = outputs.row_mut((start + r) / k);
            o.scaled_add(1.0 / k as f32, &row.slice(s![outp.clone()]));
        }
    };
    let heat_kt = run_chunked(c, c, rows, CHUNK, steps, par, begin, trace, average);
    let cycle = rec.into_inner().cycle(c, ResetTo::Start);
    Ok(Inference {
        outputs,
        heat_kt,
        traces,
        cycle,
    })
}
