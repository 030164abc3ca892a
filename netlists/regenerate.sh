#!/usr/bin/env bash
# Regenerate the reference netlists in netlists/ from their configs with the thermocad binary.
# The pruned MNIST deck (not committed: a generated artefact of a full MNIST training) is the
# recipe mnist3_decks of scripts/reproduce-docs.sh; it needs the MNIST test set
# (../shared/data/mnist or $THERMOCAD_MNIST) and is written to runs/reproduce/mnist3_decks/.
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
  # exits non-zero when a figure of its recipes differs from the docs: the deck is still written
  THERMOCAD=$PWD/$tc scripts/reproduce-docs.sh --data "$data" --only mnist3_decks ||
    echo "see runs/reproduce/report.md for the figures that differ" >&2
  echo "deck: runs/reproduce/mnist3_decks/mnist3-pruned.cir"
else
  echo "MNIST not found at $data: the MNIST deck (runs/reproduce/mnist3_decks/mnist3-pruned.cir) not generated" >&2
fi
