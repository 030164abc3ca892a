//! The energy ledger of one model: the whole cycle of a sample (an inference, for a
//! classifier), every row tagged with its part (core, circuit, system, digital) and its
//! evidence (simulated, derived, assumed), the per-sample totals, the advantage ratios and the
//! notes, assembled from what was measured (heat and cycle per sample, the forward process's
//! heat and work, the behavioral chip's dissipation and cycle) and from the tables (digital
//! energy per operation, the hardware profile). `thermocad energy` measures, this module
//! accounts, [`super::report`] writes. Formulas: docs/energy.md.

use super::circuit::{self as cost, ChipRun, Measured};
use super::cycle::{Cycle, ResetTo};
use super::digital::{mlp_macs, paper_digital_kt, DigitalTable, PAPER_HEAT_KT};
use super::forward::ForwardHeat;
use super::units::Thermal;
use super::{Budget, Evidence, Part};
use crate::dynamics::noising::Protocol;
use crate::hardware::circuit::Circuit;
use crate::hardware::profile::Profile;
use crate::metrics::mean_std;
use crate::model::Computer;

/// The circuit a model was measured on: its profile, its circuit IR, and the behavioral
/// chip's run (`rows` trajectories, `snapshots` snapshots each) with its cycle.
pub struct CircuitRun<'a> {
    /// The hardware profile.
    pub profile: &'a Profile,
    /// The circuit built from the model on the profile.
    pub circuit: &'a Circuit,
    /// The behavioral chip's dissipation and states.
    pub chip: &'a ChipRun,
    /// The chip's generation heat per trajectory, measured with the model's potential [kT].
    pub chip_heat_kt: &'a [f64],
    /// The chip's switching work and reset heat per trajectory.
    pub chip_cycle: &'a Cycle,
    /// Trajectories measured.
    pub rows: usize,
    /// Snapshots per trajectory.
    pub snapshots: usize,
}

/// The job a sample does.
#[derive(Clone, Debug, PartialEq)]
pub enum Workload {
    /// Generation: a sample from noise; `readout` units are read out.
    Generation {
        /// Units read out per sample (the visible group).
        readout: usize,
    },
    /// Classification: clamped inputs set by DACs, outputs read out; the digital
    /// alternative is the teacher MLP.
    Classification {
        /// Clamped input units (one DAC conversion each per inference).
        inputs: usize,
        /// Output units (one ADC conversion each per inference).
        outputs: usize,
        /// The teacher's layer widths, input first.
        teacher: Vec<u64>,
    },
}

/// What the ledger is assembled from.
pub struct Inputs<'a> {
    /// The computer (its topology sizes the digital twin and the programming).
    pub computer: &'a Computer<f32>,
    /// The job a sample does.
    pub workload: Workload,
    /// Duration of one sample (noising.t_final or teach.t_final) [model time].
    pub t_final: f64,
    /// The noising protocol (for the forward-process rows).
    pub noising: &'a Protocol,
    /// Integration steps per sample.
    pub steps: usize,
    /// The bath temperature converting kT to joules.
    pub thermal: Thermal,
    /// The digital energy-per-operation table at the chosen precision.
    pub table: &'a DigitalTable,
    /// Heat of every sample [kT].
    pub heat_kt: &'a [f64],
    /// Switching work and reset heat of every sample.
    pub cycle: &'a Cycle,
    /// The forward process's heat and work per training trajectory (model energy units), or
    /// why it was skipped.
    pub forward: Result<&'a [ForwardHeat], String>,
    /// The circuit, when a profile was given.
    pub circuit: Option<CircuitRun<'a>>,
    /// Samples between two reprogrammings of the couplings (the programming energy is shared
    /// by them).
    pub samples_per_program: u64,
}

/// A per-sample total.
#[derive(Clone, Debug, PartialEq)]
pub struct Total {
    /// What it adds up.
    pub name: String,
    /// Energy per sample [J].
    pub joules: f64,
    /// Which rows it sums.
    pub what: String,
}

