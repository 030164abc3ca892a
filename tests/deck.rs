//! Deck security and node naming: hostile names never reach a deck, node names are unique,
//! `thermocad spice` runs only decks it trusts and stops ngspice at its time limit.

mod common;

use common::{have_ngspice, one_error_line, thermocad};
use std::path::Path;
use thermocad::hardware::circuit::{build, node_prefixes, unit_names};
use thermocad::hardware::profile::load_profile;
use thermocad::model::{Block, GroupSpec, Topology};

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// An untrained 4 + 4 unit model in `dir/model`.
fn small_model(dir: &Path) -> String {
    let cfg = write(dir, "m.toml", "[model]\nvisible = 4\nhidden = 4\n");
    let out = dir.join("model").to_string_lossy().into_owned();
    let (code, _, err) = thermocad(&["init", "--config", &cfg, "--out", &out]);
    assert_eq!(code, 0, "{err}");
    out
}

#[test]
fn hostile_group_name_is_one_line_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let cfg = write(
        d.path(),
        "g.toml",
        "[model]\n[[model.groups]]\nname = \"input\\n.control\\nshell touch MARK\\n.endc\\n*\"\nsize = 4\nclamped = true\n[[model.groups]]\nname = \"hidden\"\nsize = 4\n[[model.couplings]]\nbetween = [\"input\\n.control\\nshell touch MARK\\n.endc\\n*\", \"hidden\"]\n",
    );
    let out = d.path().join("model").to_string_lossy().into_owned();
    let (code, _, err) = thermocad(&["init", "--config", &cfg, "--out", &out]);
    assert_eq!(code, 2, "{err}");
    let line = one_error_line(&err);
    assert!(
        line.contains("model.groups") && line.contains("letters, digits or _"),
        "{line}"
    );
    assert!(!d.path().join("model").exists());
}

#[test]
fn hostile_out_name_is_refused_naming_out() {
    let d = tempfile::tempdir().unwrap();
    let model = small_model(d.path());
    for name in ["a b.cir", "x\nshell touch MARK\n.cir", "-rf.cir"] {
        let out = d.path().join(name).to_string_lossy().into_owned();
        let (code, _, err) = thermocad(&[
            "export",
            "--model",
            &model,
            "--hardware",
            "hardware/ideal.toml",
            "--out",
            &out,
        ]);
        assert_eq!(code, 2, "{name:?}: {err}");
        assert!(one_error_line(&err).contains("--out"), "{err}");
        assert!(!d.path().join(name).exists());
    }
}

#[test]
fn titles_and_comments_cannot_break_lines() {
    // A model directory and profile file name with a newline end up on one comment line.
    let d = tempfile::tempdir().unwrap();
    let evil = d.path().join("m\n.control\nshell touch MARK\n.endc");
    std::fs::create_dir(&evil).unwrap();
    let cfg = write(d.path(), "m.toml", "[model]\nvisible = 2\nhidden = 2\n");
    let model = evil.join("model").to_string_lossy().into_owned();
    assert_eq!(thermocad(&["init", "--config", &cfg, "--out", &model]).0, 0);
    let profile = d.path().join("p\nshell x.toml");
    std::fs::copy("hardware/ideal.toml", &profile).unwrap();
    let out = d.path().join("deck.cir").to_string_lossy().into_owned();
    let (code, _, err) = thermocad(&[
        "export",
        "--model",
        &model,
        "--hardware",
        &profile.to_string_lossy(),
        "--no-noise",
        "--out",
        &out,
    ]);
    assert_eq!(code, 0, "{err}");
    let deck = std::fs::read_to_string(&out).unwrap();
    assert!(
        deck.lines().all(|l| !l.trim_start().starts_with("shell")),
        "{deck}"
    );
    assert_eq!(deck.lines().filter(|l| l.trim() == ".control").count(), 1);
    assert!(thermocad::hardware::trust::check(&deck).unwrap());
}

