//! Confronting a forecast with evidence, through the real binary: `score` against scores
//! computed by hand, `run --given` against exact conditional probabilities and against the
//! runs it must keep, `watch`'s law of total probability to the last digit, `discover`
//! recovering a planted box, and `run --precision` stopping at the smallest block that meets
//! its half-width, whatever the threads.
//!
//! Statistical checks use fixed seeds and four standard errors of the true value.

// The expected scores are worked out with the platform's own logarithms, independently of
// brink::math, and compared to 5e-7.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

fn brink(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brink"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("cannot start brink")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = brink(dir, args);
    assert!(
        o.status.success(),
        "brink {args:?} failed ({:?}):\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            head.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn num(s: &str) -> f64 {
    s.parse()
        .unwrap_or_else(|_| panic!("`{s}` is not a number"))
}

/// The four data files of two results are byte-identical.
fn same_files(a: &Path, b: &Path) {
    for f in [
        "summary.csv",
        "timeline.csv",
        "distributions.csv",
        "runs.csv",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

/// |estimate − truth| within four standard errors of a proportion from n runs.
fn assert_proportion(what: &str, est: f64, n: u64, p: f64) {
    let se = (p * (1.0 - p) / n as f64).sqrt().max(1e-12);
    assert!(
        (est - p).abs() <= 4.0 * se,
        "{what}: {est} from {n} runs, truth {p} (4 SE = {})",
        4.0 * se
    );
}

// ---------------------------------------------------------------------------------------------
// score

/// A result made by hand, so every score can be worked out on paper: 10 runs over four days
/// from 2026-01-01; event `a` first happened on day 0 in 2 runs and on day 2 in 3, event `b`
/// never; quantity `q` is 1 in 4 runs and 3 in 6.
fn hand_result(dir: &Path, as_of: Option<&str>) {
    std::fs::create_dir_all(dir).unwrap();
    let as_of = as_of.map_or(String::new(), |d| format!("\"as_of\": \"{d}\","));
    std::fs::write(
        dir.join("manifest.json"),
        format!(
            r#"{{"command": "run", "brink_version": "0.1.0", "seed": 1, "runs": 10,
               "scenario": {{"name": "hand", "path": "hand.toml", "sha256": "00", {as_of}
                            "start_date": "2026-01-01", "horizon_days": 4,
                            "ladder": [{{"id": "calm", "name": "Calm"}}]}},
               "parameters": [], "invocation": {{"command_line": [], "elapsed_seconds": 0}}}}"#
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("summary.csv"),
        "metric,kind,n,mean,ci_low,ci_high,sd,p05,p25,p50,p75,p95\n\
         a,probability,10,0.5,,,,,,,,\nb,probability,10,0,,,,,,,,\n\
         q,quantity,10,2.2,,,,1,1,3,3,3\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("distributions.csv"),
        "metric,value,count,share\nq,1.000000,4,0.4\nq,3.000000,6,0.6\n\
         a_first_day,0.000000,2,0.4\na_first_day,2.000000,3,0.6\n",
    )
    .unwrap();
}

#[test]
fn score_gives_the_brier_log_and_crps_values_worked_out_by_hand() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    hand_result(&d.join("res"), None);
    std::fs::write(
        d.join("obs.toml"),
        "# invented events, for the test\nscenario = \"hand\"\n\
         checkpoints = [2026-01-01, 2026-01-03]\n\n[events]\na = { happened = 2026-01-03 }\n\
         b = { not_by = 2026-01-04 }\n\n[quantities]\nq = 2\n\n[base_rates]\na = 0.5\n",
    )
    .unwrap();
    let stdout = ok(d, &["score", "res", "--observed", "obs.toml", "--out", "s"]);
    let s = rows(&d.join("s/score.csv"));
    let get = |metric: &str, date: &str, who: &str| -> &BTreeMap<String, String> {
        s.iter()
            .find(|r| r["metric"] == metric && r["date"] == date && r["forecaster"] == who)
            .unwrap_or_else(|| panic!("no row {metric} {date} {who}"))
    };
    let close = |cell: &str, want: f64| {
        assert!(
            (num(cell) - want).abs() <= 5e-7,
            "`{cell}` is not {want:.6}"
        )
    };
    // The floor of the log score is half a run: 1/20.
    let eps = 0.05f64;
    // a on day 0: not yet (it happened on day 2); the model gave 2/10.
    let r = get("a", "2026-01-01", "model");
    assert_eq!((r["observed"].as_str(), r["day"].as_str()), ("0", "0"));
    close(&r["forecast"], 0.2);
    close(&r["brier"], 0.04);
    close(&r["log_score"], -(0.8f64).ln());
    // a on day 2: it happened; the model gave 5/10.
    let r = get("a", "2026-01-03", "model");
    assert_eq!(r["observed"], "1");
    close(&r["brier"], 0.25);
    close(&r["log_score"], 2f64.ln());
    // b never happened in a run: p = 0, clipped to [ε, 1 − ε] for the log score.
    let r = get("b", "2026-01-03", "model");
    close(&r["forecast"], 0.0);
    close(&r["brier"], 0.0);
    close(&r["log_score"], -(1.0 - eps).ln());
    // The constant hazard spreads a's 0.5 by the horizon (4 days) evenly: 1 − 0.5^((d+1)/4).
    let r = get("a", "2026-01-01", "constant_hazard");
    close(&r["forecast"], 1.0 - 0.5f64.powf(0.25));
    close(&r["brier"], (1.0 - 0.5f64.powf(0.25)).powi(2));
    let r = get("a", "2026-01-03", "constant_hazard");
    close(&r["forecast"], 1.0 - 0.5f64.powf(0.75));
    close(&r["log_score"], -(1.0 - 0.5f64.powf(0.75)).ln());
    // The base rate of 0.5 a year, by day 2: 1 − 0.5^(3/365).
    let r = get("a", "2026-01-03", "base_rate");
    close(&r["forecast"], 1.0 - 0.5f64.powf(3.0 / 365.0));
    assert!(
        !s.iter()
            .any(|r| r["metric"] == "b" && r["forecaster"] == "base_rate")
    );
    // A coin everywhere.
    let r = get("b", "2026-01-01", "coin");
    close(&r["brier"], 0.25);
    close(&r["log_score"], 2f64.ln());
    // CRPS of q = 2 against {1: 0.4, 3: 0.6}: ∫1..2 0.4² + ∫2..3 0.6² = 0.52.
    let q = s.iter().find(|r| r["metric"] == "q").unwrap();
    close(&q["crps"], 0.52);
    close(&q["forecast"], 2.2);
    // Skill over all four forecasts: the model's mean Brier (0.04 + 0.25 + 0 + 0) / 4 against
    // the coin's 0.25.
    let k = rows(&d.join("s/skill.csv"));
    let all_coin = k
        .iter()
        .find(|r| r["scope"] == "all" && r["reference"] == "coin")
        .unwrap();
    assert_eq!(all_coin["items"], "4");
    close(&all_coin["model_brier"], 0.0725);
    close(&all_coin["brier_skill"], 1.0 - 0.0725 / 0.25);
    let model_log = (-(0.8f64).ln() + 2f64.ln() + 2.0 * -(1.0 - eps).ln()) / 4.0;
    close(&all_coin["model_log_score"], model_log);
    close(&all_coin["log_skill"], 1.0 - model_log / 2f64.ln());
    // Too few events for a reliability table, and the summary says why.
    assert!(!d.join("s/reliability.csv").exists());
    assert!(stdout.contains("No reliability table"), "{stdout}");
    assert!(stdout.contains("coin (0.5)"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(d.join("s/score.txt")).unwrap(),
        stdout
    );
    let m = manifest(&d.join("s"));
    assert_eq!(m["command"], "score");
    assert_eq!(m["log_floor"], 0.05);
}

#[test]
fn score_warns_when_the_scenario_already_knew_an_event() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    hand_result(&d.join("res"), Some("2026-01-03"));
    std::fs::write(
        d.join("obs.toml"),
        "[events]\na = { happened = 2026-01-03 }\n",
    )
    .unwrap();
    let o = brink(d, &["score", "res", "--observed", "obs.toml", "--out", "s"]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("warning: obs.toml:2:18: a happened on 2026-01-03, on or before the scenario's as_of date 2026-01-03"),
        "{err}"
    );
    // A date before the start is refused where it is written.
    std::fs::write(
        d.join("early.toml"),
        "[events]\na = { happened = 2025-12-31 }\n",
    )
    .unwrap();
    let o = brink(
        d,
        &["score", "res", "--observed", "early.toml", "--out", "s2"],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("2025-12-31 is before the scenario's start date"),
        "{err}"
    );
    assert!(err.contains("--> early.toml:2:18"), "{err}");
    assert!(!d.join("s2").exists());
}

#[test]
fn score_writes_a_reliability_table_from_five_events_each_way() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let res = d.join("res");
    hand_result(&res, None);
    // Ten events e0 … e9: e_i first happened on day 0 in i of 10 runs.
    let mut summary = String::from("metric,kind,n,mean,ci_low,ci_high,sd,p05,p25,p50,p75,p95\n");
    let mut dist = String::from("metric,value,count,share\n");
    let mut obs = String::from("[events]\n");
    for i in 0..10 {
        summary.push_str(&format!("e{i},probability,10,0,,,,,,,,\n"));
        if i > 0 {
            dist.push_str(&format!("e{i}_first_day,0.000000,{i},1\n"));
        }
        // The five likeliest happened.
        obs.push_str(&match i >= 5 {
            true => format!("e{i} = {{ happened = 2026-01-01 }}\n"),
            false => format!("e{i} = {{ not_by = 2026-01-01 }}\n"),
        });
    }
    std::fs::write(res.join("summary.csv"), summary).unwrap();
    std::fs::write(res.join("distributions.csv"), dist).unwrap();
    std::fs::write(d.join("obs.toml"), obs).unwrap();
    ok(d, &["score", "res", "--observed", "obs.toml", "--out", "s"]);
    let r = rows(&d.join("s/reliability.csv"));
    // One forecast per event at the one checkpoint: forecasts 0.0, 0.1, …, 0.9, one per bin.
    assert_eq!(r.len(), 10);
    for (i, b) in r.iter().enumerate() {
        assert_eq!(b["items"], "1");
        assert!((num(&b["forecast_mean"]) - i as f64 / 10.0).abs() < 1e-9);
        assert_eq!(num(&b["observed_share"]), if i >= 5 { 1.0 } else { 0.0 });
    }
}

