//! Progress on stderr while a command works: what it is doing, how far it is, its rate and the
//! time left, written as a person would ("12,300 runs/s", "eta 24s").
//!
//! On a terminal, a bar redrawn in place. When stderr is not a terminal (a CI log, a Slurm
//! output file), a plain line at a steady interval, every 10 seconds, so a cluster job shows
//! that it is alive without flooding its log:
//!
//!     brink: 1,234,567 of 10,000,000 runs (12%), 51,400 runs/s, eta 2m 51s
//!
//! Nothing at all with --quiet. No time left is shown until a phase has run for a few seconds
//! and done some of its work, since an estimate from the first instants (thread start-up, the
//! first chunks) is far off. A command with several long phases (sensitivity: runs, then
//! bootstrap intervals) names each with `phase`.
//!
//! The interval of the plain lines can be set in milliseconds with the environment variable
//! BRINK_PROGRESS_INTERVAL_MS; it exists for tests and is not part of the interface.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use super::charts::num::thousands;

/// Seconds a phase runs, and share of its work done, before its time left is estimated.
const ETA_AFTER_SECS: f64 = 3.0;
const ETA_AFTER_SHARE: f64 = 0.02;
/// Between two plain progress lines.
const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// What is counted, for the rate's unit and the line's words.
#[derive(Clone)]
struct Phase {
    /// "runs", or a phase's name such as "Sobol bootstrap intervals".
    what: String,
    /// What one unit of work is: "runs", "metrics".
    unit: &'static str,
    total: u64,
    started: Instant,
}

struct Shared {
    done: AtomicU64,
    phase: Mutex<Phase>,
    stop: Mutex<bool>,
    wake: Condvar,
}

/// A progress display; `inc` is cheap and may be called from any thread.
pub struct Progress {
    shared: Option<Arc<Shared>>,
    bar: Option<ProgressBar>,
    logger: Mutex<Option<JoinHandle<()>>>,
}

/// Progress of `total` runs; hidden with `quiet`.
pub fn bar(total: u64, quiet: bool) -> Progress {
    if quiet {
        return Progress {
            shared: None,
            bar: None,
            logger: Mutex::new(None),
        };
    }
    let shared = Arc::new(Shared {
        done: AtomicU64::new(0),
        phase: Mutex::new(Phase {
            what: "runs".into(),
            unit: "runs",
            total,
            started: Instant::now(),
        }),
        stop: Mutex::new(false),
        wake: Condvar::new(),
    });
    if std::io::stderr().is_terminal() {
        let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        pb.set_style(style(&shared));
        pb.set_message("runs");
        Progress {
            shared: Some(shared),
            bar: Some(pb),
            logger: Mutex::new(None),
        }
    } else {
        let every = interval();
        let s = Arc::clone(&shared);
        let logger = std::thread::Builder::new()
            .name("brink-progress".into())
            .spawn(move || log_lines(&s, every))
            .ok();
        Progress {
            shared: Some(shared),
            bar: None,
            logger: Mutex::new(logger),
        }
    }
}

