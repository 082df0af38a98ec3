//! Traces: one run told as a story, and its event log.
//!
//! A probability convinces nobody on its own; the runs behind it do. `TraceRecorder` collects a
//! run's acts and notes as the engine applies them, `trace` simulates one run index with it
//! (the same streams as that run in a bulk run, so the same story and the same outcomes), and
//! `render` turns the result into plain text: the parameters drawn for the run, each day on
//! which something happened with who did what to whom, which rule fired and the numbers behind
//! it, and the run's outcomes; acts below the war rung that recur all year (near-daily strikes,
//! a ceasefire's incidents) are told once as routine unless every event is asked for.
//! `event_rows` gives the same events as rows of the event log
//! (`brink trace --csv`, `brink run --events`). `Finding` says which runs `brink trace --find`
//! is looking for.
//!
//! Nothing here does I/O: rendering returns strings and rows.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::engine::{Engine, Recorder, Workspace};
use crate::metrics::{MISSING, Outcome, QuantityDef};
use crate::model::{
    Act, ActorId, Form, NEVER, NO_ACTOR, NO_RULE, Note, NoteKind, Odds, RuleIdx, Scenario, Why,
    World,
};
use crate::rules::condition::Names;
use crate::rules::hazard::Op as ModOp;
use crate::summary::bin_value;
use crate::table::Cell;

/// What the recorder saw: an act or a note, on the day it took effect.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    Act(Act),
    Note(Note),
}

/// One recorded event.
#[derive(Clone, Copy, Debug)]
pub struct Recorded {
    pub day: u32,
    pub event: Event,
}

/// Collects a run's parameter draws and events, in the order they took effect.
#[derive(Clone, Debug, Default)]
pub struct TraceRecorder {
    pub run: u64,
    pub params: Vec<f64>,
    pub events: Vec<Recorded>,
}

impl Recorder for TraceRecorder {
    fn begin(&mut self, run: u64, world: &World) {
        self.run = run;
        self.params.clear();
        self.params.extend_from_slice(&world.params);
        self.events.clear();
    }
    fn act(&mut self, day: u32, act: &Act) {
        self.events.push(Recorded {
            day,
            event: Event::Act(*act),
        });
    }
    fn note(&mut self, day: u32, note: &Note) {
        self.events.push(Recorded {
            day,
            event: Event::Note(*note),
        });
    }
}

/// One run, recorded: what was drawn, what happened, and how it came out.
#[derive(Clone, Debug)]
pub struct Trace {
    pub run: u64,
    pub seed: u64,
    /// Every parameter's value in this run, indexed like `Scenario::params`.
    pub params: Vec<f64>,
    pub events: Vec<Recorded>,
    /// The run's outcomes exactly as a bulk run records them.
    pub outcome: Outcome,
}

/// Simulates run `run` in `ws` and records it.
pub fn trace_in(engine: &Engine, ws: &mut Workspace, run: u64) -> Trace {
    let mut rec = TraceRecorder::default();
    engine.simulate(run, ws, &mut rec);
    Trace {
        run,
        seed: engine.seed,
        params: rec.params,
        events: rec.events,
        outcome: ws.outcome.clone(),
    }
}

/// Simulates run `run` in a fresh workspace and records it.
pub fn trace(engine: &Engine, run: u64) -> Trace {
    let mut ws = engine.workspace();
    trace_in(engine, &mut ws, run)
}

fn actor(sc: &Scenario, a: ActorId) -> &str {
    if a == NO_ACTOR {
        "-"
    } else {
        &sc.actors[a as usize].name
    }
}

fn actor_id(sc: &Scenario, a: ActorId) -> &str {
    if a == NO_ACTOR {
        ""
    } else {
        &sc.actors[a as usize].id
    }
}

fn rung(sc: &Scenario, level: u8) -> String {
    let r = &sc.ladder[level as usize];
    format!("{} (MID {})", r.name, r.mid)
}

