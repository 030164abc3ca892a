#!/usr/bin/env bash
# Peer benchmark of docs/performance.md: thermocad against an independent jit-compiled JAX
# implementation of the same sampler and trainer (scripts/peer/jax_peer.py), on the paper model
# (examples/mnist3.toml), alternating for K rounds:
#   (a) thermocad train of 20 trajectories, then thermocad sample --n 100 --seed 1 of that model;
#   (b) JAX train of 20 trajectories (same batch, optimizer, steps), then the JAX sampler on the
#       params thermocad trained in (a), so that both sample the same model.
# Prints each run's wall time (and the JAX compile and run-excluding-compile times), the best of
# each, and the ratios JAX/thermocad (> 1: thermocad is faster) both for wall times and for the
# JAX times excluding compile; then the cross-check numbers of the last round (loss, heat, |corr|).
#
#   scripts/peer/peer-bench.sh THERMOCAD_BINARY [--data DIR] [--rounds K] [--out DIR]
#
# --data: the MNIST directory (default $THERMOCAD_MNIST, else ../shared/data/mnist beside the
# repository). --rounds: default 3. --out: work directory (default a fresh temporary one); the
# Python environment is created there as venv/ and scripts/peer/requirements.txt installed into
# it with pip, unless $PEER_VENV names an existing or new venv to use instead (pip still checks
# the requirements). No other environment variable is set: XLA_FLAGS and thread counts are left
# at JAX's CPU defaults (both cores); jax_peer.py sets JAX_PLATFORMS=cpu if unset.
set -euo pipefail
die() { echo "peer-bench: $*" >&2; exit 2; }
[ $# -ge 1 ] || die "usage: scripts/peer/peer-bench.sh THERMOCAD_BINARY [--data DIR] [--rounds K] [--out DIR]"
bin=$1; shift
data="" rounds=3 out=""
while [ $# -gt 0 ]; do
  case $1 in
    --data) [ $# -ge 2 ] || die "--data needs a directory"; data=$2; shift 2 ;;
    --rounds) [ $# -ge 2 ] || die "--rounds needs a number"; rounds=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || die "--out needs a directory"; out=$2; shift 2 ;;
    *) die "unknown argument $1" ;;
  esac
done
[ -x "$bin" ] && [ -f "$bin" ] || die "$bin is not an executable"
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ -z "$data" ]; then
  data=${THERMOCAD_MNIST:-$root/../shared/data/mnist}
fi
[ -d "$data" ] || die "no MNIST directory at $data (pass --data DIR)"
data=$(cd "$data" && pwd)
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
work=${out:-$(mktemp -d)}
mkdir -p "$work" || die "cannot create $work"
work=$(cd "$work" && pwd)

venv=${PEER_VENV:-$work/venv}
if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv"
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt"
py=$venv/bin/python
peer=$here/jax_peer.py
config=$root/examples/mnist3.toml