/// Every row of the report.
pub struct Ledger {
    /// Budgets per sample, in part order (core, circuit, system, digital).
    pub budgets: Vec<Budget>,
    /// Per-sample totals: core, circuit, chip (circuit + system), and each digital
    /// alternative.
    pub totals: Vec<Total>,
    /// Bath-entropy lines (name, value in k_B, formula).
    pub entropy: Vec<(String, f64, String)>,
    /// Advantage ratios with their assumptions.
    pub advantages: Vec<String>,
    /// What dominates, what was skipped, the checks.
    pub notes: Vec<String>,
}

fn row(
    part: Part,
    evidence: Evidence,
    total: bool,
    name: impl Into<String>,
    joules: f64,
    formula: impl Into<String>,
    inputs: impl Into<String>,
) -> Budget {
    Budget {
        name: name.into(),
        joules,
        formula: formula.into(),
        inputs: inputs.into(),
        part,
        evidence,
        total,
    }
}

/// The core total per sample [kT]: ⟨Q⟩ + ⟨Q_reset⟩, the heat one cycle emits (equal in
/// expectation to the switching work ⟨W_on + W_off⟩). `thermocad classify` prints it too.
pub fn core_total_kt(heat_kt: &[f64], cycle: &Cycle) -> f64 {
    mean_std(heat_kt).0 + mean_std(&cycle.reset_kt).0
}

/// Sum of the rows of `part` that add into its total [J].
pub fn part_total(budgets: &[Budget], part: Part) -> f64 {
    budgets
        .iter()
        .filter(|b| b.part == part && b.total)
        .map(|b| b.joules)
        .sum()
}

