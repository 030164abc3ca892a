//! Configuration parsing and validation: typos and bad values are named, overrides apply.

use thermocad::config::{check, parse, ConfigError};

const BASE: &str = "[model]\nhidden = 8\n\n[train]\ntrajectories = 10\nlearning_rate = 0.01\n";

fn load(text: &str, sets: &[&str]) -> Result<thermocad::config::Config, ConfigError> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let raw = parse("cfg.toml", text, &sets, &[])?;
    check(raw, "cfg.toml", text)
}

#[test]
fn defaults_and_overrides() {
    let c = load(
        BASE,
        &[
            "train.trajectories=20",
            "noising.schedule=cosine",
            "data.digits=[3, 4]",
        ],
    )
    .unwrap();
    assert_eq!(c.train.trajectories, 20);
    assert_eq!(c.model.hidden, 8);
    assert_eq!(c.data.digits, vec![3, 4]);
    assert_eq!(
        c.noising.schedule,
        thermocad::dynamics::noising::Schedule::Cosine
    );
    assert_eq!(c.model.physics.kt, 0.1);
    assert_eq!(c.noising.t_final, 2.5);
}

#[test]
fn typo_is_named_with_its_line() {
    let text = "[model]\nhidden = 8\n\n[train]\ntrajectoris = 10\n";
    let e = load(text, &[]).unwrap_err().to_string();
    assert!(e.starts_with("cfg.toml:5: train.trajectoris:"), "{e}");
    assert!(e.contains("unknown field"), "{e}");
    assert!(e.contains("trajectories"), "suggests the valid names: {e}");
}

#[test]
fn bad_values_are_named() {
    for (text, sets, field) in [
        (BASE, vec!["model.dt=-1"], "model.dt"),
        (BASE, vec!["train.optimizer=\"lbfgs\""], "train.optimizer"),
        (BASE, vec!["model.kt=nan"], "model.kt"),
        (BASE, vec!["data.digits=[12]"], "data.digits"),
        (BASE, vec!["train.batch=0"], "train.batch"),
        (BASE, vec!["model.hidden=\"many\""], "model.hidden"),
        (BASE, vec!["model.dt=0.4"], "model.dt"),
        (BASE, vec!["model.init=\"hopfield\""], "model.init"),
        (BASE, vec!["model.prototype_gap=10"], "model.prototype_gap"),
        (
            BASE,
            vec!["model.prototypes_per_class=2"],
            "model.prototypes_per_class",
        ),
        (
            BASE,
            vec!["model.init=\"prototypes\"", "model.prototypes_per_class=0"],
            "model.prototypes_per_class",
        ),
        (
            BASE,
            vec!["model.init=\"prototypes\"", "model.prototype_gap=-1"],
            "model.prototype_gap",
        ),
        (
            BASE,
            vec!["model.init=\"prototypes\"", "model.init_scale=0.1"],
            "model.init_scale",
        ),
        (
            BASE,
            vec!["noising.hidden_projection=\"prototypes\""],
            "noising.hidden_projection",
        ),
    ] {
        let e = load(text, &sets).unwrap_err().to_string();
        assert!(e.contains(field), "{sets:?}: {e}");
        assert!(!e.contains('\n'), "one line: {e}");
    }
    let e = load(BASE, &["tran.trajectories=3"]).unwrap_err();
    assert!(matches!(e, ConfigError::Override { .. }), "{e}");
    let e = load("[modle]\nhidden = 3\n", &[]).unwrap_err().to_string();
    assert!(
        e.contains("[modle]") && e.contains("unknown section"),
        "{e}"
    );
    let e = load("[model\nhidden = 3\n", &[]).unwrap_err();
    assert!(matches!(e, ConfigError::Syntax { .. }), "{e}");
}

#[test]
fn shipped_configs_are_valid() {
    let root = env!("CARGO_MANIFEST_DIR");
    for f in [
        "examples/mnist3.toml",
        "examples/mnist3-prototypes.toml",
        "examples/mnist10.toml",
        "examples/mnist10-prototypes.toml",
        "examples/mnist10-prototypes-trained.toml",
        "netlists/two-unit.toml",
        "netlists/sixteen-unit.toml",
    ] {
        let path = std::path::Path::new(root).join(f);
        thermocad::config::load_checked(&path, &[]).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    use thermocad::workflow::demo::{DEMO_CLASSIFIER_CONFIG, DEMO_CONFIG};
    for (name, text) in [
        ("demo", DEMO_CONFIG),
        ("classifier", DEMO_CLASSIFIER_CONFIG),
    ] {
        let raw = parse(name, text, &[], &[]).unwrap();
        let cfg = check(raw, name, text).unwrap();
        assert_eq!(cfg.teach.is_some(), name == "classifier", "{name}");
    }
}
