//! `red_line`: strike when a watched track crosses a threshold, as seen through noisy, lagged
//! intelligence.
//!
//! Each day the actor perceives the track's value `intel_lag_days` ago plus normal noise. When
//! the perception reaches `threshold + justification_penalty` the actor decides to strike with
//! `daily_probability`, damped by open negotiation channels. A decision may need another
//! actor's consent, which that actor may join. The strike lands `preparation_days` later; while
//! it is being prepared the actor's intent is visible to the target's pre-emption watchers.
//! Strikes set tracks back.

use serde::Deserialize;

use super::{Rule, Wake, chance, next_event_day};
use crate::model::{
    Act, ActorId, Effect, Form, Level, Note, NoteKind, ParamId, RuleIdx, TrackId, Why, World,
};
use crate::rng::Rng;
use crate::scenario::build::{Bounds, Builder, RuleTable};
use crate::scenario::dist::Dist;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RedLineRule")]
pub(crate) struct Config {
    #[allow(dead_code)]
    kind: String,
    actor: String,
    target: String,
    track: String,
    /// Perceived track value at which the actor considers the line crossed.
    threshold: Dist,
    /// Extra evidence needed before acting is justified (the "obliterated" claims).
    #[serde(default = "zero")]
    justification_penalty: Dist,
    #[serde(default)]
    intel_lag_days: u32,
    #[serde(default = "zero")]
    intel_noise: Dist,
    /// Chance per day of striking while the line is seen as crossed.
    daily_probability: Dist,
    level: String,
    /// Days between the decision and the strike, during which preparations are visible to
    /// the target's pre-emption watchers.
    #[serde(default)]
    preparation_days: u32,
    #[serde(default = "default_cooldown")]
    cooldown_days: u32,
    consent: Option<ConsentConfig>,
    #[serde(default)]
    setback: Vec<SetbackConfig>,
    source: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ConsentConfig {
    actor: String,
    probability: Dist,
    #[serde(default = "zero")]
    join_probability: Dist,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetbackConfig {
    pub track: String,
    pub fraction: Dist,
}

fn zero() -> Dist {
    Dist::fixed(0.0)
}
fn default_cooldown() -> u32 {
    90
}

/// A compiled setback: which track, and the parameter holding the fraction removed.
#[derive(Clone, Copy, Debug)]
pub struct Setback {
    pub track: TrackId,
    pub fraction: ParamId,
}

/// Compiles a `setback = [...]` list (shared with `preemption`).
pub fn compile_setbacks(t: &RuleTable, b: &mut Builder, list: &[SetbackConfig]) -> Vec<Setback> {
    list.iter()
        .enumerate()
        .map(|(i, s)| Setback {
            track: b.track(&t.path(&format!("setback[{i}].track")), &s.track),
            fraction: b.param(
                &t.path(&format!("setback[{i}].fraction")),
                &s.fraction,
                Bounds::Unit,
            ),
        })
        .collect()
}

/// Emits the setbacks of a strike.
pub fn emit_setbacks(setbacks: &[Setback], world: &World, out: &mut Vec<Effect>) {
    for s in setbacks {
        out.push(Effect::Setback {
            track: s.track,
            fraction: world.p(s.fraction),
        });
    }
}

#[derive(Clone, Debug)]
struct Consent {
    actor: ActorId,
    probability: ParamId,
    join: ParamId,
}

#[derive(Clone, Debug)]
pub struct RedLine {
    idx: RuleIdx,
    actor: ActorId,
    target: ActorId,
    track: TrackId,
    threshold: ParamId,
    penalty: ParamId,
    lag: u32,
    noise: ParamId,
    daily: ParamId,
    level: Level,
    preparation: u32,
    cooldown: u32,
    consent: Option<Consent>,
    setbacks: Vec<Setback>,
    source: Option<String>,
    // per-run state
    /// This run's threshold (with the justification penalty), noise and daily probability,
    /// read once in `begin_run`: parameters never change within a run.
    run: (f64, f64, f64),
    /// The next day of resolve to act, drawn with daily probability `p_seen`.
    next_resolve: u32,
    p_seen: f64,
    last_strike: Option<u32>,
    /// A decided strike waiting for its day, and whether the consenting actor joins.
    planned: Option<(u32, Act, bool)>,
}

pub fn compile(t: &RuleTable, b: &mut Builder) -> Option<Box<dyn Rule>> {
    let c: Config = t.config(b)?;
    let consent = c.consent.as_ref().map(|k| Consent {
        actor: b.actor(&t.path("consent.actor"), &k.actor),
        probability: b.prob(&t.path("consent.probability"), &k.probability),
        join: b.prob(&t.path("consent.join_probability"), &k.join_probability),
    });
    let rule = RedLine {
        idx: t.idx,
        actor: b.actor(&t.path("actor"), &c.actor),
        target: b.actor(&t.path("target"), &c.target),
        track: b.track(&t.path("track"), &c.track),
        threshold: b.param(&t.path("threshold"), &c.threshold, Bounds::Any),
        penalty: b.param(
            &t.path("justification_penalty"),
            &c.justification_penalty,
            Bounds::NonNegative,
        ),
        lag: c.intel_lag_days,
        noise: b.param(&t.path("intel_noise"), &c.intel_noise, Bounds::NonNegative),
        daily: b.prob(&t.path("daily_probability"), &c.daily_probability),
        level: b.level(&t.path("level"), &c.level),
        preparation: c.preparation_days,
        cooldown: c.cooldown_days,
        consent,
        setbacks: compile_setbacks(t, b, &c.setback),
        source: c.source,
        run: (0.0, 0.0, 0.0),
        next_resolve: 0,
        p_seen: f64::NAN,
        last_strike: None,
        planned: None,
    };
    if rule.actor == rule.target && b.diags.is_empty() {
        b.error(
            t.path("target"),
            "a red line's actor and target must differ",
        );
    }
    Some(Box::new(rule))
}

impl RedLine {
    /// A day of preparation for a decided strike, or the strike itself when its day comes.
    #[inline(never)]
    fn prepare(&mut self, w: &World, out: &mut Vec<Effect>) {
        let Some((day, act, joins)) = self.planned else {
            return;
        };
        if w.day >= day {
            self.planned = None;
            self.strike(act, joins, w, out);
        } else {
            out.push(Effect::Intent {
                actor: self.actor,
                target: self.target,
            });
        }
    }

    /// A day of resolve: read the intelligence and, if the line looks crossed, seek consent
    /// and strike or start preparing. Rare, so kept out of the daily path.
    #[inline(never)]
    fn resolve(&mut self, p: f64, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) {
        let (threshold, noise, _) = self.run;
        self.next_resolve = next_event_day(rng, w.day + 1, p);
        let mut perceived = w.track_lagged(self.track, self.lag);
        if noise > 0.0 {
            let z: f64 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng);
            perceived += noise * z;
        }
        if perceived < threshold {
            return;
        }
        let mut joins = false;
        if let Some(c) = &self.consent {
            let (approved, _) = chance(rng, w.p(c.probability));
            if !approved {
                out.push(Effect::Note(Note {
                    kind: NoteKind::ConsentDenied,
                    rule: self.idx,
                    a: c.actor,
                    b: self.actor,
                    value: 0,
                }));
                return;
            }
            joins = chance(rng, w.p(c.join)).0;
        }
        let why = Why::Threshold {
            track: self.track,
            perceived,
            threshold,
            p,
        };
        let act = Act {
            actor: self.actor,
            target: self.target,
            level: self.level,
            rule: self.idx,
            form: Form::Strike,
            trigger_day: w.day,
            why,
        };
        if self.preparation == 0 {
            self.strike(act, joins, w, out);
        } else {
            // Preparations start today and are visible from tomorrow.
            out.push(Effect::Intent {
                actor: self.actor,
                target: self.target,
            });
            self.planned = Some((w.day + self.preparation, act, joins));
        }
    }

    fn strike(&mut self, act: Act, joins: bool, w: &World, out: &mut Vec<Effect>) {
        out.push(Effect::Act(act));
        if let (true, Some(c)) = (joins, &self.consent) {
            out.push(Effect::Act(Act {
                actor: c.actor,
                form: Form::JointStrike,
                ..act
            }));
        }
        emit_setbacks(&self.setbacks, w, out);
        self.last_strike = Some(w.day);
    }
}

impl Rule for RedLine {
    fn kind(&self) -> &'static str {
        "red_line"
    }