/// Assemble the ledger from `inp`.
pub fn assemble(inp: &Inputs<'_>) -> Ledger {
    let c = inp.computer;
    let ph = c.physics;
    let thermal = inp.thermal;
    let t_f = inp.t_final;
    let heat = inp.heat_kt;
    let (qm, qs) = mean_std(heat);
    let cy = inp.cycle;
    let (w_on, w_on_s) = mean_std(&cy.w_on_kt);
    let (w_off, w_off_s) = mean_std(&cy.w_off_kt);
    let (reset, reset_s) = mean_std(&cy.reset_kt);
    let generation = matches!(inp.workload, Workload::Generation { .. });
    let (what, per) = if generation {
        ("generation", "sample")
    } else {
        ("inference", "inference")
    };
    let mut notes = Vec::new();
    let n_ev = c.topology.n_evolving();
    let start = match cy.reset_to {
        ResetTo::Equilibrium => "⟨V₀⟩_eq by quadrature",
        ResetTo::Start => "V₀ of the start states (evolving units at 0)",
    };
    let core = |ev, total, name: String, kt: f64, f: &str, i: String| {
        row(Part::Core, ev, total, name, thermal.joules(kt), f, i)
    };
    let mut budgets = vec![
        core(
            Evidence::Simulated,
            true,
            format!("ideal: {what} heat ⟨Q⟩"),
            qm,
            "⟨V(x(0)) − V(x(t_f))⟩ / kT_model · k_B T",
            format!(
                "{} {per}s, std {qs:.3e} kT, t_f = {t_f}, Δt = {}, N = {} units",
                heat.len(),
                ph.dt,
                c.n()
            ),
        ),
        core(
            Evidence::Simulated,
            true,
            "core: reset heat ⟨Q_reset⟩".into(),
            reset,
            "⟨V₀(x_f)⟩ − ⟨V₀⟩_start, V₀ = Σ_evolving (J2 x² + J4 x⁴)",
            format!(
                "{} final states of the model, {start}, {n_ev} evolving units, std {reset_s:.3e} kT",
                cy.reset_kt.len()
            ),
        ),
        core(
            Evidence::Simulated,
            false,
            "core: switch-on work ⟨W_on⟩".into(),
            w_on,
            "⟨U(x₀)⟩, U = V − V₀ − K (biases and couplings acting on evolving units)",
            format!("{} start states, std {w_on_s:.3e} kT", cy.w_on_kt.len()),
        ),
        core(
            Evidence::Simulated,
            false,
            "core: switch-off work ⟨W_off⟩".into(),
            w_off,
            "⟨−U(x_f)⟩",
            format!("{} final states, std {w_off_s:.3e} kT", cy.w_off_kt.len()),
        ),
    ];
    notes.push(format!(
        "first law over the cycle: ⟨W_on + W_off⟩ = {:.4e} kT vs ⟨Q⟩ + ⟨Q_reset⟩ = {:.4e} kT (equal in expectation; the difference is sampling noise{})",
        w_on + w_off,
        qm + reset,
        if cy.reset_to == ResetTo::Equilibrium {
            " of ⟨V₀(x₀)⟩ against its quadrature"
        } else {
            ""
        }
    ));
    let mut entropy = vec![(
        format!("{what}: bath entropy ΔS_med"),
        qm,
        "⟨Q⟩ / kT".to_string(),
    )];
    entropy.push((
        "reset: bath entropy ΔS_med".into(),
        reset,
        "⟨Q_reset⟩ / kT".into(),
    ));

    // The forward (noising) process on the training images (generation models only).
    match &inp.forward {
        Err(why) => notes.push(why.clone()),
        Ok([]) => {}
        Ok(f) => {
            let in_kt =
                |g: fn(&ForwardHeat) -> f64| f.iter().map(|h| g(h) / ph.kt).collect::<Vec<_>>();
            let (fq, fqs) = mean_std(&in_kt(|h| h.heat));
            let (fw, fws) = mean_std(&in_kt(|h| h.work));
            let residual = f
                .iter()
                .map(|h| (h.delta_v - (h.work - h.heat)).abs() / ph.kt)
                .sum::<f64>()
                / f.len() as f64;
            let inputs = format!(
                "{} training trajectories, t_f = {}, schedule {:?}, fade {}",
                f.len(),
                inp.noising.t_final,
                inp.noising.schedule,
                inp.noising.fade_fraction
            );
            budgets.push(core(
                Evidence::Simulated,
                false,
                "ideal: noising heat ⟨Q_fwd⟩".into(),
                fq,
                "⟨Σ −∇V_λ(x̄)·Δx⟩ (Stratonovich)",
                format!("{inputs}, std {fqs:.3e} kT; training only, not per sample"),
            ));
            budgets.push(core(
                Evidence::Simulated,
                false,
                "ideal: noising work ⟨W_fwd⟩".into(),
                fw,
                "⟨Σ (λ_k − λ_(k−1)) b·x_k⟩",
                format!("{inputs}, std {fws:.3e} kT; training only, not per sample"),
            ));
            entropy.push((
                "noising: bath entropy ΔS_med".into(),
                fq,
                "⟨Q_fwd⟩ / kT".into(),
            ));
            notes.push(format!(
                "first law of the noising process: ⟨|ΔV − (W − Q)|⟩ = {residual:.3e} kT (Stratonovich discretisation error)"
            ));
        }
    }
    let core_total = part_total(&budgets, Part::Core);
    debug_assert!(
        (core_total - thermal.joules(core_total_kt(heat, cy))).abs() <= 1e-9 * core_total.abs()
    );

    // The circuit and the system around it.
    let mut circuit_total = None;
    if let Some(run) = &inp.circuit {
        let profile = run.profile;
        let name = &profile.name;
        let (hq, _) = mean_std(run.chip_heat_kt);
        let (hr, _) = mean_std(&run.chip_cycle.reset_kt);
        budgets.push(core(
            Evidence::Simulated,
            false,
            format!("core (chip {name}): {what} heat ⟨Q⟩"),
            hq,
            "⟨V(x₀) − V(x_f)⟩ on the behavioral chip's trajectories",
            format!(
                "{} trajectories of the compiled circuit IR, same start states and noise as the first {per}s",
                run.rows
            ),
        ));
        budgets.push(core(
            Evidence::Simulated,
            false,
            format!("core (chip {name}): reset heat ⟨Q_reset⟩"),
            hr,
            "⟨V₀(x_f)⟩ − ⟨V₀⟩_start on the chip's final states",
            format!("{} trajectories, {start}", run.rows),
        ));
        let seconds = t_f * profile.time_unit;
        let powers = cost::static_power(run.circuit, profile);
        let d = &run.chip.dissipation;
        let (conductive, _) = mean_std(d.joules.as_slice().unwrap_or(&[]));
        let coupling = d
            .has_vccs()
            .then(|| mean_std(d.coupling_joules.as_slice().unwrap_or(&[])).0);
        let mut rows_c = cost::budgets(
            profile,
            run.circuit,
            &powers,
            Measured {
                conductive,
                coupling,
            },
            seconds,
        );
        let node_t = profile.noise_temperature * ph.kt / (2.0 * ph.j2);
        rows_c.push(row(
            Part::Circuit,
            Evidence::Derived,
            false,
            format!("circuit {name}: ⟨Q⟩ in mapped units (not a physical heat)"),
            qm * profile.kt_joules(),
            "⟨Q⟩/kT · C v0²",
            format!(
                "the mapping's energy unit k_B T_noise = C v0² = {:.3e} J stands for the model's kT; the node's fluctuation–dissipation temperature is T_noise·kT/(2 J2) = {node_t:.4e} K; compare with the conductive dissipation, not with ⟨Q⟩",
                profile.kt_joules()
            ),
        ));
        let drawn = part_total(&rows_c, Part::Circuit);
        circuit_total = Some(drawn);
        let top = rows_c
            .iter()
            .filter(|b| b.total)
            .max_by(|a, b| a.joules.total_cmp(&b.joules))
            .map(|b| b.name.rsplit(": ").next().unwrap_or(&b.name).to_string())
            .unwrap_or_default();
        notes.push(format!(
            "circuit {name}: dominant term {top}; drawn from supplies {drawn:.3e} J per {per}; dissipation measured on {} behavioral-simulator trajectories × {} snapshots",
            run.rows, run.snapshots
        ));
        budgets.extend(rows_c);
        budgets.extend(system_rows(inp, profile));
    }

    // Digital alternatives.
    let table = inp.table;
    let paper_kt = paper_digital_kt();
    budgets.push(row(
        Part::Digital,
        Evidence::Assumed,
        false,
        "paper: digital MLP estimate",
        thermal.joules(paper_kt),
        "2.2e5 MACs × 10 steps × 2.4e8 kT/MAC",
        "Whitelam 2025: 784→128→128→784, 1 pJ per MAC = 2.4e8 kT (reference)",
    ));
    let (mlp, mlp_traffic) = match &inp.workload {
        Workload::Generation { .. } => (
            table.mlp(),
            table.traffic("MLP", mlp_macs(&table.mlp_layers), table.mlp_steps),
        ),
        Workload::Classification { teacher, .. } => (
            table.mlp_of("teacher MLP", teacher, 1),
            table.traffic("teacher MLP", mlp_macs(teacher), 1),
        ),
    };
    let twin = table.twin(&c.topology, inp.steps);
    let twin_traffic = table.traffic(
        "twin",
        c.topology.distinct_weights() as u64,
        inp.steps as u64,
    );
    let alternatives = [
        (
            mlp.name.clone(),
            mlp.joules + mlp_traffic.as_ref().map_or(0.0, |b| b.joules),
            mlp_traffic.is_some(),
        ),
        (
            twin.name.clone(),
            twin.joules + twin_traffic.as_ref().map_or(0.0, |b| b.joules),
            twin_traffic.is_some(),
        ),
    ];
    budgets.push(mlp);
    budgets.extend(mlp_traffic);
    budgets.push(twin);
    budgets.extend(twin_traffic);

    // Totals and the ratios the docs quote.
    let mut totals = vec![Total {
        name: "core".into(),
        joules: core_total,
        what: format!("⟨Q⟩ + ⟨Q_reset⟩ at {} K (simulated)", thermal.temperature_k),
    }];
    let mut denominators = vec![("core", core_total)];
    if let Some(drawn) = circuit_total {
        let system = part_total(&budgets, Part::System);
        totals.push(Total {
            name: "circuit".into(),
            joules: drawn,
            what: "energy drawn by the circuit: static bias + noise generators".into(),
        });
        totals.push(Total {
            name: "system".into(),
            joules: system,
            what: "readout ADCs + input DACs + programming (amortised)".into(),
        });
        totals.push(Total {
            name: "chip (circuit + system)".into(),
            joules: drawn + system,
            what: "everything a sample costs on the analog chip".into(),
        });
        denominators.push(("circuit", drawn));
        denominators.push(("chip (circuit + system)", drawn + system));
    }
    let precision = &table.precision.name;
    for (name, joules, with_traffic) in &alternatives {
        let traffic = if *with_traffic {
            " + its weight traffic"
        } else {
            ""
        };
        totals.push(Total {
            name: name.clone(),
            joules: *joules,
            what: format!("arithmetic{traffic}, {precision}"),
        });
    }
    let per_q = |j: f64| {
        if qm > 0.0 {
            format!("{:.3e}", thermal.kt(j) / qm)
        } else {
            "undefined (⟨Q⟩ ≤ 0)".to_string()
        }
    };
    let mut advantages = vec![format!(
        "paper: {paper_kt:.3e} kT / {:.1e} kT = {:.3e} (its MLP rounded to 2.2e5 MACs, 10 steps, 1 pJ per MAC = 2.4e8 kT, heat {:.1e} ± {:.1e} kT)",
        PAPER_HEAT_KT.0,
        paper_kt / PAPER_HEAT_KT.0,
        PAPER_HEAT_KT.0,
        PAPER_HEAT_KT.1
    )];
    for b in budgets
        .iter()
        .filter(|b| b.part == Part::Digital && b.name.starts_with("digital "))
    {
        advantages.push(format!(
            "{} / ideal ⟨Q⟩ = {} ({}; ⟨Q⟩ = {qm:.4e} kT; kT at {} K; arithmetic only, without the reset heat)",
            b.name,
            per_q(b.joules),
            b.inputs,
            thermal.temperature_k
        ));
    }
    for (name, joules, _) in &alternatives {
        for (den, dj) in &denominators {
            let ratio = if *dj > 0.0 {
                format!("{:.3e}", joules / dj)
            } else {
                format!("undefined ({den} total ≤ 0)")
            };
            advantages.push(format!(
                "{name} ({joules:.3e} J) / {den} ({dj:.3e} J) = {ratio} per {per} at {precision}"
            ));
        }
    }
    let order = |p: Part| match p {
        Part::Core => 0,
        Part::Circuit => 1,
        Part::System => 2,
        Part::Digital => 3,
    };
    budgets.sort_by_key(|b| order(b.part));
    Ledger {
        budgets,
        totals,
        entropy,
        advantages,
        notes,
    }
}

