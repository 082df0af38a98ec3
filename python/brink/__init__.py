"""brink in Python: Monte Carlo simulation of political-military escalation.

Each function mirrors a command of the ``brink`` program and runs the same Rust library, so
the same scenario, seed and run count give the same numbers as the command line, to the last
printed digit. Results come back as pandas DataFrames with the columns of the CSV files the
command writes (summary, timeline, distributions, runs, events, compare, points, sweep,
morris, sobol, score, skill, reliability, watch, discover) and the manifest as a dict.
Nothing is written to disk unless you pass ``out=``.

The evidence commands read a run's result: ``score``, ``watch`` and ``discover`` take a
results folder (as the command line does) or what ``run`` returned, in memory:

    >>> r = brink.run("scenarios/iran_2026.toml", runs=20_000, per_run=True,
    ...               given=["gaza_phase_two<=2026-01-31"])
    >>> brink.watch(r, outcome="regional_war").watch.head()

A scenario is a path (``str`` or ``os.PathLike``) or TOML text: a ``str`` holding a line
break is read as the scenario's text (shown as ``<text>`` in messages; files it ``extends``
are then relative to the working directory).

    >>> import brink
    >>> r = brink.run("scenarios/minimal.toml", runs=2000, seed=7)
    >>> r.summary[["metric", "mean", "ci_low", "ci_high"]]

While a study runs the GIL is released; Ctrl-C (or a notebook's interrupt) stops it within a
fraction of a second and raises KeyboardInterrupt. A scenario that cannot be loaded raises
``brink.ScenarioError`` with the located diagnostic the command line prints.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

import numpy as np
import pandas as pd

from . import _brink
from ._brink import ScenarioError

__all__ = [
    "run",
    "compare",
    "sweep",
    "sensitivity",
    "validate",
    "trace",
    "explain",
    "score",
    "watch",
    "discover",
    "write_csv",
    "ScenarioError",
    "Run",
    "Comparison",
    "Sweep",
    "Sensitivity",
    "Trace",
    "Score",
    "Watch",
    "Discovery",
    "FLOAT_FORMAT",
    "to_csv",
]

__version__ = _brink.VERSION

#: How the command line writes the real numbers of its CSV files (six decimals), but for the
#: values a study was given or drew (a sweep's ``points.csv`` values, runs.csv's uncertain
#: parameters), which it writes exactly; ``to_csv(df)`` is the CLI's file byte for byte.
FLOAT_FORMAT = "%.6f"

Scenario = Union[str, "os.PathLike[str]"]

TEXT_NAME = "<text>"


def _source(scenario: Scenario) -> tuple[str, Optional[str]]:
    """(path as shown, text or None): a ``str`` with a line break is TOML text."""
    if isinstance(scenario, str) and ("\n" in scenario or "\r" in scenario):
        return TEXT_NAME, scenario
    if isinstance(scenario, (str, os.PathLike)):
        return os.fspath(scenario), None
    raise TypeError(
        f"a scenario is a path or TOML text, not {type(scenario).__name__}"
    )


def _toml_value(value: Any) -> str:
    """A Python value as the TOML text ``--set KEY=VALUE`` takes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        # As on the command line: the value's TOML text, e.g. "{ uniform = [0.1, 0.3] }".
        return value
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    raise TypeError(f"cannot write {type(value).__name__} as a TOML value")


def _set(set: Optional[Mapping[str, Any]]) -> list[tuple[str, str]]:
    if set is None:
        return []
    if not isinstance(set, Mapping):
        raise TypeError('set= takes a dict such as {"rules.x.threshold": 0.5}')
    return [(str(k), _toml_value(v)) for k, v in set.items()]


def _call(name: str, *args: Any, **kwargs: Any) -> list[str]:
    """The call as the manifest's ``invocation.command_line`` records it."""
    shown = [f"brink.{name}"]
    for a in args:
        if isinstance(a, str) and "\n" in a:
            shown.append(TEXT_NAME)
        elif a is not None:
            shown.append(os.fspath(a) if isinstance(a, os.PathLike) else str(a))
    for k, v in kwargs.items():
        if v is not None and v is not False and v != [] and v != {}:
            shown.append(f"{k}={v!r}")
    return shown


