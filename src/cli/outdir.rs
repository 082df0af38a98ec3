//! Where a command's results go, and the promise that no command loses, tears or mixes up a
//! result: the output folder rule every command that writes a folder follows.
//!
//! - Every file of a result is first written into a hidden staging folder
//!   (`.brink-staging-*`) on the destination's own file system: inside the destination when it
//!   exists (an empty mount point included), else beside it. Nothing in the destination changes
//!   until the whole result is ready, and an interrupted or failed command removes its staging
//!   folder, so it leaves nothing behind.
//! - By default each result gets a new folder `results/<name>/<UTC time>` (with `-2`, `-3`, ...
//!   if that name is taken) and `results/<name>/latest` is a symbolic link to the newest,
//!   replaced atomically (a new link renamed over the old one).
//! - An explicit `--out DIR` that already holds files is refused (exit 2) before anything is
//!   computed, unless `--force`. Each command knows its own files ([`RUN_FILES`] and so on):
//!   with `--force` it replaces those, removes those of them it did not produce this time (a
//!   stale runs.csv would contradict the new summary), and leaves every other file alone.
//! - Replacing is a swap: the old files of the set are moved aside into a hidden folder in DIR,
//!   the new ones moved in, and only then the old ones deleted; if any move fails, everything is
//!   moved back, so a failed `--force` leaves the previous result whole.
//! - No file a command reads (a scenario, a part) is ever replaced, and no name outside the
//!   command's own set is ever written: files are written by plain names inside the folder.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::paths::{is_plain_name, same_file};
use super::{Failure, Result, quote};

/// The files of a run's result (`brink run`, `brink merge`).
pub const RUN_FILES: &[&str] = &[
    "summary.csv",
    "timeline.csv",
    "distributions.csv",
    "runs.csv",
    "events.csv",
    "manifest.json",
];
/// The files of `brink compare`.
pub const COMPARE_FILES: &[&str] = &["compare.csv", "manifest.json"];
/// The files of `brink sensitivity`.
pub const SENSITIVITY_FILES: &[&str] = &["morris.csv", "sobol.csv", "manifest.json"];
/// The files of `brink sweep`.
pub const SWEEP_FILES: &[&str] = &["points.csv", "sweep.csv", "manifest.json"];

/// The name of the link to the newest result in a default folder of results.
pub const LATEST: &str = "latest";

/// Where a command wants its result.
pub enum Dest {
    /// A new folder `parent/<UTC time>`, with `parent/latest` pointing at it.
    Fresh(PathBuf),
    /// `--out DIR`: created if missing; if it holds files, refused unless `--force`.
    Explicit(PathBuf),
    /// A folder the processes of one study share (the parts of a sharded run): only this
    /// process's own files must be new, unless `--force`.
    Shared(PathBuf),
}

/// What a command asks of its output folder.
pub struct Plan<'a> {
    pub dest: Dest,
    pub force: bool,
    /// The command's own files: the only names it writes, replaces or removes.
    pub files: Vec<String>,
    /// Files the command reads, which it must never replace.
    pub inputs: &'a [PathBuf],
    /// Hidden entries of an explicit folder that belong to the command and do not count as
    /// files in it (a sweep's finished points, kept for `--resume`).
    pub own: &'a [&'a str],
}

impl<'a> Plan<'a> {
    pub fn new(dest: Dest, force: bool, files: &[&str]) -> Plan<'a> {
        Plan {
            dest,
            force,
            files: files.iter().map(|f| f.to_string()).collect(),
            inputs: &[],
            own: &[],
        }
    }
}

enum Target {
    Fresh {
        parent: PathBuf,
        stamp: String,
    },
    /// A folder that did not exist: the staging folder is renamed to it.
    New(PathBuf),
    /// A folder that exists: files are swapped into it. Without `force`, none of the
    /// command's files may be there when they are moved in (another process may have written
    /// them meanwhile).
    Into {
        dir: PathBuf,
        explicit: bool,
        force: bool,
    },
}

/// A result being staged.
pub struct OutDir {
    staging: tempfile::TempDir,
    target: Target,
    files: Vec<String>,
    /// Dropped after `staging`: the folders made for this result, removed if it never comes.
    created: Created,
}

