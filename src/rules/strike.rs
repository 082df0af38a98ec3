//! What deliberate strikes share, whatever decided them (a red line crossed, a discretionary
//! decision): asking a partner's consent, preparing visibly, calling the plan off when peace
//! takes hold, landing the blow with its setbacks and track actions, and cooling down.
//!
//! Also the track actions (`shift`, `scale`, `set_drift`, `consume`) that decisions and effects
//! apply to tracks.

use serde::Deserialize;

use super::hazard::{Hazard, ModifierSet};
use super::{Wake, chance};
use crate::model::{
    Act, ActorId, Effect, Form, Level, NO_ACTOR, Note, NoteKind, ParamId, RuleIdx, TrackId, Why,
    World,
};
use crate::rng::Rng;
use crate::scenario::build::{Bounds, Builder, RuleTable};
use crate::scenario::days::Days;
use crate::scenario::dist::Dist;

#[derive(Deserialize, schemars::JsonSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ConsentConfig {
    /// The actor whose approval the strike needs.
    pub actor: String,
    /// Chance that the approval is given, asked once per decision.
    pub probability: Dist,
    /// Chance that the approving actor joins the strike.
    #[serde(default = "zero")]
    pub join_probability: Dist,
}

#[derive(Deserialize, schemars::JsonSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct SetbackConfig {
    pub track: String,
    /// Share of the track's distance above its minimum that the strike removes.
    pub fraction: Dist,
}

/// Track actions, each a list of tables.
#[derive(Deserialize, schemars::JsonSchema, Clone, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct ActionsConfig {
    /// Add `by` to a track (clamped to its bounds).
    #[serde(default)]
    pub shift: Vec<ShiftConfig>,
    /// Multiply a track's distance above its minimum by `factor`.
    #[serde(default)]
    pub scale: Vec<ScaleConfig>,
    /// Give a track a new daily drift from now on.
    #[serde(default)]
    pub set_drift: Vec<DriftConfig>,
    /// Take `amount` out of a stock (a track), down to its minimum.
    #[serde(default)]
    pub consume: Vec<ConsumeConfig>,
}

#[derive(Deserialize, schemars::JsonSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ShiftConfig {
    pub track: String,
    pub by: Dist,
}

#[derive(Deserialize, schemars::JsonSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ScaleConfig {
    pub track: String,
    pub factor: Dist,
}

#[derive(Deserialize, schemars::JsonSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct DriftConfig {
    pub track: String,
    pub drift: Dist,
}

#[derive(Deserialize, schemars::JsonSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ConsumeConfig {
    pub track: String,
    pub amount: Dist,
}

fn zero() -> Dist {
    Dist::fixed(0.0)
}

/// A compiled setback: which track, and the parameter holding the fraction removed.
#[derive(Clone, Copy, Debug)]
pub struct Setback {
    pub track: TrackId,
    pub fraction: ParamId,
}

/// Compiles a `setback = [...]` list.
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

/// A compiled track action.
#[derive(Clone, Copy, Debug)]
pub enum Action {
    Shift(TrackId, ParamId),
    Scale(TrackId, ParamId),
    SetDrift(TrackId, ParamId),
    Consume(TrackId, ParamId),
}

