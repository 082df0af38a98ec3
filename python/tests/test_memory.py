"""Memory stays flat with the number of runs: a run keeps fixed-size aggregates, so a call of
1 000 000 runs peaks within a few MB of a call of 10 000 (each in a fresh process)."""

import subprocess
import sys

from conftest import REPO

PEAK = r"""
import resource, sys, brink
r = brink.run("scenarios/minimal.toml", runs=int(sys.argv[1]), seed=1)
assert int(r.summary["n"].iloc[0]) == int(sys.argv[1])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux
"""


def peak_kib(runs: int) -> int:
    p = subprocess.run([sys.executable, "-c", PEAK, str(runs)], cwd=REPO,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    return int(p.stdout.strip())


def test_a_million_runs_take_no_more_memory_than_ten_thousand():
    small = peak_kib(10_000)
    large = peak_kib(1_000_000)
    print(f"peak RSS: {small / 1024:.1f} MiB at 10 000 runs, {large / 1024:.1f} MiB at 1 000 000")
    # 100 times the runs; per-run rows would add hundreds of MB. Allow the noise of the
    # allocator and the thread pool, nothing that grows with the runs.
    assert large - small < 8 * 1024, (small, large)
