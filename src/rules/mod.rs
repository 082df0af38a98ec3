//! Decision rules: one module per kind, all behind the `Rule` trait.
//!
//! A rule is compiled once from its scenario table (`compile`), cloned into each worker, and
//! reset at the start of every run (`begin_run`). Each day it looks at the `World` as it stood at
//! the start of the day and answers with `Effect`s; it never mutates the world itself.
//!
//! Adding a kind means one new file here and one line in `KINDS`: the file's `KIND` entry
//! carries the compiler, the JSON Schema of its table and its one-line summary, from which the
//! loader, `brink schema`, `brink explain` and the documentation checks all read. What every
//! kind shares lives beside the kinds: `condition` and `hazard` (modifiers that make any
//! probability depend on the state of the crisis) and `strike` (consent, preparation, plans
//! called off by peace, setbacks and track actions).

use std::fmt::Debug;

use crate::model::{Act, ActorId, Command, Effect, Level, NEVER, Note, RuleIdx, TrackId, World};
use crate::rng::Rng;
use crate::scenario::build::{Builder, RuleTable};

pub mod ceasefire;
pub mod condition;
pub mod decision;
pub mod effect;
pub mod hazard;
pub mod negotiation;
pub mod preemption;
pub mod red_line;
pub mod retaliation;
pub mod scheduled;
pub mod strike;
pub mod termination;

/// A decision rule's behaviour within one run. Implementations keep their per-run state in
/// `self`; the engine clones the compiled prototype once per worker and calls `begin_run`
/// before every run, so nothing is allocated per simulated day.
pub trait Rule: Send + Sync + Debug {
    /// The kind's name as written in scenario files (`red_line`, ...).
    fn kind(&self) -> &'static str;

    /// Resets per-run state. Parameters for this run are already drawn into `world.params`.
    fn begin_run(&mut self, world: &World, rng: &mut Rng);

    /// Decides today's actions from the start-of-day world, and says when it next needs to be
    /// asked (see `Wake`).
    fn decide(&mut self, world: &World, rng: &mut Rng, out: &mut Vec<Effect>) -> Wake;

    /// Sees the acts that just took effect. With `same_day` the rule may answer today (its acts
    /// take effect in today's second wave); otherwise any answer must wait for a later day.
    /// Returns when the rule must next be asked to decide because of what it saw (a queued
    /// answer to deliver), or `Wake::Woken` if that changes nothing. Only rules whose
    /// `reacts` is true are shown acts.
    fn react(
        &mut self,
        _acts: &[Act],
        _same_day: bool,
        _world: &World,
        _rng: &mut Rng,
        _out: &mut Vec<Effect>,
    ) -> Wake {
        Wake::Woken
    }

    /// Whether `react` does anything: the engine shows acts only to rules that react.
    fn reacts(&self) -> bool {
        false
    }

    /// Whether an act by `actor` against `target` at `level` can concern `react`. The engine
    /// shows a wave's acts only to the reacting rules that at least one of them concerns, so
    /// this must be true unless `react`, shown only acts for which it is false, would draw
    /// nothing, emit nothing, change none of the rule's state and ask for no earlier wake-up
    /// than the rule already has. True when in doubt.
    fn reacts_to(&self, _actor: ActorId, _target: ActorId, _level: Level) -> bool {
        true
    }

    /// What, besides its own wake day, may give this rule something to decide while it sleeps;
    /// the engine wakes it when one of those happens (see `Wake`).
    fn wakes(&self) -> Wakes {
        Wakes::ALL
    }

    /// The pairs whose hostilities its decisions read, and which of their changes concern
    /// it, when it can name them: a rule that `Wakes::hostilities` is then woken only by those
    /// changes (in a scenario of `n` actors). `None`, the default: any change in any pair.
    fn hostility_pairs(&self, _n: usize) -> Option<Vec<PairWatch>> {
        None
    }

    /// The ordered pairs (a, b) whose intents (a seen preparing to strike b) the rule's sleep
    /// assumes absent: an intent of one of them wakes it on the day it becomes visible.
    fn intent_pairs(&self) -> Vec<(ActorId, ActorId)> {
        Vec::new()
    }

