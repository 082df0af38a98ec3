//! Trust in results: `brink validate`, where results go (a new folder per run, `latest`,
//! `--out` and `--force`), interruption by a real signal, and write failures. Every test drives
//! the real binary in a temporary directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn brink_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brink"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("cannot start brink")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every path under `dir`, hidden ones included, with the target of each symbolic link.
fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            if meta.file_type().is_symlink() {
                out.push(format!(
                    "{rel} -> {}",
                    std::fs::read_link(&p).unwrap().display()
                ));
            } else if meta.is_dir() {
                stack.push(p.clone());
                out.push(format!("{rel}/"));
            } else {
                out.push(format!("{rel} ({} bytes)", meta.len()));
            }
        }
    }
    out.sort();
    out
}

fn copy_minimal(dir: &Path) {
    std::fs::copy(repo("scenarios/minimal.toml"), dir.join("minimal.toml")).unwrap();
}

#[test]
fn validate_checks_every_file_and_reports_each() {
    let dir = tempfile::tempdir().unwrap();
    copy_minimal(dir.path());
    let bad = std::fs::read_to_string(repo("scenarios/minimal.toml"))
        .unwrap()
        .replace("probability = 0.8", "probability = 1.8")
        .replace("name = \"Blue\"", "name = \"=cmd()\"");
    std::fs::write(dir.path().join("bad.toml"), bad).unwrap();

    let o = brink_in(dir.path(), &["validate", "minimal.toml", "bad.toml"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(o.stdout.is_empty());
    assert!(err.contains("ok: minimal.toml ("), "{err}");
    // Both problems of bad.toml, each located, in one pass.
    assert!(err.contains("starts with '=', which spreadsheets run as a formula"));
    assert!(err.contains("  --> bad.toml:31:8\n"), "{err}");
    assert!(err.contains("must lie in [0, 1], got 1.8"));
    assert!(err.contains("  --> bad.toml:58:15\n"), "{err}");
    assert!(err.contains("bad.toml: 2 errors found"), "{err}");
    assert!(err.contains("1 of 2 scenario files are invalid"), "{err}");
    // Nothing is written by validation.
    assert_eq!(listing(dir.path()).len(), 2);

    let o = brink_in(
        dir.path(),
        &[
            "validate",
            "minimal.toml",
            &repo("scenarios/iran_2026.toml").display().to_string(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).lines().filter(|l| l.starts_with("ok: ")).count(),
        2
    );
}

#[test]
fn default_location_keeps_every_run_and_points_latest_at_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    copy_minimal(dir.path());
    let args = ["run", "minimal.toml", "--runs", "1500", "-q"];
    for _ in 0..3 {
        let o = brink_in(dir.path(), &args);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let base = dir.path().join("results/minimal");
    let mut folders: Vec<String> = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "latest")
        .collect();
    folders.sort();
    assert_eq!(folders.len(), 3, "{folders:?}");
    for f in &folders {
        assert!(!f.starts_with('.'), "a staging directory was left: {f}");
        for file in [
            "summary.csv",
            "timeline.csv",
            "distributions.csv",
            "manifest.json",
        ] {
            assert!(base.join(f).join(file).is_file(), "{f}/{file} missing");
        }
    }
    // Same inputs, same results: the three runs are identical but none replaced another.
    let s0 = std::fs::read(base.join(&folders[0]).join("summary.csv")).unwrap();
    let s2 = std::fs::read(base.join(&folders[2]).join("summary.csv")).unwrap();
    assert_eq!(s0, s2);
    // `latest` is a relative link to the newest folder (names sort by time, then counter).
    let newest = folders
        .iter()
        .max_by_key(|f| std::fs::metadata(base.join(f)).unwrap().modified().unwrap())
        .unwrap();
    assert_eq!(
        std::fs::read_link(base.join("latest")).unwrap(),
        PathBuf::from(newest)
    );
    assert!(base.join("latest/summary.csv").is_file());
}

#[test]
fn force_replaces_brinks_files_only_and_removes_stale_ones() {
    let dir = tempfile::tempdir().unwrap();
    copy_minimal(dir.path());
    let o = brink_in(
        dir.path(),
        &[
            "run",
            "minimal.toml",
            "--runs",
            "1200",
            "-q",
            "--out",
            "out",
            "--per-run",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(dir.path().join("out/notes.txt"), "mine").unwrap();
    let before = listing(dir.path());

    // Without --force: refused before simulating, nothing changes.
    let o = brink_in(dir.path(), &["run", "minimal.toml", "-q", "--out", "out"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already holds files (distributions.csv, manifest.json, notes.txt, runs.csv, summary.csv, timeline.csv)"), "{}", stderr(&o));
    assert_eq!(listing(dir.path()), before);

    // With --force: this run's files replace the old ones, the stale runs.csv goes, notes stay.
    let o = brink_in(
        dir.path(),
        &[
            "run",
            "minimal.toml",
            "--runs",
            "1300",
            "-q",
            "--out",
            "out",
            "--force",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("out");
    let names: Vec<String> = listing(&out)
        .iter()
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "distributions.csv",
            "manifest.json",
            "notes.txt",
            "summary.csv",
            "timeline.csv"
        ]
    );
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"runs\": 1300"), "{manifest}");
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(
        listing(dir.path())
            .iter()
            .filter(|l| l.contains(".brink-staging"))
            .count(),
        0
    );
}

/// Starts a long run, waits until it is simulating, sends `signal`, and checks that it stops
/// within a second with exit code 130, says what it kept, and leaves the earlier result as it
/// was with no partial or temporary file.
fn interrupt_with(signal: i32, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    copy_minimal(dir.path());
    let o = brink_in(dir.path(), &["run", "minimal.toml", "--runs", "1100", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = listing(dir.path());

    let mut child = Command::new(env!("CARGO_BIN_EXE_brink"))
        .args([
            "run",
            "minimal.toml",
            "--runs",
            "1000000000",
            "--per-run",
            "-q",
        ])
        .current_dir(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the run has staged its files (and so is simulating).
    let base = dir.path().join("results/minimal");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !listing(&base).iter().any(|l| l.contains(".runs.csv.")) {
        assert!(Instant::now() < deadline, "the run never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let sent = Instant::now();
    // SAFETY: kill(2) on the pid of a child we own.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
    let status = child.wait().unwrap();
    let took = sent.elapsed();
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();

    assert_eq!(status.code(), Some(130), "{name}: {err}");
    assert!(
        took < Duration::from_secs(1),
        "{name}: took {took:?} to stop"
    );
    assert!(
        err.contains("brink: interrupted after ")
            && err.contains("of 1000000000 runs; nothing was written for this run and earlier results in results/minimal are untouched"),
        "{name}: {err}"
    );
    assert_eq!(listing(dir.path()), before, "{name}: files changed");
}

#[test]
fn sigint_stops_the_run_and_keeps_earlier_results() {
    interrupt_with(libc::SIGINT, "SIGINT");
}

#[test]
fn sigterm_stops_the_run_and_keeps_earlier_results() {
    interrupt_with(libc::SIGTERM, "SIGTERM");
}

#[test]
fn a_full_disk_is_a_clear_failure() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(full) = full else {
        eprintln!("no /dev/full here; skipped");
        return;
    };
    let o = Command::new(env!("CARGO_BIN_EXE_brink"))
        .arg("schema")
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: cannot write the schema to stdout: No space left on device (os error 28)\n"
    );
}

#[test]
fn a_stopped_range_gives_the_sink_nothing_and_says_so() {
    let text = std::fs::read_to_string(repo("scenarios/minimal.toml")).unwrap();
    let sc = brink::scenario::parse(&text, "minimal.toml").unwrap();
    let engine = brink::engine::Engine::new(&sc, 7);
    let stop = std::sync::atomic::AtomicBool::new(true);
    let mut chunks = 0;
    let finished = engine
        .run_range_until(0..5000, false, &stop, |_| -> Result<(), ()> {
            chunks += 1;
            Ok(())
        })
        .unwrap();
    assert!(!finished);
    assert_eq!(chunks, 0);
    stop.store(false, std::sync::atomic::Ordering::Relaxed);
    let finished = engine
        .run_range_until(0..5000, false, &stop, |_| -> Result<(), ()> {
            chunks += 1;
            Ok(())
        })
        .unwrap();
    assert!(finished);
    assert_eq!(chunks, 5000u64.div_ceil(brink::engine::CHUNK));
}

#[test]
fn sigint_stops_a_sweep_which_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    copy_minimal(dir.path());
    // A long sweep: 10 points of a million runs each.
    let args = [
        "sweep",
        "minimal.toml",
        "--vary",
        "rules.red_pledge.probability=0.1..0.9",
        "--points",
        "10",
        "--runs",
        "1000000",
        "--out",
        "study",
        "-q",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_brink"))
        .args(args)
        .current_dir(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let fingerprint = dir.path().join("study/.sweep.partial/fingerprint");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !fingerprint.exists() {
        assert!(Instant::now() < deadline, "the sweep never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let sent = Instant::now();
    // SAFETY: kill(2) on the pid of a child we own.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let status = child.wait().unwrap();
    let took = sent.elapsed();
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(took < Duration::from_secs(1), "took {took:?} to stop");
    assert!(
        err.contains("brink: interrupted; 0 of 10 points are kept in")
            && err.contains("`brink sweep --resume` continues from there"),
        "{err}"
    );
    // Nothing final was written, and the partial state is intact for --resume.
    assert!(!dir.path().join("study/sweep.csv").exists());
    assert!(fingerprint.exists());
}
