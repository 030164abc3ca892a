//! What the commands print on stdout: one short report per finished workflow.

use std::path::Path;
use thermocad::hardware::spice::Waveforms;
use thermocad::metrics::mean_std;
use thermocad::workflow::{
    bench::BenchLine,
    classify::ClassifySummary,
    classify::KT_PER_MAC,
    demo::CircuitSummary,
    energy::EnergySummary,
    export::ExportSummary,
    sample::{FrechetReference, SampleSummary},
    teach::TeachSummary,
    tolerance::ToleranceSummary,
    train::TrainSummary,
};

/// `train`: trajectories, images, time and the loss at the start and end; where the model is.
pub fn train(s: &TrainSummary, out: &Path) {
    println!(
        "trained {} trajectories on {} images in {:.1} s; loss per unit per step {:.4} -> {:.4}; model in {}",
        s.trajectories,
        s.images,
        s.seconds,
        s.first_loss,
        s.final_loss,
        out.display()
    );
}

/// `teach`: the teacher's and the student's held-out accuracy; where the model is.
pub fn teach(s: &TeachSummary, out: &Path) {
    println!(
        "teacher: held-out accuracy {:.4} ({} training, {} held-out images)",
        s.teacher_accuracy, s.images.0, s.images.1
    );
    println!(
        "student: {} idealised trajectories, action per unit per step {:.4}; held-out top-1 {:.4}, top-2 {:.4} (one trajectory); {:.1} s; model in {}",
        s.trajectories,
        s.final_loss,
        s.student.0,
        s.student.1,
        s.seconds,
        out.display()
    );
}

/// `demo`: training, samples and the circuit table.
pub fn demo((t, s, c): &(TrainSummary, SampleSummary, CircuitSummary), out: &Path) {
    println!(
        "demo: trained {} trajectories in {:.1} s, loss {:.4} -> {:.4}",
        t.trajectories, t.seconds, t.first_loss, t.final_loss
    );
    sample_summary(s, &FrechetReference::HeldOut);
    for line in &c.lines {
        println!("{}", line.trim_matches('|').trim());
    }
    println!("results in {} (summary.md)", out.display());
}

/// `tolerance`: the judging classifier, the tasks run, and the study's headlines (or that this
/// was one shard).
pub fn tolerance(s: &ToleranceSummary, out: &Path) {
    if let Some(a) = s.classifier_accuracy {
        println!(
            "digit classifier: {:.1} % on its held-out digits",
            100.0 * a
        );
    }
    println!(
        "tolerance: {} tasks in this run ({} resumed) in {}",
        s.owned,
        s.resumed,
        out.display()
    );
    match &s.summary {
        Some(md) => study(md),
        None => println!("a shard of a larger study: combine the shards with `thermocad merge`"),
    }
}

/// The headline lines (`## …` and `**…**`) of a tolerance study's summary.md.
pub fn study(md: &str) {
    for line in md
        .lines()
        .filter(|l| l.starts_with("## ") || l.starts_with("**"))
    {
        println!("{}", line.trim_start_matches("## ").trim_matches('*'));
    }
}

/// Heat statistics and the comparison with the training digits (the Fréchet distance's real
/// digits: `reference`).
pub fn sample_summary(s: &SampleSummary, reference: &FrechetReference) {
    let (m, sd) = mean_std(&s.heat_kt);
    println!(
        "heat Q: mean {m:.4e} kT, std {sd:.3e} kT over {} samples",
        s.heat_kt.len()
    );
    if let Some(c) = s.mean_best_corr {
        let classes: Vec<String> = s
            .class_counts
            .iter()
            .map(|(d, k)| format!("{d}: {k}"))
            .collect();
        println!("mean largest |correlation| with a training digit: {c:.3}");
        println!("closest training class: {}", classes.join(", "));
        if let Some(f) = s.inverted_fraction {
            println!("sign-inverted samples: {:.1} %", 100.0 * f);
        }
        if let Some(q) = &s.quality {
            quality_report(q, s.judge_accuracy, &reference.describe());
        }
    } else if let Some(why) = &s.quality_skipped {
        println!("no comparison with the training digits ({why}; pass --data DIR)");
    }
}

/// The judge's verdict: recognised, confident, mixtures, Fréchet distance, class histogram.
fn quality_report(
    q: &thermocad::tolerance::quality::Quality,
    judge_accuracy: Option<f64>,
    reference: &str,
) {
    let pct = |e: &thermocad::tolerance::quality::Estimate| {
        format!(
            "{:.1} % (95 % CI {:.1}–{:.1})",
            100.0 * e.value,
            100.0 * e.lo,
            100.0 * e.hi
        )
    };
    println!(
        "mixtures (another class's training digit ≥ half as correlated): {}",
        pct(&q.mixture)
    );
    let (Some(r), Some(c), Some(f)) = (&q.recognised, &q.confident, &q.frechet) else {
        println!("no digit-classifier judge (pass --data DIR or --classifier FILE)");
        return;
    };
    if let Some(a) = judge_accuracy {
        println!(
            "judge: digit classifier, {:.1} % on its held-out digits",
            100.0 * a
        );
    }
    println!("recognised as a training class with p > 0.9: {}", pct(r));
    println!("recognised as any digit with p > 0.9: {}", pct(c));
    println!(
        "Fréchet distance to {reference}: {:.1} (95 % CI {:.1}–{:.1})",
        f.value, f.lo, f.hi
    );
    let hist: Vec<String> = q
        .classes
        .iter()
        .enumerate()
        .map(|(d, v)| format!("{d}: {:.1} %", 100.0 * v))
        .collect();
    println!("judged classes: {}", hist.join(", "));
}