// ---------------------------------------------------------------------------------------------
// run --given

/// Blue strikes Red with daily hazard P (once: the cooldown outlasts the horizon); Red answers
/// the same day with probability Q; Green joins Red's answer with probability R. No war ends,
/// so hostilities stay at `strike` from the day of the strike on.
const P: f64 = 0.05;
const Q: f64 = 0.6;
const R: f64 = 0.35;
const H: u32 = 30;

fn chain(dir: &Path) {
    std::fs::write(
        dir.join("chain.toml"),
        format!(
            r#"[scenario]
name = "chain"
start_date = 2026-01-01
horizon_days = {H}
war_level = "strike"

[[ladder]]
id = "calm"
mid = 1

[[ladder]]
id = "strike"
mid = 4

[[ladder]]
id = "heavy_strike"
mid = 5

[actors.blue]
[actors.red]
[actors.green]

[tracks.arsenal]
initial = 0.5

[rules.blue_red_line]
kind = "red_line"
actor = "blue"
target = "red"
track = "arsenal"
threshold = 0.4
intel_noise = 0
daily_probability = {P}
level = "strike"
cooldown_days = 100000

[rules.red_pledge]
kind = "retaliation"
actor = "red"
min_level = "strike"
probability = {Q}
delay_days = 0
cap = "heavy_strike"
proxies = [{{ actor = "green", probability = {R}, level = "strike" }}]

[metrics.blue_strikes]
actor = ["blue"]
form = ["strike"]

[metrics.red_answers]
actor = ["red"]
form = ["retaliation"]

[metrics.green_joins]
actor = ["green"]
form = ["proxy"]
"#
        ),
    )
    .unwrap();
}

