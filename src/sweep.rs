//! Sweeps: experiment files and their designs (full grid, Latin hypercube, explicit lists).
//!
//! An experiment names a base scenario, the seed and runs every point shares (so points differ
//! by their parameters, not by their noise: common random numbers), the parameters to vary and
//! the metrics to report. This module parses experiments from text and enumerates design
//! points; running them and writing files is the caller's business.
//!
//! ```toml
//! scenario = "iran_2026.toml"     # relative to the experiment file
//! runs = 2000
//! seed = 20251229
//! design = "grid"                 # grid | lhs | list
//! points = 5                      # lhs: number of points; grid: levels of each `range`
//! metrics = ["strike_on_iran"]    # default: all
//!
//! [[vary]]
//! key = "rules.us_nuclear_red_line.threshold"
//! range = [0.35, 0.65]            # or values = [...]
//! ```

use rand::RngExt;
use serde::{Deserialize, Serialize};

use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::model::Scenario;
use crate::rng::StreamKey;
use crate::scenario::Composite;
use crate::scenario::diag::{Diagnostic, QUOTE_MAX, ScenarioError, clip, clip_quotes};
use crate::scenario::overrides::Override;
use crate::scenario::spans;

/// Documented upper bound on the number of points of a design.
pub const MAX_POINTS: u64 = 1_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Design {
    /// Every combination of the parameters' levels.
    Grid,
    /// Latin hypercube: `points` points, each parameter's range cut into `points` strata hit once.
    Lhs,
    /// Explicit lists: point i takes the i-th value of every parameter.
    List,
}

/// One varied parameter.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Vary {
    /// Key path in the scenario, as for `--set`.
    pub key: String,
    /// [lo, hi] for grid levels or Latin hypercube strata.
    pub range: Option<[f64; 2]>,
    /// Grid levels of `range` [default: the experiment's `points`].
    pub levels: Option<u64>,
    /// Explicit values (grid or list).
    pub values: Option<Vec<f64>>,
    /// The `--vary` flag that gave it, as typed (none in an experiment file): where its
    /// problems are reported.
    #[serde(skip)]
    pub flag: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// Base scenario path, relative to the experiment file.
    pub scenario: String,
    pub runs: Option<u64>,
    pub seed: Option<u64>,
    pub design: Design,
    pub points: Option<u64>,
    /// Metric ids to report [default: all].
    pub metrics: Option<Vec<String>>,
    /// Overrides applied to the base before any point's values, as `KEY=VALUE` assignments.
    #[serde(default)]
    pub set: Vec<String>,
    #[serde(default)]
    pub vary: Vec<Vary>,
    #[allow(dead_code)]
    #[serde(default, skip_serializing)]
    description: Option<String>,
    /// The experiment file's name and text, when it was read from one: where its problems are
    /// reported (file:line:column). Not part of the experiment.
    #[serde(skip)]
    source: Option<(String, String)>,
}

impl Experiment {
    pub fn new(scenario: String, design: Design, points: Option<u64>, vary: Vec<Vary>) -> Self {
        Experiment {
            scenario,
            runs: None,
            seed: None,
            design,
            points,
            metrics: None,
            set: Vec::new(),
            vary,
            description: None,
            source: None,
        }
    }