fn date(sc: &Scenario, day: u32) -> String {
    sc.date(day).to_string()
}

/// A parameter value: short, but with enough digits to tell draws apart.
fn val(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e9 {
        format!("{x:.0}")
    } else if x.abs() >= 0.01 {
        format!("{x:.4}")
    } else {
        format!("{x:.6}")
    }
}

/// A factor or value as a person writes it: at most four decimals, no trailing zeros.
fn short(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

fn days(n: u32) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// The sentence saying what an act was.
fn act_sentence(sc: &Scenario, day: u32, a: &Act) -> String {
    let (who, whom, at) = (actor(sc, a.actor), actor(sc, a.target), rung(sc, a.level));
    match a.form {
        Form::Strike if a.trigger_day < day => format!(
            "{who} strikes {whom} at {at}, as decided on {} after {} of preparation",
            date(sc, a.trigger_day),
            days(day - a.trigger_day)
        ),
        Form::Strike => format!("{who} strikes {whom} at {at}"),
        Form::JointStrike => format!("{who} joins the strike on {whom} at {at}"),
        Form::Preemptive { justified: true } => format!(
            "{who} strikes {whom} pre-emptively at {at}: justified, {whom} was preparing to strike"
        ),
        Form::Preemptive { justified: false } => format!(
            "{who} strikes {whom} pre-emptively at {at}: a FALSE ALARM, {whom} was not preparing \
             to strike"
        ),
        Form::Retaliation { token } => {
            let how = if token {
                "answers with a token, pre-warned strike on"
            } else {
                "retaliates against"
            };
            let when = if a.trigger_day < day {
                format!(
                    ", {} after the blow of {}",
                    days(day - a.trigger_day),
                    date(sc, a.trigger_day)
                )
            } else {
                ", the same day as the blow".to_string()
            };
            format!("{who} {how} {whom} at {at}{when}")
        }
        Form::Proxy => format!("{who} joins the answer as a proxy and strikes {whom} at {at}"),
        Form::Violation => format!("{who} violates the ceasefire against {whom} at {at}"),
        Form::Enforcement => format!("{who} resumes operations against {whom} at {at}"),
    }
}

/// A probability in words, with the arithmetic of its modifiers when any applied, e.g.
/// "daily probability 0.0040 × 2 (talks open) = 0.0080". `params` are the run's parameters.
fn odds_text(
    sc: &Scenario,
    names: &Names,
    rule: RuleIdx,
    odds: &Odds,
    params: &[f64],
    what: &str,
) -> String {
    if odds.applied == 0 && odds.other == 1.0 {
        return format!("{what} {:.4}", odds.p);
    }
    let mut s = format!("{what} {:.4}", odds.base);
    if let Some(r) = sc.rules.get(rule as usize) {
        let hazards = r.hazards();
        if let Some(h) = hazards.get(odds.hazard as usize) {
            for (i, m) in h.mods.iter().enumerate() {
                if odds.applied & (1 << i) == 0 {
                    continue;
                }
                let text = m.text(names);
                match m.op {
                    ModOp::Factor(f) => {
                        let _ = write!(s, " × {} ({text})", short(params[f as usize]));
                    }
                    ModOp::Value(v) => {
                        let _ = write!(s, " → {} ({text})", short(params[v as usize]));
                    }
                }
            }
        }
    }
    if odds.other != 1.0 {
        let _ = write!(
            s,
            " × {} (talks' restraint, hazard scaling)",
            val(odds.other)
        );
    }
    let _ = write!(s, " = {:.4}", odds.p);
    s
}

/// The numbers behind a decision, in words.
fn why_text(sc: &Scenario, names: &Names, a: &Act, params: &[f64]) -> Option<String> {
    let odds = |o: &Odds, what: &str| odds_text(sc, names, a.rule, o, params, what);
    match a.why {
        Why::None => None,
        Why::Threshold {
            track,
            perceived,
            threshold,
            odds: o,
        } => Some(format!(
            "{} as {} saw it {:.3} ≥ threshold {:.3}; {}",
            sc.tracks[track as usize].name,
            actor(sc, a.actor),
            perceived,
            threshold,
            odds(&o, "daily probability"),
        )),
        Why::Signal {
            signal,
            threshold,
            odds: o,
            draw,
        } => Some(format!(
            "threat signal {signal:.3} ≥ pre-emption threshold {threshold:.3}; {}, draw {draw:.4}",
            odds(&o, "daily probability")
        )),
        // A pledge that decides once per war draws nothing for its later answers.
        Why::Chance {
            odds: o,
            draw: None,
        } if rule_kind(sc, a.rule) == "retaliation" => Some(format!(
            "{}, decided once for this war",
            odds(&o, "probability")
        )),
        Why::Chance {
            odds: o,
            draw: None,
        } => Some(odds(&o, "daily probability")),
        Why::Chance {
            odds: o,
            draw: Some(draw),
        } => Some(format!("{}, draw {draw:.4}", odds(&o, "probability"))),
    }
}

/// A rule's id, or "" for events no rule issued.
fn rule_id(sc: &Scenario, rule: RuleIdx) -> &str {
    sc.rule_ids.get(rule as usize).map_or("", String::as_str)
}

/// A rule's kind, or "" for events no rule issued.
fn rule_kind(sc: &Scenario, rule: RuleIdx) -> &'static str {
    sc.rules.get(rule as usize).map_or("", |r| r.kind())
}

