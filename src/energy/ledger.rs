//! The energy ledger of one model: every budget row, the bath-entropy lines, the advantage
//! ratios and the notes, assembled from what was measured (heat per generated sample, the
//! forward process's heat and work, the circuit's dissipation) and from the tables (digital
//! energy per operation, the hardware profile). `thermocad energy` measures, this module
//! accounts, [`super::report`] writes. Formulas: docs/energy.md.

use super::circuit::{self as cost, Dissipation};
use super::digital::{mlp_macs, paper_digital_kt, DigitalTable, PAPER_HEAT_KT};
use super::forward::ForwardHeat;
use super::units::Thermal;
use super::Budget;
use crate::dynamics::noising::Protocol;
use crate::hardware::circuit::Circuit;
use crate::hardware::profile::Profile;
use crate::metrics::mean_std;
use crate::model::Computer;

/// The circuit a model was measured on: its profile, its circuit IR and the conductive
/// dissipation measured on `rows` behavioral trajectories with `snapshots` snapshots each.
pub struct CircuitRun<'a> {
    /// The hardware profile.
    pub profile: &'a Profile,
    /// The circuit built from the (quantized) model on the profile.
    pub circuit: &'a Circuit,
    /// Dissipation per trajectory [J].
    pub dissipation: &'a Dissipation,
    /// Trajectories measured.
    pub rows: usize,
    /// Snapshots per trajectory.
    pub snapshots: usize,
}

/// What the ledger is assembled from.
pub struct Inputs<'a> {
    /// The computer (its topology sizes the digital twin).
    pub computer: &'a Computer<f32>,
    /// The noising protocol (t_f, schedule, fade) of the model.
    pub noising: &'a Protocol,
    /// Integration steps per generation.
    pub steps: usize,
    /// The bath temperature converting kT to joules.
    pub thermal: Thermal,
    /// The digital energy-per-operation table at the chosen precision.
    pub table: &'a DigitalTable,
    /// Heat of every generated sample [kT].
    pub heat_kt: &'a [f64],
    /// The forward process's heat and work per training trajectory (model energy units), or
    /// why it was skipped.
    pub forward: Result<&'a [ForwardHeat], String>,
    /// The circuit, when a profile was given.
    pub circuit: Option<CircuitRun<'a>>,
}

/// Every row of the report.
pub struct Ledger {
    /// Budgets per sample.
    pub budgets: Vec<Budget>,
    /// Bath-entropy lines (name, value in k_B, formula).
    pub entropy: Vec<(String, f64, String)>,
    /// Advantage ratios with their assumptions.
    pub advantages: Vec<String>,
    /// What dominates, what was skipped.
    pub notes: Vec<String>,
}