    /// The message for a problem of the design, located where the user gave it: `field` of
    /// `[[vary]]` entry `j` (or the top-level key `field` when `j` is None) in an experiment
    /// file, with its line and column; the `--vary` flag of entry `j`; or no place at all.
    pub fn locate(
        &self,
        j: Option<usize>,
        field: &str,
        message: &str,
        help: Option<&str>,
    ) -> String {
        let d = |path: String| {
            let d = Diagnostic::new(path, clip_quotes(message).into_owned());
            match help {
                Some(h) => d.with_help(clip_quotes(h).into_owned()),
                None => d,
            }
        };
        if let Some((file, text)) = &self.source {
            let path = match (j, field) {
                (Some(j), "") => format!("vary[{j}]"),
                (Some(j), f) => format!("vary[{j}].{f}"),
                (None, f) => f.to_string(),
            };
            let span = DeTable::parse(text).ok().and_then(|root| {
                let whole = root.span();
                let root = Spanned::new(whole, DeValue::Table(root.into_inner()));
                spans::span_of(&root, &path)
            });
            return ScenarioError {
                file: file.clone(),
                source: text.clone(),
                diagnostics: vec![d(path).with_span(span)],
                others: Vec::new(),
            }
            .render();
        }
        match j.and_then(|j| self.vary.get(j)?.flag.as_ref()) {
            Some(flag) => ScenarioError {
                file: format!("--vary {}", clip(flag, QUOTE_MAX)),
                source: String::new(),
                diagnostics: vec![d(String::new())],
                others: Vec::new(),
            }
            .render(),
            None => {
                let mut out = input(clip_quotes(message));
                if let Some(h) = help {
                    out.push_str(&format!("  = help: {}\n", clip_quotes(h)));
                }
                out
            }
        }
    }
}

/// Parses an experiment file; `file` is used only in messages.
pub fn parse(text: &str, file: &str) -> Result<Experiment, ScenarioError> {
    let mut e: Experiment = toml::from_str(text).map_err(|e: toml::de::Error| ScenarioError {
        file: file.to_string(),
        source: text.to_string(),
        diagnostics: vec![crate::scenario::diag::syntax(
            e.message().trim().to_string(),
            e.span(),
            text,
        )],
        others: Vec::new(),
    })?;
    e.source = Some((file.to_string(), text.to_string()));
    Ok(e)
}

/// Parses a `--vary` flag: `KEY=LO..HI` (a range) or `KEY=A,B,C` (explicit values).
pub fn parse_vary(s: &str) -> Result<Vary, String> {
    let bad = || {
        format!(
            "`{s}` is not KEY=LO..HI or KEY=A,B,C, e.g. rules.us_nuclear_red_line.threshold=0.35..0.65"
        )
    };
    let (key, spec) = s.split_once('=').ok_or_else(bad)?;
    let num = |x: &str| x.trim().parse::<f64>().map_err(|_| bad());
    let mut v = Vary {
        key: key.trim().to_string(),
        range: None,
        levels: None,
        values: None,
        flag: Some(s.to_string()),
    };
    if let Some((lo, hi)) = spec.split_once("..") {
        v.range = Some([num(lo)?, num(hi)?]);
    } else {
        v.values = Some(spec.split(',').map(num).collect::<Result<_, _>>()?);
    }
    Ok(v)
}

/// The refusal of a design of `n` values, with what they alone would take in memory.
fn too_many(what: &str, n: u64) -> String {
    format!(
        "{what} is more than the {MAX_POINTS} a design may have (their values alone would take \
         {:.1} GB of memory)",
        n as f64 * 8.0 / 1e9
    )
}

/// A checked design: the values of every point, computed on demand.
#[derive(Clone, Debug)]
pub struct Points {
    pub keys: Vec<String>,
    /// Per parameter: its levels (grid), values (list) or per-point values (lhs).
    columns: Vec<Vec<f64>>,
    design: Design,
    count: u64,
}

