//! End-to-end checks of `brink run` on scenarios/minimal.toml: the files it writes, their
//! headers and dates, and the exit codes and messages of bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn brink(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brink"))
        .args(args)
        .output()
        .expect("cannot start brink")
}

fn run(scenario: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "run".as_ref(),
        scenario.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "-q".as_ref(),
    ];
    args.extend(extra.iter().map(|a| -> &std::ffi::OsStr { a.as_ref() }));
    brink(&args)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn run_writes_the_documented_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let o = run(&repo("scenarios/minimal.toml"), &out, &["--runs", "2000"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "brink run printed to stdout");

    let summary = lines(&out.join("summary.csv"));
    assert_eq!(
        summary[0],
        "metric,kind,n,mean,ci_low,ci_high,sd,p05,p25,p50,p75,p95"
    );
    let metrics: Vec<(&str, &str)> = summary[1..]
        .iter()
        .map(|l| {
            let mut f = l.split(',');
            (f.next().unwrap(), f.next().unwrap())
        })
        .collect();
    assert_eq!(
        metrics,
        [
            ("blue_strikes", "probability"),
            ("red_answers", "probability"),
            ("peak_level", "quantity"),
            ("war_days", "quantity"),
            ("war_duration_days", "quantity"),
            ("final_red_arsenal", "quantity"),
        ]
    );
    for l in &summary[1..] {
        assert_eq!(l.split(',').count(), 12, "{l}");
    }
    let blue = summary[1].split(',').collect::<Vec<_>>();
    assert_eq!(blue[2], "2000", "a probability's n is the number of runs");
    let (mean, lo, hi): (f64, f64, f64) = (
        blue[3].parse().unwrap(),
        blue[4].parse().unwrap(),
        blue[5].parse().unwrap(),
    );
    assert!(
        lo <= mean && mean <= hi && 0.0 < mean && mean < 1.0,
        "{blue:?}"
    );

    let timeline = lines(&out.join("timeline.csv"));
    assert_eq!(timeline[0], "day,date,metric,value,ci_low,ci_high");
    let rows: Vec<Vec<&str>> = timeline[1..]
        .iter()
        .map(|l| l.split(',').collect())
        .collect();
    // 90 days for each of 2 events and 2 daily states (hostilities at least strike / heavy).
    assert_eq!(rows.len(), 90 * 4);
    assert_eq!(&rows[0][..3], ["0", "2026-01-01", "blue_strikes"]);
    let expected = [
        (0, "2026-01-01"),
        (30, "2026-01-31"),
        (31, "2026-02-01"),
        (58, "2026-02-28"),
        (59, "2026-03-01"),
        (89, "2026-03-31"),
    ];
    for r in &rows {
        assert_eq!(r.len(), 6, "{r:?}");
        let day: u32 = r[0].parse().unwrap();
        assert!(day < 90);
        let date = r[1].as_bytes();
        assert!(
            date.len() == 10
                && date[4] == b'-'
                && date[7] == b'-'
                && date
                    .iter()
                    .enumerate()
                    .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit()),
            "not an ISO date: {}",
            r[1]
        );
        if let Some((_, d)) = expected.iter().find(|(d, _)| *d == day) {
            assert_eq!(r[1], *d, "date of day {day}");
        }
        let v: f64 = r[3].parse().unwrap();
        assert!((0.0..=1.0).contains(&v), "{r:?}");
    }
    let states: Vec<&str> = rows.iter().map(|r| r[2]).collect();
    for m in [
        "blue_strikes",
        "red_answers",
        "hostilities_at_least_strike",
        "hostilities_at_least_heavy_strike",
    ] {
        assert_eq!(states.iter().filter(|s| **s == m).count(), 90, "{m}");
    }

    let dists = lines(&out.join("distributions.csv"));
    assert_eq!(dists[0], "metric,value,count,share");
    for l in &dists[1..] {
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f.len(), 4, "{l}");
        assert!(f[2].parse::<u64>().unwrap() > 0);
    }
    // The counts of each metric's distribution add up to the runs in which it is defined.
    let count_of = |m: &str| -> u64 {
        dists[1..]
            .iter()
            .filter(|l| l.split(',').next() == Some(m))
            .map(|l| l.split(',').nth(2).unwrap().parse::<u64>().unwrap())
            .sum()
    };
    assert_eq!(count_of("peak_level"), 2000);
    assert_eq!(count_of("war_days"), 2000);

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["runs"], 2000);
    assert_eq!(manifest["seed"], brink::scenario::DEFAULT_SEED);
    assert_eq!(manifest["scenario"]["name"], "minimal");
    assert_eq!(manifest["scenario"]["start_date"], "2026-01-01");
    assert!(!out.join("runs.csv").exists(), "runs.csv without --per-run");
    // Nothing but the outputs is left behind (no temporary files).
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "distributions.csv",
            "manifest.json",
            "summary.csv",
            "timeline.csv"
        ]
    );
}

