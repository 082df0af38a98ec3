//! Statistical tests of the engine against closed-form answers.
//!
//! Each test builds a small scenario whose outcome has a known distribution, simulates it with a
//! fixed seed and checks every estimate against the truth within four standard errors, where the
//! standard error is that of the true distribution (sqrt(p(1-p)/n) for a probability, sd/sqrt(n)
//! for a mean). Seeds are fixed, so a test either always passes or always fails.

use std::convert::Infallible;
use std::sync::OnceLock;

use brink::engine::{Engine, Recorder, RunRows};
use brink::metrics::MISSING;
use brink::model::{NEVER, Note, NoteKind, Scenario};
use brink::stats::Aggregate;

/// A scenario with three actors, one fixed track and the given rules and metrics appended.
/// `blue_red_line` strikes Red with a constant daily hazard `p`: the track sits at 0.5 above the
/// threshold 0.4, intelligence is exact, and the cooldown outlasts the horizon, so Blue strikes at
/// most once per run and the day of that strike is geometric.
fn scenario(horizon: u32, p: f64, rest: &str) -> Scenario {
    let text = format!(
        r#"
[scenario]
name = "analytic"
start_date = 2026-01-01
horizon_days = {horizon}
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
daily_probability = {p}
level = "strike"
cooldown_days = 100000

[metrics.blue_strikes]
actor = ["blue"]
form = ["strike"]

{rest}
"#
    );
    match brink::scenario::parse(&text, "analytic.toml") {
        Ok(sc) => sc,
        Err(e) => panic!("test scenario does not compile:\n{e}"),
    }
}

/// Runs `0..runs` on the global rayon pool and merges the chunks.
fn aggregate(sc: &Scenario, seed: u64, runs: u64) -> Aggregate {
    let engine = Engine::new(sc, seed);
    let mut total = Aggregate::new(sc);
    engine
        .run_range(0..runs, false, |c| -> Result<(), Infallible> {
            total.merge(&c.aggregate);
            Ok(())
        })
        .unwrap();
    assert_eq!(total.runs, runs);
    total
}

/// Runs `0..runs` with per-run rows, returning the aggregate and every chunk's rows in order.
fn with_rows(sc: &Scenario, seed: u64, runs: u64) -> (Aggregate, Vec<RunRows>) {
    let engine = Engine::new(sc, seed);
    let mut total = Aggregate::new(sc);
    let mut rows = Vec::new();
    engine
        .run_range(0..runs, true, |c| -> Result<(), Infallible> {
            total.merge(&c.aggregate);
            rows.push(c.rows.expect("per-run rows were requested"));
            Ok(())
        })
        .unwrap();
    (total, rows)
}

fn event(sc: &Scenario, id: &str) -> usize {
    sc.metrics
        .events
        .iter()
        .position(|e| e.id == id)
        .unwrap_or_else(|| panic!("no event metric `{id}`"))
}

fn quantity(sc: &Scenario, id: &str) -> usize {
    sc.metrics
        .quantities
        .iter()
        .position(|q| q.id == id)
        .unwrap_or_else(|| panic!("no quantity `{id}`"))
}

fn param(sc: &Scenario, path: &str) -> usize {
    sc.params
        .iter()
        .position(|p| p.path == path)
        .unwrap_or_else(|| panic!("no parameter `{path}`"))
}

/// Asserts that k successes in n trials are within 4 standard errors of probability `p`.
fn assert_proportion(what: &str, k: u64, n: u64, p: f64) {
    assert!(n > 0, "{what}: no trials");
    let est = k as f64 / n as f64;
    let se = (p * (1.0 - p) / n as f64).sqrt();
    assert!(
        (est - p).abs() <= 4.0 * se,
        "{what}: estimate {est:.5} ({k}/{n}) vs truth {p:.5}, |diff| {:.5} > 4 SE = {:.5}",
        (est - p).abs(),
        4.0 * se
    );
}

/// Asserts that a sample mean over n draws is within 4 standard errors of `mean`, given the true
/// standard deviation `sd` of one draw.
fn assert_mean(what: &str, est: f64, n: u64, mean: f64, sd: f64) {
    assert!(n > 0, "{what}: no draws");
    let se = sd / (n as f64).sqrt();
    assert!(
        (est - mean).abs() <= 4.0 * se,
        "{what}: estimate {est:.5} over {n} vs truth {mean:.5}, |diff| {:.5} > 4 SE = {:.5}",
        (est - mean).abs(),
        4.0 * se
    );
}