/// A problem of a design, and where it was given: `field` of the `vary` entry `vary` (or the
/// top-level key `field`). `Experiment::locate` renders it.
#[derive(Clone, Debug, PartialEq)]
pub struct DesignError {
    pub vary: Option<usize>,
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for DesignError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Points {
    /// Checks the design and lays out its points. LHS strata are permuted and jittered from
    /// streams keyed by the seed and each parameter's key, so a design is reproducible.
    pub fn new(e: &Experiment, seed: u64) -> Result<Points, String> {
        Points::checked(e, seed).map_err(|d| d.message)
    }

    /// `new`, with the place of a problem in the experiment.
    pub fn checked(e: &Experiment, seed: u64) -> Result<Points, DesignError> {
        let err = |vary: Option<usize>, field: &'static str, message: String| DesignError {
            vary,
            field,
            message,
        };
        if e.vary.is_empty() {
            return Err(err(
                None,
                "vary",
                "the design is empty: give at least one parameter to vary".into(),
            ));
        }
        // A key varied twice would take two values at one point, the second silently winning.
        for (j, v) in e.vary.iter().enumerate() {
            if let Some(first) = e.vary[..j].iter().position(|w| w.key == v.key) {
                let was = match &e.vary[first].flag {
                    Some(flag) => format!("`--vary {}`", clip(flag, QUOTE_MAX)),
                    None => format!("[[vary]] number {}", first + 1),
                };
                return Err(err(
                    Some(j),
                    "key",
                    format!(
                        "`{}` is varied twice (first by {was}): a key takes one value at each \
                         point; vary it once, with all its values",
                        v.key
                    ),
                ));
            }
        }
        let mut columns = Vec::new();
        for (j, v) in e.vary.iter().enumerate() {
            let here = |field: &'static str, message: String| err(Some(j), field, message);
            if let Some([lo, hi]) = v.range
                && !(lo.is_finite() && hi.is_finite() && lo <= hi)
            {
                return Err(here(
                    "range",
                    format!("`{}`: range [{lo}, {hi}] must have lo <= hi", v.key),
                ));
            }
            let col = match (e.design, &v.values, v.range) {
                (_, Some(_), Some(_)) => {
                    return Err(here(
                        "values",
                        format!("`{}`: give `range` or `values`, not both", v.key),
                    ));
                }
                (Design::Lhs, _, None) => {
                    return Err(here(
                        "",
                        format!("`{}`: a Latin hypercube needs a `range`", v.key),
                    ));
                }
                (Design::List, None, _) => {
                    return Err(here(
                        "",
                        format!("`{}`: a list design needs `values`", v.key),
                    ));
                }
                (_, None, None) => {
                    return Err(here("", format!("`{}`: give `range` or `values`", v.key)));
                }
                (Design::Grid | Design::List, Some(vals), None) => vals.clone(),
                (Design::Grid, None, Some([lo, hi])) => {
                    let l = v.levels.or(e.points).ok_or_else(|| {
                        here("", format!("`{}`: give `levels` or `points`", v.key))
                    })?;
                    if l > MAX_POINTS {
                        let msg = too_many(&format!("`{}`: {l} levels", v.key), l);
                        return Err(match v.levels {
                            Some(_) => here("levels", msg),
                            None => err(None, "points", msg),
                        });
                    }
                    (0..l)
                        .map(|i| {
                            if l == 1 {
                                lo
                            } else {
                                lo + (hi - lo) * i as f64 / (l - 1) as f64
                            }
                        })
                        .collect()
                }
                (Design::Lhs, None, Some([lo, hi])) => {
                    let n = e.points.ok_or_else(|| {
                        err(
                            None,
                            "design",
                            "a Latin hypercube needs `points`, its number of points".into(),
                        )
                    })?;
                    if n > MAX_POINTS {
                        return Err(err(None, "points", too_many(&format!("{n} points"), n)));
                    }
                    let mut rng = StreamKey::new(seed, &format!("sweep:lhs:{}", v.key)).for_run(0);
                    let mut strata: Vec<u64> = (0..n).collect();
                    for i in (1..strata.len()).rev() {
                        let j = rng.random_range(0..=i);
                        strata.swap(i, j);
                    }
                    strata
                        .iter()
                        .map(|&s| lo + (hi - lo) * (s as f64 + rng.random::<f64>()) / n as f64)
                        .collect()
                }
            };
            if col.iter().any(|x| !x.is_finite()) {
                return Err(here(
                    if v.values.is_some() {
                        "values"
                    } else {
                        "range"
                    },
                    format!("`{}`: values must be finite numbers", v.key),
                ));
            }
            columns.push(col);
        }
        let count = match e.design {
            Design::Grid => columns
                .iter()
                .try_fold(1u64, |a, c| a.checked_mul(c.len() as u64))
                .unwrap_or(u64::MAX),
            Design::Lhs => columns[0].len() as u64,
            Design::List => {
                let n = columns[0].len();
                if let Some((j, c)) = columns.iter().enumerate().find(|(_, c)| c.len() != n) {
                    return Err(err(
                        Some(j),
                        "values",
                        format!(
                            "a list design needs lists of equal length: `{}` has {}, `{}` has {n}",
                            e.vary[j].key,
                            c.len(),
                            e.vary[0].key
                        ),
                    ));
                }
                n as u64
            }
        };
        if count == 0 {
            return Err(err(
                None,
                "points",
                "the design is empty: it has no points".into(),
            ));
        }
        if count > MAX_POINTS {
            return Err(err(
                None,
                "design",
                format!(
                    "{} points is more than the {MAX_POINTS} a design may have",
                    if count == u64::MAX {
                        "more than 18446744073709551615".to_string()
                    } else {
                        count.to_string()
                    }
                ),
            ));
        }
        Ok(Points {
            keys: e.vary.iter().map(|v| v.key.clone()).collect(),
            columns,
            design: e.design,
            count,
        })
    }
}