/// Folders a command created on the way to its output folder, deepest first. Unless cleared
/// (a result was committed), dropping it removes those still empty, so a command that ends
/// without a result (refused, interrupted, failed) leaves no empty `results/<name>/` behind.
struct Created(Vec<PathBuf>);

impl Drop for Created {
    fn drop(&mut self) {
        for d in &self.0 {
            if std::fs::remove_dir(d).is_err() {
                break;
            }
        }
    }
}

/// The folders on the way to `dir` (itself included) that do not exist yet, deepest first.
fn missing(dir: &Path) -> Vec<PathBuf> {
    dir.ancestors()
        .filter(|a| !a.as_os_str().is_empty() && std::fs::symlink_metadata(a).is_err())
        .map(Path::to_path_buf)
        .collect()
}

impl OutDir {
    /// Checks the destination and creates the staging folder, before any computation, so a
    /// refused or unwritable destination costs nothing.
    pub fn prepare(plan: Plan) -> Result<OutDir> {
        let made = match &plan.dest {
            Dest::Fresh(parent) => missing(parent),
            Dest::Explicit(dir) => missing(&parent_of(dir)),
            Dest::Shared(dir) => missing(dir),
        };
        let (target, stage_in) = admit(&plan)?;
        let created = Created(made);
        let staging = hidden_dir(&stage_in, ".brink-staging-")?;
        Ok(OutDir {
            staging,
            target,
            files: plan.files,
            created,
        })
    }

    /// Checks the destination as `prepare` does, without staging anything: for a command that
    /// computes for long before it stages (a sweep), so a refusal still comes first.
    pub fn check(plan: &Plan) -> Result<()> {
        admit(plan).map(|_| ())
    }

    /// The folder every output file is written into until `commit`.
    pub fn staging(&self) -> &Path {
        self.staging.path()
    }

    /// What an interrupted or failed command leaves untouched, for the message that says so.
    pub fn kept(&self) -> String {
        match &self.target {
            Target::Into {
                dir,
                explicit: true,
                ..
            } => format!("the files already in {} are untouched", dir.display()),
            Target::Into { dir, .. } => {
                format!("other files in {} are untouched", dir.display())
            }
            Target::New(dir) => format!("{} was not created", dir.display()),
            Target::Fresh { parent, .. } => {
                format!("earlier results in {} are untouched", parent.display())
            }
        }
    }

    /// Moves the finished files into place, all or none, and returns the result's folder.
    pub fn commit(self) -> Result<PathBuf> {
        let produced = self.produced()?;
        let OutDir {
            staging,
            target,
            files,
            mut created,
        } = self;
        // The result's folders stay, whatever becomes of this commit.
        created.0.clear();
        match target {
            Target::New(dir) => {
                let staged = staging.path().to_path_buf();
                // Renaming onto a name that is free (or an empty folder) is atomic.
                if let Err(e) = std::fs::rename(&staged, &dir) {
                    let taken = is_dir(&dir).unwrap_or(false);
                    drop(staging);
                    return Err(if taken {
                        anyhow::anyhow!(
                            "{} was created by another process while brink ran, so this \
                             result was not written (the folder is left as the other process \
                             wrote it): {e}",
                            dir.display()
                        )
                    } else {
                        anyhow::Error::from(e).context(format!("cannot create {}", dir.display()))
                    }
                    .into());
                }
                let _ = staging.keep();
                Ok(dir)
            }
            Target::Into { dir, force, .. } => {
                if !force
                    && let Some(f) = files
                        .iter()
                        .find(|f| std::fs::symlink_metadata(dir.join(f)).is_ok())
                {
                    return Err(anyhow::anyhow!(
                        "{} was written by another process while brink ran, so this result \
                         was not written (pass --force to replace it)",
                        dir.join(f).display()
                    )
                    .into());
                }
                swap(&dir, staging.path(), &files, &produced, &mut |a, b| {
                    std::fs::rename(a, b)
                })?;
                Ok(dir)
            }
            Target::Fresh { parent, stamp } => {
                let (dir, name) = claim(&parent, &stamp)?;
                // Renaming over the empty folder just claimed is atomic on POSIX.
                if let Err(e) = std::fs::rename(staging.path(), &dir) {
                    std::fs::remove_dir(&dir).ok();
                    return Err(anyhow::Error::from(e)
                        .context(format!("cannot create {}", dir.display()))
                        .into());
                }
                let _ = staging.keep();
                if let Err(e) = point_latest(&parent, &name) {
                    say!(
                        "brink: warning: results are in {}, but {} was not updated: {e:#}",
                        dir.display(),
                        parent.join(LATEST).display()
                    );
                }
                Ok(dir)
            }
        }
    }

