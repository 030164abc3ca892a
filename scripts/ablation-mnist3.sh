#!/usr/bin/env bash
# Ablation of generation quality on the paper's mnist3 setup (issue 18, docs/generation.md):
# every variant is examples/mnist3.toml with some `--set` overrides, trained, then sampled
# (1,000 samples, seed 1) and judged by one fixed digit classifier (trained once into
# OUT/judge.npz), so the variants differ only in their recipe.
#
#   scripts/ablation-mnist3.sh [--out DIR] [--data DIR] [--n 1000] [--only NAME…]
#
# Writes OUT/<variant>/{model,samples}/ and OUT/ablation.md (one row per variant). A variant
# already trained and sampled is not rerun. Variants: NAME|override;override;… (empty: as shipped;
# "@T": the shipped model sampled for t_f = T).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out=runs/ablation-mnist3
data="$here/../shared/data/mnist"
n=1000
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --n) n="$2"; shift 2 ;;
    --only) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do only+=("$1"); shift; done ;;
    *) echo "ablation-mnist3.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
bin="${THERMOCAD:-$here/target/release/thermocad}"
[ -x "$bin" ] || (cd "$here" && cargo build --release)
variants=(
  "shipped|"
  "tf5|noising.t_final=5.0;noising.t_eq=5.0"
  "fade0.5|noising.fade_fraction=0.5"
  "fade0.95|noising.fade_fraction=0.95"
  "hidden1024|model.hidden=1024"
  "proj-copy|noising.hidden_projection=\"copy\""
  "proj-none|noising.hidden_projection=\"none\""
  "bias5|noising.bias_scale=5.0"
  "hscale3|noising.hidden_scale=3.0"
  "lr3e-3|train.learning_rate=3e-3"
  "traj1500|train.trajectories=1500"
  "visbias|model.trainable_biases=[\"visible\",\"hidden\"]"
  "cosine|noising.schedule=\"cosine\""
  "sample-tf5|@5.0"
  "prototypes|model.init=\"prototypes\";noising.hidden_projection=\"prototypes\""
  "prototypes-balanced|model.init=\"prototypes\";noising.hidden_projection=\"prototypes\";model.prototype_balance_rounds=10"
  "prototypes-t30|model.init=\"prototypes\";noising.hidden_projection=\"prototypes\";train.trajectories=30"
  "prototypes-t90|model.init=\"prototypes\";noising.hidden_projection=\"prototypes\";train.trajectories=90"
  "prototypes-t180|model.init=\"prototypes\";noising.hidden_projection=\"prototypes\";train.trajectories=180"
  "prototypes-sgd|model.init=\"prototypes\";noising.hidden_projection=\"prototypes\";train.optimizer=\"sgd\";train.learning_rate=1e-4"
  "prototypes-gap1000|model.init=\"prototypes\";noising.hidden_projection=\"prototypes\";model.prototype_gap=1000.0"
  "prototypes-gap10000|model.init=\"prototypes\";noising.hidden_projection=\"prototypes\";model.prototype_gap=10000.0"
  "prototypes-random-code|model.init=\"prototypes\""
)
mkdir -p "$out"
table="$out/ablation.md"
printf '| variant | overrides | mean largest corr | recognised | mixtures | confident | Fréchet | Q [kT] | judged 0/1/2 |\n|---|---|---|---|---|---|---|---|---|\n' > "$table.tmp"
for v in "${variants[@]}"; do
  name="${v%%|*}"; sets="${v#*|}"
  if [ ${#only[@]} -gt 0 ] && ! printf '%s\n' "${only[@]}" | grep -qx "$name"; then continue; fi
  dir="$out/$name"
  args=()
  IFS=';' read -ra parts <<< "$sets"
  for p in "${parts[@]}"; do [ -n "$p" ] && args+=(--set "$p"); done
  if [ "${sets#@}" != "$sets" ]; then
    # "@T": the shipped model, untouched, sampled for t_f = T instead of 2.5 (its model.toml
    # copied with noising.t_final = T; the couplings are the shipped run's).
    if [ ! -f "$dir/model/params.npz" ]; then
      [ -f "$out/shipped/model/params.npz" ] || { echo "$name needs the shipped variant"; continue; }
      mkdir -p "$dir"; rm -rf "$dir/model"; cp -r "$out/shipped/model" "$dir/model"
      sed -i -E "s/^t_final = .*/t_final = ${sets#@}/" "$dir/model/model.toml"
    fi
  elif [ ! -f "$dir/model/params.npz" ]; then
    echo "== $name: train ${sets:-as shipped}"
    "$bin" train --config "$here/examples/mnist3.toml" --data "$data" "${args[@]}" --force --out "$dir/model" > "$dir.train.log" 2>&1 || { mkdir -p "$dir"; echo "train failed: $(tail -1 "$dir.train.log")"; continue; }
  fi
  if [ ! -f "$dir/samples.log" ]; then
    echo "== $name: sample $n"
    "$bin" sample --model "$dir/model" --n "$n" --seed 1 --data "$data" --classifier "$out/judge.npz" --force --out "$dir/samples" > "$dir/samples.log.tmp" 2>&1
    mv "$dir/samples.log.tmp" "$dir/samples.log"
  fi
  log="$dir/samples.log"
  pick() { grep -m1 "$1" "$log" | sed -E "s/.*$1[^0-9]*([0-9.e+-]+).*/\1/"; }
  corr=$(pick 'training digit: ')
  rec=$(grep -m1 'recognised as a training class' "$log" | sed -E 's/.*: ([0-9.]+) %.*/\1/')
  mix=$(grep -m1 '^mixtures' "$log" | sed -E 's/.*: ([0-9.]+) %.*/\1/')
  conf=$(grep -m1 'recognised as any digit' "$log" | sed -E 's/.*: ([0-9.]+) %.*/\1/')
  fre=$(grep -m1 'Fréchet' "$log" | sed -E 's/.*classes: ([0-9.]+).*/\1/')
  q=$(grep -m1 'heat Q' "$log" | sed -E 's/heat Q: mean ([0-9.e+-]+) kT.*/\1/')
  cls=$(grep -m1 'judged classes' "$log" | sed -E 's/judged classes: 0: ([0-9.]+) %, 1: ([0-9.]+) %, 2: ([0-9.]+) %.*/\1 \/ \2 \/ \3/')
  printf '| %s | `%s` | %s | %s %% | %s %% | %s %% | %s | %s | %s %% |\n' "$name" "${sets:-as shipped}" "$corr" "$rec" "$mix" "$conf" "$fre" "$q" "$cls" >> "$table.tmp"
done
mv "$table.tmp" "$table"
cat "$table"
