//! `effect`: what acts do to tracks — being struck can raise a rebuild rate, a salvo consumes
//! launchers and the interceptors that meet it, an attack raises the pressure to punish.
//!
//! Whenever an act takes effect in which `actor` is struck (`on = "struck"`, by one of `by`)
//! or strikes (`on = "strikes"`, one of `against`) at `min_level` or above (and, with `form`,
//! in one of those forms), the rule applies its track actions (`shift`, `scale`, `set_drift`,
//! `consume`) with `probability`, drawn per act. The actions take effect the same day, right
//! after the act. Acts before the start (`[initial]` history) have no effect: their
//! consequences are part of the starting state.

use serde::Deserialize;

use super::condition::{ActorSet, has};
use super::hazard::{Hazard, ModifierConfig, ModifierSet};
use super::strike::{
    Action, ActionsConfig, ConsumeConfig, DriftConfig, ScaleConfig, ShiftConfig, compile_actions,
    emit_actions,
};
use super::{Kind, Rule, Wake, Wakes, chance};
use crate::metrics::{FormClass, class_of, form_class, form_names};
use crate::model::{Act, ActorId, Effect, Level, World};
use crate::rng::Rng;
use crate::scenario::build::{Bounds, Builder, RuleTable};
use crate::scenario::diag::suggest;
use crate::scenario::dist::Dist;

pub const KIND: Kind = Kind {
    name: "effect",
    summary: "what an act does to tracks when an actor is struck or strikes: shift, scale or \
              set the drift of a track, or consume a stock",
    compile,
    schema: |g| g.subschema_for::<Config>(),
};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "EffectRule")]
pub(crate) struct Config {
    #[allow(dead_code)]
    kind: String,
    /// "struck": acts against `actor`; "strikes": acts by `actor`.
    on: String,
    actor: String,
    /// With on = "struck": only acts by these actors (default: anyone).
    by: Option<Vec<String>>,
    /// With on = "strikes": only acts against these actors (default: anyone).
    against: Option<Vec<String>>,
    /// Only acts at this rung or above (default: any hostile act).
    min_level: Option<String>,
    /// Only acts of these forms (as in metrics: strike, retaliation, proxy, ...).
    form: Option<Vec<String>>,
    /// Chance, per act, that the actions apply.
    #[serde(default = "one")]
    probability: Dist,
    #[serde(default)]
    shift: Vec<ShiftConfig>,
    #[serde(default)]
    scale: Vec<ScaleConfig>,
    #[serde(default)]
    set_drift: Vec<DriftConfig>,
    #[serde(default)]
    consume: Vec<ConsumeConfig>,
    #[serde(default)]
    modifiers: Vec<ModifierConfig>,
    source: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

fn one() -> Dist {
    Dist::fixed(1.0)
}

#[derive(Clone, Debug)]
pub struct EffectRule {
    actor: ActorId,
    /// True: the actor is struck; false: the actor strikes.
    struck: bool,
    others: ActorSet,
    min_level: Level,
    forms: Option<Vec<FormClass>>,
    probability: Hazard,
    actions: Vec<Action>,
    source: Option<String>,
}

pub fn compile(t: &RuleTable, b: &mut Builder) -> Option<Box<dyn Rule>> {
    let c: Config = t.config(b)?;
    let mut mods = ModifierSet::new(t, &c.modifiers, true, vec!["probability".into()], b);
    let struck = match c.on.as_str() {
        "struck" => true,
        "strikes" => false,
        other => {
            b.error_help(
                t.path("on"),
                format!("unknown `on` = \"{other}\""),
                "on = \"struck\" (acts against the actor) or \"strikes\" (acts by it)",
            );
            return None;
        }
    };
    let (key, list, wrong) = if struck {
        ("by", &c.by, c.against.is_some().then_some("against"))
    } else {
        ("against", &c.against, c.by.is_some().then_some("by"))
    };
    if let Some(w) = wrong {
        b.error_help(
            t.path(w),
            format!("`{w}` does not go with on = \"{}\"", c.on),
            format!("with on = \"{}\" the other side is `{key}`", c.on),
        );
    }
    let others = match list {
        None => ActorSet::MAX,
        Some(v) if v.is_empty() => {
            b.error_help(
                t.path(key),
                format!("`{key}` names no actor, so the effect never applies"),
                format!("leave `{key}` out to mean anyone"),
            );
            0
        }
        Some(v) => b
            .actors(&t.path(key), v)
            .iter()
            .fold(0, |s, &a| if a < 64 { s | (1 << a) } else { s }),
    };
    let forms = c.form.as_ref().map(|list| {
        let names = form_names();
        list.iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let class = form_class(f);
                if class.is_none() {
                    b.error_help(
                        t.path(&format!("form[{i}]")),
                        format!("unknown form `{f}`"),
                        suggest(f, &names),
                    );
                }
                class
            })
            .collect()
    });
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
    if actions.is_empty() {
        b.error_help(
            format!("rules.{}", t.id),
            "an effect that changes nothing",
            "give it shift, scale, set_drift or consume",
        );
    }
    let rule = EffectRule {
        actor: b.actor(&t.path("actor"), &c.actor),
        struck,
        others,
        min_level: c
            .min_level
            .as_ref()
            .map_or(1, |l| b.level(&t.path("min_level"), l)),
        forms,
        probability: mods.hazard(
            b,
            "probability",
            "probability",
            &c.probability,
            Bounds::Unit,
        ),
        actions,
        source: c.source,
    };
    mods.finish(b);
    Some(Box::new(rule))
}

impl EffectRule {
    fn concerns(&self, a: &Act) -> Option<ActorId> {
        let other = if self.struck {
            (a.target == self.actor).then_some(a.actor)?
        } else {
            (a.actor == self.actor).then_some(a.target)?
        };
        let form_ok = self
            .forms
            .as_ref()
            .is_none_or(|f| f.contains(&class_of(a.form)));
        (has(self.others, other) && a.level >= self.min_level && form_ok).then_some(other)
    }
}

impl Rule for EffectRule {
    fn kind(&self) -> &'static str {
        "effect"
    }

    fn begin_run(&mut self, _w: &World, _rng: &mut Rng) {}

    fn decide(&mut self, _w: &World, _rng: &mut Rng, _out: &mut Vec<Effect>) -> Wake {
        // Effects only react to acts.
        Wake::Woken
    }

    fn react(
        &mut self,
        acts: &[Act],
        _same_day: bool,
        w: &World,
        rng: &mut Rng,
        out: &mut Vec<Effect>,
    ) -> Wake {
        for a in acts {
            let Some(other) = self.concerns(a) else {
                continue;
            };
            let p = self.probability.value(w, (self.actor, other));
            if p >= 1.0 || chance(rng, p).0 {
                emit_actions(&self.actions, w, out);
            }
        }
        Wake::Woken
    }

    fn reacts(&self) -> bool {
        true
    }

    fn reacts_to(&self, actor: ActorId, target: ActorId, level: Level) -> bool {
        // `concerns` without the form, which the act's sides and level do not give.
        let other = if self.struck {
            if target != self.actor {
                return false;
            }
            actor
        } else {
            if actor != self.actor {
                return false;
            }
            target
        };
        has(self.others, other) && level >= self.min_level
    }

    fn wakes(&self) -> Wakes {
        Wakes::NONE
    }

    fn hazards(&self) -> Vec<&Hazard> {
        vec![&self.probability]
    }

    fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    fn box_clone(&self) -> Box<dyn Rule> {
        Box::new(self.clone())
    }
}
