//! `brink validate`: check scenario files without simulating anything.
//!
//! Usage: brink validate SCENARIO.toml...
//!
//! Runs every check `brink run` does before it simulates (syntax, types, unknown keys, names,
//! bounds, dates, distributions, finite numbers, labels) on each file, and reports all the
//! problems of all the files. Prints `ok: FILE` on stderr for each valid file; exits 2 if any
//! file is invalid or unreadable, 0 if all are valid. Nothing is written.

use std::path::PathBuf;

use super::{Failure, Result, load};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scenario files (TOML).
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    let mut invalid = 0;
    for path in &args.scenarios {
        match load::scenario(path) {
            Ok(l) => eprintln!(
                "ok: {} ({} actors, {} rules, {} metrics, {} days)",
                l.path,
                l.scenario.actors.len(),
                l.scenario.rules.len(),
                l.scenario.metrics.events.len() + l.scenario.metrics.quantities.len(),
                l.scenario.horizon
            ),
            Err(Failure::Input(msg)) => {
                invalid += 1;
                eprint!("{msg}");
                if !msg.ends_with('\n') {
                    eprintln!();
                }
            }
            Err(other) => return Err(other),
        }
    }
    if invalid > 0 {
        return Err(Failure::Input(format!(
            "{invalid} of {} scenario files are invalid",
            args.scenarios.len()
        )));
    }
    Ok(())
}
