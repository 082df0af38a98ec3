//! `preemption`: strike first when the perceived threat of an imminent attack passes a threshold.
//!
//! The actor keeps a threat signal about `target`. Each day the signal keeps the share
//! `signal_decay` of yesterday's value, takes normal noise of sd `signal_noise`, rises by `readiness_signal` if the
//! target really is preparing to strike the actor or one of its allies, and jumps by
//! `ambiguous_jump` when an ambiguous event (an exercise) occurs, at `ambiguous_rate` per day.
//! Once the signal reaches `threshold` the actor strikes first with `probability` per day. Each
//! pre-emptive strike is recorded as justified (the target was preparing) or a false alarm.

use serde::Deserialize;

use super::hazard::{Hazard, ModifierConfig, ModifierSet};
use super::strike::{Setback, SetbackConfig, compile_setbacks, emit_setbacks};
use super::{Kind, Rule, Wake, Wakes, chance, next_event_day};
use crate::model::{
    Act, ActorId, Effect, Form, Level, NEVER, Note, NoteKind, ParamId, RuleIdx, Why, World,
};
use crate::rng::Rng;
use crate::scenario::build::{Bounds, Builder, RuleTable};
use crate::scenario::days::Days;
use crate::scenario::dist::Dist;

pub const KIND: Kind = Kind {
    name: "preemption",
    summary: "strike first when a noisy threat signal says an attack is imminent, whether or \
              not one is being prepared",
    compile,
    schema: |g| g.subschema_for::<Config>(),
};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "PreemptionRule")]
pub(crate) struct Config {
    #[allow(dead_code)]
    kind: String,
    actor: String,
    target: String,
    signal_decay: Dist,
    #[serde(default = "zero")]
    signal_noise: Dist,
    readiness_signal: Dist,
    /// Whose being targeted by the other side's preparations the watcher fears besides its
    /// own (default: all of its allies).
    protects: Option<Vec<String>>,
    #[serde(default = "zero")]
    ambiguous_rate: Dist,
    #[serde(default = "zero")]
    ambiguous_jump: Dist,
    threshold: Dist,
    probability: Dist,
    level: String,
    /// Drawn for each strike.
    #[serde(default = "default_cooldown")]
    cooldown_days: Days,
    #[serde(default)]
    setback: Vec<SetbackConfig>,
    #[serde(default)]
    modifiers: Vec<ModifierConfig>,
    source: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

fn zero() -> Dist {
    Dist::fixed(0.0)
}
fn default_cooldown() -> Days {
    Days::new(30)
}

#[derive(Clone, Debug)]
pub struct Preemption {
    idx: RuleIdx,
    actor: ActorId,
    target: ActorId,
    decay: ParamId,
    noise: Hazard,
    readiness: ParamId,
    ambiguous_rate: Hazard,
    ambiguous_jump: Dist,
    threshold: ParamId,
    probability: Hazard,
    level: Level,
    cooldown: Days,
    setbacks: Vec<Setback>,
    /// The actor and its allies: the target preparing against any of them counts.
    protected: Vec<ActorId>,
    source: Option<String>,
    // per-run state
    /// This run's parameter values, read once in `begin_run` (parameters never change within
    /// a run), so the daily update touches only this struct.
    run: RunParams,
    signal: f64,
    /// The last agreement between actor and target the watcher has seen (`World::accord`).
    accord_seen: u32,
    /// First day after the last strike's cooldown (0 before any strike).
    cool_until: u32,
    /// Day of the next ambiguous event, drawn with daily rate `rate_seen`.
    next_ambiguous: u32,
    rate_seen: f64,
    /// Neither the noise nor the ambiguous rate has modifiers: both are this run's constants,
    /// which lets most days take `decide`'s short path.
    plain: bool,
}

#[derive(Clone, Copy, Debug, Default)]
struct RunParams {
    decay: f64,
    noise: f64,
    readiness: f64,
    ambiguous_rate: f64,
    threshold: f64,
}

pub fn compile(t: &RuleTable, b: &mut Builder) -> Option<Box<dyn Rule>> {
    let c: Config = t.config(b)?;
    let keys = ["probability", "ambiguous_rate", "signal_noise"];
    let mut mods = ModifierSet::new(
        t,
        &c.modifiers,
        true,
        keys.iter().map(|k| k.to_string()).collect(),
        b,
    );
    let actor = b.actor(&t.path("actor"), &c.actor);
    let mut protected = vec![actor];
    match &c.protects {
        Some(list) => protected.extend(b.actors(&t.path("protects"), list)),
        None => protected.extend(b.allies.get(actor as usize).cloned().unwrap_or_default()),
    }
    let mut rule = Preemption {
        idx: t.idx,
        actor,
        target: b.actor(&t.path("target"), &c.target),
        decay: b.param(&t.path("signal_decay"), &c.signal_decay, Bounds::Unit),
        noise: mods.hazard(
            b,
            "signal_noise",
            "signal_noise",
            &c.signal_noise,
            Bounds::NonNegative,
        ),
        readiness: b.param(
            &t.path("readiness_signal"),
            &c.readiness_signal,
            Bounds::NonNegative,
        ),
        ambiguous_rate: mods.hazard(
            b,
            "ambiguous_rate",
            "ambiguous_rate",
            &c.ambiguous_rate,
            Bounds::Unit,
        ),
        ambiguous_jump: b.event_dist(
            &t.path("ambiguous_jump"),
            &c.ambiguous_jump,
            Bounds::NonNegative,
        ),
        threshold: b.param(&t.path("threshold"), &c.threshold, Bounds::NonNegative),
        probability: mods.hazard(
            b,
            "probability",
            "probability",
            &c.probability,
            Bounds::Unit,
        ),
        level: b.level(&t.path("level"), &c.level),
        cooldown: b.event_days(&t.path("cooldown_days"), &c.cooldown_days),
        setbacks: compile_setbacks(t, b, &c.setback),
        protected,
        source: c.source,
        run: RunParams::default(),
        signal: 0.0,
        accord_seen: NEVER,
        cool_until: 0,
        next_ambiguous: NEVER,
        rate_seen: f64::NAN,
        plain: false,
    };
    rule.plain = rule.noise.mods.is_empty() && rule.ambiguous_rate.mods.is_empty();
    mods.finish(b);
    Some(Box::new(rule))
}

impl Preemption {
    /// An ambiguous event today: note it, draw the next one, and return the signal's jump.
    #[inline(never)]
    fn ambiguous(&mut self, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) -> f64 {
        self.next_ambiguous = next_event_day(rng, w.day + 1, self.rate_seen);
        out.push(Effect::Note(Note {
            kind: NoteKind::Ambiguous,
            rule: self.idx,
            a: self.target,
            b: self.actor,
            value: 0,
        }));
        self.ambiguous_jump.sample(rng)
    }

