//! `preemption`: strike first when the perceived threat of an imminent attack passes a threshold.
//!
//! The actor keeps a threat signal about `target`. Each day the signal keeps the share
//! `signal_decay` of yesterday's value, takes normal noise of sd `signal_noise`, rises by `readiness_signal` if the
//! target really is preparing to strike the actor or one of its allies, and jumps by
//! `ambiguous_jump` when an ambiguous event (an exercise) occurs, at `ambiguous_rate` per day.
//! Once the signal reaches `threshold` the actor strikes first with `probability` per day. Each
//! pre-emptive strike is recorded as justified (the target was preparing) or a false alarm.

use serde::Deserialize;

use super::red_line::{Setback, SetbackConfig, compile_setbacks, emit_setbacks};
use super::{Rule, Wake, chance, next_event_day};
use crate::model::{
    Act, ActorId, Effect, Form, Level, NEVER, Note, NoteKind, ParamId, RuleIdx, Why, World,
};
use crate::rng::Rng;
use crate::scenario::build::{Bounds, Builder, RuleTable};
use crate::scenario::dist::Dist;

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
    #[serde(default = "zero")]
    ambiguous_rate: Dist,
    #[serde(default = "zero")]
    ambiguous_jump: Dist,
    threshold: Dist,
    probability: Dist,
    level: String,
    #[serde(default = "default_cooldown")]
    cooldown_days: u32,
    #[serde(default)]
    setback: Vec<SetbackConfig>,
    source: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

fn zero() -> Dist {
    Dist::fixed(0.0)
}
fn default_cooldown() -> u32 {
    30
}

#[derive(Clone, Debug)]
pub struct Preemption {
    idx: RuleIdx,
    actor: ActorId,
    target: ActorId,
    decay: ParamId,
    noise: ParamId,
    readiness: ParamId,
    ambiguous_rate: ParamId,
    ambiguous_jump: Dist,
    threshold: ParamId,
    probability: ParamId,
    level: Level,
    cooldown: u32,
    setbacks: Vec<Setback>,
    /// The actor and its allies: the target preparing against any of them counts.
    protected: Vec<ActorId>,
    source: Option<String>,
    // per-run state
    /// This run's parameter values, read once in `begin_run` (parameters never change within
    /// a run), so the daily update touches only this struct.
    run: RunParams,
    signal: f64,
    last_strike: Option<u32>,
    /// Day of the next ambiguous event.
    next_ambiguous: u32,
}

#[derive(Clone, Copy, Debug, Default)]
struct RunParams {
    decay: f64,
    noise: f64,
    readiness: f64,
    ambiguous_rate: f64,
    threshold: f64,
    probability: f64,
}

pub fn compile(t: &RuleTable, b: &mut Builder) -> Option<Box<dyn Rule>> {
    let c: Config = t.config(b)?;
    let actor = b.actor(&t.path("actor"), &c.actor);
    let mut protected = vec![actor];
    protected.extend(b.allies.get(actor as usize).cloned().unwrap_or_default());
    let rule = Preemption {
        idx: t.idx,
        actor,
        target: b.actor(&t.path("target"), &c.target),
        decay: b.param(&t.path("signal_decay"), &c.signal_decay, Bounds::Unit),
        noise: b.param(
            &t.path("signal_noise"),
            &c.signal_noise,
            Bounds::NonNegative,
        ),
        readiness: b.param(
            &t.path("readiness_signal"),
            &c.readiness_signal,
            Bounds::NonNegative,
        ),
        ambiguous_rate: b.prob(&t.path("ambiguous_rate"), &c.ambiguous_rate),
        ambiguous_jump: b.event_dist(
            &t.path("ambiguous_jump"),
            &c.ambiguous_jump,
            Bounds::NonNegative,
        ),
        threshold: b.param(&t.path("threshold"), &c.threshold, Bounds::NonNegative),
        probability: b.prob(&t.path("probability"), &c.probability),
        level: b.level(&t.path("level"), &c.level),
        cooldown: c.cooldown_days,
        setbacks: compile_setbacks(t, b, &c.setback),
        protected,
        source: c.source,
        run: RunParams::default(),
        signal: 0.0,
        last_strike: None,
        next_ambiguous: NEVER,
    };
    Some(Box::new(rule))
}

impl Preemption {
    /// An ambiguous event today: note it, draw the next one, and return the signal's jump.
    #[inline(never)]
    fn ambiguous(&mut self, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) -> f64 {
        self.next_ambiguous = next_event_day(rng, w.day + 1, self.run.ambiguous_rate);
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
        out.push(Effect::Intent {
            actor: self.actor,
            target: self.target,
        });
        let p = self.run.probability
            * w.restraint(self.actor, self.target)
            * w.scale[self.idx as usize];
        let (go, draw) = chance(rng, p);
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
                p,
                draw,
            },
        }));
        emit_setbacks(&self.setbacks, w, out);
        self.last_strike = Some(w.day);
        self.signal = 0.0;
    }
}

impl Rule for Preemption {
    fn kind(&self) -> &'static str {
        "preemption"
    }

    fn begin_run(&mut self, w: &World, rng: &mut Rng) {
        self.run = RunParams {
            decay: w.p(self.decay),
            noise: w.p(self.noise),
            readiness: w.p(self.readiness),
            ambiguous_rate: w.p(self.ambiguous_rate),
            threshold: w.p(self.threshold),
            probability: w.p(self.probability),
        };
        self.signal = 0.0;
        self.last_strike = None;
        // Ambiguous events are daily chances: draw the geometric gaps between them instead.
        self.next_ambiguous = next_event_day(rng, 0, self.run.ambiguous_rate);
    }

    fn decide(&mut self, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) -> Wake {
        let r = self.run;
        let preparing = w.any_intent && self.protected.iter().any(|&a| w.intent(self.target, a));
        let mut s = self.signal * r.decay;
        if r.noise > 0.0 {
            let z: f64 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng);
            s += r.noise * z;
        }
        if preparing {
            s += r.readiness;
        }
        if w.day == self.next_ambiguous {
            s += self.ambiguous(w, rng, out);
        }
        self.signal = s.max(0.0);
        if self.signal >= r.threshold
            && self
                .last_strike
                .is_none_or(|last| w.day >= last + self.cooldown)
        {
            self.alarm(preparing, w, rng, out);
        }
        Wake::Tomorrow
    }

    fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    fn box_clone(&self) -> Box<dyn Rule> {
        Box::new(self.clone())
    }
}
