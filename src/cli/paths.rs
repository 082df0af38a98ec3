//! Where files are read from and written to. A file named inside another file (an experiment
//! naming its scenario) resolves relative to the file that names it, never to the working
//! directory, so a project moves as a whole. Files are written only under an output directory,
//! by plain names that cannot climb out of it.

use std::path::{Path, PathBuf};

pub use brink::load::{is_plain_name, relative_to};

/// True if the entry at `at` is the file `input`: writing to `at` by renaming over it would
/// replace what `input` names. A symbolic link at `at` is not its target (a rename replaces the
/// link, not the file it points to).
pub fn same_file(at: &Path, input: &Path) -> bool {
    let (Ok(a), Ok(b)) = (std::fs::symlink_metadata(at), std::fs::metadata(input)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        std::fs::canonicalize(at).ok() == std::fs::canonicalize(input).ok()
    }
}

/// The files a command reads for a scenario: `named`, the file on the command line, first,
/// then every file of its `extends` chain as the scenario recorded them.
pub fn inputs(named: &Path, sources: &[brink::model::SourceFile]) -> Vec<PathBuf> {
    std::iter::once(named.to_path_buf())
        .chain(sources.iter().map(|f| PathBuf::from(&f.path)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_written() {
        assert!(is_plain_name("summary.csv"));
        for bad in ["", "..", ".", "../x.csv", "a/b.csv", "/etc/passwd"] {
            assert!(!is_plain_name(bad), "{bad:?} accepted");
        }
    }
}
