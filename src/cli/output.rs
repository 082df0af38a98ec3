//! Writing results: tidy CSV files and the manifest, each written to a temporary file in the
//! destination directory and renamed into place, so no reader ever sees a half-written file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use brink::model::Scenario;
use brink::stats::Aggregate;
use brink::table::{self, Cell, Column};

/// A file being written in `dir` under a hidden temporary name, readable like any file the user
/// creates (mode 0644 less the umask; tempfile's default 0600 would hide shared results), and
/// renamed to its name only by `commit`, once complete. Dropped without a commit, it vanishes.
pub struct Pending {
    tmp: tempfile::NamedTempFile,
    dir: PathBuf,
    name: String,
}

impl Pending {
    pub fn new(dir: &Path, name: &str) -> anyhow::Result<Pending> {
        anyhow::ensure!(
            super::paths::is_plain_name(name),
            "refusing to write `{name}` outside {}",
            dir.display()
        );
        let prefix = format!(".{name}.");
        let mut b = tempfile::Builder::new();
        b.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            b.permissions(std::fs::Permissions::from_mode(0o644));
        }
        let tmp = b
            .tempfile_in(dir)
            .with_context(|| format!("cannot create a file in {}", dir.display()))?;
        Ok(Pending {
            tmp,
            dir: dir.to_path_buf(),
            name: name.to_string(),
        })
    }

    /// A buffered writer of the file.
    pub fn writer(&self) -> anyhow::Result<BufWriter<File>> {
        Ok(BufWriter::new(self.tmp.reopen().with_context(|| {
            format!("cannot write {}", self.path().display())
        })?))
    }

    /// Where the file will be.
    pub fn path(&self) -> PathBuf {
        self.dir.join(&self.name)
    }

    /// Syncs the file and renames it to its name; returns its path.
    pub fn commit(self) -> anyhow::Result<PathBuf> {
        let path = self.path();
        self.tmp.as_file().sync_all().ok();
        self.tmp
            .persist(&path)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }
}

/// A writer that also computes the SHA-256 of what passes through it (a part's runs.csv, so a
/// merge can tell it is the file the part was written with).
pub struct Hashing<W> {
    inner: W,
    hash: sha2::Sha256,
}

impl<W: Write> Hashing<W> {
    pub fn new(inner: W) -> Hashing<W> {
        Hashing {
            inner,
            hash: sha2::Digest::new(),
        }
    }

    /// The writer, flushed, and the checksum of everything written, in lowercase hex.
    pub fn finish(mut self) -> std::io::Result<(W, String)> {
        self.inner.flush()?;
        let digest = sha2::Digest::finalize(self.hash);
        Ok((self.inner, super::study::hex(&digest)))
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        sha2::Digest::update(&mut self.hash, &buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes `name` in `dir` atomically: `fill` writes into a temporary file that is renamed over
/// `name` only once complete and flushed.
pub fn atomic<F>(dir: &Path, name: &str, fill: F) -> anyhow::Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> anyhow::Result<()>,
{
    let file = Pending::new(dir, name)?;
    {
        let mut w = file.writer()?;
        fill(&mut w).with_context(|| format!("cannot write {}", file.path().display()))?;
        w.flush()
            .with_context(|| format!("cannot write {}", file.path().display()))?;
    }
    file.commit()?;
    Ok(())
}

/// The folder and file name of a single output file named by `flag` (`trace --out`,
/// `explain --markdown`), for an atomic write: refused if it names no file, names a directory,
/// or is one of `inputs`, the files the command reads (the scenario and every file it extends:
/// brink never replaces its input). `example` is a file name for the message.
pub fn file_target(
    path: &Path,
    inputs: &[PathBuf],
    flag: &str,
    example: &str,
) -> crate::cli::Result<(PathBuf, String)> {
    use crate::cli::{Failure, quote};
    let shown = quote(&path.display().to_string());
    let refuse = |why: &str| {
        Failure::Input(format!(
            "error: {flag} `{shown}` {why}\n  = help: give a file path such as {example}\n"
        ))
    };
    if let Some(hit) = inputs.iter().position(|i| super::paths::same_file(path, i)) {
        return Err(refuse(if hit == 0 {
            "is the scenario file this command reads; brink never replaces its input"
        } else {
            "is a file the scenario extends, which this command reads; brink never replaces \
             its input"
        }));
    }
    if path.is_dir() {
        return Err(refuse("is a directory"));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| refuse("names no file"))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name))
}

fn csv_writer<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new().has_headers(false).from_writer(w)
}

/// Writes one row of cells (`brink::table`) as a CSV record.
pub fn record<W: Write>(c: &mut csv::Writer<W>, cells: &[Cell]) -> csv::Result<()> {
    for x in cells {
        c.write_field(x.text().as_bytes())?;
    }
    c.write_record(None::<&[u8]>)
}

/// Writes the header of `columns` as a CSV record.
pub fn header<W: Write>(c: &mut csv::Writer<W>, columns: &[Column]) -> csv::Result<()> {
    c.write_record(columns.iter().map(|x| x.name.as_bytes()))
}

/// Writes `name` in `dir` atomically as a table: the header of `columns`, then the rows that
/// `rows` hands over.
pub fn write_table<F>(dir: &Path, name: &str, columns: &[Column], rows: F) -> anyhow::Result<()>
where
    F: FnOnce(&mut dyn FnMut(&[Cell]) -> csv::Result<()>) -> csv::Result<()>,
{
    atomic(dir, name, |w| {
        let mut c = csv_writer(w);
        header(&mut c, columns)?;
        rows(&mut |cells| record(&mut c, cells))?;
        c.flush()?;
        Ok(())
    })
}

pub fn write_summary(dir: &Path, sc: &Scenario, agg: &Aggregate) -> anyhow::Result<()> {
    write_table(dir, "summary.csv", &table::summary_columns(), |f| {
        table::summary(sc, agg, f)
    })
}

pub fn write_timeline(dir: &Path, sc: &Scenario, agg: &Aggregate) -> anyhow::Result<()> {
    write_table(dir, "timeline.csv", &table::timeline_columns(), |f| {
        table::timeline(sc, agg, f)
    })
}

pub fn write_distributions(dir: &Path, sc: &Scenario, agg: &Aggregate) -> anyhow::Result<()> {
    write_table(
        dir,
        "distributions.csv",
        &table::distributions_columns(),
        |f| table::distributions(sc, agg, f),
    )
}

pub fn csv_file_writer<W: Write>(w: W) -> csv::Writer<W> {
    csv_writer(w)
}
