//! `brink._brink`: the native half of the Python package. Each function mirrors a command and
//! runs the same library code the command line does (`brink::load`, `brink::study`,
//! `brink::table`, `brink::manifest`, ...); what it returns is raw: every table as typed
//! columns (`Frame`), the manifest as its JSON text. `python/brink/__init__.py` turns them
//! into DataFrames and dicts and is the API users see.
//!
//! Simulating, the GIL is released and the work runs on its own thread pool while the calling
//! thread waits, waking every 50 ms to let Python check for signals (`interruptible`): Ctrl-C
//! raises the study's stop flag, the study ends within a batch, and KeyboardInterrupt is
//! raised. This crate reads files (the library does not) and writes none.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use brink::compare::{Pairing, rows as compare_rows, run_paired};
use brink::engine::Engine;
use brink::load::{Loaded, MAX_INPUT};
use brink::manifest::{
    CompareDetail, Invocation, Manifest, RunResult, ScenarioRef, ScoreDetail, SweepDetail,
    run_manifest,
};
use brink::per_run::{Columns, CsvRows, Needs, Row, Source, as_written};
use brink::scenario::overrides::Override;
use brink::stats::Aggregate;
use brink::sweep::{self as sw, Design, Experiment};
use brink::table::{self, Cell, Column, Kind};
use pyo3::create_exception;
use pyo3::exceptions::{PyKeyboardInterrupt, PyLookupError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

create_exception!(
    _brink,
    ScenarioError,
    PyValueError,
    "A scenario or experiment that cannot be loaded; the message is the located diagnostic \
     the command line prints (file:line:column, the key path, what would be right)."
);

fn value_error(msg: String) -> PyErr {
    PyValueError::new_err(msg)
}

/// "error: {e}\n", as the command line words a refused option.
fn refused(e: impl std::fmt::Display) -> PyErr {
    value_error(format!("error: {e}\n"))
}

// ---------------------------------------------------------------------------------------------
// Reading

/// A file's text, read once under the size cap, or why it cannot be had.
fn read_text(p: &Path) -> Result<String, String> {
    let file = std::fs::File::open(p).map_err(|e| e.to_string())?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err("it is a directory".into());
    }
    let mut bytes = Vec::new();
    file.take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    brink::load::decode(bytes, MAX_INPUT)
}

/// A scenario given as a path (`text` None) or as TOML text shown as `path`.
fn source(path: &str, text: Option<String>, what: &str) -> PyResult<String> {
    match text {
        Some(t) => Ok(t),
        None => read_text(Path::new(path)).map_err(|why| {
            ScenarioError::new_err(brink::load::unreadable(what, Path::new(path), &why))
        }),
    }
}

fn load(path: &str, text: Option<String>, set: &[Override]) -> PyResult<Loaded> {
    let text = source(path, text, "scenario")?;
    brink::load::load(Path::new(path), text, set, &mut read_text).map_err(ScenarioError::new_err)
}

/// `set={"key": "value"}` (values already TOML text) as overrides, checked like `--set`.
fn overrides(set: Vec<(String, String)>) -> PyResult<Vec<Override>> {
    set.into_iter()
        .map(|(k, v)| {
            Override::parse(&format!("{k}={v}")).map_err(|e| {
                value_error(format!(
                    "error: --set {}\n",
                    brink::scenario::diag::clip_quotes(&e)
                ))
            })
        })
        .collect()
}

/// A count from Python (negative numbers arrive as None-like: refused with the same words).
fn count(n: i64, lo: u64, hi: u64, what: &str) -> PyResult<u64> {
    let n = u64::try_from(n).unwrap_or(u64::MAX);
    brink::study::whole(n, lo, hi).map_err(|e| refused(format!("{what}: {e}")))
}

fn runs_arg(n: Option<i64>) -> PyResult<Option<u64>> {
    n.map(|n| count(n, 1, brink::scenario::MAX_RUNS, "runs"))
        .transpose()
}

fn threads_arg(n: Option<i64>) -> PyResult<Option<usize>> {
    n.map(|n| {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        brink::study::threads(n).map_err(|e| refused(format!("threads: {e}")))
    })
    .transpose()
}

// ---------------------------------------------------------------------------------------------
// Tables

/// A table being filled row by row from `brink::table` cells, one typed column per CSV column.
struct Frame {
    names: Vec<String>,
    cols: Vec<Col>,
}

enum Col {
    Int(Vec<i64>),
    MaybeInt(Vec<i64>, Vec<u8>),
    Num(Vec<f64>),
    /// Real numbers the CSV file writes exactly (`table::exact`).
    Exact(Vec<f64>),
    Text(Vec<String>),
}

impl Frame {
    fn new(columns: &[Column]) -> Frame {
        Frame {
            names: columns.iter().map(|c| c.name.clone()).collect(),
            cols: columns
                .iter()
                .map(|c| match c.kind {
                    Kind::Int => Col::Int(Vec::new()),
                    Kind::MaybeInt => Col::MaybeInt(Vec::new(), Vec::new()),
                    Kind::Num => Col::Num(Vec::new()),
                    Kind::Exact => Col::Exact(Vec::new()),
                    Kind::Text => Col::Text(Vec::new()),
                })
                .collect(),
        }
    }

    /// Appends a row; never fails (the `Result` is for `brink::table`'s row callbacks).
    fn push(&mut self, cells: &[Cell]) -> Result<(), std::convert::Infallible> {
        debug_assert_eq!(cells.len(), self.cols.len());
        for (col, cell) in self.cols.iter_mut().zip(cells) {
            let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            match (col, cell) {
                (Col::Int(v), Cell::Int(n)) => v.push(int(*n)),
                (Col::MaybeInt(v, mask), Cell::Int(n)) => {
                    v.push(int(*n));
                    mask.push(0);
                }
                (Col::MaybeInt(v, mask), _) => {
                    v.push(0);
                    mask.push(1);
                }
                (Col::Num(v), Cell::Num(x)) => v.push(*x),
                (Col::Num(v), _) => v.push(f64::NAN),
                (Col::Exact(v), Cell::Exact(x) | Cell::Num(x)) => v.push(*x),
                (Col::Exact(v), _) => v.push(f64::NAN),
                (Col::Text(v), c) => v.push(c.text().into_owned()),
                (Col::Int(v), _) => v.push(0),
            }
        }
        Ok(())
    }

