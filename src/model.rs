//! The compiled scenario and the vocabulary the engine and rules share: acts, notes, effects and
//! the per-run world state.
//!
//! Everything here is plain data. A `Scenario` is built once from a file by `scenario::compile`
//! and is immutable afterwards; a `World` is one run's mutable state, owned by the engine and
//! shown read-only to rules, which answer with `Effect`s that the engine applies.

use crate::rules::Rule;
use crate::scenario::dist::Dist;

pub type ActorId = u8;
pub type TrackId = u16;
pub type RuleIdx = u16;
pub type ParamId = u32;
/// Index into the escalation ladder; 0 is the bottom rung (calm).
pub type Level = u8;

/// Sentinel for "never happened".
pub const NEVER: u32 = u32::MAX;

/// Sentinel actor for notes that concern no actor (scheduled events).
pub const NO_ACTOR: ActorId = ActorId::MAX;

/// Sentinel rule for notes no rule issued (a war that ended because nobody acted for
/// `quiet_days_to_end_war` days).
pub const NO_RULE: RuleIdx = RuleIdx::MAX;

#[derive(Clone, Debug)]
pub struct Actor {
    pub id: String,
    pub name: String,
    pub allies: Vec<ActorId>,
    pub source: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Track {
    pub id: String,
    pub name: String,
    pub initial: ParamId,
    pub drift: ParamId,
    pub noise: ParamId,
    pub min: f64,
    pub max: f64,
    pub source: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Rung {
    pub id: String,
    pub name: String,
    /// Correlates of War MID hostility level, 1..=5.
    pub mid: u8,
}

/// A file a scenario was read from, as manifests list it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceFile {
    /// The path as shown to the user.
    pub path: String,
    /// SHA-256 of the file's text, in hex.
    pub sha256: String,
}

/// One numeric parameter of the scenario, fixed or uncertain, drawn once per run.
#[derive(Clone, Debug)]
pub struct ParamSpec {
    /// The parameter's key path in the scenario file, e.g. `rules.us_red_line.threshold`.
    pub path: String,
    pub dist: Dist,
    /// How a range in words (`"5 to 10"`) was read, e.g. "5 to 10 read as lognormal, 90% in
    /// [5, 10], median 7.07"; None for a parameter written otherwise.
    pub reading: Option<String>,
}

/// A hostile act: somebody did something to somebody at some rung of the ladder.
#[derive(Clone, Copy, Debug)]
pub struct Act {
    pub actor: ActorId,
    pub target: ActorId,
    pub level: Level,
    pub rule: RuleIdx,
    pub form: Form,
    /// The day of the event this act answers (retaliation), or the day it was decided.
    pub trigger_day: u32,
    pub why: Why,
}

/// What kind of act it was, for metrics and traces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// A deliberate strike (red line crossed).
    Strike,
    /// A partner joining a strike it consented to.
    JointStrike,
    /// A pre-emptive strike; `justified` when the other side really was preparing.
    Preemptive { justified: bool },
    /// An answer to being struck.
    Retaliation { token: bool },
    /// A proxy joining its patron's answer.
    Proxy,
    /// A ceasefire violation.
    Violation,
    /// Resumed operations after an agreement failed.
    Enforcement,
}

impl Form {
    pub fn name(self) -> &'static str {
        match self {
            Form::Strike => "strike",
            Form::JointStrike => "joint_strike",
            Form::Preemptive { justified: true } => "preemptive_strike",
            Form::Preemptive { justified: false } => "preemptive_strike_false_alarm",
            Form::Retaliation { token: false } => "retaliation",
            Form::Retaliation { token: true } => "token_retaliation",
            Form::Proxy => "proxy_attack",
            Form::Violation => "ceasefire_violation",
            Form::Enforcement => "resumed_operations",
        }
    }
}

