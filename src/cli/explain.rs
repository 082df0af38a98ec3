//! `brink explain`: the scenario as a reviewer reads it.
//!
//! Usage: brink explain SCENARIO.toml [--markdown FILE]
//!
//! Prints actors, tracks, the ladder with MID levels, every rule with its kind, source and
//! settings (fixed, or a distribution with mean and range), the metrics with their
//! definitions, and every element and parameter that cites no source. With `--markdown` the
//! same is also written to FILE as markdown, for pasting into a report; FILE is replaced
//! atomically, and the scenario file itself is refused.

use std::io::Write;
use std::path::PathBuf;

use brink::explain::{explain, render_markdown, render_text};

use super::output::{atomic, file_target};
use super::{Result, load};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Also write the explanation as markdown to this file, replacing it; the scenario file
    /// itself is refused.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    let loaded = load::scenario(&args.scenario)?;
    // Checked against every file the scenario reads, not only the one named on the command
    // line: a scenario's `extends` chain is input too.
    let target = match &args.markdown {
        Some(path) => Some(file_target(
            path,
            &super::paths::inputs(&args.scenario, &loaded.scenario.sources),
            "--markdown",
            "scenario.md",
        )?),
        None => None,
    };
    let e = explain(&loaded.scenario, &loaded.text);
    if let Some((dir, name)) = &target {
        let md = render_markdown(&e);
        atomic(dir, name, |w| Ok(w.write_all(md.as_bytes())?))?;
    }
    let mut out = std::io::stdout().lock();
    match out
        .write_all(render_text(&e).as_bytes())
        .and_then(|_| out.flush())
    {
        // A reader that stops early (`| head`) is not a failure.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(anyhow::Error::from(e)
                .context("cannot write to stdout")
                .into());
        }
        _ => {}
    }
    Ok(())
}
