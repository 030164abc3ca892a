#!/usr/bin/env bash
# End-to-end speed of two thermocad binaries in the same run (docs/performance.md):
# `train` of 20 trajectories and `sample --n 100` of the paper model (examples/mnist3.toml),
# the two binaries alternating for K rounds; prints each run's wall time, the best of each,
# and the ratios OLD/NEW (> 1: NEW is faster).
#
#   scripts/bench-e2e.sh OLD_BINARY NEW_BINARY [--data DIR] [--rounds K] [--out DIR]
#
# With --data (an MNIST directory) the model trains on the paper's three digits, else on the
# embedded synthetic digits of the same size (the cost is the same). OLD is typically a
# build of the previous main: git worktree add /tmp/old <commit> && cargo build --release
# --manifest-path /tmp/old/Cargo.toml.
set -euo pipefail
die() { echo "bench-e2e: $*" >&2; exit 2; }
[ $# -ge 2 ] || die "usage: scripts/bench-e2e.sh OLD_BINARY NEW_BINARY [--data DIR] [--rounds K] [--out DIR]"
old=$1 new=$2; shift 2
data="" rounds=5 out=""
while [ $# -gt 0 ]; do
  case $1 in
    --data) data=${2:?--data needs a directory}; shift 2 ;;
    --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    *) die "unknown argument $1" ;;
  esac
done
for b in "$old" "$new"; do [ -x "$b" ] || die "$b is not an executable"; done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer"
root=$(cd "$(dirname "$0")/.." && pwd)
work=${out:-$(mktemp -d)}
mkdir -p "$work"
set_data=(--set 'data.source="synthetic"')
[ -n "$data" ] && set_data=(--data "$data")
now() { date +%s.%N; }
best() { sort -g | head -1; }
: > "$work/times.csv"
for r in $(seq 1 "$rounds"); do
  for tag in old new; do
    bin=$old; [ $tag = new ] && bin=$new
    rm -rf "$work/model-$tag" "$work/samples-$tag"
    t0=$(now)
    "$bin" train --config "$root/examples/mnist3.toml" "${set_data[@]}" \
      --set train.trajectories=20 --out "$work/model-$tag" > /dev/null 2>&1
    t1=$(now)
    "$bin" sample --model "$work/model-$tag" --n 100 --seed 1 --out "$work/samples-$tag" > /dev/null 2>&1
    t2=$(now)
    train=$(echo "$t1 - $t0" | bc) sample=$(echo "$t2 - $t1" | bc)
    echo "$r,$tag,$train,$sample" >> "$work/times.csv"
    printf 'round %d %-3s train %6.2f s  sample %6.2f s\n' "$r" $tag "$train" "$sample"
  done
done
pick() { awk -F, -v t="$1" -v c="$2" '$2 == t { print $c }' "$work/times.csv" | best; }
ot=$(pick old 3) nt=$(pick new 3) os=$(pick old 4) ns=$(pick new 4)
printf '\nbest of %d: train 20 trajectories  old %.2f s  new %.2f s  ratio %.2f\n' "$rounds" "$ot" "$nt" "$(echo "$ot / $nt" | bc -l)"
printf 'best of %d: sample --n 100         old %.2f s  new %.2f s  ratio %.2f\n' "$rounds" "$os" "$ns" "$(echo "$os / $ns" | bc -l)"
