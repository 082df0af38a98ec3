//! Reading a results directory back: manifest.json and the tidy CSV files that `brink run`,
//! `sweep`, `compare` and `sensitivity` write. The CSVs are the contract, so charts are drawn
//! from them alone and never from in-memory engine state.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli::{Failure, Result};

/// Which command produced a results directory, and so which charts it can give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Run,
    Sweep,
    Compare,
    Sensitivity,
    Score,
    Watch,
    Discover,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Run => "run",
            Kind::Sweep => "sweep",
            Kind::Compare => "compare",
            Kind::Sensitivity => "sensitivity",
            Kind::Score => "score",
            Kind::Watch => "watch",
            Kind::Discover => "discover",
        }
    }
}

/// What the charts and the report need from manifest.json. Missing fields are tolerated (the
/// report shows them as unknown) so that results of older or newer versions still plot.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub kind: Kind,
    pub scenario: String,
    pub scenario_path: Option<String>,
    pub sha256: Option<String>,
    pub version: Option<String>,
    pub seed: Option<u64>,
    pub runs: Option<u64>,
    pub start_date: Option<jiff::civil::Date>,
    /// Ladder rung names, bottom first, when the manifest or the scenario file gives them.
    pub ladder: Option<Vec<String>>,
    /// The whole manifest, for what only the report shows (overrides, the variant, the design).
    pub raw: Value,
}

/// A CSV file read whole: header and rows of text cells, with located parse errors.
pub struct Table {
    pub path: PathBuf,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Reads `dir/name`; a missing or malformed file is invalid input (exit 2).
    pub fn read(dir: &Path, name: &str) -> Result<Table> {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Failure::Input(format!("error: cannot read `{}`: {e}", path.display())))?;
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        let header: Vec<String> = rdr
            .headers()
            .map_err(|e| bad(&path, 1, &e.to_string()))?
            .iter()
            .map(String::from)
            .collect();
        let mut rows = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| bad(&path, i + 2, &e.to_string()))?;
            rows.push(rec.iter().map(String::from).collect());
        }
        Ok(Table { path, header, rows })
    }

    /// Index of a column, or an error naming the columns that are expected.
    pub fn col(&self, name: &str) -> Result<usize> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            Failure::Input(format!(
                "error: `{}` has no column `{name}` (its header is `{}`); is it a brink result \
                 file of this version?",
                self.path.display(),
                self.header.join(",")
            ))
        })
    }

    pub fn text(&self, row: usize, col: usize) -> &str {
        self.rows[row].get(col).map_or("", |s| s.as_str())
    }

    /// A number; an empty cell (undefined, by the results' conventions) is NaN.
    pub fn num(&self, row: usize, col: usize) -> Result<f64> {
        let s = self.text(row, col).trim();
        if s.is_empty() {
            return Ok(f64::NAN);
        }
        s.parse().map_err(|_| {
            bad(
                &self.path,
                row + 2,
                &format!(
                    "column `{}`: expected a number, got `{s}`",
                    self.header[col]
                ),
            )
        })
    }
}

fn bad(path: &Path, line: usize, what: &str) -> Failure {
    Failure::Input(format!("error: {}:{line}: {what}", path.display()))
}

/// The results directory a user means by `dir`: `dir` itself when it holds a manifest, or else
/// the newest run in it when `dir` is a scenario's folder of runs (`results/iran_2026`, whose
/// `latest` link points at the newest); a `latest` link that leaves its folder is refused
/// (`outdir::resolve`). Anything else is returned as given, for `manifest` to explain what is
/// wrong with it.
pub fn results_dir(dir: &Path) -> Result<PathBuf> {
    crate::cli::outdir::resolve(dir)
}

