//! Conditions: what a modifier asks of the state of the crisis before it changes a hazard.
//!
//! A condition is written as a small table whose one *subject* key says what it looks at and
//! whose other keys say what must hold:
//!
//! | subject | keys | holds when |
//! | --- | --- | --- |
//! | `talks = "<negotiation>"` | `status` (`open`, `dormant`, `deal`; default `open`) | the channel has that status |
//! | `ceasefire = "<ceasefire>"` | `in_force` (default true), or `phase`, or `phase_at_least` | the agreement is (not) in force, or in force in that phase (or a later one) |
//! | `pair = [a, b]` (or the rule's own pair) | `level_at_least`, `level_at_most`, `at_war`, `days_at_war_at_least`, `days_at_war_at_most` | the pair's hostilities are at those rungs, at war, at war for so many days |
//! | `track = "<track>"` | `at_least`, `below` | the track's value today is in `[at_least, below)` |
//! | `struck = "<actor>"` | `by`, `min_level`, `within_days` | the actor was struck (by one of `by`) at `min_level` or above within the last `within_days` days |
//! | `striking = "<actor>"` | `against`, `min_level`, `within_days` | the actor struck (one of `against`) likewise |
//! | `preparing = "<actor>"` | `against` | the actor is visibly preparing a strike (on one of `against`) |
//! | `from = <date>`, `until = <date>` | | today lies in the window (both ends included) |
//! | `happened = "<event metric>"` | `within_days` | the event metric has happened (within the last `within_days` days) |
//! | `all = [...]`, `any = [...]`, `not = {...}` | | every, any, none of the conditions holds |
//!
//! Conditions are compiled once, with every name resolved, into `Cond`, which is cheap to
//! evaluate: a few array reads. Evaluating a condition also tells the rule until when its value
//! cannot change unless something happens that wakes the rule anyway (an act, an end of
//! hostilities, a change of status, a level falling back, a track crossing one of the
//! condition's bounds), so rules that sleep between geometric gaps stay exact (see
//! `rules::Wake`).

use serde::Deserialize;
use toml::value::Datetime;

use super::PairWatch;
use crate::model::{ActorId, COLLAPSED, Level, NEVER, NO_DAY, RuleIdx, TrackId, World};
use crate::scenario::build::Builder;
use crate::scenario::diag::suggest;

/// A condition as written in a scenario file.
#[derive(Deserialize, schemars::JsonSchema, Clone, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct CondConfig {
    /// A negotiation rule: holds when its channel has `status` (default "open").
    pub talks: Option<String>,
    /// With `talks`: "open", "dormant" or "deal".
    pub status: Option<String>,
    /// A ceasefire rule: holds while it is in force (or, with `phase`, in force in that phase).
    pub ceasefire: Option<String>,
    /// With `ceasefire`: false to hold once it has collapsed.
    pub in_force: Option<bool>,
    /// With `ceasefire`: the phase it must be in.
    pub phase: Option<String>,
    /// With `ceasefire`: this phase or a later one.
    pub phase_at_least: Option<String>,
    /// Two actors whose hostilities are looked at (default: the rule's own pair).
    pub pair: Option<Vec<String>>,
    /// The pair's hostilities are at this rung or above.
    pub level_at_least: Option<String>,
    /// The pair's hostilities are at this rung or below.
    pub level_at_most: Option<String>,
    /// The pair is (true) or is not (false) at war level.
    pub at_war: Option<bool>,
    /// The pair has been at war for at least this many days (the day war began is day 0).
    pub days_at_war_at_least: Option<u32>,
    /// The pair is at war and has been for at most this many days.
    pub days_at_war_at_most: Option<u32>,
    /// A track: holds when its value today lies in [at_least, below).
    pub track: Option<String>,
    pub at_least: Option<f64>,
    pub below: Option<f64>,
    /// An actor that was struck.
    pub struck: Option<String>,
    /// With `struck`: by one of these actors (default: anyone).
    pub by: Option<Vec<String>>,
    /// An actor that struck someone.
    pub striking: Option<String>,
    /// With `striking` or `preparing`: against one of these actors (default: anyone).
    pub against: Option<Vec<String>>,
    /// With `struck` or `striking`: at this rung or above (default: any hostile act).
    pub min_level: Option<String>,
    /// With `struck`, `striking` or `happened`: within this many days of today.
    pub within_days: Option<u32>,
    /// An actor visibly preparing a strike.
    pub preparing: Option<String>,
    /// First day of a date window.
    #[serde(default)]
    #[schemars(schema_with = "crate::scenario::schema::optional_date")]
    pub from: Option<Datetime>,
    /// Last day of a date window.
    #[serde(default)]
    #[schemars(schema_with = "crate::scenario::schema::optional_date")]
    pub until: Option<Datetime>,
    /// An event metric that has happened.
    pub happened: Option<String>,
    /// Every one of these conditions.
    pub all: Option<Vec<CondConfig>>,
    /// At least one of these conditions.
    pub any: Option<Vec<CondConfig>>,
    /// The condition does not hold.
    pub not: Option<Box<CondConfig>>,
}

