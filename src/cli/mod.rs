//! Command-line front end: argument parsing, dispatch, and the mapping of failures to exit
//! codes. Each subcommand lives in its own file with its usage text and a `run` function.
//!
//! Exit codes (the same for every command):
//! - 0 success
//! - 1 any other failure (I/O, internal)
//! - 2 invalid input or usage (bad scenario, bad flag, refused output directory)
//! - 130 interrupted (SIGINT or SIGTERM)
//!
//! Messages go to stderr through `say!`, which never panics: a reader that closed the pipe
//! (`brink validate bad.toml 2>&1 | head -1`) ends the output quietly. Text a message quotes
//! from the user goes through `quote`, so a 2 MB name cannot make a 6 MB message.

/// `eprintln!` that ignores a closed or failing stderr instead of panicking.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($t)*);
    }};
}

mod charts;
mod compare;
mod discover;
mod events;
mod explain;
mod load;
mod merge;
mod outdir;
mod output;
mod overrides;
mod part;
mod paths;
mod plot;
mod progress;
mod report;
mod run;
mod runs_csv;
mod schema;
mod score;
mod sensitivity;
mod study;
mod sweep;
mod trace;
mod until;
mod validate;
mod watch;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "brink",
    version,
    about = "Monte Carlo simulation of political-military escalation"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario many times and write outcome distributions as CSV.
    Run(run::Args),
    /// Tell one run's story, or find the runs in which an outcome happened.
    Trace(trace::Args),
    /// Print the scenario as a reviewer reads it: every rule, parameter and source.
    Explain(explain::Args),
    /// Compare a variant with a base scenario on paired runs (common random numbers).
    Compare(compare::Args),
    /// Run a scenario at every point of a design (grid, Latin hypercube, list) from an
    /// experiment file or --vary.
    Sweep(sweep::Args),
    /// Rank the uncertain parameters by their effect on outcomes (Morris, Sobol).
    Sensitivity(sensitivity::Args),
    /// Check scenario and experiment files without simulating; exit 2 if any is invalid.
    Validate(validate::Args),
    /// Print the JSON Schema of scenario files, for editors and other tools.
    Schema(schema::Args),
    /// Draw the charts of a results directory as SVG or PNG.
    Plot(plot::Args),
    /// Write one self-contained report.html of a results directory.
    Report(report::Args),
    /// Combine the part files of a sharded run into the single-machine result.
    Merge(merge::Args),
    /// Score a run's forecast against what happened: Brier, log score, CRPS, skill.
    Score(score::Args),
    /// Which signpost events, seen by a date, move an outcome's probability most.
    Watch(watch::Args),
    /// Find the combinations of assumptions and events behind an outcome (PRIM).
    Discover(discover::Args),
}

/// A failure with the exit code it maps to.
#[derive(Debug)]
pub enum Failure {
    /// Invalid input or usage: exit 2. The message is complete and printed as is.
    Input(String),
    /// Anything else: exit 1.
    Other(anyhow::Error),
    /// Stopped by SIGINT or SIGTERM: exit 130. The message says what was kept.
    Interrupted(String),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Other(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure::Other(e.into())
    }
}

pub type Result<T> = std::result::Result<T, Failure>;

/// At most this many characters of quoted user text appear in a message.
pub const QUOTE_MAX: usize = 80;

/// `text` for quoting in a message: cut to `QUOTE_MAX` characters with an ellipsis.
pub fn quote(text: &str) -> String {
    brink::scenario::diag::clip(text, QUOTE_MAX).into_owned()
}

/// Writes a message to stderr with every line cut to a sane length: the last guard against a
/// message that quotes something huge.
fn report(msg: &str) {
    use std::io::Write as _;
    let mut err = std::io::stderr().lock();
    for line in msg.lines() {
        let _ = writeln!(err, "{}", brink::scenario::diag::clip(line, 1000));
    }
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap prints help and version to stdout with exit 0, usage errors to stderr.
            let code = if e.use_stderr() { 2 } else { 0 };
            if e.use_stderr() {
                report(&e.render().to_string());
            } else {
                use std::io::Write as _;
                let _ = write!(std::io::stdout().lock(), "{}", e.render());
            }
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Trace(args) => trace::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Sensitivity(args) => sensitivity::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Plot(args) => plot::run(args),
        Command::Report(args) => report::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Score(args) => score::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Discover(args) => discover::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(msg)) => {
            report(&msg);
            ExitCode::from(2)
        }
        Err(Failure::Interrupted(msg)) => {
            report(&msg);
            ExitCode::from(130)
        }
        Err(Failure::Other(e)) => {
            report(&format!("error: {e:#}"));
            ExitCode::from(1)
        }
    }
}