fn timeline(dir: &Path, metric: &str) -> Vec<f64> {
    rows(&dir.join("timeline.csv"))
        .iter()
        .filter(|r| r["metric"] == metric)
        .map(|r| num(&r["value"]))
        .collect()
}

fn summary(dir: &Path) -> BTreeMap<String, (u64, f64)> {
    rows(&dir.join("summary.csv"))
        .iter()
        .map(|r| (r["metric"].clone(), (num(&r["n"]) as u64, num(&r["mean"]))))
        .collect()
}

/// The first day of each event metric in each row of runs.csv (None: never).
fn first_days(path: &Path) -> Vec<(u64, BTreeMap<String, Option<u32>>)> {
    rows(path)
        .iter()
        .map(|r| {
            let days = r
                .iter()
                .filter_map(|(k, v)| {
                    k.strip_suffix("_first_day")
                        .map(|e| (e.to_string(), (!v.is_empty()).then(|| num(v) as u32)))
                })
                .collect();
            (num(&r["run"]) as u64, days)
        })
        .collect()
}

#[test]
fn given_matches_the_exact_conditional_probabilities_and_keeps_exactly_the_consistent_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    chain(d);
    const N: u64 = 30_000;
    let runs = N.to_string();
    ok(
        d,
        &[
            "run",
            "chain.toml",
            "--runs",
            &runs,
            "--per-run",
            "--out",
            "all",
            "-q",
        ],
    );
    let all = first_days(&d.join("all/runs.csv"));
    let q = 1.0 - P;
    // `brink run chain.toml --given CONDITION` over the same runs, into `out`.
    let given = |runs: &str, out: &str, condition: &str, per_run: bool| {
        let mut a = vec![
            "run",
            "chain.toml",
            "--runs",
            runs,
            "--out",
            out,
            "-q",
            "--given",
            condition,
        ];
        if per_run {
            a.push("--per-run");
        }
        ok(d, &a);
    };

    // 1. A strike by day 9 (2026-01-10).
    let dd = 9;
    given(&runs, "g1", "blue_strikes<=2026-01-10", true);
    let s = summary(&d.join("g1"));
    let kept = s["blue_strikes"].0;
    // Exactly the runs of the plain study that satisfy the condition, with their indices.
    let want: Vec<u64> = all
        .iter()
        .filter(|(_, f)| f["blue_strikes"].is_some_and(|x| x <= dd))
        .map(|(r, _)| *r)
        .collect();
    let got: Vec<u64> = first_days(&d.join("g1/runs.csv"))
        .iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(got, want);
    assert_eq!(kept, want.len() as u64);
    let m = manifest(&d.join("g1"));
    assert_eq!(m["runs"], kept);
    assert_eq!(m["given"]["simulated_runs"], N);
    assert_eq!(m["given"]["effective_runs"], kept);
    assert_eq!(m["given"]["conditions"][0], "blue_strikes<=2026-01-10");
    // Every count is that of the kept rows of the plain study.
    for e in ["red_answers", "green_joins"] {
        let k = all
            .iter()
            .filter(|(_, f)| f["blue_strikes"].is_some_and(|x| x <= dd) && f[e].is_some())
            .count();
        let mean = rows(&d.join("g1/summary.csv"))
            .into_iter()
            .find(|r| r["metric"] == e)
            .unwrap()["mean"]
            .clone();
        assert_eq!(mean, format!("{:.6}", k as f64 / kept as f64), "{e}");
    }
    // And the truth: the answer is Q given the strike; the strike's timeline is the geometric
    // one renormalised up to day 9, and 1 after.
    assert_eq!(s["blue_strikes"].1, 1.0);
    assert_proportion("P(answer | strike by day 9)", s["red_answers"].1, kept, Q);
    assert_proportion("P(join | strike by day 9)", s["green_joins"].1, kept, Q * R);
    let tl = timeline(&d.join("g1"), "blue_strikes");
    let by = |t: u32| 1.0 - q.powi(t as i32 + 1);
    for t in 0..H {
        let truth = if t >= dd { 1.0 } else { by(t) / by(dd) };
        assert_proportion(
            &format!("P(strike by day {t} | by day 9)"),
            tl[t as usize],
            kept,
            truth,
        );
    }
    // Daily states are those of the kept runs: none is at war before any strike.
    let war = timeline(&d.join("g1"), "hostilities_at_least_strike");
    assert_eq!(
        war[dd as usize], 1.0,
        "every kept run is at war from its strike on"
    );

    // 2. No strike by day 9: the strike's clock starts again on day 10.
    given(&runs, "g2", "not blue_strikes<=2026-01-10", false);
    let s = summary(&d.join("g2"));
    let kept = s["blue_strikes"].0;
    let later = 1.0 - q.powi((H - dd - 1) as i32);
    assert_proportion(
        "P(strike | none by day 9)",
        s["blue_strikes"].1,
        kept,
        later,
    );
    assert_proportion(
        "P(answer | none by day 9)",
        s["red_answers"].1,
        kept,
        Q * later,
    );
    let tl = timeline(&d.join("g2"), "blue_strikes");
    for t in 0..H {
        let truth = if t <= dd {
            0.0
        } else {
            1.0 - q.powi((t - dd) as i32)
        };
        assert_proportion(
            &format!("P(strike by day {t} | none by 9)"),
            tl[t as usize],
            kept,
            truth,
        );
    }
    assert!(
        timeline(&d.join("g2"), "hostilities_at_least_strike")[..=dd as usize]
            .iter()
            .all(|&x| x == 0.0)
    );

    // 3. No answer by day 9, which a run without a strike and a run whose strike went
    //    unanswered both satisfy: Bayes' rule over the two.
    given(&runs, "g3", "not red_answers<=2026-01-10", false);
    let s = summary(&d.join("g3"));
    let kept = s["blue_strikes"].0;
    let none = 1.0 - by(dd) * Q;
    let tl = timeline(&d.join("g3"), "blue_strikes");
    for t in 0..=dd {
        let truth = by(t) * (1.0 - Q) / none;
        assert_proportion(
            &format!("P(strike by day {t} | no answer by 9)"),
            tl[t as usize],
            kept,
            truth,
        );
    }

    // 4. The strike on one given day: hostilities are exactly 0 before it and 1 from it on.
    given(&runs, "g4", "blue_strikes=2026-01-05", false);
    let war = timeline(&d.join("g4"), "hostilities_at_least_strike");
    for (t, &x) in war.iter().enumerate() {
        assert_eq!(x, if t >= 4 { 1.0 } else { 0.0 }, "day {t}");
    }
    let s = summary(&d.join("g4"));
    assert_proportion(
        "P(answer | strike on day 4)",
        s["red_answers"].1,
        s["red_answers"].0,
        Q,
    );
}

