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
    CompareDetail, Invocation, Manifest, ScenarioRef, SweepDetail, run_manifest,
};
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
#[pyo3(signature = (path, text, set, runs, seed, threads, per_run, events, call))]
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
    call: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let started = Instant::now();
    let (runs, threads) = (runs_arg(runs)?, threads_arg(threads)?);
    let events = events
        .map(|n| count(n, 1, brink::scenario::MAX_RUNS, "events"))
        .transpose()?;
    let set = overrides(set)?;
    let loaded = load(&path, text, &set)?;
    let sc = &loaded.scenario;
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
    Ok(())
}