fn label<'a>(sc: &'a Scenario, n: &Note) -> Option<&'a str> {
    sc.rules.get(n.rule as usize)?.note_label(n)
}

fn note_sentence(sc: &Scenario, n: &Note) -> String {
    let (a, b) = (actor(sc, n.a), actor(sc, n.b));
    let id = rule_id(sc, n.rule);
    let what = label(sc, n).unwrap_or("?");
    match n.kind {
        NoteKind::Phase => format!("the {a}–{b} ceasefire enters {what}"),
        NoteKind::Collapse => format!("the {a}–{b} ceasefire collapses in {what}"),
        NoteKind::ConditionMissed => {
            format!("the {a}–{b} ceasefire's condition {what} is missed at its deadline")
        }
        NoteKind::TalksOpen => format!("{a}–{b} talks open"),
        NoteKind::TalksClosed => format!("{a}–{b} talks close"),
        NoteKind::Deal => format!("{a} and {b} reach a deal"),
        NoteKind::ConsentDenied => format!("{a} refuses to approve {b}'s strike"),
        NoteKind::Ambiguous => {
            format!("an ambiguous move by {a} (an exercise?) raises {b}'s threat signal")
        }
        NoteKind::Scheduled => format!("scheduled event {id} takes place"),
        NoteKind::WarEnded if n.rule == NO_RULE => format!(
            "the war between {a} and {b} is over after {} at war: nobody has struck for the \
             days of quiet_days_to_end_war",
            days(n.value)
        ),
        NoteKind::WarEnded => format!(
            "hostilities between {a} and {b} end after {} at war",
            days(n.value)
        ),
        NoteKind::Decision => format!("{a} decides: {id}"),
        NoteKind::PlanAborted => format!(
            "{a} calls off the strike on {b} decided on {}: an agreement took effect",
            date(sc, n.value)
        ),
        NoteKind::DealBroken => format!("the {a}–{b} deal breaks down"),
    }
}

fn rule_line(sc: &Scenario, rule: u16, why: Option<String>) -> String {
    let Some(r) = sc.rules.get(rule as usize) else {
        return "no rule: the engine's own accounting".to_string();
    };
    let mut s = format!("rule {} ({})", sc.rule_ids[rule as usize], r.kind());
    if let Some(src) = r.source() {
        let _ = write!(s, " [source: {src}]");
    }
    if let Some(w) = why {
        let _ = write!(s, ": {w}");
    }
    s
}