#[test]
fn target_runs_stops_at_the_nth_kept_run_whatever_the_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    chain(d);
    ok(
        d,
        &[
            "run",
            "chain.toml",
            "--runs",
            "20000",
            "--per-run",
            "--out",
            "all",
            "-q",
        ],
    );
    let cond = "red_answers<=2026-01-03";
    let consistent: Vec<u64> = first_days(&d.join("all/runs.csv"))
        .iter()
        .filter(|(_, f)| f["red_answers"].is_some_and(|x| x <= 2))
        .map(|(r, _)| *r)
        .collect();
    let n = 700;
    assert!(consistent.len() > n, "the plain study must hold the target");
    for threads in ["1", "2"] {
        let out = format!("t{threads}");
        ok(
            d,
            &[
                "run",
                "chain.toml",
                "--given",
                cond,
                "--target-runs",
                &n.to_string(),
                "--per-run",
                "--threads",
                threads,
                "--out",
                &out,
                "-q",
            ],
        );
    }
    same_files(&d.join("t1"), &d.join("t2"));
    let kept: Vec<u64> = first_days(&d.join("t1/runs.csv"))
        .iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(kept, consistent[..n]);
    let m = manifest(&d.join("t1"));
    assert_eq!(m["runs"], n as u64);
    assert_eq!(m["given"]["simulated_runs"], consistent[n - 1] + 1);
    assert_eq!(m["given"]["target_runs"], n as u64);
}

