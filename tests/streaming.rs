//! Without --per-run, memory does not grow with the number of runs: the aggregate is a fixed
//! set of integer counts. With --per-run, runs.csv holds exactly one row per run, and those rows
//! agree with the summaries.

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::process::Command;

use brink::engine::{CHUNK, Engine};
use brink::model::Scenario;
use brink::stats::Aggregate;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// minimal.toml, shortened to 12 days with likelier, repeated strikes so that every quantity
/// varies, plus a count metric (whose bins could in principle reach 10 000) and a delay metric.
fn scenario() -> Scenario {
    let mut text = std::fs::read_to_string(repo("scenarios/minimal.toml")).unwrap();
    for (from, to) in [
        ("horizon_days = 90", "horizon_days = 12"),
        (
            "daily_probability = 0.05",
            "daily_probability = 0.3\ncooldown_days = 2",
        ),
        (
            "threshold = { uniform = [0.6, 0.8] }",
            "threshold = { uniform = [0.1, 0.2] }",
        ),
    ] {
        assert_eq!(
            text.matches(from).count(),
            1,
            "minimal.toml changed: `{from}`"
        );
        text = text.replace(from, to);
    }
    let text = format!(
        "{text}\n[metrics.red_acts]\nkind = \"count\"\nactor = [\"red\"]\n\n\
         [metrics.red_delay]\nkind = \"delay\"\nactor = [\"red\"]\n"
    );
    brink::scenario::parse(&text, "minimal.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// Structural size of an aggregate: the length of every vector in it.
fn shape(a: &Aggregate) -> (Vec<usize>, Vec<usize>, usize) {
    (
        a.first_day.iter().map(Vec::len).collect(),
        a.hist.iter().map(Vec::len).collect(),
        a.daily.len(),
    )
}

#[test]
fn aggregate_size_does_not_grow_with_runs() {
    let sc = scenario();
    let engine = Engine::new(&sc, 21);
    let mut agg = Aggregate::new(&sc);
    let mut chunks = 0;
    let mut run = |runs: std::ops::Range<u64>, agg: &mut Aggregate| {
        engine
            .run_range(runs, false, |c| -> Result<(), Infallible> {
                assert!(c.rows.is_none(), "per-run rows kept without --per-run");
                assert!(c.runs.end - c.runs.start <= CHUNK);
                agg.merge(&c.aggregate);
                chunks += 1;
                Ok(())
            })
            .unwrap()
    };
    run(0..1_000, &mut agg);
    let small = agg.clone();
    run(1_000..50_000, &mut agg);
    assert_eq!(small.runs, 1_000);
    assert_eq!(agg.runs, 50_000);
    assert!(chunks >= 50_000 / CHUNK as usize);

    let h = sc.horizon as usize;
    let (first_small, _, daily_small) = shape(&small);
    let (first_big, hist_big, daily_big) = shape(&agg);
    // Event histograms and daily states are sized by the scenario alone.
    assert_eq!(first_small, first_big);
    assert_eq!(first_big, vec![h; sc.metrics.events.len()]);
    assert_eq!(daily_small, daily_big);
    assert_eq!(daily_big, sc.metrics.states.len() * h);
    // Quantity histograms grow only up to their largest bin, fixed by the scenario.
    assert_eq!(hist_big.len(), sc.metrics.quantities.len());
    for (q, m) in sc.metrics.quantities.iter().enumerate() {
        assert!(
            hist_big[q] <= m.binning.max_bin as usize + 1,
            "{}: {} bins, max_bin {}",
            m.id,
            hist_big[q],
            m.binning.max_bin
        );
        assert!(small.hist[q].len() <= hist_big[q]);
    }
    // The quantities really varied, so the bound above was exercised.
    for id in ["red_acts", "war_days", "final_red_arsenal"] {
        let q = sc
            .metrics
            .quantities
            .iter()
            .position(|m| m.id == id)
            .unwrap();
        let nonzero = agg.hist[q].iter().filter(|&&c| c > 0).count();
        assert!(nonzero > 3, "{id} took only {nonzero} values");
    }
}

/// Reads a CSV file into its header and rows.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

#[test]
fn per_run_rows_agree_with_the_summaries() {
    let runs = 1_100; // two chunks
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_brink"))
        .arg("run")
        .arg(repo("scenarios/iran_2026.toml"))
        .args(["--runs", &runs.to_string(), "--per-run", "-q", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let text = std::fs::read_to_string(dir.path().join("runs.csv")).unwrap();
    assert_eq!(
        text.lines().count(),
        runs + 1,
        "header plus one line per run"
    );
    let (header, rows) = read_csv(&dir.path().join("runs.csv"));
    assert_eq!(rows.len(), runs);
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("runs.csv has no column {name}"))
    };
    // Runs appear once each, in order.
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[0], i.to_string());
        assert_eq!(r.len(), header.len());
    }

    let (sh, summary) = read_csv(&dir.path().join("summary.csv"));
    let s = |name: &str| sh.iter().position(|h| h == name).unwrap();
    let (_, dists) = read_csv(&dir.path().join("distributions.csv"));
    let mut dist: HashMap<(String, String), u64> = HashMap::new();
    for d in &dists {
        dist.insert((d[0].clone(), d[1].clone()), d[2].parse().unwrap());
    }
    let mut checked = 0;
    for row in &summary {
        let (metric, kind) = (&row[s("metric")], &row[s("kind")]);
        let n: usize = row[s("n")].parse().unwrap();
        let c = col(metric);
        if kind == "probability" {
            assert_eq!(n, runs, "{metric}: n");
            let k = rows.iter().filter(|r| r[c] == "1").count();
            assert!(rows.iter().all(|r| r[c] == "0" || r[c] == "1"));
            assert_eq!(
                row[s("mean")],
                format!("{:.6}", k as f64 / runs as f64),
                "{metric}: summary mean vs runs.csv"
            );
            // The first-day column matches the first-day distribution.
            let fd = col(&format!("{metric}_first_day"));
            let mut days: HashMap<String, u64> = HashMap::new();
            for r in &rows {
                assert_eq!(r[c] == "1", !r[fd].is_empty(), "{metric}: run {}", r[0]);
                if !r[fd].is_empty() {
                    let day: u32 = r[fd].parse().unwrap();
                    *days.entry(format!("{day}.000000")).or_default() += 1;
                }
            }
            for (day, count) in &days {
                let key = (format!("{metric}_first_day"), day.clone());
                assert_eq!(dist.get(&key), Some(count), "{key:?}");
            }
        } else {
            // Quantities: defined in n runs (conditional ones may be empty), same mean.
            let values: Vec<f64> = rows
                .iter()
                .filter(|r| !r[c].is_empty())
                .map(|r| r[c].parse().unwrap())
                .collect();
            assert_eq!(values.len(), n, "{metric}: n");
            if n > 0 {
                let mean = values.iter().sum::<f64>() / n as f64;
                let reported: f64 = row[s("mean")].parse().unwrap();
                assert!(
                    (mean - reported).abs() <= 1e-6 + 1e-9 * mean.abs(),
                    "{metric}: summary mean {reported} vs runs.csv mean {mean}"
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, summary.len());
    let strikes = summary.iter().find(|r| r[0] == "strike_on_iran").unwrap();
    assert!(strikes[s("mean")].parse::<f64>().unwrap() > 0.0);
}