/// Mean of a quantity's histogram (integer bins) and the number of runs in which it is defined.
fn hist_mean(h: &[u64]) -> (f64, u64) {
    let n: u64 = h.iter().sum();
    let s: f64 = h
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    (s / n as f64, n)
}

/// One scenario serves the tests of the strike hazard and the retaliation chain: Blue strikes
/// Red with daily hazard P; Red answers the same day with probability Q; Green joins Red's
/// answer with probability R. Simulated once, shared by the tests below.
const P: f64 = 0.04;
const Q: f64 = 0.6;
const R: f64 = 0.35;
const CHAIN_HORIZON: u32 = 30;
const CHAIN_RUNS: u64 = 40_000;

struct Chain {
    sc: Scenario,
    agg: Aggregate,
    rows: Vec<RunRows>,
}

fn chain() -> &'static Chain {
    static CHAIN: OnceLock<Chain> = OnceLock::new();
    CHAIN.get_or_init(|| {
        let sc = scenario(
            CHAIN_HORIZON,
            P,
            &format!(
                r#"
[rules.red_pledge]
kind = "retaliation"
actor = "red"
min_level = "strike"
probability = {Q}
delay_days = 0
cap = "heavy_strike"
proxies = [{{ actor = "green", probability = {R}, level = "strike" }}]

[metrics.red_answers]
actor = ["red"]
form = ["retaliation"]

[metrics.green_joins]
actor = ["green"]
form = ["proxy"]

[metrics.red_delay]
kind = "delay"
actor = ["red"]
form = ["retaliation"]
"#
            ),
        );
        let (agg, rows) = with_rows(&sc, 11, CHAIN_RUNS);
        Chain { sc, agg, rows }
    })
}

