//! `retaliation`: a pledge to answer when struck.
//!
//! When the actor (or an actor it `protects`) is struck at `min_level` or above, it answers with
//! `probability`, after a delay drawn per event from `delay_days` (0 means the same day, in the
//! day's second wave). The answer targets the attacker, or with `ally_target_probability` the
//! attacker's first ally. A "harsh" answer climbs `escalation` rungs above the blow received
//! with `escalation_probability`, capped at `cap`; with `token_probability` it is instead a
//! token, pre-warned reply at `token_level`. Proxies may join the answer. A pending answer is
//! dropped if the two sides' hostilities end before it is due.

use serde::Deserialize;

use super::{Rule, Wake, chance};
use crate::model::{Act, ActorId, Effect, Form, Level, ParamId, RuleIdx, Why, World};
use crate::rng::Rng;
use crate::scenario::build::{Bounds, Builder, RuleTable};
use crate::scenario::dist::Dist;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RetaliationRule")]
pub(crate) struct Config {
    #[allow(dead_code)]
    kind: String,
    actor: String,
    #[serde(default)]
    protects: Vec<String>,
    min_level: String,
    probability: Dist,
    #[serde(default = "zero")]
    delay_days: Dist,
    #[serde(default = "one_step")]
    escalation: u8,
    #[serde(default = "one")]
    escalation_probability: Dist,
    cap: String,
    #[serde(default = "zero")]
    token_probability: Dist,
    token_level: Option<String>,
    #[serde(default = "zero")]
    ally_target_probability: Dist,
    #[serde(default)]
    proxies: Vec<ProxyConfig>,
    source: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ProxyConfig {
    actor: String,
    probability: Dist,
    level: String,
}

fn zero() -> Dist {
    Dist::fixed(0.0)
}
fn one() -> Dist {
    Dist::fixed(1.0)
}
fn one_step() -> u8 {
    1
}

#[derive(Clone, Debug)]
struct Proxy {
    actor: ActorId,
    probability: ParamId,
    level: Level,
}

#[derive(Clone, Copy, Debug)]
struct Pending {
    due: u32,
    act: Act,
    epoch: u32,
    /// The attacker being answered (the act may target its ally instead).
    against: ActorId,
}

#[derive(Clone, Debug)]
pub struct Retaliation {
    idx: RuleIdx,
    actor: ActorId,
    protects: Vec<ActorId>,
    min_level: Level,
    probability: ParamId,
    delay: Dist,
    escalation: u8,
    escalation_probability: ParamId,
    cap: Level,
    token_probability: ParamId,
    token_level: Option<Level>,
    ally_target_probability: ParamId,
    proxies: Vec<Proxy>,
    /// First ally of each actor, the target of an answer aimed at "the attacker's ally".
    first_ally: Vec<Option<ActorId>>,
    source: Option<String>,
    pending: Vec<Pending>,
    /// (attacker, day) of answers given on the spot, to keep to one answer at a time.
    answered_today: Vec<(ActorId, u32)>,
}

pub fn compile(t: &RuleTable, b: &mut Builder) -> Option<Box<dyn Rule>> {
    let c: Config = t.config(b)?;
    let proxies = c
        .proxies
        .iter()
        .enumerate()
        .map(|(i, p)| Proxy {
            actor: b.actor(&t.path(&format!("proxies[{i}].actor")), &p.actor),
            probability: b.prob(
                &t.path(&format!("proxies[{i}].probability")),
                &p.probability,
            ),
            level: b.level(&t.path(&format!("proxies[{i}].level")), &p.level),
        })
        .collect();
    let rule = Retaliation {
        idx: t.idx,
        actor: b.actor(&t.path("actor"), &c.actor),
        protects: b.actors(&t.path("protects"), &c.protects),
        min_level: b.level(&t.path("min_level"), &c.min_level),
        probability: b.prob(&t.path("probability"), &c.probability),
        delay: b.event_dist(&t.path("delay_days"), &c.delay_days, Bounds::NonNegative),
        escalation: c.escalation,
        escalation_probability: b
            .prob(&t.path("escalation_probability"), &c.escalation_probability),
        cap: b.level(&t.path("cap"), &c.cap),
        token_probability: b.prob(&t.path("token_probability"), &c.token_probability),
        token_level: c
            .token_level
            .as_ref()
            .map(|l| b.level(&t.path("token_level"), l)),
        ally_target_probability: b.prob(
            &t.path("ally_target_probability"),
            &c.ally_target_probability,
        ),
        proxies,
        first_ally: b.allies.iter().map(|a| a.first().copied()).collect(),
        source: c.source,
        pending: Vec::new(),
        answered_today: Vec::new(),
    };
    Some(Box::new(rule))
}

impl Retaliation {
    fn concerns(&self, act: &Act) -> bool {
        let struck = act.target == self.actor || self.protects.contains(&act.target);
        let own_side = act.actor == self.actor || self.protects.contains(&act.actor);
        struck && !own_side && act.level >= self.min_level
    }

