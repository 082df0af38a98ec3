//! `termination`: once hostilities between two actors reach `min_level`, a daily hazard that
//! they stop (a mediated ceasefire), so war durations are distributed rather than fixed.
//!
//! With a constant hazard h the duration is geometric with mean 1/h days; `daily_hazard` may be
//! uncertain per run. Ending resets the pair to calm and calls off pending answers between them.

use serde::Deserialize;

use super::{Rule, Wake, chance};
use crate::model::{ActorId, Effect, Level, ParamId, RuleIdx, World};
use crate::rng::Rng;
use crate::scenario::build::{Builder, RuleTable};
use crate::scenario::dist::Dist;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TerminationRule")]
pub(crate) struct Config {
    #[allow(dead_code)]
    kind: String,
    pairs: Vec<Vec<String>>,
    min_level: String,
    daily_hazard: Dist,
    source: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Termination {
    idx: RuleIdx,
    pairs: Vec<(ActorId, ActorId)>,
    min_level: Level,
    hazard: ParamId,
    source: Option<String>,
}

pub fn compile(t: &RuleTable, b: &mut Builder) -> Option<Box<dyn Rule>> {
    let c: Config = t.config(b)?;
    let mut pairs = Vec::new();
    for (i, pair) in c.pairs.iter().enumerate() {
        if let Some([x, y]) = b.pair(&t.path(&format!("pairs[{i}]")), pair, "a pair") {
            pairs.push((x, y));
        }
    }
    Some(Box::new(Termination {
        idx: t.idx,
        pairs,
        min_level: b.level(&t.path("min_level"), &c.min_level),
        hazard: b.prob(&t.path("daily_hazard"), &c.daily_hazard),
        source: c.source,
    }))
}

impl Rule for Termination {
    fn kind(&self) -> &'static str {
        "termination"
    }

    fn begin_run(&mut self, _world: &World, _rng: &mut Rng) {}

    fn decide(&mut self, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) -> Wake {
        if w.hostile_pairs == 0 {
            // Hostilities start only with an act, which wakes every rule.
            return Wake::Woken;
        }
        let h = w.p(self.hazard) * w.scale[self.idx as usize];
        let mut watching = false;
        for &(a, b) in &self.pairs {
            if w.level(a, b) >= self.min_level {
                watching = true;
                if chance(rng, h).0 {
                    out.push(Effect::EndWar {
                        a,
                        b,
                        rule: self.idx,
                    });
                }
            }
        }
        if watching {
            Wake::Tomorrow
        } else {
            Wake::Woken
        }
    }

    fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    fn box_clone(&self) -> Box<dyn Rule> {
        Box::new(self.clone())
    }
}