/// One quantity bin in words: levels by rung, days and counts as integers, tracks to 0.001.
pub fn quantity_text(sc: &Scenario, q: usize, bin: u32) -> String {
    let m = &sc.metrics.quantities[q];
    match (bin_value(sc, q, bin), &m.def) {
        (None, QuantityDef::WarDuration) => "- (no war)".to_string(),
        (None, _) => "- (did not happen)".to_string(),
        (Some(_), QuantityDef::PeakLevel) => {
            format!("{bin} ({})", sc.ladder[bin as usize].id)
        }
        (Some(v), QuantityDef::FinalTrack(_)) => format!("{v:.3}"),
        (Some(v), _) => format!("{v:.0}"),
    }
}

/// How many times the same low-level act must recur in a run to be told once as routine.
pub const ROUTINE_AT_LEAST: usize = 5;

/// What makes two acts "the same" for telling routine once: rule, sides, rung and form.
fn routine_key(a: &Act) -> (RuleIdx, ActorId, ActorId, u8, std::mem::Discriminant<Form>) {
    (
        a.rule,
        a.actor,
        a.target,
        a.level,
        std::mem::discriminant(&a.form),
    )
}

/// For each event of the trace, whether it is shown, and for the first of a routine the number
/// of times it recurs and the day of the last. Routine: acts below the war rung that the same
/// rule repeats between the same sides at the same rung at least `ROUTINE_AT_LEAST` times
/// (Israel's near-daily strikes in Lebanon, a ceasefire's incidents). Told once, they would
/// otherwise bury the run's story.
fn routine(sc: &Scenario, t: &Trace) -> Vec<(bool, Option<(usize, u32)>)> {
    use std::collections::HashMap;
    let mut seen: HashMap<_, (usize, u32)> = HashMap::new();
    for e in &t.events {
        if let Event::Act(a) = &e.event
            && a.level < sc.war_level
        {
            let c = seen.entry(routine_key(a)).or_insert((0, e.day));
            *c = (c.0 + 1, e.day);
        }
    }
    let mut told: HashMap<_, ()> = HashMap::new();
    t.events
        .iter()
        .map(|e| match &e.event {
            Event::Act(a) if a.level < sc.war_level => {
                let key = routine_key(a);
                let (n, last) = seen[&key];
                if n < ROUTINE_AT_LEAST {
                    (true, None)
                } else if told.insert(key, ()).is_none() {
                    (true, Some((n, last)))
                } else {
                    (false, None)
                }
            }
            _ => (true, None),
        })
        .collect()
}

/// The run's story as plain text, with routine acts told once (`render_all` tells each).
pub fn render(sc: &Scenario, t: &Trace) -> String {
    render_with(sc, t, false)
}

/// The run's story as plain text with every event told, routine ones included.
pub fn render_all(sc: &Scenario, t: &Trace) -> String {
    render_with(sc, t, true)
}

