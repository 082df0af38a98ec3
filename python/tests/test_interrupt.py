"""Ctrl-C stops a long run (a plain one, or one keeping the runs that satisfy a condition)
within a second and raises KeyboardInterrupt: the study's stop flag is raised from the waiting
thread, which wakes every 50 ms to let Python handle signals."""

import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO

LONG_RUN = r"""
import sys, time, brink
print("started", flush=True)
try:
    brink.run("scenarios/iran_2026.toml", CALL)
except KeyboardInterrupt:
    print("interrupted", time.monotonic(), flush=True)
    sys.exit(42)
print("finished", flush=True)
"""


@pytest.mark.parametrize("call", [
    "runs=500_000_000",
    'given="us_iran_talks<=2026-03-01", target_runs=900_000_000, max_runs=1_000_000_000',
])
def test_sigint_stops_a_long_run_within_a_second(call):
    p = subprocess.Popen(
        [sys.executable, "-c", LONG_RUN.replace("CALL", call)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert p.stdout.readline().strip() == "started"
        time.sleep(1.5)  # well inside the simulation
        assert p.poll() is None, "the run ended before it was interrupted"
        sent = time.monotonic()
        p.send_signal(signal.SIGINT)
        line = p.stdout.readline().split()
        p.wait(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
    assert line and line[0] == "interrupted", p.stderr.read()
    assert p.returncode == 42
    latency = float(line[1]) - sent
    assert latency < 1.0, f"KeyboardInterrupt came {latency:.2f} s after SIGINT"


def test_an_interrupted_call_leaves_the_package_usable():
    # The stop flag belongs to one call: the next call runs normally.
    code = r"""
import os, signal, threading, brink
threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
try:
    brink.run("scenarios/minimal.toml", runs=500_000_000)
    raise SystemExit("not interrupted")
except KeyboardInterrupt:
    pass
r = brink.run("scenarios/minimal.toml", runs=2000)
print(int(r.summary["n"].iloc[0]))
"""
    p = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "2000"
