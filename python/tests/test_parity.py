"""The same numbers as the command line: each function's tables, formatted as the CLI formats
them (six decimals, empty for missing), are the CLI's files byte for byte, and its manifest is
the CLI's but for the `invocation` block (how the process ran)."""

import json

import pytest

import brink

FLOAT = brink.FLOAT_FORMAT


def csv(df):
    return brink.to_csv(df)


def same_files(result, folder, names):
    for name in names:
        ours = csv(getattr(result, name))
        theirs = (folder / f"{name}.csv").read_text()
        assert ours == theirs, f"{name}.csv differs from the CLI's"
    cli_manifest = json.loads((folder / "manifest.json").read_text())
    for m in (cli_manifest, dict(result.manifest)):
        m.pop("invocation")
    assert result.manifest | {"invocation": None} == cli_manifest | {"invocation": None}


def an_uncertain_parameter(scenario):
    """A key path to override, read from the scenario itself (the flagship changes)."""
    params = brink.run(scenario, runs=1).manifest["parameters"]
    return next(p["path"] for p in params if p["uncertain"] and "threshold" in p["path"])


def a_likely_event(scenario):
    s = brink.run(scenario, runs=500, seed=1).summary
    events = s[s.kind == "probability"].sort_values("mean", ascending=False)
    return events.metric.iloc[0]


@pytest.mark.parametrize(
    "scenario,runs", [("scenarios/iran_2026.toml", 2500), ("scenarios/minimal.toml", 3000)]
)
def test_run_matches_the_cli(cli, tmp_path, scenario, runs):
    key = an_uncertain_parameter(scenario)
    cli("run", scenario, "--runs", runs, "--seed", 7, "--per-run", "--events", 15,
        "--set", f"{key}=0.5", "--threads", 2, "--out", tmp_path / "r", "-q")
    r = brink.run(scenario, runs=runs, seed=7, per_run=True, events=15, set={key: 0.5})
    same_files(r, tmp_path / "r", ["summary", "timeline", "distributions", "runs", "events"])


def test_compare_matches_the_cli(cli, tmp_path):
    flagship = "scenarios/iran_2026.toml"
    key = an_uncertain_parameter(flagship)
    cli("compare", flagship, "--set", f"{key}=0.5", "--runs", 2000, "--seed", 9,
        "--out", tmp_path / "c", "-q")
    c = brink.compare(flagship, runs=2000, seed=9, set={key: 0.5})
    same_files(c, tmp_path / "c", ["compare"])


def test_sweep_matches_the_cli(cli, tmp_path):
    cli("sweep", "scenarios/study_us_threshold.toml", "--runs", 300, "--out", tmp_path / "s",
        "-q")
    s = brink.sweep("scenarios/study_us_threshold.toml", runs=300)
    same_files(s, tmp_path / "s", ["points", "sweep"])
    cli("sweep", "scenarios/minimal.toml", "--vary", "rules.blue_red_line.threshold=0.4..0.8",
        "--points", 3, "--design", "lhs", "--runs", 400, "--out", tmp_path / "v", "-q")
    v = brink.sweep("scenarios/minimal.toml", vary={"rules.blue_red_line.threshold": (0.4, 0.8)},
                    points=3, design="lhs", runs=400)
    same_files(v, tmp_path / "v", ["points", "sweep"])


def test_sensitivity_matches_the_cli(cli, tmp_path):
    cli("sensitivity", "scenarios/iran_2026.toml", "--trajectories", 6, "--samples", 40,
        "--bootstrap", 20, "--seed", 4, "--out", tmp_path / "a", "-q")
    a = brink.sensitivity("scenarios/iran_2026.toml", trajectories=6, samples=40,
                          bootstrap=20, seed=4)
    same_files(a, tmp_path / "a", ["morris", "sobol"])


def test_trace_explain_and_validate_match_the_cli(cli):
    flagship = "scenarios/iran_2026.toml"
    t = brink.trace(flagship, 12, seed=3)
    assert t.text == cli("trace", flagship, "--run", 12, "--seed", 3).stdout
    assert csv(t.events) == cli("trace", flagship, "--run", 12, "--seed", 3, "--csv").stdout
    event = a_likely_event(flagship)
    f = brink.trace(flagship, find=event, count=3, seed=3)
    p = cli("trace", flagship, "--find", event, "--count", 3, "--seed", 3)
    assert f.text == p.stdout
    assert brink.explain(flagship) == cli("explain", flagship).stdout
    ok = cli("validate", flagship).stderr
    assert ok == f"ok: {flagship} ({brink.validate(flagship)})\n"
    ok = cli("validate", "scenarios/study_us_threshold.toml").stderr
    assert ok == f"ok: scenarios/study_us_threshold.toml ({brink.validate('scenarios/study_us_threshold.toml')})\n"


def test_ties_and_signs_print_as_the_cli_prints_them():
    # brink::table::num's unit test pins the same four cells on the Rust side.
    import pandas as pd

    df = pd.DataFrame({"x": [0.0078125, 0.0234375, -1e-9, float("nan")], "n": [1, 2, 3, 4]})
    assert csv(df) == "x,n\n0.007812,1\n0.023438,2\n-0.000000,3\n,4\n"