/// The field of `vary` entry `j` that gave its values: `values` or `range`.
fn source_field(e: &Experiment, j: usize) -> &'static str {
    if e.vary.get(j).is_some_and(|v| v.values.is_some()) {
        "values"
    } else {
        "range"
    }
}

impl Points {
    pub fn len(&self) -> u64 {
        self.count
    }

    /// Every value parameter `j` takes in the design.
    pub fn values(&self, j: usize) -> &[f64] {
        &self.columns[j]
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The values of point `i`, one per key. A grid varies its last parameter fastest.
    pub fn point(&self, i: u64) -> Vec<f64> {
        match self.design {
            Design::Grid => {
                let mut rest = i;
                let mut out = vec![0.0; self.columns.len()];
                for (j, c) in self.columns.iter().enumerate().rev() {
                    let l = c.len() as u64;
                    out[j] = c[(rest % l) as usize];
                    rest /= l;
                }
                out
            }
            Design::Lhs | Design::List => self.columns.iter().map(|c| c[i as usize]).collect(),
        }
    }
}

/// Whether a file's text is an experiment: its top-level `scenario` is a file name, not a
/// table.
pub fn is_experiment(text: &str) -> bool {
    text.parse::<toml::Table>()
        .ok()
        .is_some_and(|t| t.get("scenario").is_some_and(toml::Value::is_str))
}

/// A sweep with everything resolved: what its outputs depend on.
pub struct Study {
    pub experiment: Experiment,
    /// The base scenario's path, as shown.
    pub scenario_path: String,
    /// The base scenario's text as read (merged when it extends other files).
    pub text: String,
    /// The experiment's `set` and the caller's overrides, applied to every point.
    pub base: Vec<Override>,
    pub runs: u64,
    pub seed: u64,
    pub points: Points,
    pub metrics: Vec<String>,
    /// The base scenario's name.
    pub name: String,
    /// The files the scenario was read from, and its as-of date, for the manifest.
    pub files: Vec<crate::model::SourceFile>,
    pub as_of: Option<String>,
    /// The base scenario merged with the files it extends: parses each point's text and
    /// reports its problems in the file and line that hold them.
    composite: Composite,
}

fn input(e: impl std::fmt::Display) -> String {
    format!("error: {e}\n")
}

/// Resolves a sweep of `experiment` over the scenario `text` read from `scenario_path` (files
/// it extends are read by `read`), with the caller's overrides `set` after the experiment's,
/// and `metrics`, `runs`, `seed` (when given) before the experiment's. Every check is made
/// before anything runs: overrides, run count, design, whole-number keys, that every varied
/// key exists, metric names. The message is the one the user sees.
#[allow(clippy::too_many_arguments)]
pub fn study(
    experiment: Experiment,
    scenario_path: &Path,
    text: String,
    set: &[Override],
    metrics: &[String],
    runs: Option<u64>,
    seed: Option<u64>,
    read: &mut crate::load::Read,
) -> Result<Study, String> {
    let quote = |s: &str| clip(s, QUOTE_MAX).into_owned();
    let mut base = experiment
        .set
        .iter()
        .map(|s| Override::parse(s).map_err(|e| input(format!("set: {}", clip_quotes(&e)))))
        .collect::<Result<Vec<_>, _>>()?;
    base.extend(set.iter().cloned());
    let (loaded, composite) = crate::load::load_composite(scenario_path, text, &base, read)?;
    let sc = &loaded.scenario;
    let runs = runs.or(experiment.runs).unwrap_or(sc.default_runs);
    if runs == 0 || runs > crate::scenario::MAX_RUNS {
        return Err(input(format!(
            "runs must be between 1 and {}, got {runs}",
            crate::scenario::MAX_RUNS
        )));
    }
    let seed = seed.or(experiment.seed).unwrap_or(sc.default_seed);
    let points = Points::checked(&experiment, seed)
        .map_err(|d| experiment.locate(d.vary, d.field, &d.message, None))?;
    // A key that holds a whole number (a horizon, a count) takes whole numbers only: say so now
    // rather than at the point that first gives it a fraction.
    for (j, key) in points.keys.iter().enumerate() {
        if crate::scenario::overrides::is_integer(&loaded.text, key)
            && let Some(v) = points.values(j).iter().find(|v| v.fract() != 0.0)
        {
            return Err(experiment.locate(
                Some(j),
                source_field(&experiment, j),
                &format!(
                    "`{}` takes whole numbers, but the design gives it {v}",
                    quote(key)
                ),
                Some(
                    "give whole values (values = [30, 60, 90]), or a range whose levels fall on \
                     whole numbers",
                ),
            ));
        }
    }
    check_points(&experiment, &points, &composite, &base)?;
    let all: Vec<String> = sc
        .metrics
        .events
        .iter()
        .map(|m| m.id.clone())
        .chain(sc.metrics.quantities.iter().map(|m| m.id.clone()))
        .collect();
    let wanted = if !metrics.is_empty() {
        metrics.to_vec()
    } else {
        experiment.metrics.clone().unwrap_or_else(|| all.clone())
    };
    for m in &wanted {
        if !all.contains(m) {
            let names: Vec<&str> = all.iter().map(String::as_str).collect();
            return Err(input(format!(
                "unknown metric `{}`\n  = help: {}",
                quote(m),
                crate::scenario::diag::suggest(m, &names)
            )));
        }
    }
    Ok(Study {
        experiment,
        scenario_path: loaded.path.clone(),
        base,
        runs,
        seed,
        points,
        metrics: wanted,
        name: sc.name.clone(),
        files: sc.sources.clone(),
        as_of: sc.as_of.map(|d| d.to_string()),
        text: loaded.text,
        composite,
    })
}

/// Checks every point of the design before anything runs, so that a sweep refused for its
/// input has computed nothing: the varied keys exist (any point shows it), and each point's
/// scenario parses. A problem in a varied value is reported at the `[[vary]]` entry or the
/// `--vary` flag that gave it, with the point; any other problem a point causes (a date that
/// a shorter horizon leaves outside the simulated period) at the line of the file that holds
/// it. Checking a point costs one edit and parse of the scenario (measured on the flagship:
/// about 26 ms a point in a debug build), far less than simulating its runs.
fn check_points(
    e: &Experiment,
    points: &Points,
    composite: &Composite,
    base: &[Override],
) -> Result<(), String> {
    let vary_of = |key: &str| points.keys.iter().position(|k| k == key);
    let mut first = base.to_vec();
    first.extend(point_overrides(points, 0));
    if let Err(errors) = crate::scenario::overrides::apply(&composite.text, &first) {
        let mut out = String::new();
        for o in errors {
            match vary_of(&o.key) {
                Some(j) => out.push_str(&e.locate(
                    Some(j),
                    "key",
                    &format!("`{}`: {}", clip(&o.key, QUOTE_MAX), o.message),
                    o.help.as_deref(),
                )),
                None => out.push_str(&format!("{o}\n")),
            }
        }
        return Err(out);
    }
    for i in 0..points.len() {
        let at = point_overrides(points, i);
        let mut set = base.to_vec();
        set.extend(at.iter().cloned());
        let edited = crate::load::apply(&composite.text, &set)?;
        let Err(mut err) = composite.parse(&edited) else {
            continue;
        };
        // The varied value itself is wrong: say so where it was given.
        let under = |path: &str, key: &str| {
            path == key
                || path
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.starts_with(['.', '[']))
        };
        let mut out = String::new();
        let (ours, theirs): (Vec<_>, Vec<_>) = err
            .diagnostics
            .drain(..)
            .partition(|d| at.iter().any(|o| under(&d.path, &o.key)));
        for d in &ours {
            let j = (0..at.len())
                .rev()
                .find(|&j| under(&d.path, &at[j].key))
                .expect("partitioned by the point's keys");
            let value = crate::scenario::diag::num(points.point(i)[j]);
            let mut message = format!(
                "point {i} of the design sets `{}` = {value}: {}",
                clip(&at[j].key, QUOTE_MAX),
                d.message
            );
            if d.path != at[j].key {
                message.push_str(&format!(" (at `{}`)", clip(&d.path, 2 * QUOTE_MAX)));
            }
            out.push_str(&e.locate(Some(j), source_field(e, j), &message, d.help.as_deref()));
        }
        // Anything else the point's values make wrong, at the line that holds it.
        if !theirs.is_empty() {
            let values: Vec<String> = at
                .iter()
                .zip(points.point(i))
                .map(|(o, v)| format!("{} = {}", o.key, crate::scenario::diag::num(v)))
                .collect();
            err.diagnostics = theirs
                .into_iter()
                .map(|mut d| {
                    d.message = format!(
                        "at point {i} of the design ({}): {}",
                        clip(&values.join(", "), 2 * QUOTE_MAX),
                        d.message
                    );
                    d
                })
                .collect();
            out.push_str(&crate::load::render(err, base));
        }
        return Err(out);
    }
    Ok(())
}

