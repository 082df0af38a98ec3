#!/bin/sh
# Reruns the comparison of `brink discover` with EMA Workbench's PRIM recorded in
# docs/EVIDENCE.md: 10 000 flagship runs, three discoveries, each checked box by box against
# EMA Workbench by scripts/prim_crosscheck.py. Not run in CI (it needs Python and
# ema_workbench: `pip install ema_workbench`, tested with 2.5.3).
#
# Usage: scripts/prim_crosscheck.sh [WORKDIR]   (default: a new temporary folder)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
python=${PYTHON:-python3}
cd "$root"
cargo build --release --quiet
brink="$root/target/release/brink"
cd "$work"
"$brink" run "$root/scenarios/iran_2026.toml" --runs 10000 --per-run --out runs --force -q
status=0
compare() {
    name=$1 outcome=$2 features=$3
    "$brink" discover runs --outcome "$outcome" --features "$features" --out "$name" --force -q \
        > "$name.txt"
    echo "== $name: $outcome over $features inputs"
    head -1 "$name.txt"
    "$python" "$root/scripts/prim_crosscheck.py" runs "$name" "$outcome" --features "$features" \
        --markdown "$name.md" 2>/dev/null | grep -E '^(runs|largest|verdict)' || status=1
}
compare regional_war_all regional_war all
compare regional_war_params regional_war params
compare strike_on_iran_params strike_on_iran params
echo "side-by-side tables: $work/*.md"
exit $status