    /// `[(name, kind, data), ...]`: int and num columns as little-endian bytes (numpy reads
    /// them without a copy per value), maybe-int columns as (values, mask) bytes, text as a list.
    fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let out = PyList::empty(py);
        for (name, col) in self.names.into_iter().zip(self.cols) {
            let bytes = |b: Vec<u8>| PyBytes::new(py, &b).into_any();
            let (kind, data): (&str, Bound<'_, PyAny>) = match col {
                Col::Int(v) => (
                    "int",
                    bytes(v.iter().flat_map(|x| x.to_le_bytes()).collect()),
                ),
                Col::MaybeInt(v, m) => (
                    "maybe_int",
                    PyTuple::new(
                        py,
                        [
                            bytes(v.iter().flat_map(|x| x.to_le_bytes()).collect()),
                            bytes(m),
                        ],
                    )?
                    .into_any(),
                ),
                Col::Num(v) => (
                    "num",
                    bytes(v.iter().flat_map(|x| x.to_le_bytes()).collect()),
                ),
                Col::Exact(v) => (
                    "exact",
                    bytes(v.iter().flat_map(|x| x.to_le_bytes()).collect()),
                ),
                Col::Text(v) => ("text", PyList::new(py, v)?.into_any()),
            };
            out.append((name, kind, data))?;
        }
        Ok(out.into_any().unbind())
    }
}

fn frame_of<E: std::fmt::Debug>(
    columns: Vec<Column>,
    fill: impl FnOnce(&mut dyn FnMut(&[Cell]) -> Result<(), std::convert::Infallible>) -> Result<(), E>,
) -> Frame {
    let mut f = Frame::new(&columns);
    fill(&mut |cells| f.push(cells)).expect("filling a frame cannot fail");
    f
}

// ---------------------------------------------------------------------------------------------
// Running

/// How one call ran, for the manifest's `invocation` block.
struct Clock {
    call: Vec<String>,
    started: Instant,
    threads: usize,
}

impl Clock {
    fn invocation(&self) -> Invocation {
        Invocation {
            command_line: self.call.clone(),
            threads: Some(self.threads),
            elapsed_seconds: self.started.elapsed().as_secs_f64(),
            points_computed: None,
            merged_parts: None,
        }
    }
}

/// Runs `work` on a pool of `threads` workers (all cores for None or 0) with the GIL released,
/// while this thread wakes every 50 ms to let Python handle signals. A signal handler that
/// raises (Ctrl-C: KeyboardInterrupt) raises the stop flag, which ends the study within one
/// batch, and its exception is returned once the workers are done. `work` returns None only
/// when it saw the flag.
fn interruptible<R: Send>(
    py: Python<'_>,
    threads: Option<usize>,
    work: impl FnOnce(&AtomicBool) -> Option<R> + Send,
) -> PyResult<(R, usize)> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start worker threads: {e}")))?;
    let n = pool.current_num_threads();
    let stop = AtomicBool::new(false);
    let finished = (Mutex::new(false), Condvar::new());
    std::thread::scope(|s| {
        let worker = s.spawn(|| {
            // Signals the waiting thread even if the work panics.
            struct Done<'a>(&'a (Mutex<bool>, Condvar));
            impl Drop for Done<'_> {
                fn drop(&mut self) {
                    *self.0.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
                    self.0.1.notify_all();
                }
            }
            let _done = Done(&finished);
            pool.install(|| work(&stop))
        });
        let mut raised = None;
        loop {
            let done = py.detach(|| {
                let (lock, cvar) = &finished;
                let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
                let (guard, _) = cvar
                    .wait_timeout_while(guard, Duration::from_millis(50), |done| !*done)
                    .unwrap_or_else(|e| e.into_inner());
                *guard
            });
            if done {
                break;
            }
            if raised.is_none()
                && let Err(e) = py.check_signals()
            {
                stop.store(true, Ordering::Relaxed);
                raised = Some(e);
            }
        }
        let result = py.detach(|| worker.join());
        match (raised, result) {
            (Some(e), _) => Err(e),
            (None, Ok(Some(r))) => Ok((r, n)),
            (None, Ok(None)) => Err(PyKeyboardInterrupt::new_err("brink: interrupted")),
            (None, Err(_)) => Err(PyRuntimeError::new_err(
                "brink: a worker thread panicked; this is a bug, please report it",
            )),
        }
    })
}

/// What a command returns to Python: its tables by name (None for one not asked for) and the
/// manifest's JSON text under "manifest".
fn results<'py, D: serde::Serialize>(
    py: Python<'py>,
    tables: Vec<(&str, Option<Frame>)>,
    manifest: &Manifest<D>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (name, frame) in tables {
        match frame {
            Some(f) => d.set_item(name, f.into_py(py)?)?,
            None => d.set_item(name, py.None())?,
        }
    }
    let json = manifest
        .json()
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    d.set_item("manifest", json)?;
    Ok(d)
}

// ---------------------------------------------------------------------------------------------
// The commands

