//! `decision`: a discretionary act, taken when the actor judges the moment right.
//!
//! Each day the actor decides with `daily_probability`, changed by modifiers that read the
//! state of the crisis (talks open, a pair's level, an actor just struck, a date window, ...)
//! and damped by open negotiation channels. With a `target` and a `level` the decision is a
//! strike, handled like a red line's: consent, visible preparation, a plan called off by
//! peace, setbacks, cooldown. Without a target it is a policy move that is not a hostile act
//! (say, a decision to break out): it is recorded as a `decision` note and applies its track
//! actions (`shift`, `scale`, `set_drift`, `consume`). With `once` the actor decides at most
//! once per run.

use serde::Deserialize;

use super::hazard::{Hazard, ModifierConfig, ModifierSet};
use super::strike::{
    Action, ActionsConfig, Consent, ConsentConfig, ConsumeConfig, DriftConfig, ScaleConfig,
    SetbackConfig, ShiftConfig, Striker, compile_actions, compile_setbacks, decision_note,
    emit_actions,
};
use super::{GapLog, Kind, PairWatch, Rule, Wake, Wakes, next_event_day_with};
use crate::model::{ActorId, Effect, NEVER, NO_ACTOR, Odds, RuleIdx, Why, World};
use crate::rng::Rng;
use crate::scenario::build::{Bounds, Builder, RuleTable};
use crate::scenario::days::Days;
use crate::scenario::dist::Dist;

pub const KIND: Kind = Kind {
    name: "decision",
    summary: "a discretionary act, taken with a daily chance that modifiers tie to the state of \
              the crisis: a strike when the moment seems right, or a policy move such as a \
              breakout",
    compile,
    schema: |g| g.subschema_for::<Config>(),
};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DecisionRule")]
pub(crate) struct Config {
    #[allow(dead_code)]
    kind: String,
    actor: String,
    /// Whom the act strikes; leave out for a decision that is not a hostile act.
    target: Option<String>,
    /// The rung of the strike (with `target`).
    level: Option<String>,
    /// Chance per day of deciding to act.
    daily_probability: Dist,
    /// Days between the decision and the strike, visible to the target's watchers (drawn for
    /// each decision).
    #[serde(default)]
    preparation_days: Days,
    /// Days after acting before the actor decides again (drawn each time it acts).
    #[serde(default)]
    cooldown_days: Days,
    /// Decide at most once per run.
    #[serde(default)]
    once: bool,
    /// Call a prepared strike off if an agreement between the two sides takes effect.
    #[serde(default = "yes")]
    abort_on_peace: bool,
    consent: Option<ConsentConfig>,
    #[serde(default)]
    setback: Vec<SetbackConfig>,
    /// Add to a track.
    #[serde(default)]
    shift: Vec<ShiftConfig>,
    /// Multiply a track's distance above its minimum.
    #[serde(default)]
    scale: Vec<ScaleConfig>,
    /// Give a track a new daily drift.
    #[serde(default)]
    set_drift: Vec<DriftConfig>,
    /// Take an amount out of a stock.
    #[serde(default)]
    consume: Vec<ConsumeConfig>,
    #[serde(default)]
    modifiers: Vec<ModifierConfig>,
    source: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

fn yes() -> bool {
    true
}

/// What the decision does.
#[derive(Clone, Debug)]
enum Deed {
    Strike(Box<Striker>),
    /// A policy move: a note and track actions.
    Move {
        idx: RuleIdx,
        actor: ActorId,
        actions: Vec<Action>,
        cooldown: Days,
        /// First day after the last move's cooldown.
        until: u32,
    },
}

#[derive(Clone, Debug)]
pub struct Decision {
    actor: ActorId,
    target: ActorId,
    idx: RuleIdx,
    daily: Hazard,
    once: bool,
    deed: Deed,
    source: Option<String>,
    // per-run state
    next: u32,
    p_seen: f64,
    done: bool,
    gap_log: GapLog,
}

pub fn compile(t: &RuleTable, b: &mut Builder) -> Option<Box<dyn Rule>> {
    let c: Config = t.config(b)?;
    let mut keys = vec!["daily_probability".to_string()];
    if c.consent.is_some() {
        keys.push("consent.probability".into());
        keys.push("consent.join_probability".into());
    }
    let mut mods = ModifierSet::new(t, &c.modifiers, c.target.is_some(), keys, b);
    let actor = b.actor(&t.path("actor"), &c.actor);
    let daily = mods.hazard(
        b,
        "daily_probability",
        "daily_probability",
        &c.daily_probability,
        Bounds::Unit,
    );
    let actions = compile_actions(
        t,
        b,
        &ActionsConfig {
            shift: c.shift.clone(),
            scale: c.scale.clone(),
            set_drift: c.set_drift.clone(),
            consume: c.consume.clone(),
        },
    );
    let (target, deed) = match (&c.target, &c.level) {
        (Some(target), Some(level)) => {
            let target = b.actor(&t.path("target"), target);
            if target == actor && b.diags.is_empty() {
                b.error(
                    t.path("target"),
                    "a decision's actor and target must differ",
                );
            }
            let consent = c
                .consent
                .as_ref()
                .map(|k| Consent::compile(t, b, &mut mods, k));
            let mut s = Striker::new(
                t.idx,
                actor,
                target,
                b.level(&t.path("level"), level),
                consent,
                b.event_days(&t.path("preparation_days"), &c.preparation_days),
                b.event_days(&t.path("cooldown_days"), &c.cooldown_days),
                c.abort_on_peace,
                compile_setbacks(t, b, &c.setback),
                actions,
            );
            s.consent_hazard = 1;
            (target, Deed::Strike(Box::new(s)))
        }
        (Some(_), None) => {
            b.error_help(
                t.path("target"),
                "a decision with a `target` strikes it, so it needs a `level`",
                "add level = \"<rung>\", or leave `target` out for a policy move",
            );
            return None;
        }
        (None, Some(_)) => {
            b.error_help(
                t.path("level"),
                "a decision without a `target` is not a hostile act and has no `level`",
                "add target = \"<actor>\" for a strike, or remove `level`",
            );
            return None;
        }
        (None, None) => {
            for (key, given) in [
                ("consent", c.consent.is_some()),
                ("setback", !c.setback.is_empty()),
                ("preparation_days", c.preparation_days.fixed() != Some(0)),
            ] {
                if given {
                    b.error_help(
                        t.path(key),
                        format!("`{key}` belongs to a strike, and this decision has no `target`"),
                        "add target and level for a strike, or remove it",
                    );
                }
            }
            if actions.is_empty() {
                b.error_help(
                    format!("rules.{}", t.id),
                    "a decision without a `target` must change something",
                    "give it shift, scale, set_drift or consume, or a target and level",
                );
            }
            (
                NO_ACTOR,
                Deed::Move {
                    idx: t.idx,
                    actor,
                    actions,
                    cooldown: b.event_days(&t.path("cooldown_days"), &c.cooldown_days),
                    until: 0,
                },
            )
        }
    };
    mods.finish(b);
    Some(Box::new(Decision {
        actor,
        target,
        idx: t.idx,
        daily,
        once: c.once,
        deed,
        source: c.source,
        next: 0,
        p_seen: f64::NAN,
        gap_log: GapLog::default(),
        done: false,
    }))
}

impl Decision {
    /// A day of decision: strike (or start preparing), or make the move.
    #[inline(never)]
    fn act(&mut self, odds: Odds, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) {
        self.next = next_event_day_with(rng, w.day + 1, odds.p, &mut self.gap_log);
        if self.once {
            self.done = true;
        }
        match &mut self.deed {
            Deed::Strike(s) => s.decided(Why::Chance { odds, draw: None }, w, rng, out),
            Deed::Move {
                idx,
                actor,
                actions,
                cooldown,
                until,
            } => {
                out.push(decision_note(*idx, *actor));
                emit_actions(actions, w, out);
                *until = w.day.saturating_add(cooldown.sample(rng));
            }
        }
    }
}

impl Rule for Decision {
    fn kind(&self) -> &'static str {
        "decision"
    }

