//! History replays: scenarios written only from what was known on a past date, confronted with
//! what then happened. The real path must be an ordinary path of the model — not a target to
//! hit, but not a fluke either: its probability, estimated from runs.csv of the real binary,
//! must exceed 5% by four standard errors.

use std::path::Path;

mod support;
use support::{Share, first, per_run, value};

/// Asserts that `k` of `n` runs is a probability above 5% by four standard errors.
fn assert_ordinary(what: &str, k: usize, n: usize) {
    let s = Share { k, n };
    assert!(
        s.clearly_above(0.05),
        "{what}: the real path has probability {}, not clearly above 5%",
        s.show()
    );
    eprintln!("{what}: real path in {}", s.show());
}

#[test]
fn soleimani_2020_real_path_is_an_ordinary_path() {
    // What happened after 3 January 2020: Iran answered within a week (8 January, five days
    // later) with missiles on bases hosting US troops, warned in advance through Iraq, and
    // killed nobody (a token answer, at once its first answer); the United States did not
    // strike Iran in the sixty days that followed; no exchange lasted more than a few days.
    let file = "scenarios/examples/soleimani_2020.toml";
    assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join(file).exists());
    let rows = per_run(file, 20_000, &[]);
    let real = rows
        .iter()
        .filter(|r| {
            let answer = first(r, "iran_answers");
            answer.is_some_and(|d| d <= 7)
                && first(r, "iran_token_answer") == answer
                && first(r, "us_strikes_iran").is_none()
                && value(r, "war_days") <= 5.0
        })
        .count();
    assert_ordinary("Soleimani, January 2020", real, rows.len());
}

// The June 2025 replay, the flagship's calibration case, is checked with the flagship's other
// patterns in tests/patterns.rs.