def _frame(columns: list) -> pd.DataFrame:
    """A DataFrame from the native module's typed columns, in the CSV file's order."""
    data = {}
    for name, kind, payload in columns:
        if kind == "int":
            data[name] = np.frombuffer(payload, dtype="<i8").astype(np.int64)
        elif kind == "maybe_int":
            values, mask = payload
            data[name] = pd.arrays.IntegerArray(
                np.frombuffer(values, dtype="<i8").astype(np.int64),
                np.frombuffer(mask, dtype=np.uint8).astype(bool),
            )
        elif kind in ("num", "exact"):
            data[name] = np.frombuffer(payload, dtype="<f8").astype(np.float64)
        else:
            data[name] = pd.Series(payload, dtype=object) if not payload else payload
    df = pd.DataFrame(data, columns=[c[0] for c in columns])
    exact = [name for name, kind, _ in columns if kind == "exact"]
    if exact:
        df.attrs["exact"] = exact
    return df


def _exact(x: float) -> str:
    """A number as the command line writes it exactly: the shortest text that reads back as
    the same number, without an exponent (Rust's ``{}``), empty for missing."""
    if math.isnan(x):
        return ""
    return np.format_float_positional(x, unique=True, trim="-")


def to_csv(df: pd.DataFrame, path: Union[str, "os.PathLike[str]", None] = None) -> Optional[str]:
    """``df`` as the command line writes its CSV files (six decimals, the values a study was
    given or drew exactly, empty for missing, ``\\n`` line ends): into ``path``, or returned."""
    exact = [c for c in df.attrs.get("exact", []) if c in df.columns]
    if exact:
        df = df.copy()
        for c in exact:
            df[c] = [_exact(x) for x in df[c]]
    return df.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def _frames(raw: dict, names: Iterable[str]) -> dict[str, Optional[pd.DataFrame]]:
    return {n: (None if raw[n] is None else _frame(raw[n])) for n in names}


def write_csv(df: pd.DataFrame, path: Union[str, "os.PathLike[str]"]) -> None:
    """Writes ``df`` as the command line writes its CSV files (``to_csv``)."""
    to_csv(df, path)


@dataclass
class _Result:
    manifest: dict = field(repr=False)
    _manifest_text: str = field(repr=False, default="")
    _files: tuple = field(repr=False, default=())

    def write(self, out: Union[str, "os.PathLike[str]"]) -> Path:
        """Writes the command's files (its CSV files and manifest.json) into the folder
        ``out``, which must not exist or be empty. Files are staged in a hidden folder beside
        it and moved into place together."""
        out = Path(out)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise FileExistsError(
                f"{out} already exists and is not an empty folder; brink does not replace "
                "results"
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".brink-staging-", dir=out.parent))
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)  # readable like any folder the user makes, as the CLI's
        try:
            for name, df in self._tables():
                if df is not None:
                    write_csv(df, staging / name)
            for name, text in self._texts():
                (staging / name).write_text(text, encoding="utf-8")
            (staging / "manifest.json").write_text(self._manifest_text, encoding="utf-8")
            if out.exists():
                out.rmdir()
            staging.rename(out)
        except BaseException:
            for f in staging.glob("*"):
                f.unlink()
            staging.rmdir()
            raise
        return out

    def _tables(self) -> list:
        return [(f"{n}.csv", getattr(self, n)) for n in self._files]

    def _texts(self) -> list:
        return []


@dataclass
class Run(_Result):
    """What ``brink run`` writes: summary, timeline, distributions, and with ``per_run`` the
    runs table, with ``events`` the event log of the first runs."""

    summary: pd.DataFrame = None
    timeline: pd.DataFrame = None
    distributions: pd.DataFrame = None
    runs: Optional[pd.DataFrame] = None
    events: Optional[pd.DataFrame] = None

    # What the native module asks of a run result that ``score``, ``watch`` or ``discover``
    # reads in memory: names, and single columns as bytes, so that only the columns a
    # command needs are copied.
    def _column(self, table: str, name: str) -> tuple[str, bytes]:
        col = getattr(self, table)[name]
        if pd.api.types.is_integer_dtype(col.dtype):
            return "i", col.to_numpy(dtype="<i8", na_value=-1).tobytes()
        return "f", col.to_numpy(dtype="<f8", na_value=np.nan).tobytes()

    def _runs_columns(self) -> Optional[list]:
        return None if self.runs is None else [str(c) for c in self.runs.columns]

    def _score_names(self) -> list:
        return [(str(m), str(k)) for m, k in zip(self.summary["metric"], self.summary["kind"])]

    def _distribution_metrics(self) -> list:
        return [str(m) for m in self.distributions["metric"]]


