//! Small digital neural networks: the teacher of the thermodynamic classifier and a digit
//! classifier for scoring generated images.
//!
//! * [`mlp`]: dense layers, tanh/ReLU, softmax, forward/backward, save/load (.npz).
//! * [`train`]: minibatch Adam on softmax cross-entropy, with optional shift augmentation.
//! * [`digit_classifier`]: the preset 784→256→128→10 ReLU network trained on per-image
//!   standardised digits ([`crate::data::Digits::standardised`], the generative model's
//!   pixel space).

pub mod mlp;
pub mod train;

pub use mlp::{argmax, softmax_rows, Activation, Dense, Mlp};
pub use train::{EpochRecord, MlpTraining};

use crate::data::Digits;
use crate::error::Result;
use crate::linalg::Parallelism;

/// Layer widths of the digit-classifier preset.
pub const DIGIT_CLASSIFIER_SIZES: [usize; 4] = [784, 256, 128, 10];

/// Training settings of the digit-classifier preset.
pub fn digit_classifier_training(seed: u64) -> MlpTraining {
    MlpTraining {
        epochs: 30,
        batch: 64,
        learning_rate: 1e-3,
        shift: 2,
        seed,
    }
}

/// Train the digit-classifier preset on `train` (inputs: each image standardised over its own
/// pixels), reporting each epoch's accuracy on `test` if given. Classify other images with
/// `net.predict(digits.standardised().view(), par)`.
pub fn digit_classifier(
    train: &Digits,
    test: Option<&Digits>,
    seed: u64,
    par: Parallelism,
    on_epoch: impl FnMut(&EpochRecord),
) -> Result<(Mlp, Vec<EpochRecord>)> {
    let mut sizes = DIGIT_CLASSIFIER_SIZES;
    sizes[0] = train.pixels();
    let mut net = Mlp::new(&sizes, Activation::Relu, seed)?;
    let x = train.standardised();
    let test_x = test.map(|t| (t.standardised(), t.labels.as_slice()));
    let records = train::train(
        &mut net,
        x.view(),
        &train.labels,
        test_x.as_ref().map(|(x, l)| (x.view(), *l)),
        &digit_classifier_training(seed),
        par,
        on_epoch,
    );
    Ok((net, records))
}
