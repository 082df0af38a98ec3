"""The evidence commands in Python: `run` with given=, target_runs=, precision=, and `score`,
`watch`, `discover` over a results folder or over a `brink.run` result in memory. Each table,
formatted as the CLI formats it, is the CLI's file byte for byte; the manifest is the CLI's
but for `invocation` (and, read in memory, the `results` it names)."""

import json
import os

import pytest

import brink
from conftest import REPO

FLAGSHIP = "scenarios/iran_2026.toml"
MINIMAL = "scenarios/minimal.toml"
EXAMPLE = "scenarios/observed/iran_2026_example.toml"


def csv(df):
    return brink.to_csv(df)


def same_files(result, folder, names, in_memory=False):
    for name in names:
        ours = csv(getattr(result, name))
        theirs = (folder / f"{name}.csv").read_text()
        assert ours == theirs, f"{name}.csv differs from the CLI's"
    cli_manifest = json.loads((folder / "manifest.json").read_text())
    ours = dict(result.manifest)
    for m in (cli_manifest, ours):
        m.pop("invocation")
        if in_memory:
            assert m.pop("results")
    assert ours == cli_manifest


@pytest.fixture(scope="module")
def flagship_runs(cli, tmp_path_factory):
    """A flagship result with per-run rows, from the CLI, and the same study in memory."""
    os.chdir(REPO)  # the scenario's path as both record it
    folder = tmp_path_factory.mktemp("flagship") / "r"
    cli("run", FLAGSHIP, "--runs", 3000, "--seed", 11, "--per-run", "--out", folder, "-q")
    return folder, brink.run(FLAGSHIP, runs=3000, seed=11, per_run=True)


def test_run_given_matches_the_cli(cli, tmp_path):
    conditions = ["gaza_phase_two<=2026-01-31", "not strike_on_iran<=2026-01-20"]
    args = [a for c in conditions for a in ("--given", c)]
    cli("run", FLAGSHIP, "--runs", 2500, "--seed", 4, "--per-run", *args,
        "--out", tmp_path / "g", "-q")
    r = brink.run(FLAGSHIP, runs=2500, seed=4, per_run=True, given=conditions)
    same_files(r, tmp_path / "g", ["summary", "timeline", "distributions", "runs"])
    assert r.manifest["given"]["simulated_runs"] == 2500
    assert r.manifest["runs"] == len(r.runs) < 2500
    # A target number of kept runs, on the small scenario.
    cli("run", MINIMAL, "--seed", 2, "--given", "blue_strikes<=2026-02-20", "--target-runs",
        900, "--max-runs", 100000, "--per-run", "--out", tmp_path / "t", "-q")
    t = brink.run(MINIMAL, seed=2, given="blue_strikes<=2026-02-20", target_runs=900,
                  max_runs=100_000, per_run=True)
    same_files(t, tmp_path / "t", ["summary", "timeline", "distributions", "runs"])
    assert len(t.runs) == 900


def test_run_precision_matches_the_cli(cli, tmp_path):
    cli("run", MINIMAL, "--seed", 6, "--precision", 0.012, "--out", tmp_path / "p", "-q")
    p = brink.run(MINIMAL, seed=6, precision=0.012)
    same_files(p, tmp_path / "p", ["summary", "timeline", "distributions"])
    assert p.manifest["precision"]["reached"]
    assert p.manifest["runs"] % 1024 == 0


def test_score_matches_the_cli_from_a_folder_and_in_memory(cli, tmp_path, flagship_runs):
    folder, r = flagship_runs
    p = cli("score", folder, "--observed", EXAMPLE, "--out", tmp_path / "s", "-q")
    s = brink.score(folder, observed=EXAMPLE)
    same_files(s, tmp_path / "s", ["score", "skill"])
    assert s.reliability is None and not (tmp_path / "s" / "reliability.csv").exists()
    assert s.text == (tmp_path / "s" / "score.txt").read_text() == p.stdout
    m = brink.score(r, observed=(REPO / EXAMPLE).read_text())
    # The observed file given as text is shown as <text>: all else is the same.
    assert csv(m.score) == csv(s.score) and csv(m.skill) == csv(s.skill)
    assert m.manifest["observed"]["sha256"] == s.manifest["observed"]["sha256"]
    assert m.text == s.text.replace(EXAMPLE, "<text>")
    # .write gives the CLI's files.
    s.write(tmp_path / "w")
    for name in ("score.csv", "skill.csv", "score.txt"):
        assert (tmp_path / "w" / name).read_bytes() == (tmp_path / "s" / name).read_bytes()