    fn answer(
        &mut self,
        struck: &Act,
        same_day: bool,
        w: &World,
        rng: &mut Rng,
        out: &mut Vec<Effect>,
    ) {
        // One answer at a time per attacker: a pledge is not a promise to answer every shell.
        let attacker = struck.actor;
        if self
            .pending
            .iter()
            .any(|p| p.act.actor == self.actor && p.against == attacker)
            || self
                .answered_today
                .iter()
                .any(|&(a, d)| a == attacker && d == w.day)
        {
            return;
        }
        // A ceasefire that took hold today covers the day's last blows.
        if w.ended(attacker, struck.target) == w.day {
            return;
        }
        let p = w.p(self.probability) * w.scale[self.idx as usize];
        let (go, draw) = chance(rng, p);
        if !go {
            return;
        }
        let delay = self.delay.sample(rng).floor().max(0.0) as u32;
        let token = chance(rng, w.p(self.token_probability)).0;
        let level = if token {
            self.token_level.unwrap_or(struck.level).min(self.cap)
        } else if chance(rng, w.p(self.escalation_probability)).0 {
            struck.level.saturating_add(self.escalation).min(self.cap)
        } else {
            struck.level.min(self.cap)
        };
        let mut target = struck.actor;
        if chance(rng, w.p(self.ally_target_probability)).0
            && let Some(ally) = self.first_ally[struck.actor as usize]
            && ally != self.actor
        {
            target = ally;
        }
        let act = Act {
            actor: self.actor,
            target,
            level,
            rule: self.idx,
            form: Form::Retaliation { token },
            trigger_day: w.day,
            why: Why::Chance {
                p,
                draw: Some(draw),
            },
        };
        self.schedule(act, attacker, delay, same_day, w, out);
        // Token replies are pre-warned and stay between the principals.
        if token {
            return;
        }
        for i in 0..self.proxies.len() {
            let px = self.proxies[i].clone();
            let q = w.p(px.probability);
            let (joins, d) = chance(rng, q);
            if joins && px.actor != target {
                let act = Act {
                    actor: px.actor,
                    target,
                    level: px.level,
                    form: Form::Proxy,
                    why: Why::Chance {
                        p: q,
                        draw: Some(d),
                    },
                    ..act
                };
                self.schedule(act, attacker, delay, same_day, w, out);
            }
        }
    }

    fn schedule(
        &mut self,
        act: Act,
        against: ActorId,
        delay: u32,
        same_day: bool,
        w: &World,
        out: &mut Vec<Effect>,
    ) {
        if delay == 0 && same_day {
            out.push(Effect::Act(act));
            if act.actor == self.actor {
                self.answered_today.push((against, w.day));
            }
        } else {
            let due = w.day + delay.max(1);
            let epoch = w.epoch(act.actor, act.target);
            self.pending.push(Pending {
                due,
                act,
                epoch,
                against,
            });
        }
    }
}

impl Rule for Retaliation {
    fn kind(&self) -> &'static str {
        "retaliation"
    }

    fn begin_run(&mut self, _world: &World, _rng: &mut Rng) {
        self.pending.clear();
        self.answered_today.clear();
        // Clones of the prototype start with no capacity; reserving here allocates once per
        // workspace, not per day.
        self.pending.reserve(16);
        self.answered_today.reserve(16);
    }

    fn decide(&mut self, w: &World, _rng: &mut Rng, out: &mut Vec<Effect>) -> Wake {
        self.answered_today.retain(|&(_, d)| d == w.day);
        let mut i = 0;
        while i < self.pending.len() {
            let p = self.pending[i];
            if p.due <= w.day {
                self.pending.swap_remove(i);
                // Hostilities ended in between: the answer is called off.
                if w.epoch(p.act.actor, p.act.target) == p.epoch {
                    out.push(Effect::Act(p.act));
                }
            } else {
                out.push(Effect::Intent {
                    actor: p.act.actor,
                    target: p.act.target,
                });
                i += 1;
            }
        }
        // Answers are queued only by `react`, i.e. after an act, which wakes every rule.
        if self.pending.is_empty() {
            Wake::Woken
        } else {
            Wake::Tomorrow
        }
    }

    fn react(
        &mut self,
        acts: &[Act],
        same_day: bool,
        w: &World,
        rng: &mut Rng,
        out: &mut Vec<Effect>,
    ) {
        for act in acts {
            if self.concerns(act) {
                self.answer(act, same_day, w, rng, out);
            }
        }
    }

    fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    fn box_clone(&self) -> Box<dyn Rule> {
        Box::new(self.clone())
    }
}
