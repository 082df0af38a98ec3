//! The one study path: every simulating command runs its work through [`drive`].
//!
//! A study is a range of items: run indices for `run`, `compare`, `sweep` and `trace --find`,
//! design points for `sensitivity`. `drive` cuts the range into pieces that end at multiples of
//! a fixed size (`CHUNK` for runs, the same multiples shards are cut at, so a shard is whole
//! pieces), computes a batch of pieces on the current rayon pool, and hands each piece's result
//! to a sink in item order, so memory is bounded by one batch whatever the study's size.
//!
//! Cancelling: `drive` checks a stop flag between batches and before every call of the sink,
//! and work functions check it between items through [`each`], so a study stops within about
//! one item's time of the flag being raised. The library knows nothing of signals; the command
//! line raises the flag on SIGINT and SIGTERM. A stopped study hands the sink a prefix of the
//! pieces and nothing of the unfinished batch.
//!
//! Results never depend on the number of threads, on batch sizes or on where pieces begin: a
//! piece's result depends only on its items, and the sink sees pieces in item order.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use rayon::prelude::*;

use crate::engine::{CHUNK, ChunkResult, Engine, NoRecord, RunRows};
use crate::given::Given;
use crate::stats::Aggregate;

/// What the sink wants after a piece.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Go on with the next piece.
    Continue,
    /// The sink has what it needs (a search found enough runs): stop without error.
    Enough,
}

/// How a study ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// Every item was computed and handed to the sink.
    Complete,
    /// The sink said it had enough.
    Enough,
    /// The stop flag was raised; the sink saw a prefix of the pieces.
    Stopped,
}

/// How a study is cut into work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pace {
    /// Pieces end at multiples of this many items.
    pub piece: u64,
    /// Items in the first batch, doubling with each batch up to a full one (four pieces per
    /// thread); `None` starts full. A search that may stop early starts small, so a common
    /// outcome is found without computing thousands of runs first.
    pub first_batch: Option<u64>,
}

impl Pace {
    /// Fixed chunks of runs, full batches from the start.
    pub const RUNS: Pace = Pace {
        piece: CHUNK,
        first_batch: None,
    };

    /// Fixed chunks of runs, starting with a batch of `first` runs.
    pub fn ramp(first: u64) -> Pace {
        Pace {
            piece: CHUNK,
            first_batch: Some(first.max(1)),
        }
    }
}

/// Runs `work` on every piece of `items` on the current rayon pool and hands the results to
/// `sink` in item order. `work` returns `None` if it saw the stop flag before finishing its
/// piece. Returns how the study ended, or the sink's first error.
pub fn drive<T, E>(
    items: Range<u64>,
    pace: Pace,
    stop: &AtomicBool,
    work: impl Fn(Range<u64>) -> Option<T> + Sync,
    mut sink: impl FnMut(T) -> Result<Flow, E>,
) -> Result<Ended, E>
where
    T: Send,
{
    let piece = pace.piece.max(1);
    let full = (rayon::current_num_threads() as u64)
        .saturating_mul(4)
        .max(1);
    let mut span = pace.first_batch.unwrap_or(u64::MAX);
    let mut at = items.start;
    while at < items.end {
        if stop.load(Relaxed) {
            return Ok(Ended::Stopped);
        }
        let end = at.saturating_add(span).min(items.end);
        let mut pieces = Vec::new();
        let mut lo = at;
        while lo < end && (pieces.len() as u64) < full {
            let hi = (lo / piece + 1).saturating_mul(piece).min(end);
            pieces.push(lo..hi);
            lo = hi;
        }
        let results: Vec<Option<T>> = pieces.into_par_iter().map(&work).collect();
        if stop.load(Relaxed) || results.iter().any(Option::is_none) {
            return Ok(Ended::Stopped);
        }
        for r in results.into_iter().flatten() {
            // The sink may be slow (writing runs.csv): do not finish a batch nobody wants.
            if stop.load(Relaxed) {
                return Ok(Ended::Stopped);
            }
            if sink(r)? == Flow::Enough {
                return Ok(Ended::Enough);
            }
        }
        at = lo;
        span = span.saturating_mul(2);
    }
    Ok(Ended::Complete)
}

