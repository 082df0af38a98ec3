//! `[[correlations]]`: drawn ranks have the requested Spearman correlation, each parameter keeps
//! its own distribution, and a run's values depend only on (scenario, seed, run index): not on
//! threads, the range of runs asked for, or whether the run is traced alone.

use std::convert::Infallible;
use std::path::Path;
use std::process::Command;

use brink::engine::{CHUNK, Engine, NoRecord, RunRows};
use brink::model::Scenario;

const BASE: &str = r#"
[scenario]
name = "correlated"
start_date = 2026-01-01
horizon_days = 2
war_level = "strike"

[[ladder]]
id = "calm"
mid = 1

[[ladder]]
id = "strike"
mid = 4

[actors.blue]
[actors.red]

[tracks.x]
initial = 0.5
drift = { uniform = [0, 1] }

[tracks.y]
initial = 0.5
drift = "1 to 5"

[tracks.a]
initial = 0.5
drift = { normal = [0, 1] }

[tracks.b]
initial = 0.5
drift = { triangular = [0, 1, 4] }

[tracks.c]
initial = 0.5
drift = { beta = [2, 5] }

[rules.blue_red_line]
kind = "red_line"
actor = "blue"
target = "red"
track = "x"
threshold = 0.4
daily_probability = { uniform = [0.1, 0.9] }
level = "strike"

[metrics.blue_strikes]
actor = ["blue"]
"#;

const CORRELATIONS: &str = r#"
[[correlations]]
params = ["tracks.x.drift", "tracks.y.drift"]
rank = 0.6

[[correlations]]
params = ["tracks.a.drift", "tracks.b.drift", "tracks.c.drift"]
matrix = [[1, 0.5, -0.3], [0.5, 1, 0.2], [-0.3, 0.2, 1]]
"#;

fn parse(text: &str) -> Scenario {
    brink::scenario::parse(text, "correlated.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn correlated() -> Scenario {
    parse(&format!("{BASE}{CORRELATIONS}"))
}

fn param(sc: &Scenario, path: &str) -> usize {
    sc.params.iter().position(|p| p.path == path).unwrap()
}

/// Every parameter value of runs `runs`, `[run][param]`, from `run_range`.
fn draws(sc: &Scenario, seed: u64, runs: std::ops::Range<u64>) -> Vec<Vec<f64>> {
    let engine = Engine::new(sc, seed);
    let mut out = Vec::new();
    engine
        .run_range(runs, true, |c| -> Result<(), Infallible> {
            let rows: RunRows = c.rows.unwrap();
            for i in 0..rows.len() {
                out.push(rows.row(i).3.to_vec());
            }
            Ok(())
        })
        .unwrap();
    out
}

fn ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    for (q, &i) in order.iter().enumerate() {
        r[i] = q as f64;
    }
    r
}

/// Spearman's rank correlation of two samples without ties.
fn spearman(x: &[f64], y: &[f64]) -> f64 {
    let (rx, ry) = (ranks(x), ranks(y));
    let n = x.len() as f64;
    let m = (n - 1.0) / 2.0;
    let cov: f64 = rx.iter().zip(&ry).map(|(a, b)| (a - m) * (b - m)).sum();
    let var: f64 = rx.iter().map(|a| (a - m) * (a - m)).sum();
    cov / var
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let s = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    (m, s)
}

const BLOCKS: u64 = 48;

#[test]
fn drawn_ranks_have_the_requested_rank_correlation() {
    // Each block of 1024 runs gives one sample Spearman correlation per pair; blocks are
    // independent, so their mean has the standard error sd/sqrt(blocks) of the block-to-block
    // spread. The target must lie within 4 of those.
    let sc = correlated();
    let d = draws(&sc, 11, 0..BLOCKS * CHUNK);
    let col = |path: &str| -> Vec<f64> {
        let i = param(&sc, path);
        d.iter().map(|r| r[i]).collect()
    };
    let cases = [
        ("tracks.x.drift", "tracks.y.drift", 0.6),
        ("tracks.a.drift", "tracks.b.drift", 0.5),
        ("tracks.a.drift", "tracks.c.drift", -0.3),
        ("tracks.b.drift", "tracks.c.drift", 0.2),
        // Across groups, and with a parameter in no group: independent.
        ("tracks.x.drift", "tracks.a.drift", 0.0),
        (
            "tracks.y.drift",
            "rules.blue_red_line.daily_probability",
            0.0,
        ),
    ];
    for (p, q, target) in cases {
        let (x, y) = (col(p), col(q));
        let per_block: Vec<f64> = (0..BLOCKS as usize)
            .map(|b| {
                let r = b * CHUNK as usize..(b + 1) * CHUNK as usize;
                spearman(&x[r.clone()], &y[r])
            })
            .collect();
        let (m, sd) = mean_sd(&per_block);
        let se = sd / (BLOCKS as f64).sqrt();
        assert!(sd > 0.0, "{p} ~ {q}: no spread between blocks");
        assert!(
            (m - target).abs() <= 4.0 * se,
            "{p} ~ {q}: mean block Spearman {m:.4} vs {target} (4 SE = {:.4})",
            4.0 * se
        );
    }
}

