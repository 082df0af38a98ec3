"""Shared helpers: the repository's scenarios and the command-line binary the parity tests
compare against (BRINK_BIN, else target/debug/brink, else target/release/brink)."""

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
FLAGSHIP = SCENARIOS / "iran_2026.toml"
MINIMAL = SCENARIOS / "minimal.toml"


def cli_binary() -> Path:
    given = os.environ.get("BRINK_BIN")
    if given:
        return Path(given)
    for profile in ("debug", "release"):
        p = REPO / "target" / profile / "brink"
        if p.exists():
            return p
    raise RuntimeError(
        "no brink binary: build it with `cargo build` or point BRINK_BIN at one"
    )


@pytest.fixture(scope="session")
def cli():
    """Runs the brink binary in the repository's folder; returns the CompletedProcess."""
    binary = cli_binary()

    def run(*args, check=True):
        p = subprocess.run(
            [str(binary), *map(str, args)],
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        if check and p.returncode != 0:
            raise AssertionError(f"brink {' '.join(map(str, args))} failed:\n{p.stderr}")
        return p

    return run


@pytest.fixture(autouse=True)
def in_repo(monkeypatch):
    """Paths as the CLI is given them: relative to the repository."""
    monkeypatch.chdir(REPO)
