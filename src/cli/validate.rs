//! `brink validate`: check scenario and experiment files without simulating anything.
//!
//! Usage: brink validate FILE...
//!
//! Runs every check `brink run` does before it simulates (syntax, types, unknown keys, names,
//! bounds, dates, distributions, finite numbers, labels) on each file, and reports all the
//! problems of all the files. Prints `ok: FILE` on stderr for each valid file; exits 2 if any
//! file is invalid or unreadable, 0 if all are valid. Nothing is written.
//!
//! An experiment file (one whose `scenario` names a base scenario file, as `brink sweep`
//! reads) is checked as an experiment: its own keys, its base scenario with its overrides, and
//! its design. Each file is read once (so a pipe or `/dev/stdin` works), and at most 16 MiB
//! of it.

use std::path::PathBuf;

use super::{Failure, Result, load, report};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scenario files, or experiment files for `brink sweep` (TOML).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    let mut invalid = 0;
    for path in &args.files {
        let checked = load::text(path, "scenario", load::MAX_INPUT).and_then(|text| {
            if super::sweep::is_experiment(&text) {
                super::sweep::check(path, text)
            } else {
                let l = load::parsed(path, text)?;
                Ok(brink::load::outline(&l.scenario))
            }
        });
        match checked {
            Ok(summary) => say!(
                "ok: {} ({summary})",
                super::quote(&path.display().to_string())
            ),
            Err(Failure::Input(msg)) => {
                invalid += 1;
                report(&msg);
            }
            Err(other) => return Err(other),
        }
    }
    if invalid > 0 {
        return Err(Failure::Input(format!(
            "{invalid} of {} files are invalid",
            args.files.len()
        )));
    }
    Ok(())
}
