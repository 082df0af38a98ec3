//! `brink merge`: combine the partial results of a sharded `brink run`.
//!
//! Usage: brink merge PART.json... [--out DIR] [--force] [--quiet]
//!
//! Writes the files the same study run on one machine would have written (summary.csv,
//! timeline.csv, distributions.csv, manifest.json, and runs.csv if the parts were run with
//! --per-run), byte for byte, apart from the manifest's `invocation` block, into DIR, by default
//! a new folder results/<scenario name>/<UTC time>/ linked as latest, under the output folder
//! rule of outdir.rs.
//!
//! Nothing is written before the whole set is checked: every part's seal (the SHA-256 of its
//! content), that the parts come from one study (scenario, seed, run total, brink version) and
//! cover it exactly once, that every count fits its run count (no probability above 1, every
//! histogram counting each run once, checked sums), and that no part names a file outside its
//! folder. The per-run rows are checked against their SHA-256 as they are copied into the
//! staging folder, before anything is committed. Every refusal is exit code 2 with the names of
//! the files at fault; no part, however made, makes it panic.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use brink::shard::RunPart;
use brink::stats::Aggregate;
use sha2::Digest;

use super::outdir::{OutDir, Plan, RUN_FILES};
use super::output::{self, Pending};
use super::paths::is_plain_name;
use super::study::{Invocation, OutArgs, WriteManifest, hex, interrupt_flag, run_manifest, sha256};
use super::{Failure, Result, load, part, quote};

#[derive(clap::Args, Debug)]
#[command(mut_arg("out", |a| a.help(
    "Output directory [default: a new folder results/<scenario name>/<UTC time>/, linked as \
     latest, as `brink run` would write]"
)))]
pub struct Args {
    /// Part files (part-K-of-N.json), one per shard, in any order.
    #[arg(required = true, value_name = "PART")]
    pub parts: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutArgs,
}

/// The composite a part's scenario text was merged from, so that its problems are reported at
/// the lines of the files that hold them: read again from the scenario's files when they still
/// give the same text. Otherwise the text is shown as the part (`name`) holds it, named so:
/// its line numbers are those of the merged text, not of any file.
/// None for a scenario that extends nothing: its text is its file's.
fn composite(p: &RunPart, name: &str) -> Option<brink::scenario::Composite> {
    if p.scenario_files.len() <= 1 {
        return None;
    }
    let path = Path::new(&p.scenario_path);
    let again = load::read(path)
        .and_then(|text| brink::load::compose(path, &text, &mut load::read))
        .ok()
        .filter(|(c, _)| c.text == p.scenario_text && c.files == p.scenario_files);
    Some(match again {
        Some((c, _)) => c,
        None => brink::scenario::Composite::single(
            &p.scenario_text,
            &format!(
                "{} merged with the files it extends, as {name} holds it",
                p.scenario_path
            ),
        ),
    })
}

pub fn run(args: Args) -> Result<()> {
    let stop = interrupt_flag();
    let started = std::time::Instant::now();
    let parts: Vec<RunPart> = args
        .parts
        .iter()
        .map(|p| part::read_run_part(p))
        .collect::<Result<_>>()?;
    let names: Vec<String> = args
        .parts
        .iter()
        .map(|p| quote(&p.display().to_string()))
        .collect();
    let infos: Vec<(&str, &brink::shard::PartInfo)> = names
        .iter()
        .zip(&parts)
        .map(|(n, p)| (n.as_str(), &p.info))
        .collect();
    let order =
        brink::shard::check_parts(&infos).map_err(|e| Failure::Input(format!("error: {e}")))?;

    let first = &parts[order[0]];
    let bad = |name: &str, what: &str| Failure::Input(format!("error: {name}: {what}"));
    if first.info.command != "run" || first.info.unit != brink::engine::CHUNK {
        return Err(bad(
            &names[order[0]],
            "it is not a part of `brink run` (its command or its shard unit differ)",
        ));
    }
    for (name, p) in names.iter().zip(&parts) {
        if sha256(p.scenario_text.as_bytes()) != p.info.scenario_sha256 {
            return Err(bad(
                name,
                "its scenario text does not match its checksum; the part is damaged",
            ));
        }
        if p.overrides != first.overrides {
            return Err(bad(
                name,
                "its --set overrides differ from the other parts'; rerun them alike",
            ));
        }
        if p.runs_csv.is_some() != first.runs_csv.is_some() {
            return Err(bad(
                name,
                "some parts were run with --per-run and some without; rerun them alike",
            ));
        }
        if let Some(f) = &p.runs_csv
            && (!is_plain_name(f) || p.runs_csv_sha256.is_none())
        {
            return Err(bad(
                name,
                &format!(
                    "it names its per-run rows `{}`, which is not a file beside it (or has no \
                     checksum); the part is damaged",
                    quote(f)
                ),
            ));
        }
    }
    let text = super::overrides::apply(&first.scenario_text, &first.overrides)?;
    let parsed = match composite(first, &names[order[0]]) {
        Some(c) => c.parse(&text),
        None => brink::scenario::parse(&text, &first.scenario_path),
    };
    let mut sc =
        parsed.map_err(|e| Failure::Input(super::overrides::render(e, &first.overrides)))?;
    // The composed text no longer says which files it came from; the part does.
    if !first.scenario_files.is_empty() {
        sc.sources = first.scenario_files.clone();
    }
    let mut total = Aggregate::new(&sc);
    for &i in &order {
        let (name, p) = (&names[i], &parts[i]);
        let a = &p.aggregate;
        if a.runs != p.info.end - p.info.start {
            return Err(bad(
                name,
                &format!(
                    "its counts are of {} runs but its shard holds {}; the part is damaged",
                    a.runs,
                    p.info.end - p.info.start
                ),
            ));
        }
        a.check(&sc)
            .and_then(|()| total.checked_merge(a))
            .map_err(|e| bad(name, &format!("{e}; the part is damaged")))?;
    }
    if total.runs != first.info.total {
        return Err(Failure::Input(format!(
            "error: the parts hold {} runs, not the study's {}",
            total.runs, first.info.total
        )));
    }

    // Every check passed: only now is anything written, and only into a staging folder.
    let folders: Vec<PathBuf> = args.parts.iter().map(|p| folder_of(p)).collect();
    let mut inputs = args.parts.clone();
    for (i, p) in parts.iter().enumerate() {
        if let Some(f) = &p.runs_csv {
            inputs.push(folders[i].join(f));
        }
    }
    // A study's result usually sits beside its parts (study/ and study/parts/): the folder of
    // the parts being merged does not count as a file already in --out.
    let own: Vec<String> = match &args.output.out {
        Some(dir) => parts_folders_in(dir, &folders),
        None => Vec::new(),
    };
    let own: Vec<&str> = own.iter().map(String::as_str).collect();
    let out = OutDir::prepare(Plan {
        inputs: &inputs,
        own: &own,
        ..Plan::new(args.output.dest(&sc.name), args.output.force, RUN_FILES)
    })?;
    let staging = out.staging().to_path_buf();
    output::write_summary(&staging, &sc, &total)?;
    output::write_timeline(&staging, &sc, &total)?;
    output::write_distributions(&staging, &sc, &total)?;
    if first.runs_csv.is_some() {
        let file = Pending::new(&staging, "runs.csv")?;
        if !concat_runs(&file, &parts, &names, &folders, &order, &stop)? {
            return Err(Failure::Interrupted(format!(
                "brink: interrupted; nothing was written and {}",
                out.kept()
            )));
        }
        file.commit()?;
    }
    let loaded = load::Loaded {
        scenario: sc,
        text: first.scenario_text.clone(),
        path: first.scenario_path.clone(),
    };
    let invocation = Invocation {
        command_line: std::env::args().collect(),
        threads: None,
        elapsed_seconds: started.elapsed().as_secs_f64(),
        points_computed: None,
        merged_parts: Some(args.parts.iter().map(|p| p.display().to_string()).collect()),
    };
    run_manifest(
        &loaded,
        first.info.seed,
        first.info.total,
        &first.overrides,
        invocation,
    )
    .write(&staging)?;
    if stop.load(Ordering::Relaxed) {
        return Err(Failure::Interrupted(format!(
            "brink: interrupted; nothing was written and {}",
            out.kept()
        )));
    }
    let dir = out.commit()?;
    if !args.output.quiet {
        say!(
            "brink: merged {} parts ({} runs); wrote {}",
            parts.len(),
            total.runs,
            dir.display()
        );
    }
    Ok(())
}

