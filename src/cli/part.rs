//! Partial results on disk: choosing the shard (flag or cluster environment), writing a
//! shard's part file, and reading parts back for `brink merge`.
//!
//! A part is `part-K-of-N.json` (a `brink::shard::RunPart`: study identity, shard, aggregate
//! and the scenario text) and, with --per-run, `part-K-of-N.runs.csv` beside it: that shard's
//! rows of runs.csv, header included, so the merge only concatenates.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::Context;
use brink::shard::{self, PartInfo, RunPart, Shard};
use brink::stats::Aggregate;
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use super::output::atomic;
use super::{Failure, Result, load};

/// The shard to compute: `--shard` if given, else the cluster engine's environment unless
/// `ignore_env`, else none (the whole study).
pub fn choose(flag: Option<Shard>, ignore_env: bool) -> Result<Option<Shard>> {
    if flag.is_some() || ignore_env {
        return Ok(flag);
    }
    shard::from_env(|k| std::env::var(k).ok())
        .map_err(|e| Failure::Input(format!("error: {e} (or pass --no-shard to run everything)")))
}

/// The folder a shard writes its part into: `--out`, or results/<scenario>/parts. The shards
/// of one study share it, so only this shard's own part file must be new (or `--force`).
pub fn parts_dir(out: Option<&Path>, scenario: &str, shard: Shard, force: bool) -> Result<PathBuf> {
    let dir = out.map_or_else(
        || PathBuf::from("results").join(scenario).join("parts"),
        Path::to_path_buf,
    );
    if dir.exists() && !dir.is_dir() {
        return Err(Failure::Input(format!(
            "error: --out {} is not a directory",
            dir.display()
        )));
    }
    let part = dir.join(format!("{}.json", shard::part_stem(shard)));
    if part.exists() && !force {
        return Err(Failure::Input(format!(
            "error: {} already exists; pass --force to replace it",
            part.display()
        )));
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// An open runs.csv being written: the temporary file and its CSV writer.
pub type RunsTmp = (NamedTempFile, csv::Writer<BufWriter<File>>);

/// Writes shard `shard`'s part (and its runs.csv) into `out`; returns the part's path.
#[allow(clippy::too_many_arguments)] // each is one field of the part file
pub fn write_run_part(
    out: &Path,
    loaded: &load::Loaded,
    seed: u64,
    runs: u64,
    shard: Shard,
    total: Aggregate,
    runs_tmp: Option<RunsTmp>,
    set: &[brink::scenario::overrides::Override],
) -> Result<PathBuf> {
    let stem = shard::part_stem(shard);
    let runs_csv = match runs_tmp {
        Some((tmp, mut w)) => {
            let name = format!("{stem}.runs.csv");
            w.flush().context("cannot write runs.csv")?;
            drop(w);
            tmp.persist(out.join(&name))
                .map_err(|e| anyhow::Error::from(e.error))
                .with_context(|| format!("cannot write {}", out.join(&name).display()))?;
            Some(name)
        }
        None => None,
    };
    let sha = super::run::hex(&Sha256::digest(loaded.text.as_bytes()));
    let part = RunPart {
        info: PartInfo::new("run", &sha, seed, runs, brink::engine::CHUNK, shard),
        scenario_path: loaded.path.clone(),
        scenario_text: loaded.text.clone(),
        runs_csv,
        overrides: set.to_vec(),
        aggregate: total,
    };
    let name = format!("{stem}.json");
    atomic(out, &name, |w| {
        serde_json::to_writer(&mut *w, &part)?;
        std::io::Write::write_all(w, b"\n")?;
        Ok(())
    })?;
    Ok(out.join(name))
}

/// Reads a part file; an unreadable or malformed part is an input error naming the file.
pub fn read_run_part(path: &Path) -> Result<RunPart> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::Input(format!("error: cannot read part `{}`: {e}", path.display()))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        Failure::Input(format!(
            "error: `{}` is not a brink part file ({e}); parts are the part-K-of-N.json files \
             that `brink run --shard K/N` writes",
            path.display()
        ))
    })
}
