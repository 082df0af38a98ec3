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

// ---------------------------------------------------------------------------------------------
// The model language: modifiers, decisions, per-war pledges, effects, the initial state, wars
// that end, plans called off by peace. Each check is exact or closed-form.
// ---------------------------------------------------------------------------------------------

/// Three actors on a three-rung ladder, no rules: the tests add theirs.
fn bare(horizon: u32, rest: &str) -> Scenario {
    let text = format!(
        r#"
[scenario]
name = "language"
start_date = 2026-01-01
horizon_days = {horizon}
war_level = "strike"
calm_after_days = 100000

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

{rest}
"#
    );
    match brink::scenario::parse(&text, "language.toml") {
        Ok(sc) => sc,
        Err(e) => panic!("test scenario does not compile:\n{e}"),
    }
}

/// Hazard of an event metric's first occurrence over days `days`: (first occurrences, days at
/// risk), pooled over the window, from the first-day histogram of `runs` runs.
fn hazard_in(agg: &Aggregate, e: usize, days: std::ops::Range<usize>) -> (u64, u64) {
    let first = &agg.first_day[e];
    let mut at_risk = agg.runs - first[..days.start].iter().sum::<u64>();
    let (mut k, mut n) = (0, 0);
    for d in days {
        k += first[d];
        n += at_risk;
        at_risk -= first[d];
    }
    (k, n)
}

#[test]
fn a_modifier_multiplies_the_hazard_from_exactly_the_day_its_condition_holds() {
    // Blue decides to strike with daily probability P; from 21 January (day 20) a date-window
    // modifier triples it. The daily hazard of the first strike is P on days 0..=19 and 3P from
    // day 20 on, including each boundary day on its own.
    let sc = bare(
        40,
        &format!(
            r#"
[rules.blue_strikes]
kind = "decision"
actor = "blue"
target = "red"
level = "strike"
daily_probability = {P}
modifiers = [{{ when = {{ from = 2026-01-21 }}, factor = 3 }}]

[metrics.struck]
actor = ["blue"]
"#
        ),
    );
    let agg = aggregate(&sc, 5, 200_000);
    let e = event(&sc, "struck");
    for (days, p) in [
        (0..20, P),
        (19..20, P),
        (20..21, 3.0 * P),
        (20..40, 3.0 * P),
    ] {
        let (k, n) = hazard_in(&agg, e, days.clone());
        assert_proportion(&format!("hazard on days {days:?}"), k, n, p);
    }
}

#[test]
fn consent_is_a_standing_policy_that_changes_with_the_state() {
    // Blue resolves to strike red every day but needs green's consent, given with probability
    // 0.3 until 21 January (day 20) and 0.6 from then on. Green's answer is a policy, not a
    // fresh coin at every request: 30% of runs strike on day 0, none on days 1..=19 (asked
    // twenty times, a refusal stands), another 30% on day 20, when the policy moves, and none
    // after. A coin per request would strike by day 19 in 1 − 0.7^20 ≈ 99.9% of runs.
    let sc = bare(
        40,
        r#"
[rules.blue_strikes]
kind = "decision"
actor = "blue"
target = "red"
level = "strike"
daily_probability = 1
cooldown_days = 1000
consent = { actor = "green", probability = 0.3 }
modifiers = [{ key = "consent.probability", when = { from = 2026-01-21 }, value = 0.6 }]

[metrics.struck]
actor = ["blue"]
"#,
    );
    let runs = 100_000;
    let agg = aggregate(&sc, 9, runs);
    let first = &agg.first_day[event(&sc, "struck")];
    assert_proportion("struck on day 0", first[0], runs, 0.3);
    assert_eq!(
        first[1..20].iter().sum::<u64>(),
        0,
        "a refusal stands while nothing changes"
    );
    assert_proportion("struck on day 20", first[20], runs, 0.3);
    assert_eq!(first[21..].iter().sum::<u64>(), 0, "and stands again after");
}