fn render_with(sc: &Scenario, t: &Trace, all: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Run {} of {} ({}), seed {}: {} to {}",
        t.run,
        sc.name,
        sc.title,
        t.seed,
        date(sc, 0),
        date(sc, sc.horizon - 1)
    );
    let uncertain: Vec<_> = sc.uncertain_params().collect();
    if !uncertain.is_empty() {
        let _ = writeln!(s, "\nDrawn for this run:");
        let w = uncertain
            .iter()
            .map(|(_, p)| p.path.len())
            .max()
            .unwrap_or(0);
        for (i, p) in &uncertain {
            // A range in words is shown as written, as `brink explain` shows it.
            let from = p.reading.clone().unwrap_or_else(|| p.dist.to_toml_string());
            let _ = writeln!(s, "  {:<w$}  {:>9}  from {from}", p.path, val(t.params[*i]));
        }
    }
    let _ = writeln!(s, "\nWhat happened:");
    let names = Names::of(sc);
    if t.events.is_empty() {
        let _ = writeln!(s, "  nothing: no act or note in {} days", sc.horizon);
    }
    let shown = if all {
        vec![(true, None); t.events.len()]
    } else {
        routine(sc, t)
    };
    let mut last_day = NEVER;
    for (e, &(show, recurs)) in t.events.iter().zip(&shown) {
        if !show {
            continue;
        }
        if e.day != last_day {
            let _ = writeln!(s, "{} (day {})", date(sc, e.day), e.day);
            last_day = e.day;
        }
        let (sentence, rule, why) = match &e.event {
            Event::Act(a) => (
                act_sentence(sc, e.day, a),
                a.rule,
                why_text(sc, &names, a, &t.params),
            ),
            Event::Note(n) => (note_sentence(sc, n), n.rule, None),
        };
        let _ = writeln!(s, "  {sentence}");
        let _ = writeln!(s, "      {}", rule_line(sc, rule, why));
        if let Some((n, last)) = recurs {
            let _ = writeln!(
                s,
                "      routine: {n} times in the run, the last on {}; told once here (--all tells \
                 each)",
                date(sc, last)
            );
        }
    }
    let _ = writeln!(s, "\nOutcomes:");
    let m = &sc.metrics;
    let w = m
        .events
        .iter()
        .map(|e| e.id.len())
        .chain(m.quantities.iter().map(|q| q.id.len()))
        .max()
        .unwrap_or(0);
    for (i, e) in m.events.iter().enumerate() {
        let d = t.outcome.first[i];
        let v = if d == NEVER {
            "no".to_string()
        } else {
            format!("yes, first on {} (day {d})", date(sc, d))
        };
        let _ = writeln!(s, "  {:<w$}  {v}", e.id);
    }
    for (q, m) in m.quantities.iter().enumerate() {
        let _ = writeln!(
            s,
            "  {:<w$}  {}",
            m.id,
            quantity_text(sc, q, t.outcome.values[q])
        );
    }
    s
}

/// Columns of the event log (`brink trace --csv`, `events.csv`).
pub const CSV_HEADER: [&str; 16] = [
    "run",
    "day",
    "date",
    "actor",
    "target",
    "action",
    "level",
    "rule",
    "rule_kind",
    "trigger_day",
    "why",
    "observed",
    "threshold",
    "probability",
    "draw",
    "detail",
];

/// The run's events as rows of the event log, in the order they took effect, as text.
pub fn csv_rows(sc: &Scenario, t: &Trace) -> Vec<[String; 16]> {
    event_rows(sc, t)
        .iter()
        .map(|r| r.each_ref().map(|c| c.text().into_owned()))
        .collect()
}