#[test]
fn constant_hazard_gives_geometric_cumulative_probability() {
    let Chain { sc, agg, .. } = chain();
    let e = event(sc, "blue_strikes");
    // By the end of day d (0-based), d + 1 independent daily draws have been made.
    let mut cum = 0;
    for d in 0..CHAIN_HORIZON {
        cum += agg.first_day[e][d as usize];
        let truth = 1.0 - (1.0 - P).powi(d as i32 + 1);
        assert_proportion(&format!("P(strike by day {d})"), cum, CHAIN_RUNS, truth);
    }
    // The timeline the CLI writes is the same cumulative share.
    let mut rows = Vec::new();
    brink::summary::timeline(sc, agg, |r| -> Result<(), Infallible> {
        if r.metric == "blue_strikes" {
            rows.push(r.value);
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(rows.len(), CHAIN_HORIZON as usize);
    assert_eq!(
        rows[CHAIN_HORIZON as usize - 1],
        cum as f64 / CHAIN_RUNS as f64
    );
}

#[test]
fn retaliation_probability_given_a_strike() {
    let Chain { sc, agg, .. } = chain();
    let strikes = agg.event_count(event(sc, "blue_strikes"));
    let answers = agg.event_count(event(sc, "red_answers"));
    // Conditional on a strike: n is the number of runs with a strike.
    assert_proportion("P(retaliation | strike)", answers, strikes, Q);
}

#[test]
fn two_step_chain_gives_the_product() {
    let Chain { sc, agg, .. } = chain();
    let a = 1.0 - (1.0 - P).powi(CHAIN_HORIZON as i32);
    let strikes = agg.event_count(event(sc, "blue_strikes"));
    let answers = agg.event_count(event(sc, "red_answers"));
    let joins = agg.event_count(event(sc, "green_joins"));
    assert_proportion("P(strike)", strikes, CHAIN_RUNS, a);
    assert_proportion("P(retaliation)", answers, CHAIN_RUNS, a * Q);
    assert_proportion("P(proxy joins)", joins, CHAIN_RUNS, a * Q * R);
    assert_proportion("P(proxy joins | retaliation)", joins, answers, R);
}

#[test]
fn same_day_retaliation_has_zero_delay() {
    let Chain { sc, agg, rows } = chain();
    let (strike, answer, join) = (
        event(sc, "blue_strikes"),
        event(sc, "red_answers"),
        event(sc, "green_joins"),
    );
    let delay = quantity(sc, "red_delay");
    let answers = agg.event_count(answer);
    assert!(answers > 1000, "too few retaliations to test: {answers}");
    // Every recorded delay is 0 and there is one per retaliating run.
    assert_eq!(agg.hist[delay], vec![answers]);
    // Run by run, the answer (and the proxy joining it) lands on the day of the strike.
    let mut seen = 0;
    for chunk in rows {
        for i in 0..chunk.len() {
            let (run, first, values, _) = chunk.row(i);
            if first[answer] != NEVER {
                seen += 1;
                assert_eq!(first[answer], first[strike], "run {run}");
                assert_eq!(values[delay], 0, "run {run}");
            } else {
                assert_eq!(values[delay], MISSING, "run {run}");
                assert_eq!(first[join], NEVER, "run {run}: proxy without an answer");
            }
            if first[join] != NEVER {
                assert_eq!(first[join], first[strike], "run {run}");
            }
        }
    }
    assert_eq!(seen, answers);
}

/// Exact mean and standard deviation of min(D, horizon) for D geometric on {1, 2, ...} with
/// success probability h: the war duration when a war starting on day 0 is censored at the
/// horizon.
fn censored_geometric(h: f64, horizon: u32) -> (f64, f64) {
    let (mut m1, mut m2) = (0.0, 0.0);
    for k in 1..horizon {
        let pk = (1.0 - h).powi(k as i32 - 1) * h;
        m1 += pk * k as f64;
        m2 += pk * (k as f64).powi(2);
    }
    let tail = (1.0 - h).powi(horizon as i32 - 1);
    m1 += tail * horizon as f64;
    m2 += tail * (horizon as f64).powi(2);
    (m1, (m2 - m1 * m1).sqrt())
}

const TRUCE: &str = r#"
[rules.truce]
kind = "termination"
pairs = [["red", "blue"]]
min_level = "strike"
daily_hazard = HAZARD

[metrics.war_ends]
on = "war_ended"
"#;

#[test]
fn termination_hazard_gives_geometric_war_duration() {
    // Blue strikes on day 0 for certain; from day 1 the war ends each day with probability h.
    let (h, horizon, runs) = (0.25, 50, 20_000);
    let sc = scenario(horizon, 1.0, &TRUCE.replace("HAZARD", &h.to_string()));
    let agg = aggregate(&sc, 14, runs);
    let (mean, sd) = censored_geometric(h, horizon);
    // The censoring at 50 days changes the mean by less than 1e-5: this is 1/h.
    assert!((mean - 1.0 / h).abs() < 1e-5);
    assert!((sd - (1.0 - h).sqrt() / h).abs() < 1e-4);

    let (est, n) = hist_mean(&agg.hist[quantity(&sc, "war_duration_days")]);
    assert_eq!(n, runs, "every run has a war");
    assert_mean("mean war_duration_days", est, n, mean, sd);
    let d = &agg.hist[quantity(&sc, "war_duration_days")];
    assert_eq!(d[0], 0, "a war lasts at least a day");
    assert_proportion("P(duration = 1)", d[1], runs, h);
    assert_proportion("P(duration = 2)", d[2], runs, (1.0 - h) * h);
    assert_proportion(
        "P(duration > 5)",
        d[6..].iter().sum(),
        runs,
        (1.0 - h).powi(5),
    );

    // Only one war per run, so the days at war are its duration.
    assert_eq!(
        agg.hist[quantity(&sc, "war_days")],
        agg.hist[quantity(&sc, "war_duration_days")]
    );
    // With the war starting on day 0, the day it ends is its duration too: the first-day
    // histogram of `war_ended` notes is the duration histogram without the censored runs.
    let ends = &agg.first_day[event(&sc, "war_ends")];
    assert_eq!(ends.len(), horizon as usize);
    for (k, &n) in ends.iter().enumerate() {
        assert_eq!(n, d.get(k).copied().unwrap_or(0), "day {k}");
    }
    assert_eq!(
        runs - agg.event_count(event(&sc, "war_ends")),
        d.get(horizon as usize).copied().unwrap_or(0),
        "runs still at war at the horizon"
    );
}

/// Collects the value of every WarEnded note of a run.
#[derive(Default)]
struct WarEnded(Vec<u32>);

impl Recorder for WarEnded {
    fn note(&mut self, _day: u32, note: &Note) {
        if note.kind == NoteKind::WarEnded {
            self.0.push(note.value);
        }
    }
}

#[test]
fn war_ended_note_carries_the_war_duration() {
    // model::Note documents `value` as the duration in days for WarEnded; the same war's
    // war_duration_days quantity is geometric with mean 1/h as documented in
    // rules/termination.rs. Both must agree, run by run.
    let (h, horizon): (f64, u32) = (0.25, 50);
    let sc = scenario(horizon, 1.0, &TRUCE.replace("HAZARD", &h.to_string()));
    let engine = Engine::new(&sc, 15);
    let mut ws = engine.workspace();
    let q = quantity(&sc, "war_duration_days");
    let (mut sum, mut n) = (0u64, 0u64);
    let runs = 2_000;
    for run in 0..runs {
        let mut rec = WarEnded::default();
        engine.simulate(run, &mut ws, &mut rec);
        let duration = ws.outcome.values[q];
        if duration < horizon {
            assert_eq!(
                rec.0,
                vec![duration],
                "run {run}: WarEnded note value vs war_duration_days"
            );
            sum += u64::from(rec.0[0]);
            n += 1;
        }
    }
    // Censoring at 50 days moves the mean of the uncensored durations by less than 1e-4.
    let (mean, sd) = (1.0 / h, (1.0 - h).sqrt() / h);
    assert_mean("mean WarEnded value", sum as f64 / n as f64, n, mean, sd);
}

#[test]
fn war_ended_metric_can_filter_by_termination_rule() {
    // `blue_red_line` is rule 0 and `truce` rule 1; only `truce` ends wars.
    let sc = scenario(
        50,
        1.0,
        &(TRUCE.replace("HAZARD", "0.25")
            + r#"
[metrics.ended_by_truce]
on = "war_ended"
rule = ["truce"]

[metrics.ended_by_red_line]
on = "war_ended"
rule = ["blue_red_line"]
"#),
    );
    let agg = aggregate(&sc, 19, 500);
    let all = agg.event_count(event(&sc, "war_ends"));
    assert!(all > 450, "wars ended in only {all} of 500 runs");
    assert_eq!(agg.event_count(event(&sc, "ended_by_truce")), all);
    assert_eq!(agg.event_count(event(&sc, "ended_by_red_line")), 0);
}

#[test]
fn delay_days_distribution_is_floored() {
    // delay_days = { uniform = [0, 4] } floors to 0, 1, 2 or 3 days with probability 1/4 each
    // (as scenarios/minimal.toml says). Blue strikes on day 0, so no answer is censored.
    let runs = 20_000;
    let sc = scenario(
        10,
        1.0,
        r#"
[rules.red_pledge]
kind = "retaliation"
actor = "red"
min_level = "strike"
probability = 1
delay_days = { uniform = [0, 4] }
cap = "heavy_strike"

[metrics.red_delay]
kind = "delay"
actor = ["red"]
form = ["retaliation"]
"#,
    );
    let agg = aggregate(&sc, 17, runs);
    let h = &agg.hist[quantity(&sc, "red_delay")];
    assert_eq!(h.len(), 4, "delays beyond 3 days: {h:?}");
    assert_eq!(h.iter().sum::<u64>(), runs);
    for (d, &k) in h.iter().enumerate() {
        assert_proportion(&format!("P(delay = {d})"), k, runs, 0.25);
    }
}

#[test]
fn uncertain_parameters_are_drawn_from_their_distributions() {
    // The threshold is uniform on [0.6, 0.8] and the track sits at 0.7 with certain daily
    // strikes, so Blue strikes on day 0 exactly when the threshold drawn is at most 0.7.
    let runs = 20_000;
    let text = r#"
[scenario]
name = "params"
start_date = 2026-01-01
horizon_days = 1
war_level = "strike"

[[ladder]]
id = "calm"
mid = 1

[[ladder]]
id = "strike"
mid = 4

[actors.blue]
[actors.red]

[tracks.arsenal]
initial = 0.7

[tracks.other]
initial = { triangular = [0.1, 0.2, 0.6] }

[rules.blue_red_line]
kind = "red_line"
actor = "blue"
target = "red"
track = "arsenal"
threshold = { uniform = [0.6, 0.8] }
daily_probability = 1
level = "strike"

[metrics.blue_strikes]
actor = ["blue"]
"#;
    let sc = brink::scenario::parse(text, "params.toml").unwrap();
    let threshold = param(&sc, "rules.blue_red_line.threshold");
    let other = param(&sc, "tracks.other.initial");
    let strike = event(&sc, "blue_strikes");
    let (agg, rows) = with_rows(&sc, 18, runs);

    let (mut n, mut s_t, mut s_o, mut s_tt, mut s_oo, mut s_to) = (0u64, 0.0, 0.0, 0.0, 0.0, 0.0);
    for chunk in &rows {
        for i in 0..chunk.len() {
            let (run, first, _, params) = chunk.row(i);
            let (t, o) = (params[threshold], params[other]);
            assert!((0.6..=0.8).contains(&t), "run {run}: threshold {t}");
            assert!((0.1..=0.6).contains(&o), "run {run}: triangular draw {o}");
            let struck = first[strike] == 0;
            assert_eq!(
                struck,
                t <= 0.7,
                "run {run}: threshold {t}, struck {struck}"
            );
            n += 1;
            s_t += t;
            s_o += o;
            s_tt += t * t;
            s_oo += o * o;
            s_to += t * o;
        }
    }
    assert_eq!(n, runs);
    let nf = n as f64;
    // Uniform [a, b]: mean (a + b) / 2, sd (b - a) / sqrt(12).
    assert_mean(
        "mean uniform threshold",
        s_t / nf,
        n,
        0.7,
        0.2 / 12f64.sqrt(),
    );
    // Triangular [a, c, b]: mean (a + b + c) / 3, variance (a² + b² + c² - ab - ac - bc) / 18.
    let (a, c, b) = (0.1f64, 0.2f64, 0.6f64);
    let var = (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0;
    assert_mean("mean triangular draw", s_o / nf, n, 0.3, var.sqrt());
    // Draws of different parameters are independent: their correlation is 0 with SE 1/sqrt(n).
    let cov = s_to / nf - (s_t / nf) * (s_o / nf);
    let sd_t = (s_tt / nf - (s_t / nf).powi(2)).sqrt();
    let sd_o = (s_oo / nf - (s_o / nf).powi(2)).sqrt();
    assert_mean(
        "correlation of two parameters",
        cov / (sd_t * sd_o),
        n,
        0.0,
        1.0,
    );
    assert_proportion("P(threshold <= 0.7)", agg.event_count(strike), runs, 0.5);
}

#[test]
fn ranges_in_words_put_5_percent_below_and_5_percent_above() {
    // "A to B" is read as the distribution with 90% of its draws in [A, B]: a lognormal for an
    // unbounded key with 0 < A (a track's drift), a normal when A ≤ 0, a logit-normal for a
    // probability. Each tail is a proportion of the runs with p = 0.05.
    let runs = 40_000;
    let text = r#"
[scenario]
name = "shorthand"
start_date = 2026-01-01
horizon_days = 1
war_level = "strike"

[[ladder]]
id = "calm"
mid = 1

[[ladder]]
id = "strike"
mid = 4

[actors.blue]
[actors.red]

[tracks.positive]
initial = 0.5
drift = "5 to 10"

[tracks.signed]
initial = 0.5
drift = "-1 to 3"

[rules.truce]
kind = "termination"
pairs = [["blue", "red"]]
min_level = "strike"
daily_hazard = "0.2 to 0.5"

[metrics.blue_strikes]
actor = ["blue"]
"#;
    let sc = brink::scenario::parse(text, "shorthand.toml").unwrap();
    let cases = [
        ("tracks.positive.drift", 5.0, 10.0, "lognormal"),
        ("tracks.signed.drift", -1.0, 3.0, "normal"),
        ("rules.truce.daily_hazard", 0.2, 0.5, "logit-normal"),
    ];
    let (_, rows) = with_rows(&sc, 5, runs);
    for (path, lo, hi, family) in cases {
        let i = param(&sc, path);
        let reading = sc.params[i].reading.as_deref().unwrap();
        assert!(
            reading.contains(&format!("read as {family}, 90% in [{lo}, {hi}]")),
            "{path}: {reading}"
        );
        assert_eq!(sc.reading(path), Some(reading));
        let (mut below, mut above) = (0, 0);
        for chunk in &rows {
            for r in 0..chunk.len() {
                let x = chunk.row(r).3[i];
                below += u64::from(x < lo);
                above += u64::from(x > hi);
            }
        }
        assert_proportion(&format!("{path}: P(x < {lo})"), below, runs, 0.05);
        assert_proportion(&format!("{path}: P(x > {hi})"), above, runs, 0.05);
    }
    // The lognormal's median is the geometric mean of the ends: sqrt(50) = 7.07.
    assert!(
        sc.params[param(&sc, "tracks.positive.drift")]
            .reading
            .as_deref()
            .unwrap()
            .ends_with("median 7.07")
    );
}