#[test]
fn talks_opening_changes_the_hazard_from_the_next_decision() {
    // A scheduled event opens a channel on day 10; blue's daily probability is quadrupled
    // while the talks are open. Decisions of day 10 were taken before the talks opened, so
    // the hazard is P through day 10 and 4P from day 11.
    let sc = bare(
        30,
        &format!(
            r#"
[rules.blue_strikes]
kind = "decision"
actor = "blue"
target = "red"
level = "strike"
daily_probability = {P}
modifiers = [{{ when = {{ talks = "channel" }}, factor = 4 }}]

[rules.channel]
kind = "negotiation"
parties = ["blue", "green"]
open_hazard = 0
close_hazard = 0
deal_hazard = 0
restraint = 1
breaks_at = "heavy_strike"

[rules.opening]
kind = "scheduled"
date = 2026-01-11
open_channel = "channel"

[metrics.struck]
actor = ["blue"]
"#
        ),
    );
    let agg = aggregate(&sc, 6, 200_000);
    let e = event(&sc, "struck");
    for (days, p) in [
        (0..11, P),
        (10..11, P),
        (11..12, 4.0 * P),
        (11..30, 4.0 * P),
    ] {
        let (k, n) = hazard_in(&agg, e, days.clone());
        assert_proportion(&format!("hazard on days {days:?}"), k, n, p);
    }
}

#[test]
fn a_pledge_that_decides_per_war_answers_with_its_probability_however_many_blows() {
    // Blue strikes red on about half the days of a war that never ends. Deciding per blow,
    // red would almost surely answer some blow; deciding per war it answers with Q, and
    // green, a proxy deciding per war, joins with R given an answer.
    let sc = bare(
        30,
        &format!(
            r#"
[rules.blue_strikes]
kind = "decision"
actor = "blue"
target = "red"
level = "strike"
daily_probability = 0.5

[rules.red_pledge]
kind = "retaliation"
actor = "red"
min_level = "strike"
probability = {Q}
decide = "per_war"
cap = "heavy_strike"
escalation = 0
proxies = [{{ actor = "green", probability = {R}, level = "strike" }}]

[metrics.red_answers]
actor = ["red"]
form = ["retaliation"]

[metrics.green_joins]
actor = ["green"]
form = ["proxy"]

[metrics.blows]
kind = "count"
actor = ["blue"]
"#
        ),
    );
    let runs = 40_000;
    let agg = aggregate(&sc, 7, runs);
    let (blows, _) = hist_mean(&agg.hist[quantity(&sc, "blows")]);
    assert!(blows > 10.0, "the war should see many blows, saw {blows}");
    let answered = agg.event_count(event(&sc, "red_answers"));
    assert_proportion("red answers, per war", answered, runs, Q);
    let joined = agg.event_count(event(&sc, "green_joins"));
    assert_proportion("green joins given an answer, per war", joined, answered, R);
}

#[test]
fn a_stock_is_consumed_by_each_act_and_a_modifier_reads_it() {
    // Blue strikes every fourth day while its stock is at least 0.3; each strike consumes 0.1.
    // Exactly eight strikes empty it to 0.2 (after seven it is still 0.3), in every run.
    let sc = bare(
        60,
        r#"
[tracks.blue_stock]
initial = 1.0

[rules.blue_strikes]
kind = "decision"
actor = "blue"
target = "red"
level = "strike"
daily_probability = 1
cooldown_days = 4
modifiers = [{ when = { track = "blue_stock", below = 0.3 }, value = 0 }]

[rules.launchers]
kind = "effect"
on = "strikes"
actor = "blue"
consume = [{ track = "blue_stock", amount = 0.1 }]

[metrics.blows]
kind = "count"
actor = ["blue"]
"#,
    );
    let agg = aggregate(&sc, 8, 2_000);
    let blows = &agg.hist[quantity(&sc, "blows")];
    assert_eq!(blows.get(8).copied(), Some(2_000), "{blows:?}");
    let stock = quantity(&sc, "final_blue_stock");
    let b = sc.metrics.quantities[stock].binning;
    let at = ((0.2 - b.lo) / b.step).round() as usize;
    assert_eq!(agg.hist[stock].get(at).copied(), Some(2_000));
}