/// The system rows: readout ADCs, input DACs (classifiers), coupling programming amortised
/// over `samples_per_program` samples.
fn system_rows(inp: &Inputs<'_>, profile: &Profile) -> Vec<Budget> {
    let s = profile.system;
    let name = &profile.name;
    let c = inp.computer;
    let (readout, dacs) = match &inp.workload {
        Workload::Generation { readout } => (*readout, 0),
        Workload::Classification {
            inputs, outputs, ..
        } => (*outputs, *inputs),
    };
    let mut rows = vec![row(
        Part::System,
        Evidence::Assumed,
        true,
        format!("system {name}: readout ADCs"),
        readout as f64 * s.adc_conversion(),
        "n_read · FoM_W · 2^bits",
        format!(
            "n_read = {readout}, FoM_W = {:.3e} J/conversion step, {} bits (system.adc_*)",
            s.adc_fom, s.adc_bits
        ),
    )];
    if dacs > 0 {
        rows.push(row(
            Part::System,
            Evidence::Assumed,
            true,
            format!("system {name}: input DACs"),
            dacs as f64 * s.dac_energy,
            "n_in · E_DAC",
            format!(
                "n_in = {dacs} clamped inputs, E_DAC = {:.3e} J (system.dac_energy_j)",
                s.dac_energy
            ),
        ));
    }
    let values = c.topology.distinct_weights() + c.topology.n_evolving();
    let per_program = values as f64 * f64::from(s.programming_bits) * s.programming_energy_per_bit;
    rows.push(row(
        Part::System,
        Evidence::Assumed,
        true,
        format!("system {name}: coupling programming (amortised)"),
        per_program / inp.samples_per_program as f64,
        "(n_J + n_b) · bits · E_bit / samples_per_program",
        format!(
            "n_J + n_b = {values} distinct couplings and biases, {} bits, E_bit = {:.3e} J (system.programming_*), {:.3e} J per programming shared by --samples-per-program {}",
            s.programming_bits, s.programming_energy_per_bit, per_program, inp.samples_per_program
        ),
    ));
    rows
}