#[test]
fn foreign_or_edited_decks_are_refused_without_trust() {
    let d = tempfile::tempdir().unwrap();
    let mark = d.path().join("MARK");
    let deck = write(
        d.path(),
        "foreign.cir",
        "x\nR1 a 0 1\nV1 a 0 DC 1\n.tran 1e-6 1e-5\n.control\nshell touch MARK\nrun\nwrdata o.data v(a)\n.endc\n.end\n",
    );
    let (code, _, err) = thermocad(&["spice", "--netlist", &deck]);
    assert_eq!(code, 2, "{err}");
    let line = one_error_line(&err);
    assert!(
        line.contains("foreign.cir:6") && line.contains("--trust-deck"),
        "{line}"
    );
    assert!(!mark.exists());
    for bad in [".include /etc/passwd", ".lib models.lib", "Xsub a b sub"] {
        let deck = write(d.path(), "inc.cir", &format!("x\nR1 a 0 1\n{bad}\n.end\n"));
        let (code, _, err) = thermocad(&["spice", "--netlist", &deck]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(one_error_line(&err).contains("inc.cir:3"), "{err}");
    }
    // A thermocad deck edited after export is refused by its checksum.
    let model = small_model(d.path());
    let out = d.path().join("own.cir").to_string_lossy().into_owned();
    let (code, _, err) = thermocad(&[
        "export",
        "--model",
        &model,
        "--hardware",
        "hardware/ideal.toml",
        "--no-noise",
        "--out",
        &out,
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(thermocad::hardware::trust::check(&text), Ok(true));
    std::fs::write(&out, text.replacen("R1 v0 0", "R1 v0 v1", 1)).unwrap();
    let (code, _, err) = thermocad(&["spice", "--netlist", &out]);
    assert_eq!(code, 2, "{err}");
    assert!(one_error_line(&err).contains("checksum mismatch"), "{err}");
}

#[test]
fn timeout_stops_a_trusted_deck() {
    if !have_ngspice() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let deck = write(
        d.path(),
        "slow.cir",
        "x\nR1 a 0 1\nV1 a 0 DC 1\n.tran 1e-6 1e-5\n.control\nshell sleep 5\nrun\nwrdata o.data v(a)\n.endc\n.end\n",
    );
    let t0 = std::time::Instant::now();
    let (code, _, err) = thermocad(&[
        "spice",
        "--netlist",
        &deck,
        "--trust-deck",
        "--timeout",
        "1",
    ]);
    let secs = t0.elapsed().as_secs_f64();
    assert_eq!(code, 1, "{err}");
    assert!(one_error_line(&err).contains("within 1 s"), "{err}");
    assert!(secs < 3.0, "took {secs} s");
    let (code, _, err) = thermocad(&["spice", "--netlist", &deck, "--timeout", "0"]);
    assert_eq!(code, 2, "{err}");
    assert!(one_error_line(&err).contains("--timeout"), "{err}");
}

fn group(name: &str, size: usize) -> GroupSpec {
    GroupSpec {
        name: name.into(),
        size,
        clamped: false,
        shape: None,
        trainable_bias: true,
    }
}

fn chain(names: &[&str]) -> thermocad::model::Computer<f32> {
    let specs: Vec<GroupSpec> = names.iter().map(|n| group(n, 2)).collect();
    let blocks: Vec<(usize, usize, Block)> =
        (1..names.len()).map(|k| (k - 1, k, Block::Full)).collect();
    let topology = Topology::from_groups(&specs, &blocks).unwrap();
    common::random_computer(topology, 0.1, 3)
}

#[test]
fn node_prefixes_are_unique_and_keep_todays_names() {
    let c = chain(&["visible", "hidden", "hub", "0ground", "Hub2", "h"]);
    let prefixes = node_prefixes(c.topology.groups());
    assert_eq!(prefixes, ["v", "h", "hub_", "g", "Hub2_", "h_"]);
    let names = unit_names(&c);
    assert_eq!(&names[..6], ["v0", "v1", "h0", "h1", "hub_0", "hub_1"]);
    let mut lower: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    lower.sort();
    lower.dedup();
    assert_eq!(lower.len(), names.len());
    let p = load_profile(Path::new("hardware/ideal.toml")).unwrap();
    assert!(build(&c, &p).is_ok());
    // Classifier names keep i/h/o.
    let c = chain(&["input", "hidden", "output"]);
    assert_eq!(node_prefixes(c.topology.groups()), ["i", "h", "o"]);
}

#[test]
fn node_name_collision_is_refused() {
    // "x" gets prefix x_ (x1 took x), so its unit x_0 has the inductor midpoint m_x_0, which
    // is also unit 0 of group m_x (prefix m_x_, m taken by m).
    let c = chain(&["x1", "x", "m", "m_x"]);
    let mut p = load_profile(Path::new("hardware/ideal.toml")).unwrap();
    p.inductance = Some(1e-9);
    let e = build(&c, &p).unwrap_err().to_string();
    assert!(e.contains("\"m_x_0\"") && e.contains("collide"), "{e}");
    // Group names that are not identifiers are refused where the topology is checked.
    let e = Topology::from_groups(&[group("a b", 2)], &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("model.groups") && e.contains("\"a b\""), "{e}");
}