#[test]
fn being_struck_can_set_a_rebuild_rate() {
    // Blue strikes once, on day 5; being struck sets red's programme drifting at 0.01 a day
    // from that night. The programme ends at exactly 0.01 × (horizon − 5).
    let sc = bare(
        50,
        r#"
[tracks.red_programme]
initial = 0.0

[rules.blue_strikes]
kind = "decision"
actor = "blue"
target = "red"
level = "strike"
daily_probability = 1
once = true
modifiers = [{ when = { until = 2026-01-05 }, value = 0 }]

[rules.breakout]
kind = "effect"
on = "struck"
actor = "red"
by = ["blue"]
min_level = "strike"
set_drift = [{ track = "red_programme", drift = 0.01 }]
"#,
    );
    let agg = aggregate(&sc, 9, 500);
    let q = quantity(&sc, "final_red_programme");
    let b = sc.metrics.quantities[q].binning;
    let at = ((0.01 * 45.0 - b.lo) / b.step).round() as usize;
    assert_eq!(agg.hist[q].get(at).copied(), Some(500), "{:?}", agg.hist[q]);
}

#[test]
fn a_war_with_no_act_for_n_days_ends_after_exactly_n_days() {
    // One strike on day 0 and nothing after: with quiet_days_to_end_war = 5 the war lasts
    // exactly five days in every run; without it, to the horizon.
    for (quiet, want) in [("quiet_days_to_end_war = 5", 5usize), ("", 40)] {
        let sc = bare(
            40,
            &format!(
                r#"
[theatres.front]
actors = ["blue", "red"]
{quiet}

[rules.blue_strikes]
kind = "decision"
actor = "blue"
target = "red"
level = "strike"
daily_probability = 1
once = true
"#
            ),
        );
        let agg = aggregate(&sc, 10, 1_000);
        for m in ["war_duration_days", "war_days"] {
            let h = &agg.hist[quantity(&sc, m)];
            assert_eq!(h.get(want).copied(), Some(1_000), "{quiet:?} {m}: {h:?}");
        }
    }
}

#[test]
fn a_past_act_is_answered_with_the_pledges_probability_and_is_not_an_event() {
    // Blue struck red two days before the start. Red's pledge answers it with Q, on the first
    // day; the strike itself is history, counted by no metric.
    let sc = bare(
        10,
        &format!(
            r#"
[initial]
acts = [{{ actor = "blue", target = "red", level = "strike", date = 2025-12-30 }}]

[rules.red_pledge]
kind = "retaliation"
actor = "red"
min_level = "strike"
probability = {Q}
cap = "heavy_strike"

[metrics.red_answers]
actor = ["red"]
form = ["retaliation"]

[metrics.blue_strikes]
actor = ["blue"]
"#
        ),
    );
    let runs = 20_000;
    let agg = aggregate(&sc, 11, runs);
    let e = event(&sc, "red_answers");
    assert_proportion("red answers history", agg.event_count(e), runs, Q);
    assert_eq!(
        agg.first_day[e][0],
        agg.event_count(e),
        "answers land on day 0"
    );
    assert_eq!(agg.event_count(event(&sc, "blue_strikes")), 0);
}