#[test]
fn a_condition_no_run_meets_is_refused_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    chain(d);
    // Green joins only with Red's answer, which needs Blue's strike: never on day 0 with no
    // strike by then.
    let o = brink(
        d,
        &[
            "run",
            "chain.toml",
            "--runs",
            "2000",
            "--out",
            "none",
            "--given",
            "green_joins<=2026-01-02",
            "--given",
            "not blue_strikes<=2026-01-02",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("none of the 2000 runs simulated satisfies"),
        "{err}"
    );
    assert!(!d.join("none").exists());
    // Few runs kept: a warning with the reason.
    let o = brink(
        d,
        &[
            "run",
            "chain.toml",
            "--runs",
            "2000",
            "--out",
            "few",
            "--given",
            "green_joins<=2026-01-02",
        ],
    );
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("warning: only") && err.contains("below 400"),
        "{err}"
    );
    assert!(err.contains("effective number of runs"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// watch

#[test]
fn watch_counts_obey_the_law_of_total_probability_to_the_last_digit() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    chain(d);
    ok(
        d,
        &[
            "run",
            "chain.toml",
            "--runs",
            "9000",
            "--per-run",
            "--out",
            "r",
            "-q",
        ],
    );
    let out = ok(
        d,
        &[
            "watch",
            "r",
            "--outcome",
            "green_joins",
            "--by",
            "2026-01-05,2026-01-20",
            "--out",
            "w",
        ],
    );
    assert!(out.starts_with("What to watch for green_joins"), "{out}");
    let runs = first_days(&d.join("r/runs.csv"));
    let w = rows(&d.join("w/watch.csv"));
    assert_eq!(w.len(), 4, "two signposts at two dates");
    let n = runs.len() as u64;
    let k = runs
        .iter()
        .filter(|(_, f)| f["green_joins"].is_some())
        .count() as u64;
    let ratio = |a: u64, b: u64| format!("{:.6}", a as f64 / b as f64);
    let mut shifts = Vec::new();
    for r in &w {
        let day: u32 = r["day"].parse().unwrap();
        let s = r["signpost"].as_str();
        let c = |col: &str| -> u64 { r[col].parse().unwrap() };
        // The counts, recounted from runs.csv.
        let seen = |f: &BTreeMap<String, Option<u32>>| f[s].is_some_and(|x| x <= day);
        let a = runs.iter().filter(|(_, f)| seen(f)).count() as u64;
        let b = runs
            .iter()
            .filter(|(_, f)| seen(f) && f["green_joins"].is_some())
            .count() as u64;
        assert_eq!(
            (c("runs"), c("signpost_runs"), c("outcome_runs")),
            (n, a, k)
        );
        assert_eq!(c("outcome_with_signpost_runs"), b);
        // P(S)·P(O|S) + P(not S)·P(O|not S) = P(O), in integers: b + c = k exactly.
        assert_eq!(
            c("outcome_with_signpost_runs") + c("outcome_without_signpost_runs"),
            c("outcome_runs")
        );
        // Every probability is its ratio of counts, to the last printed digit.
        assert_eq!(r["signpost_probability"], ratio(a, n));
        assert_eq!(r["if_signpost"], ratio(b, a));
        assert_eq!(r["if_no_signpost"], ratio(k - b, n - a));
        assert_eq!(r["outcome_probability"], ratio(k, n));
        // And the printed probabilities obey the law of total probability, to the rounding of
        // their six decimals: each is off by at most 5e-7, so the sum by at most 1e-6 and the
        // outcome by 5e-7.
        let (ps, po_s, po_n, po) = (
            num(&r["signpost_probability"]),
            num(&r["if_signpost"]),
            num(&r["if_no_signpost"]),
            num(&r["outcome_probability"]),
        );
        let total = ps * po_s + (1.0 - ps) * po_n;
        assert!((total - po).abs() <= 1.5e-6 + 1e-12, "{total} against {po}");
        shifts.push(num(&r["expected_shift"]));
    }
    // Sorted by expected shift, largest first.
    assert!(shifts.windows(2).all(|p| p[0] >= p[1]), "{shifts:?}");
    // The closed form: green joins only after Red's answer, so P(join | answer by D) = R.
    let row = w
        .iter()
        .find(|r| r["signpost"] == "red_answers" && r["date"] == "2026-01-20")
        .unwrap();
    assert_proportion(
        "P(join | answer by day 19)",
        num(&row["if_signpost"]),
        num(&row["signpost_runs"]) as u64,
        R,
    );
}

// ---------------------------------------------------------------------------------------------
// discover

/// SplitMix64: a few lines of a known generator, so the planted data need nothing else.
struct Mix(u64);

impl Mix {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[test]
fn discover_recovers_a_planted_box() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let res = d.join("planted");
    std::fs::create_dir_all(&res).unwrap();
    // Five uncertain parameters on [0, 1]; the outcome happens with probability 0.9 when x1 is
    // in [0.2, 0.5] and x2 in [0.6, 0.9], and 0.05 elsewhere (noise).
    let params = ["p.x1", "p.x2", "p.x3", "p.x4", "p.x5"];
    const N: usize = 20_000;
    let mut rng = Mix(2026);
    let mut csv = format!("run,outcome,outcome_first_day,{}\n", params.join(","));
    let (mut in_box, mut hits_in, mut hits) = (0u64, 0u64, 0u64);
    for run in 0..N {
        let x: Vec<f64> = params.iter().map(|_| rng.unit()).collect();
        // As runs.csv writes them: six decimals.
        let x: Vec<f64> = x.iter().map(|v| (v * 1e6).round() / 1e6).collect();
        let inside = (0.2..=0.5).contains(&x[0]) && (0.6..=0.9).contains(&x[1]);
        let y = rng.unit() < if inside { 0.9 } else { 0.05 };
        in_box += u64::from(inside);
        hits_in += u64::from(inside && y);
        hits += u64::from(y);
        let cells: Vec<String> = x.iter().map(|v| format!("{v:.6}")).collect();
        csv.push_str(&format!(
            "{run},{},{},{}\n",
            u8::from(y),
            if y { "3" } else { "" },
            cells.join(",")
        ));
    }
    std::fs::write(res.join("runs.csv"), csv).unwrap();
    let parameters: Vec<String> = params
        .iter()
        .map(|p| {
            format!(
                r#"{{"path": "{p}", "distribution": "{{ uniform = [0, 1] }}", "uncertain": true, "mean": 0.5}}"#
            )
        })
        .collect();
    std::fs::write(
        res.join("manifest.json"),
        format!(
            r#"{{"command": "run", "brink_version": "0.1.0", "seed": 1, "runs": {N},
               "scenario": {{"name": "planted", "path": "planted.toml", "sha256": "00",
                            "start_date": "2026-01-01", "horizon_days": 10,
                            "ladder": [{{"id": "calm", "name": "Calm"}}]}},
               "parameters": [{}], "invocation": {{"command_line": [], "elapsed_seconds": 0}}}}"#,
            parameters.join(",")
        ),
    )
    .unwrap();
    let out = ok(
        d,
        &[
            "discover",
            "planted",
            "--outcome",
            "outcome",
            "--out",
            "dsc",
        ],
    );
    // The planted box on these very runs.
    let (cov, dens) = (hits_in as f64 / hits as f64, hits_in as f64 / in_box as f64);
    let rows_of = rows;
    let rows = rows(&d.join("dsc/discover.csv"));
    let chosen: Vec<&BTreeMap<String, String>> =
        rows.iter().filter(|r| r["stage"] == "chosen").collect();
    let features: Vec<&str> = chosen.iter().map(|r| r["feature"].as_str()).collect();
    assert_eq!(features, ["p.x1", "p.x2"], "{out}");
    // Within one peel of the truth: a limit off by one step moves about 5% of the box's runs.
    let (c, dn) = (num(&chosen[0]["coverage"]), num(&chosen[0]["density"]));
    assert!((c - cov).abs() <= 0.05, "coverage {c} vs planted {cov}");
    assert!((dn - dens).abs() <= 0.05, "density {dn} vs planted {dens}");
    for (r, (lo, hi)) in chosen.iter().zip([(0.2, 0.5), (0.6, 0.9)]) {
        assert!((num(&r["low"]) - lo).abs() <= 0.03, "{r:?}");
        assert!((num(&r["high"]) - hi).abs() <= 0.03, "{r:?}");
        // Both sides matter, overwhelmingly.
        assert!(
            num(&r["quasi_p_low"]) < 1e-6 && num(&r["quasi_p_high"]) < 1e-6,
            "{r:?}"
        );
    }
    // The box holds what discover.csv says, counted from its limits and runs.csv alone.
    let data = rows_of(&res.join("runs.csv"));
    let inside = |r: &BTreeMap<String, String>| {
        chosen.iter().all(|c| {
            let x = num(&r[c["feature"].as_str()]);
            (c["low"].is_empty() || x >= num(&c["low"]))
                && (c["high"].is_empty() || x <= num(&c["high"]))
        })
    };
    let n_in = data.iter().filter(|r| inside(r)).count();
    let k_in = data
        .iter()
        .filter(|r| inside(r) && r["outcome"] == "1")
        .count();
    assert_eq!(chosen[0]["runs"], n_in.to_string());
    assert_eq!(chosen[0]["outcome_runs"], k_in.to_string());
    assert!(out.starts_with("outcome happens in"), "{out}");
    assert!(
        out.contains("p.x1 is between 0.") && out.contains("p.x2 is between 0."),
        "{out}"
    );
    // The trade-off curve starts with all runs.
    let first = &rows[0];
    assert_eq!(
        (first["box"].as_str(), first["stage"].as_str()),
        ("0", "start")
    );
    assert_eq!(num(&first["coverage"]), 1.0);
    let m = manifest(&d.join("dsc"));
    assert_eq!(m["command"], "discover");
    assert!(
        m["sentence"]
            .as_str()
            .unwrap()
            .contains("times its rate in all runs")
    );
}

