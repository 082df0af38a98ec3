//! Helpers shared by the integration tests that load shipped scenarios as the CLI does,
//! through `extends`, without going through the binary.

#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};

use brink::model::Scenario;

/// A path inside the repository.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The text of a scenario file merged with the files it extends, relative paths resolved from
/// each including file as the CLI resolves them.
pub fn composed(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut read = |p: &Path| std::fs::read_to_string(p).map_err(|e| e.to_string());
    brink::load::compose(file, &text, &mut read)
        .unwrap_or_else(|e| panic!("{e}"))
        .0
        .text
}

/// Compiles a scenario file with the files it extends.
pub fn load(file: &Path) -> Scenario {
    let shown = file.display().to_string();
    brink::scenario::parse(&composed(file), &shown).unwrap_or_else(|e| panic!("{shown}:\n{e}"))
}

/// One run's row of runs.csv, by column name.
pub type RunRow = std::collections::HashMap<String, String>;

/// Runs `scenario` through the real binary with `--per-run` and each `--set` of `sets`, and
/// returns runs.csv, one map per run.
pub fn per_run(scenario: &str, runs: u64, sets: &[&str]) -> Vec<RunRow> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_brink"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", scenario, "--per-run", "-q", "--runs"])
        .arg(runs.to_string())
        .arg("--out")
        .arg(&out);
    for s in sets {
        cmd.args(["--set", s]);
    }
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "brink run {scenario} {sets:?} failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut r = csv::Reader::from_path(out.join("runs.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

/// Day an event metric first happened in a run, if it did.
pub fn first(row: &RunRow, metric: &str) -> Option<u32> {
    let happened = row
        .get(metric)
        .unwrap_or_else(|| panic!("runs.csv has no column `{metric}`"));
    (happened == "1").then(|| row[&format!("{metric}_first_day")].parse().unwrap())
}

/// A quantity's value in a run; NaN when the run has none (an empty cell).
pub fn value(row: &RunRow, metric: &str) -> f64 {
    row[metric].parse().unwrap_or(f64::NAN)
}

/// Whether an event metric happened in a run.
pub fn happened(row: &RunRow, metric: &str) -> bool {
    first(row, metric).is_some()
}

/// A share of runs with its standard error: `k` of `n`.
#[derive(Clone, Copy, Debug)]
pub struct Share {
    pub k: usize,
    pub n: usize,
}

impl Share {
    /// Of the runs that satisfy `of`, those that satisfy `hit`.
    pub fn of(
        rows: &[RunRow],
        of: impl Fn(&RunRow) -> bool,
        hit: impl Fn(&RunRow) -> bool,
    ) -> Share {
        let sel: Vec<&RunRow> = rows.iter().filter(|r| of(r)).collect();
        Share {
            k: sel.iter().filter(|r| hit(r)).count(),
            n: sel.len(),
        }
    }

    pub fn p(self) -> f64 {
        self.k as f64 / self.n as f64
    }

    pub fn se(self) -> f64 {
        (self.p() * (1.0 - self.p()) / self.n as f64).sqrt()
    }

    /// "0.6910 (3538 of 5118 runs, SE 0.0065)".
    pub fn show(self) -> String {
        format!(
            "{:.4} ({} of {} runs, SE {:.4})",
            self.p(),
            self.k,
            self.n,
            self.se()
        )
    }

    /// Above `bar` by four standard errors.
    pub fn clearly_above(self, bar: f64) -> bool {
        self.n > 0 && self.p() - 4.0 * self.se() >= bar
    }

    /// Below `bar` by four standard errors.
    pub fn clearly_below(self, bar: f64) -> bool {
        self.n > 0 && self.p() + 4.0 * self.se() <= bar
    }
}