def test_watch_matches_the_cli_from_a_folder_and_in_memory(cli, tmp_path, flagship_runs):
    folder, r = flagship_runs
    p = cli("watch", folder, "--outcome", "regional_war", "--out", tmp_path / "w", "-q")
    w = brink.watch(folder, outcome="regional_war")
    same_files(w, tmp_path / "w", ["watch"])
    assert w.text == p.stdout
    m = brink.watch(r, outcome="regional_war")
    same_files(m, tmp_path / "w", ["watch"], in_memory=True)
    # A quantity outcome, chosen signposts and dates.
    cli("watch", folder, "--outcome", "war_days>=10", "--signposts",
        "strike_on_iran,gaza_phase_two", "--by", "2026-01-15,2026-02-28",
        "--out", tmp_path / "q", "-q")
    q = brink.watch(r, outcome="war_days>=10", signposts=["strike_on_iran", "gaza_phase_two"],
                    by=["2026-01-15", "2026-02-28"])
    same_files(q, tmp_path / "q", ["watch"], in_memory=True)
    assert q.watch["outcome_by_date_runs"].isna().all()


def test_discover_matches_the_cli_from_a_folder_and_in_memory(cli, tmp_path, flagship_runs):
    folder, r = flagship_runs
    p = cli("discover", folder, "--outcome", "war_days>=10", "--features", "params",
            "--box", 4, "--out", tmp_path / "d", "-q")
    d = brink.discover(folder, outcome="war_days>=10", features="params", box=4)
    same_files(d, tmp_path / "d", ["discover"])
    assert d.text == p.stdout
    # In memory the parameters are those of runs.csv, six decimals: the same boxes.
    m = brink.discover(r, outcome="war_days>=10", features="params", box=4)
    same_files(m, tmp_path / "d", ["discover"], in_memory=True)
    cli("discover", folder, "--outcome", "regional_war", "--exclude",
        "strike_on_iran_first_day", "--peel-alpha", 0.1, "--out", tmp_path / "e", "-q")
    e = brink.discover(r, outcome="regional_war", exclude=["strike_on_iran_first_day"],
                       peel_alpha=0.1, threads=2)
    same_files(e, tmp_path / "e", ["discover"], in_memory=True)


def test_a_bad_condition_raises_the_clis_message(cli):
    bad = "gaza_phase_tw<=2026-01-31"
    with pytest.raises(ValueError) as e:
        brink.run(FLAGSHIP, runs=10, given=[bad, "strike_on_iran<=2026-13-01"])
    p = cli("run", FLAGSHIP, "--runs", 10, "--given", bad, "--given",
            "strike_on_iran<=2026-13-01", check=False)
    assert p.returncode == 2
    assert str(e.value) == p.stderr
    assert "^" in str(e.value) and "did you mean" in str(e.value)
    assert not isinstance(e.value, brink.ScenarioError)


def test_a_bad_observed_file_raises_the_clis_diagnostic(cli, tmp_path, flagship_runs):
    folder, r = flagship_runs
    bad = tmp_path / "bad.toml"
    bad.write_text("[events]\nstrike_on_iran = { happend = 2026-01-20 }\n")
    with pytest.raises(brink.ScenarioError) as e:
        brink.score(folder, observed=bad)
    p = cli("score", folder, "--observed", bad, check=False)
    assert p.returncode == 2
    assert str(e.value) == p.stderr
    assert f"{bad}:2:" in str(e.value)
    with pytest.raises(brink.ScenarioError, match="<text>:2:"):
        brink.score(r, observed=bad.read_text())


def test_options_and_results_are_checked():
    with pytest.raises(ValueError, match="per_run=True"):
        brink.watch(brink.run(MINIMAL, runs=100), outcome="red_answers")
    with pytest.raises(ValueError, match="--outcome"):
        brink.watch(brink.run(MINIMAL, runs=100, per_run=True), outcome="no_such_metric")
    with pytest.raises(ValueError, match="half-width"):
        brink.run(MINIMAL, precision=0.7)
    with pytest.raises(ValueError, match="target_runs goes with given"):
        brink.run(MINIMAL, target_runs=10)
    with pytest.raises(LookupError, match="none of the 50 runs"):
        brink.run(MINIMAL, runs=50, given="blue_strikes<=2026-01-01")
