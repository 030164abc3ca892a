#!/usr/bin/env bash
# Regenerate every figure quoted in docs/ and check it against the number in the text.
#
#   scripts/reproduce-docs.sh [--out DIR] [--data DIR] [--only RECIPE…] [--list] [--check-only]
#
# Recipes are the bash functions `recipe_NAME` below: each one is the set of thermocad runs one
# or more docs rely on, from committed files only (examples/, hardware/, docs/repro/). Every
# step writes into DIR/RECIPE/STEP and is marked done (DIR/RECIPE/STEP.done, with its wall
# time in STEP.time and its stdout/stderr in STEP.log) only when it finished, so an interrupted
# run resumes at the first unfinished step; a recipe is marked done (DIR/RECIPE/.done) when all
# its steps are. Then every figure of docs/figures.toml is extracted from the outputs
# (scripts/figures.awk) and DIR/report.md lists doc value, regenerated value, tolerance and
# PASS / FAIL / NOT RUN; the exit code is 1 when any checked figure fails.
#
# THERMOCAD=/path/to/binary selects the binary (default: cargo build --release, then
# target/release/thermocad). MNIST: --data DIR, else $THERMOCAD_MNIST, else ../shared/data/mnist.
# docs/reproduce.md describes the recipes, their wall times and how tolerances were chosen.

# Everything is inside functions and `main` runs from the last line, so editing this file while
# a run is in progress does not change the run.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MANIFEST=$ROOT/docs/figures.toml

# Recipes in the order they run (dependencies first).
RECIPES=(mnist3 mnist3_decks mnist3_energy paper_small_energy mnist3_variants classifier
  mnist3_ledger classifier_energy classifier_tolerance classifier_deck codesign_fanin demo demo_energy bench
  mnist3_tolerance codesign_mnist3 codesign_classifier codesign_cost codesign_resistive generation prototypes mnist10 mnist10_prototypes mnist10_trained speed)

usage() {
  sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'
  echo "recipes: ${RECIPES[*]}"
}

log() { printf '[%s +%ss] %s\n' "$(date +%H:%M:%S)" "$((SECONDS - START))" "$*"; }

# ---------------------------------------------------------------------------------------------
# Step machinery

# step NAME CMD…: run CMD once inside the current recipe; skipped when NAME.done exists. A step
# that did not finish is restarted from scratch (its output NAME is removed first), except a
# `tolerance` study, which resumes itself from its own tolerance.csv.
step() {
  local name=$1
  shift
  local dir=$RDIR/$name
  if [ -e "$dir.done" ]; then
    log "  $RECIPE/$name: done already"
    return 0
  fi
  case " $* " in
    *" tolerance "*) ;;
    *) rm -rf "$dir" ;;
  esac
  log "  $RECIPE/$name: $*"
  local t0=$SECONDS
  if ! "$@" >"$dir.log" 2>&1; then
    log "  $RECIPE/$name FAILED after $((SECONDS - t0)) s; last lines of $dir.log:"
    tail -n 5 "$dir.log" | sed 's/^/      /'
    return 1
  fi
  echo "$((SECONDS - t0))" >"$dir.time"
  touch "$dir.done"
  log "  $RECIPE/$name finished in $((SECONDS - t0)) s"
}

tc() { "$TC" "$@"; }

# need RECIPE: the output directory of RECIPE, running it first if it is not done.
need() {
  if [ ! -e "$OUT/$1/.done" ]; then
    (run_recipe "$1") || return 1
  fi
}

