//! `brink merge`: combine the partial results of a sharded `brink run`.
//!
//! Usage: brink merge PART.json... --out DIR
//!
//! Writes into DIR the files the same study run on one machine would have written (summary.csv,
//! timeline.csv, distributions.csv, manifest.json, and runs.csv if the parts were run with
//! --per-run), byte for byte, apart from the manifest's `invocation` block. Refuses, with exit
//! code 2, parts of different scenarios, seeds, run totals or brink versions, and sets of parts
//! that overlap or miss a shard.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use brink::shard::RunPart;
use brink::stats::Aggregate;
use sha2::{Digest, Sha256};

use super::{Failure, Result, load, output, part};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Part files (part-K-of-N.json), one per shard, in any order.
    #[arg(required = true, value_name = "PART")]
    pub parts: Vec<PathBuf>,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Nothing on stderr unless something goes wrong.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: Args) -> Result<()> {
    let started = Instant::now();
    let parts: Vec<RunPart> = args
        .parts
        .iter()
        .map(|p| part::read_run_part(p))
        .collect::<Result<_>>()?;
    let names: Vec<String> = args.parts.iter().map(|p| p.display().to_string()).collect();
    let infos: Vec<(&str, &brink::shard::PartInfo)> = names
        .iter()
        .zip(&parts)
        .map(|(n, p)| (n.as_str(), &p.info))
        .collect();
    let order =
        brink::shard::check_parts(&infos).map_err(|e| Failure::Input(format!("error: {e}")))?;

    let first = &parts[order[0]];
    let bad = |name: &str, what: &str| Failure::Input(format!("error: {name}: {what}"));
    for (name, p) in names.iter().zip(&parts) {
        if super::run::hex(&Sha256::digest(p.scenario_text.as_bytes())) != p.info.scenario_sha256 {
            return Err(bad(
                name,
                "its scenario text does not match its checksum; the part is damaged",
            ));
        }
        if p.runs_csv.is_some() != first.runs_csv.is_some() {
            return Err(bad(
                name,
                "some parts were run with --per-run and some without; rerun them alike",
            ));
        }
    }
    for (i, p) in parts.iter().enumerate() {
        if p.overrides != first.overrides {
            return Err(bad(
                &names[i],
                "its --set overrides differ from the other parts'; rerun them alike",
            ));
        }
    }
    let text = super::overrides::apply(&first.scenario_text, &first.overrides)?;
    let sc = brink::scenario::parse(&text, &first.scenario_path)
        .map_err(|e| Failure::Input(e.render()))?;
    let mut total = Aggregate::new(&sc);
    for &i in &order {
        let (name, a) = (&names[i], &parts[i].aggregate);
        let fits = a.horizon == total.horizon
            && a.first_day.len() == total.first_day.len()
            && a.first_day
                .iter()
                .all(|d| d.len() == total.horizon as usize)
            && a.hist.len() == total.hist.len()
            && a.daily.len() == total.daily.len()
            && a.runs == parts[i].info.end - parts[i].info.start;
        if !fits {
            return Err(bad(
                name,
                "its aggregate does not fit its scenario; the part is damaged",
            ));
        }
        total.merge(a);
    }

    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create output directory {}", args.out.display()))?;
    output::write_summary(&args.out, &sc, &total)?;
    output::write_timeline(&args.out, &sc, &total)?;
    output::write_distributions(&args.out, &sc, &total)?;
    if first.runs_csv.is_some() {
        concat_runs(&args, &parts, &order)?;
    }
    let loaded = load::Loaded {
        scenario: sc,
        text: first.scenario_text.clone(),
        path: first.scenario_path.clone(),
    };
    let elapsed = started.elapsed().as_secs_f64();
    let mut manifest = super::run::manifest(&loaded, first.info.seed, first.info.total, elapsed, 1);
    manifest["overrides"] = super::overrides::manifest(&first.overrides);
    manifest["invocation"] = serde_json::json!({
        "command_line": std::env::args().collect::<Vec<_>>(),
        "merged_parts": names,
        "elapsed_seconds": elapsed,
    });
    output::write_manifest(&args.out, &manifest)?;
    if !args.quiet {
        eprintln!(
            "brink: merged {} parts ({} runs); wrote {}",
            parts.len(),
            total.runs,
            args.out.display()
        );
    }
    Ok(())
}

/// Concatenates the parts' runs.csv files in shard order into DIR/runs.csv: the first header,
/// then every part's rows, checking each part has the same header and one row per run.
fn concat_runs(args: &Args, parts: &[RunPart], order: &[usize]) -> Result<()> {
    let out = &args.out;
    let tmp = output::temp_file(out, "runs.csv")?;
    let mut w = BufWriter::new(tmp.as_file());
    let mut header: Option<String> = None;
    let mut line = String::new();
    for &i in order {
        let p = &parts[i];
        let file = args.parts[i]
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join(p.runs_csv.as_deref().unwrap_or_default());
        let shown = file.display().to_string();
        let f = std::fs::File::open(&file).map_err(|e| {
            Failure::Input(format!(
                "error: cannot read `{shown}`, the per-run rows of {}: {e}",
                args.parts[i].display()
            ))
        })?;
        let mut r = BufReader::new(f);
        line.clear();
        r.read_line(&mut line)
            .with_context(|| format!("cannot read {shown}"))?;
        match &header {
            None => {
                w.write_all(line.as_bytes())?;
                header = Some(line.clone());
            }
            Some(h) if *h == line => {}
            Some(_) => {
                return Err(Failure::Input(format!(
                    "error: `{shown}` has a different header from the other parts' runs.csv"
                )));
            }
        }
        let mut rows = 0u64;
        loop {
            line.clear();
            if r.read_line(&mut line)
                .with_context(|| format!("cannot read {shown}"))?
                == 0
            {
                break;
            }
            w.write_all(line.as_bytes())?;
            rows += 1;
        }
        let want = p.info.end - p.info.start;
        if rows != want {
            return Err(Failure::Input(format!(
                "error: `{shown}` has {rows} rows but its shard has {want} runs; the file is \
                 incomplete or damaged"
            )));
        }
    }
    w.flush().context("cannot write runs.csv")?;
    drop(w);
    tmp.as_file().sync_all().ok();
    tmp.persist(out.join("runs.csv"))
        .map_err(|e| anyhow::Error::from(e.error))
        .context("cannot write runs.csv")?;
    Ok(())
}