    /// The pairs whose agreements (`World::accord`) the rule's sleep assumes unchanged: an
    /// agreement between them, or the end of their hostilities, wakes it the next day.
    fn accord_pairs(&self) -> Vec<(ActorId, ActorId)> {
        Vec::new()
    }

    /// The track values at which its decisions may change, as (track, value): the engine
    /// wakes it on the first day that starts on the other side of one of them from the day
    /// before. By default the bounds of its hazards' track conditions (`Cond::thresholds`).
    fn thresholds(&self, out: &mut Vec<(TrackId, f64)>) {
        for h in self.hazards() {
            h.thresholds(out);
        }
    }

    /// Sees the acts of the scenario's history (`[initial]` acts dated up to the start), on
    /// the first day before anything else happens. Only pledges answer them; their other
    /// consequences are part of the starting state.
    fn answer_history(
        &mut self,
        _acts: &[Act],
        _world: &World,
        _rng: &mut Rng,
        _out: &mut Vec<Effect>,
    ) {
    }

    /// Receives a command from another rule (a scheduled event).
    fn command(&mut self, _command: Command, _world: &World, _out: &mut Vec<Effect>) {}

    /// Turns a command named in a scenario into one this rule understands.
    fn resolve_command(&self, spec: &CommandSpec) -> Result<Command, String> {
        Err(format!(
            "a {} rule accepts no {} command",
            self.kind(),
            spec.name()
        ))
    }

    /// Commands this rule will send, for the linker to resolve: (key path, target rule, spec).
    fn command_specs(&self) -> Vec<(String, RuleIdx, CommandSpec)> {
        Vec::new()
    }

    /// Receives the resolved commands, in the order `command_specs` gave them.
    fn set_commands(&mut self, _commands: Vec<Command>) {}

    /// A name for a note's `value` (a phase or condition id), for traces.
    fn note_label(&self, _note: &Note) -> Option<&str> {
        None
    }

    /// Names of the boolean daily states this rule reports (e.g. `gaza_ceasefire_in_force`).
    fn state_names(&self) -> Vec<String> {
        Vec::new()
    }

    /// Writes today's states, in `state_names` order.
    fn states(&self, _out: &mut [bool]) {}

    /// The rule's hazards with their modifiers, in the order `Odds::hazard` indexes them
    /// (traces name the modifiers that applied; `brink explain` lists them).
    fn hazards(&self) -> Vec<&hazard::Hazard> {
        Vec::new()
    }

    /// The rule's public status once `begin_run` has set up the run (talks open, a
    /// ceasefire's phase), which conditions read through `World::status`. Later changes are
    /// announced with `Effect::Status`.
    fn status(&self) -> u32 {
        0
    }

    /// The scenario's claim ids or citation for this rule.
    fn source(&self) -> Option<&str>;

    fn box_clone(&self) -> Box<dyn Rule>;
}

impl Clone for Box<dyn Rule> {
    fn clone(&self) -> Self {
        self.box_clone()
    }
}

/// A command as written in a scenario, before it is resolved against its target.
#[derive(Clone, Debug)]
pub enum CommandSpec {
    SetPhase(String),
    OpenChannel,
}

impl CommandSpec {
    pub fn name(&self) -> &'static str {
        match self {
            CommandSpec::SetPhase(_) => "set_phase",
            CommandSpec::OpenChannel => "open_channel",
        }
    }
}

/// The changes of the world that can wake a sleeping rule (`Rule::wakes`): a rule is woken by
/// the kinds of change its decisions read, and by no other.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Wakes {
    /// Hostilities moving: an act taking effect, hostilities ended, a level falling back.
    pub hostilities: bool,
    /// A rule's public status changing (talks, a ceasefire's phase).
    pub status: bool,
    /// The restraint between two actors changing.
    pub restraint: bool,
    /// An event metric recording an occurrence (for conditions that read them).
    pub metrics: bool,
}

impl Wakes {
    pub const ALL: Wakes = Wakes {
        hostilities: true,
        status: true,
        restraint: true,
        metrics: true,
    };
    pub const NONE: Wakes = Wakes {
        hostilities: false,
        status: false,
        restraint: false,
        metrics: false,
    };