#[test]
fn a_prepared_strike_is_called_off_when_peace_takes_hold() {
    // Blue and red start at war; a mediator ends it on day 0 (hazard 1) while blue decides,
    // also on day 0, to strike after three days of preparation. Peace calls the plan off, in
    // every run; with abort_on_peace = false the strike lands on day 3.
    for (abort, strikes) in [("", 0u64), ("abort_on_peace = false", 1_000)] {
        let sc = bare(
            20,
            &format!(
                r#"
[initial]
levels = [{{ pair = ["blue", "red"], level = "strike" }}]

[rules.blue_plan]
kind = "decision"
actor = "blue"
target = "red"
level = "strike"
daily_probability = 1
once = true
preparation_days = 3
{abort}

[rules.mediation]
kind = "termination"
pairs = [["blue", "red"]]
min_level = "strike"
daily_hazard = 1

[metrics.blue_strikes]
actor = ["blue"]

[metrics.aborted]
on = "plan_aborted"
"#
            ),
        );
        let agg = aggregate(&sc, 12, 1_000);
        let e = event(&sc, "blue_strikes");
        assert_eq!(agg.event_count(e), strikes, "{abort:?}");
        if strikes > 0 {
            assert_eq!(agg.first_day[e][3], strikes);
        }
        assert_eq!(
            agg.event_count(event(&sc, "aborted")),
            1_000 - strikes,
            "{abort:?}"
        );
    }
}

#[test]
fn a_pledge_answers_by_attacker_and_by_the_rung_of_the_blow() {
    // On day 0 blue strikes red at the lower rung and green at the top rung. Red answers a
    // lower-rung blow with 0.2 and a top-rung blow with 0.9 (`by_level`); a second pledge
    // answers only blue (`against`), surely.
    let sc = bare(
        5,
        r#"
[rules.blue_strikes]
kind = "decision"
actor = "blue"
target = "red"
level = "strike"
daily_probability = 1
once = true

[rules.green_strikes]
kind = "decision"
actor = "green"
target = "red"
level = "heavy_strike"
daily_probability = 1
once = true

[rules.red_pledge]
kind = "retaliation"
actor = "red"
min_level = "strike"
probability = 0.5
cap = "heavy_strike"
escalation = 0
by_level = { strike = { probability = 0.2 }, heavy_strike = { probability = 0.9 } }

[rules.red_grudge]
kind = "retaliation"
actor = "red"
against = ["blue"]
min_level = "strike"
probability = 1
cap = "strike"
token_probability = 1
token_level = "strike"

[metrics.red_answers_blue]
actor = ["red"]
target = ["blue"]
form = ["retaliation"]

[metrics.red_answers_green]
actor = ["red"]
target = ["green"]
form = ["retaliation"]

[metrics.token_to_blue]
actor = ["red"]
target = ["blue"]
form = ["token_retaliation"]

[metrics.token_to_green]
actor = ["red"]
target = ["green"]
form = ["token_retaliation"]
"#,
    );
    let runs = 20_000;
    let agg = aggregate(&sc, 13, runs);
    let count = |id: &str| agg.event_count(event(&sc, id));
    assert_proportion(
        "answer to a lower-rung blow",
        count("red_answers_blue"),
        runs,
        0.2,
    );
    assert_proportion(
        "answer to a top-rung blow",
        count("red_answers_green"),
        runs,
        0.9,
    );
    assert_eq!(count("token_to_blue"), runs, "the grudge answers blue");
    assert_eq!(count("token_to_green"), 0, "the grudge never answers green");
}

#[test]
fn a_theatre_wide_ceasefire_ends_every_pair_at_once() {
    // Blue and green both strike red on day 0; one daily draw with hazard H ends both wars on
    // the same day, which is geometric with mean 1/H.
    const H: f64 = 0.1;
    let sc = bare(
        200,
        &format!(
            r#"
[theatres.front]
actors = ["blue", "red", "green"]

[rules.blue_strikes]
kind = "decision"
actor = "blue"
target = "red"
level = "strike"
daily_probability = 1
once = true

[rules.green_strikes]
kind = "decision"
actor = "green"
target = "red"
level = "strike"
daily_probability = 1
once = true

[rules.mediation]
kind = "termination"
theatre = "front"
scope = "theatre"
min_level = "strike"
daily_hazard = {H}

[metrics.blue_red_over]
on = "war_ended"
actor = ["blue"]

[metrics.green_red_over]
on = "war_ended"
actor = ["green"]
"#
        ),
    );
    let (agg, rows) = with_rows(&sc, 14, 20_000);
    let (a, b) = (event(&sc, "blue_red_over"), event(&sc, "green_red_over"));
    for chunk in &rows {
        for i in 0..chunk.len() {
            let (run, first, _, _) = chunk.row(i);
            assert_eq!(first[a], first[b], "run {run}: the two wars end apart");
        }
    }
    let (mean, n) = hist_mean(&agg.hist[quantity(&sc, "war_duration_days")]);
    // Termination is first asked on day 1: duration D ≥ 1 is geometric on {1, 2, ...}.
    assert_mean("war duration", mean, n, 1.0 / H, (1.0 - H).sqrt() / H);
}