    /// The staged files, each of which must be one of the command's own.
    fn produced(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for e in std::fs::read_dir(self.staging.path())
            .with_context(|| format!("cannot read {}", self.staging.path().display()))?
        {
            let name = e?.file_name().to_string_lossy().into_owned();
            if !self.files.contains(&name) {
                return Err(anyhow::anyhow!(
                    "internal error: `{name}` was staged but is not one of this command's files"
                )
                .into());
            }
            names.push(name);
        }
        names.sort();
        Ok(names)
    }
}

/// The checks of the output folder rule: where the result will go and where it is staged.
fn admit(plan: &Plan) -> Result<(Target, PathBuf)> {
    match &plan.dest {
        Dest::Fresh(parent) => {
            if plan.force {
                return Err(Failure::Input(
                    "error: --force replaces files in an --out directory; without --out every \
                     result gets a new folder, so there is nothing to replace\n  = help: drop \
                     --force, or give --out DIR\n"
                        .into(),
                ));
            }
            make_dirs(parent)?;
            let stamp = jiff::Timestamp::now()
                .strftime("%Y%m%dT%H%M%SZ")
                .to_string();
            let target = Target::Fresh {
                parent: parent.clone(),
                stamp,
            };
            Ok((target, parent.clone()))
        }
        Dest::Explicit(dir) | Dest::Shared(dir) if dangling(dir) => Err(Failure::Input(format!(
            "error: --out `{}` is a symbolic link to `{}`, which does not exist\n  = help: \
             create the link's target, or remove the link\n",
            quote(&dir.display().to_string()),
            quote(
                &std::fs::read_link(dir)
                    .unwrap_or_default()
                    .display()
                    .to_string()
            )
        ))),
        Dest::Explicit(dir) if !is_dir(dir)? => {
            let parent = parent_of(dir);
            refuse_file_ancestors(dir, &parent)?;
            make_dirs(&parent)?;
            Ok((Target::New(dir.clone()), parent))
        }
        Dest::Explicit(dir) => {
            let held = held_files(dir, plan.own)?;
            if !held.is_empty() && !plan.force {
                let staging = held.iter().any(|h| h.starts_with(".brink-staging-"));
                return Err(Failure::Input(format!(
                    "error: output directory `{}` already holds files ({}); nothing was done\n  \
                     = help: {}\n",
                    quote(&dir.display().to_string()),
                    list(&held),
                    if staging {
                        "another brink is writing a result there; a .brink-staging-* folder \
                         left by one that was killed (kill -9) is safe to delete"
                    } else {
                        "pass --force to replace brink's files in it, or choose another --out; \
                         without --out every result gets a new folder"
                    }
                )));
            }
            check_replaceable(dir, &plan.files, plan.inputs)?;
            let target = Target::Into {
                dir: dir.clone(),
                explicit: true,
                force: plan.force,
            };
            Ok((target, dir.clone()))
        }
        Dest::Shared(dir) => {
            if !is_dir(dir)? {
                make_dirs(dir)?;
            }
            if !plan.force
                && let Some(f) = plan
                    .files
                    .iter()
                    .find(|f| std::fs::symlink_metadata(dir.join(f)).is_ok())
            {
                return Err(Failure::Input(format!(
                    "error: {} already exists; pass --force to replace it",
                    quote(&dir.join(f).display().to_string())
                )));
            }
            check_replaceable(dir, &plan.files, plan.inputs)?;
            let target = Target::Into {
                dir: dir.clone(),
                explicit: false,
                force: plan.force,
            };
            Ok((target, dir.clone()))
        }
    }
}

