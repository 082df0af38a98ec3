//! The README's commands, run in order on a scratch copy, must produce every path they name,
//! so that the README cannot drift from what brink does.
//!
//! The commands are read from README.md itself: every line of every ```sh block, with `\`
//! continuations joined, each block run as one `sh -e` script in a temporary folder holding a
//! copy of scenarios/. `brink` is this build's binary (a `brink` on the PATH of the scripts),
//! and `cargo run --release --` stands for it, as the README says. The paths a block names are
//! checked after it runs: those in its `#` comments (words with a `/` and a letter, or with a
//! file extension), the targets of `>` and the folders of `--out`.
//!
//! What is not run as written, and why (the test fails if a rule below no longer matches any
//! README command, so the list cannot go stale):
//! - `cargo install --path .` and `cargo test`: the binary under test stands for the first, and
//!   the second is this very suite.
//! - `python ...` and `Rscript ...`: they need pandas and matplotlib, or R and ggplot2, which
//!   the test machine need not have.
//! - Sizes (`SMALLER`): a debug build simulates a few thousand flagship runs a second, so the
//!   expensive commands get fewer runs, trajectories or samples. Sizes change no path.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Commands skipped, by their first word(s).
const SKIPPED: &[&str] = &["cargo install", "cargo test", "python", "Rscript"];

/// Size edits: in a `brink SUBCOMMAND` line that contains the marker, replace `from` by `to`
/// (or, with an empty `from`, append `to`).
const SMALLER: &[(&str, &str, &str, &str)] = &[
    // The quick start's 10 000 runs, and the compare's 10 000 pairs.
    ("run", "run scenarios/iran_2026.toml", "", " --runs 2000"),
    ("compare", "compare", "", " --runs 2000"),
    // The study's 20 points × 4 000 runs, the --vary sweep's 4 × 2 000.
    ("sweep", "study_us_threshold.toml", "", " --runs 200"),
    ("sweep", "--runs 2000", "--runs 2000", "--runs 200"),
    // 81 200 runs of the default design.
    (
        "sensitivity",
        "sensitivity",
        "",
        " --trajectories 8 --samples 30 --bootstrap 50",
    ),
    // Ten million runs in four shards: 20 chunks of 1 024, five a shard.
    ("run", "--runs 10000000", "--runs 10000000", "--runs 20480"),
    // A precision of half a point takes some 39 000 runs; two points, a few thousand.
    (
        "run",
        "--precision 0.005",
        "--precision 0.005",
        "--precision 0.02",
    ),
];

/// Flags that set how many runs a command makes: the quick start's `--runs 2000` is not added
/// to a command that has one (it would conflict with `--precision` and `--target-runs`).
const SIZED: &[&str] = &["--runs", "--precision", "--target-runs"];

/// The ```sh blocks of the README, each as its lines (continuations joined).
fn blocks(readme: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    let mut pending = String::new();
    for line in readme.lines() {
        match &mut cur {
            None if line.trim_start().starts_with("```sh") => cur = Some(Vec::new()),
            None => {}
            Some(b) if line.trim_start().starts_with("```") => {
                out.push(std::mem::take(b));
                cur = None;
            }
            Some(b) => {
                // A `\` at the end (before any comment) continues the command.
                let code = line.split(" #").next().unwrap_or(line).trim_end();
                let piece = if pending.is_empty() {
                    line
                } else {
                    line.trim_start()
                };
                if let Some(head) = code.strip_suffix('\\') {
                    let head = if pending.is_empty() {
                        head
                    } else {
                        head.trim_start()
                    };
                    pending.push_str(head.trim_end());
                    pending.push(' ');
                } else {
                    pending.push_str(piece);
                    b.push(std::mem::take(&mut pending));
                }
            }
        }
    }
    out
}

/// Paths a line names: in its comment, after `>`, after `--out`.
fn named_paths(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (code, comment) = match line.find(" #") {
        Some(i) => (&line[..i], &line[i + 2..]),
        None => (line, ""),
    };
    let clean = |w: &str| {
        w.trim_matches(|c: char| "(),;:`'\"".contains(c))
            .to_string()
    };
    for w in comment.split_whitespace().map(clean) {
        let looks_like_path = (w.contains('/') && w.chars().any(|c| c.is_ascii_alphabetic()))
            || [".csv", ".json", ".html", ".svg", ".png"]
                .iter()
                .any(|e| w.ends_with(e));
        if looks_like_path && !w.contains('<') && !w.starts_with("http") && !w.contains("~/") {
            out.push(w);
        }
    }
    let words: Vec<&str> = code.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        if (*w == ">" || *w == "--out") && i + 1 < words.len() {
            out.push(clean(words[i + 1]));
        }
    }
    out
}