/// A set of actors, as a bit mask (scenarios have at most 64 actors).
pub type ActorSet = u64;

/// Whether `a` is in `set`.
#[inline]
pub fn has(set: ActorSet, a: ActorId) -> bool {
    a < 64 && set & (1 << a) != 0
}

/// Which pair a pair condition looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairRef {
    Fixed(ActorId, ActorId),
    /// The pair of the rule evaluating it (actor and target, or the pair being terminated).
    Own,
}

/// A compiled condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    /// `status[rule]` in `lo..=hi`.
    Status {
        rule: RuleIdx,
        lo: u32,
        hi: u32,
    },
    /// The pair's level in `lo..=hi`.
    Level {
        pair: PairRef,
        lo: Level,
        hi: Level,
    },
    /// The pair is at war and has been for `lo..=hi` days.
    AtWar {
        pair: PairRef,
        lo: u32,
        hi: u32,
    },
    /// The pair is not at war.
    NotAtWar {
        pair: PairRef,
    },
    /// The track's value in `[lo, hi)`.
    Track {
        track: TrackId,
        lo: f64,
        hi: f64,
    },
    /// `target` was hit by one of `by` at `level` or above within `within` days.
    Struck {
        target: ActorId,
        by: ActorSet,
        level: Level,
        within: u32,
    },
    /// `actor` hit one of `against` at `level` or above within `within` days.
    Striking {
        actor: ActorId,
        against: ActorSet,
        level: Level,
        within: u32,
    },
    /// `actor` is preparing to strike one of `against`.
    Preparing {
        actor: ActorId,
        against: ActorSet,
    },
    /// Today in `from..=until` (days since the start; may lie outside the horizon).
    Date {
        from: i64,
        until: i64,
    },
    /// Event metric `event` happened (its last occurrence within `within` days, or ever).
    Happened {
        event: usize,
        within: u32,
    },
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
}

/// The pair a rule evaluates its conditions for: (actor, other), either may be `NO_ACTOR`.
pub type Ctx = (ActorId, ActorId);