/// Compiles the track actions of a rule table.
pub fn compile_actions(t: &RuleTable, b: &mut Builder, c: &ActionsConfig) -> Vec<Action> {
    let mut v = Vec::new();
    for (i, s) in c.shift.iter().enumerate() {
        let p = |k: &str| t.path(&format!("shift[{i}].{k}"));
        v.push(Action::Shift(
            b.track(&p("track"), &s.track),
            b.param(&p("by"), &s.by, Bounds::Any),
        ));
    }
    for (i, s) in c.scale.iter().enumerate() {
        let p = |k: &str| t.path(&format!("scale[{i}].{k}"));
        v.push(Action::Scale(
            b.track(&p("track"), &s.track),
            b.param(&p("factor"), &s.factor, Bounds::NonNegative),
        ));
    }
    for (i, s) in c.set_drift.iter().enumerate() {
        let p = |k: &str| t.path(&format!("set_drift[{i}].{k}"));
        v.push(Action::SetDrift(
            b.track(&p("track"), &s.track),
            b.param(&p("drift"), &s.drift, Bounds::Any),
        ));
    }
    for (i, s) in c.consume.iter().enumerate() {
        let p = |k: &str| t.path(&format!("consume[{i}].{k}"));
        v.push(Action::Consume(
            b.track(&p("track"), &s.track),
            b.param(&p("amount"), &s.amount, Bounds::NonNegative),
        ));
    }
    v
}

/// Emits track actions.
pub fn emit_actions(actions: &[Action], w: &World, out: &mut Vec<Effect>) {
    for a in actions {
        out.push(match *a {
            Action::Shift(track, by) => Effect::Shift { track, by: w.p(by) },
            Action::Scale(track, f) => Effect::Scale {
                track,
                factor: w.p(f),
            },
            Action::SetDrift(track, d) => Effect::SetDrift {
                track,
                drift: Some(w.p(d)),
            },
            Action::Consume(track, a) => Effect::Shift { track, by: -w.p(a) },
        });
    }
}

/// A partner whose approval a strike needs.
#[derive(Clone, Debug)]
pub struct Consent {
    pub actor: ActorId,
    pub probability: Hazard,
    pub join: Hazard,
}

impl Consent {
    pub fn compile(
        t: &RuleTable,
        b: &mut Builder,
        mods: &mut ModifierSet,
        c: &ConsentConfig,
    ) -> Consent {
        Consent {
            actor: b.actor(&t.path("consent.actor"), &c.actor),
            probability: mods.hazard(
                b,
                "consent.probability",
                "consent.probability",
                &c.probability,
                Bounds::Unit,
            ),
            join: mods.hazard(
                b,
                "consent.join_probability",
                "consent.join_probability",
                &c.join_probability,
                Bounds::Unit,
            ),
        }
    }
}

/// A decided strike waiting for its day.
#[derive(Clone, Copy, Debug)]
struct Plan {
    due: u32,
    /// The day it was decided: an agreement on or after it calls the strike off.
    made: u32,
    act: Act,
    joins: bool,
}

/// The shared machinery of a deliberate strike on one target.
#[derive(Clone, Debug)]
pub struct Striker {
    pub idx: RuleIdx,
    pub actor: ActorId,
    pub target: ActorId,
    pub level: Level,
    pub consent: Option<Consent>,
    /// Days from decision to strike, drawn for each decision.
    pub preparation: Days,
    /// Days after a strike before the next decision, drawn for each strike.
    pub cooldown: Days,
    /// Call a prepared strike off when an agreement between the two sides takes effect.
    pub abort_on_peace: bool,
    pub setbacks: Vec<Setback>,
    pub actions: Vec<Action>,
    /// Index of the consent hazards in the rule's `hazards()` (probability, then join).
    pub consent_hazard: u8,
    planned: Option<Plan>,
    last_strike: Option<u32>,
    /// First day after the last strike's cooldown.
    cool_until: u32,
    /// The partner's standing willingness in this run, uniform on [0, 1): it approves while
    /// the consent probability exceeds it. Asked again in the same state it gives the same
    /// answer; a change of state (a modifier) can change it.
    willingness: f64,
}

impl Striker {
    #[allow(clippy::too_many_arguments)] // each is one setting of the strike
    pub fn new(
        idx: RuleIdx,
        actor: ActorId,
        target: ActorId,
        level: Level,
        consent: Option<Consent>,
        preparation: Days,
        cooldown: Days,
        abort_on_peace: bool,
        setbacks: Vec<Setback>,
        actions: Vec<Action>,
    ) -> Striker {
        Striker {
            idx,
            actor,
            target,
            level,
            consent,
            preparation,
            cooldown,
            abort_on_peace,
            setbacks,
            actions,
            consent_hazard: 0,
            planned: None,
            last_strike: None,
            cool_until: 0,
            willingness: 0.0,
        }
    }