/// `brink run`.
#[pyfunction]
#[pyo3(signature = (path, text, set, runs, seed, threads, per_run, events, given, target_runs, precision, max_runs, call))]
#[allow(clippy::too_many_arguments)]
fn run<'py>(
    py: Python<'py>,
    path: String,
    text: Option<String>,
    set: Vec<(String, String)>,
    runs: Option<i64>,
    seed: Option<u64>,
    threads: Option<i64>,
    per_run: bool,
    events: Option<i64>,
    given: Vec<String>,
    target_runs: Option<i64>,
    precision: Option<f64>,
    max_runs: Option<i64>,
    call: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let started = Instant::now();
    let (runs_given, threads) = (runs_arg(runs)?, threads_arg(threads)?);
    let events = events
        .map(|n| count(n, 1, brink::scenario::MAX_RUNS, "events"))
        .transpose()?;
    let until = Until::checked(
        &given,
        runs_given,
        target_runs,
        precision,
        max_runs,
        events.is_some(),
    )?;
    let set = overrides(set)?;
    let loaded = load(&path, text, &set)?;
    let sc = &loaded.scenario;
    if let Some(u) = until {
        return run_until(
            py, &loaded, &set, seed, threads, per_run, &given, u, started, call,
        );
    }
    let runs = runs_given;
    let runs = runs.unwrap_or(sc.default_runs);
    let seed = seed.unwrap_or(sc.default_seed);
    if let Some(n) = events
        && n > runs
    {
        return Err(refused(format!(
            "events={n} asks for more runs than runs={runs}"
        )));
    }
    let engine = Engine::new(sc, seed);
    let ((total, per_run_rows, event_rows), n) = interruptible(py, threads, |stop| {
        let mut total = Aggregate::new(sc);
        let mut rows = per_run.then(|| Frame::new(&table::runs_columns(sc)));
        let complete = brink::study::runs(&engine, 0..runs, per_run, stop, |chunk| {
            total.merge(&chunk.aggregate);
            if let (Some(r), Some(f)) = (&chunk.rows, rows.as_mut()) {
                table::runs(sc, r, |cells| f.push(cells))?;
            }
            Ok::<(), std::convert::Infallible>(())
        });
        if !matches!(complete, Ok(true)) {
            return None;
        }
        let mut log = None;
        if let Some(n) = events {
            let mut f = Frame::new(&table::events_columns());
            let mut ws = engine.workspace();
            let done = brink::study::each(0..n, stop, |run| {
                let t = brink::trace::trace_in(&engine, &mut ws, run);
                let _ = table::events(sc, &t, |cells| f.push(cells));
            });
            if !done {
                return None;
            }
            log = Some(f);
        }
        Some((total, rows, log))
    })?;
    let clock = Clock {
        call,
        started,
        threads: n,
    };
    let manifest = run_manifest(&loaded, seed, runs, &set, clock.invocation());
    let summary = frame_of(table::summary_columns(), |f| table::summary(sc, &total, f));
    let timeline = frame_of(table::timeline_columns(), |f| {
        table::timeline(sc, &total, f)
    });
    let distributions = frame_of(table::distributions_columns(), |f| {
        table::distributions(sc, &total, f)
    });
    results(
        py,
        vec![
            ("summary", Some(summary)),
            ("timeline", Some(timeline)),
            ("distributions", Some(distributions)),
            ("runs", per_run_rows),
            ("events", event_rows),
        ],
        &manifest,
    )
}

/// The options of `run` that decide which runs are kept and when to stop (`brink::until`).
struct Until {
    runs: Option<u64>,
    target_runs: Option<u64>,
    precision: Option<f64>,
    max_runs: Option<u64>,
}

impl Until {
    /// `None` for a plain run; refuses the combinations the command line's flags refuse.
    fn checked(
        given: &[String],
        runs: Option<u64>,
        target_runs: Option<i64>,
        precision: Option<f64>,
        max_runs: Option<i64>,
        events: bool,
    ) -> PyResult<Option<Until>> {
        let whole = |n: i64, what: &str| count(n, 1, brink::scenario::MAX_RUNS, what);
        let target_runs = target_runs.map(|n| whole(n, "target_runs")).transpose()?;
        let max_runs = max_runs.map(|n| whole(n, "max_runs")).transpose()?;
        let precision = precision
            .map(|h| brink::until::half_width(h).map_err(|e| refused(format!("precision: {e}"))))
            .transpose()?;
        if target_runs.is_some() && given.is_empty() {
            return Err(refused(
                "target_runs goes with given: it is the number of runs satisfying the conditions \
                 to keep",
            ));
        }
        if runs.is_some() && (target_runs.is_some() || precision.is_some()) {
            return Err(refused(
                "runs goes with neither target_runs nor precision, which decide how many runs \
                 to simulate",
            ));
        }
        if given.is_empty() && precision.is_none() {
            if max_runs.is_some() {
                return Err(value_error(
                    "error: --max-runs goes with --target-runs or --precision, which decide when \
                     to stop; a plain run simulates --runs\n"
                        .into(),
                ));
            }
            return Ok(None);
        }
        if events {
            return Err(value_error(
                "error: --events is not written with --given or --precision: the event log is \
                 of runs 0 … N−1 of a plain run\n  = help: write it with a plain `brink run \
                 --events N` or with `brink trace --csv`\n"
                    .into(),
            ));
        }
        Ok(Some(Until {
            runs,
            target_runs,
            precision,
            max_runs,
        }))
    }
}

/// `brink run --given` / `--target-runs` / `--precision` (`brink::until`).
#[allow(clippy::too_many_arguments)]
fn run_until<'py>(
    py: Python<'py>,
    loaded: &Loaded,
    set: &[Override],
    seed: Option<u64>,
    threads: Option<usize>,
    per_run: bool,
    given: &[String],
    u: Until,
    started: Instant,
    call: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    use brink::until::{Failed, Options, Plan};
    let sc = &loaded.scenario;
    let seed = seed.unwrap_or(sc.default_seed);
    let plan = Plan::new(
        sc,
        &Options {
            given,
            runs: u.runs,
            target_runs: u.target_runs,
            precision: u.precision,
            max_runs: u.max_runs,
        },
    )
    .map_err(value_error)?;
    let engine = Engine::new(sc, seed);
    let (found, n) = interruptible(py, threads, |stop| {
        let mut rows = per_run.then(|| Frame::new(&table::runs_columns(sc)));
        let found = brink::until::study(
            &engine,
            &plan,
            per_run,
            stop,
            |r| match rows.as_mut() {
                Some(f) => table::runs(sc, r, |cells| f.push(cells)),
                None => Ok(()),
            },
            |_| {},
        );
        match found {
            Ok(f) => Some(Ok((f, rows))),
            Err(Failed::Stopped { .. }) => None,
            Err(Failed::NoneKept(msg)) => Some(Err(msg)),
            Err(Failed::Sink(never)) => match never {},
        }
    })?;
    let (found, rows) = found.map_err(PyLookupError::new_err)?;
    let clock = Clock {
        call,
        started,
        threads: n,
    };
    let total = &found.total;
    let mut manifest = run_manifest(loaded, seed, found.kept, set, clock.invocation());
    manifest.detail.given = found.given_detail(sc, &plan);
    manifest.detail.precision = found.precision_detail(sc, &plan);
    let summary = frame_of(table::summary_columns(), |f| table::summary(sc, total, f));
    let timeline = frame_of(table::timeline_columns(), |f| table::timeline(sc, total, f));
    let distributions = frame_of(table::distributions_columns(), |f| {
        table::distributions(sc, total, f)
    });
    let d = results(
        py,
        vec![
            ("summary", Some(summary)),
            ("timeline", Some(timeline)),
            ("distributions", Some(distributions)),
            ("runs", rows),
            ("events", None),
        ],
        &manifest,
    )?;
    d.set_item("warnings", found.warnings(&plan))?;
    Ok(d)
}