/// Calls `f` with each item of `items` in order, checking `stop` before each. False if it
/// stopped before the end.
pub fn each(items: Range<u64>, stop: &AtomicBool, mut f: impl FnMut(u64)) -> bool {
    for i in items {
        if stop.load(Relaxed) {
            return false;
        }
        f(i);
    }
    true
}

/// Simulates one piece of runs in one workspace and aggregates it (with its per-run rows when
/// `per_run`); `None` if stopped first.
pub fn chunk(
    engine: &Engine,
    runs: Range<u64>,
    per_run: bool,
    stop: &AtomicBool,
) -> Option<ChunkResult> {
    let sc = engine.scenario;
    let mut ws = engine.workspace();
    let mut agg = Aggregate::new(sc);
    let mut rows = per_run.then(|| RunRows::with_capacity(sc, (runs.end - runs.start) as usize));
    let done = each(runs.clone(), stop, |run| {
        engine.simulate(run, &mut ws, &mut NoRecord);
        agg.add(&ws.outcome);
        if let Some(rows) = rows.as_mut() {
            rows.push(run, &ws.outcome, &ws.world.params);
        }
    });
    if !done {
        return None;
    }
    agg.add_daily(&ws.daily);
    Some(ChunkResult {
        runs,
        aggregate: agg,
        rows,
    })
}

/// A piece of runs filtered by conditions (`brink run --given`): the aggregate and per-run
/// rows of the runs kept, and their indices.
pub struct Kept {
    pub chunk: ChunkResult,
    /// Indices of the kept runs, in order.
    pub kept: Vec<u64>,
}

/// Simulates one piece of runs and keeps only those that satisfy `given`, exactly, from each
/// run's event days: their outcomes, daily states and (with `per_run`) rows. `None` if stopped
/// first.
pub fn chunk_given(
    engine: &Engine,
    runs: Range<u64>,
    per_run: bool,
    given: &Given,
    stop: &AtomicBool,
) -> Option<Kept> {
    let sc = engine.scenario;
    let mut ws = engine.workspace();
    let mut agg = Aggregate::new(sc);
    let mut rows = per_run.then(|| RunRows::with_capacity(sc, 0));
    let mut kept = Vec::new();
    // The engine adds each run's daily states to `ws.daily`; starting every run from zeros
    // keeps one run's states apart, to be counted only if the run is kept.
    let done = each(runs.clone(), stop, |run| {
        engine.simulate(run, &mut ws, &mut NoRecord);
        if given.holds(&ws.outcome.first) {
            agg.add(&ws.outcome);
            agg.add_daily(&ws.daily);
            kept.push(run);
            if let Some(rows) = rows.as_mut() {
                rows.push(run, &ws.outcome, &ws.world.params);
            }
        }
        ws.daily.fill(0);
    });
    if !done {
        return None;
    }
    Some(Kept {
        chunk: ChunkResult {
            runs,
            aggregate: agg,
            rows,
        },
        kept,
    })
}

/// Simulates `runs` on the current rayon pool, calling `sink` with each chunk's result in run
/// order. `Ok(false)` if it stopped; the sink then received a prefix of the runs.
pub fn runs<E>(
    engine: &Engine,
    runs: Range<u64>,
    per_run: bool,
    stop: &AtomicBool,
    mut sink: impl FnMut(ChunkResult) -> Result<(), E>,
) -> Result<bool, E> {
    let ended = drive(
        runs,
        Pace::RUNS,
        stop,
        |r| chunk(engine, r, per_run, stop),
        |c| sink(c).map(|()| Flow::Continue),
    )?;
    Ok(ended == Ended::Complete)
}

/// The aggregate of `runs`, or `None` if stopped.
pub fn aggregate(engine: &Engine, runs: Range<u64>, stop: &AtomicBool) -> Option<Aggregate> {
    let mut total = Aggregate::new(engine.scenario);
    let complete = self::runs(engine, runs, false, stop, |c| {
        total.merge(&c.aggregate);
        Ok::<(), std::convert::Infallible>(())
    });
    matches!(complete, Ok(true)).then_some(total)
}