/// The run's events as typed rows of the event log (`table::events_columns`), in the order
/// they took effect.
pub fn event_rows<'a>(sc: &'a Scenario, t: &Trace) -> Vec<[Cell<'a>; 16]> {
    let text = |s: &'a str| Cell::Text(Cow::Borrowed(s));
    let owned = |s: String| Cell::Text(Cow::Owned(s));
    t.events
        .iter()
        .map(|e| {
            let run = Cell::Int(t.run);
            let day = Cell::Int(e.day.into());
            let date = owned(date(sc, e.day));
            match &e.event {
                Event::Act(a) => {
                    let none = || Cell::Empty;
                    let (why, obs, thr, p, draw) = match a.why {
                        Why::None => ("", none(), none(), none(), none()),
                        Why::Threshold {
                            perceived,
                            threshold,
                            odds,
                            ..
                        } => (
                            "threshold",
                            Cell::Num(perceived),
                            Cell::Num(threshold),
                            Cell::Num(odds.p),
                            none(),
                        ),
                        Why::Signal {
                            signal,
                            threshold,
                            odds,
                            draw,
                        } => (
                            "signal",
                            Cell::Num(signal),
                            Cell::Num(threshold),
                            Cell::Num(odds.p),
                            Cell::Num(draw),
                        ),
                        Why::Chance { odds, draw } => (
                            "chance",
                            none(),
                            none(),
                            Cell::Num(odds.p),
                            draw.map_or(Cell::Empty, Cell::Num),
                        ),
                    };
                    let detail = match a.why {
                        Why::Threshold { track, .. } => text(&sc.tracks[track as usize].id),
                        _ => text(""),
                    };
                    [
                        run,
                        day,
                        date,
                        text(actor_id(sc, a.actor)),
                        text(actor_id(sc, a.target)),
                        text(a.form.name()),
                        text(&sc.ladder[a.level as usize].id),
                        text(rule_id(sc, a.rule)),
                        text(rule_kind(sc, a.rule)),
                        Cell::Int(a.trigger_day.into()),
                        text(why),
                        obs,
                        thr,
                        p,
                        draw,
                        detail,
                    ]
                }
                Event::Note(n) => {
                    let detail = match n.kind {
                        NoteKind::WarEnded => owned(n.value.to_string()),
                        _ => text(label(sc, n).unwrap_or("")),
                    };
                    [
                        run,
                        day,
                        date,
                        text(actor_id(sc, n.a)),
                        text(actor_id(sc, n.b)),
                        text(n.kind.name()),
                        Cell::Empty,
                        text(rule_id(sc, n.rule)),
                        text(rule_kind(sc, n.rule)),
                        Cell::Empty,
                        Cell::Empty,
                        Cell::Empty,
                        Cell::Empty,
                        Cell::Empty,
                        Cell::Empty,
                        detail,
                    ]
                }
            }
        })
        .collect()
}

/// The first `count` runs below `max` in which `finding` holds, in index order, through the
/// study driver on the current rayon pool: batches start small, so a common outcome is found
/// at once even in a debug build, and double up to a full load; pieces are read in run
/// order, so the runs found do not depend on the number of threads. `None` if `stop` was
/// raised first.
pub fn search(
    engine: &Engine,
    finding: &Finding,
    count: u64,
    max: u64,
    stop: &std::sync::atomic::AtomicBool,
) -> Option<Vec<u64>> {
    use crate::study::{self, Ended, Flow, Pace};
    let sc = engine.scenario;
    let mut found = Vec::new();
    let ended = study::drive(
        0..max,
        Pace::ramp(64),
        stop,
        |r| study::chunk(engine, r, true, stop),
        |chunk| {
            let Some(rows) = &chunk.rows else {
                return Ok::<_, std::convert::Infallible>(Flow::Continue);
            };
            for i in 0..rows.len() {
                let (run, first, values, _) = rows.row(i);
                if finding.holds(sc, first, values) {
                    found.push(run);
                    if found.len() as u64 == count {
                        return Ok(Flow::Enough);
                    }
                }
            }
            Ok(Flow::Continue)
        },
    );
    match ended {
        Ok(Ended::Stopped) => None,
        _ => Some(found),
    }
}

/// The line above the stories of a search: how many runs were found among how many, and
/// which. `found` is not empty.
pub fn found_header(metric: &str, found: &[u64], count: u64, max: u64, seed: u64) -> String {
    let searched = if found.len() as u64 == count {
        found[found.len() - 1] + 1
    } else {
        max
    };
    let list: Vec<String> = found.iter().map(u64::to_string).collect();
    format!(
        "Found {} run{} with {metric} in {searched} runs searched (runs 0 to {}, seed {seed}): {}.",
        found.len(),
        if found.len() == 1 { "" } else { "s" },
        searched - 1,
        list.join(", ")
    )
}

/// The stories of `traces` as `brink trace` prints them, after `header` when there is one,
/// routine acts told once.
pub fn stories(sc: &Scenario, header: &str, traces: &[Trace]) -> String {
    stories_with(sc, header, traces, false)
}