/// `brink compare`.
#[pyfunction]
#[pyo3(signature = (base, base_text, variant, variant_text, set, runs, seed, threads, call))]
#[allow(clippy::too_many_arguments)]
fn compare<'py>(
    py: Python<'py>,
    base: String,
    base_text: Option<String>,
    variant: Option<String>,
    variant_text: Option<String>,
    set: Vec<(String, String)>,
    runs: Option<i64>,
    seed: Option<u64>,
    threads: Option<i64>,
    call: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let started = Instant::now();
    let (runs, threads) = (runs_arg(runs)?, threads_arg(threads)?);
    let set = overrides(set)?;
    if variant.is_none() && set.is_empty() {
        return Err(value_error(brink::compare::NOTHING_TO_COMPARE.into()));
    }
    let base_loaded = load(&base, base_text.clone(), &[])?;
    let variant_loaded = match variant {
        Some(v) => load(&v, variant_text, &set)?,
        None => load(&base, base_text, &set)?,
    };
    let (sb, sv) = (&base_loaded.scenario, &variant_loaded.scenario);
    let runs = runs.unwrap_or(sb.default_runs);
    let seed = seed.unwrap_or(sb.default_seed);
    let pairing = Pairing::checked(sb, sv).map_err(value_error)?;
    let (eb, ev) = (Engine::new(sb, seed), Engine::new(sv, seed));
    let (paired, n) = interruptible(py, threads, |stop| {
        run_paired(&eb, &ev, &pairing, 0..runs, stop, |_| {
            Ok::<(), std::convert::Infallible>(())
        })
        .ok()
        .flatten()
    })?;
    let clock = Clock {
        call,
        started,
        threads: n,
    };
    let compared = compare_rows(&pairing, &paired);
    let frame = frame_of(table::compare_columns(), |f| table::compare(&compared, f));
    let manifest = Manifest::new(
        "compare",
        ScenarioRef::of(&base_loaded),
        seed,
        runs,
        CompareDetail::of(&variant_loaded, &set),
        clock.invocation(),
    );
    let d = results(py, vec![("compare", Some(frame))], &manifest)?;
    d.set_item("unmatched", PyList::new(py, &pairing.unmatched)?)?;
    Ok(d)
}

/// Where a sweep comes from: an experiment file (or text), or a scenario with `vary`.
#[allow(clippy::too_many_arguments)]
fn sweep_study(
    path: &str,
    text: Option<String>,
    vary: Vec<String>,
    points: Option<i64>,
    design: Option<String>,
    set: &[Override],
    metrics: &[String],
    runs: Option<u64>,
    seed: Option<u64>,
) -> PyResult<(sw::Study, Option<String>)> {
    let shown = Path::new(path);
    let (experiment, experiment_path, scenario_path, base_text) = if vary.is_empty() {
        if points.is_some() || design.is_some() {
            return Err(refused(
                "points and design go with vary; an experiment file sets its own design and \
                 points",
            ));
        }
        let text = source(path, text, "experiment")?;
        let e = sw::parse(&text, path).map_err(|e| ScenarioError::new_err(e.render()))?;
        let base = brink::load::relative_to(shown, &e.scenario);
        let itself = same_file(&base, shown);
        let base_text = if itself {
            text
        } else {
            read_text(&base).map_err(|why| {
                ScenarioError::new_err(brink::load::unreadable("scenario", &base, &why))
            })?
        };
        if itself || sw::is_experiment(&base_text) {
            return Err(ScenarioError::new_err(sw::not_a_scenario(
                &e.scenario,
                &base.display().to_string(),
                itself,
                path,
            )));
        }
        (e, Some(path.to_string()), base, base_text)
    } else {
        let design = match design.as_deref() {
            None | Some("grid") => Design::Grid,
            Some("lhs") => Design::Lhs,
            Some("list") => Design::List,
            Some(other) => {
                return Err(refused(format!(
                    "unknown design `{}`\n  = help: grid, lhs or list",
                    brink::scenario::diag::clip(other, 80)
                )));
            }
        };
        let points = match points {
            Some(n) => u64::try_from(n)
                .map_err(|_| refused("points: expected a whole number of points"))?,
            None => 5,
        };
        let vary = vary
            .iter()
            .map(|v| {
                sw::parse_vary(v).map_err(|e| {
                    refused(format!("--vary {}", brink::scenario::diag::clip_quotes(&e)))
                })
            })
            .collect::<PyResult<Vec<_>>>()?;
        let e = Experiment::new(path.to_string(), design, Some(points), vary);
        let text = source(path, text, "scenario")?;
        if sw::is_experiment(&text) {
            return Err(ScenarioError::new_err(sw::vary_needs_a_scenario(path)));
        }
        (e, None, PathBuf::from(path), text)
    };
    let study = sw::study(
        experiment,
        &scenario_path,
        base_text,
        set,
        metrics,
        runs,
        seed,
        &mut read_text,
    )
    .map_err(ScenarioError::new_err)?;
    Ok((study, experiment_path))
}

/// Whether two paths name the same file (an experiment whose `scenario` is itself).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// `brink sweep`.
#[pyfunction]
#[pyo3(signature = (path, text, vary, points, design, metrics, set, runs, seed, threads, call))]
#[allow(clippy::too_many_arguments)]
fn sweep<'py>(
    py: Python<'py>,
    path: String,
    text: Option<String>,
    vary: Vec<String>,
    points: Option<i64>,
    design: Option<String>,
    metrics: Vec<String>,
    set: Vec<(String, String)>,
    runs: Option<i64>,
    seed: Option<u64>,
    threads: Option<i64>,
    call: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let started = Instant::now();
    let (runs, threads) = (runs_arg(runs)?, threads_arg(threads)?);
    let set = overrides(set)?;
    let (s, experiment_path) = sweep_study(
        &path, text, vary, points, design, &set, &metrics, runs, seed,
    )?;
    let n_points = s.points.len();
    n_points.checked_mul(s.runs).ok_or_else(|| {
        refused(format!(
            "{n_points} points x {} runs is more runs than brink can count",
            s.runs
        ))
    })?;
    let ((frame, failed), n) = interruptible(py, threads, |stop| {
        let mut f = Frame::new(&table::sweep_columns());
        for i in 0..n_points {
            // Each point's scenario is parsed when its turn comes, as the command line does.
            let sc = match s.scenario_at(i) {
                Ok(sc) => sc,
                Err(e) => return Some((f, Some(e))),
            };
            let engine = Engine::new(&sc, s.seed);
            let agg = brink::study::aggregate(&engine, 0..s.runs, stop)?;
            let rows = brink::summary::summary(&sc, &agg);
            let _ = table::sweep_point(i, &rows, &s.metrics, |c| f.push(c));
        }
        Some((f, None))
    })?;
    if let Some(e) = failed {
        return Err(ScenarioError::new_err(e));
    }
    let points = frame_of(table::points_columns(), |f| table::points(&s.points, f));
    let clock = Clock {
        call,
        started,
        threads: n,
    };
    let detail = SweepDetail {
        experiment: &s.experiment,
        experiment_path,
        points: n_points,
        metrics: &s.metrics,
    };
    let mut invocation = clock.invocation();
    invocation.points_computed = Some(n_points);
    let manifest = Manifest::new(
        "sweep",
        s.scenario_ref(),
        s.seed,
        s.runs,
        detail,
        invocation,
    )
    .overrides(&s.base);
    results(
        py,
        vec![("points", Some(points)), ("sweep", Some(frame))],
        &manifest,
    )
}