/// A probability as a rule used it, with how it came about, so a trace can show the
/// arithmetic ("daily probability 0.004 × 2 (talks open) = 0.008"). Copy, so acts never
/// allocate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Odds {
    /// The probability used.
    pub p: f64,
    /// The parameter's own value, before any modifier.
    pub base: f64,
    /// Bit i is set when modifier i of the hazard applied.
    pub applied: u32,
    /// Which hazard of the rule (an index into `Rule::hazards`), to name its modifiers.
    pub hazard: u8,
    /// Any further factor outside the modifiers (negotiation restraint, a scheduled scaling);
    /// 1 when there is none.
    pub other: f64,
}

impl Odds {
    /// A probability with no modifier and no other factor.
    pub fn plain(p: f64) -> Odds {
        Odds {
            p,
            base: p,
            applied: 0,
            hazard: 0,
            other: 1.0,
        }
    }
}

/// Why a rule acted: the numbers behind the decision, kept for traces. Copy, so acts never
/// allocate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Why {
    None,
    /// Perceived track value against the threshold, and the daily probability of resolving to
    /// act. There is no single draw to show: the days of resolve are drawn as geometric gaps.
    Threshold {
        track: TrackId,
        perceived: f64,
        threshold: f64,
        odds: Odds,
    },
    /// Perceived threat signal against the pre-emption threshold.
    Signal {
        signal: f64,
        threshold: f64,
        odds: Odds,
        draw: f64,
    },
    /// Probability and, where the event was one chance drawn on the day, its draw
    /// (retaliation, collapse, enforcement). A ceasefire violation or a decision has none:
    /// their days are drawn as geometric gaps.
    Chance {
        odds: Odds,
        draw: Option<f64>,
    },
}

/// Something that happened that is not a hostile act.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Note {
    pub kind: NoteKind,
    pub rule: RuleIdx,
    pub a: ActorId,
    pub b: ActorId,
    /// Phase index for `Phase`; duration in days for `WarEnded`; otherwise 0.
    pub value: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteKind {
    /// An agreement entered a new phase.
    Phase,
    /// An agreement collapsed.
    Collapse,
    /// A condition of an agreement was missed at its deadline.
    ConditionMissed,
    /// A negotiation channel opened.
    TalksOpen,
    /// A negotiation channel closed.
    TalksClosed,
    /// A negotiation produced a deal.
    Deal,
    /// A consenting actor refused to approve a strike.
    ConsentDenied,
    /// An ambiguous event (an exercise) raised a watcher's threat signal.
    Ambiguous,
    /// A scheduled event took place.
    Scheduled,
    /// Hostilities between two actors stopped.
    WarEnded,
    /// An actor took a decision that is not a hostile act (a policy move: say, a breakout).
    Decision,
    /// A prepared strike was called off because peace took hold between the two sides.
    PlanAborted,
    /// A deal broke down.
    DealBroken,
}

impl NoteKind {
    pub const ALL: [NoteKind; 13] = [
        NoteKind::Phase,
        NoteKind::Collapse,
        NoteKind::ConditionMissed,
        NoteKind::TalksOpen,
        NoteKind::TalksClosed,
        NoteKind::Deal,
        NoteKind::ConsentDenied,
        NoteKind::Ambiguous,
        NoteKind::Scheduled,
        NoteKind::WarEnded,
        NoteKind::Decision,
        NoteKind::PlanAborted,
        NoteKind::DealBroken,
    ];

    pub fn name(self) -> &'static str {
        match self {
            NoteKind::Phase => "phase",
            NoteKind::Collapse => "collapse",
            NoteKind::ConditionMissed => "condition_missed",
            NoteKind::TalksOpen => "talks_open",
            NoteKind::TalksClosed => "talks_closed",
            NoteKind::Deal => "deal",
            NoteKind::ConsentDenied => "consent_denied",
            NoteKind::Ambiguous => "ambiguous_event",
            NoteKind::Scheduled => "scheduled",
            NoteKind::WarEnded => "war_ended",
            NoteKind::Decision => "decision",
            NoteKind::PlanAborted => "plan_aborted",
            NoteKind::DealBroken => "deal_broken",
        }
    }
}