/// `n` if it is in `lo..=hi`, else the words every front end gives for a count out of range.
pub fn whole(n: u64, lo: u64, hi: u64) -> Result<u64, String> {
    if (lo..=hi).contains(&n) {
        Ok(n)
    } else {
        Err(range_words(lo, hi))
    }
}

/// What a count from `lo` to `hi` must be, in words.
pub fn range_words(lo: u64, hi: u64) -> String {
    format!("expected a whole number from {lo} to {hi}")
}

/// The largest number of worker threads: four per core, and at least 64. The work is
/// CPU-bound, so threads beyond the cores add nothing but memory (each keeps four chunks of
/// runs in flight) and the time to start them; a few per core still let tests and users check
/// that results do not depend on the thread count.
pub fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.saturating_mul(4).max(64)
}

/// `n` worker threads (0: all cores) if brink allows that many, else why not.
pub fn threads(n: usize) -> Result<usize, String> {
    if n <= max_threads() {
        Ok(n)
    } else {
        // The same words on every machine (the record of refusals is shared), with the rule.
        Err(
            "too many: brink allows 64 threads, or four per core on a machine of more than 16 \
             cores; more give no speed, only memory and start-up time"
                .into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(items: Range<u64>, pace: Pace, threads: usize) -> Vec<Range<u64>> {
        let stop = AtomicBool::new(false);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut seen = Vec::new();
        let ended = pool.install(|| {
            drive(items, pace, &stop, Some, |r| {
                seen.push(r);
                Ok::<_, ()>(Flow::Continue)
            })
        });
        assert_eq!(ended, Ok(Ended::Complete));
        seen
    }

    #[test]
    fn pieces_tile_the_range_in_order_at_fixed_multiples() {
        for threads in [1, 3] {
            for pace in [Pace::RUNS, Pace::ramp(64)] {
                let seen = collect(1000..20_000, pace, threads);
                assert_eq!(seen.first().unwrap().start, 1000);
                assert_eq!(seen.last().unwrap().end, 20_000);
                for w in seen.windows(2) {
                    assert_eq!(w[0].end, w[1].start);
                }
                for r in &seen[..seen.len() - 1] {
                    assert!(
                        r.end.is_multiple_of(CHUNK) || r.end - r.start < CHUNK,
                        "{r:?}"
                    );
                    assert!(r.end - r.start <= CHUNK);
                }
            }
        }
        assert!(collect(5..5, Pace::RUNS, 2).is_empty());
        // Near the top of u64 nothing overflows.
        let top = collect(u64::MAX - 3000..u64::MAX, Pace::RUNS, 2);
        assert_eq!(top.last().unwrap().end, u64::MAX);
    }

    #[test]
    fn a_ramp_starts_small_and_enough_stops_the_study() {
        let stop = AtomicBool::new(false);
        let mut calls = 0;
        let ended = drive(0..1_000_000, Pace::ramp(64), &stop, Some, |r| {
            calls += 1;
            assert_eq!(r, 0..64, "the first batch is the first 64 items");
            Ok::<_, ()>(Flow::Enough)
        });
        assert_eq!(ended, Ok(Ended::Enough));
        assert_eq!(calls, 1);
    }

    #[test]
    fn a_raised_flag_stops_before_the_sink_sees_anything_more() {
        let stop = AtomicBool::new(true);
        let ended = drive(0..5000, Pace::RUNS, &stop, Some, |_| -> Result<Flow, ()> {
            panic!("the sink must not be called")
        });
        assert_eq!(ended, Ok(Ended::Stopped));
        // Work that sees the flag mid-piece discards the whole batch.
        let stop = AtomicBool::new(false);
        let ended = drive(
            0..5000,
            Pace::RUNS,
            &stop,
            |r| {
                stop.store(true, Relaxed);
                each(r.clone(), &stop, |_| {}).then_some(r)
            },
            |_| -> Result<Flow, ()> { panic!("the sink must not be called") },
        );
        assert_eq!(ended, Ok(Ended::Stopped));
    }
}