/// Reads manifest.json and decides what produced the directory: its "command" field, or, when
/// that is absent, the files present.
pub fn manifest(dir: &Path) -> Result<Manifest> {
    if !dir.is_dir() {
        return Err(Failure::Input(format!(
            "error: `{}` is not a directory; give the output directory of `brink run` (or \
             sweep, compare, sensitivity)",
            dir.display()
        )));
    }
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Failure::Input(format!(
            "error: cannot read `{}`: {e}; is `{}` a brink results directory?",
            path.display(),
            dir.display()
        ))
    })?;
    let v = crate::cli::load::json(&path, &text)?;
    let kind = match v.get("command").and_then(Value::as_str) {
        Some("run") => Kind::Run,
        Some("sweep") => Kind::Sweep,
        Some("compare") => Kind::Compare,
        Some("sensitivity") => Kind::Sensitivity,
        Some("score") => Kind::Score,
        Some("watch") => Kind::Watch,
        Some("discover") => Kind::Discover,
        Some(other) => {
            return Err(Failure::Input(format!(
                "error: {}: unknown \"command\": \"{other}\"; expected \"run\", \"sweep\", \
                 \"compare\", \"sensitivity\", \"score\", \"watch\" or \"discover\"",
                path.display()
            )));
        }
        None => detect(dir)?,
    };
    let sc = v.get("scenario");
    let s = |k: &str| sc.and_then(|s| s.get(k)).and_then(Value::as_str);
    let ladder = sc
        .and_then(|s| s.get("ladder"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|r| {
                    r.get("name")
                        .or_else(|| r.get("id"))
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_string()
                })
                .collect()
        });
    let mut m = Manifest {
        kind,
        scenario: s("name").unwrap_or("unnamed scenario").to_string(),
        scenario_path: s("path").map(String::from),
        sha256: s("sha256").map(String::from),
        version: v
            .get("brink_version")
            .and_then(Value::as_str)
            .map(String::from),
        seed: v.get("seed").and_then(Value::as_u64),
        runs: v.get("runs").and_then(Value::as_u64),
        start_date: s("start_date").and_then(|d| d.parse().ok()),
        ladder,
        raw: v.clone(),
    };
    if m.ladder.is_none() {
        m.ladder = ladder_from_scenario(&m, dir);
    }
    Ok(m)
}

/// Older manifests do not list the ladder: take it from the scenario file that produced the
/// results.
fn ladder_from_scenario(m: &Manifest, dir: &Path) -> Option<Vec<String>> {
    let (p, text) = scenario_text(m, dir)?;
    let sc = brink::scenario::parse(&text, &p.display().to_string()).ok()?;
    Some(sc.ladder.iter().map(|r| r.name.clone()).collect())
}

/// The scenario file the manifest names, with its text merged with any file it extends, if it
/// can be found and its checksum shows it is the file that produced the results. Its path was
/// written relative to where the command ran, so it is looked for from here, from the results
/// directory and from up to three folders above it (a run in `results/<name>/<time>/` was
/// usually started from the top).
pub fn scenario_text(m: &Manifest, dir: &Path) -> Option<(PathBuf, String)> {
    let rel = Path::new(m.scenario_path.as_deref()?);
    let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut candidates = vec![rel.to_path_buf()];
    for base in [dir, real.as_path()] {
        let mut b = base.to_path_buf();
        for _ in 0..4 {
            candidates.push(b.join(rel));
            b.push("..");
        }
    }
    for p in candidates {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        // The checksum is of the text as run: merged with the files it extends.
        let Ok((composite, _)) = brink::load::compose(&p, &text, &mut crate::cli::load::read)
        else {
            continue;
        };
        let text = composite.text;
        let sha = crate::cli::study::sha256(text.as_bytes());
        if Some(&sha) == m.sha256.as_ref() {
            return Some((p, text));
        }
    }
    None
}

fn detect(dir: &Path) -> Result<Kind> {
    let has = |f: &str| dir.join(f).is_file();
    Ok(if has("compare.csv") {
        Kind::Compare
    } else if has("sobol.csv") || has("morris.csv") {
        Kind::Sensitivity
    } else if has("sweep.csv") {
        Kind::Sweep
    } else if has("timeline.csv") {
        Kind::Run
    } else {
        return Err(Failure::Input(format!(
            "error: `{}` holds none of timeline.csv, sweep.csv, compare.csv, sobol.csv or \
             morris.csv, so there is nothing to plot",
            dir.display()
        )));
    })
}
