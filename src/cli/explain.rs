//! `brink explain`: the scenario as a reviewer reads it.
//!
//! Usage: brink explain SCENARIO.toml [--markdown FILE]
//!
//! Prints actors, tracks, the ladder with MID levels, every rule with its kind, source and
//! settings (fixed, or a distribution with mean and range), the metrics with their
//! definitions, and every element and parameter that cites no source. With `--markdown` the
//! same is also written to FILE as markdown, for pasting into a report.

use std::io::Write;
use std::path::PathBuf;

use brink::explain::{explain, render_markdown, render_text};

use super::output::atomic;
use super::{Failure, Result, load};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Also write the explanation as markdown to this file.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    let loaded = load::scenario(&args.scenario)?;
    let e = explain(&loaded.scenario, &loaded.text);
    if let Some(path) = &args.markdown {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| {
                Failure::Input(format!(
                    "error: --markdown `{}` names no file; give a path such as scenario.md",
                    path.display()
                ))
            })?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let md = render_markdown(&e);
        atomic(&dir, &name, |w| Ok(w.write_all(md.as_bytes())?))?;
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
