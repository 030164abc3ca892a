#!/usr/bin/env bash
# Regenerate the reference netlists in netlists/ from their configs with the thermocad binary.
# The pruned MNIST deck needs the MNIST test set (../shared/data/mnist or $THERMOCAD_MNIST).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
tc=target/release/thermocad
work=target/netlists
mkdir -p "$work"
for name in two-unit sixteen-unit; do
  rm -rf "$work/$name"
  $tc init --config "netlists/$name.toml" --out "$work/$name"
  $tc export --model "$work/$name" --hardware hardware/ideal.toml --t 1.0 --out "netlists/$name.cir"
done
data=${THERMOCAD_MNIST:-../shared/data/mnist}
if [ -d "$data" ]; then
  rm -rf "$work/mnist3"
  $tc train --config examples/mnist3.toml --data "$data" --out "$work/mnist3"
  $tc export --model "$work/mnist3" --hardware hardware/ideal.toml --bits 6 --prune 0.07 --t 0.1 \
    --out netlists/mnist3-pruned.cir
else
  echo "MNIST not found at $data: netlists/mnist3-pruned.cir not regenerated" >&2
fi
