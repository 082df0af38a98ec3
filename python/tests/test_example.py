"""examples/notebook.py runs as a script and draws its chart."""

import os
import subprocess
import sys

from conftest import REPO


def test_the_notebook_example_runs(tmp_path):
    png = tmp_path / "timeline.png"
    env = dict(os.environ, BRINK_EXAMPLE_RUNS="2000", BRINK_EXAMPLE_PNG=str(png),
               MPLBACKEND="Agg")
    p = subprocess.run([sys.executable, "examples/notebook.py"], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "timeline drawn to" in p.stdout
    assert png.stat().st_size > 10_000