    /// The signal is at or above the threshold outside a cooldown: the actor readies a
    /// pre-emptive strike (visible to the other side tomorrow) and launches it with the day's
    /// probability.
    #[inline(never)]
    fn alarm(&mut self, preparing: bool, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) {
        let (mut odds, _) = self.probability.eval(w, (self.actor, self.target), 0);
        if odds.p <= 0.0 {
            // A watcher that would not strike (a modifier says never, say at war) readies
            // nothing either.
            return;
        }
        out.push(Effect::Intent {
            actor: self.actor,
            target: self.target,
        });
        let (r, s) = (
            w.restraint(self.actor, self.target),
            w.scale[self.idx as usize],
        );
        odds.other = r * s;
        odds.p = odds.p * r * s;
        let (go, draw) = chance(rng, odds.p);
        if !go {
            return;
        }
        out.push(Effect::Act(Act {
            actor: self.actor,
            target: self.target,
            level: self.level,
            rule: self.idx,
            form: Form::Preemptive {
                justified: preparing,
            },
            trigger_day: w.day,
            why: Why::Signal {
                signal: self.signal,
                threshold: self.run.threshold,
                odds,
                draw,
            },
        }));
        emit_setbacks(&self.setbacks, w, out);
        self.cool_until = w.day.saturating_add(self.cooldown.sample(rng));
        self.signal = 0.0;
    }

