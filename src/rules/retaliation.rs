//! `retaliation`: a pledge to answer when struck.
//!
//! When the actor (or an actor it `protects`) is struck at `min_level` or above — by one of
//! `against`, if given — it answers with `probability`, after a delay drawn per answer from
//! `delay_days` (0 means the same day, in the day's second wave). The answer targets the
//! attacker, or with `ally_target_probability` the attacker's first ally. A "harsh" answer
//! climbs `escalation` rungs above the blow received with `escalation_probability`, capped at
//! `cap`; with `token_probability` it is instead a token, pre-warned reply at `token_level`.
//! `by_level` sets the answer probability and escalation per rung of the blow (a campaign
//! answered more surely than a pinprick, less escalation near the top). With
//! `decide = "per_war"` the pledge decides once per war whether to answer and keeps to it;
//! proxies may join the answer, each deciding per blow or once per war. A pending answer is
//! dropped if the two sides' hostilities end before it is due. Acts before the start
//! (`[initial]` history) are answered like fresh blows on the start day.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::condition::{ActorSet, has};
use super::hazard::{Hazard, ModifierConfig, ModifierSet, index};
use super::{Kind, Rule, Wake, Wakes, chance};
use crate::model::{Act, ActorId, Effect, Form, Level, RuleIdx, Why, World};
use crate::rng::Rng;
use crate::scenario::build::{Bounds, Builder, RuleTable};
use crate::scenario::diag::suggest;
use crate::scenario::dist::Dist;