@dataclass
class Comparison(_Result):
    """What ``brink compare`` writes: one row per metric common to both scenarios."""

    compare: pd.DataFrame = None
    #: Metrics of the base that the variant lacks (not compared).
    unmatched: list = field(default_factory=list)


@dataclass
class Sweep(_Result):
    """What ``brink sweep`` writes: the design's points and each point's summary rows."""

    points: pd.DataFrame = None
    sweep: pd.DataFrame = None


@dataclass
class Sensitivity(_Result):
    """What ``brink sensitivity`` writes: Morris and/or Sobol indices."""

    morris: Optional[pd.DataFrame] = None
    sobol: Optional[pd.DataFrame] = None


@dataclass
class Score(_Result):
    """What ``brink score`` writes: each listed event at each checkpoint by each forecaster
    (score), the model's skill against each reference (skill), the reliability bins (None
    unless enough listed events happened and enough did not), and score.txt (``text``)."""

    score: pd.DataFrame = None
    skill: pd.DataFrame = None
    reliability: Optional[pd.DataFrame] = None
    text: str = ""

    def _texts(self) -> list:
        return [("score.txt", self.text)]

    def __str__(self) -> str:
        return self.text


@dataclass
class Watch(_Result):
    """What ``brink watch`` writes: one row per signpost and date, most telling first, and
    the table it prints (``text``)."""

    watch: pd.DataFrame = None
    text: str = ""

    def __str__(self) -> str:
        return self.text


@dataclass
class Discovery(_Result):
    """What ``brink discover`` writes: every box of PRIM's trajectory and the chosen one, one
    row per restricted input (limits as the file writes them: text with seven decimals,
    quasi-p-values in exponent form), and what it prints (``text``); the manifest's
    ``sentence`` tells the chosen box in words."""

    discover: pd.DataFrame = None
    text: str = ""

    def __str__(self) -> str:
        return self.text


@dataclass
class Trace:
    """One run's story (or the stories of the runs found), as ``brink trace`` prints it, and
    its event log as ``brink trace --csv`` writes it."""

    text: str
    events: pd.DataFrame
    runs: list

    def __str__(self) -> str:
        return self.text


def _result(cls, raw: dict, files: Sequence[str], out, **extra):
    text = raw["manifest"]
    frames = _frames(raw, files)
    r = cls(manifest=json.loads(text), _manifest_text=text, _files=tuple(files), **frames, **extra)
    if out is not None:
        r.write(out)
    return r


def run(
    scenario: Scenario,
    *,
    runs: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    set: Optional[Mapping[str, Any]] = None,
    per_run: bool = False,
    events: Optional[int] = None,
    given: Union[str, Sequence[str], None] = None,
    target_runs: Optional[int] = None,
    precision: Optional[float] = None,
    max_runs: Optional[int] = None,
    out: Union[str, "os.PathLike[str]", None] = None,
) -> Run:
    """Simulates ``scenario`` ``runs`` times (``brink run``).

    ``runs`` and ``seed`` default to the scenario's; ``threads`` to all cores (results do not
    depend on it); ``set`` overrides scenario values by key path, as ``--set`` does
    (``{"rules.us_nuclear_red_line.threshold": 0.5}``; a ``str`` value is TOML text, e.g. a
    distribution ``"{ uniform = [0.4, 0.6] }"``). ``per_run=True`` adds the runs table (one row
    per run: memory grows with the runs), ``events=N`` the event log of runs 0..N-1. ``out``
    writes the same files as the command line into that folder.

    ``given`` keeps only the runs consistent with what happened (``--given``: a condition
    such as ``"gaza_phase_two<=2026-01-31"`` or a list of them, all to hold);
    ``target_runs=N`` then simulates until N runs are kept. ``precision=H`` simulates blocks
    of 1024 runs until every event metric's 95% half-width is at most H. Both stop at
    ``max_runs`` (default 1 000 000). The manifest's ``runs`` is then the runs kept, and its
    ``given`` / ``precision`` blocks say how many were simulated.
    """
    path, text = _source(scenario)
    given = [given] if isinstance(given, str) else list(given or [])
    call = _call("run", scenario, runs=runs, seed=seed, threads=threads, set=set,
                 per_run=per_run, events=events, given=given, target_runs=target_runs,
                 precision=precision, max_runs=max_runs)
    raw = _brink.run(path, text, _set(set), runs, seed, threads, per_run, events, given,
                     target_runs, None if precision is None else float(precision), max_runs,
                     call)
    # Too few runs kept, a budget spent: what the result can be trusted for.
    for w in raw.get("warnings", []):
        warnings.warn(w, stacklevel=2)
    files = ["summary", "timeline", "distributions", "runs", "events"]
    return _result(Run, raw, files, out)