/// A command one rule sends another (scheduled events steering agreements and channels).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Command {
    SetPhase(u8),
    OpenChannel,
}

/// What a rule asks the engine to do. Effects of one wave are applied together after every rule
/// has decided, and every effect commutes with the others of its wave except where noted, so the
/// order of rules cannot favour anyone.
#[derive(Clone, Copy, Debug)]
pub enum Effect {
    Act(Act),
    Note(Note),
    /// `actor` is preparing to strike `target`; visible to watchers from the next day.
    Intent {
        actor: ActorId,
        target: ActorId,
    },
    /// Set a track back by a fraction of its distance above its minimum.
    Setback {
        track: TrackId,
        fraction: f64,
    },
    /// Add to a track's value (clamped to its bounds).
    Shift {
        track: TrackId,
        by: f64,
    },
    /// Scale a track's distance above its minimum by `factor` (clamped to its bounds).
    Scale {
        track: TrackId,
        factor: f64,
    },
    /// Stop a track's dynamics (until `Unfreeze`).
    Freeze {
        track: TrackId,
    },
    /// Restart a frozen track's dynamics.
    Unfreeze {
        track: TrackId,
    },
    /// Replace a track's drift (None restores its own). Last writer in rule-id order wins.
    SetDrift {
        track: TrackId,
        drift: Option<f64>,
    },
    /// Multiply hostile hazards from `actor` against `target` by `factor` tomorrow.
    Restrain {
        actor: ActorId,
        target: ActorId,
        factor: f64,
    },
    /// Hostilities between a and b stop, by the termination rule `rule`.
    EndWar {
        a: ActorId,
        b: ActorId,
        rule: RuleIdx,
    },
    /// Multiply every hazard of rule `rule` by `factor` from now on.
    ScaleHazard {
        rule: RuleIdx,
        factor: f64,
    },
    /// Deliver a command to another rule.
    Command {
        rule: RuleIdx,
        command: Command,
    },
    /// A rule's public status changed (talks opened, a ceasefire entered a phase or collapsed):
    /// what conditions read. Wakes every rule.
    Status {
        rule: RuleIdx,
        value: u32,
    },
    /// An agreement between a and b took effect: plans to strike between them are called off.
    Accord {
        a: ActorId,
        b: ActorId,
    },
}

/// A theatre: a group of actors whose wars are ended together or fizzle out alike.
#[derive(Clone, Debug)]
pub struct Theatre {
    pub id: String,
    pub name: String,
    pub actors: Vec<ActorId>,
    /// Its pairs: every pair of `actors` it names, and the `pairs` it lists.
    pub pairs: Vec<(ActorId, ActorId)>,
    /// The per-run parameter: days without an act after which a war between two of its actors
    /// ends (None: never).
    pub quiet_days: Option<ParamId>,
    pub source: Option<String>,
}

/// A pair's hostilities at the start, from `[initial]`.
#[derive(Clone, Copy, Debug)]
pub struct InitialLevel {
    pub a: ActorId,
    pub b: ActorId,
    pub level: Level,
    /// Day the pair reached this level (negative: before the start).
    pub since: i32,
    /// Day of the last act between them (negative: before the start).
    pub last_act: i32,
}

/// An act before (or on) the start day, from `[initial]`: it shapes the starting state and
/// pledges answer it, but it is not an event of the run.
#[derive(Clone, Copy, Debug)]
pub struct HistoryAct {
    pub act: Act,
    /// Day it happened (negative: before the start).
    pub day: i32,
}

/// The state of the crisis at the start.
#[derive(Clone, Debug, Default)]
pub struct Initial {
    pub levels: Vec<InitialLevel>,
    pub acts: Vec<HistoryAct>,
}