pub const KIND: Kind = Kind {
    name: "retaliation",
    summary: "a pledge to answer when struck: whom, how surely, how soon and how hard, with \
              proxies joining",
    compile,
    schema: |g| g.subschema_for::<Config>(),
};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RetaliationRule")]
pub(crate) struct Config {
    #[allow(dead_code)]
    kind: String,
    actor: String,
    #[serde(default)]
    protects: Vec<String>,
    /// Answer only blows by these actors (default: anyone).
    against: Option<Vec<String>>,
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
    /// Per rung of the blow received: the answer's probability and escalation.
    #[serde(default)]
    by_level: BTreeMap<String, LevelConfig>,
    /// "per_blow" (default): every blow is a fresh decision; "per_war": decide at the first
    /// blow of a war and keep to it for the rest of that war.
    decide: Option<String>,
    #[serde(default)]
    proxies: Vec<ProxyConfig>,
    #[serde(default)]
    modifiers: Vec<ModifierConfig>,
    source: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct LevelConfig {
    probability: Option<Dist>,
    escalation: Option<u8>,
    escalation_probability: Option<Dist>,
    token_probability: Option<Dist>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ProxyConfig {
    actor: String,
    probability: Dist,
    level: String,
    /// "per_blow" or "per_war" (default: the pledge's own `decide`).
    decide: Option<String>,
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

/// Whether a decision is taken afresh for every blow or once per war.
fn per_war(b: &mut Builder, path: &str, v: Option<&str>, default: bool) -> bool {
    match v {
        None => default,
        Some("per_blow") => false,
        Some("per_war") => true,
        Some(other) => {
            b.error_help(
                path,
                format!("unknown `decide` = \"{other}\""),
                suggest(other, &["per_blow", "per_war"]),
            );
            default
        }
    }
}

#[derive(Clone, Debug)]
struct Proxy {
    actor: ActorId,
    probability: Hazard,
    level: Level,
    per_war: bool,
    /// (attacker, struck, episode, joins) decided this run, for `per_war`.
    decided: Vec<(ActorId, ActorId, u32, bool)>,
}

/// The answer's settings for blows at one rung.
#[derive(Clone, Debug)]
struct Answer {
    probability: Hazard,
    escalation: u8,
    escalation_probability: Hazard,
    token_probability: Hazard,
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
    against: ActorSet,
    min_level: Level,
    delay: Dist,
    cap: Level,
    token_level: Option<Level>,
    ally_target: Hazard,
    /// The pledge's own answer settings, before any `by_level` override.
    main: Answer,
    /// `answers[rung of the blow]`: what answering that blow means.
    answers: Vec<Answer>,
    /// Index in `hazards()` of each rung's answer hazards (probability, escalation, token).
    hazard_index: Vec<[u8; 3]>,
    per_war: bool,
    proxies: Vec<Proxy>,
    /// First ally of each actor, the target of an answer aimed at "the attacker's ally".
    first_ally: Vec<Option<ActorId>>,
    source: Option<String>,
    pending: Vec<Pending>,
    /// (attacker, day) of answers given on the spot, to keep to one answer at a time.
    answered_today: Vec<(ActorId, u32)>,
    /// (attacker, struck, episode, answers) decided this run, for `per_war`.
    decided: Vec<(ActorId, ActorId, u32, bool)>,
}

pub fn compile(t: &RuleTable, b: &mut Builder) -> Option<Box<dyn Rule>> {
    let c: Config = t.config(b)?;
    let mut keys: Vec<String> = [
        "probability",
        "escalation_probability",
        "token_probability",
        "ally_target_probability",
    ]
    .iter()
    .map(|k| k.to_string())
    .collect();
    keys.extend(c.proxies.iter().map(|p| format!("proxies.{}", p.actor)));
    let mut mods = ModifierSet::new(t, &c.modifiers, true, keys, b);
    let pledge_per_war = per_war(b, &t.path("decide"), c.decide.as_deref(), false);
    let proxies = c
        .proxies
        .iter()
        .enumerate()
        .map(|(i, p)| Proxy {
            actor: b.actor(&t.path(&format!("proxies[{i}].actor")), &p.actor),
            probability: mods.hazard(
                b,
                &format!("proxies.{}", p.actor),
                &format!("proxies[{i}].probability"),
                &p.probability,
                Bounds::Unit,
            ),
            level: b.level(&t.path(&format!("proxies[{i}].level")), &p.level),
            per_war: per_war(
                b,
                &t.path(&format!("proxies[{i}].decide")),
                p.decide.as_deref(),
                pledge_per_war,
            ),
            decided: Vec::new(),
        })
        .collect();
    let actor = b.actor(&t.path("actor"), &c.actor);
    let min_level = b.level(&t.path("min_level"), &c.min_level);
    let cap = b.level(&t.path("cap"), &c.cap);
    if cap < min_level && b.diags.is_empty() {
        b.error_help(
            t.path("cap"),
            format!(
                "`cap` ({}) is below `min_level` ({}): every answer would be weaker than the \
                 blows the pledge answers",
                c.cap, c.min_level
            ),
            "raise the cap to min_level or above",
        );
    }
    let against = match &c.against {
        None => ActorSet::MAX,
        Some(v) if v.is_empty() => {
            b.error_help(
                t.path("against"),
                "`against` names no actor, so the pledge never answers",
                "leave `against` out to answer anyone",
            );
            0
        }
        Some(v) => b
            .actors(&t.path("against"), v)
            .iter()
            .fold(0, |s, &a| if a < 64 { s | (1 << a) } else { s }),
    };
    let main = Answer {
        probability: mods.hazard(
            b,
            "probability",
            "probability",
            &c.probability,
            Bounds::Unit,
        ),
        escalation: c.escalation,
        escalation_probability: mods.hazard(
            b,
            "escalation_probability",
            "escalation_probability",
            &c.escalation_probability,
            Bounds::Unit,
        ),
        token_probability: mods.hazard(
            b,
            "token_probability",
            "token_probability",
            &c.token_probability,
            Bounds::Unit,
        ),
    };
    let ally_target = mods.hazard(
        b,
        "ally_target_probability",
        "ally_target_probability",
        &c.ally_target_probability,
        Bounds::Unit,
    );
    // Hazards are listed: the four main ones, each proxy's, then per-rung overrides.
    let mut next = 4 + c.proxies.len();
    let rungs = b.levels.len();
    let mut answers = vec![main.clone(); rungs];
    let main_index = [0u8, 1, 2];
    let mut hazard_index = vec![main_index; rungs];
    let names = b.levels.clone();
    for (name, lc) in &c.by_level {
        let path = format!("by_level.{name}");
        let Some(r) = names.iter().position(|n| n == name) else {
            let cands: Vec<&str> = names.iter().map(String::as_str).collect();
            b.error_help(
                t.path(&path),
                format!("unknown ladder level `{name}`"),
                suggest(name, &cands),
            );
            continue;
        };
        if (r as Level) < min_level {
            b.error_help(
                t.path(&path),
                format!(
                    "blows at `{name}` are below `min_level`, so this pledge never answers them"
                ),
                "remove the entry, or lower min_level",
            );
        }
        let a = &mut answers[r];
        if let Some(d) = &lc.probability {
            a.probability = mods.hazard(
                b,
                "probability",
                &format!("{path}.probability"),
                d,
                Bounds::Unit,
            );
            hazard_index[r][0] = index(next);
            next += 1;
        }
        if let Some(e) = lc.escalation {
            a.escalation = e;
        }
        if let Some(d) = &lc.escalation_probability {
            a.escalation_probability = mods.hazard(
                b,
                "escalation_probability",
                &format!("{path}.escalation_probability"),
                d,
                Bounds::Unit,
            );
            hazard_index[r][1] = index(next);
            next += 1;
        }
        if let Some(d) = &lc.token_probability {
            a.token_probability = mods.hazard(
                b,
                "token_probability",
                &format!("{path}.token_probability"),
                d,
                Bounds::Unit,
            );
            hazard_index[r][2] = index(next);
            next += 1;
        }
    }
    let rule = Retaliation {
        idx: t.idx,
        actor,
        protects: b.actors(&t.path("protects"), &c.protects),
        against,
        min_level,
        delay: b.event_dist(&t.path("delay_days"), &c.delay_days, Bounds::NonNegative),
        cap,
        token_level: c
            .token_level
            .as_ref()
            .map(|l| b.level(&t.path("token_level"), l)),
        ally_target,
        main,
        answers,
        hazard_index,
        per_war: pledge_per_war,
        proxies,
        first_ally: b.allies.iter().map(|a| a.first().copied()).collect(),
        source: c.source,
        pending: Vec::new(),
        answered_today: Vec::new(),
        decided: Vec::new(),
    };
    mods.finish(b);
    Some(Box::new(rule))
}

/// A decision kept for the rest of a war: the cached answer for (attacker, struck, episode),
/// or a fresh draw that is then kept.
fn keep(
    cache: &mut Vec<(ActorId, ActorId, u32, bool)>,
    key: (ActorId, ActorId, u32),
    draw: impl FnOnce() -> bool,
) -> bool {
    if let Some(&(_, _, _, v)) = cache.iter().find(|&&(a, s, e, _)| (a, s, e) == key) {
        return v;
    }
    let v = draw();
    cache.push((key.0, key.1, key.2, v));
    v
}

impl Retaliation {
    fn concerns(&self, act: &Act) -> bool {
        self.concerns_blow(act.actor, act.target, act.level)
    }

    /// Whether a blow by `actor` on `target` at `level` is one this pledge answers.
    fn concerns_blow(&self, actor: ActorId, target: ActorId, level: Level) -> bool {
        let struck = target == self.actor || self.protects.contains(&target);
        let own_side = actor == self.actor || self.protects.contains(&actor);
        struck && !own_side && level >= self.min_level && has(self.against, actor)
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
        let ctx = (self.actor, attacker);
        let rung = struck.level as usize;
        let [hp, he, ht] = self.hazard_index[rung];
        let ans = &self.answers[rung];
        let (mut odds, _) = ans.probability.eval(w, ctx, hp);
        let s = w.scale[self.idx as usize];
        odds.other = s;
        odds.p *= s;
        let p = odds.p;
        let mut draw = None;
        let go = if self.per_war {
            let episode = w.episode(struck.target, attacker);
            keep(
                &mut self.decided,
                (attacker, struck.target, episode),
                || {
                    let (go, d) = chance(rng, p);
                    draw = Some(d);
                    go
                },
            )
        } else {
            let (go, d) = chance(rng, p);
            draw = Some(d);
            go
        };
        if !go {
            return;
        }
        let delay = self.delay.sample(rng).floor().max(0.0) as u32;
        let token = chance(rng, ans.token_probability.eval(w, ctx, ht).0.p).0;
        let level = if token {
            self.token_level.unwrap_or(struck.level).min(self.cap)
        } else if chance(rng, ans.escalation_probability.eval(w, ctx, he).0.p).0 {
            struck.level.saturating_add(ans.escalation).min(self.cap)
        } else {
            struck.level.min(self.cap)
        };
        let mut target = struck.actor;
        if chance(rng, self.ally_target.value(w, ctx)).0
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
            why: Why::Chance { odds, draw },
        };
        self.schedule(act, attacker, delay, same_day, w, out);
        // Token replies are pre-warned and stay between the principals.
        if token {
            return;
        }
        for i in 0..self.proxies.len() {
            let px = &mut self.proxies[i];
            let (odds, _) = px.probability.eval(w, (px.actor, attacker), index(4 + i));
            let q = odds.p;
            let mut d = None;
            let joins = if px.per_war {
                let episode = w.episode(struck.target, attacker);
                keep(&mut px.decided, (attacker, struck.target, episode), || {
                    let (j, x) = chance(rng, q);
                    d = Some(x);
                    j
                })
            } else {
                let (j, x) = chance(rng, q);
                d = Some(x);
                j
            };
            let (pa, pl) = (px.actor, px.level);
            if joins && pa != target {
                let act = Act {
                    actor: pa,
                    target,
                    level: pl,
                    form: Form::Proxy,
                    why: Why::Chance { odds, draw: d },
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
        self.decided.clear();
        // Clones of the prototype start with no capacity; reserving here allocates once per
        // workspace, not per day.
        self.pending.reserve(16);
        self.answered_today.reserve(16);
        self.decided.reserve(16);
        for p in &mut self.proxies {
            p.decided.clear();
            p.decided.reserve(16);
        }
    }

    fn decide(&mut self, w: &World, _rng: &mut Rng, out: &mut Vec<Effect>) -> Wake {
        self.answered_today.retain(|&(_, d)| d == w.day);
        let mut i = 0;
        while i < self.pending.len() {
            let p = self.pending[i];
            // Hostilities ended in between: the answer is called off, and no longer prepared.
            if w.epoch(p.act.actor, p.act.target) != p.epoch {
                self.pending.swap_remove(i);
            } else if p.due <= w.day {
                self.pending.swap_remove(i);
                out.push(Effect::Act(p.act));
            } else {
                out.push(Effect::Intent {
                    actor: p.act.actor,
                    target: p.act.target,
                });
                i += 1;
            }
        }
        // Answers are queued only by `react` (or the history of day 0, which every rule
        // decides after), which asks for the rule to be woken.
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
    ) -> Wake {
        for act in acts {
            if self.concerns(act) {
                self.answer(act, same_day, w, rng, out);
            }
        }
        // A queued answer is delivered, and prepared in sight, from tomorrow.
        if self.pending.is_empty() {
            Wake::Woken
        } else {
            Wake::Tomorrow
        }
    }

    fn reacts(&self) -> bool {
        true
    }

    fn reacts_to(&self, actor: ActorId, target: ActorId, level: Level) -> bool {
        // Blows it does not answer are skipped by `react`; with answers queued it is awake
        // from tomorrow anyway.
        self.concerns_blow(actor, target, level)
    }

    fn wakes(&self) -> Wakes {
        // `decide` only delivers what `react` queued, and `react` says when.
        Wakes::NONE
    }

    fn answer_history(&mut self, acts: &[Act], w: &World, rng: &mut Rng, out: &mut Vec<Effect>) {
        for act in acts {
            if self.concerns(act) {
                self.answer(act, true, w, rng, out);
            }
        }
    }

    fn hazards(&self) -> Vec<&Hazard> {
        let main = &self.main;
        let mut v = vec![
            &main.probability,
            &main.escalation_probability,
            &main.token_probability,
            &self.ally_target,
        ];
        v.extend(self.proxies.iter().map(|p| &p.probability));
        // Per-rung overrides, in rung order, each listed once.
        for (r, idx) in self.hazard_index.iter().enumerate() {
            let a = &self.answers[r];
            for (k, h) in [
                &a.probability,
                &a.escalation_probability,
                &a.token_probability,
            ]
            .into_iter()
            .enumerate()
            {
                if idx[k] as usize == v.len() {
                    v.push(h);
                }
            }
        }
        v
    }

    fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    fn box_clone(&self) -> Box<dyn Rule> {
        Box::new(self.clone())
    }
}