/// `brink sensitivity`.
#[pyfunction]
#[pyo3(signature = (path, text, set, seed, threads, method, metrics, params, trajectories, levels, samples, bootstrap, call))]
#[allow(clippy::too_many_arguments)]
fn sensitivity<'py>(
    py: Python<'py>,
    path: String,
    text: Option<String>,
    set: Vec<(String, String)>,
    seed: Option<u64>,
    threads: Option<i64>,
    method: String,
    metrics: Vec<String>,
    params: Vec<String>,
    trajectories: Option<i64>,
    levels: Option<i64>,
    samples: Option<i64>,
    bootstrap: i64,
    call: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    use brink::sensitivity as sa;
    let started = Instant::now();
    let threads = threads_arg(threads)?;
    let whole = |n: i64| u64::try_from(n).unwrap_or(u64::MAX);
    let options = sa::Options {
        method: method.clone(),
        metrics,
        params,
        trajectories: trajectories.map(whole),
        levels: levels.map(whole),
        samples: samples.map(whole),
        bootstrap: whole(bootstrap),
    };
    let set = overrides(set)?;
    let loaded = load(&path, text, &set)?;
    let sc = &loaded.scenario;
    let seed = seed.unwrap_or(sc.default_seed);
    let plan = sa::Plan::new(sc, &options).map_err(refused)?;
    let engine = Engine::new(sc, seed);
    let (idx, outs) = (plan.factor_indices(), plan.output_list());
    let ((morris, sobol), n) = interruptible(py, threads, |stop| {
        let mut morris = None;
        if plan.morris {
            let (design, points) = plan.morris_points(seed);
            let y = sa::evaluate(&engine, &idx, &outs, &points, stop, |_| {})?;
            let mut f = Frame::new(&table::morris_columns());
            let _ = plan.morris_rows(&design, &y, seed, || {}, |c| f.push(c));
            morris = Some(f);
        }
        let mut sobol = None;
        if plan.sobol {
            let points = plan.sobol_points(seed);
            let y = sa::evaluate(&engine, &idx, &outs, &points, stop, |_| {})?;
            let mut f = Frame::new(&table::sobol_columns());
            let _ = plan.sobol_rows(&y, seed, || {}, |c| f.push(c));
            sobol = Some(f);
        }
        Some((morris, sobol))
    })?;
    let clock = Clock {
        call,
        started,
        threads: n,
    };
    let manifest = Manifest::new(
        "sensitivity",
        ScenarioRef::of(&loaded),
        seed,
        plan.total,
        plan.detail(&method),
        clock.invocation(),
    )
    .overrides(&set);
    results(py, vec![("morris", morris), ("sobol", sobol)], &manifest)
}

/// `brink validate` of one file: the line `ok:` shows after the file's name.
#[pyfunction]
#[pyo3(signature = (path, text))]
fn validate(path: String, text: Option<String>) -> PyResult<String> {
    let text = source(&path, text, "scenario")?;
    if sw::is_experiment(&text) {
        let (s, _) = sweep_study(
            &path,
            Some(text),
            Vec::new(),
            None,
            None,
            &[],
            &[],
            None,
            None,
        )?;
        return Ok(s.outline());
    }
    Ok(brink::load::outline(
        &load(&path, Some(text), &[])?.scenario,
    ))
}

/// `brink trace`: one run (`run`) or the first `count` runs with `find`.
#[pyfunction]
#[pyo3(signature = (path, text, set, seed, threads, run, find, count, max_runs))]
#[allow(clippy::too_many_arguments)]
fn trace<'py>(
    py: Python<'py>,
    path: String,
    text: Option<String>,
    set: Vec<(String, String)>,
    seed: Option<u64>,
    threads: Option<i64>,
    run: Option<u64>,
    find: Option<String>,
    count: i64,
    max_runs: i64,
) -> PyResult<Bound<'py, PyDict>> {
    let threads = threads_arg(threads)?;
    let count = self::count(count, 1, 1_000_000, "count")?;
    let max = self::count(max_runs, 1, brink::scenario::MAX_RUNS, "max_runs")?;
    match (&find, run) {
        (None, None) | (Some(_), Some(_)) => {
            return Err(refused(
                "give one of run= (a run index) or find= (a metric)",
            ));
        }
        (None, Some(_)) if threads.is_some() => {
            return Err(refused(
                "threads goes with find: one traced run takes one thread",
            ));
        }
        _ => {}
    }
    let set = overrides(set)?;
    let loaded = load(&path, text, &set)?;
    let sc = &loaded.scenario;
    let seed = seed.unwrap_or(sc.default_seed);
    let engine = Engine::new(sc, seed);
    let (runs, header) = match &find {
        None => (vec![run.expect("checked above")], String::new()),
        Some(metric) => {
            let finding = brink::trace::Finding::parse(sc, metric)
                .map_err(|e| refused(brink::scenario::diag::clip_quotes(&e)))?;
            let (found, _) = interruptible(py, threads, |stop| {
                brink::trace::search(&engine, &finding, count, max, stop)
            })?;
            if found.is_empty() {
                return Err(PyLookupError::new_err(format!(
                    "no run among the first {max} (runs 0 to {}, seed {seed}) has `{metric}`: it \
                     is rarer than that or cannot happen in this scenario. Raise max_runs, or \
                     check its probability with brink.run",
                    max - 1
                )));
            }
            let header = brink::trace::found_header(metric, &found, count, max, seed);
            (found, header)
        }
    };
    let mut ws = engine.workspace();
    let traces: Vec<_> = runs
        .iter()
        .map(|&r| brink::trace::trace_in(&engine, &mut ws, r))
        .collect();
    let mut events = Frame::new(&table::events_columns());
    for t in &traces {
        let _ = table::events(sc, t, |c| events.push(c));
    }
    let story = brink::trace::stories(sc, &header, &traces);
    let d = PyDict::new(py);
    d.set_item("events", events.into_py(py)?)?;
    d.set_item("text", story)?;
    d.set_item("runs", runs)?;
    Ok(d)
}