def compare(
    base: Scenario,
    variant: Optional[Scenario] = None,
    *,
    runs: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    set: Optional[Mapping[str, Any]] = None,
    out: Union[str, "os.PathLike[str]", None] = None,
) -> Comparison:
    """Compares ``variant`` (default: ``base`` itself) with ``set`` applied against ``base`` on
    paired runs with common random numbers (``brink compare``)."""
    bpath, btext = _source(base)
    vpath, vtext = _source(variant) if variant is not None else (None, None)
    call = _call("compare", base, variant, runs=runs, seed=seed, threads=threads, set=set)
    raw = _brink.compare(bpath, btext, vpath, vtext, _set(set), runs, seed, threads, call)
    return _result(Comparison, raw, ["compare"], out, unmatched=list(raw["unmatched"]))


def _vary(vary) -> list[str]:
    """``vary`` as ``--vary`` flags: a list of "KEY=LO..HI" / "KEY=A,B,C" strings, or a dict
    of key to a (lo, hi) tuple (a range), a list of values, or the flag's text."""
    if vary is None:
        return []
    if isinstance(vary, Mapping):
        flags = []
        for k, v in vary.items():
            if isinstance(v, tuple) and len(v) == 2:
                flags.append(f"{k}={_toml_value(v[0])}..{_toml_value(v[1])}")
            elif isinstance(v, (list, tuple)):
                flags.append(f"{k}=" + ",".join(_toml_value(x) for x in v))
            else:
                flags.append(f"{k}={v}")
        return flags
    if isinstance(vary, str):
        return [vary]
    return [str(v) for v in vary]


def sweep(
    experiment: Scenario,
    *,
    vary=None,
    points: Optional[int] = None,
    design: Optional[str] = None,
    metrics: Optional[Sequence[str]] = None,
    runs: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    set: Optional[Mapping[str, Any]] = None,
    out: Union[str, "os.PathLike[str]", None] = None,
) -> Sweep:
    """Runs every point of a design (``brink sweep``): ``experiment`` is an experiment file,
    or with ``vary`` a scenario (``vary={"rules.x.threshold": (0.3, 0.6)}`` for a range, a list
    for values; ``points`` and ``design`` as ``--points`` and ``--design``)."""
    path, text = _source(experiment)
    call = _call("sweep", experiment, vary=vary, points=points, design=design,
                 metrics=metrics, runs=runs, seed=seed, threads=threads, set=set)
    raw = _brink.sweep(path, text, _vary(vary), points, design, list(metrics or []),
                       _set(set), runs, seed, threads, call)
    return _result(Sweep, raw, ["points", "sweep"], out)


def sensitivity(
    scenario: Scenario,
    *,
    method: str = "both",
    metrics: Optional[Sequence[str]] = None,
    params: Optional[Sequence[str]] = None,
    trajectories: Optional[int] = None,
    levels: Optional[int] = None,
    samples: Optional[int] = None,
    bootstrap: int = 500,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    set: Optional[Mapping[str, Any]] = None,
    out: Union[str, "os.PathLike[str]", None] = None,
) -> Sensitivity:
    """Ranks the uncertain parameters by their effect on the metrics (``brink sensitivity``):
    Morris screening, Sobol indices, or both."""
    path, text = _source(scenario)
    call = _call("sensitivity", scenario, method=method, metrics=metrics, params=params,
                 trajectories=trajectories, levels=levels, samples=samples,
                 bootstrap=bootstrap, seed=seed, threads=threads, set=set)
    raw = _brink.sensitivity(path, text, _set(set), seed, threads, method,
                             list(metrics or []), list(params or []), trajectories, levels,
                             samples, bootstrap, call)
    files = [n for n in ("morris", "sobol") if raw[n] is not None]
    return _result(Sensitivity, raw, files, out)


def validate(scenario: Scenario) -> str:
    """Checks a scenario or experiment without simulating (``brink validate``): returns what
    ``ok:`` shows (e.g. "4 actors, 6 rules, 9 metrics, 90 days"), or raises ScenarioError."""
    path, text = _source(scenario)
    return _brink.validate(path, text)