/// Moves the files `files` of `dir` aside and the `produced` files of `staging` in, through
/// `mv` (a rename), and on any failure moves everything back: afterwards `dir` holds either the
/// new set or the old one, whole.
fn swap(
    dir: &Path,
    staging: &Path,
    files: &[String],
    produced: &[String],
    mv: &mut dyn FnMut(&Path, &Path) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let backup = hidden_dir(dir, ".brink-replaced-").map_err(|e| match e {
        Failure::Other(e) => e,
        other => anyhow::anyhow!("{other:?}"),
    })?;
    let mut old: Vec<&str> = Vec::new();
    let mut new: Vec<&str> = Vec::new();
    let mut step = || -> anyhow::Result<()> {
        for name in files {
            let at = dir.join(name);
            if std::fs::symlink_metadata(&at).is_ok() {
                mv(&at, &backup.path().join(name))
                    .with_context(|| format!("cannot move {} aside", at.display()))?;
                old.push(name);
            }
        }
        for name in produced {
            let at = dir.join(name);
            mv(&staging.join(name), &at)
                .with_context(|| format!("cannot write {}", at.display()))?;
            new.push(name);
        }
        Ok(())
    };
    let Err(e) = step() else {
        return Ok(());
    };
    let mut whole = true;
    for name in new.iter().rev() {
        whole &= std::fs::rename(dir.join(name), staging.join(name)).is_ok();
    }
    for name in old.iter().rev() {
        whole &= std::fs::rename(backup.path().join(name), dir.join(name)).is_ok();
    }
    if whole {
        Err(e.context(format!(
            "nothing was replaced: the files already in {} are as they were",
            dir.display()
        )))
    } else {
        let kept = backup.keep();
        Err(e.context(format!(
            "the previous files could not all be put back; they are in {}",
            kept.display()
        )))
    }
}

/// True if `path` is a directory; an error if it exists as something else.
fn is_dir(path: &Path) -> Result<bool> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Ok(true),
        Ok(_) => Err(Failure::Input(format!(
            "error: --out `{}` exists and is not a directory\n  = help: choose a directory for \
             the results\n",
            quote(&path.display().to_string())
        ))),
        Err(_) => Ok(false),
    }
}

/// True if `path` is a symbolic link to nothing.
fn dangling(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
        && std::fs::metadata(path).is_err()
}

/// The folder `dir` would be created in.
fn parent_of(dir: &Path) -> PathBuf {
    match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Refuses a destination under a file: it can never work.
fn refuse_file_ancestors(wanted: &Path, from: &Path) -> Result<()> {
    if let Some(file) = from.ancestors().find(|a| a.is_file()) {
        return Err(Failure::Input(format!(
            "error: cannot write results under `{}`: `{}` is a file, not a directory\n  \
             = help: choose an output directory whose parents are directories\n",
            quote(&wanted.display().to_string()),
            quote(&file.display().to_string())
        )));
    }
    Ok(())
}

/// Creates `dir` and its parents, explaining a dangling symbolic link or a file in the way
/// instead of the system's bare "File exists".
pub fn make_dirs(dir: &Path) -> Result<()> {
    refuse_file_ancestors(dir, dir)?;
    for a in dir.ancestors() {
        if a.as_os_str().is_empty() || std::fs::metadata(a).is_ok() {
            continue;
        }
        if let Ok(m) = std::fs::symlink_metadata(a)
            && m.file_type().is_symlink()
        {
            let to = std::fs::read_link(a).unwrap_or_default();
            return Err(Failure::Input(format!(
                "error: cannot write under `{}`: `{}` is a symbolic link to `{}`, which does \
                 not exist\n  = help: create the link's target, or remove the link\n",
                quote(&dir.display().to_string()),
                quote(&a.display().to_string()),
                quote(&to.display().to_string())
            )));
        }
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create output directory {}", dir.display()))?;
    Ok(())
}

/// An output folder for files that are not a result (charts): created if missing, an input
/// error if it is a file.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    is_dir(dir)?;
    make_dirs(dir)
}

/// A new hidden folder in `dir`, readable like any folder the user creates (it may become the
/// result folder itself).
fn hidden_dir(dir: &Path, prefix: &str) -> Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o755));
    }
    builder.tempdir_in(dir).map_err(|e| {
        // Keep the OS's reason but not tempfile's random name, so messages are stable.
        let text = e.to_string();
        let reason = text.split(" at path ").next().unwrap_or(&text).to_string();
        anyhow::anyhow!("cannot create a directory in {}: {reason}", dir.display()).into()
    })
}