// ---------------------------------------------------------------------------------------------
// run --precision

/// Half the width of the Wilson 95% interval, written out again here.
fn wilson_half(k: u64, n: u64) -> f64 {
    let z = 1.959963984540054f64;
    let (n, p) = (n as f64, k as f64 / n as f64);
    let denom = 1.0 + z * z / n;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let lo = if k == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if k as f64 == n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (hi - lo) / 2.0
}

#[test]
fn precision_stops_at_the_smallest_block_that_meets_it_whatever_the_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    chain(d);
    let h = 0.012;
    for threads in ["1", "2"] {
        ok(
            d,
            &[
                "run",
                "chain.toml",
                "--precision",
                &h.to_string(),
                "--per-run",
                "--threads",
                threads,
                "--out",
                &format!("p{threads}"),
                "-q",
            ],
        );
    }
    same_files(&d.join("p1"), &d.join("p2"));
    let m = manifest(&d.join("p1"));
    let runs = m["runs"].as_u64().unwrap();
    assert_eq!(runs % 1024, 0, "blocks end at multiples of 1024 runs");
    assert!(
        runs >= 4 * 1024,
        "a test of stopping needs several blocks, got {runs} runs"
    );
    assert_eq!(m["precision"]["reached"], true);
    assert_eq!(m["precision"]["block"], 1024);
    // The same runs as a plain study of that size, byte for byte.
    ok(
        d,
        &[
            "run",
            "chain.toml",
            "--runs",
            &runs.to_string(),
            "--per-run",
            "--out",
            "plain",
            "-q",
        ],
    );
    same_files(&d.join("p1"), &d.join("plain"));
    // The criterion, recomputed from the rows: met after the last block, not after any before.
    let all = first_days(&d.join("plain/runs.csv"));
    let events: Vec<String> = all[0].1.keys().cloned().collect();
    let widest = |n: usize| {
        events
            .iter()
            .map(|e| {
                let k = all[..n].iter().filter(|(_, f)| f[e].is_some()).count() as u64;
                wilson_half(k, n as u64)
            })
            .fold(0.0, f64::max)
    };
    assert!(widest(runs as usize) <= h);
    for b in 1..runs / 1024 {
        assert!(widest((b * 1024) as usize) > h, "block {b} already met {h}");
    }
    // Every row of summary.csv meets it.
    for r in rows(&d.join("p1/summary.csv"))
        .iter()
        .filter(|r| r["kind"] == "probability")
    {
        assert!(
            (num(&r["ci_high"]) - num(&r["ci_low"])) / 2.0 <= h + 1e-6,
            "{r:?}"
        );
    }
}