#[test]
fn readme_commands_produce_the_paths_they_name() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let blocks = blocks(&readme);
    assert!(blocks.len() >= 8, "found only {} sh blocks", blocks.len());

    let scratch = tempfile::tempdir().unwrap();
    let work = scratch.path().join("work");
    std::fs::create_dir(&work).unwrap();
    copy_dir(&root.join("scenarios"), &work.join("scenarios"));
    let bin = scratch.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_brink"), bin.join("brink")).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let mut used = vec![false; SMALLER.len()];
    let mut ran = 0;
    let mut checked: Vec<String> = Vec::new();
    for (b, lines) in blocks.iter().enumerate() {
        let mut script = String::new();
        let mut names = Vec::new();
        for line in lines {
            let mut cmd = line.trim().to_string();
            if let Some(rest) = cmd.strip_prefix("cargo run --release --") {
                cmd = format!("brink{rest}");
            }
            if SKIPPED.iter().any(|s| cmd.starts_with(s)) {
                continue;
            }
            // Size edits apply to the command, before its comment.
            let (mut code, comment) = match cmd.find(" #") {
                Some(i) => (cmd[..i].to_string(), cmd[i..].to_string()),
                None => (cmd.clone(), String::new()),
            };
            for (k, (sub, marker, from, to)) in SMALLER.iter().enumerate() {
                let is_sub = code.starts_with(&format!("brink {sub} "));
                // An appended flag the command already has is left alone, and so is a
                // command whose size another flag sets.
                let flag = to.split_whitespace().next().unwrap_or("");
                let has = from.is_empty()
                    && (code.contains(flag)
                        || (flag == "--runs" && SIZED.iter().any(|f| code.contains(f))));
                if is_sub && code.contains(marker) && !has {
                    code = if from.is_empty() {
                        format!("{code}{to}")
                    } else {
                        code.replace(from, to)
                    };
                    used[k] = true;
                }
            }
            names.extend(named_paths(line));
            if code.starts_with("brink ") || code.contains(" brink ") {
                ran += 1;
            }
            script.push_str(&code);
            script.push_str(&comment);
            script.push('\n');
        }
        if script.trim().is_empty() {
            continue;
        }
        let o = Command::new("sh")
            .arg("-ec")
            .arg(&script)
            .current_dir(&work)
            .env("PATH", &path)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "README block {} failed ({:?}):\n{script}\nstderr:\n{}",
            b + 1,
            o.status.code(),
            String::from_utf8_lossy(&o.stderr)
        );
        for n in names {
            let p: PathBuf = work.join(&n);
            assert!(
                p.exists(),
                "README block {} names `{n}`, which it did not produce:\n{script}",
                b + 1
            );
            if n.ends_with('/') {
                assert!(
                    std::fs::read_dir(&p).unwrap().next().is_some(),
                    "`{n}` is empty"
                );
            }
            // The PNGs of the second plot command sit beside the SVGs of the first (checked
            // now: a later run moves `latest`).
            if n == "results/iran_2026/latest/charts/" {
                for chart in ["timeline", "states", "peak_level"] {
                    for ext in ["svg", "png"] {
                        let f = p.join(format!("{chart}.{ext}"));
                        assert!(f.is_file(), "{}", f.display());
                    }
                }
            }
            checked.push(n);
        }
    }
    for (k, u) in used.iter().enumerate() {
        assert!(
            u,
            "the size rule {:?} matches no README command any more: remove or update it",
            SMALLER[k]
        );
    }
    assert!(ran >= 12, "only {ran} brink commands ran");
    // The paths the quick start, the charts section and the evidence section promise are
    // among those checked.
    for want in [
        "results/iran_2026/latest/summary.csv",
        "results/iran_2026/latest/charts/",
        "results/iran_2026/latest/report.html",
        "results/iran_2026/latest/runs.csv",
        "results/iran_2026_score/latest/score.csv",
        "results/iran_2026_watch/latest/watch.csv",
        "results/iran_2026_discover/latest/discover.csv",
        "results/iran_2026_given/latest/summary.csv",
        "results/iran_2026/latest/manifest.json",
    ] {
        assert!(
            checked.iter().any(|c| c == want),
            "{want} not named: {checked:?}"
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn commands_and_paths_are_read_as_the_readme_writes_them() {
    let md = "text\n```sh\nbrink run a.toml \\\n    --set x=1    # results/a/latest/\n\
              cargo test\n```\n```toml\nx = 1\n```\n```sh\nbrink schema > s.json\n```\n";
    let b = blocks(md);
    assert_eq!(b.len(), 2);
    assert_eq!(b[0][0], "brink run a.toml --set x=1    # results/a/latest/");
    assert_eq!(b[0][1], "cargo test");
    assert_eq!(named_paths(&b[0][0]), ["results/a/latest/"]);
    assert_eq!(named_paths(&b[1][0]), ["s.json"]);
    assert!(named_paths("brink x   # ... up to 3/4, (2× size, for slides)").is_empty());
    assert_eq!(
        named_paths("brink merge p/*.json --out study    # study/summary.csv"),
        ["study/summary.csv", "study"]
    );
}
