//! Where a run's results go, and the promise that no run loses or tears an earlier one.
//!
//! Every file of a run is first written into a hidden staging directory next to its
//! destination (`.brink-staging-*`, on the same file system), and moved into place only when
//! the whole run has succeeded. An interrupted or failed run removes its staging directory, so
//! it leaves nothing behind, and an earlier result is never half-replaced.
//!
//! - By default each run gets a new folder `results/<scenario>/<UTC time>` (with `-2`, `-3`, ...
//!   if that name is taken) and `results/<scenario>/latest` is a symbolic link to the newest,
//!   replaced atomically (a new link renamed over the old one).
//! - An explicit `--out DIR` that already holds files is refused (exit 2) unless `--force`;
//!   with `--force` brink's own files in it are replaced one by one (each by an atomic rename),
//!   stale ones from an earlier run (say runs.csv) are removed, and other files are left alone.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::paths::is_plain_name;
use super::{Failure, Result};

/// Every file name a run may write. `--force` removes only these.
pub const OUTPUTS: &[&str] = &[
    "summary.csv",
    "timeline.csv",
    "distributions.csv",
    "runs.csv",
    "events.csv",
    "compare.csv",
    "morris.csv",
    "sobol.csv",
    "manifest.json",
];

/// The name of the link to the newest result in a scenario's default folder.
pub const LATEST: &str = "latest";

enum Dest {
    /// `--out DIR`.
    Explicit { dir: PathBuf, existed: bool },
    /// A new folder under `parent`, named from `stamp`.
    Fresh { parent: PathBuf, stamp: String },
}

pub struct OutDir {
    staging: tempfile::TempDir,
    dest: Dest,
}