#[test]
fn each_parameter_keeps_its_own_draws_only_reordered() {
    // Within every whole block a member's values are exactly those it draws uncorrelated.
    let (with, without) = (correlated(), parse(BASE));
    let runs = 4 * CHUNK;
    let (dw, dn) = (draws(&with, 3, 0..runs), draws(&without, 3, 0..runs));
    for path in [
        "tracks.x.drift",
        "tracks.y.drift",
        "tracks.a.drift",
        "tracks.b.drift",
        "tracks.c.drift",
    ] {
        let (i, j) = (param(&with, path), param(&without, path));
        for b in 0..4usize {
            let r = b * CHUNK as usize..(b + 1) * CHUNK as usize;
            let mut x: Vec<f64> = dw[r.clone()].iter().map(|row| row[i]).collect();
            let mut y: Vec<f64> = dn[r].iter().map(|row| row[j]).collect();
            assert_ne!(x, y, "{path}: block {b} was not reordered");
            x.sort_by(f64::total_cmp);
            y.sort_by(f64::total_cmp);
            assert_eq!(x, y, "{path}: block {b} holds other values");
        }
    }
    // A parameter in no group is drawn exactly as without correlations.
    let p = "rules.blue_red_line.daily_probability";
    let (i, j) = (param(&with, p), param(&without, p));
    assert!(dw.iter().zip(&dn).all(|(a, b)| a[i] == b[j]));
    // And the marginal is the distribution's: uniform [0, 1] has mean 1/2 and sd 1/sqrt(12).
    let x: Vec<f64> = dw
        .iter()
        .map(|r| r[param(&with, "tracks.x.drift")])
        .collect();
    let (m, _) = mean_sd(&x);
    let se = 1.0 / (12.0 * x.len() as f64).sqrt();
    assert!((m - 0.5).abs() <= 4.0 * se, "mean {m}");
}

#[test]
fn a_run_draws_the_same_values_whatever_the_threads_range_or_tracing() {
    let sc = correlated();
    let all = draws(&sc, 9, 0..3 * CHUNK);
    // Two threads, and a range that starts and ends inside blocks.
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let two = pool(2).install(|| draws(&sc, 9, 0..3 * CHUNK));
    assert_eq!(all, two);
    let one = pool(1).install(|| draws(&sc, 9, 700..2100));
    assert_eq!(&all[700..2100], &one[..]);
    // Fewer runs than a block: the first runs of the full block.
    assert_eq!(&all[..100], &draws(&sc, 9, 0..100)[..]);
    // One run alone in a fresh workspace, as `brink trace --run` simulates it.
    let engine = Engine::new(&sc, 9);
    for run in [0, 1023, 1024, 2500] {
        let mut ws = engine.workspace();
        engine.simulate(run, &mut ws, &mut NoRecord);
        assert_eq!(ws.world.params, all[run as usize], "run {run}");
    }
    // Set parameters (sensitivity analysis) still override, leaving the others as drawn.
    let x = param(&sc, "tracks.x.drift");
    let y = param(&sc, "tracks.y.drift");
    let mut ws = engine.workspace();
    ws.set_params.push((x, 0.123));
    engine.simulate(2500, &mut ws, &mut NoRecord);
    assert_eq!(ws.world.params[x], 0.123);
    assert_eq!(ws.world.params[y], all[2500][y]);
}

fn refusal(extra: &str) -> String {
    match brink::scenario::parse(&format!("{BASE}{extra}"), "bad.toml") {
        Ok(_) => panic!("accepted:\n{extra}"),
        Err(e) => e.render(),
    }
}