    /// `decide` on a day with more than the signal's step: an agreement to stand down on,
    /// an ambiguous event, or modifiers on the noise or the ambiguous rate.
    #[cold]
    #[inline(never)]
    fn decide_full(&mut self, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) -> Wake {
        let ctx = (self.actor, self.target);
        let accord = w.accord(self.actor, self.target);
        if accord != self.accord_seen {
            // An agreement (a mediated ceasefire, a deal) stands both sides down.
            self.accord_seen = accord;
            self.signal = 0.0;
        }
        if !self.ambiguous_rate.mods.is_empty() {
            // A changed rate redraws the gap to the next ambiguous event from today, which
            // memorylessness makes exact.
            let rate = self.ambiguous_rate.value(w, ctx);
            if rate != self.rate_seen {
                self.rate_seen = rate;
                self.next_ambiguous = next_event_day(rng, w.day, rate);
            }
        }
        let noise = if self.noise.mods.is_empty() {
            self.run.noise
        } else {
            self.noise.value(w, ctx)
        };
        let ambiguous = w.day == self.next_ambiguous;
        self.step(noise, ambiguous, w, rng, out)
    }

    /// The day's step of the signal (its decay, noise, the target's preparations and an
    /// ambiguous event if there is one today), and the alarm if it reaches the threshold.
    #[inline(always)]
    fn step(
        &mut self,
        noise: f64,
        ambiguous: bool,
        w: &World,
        rng: &mut Rng,
        out: &mut Vec<Effect>,
    ) -> Wake {
        let preparing = w.any_intent && self.protected.iter().any(|&a| w.intent(self.target, a));
        let r = self.run;
        let mut s = self.signal * r.decay;
        if noise > 0.0 {
            let z: f64 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng);
            s += noise * z;
        }
        if preparing {
            s += r.readiness;
        }
        if ambiguous {
            s += self.ambiguous(w, rng, out);
        }
        self.signal = s.max(0.0);
        if self.signal >= r.threshold && w.day >= self.cool_until {
            self.alarm(preparing, w, rng, out);
        }
        Wake::Tomorrow
    }
}
impl Rule for Preemption {
    fn kind(&self) -> &'static str {
        "preemption"
    }

    fn begin_run(&mut self, w: &World, rng: &mut Rng) {
        self.run = RunParams {
            decay: w.p(self.decay),
            noise: w.p(self.noise.base),
            readiness: w.p(self.readiness),
            ambiguous_rate: w.p(self.ambiguous_rate.base),
            threshold: w.p(self.threshold),
        };
        self.signal = 0.0;
        self.accord_seen = NEVER;
        self.cool_until = 0;
        // Ambiguous events are daily chances: draw the geometric gaps between them instead.
        self.rate_seen = self.run.ambiguous_rate;
        self.next_ambiguous = next_event_day(rng, 0, self.rate_seen);
    }

    fn decide(&mut self, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) -> Wake {
        // Most days nothing but the signal's own step happens: no agreement since yesterday,
        // no ambiguous event, no modifier to read. Those days take this short path; the
        // others take `decide_full`, which does the same arithmetic and the same draws in the
        // same order.
        if self.plain
            && w.day != self.next_ambiguous
            && w.accord(self.actor, self.target) == self.accord_seen
        {
            return self.step(self.run.noise, false, w, rng, out);
        }
        self.decide_full(w, rng, out)
    }

    fn hazards(&self) -> Vec<&Hazard> {
        vec![&self.probability, &self.ambiguous_rate, &self.noise]
    }

    fn wakes(&self) -> Wakes {
        // Asked every day.
        Wakes::NONE
    }

    fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    fn box_clone(&self) -> Box<dyn Rule> {
        Box::new(self.clone())
    }
}
