//! `brink report`: one self-contained HTML page of a results directory.
//!
//! Usage: brink report RESULTS_DIR [--out DIR] [--quiet]
//!
//! RESULTS_DIR may also be a scenario's folder of runs (`results/iran_2026`): its newest run
//! is reported.
//! Writes report.html into DIR (by default RESULTS_DIR): the scenario name, seed, runs, brink
//! version and scenario checksum from manifest.json, every chart of `brink plot` inline as SVG,
//! and the main table (summary.csv, sweep.csv, compare.csv, sobol.csv or morris.csv). It loads
//! nothing from the network, so it opens offline and can be mailed as one file.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::Result;
use super::charts::{self, data};
use super::output::atomic;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Results directory written by brink run, sweep, compare or sensitivity, or a scenario's
    /// folder of runs (its `latest` run is used).
    pub results: PathBuf,
    /// Output directory [default: RESULTS_DIR].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Do not report the file written on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: Args) -> Result<()> {
    let results = data::results_dir(&args.results)?;
    let m = data::manifest(&results)?;
    let charts = charts::charts(&results, &m)?;
    let tables: Vec<data::Table> = table_files(m.kind)
        .iter()
        .filter(|f| results.join(f).is_file())
        .map(|f| data::Table::read(&results, f))
        .collect::<Result<_>>()?;
    let html = page(&m, &charts, &tables);
    let out = args.out.unwrap_or(results);
    super::outdir::ensure_dir(&out)?;
    atomic(&out, "report.html", |w| {
        Ok(std::io::Write::write_all(w, html.as_bytes())?)
    })?;
    if !args.quiet {
        say!("brink: wrote {}", out.join("report.html").display());
    }
    Ok(())
}

fn table_files(kind: data::Kind) -> &'static [&'static str] {
    match kind {
        data::Kind::Run => &["summary.csv"],
        data::Kind::Sweep => &["points.csv", "sweep.csv"],
        data::Kind::Compare => &["compare.csv"],
        data::Kind::Sensitivity => &["sobol.csv", "morris.csv"],
    }
}

/// Escapes text for HTML content and attribute values.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "
body { font-family: 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif; margin: 2em auto;
       max-width: 1080px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dt { font-weight: bold; } dd { margin: 0; font-family: monospace; word-break: break-all; }
figure { margin: 1.5em 0; } figcaption { color: #555; font-size: 0.95em; }
figure svg { max-width: 100%; height: auto; border: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.8em; margin: 1em 0; }
.scroll { overflow-x: auto; }
th, td { border-bottom: 1px solid #ddd; padding: 0.2em 0.45em; text-align: right; }
th { background: #f3f3f3; } td.t, td:first-child, th:first-child { text-align: left; }
.note { color: #555; font-size: 0.9em; }
";

fn page(m: &data::Manifest, charts: &[charts::Chart], tables: &[data::Table]) -> String {
    let unknown = || "unknown".to_string();
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>brink {kind}: {name}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>brink {kind}: {name}</h1>\n<dl>\n",
        kind = m.kind.name(),
        name = esc(&m.scenario)
    );
    let facts = [
        ("scenario", m.scenario.clone()),
        (
            "scenario file",
            m.scenario_path.clone().unwrap_or_else(unknown),
        ),
        ("scenario SHA-256", m.sha256.clone().unwrap_or_else(unknown)),
        ("seed", m.seed.map_or_else(unknown, |s| s.to_string())),
        ("runs", m.runs.map_or_else(unknown, |r| r.to_string())),
        ("brink version", m.version.clone().unwrap_or_else(unknown)),
    ];
    for (k, v) in facts {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&v));
    }
    h.push_str("</dl>\n");
    for c in charts {
        let _ = write!(
            h,
            "<figure id=\"{id}\">\n{svg}\n<figcaption>{cap}</figcaption>\n</figure>\n",
            id = esc(&c.name),
            svg = strip_xml_declaration(&c.svg),
            cap = esc(&c.caption)
        );
    }
    for t in tables {
        let name = t
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<h2>{}</h2>\n<div class=\"scroll\"><table>\n<tr>",
            esc(&name)
        );
        for col in &t.header {
            let _ = write!(h, "<th>{}</th>", esc(col));
        }
        h.push_str("</tr>\n");
        for row in &t.rows {
            h.push_str("<tr>");
            for cell in row {
                // Numbers align right so their digits line up; names read better on the left.
                if cell.is_empty() || cell.parse::<f64>().is_ok() {
                    let _ = write!(h, "<td>{}</td>", esc(cell));
                } else {
                    let _ = write!(h, "<td class=\"t\">{}</td>", esc(cell));
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table></div>\n");
    }
    h.push_str(
        "<p class=\"note\">Written by brink report. The CSV files beside it hold every number; \
         results/README.md in the brink repository explains them.</p>\n</body>\n</html>\n",
    );
    h
}

/// An inline SVG must not carry an XML declaration.
fn strip_xml_declaration(svg: &str) -> &str {
    match svg.strip_prefix("<?xml") {
        Some(rest) => rest.find("?>").map_or(svg, |i| rest[i + 2..].trim_start()),
        None => svg,
    }
}
