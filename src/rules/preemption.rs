//! `preemption`: strike first when the perceived threat of an imminent attack passes a threshold.
//!
//! The actor keeps a threat signal about `target`. Each day the signal keeps the share
//! `signal_decay` of yesterday's value, takes normal noise of sd `signal_noise`, rises by `readiness_signal` if the
//! target really is preparing to strike the actor or one of its allies, and jumps by
//! `ambiguous_jump` when an ambiguous event (an exercise) occurs, at `ambiguous_rate` per day.
//! Once the signal reaches `threshold` the actor strikes first with `probability` per day. Each
//! pre-emptive strike is recorded as justified (the target was preparing) or a false alarm.
//!
//! Most days the signal only decays and takes its noise. The rule walks those plain days ahead
//! in one tight loop and sleeps until the first day that needs more: the signal reaching the
//! threshold, an ambiguous event, the horizon, or at most `AHEAD` days. Whatever could make a
//! walked day not plain wakes it sooner (the target seen preparing, an agreement, a changed
//! hazard scale), and then it rewinds to that day: the signal and the generator as they were
//! before it, kept for every walked day. So the draws, their order and every value are those
//! of a daily step (`tests/determinism.rs` asks every rule every day and demands the same
//! runs).

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
    /// which lets most days take `decide`'s short path and be walked ahead.
    plain: bool,
    /// The scenario's last day: nothing is walked beyond it.
    last_day: u32,
    ahead: Box<Ahead>,
}

/// The most plain days the signal is walked ahead of the engine at once.
const AHEAD: usize = 64;
/// The days a run's first walk may take.
const FIRST_SPAN: usize = 8;

/// The plain days walked ahead since the rule last decided (`Preemption::walk_ahead`).
#[derive(Clone, Debug)]
struct Ahead {
    /// Whether a walk is pending: the engine has not asked since it was made.
    pending: bool,
    /// The first day walked, the day after the rule last decided.
    from: u32,
    /// The signal before `from`.
    base: f64,
    /// `signal[k]`: the signal after day `from + k`.
    signal: [f64; AHEAD],
    /// `rng[k]`: the generator before day `from + k` (one more entry than days walked: the
    /// state before the day the engine asks again).
    rng: [Rng; AHEAD + 1],
    /// The day the engine was asked to wake the rule.
    wake: u32,
    /// How many days the next walk may take: doubled after a walk the engine let run to its
    /// end, halved after one cut short, so days walked in vain stay few when the world keeps
    /// changing (a war) and walks grow long when it does not.
    span: usize,
}

impl Ahead {
    fn new() -> Ahead {
        use rand::SeedableRng;
        Ahead {
            pending: false,
            from: 0,
            base: 0.0,
            signal: [0.0; AHEAD],
            rng: std::array::from_fn(|_| Rng::seed_from_u64(0)),
            wake: 0,
            span: FIRST_SPAN,
        }
    }
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
        last_day: b.horizon.saturating_sub(1),
        ahead: Box::new(Ahead::new()),
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
            let z = crate::draw::standard_normal(rng);
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

    /// Walks the signal over the plain days after `today`, the same arithmetic and draws as
    /// `step` with no preparation and no ambiguous event, keeping each day's signal and the
    /// generator before it; stops before the first day that needs the engine (the signal at
    /// the threshold outside a cooldown, the next ambiguous event, `AHEAD` days, the horizon)
    /// and sleeps until then.
    fn walk_ahead(&mut self, today: u32, rng: &mut Rng) -> Wake {
        let r = self.run;
        let a = &mut *self.ahead;
        let from = today + 1;
        a.pending = true;
        a.from = from;
        a.base = self.signal;
        // Plain days run up to the next ambiguous event and the horizon.
        let open = self
            .next_ambiguous
            .min(self.last_day.saturating_add(1))
            .saturating_sub(from) as usize;
        let span = a.span.min(open);
        let mut s = self.signal;
        let mut k = 0;
        // The generator in a local, so that its state stays in registers over the loop.
        let mut g = rng.clone();
        while k < span {
            a.rng[k].clone_from(&g);
            let mut x = s * r.decay;
            if r.noise > 0.0 {
                let z = crate::draw::standard_normal(&mut g);
                x += r.noise * z;
            }
            s = x.max(0.0);
            if s >= r.threshold && from + k as u32 >= self.cool_until {
                // That day needs the alarm: the engine asks, and the rule steps it again.
                break;
            }
            a.signal[k] = s;
            k += 1;
        }
        if k == span {
            a.rng[k].clone_from(&g);
        }
        *rng = g;
        a.wake = from + k as u32;
        Wake::Day(a.wake)
    }

    /// The engine asks on `day`, within the last walk (on the day it asked for, or sooner
    /// because something changed): back to the signal and generator before that day.
    fn rewind(&mut self, day: u32, rng: &mut Rng) {
        let a = &mut *self.ahead;
        a.pending = false;
        a.span = if day < a.wake {
            (a.span / 2).max(1)
        } else {
            (a.span * 2).min(AHEAD)
        };
        // The engine asks no later than the day the walk asked for (`Wake::Day`).
        debug_assert!(
            a.from <= day && day <= a.wake,
            "asked on {day}, walked to {}",
            a.wake
        );
        let k = (day - a.from) as usize;
        rng.clone_from(&a.rng[k]);
        self.signal = if k == 0 { a.base } else { a.signal[k - 1] };
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
        self.ahead.pending = false;
        self.ahead.span = FIRST_SPAN;
    }

    fn decide(&mut self, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) -> Wake {
        if self.ahead.pending {
            self.rewind(w.day, rng);
        }
        if !self.plain {
            return self.decide_full(w, rng, out);
        }
        // Most days nothing but the signal's own step happens: no agreement since yesterday,
        // no ambiguous event. Those days take this short path; the others take
        // `decide_full`, which does the same arithmetic and the same draws in the same order.
        if w.day != self.next_ambiguous && w.accord(self.actor, self.target) == self.accord_seen {
            self.step(self.run.noise, false, w, rng, out);
        } else {
            self.decide_full(w, rng, out);
        }
        self.walk_ahead(w.day, rng)
    }

    fn hazards(&self) -> Vec<&Hazard> {
        vec![&self.probability, &self.ambiguous_rate, &self.noise]
    }

    fn wakes(&self) -> Wakes {
        // A plain signal sleeps over the days it walked ahead, which assumed the target not
        // preparing and no new agreement (below); a changed hazard scale wakes the rules it
        // applies to. With modifiers it is asked every day.
        Wakes::NONE
    }

    fn intent_pairs(&self) -> Vec<(ActorId, ActorId)> {
        self.protected.iter().map(|&a| (self.target, a)).collect()
    }

    fn accord_pairs(&self) -> Vec<(ActorId, ActorId)> {
        vec![(self.actor, self.target)]
    }

    fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    fn box_clone(&self) -> Box<dyn Rule> {
        Box::new(self.clone())
    }
}
