//! Writing results: tidy CSV files and the manifest, each written to a temporary file in the
//! destination directory and renamed into place, so no reader ever sees a half-written file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use brink::model::{NEVER, Scenario};
use brink::stats::Aggregate;
use brink::summary;

/// Formats a float for CSV: fixed six decimals, empty for NaN.
pub fn num(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x:.6}")
    }
}

/// A text cell that no spreadsheet will run as a formula: text starting with `=`, `+`, `-`,
/// `@`, tab or carriage return gets a leading `'` (the OWASP advice for CSV injection). Names
/// and titles with those starts are refused by the loader and ids are snake_case, so today this
/// changes nothing; it guards every text column against what later commands may write (free
/// text such as descriptions and sources).
pub fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(brink::scenario::FORMULA_STARTS) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

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
/// or is `input`, the file the command reads (brink never replaces its input). `example` is a
/// file name for the message.
pub fn file_target(
    path: &Path,
    input: &Path,
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
    if super::paths::same_file(path, input) {
        return Err(refuse(
            "is the scenario file this command reads; brink never replaces its input",
        ));
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

pub fn write_summary(dir: &Path, sc: &Scenario, agg: &Aggregate) -> anyhow::Result<()> {
    atomic(dir, "summary.csv", |w| {
        let mut c = csv_writer(w);
        c.write_record([
            "metric", "kind", "n", "mean", "ci_low", "ci_high", "sd", "p05", "p25", "p50", "p75",
            "p95",
        ])?;
        for r in summary::summary(sc, agg) {
            c.write_record(summary_cells(&r))?;
        }
        c.flush()?;
        Ok(())
    })
}

/// The cells of one summary row, as summary.csv and sweep.csv write them: metric, kind, n,
/// mean, ci_low, ci_high, sd and the five quantiles (empty for a probability).
pub fn summary_cells(r: &summary::SummaryRow) -> Vec<String> {
    let mut rec = vec![
        cell(&r.metric).into_owned(),
        r.kind.to_string(),
        r.n.to_string(),
        num(r.mean),
        num(r.ci_low),
        num(r.ci_high),
        num(r.sd),
    ];
    match r.quantiles {
        Some(q) => rec.extend(q.map(num)),
        None => rec.extend(std::iter::repeat_n(String::new(), 5)),
    }
    rec
}

pub fn write_timeline(dir: &Path, sc: &Scenario, agg: &Aggregate) -> anyhow::Result<()> {
    let dates: Vec<String> = (0..sc.horizon).map(|d| sc.date(d).to_string()).collect();
    atomic(dir, "timeline.csv", |w| {
        let mut c = csv_writer(w);
        c.write_record(["day", "date", "metric", "value", "ci_low", "ci_high"])?;
        summary::timeline(sc, agg, |r| {
            c.write_record([
                r.day.to_string(),
                dates[r.day as usize].clone(),
                cell(r.metric).into_owned(),
                num(r.value),
                num(r.ci_low),
                num(r.ci_high),
            ])
        })?;
        c.flush()?;
        Ok(())
    })
}

pub fn write_distributions(dir: &Path, sc: &Scenario, agg: &Aggregate) -> anyhow::Result<()> {
    atomic(dir, "distributions.csv", |w| {
        let mut c = csv_writer(w);
        c.write_record(["metric", "value", "count", "share"])?;
        for r in summary::distributions(sc, agg) {
            c.write_record([
                cell(&r.metric).into_owned(),
                num(r.value),
                r.count.to_string(),
                num(r.share),
            ])?;
        }
        c.flush()?;
        Ok(())
    })
}

/// Header of runs.csv: run, each event metric (0/1) and its first day, each quantity, then
/// every uncertain parameter by its key path.
pub fn runs_header(sc: &Scenario) -> Vec<String> {
    let mut h = vec!["run".to_string()];
    for e in &sc.metrics.events {
        h.push(cell(&e.id).into_owned());
        h.push(format!("{}_first_day", e.id));
    }
    for q in &sc.metrics.quantities {
        h.push(cell(&q.id).into_owned());
    }
    for (_, p) in sc.uncertain_params() {
        h.push(cell(&p.path).into_owned());
    }
    h
}

/// Appends the rows of one chunk to runs.csv.
pub fn runs_rows<W: Write>(
    c: &mut csv::Writer<W>,
    sc: &Scenario,
    rows: &brink::engine::RunRows,
) -> anyhow::Result<()> {
    let uncertain: Vec<usize> = sc.uncertain_params().map(|(i, _)| i).collect();
    let mut rec: Vec<String> = Vec::new();
    for i in 0..rows.len() {
        let (run, first, values, params) = rows.row(i);
        rec.clear();
        rec.push(run.to_string());
        for &d in first {
            if d == NEVER {
                rec.push("0".into());
                rec.push(String::new());
            } else {
                rec.push("1".into());
                rec.push(d.to_string());
            }
        }
        for (q, &v) in values.iter().enumerate() {
            rec.push(summary::bin_value(sc, q, v).map(num).unwrap_or_default());
        }
        for &p in &uncertain {
            rec.push(num(params[p]));
        }
        c.write_record(&rec)?;
    }
    Ok(())
}

pub fn csv_file_writer<W: Write>(w: W) -> csv::Writer<W> {
    csv_writer(w)
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formula_like_text_is_neutralised_and_other_text_kept() {
        for f in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(cell(f), format!("'{f}"));
        }
        for ok in ["peak_level", "Red", "a=b", "", "1-2"] {
            assert_eq!(cell(ok), ok);
        }
    }
}