    /// Both sets of reasons.
    pub fn or(self, o: Wakes) -> Wakes {
        Wakes {
            hostilities: self.hostilities || o.hostilities,
            status: self.status || o.status,
            restraint: self.restraint || o.restraint,
            metrics: self.metrics || o.metrics,
        }
    }

    /// What the given hazards' conditions read.
    pub fn of(hazards: &[&hazard::Hazard]) -> Wakes {
        hazards.iter().fold(Wakes::NONE, |w, h| w.or(h.wakes()))
    }
}

/// A pair whose hostilities a rule reads (`Rule::hostility_pairs`), and which changes of them
/// concern it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PairWatch {
    /// The pair, standing for both orders.
    pub a: ActorId,
    pub b: ActorId,
    /// Acts between them below this rung do not concern the rule.
    pub min_level: Level,
    /// Whether ends of hostilities and levels falling back concern it.
    pub falls: bool,
}

impl PairWatch {
    /// Every change of the pair's hostilities.
    pub fn any(a: ActorId, b: ActorId) -> PairWatch {
        PairWatch {
            a,
            b,
            min_level: 0,
            falls: true,
        }
    }
}

/// When a rule next needs its `decide` called: the engine skips a sleeping rule's calls, which
/// is most of the flagship's rules on most days (a pledge with nothing to answer, a termination
/// rule with no war, a scheduled event before its day, a red line between its days of resolve,
/// a ceasefire between violations).
///
/// The contract that keeps skipping exact: a rule may sleep only while its `decide` would draw
/// no random number, emit no effect and change none of its own state, however tracks, intent
/// and the calendar move in the meantime, and whatever happens of the kinds of change it does
/// not list in `Rule::wakes`. Those it lists wake it early, as do a command it receives, a
/// scaling of its hazards, a track crossing one of its `Rule::thresholds` (by default the
/// bounds of its hazards' track conditions, so a rule must list in `Rule::hazards` every
/// hazard its `decide` reads), and what its own `react` asks for. `react` is called as usual while a rule sleeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// Ask again tomorrow.
    Tomorrow,
    /// Not before this day (unless woken sooner).
    Day(u32),
    /// Only once woken.
    Woken,
}

impl Wake {
    /// The first day on which the engine must call `decide` again, as seen on `today`.
    #[inline]
    pub fn day(self, today: u32) -> u32 {
        match self {
            Wake::Tomorrow => today + 1,
            Wake::Day(d) => d,
            Wake::Woken => NEVER,
        }
    }
}

type CompileFn = fn(&RuleTable, &mut Builder) -> Option<Box<dyn Rule>>;

/// A rule kind: everything the rest of brink needs to know about it, in one place.
pub struct Kind {
    /// The name scenarios use (`kind = "red_line"`).
    pub name: &'static str,
    /// What the kind does, in one line (for `brink explain`, the schema and the docs).
    pub summary: &'static str,
    /// Compiles one `[rules.<id>]` table of this kind.
    pub compile: CompileFn,
    /// The JSON Schema of the kind's table, from the struct the compiler deserializes.
    pub schema: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
}

/// Every rule kind, by the name scenarios use.
pub const KINDS: &[Kind] = &[
    red_line::KIND,
    decision::KIND,
    retaliation::KIND,
    preemption::KIND,
    effect::KIND,
    ceasefire::KIND,
    negotiation::KIND,
    scheduled::KIND,
    termination::KIND,
];

/// The kind named `name`.
pub fn kind(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

/// The names of every kind, for messages.
pub fn kind_names() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.name).collect()
}

/// The first day on or after `from` on which an event with daily probability `p` happens, when
/// every day is an independent chance: the geometric gap, drawn once instead of a chance every
/// day, with the same distribution. The geometric distribution is memoryless, so a rule may
/// throw the day away and draw again from any later day, for instance when `p` changes.
/// `NEVER` if `p` is not positive.
pub fn next_event_day(rng: &mut Rng, from: u32, p: f64) -> u32 {
    next_event_day_with(rng, from, p, &mut GapLog::default())
}