run_recipe() {
  RECIPE=$1
  RDIR=$OUT/$RECIPE
  if [ -e "$RDIR/.done" ]; then
    log "recipe $RECIPE: done already"
    return 0
  fi
  mkdir -p "$RDIR"
  log "recipe $RECIPE: started"
  local t0=$SECONDS
  "recipe_$RECIPE" || return 1
  echo "$((SECONDS - t0))" >"$RDIR/.time"
  touch "$RDIR/.done"
  log "recipe $RECIPE: finished in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------------------------------------
# Recipes. $OUT/NAME/STEP is where step STEP of recipe NAME writes.

# docs/reproduction.md (main results), docs/energy.md (heat), README: the paper's setup.
recipe_mnist3() {
  step model tc train --config examples/mnist3.toml --data "$DATA" --out "$RDIR/model" &&
    step samples1000 tc sample --model "$RDIR/model" --n 1000 --seed 1 --data "$DATA" --out "$RDIR/samples1000" &&
    step samples100 tc sample --model "$RDIR/model" --n 100 --seed 1 --data "$DATA" --out "$RDIR/samples100"
}

# docs/circuit-mapping.md §8 (export of the paper's model) and mnist3-pruned.cir,
# the generated deck that netlists/README.md describes (it is no longer committed).
recipe_mnist3_decks() {
  need mnist3 || return 1
  local m=$OUT/mnist3/model
  step full8 tc export --force --model "$m" --hardware hardware/ideal.toml --bits 8 --out "$RDIR/mnist3.cir" &&
    step pruned8 tc export --force --model "$m" --hardware hardware/ideal.toml --bits 8 --prune 0.1 \
    --no-noise --t 0.1 --out "$RDIR/pruned.cir" --run &&
    step netlist tc export --force --model "$m" --hardware hardware/ideal.toml --bits 6 --prune 0.07 --t 0.1 \
      --trnoise --out "$RDIR/mnist3-pruned.cir" || return 1
  # the 38.9 MB deck is only measured (size, line count), not kept
  if [ -e "$RDIR/mnist3.cir" ]; then
    wc -c <"$RDIR/mnist3.cir" >"$RDIR/full8.bytes" && rm -f "$RDIR/mnist3.cir"
  fi
  wc -l <"$RDIR/mnist3-pruned.cir" >"$RDIR/netlist.lines"
}

# docs/energy.md: budgets of the trained paper-size model on gm-C, and with fp32 arithmetic.
recipe_mnist3_energy() {
  need mnist3 || return 1
  local m=$OUT/mnist3/model
  step gmc tc energy --model "$m" --hardware hardware/gm-c.toml --samples 1000 --data "$DATA" \
    --out "$RDIR/gmc" &&
    step fp32 tc energy --model "$m" --samples 100 --forward 0 --precision fp32 --data "$DATA" \
    --out "$RDIR/fp32" &&
    step refusal_rc tc_expect_fail energy --model "$m" --hardware hardware/discrete-rc.toml \
    --samples 10 --forward 0 --data "$DATA" --out "$RDIR/refusal_rc"
}

# A command that must be refused (the log keeps its one-line message).
tc_expect_fail() {
  if tc "$@"; then
    echo "expected a refusal, but the command succeeded"
    return 1
  fi
  return 0
}

# docs/energy.md: an untrained 784 + 512 model on discrete RC (resistive couplings fit).
recipe_paper_small_energy() {
  step model tc init --config examples/mnist3.toml --set model.visible=784 --set model.init_scale=1e-3 \
    --out "$RDIR/model" &&
    step rc tc energy --model "$RDIR/model" --hardware hardware/discrete-rc.toml --samples 100 --forward 0 \
    --out "$RDIR/rc"
}

# docs/reproduction.md "What the unstated settings do": the --set variants of examples/mnist3.toml,
# exactly as the table lists them (100 samples, seed 1 each).
variant() {
  local name=$1
  shift
  local sets=()
  for s in "$@"; do sets+=(--set "$s"); done
  step "$name" tc train --config examples/mnist3.toml --data "$DATA" --out "$RDIR/$name" \
    --set noising.bias_scale=2 "${sets[@]}" || return 1
  step "$name-samples" tc sample --model "$RDIR/$name" --n 100 --seed 1 --data "$DATA" \
    --out "$RDIR/$name-samples"
}
recipe_mnist3_variants() {
  variant s2 &&
    variant demo noising.hidden_projection=copy train.optimizer=sgd train.learning_rate=4e-4 train.batch=1 &&
    variant copy noising.hidden_projection=copy &&
    variant copy900 noising.hidden_projection=copy train.trajectories=900 &&
    variant copy600 noising.hidden_projection=copy train.learning_rate=3e-3 train.trajectories=600 &&
    variant visbias 'model.trainable_biases=["visible","hidden"]' &&
    variant visbias900 'model.trainable_biases=["visible","hidden"]' train.trajectories=900 &&
    variant copyvisbias noising.hidden_projection=copy 'model.trainable_biases=["visible","hidden"]'
}

# docs/classifier.md: teacher–student training and classification of the held-out digits.
recipe_classifier() {
  step model tc teach --config examples/mnist-classifier.toml --data "$DATA" --out "$RDIR/model" &&
    step classify tc classify --model "$RDIR/model" --data "$DATA" --out "$RDIR/classify" &&
    step classify10 tc classify --model "$RDIR/model" --data "$DATA" --trajectories 10 --out "$RDIR/classify10"
}

# docs/classifier.md "Degradation on hardware": the gm-C studies (20 chips, all 2,000 digits).
# The doc gives the commands of bits-profile, mismatch and input_bits; the swept values of the
# other rows are the ones its table quotes, run like the mismatch study (--isolate).
recipe_classifier_tolerance() {
  need classifier || return 1
  local m=$OUT/classifier/model
  local t=(tc tolerance --model "$m" --hardware hardware/gm-c.toml --chips 20 --data "$DATA")
  step bits-profile "${t[@]}" --sweep bits=2..8 --out "$RDIR/bits-profile" &&
    step bits-isolated "${t[@]}" --isolate --sweep bits=2..8 --out "$RDIR/bits-isolated" &&
    step input_bits "${t[@]}" --sweep input_bits=2..8 --out "$RDIR/input_bits" &&
    step mismatch "${t[@]}" --isolate --sweep mismatch=0,0.02,0.05,0.1,0.2,0.3,0.5 --out "$RDIR/mismatch" &&
    step faults "${t[@]}" --isolate --sweep faults=0.001,0.003,0.01,0.03 --out "$RDIR/faults" &&
    step tolerance "${t[@]}" --isolate --sweep tolerance=0.2,0.4,0.8 --out "$RDIR/tolerance" &&
    step capacitor "${t[@]}" --isolate --sweep capacitor_tolerance=0.2,0.4,0.8 --out "$RDIR/capacitor" &&
    step gm "${t[@]}" --isolate --sweep gm_tolerance=0.1,0.2,0.4 --out "$RDIR/gm" &&
    step noise "${t[@]}" --isolate --sweep noise=0.5,1,2,3 --out "$RDIR/noise" &&
    step temperature "${t[@]}" --isolate --sweep temperature=-40,27,85,125 --out "$RDIR/temperature"
}

# docs/classifier.md "The deck itself": ngspice classifies held-out images 8000…8009; and the
# refusal of resistive couplings (discrete RC) for the trained classifier.
recipe_classifier_deck() {
  need classifier || return 1
  step refusal_rc tc_expect_fail export --model "$OUT/classifier/model" --hardware hardware/discrete-rc.toml \
    --out "$RDIR/refusal_rc.cir" || return 1
  local n
  for n in 8000 8001 8002 8003 8004 8005 8006 8007 8008 8009; do
    step "image$n" tc export --force --model "$OUT/classifier/model" --hardware hardware/gm-c.toml \
      --image "$n" --data "$DATA" --run --out "$RDIR/image$n.cir" || return 1
    rm -f "$RDIR/image$n.cir" "$RDIR/image$n.cir.data"*
  done
}

# docs/codesign.md "Measured: fan-in 64 on the demo config".
recipe_codesign_fanin() {
  step free tc train --config docs/repro/demo.toml --out "$RDIR/free" &&
    step fan64 tc train --config docs/repro/demo.toml --out "$RDIR/fan64" --hardware docs/repro/gm-c-fan64.toml &&
    step free-s tc sample --model "$RDIR/free" --n 100 --seed 1 --out "$RDIR/free-s" &&
    step fan64-s tc sample --model "$RDIR/fan64" --n 100 --seed 1 --out "$RDIR/fan64-s"
}

# README (the demo's wall time) and docs/energy.md (the trained demo model on discrete RC).
recipe_demo() {
  step demo tc demo --out "$RDIR/demo" &&
    step refusal_rc tc_expect_fail energy --model "$RDIR/demo/model" --hardware hardware/discrete-rc.toml \
      --samples 10 --forward 0 --out "$RDIR/refusal_rc"
}

# docs/energy.md "Results: the paper-size model": the whole-cycle ledger of mnist3 on gm-C and of
# mnist3 trained for discrete RC, 1000 samples each, at fp32 and int8.
recipe_mnist3_ledger() {
  need mnist3 || return 1
  local m=$OUT/mnist3/model p
  step model_rc tc train --config examples/mnist3.toml --hardware hardware/discrete-rc.toml \
    --data "$DATA" --out "$RDIR/model_rc" || return 1
  for p in fp32 int8; do
    step "gmc_$p" tc energy --model "$m" --hardware hardware/gm-c.toml --samples 1000 --forward 0 \
      --precision $p --data "$DATA" --out "$RDIR/gmc_$p" &&
      step "rc_$p" tc energy --model "$RDIR/model_rc" --hardware hardware/discrete-rc.toml \
        --samples 1000 --forward 0 --precision $p --data "$DATA" --out "$RDIR/rc_$p" || return 1
  done
}

# docs/energy.md "Results: the MNIST classifier": its whole-cycle ledger on gm-C per inference
# over the 2,000 held-out digits, at fp32 and int8 (the same inferences as classify's).
recipe_classifier_energy() {
  need classifier || return 1
  local m=$OUT/classifier/model p
  for p in fp32 int8; do
    step "gmc_$p" tc energy --model "$m" --hardware hardware/gm-c.toml --samples 2000 \
      --precision $p --data "$DATA" --out "$RDIR/gmc_$p" || return 1
  done
}

# docs/energy.md "Results: the demo models": the whole-cycle ledger of the demo's generative
# model and classifier on gm-C and of the demo model trained for discrete RC, at fp32 and int8.
recipe_demo_energy() {
  need demo || return 1
  local d=$OUT/demo/demo p
  step model_rc tc train --config docs/repro/demo.toml --hardware hardware/discrete-rc.toml \
    --out "$RDIR/model_rc" || return 1
  for p in fp32 int8; do
    step "gen_gmc_$p" tc energy --model "$d/model" --hardware hardware/gm-c.toml --samples 300 \
      --forward 0 --precision $p --out "$RDIR/gen_gmc_$p" &&
      step "cls_gmc_$p" tc energy --model "$d/classifier" --data "$d/classifier-data" \
        --hardware hardware/gm-c.toml --samples 200 --precision $p --out "$RDIR/cls_gmc_$p" &&
      step "gen_rc_$p" tc energy --model "$RDIR/model_rc" --hardware hardware/discrete-rc.toml \
        --samples 300 --forward 0 --precision $p --out "$RDIR/gen_rc_$p" || return 1
  done
}

# docs/performance.md, docs/tolerance.md "Throughput": wall-clock ratios (machine-dependent).
recipe_bench() {
  step bench tc bench --spice --data "$DATA"
}

# docs/tolerance.md "Design answers for the paper's model": the generative studies on gm-C
# (≈ 40 min on the shared 2-core machine). The doc's "…" stands for the flags of the resistor study.
recipe_mnist3_tolerance() {
  need mnist3 || return 1
  local m=$OUT/mnist3/model
  local t=(tc tolerance --model "$m" --hardware hardware/gm-c.toml --isolate --data "$DATA")
  local c=(--chips 8 --samples 60 --classifier "$RDIR/bits/classifier.npz")
  step bits "${t[@]}" --sweep bits=2..8 --chips 1 --samples 100 --out "$RDIR/bits" &&
    step resistor "${t[@]}" "${c[@]}" --sweep tolerance=0.02,0.05,0.1,0.2,0.4 --out "$RDIR/resistor" &&
    step resistor-wide "${t[@]}" "${c[@]}" --sweep tolerance=0.6,0.8,0.95 --out "$RDIR/resistor-wide" &&
    step mismatch "${t[@]}" "${c[@]}" --sweep mismatch=0.02,0.05,0.1,0.2,0.4 --out "$RDIR/mismatch"
}

# docs/codesign.md "Measured on mnist3" (issue 12): hardware-aware mnist3 models against the
# unaware one. The unaware training is repeated here (`free`) so that every training time of the
# cost comparison comes from the same run; its outputs are bit-identical to mnist3/model.
recipe_codesign_mnist3() {
  need mnist3_tolerance || return 1
  local gm=hardware/gm-c.toml cls=$OUT/mnist3_tolerance/bits/classifier.npz
  local tr=(tc train --config examples/mnist3.toml --data "$DATA")
  local t=(tc tolerance --hardware "$gm" --isolate --data "$DATA")
  local e=(tc energy --hardware "$gm" --samples 100 --forward 0 --data "$DATA")
  step free "${tr[@]}" --out "$RDIR/free" &&
    step bits3 "${tr[@]}" --hardware "$gm" --bits 3 --out "$RDIR/bits3" &&
    step fan64 "${tr[@]}" --hardware docs/repro/gm-c-fan64.toml --out "$RDIR/fan64" &&
    step mm40 "${tr[@]}" --hardware docs/repro/gm-c-mismatch40.toml --perturb --out "$RDIR/mm40" &&
    step bits3-s tc sample --model "$RDIR/bits3" --n 100 --seed 1 --data "$DATA" --out "$RDIR/bits3-s" &&
    step fan64-s tc sample --model "$RDIR/fan64" --n 100 --seed 1 --data "$DATA" --out "$RDIR/fan64-s" &&
    step mm40-s tc sample --model "$RDIR/mm40" --n 100 --seed 1 --data "$DATA" --out "$RDIR/mm40-s" &&
    step bits3-tol "${t[@]}" --model "$RDIR/bits3" --sweep bits=2..8 --chips 1 --samples 100 \
      --classifier "$cls" --out "$RDIR/bits3-tol" &&
    step mm40-tol "${t[@]}" --model "$RDIR/mm40" --sweep mismatch=0.2,0.4 --chips 8 --samples 60 \
      --classifier "$cls" --out "$RDIR/mm40-tol" &&
    step mm40-tol20 "${t[@]}" --model "$RDIR/mm40" --sweep mismatch=0.4 --chips 20 --samples 60 \
      --classifier "$cls" --out "$RDIR/mm40-tol20" &&
    step free-energy "${e[@]}" --model "$RDIR/free" --out "$RDIR/free-energy" &&
    step fan64-energy "${e[@]}" --model "$RDIR/fan64" --out "$RDIR/fan64-energy" &&
    step fan64-1800 "${tr[@]}" --hardware docs/repro/gm-c-fan64.toml --set train.trajectories=1800 \
      --out "$RDIR/fan64-1800" &&
    step fan64-1800-s tc sample --model "$RDIR/fan64-1800" --n 100 --seed 1 --data "$DATA" \
      --out "$RDIR/fan64-1800-s" &&
    step fan64-1800-energy "${e[@]}" --model "$RDIR/fan64-1800" --out "$RDIR/fan64-1800-energy" || return 1
  local c
  for c in 3 1.5; do
    step "load$c" "${tr[@]}" --hardware "docs/repro/gm-c-fan64-load$c.toml" --out "$RDIR/load$c" &&
      step "load$c-s" tc sample --model "$RDIR/load$c" --n 100 --seed 1 --data "$DATA" \
        --out "$RDIR/load$c-s" &&
      step "load$c-energy" "${e[@]}" --model "$RDIR/load$c" --out "$RDIR/load$c-energy" || return 1
  done
}

# docs/codesign.md "Measured: the 3-bit classifier" (issue 12): teach for 3-bit gm-C chips, and
# the same bits study as classifier_tolerance/bits-profile.
recipe_codesign_classifier() {
  step bits3 tc teach --config examples/mnist-classifier.toml --data "$DATA" \
    --hardware hardware/gm-c.toml --bits 3 --out "$RDIR/bits3" &&
    step bits3-tol tc tolerance --model "$RDIR/bits3" --hardware hardware/gm-c.toml --chips 20 \
      --data "$DATA" --sweep bits=2..8 --out "$RDIR/bits3-tol"
}

# docs/codesign.md "Cost" (issue 12): hardware-aware against unaware training of the same model,
# each trained twice in alternating order (rounds a and b); mnist3 with 150 of its 300
# trajectories, the classifier in full. Each step runs under /usr/bin/time, whose last line in
# STEP.log is "cpu USER SYS": the CPU seconds are the cost measure (the wall time in STEP.time
# depends on what else runs on the shared machine).
recipe_codesign_cost() {
  local tr=(timed train --config examples/mnist3.toml --data "$DATA" --set train.trajectories=150)
  local te=(timed teach --config examples/mnist-classifier.toml --data "$DATA")
  local r
  for r in a b; do
    step "free-$r" "${tr[@]}" --out "$RDIR/free-$r" &&
      step "bits3-$r" "${tr[@]}" --hardware hardware/gm-c.toml --bits 3 --out "$RDIR/bits3-$r" &&
      step "fan64-$r" "${tr[@]}" --hardware docs/repro/gm-c-fan64.toml --out "$RDIR/fan64-$r" &&
      step "mm40-$r" "${tr[@]}" --hardware docs/repro/gm-c-mismatch40.toml --perturb \
        --out "$RDIR/mm40-$r" &&
      step "teach-$r" "${te[@]}" --out "$RDIR/teach-$r" &&
      step "teach-bits3-$r" "${te[@]}" --hardware hardware/gm-c.toml --bits 3 \
        --out "$RDIR/teach-bits3-$r" || return 1
  done
}

# docs/codesign.md "Measured: the resistive chip" (issue 12): mnist3 trained for the discrete
# RC board with NICs at compensation bounds 2, 4 and 8 (8 = the shipped profile), samples on the
# ideal computer and (c = 8) on the nominal chip, and the 20-chip study at the profile's own
# tolerances (≈ 1 h on 2 cores).
# docs/generation.md "Recipes tried": the eleven variants of the mnist3 ablation, 1,000 samples
# each, one judge (≈ 14 min on a quiet 2-core machine).
recipe_generation() {
  step ablation env THERMOCAD="$TC" "$ROOT/scripts/ablation-mnist3.sh" --out "$RDIR/ablation" \
    --data "$DATA" --only shipped tf5 sample-tf5 fade0.5 fade0.95 hidden1024 proj-copy bias5 \
    hscale3 visbias cosine
}

# docs/generation.md "The prototype potential": the ablation's prototype variants of mnist3
# (prototypes-balanced is examples/mnist3-prototypes.toml), 1,000 samples each, one judge
# (≈ 11 min).
recipe_prototypes() {
  step ablation env THERMOCAD="$TC" "$ROOT/scripts/ablation-mnist3.sh" --out "$RDIR/ablation" \
    --data "$DATA" --only prototypes prototypes-balanced prototypes-t30 prototypes-t90 \
    prototypes-t180 prototypes-sgd prototypes-gap1000 prototypes-gap10000 prototypes-random-code
}

# docs/generation.md "Ten digits", the prototype potential: examples/mnist10-prototypes.toml
# built and balanced (≈ 3 min), 1,000 samples against the ten-class reference; then the same
# potential trained by the likelihood before balancing (Adam at 1e-3, 1e-4 and 1e-5 for 700
# trajectories, ≈ 4 min each).
recipe_mnist10_prototypes() {
  need mnist10 || return 1
  local cfg=examples/mnist10-prototypes.toml
  local judge=(--n 1000 --seed 1 --data "$DATA" --reference-digits 0-9
    --classifier "$OUT/mnist10/samples1000/classifier.npz")
  local trained=(--set train.trajectories=700 --set train.checkpoint_every=700)
  step model timed train --config $cfg --data "$DATA" --out "$RDIR/model" &&
    step samples1000 tc sample --model "$RDIR/model" "${judge[@]}" --out "$RDIR/samples1000" || return 1
  local lr
  for lr in 1e-3 1e-4 1e-5; do
    step "adam$lr" tc train --config $cfg --data "$DATA" "${trained[@]}" \
      --set train.learning_rate=$lr --out "$RDIR/adam$lr" &&
      step "adam$lr-samples" tc sample --model "$RDIR/adam$lr" "${judge[@]}" \
        --out "$RDIR/adam$lr-samples" || return 1
  done
}

# docs/generation.md "Trained by the likelihood": examples/mnist10-prototypes-trained.toml
# (balanced as built ≈ 3 min, 700 trajectories ≈ 5 min, balanced again ≈ 2 min), 1,000 samples
# against the ten-class reference; then the same at Adam 1e-4, and with 1,024 hidden units.
recipe_mnist10_trained() {
  need mnist10 || return 1
  local cfg=examples/mnist10-prototypes-trained.toml
  local judge=(--n 1000 --seed 1 --data "$DATA" --reference-digits 0-9
    --classifier "$OUT/mnist10/samples1000/classifier.npz")
  step model timed train --config $cfg --data "$DATA" --out "$RDIR/model" &&
    step samples1000 tc sample --model "$RDIR/model" "${judge[@]}" --out "$RDIR/samples1000" &&
    step adam1e-4 tc train --config $cfg --data "$DATA" --set train.learning_rate=1e-4 \
      --out "$RDIR/adam1e-4" &&
    step adam1e-4-samples tc sample --model "$RDIR/adam1e-4" "${judge[@]}" \
      --out "$RDIR/adam1e-4-samples" &&
    step hidden1024 timed train --config $cfg --data "$DATA" --set model.hidden=1024 \
      --out "$RDIR/hidden1024" &&
    step hidden1024-samples tc sample --model "$RDIR/hidden1024" "${judge[@]}" \
      --out "$RDIR/hidden1024-samples"
}

# docs/generation.md "Ten digits": examples/mnist10.toml trained (≈ 8 min on 2 quiet cores),
# 1,000 samples judged against the judge's held-out digits of all ten classes, and the shipped
# mnist3 model's samples against the same reference.
recipe_mnist10() {
  need mnist3 || return 1
  local ref=(--data "$DATA" --reference-digits 0-9)
  step model timed train --config examples/mnist10.toml --data "$DATA" --out "$RDIR/model" &&
    step samples1000 tc sample --model "$RDIR/model" --n 1000 --seed 1 "${ref[@]}" --out "$RDIR/samples1000" &&
    step mnist3-ten tc sample --model "$OUT/mnist3/model" --n 1000 --seed 1 "${ref[@]}" \
      --classifier "$RDIR/samples1000/classifier.npz" --out "$RDIR/mnist3-ten"
}

# docs/performance.md "Before and after" and "Against a JAX peer": the main before issue 13's
# speed work (9569b68) built from the git history, then scripts/bench-e2e.sh (7 rounds) and
# scripts/peer/peer-bench.sh (5 rounds; installs JAX from PyPI into a venv). ≈ 12 min; timings,
# so run it with nothing else on the machine.
recipe_speed() {
  local old=$RDIR/old-src
  step old-build build_old_main "$old" &&
    step e2e "$ROOT/scripts/bench-e2e.sh" "$old/target/release/thermocad" "$TC" --data "$DATA" \
      --rounds 7 --out "$RDIR/e2e" &&
    step peer "$ROOT/scripts/peer/peer-bench.sh" "$TC" --data "$DATA" --rounds 5 --out "$RDIR/peer"
}

# build_old_main DIR: the sources of 9569b68 (the main before the speed work) into DIR, built.
build_old_main() {
  rm -rf "$1" && mkdir -p "$1" && git -C "$ROOT" archive 9569b68 | tar -x -C "$1" &&
    cargo build --release --manifest-path "$1/Cargo.toml"
}

recipe_codesign_resistive() {
  local tr=(tc train --config examples/mnist3.toml --data "$DATA")
  local c
  for c in 2 4 8; do
    step "c$c" "${tr[@]}" --hardware "docs/repro/discrete-rc-c$c.toml" --out "$RDIR/c$c" &&
      step "c$c-s" tc sample --model "$RDIR/c$c" --n 100 --seed 1 --data "$DATA" --out "$RDIR/c$c-s" ||
      return 1
  done
  step c8-chip tc sample --model "$RDIR/c8" --hardware docs/repro/discrete-rc-c8.toml --n 100 \
    --seed 1 --data "$DATA" --out "$RDIR/c8-chip" &&
    step c8-tol tc tolerance --model "$RDIR/c8" --hardware docs/repro/discrete-rc-c8.toml --chips 20 \
      --samples 60 --data "$DATA" --sweep tolerance=0.01 --out "$RDIR/c8-tol"
}

# timed ARGS…: run thermocad ARGS and append its CPU time ("cpu USER SYS", seconds) to stderr.
timed() { /usr/bin/time -f "cpu %U %S" "$TC" "$@"; }

# ---------------------------------------------------------------------------------------------
# Checking

check_figures() {
  local report=$OUT/report.md
  timeout 300 awk -v out="$OUT" -f "$ROOT/scripts/figures.awk" "$MANIFEST" >"$report.tmp" || return 2
  mv "$report.tmp" "$report"
  log "wrote $report"
  grep -E '^(checked|PASS|FAIL|NOT RUN|unchecked)' "$report" | sed 's/^/  /' || true
  ! grep -q '^| .* | FAIL |$' "$report"
}

# ---------------------------------------------------------------------------------------------

main() {
  OUT=runs/reproduce
  DATA=${THERMOCAD_MNIST:-../shared/data/mnist}
  local only=() list=0 check_only=0
  while [ $# -gt 0 ]; do
    case $1 in
      --out) OUT=${2:?--out needs a directory}; shift 2 ;;
      --data) DATA=${2:?--data needs a directory}; shift 2 ;;
      --only)
        shift
        while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do only+=("$1"); shift; done
        [ ${#only[@]} -gt 0 ] || { echo "reproduce-docs: --only needs recipe names" >&2; exit 2; } ;;
      --list) list=1; shift ;;
      --check-only) check_only=1; shift ;;
      -h | --help) usage; exit 0 ;;
      *) echo "reproduce-docs: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
  done
  cd "$ROOT" || exit 2
  if [ $list = 1 ]; then
    local r
    for r in "${RECIPES[@]}"; do
      printf '%-22s %s\n' "$r" "$([ -e "$OUT/$r/.done" ] && echo done || echo "not run")"
    done
    exit 0
  fi
  local r known
  for r in "${only[@]}"; do
    known=0
    for k in "${RECIPES[@]}"; do [ "$k" = "$r" ] && known=1; done
    [ $known = 1 ] || { echo "reproduce-docs: --only: unknown recipe '$r' (--list shows them)" >&2; exit 2; }
  done
  [ ${#only[@]} -gt 0 ] || only=("${RECIPES[@]}")
  mkdir -p "$OUT" || exit 2
  OUT=$(cd "$OUT" && pwd)
  START=$SECONDS
  local failed=()
  if [ $check_only = 0 ]; then
    if [ -z "${THERMOCAD:-}" ]; then
      log "building target/release/thermocad"
      cargo build --release -q || exit 1
      THERMOCAD=$ROOT/target/release/thermocad
    fi
    TC=$THERMOCAD
    [ -x "$TC" ] || { echo "reproduce-docs: THERMOCAD=$TC is not an executable" >&2; exit 2; }
    [ -d "$DATA" ] || log "MNIST not found at $DATA: recipes that need it will fail (--data DIR)"
    log "binary $TC, data $DATA, output $OUT"
    local i=0
    for r in "${only[@]}"; do
      i=$((i + 1))
      log "[$i/${#only[@]}] $r"
      (run_recipe "$r") || failed+=("$r")
    done
    log "runs finished in $((SECONDS - START)) s${failed:+; failed: ${failed[*]}}"
  fi
  check_figures
  local status=$?
  [ ${#failed[@]} -eq 0 ] || status=1
  exit $status
}

main "$@"; exit $?