/// Refuses, before anything is computed, a folder where one of the command's files could not
/// be replaced (it is a directory) or is a file the command reads.
fn check_replaceable(dir: &Path, files: &[String], inputs: &[PathBuf]) -> Result<()> {
    for name in files {
        debug_assert!(is_plain_name(name));
        let at = dir.join(name);
        let Ok(m) = std::fs::symlink_metadata(&at) else {
            continue;
        };
        if m.is_dir() {
            return Err(Failure::Input(format!(
                "error: `{}` is a directory; brink writes a file of that name there and will \
                 not replace a directory\n  = help: move it away, or choose another --out\n",
                quote(&at.display().to_string())
            )));
        }
        if let Some(input) = inputs.iter().find(|i| same_file(&at, i)) {
            return Err(Failure::Input(format!(
                "error: `{}` is `{}`, a file this command reads; brink never replaces its \
                 input\n  = help: choose another --out\n",
                quote(&at.display().to_string()),
                quote(&input.display().to_string())
            )));
        }
    }
    Ok(())
}

/// Names of the entries of `dir` other than `own`, sorted, for the refusal message.
fn held_files(dir: &Path, own: &[&str]) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !own.contains(&n.as_str()))
        .collect();
    names.sort();
    Ok(names)
}

/// The first names of a list, for a message that stays short.
fn list(names: &[String]) -> String {
    const SHOWN: usize = 12;
    let mut s: Vec<String> = names.iter().take(SHOWN).map(|n| quote(n)).collect();
    if names.len() > SHOWN {
        s.push(format!("and {} more", names.len() - SHOWN));
    }
    s.join(", ")
}

/// Creates the first free folder `stamp`, `stamp-2`, `stamp-3`, ... in `parent`. Creating it is
/// the claim: two results finishing in the same second get different folders.
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

/// The result folder a reader (plot, report) means by `dir`: `dir` itself when it holds a
/// manifest, else its `latest` run. A `latest` link that leads anywhere but to a folder beside
/// it was not written by brink and is refused, so a reader never writes into where it points.
pub fn resolve(dir: &Path) -> Result<PathBuf> {
    let latest = dir.join(LATEST);
    let chosen = if !dir.join("manifest.json").is_file() && latest.join("manifest.json").is_file() {
        latest
    } else {
        dir.to_path_buf()
    };
    if chosen.file_name().is_some_and(|n| n == LATEST)
        && let Ok(m) = std::fs::symlink_metadata(&chosen)
        && m.file_type().is_symlink()
    {
        let to = std::fs::read_link(&chosen).unwrap_or_default();
        if !is_plain_name(&to.to_string_lossy()) {
            return Err(Failure::Input(brink::manifest::outside_link(
                &chosen.display().to_string(),
                &to.display().to_string(),
            )));
        }
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                format!("{}={text}", e.file_name().to_string_lossy())
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_swap_that_fails_midway_puts_the_previous_result_back() {
        let d = tempfile::tempdir().unwrap();
        let (dir, staging) = (d.path().join("out"), d.path().join("stage"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir_all(&staging).unwrap();
        for (f, t) in [
            ("a.csv", "old a"),
            ("b.csv", "old b"),
            ("notes.txt", "mine"),
        ] {
            std::fs::write(dir.join(f), t).unwrap();
        }
        for (f, t) in [("a.csv", "new a"), ("b.csv", "new b")] {
            std::fs::write(staging.join(f), t).unwrap();
        }
        let files: Vec<String> = ["a.csv", "b.csv", "c.csv"].map(String::from).to_vec();
        let produced: Vec<String> = ["a.csv", "b.csv"].map(String::from).to_vec();
        let before = names(&dir);
        // Every possible point of failure: the n-th move fails.
        for fail_at in 0..4 {
            let mut n = 0;
            let e = swap(&dir, &staging, &files, &produced, &mut |a, b| {
                n += 1;
                if n > fail_at {
                    Err(std::io::Error::other("injected"))
                } else {
                    std::fs::rename(a, b)
                }
            })
            .unwrap_err();
            assert!(format!("{e:#}").contains("nothing was replaced"), "{e:#}");
            assert_eq!(names(&dir), before, "failure at move {fail_at}");
            assert_eq!(std::fs::read_dir(&staging).unwrap().count(), 2);
        }
        swap(&dir, &staging, &files, &produced, &mut |a, b| {
            std::fs::rename(a, b)
        })
        .unwrap();
        assert_eq!(
            names(&dir),
            ["a.csv=new a", "b.csv=new b", "notes.txt=mine"]
        );
    }
}