#[test]
fn precision_spends_at_most_max_runs_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    chain(d);
    let o = brink(
        d,
        &[
            "run",
            "chain.toml",
            "--precision",
            "0.001",
            "--max-runs",
            "3000",
            "--out",
            "p",
        ],
    );
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("warning: --max-runs 3,000 spent before"),
        "{err}"
    );
    let m = manifest(&d.join("p"));
    assert_eq!(m["runs"], 3000);
    assert_eq!(m["precision"]["reached"], false);
}

#[test]
fn readers_never_write_over_the_results_they_read() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    chain(d);
    ok(
        d,
        &[
            "run",
            "chain.toml",
            "--runs",
            "500",
            "--per-run",
            "--out",
            "r",
            "-q",
        ],
    );
    std::fs::write(
        d.join("obs.toml"),
        "[events]\nblue_strikes = { not_by = 2026-01-10 }\n",
    )
    .unwrap();
    let before: Vec<Vec<u8>> = ["manifest.json", "summary.csv", "runs.csv"]
        .iter()
        .map(|f| std::fs::read(d.join("r").join(f)).unwrap())
        .collect();
    for args in [
        &["score", "r", "--observed", "obs.toml"][..],
        &[
            "watch",
            "r",
            "--outcome",
            "green_joins",
            "--by",
            "2026-01-20",
        ][..],
        &["discover", "r", "--outcome", "green_joins"][..],
    ] {
        let mut a = args.to_vec();
        a.extend(["--out", "r", "--force"]);
        let o = brink(d, &a);
        assert_eq!(o.status.code(), Some(2), "{a:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("a file this command reads; brink never replaces its input"),
            "{err}"
        );
    }
    let after: Vec<Vec<u8>> = ["manifest.json", "summary.csv", "runs.csv"]
        .iter()
        .map(|f| std::fs::read(d.join("r").join(f)).unwrap())
        .collect();
    assert_eq!(before, after);
    // Their own folders, beside the run's.
    ok(d, &["score", "r", "--observed", "obs.toml", "-q"]);
    assert!(d.join("results/chain_score/latest/score.csv").is_file());
}