/// The compiled scenario: immutable, shared by every run.
pub struct Scenario {
    pub name: String,
    pub title: String,
    pub description: String,
    /// What the scenario's authors knew, as of this date (`[scenario] as_of`).
    pub as_of: Option<jiff::civil::Date>,
    pub start_date: jiff::civil::Date,
    pub horizon: u32,
    pub default_seed: u64,
    pub default_runs: u64,
    /// Hostilities at this rung or above count as war (war_days, war_duration_days).
    pub war_level: Level,
    /// `[a * n + b]`: whether hostilities between a and b count towards the war metrics.
    pub war_pairs: Vec<bool>,
    /// Dyads below war level fall back to calm after this many days without an act.
    /// The per-run parameter holding `calm_after_days`.
    pub calm_after_days: ParamId,
    /// `[a * n + b]`: the per-run parameter holding the days without an act after which a war
    /// between a and b ends (from their theatre, or `quiet_days_to_end_war`), or None.
    pub quiet_days: Vec<Option<ParamId>>,
    pub theatres: Vec<Theatre>,
    pub initial: Initial,
    /// Whether some condition reads event metrics (the engine then keeps them in the world).
    pub reads_metrics: bool,
    pub actors: Vec<Actor>,
    pub tracks: Vec<Track>,
    pub ladder: Vec<Rung>,
    pub params: Vec<ParamSpec>,
    /// How each range in words (`"5 to 10"`) was read, by key path: per-run parameters (also
    /// in `ParamSpec::reading`) and per-event distributions and day counts.
    pub readings: Vec<(String, String)>,
    /// The files the scenario was read from: the scenario first, then any it extends
    /// (`scenario::compose`); one entry with the parsed text's checksum when parsed directly.
    pub sources: Vec<SourceFile>,
    /// Groups of parameters drawn with rank correlation (`[[correlations]]`).
    pub correlations: Vec<crate::scenario::correlation::CorrelationGroup>,
    pub rule_ids: Vec<String>,
    pub rules: Vec<Box<dyn Rule>>,
    /// Phase ids of each ceasefire rule, by rule index (empty for other rules).
    pub phases: Vec<Vec<String>>,
    pub metrics: crate::metrics::Metrics,
}

impl Scenario {
    pub fn n_actors(&self) -> usize {
        self.actors.len()
    }

    /// Calendar date of a simulation day (day 0 is the start date).
    pub fn date(&self, day: u32) -> jiff::civil::Date {
        self.start_date
            .checked_add(jiff::Span::new().days(i64::from(day)))
            .unwrap_or(jiff::civil::Date::MAX)
    }

    /// How the range in words at `path` was read, if it was written as one.
    pub fn reading(&self, path: &str) -> Option<&str> {
        self.readings
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, r)| r.as_str())
    }

    /// Ids of the uncertain parameters, i.e. those not fixed to a single value.
    pub fn uncertain_params(&self) -> impl Iterator<Item = (usize, &ParamSpec)> {
        self.params
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.dist.is_fixed())
    }
}

