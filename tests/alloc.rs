//! "No heap allocation per simulated day": a counting global allocator around the system one
//! shows that simulating the flagship scenario allocates nothing once a workspace has warmed
//! up, and in particular that doubling the horizon (366 -> 732 days) adds no allocations.
//!
//! Only allocations made on the test's own thread while counting is switched on are counted,
//! so the test harness and other threads cannot disturb the figures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use brink::engine::{Engine, NoRecord};

mod support;

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);
/// Serializes the tests of this file, which share the counters.
static SERIAL: Mutex<()> = Mutex::new(());

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn note(size: usize) {
    if COUNTING.with(Cell::get) {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(size, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to `System`; counting touches only atomics and a
// const-initialized thread-local `Cell`, neither of which allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const FLAGSHIP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/iran_2026.toml");
const SEED: u64 = 20251229;
const WARM_UP_RUNS: u64 = 50;
const MEASURED_RUNS: u64 = 200;

/// Allocations and bytes requested while simulating `MEASURED_RUNS` runs (after warming up on
/// other run indices) of the flagship scenario with the given horizon.
fn allocations_with_horizon(days: u32) -> (usize, usize) {
    let text = support::composed(std::path::Path::new(FLAGSHIP));
    let line = "horizon_days = 366";
    assert!(text.contains(line), "the flagship scenario sets `{line}`");
    let text = text.replacen(line, &format!("horizon_days = {days}"), 1);
    let sc = brink::scenario::parse(&text, FLAGSHIP).expect("the flagship scenario compiles");
    assert_eq!(sc.horizon, days);
    let engine = Engine::new(&sc, SEED);
    let mut ws = engine.workspace();
    for run in 0..WARM_UP_RUNS {
        engine.simulate(run, &mut ws, &mut NoRecord);
    }
    let first = 1_000_000;
    ALLOCS.store(0, Ordering::Relaxed);
    BYTES.store(0, Ordering::Relaxed);
    COUNTING.with(|c| c.set(true));
    for run in first..first + MEASURED_RUNS {
        engine.simulate(run, &mut ws, &mut NoRecord);
    }
    COUNTING.with(|c| c.set(false));
    std::hint::black_box(&ws.outcome);
    (
        ALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    )
}

#[test]
fn the_counter_sees_allocations() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    ALLOCS.store(0, Ordering::Relaxed);
    COUNTING.with(|c| c.set(true));
    let v: Vec<u64> = std::hint::black_box(Vec::with_capacity(16));
    COUNTING.with(|c| c.set(false));
    drop(v);
    assert!(ALLOCS.load(Ordering::Relaxed) >= 1);
}

#[test]
fn simulating_allocates_nothing_per_day() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (short, short_bytes) = allocations_with_horizon(366);
    let (long, long_bytes) = allocations_with_horizon(732);
    println!(
        "{MEASURED_RUNS} runs: 366 days {short} allocations ({short_bytes} bytes); \
         732 days {long} allocations ({long_bytes} bytes)"
    );
    assert!(
        long <= short,
        "allocations grow with the horizon: {short} for 366-day runs, {long} for 732-day runs"
    );
    assert_eq!(
        (short, long),
        (0, 0),
        "a warmed-up workspace should simulate without allocating"
    );
}