    /// Resets the run's state; draws the partner's standing willingness when there is one.
    pub fn begin_run(&mut self, rng: &mut Rng) {
        self.planned = None;
        self.last_strike = None;
        self.cool_until = 0;
        if self.consent.is_some() {
            use rand::RngExt;
            self.willingness = rng.random();
        }
    }

    /// Carries a prepared strike forward: today's preparation (visible from tomorrow), the
    /// strike on its day, or calling it off. `Some(wake)` while a plan is pending or just
    /// ended, in which case the rule does nothing else today.
    pub fn tick(&mut self, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) -> Option<Wake> {
        let plan = self.planned?;
        if self.abort_on_peace {
            let accord = w.accord(self.actor, self.target);
            if accord != crate::model::NEVER && accord >= plan.made {
                self.planned = None;
                out.push(Effect::Note(Note {
                    kind: NoteKind::PlanAborted,
                    rule: self.idx,
                    a: self.actor,
                    b: self.target,
                    value: plan.made,
                }));
                return Some(Wake::Tomorrow);
            }
        }
        if w.day >= plan.due {
            self.planned = None;
            self.strike(plan.act, plan.joins, w, rng, out);
        } else {
            out.push(Effect::Intent {
                actor: self.actor,
                target: self.target,
            });
        }
        Some(Wake::Tomorrow)
    }

    /// The first day after a strike on which the actor may decide again, if that is later
    /// than today.
    pub fn cooling(&self, day: u32) -> Option<u32> {
        self.last_strike?;
        (day < self.cool_until).then_some(self.cool_until)
    }

    /// Whether the actor has struck in this run.
    pub fn has_struck(&self) -> bool {
        self.last_strike.is_some()
    }

    /// The actor has resolved to strike today: ask consent, then strike or start preparing.
    pub fn decided(&mut self, why: Why, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) {
        let mut joins = false;
        if let Some(c) = &self.consent {
            let ctx = (self.actor, self.target);
            // A standing policy, not a fresh coin each time Israel asks: refused once, the
            // partner refuses again until the state moves its probability past its willingness.
            let approved = self.willingness < c.probability.value(w, ctx);
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
            joins = chance(rng, c.join.value(w, ctx)).0;
        }
        let act = Act {
            actor: self.actor,
            target: self.target,
            level: self.level,
            rule: self.idx,
            form: Form::Strike,
            trigger_day: w.day,
            why,
        };
        let preparation = self.preparation.sample(rng);
        if preparation == 0 {
            self.strike(act, joins, w, rng, out);
        } else {
            // Preparations start today and are visible from tomorrow.
            out.push(Effect::Intent {
                actor: self.actor,
                target: self.target,
            });
            self.planned = Some(Plan {
                due: w.day.saturating_add(preparation),
                made: w.day,
                act,
                joins,
            });
        }
    }

    fn strike(&mut self, act: Act, joins: bool, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) {
        out.push(Effect::Act(act));
        if let (true, Some(c)) = (joins, &self.consent) {
            out.push(Effect::Act(Act {
                actor: c.actor,
                form: Form::JointStrike,
                ..act
            }));
        }
        emit_setbacks(&self.setbacks, w, out);
        emit_actions(&self.actions, w, out);
        self.last_strike = Some(w.day);
        self.cool_until = w.day.saturating_add(self.cooldown.sample(rng));
    }
}

/// The note of a decision that is not a hostile act.
pub fn decision_note(rule: RuleIdx, actor: ActorId) -> Effect {
    Effect::Note(Note {
        kind: NoteKind::Decision,
        rule,
        a: actor,
        b: NO_ACTOR,
        value: 0,
    })
}
