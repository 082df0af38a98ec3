//! Opening runs.csv for the commands that read each run's outcomes (`watch`, `discover`): the
//! file is streamed row by row through `brink::per_run::CsvRows`, which knows its columns.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use brink::per_run::CsvRows;

use super::study::RunResult;
use super::{Failure, Result};

/// An open runs.csv.
pub type Runs = CsvRows<BufReader<File>>;

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
    CsvRows::new(
        BufReader::new(file),
        &path.display().to_string(),
        &m.uncertain(),
    )
    .map_err(Failure::Input)
}
