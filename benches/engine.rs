//! Engine throughput on the flagship scenario (`scenarios/iran_2026.toml`).
//!
//! `cargo bench --bench engine` measures, with criterion:
//! - `single_thread/simulate`: one core calling `Engine::simulate` in a loop on one reused
//!   workspace (throughput in runs = "elem/s");
//! - `parallel/run_range/threads=1|2`: `Engine::run_range` (the path `brink run` takes) inside
//!   rayon pools of one and two threads.
//!
//! It then prints a plain summary: runs/s/core, ns per simulated run-day, and the 1-thread vs
//! 2-thread scaling ratio measured side by side (the two pools timed alternately, so drift in
//! machine load hits both equally), against the project's floor of 20 000 flagship runs per
//! second per core. The whole bench takes about a minute.

use std::hint::black_box;
use std::time::{Duration, Instant};

use brink::engine::{Engine, NoRecord};
use brink::model::Scenario;
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

const SCENARIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/iran_2026.toml");
const SEED: u64 = 20251229;
/// The project's floor: flagship runs per second per core.
const FLOOR_RUNS_PER_SEC_PER_CORE: f64 = 20_000.0;
/// Runs per parallel iteration: 8 chunks of 1024, so two threads get equal work.
const PAR_RUNS: u64 = 8 * brink::engine::CHUNK;

fn flagship() -> Scenario {
    let text = std::fs::read_to_string(SCENARIO).expect("read the flagship scenario");
    brink::scenario::parse(&text, SCENARIO).expect("the flagship scenario compiles")
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("start a rayon pool")
}

/// Simulates runs `first..first + n` on one thread; returns the elapsed time.
fn simulate_runs(
    engine: &Engine,
    ws: &mut brink::engine::Workspace,
    first: u64,
    n: u64,
) -> Duration {
    let start = Instant::now();
    for run in first..first + n {
        engine.simulate(run, ws, &mut NoRecord);
        black_box(&ws.outcome);
    }
    start.elapsed()
}

/// Runs `0..n` through `run_range` on `pool`; returns the elapsed time.
fn run_range(engine: &Engine, pool: &rayon::ThreadPool, n: u64) -> Duration {
    let start = Instant::now();
    pool.install(|| {
        engine
            .run_range(0..n, false, |chunk| {
                black_box(&chunk.aggregate);
                Ok::<(), ()>(())
            })
            .expect("run_range never fails here")
    });
    start.elapsed()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn bench_single_thread(c: &mut Criterion) {
    let sc = flagship();
    let engine = Engine::new(&sc, SEED);
    let mut ws = engine.workspace();
    let mut next_run = 0u64;
    let mut group = c.benchmark_group("single_thread");
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(10));
    group.sample_size(50);
    group.bench_function("simulate", |b| {
        b.iter_custom(|iters| {
            // Fresh run indices each time, so the bench covers the scenario's whole spread of
            // outcomes rather than one run repeated.
            let t = simulate_runs(&engine, &mut ws, next_run, iters);
            next_run += iters;
            t
        })
    });
    group.finish();
}

fn bench_parallel(c: &mut Criterion) {
    let sc = flagship();
    let engine = Engine::new(&sc, SEED);
    let pools = [(1usize, pool(1)), (2usize, pool(2))];
    let mut group = c.benchmark_group("parallel");
    group.throughput(Throughput::Elements(PAR_RUNS));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));
    for (threads, pool) in &pools {
        group.bench_function(format!("run_range/threads={threads}"), |b| {
            b.iter_custom(|iters| {
                let mut t = Duration::ZERO;
                for _ in 0..iters {
                    t += run_range(&engine, pool, PAR_RUNS);
                }
                t
            })
        });
    }
    group.finish();
}

/// Whether this process is a real benchmark run that selected the summary: `cargo bench`
/// passes `--bench`; `cargo test --benches` does not (criterion's test mode), and a name filter
/// other than one matching "summary" skips it, as criterion does for its own benchmarks.
fn summary_selected() -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bench = args.iter().any(|a| a == "--bench");
    let test_or_list = args.iter().any(|a| a == "--test" || a == "--list");
    let filter = args.iter().find(|a| !a.starts_with('-'));
    bench && !test_or_list && filter.is_none_or(|f| "summary".contains(f.as_str()))
}

/// A plain, self-contained summary with the figures the project tracks.
fn summary(_c: &mut Criterion) {
    if !summary_selected() {
        return;
    }
    let sc = flagship();
    let horizon = f64::from(sc.horizon);
    let engine = Engine::new(&sc, SEED);
    let mut ws = engine.workspace();

    // Single thread: 7 repetitions of 20 000 runs each, after a warm-up; median rate.
    const REPS: usize = 7;
    const N: u64 = 20_000;
    simulate_runs(&engine, &mut ws, 0, 2_000);
    let rates: Vec<f64> = (0..REPS)
        .map(|r| N as f64 / simulate_runs(&engine, &mut ws, r as u64 * N, N).as_secs_f64())
        .collect();
    let per_core = median(rates.clone());
    let lo = rates.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = rates.iter().copied().fold(0.0, f64::max);
    let ns_per_run = 1e9 / per_core;
    let ns_per_day = ns_per_run / horizon;

    // Parallel, side by side: 1-thread and 2-thread pools timed alternately.
    let (p1, p2) = (pool(1), pool(2));
    run_range(&engine, &p1, PAR_RUNS);
    run_range(&engine, &p2, PAR_RUNS);
    let mut r1 = Vec::new();
    let mut r2 = Vec::new();
    let mut ratios = Vec::new();
    for _ in 0..REPS {
        let a = PAR_RUNS as f64 / run_range(&engine, &p1, PAR_RUNS).as_secs_f64();
        let b = PAR_RUNS as f64 / run_range(&engine, &p2, PAR_RUNS).as_secs_f64();
        r1.push(a);
        r2.push(b);
        ratios.push(b / a);
    }
    let (m1, m2, ratio) = (median(r1), median(r2), median(ratios));

    println!();
    println!("== brink engine summary: scenarios/iran_2026.toml, horizon {horizon} days ==");
    println!(
        "single thread (simulate loop, {REPS} x {N} runs, median): {per_core:.0} runs/s/core \
         (range {lo:.0}..{hi:.0}), {ns_per_run:.0} ns/run, {ns_per_day:.1} ns/run-day"
    );
    println!(
        "run_range, {PAR_RUNS} runs x {REPS}, pools alternated: 1 thread {m1:.0} runs/s, \
         2 threads {m2:.0} runs/s ({:.0} runs/s/core)",
        m2 / 2.0
    );
    println!("thread scaling 2 vs 1 (median of paired ratios): {ratio:.2}x (ideal 2.00x)");
    let verdict = if per_core >= FLOOR_RUNS_PER_SEC_PER_CORE {
        "MET"
    } else {
        "NOT MET"
    };
    println!(
        "floor {FLOOR_RUNS_PER_SEC_PER_CORE:.0} runs/s/core: {verdict} ({:.0}% of floor)",
        100.0 * per_core / FLOOR_RUNS_PER_SEC_PER_CORE
    );
}

criterion_group!(benches, bench_single_thread, bench_parallel, summary);
criterion_main!(benches);