    fn begin_run(&mut self, _w: &World, rng: &mut Rng) {
        self.next = 0;
        self.p_seen = f64::NAN;
        self.done = false;
        match &mut self.deed {
            Deed::Strike(s) => s.begin_run(rng),
            Deed::Move { until, .. } => *until = 0,
        }
    }

    fn decide(&mut self, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) -> Wake {
        let cooling = match &mut self.deed {
            Deed::Strike(s) => {
                if let Some(wake) = s.tick(w, rng, out) {
                    return wake;
                }
                s.cooling(w.day)
            }
            Deed::Move { until, .. } => (w.day < *until).then_some(*until),
        };
        if self.done {
            return Wake::Woken;
        }
        if let Some(until) = cooling {
            return Wake::Day(until);
        }
        // Days of decision are geometric gaps, redrawn whenever the probability changes
        // (exact, by memorylessness); see `red_line`.
        let ctx = (self.actor, self.target);
        let (mut odds, until) = self.daily.eval(w, ctx, 0);
        if self.target != NO_ACTOR {
            let (r, s) = (
                w.restraint(self.actor, self.target),
                w.scale[self.idx as usize],
            );
            odds.other = r * s;
            odds.p = odds.p * r * s;
        } else {
            let s = w.scale[self.idx as usize];
            odds.other = s;
            odds.p *= s;
        }
        if odds.p != self.p_seen || self.next < w.day {
            self.p_seen = odds.p;
            self.next = next_event_day_with(rng, w.day, odds.p, &mut self.gap_log);
        }
        if w.day == self.next {
            self.act(odds, w, rng, out);
            return Wake::Tomorrow;
        }
        if self.next == NEVER && until == NEVER {
            return Wake::Woken;
        }
        Wake::Day(self.next.min(until))
    }

    fn hazards(&self) -> Vec<&Hazard> {
        let mut v = vec![&self.daily];
        if let Deed::Strike(s) = &self.deed
            && let Some(c) = &s.consent
        {
            v.push(&c.probability);
            v.push(&c.join);
        }
        v
    }

    fn hostility_pairs(&self, n: usize) -> Option<Vec<PairWatch>> {
        // Its modifiers' conditions, and its own pair (a plan called off by peace).
        let own = [(self.actor, self.target)];
        let mut v = Vec::new();
        if self.target != NO_ACTOR {
            v.push(PairWatch::any(self.actor, self.target));
        }
        for h in self.hazards() {
            h.pairs(&own, n, &mut v);
        }
        Some(v)
    }

    fn wakes(&self) -> Wakes {
        // Restraint (on a strike) and the modifiers' conditions change the daily probability.
        Wakes::of(&self.hazards()).or(Wakes {
            restraint: self.target != NO_ACTOR,
            ..Wakes::NONE
        })
    }

    fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    fn box_clone(&self) -> Box<dyn Rule> {
        Box::new(self.clone())
    }
}