/// `brink explain`: the text, or the markdown of `--markdown`.
#[pyfunction]
#[pyo3(signature = (path, text, markdown))]
fn explain(path: String, text: Option<String>, markdown: bool) -> PyResult<String> {
    let l = load(&path, text, &[])?;
    let e = brink::explain::explain(&l.scenario, &l.text);
    Ok(if markdown {
        brink::explain::render_markdown(&e)
    } else {
        brink::explain::render_text(&e)
    })
}

// ---------------------------------------------------------------------------------------------
// The readers of a run's result: score, watch, discover

/// The run result a reader is given: a results folder (as the command line takes it) or a
/// `brink.run` result held in Python (its manifest's text, and its tables on demand).
enum Results<'py> {
    Folder(PathBuf),
    Memory {
        manifest: String,
        /// The Python `Run` object: `_column(table, name)` gives a column's values.
        run: Bound<'py, PyAny>,
    },
}

/// What the manifest's `results` says of a run result held in memory.
const IN_MEMORY: &str = "<brink.run result>";

impl<'py> Results<'py> {
    fn of(folder: Option<String>, run: Option<Bound<'py, PyAny>>) -> PyResult<Results<'py>> {
        match (folder, run) {
            (Some(f), _) => Ok(Results::Folder(resolve(Path::new(&f))?)),
            (None, Some(run)) => {
                let manifest: String = run.getattr("_manifest_text")?.extract()?;
                Ok(Results::Memory { manifest, run })
            }
            (None, None) => Err(refused("give a results folder or a brink.run result")),
        }
    }

    /// The result as the manifest's `results` names it.
    fn shown(&self) -> String {
        match self {
            Results::Folder(d) => d.display().to_string(),
            Results::Memory { .. } => IN_MEMORY.into(),
        }
    }

    /// The run's manifest; `command` names the reader in messages.
    fn manifest(&self, command: &str) -> PyResult<RunResult> {
        let (text, dir, path) = match self {
            Results::Folder(d) => {
                let path = d.join("manifest.json");
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    value_error(format!(
                        "error: cannot read `{}`: {e}\n  = help: give the folder of a `brink \
                         run` result (or a scenario's folder of runs, for its latest)\n",
                        path.display()
                    ))
                })?;
                (text, d.display().to_string(), path.display().to_string())
            }
            Results::Memory { manifest, .. } => {
                (manifest.clone(), IN_MEMORY.into(), IN_MEMORY.into())
            }
        };
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            value_error(format!(
                "error: {path}:{}:{}: not valid JSON: {e}",
                e.line(),
                e.column()
            ))
        })?;
        RunResult::from_value(value, &dir, &path, command).map_err(value_error)
    }

    /// A column of one of the run's tables (`Memory` only): its kind ("i" whole numbers, -1
    /// for missing; "f" reals) and little-endian bytes.
    fn column(&self, table: &str, name: &str) -> PyResult<(String, Vec<u8>)> {
        match self {
            Results::Memory { run, .. } => run.call_method1("_column", (table, name))?.extract(),
            Results::Folder(_) => unreachable!("a folder's tables are read from its files"),
        }
    }

    /// The columns of the per-run table, and how to have the rows a reader needs (in memory,
    /// or streamed from runs.csv): the options are checked against the columns before any row
    /// is read.
    fn runs(&self, m: &RunResult, command: &str) -> PyResult<(Columns, Opener<'_>)> {
        match self {
            Results::Folder(d) => {
                let path = d.join("runs.csv");
                let file = std::fs::File::open(&path).map_err(|e| {
                    value_error(format!(
                        "error: cannot read `{}`: {e}\n  = help: `brink {command}` needs each \
                         run's outcomes: run the scenario with `brink run --per-run`\n",
                        path.display()
                    ))
                })?;
                let rows = CsvRows::new(
                    std::io::BufReader::new(file),
                    &path.display().to_string(),
                    &m.uncertain(),
                )
                .map_err(value_error)?;
                let columns = rows.columns().clone();
                let open: Opener<'_> =
                    Box::new(move |_: &Needs| Ok(Box::new(rows) as Box<dyn Source + Send>));
                Ok((columns, open))
            }
            Results::Memory { run, .. } => {
                let names: Option<Vec<String>> = run.call_method0("_runs_columns")?.extract()?;
                let Some(names) = names else {
                    return Err(value_error(format!(
                        "error: the run result has no runs table\n  = help: `brink.{command}` \
                         needs each run's outcomes: run the scenario with per_run=True\n"
                    )));
                };
                let columns = Columns::from_header(&names, &m.uncertain())
                    .map_err(|e| value_error(format!("error: the runs table: {e}\n")))?;
                let mine = columns.clone();
                let open: Opener<'_> = Box::new(move |needs: &Needs| {
                    MemoryRows::new(self, mine, needs)
                        .map(|r| Box::new(r) as Box<dyn Source + Send>)
                });
                Ok((columns, open))
            }
        }
    }
}

/// Gives the rows of a per-run table that a reader needs.
type Opener<'a> = Box<dyn FnOnce(&Needs) -> PyResult<Box<dyn Source + Send>> + 'a>;

/// Where the command line reads a folder of results: the folder, or its `latest` when it
/// holds no manifest but that does (a scenario's folder of runs); a `latest` link that names
/// anything but a folder beside it is refused.
fn resolve(dir: &Path) -> PyResult<PathBuf> {
    let latest = dir.join("latest");
    if dir.join("manifest.json").is_file() || !latest.join("manifest.json").is_file() {
        return Ok(dir.to_path_buf());
    }
    if let Ok(to) = std::fs::read_link(&latest)
        && !brink::load::is_plain_name(&to.to_string_lossy())
    {
        return Err(value_error(brink::manifest::outside_link(
            &latest.display().to_string(),
            &to.display().to_string(),
        )));
    }
    Ok(latest)
}

/// The per-run rows of a `brink.run` result, from the columns of its runs DataFrame that a
/// reader needs (the others are never copied), numbers as runs.csv writes them.
struct MemoryRows {
    columns: Columns,
    len: usize,
    at: usize,
    /// By event: first days (u32::MAX: never), for the events needed.
    first: Vec<Option<Vec<u32>>>,
    values: Vec<Option<Vec<f64>>>,
    params: Vec<Option<Vec<f64>>>,
}

