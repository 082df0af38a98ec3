//! `brink plot`: draw the charts of a results directory.
//!
//! Usage: brink plot RESULTS_DIR [--out DIR] [--format svg|png] [--quiet]
//!
//! RESULTS_DIR may also be a scenario's folder of runs (`results/iran_2026`): its newest run,
//! the one `latest` points at, is drawn.
//! What is drawn follows manifest.json's "command" (run, sweep, compare or sensitivity). One
//! file per chart is written into DIR, by default charts/ in the results directory drawn (so
//! `brink plot results/iran_2026` writes to results/iran_2026/latest/charts/). SVG needs no fonts;
//! PNG is the same drawing rasterized with the system's fonts (Debian: fonts-dejavu-core).
//! A result with nothing to draw (a sweep whose metrics are defined in no run) writes no chart
//! and says why on stderr, with what would give one; that is not a failure (exit 0).

use std::path::PathBuf;

use anyhow::Context;

use super::Result;
use super::charts::{self, data, raster::Rasterizer};
use super::output::atomic;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Results directory written by brink run, sweep, compare or sensitivity, or a scenario's
    /// folder of runs (its `latest` run is used).
    pub results: PathBuf,
    /// Output directory [default: charts/ in the results directory; for a scenario's folder
    /// of runs, in its newest run].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Image format.
    #[arg(long, value_enum, default_value = "svg")]
    pub format: Format,
    /// Do not list the files written on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: Args) -> Result<()> {
    let results = data::results_dir(&args.results)?;
    let manifest = data::manifest(&results)?;
    let charts = charts::charts(&results, &manifest)?;
    if charts.is_empty() {
        // Not a failure: the result is whole, it just has nothing a chart could show.
        say!(
            "brink: nothing to chart in {}: {}",
            results.display(),
            charts::nothing_to_chart(&results, &manifest)
        );
        return Ok(());
    }
    let out = args.out.unwrap_or_else(|| results.join("charts"));
    super::outdir::ensure_dir(&out)?;
    let raster = match args.format {
        Format::Png => Some(Rasterizer::new()?),
        Format::Svg => None,
    };
    for c in &charts {
        let name = match &raster {
            Some(r) => {
                let png = r
                    .png(&c.svg)
                    .with_context(|| format!("cannot draw {}.png", c.name))?;
                let name = format!("{}.png", c.name);
                atomic(&out, &name, |w| Ok(std::io::Write::write_all(w, &png)?))?;
                name
            }
            None => {
                let name = format!("{}.svg", c.name);
                atomic(&out, &name, |w| {
                    Ok(std::io::Write::write_all(w, c.svg.as_bytes())?)
                })?;
                name
            }
        };
        if !args.quiet {
            say!("brink: wrote {}", out.join(name).display());
        }
    }
    if !args.quiet {
        say!(
            "brink: {} charts of the {} result for {}",
            charts.len(),
            manifest.kind.name(),
            manifest.scenario
        );
    }
    Ok(())
}
