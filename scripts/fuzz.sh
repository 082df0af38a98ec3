#!/bin/sh
# Fuzz the scenario loader for a bounded time (default 60 s): ./scripts/fuzz.sh [SECONDS]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). libFuzzer needs nightly compiler flags; on a
# stable toolchain RUSTC_BOOTSTRAP=1 unlocks them. The corpus starts from scenarios/*.toml;
# crashes land in fuzz/artifacts/scenario_loader/ with the input that caused them.
set -eu
seconds="${1:-60}"
cd "$(dirname "$0")/.."
corpus=fuzz/corpus/scenario_loader
mkdir -p "$corpus"
cp scenarios/*.toml "$corpus"/
RUSTC_BOOTSTRAP=1 cargo fuzz run scenario_loader "$corpus" -- \
    -max_total_time="$seconds" -max_len=65536 -print_final_stats=1