/// Size and final node voltages of an ngspice run.
pub fn waveforms(w: &Waveforms) {
    let t_end = w.time.last().copied().unwrap_or(0.0);
    println!(
        "ngspice: {} node voltages at {} time points up to {:.4e} s",
        w.names.len(),
        w.time.len(),
        t_end
    );
    let finals: Vec<f64> = w.values.iter().filter_map(|v| v.last().copied()).collect();
    let (m, sd) = mean_std(&finals);
    println!("final node voltages: mean {m:.4e} V, std {sd:.4e} V");
}

/// The energy budgets and advantage ratios.
pub fn energy(s: &EnergySummary, out: &Path) {
    let (m, sd) = mean_std(&s.heat_kt);
    println!(
        "heat Q: mean {m:.4e} kT, std {sd:.3e} kT over {} samples",
        s.heat_kt.len()
    );
    for b in &s.budgets {
        println!(
            "{:<8} {:<9} {:<60} {:.3e} J",
            b.part.name(),
            b.evidence.name(),
            b.name,
            b.joules
        );
    }
    let per = if s.classifier { "inference" } else { "sample" };
    println!("totals per {per}:");
    for t in &s.totals {
        println!("  {:<40} {:.3e} J  ({})", t.name, t.joules, t.what);
    }
    println!("advantage ratios (with their assumptions) and notes:");
    for a in s.advantages.iter().chain(&s.notes) {
        println!("  {a}");
    }
    println!(
        "report in {} (energy.md, energy.csv, energy.png)",
        out.display()
    );
}

/// The deck written, its circuit and the quantization error.
pub fn export(s: &ExportSummary, out: &Path) {
    let c = &s.circuit;
    println!(
        "wrote {} ({:.1} MB) in {:.2} s: {} nodes, {} components; v0 = {:.4e} V, t_unit = {:.3e} s, kT = {:.4e} J, C = {:.3e} F",
        out.display(),
        s.bytes as f64 / 1e6,
        s.seconds,
        c.nodes.len(),
        c.components.len(),
        c.mapping.v0,
        c.mapping.t_unit,
        c.mapping.kt_joules,
        c.mapping.c
    );
    println!(
        "quantization: couplings rel. Frobenius error {:.3e}, max abs {:.3e}, pruned {:.2} %; biases rel. error {:.3e}",
        s.couplings.rel_frobenius,
        s.couplings.max_abs,
        100.0 * s.couplings.pruned_fraction,
        s.biases.rel_frobenius
    );
    if let Some(m) = &c.margins {
        let worst = m.iter().cloned().fold(f64::INFINITY, f64::min);
        println!("resistive couplings: smallest ground-conductance margin {worst:.3}");
        let nics = c.nic_count();
        if nics > 0 {
            println!(
                "negative-conductance ground elements (NICs): {nics}; largest compensation ratio Σ|J|/(2·J2) = {:.3}",
                1.0 - worst
            );
        }
    }
    if let Some(d) = &s.digit {
        println!(
            "inputs driven by image {} of the data set (digit {})",
            d.index, d.label
        );
    }
}

/// Accuracy, heat and speed of a classification run.
pub fn classify(s: &ClassifySummary, trajectories: usize, out: &Path) {
    println!("top-1 accuracy: {:.3}", s.top1);
    println!("top-2 accuracy: {:.3}", s.top2);
    if let Some(t) = s.teacher_accuracy {
        println!("teacher top-1 accuracy: {t:.3}");
    }
    println!(
        "heat per inference: mean {:.4e} kT, std {:.3e} kT ({} digits, {trajectories} trajectories each)",
        s.heat_mean, s.heat_std, s.images
    );
    println!(
        "energy ledger, core total per inference: ⟨Q⟩ + ⟨Q_reset⟩ = {:.4e} + {:.4e} = {:.4e} kT (circuit and system rows: thermocad energy --model M --hardware P)",
        s.heat_mean, s.reset_mean, s.core_total_kt
    );
    println!(
        "digital teacher: {} MACs x {:.1e} kT/MAC (1 pJ) = {:.3e} kT; thermodynamic advantage {:.3e}",
        s.teacher_macs, KT_PER_MAC, s.digital_kt, s.advantage
    );
    println!(
        "classified in {:.3} s; {:.2} x the rate of a same-shape SGEMM {}; results in {}",
        s.seconds,
        s.sgemm_ratio,
        s.sgemm_shape,
        out.display()
    );
}

/// The benchmark table.
pub fn bench(lines: &[BenchLine]) {
    println!(
        "{:<58} {:>12} {:>11} {:>10} {:>9}",
        "measurement", "GFLOP", "time (ms)", "GFLOP/s", "vs SGEMM"
    );
    for l in lines {
        println!(
            "{:<58} {:>12.3} {:>11.3} {:>10} {:>9}",
            l.name,
            l.flops / 1e9,
            l.seconds * 1e3,
            if l.flops > 0.0 {
                format!("{:.1}", l.gflops())
            } else {
                "-".into()
            },
            l.ratio.map_or("-".into(), |r| format!("{r:.2}"))
        );
    }
}

/// The design search's answer and its chip evaluations.
pub fn design(s: &thermocad::workflow::design::DesignSummary) {
    match &s.answer {
        Some(a) => {
            println!("{a}");
            println!(
                "chip evaluations: {} ({} resumed), the exhaustive grid: {}",
                s.evaluations, s.resumed, s.grid_evaluations
            );
        }
        None => println!(
            "shard done: {} chip evaluations stored ({} resumed); combine the shards with thermocad design --merge SHARD_DIR… --out DIR",
            s.evaluations, s.resumed
        ),
    }
}