/// Assemble the ledger from `inp`.
pub fn assemble(inp: &Inputs<'_>) -> Ledger {
    let c = inp.computer;
    let ph = c.physics;
    let thermal = inp.thermal;
    let t_f = inp.noising.t_final;
    let heat = inp.heat_kt;
    let (qm, qs) = mean_std(heat);
    let mut notes = Vec::new();
    let mut budgets = vec![Budget {
        name: "ideal: generation heat ⟨Q⟩".into(),
        joules: thermal.joules(qm),
        formula: "⟨V(x(0)) − V(x(t_f))⟩ / kT_model · k_B T".into(),
        inputs: format!(
            "{} samples, std {qs:.3e} kT, t_f = {t_f}, Δt = {}, N = {} units",
            heat.len(),
            ph.dt,
            c.n()
        ),
    }];
    let mut entropy = vec![(
        "generation: bath entropy ΔS_med".to_string(),
        qm,
        "⟨Q⟩ / kT".to_string(),
    )];

    // The forward (noising) process on the training images.
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
                "{} training trajectories, t_f = {t_f}, schedule {:?}, fade {}",
                f.len(),
                inp.noising.schedule,
                inp.noising.fade_fraction
            );
            budgets.push(Budget {
                name: "ideal: noising heat ⟨Q_fwd⟩".into(),
                joules: thermal.joules(fq),
                formula: "⟨Σ −∇V_λ(x̄)·Δx⟩ (Stratonovich)".into(),
                inputs: format!("{inputs}, std {fqs:.3e} kT"),
            });
            budgets.push(Budget {
                name: "ideal: noising work ⟨W_fwd⟩".into(),
                joules: thermal.joules(fw),
                formula: "⟨Σ (λ_k − λ_(k−1)) b·x_k⟩".into(),
                inputs: format!("{inputs}, std {fws:.3e} kT"),
            });
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

    // Digital budgets.
    let table = inp.table;
    let paper_kt = paper_digital_kt();
    budgets.push(Budget {
        name: "paper: digital MLP estimate".into(),
        joules: thermal.joules(paper_kt),
        formula: "2.2e5 MACs × 10 steps × 2.4e8 kT/MAC".into(),
        inputs: "Whitelam 2025: 784→128→128→784, 1 pJ per MAC = 2.4e8 kT".into(),
    });
    let mlp = table.mlp();
    let twin = table.twin(&c.topology, inp.steps);
    // An advantage over the ideal heat is defined only when generation emits heat.
    let per_q = |kt: f64| {
        if qm > 0.0 {
            format!("{:.3e}", kt / qm)
        } else {
            "undefined (⟨Q⟩ ≤ 0)".to_string()
        }
    };
    let mut advantages = vec![
        format!(
            "paper: {paper_kt:.3e} kT / {:.1e} kT = {:.3e} (its MLP rounded to 2.2e5 MACs, 10 steps, 1 pJ per MAC = 2.4e8 kT, heat {:.1e} ± {:.1e} kT)",
            PAPER_HEAT_KT.0,
            paper_kt / PAPER_HEAT_KT.0,
            PAPER_HEAT_KT.0,
            PAPER_HEAT_KT.1
        ),
        format!(
            "{} / ideal ⟨Q⟩ = {} ({}; ⟨Q⟩ = {qm:.4e} kT; kT at {} K; arithmetic only)",
            mlp.name,
            per_q(thermal.kt(mlp.joules)),
            mlp.inputs,
            thermal.temperature_k
        ),
        format!(
            "{} / ideal ⟨Q⟩ = {} ({}; arithmetic and random numbers only)",
            twin.name,
            per_q(thermal.kt(twin.joules)),
            twin.inputs
        ),
    ];
    let traffic = [
        table.traffic("MLP", mlp_macs(&table.mlp_layers), table.mlp_steps),
        table.traffic("twin", c.topology.macs_per_field() as u64, inp.steps as u64),
    ];
    budgets.push(mlp);
    budgets.push(twin);
    budgets.extend(traffic.into_iter().flatten());

    // The circuit.
    if let Some(run) = &inp.circuit {
        let profile = run.profile;
        let seconds = t_f * profile.time_unit;
        let powers = cost::static_power(run.circuit, profile);
        let (dissipated, _) = mean_std(run.dissipation.joules.as_slice().unwrap_or(&[]));
        let rows_c = cost::budgets(profile, run.circuit, &powers, dissipated, seconds);
        let kt_noise = profile.kt_joules() / ph.kt;
        budgets.push(Budget {
            name: format!("circuit {}: ideal heat ⟨Q⟩ at T_noise", profile.name),
            joules: qm * profile.kt_joules(),
            formula: "⟨Q⟩ · k_B T_noise".into(),
            inputs: format!(
                "k_B T_noise = C v0² = {:.3e} J plays kT ({:.3e} J per model energy unit)",
                profile.kt_joules(),
                kt_noise
            ),
        });
        let drawn: f64 = rows_c.iter().skip(1).map(|b| b.joules).sum();
        let top = rows_c
            .iter()
            .max_by(|a, b| a.joules.total_cmp(&b.joules))
            .map(|b| b.name.rsplit(": ").next().unwrap_or(&b.name).to_string())
            .unwrap_or_default();
        notes.push(format!(
            "circuit {}: dominant term {top}; drawn from sources and supplies {drawn:.3e} J per sample = {} × the ideal heat at {} K; dissipation measured on {} behavioral-simulator trajectories × {} snapshots",
            profile.name,
            per_q(thermal.kt(drawn)),
            thermal.temperature_k,
            run.rows,
            run.snapshots
        ));
        advantages.push(format!(
            "circuit {} (sources + supplies, {drawn:.3e} J) / ideal ⟨Q⟩ = {} (sample time t_f·t_unit = {seconds:.3e} s; kT at {} K)",
            profile.name,
            per_q(thermal.kt(drawn)),
            thermal.temperature_k
        ));
        budgets.extend(rows_c);
    }
    Ledger {
        budgets,
        entropy,
        advantages,
        notes,
    }
}