fn interval() -> Duration {
    std::env::var("BRINK_PROGRESS_INTERVAL_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(LOG_INTERVAL, |ms| Duration::from_millis(ms.max(10)))
}

/// The terminal bar: "runs ████░░ 1,234/10,000  12,300 runs/s  eta 24s".
fn style(shared: &Arc<Shared>) -> ProgressStyle {
    let (a, b) = (Arc::clone(shared), Arc::clone(shared));
    ProgressStyle::with_template("{msg} {bar:30} {human_pos}/{human_len}  {rate_h}  {eta_h}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "rate_h",
            move |st: &ProgressState, w: &mut dyn std::fmt::Write| {
                let unit = a.phase.lock().map_or("runs", |p| p.unit);
                let _ = write!(
                    w,
                    "{}",
                    rate_text(st.pos(), st.elapsed().as_secs_f64(), unit)
                );
            },
        )
        .with_key(
            "eta_h",
            move |st: &ProgressState, w: &mut dyn std::fmt::Write| {
                let total = b.phase.lock().map_or(0, |p| p.total);
                if let Some(e) = eta(st.pos(), total, st.elapsed().as_secs_f64()) {
                    let _ = write!(w, "eta {}", duration(e));
                }
            },
        )
}

/// Writes a line every `every` until told to stop.
fn log_lines(s: &Shared, every: Duration) {
    let mut next = Instant::now() + every;
    let mut stop = match s.stop.lock() {
        Ok(g) => g,
        Err(_) => return,
    };
    loop {
        let now = Instant::now();
        if now < next {
            stop = match s.wake.wait_timeout(stop, next - now) {
                Ok((g, _)) => g,
                Err(_) => return,
            };
            if *stop {
                return;
            }
            continue;
        }
        // Steady: the next line is due one interval after this one was, whatever the delay.
        next += every;
        if next < now {
            next = now + every;
        }
        let Ok(phase) = s.phase.lock().map(|p| p.clone()) else {
            return;
        };
        let line = log_line(
            &phase,
            s.done.load(Ordering::Relaxed),
            phase.started.elapsed().as_secs_f64(),
        );
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
        let _ = err.flush();
    }
}

/// "brink: 123,456 of 1,000,000 runs (12%), 12,300 runs/s, eta 1m 10s"; phases counted in
/// other units give their time so far instead of a rate.
fn log_line(p: &Phase, done: u64, secs: f64) -> String {
    let share = (100 * done.min(p.total))
        .checked_div(p.total)
        .map_or_else(String::new, |pct| format!(" ({pct}%)"));
    let count = format!(
        "{} of {} {}{share}",
        thousands(done),
        thousands(p.total),
        p.unit
    );
    let mut line = if p.what == p.unit {
        format!("brink: {count}")
    } else {
        format!("brink: {}: {count}", p.what)
    };
    if p.unit == "runs" {
        let r = rate_text(done, secs, p.unit);
        if !r.is_empty() {
            line.push_str(", ");
            line.push_str(&r);
        }
    } else {
        line.push_str(&format!(", {} so far", duration(secs)));
    }
    if let Some(e) = eta(done, p.total, secs) {
        line.push_str(&format!(", eta {}", duration(e)));
    }
    line
}

/// The mean rate since the phase began, to three significant digits: "12,300 runs/s",
/// "45 runs/s", "4.2 runs/s"; empty before anything is done.
pub fn rate_text(done: u64, secs: f64, unit: &str) -> String {
    if done == 0 || secs <= 0.0 {
        return String::new();
    }
    let r = done as f64 / secs;
    let n = if r >= 100.0 {
        let p = brink::math::powf(10.0, brink::math::log10(r).floor() - 2.0);
        thousands(((r / p).round() * p) as u64)
    } else if r >= 10.0 {
        format!("{}", r.round() as u64)
    } else {
        format!("{r:.1}")
    };
    format!("{n} {unit}/s")
}

/// Seconds left at the mean rate so far, once the phase has run long enough to say.
fn eta(done: u64, total: u64, secs: f64) -> Option<f64> {
    if total == 0
        || done == 0
        || done >= total
        || secs < ETA_AFTER_SECS
        || (done as f64) < ETA_AFTER_SHARE * total as f64
    {
        return None;
    }
    Some(secs * (total - done) as f64 / done as f64)
}

/// "24s", "3m 10s", "12m", "1h 05m".
fn duration(secs: f64) -> String {
    let s = secs.round().max(0.0) as u64;
    if s < 60 {
        format!("{s}s")
    } else if s < 600 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else if s < 3600 {
        format!("{}m", (s + 30) / 60)
    } else {
        let m = (s + 30) / 60;
        format!("{}h {:02}m", m / 60, m % 60)
    }
}

impl Progress {
    /// `n` more units of the current phase done.
    pub fn inc(&self, n: u64) {
        if let Some(s) = &self.shared {
            s.done.fetch_add(n, Ordering::Relaxed);
        }
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    /// Starts a new phase of `total` units (`unit`: "runs", "metrics", ...) named `what`;
    /// its count, rate and time left start afresh.
    pub fn phase(&self, what: &str, total: u64, unit: &'static str) {
        let Some(s) = &self.shared else {
            return;
        };
        if let Ok(mut p) = s.phase.lock() {
            *p = Phase {
                what: what.to_string(),
                unit,
                total,
                started: Instant::now(),
            };
        }
        s.done.store(0, Ordering::Relaxed);
        if let Some(b) = &self.bar {
            b.reset();
            b.set_length(total);
            b.set_message(what.to_string());
        }
    }

    /// Removes the bar, or stops the plain lines.
    pub fn finish_and_clear(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        if let Some(s) = &self.shared
            && let Ok(mut stop) = s.stop.lock()
        {
            *stop = true;
            s.wake.notify_all();
        }
        if let Ok(mut l) = self.logger.lock()
            && let Some(h) = l.take()
        {
            let _ = h.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_durations_read_as_a_person_writes_them() {
        assert_eq!(rate_text(37_117_034, 10_000.0, "runs"), "3,710 runs/s");
        assert_eq!(rate_text(123_456, 10.0, "runs"), "12,300 runs/s");
        assert_eq!(rate_text(456, 10.0, "runs"), "46 runs/s");
        assert_eq!(rate_text(42, 10.0, "runs"), "4.2 runs/s");
        assert_eq!(rate_text(0, 10.0, "runs"), "");
        assert_eq!(duration(24.4), "24s");
        assert_eq!(duration(190.0), "3m 10s");
        assert_eq!(duration(725.0), "12m");
        assert_eq!(duration(3900.0), "1h 05m");
    }

    #[test]
    fn no_time_left_until_there_is_enough_to_go_on() {
        assert_eq!(eta(100, 1000, 1.0), None, "too early");
        assert_eq!(eta(10, 1000, 5.0), None, "too little done");
        assert_eq!(eta(250, 1000, 5.0), Some(15.0));
        assert_eq!(eta(1000, 1000, 5.0), None, "done");
    }

    #[test]
    fn log_lines_say_what_how_far_how_fast_and_how_long() {
        let p = Phase {
            what: "runs".into(),
            unit: "runs",
            total: 1_000_000,
            started: Instant::now(),
        };
        assert_eq!(
            log_line(&p, 123_456, 10.0),
            "brink: 123,456 of 1,000,000 runs (12%), 12,300 runs/s, eta 1m 11s"
        );
        let b = Phase {
            what: "Sobol bootstrap intervals".into(),
            unit: "metrics",
            total: 2,
            started: Instant::now(),
        };
        assert_eq!(
            log_line(&b, 1, 4.0),
            "brink: Sobol bootstrap intervals: 1 of 2 metrics (50%), 4s so far, eta 4s"
        );
    }
}