#[test]
fn a_termination_hazard_can_grow_as_the_war_drags_on() {
    // Mediation ends the war with daily hazard H1 for its first nine days of being asked
    // (days at war 1..=9) and H2 from day 10 at war. P(D <= 9) = 1 − (1 − H1)^9, and beyond,
    // D − 10 is geometric with mean (1 − H2)/H2.
    const H1: f64 = 0.05;
    const H2: f64 = 0.2;
    let sc = bare(
        300,
        &format!(
            r#"
[rules.blue_strikes]
kind = "decision"
actor = "blue"
target = "red"
level = "strike"
daily_probability = 1
once = true

[rules.mediation]
kind = "termination"
pairs = [["blue", "red"]]
min_level = "strike"
daily_hazard = {H1}
modifiers = [{{ when = {{ days_at_war_at_least = 10 }}, value = {H2} }}]
"#
        ),
    );
    let runs = 40_000;
    let agg = aggregate(&sc, 15, runs);
    let h = &agg.hist[quantity(&sc, "war_duration_days")];
    let early: u64 = h.iter().take(10).sum();
    assert_proportion(
        "war over within nine days",
        early,
        runs,
        1.0 - (1.0 - H1).powi(9),
    );
    let late: Vec<(usize, u64)> = h.iter().copied().enumerate().skip(10).collect();
    let n: u64 = late.iter().map(|x| x.1).sum();
    let mean = late
        .iter()
        .map(|&(d, c)| (d - 10) as f64 * c as f64)
        .sum::<f64>()
        / n as f64;
    assert_mean(
        "days beyond the tenth",
        mean,
        n,
        (1.0 - H2) / H2,
        (1.0 - H2).sqrt() / H2,
    );
}

#[test]
fn at_least_k_of_several_events_within_a_window() {
    // Three fronts open on days 0, 10 and 30 (one each). "Two fronts within 15 days" first
    // holds on day 10; "three within 15 days" never; "three within 30" on day 30.
    let front = |id: &str, who: &str, day: &str| {
        format!(
            r#"
[rules.{id}]
kind = "decision"
actor = "{who}"
target = "red"
level = "strike"
daily_probability = 1
once = true
modifiers = [{{ when = {{ until = {day} }}, value = 0 }}]

[metrics.{id}]
actor = ["{who}"]
target = ["red"]
"#
        )
    };
    let sc = bare(
        40,
        &format!(
            r#"
[actors.yellow]
{}{}{}
[metrics.two_within_15]
kind = "all_of"
of = ["front_a", "front_b", "front_c"]
at_least = 2
within_days = 15

[metrics.three_within_15]
kind = "all_of"
of = ["front_a", "front_b", "front_c"]
within_days = 15

[metrics.three_within_30]
kind = "all_of"
of = ["front_a", "front_b", "front_c"]
within_days = 30
"#,
            front("front_a", "blue", "2025-12-31"),
            front("front_b", "green", "2026-01-10"),
            front("front_c", "yellow", "2026-01-30"),
        ),
    );
    let agg = aggregate(&sc, 16, 100);
    let day = |id: &str| {
        let e = event(&sc, id);
        agg.first_day[e].iter().position(|&c| c == 100)
    };
    assert_eq!(day("front_b"), Some(10));
    assert_eq!(day("two_within_15"), Some(10));
    assert_eq!(agg.event_count(event(&sc, "three_within_15")), 0);
    assert_eq!(day("three_within_30"), Some(30));
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