/// The overrides that put a scenario at point `i`.
pub fn point_overrides(points: &Points, i: u64) -> Vec<Override> {
    points
        .keys
        .iter()
        .zip(points.point(i))
        .map(|(k, v)| Override {
            key: k.clone(),
            // `{:?}` keeps a decimal point, so TOML reads a float even for whole numbers; an
            // integer key takes it as its integer.
            value: format!("{v:?}"),
        })
        .collect()
}

impl Study {
    /// What `validate` says of a valid experiment.
    pub fn outline(&self) -> String {
        format!(
            "experiment on {}: {} points x {} runs",
            self.scenario_path,
            self.points.len(),
            self.runs
        )
    }

    /// The scenario at point `i`.
    /// `study` has checked every point, so this fails only if the study was changed since.
    pub fn scenario_at(&self, i: u64) -> Result<Scenario, String> {
        let mut set = self.base.clone();
        set.extend(point_overrides(&self.points, i));
        let text = crate::load::apply(&self.text, &set)?;
        self.composite
            .parse(&text)
            .map_err(|e| crate::load::render(e, &set))
    }

    /// The base scenario as the manifest identifies it.
    pub fn scenario_ref(&self) -> crate::manifest::ScenarioRef {
        crate::manifest::ScenarioRef {
            name: self.name.clone(),
            path: self.scenario_path.clone(),
            sha256: crate::manifest::sha256(self.text.as_bytes()),
            files: self.files.clone(),
            as_of: self.as_of.clone(),
            calendar: None,
        }
    }
}

