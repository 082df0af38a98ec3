//! Progress when stderr is not a terminal (a CI log, a Slurm output file): `brink run ...
//! 2>log` writes a plain line at a steady interval with the runs done, the rate as a person
//! writes it and, once there is enough to go on, the time left; `--quiet` writes none. The
//! interval is shortened for the test with BRINK_PROGRESS_INTERVAL_MS (10 s otherwise).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn scenario(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn minimal() -> String {
    scenario("minimal.toml")
}

/// "1,234,567" → 1234567, if that is how the number is written.
fn grouped(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split(',').collect();
    let ok = parts[0].len() <= 3
        && !parts[0].is_empty()
        && parts[1..].iter().all(|p| p.len() == 3)
        && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()));
    ok.then(|| parts.concat().parse().ok()).flatten()
}

/// A progress line's runs done and whether it gives a time left, after checking its form:
/// "brink: 123,456 of 1,000,000 runs (12%), 12,300 runs/s[, eta 1m 10s]".
fn parse(line: &str) -> (u64, bool) {
    let rest = line
        .strip_prefix("brink: ")
        .unwrap_or_else(|| panic!("{line}"));
    let (done, rest) = rest.split_once(" of 1,000,000 runs (").expect(line);
    let done = grouped(done).unwrap_or_else(|| panic!("runs done not grouped: {line}"));
    let (pct, rest) = rest.split_once("%)").expect(line);
    assert_eq!(pct.parse::<u64>().unwrap(), done / 10_000, "{line}");
    if done == 0 {
        // Nothing done yet: no rate and no time left to give.
        assert!(rest.is_empty(), "{line}");
        return (0, false);
    }
    let rest = rest.strip_prefix(", ").expect(line);
    let (rate, rest) = rest.split_once(" runs/s").expect(line);
    // At least 10 runs a second even in a debug build: a whole number, three significant
    // digits at most, grouped by thousands, never "3,711.7034".
    let r = grouped(rate).unwrap_or_else(|| panic!("rate not a grouped integer: {line}"));
    let digits = r.to_string().trim_end_matches('0').len();
    assert!(
        digits <= 3,
        "rate with more than three significant digits: {line}"
    );
    let eta = match rest.strip_prefix(", eta ") {
        Some(e) => {
            let ok = e.split(' ').all(|p| {
                let n = p.trim_end_matches(['h', 'm', 's']);
                !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) && n.len() < p.len()
            });
            assert!(ok, "time left not like `24s`, `3m 10s`: {line}");
            true
        }
        None => {
            assert!(rest.is_empty(), "{line}");
            false
        }
    };
    (done, eta)
}

#[test]
fn a_long_run_logs_progress_lines_at_a_steady_interval() {
    let dir = tempfile::tempdir().unwrap();
    let interval = Duration::from_millis(250);
    // A million runs of the flagship take minutes even in a release build; the test
    // stops the run (as Ctrl-C would) once it has seen enough lines.
    let mut child = Command::new(env!("CARGO_BIN_EXE_brink"))
        .args([
            "run",
            &scenario("iran_2026.toml"),
            "--runs",
            "1000000",
            "--out",
        ])
        .arg(dir.path().join("out"))
        .env(
            "BRINK_PROGRESS_INTERVAL_MS",
            interval.as_millis().to_string(),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut progress: Vec<(Duration, String)> = Vec::new();
    let mut other = Vec::new();
    let mut stopped = false;
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        if line.contains(" of 1,000,000 runs") {
            progress.push((start.elapsed(), line));
            // Enough lines to see the interval, and to pass the point where a time left is
            // first estimated (3 s and 2% of the runs, however fast this machine is today).
            let estimated = progress.last().is_some_and(|(_, l)| l.contains(", eta "));
            if !stopped
                && progress.len() >= 6
                && start.elapsed() > Duration::from_millis(3500)
                && (estimated || start.elapsed() > Duration::from_secs(120))
            {
                unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
                stopped = true;
            }
        } else {
            other.push(line);
        }
    }
    let status = child.wait().unwrap();
    assert!(
        progress.len() >= 6,
        "only {} progress lines; stderr: {other:?}",
        progress.len()
    );
    // Interrupted as asked, unless a fast machine finished the million runs first.
    if stopped && status.code() != Some(0) {
        assert_eq!(status.code(), Some(130), "{other:?}");
    }
    assert!(
        other[0].starts_with("brink: 1000000 runs of iran_2026"),
        "{other:?}"
    );

    let parsed: Vec<(u64, bool)> = progress.iter().map(|(_, l)| parse(l)).collect();
    assert!(
        parsed.windows(2).all(|w| w[1].0 >= w[0].0),
        "runs done went back: {progress:?}"
    );
    assert!(parsed.last().unwrap().0 > parsed[0].0, "no progress");
    // No time left in the first seconds, when it would be a guess from thread start-up; one
    // by the time the run has gone on for a while (the line printed after 3.5 s).
    for ((at, line), (_, eta)) in progress.iter().zip(&parsed) {
        if *at < Duration::from_millis(2900) {
            assert!(!eta, "time left too early ({at:?}): {line}");
        }
    }
    assert!(parsed.last().unwrap().1, "no time left: {progress:?}");
    // Steady: the lines come one interval apart, not in bursts and not late. Read as they
    // arrive through a pipe on a shared machine, so a gap may stretch; on average they keep
    // the interval.
    let gaps: Vec<Duration> = progress.windows(2).map(|w| w[1].0 - w[0].0).collect();
    assert!(
        gaps.iter().all(|g| *g >= interval / 3),
        "lines in a burst: {gaps:?}"
    );
    let mean = (progress.last().unwrap().0 - progress[0].0) / gaps.len() as u32;
    assert!(
        mean >= interval * 8 / 10 && mean <= interval * 2,
        "mean gap {mean:?} for an interval of {interval:?}: {gaps:?}"
    );
    // The first line comes one interval after the start, not at once and not much later.
    assert!(progress[0].0 >= interval / 2 && progress[0].0 < interval * 6);
}

#[test]
fn quiet_runs_log_no_progress() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_brink"))
        .args(["run", &minimal(), "--runs", "60000", "--quiet", "--out"])
        .arg(dir.path().join("out"))
        .env("BRINK_PROGRESS_INTERVAL_MS", "20")
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The same run without --quiet does log, so the silence above is --quiet's doing.
    let o = Command::new(env!("CARGO_BIN_EXE_brink"))
        .args(["run", &minimal(), "--runs", "60000", "--out"])
        .arg(dir.path().join("loud"))
        .env("BRINK_PROGRESS_INTERVAL_MS", "20")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(" of 60,000 runs ("), "{err}");
}