/// Writes minimal.toml with `from` replaced by `to` (once) and returns the file and the 1-based
/// line on which the replacement landed.
fn broken(dir: &Path, from: &str, to: &str) -> (PathBuf, usize) {
    let text = std::fs::read_to_string(repo("scenarios/minimal.toml")).unwrap();
    assert_eq!(text.matches(from).count(), 1, "`{from}` is not unique");
    let text = text.replacen(from, to, 1);
    let line = text.lines().position(|l| l.contains(to.trim())).unwrap() + 1;
    let path = dir.join("broken.toml");
    std::fs::write(&path, text).unwrap();
    (path, line)
}

#[test]
fn an_unknown_key_is_located_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let (path, line) = broken(dir.path(), "\nthreshold = ", "\nthresold = ");
    let out = dir.path().join("out");
    let o = run(&path, &out, &["--runs", "10"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("{}:{line}:1", path.display())),
        "no file:line:column in:\n{err}"
    );
    assert!(
        err.contains("rules.blue_red_line"),
        "no key path in:\n{err}"
    );
    assert!(err.contains("thresold"), "no offending key in:\n{err}");
    assert!(err.contains("threshold"), "no suggestion in:\n{err}");
    assert!(!out.exists(), "output written for a bad scenario");
}

#[test]
fn an_unknown_name_is_located_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let (path, line) = broken(dir.path(), "actor = \"blue\"", "actor = \"bleu\"");
    let o = run(&path, &dir.path().join("out"), &["--runs", "10"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    // The column of the value `"bleu"` after `actor = `.
    assert!(
        err.contains(&format!("{}:{line}:9", path.display())),
        "no file:line:column in:\n{err}"
    );
    assert!(err.contains("rules.blue_red_line.actor"), "{err}");
    assert!(err.contains("`blue`"), "no suggestion in:\n{err}");
}

#[test]
fn a_missing_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no_such_scenario.toml");
    let o = run(&missing, &dir.path().join("out"), &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("no_such_scenario.toml"), "{err}");
}