/// The names of the entries of `dir` that are folders of the parts being merged.
fn parts_folders_in(dir: &Path, folders: &[PathBuf]) -> Vec<String> {
    let Ok(dir) = std::fs::canonicalize(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = folders
        .iter()
        .filter_map(|f| std::fs::canonicalize(f).ok())
        .filter(|f| f.parent() == Some(dir.as_path()))
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    names.dedup();
    names
}

/// The folder a part's per-run rows are beside.
fn folder_of(part: &Path) -> PathBuf {
    match part.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Concatenates the parts' per-run rows in shard order into `file`: the first header, then
/// every part's rows, checking that each file has the same header, one row per run and the
/// SHA-256 its part records. False if `stop` was raised.
fn concat_runs(
    file: &Pending,
    parts: &[RunPart],
    names: &[String],
    folders: &[PathBuf],
    order: &[usize],
    stop: &AtomicBool,
) -> Result<bool> {
    let mut w = file.writer()?;
    let mut header: Option<Vec<u8>> = None;
    let mut line = Vec::new();
    for &i in order {
        let p = &parts[i];
        let path = folders[i].join(p.runs_csv.as_deref().unwrap_or_default());
        let shown = quote(&path.display().to_string());
        let f = std::fs::File::open(&path).map_err(|e| {
            Failure::Input(format!(
                "error: cannot read `{shown}`, the per-run rows of {}: {e}",
                names[i]
            ))
        })?;
        let mut r = BufReader::new(f);
        let mut hash = sha2::Sha256::new();
        let mut rows = 0u64;
        let want = p.info.end - p.info.start;
        let mut first_line = true;
        loop {
            line.clear();
            if r.read_until(b'\n', &mut line)
                .with_context(|| format!("cannot read {shown}"))?
                == 0
            {
                break;
            }
            hash.update(&line);
            if first_line {
                first_line = false;
                match &header {
                    None => {
                        w.write_all(&line).context("cannot write runs.csv")?;
                        header = Some(line.clone());
                    }
                    Some(h) if *h == line => {}
                    Some(_) => {
                        return Err(Failure::Input(format!(
                            "error: `{shown}` has a different header from the other parts' \
                             runs.csv"
                        )));
                    }
                }
                continue;
            }
            w.write_all(&line).context("cannot write runs.csv")?;
            rows += 1;
            if rows.is_multiple_of(65_536) && stop.load(Ordering::Relaxed) {
                return Ok(false);
            }
        }
        if rows != want || p.runs_csv_sha256.as_deref() != Some(hex(&hash.finalize()).as_str()) {
            return Err(Failure::Input(format!(
                "error: `{shown}` is not the file its part {} was written with ({rows} rows for \
                 {want} runs, or another checksum); it is incomplete or damaged",
                names[i]
            )));
        }
    }
    w.flush().context("cannot write runs.csv")?;
    Ok(true)
}