impl OutDir {
    /// Checks the destination and creates the staging directory, before any simulation, so a
    /// refused or unwritable destination costs nothing.
    pub fn prepare(explicit: Option<&Path>, force: bool, scenario_name: &str) -> Result<OutDir> {
        let (parent, dest) = match explicit {
            Some(dir) => {
                let existed = match std::fs::metadata(dir) {
                    Ok(m) if !m.is_dir() => {
                        return Err(Failure::Input(format!(
                            "error: --out `{}` exists and is not a directory\n  = help: choose \
                             a directory for the results\n",
                            dir.display()
                        )));
                    }
                    Ok(_) => true,
                    Err(_) => false,
                };
                if existed && !force {
                    let held = held_files(dir)?;
                    if !held.is_empty() {
                        return Err(Failure::Input(format!(
                            "error: output directory `{}` already holds files ({}); nothing \
                             was run\n  = help: pass --force to replace brink's files in it, \
                             or choose another --out; without --out every run gets a new \
                             folder\n",
                            dir.display(),
                            held.join(", ")
                        )));
                    }
                }
                let parent = match dir.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                let dest = Dest::Explicit {
                    dir: dir.to_path_buf(),
                    existed,
                };
                (parent, dest)
            }
            None => {
                let parent = Path::new("results").join(scenario_name);
                let stamp = jiff::Timestamp::now()
                    .strftime("%Y%m%dT%H%M%SZ")
                    .to_string();
                (parent.clone(), Dest::Fresh { parent, stamp })
            }
        };
        if let Some(file) = parent.ancestors().find(|a| a.is_file()) {
            let wanted = explicit.unwrap_or(&parent);
            return Err(Failure::Input(format!(
                "error: cannot write results under `{}`: `{}` is a file, not a directory\n  \
                 = help: choose an output directory whose parents are directories\n",
                wanted.display(),
                file.display()
            )));
        }
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create output directory {}", parent.display()))?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(".brink-staging-");
        // The staging folder becomes the result folder: make it as readable as any other.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o755));
        }
        let staging = builder.tempdir_in(&parent).map_err(|e| {
            // Keep the OS's reason but not tempfile's random name, so messages are stable.
            let text = e.to_string();
            let reason = text.split(" at path ").next().unwrap_or(&text).to_string();
            anyhow::anyhow!(
                "cannot create a directory in {}: {reason}",
                parent.display()
            )
        })?;
        Ok(OutDir { staging, dest })
    }

    /// The directory every output file is written into during the run.
    pub fn staging(&self) -> &Path {
        self.staging.path()
    }

    /// What an interrupted or failed run leaves untouched, for the message that says so.
    pub fn kept(&self) -> String {
        match &self.dest {
            Dest::Explicit { dir, existed: true } => {
                format!("the files already in {} are untouched", dir.display())
            }
            Dest::Explicit { dir, .. } => format!("{} was not created", dir.display()),
            Dest::Fresh { parent, .. } => {
                format!("earlier results in {} are untouched", parent.display())
            }
        }
    }

    /// Moves the finished files into place and returns where they are.
    pub fn commit(self) -> Result<PathBuf> {
        let produced: Vec<String> = std::fs::read_dir(self.staging.path())?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| is_plain_name(n) && !n.starts_with('.'))
            .collect();
        match self.dest {
            Dest::Explicit { dir, existed } => {
                let staging = self.staging.keep();
                if !existed {
                    std::fs::rename(&staging, &dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                    return Ok(dir);
                }
                for name in OUTPUTS {
                    let target = dir.join(name);
                    if produced.iter().any(|p| p == name) {
                        std::fs::rename(staging.join(name), &target)
                            .with_context(|| format!("cannot write {}", target.display()))?;
                    } else if target.is_file() {
                        // A stale file from an earlier run would contradict this one.
                        std::fs::remove_file(&target)
                            .with_context(|| format!("cannot remove {}", target.display()))?;
                    }
                }
                std::fs::remove_dir_all(&staging).ok();
                Ok(dir)
            }
            Dest::Fresh { parent, stamp } => {
                let (dir, name) = claim(&parent, &stamp)?;
                // Renaming over the empty folder just claimed is atomic on POSIX.
                let staging = self.staging.keep();
                if let Err(e) = std::fs::rename(&staging, &dir) {
                    std::fs::remove_dir(&dir).ok();
                    std::fs::remove_dir_all(&staging).ok();
                    return Err(anyhow::Error::from(e)
                        .context(format!("cannot create {}", dir.display()))
                        .into());
                }
                if let Err(e) = point_latest(&parent, &name) {
                    eprintln!(
                        "brink: warning: results are in {}, but {} was not updated: {e:#}",
                        dir.display(),
                        parent.join(LATEST).display()
                    );
                }
                Ok(dir)
            }
        }
    }
}

/// Names of the visible entries of `dir`, sorted, for the refusal message.
fn held_files(dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

/// Creates the first free folder `stamp`, `stamp-2`, `stamp-3`, ... in `parent`. Creating it is
/// the claim: two runs finishing in the same second get different folders.
fn claim(parent: &Path, stamp: &str) -> Result<(PathBuf, String)> {
    for n in 1u32.. {
        let name = if n == 1 {
            stamp.to_string()
        } else {
            format!("{stamp}-{n}")
        };
        let dir = parent.join(&name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((dir, name)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(anyhow::Error::from(e)
                    .context(format!("cannot create {}", dir.display()))
                    .into());
            }
        }
    }
    unreachable!("u32 folder counter exhausted")
}

/// Points `parent/latest` at `name` by renaming a new link over the old one, so a reader sees
/// the old result or the new one, never a missing link.
#[cfg(unix)]
fn point_latest(parent: &Path, name: &str) -> anyhow::Result<()> {
    let tmp = parent.join(format!(".{LATEST}.{}.tmp", std::process::id()));
    std::fs::remove_file(&tmp).ok();
    std::os::unix::fs::symlink(name, &tmp)?;
    if let Err(e) = std::fs::rename(&tmp, parent.join(LATEST)) {
        std::fs::remove_file(&tmp).ok();
        return Err(e.into());
    }
    Ok(())
}

#[cfg(not(unix))]
fn point_latest(_parent: &Path, _name: &str) -> anyhow::Result<()> {
    Ok(())
}
