//! `brink validate`: check scenario files without simulating anything.
//!
//! Usage: brink validate SCENARIO.toml...
//!
//! Runs every check `brink run` does before it simulates (syntax, types, unknown keys, names,
//! bounds, dates, distributions, finite numbers, labels) on each file, and reports all the
//! problems of all the files. Prints `ok: FILE` on stderr for each valid file; exits 2 if any
//! file is invalid or unreadable, 0 if all are valid. Nothing is written.
//!
//! An experiment file (one whose `scenario` names a base scenario file, as `brink sweep`
//! reads) is checked as an experiment: its own keys, its base scenario with its overrides, and
//! its design.

use std::path::PathBuf;

use super::{Failure, Result, load};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scenario files (TOML).
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
}

/// Whether a file is an experiment: its top-level `scenario` is a file name, not a table.
fn is_experiment(path: &std::path::Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .is_some_and(|t| t.get("scenario").is_some_and(toml::Value::is_str))
}

pub fn run(args: Args) -> Result<()> {
    let mut invalid = 0;
    for path in &args.scenarios {
        if is_experiment(path) {
            match super::sweep::check(path) {
                Ok(summary) => eprintln!("ok: {} ({summary})", path.display()),
                Err(Failure::Input(msg)) => {
                    invalid += 1;
                    eprint!("{msg}");
                    if !msg.ends_with('\n') {
                        eprintln!();
                    }
                }
                Err(other) => return Err(other),
            }
            continue;
        }
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