#[test]
fn an_impossible_matrix_is_refused_with_a_valid_one_to_paste() {
    let bad = r#"
[[correlations]]
params = ["tracks.a.drift", "tracks.b.drift", "tracks.c.drift"]
matrix = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]
"#;
    let msg = refusal(bad);
    assert!(msg.contains("not positive semi-definite"), "{msg}");
    assert!(msg.contains("smallest eigenvalue -0.8"), "{msg}");
    assert!(msg.contains("--> bad.toml:"), "{msg}");
    // The suggested matrix is valid: pasted back, the scenario compiles.
    let suggested = msg
        .split("with matrix = ")
        .nth(1)
        .and_then(|s| s.lines().next())
        .unwrap();
    let fixed = bad.replace(
        "[[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]",
        suggested.trim(),
    );
    parse(&format!("{BASE}{fixed}"));

    // Pairs from two blocks join into one matrix, checked as a whole.
    let joined = refusal(
        r#"
[[correlations]]
params = ["tracks.a.drift", "tracks.b.drift"]
rank = 0.9

[[correlations]]
params = ["tracks.b.drift", "tracks.c.drift"]
rank = 0.9

[[correlations]]
params = ["tracks.a.drift", "tracks.c.drift"]
rank = -0.9
"#,
    );
    assert!(
        joined.contains("(correlations [0], [1], [2] together)"),
        "{joined}"
    );
}

#[test]
fn conflicting_unknown_and_fixed_parameters_are_refused() {
    let msg = refusal(
        r#"
[[correlations]]
params = ["tracks.x.drift", "tracks.y.drift"]
rank = 0.6

[[correlations]]
params = ["tracks.y.drift", "tracks.x.drift", "tracks.a.drift"]
matrix = [[1, 0.5, 0], [0.5, 1, 0], [0, 0, 1]]
"#,
    );
    assert!(
        msg.contains("is given twice: 0.5 here and 0.6 in correlations[0]"),
        "{msg}"
    );
    let msg = refusal(
        "[[correlations]]\nparams = [\"tracks.x.drfit\", \"tracks.y.drift\"]\nrank = 0.5\n",
    );
    assert!(msg.contains("unknown parameter `tracks.x.drfit`"), "{msg}");
    assert!(msg.contains("did you mean `tracks.x.drift`?"), "{msg}");
    let msg = refusal(
        "[[correlations]]\nparams = [\"tracks.x.initial\", \"tracks.y.drift\"]\nrank = 0.5\n",
    );
    assert!(msg.contains("is fixed at 0.5"), "{msg}");
    let msg = refusal(
        "[[correlations]]\nparams = [\"tracks.x.drift\", \"tracks.y.drift\", \"tracks.a.drift\"]\nrank = 0.5\n",
    );
    assert!(
        msg.contains("`rank` correlates a pair, but params names 3"),
        "{msg}"
    );
    let msg = refusal(
        "[[correlations]]\nparams = [\"tracks.x.drift\", \"tracks.y.drift\"]\nmatrix = [[1, 0.5], [0.4, 1]]\n",
    );
    assert!(msg.contains("not symmetric"), "{msg}");
}

fn brink(dir: &Path, args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_brink"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "brink {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn trace_and_threads_reproduce_the_bulk_run() {
    let tmp = tempfile::tempdir().unwrap();
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/examples/correlations.toml");
    let ex = example.to_str().unwrap();
    for (threads, out) in [("1", "one"), ("2", "two")] {
        let args = [
            "run",
            ex,
            "--runs",
            "2500",
            "--per-run",
            "--threads",
            threads,
            "--out",
            out,
            "-q",
        ];
        brink(tmp.path(), &args);
    }
    let read = |d: &str| std::fs::read_to_string(tmp.path().join(d).join("runs.csv")).unwrap();
    let (one, two) = (read("one"), read("two"));
    assert_eq!(one, two, "runs.csv differs between 1 and 2 threads");
    // The traced run draws what the bulk run drew for it (trace shows 4 decimals).
    let lines: Vec<&str> = one.lines().collect();
    let head: Vec<&str> = lines[0].split(',').collect();
    let row: Vec<&str> = lines[1 + 2100].split(',').collect();
    let story = brink(tmp.path(), &["trace", ex, "--run", "2100"]);
    for path in ["tracks.red_nuclear.drift", "tracks.red_missiles.drift"] {
        let bulk: f64 = row[head.iter().position(|h| *h == path).unwrap()]
            .parse()
            .unwrap();
        let traced: f64 = story
            .lines()
            .find(|l| l.trim_start().starts_with(path))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{path} not in the trace:\n{story}"));
        assert!(
            (bulk - traced).abs() <= 0.5e-4 + 1e-12 * bulk.abs(),
            "{path}: run 2100 drew {bulk} in bulk, {traced} traced"
        );
    }
}