impl Cond {
    /// Whether the condition holds on the world as it stands, and the first later day on
    /// which that may change without an event that wakes every rule (NEVER if only such an
    /// event can change it).
    pub fn eval(&self, w: &World, ctx: Ctx) -> (bool, u32) {
        let day = w.day;
        let pair = |p: &PairRef| match *p {
            PairRef::Fixed(a, b) => (a, b),
            PairRef::Own => ctx,
        };
        match self {
            Cond::Status { rule, lo, hi } => {
                let s = w.status[*rule as usize];
                (*lo <= s && s <= *hi, NEVER)
            }
            Cond::Level { pair: p, lo, hi } => {
                let (a, b) = pair(p);
                let l = w.level(a, b);
                (*lo <= l && l <= *hi, NEVER)
            }
            Cond::AtWar { pair: p, lo, hi } => {
                let (a, b) = pair(p);
                let start = w.war_start(a, b);
                if start == NO_DAY {
                    return (false, NEVER);
                }
                let start = i64::from(start);
                let days = i64::from(day) - start;
                if days < i64::from(*lo) {
                    (false, day_of(start + i64::from(*lo)))
                } else if days <= i64::from(*hi) {
                    (true, day_of(start + i64::from(*hi) + 1))
                } else {
                    (false, NEVER)
                }
            }
            Cond::NotAtWar { pair: p } => {
                let (a, b) = pair(p);
                (w.war_start(a, b) == NO_DAY, NEVER)
            }
            Cond::Track { track, lo, hi } => {
                let v = w.tracks[*track as usize];
                // Tracks move every night, but the engine wakes the rule when its track
                // crosses `lo` or `hi` (`thresholds`), so only that can change the value.
                (*lo <= v && v < *hi, NEVER)
            }
            Cond::Struck {
                target,
                by,
                level,
                within,
            } => {
                let mut last = NO_DAY;
                for a in 0..w.n as ActorId {
                    if has(*by, a) {
                        last = last.max(w.last_hit(a, *target, *level));
                    }
                }
                recent(last, day, *within)
            }
            Cond::Striking {
                actor,
                against,
                level,
                within,
            } => {
                let mut last = NO_DAY;
                for b in 0..w.n as ActorId {
                    if has(*against, b) {
                        last = last.max(w.last_hit(*actor, b, *level));
                    }
                }
                recent(last, day, *within)
            }
            Cond::Preparing { actor, against } => {
                let on = w.any_intent
                    && (0..w.n as ActorId).any(|b| has(*against, b) && w.intent(*actor, b));
                // Preparations are re-announced every day.
                (on, day + 1)
            }
            Cond::Date { from, until } => {
                let d = i64::from(day);
                if d < *from {
                    (false, day_of(*from))
                } else if d <= *until {
                    (true, day_of(until.saturating_add(1)))
                } else {
                    (false, NEVER)
                }
            }
            Cond::Happened { event, within } => {
                let last = match w.happened_last.get(*event).copied() {
                    Some(d) if d != NEVER => d as i32,
                    _ => NO_DAY,
                };
                recent(last, day, *within)
            }
            Cond::All(cs) => {
                let mut until = NEVER;
                let mut all = true;
                for c in cs {
                    let (v, u) = c.eval(w, ctx);
                    all &= v;
                    until = until.min(u);
                }
                (all, until)
            }
            Cond::Any(cs) => {
                let mut until = NEVER;
                let mut any = false;
                for c in cs {
                    let (v, u) = c.eval(w, ctx);
                    any |= v;
                    until = until.min(u);
                }
                (any, until)
            }
            Cond::Not(c) => {
                let (v, u) = c.eval(w, ctx);
                (!v, u)
            }
        }
    }

    /// The kinds of change that can flip the condition without the rule being asked by its
    /// own wake day (tracks, intents and the calendar are covered by `eval`'s until-day).
    pub fn wakes(&self) -> super::Wakes {
        use super::Wakes;
        match self {
            Cond::Status { .. } => Wakes {
                status: true,
                ..Wakes::NONE
            },
            Cond::Level { .. }
            | Cond::AtWar { .. }
            | Cond::NotAtWar { .. }
            | Cond::Struck { .. }
            | Cond::Striking { .. } => Wakes {
                hostilities: true,
                ..Wakes::NONE
            },
            Cond::Happened { .. } => Wakes {
                metrics: true,
                ..Wakes::NONE
            },
            Cond::Track { .. } | Cond::Preparing { .. } | Cond::Date { .. } => Wakes::NONE,
            Cond::All(cs) | Cond::Any(cs) => cs.iter().fold(Wakes::NONE, |w, c| w.or(c.wakes())),
            Cond::Not(c) => c.wakes(),
        }
    }