impl MemoryRows {
    fn new(r: &Results<'_>, columns: Columns, needs: &Needs) -> PyResult<MemoryRows> {
        let mut len = None;
        let mut fetch = |name: &str| -> PyResult<Vec<f64>> {
            let (kind, bytes) = r.column("runs", name)?;
            let v: Vec<f64> = match kind.as_str() {
                "i" => bytes
                    .chunks_exact(8)
                    .map(|b| {
                        let x = i64::from_le_bytes(b.try_into().expect("8 bytes"));
                        if x < 0 { f64::NAN } else { x as f64 }
                    })
                    .collect(),
                _ => bytes
                    .chunks_exact(8)
                    .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
                    .collect(),
            };
            len = Some(v.len());
            Ok(v)
        };
        let mut first = vec![None; columns.events.len()];
        for &e in &needs.events {
            let v = fetch(&format!("{}_first_day", columns.events[e].0))?;
            first[e] = Some(
                v.into_iter()
                    .map(|x| if x.is_nan() { u32::MAX } else { x as u32 })
                    .collect(),
            );
        }
        let mut values = vec![None; columns.quantities.len()];
        for &q in &needs.quantities {
            values[q] = Some(fetch(&columns.quantities[q].0)?);
        }
        let mut params = vec![None; columns.params.len()];
        for &p in &needs.params {
            params[p] = Some(fetch(&columns.params[p].0)?);
        }
        let len = match len {
            Some(n) => n,
            None => r.column("runs", "run")?.1.len() / 8,
        };
        Ok(MemoryRows {
            columns,
            len,
            at: 0,
            first,
            values,
            params,
        })
    }
}

impl Source for MemoryRows {
    fn columns(&self) -> &Columns {
        &self.columns
    }

    fn next(&mut self, row: &mut Row) -> Result<bool, String> {
        let i = self.at;
        if i >= self.len {
            return Ok(false);
        }
        self.at += 1;
        for (slot, col) in row.first.iter_mut().zip(&self.first) {
            if let Some(c) = col {
                *slot = (c[i] != u32::MAX).then_some(c[i]);
            }
        }
        for (slot, col) in row.values.iter_mut().zip(&self.values) {
            if let Some(c) = col {
                *slot = as_written(c[i]);
            }
        }
        // Parameters are written exactly (`table::exact`): the file reads back as they are.
        for (slot, col) in row.params.iter_mut().zip(&self.params) {
            if let Some(c) = col {
                *slot = c[i];
            }
        }
        Ok(true)
    }
}

/// A reader's result: its tables, its printed text and its manifest.
fn reader_results<'py, D: serde::Serialize>(
    py: Python<'py>,
    tables: Vec<(&str, Option<Frame>)>,
    text: String,
    manifest: &Manifest<D>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = results(py, tables, manifest)?;
    d.set_item("text", text)?;
    Ok(d)
}

/// `brink watch`.
#[pyfunction]
#[pyo3(signature = (folder, run, outcome, signposts, by, call))]
fn watch<'py>(
    py: Python<'py>,
    folder: Option<String>,
    run: Option<Bound<'py, PyAny>>,
    outcome: String,
    signposts: Vec<String>,
    by: Vec<String>,
    call: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let started = Instant::now();
    let r = Results::of(folder, run)?;
    let m = r.manifest("watch")?;
    let (probe, open) = r.runs(&m, "watch")?;
    let w = brink::watch::Watch::new(
        &probe,
        &brink::watch::Options {
            outcome: &outcome,
            signposts: &signposts,
            by: &by,
        },
        m.start(),
        m.last(),
    )
    .map_err(value_error)?;
    let mut rows = open(&w.needs())?;
    let (tally, _) = interruptible(py, Some(1), |stop| match w.tally(rows.as_mut(), stop) {
        Ok(Ok(t)) => Some(Ok(t)),
        Ok(Err(_)) => None,
        Err(e) => Some(Err(e)),
    })?;
    let tally = tally.map_err(value_error)?;
    if tally.n == 0 {
        return Err(value_error(format!(
            "error: `{}` holds no runs\n",
            r.runs_shown()
        )));
    }
    let table_rows = w.rows(&tally);
    let frame = frame_of(table::watch_columns(), |f| table::watch(&w, &table_rows, f));
    let clock = Clock {
        call,
        started,
        threads: 1,
    };
    let manifest = Manifest::new(
        "watch",
        m.scenario.clone(),
        m.seed,
        tally.n,
        w.detail(r.shown()),
        clock.invocation(),
    );
    reader_results(
        py,
        vec![("watch", Some(frame))],
        w.text(&tally, &table_rows),
        &manifest,
    )
}

impl Results<'_> {
    /// The runs table as messages name it.
    fn runs_shown(&self) -> String {
        match self {
            Results::Folder(d) => d.join("runs.csv").display().to_string(),
            Results::Memory { .. } => format!("{IN_MEMORY} runs table"),
        }
    }
}

/// `brink discover`.
#[pyfunction]
#[pyo3(signature = (folder, run, outcome, features, exclude, chosen_box, significance, peel_alpha, paste_alpha, mass_min, threads, call))]
#[allow(clippy::too_many_arguments)]
fn discover<'py>(
    py: Python<'py>,
    folder: Option<String>,
    run: Option<Bound<'py, PyAny>>,
    outcome: String,
    features: String,
    exclude: Vec<String>,
    chosen_box: Option<i64>,
    significance: f64,
    peel_alpha: f64,
    paste_alpha: f64,
    mass_min: f64,
    threads: Option<i64>,
    call: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    use brink::discover::{Discover, Features, Options, unit_open};
    let started = Instant::now();
    let threads = threads_arg(threads)?;
    let unit = |x: f64, what: &str| unit_open(x).map_err(|e| refused(format!("{what}: {e}")));
    let options = Options {
        outcome: &outcome,
        features: Features::parse(&features).map_err(value_error)?,
        exclude: &exclude,
        chosen_box: chosen_box
            .map(|b| {
                usize::try_from(b).map_err(|_| refused("box: expected a box number (0 or more)"))
            })
            .transpose()?,
        significance: unit(significance, "significance")?,
        prim: brink::prim::Options {
            peel_alpha: unit(peel_alpha, "peel_alpha")?,
            paste_alpha: unit(paste_alpha, "paste_alpha")?,
            mass_min: unit(mass_min, "mass_min")?,
        },
    };
    let r = Results::of(folder, run)?;
    let m = r.manifest("discover")?;
    let (probe, open) = r.runs(&m, "discover")?;
    let d = Discover::new(&probe, &options).map_err(value_error)?;
    let mut rows = open(&d.needs())?;
    let (found, n) = interruptible(py, threads, |stop| {
        let data = match d.read(rows.as_mut(), m.horizon(), m.runs, stop) {
            Ok(Ok(data)) => data,
            Ok(Err(_)) => return None,
            Err(e) => return Some(Err(e)),
        };
        if let Err(e) = d.check(&data) {
            return Some(Err(e));
        }
        match d.run(&data, m.start(), m.horizon(), stop) {
            Ok(Some(f)) => Some(Ok((f, data.n, data.data.names))),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    })?;
    let (found, runs, names) = found.map_err(value_error)?;
    let frame = frame_of(table::discover_columns(), |f| {
        brink::table::discover(&d, &found, f)
    });
    let clock = Clock {
        call,
        started,
        threads: n,
    };
    let manifest = Manifest::new(
        "discover",
        m.scenario.clone(),
        m.seed,
        runs,
        d.detail(r.shown(), &found),
        clock.invocation(),
    );
    reader_results(
        py,
        vec![("discover", Some(frame))],
        found.text(&names),
        &manifest,
    )
}

