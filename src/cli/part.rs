//! Partial results on disk: choosing the shard (flag or cluster environment), writing a
//! shard's part file, and reading parts back for `brink merge`.
//!
//! A part is `part-K-of-N.json` and, with --per-run, `part-K-of-N.runs.csv` beside it: that
//! shard's rows of runs.csv, header included, so the merge only concatenates. The JSON holds a
//! `brink::shard::RunPart` (study identity, shard, aggregate, scenario text, the runs file's
//! name and SHA-256) sealed with the SHA-256 of its own content, so a merge notices a part that
//! was changed or damaged after brink wrote it.

use std::path::{Path, PathBuf};

use brink::shard::{self, PartInfo, RunPart, Shard};
use brink::stats::Aggregate;
use serde::{Deserialize, Serialize};

use super::output::atomic;
use super::study::sha256;
use super::{Failure, Result, load, quote};

/// The most a part file may weigh: its aggregate grows with metrics × horizon, never with runs.
const MAX_PART: u64 = 256 << 20;

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
/// of one study share it; each writes only its own files.
pub fn parts_dir(out: Option<&Path>, scenario: &str) -> PathBuf {
    out.map_or_else(
        || PathBuf::from("results").join(scenario).join("parts"),
        Path::to_path_buf,
    )
}

/// The files shard `shard` writes: its part and its per-run rows.
pub fn files(shard: Shard) -> Vec<String> {
    vec![json_name(shard), runs_name(shard)]
}

fn json_name(shard: Shard) -> String {
    format!("{}.json", shard::part_stem(shard))
}

/// The name of shard `shard`'s per-run rows.
pub fn runs_name(shard: Shard) -> String {
    format!("{}.runs.csv", shard::part_stem(shard))
}

/// A part as written: its content and the SHA-256 of that content's compact JSON.
#[derive(Serialize, Deserialize)]
struct Sealed {
    sha256: String,
    part: RunPart,
}

/// Writes shard `shard`'s part into `dir` (the staging folder); `runs_csv` is the name and
/// SHA-256 of its per-run rows, already there.
#[allow(clippy::too_many_arguments)] // each is one field of the part file
pub fn write_run_part(
    dir: &Path,
    loaded: &load::Loaded,
    seed: u64,
    runs: u64,
    shard: Shard,
    total: Aggregate,
    runs_csv: Option<(String, String)>,
    set: &[brink::scenario::overrides::Override],
) -> Result<()> {
    let (runs_csv, runs_csv_sha256) = runs_csv.unzip();
    let part = RunPart {
        info: PartInfo::new(
            "run",
            &sha256(loaded.text.as_bytes()),
            seed,
            runs,
            brink::engine::CHUNK,
            shard,
        ),
        scenario_path: loaded.path.clone(),
        scenario_text: loaded.text.clone(),
        scenario_files: loaded.scenario.sources.clone(),
        runs_csv,
        runs_csv_sha256,
        overrides: set.to_vec(),
        aggregate: total,
    };
    let body = serde_json::to_string(&part).map_err(anyhow::Error::from)?;
    let sealed = Sealed {
        sha256: sha256(body.as_bytes()),
        part,
    };
    atomic(dir, &json_name(shard), |w| {
        serde_json::to_writer(&mut *w, &sealed)?;
        std::io::Write::write_all(w, b"\n")?;
        Ok(())
    })?;
    Ok(())
}

/// Reads a part file and checks its seal; an unreadable, malformed or changed part is an input
/// error naming the file.
pub fn read_run_part(path: &Path) -> Result<RunPart> {
    let text = load::text(path, "part", MAX_PART)?;
    let shown = quote(&path.display().to_string());
    let sealed: Sealed = serde_json::from_str(&text).map_err(|e| {
        Failure::Input(format!(
            "error: `{shown}` is not a brink part file ({}); parts are the part-K-of-N.json \
             files that `brink run --shard K/N` writes",
            quote(&e.to_string())
        ))
    })?;
    let body = serde_json::to_string(&sealed.part).map_err(anyhow::Error::from)?;
    if sha256(body.as_bytes()) != sealed.sha256 {
        return Err(Failure::Input(format!(
            "error: `{shown}`: its checksum does not match its content; the part was changed \
             or damaged after brink wrote it\n  = help: run its shard again"
        )));
    }
    Ok(sealed.part)
}