    fn begin_run(&mut self, w: &World, _rng: &mut Rng) {
        self.run = (
            w.p(self.threshold) + w.p(self.penalty),
            w.p(self.noise),
            w.p(self.daily),
        );
        self.next_resolve = 0;
        // Not a probability, so the first decision draws a resolve day.
        self.p_seen = f64::NAN;
        self.last_strike = None;
        self.planned = None;
    }

    fn decide(&mut self, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) -> Wake {
        if self.planned.is_some() {
            self.prepare(w, out);
            return Wake::Tomorrow;
        }
        if let Some(last) = self.last_strike
            && w.day < last + self.cooldown
        {
            return Wake::Day(last + self.cooldown);
        }
        // Resolve to act comes with the daily probability, independently of the day's
        // intelligence reading, so the reading (a Gaussian draw) is taken only on days of
        // resolve, and those days are drawn as geometric gaps rather than by a chance every
        // day. The gap is redrawn whenever the probability changes (restraint, hazard scale)
        // or the drawn day passed while the rule was not looking (cooldown, preparation):
        // memorylessness makes both exact.
        let p = self.run.2 * w.restraint(self.actor, self.target) * w.scale[self.idx as usize];
        if p != self.p_seen || self.next_resolve < w.day {
            self.p_seen = p;
            self.next_resolve = next_event_day(rng, w.day, p);
        }
        if w.day == self.next_resolve {
            self.resolve(p, w, rng, out);
            return Wake::Tomorrow;
        }
        // Nothing to do before the next day of resolve; whatever could change the probability
        // (restraint, hazard scale) wakes the rule, which then redraws.
        Wake::Day(self.next_resolve)
    }

    fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    fn box_clone(&self) -> Box<dyn Rule> {
        Box::new(self.clone())
    }
}