    /// The pairs whose hostilities the condition reads, and which of their changes, when the
    /// rule evaluates it for the pairs `own`. The engine wakes a sleeping rule for a change
    /// of hostilities only in the pairs its conditions read.
    pub fn pairs(&self, own: &[Ctx], n: usize, out: &mut Vec<PairWatch>) {
        let mut pair = |p: &PairRef| match *p {
            PairRef::Fixed(a, b) => out.push(PairWatch::any(a, b)),
            PairRef::Own => out.extend(own.iter().map(|&(a, b)| PairWatch::any(a, b))),
        };
        // Who struck whom changes only with an act at the condition's level or above.
        let blow = |a, b, level| PairWatch {
            a,
            b,
            min_level: level,
            falls: false,
        };
        match self {
            Cond::Level { pair: p, .. }
            | Cond::AtWar { pair: p, .. }
            | Cond::NotAtWar { pair: p } => pair(p),
            Cond::Struck {
                target, by, level, ..
            } => out.extend(
                (0..n as ActorId)
                    .filter(|&a| has(*by, a))
                    .map(|a| blow(a, *target, *level)),
            ),
            Cond::Striking {
                actor,
                against,
                level,
                ..
            } => out.extend(
                (0..n as ActorId)
                    .filter(|&b| has(*against, b))
                    .map(|b| blow(*actor, b, *level)),
            ),
            Cond::All(cs) | Cond::Any(cs) => cs.iter().for_each(|c| c.pairs(own, n, out)),
            Cond::Not(c) => c.pairs(own, n, out),
            Cond::Status { .. }
            | Cond::Track { .. }
            | Cond::Preparing { .. }
            | Cond::Date { .. }
            | Cond::Happened { .. } => {}
        }
    }

    /// The track values at which the condition may change (the finite bounds of its track
    /// conditions), as (track, value): the engine wakes a sleeping rule on the first day that
    /// starts on the other side of one of them from the day before.
    pub fn thresholds(&self, out: &mut Vec<(TrackId, f64)>) {
        match self {
            Cond::Track { track, lo, hi } => {
                for x in [*lo, *hi] {
                    if x.is_finite() {
                        out.push((*track, x));
                    }
                }
            }
            Cond::All(cs) | Cond::Any(cs) => cs.iter().for_each(|c| c.thresholds(out)),
            Cond::Not(c) => c.thresholds(out),
            _ => {}
        }
    }

    /// Whether the condition reads the event metrics (the engine then keeps them in the world).
    pub fn reads_metrics(&self) -> bool {
        match self {
            Cond::Happened { .. } => true,
            Cond::All(cs) | Cond::Any(cs) => cs.iter().any(Cond::reads_metrics),
            Cond::Not(c) => c.reads_metrics(),
            _ => false,
        }
    }
}

/// A day that counts as recent through `within` days after it (`NO_DAY`: never happened).
fn recent(last: i32, day: u32, within: u32) -> (bool, u32) {
    if last == NO_DAY {
        return (false, NEVER);
    }
    let end = i64::from(last) + i64::from(within);
    if i64::from(day) <= end {
        (true, day_of(end + 1))
    } else {
        (false, NEVER)
    }
}

/// A simulation day from a signed day count: days before the start are today, days past the
/// range of `u32` never come.
fn day_of(d: i64) -> u32 {
    u32::try_from(d.max(0)).unwrap_or(NEVER)
}

/// Names used to describe conditions in words (traces, `brink explain`).
pub struct Names {
    pub actors: Vec<String>,
    pub tracks: Vec<String>,
    pub levels: Vec<String>,
    pub rules: Vec<String>,
    pub events: Vec<String>,
    /// Phase ids of each ceasefire rule, by rule index (empty for other rules).
    pub phases: Vec<Vec<String>>,
    pub start: jiff::civil::Date,
}

impl Names {
    /// The names of a compiled scenario.
    pub fn of(sc: &crate::model::Scenario) -> Names {
        Names {
            actors: sc.actors.iter().map(|a| a.name.clone()).collect(),
            tracks: sc.tracks.iter().map(|t| t.name.clone()).collect(),
            levels: sc.ladder.iter().map(|r| r.id.clone()).collect(),
            rules: sc.rule_ids.clone(),
            events: sc.metrics.events.iter().map(|e| e.id.clone()).collect(),
            phases: sc.phases.clone(),
            start: sc.start_date,
        }
    }
}

