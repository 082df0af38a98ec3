//! Command-line front end: argument parsing, dispatch, and the mapping of failures to exit
//! codes. Each subcommand lives in its own file with its usage text and a `run` function.
//!
//! Exit codes (the same for every command):
//! - 0 success
//! - 1 any other failure (I/O, internal)
//! - 2 invalid input or usage (bad scenario, bad flag, refused output directory)
//! - 130 interrupted (SIGINT or SIGTERM)

mod load;
mod merge;
mod output;
mod part;
mod progress;
mod run;

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
    /// Combine the part files of a sharded run into the single-machine result.
    Merge(merge::Args),
}

/// A failure with the exit code it maps to.
#[derive(Debug)]
pub enum Failure {
    /// Invalid input or usage: exit 2. The message is complete and printed as is.
    Input(String),
    /// Anything else: exit 1.
    Other(anyhow::Error),
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

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap prints help and version to stdout with exit 0, usage errors to stderr.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Merge(args) => merge::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(msg)) => {
            eprint!("{msg}");
            if !msg.ends_with('\n') {
                eprintln!();
            }
            ExitCode::from(2)
        }
        Err(Failure::Other(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