/// `stories`, with every routine act told when `all` (`brink trace --all`).
pub fn stories_with(sc: &Scenario, header: &str, traces: &[Trace], all: bool) -> String {
    let mut out = String::new();
    if !header.is_empty() {
        out.push_str(header);
        out.push('\n');
    }
    for (i, t) in traces.iter().enumerate() {
        if i > 0 || !header.is_empty() {
            out.push('\n');
        }
        out.push_str(&render_with(sc, t, all));
    }
    out
}

/// A comparison in a `--find` condition on a quantity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Ge,
    Le,
    Gt,
    Lt,
    Eq,
}

impl Op {
    /// Splits `NAME OP NUMBER` at its operator (>=, <=, ==, >, <, =): the trimmed name, the
    /// operator and the trimmed rest; `None` without an operator.
    pub fn split(text: &str) -> Option<(&str, Op, &str)> {
        const OPS: [(&str, Op); 6] = [
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("==", Op::Eq),
            (">", Op::Gt),
            ("<", Op::Lt),
            ("=", Op::Eq),
        ];
        OPS.iter()
            .find_map(|(s, op)| text.split_once(s).map(|(l, r)| (l.trim(), *op, r.trim())))
    }

    /// Whether `v OP value`.
    pub fn holds(self, v: f64, value: f64) -> bool {
        match self {
            Op::Ge => v >= value,
            Op::Le => v <= value,
            Op::Gt => v > value,
            Op::Lt => v < value,
            Op::Eq => v == value,
        }
    }
}

/// What `brink trace --find` looks for in a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Finding {
    /// An event metric happened (index into `metrics.events`).
    Event(usize),
    /// A quantity's value satisfies a condition (index into `metrics.quantities`).
    Quantity { q: usize, op: Op, value: f64 },
}

impl Finding {
    /// Parses `METRIC` (an event metric) or `QUANTITY OP NUMBER` with OP one of >=, <=, >, <, =.
    pub fn parse(sc: &Scenario, text: &str) -> Result<Finding, String> {
        let m = &sc.metrics;
        let split = Op::split(text);
        let name = split.map_or(text.trim(), |(l, _, _)| l);
        let names: Vec<&str> = m
            .events
            .iter()
            .map(|e| e.id.as_str())
            .chain(m.quantities.iter().map(|q| q.id.as_str()))
            .collect();
        if let Some(i) = m.events.iter().position(|e| e.id == name) {
            return match split {
                None => Ok(Finding::Event(i)),
                Some(_) => Err(format!(
                    "`{name}` is an event metric: give it alone, e.g. --find {name}"
                )),
            };
        }
        let Some(q) = m.quantities.iter().position(|x| x.id == name) else {
            return Err(format!(
                "no metric `{name}` in scenario {}; {}",
                sc.name,
                crate::scenario::diag::suggest(name, &names)
            ));
        };
        let Some((_, op, rhs)) = split else {
            return Err(format!(
                "`{name}` is a quantity, not an event: give a condition, e.g. --find '{name}>=1'"
            ));
        };
        match rhs.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Finding::Quantity { q, op, value }),
            _ => Err(format!(
                "`{rhs}` is not a number in the condition `{text}`; write e.g. --find '{name}>=1'"
            )),
        }
    }

    /// Whether a run with these first days and quantity bins shows the finding.
    pub fn holds(&self, sc: &Scenario, first: &[u32], values: &[u32]) -> bool {
        match *self {
            Finding::Event(i) => first[i] != NEVER,
            Finding::Quantity { q, op, value } => {
                if values[q] == MISSING {
                    return false;
                }
                op.holds(sc.metrics.quantities[q].binning.value(values[q]), value)
            }
        }
    }

    /// The metric's id.
    pub fn metric<'a>(&self, sc: &'a Scenario) -> &'a str {
        match *self {
            Finding::Event(i) => &sc.metrics.events[i].id,
            Finding::Quantity { q, .. } => &sc.metrics.quantities[q].id,
        }
    }
}
