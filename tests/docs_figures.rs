//! docs/figures.toml, the manifest of every figure quoted in docs/, stays in step with the docs
//! and with scripts/reproduce-docs.sh: each quote is in its doc and holds its value, ids are
//! unique, every recipe is a function of the script, every extract names as many numbers as the
//! value quotes, and every tolerance is stated with its reason. Runs nothing (< 1 s); the
//! regeneration itself is `scripts/reproduce-docs.sh` (docs/reproduce.md).

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    figure: Vec<Figure>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Figure {
    id: String,
    doc: String,
    quote: String,
    value: String,
    recipe: String,
    extract: Option<String>,
    tolerance: Option<String>,
    why: Option<String>,
    check: Option<bool>,
    reason: Option<String>,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn manifest() -> Manifest {
    toml::from_str(&read("docs/figures.toml")).unwrap_or_else(|e| panic!("docs/figures.toml: {e}"))
}

/// Runs of whitespace (line breaks included) as one space, so a quote may span a line break.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The numbers of a quoted value, as scripts/figures.awk reads them: "−" is a minus sign, a comma
/// between thousands is dropped, a "-" glued to a word or a range is not a sign.
fn numbers(s: &str) -> Vec<f64> {
    let s = s.replace('−', "-");
    let b: Vec<char> = s.chars().collect();
    let mut t = String::new();
    for (i, &c) in b.iter().enumerate() {
        let thousands = c == ','
            && i > 0
            && b[i - 1].is_ascii_digit()
            && b.len() > i + 3
            && b[i + 1..=i + 3].iter().all(char::is_ascii_digit);
        if !thousands {
            t.push(c);
        }
    }
    let b: Vec<char> = t.chars().collect();
    let digits = |mut j: usize| {
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        j
    };
    let (mut out, mut i) = (Vec::new(), 0);
    while i < b.len() {
        let signed = b[i] == '-'
            && i + 1 < b.len()
            && b[i + 1].is_ascii_digit()
            && !(i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == '.'));
        if !(b[i].is_ascii_digit() || signed) {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = digits(if signed { i + 1 } else { i });
        if j + 1 < b.len() && b[j] == '.' && b[j + 1].is_ascii_digit() {
            j = digits(j + 1);
        }
        if j < b.len() && (b[j] == 'e' || b[j] == 'E') {
            let k = if j + 1 < b.len() && (b[j + 1] == '-' || b[j + 1] == '+') {
                j + 2
            } else {
                j + 1
            };
            if k < b.len() && b[k].is_ascii_digit() {
                j = digits(k);
            }
        }
        let text: String = b[start..j].iter().collect();
        out.push(
            text.parse()
                .unwrap_or_else(|_| panic!("number `{text}` in `{s}`")),
        );
        i = j;
    }
    out
}

/// The recipe functions of the script and its list of recipes.
fn script_recipes() -> (BTreeSet<String>, BTreeSet<String>) {
    let script = read("scripts/reproduce-docs.sh");
    let functions = script
        .lines()
        .filter_map(|l| l.strip_prefix("recipe_")?.strip_suffix("() {"))
        .map(String::from)
        .collect();
    let list = script
        .split("RECIPES=(")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .expect("RECIPES=(…) in scripts/reproduce-docs.sh")
        .split_whitespace()
        .map(String::from)
        .collect();
    (functions, list)
}

fn tolerance_ok(t: &str) -> Result<(), String> {
    let w: Vec<&str> = t.split_whitespace().collect();
    match w.as_slice() {
        ["exact"] => Ok(()),
        [kind @ ("abs" | "rel" | "factor"), x] => {
            let x: f64 = x.parse().map_err(|_| format!("`{x}` is not a number"))?;
            let lower = if *kind == "factor" { 1.0 } else { 0.0 };
            if x.is_finite() && x > lower {
                Ok(())
            } else {
                Err(format!("{kind} needs a finite value above {lower}"))
            }
        }
        _ => Err("expected `exact`, `abs X`, `rel X` or `factor X`".into()),
    }
}

#[test]
fn every_quote_is_in_its_doc_and_holds_its_value() {
    let m = manifest();
    let mut docs = BTreeMap::new();
    let mut bad = Vec::new();
    for f in &m.figure {
        let doc = docs
            .entry(f.doc.clone())
            .or_insert_with(|| squash(&read(&f.doc)));
        if !doc.contains(&squash(&f.quote)) {
            bad.push(format!("{}: quote not in {}: `{}`", f.id, f.doc, f.quote));
        }
        if !f.quote.contains(&f.value) {
            bad.push(format!(
                "{}: quote does not contain value `{}`",
                f.id, f.value
            ));
        }
        if numbers(&f.value).is_empty() {
            bad.push(format!("{}: value `{}` holds no number", f.id, f.value));
        }
    }
    assert!(bad.is_empty(), "docs/figures.toml:\n{}", bad.join("\n"));
    assert!(m.figure.len() >= 100, "only {} figures", m.figure.len());
}

#[test]
fn ids_are_unique_and_recipes_exist() {
    let m = manifest();
    let (functions, list) = script_recipes();
    assert_eq!(functions, list, "recipe functions vs RECIPES=(…)");
    let mut seen = BTreeSet::new();
    for f in &m.figure {
        assert!(
            !f.id.is_empty() && seen.insert(&f.id),
            "duplicate or empty id `{}`",
            f.id
        );
        if f.recipe == "none" {
            assert_eq!(
                f.check,
                Some(false),
                "{}: recipe `none` needs check = false",
                f.id
            );
            continue;
        }
        assert!(
            functions.contains(&f.recipe),
            "{}: recipe `{}` is not a function recipe_{} of scripts/reproduce-docs.sh",
            f.id,
            f.recipe,
            f.recipe
        );
    }
    // every recipe produces at least one figure
    let used: BTreeSet<_> = m
        .figure
        .iter()
        .filter(|f| f.recipe != "none")
        .map(|f| f.recipe.clone())
        .collect();
    assert_eq!(
        used, functions,
        "recipes without figures, or figures without recipes"
    );
}

#[test]
fn every_tolerance_is_stated_and_every_extract_matches_its_value() {
    let m = manifest();
    let mut bad = Vec::new();
    for f in &m.figure {
        if f.check == Some(false) {
            if f.reason.as_deref().is_none_or(|r| r.trim().len() < 10) {
                bad.push(format!("{}: check = false needs a reason", f.id));
            }
            continue;
        }
        match f.tolerance.as_deref().map(tolerance_ok) {
            Some(Ok(())) => {}
            Some(Err(e)) => bad.push(format!("{}: tolerance: {e}", f.id)),
            None => bad.push(format!("{}: no tolerance", f.id)),
        }
        if f.why.as_deref().is_none_or(|r| r.trim().len() < 10) {
            bad.push(format!("{}: the tolerance needs a reason (`why`)", f.id));
        }
        let Some(extract) = &f.extract else {
            bad.push(format!("{}: no extract", f.id));
            continue;
        };
        let specs: Vec<&str> = extract.split(" ; ").collect();
        let n = numbers(&f.value).len();
        if specs.len() != n {
            bad.push(format!(
                "{}: {} extract specs for {n} numbers in `{}`",
                f.id,
                specs.len(),
                f.value
            ));
        }
        for s in specs {
            let w: Vec<&str> = s.split_whitespace().collect();
            let ok = match w.as_slice() {
                ["lit", x, ..] => x.parse::<f64>().is_ok(),
                [path, "num", k, _, ..]
                | [path, "col", k, _, ..]
                | [path, "md", _, _, k, ..]
                | [path, "sec", _, k, _, ..] => {
                    path.starts_with(&format!("{}/", f.recipe))
                        && (k.parse::<usize>().is_ok() || w[1] == "col")
                }
                _ => false,
            };
            if !ok {
                bad.push(format!(
                    "{}: bad extract spec `{s}` (its path must start with `{}/`)",
                    f.id, f.recipe
                ));
            }
        }
    }
    assert!(bad.is_empty(), "docs/figures.toml:\n{}", bad.join("\n"));
}

#[test]
fn numbers_are_read_as_the_extractor_reads_them() {
    assert_eq!(numbers("2.77e3 kT, std 2.8e2"), vec![2770.0, 280.0]);
    assert_eq!(numbers("50,816 × 2.4e8"), vec![50816.0, 2.4e8]);
    assert_eq!(
        numbers("−40: 93.3 % · +27: 92.8 %"),
        vec![-40.0, 93.3, 27.0, 92.8]
    );
    assert_eq!(numbers("bits=2..8, h383"), vec![2.0, 8.0, 383.0]);
    assert_eq!(numbers("3.7 min"), vec![3.7]);
}

/// docs/repro/demo.toml is the demo's embedded configuration (docs/codesign.md trains on it).
#[test]
fn the_committed_demo_config_is_the_demo_s() {
    let committed = read("docs/repro/demo.toml");
    let body: String = committed
        .lines()
        .skip_while(|l| !l.starts_with("# thermocad demo"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(body, thermocad::workflow::demo::DEMO_CONFIG);
}

/// The extractor itself (scripts/figures.awk): a figure within its tolerance passes, one outside
/// fails, a missing output is NOT RUN — on a two-line fixture.
#[test]
fn the_extractor_passes_fails_and_reports_missing_outputs() {
    let dir = std::env::temp_dir().join(format!("thermocad-figures-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("r")).unwrap();
    std::fs::write(dir.join("r/q.csv"), "index,q_kt\n0,1.0\n1,3.0\n2,-2.0\n").unwrap();
    std::fs::write(dir.join("r/log.txt"), "top-1 accuracy: 0.9295\n").unwrap();
    let manifest = dir.join("m.toml");
    std::fs::write(
        &manifest,
        "[[figure]]\nid = 'a'\ndoc = 'd'\nvalue = '0.667 and 1.0'\nextract = 'r/q.csv col mean q_kt ; r/q.csv col negfrac q_kt *3'\ntolerance = 'exact'\n\
         [[figure]]\nid = 'b'\ndoc = 'd'\nvalue = '93.2'\nextract = 'r/log.txt num 1 top-1 accuracy: *100'\ntolerance = 'abs 0.1'\n\
         [[figure]]\nid = 'c'\ndoc = 'd'\nvalue = '92.9'\nextract = 'r/log.txt num 1 top-1 accuracy: *100'\ntolerance = 'abs 0.01'\n\
         [[figure]]\nid = 'd'\ndoc = 'd'\nvalue = '1'\nextract = 'r/none.csv col mean q_kt'\ntolerance = 'exact'\n",
    )
    .unwrap();
    let out = Command::new("awk")
        .arg("-v")
        .arg(format!("out={}", dir.display()))
        .arg("-f")
        .arg(root().join("scripts/figures.awk"))
        .arg(&manifest)
        .output()
        .expect("awk");
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    std::fs::remove_dir_all(&dir).ok();
    let status = |id: &str| {
        report
            .lines()
            .find(|l| l.starts_with(&format!("| {id} |")))
            .and_then(|l| l.trim_end_matches(" |").rsplit("| ").next())
            .unwrap_or_else(|| panic!("no row {id} in:\n{report}"))
            .to_string()
    };
    // mean 0.6667 → "0.667" exact; 1/3 of rows negative × 3 = 1.0
    assert_eq!(status("a"), "PASS", "{report}");
    // 92.95 vs 93.2: 0.25 > 0.1 + 0.05 (half a unit of the last quoted digit)
    assert_eq!(status("b"), "FAIL", "{report}");
    // 92.95 vs 92.9: 0.05 ≤ 0.01 + 0.05
    assert_eq!(status("c"), "PASS", "{report}");
    assert_eq!(status("d"), "NOT RUN", "{report}");
    assert!(
        report.contains("checked 4: PASS 2, FAIL 1, NOT RUN 1"),
        "{report}"
    );
}
