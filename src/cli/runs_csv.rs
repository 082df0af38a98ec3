//! Reading runs.csv back, row by row, for the commands that need each run's outcomes
//! (`watch`, `discover`): which columns are event metrics (with their first days), which are
//! quantities and which are the uncertain parameters the manifest lists. Rows are streamed;
//! nothing here holds more than one row.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use super::study::RunResult;
use super::{Failure, Result};

/// The columns of a runs.csv.
pub struct Columns {
    /// Event metrics: (id, column of its 0/1, column of its first day).
    pub events: Vec<(String, usize, usize)>,
    /// Quantities: (id, column).
    pub quantities: Vec<(String, usize)>,
    /// Uncertain parameters: (key path, column), in the manifest's order.
    pub params: Vec<(String, usize)>,
}

impl Columns {
    /// The ids of the event metrics and of the quantities, in file order.
    pub fn names(&self) -> (Vec<String>, Vec<String>) {
        (
            self.events.iter().map(|e| e.0.clone()).collect(),
            self.quantities.iter().map(|q| q.0.clone()).collect(),
        )
    }

    /// The outcome `text` names (`--outcome`): an event metric or a quantity condition.
    pub fn outcome(&self, text: &str) -> Result<brink::watch::Outcome> {
        let (events, quantities) = self.names();
        let events: Vec<&str> = events.iter().map(String::as_str).collect();
        let quantities: Vec<&str> = quantities.iter().map(String::as_str).collect();
        brink::watch::Outcome::parse(text, &events, &quantities)
            .map_err(|e| Failure::Input(format!("error: --outcome: {e}\n")))
    }
}

/// An open runs.csv.
pub struct Runs {
    pub path: PathBuf,
    pub columns: Columns,
    reader: csv::Reader<BufReader<File>>,
    record: csv::StringRecord,
    line: u64,
}

/// Opens `dir/runs.csv` and reads its header; `command` names the command in messages.
pub fn open(dir: &Path, m: &RunResult, command: &str) -> Result<Runs> {
    let path = dir.join("runs.csv");
    let file = File::open(&path).map_err(|e| {
        Failure::Input(format!(
            "error: cannot read `{}`: {e}\n  = help: `brink {command}` needs each run's \
             outcomes: run the scenario with `brink run --per-run`\n",
            path.display()
        ))
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(BufReader::new(file));
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(&path, 1, &e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    let at = |name: &str| header.iter().position(|h| h == name);
    if header.first().map(String::as_str) != Some("run") {
        return Err(bad(
            &path,
            1,
            "the first column is not `run`: not a brink runs.csv",
        ));
    }
    let uncertain: Vec<&str> = m
        .parameters
        .iter()
        .filter(|p| p.uncertain)
        .map(|p| p.path.as_str())
        .collect();
    let mut columns = Columns {
        events: Vec::new(),
        quantities: Vec::new(),
        params: Vec::new(),
    };
    let mut i = 1;
    while i < header.len() {
        let h = &header[i];
        if uncertain.contains(&h.as_str()) {
            columns.params.push((h.clone(), i));
        } else if header.get(i + 1) == Some(&format!("{h}_first_day")) {
            columns.events.push((h.clone(), i, i + 1));
            i += 1;
        } else {
            columns.quantities.push((h.clone(), i));
        }
        i += 1;
    }
    for p in &uncertain {
        if at(p).is_none() {
            return Err(bad(
                &path,
                1,
                &format!(
                    "no column for the uncertain parameter `{p}` the manifest lists: runs.csv \
                     and manifest.json are not of the same result"
                ),
            ));
        }
    }
    Ok(Runs {
        path,
        columns,
        reader,
        record: csv::StringRecord::new(),
        line: 1,
    })
}

fn bad(path: &Path, line: u64, what: &str) -> Failure {
    Failure::Input(format!("error: {}:{line}: {what}", path.display()))
}

impl Runs {
    /// Reads the next row into `first` (event first days, None: never), `values` (quantities,
    /// None: undefined) and `params`; false at the end of the file.
    pub fn next(
        &mut self,
        first: &mut [Option<u32>],
        values: &mut [Option<f64>],
        params: &mut [f64],
    ) -> Result<bool> {
        let more = self
            .reader
            .read_record(&mut self.record)
            .map_err(|e| bad(&self.path, self.line + 1, &e.to_string()))?;
        if !more {
            return Ok(false);
        }
        self.line += 1;
        let rec = &self.record;
        let line = self.line;
        let path = &self.path;
        let cellf = |col: usize| -> Result<Option<f64>> {
            let s = rec.get(col).unwrap_or("").trim();
            if s.is_empty() {
                return Ok(None);
            }
            s.parse::<f64>().map(Some).map_err(|_| {
                bad(
                    path,
                    line,
                    &format!(
                        "column {}: expected a number, got `{}`",
                        col + 1,
                        super::quote(s)
                    ),
                )
            })
        };
        for (slot, (_, _, fc)) in first.iter_mut().zip(&self.columns.events) {
            *slot = match cellf(*fc)? {
                None => None,
                Some(d) if d >= 0.0 && d.fract() == 0.0 && d < f64::from(u32::MAX) => {
                    Some(d as u32)
                }
                Some(d) => {
                    return Err(bad(path, line, &format!("`{d}` is not a day index")));
                }
            };
        }
        for (slot, (_, c)) in values.iter_mut().zip(&self.columns.quantities) {
            *slot = cellf(*c)?;
        }
        for (slot, (name, c)) in params.iter_mut().zip(&self.columns.params) {
            *slot = cellf(*c)?
                .ok_or_else(|| bad(path, line, &format!("the parameter `{name}` has no value")))?;
        }
        Ok(true)
    }
}