#[test]
fn zero_runs_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = run(&repo("scenarios/minimal.toml"), &out, &["--runs", "0"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--runs"), "{err}");
    assert!(!out.exists(), "output written for --runs 0");
}

#[test]
fn bad_usage_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        &repo("scenarios/minimal.toml"),
        &dir.path().join("out"),
        &["--no-such-flag"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = brink(&["run".as_ref(), "--help".as_ref()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("--per-run"));
}

#[test]
fn validate_checks_every_shipped_file_and_experiments_as_experiments() {
    let files: Vec<PathBuf> = std::fs::read_dir(repo("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    assert!(
        files.len() >= 3,
        "the flagship, minimal and at least one study"
    );
    // The benches' scenarios too: a change of the language must not silently break them.
    let benches = [
        repo("benches/peers/reduced.toml"),
        repo("benches/flagship/iran_2026.toml"),
    ];
    let mut args = vec![std::ffi::OsStr::new("validate")];
    args.extend(files.iter().chain(&benches).map(|p| p.as_os_str()));
    let o = brink(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("reduced.toml"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("study_us_threshold.toml (experiment on"),
        "{}",
        stderr(&o)
    );

    // An experiment whose varied key is misspelt is refused like a bad scenario.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo("scenarios/study_us_threshold.toml")).unwrap();
    let scenario = repo("scenarios/iran_2026.toml");
    let bad = text
        .replace(
            "rules.us_nuclear_red_line.threshold",
            "rules.us_nuclear_red_line.thresold",
        )
        .replace(
            "\"iran_2026.toml\"",
            &format!("{:?}", scenario.display().to_string()),
        );
    assert_ne!(bad, text, "the study varies the US threshold");
    let path = dir.path().join("bad_study.toml");
    std::fs::write(&path, bad).unwrap();
    let o = brink(&[std::ffi::OsStr::new("validate"), path.as_os_str()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("thresold"), "{}", stderr(&o));
}

#[test]
fn compare_twice_keeps_both_results_and_links_the_latest() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = repo("scenarios/minimal.toml");
    for _ in 0..2 {
        let o = Command::new(env!("CARGO_BIN_EXE_brink"))
            .current_dir(dir.path())
            .args(["compare", scenario.to_str().unwrap()])
            .args([
                "--set",
                "rules.red_pledge.probability=0.5",
                "--runs",
                "300",
                "-q",
            ])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let base = dir.path().join("results/minimal_compare");
    let mut folders: Vec<String> = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    assert_eq!(
        folders.len(),
        3,
        "two result folders and `latest`: {folders:?}"
    );
    assert!(folders.contains(&"latest".to_string()), "{folders:?}");
    for f in &folders {
        assert!(
            base.join(f).join("compare.csv").is_file(),
            "{f} lacks compare.csv"
        );
    }
}

#[cfg(unix)]
#[test]
fn results_are_readable_by_others_like_any_file_the_user_creates() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = run(
        &repo("scenarios/minimal.toml"),
        &out,
        &["--runs", "50", "--per-run"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // tempfile creates 0600 files and 0700 folders; brink asks for 0644 and 0755 (less umask).
    // CI's umask (022 or 002) never removes the read bits checked here.
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&out) & 0o055, 0o055, "folder mode {:o}", mode(&out));
    for f in ["summary.csv", "runs.csv", "manifest.json"] {
        assert_eq!(
            mode(&out.join(f)) & 0o044,
            0o044,
            "{f} mode {:o}",
            mode(&out.join(f))
        );
    }
}

#[test]
fn help_says_where_results_go_and_what_flags_accept() {
    // Issue 14 (help texts): on the old main `sweep --help` named results/<experiment or
    // scenario name>_sweep although experiments wrote to results/<experiment>/, `sensitivity
    // --help` said --levels must be even but took any number, `validate --help` did not
    // mention experiment files, and `trace --out` and `explain --markdown` did not say they
    // replace the file.
    let help = |cmd: &str| {
        let o = brink(&[cmd.as_ref(), "--help".as_ref()]);
        assert!(o.status.success());
        // clap wraps long help to the terminal; join it back into one line per paragraph.
        String::from_utf8_lossy(&o.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let expect = [
        ("sweep", "results/<experiment file name>_sweep/<UTC time>/"),
        (
            "sweep",
            "results/<scenario name>_sweep/<UTC time>/ with --vary",
        ),
        ("sweep", "Runs per point"),
        (
            "run",
            "results/<scenario name>/<UTC time>/, linked as latest",
        ),
        ("run", "results/<scenario name>/parts/"),
        ("compare", "results/<base name>_compare/<UTC time>/"),
        (
            "sensitivity",
            "results/<scenario name>_sensitivity/<UTC time>/",
        ),
        ("sensitivity", "an even number from 2 to 1000000"),
        ("merge", "results/<scenario name>/<UTC time>/"),
        ("validate", "experiment files"),
        ("trace", "replacing it; the scenario file itself is refused"),
        (
            "explain",
            "replacing it; the scenario file itself is refused",
        ),
    ];
    for (cmd, text) in expect {
        assert!(help(cmd).contains(text), "`{cmd} --help` lacks `{text}`");
    }
}