/// The rows of distributions.csv: metric, value, count.
type DistRows = Vec<(String, f64, u64)>;

/// `brink score`: `observed` is a path, or TOML text shown as `observed_path`.
#[pyfunction]
#[pyo3(signature = (folder, run, observed_path, observed_text, call))]
fn score<'py>(
    py: Python<'py>,
    folder: Option<String>,
    run: Option<Bound<'py, PyAny>>,
    observed_path: String,
    observed_text: Option<String>,
    call: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let started = Instant::now();
    let r = Results::of(folder, run)?;
    let m = r.manifest("score")?;
    // The metric names of summary.csv and the rows of distributions.csv.
    let (names, dist): (Vec<(String, String)>, DistRows) = match &r {
        Results::Folder(d) => (
            read_csv(&d.join("summary.csv"), &["metric", "kind"], |c| {
                Ok((c[0].to_string(), c[1].to_string()))
            })?,
            read_csv(
                &d.join("distributions.csv"),
                &["metric", "value", "count"],
                |c| {
                    let number = |s: &str| s.trim().parse::<f64>().map_err(|_| s.to_string());
                    Ok((c[0].to_string(), number(c[1])?, number(c[2])? as u64))
                },
            )?,
        ),
        Results::Memory { run, .. } => {
            let summary: Vec<(String, String)> = run.call_method0("_score_names")?.extract()?;
            let metrics: Vec<String> = run.call_method0("_distribution_metrics")?.extract()?;
            let values = r.column("distributions", "value")?.1;
            let counts = r.column("distributions", "count")?.1;
            let dist = metrics
                .into_iter()
                .zip(values.chunks_exact(8).zip(counts.chunks_exact(8)))
                .map(|(metric, (v, c))| {
                    let v = f64::from_le_bytes(v.try_into().expect("8 bytes"));
                    let c = i64::from_le_bytes(c.try_into().expect("8 bytes"));
                    (metric, as_written(v).unwrap_or(f64::NAN), c.max(0) as u64)
                })
                .collect();
            (summary, dist)
        }
    };
    let cx = brink::score::context(&m, &names);
    let text = source(&observed_path, observed_text, "observed file")?;
    let obs = brink::score::parse_observed(&text, &observed_path, &cx)
        .map_err(|e| ScenarioError::new_err(e.render()))?;
    let scored = brink::score::score(
        &m,
        &obs,
        &text,
        &observed_path,
        dist.iter().map(|(a, b, c)| (a.as_str(), *b, *c)),
    );
    let score = frame_of(table::score_columns(), |f| {
        table::score(&m, &obs, &scored, f)
    });
    let skill = frame_of(table::skill_columns(), |f| table::skill(&scored.skills, f));
    let reliability = scored.reliability.as_ref().map(|bins| {
        frame_of(table::reliability_columns(), |f| {
            table::reliability(bins, f)
        })
    });
    let clock = Clock {
        call,
        started,
        threads: 1,
    };
    let manifest = Manifest::new(
        "score",
        m.scenario.clone(),
        m.seed,
        m.runs,
        ScoreDetail::of(r.shown(), &observed_path, &text, &scored),
        clock.invocation(),
    );
    let summary = brink::score::summary_text(&m, &observed_path, &obs, &scored);
    let d = reader_results(
        py,
        vec![
            ("score", Some(score)),
            ("skill", Some(skill)),
            ("reliability", reliability),
        ],
        summary,
        &manifest,
    )?;
    d.set_item("warnings", scored.warnings)?;
    Ok(d)
}

/// The rows of a CSV file of a result, as the columns `want` (by name); `row` turns their
/// cells into a value or says which cell is not what it should be.
fn read_csv<T>(
    path: &Path,
    want: &[&str],
    mut row: impl FnMut(&[&str]) -> Result<T, String>,
) -> PyResult<Vec<T>> {
    let shown = path.display();
    let text = read_text(path)
        .map_err(|why| value_error(format!("error: cannot read `{shown}`: {why}\n")))?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| value_error(format!("error: {shown}:1: {e}\n")))?
        .clone();
    let at: Vec<usize> = want
        .iter()
        .map(|w| {
            header
                .iter()
                .position(|h| h == *w)
                .ok_or_else(|| value_error(format!("error: {shown}:1: no column `{w}`\n")))
        })
        .collect::<PyResult<_>>()?;
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| value_error(format!("error: {shown}:{line}: {e}\n")))?;
        let cells: Vec<&str> = at.iter().map(|&c| rec.get(c).unwrap_or("")).collect();
        out.push(row(&cells).map_err(|bad| {
            value_error(format!(
                "error: {shown}:{line}: expected a number, got `{}`\n",
                brink::scenario::diag::clip(&bad, 80)
            ))
        })?);
    }
    Ok(out)
}

#[pymodule]
fn _brink(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ScenarioError", m.py().get_type::<ScenarioError>())?;
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(sensitivity, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(trace, m)?)?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add_function(wrap_pyfunction!(score, m)?)?;
    m.add_function(wrap_pyfunction!(watch, m)?)?;
    m.add_function(wrap_pyfunction!(discover, m)?)?;
    Ok(())
}
