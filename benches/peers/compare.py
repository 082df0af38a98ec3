#!/usr/bin/env python3
"""brink against its NumPy peer on the reduced flagship (issue 15).

Two parts, both on benches/peers/reduced.toml and benches/peers/numpy_reduced.py:

check   runs both at --runs (default 200 000) and prints every metric side by side with the
        difference in standard errors (the combined SE of two independent estimates: binomial
        for probabilities, sd/sqrt(n) for quantities); exits 1 if any differs by more than 4 SE.
time    times both, one process after the other, alternating brink, NumPy, brink, NumPy ...
        (--pairs pairs per run count, at 10 000 and 200 000 runs by default), each pinned to
        CPU 0 with `taskset -c 0`, brink with --threads 1 and NumPy with its BLAS/OpenMP pools
        at one thread; wall time is measured here around each process. Prints each pair, the
        median of the pairs' ratios (NumPy time / brink time) and the best-of ratio (NumPy's
        best / brink's best).

The brink binary is --brink, else $BRINK_BIN, else target/release/brink. Not run in CI.

    python3 benches/peers/compare.py                 # check, then time
    python3 benches/peers/compare.py check --runs 200000
    python3 benches/peers/compare.py check --stress     # rare paths made common
    python3 benches/peers/compare.py time --pairs 5 --sizes 10000 200000
"""

import argparse
import csv
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SCENARIO = HERE / "reduced.toml"
PEER = HERE / "numpy_reduced.py"
LIMIT_SE = 4.0

# A variant where the model's rare paths are common (US strikes, plans called off by a
# ceasefire, Iranian answers aimed at the US, US answers, exercises), given to both versions
# with `--set`: `check --stress` tests the parts the flagship's own values seldom reach.
STRESS = [
    "rules.us_nuclear_red_line.threshold=0.3",
    "rules.israel_nuclear_red_line.preparation_days=20",
    "rules.iran_answers_israel.ally_target_probability=0.3",
    "rules.us_answers_iran.probability=0.6",
    "rules.iran_front_ceasefire.daily_hazard=0.2",
    "rules.israel_preempts_iran.ambiguous_rate=0.05",
    "rules.iran_preempts_israel.ambiguous_rate=0.03",
    "rules.iran_preempts_us.ambiguous_rate=0.03",
]

# One thread for NumPy and whatever BLAS or OpenMP it may load.
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
}


def sets(settings):
    return [a for kv in settings for a in ("--set", kv)]


def brink_cmd(brink, runs, seed, out, settings=()):
    return [str(brink), "run", str(SCENARIO), "--runs", str(runs), "--seed", str(seed),
            "--threads", "1", "--out", str(out), "-q"] + sets(settings)


def peer_cmd(runs, seed, out, settings=()):
    return [sys.executable, str(PEER), "--runs", str(runs), "--seed", str(seed), "--out",
            str(out)] + sets(settings)


def pinned(cmd):
    return (["taskset", "-c", "0"] + cmd) if shutil.which("taskset") else cmd


def env():
    e = dict(os.environ)
    e.update(ONE_THREAD)
    return e


