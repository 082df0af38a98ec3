#!/usr/bin/env python3
"""The Python package against the command line, side by side: N alternating pairs of
`brink run SCENARIO --runs R` (a process, writing its CSV files) and `brink.run(SCENARIO,
runs=R)` (a call in a warm interpreter, returning DataFrames), plus the same call in a fresh
interpreter (`python -c "import brink; brink.run(...)"`: start-up and imports included).
Prints each figure's median and range, and the median of the paired ratios.

Usage (from the repository's folder, after `cargo build --release` and
`pip install ./python`):
    python3 scripts/python_overhead.py [SCENARIO] [RUNS] [PAIRS]
"""

import statistics
import subprocess
import sys
import tempfile
import time

import brink

scenario = sys.argv[1] if len(sys.argv) > 1 else "scenarios/iran_2026.toml"
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
pairs = int(sys.argv[3]) if len(sys.argv) > 3 else 15
cli = "target/release/brink"

brink.run(scenario, runs=runs)  # warm: the first call loads the extension and pandas' paths
out = tempfile.mkdtemp()
cold_code = f"import brink; brink.run({scenario!r}, runs={runs})"
t_cli, t_call, t_cold = [], [], []
for i in range(pairs):
    t = time.perf_counter()
    subprocess.run([cli, "run", scenario, "--runs", str(runs), "--out", out, "--force", "-q"],
                   check=True)
    t_cli.append(time.perf_counter() - t)
    t = time.perf_counter()
    brink.run(scenario, runs=runs)
    t_call.append(time.perf_counter() - t)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", cold_code], check=True)
    t_cold.append(time.perf_counter() - t)


def show(name, xs):
    print(f"{name:<40} median {1000 * statistics.median(xs):7.1f} ms  "
          f"(range {1000 * min(xs):.1f}-{1000 * max(xs):.1f})")


print(f"{scenario}, {runs} runs, {pairs} alternating rounds")
show("brink run (CLI process, CSV written)", t_cli)
show("brink.run() in a warm interpreter", t_call)
show("python -c 'import brink; brink.run()'", t_cold)
print(f"median paired ratio, warm call / CLI: "
      f"{statistics.median(a / b for a, b in zip(t_call, t_cli)):.2f}")
print(f"median paired ratio, fresh interpreter / CLI: "
      f"{statistics.median(a / b for a, b in zip(t_cold, t_cli)):.2f}")