def trace(
    scenario: Scenario,
    run: Optional[int] = None,
    *,
    find: Optional[str] = None,
    count: int = 1,
    max_runs: int = 1_000_000,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    set: Optional[Mapping[str, Any]] = None,
) -> Trace:
    """Tells run ``run``'s story, or finds the first ``count`` runs in which ``find`` happened
    (an event metric, or a condition such as "war_duration_days>=30") (``brink trace``)."""
    path, text = _source(scenario)
    raw = _brink.trace(path, text, _set(set), seed, threads, run, find, count, max_runs)
    return Trace(text=raw["text"], events=_frame(raw["events"]), runs=list(raw["runs"]))


def explain(scenario: Scenario, *, markdown: bool = False) -> str:
    """The scenario as a reviewer reads it (``brink explain``), as text or markdown."""
    path, text = _source(scenario)
    return _brink.explain(path, text, markdown)


Results = Union[str, "os.PathLike[str]", Run]


def _results(results: Results) -> tuple[Optional[str], Optional[Run]]:
    """(folder, None) for a results folder, (None, run) for a ``brink.run`` result."""
    if isinstance(results, Run):
        return None, results
    if isinstance(results, (str, os.PathLike)):
        return os.fspath(results), None
    raise TypeError(
        f"results are a results folder or what brink.run returned, not {type(results).__name__}"
    )


def _flag_list(values: Union[str, Sequence[str], None]) -> list[str]:
    """A list option as its flag takes it: each value may hold several, comma-separated."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [v for value in values for v in str(value).split(",")]


def _shown(results: Results) -> Any:
    return "<brink.run result>" if isinstance(results, Run) else results


def score(
    results: Results,
    observed: Scenario,
    *,
    out: Union[str, "os.PathLike[str]", None] = None,
) -> Score:
    """Confronts a forecast with what happened (``brink score``): ``results`` is a results
    folder or a ``brink.run`` result, ``observed`` an observed file (a path or TOML text).
    Warnings about what the score means (outcomes the forecast already knew) are issued as
    Python warnings."""
    folder, run = _results(results)
    opath, otext = _source(observed)
    call = _call("score", _shown(results), observed=opath)
    raw = _brink.score(folder, run, opath, otext, call)
    for w in raw["warnings"]:
        warnings.warn(w, stacklevel=2)
    files = [n for n in ("score", "skill", "reliability") if raw[n] is not None]
    return _result(Score, raw, files, out, text=raw["text"])


def watch(
    results: Results,
    outcome: str,
    *,
    signposts: Optional[Sequence[str]] = None,
    by: Union[str, Sequence[str], None] = None,
    out: Union[str, "os.PathLike[str]", None] = None,
) -> Watch:
    """Which events, seen by a date, move ``outcome``'s probability most (``brink watch``):
    ``results`` is a ``brink run --per-run`` folder or a ``brink.run(..., per_run=True)``
    result; ``outcome`` an event metric or a quantity condition (``"war_days>=30"``);
    ``signposts`` event metrics (default: all but the outcome); ``by`` dates (default: month
    ends). A folder's runs.csv is streamed, never held; a result in memory gives what its
    written folder would (numbers taken as runs.csv writes them, six decimals)."""
    folder, run = _results(results)
    by, signposts = _flag_list(by), _flag_list(signposts)
    call = _call("watch", _shown(results), outcome=outcome, signposts=signposts, by=by)
    raw = _brink.watch(folder, run, outcome, signposts, by, call)
    return _result(Watch, raw, ["watch"], out, text=raw["text"])


def discover(
    results: Results,
    outcome: str,
    *,
    features: str = "all",
    exclude: Optional[Sequence[str]] = None,
    box: Optional[int] = None,
    significance: float = 0.05,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    threads: Optional[int] = None,
    out: Union[str, "os.PathLike[str]", None] = None,
) -> Discovery:
    """Scenario discovery with PRIM (``brink discover``): which uncertain parameters
    (``features="params"``), event timings (``"paths"``) or both (``"all"``) mark out the runs
    with ``outcome``. ``results`` as for ``watch``; the other options as the command line's.
    Only the inputs used are held, 8 bytes per run and input, as on the command line."""
    folder, run = _results(results)
    exclude = _flag_list(exclude)
    call = _call("discover", _shown(results), outcome=outcome, features=features,
                 exclude=exclude, box=box, significance=significance, peel_alpha=peel_alpha,
                 paste_alpha=paste_alpha, mass_min=mass_min, threads=threads)
    raw = _brink.discover(folder, run, outcome, features, exclude, box, float(significance),
                          float(peel_alpha), float(paste_alpha), float(mass_min), threads, call)
    return _result(Discovery, raw, ["discover"], out, text=raw["text"])