def run(cmd):
    """Runs a command; returns its wall time in seconds and its stderr."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    secs = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"compare: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
    return secs, p.stderr


def read_summary(path):
    with open(path, newline="") as f:
        return {r["metric"]: r for r in csv.DictReader(f)}


def check(brink, runs, seed, peer_seed, settings=()):
    with tempfile.TemporaryDirectory(prefix="brink-peer-") as tmp:
        tmp = Path(tmp)
        run(brink_cmd(brink, runs, seed, tmp / "brink", settings))
        run(peer_cmd(runs, peer_seed, tmp / "numpy.csv", settings))
        b = read_summary(tmp / "brink" / "summary.csv")
        p = read_summary(tmp / "numpy.csv")
    print(f"Probabilities and quantities at {runs} runs (brink seed {seed}, NumPy seed "
          f"{peer_seed}); z = difference / combined SE, |z| > {LIMIT_SE:g} fails")
    if settings:
        print("with " + " ".join(settings))
    print(f"{'metric':26} {'kind':11} {'brink':>10} {'numpy':>10} {'n brink':>8} "
          f"{'n numpy':>8} {'z':>7}")
    worst, failed = 0.0, []
    for name, pr in p.items():
        if name not in b:
            sys.exit(f"compare: brink's summary has no metric `{name}`")
        br = b[name]
        nb, nn = int(br["n"]), int(pr["n"])
        mb, mn = float(br["mean"]), float(pr["mean"])
        if pr["kind"] == "probability":
            se = math.sqrt(mb * (1 - mb) / nb + mn * (1 - mn) / nn)
        else:
            sb, sn = float(br["sd"]), float(pr["sd"])
            se = math.sqrt(sb * sb / nb + sn * sn / nn)
        z = (mn - mb) / se if se > 0 else (0.0 if mn == mb else math.inf)
        worst = max(worst, abs(z))
        if abs(z) > LIMIT_SE:
            failed.append(name)
        print(f"{name:26} {pr['kind']:11} {mb:10.6f} {mn:10.6f} {nb:8d} {nn:8d} {z:7.2f}"
              f"{'  FAIL' if abs(z) > LIMIT_SE else ''}")
    if failed:
        print(f"FAILED: {', '.join(failed)} differ by more than {LIMIT_SE:g} SE", file=sys.stderr)
        sys.exit(1)
    print(f"all {len(p)} metrics agree within {LIMIT_SE:g} SE (largest |z| = {worst:.2f})")


def timing(brink, sizes, pairs, seed):
    print(f"\nTiming: {pairs} alternating pairs per size, each process pinned to CPU 0, "
          f"brink --threads 1, NumPy with one BLAS/OpenMP thread; wall seconds")
    results = []
    with tempfile.TemporaryDirectory(prefix="brink-peer-") as tmp:
        tmp = Path(tmp)
        for runs in sizes:
            tb, tn = [], []
            for k in range(pairs):
                out = tmp / f"b{runs}_{k}"
                tb.append(run(pinned(brink_cmd(brink, runs, seed, out)))[0])
                secs, err = run(pinned(peer_cmd(runs, seed, tmp / f"n{runs}_{k}.csv")))
                tn.append(secs)
                inner = re.search(r"in ([0-9.]+) s", err)
                print(f"  {runs:>7} runs, pair {k + 1}: brink {tb[-1]:7.3f} s, NumPy "
                      f"{tn[-1]:7.3f} s (of which simulating {inner.group(1) if inner else '?'}"
                      f" s), ratio {tn[-1] / tb[-1]:6.2f}")
            ratios = [n / b for b, n in zip(tb, tn)]
            results.append((runs, statistics.median(tb), statistics.median(tn),
                            statistics.median(ratios), min(tn) / min(tb)))
    print(f"\n{'runs':>8} {'brink median s':>15} {'numpy median s':>15} {'brink runs/s':>13} "
          f"{'median ratio':>13} {'best ratio':>11}")
    for runs, b, n, med, best in results:
        print(f"{runs:8d} {b:15.3f} {n:15.3f} {runs / b:13.0f} {med:13.2f} {best:11.2f}")
    print("ratio = NumPy time / brink time: how many times faster brink is on one core")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", nargs="?", choices=["check", "time", "both"], default="both")
    ap.add_argument("--brink", help="brink binary (default $BRINK_BIN or target/release/brink)")
    ap.add_argument("--runs", type=int, default=200_000, help="runs for the check")
    ap.add_argument("--seed", type=int, default=20251229, help="brink's seed")
    ap.add_argument("--peer-seed", type=int, default=1, help="NumPy's seed for the check")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 200_000])
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--stress", action="store_true",
                    help="check the variant where rare paths are common (see STRESS)")
    a = ap.parse_args()
    brink = Path(a.brink or os.environ.get("BRINK_BIN") or ROOT / "target/release/brink")
    if not brink.exists():
        sys.exit(f"compare: no brink binary at {brink}; build it with `cargo build --release` "
                 "or pass --brink PATH")
    if a.what in ("check", "both"):
        check(brink, a.runs, a.seed, a.peer_seed, STRESS if a.stress else ())
    if a.what in ("time", "both"):
        timing(brink, a.sizes, a.pairs, a.seed)


if __name__ == "__main__":
    main()
