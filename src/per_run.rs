//! A run's per-run table read back, row by row, for the commands that need each run's outcomes
//! (`watch`, `discover`): which columns are event metrics (with their first days), which are
//! quantities and which are the uncertain parameters the manifest lists, and a [`Source`] of
//! rows. [`CsvRows`] streams runs.csv from a reader the caller opens (the library opens no
//! file); the Python package gives the rows of its runs DataFrame through the same trait, so
//! both front ends feed `watch` and `discover` the same numbers. Nothing here holds more than
//! one row.

use std::io::Read;

use crate::watch::Outcome;

/// The columns of a per-run table.
#[derive(Clone, Debug)]
pub struct Columns {
    /// Event metrics: (id, column of its 0/1, column of its first day).
    pub events: Vec<(String, usize, usize)>,
    /// Quantities: (id, column).
    pub quantities: Vec<(String, usize)>,
    /// Uncertain parameters: (key path, column), in the header's order.
    pub params: Vec<(String, usize)>,
}

impl Columns {
    /// Reads a runs.csv header: `uncertain` are the key paths of the uncertain parameters
    /// the run's manifest lists. The error is what is wrong, without the file's name.
    pub fn from_header(header: &[String], uncertain: &[&str]) -> Result<Columns, String> {
        if header.first().map(String::as_str) != Some("run") {
            return Err("the first column is not `run`: not a brink runs.csv".into());
        }
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
        for p in uncertain {
            if !header.iter().any(|h| h == p) {
                return Err(format!(
                    "no column for the uncertain parameter `{p}` the manifest lists: runs.csv \
                     and manifest.json are not of the same result"
                ));
            }
        }
        Ok(columns)
    }

    /// The ids of the event metrics and of the quantities, in file order.
    pub fn names(&self) -> (Vec<String>, Vec<String>) {
        (
            self.events.iter().map(|e| e.0.clone()).collect(),
            self.quantities.iter().map(|q| q.0.clone()).collect(),
        )
    }

    /// The outcome `text` names (`--outcome`): an event metric or a quantity condition; the
    /// error is the message to show.
    pub fn outcome(&self, text: &str) -> Result<Outcome, String> {
        let (events, quantities) = self.names();
        let events: Vec<&str> = events.iter().map(String::as_str).collect();
        let quantities: Vec<&str> = quantities.iter().map(String::as_str).collect();
        Outcome::parse(text, &events, &quantities).map_err(|e| format!("error: --outcome: {e}\n"))
    }

    /// An empty row of this table.
    pub fn row(&self) -> Row {
        Row {
            first: vec![None; self.events.len()],
            values: vec![None; self.quantities.len()],
            params: vec![0.0; self.params.len()],
        }
    }
}

/// One run's values.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Event first days by event (None: never).
    pub first: Vec<Option<u32>>,
    /// Quantities (None: undefined in that run).
    pub values: Vec<Option<f64>>,
    /// Uncertain parameters, in `Columns::params` order.
    pub params: Vec<f64>,
}

/// Which values of a row a command reads; a source may fill only these.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    pub events: Vec<usize>,
    pub quantities: Vec<usize>,
    pub params: Vec<usize>,
}

impl Needs {
    /// What deciding `outcome` needs.
    pub fn outcome(o: &Outcome) -> Needs {
        match *o {
            Outcome::Event(i) => Needs {
                events: vec![i],
                ..Needs::default()
            },
            Outcome::Quantity { q, .. } => Needs {
                quantities: vec![q],
                ..Needs::default()
            },
        }
    }

    pub fn add_event(&mut self, e: usize) {
        if !self.events.contains(&e) {
            self.events.push(e);
        }
    }
}

/// Rows of a per-run table, in run order.
pub trait Source {
    fn columns(&self) -> &Columns;
    /// Reads the next row into `row` (the values `Needs` named at least); false at the end.
    /// The error is the message to show.
    fn next(&mut self, row: &mut Row) -> Result<bool, String>;
}

/// runs.csv streamed from a reader; `shown` names the file in messages.
pub struct CsvRows<R: Read> {
    shown: String,
    columns: Columns,
    reader: csv::Reader<R>,
    record: csv::StringRecord,
    line: u64,
}