/// The message for an experiment whose `scenario` (`reference`, resolved to `base`) is not a
/// scenario: the experiment file itself (`itself`) or another experiment; `shown` is the
/// experiment's path.
pub fn not_a_scenario(reference: &str, base: &str, itself: bool, shown: &str) -> String {
    let quote = |s: &str| clip(s, QUOTE_MAX).into_owned();
    input(format!(
        "the experiment's `scenario = \"{}\"` names {}, not a scenario\n  = help: name the \
         scenario file the experiment varies, relative to {}",
        quote(reference),
        if itself {
            "the experiment itself".to_string()
        } else {
            format!("an experiment file ({})", quote(base))
        },
        quote(shown)
    ))
}

/// The message for `--vary` given an experiment file (`shown`) where it takes a scenario.
pub fn vary_needs_a_scenario(shown: &str) -> String {
    let shown = clip(shown, QUOTE_MAX);
    input(format!(
        "`{shown}` is an experiment file, but --vary varies a scenario\n  = help: run the \
         experiment as it is with `brink sweep {shown}` (its [[vary]] tables are the design), or \
         give --vary the scenario file it names"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exp(design: Design, points: Option<u64>, vary: Vec<Vary>) -> Experiment {
        Experiment::new("s.toml".into(), design, points, vary)
    }

    #[test]
    fn grids_enumerate_every_combination() {
        let e = exp(
            Design::Grid,
            Some(3),
            vec![
                parse_vary("a=0..1").unwrap(),
                parse_vary("b=10,20").unwrap(),
            ],
        );
        let p = Points::new(&e, 1).unwrap();
        assert_eq!(p.len(), 6);
        assert_eq!(p.point(0), vec![0.0, 10.0]);
        assert_eq!(p.point(1), vec![0.0, 20.0]);
        assert_eq!(p.point(5), vec![1.0, 20.0]);
        assert_eq!(p.point(3), vec![0.5, 20.0]);
    }

    #[test]
    fn latin_hypercubes_hit_every_stratum_once_and_repeat_from_the_seed() {
        let e = exp(
            Design::Lhs,
            Some(10),
            vec![parse_vary("a=0..1").unwrap(), parse_vary("b=5..6").unwrap()],
        );
        let p = Points::new(&e, 42).unwrap();
        for j in 0..2 {
            let mut strata: Vec<u64> = (0..10)
                .map(|i| ((p.point(i)[j] - 5.0 * j as f64) * 10.0).floor() as u64)
                .collect();
            strata.sort();
            assert_eq!(strata, (0..10).collect::<Vec<_>>());
        }
        let q = Points::new(&e, 42).unwrap();
        assert_eq!(p.point(3), q.point(3));
        let r = Points::new(&e, 43).unwrap();
        assert_ne!(p.point(3), r.point(3));
    }

    #[test]
    fn empty_and_inconsistent_designs_are_refused() {
        assert!(Points::new(&exp(Design::Grid, Some(3), vec![]), 1).is_err());
        let e = exp(Design::Grid, Some(0), vec![parse_vary("a=0..1").unwrap()]);
        assert!(Points::new(&e, 1).unwrap_err().contains("empty"));
        let e = exp(
            Design::List,
            None,
            vec![parse_vary("a=1,2").unwrap(), parse_vary("b=1").unwrap()],
        );
        assert!(Points::new(&e, 1).unwrap_err().contains("equal length"));
        // Refused with the figure before anything is allocated (this tried to allocate 8 GB
        // and aborted on the old main).
        let e = exp(
            Design::Grid,
            Some(1_000_000_000),
            vec![parse_vary("a=0..1").unwrap()],
        );
        let err = Points::new(&e, 1).unwrap_err();
        assert!(
            err.contains("1000000000 levels") && err.contains("8.0 GB"),
            "{err}"
        );
        let e = exp(
            Design::Lhs,
            Some(10_000_000_000),
            vec![parse_vary("a=0..1").unwrap()],
        );
        assert!(Points::new(&e, 1).unwrap_err().contains("80.0 GB"));
        assert!(parse_vary("a").is_err());
        assert!(parse_vary("a=1..x").is_err());
    }

    #[test]
    fn experiment_errors_are_located() {
        let e = parse("scenario = \"x.toml\"\ndesign = \"grdi\"\n", "e.toml").unwrap_err();
        assert!(e.render().contains("e.toml:2:10"), "{}", e.render());
    }
}