now() { date +%s.%N; }
best() { sort -g | head -1; }
# The number after "WORD " on the line of FILE that starts with WORD.
field() { awk -v w="$1" '$1 == w { print $2; exit }' "$2"; }
: > "$work/times.csv"
echo "round,tool,train_wall,sample_wall,train_run,sample_run,train_compile,sample_compile" > "$work/times.csv"
for r in $(seq 1 "$rounds"); do
  # (a) thermocad
  rm -rf "$work/model-thermocad" "$work/samples-thermocad"
  t0=$(now)
  "$bin" train --config "$config" --data "$data" --set train.trajectories=20 \
    --out "$work/model-thermocad" > "$work/train-thermocad.log" 2>&1
  t1=$(now)
  "$bin" sample --model "$work/model-thermocad" --n 100 --seed 1 \
    --out "$work/samples-thermocad" > "$work/sample-thermocad.log" 2>&1
  t2=$(now)
  tt=$(echo "$t1 - $t0" | bc) ts=$(echo "$t2 - $t1" | bc)
  echo "$r,thermocad,$tt,$ts,$tt,$ts,0,0" >> "$work/times.csv"
  printf 'round %d thermocad train %6.2f s                              sample %6.2f s\n' "$r" "$tt" "$ts"
  # (b) JAX peer: its own training; sampling the model thermocad trained above
  rm -rf "$work/model-jax" "$work/samples-jax"
  t0=$(now)
  "$py" "$peer" train --config "$config" --data "$data" --trajectories 20 \
    --out "$work/model-jax" > "$work/train-jax.log" 2>&1 || { cat "$work/train-jax.log" >&2; exit 1; }
  t1=$(now)
  "$py" "$peer" sample --params "$work/model-thermocad/params.npz" \
    --model-toml "$work/model-thermocad/model.toml" --n 100 --seed 1 \
    --digits "$work/model-jax/digits.npy" --out "$work/samples-jax" > "$work/sample-jax.log" 2>&1 \
    || { cat "$work/sample-jax.log" >&2; exit 1; }
  t2=$(now)
  jt=$(echo "$t1 - $t0" | bc) js=$(echo "$t2 - $t1" | bc)
  jtr=$(field run "$work/train-jax.log") jsr=$(field run "$work/sample-jax.log")
  jtc=$(field compile "$work/train-jax.log") jsc=$(field compile "$work/sample-jax.log")
  echo "$r,jax,$jt,$js,$jtr,$jsr,$jtc,$jsc" >> "$work/times.csv"
  printf 'round %d jax       train %6.2f s (compile %5.2f, run %5.2f)  sample %6.2f s (compile %5.2f, run %5.2f)\n' \
    "$r" "$jt" "$jtc" "$jtr" "$js" "$jsc" "$jsr"
done
pick() { awk -F, -v t="$1" -v c="$2" 'NR > 1 && $2 == t { print $c }' "$work/times.csv" | best; }
ct=$(pick thermocad 3) cs=$(pick thermocad 4)
jt=$(pick jax 3) js=$(pick jax 4) jtr=$(pick jax 5) jsr=$(pick jax 6) jtc=$(pick jax 7) jsc=$(pick jax 8)
ratio() { echo "$1 / $2" | bc -l; }
printf '\nbest of %d, wall time of the whole command (JAX: Python start, import, compile, run, I/O):\n' "$rounds"
printf '  whole: train 20 trajectories  thermocad %6.2f s  jax %6.2f s  ratio jax/thermocad %.2f\n' "$ct" "$jt" "$(ratio "$jt" "$ct")"
printf '  whole: sample --n 100         thermocad %6.2f s  jax %6.2f s  ratio jax/thermocad %.2f\n' "$cs" "$js" "$(ratio "$js" "$cs")"
printf 'best of %d, JAX excluding compile (and import and I/O; thermocad: whole command as above):\n' "$rounds"
printf '  no compile: train 20 trajectories  thermocad %6.2f s  jax %6.2f s  ratio jax/thermocad %.2f  (jax compile best %.2f s)\n' "$ct" "$jtr" "$(ratio "$jtr" "$ct")" "$jtc"
printf '  no compile: sample --n 100         thermocad %6.2f s  jax %6.2f s  ratio jax/thermocad %.2f  (jax compile best %.2f s)\n' "$cs" "$jsr" "$(ratio "$jsr" "$cs")" "$jsc"
printf '\ncross-check, last round (different random numbers: statistical agreement):\n'
printf '  thermocad train: %s\n' "$(grep -o 'loss per unit per step.*;' "$work/train-thermocad.log" | tr -d ';')"
printf '  jax       train: %s\n' "$(grep 'loss per unit per step' "$work/train-jax.log")"
printf '  thermocad sample: %s; %s\n' "$(grep '^heat Q' "$work/sample-thermocad.log")" "$(grep 'largest' "$work/sample-thermocad.log")"
printf '  jax       sample: %s; %s\n' "$(grep '^heat Q' "$work/sample-jax.log")" "$(grep 'largest' "$work/sample-jax.log")"
echo "times in $work/times.csv, logs in $work"
