"""Memory stays flat with the number of runs: a run keeps fixed-size aggregates, so a call of
1 000 000 runs peaks within a few MB of a call of 10 000 (each in a fresh process); reading a
results folder streams its runs.csv."""

import subprocess
import sys

import brink

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


# The peak is read from VmHWM, which starts afresh at exec: ru_maxrss would also count the
# pages the child shared with this (large) process between fork and exec.
READ = r"""
import re, sys, brink
w = brink.watch(sys.argv[1], outcome="red_answers")
d = brink.discover(sys.argv[1], outcome="red_answers", features="paths")
assert w.manifest["runs"] == d.manifest["runs"] == int(sys.argv[2])
print(re.search(r"VmHWM:\s+(\d+) kB", open("/proc/self/status").read()).group(1))
"""


def test_reading_a_folder_streams_its_runs(tmp_path):
    # watch streams runs.csv as the CLI does (counts only); discover holds its inputs, 8 bytes
    # per run and input (here one: 1.6 MB for 200 000 runs), not the table.
    peaks = []
    for runs in (2_000, 200_000):
        folder = tmp_path / str(runs)
        brink.run("scenarios/minimal.toml", runs=runs, seed=1, per_run=True, out=folder)
        p = subprocess.run([sys.executable, "-c", READ, str(folder), str(runs)], cwd=REPO,
                           capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stderr
        peaks.append(int(p.stdout.strip()))
    small, large = peaks
    print(f"peak RSS: {small / 1024:.1f} MiB at 2 000 runs, {large / 1024:.1f} MiB at 200 000")
    # The runs table as a DataFrame would take over 15 MB (10 columns of 8 bytes per run).
    assert large - small < 8 * 1024, (small, large)