/// One run's state at the start of a day, as every rule sees it.
#[derive(Clone, Debug)]
pub struct World {
    pub day: u32,
    pub n: usize,
    /// Parameter values drawn for this run, indexed by ParamId.
    pub params: Vec<f64>,
    pub tracks: Vec<f64>,
    /// Track values at the start of each day so far: `[day * n_tracks + track]`.
    pub track_history: Vec<f64>,
    /// Current hostility level of each pair, symmetric: `[a * n + b]`.
    pub level: Vec<Level>,
    /// Incremented each time a pair's hostilities end, so stale reactions can be dropped.
    pub epoch: Vec<u32>,
    /// `intent[a * n + b]`: a was preparing to strike b, as known at the start of today.
    pub intent: Vec<bool>,
    /// Whether any entry of `intent` is set: on most days nobody is preparing a strike.
    pub any_intent: bool,
    /// Multiplier on a's hostile hazards against b (open negotiation channels).
    pub restraint: Vec<f64>,
    /// Per-rule hazard multiplier (scheduled events).
    pub scale: Vec<f64>,
    /// Number of entries of `level` above calm (each hostile pair counts twice): zero on a
    /// calm day, which lets the engine and rules skip work.
    pub hostile_pairs: u32,
    /// Day hostilities between a pair last ended, or NEVER: blows that land on that day go
    /// unanswered, since the ceasefire takes hold.
    pub ended: Vec<u32>,
    /// Day an agreement between a pair last took effect (a mediated end of hostilities, a
    /// deal), or NEVER: strikes planned before it are called off.
    pub accord: Vec<u32>,
    /// Day a pair's hostilities reached war level (negative for a war under way before the
    /// start), or `NO_DAY` while it is below war level.
    pub war_start: Vec<i32>,
    /// Counts the pair's episodes of hostilities: it goes up each time the pair's level rises
    /// from calm, so a pledge that decides once per war knows a new war from an old one.
    pub episode: Vec<u32>,
    /// `last_hit[(a * n + b) * rungs + l]`: the last day an act by a against b at rung l or
    /// above took effect (negative for acts before the start), or `NO_DAY` (what `struck` and
    /// `striking` conditions read).
    pub last_hit: Vec<i32>,
    /// Number of ladder rungs (the stride of `last_hit`).
    pub rungs: usize,
    /// Each rule's public status (negotiation: 0 dormant, 1 open, 2 deal; ceasefire: the
    /// phase index, or `COLLAPSED`); 0 for rules with none.
    pub status: Vec<u32>,
    /// First and last day each event metric happened so far, or NEVER (what `happened`
    /// conditions read). Kept only when some condition reads them.
    pub happened_first: Vec<u32>,
    pub happened_last: Vec<u32>,
}

/// "No such day" for the signed day fields of `World` (days before the start are negative).
pub const NO_DAY: i32 = i32::MIN;

/// A ceasefire's status once it has collapsed.
pub const COLLAPSED: u32 = u32::MAX;

impl World {
    #[inline]
    pub fn p(&self, id: ParamId) -> f64 {
        self.params[id as usize]
    }
    #[inline]
    pub fn level(&self, a: ActorId, b: ActorId) -> Level {
        self.level[a as usize * self.n + b as usize]
    }
    #[inline]
    pub fn ended(&self, a: ActorId, b: ActorId) -> u32 {
        self.ended[a as usize * self.n + b as usize]
    }
    #[inline]
    pub fn epoch(&self, a: ActorId, b: ActorId) -> u32 {
        self.epoch[a as usize * self.n + b as usize]
    }
    #[inline]
    pub fn intent(&self, a: ActorId, b: ActorId) -> bool {
        self.intent[a as usize * self.n + b as usize]
    }
    #[inline]
    pub fn restraint(&self, a: ActorId, b: ActorId) -> f64 {
        self.restraint[a as usize * self.n + b as usize]
    }
    #[inline]
    pub fn war_start(&self, a: ActorId, b: ActorId) -> i32 {
        self.war_start[a as usize * self.n + b as usize]
    }
    #[inline]
    pub fn accord(&self, a: ActorId, b: ActorId) -> u32 {
        self.accord[a as usize * self.n + b as usize]
    }
    #[inline]
    pub fn episode(&self, a: ActorId, b: ActorId) -> u32 {
        self.episode[a as usize * self.n + b as usize]
    }
    /// The last day an act by `a` against `b` at rung `level` or above took effect.
    #[inline]
    pub fn last_hit(&self, a: ActorId, b: ActorId, level: Level) -> i32 {
        self.last_hit[(a as usize * self.n + b as usize) * self.rungs + level as usize]
    }
    /// A track's value `lag` days ago (its initial value before day 0).
    #[inline]
    pub fn track_lagged(&self, track: TrackId, lag: u32) -> f64 {
        let nt = self.tracks.len();
        let day = self.day.saturating_sub(lag) as usize;
        self.track_history[day * nt + track as usize]
    }
}