/// `ln(1 - p)` for the last daily probability `p` a rule drew a gap with. Rules mostly draw
/// gap after gap at the same chance (the next decision after one taken, the next violation),
/// and `ln_1p` is a libm call: kept, it is computed once per chance, with the same result.
#[derive(Clone, Copy, Debug)]
pub struct GapLog {
    p: f64,
    ln_q: f64,
}

impl Default for GapLog {
    fn default() -> GapLog {
        GapLog {
            p: f64::NAN,
            ln_q: f64::NAN,
        }
    }
}

impl GapLog {
    #[inline]
    fn ln_q(&mut self, p: f64) -> f64 {
        if p.to_bits() != self.p.to_bits() {
            self.p = p;
            self.ln_q = crate::math::ln_1p(-p);
        }
        self.ln_q
    }
}

/// `next_event_day`, keeping `ln(1 - p)` in `log` from one call to the next.
#[inline]
pub fn next_event_day_with(rng: &mut Rng, from: u32, p: f64, log: &mut GapLog) -> u32 {
    use rand::RngExt;
    if p.is_nan() || p <= 0.0 {
        return NEVER;
    }
    if p >= 1.0 {
        return from;
    }
    // 1 - U lies in (0, 1], so its logarithm is finite and the quotient is >= 0; truncating
    // it is the floor (and avoids a call to `floor` on baseline x86-64).
    let u = 1.0 - rng.random::<f64>();
    let gap = crate::math::ln(u) / log.ln_q(p);
    if gap >= f64::from(NEVER - from) {
        NEVER
    } else {
        from + gap as u32
    }
}

/// Hazard helper: true with probability `p` (clamped to [0, 1]); returns the draw for traces.
#[inline]
pub fn chance(rng: &mut Rng, p: f64) -> (bool, f64) {
    use rand::RngExt;
    let u: f64 = rng.random();
    (u < p, u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::StreamKey;

    /// The geometric gap must be the waiting time of daily chances: P(gap = 0) = p and
    /// E[gap] = (1 - p) / p, each within 4 standard errors over 200 000 draws.
    #[test]
    fn next_event_day_is_the_waiting_time_of_daily_chances() {
        let mut rng = StreamKey::new(3, "test:geometric").for_run(0);
        for p in [0.003, 0.04, 0.5] {
            let n = 200_000u32;
            let gaps: Vec<f64> = (0..n)
                .map(|_| f64::from(next_event_day(&mut rng, 10, p) - 10))
                .collect();
            let n = f64::from(n);
            let zero = gaps.iter().filter(|&&g| g == 0.0).count() as f64 / n;
            assert!(
                (zero - p).abs() < 4.0 * (p * (1.0 - p) / n).sqrt(),
                "p {p}: P(0) {zero}"
            );
            let mean = gaps.iter().sum::<f64>() / n;
            let sd = (1.0 - p).sqrt() / p;
            assert!(
                (mean - (1.0 - p) / p).abs() < 4.0 * sd / n.sqrt(),
                "p {p}: mean {mean}"
            );
        }
        assert_eq!(next_event_day(&mut rng, 7, 0.0), NEVER);
        assert_eq!(next_event_day(&mut rng, 7, f64::NAN), NEVER);
        assert_eq!(next_event_day(&mut rng, 7, 1.0), 7);
        // Far-off days saturate instead of wrapping.
        assert!(next_event_day(&mut rng, NEVER - 2, 1e-12) >= NEVER - 2);
    }

    #[test]
    fn a_kept_gap_log_draws_the_same_days() {
        let mut fresh = StreamKey::new(5, "test:gap_log").for_run(0);
        let mut kept = fresh.clone();
        let mut log = GapLog::default();
        let ps = [0.1, 0.1, 0.3, 0.1, 1e-6, 0.0, 0.5, 0.5, f64::NAN, 1.0, 0.1];
        for _ in 0..50 {
            for (i, &p) in ps.iter().enumerate() {
                let from = i as u32 * 3;
                assert_eq!(
                    next_event_day(&mut fresh, from, p),
                    next_event_day_with(&mut kept, from, p, &mut log),
                    "p {p}"
                );
            }
        }
    }
}