/// "error: FILE:LINE: what".
fn bad(shown: &str, line: u64, what: &str) -> String {
    format!("error: {shown}:{line}: {what}")
}

impl<R: Read> CsvRows<R> {
    /// Reads the header of runs.csv; `uncertain` as for `Columns::from_header`.
    pub fn new(reader: R, shown: &str, uncertain: &[&str]) -> Result<CsvRows<R>, String> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(reader);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| bad(shown, 1, &e.to_string()))?
            .iter()
            .map(String::from)
            .collect();
        let columns = Columns::from_header(&header, uncertain).map_err(|e| bad(shown, 1, &e))?;
        Ok(CsvRows {
            shown: shown.to_string(),
            columns,
            reader,
            record: csv::StringRecord::new(),
            line: 1,
        })
    }

    /// The file as messages name it.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

impl<R: Read> Source for CsvRows<R> {
    fn columns(&self) -> &Columns {
        &self.columns
    }

    fn next(&mut self, row: &mut Row) -> Result<bool, String> {
        let more = self
            .reader
            .read_record(&mut self.record)
            .map_err(|e| bad(&self.shown, self.line + 1, &e.to_string()))?;
        if !more {
            return Ok(false);
        }
        self.line += 1;
        let rec = &self.record;
        let line = self.line;
        let shown = self.shown.as_str();
        let cellf = |col: usize| -> Result<Option<f64>, String> {
            let s = rec.get(col).unwrap_or("").trim();
            if s.is_empty() {
                return Ok(None);
            }
            s.parse::<f64>().map(Some).map_err(|_| {
                bad(
                    shown,
                    line,
                    &format!(
                        "column {}: expected a number, got `{}`",
                        col + 1,
                        crate::scenario::diag::clip(s, 80)
                    ),
                )
            })
        };
        for (slot, (_, _, fc)) in row.first.iter_mut().zip(&self.columns.events) {
            *slot = match cellf(*fc)? {
                None => None,
                Some(d) if d >= 0.0 && d.fract() == 0.0 && d < f64::from(u32::MAX) => {
                    Some(d as u32)
                }
                Some(d) => {
                    return Err(bad(shown, line, &format!("`{d}` is not a day index")));
                }
            };
        }
        for (slot, (_, c)) in row.values.iter_mut().zip(&self.columns.quantities) {
            *slot = cellf(*c)?;
        }
        for (slot, (name, c)) in row.params.iter_mut().zip(&self.columns.params) {
            *slot = cellf(*c)?
                .ok_or_else(|| bad(shown, line, &format!("the parameter `{name}` has no value")))?;
        }
        Ok(true)
    }
}

/// A quantity as runs.csv holds it: written with six decimals and read back. Rows given from
/// memory (the Python package's runs DataFrame) go through this, so that `watch` and
/// `discover` see exactly the numbers they would read from the file. (Uncertain parameters
/// are written exactly, `table::exact`, so they read back as they are.)
pub fn as_written(x: f64) -> Option<f64> {
    if x.is_nan() {
        return None;
    }
    crate::table::num(x).parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_splits_into_events_quantities_and_parameters() {
        let h: Vec<String> = ["run", "war", "war_first_day", "days", "a.b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let c = Columns::from_header(&h, &["a.b"]).unwrap();
        assert_eq!(c.events, vec![("war".into(), 1, 2)]);
        assert_eq!(c.quantities, vec![("days".into(), 3)]);
        assert_eq!(c.params, vec![("a.b".into(), 4)]);
        assert!(Columns::from_header(&h, &["c"]).is_err());
        let text = "run,war,war_first_day,days,a.b\n0,1,5,2.500000,0.100000\n1,0,,,0.2\n";
        let mut rows = CsvRows::new(text.as_bytes(), "runs.csv", &["a.b"]).unwrap();
        let mut r = rows.columns().row();
        assert!(rows.next(&mut r).unwrap());
        assert_eq!(r.first, vec![Some(5)]);
        assert_eq!(r.values, vec![Some(2.5)]);
        assert!(rows.next(&mut r).unwrap());
        assert_eq!((r.first[0], r.values[0], r.params[0]), (None, None, 0.2));
        assert!(!rows.next(&mut r).unwrap());
        assert_eq!(as_written(0.1234564999), Some(0.123456));
        assert_eq!(as_written(f64::NAN), None);
    }
}