impl Cond {
    /// The condition in words, as `brink explain` and traces print it.
    pub fn describe(&self, n: &Names) -> String {
        let actor = |a: ActorId| -> String {
            n.actors
                .get(a as usize)
                .cloned()
                .unwrap_or_else(|| "?".into())
        };
        let set = |s: ActorSet| -> String {
            if s == ActorSet::MAX {
                "anyone".into()
            } else {
                let v: Vec<String> = (0..n.actors.len() as ActorId)
                    .filter(|&a| has(s, a))
                    .map(actor)
                    .collect();
                v.join(" or ")
            }
        };
        let pair = |p: &PairRef| match *p {
            PairRef::Fixed(a, b) => format!("{}–{}", actor(a), actor(b)),
            PairRef::Own => "its own pair".into(),
        };
        let level = |l: Level| n.levels.get(l as usize).cloned().unwrap_or_default();
        let date = |d: i64| {
            n.start
                .checked_add(jiff::Span::new().days(d))
                .map(|x| x.to_string())
                .unwrap_or_else(|_| format!("day {d}"))
        };
        match self {
            Cond::Status { rule, lo, hi } => {
                let id = n.rules.get(*rule as usize).cloned().unwrap_or_default();
                let phases = n.phases.get(*rule as usize).filter(|p| !p.is_empty());
                match phases {
                    None => {
                        let s = ["dormant", "open", "deal"];
                        if lo == hi {
                            format!("talks {id} {}", s.get(*lo as usize).copied().unwrap_or("?"))
                        } else {
                            format!("talks {id} in status {lo}..{hi}")
                        }
                    }
                    Some(ph) => {
                        let name = |i: u32| ph.get(i as usize).cloned().unwrap_or_default();
                        if *lo == COLLAPSED {
                            format!("ceasefire {id} collapsed")
                        } else if *lo == 0 && *hi == COLLAPSED - 1 {
                            format!("ceasefire {id} in force")
                        } else if lo == hi {
                            format!("ceasefire {id} in {}", name(*lo))
                        } else {
                            format!("ceasefire {id} in {} or later", name(*lo))
                        }
                    }
                }
            }
            Cond::Level { pair: p, lo, hi } => {
                let top = n.levels.len().saturating_sub(1) as Level;
                if *hi >= top {
                    format!("{} at {} or above", pair(p), level(*lo))
                } else if *lo == 0 {
                    format!("{} at {} or below", pair(p), level(*hi))
                } else {
                    format!("{} between {} and {}", pair(p), level(*lo), level(*hi))
                }
            }
            Cond::AtWar { pair: p, lo, hi } => match (*lo, *hi) {
                (0, NEVER) => format!("{} at war", pair(p)),
                (lo, NEVER) => format!("{} at war for {lo} days or more", pair(p)),
                (0, hi) => format!("{} at war for {hi} days or fewer", pair(p)),
                (lo, hi) => format!("{} at war for {lo} to {hi} days", pair(p)),
            },
            Cond::NotAtWar { pair: p } => format!("{} not at war", pair(p)),
            Cond::Track { track, lo, hi } => {
                let t = n.tracks.get(*track as usize).cloned().unwrap_or_default();
                match (lo.is_finite(), hi.is_finite()) {
                    (true, true) => format!("{t} in [{lo}, {hi})"),
                    (true, false) => format!("{t} ≥ {lo}"),
                    _ => format!("{t} < {hi}"),
                }
            }
            Cond::Struck {
                target,
                by,
                level: l,
                within,
            } => format!(
                "{} struck by {} at {} or above within {within} days",
                actor(*target),
                set(*by),
                level(*l)
            ),
            Cond::Striking {
                actor: a,
                against,
                level: l,
                within,
            } => format!(
                "{} struck {} at {} or above within {within} days",
                actor(*a),
                set(*against),
                level(*l)
            ),
            Cond::Preparing { actor: a, against } => {
                format!("{} preparing to strike {}", actor(*a), set(*against))
            }
            Cond::Date { from, until } => match (*from == i64::MIN, *until == i64::MAX) {
                (false, false) => format!("from {} to {}", date(*from), date(*until)),
                (false, true) => format!("from {}", date(*from)),
                (true, false) => format!("until {}", date(*until)),
                (true, true) => "always".into(),
            },
            Cond::Happened { event, within } => {
                let e = n.events.get(*event).cloned().unwrap_or_default();
                if *within == NEVER {
                    format!("{e} has happened")
                } else {
                    format!("{e} happened within {within} days")
                }
            }
            Cond::All(cs) => cs
                .iter()
                .map(|c| c.describe(n))
                .collect::<Vec<_>>()
                .join(" and "),
            Cond::Any(cs) => format!(
                "({})",
                cs.iter()
                    .map(|c| c.describe(n))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            Cond::Not(c) => format!("not ({})", c.describe(n)),
        }
    }
}

/// The subjects a condition may have, in the order messages list them.
const SUBJECTS: &[&str] = &[
    "talks",
    "ceasefire",
    "pair",
    "track",
    "struck",
    "striking",
    "preparing",
    "from",
    "happened",
    "all",
    "any",
    "not",
];

/// Compiles a condition at key path `path`. `own` says whether the rule has a pair of its
/// own that pair conditions may leave implicit. Problems are recorded in `b`; the result is
/// then a placeholder that is never evaluated.
pub fn compile(c: &CondConfig, path: &str, own: bool, b: &mut Builder) -> Cond {
    let key = |k: &str| format!("{path}.{k}");
    let pairish = c.pair.is_some()
        || c.level_at_least.is_some()
        || c.level_at_most.is_some()
        || c.at_war.is_some()
        || c.days_at_war_at_least.is_some()
        || c.days_at_war_at_most.is_some();
    let present: Vec<&str> = [
        ("talks", c.talks.is_some()),
        ("ceasefire", c.ceasefire.is_some()),
        ("pair", pairish),
        ("track", c.track.is_some()),
        ("struck", c.struck.is_some()),
        ("striking", c.striking.is_some()),
        ("preparing", c.preparing.is_some()),
        ("from", c.from.is_some() || c.until.is_some()),
        ("happened", c.happened.is_some()),
        ("all", c.all.is_some()),
        ("any", c.any.is_some()),
        ("not", c.not.is_some()),
    ]
    .iter()
    .filter(|(_, on)| *on)
    .map(|(k, _)| *k)
    .collect();
    let placeholder = Cond::All(Vec::new());
    if present.len() != 1 {
        let found = if present.is_empty() {
            "none".to_string()
        } else {
            present.join(" and ")
        };
        b.error_help(
            path,
            format!("a condition looks at exactly one thing; found {found}"),
            format!(
                "start it with one of: {}; combine several with all = [...] or any = [...]",
                SUBJECTS.join(", ")
            ),
        );
        return placeholder;
    }
    let subject = present[0];
    // Keys that belong to another subject.
    let allowed: &[&str] = match subject {
        "talks" => &["status"],
        "ceasefire" => &["in_force", "phase", "phase_at_least"],
        "pair" => &[],
        "track" => &["at_least", "below"],
        "struck" => &["by", "min_level", "within_days"],
        "striking" => &["against", "min_level", "within_days"],
        "preparing" => &["against"],
        "happened" => &["within_days"],
        _ => &[],
    };
    let predicates = [
        ("status", c.status.is_some()),
        ("in_force", c.in_force.is_some()),
        ("phase", c.phase.is_some()),
        ("phase_at_least", c.phase_at_least.is_some()),
        ("at_least", c.at_least.is_some()),
        ("below", c.below.is_some()),
        ("by", c.by.is_some()),
        ("against", c.against.is_some()),
        ("min_level", c.min_level.is_some()),
        ("within_days", c.within_days.is_some()),
    ];
    let mut bad = false;
    for (k, on) in predicates {
        if on && !allowed.contains(&k) {
            bad = true;
            let owner = match k {
                "status" => "talks",
                "in_force" | "phase" | "phase_at_least" => "ceasefire",
                "at_least" | "below" => "track",
                "by" => "struck",
                "against" => "striking or preparing",
                "min_level" => "struck or striking",
                _ => "struck, striking or happened",
            };
            b.error_help(
                key(k),
                format!("`{k}` does not go with `{subject}`"),
                format!("`{k}` belongs to a `{owner}` condition"),
            );
        }
    }
    if bad {
        return placeholder;
    }
    let actor_set = |b: &mut Builder, k: &str, list: &Option<Vec<String>>| -> ActorSet {
        match list {
            None => ActorSet::MAX,
            Some(v) if v.is_empty() => {
                b.error_help(
                    key(k),
                    format!("`{k}` names no actor"),
                    format!("leave `{k}` out to mean anyone"),
                );
                ActorSet::MAX
            }
            Some(v) => b
                .actors(&key(k), v)
                .iter()
                .fold(0, |s, &a| if a < 64 { s | (1 << a) } else { s }),
        }
    };
    let min_level = |b: &mut Builder, l: &Option<String>| -> Level {
        match l {
            Some(l) => b.level(&key("min_level"), l),
            None => 1,
        }
    };
    let within = |b: &mut Builder, required: bool| -> u32 {
        match c.within_days {
            Some(n) => n,
            None if required => {
                b.error_help(
                    path,
                    format!("a `{subject}` condition needs `within_days`"),
                    "say how recent the act must be, e.g. within_days = 30",
                );
                0
            }
            None => NEVER,
        }
    };
    match subject {
        "talks" => {
            let name = c.talks.as_deref().unwrap_or_default();
            let rule = b.rule(&key("talks"), name, Some("negotiation"));
            let status = c.status.as_deref().unwrap_or("open");
            let v = match status {
                "dormant" => 0,
                "open" => 1,
                "deal" => 2,
                other => {
                    b.error_help(
                        key("status"),
                        format!("unknown talks status `{other}`"),
                        suggest(other, &["dormant", "open", "deal"]),
                    );
                    1
                }
            };
            Cond::Status { rule, lo: v, hi: v }
        }
        "ceasefire" => {
            let name = c.ceasefire.as_deref().unwrap_or_default();
            let rule = b.rule(&key("ceasefire"), name, Some("ceasefire"));
            let phases = b.phases.get(name).cloned().unwrap_or_default();
            let find = |b: &mut Builder, k: &str, p: &str| -> u32 {
                match phases.iter().position(|x| x == p) {
                    Some(i) => i as u32,
                    None => {
                        let names: Vec<&str> = phases.iter().map(String::as_str).collect();
                        b.error_help(
                            key(k),
                            format!("ceasefire `{name}` has no phase `{p}`"),
                            suggest(p, &names),
                        );
                        0
                    }
                }
            };
            let chosen = [
                c.in_force.is_some(),
                c.phase.is_some(),
                c.phase_at_least.is_some(),
            ]
            .iter()
            .filter(|x| **x)
            .count();
            if chosen > 1 {
                b.error(
                    path,
                    "give one of `in_force`, `phase` or `phase_at_least` (a phase implies in force)",
                );
            }
            if let Some(p) = &c.phase {
                let i = find(b, "phase", p);
                Cond::Status { rule, lo: i, hi: i }
            } else if let Some(p) = &c.phase_at_least {
                let i = find(b, "phase_at_least", p);
                Cond::Status {
                    rule,
                    lo: i,
                    hi: COLLAPSED - 1,
                }
            } else if c.in_force == Some(false) {
                Cond::Status {
                    rule,
                    lo: COLLAPSED,
                    hi: COLLAPSED,
                }
            } else {
                Cond::Status {
                    rule,
                    lo: 0,
                    hi: COLLAPSED - 1,
                }
            }
        }
        "pair" => {
            let p = match &c.pair {
                Some(list) => match b.pair(&key("pair"), list, "a condition's `pair`") {
                    Some([x, y]) => PairRef::Fixed(x, y),
                    None => return placeholder,
                },
                None if own => PairRef::Own,
                None => {
                    b.error_help(
                        path,
                        "this rule has no pair of its own, so the condition must name one",
                        "add pair = [\"a\", \"b\"]",
                    );
                    return placeholder;
                }
            };
            let mut parts = Vec::new();
            if c.level_at_least.is_some() || c.level_at_most.is_some() {
                let top = b.levels.len().saturating_sub(1) as Level;
                let lo = c
                    .level_at_least
                    .as_ref()
                    .map_or(0, |l| b.level(&key("level_at_least"), l));
                let hi = c
                    .level_at_most
                    .as_ref()
                    .map_or(top, |l| b.level(&key("level_at_most"), l));
                if lo > hi {
                    b.error(
                        key("level_at_most"),
                        "`level_at_most` is below `level_at_least`: the condition never holds",
                    );
                }
                parts.push(Cond::Level { pair: p, lo, hi });
            }
            match c.at_war {
                Some(false) => {
                    if c.days_at_war_at_least.is_some() || c.days_at_war_at_most.is_some() {
                        b.error(
                            key("at_war"),
                            "`at_war = false` cannot go with a number of days at war",
                        );
                    }
                    parts.push(Cond::NotAtWar { pair: p });
                }
                _ => {
                    if c.at_war == Some(true)
                        || c.days_at_war_at_least.is_some()
                        || c.days_at_war_at_most.is_some()
                    {
                        let lo = c.days_at_war_at_least.unwrap_or(0);
                        let hi = c.days_at_war_at_most.unwrap_or(NEVER);
                        if lo > hi {
                            b.error(
                                key("days_at_war_at_most"),
                                "`days_at_war_at_most` is below `days_at_war_at_least`",
                            );
                        }
                        parts.push(Cond::AtWar { pair: p, lo, hi });
                    }
                }
            }
            if parts.is_empty() {
                b.error_help(
                    path,
                    "a pair condition needs something to check",
                    "add level_at_least, level_at_most, at_war, days_at_war_at_least or \
                     days_at_war_at_most",
                );
                return placeholder;
            }
            if parts.len() == 1 {
                parts.pop().unwrap_or(placeholder)
            } else {
                Cond::All(parts)
            }
        }
        "track" => {
            let track = b.track(&key("track"), c.track.as_deref().unwrap_or_default());
            if c.at_least.is_none() && c.below.is_none() {
                b.error_help(
                    path,
                    "a track condition needs `at_least` or `below` (or both)",
                    "e.g. { track = \"stock\", below = 0.3 }",
                );
            }
            let lo = c.at_least.unwrap_or(f64::NEG_INFINITY);
            let hi = c.below.unwrap_or(f64::INFINITY);
            if lo >= hi {
                b.error(
                    key("below"),
                    format!("`below` ({hi}) must be above `at_least` ({lo})"),
                );
            }
            Cond::Track { track, lo, hi }
        }
        "struck" => {
            let target = b.actor(&key("struck"), c.struck.as_deref().unwrap_or_default());
            Cond::Struck {
                target,
                by: actor_set(b, "by", &c.by),
                level: min_level(b, &c.min_level),
                within: within(b, true),
            }
        }
        "striking" => {
            let actor = b.actor(&key("striking"), c.striking.as_deref().unwrap_or_default());
            Cond::Striking {
                actor,
                against: actor_set(b, "against", &c.against),
                level: min_level(b, &c.min_level),
                within: within(b, true),
            }
        }
        "preparing" => {
            let actor = b.actor(
                &key("preparing"),
                c.preparing.as_deref().unwrap_or_default(),
            );
            Cond::Preparing {
                actor,
                against: actor_set(b, "against", &c.against),
            }
        }
        "from" => {
            let from = c
                .from
                .as_ref()
                .and_then(|d| b.day_offset(&key("from"), d))
                .unwrap_or(i64::MIN);
            let until = c
                .until
                .as_ref()
                .and_then(|d| b.day_offset(&key("until"), d))
                .unwrap_or(i64::MAX);
            if from > until {
                b.error(key("until"), "`until` comes before `from`");
            }
            Cond::Date { from, until }
        }
        "happened" => {
            let name = c.happened.as_deref().unwrap_or_default();
            let event = match b.event_metrics.iter().position(|e| e == name) {
                Some(i) => i,
                None => {
                    let names: Vec<&str> = b.event_metrics.iter().map(String::as_str).collect();
                    b.error_help(
                        key("happened"),
                        format!("`{name}` is not an event metric of this scenario"),
                        suggest(name, &names),
                    );
                    0
                }
            };
            Cond::Happened {
                event,
                within: within(b, false),
            }
        }
        "all" | "any" => {
            let list = if subject == "all" { &c.all } else { &c.any };
            let list = list.as_deref().unwrap_or_default();
            if list.is_empty() {
                b.error(
                    key(subject),
                    format!("`{subject}` needs at least one condition"),
                );
                return placeholder;
            }
            let cs = list
                .iter()
                .enumerate()
                .map(|(i, x)| compile(x, &format!("{path}.{subject}[{i}]"), own, b))
                .collect();
            if subject == "all" {
                Cond::All(cs)
            } else {
                Cond::Any(cs)
            }
        }
        _ => {
            let inner = c.not.as_deref().cloned().unwrap_or_default();
            Cond::Not(Box::new(compile(&inner, &key("not"), own, b)))
        }
    }
}
