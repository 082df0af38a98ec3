"""The package as a notebook uses it: tables, options, determinism, errors in Python terms."""

import numpy as np
import pandas as pd
import pytest

import brink

MINIMAL = "scenarios/minimal.toml"


def test_import_exposes_every_command_and_the_error_type():
    for name in ["run", "compare", "sweep", "sensitivity", "validate", "trace", "explain",
                 "score", "watch", "discover"]:
        assert callable(getattr(brink, name))
    assert issubclass(brink.ScenarioError, ValueError)
    assert brink.__version__


def test_run_returns_the_csv_files_columns_with_types():
    r = brink.run(MINIMAL, runs=1500, seed=3, per_run=True, events=5)
    assert list(r.summary.columns) == [
        "metric", "kind", "n", "mean", "ci_low", "ci_high", "sd",
        "p05", "p25", "p50", "p75", "p95",
    ]
    assert list(r.timeline.columns) == ["day", "date", "metric", "value", "ci_low", "ci_high"]
    assert list(r.distributions.columns) == ["metric", "value", "count", "share"]
    assert r.summary["n"].dtype == np.int64 and r.summary["mean"].dtype == np.float64
    # A probability has no quantiles: missing, as the CSV's empty cells.
    prob = r.summary[r.summary.kind == "probability"]
    assert prob["p50"].isna().all() and prob["mean"].between(0, 1).all()
    # One row per run; a first day is a nullable integer, missing where the event never came.
    assert len(r.runs) == 1500 and list(r.runs["run"]) == list(range(1500))
    first = r.runs["blue_strikes_first_day"]
    assert str(first.dtype) == "Int64"
    assert (first.isna() == (r.runs["blue_strikes"] == 0)).all()
    assert set(r.events["run"]) <= set(range(5))
    assert r.manifest["command"] == "run" and r.manifest["runs"] == 1500
    assert r.manifest["seed"] == 3
    assert r.manifest["invocation"]["command_line"][0] == "brink.run"


def test_defaults_come_from_the_scenario():
    r = brink.run(MINIMAL)
    assert r.manifest["runs"] == 10000 and r.summary["n"].iloc[0] == 10000
    assert r.runs is None and r.events is None


def test_results_do_not_depend_on_threads():
    a = brink.run(MINIMAL, runs=5000, seed=11, threads=1, per_run=True)
    b = brink.run(MINIMAL, runs=5000, seed=11, threads=3, per_run=True)
    for t in ["summary", "timeline", "distributions", "runs"]:
        pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t))


def test_a_scenario_given_as_text_is_the_file():
    text = open(MINIMAL).read()
    a = brink.run(MINIMAL, runs=2000, seed=5)
    b = brink.run(text, runs=2000, seed=5)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    assert b.manifest["scenario"]["path"] == "<text>"
    assert b.manifest["scenario"]["sha256"] == a.manifest["scenario"]["sha256"]


def test_set_changes_one_assumption_and_the_manifest_records_it():
    base = brink.run(MINIMAL, runs=4000, seed=2)
    short = brink.run(MINIMAL, runs=4000, seed=2, set={"scenario.horizon_days": 30})
    assert len(short.timeline) < len(base.timeline)
    assert short.manifest["overrides"] == [{"key": "scenario.horizon_days", "value": "30"}]
    dist = brink.run(
        MINIMAL, runs=100, set={"rules.blue_red_line.threshold": "{ uniform = [0.5, 0.6] }"}
    )
    assert dist.manifest["overrides"][0]["value"] == "{ uniform = [0.5, 0.6] }"


def test_bad_options_are_refused_with_the_clis_words():
    with pytest.raises(ValueError, match="expected a whole number from 1 to 1000000000"):
        brink.run(MINIMAL, runs=0)
    with pytest.raises(ValueError, match="expected a whole number from 1 to 1000000000"):
        brink.run(MINIMAL, runs=-5)
    with pytest.raises(ValueError, match="too many: brink allows 64 threads"):
        brink.run(MINIMAL, threads=100_000)
    with pytest.raises(ValueError, match="asks for more runs"):
        brink.run(MINIMAL, runs=10, events=11)
    with pytest.raises(ValueError, match="nothing to compare"):
        brink.compare(MINIMAL)
    with pytest.raises(TypeError):
        brink.run(42)


def test_compare_sweep_and_sensitivity_return_their_tables():
    c = brink.compare(MINIMAL, runs=2000, set={"rules.blue_red_line.threshold": 0.5})
    assert "share_changed" in c.compare.columns and len(c.compare) > 0
    s = brink.sweep(MINIMAL, vary={"scenario.horizon_days": [30, 60]}, runs=500)
    assert list(s.points["value"]) == [30.0, 60.0]
    assert set(s.sweep["point"]) == {0, 1}
    m = brink.sensitivity(MINIMAL, method="morris", trajectories=4, bootstrap=10)
    assert m.sobol is None and list(m.morris.columns)[:3] == ["metric", "parameter", "mu"]


def test_trace_explain_validate():
    t = brink.trace(MINIMAL, 0, seed=7)
    assert t.runs == [0] and t.text.startswith("Run 0 of minimal")
    f = brink.trace(MINIMAL, find="blue_strikes", count=2, seed=7)
    assert len(f.runs) == 2 and f.text.startswith("Found 2 runs with blue_strikes")
    assert set(f.events["run"]) <= set(f.runs)
    with pytest.raises(LookupError):
        brink.trace(MINIMAL, find="blue_strikes", max_runs=1, set={"scenario.horizon_days": 1})
    assert "blue_red_line" in brink.explain(MINIMAL)
    assert brink.explain(MINIMAL, markdown=True).startswith("#")
    assert brink.validate(MINIMAL).endswith("90 days")


def test_out_writes_the_clis_files_and_refuses_a_folder_that_holds_files(tmp_path):
    r = brink.run(MINIMAL, runs=1000, out=tmp_path / "res")
    names = sorted(p.name for p in (tmp_path / "res").iterdir())
    assert names == ["distributions.csv", "manifest.json", "summary.csv", "timeline.csv"]
    with pytest.raises(FileExistsError):
        r.write(tmp_path / "res")