#[test]
fn watch_and_discover_refuse_a_runs_csv_cut_short_at_a_row_boundary() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    chain(d);
    ok(
        d,
        &[
            "run",
            "chain.toml",
            "--runs",
            "300",
            "--per-run",
            "--out",
            "r",
            "-q",
        ],
    );
    // Whole rows, so the file is valid CSV: only the count gives it away. Both ways: cut
    // short, and a row given twice.
    let text = std::fs::read_to_string(d.join("r/runs.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let short = lines[..201].join("\n") + "\n";
    let long = format!("{text}{}\n", lines[1]);
    for (body, held) in [(short, 200), (long, 301)] {
        std::fs::write(d.join("r/runs.csv"), body).unwrap();
        for args in [
            &[
                "watch",
                "r",
                "--outcome",
                "green_joins",
                "--by",
                "2026-01-20",
            ][..],
            &["discover", "r", "--outcome", "green_joins"][..],
        ] {
            let mut a = args.to_vec();
            a.extend(["--out", "w", "--force", "-q"]);
            let o = brink(d, &a);
            assert_eq!(o.status.code(), Some(2), "{a:?}");
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(
                err.starts_with(&format!(
                    "error: `r/runs.csv` holds {held} runs, but the result's manifest.json \
                     records 300"
                )),
                "{a:?}: {err}"
            );
            assert!(!d.join("w").exists(), "{a:?} wrote a result");
        }
    }
    // The whole file is read as before.
    std::fs::write(d.join("r/runs.csv"), &text).unwrap();
    ok(
        d,
        &[
            "watch",
            "r",
            "--outcome",
            "green_joins",
            "--by",
            "2026-01-20",
            "-q",
        ],
    );
}
