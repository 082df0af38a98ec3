//! `termination`: once hostilities reach `min_level`, a daily hazard that they stop (a mediated
//! ceasefire), so war durations are distributed rather than fixed.
//!
//! With a constant hazard h the duration is geometric with mean 1/h days; `daily_hazard` may be
//! uncertain per run and takes modifiers (a war likelier to end as it drags on, or while
//! mediators' talks are open), evaluated for each pair. The rule watches its `pairs`, or every
//! pair of a `theatre`. With `scope = "pair"` (the default) each pair at `min_level` or above
//! draws its own end; with `scope = "theatre"` one daily draw, made while any pair of the
//! theatre is at `min_level` or above, ends the hostilities of every pair of the theatre at
//! once. Ending resets a pair to calm, calls off pending answers between them and plans to
//! strike each other, and counts as an agreement.

use serde::Deserialize;

use super::hazard::{Hazard, ModifierConfig, ModifierSet};
use super::{Kind, PairWatch, Rule, Wake, Wakes, chance};
use crate::model::{ActorId, Effect, Level, RuleIdx, World};
use crate::rng::Rng;
use crate::scenario::build::{Bounds, Builder, RuleTable};
use crate::scenario::diag::suggest;
use crate::scenario::dist::Dist;

pub const KIND: Kind = Kind {
    name: "termination",
    summary: "a daily hazard that hostilities stop (a mediated ceasefire), for a pair or a \
              whole theatre",
    compile,
    schema: |g| g.subschema_for::<Config>(),
};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TerminationRule")]
pub(crate) struct Config {
    #[allow(dead_code)]
    kind: String,
    /// The pairs watched (or give `theatre`).
    #[serde(default)]
    pairs: Vec<Vec<String>>,
    /// Watch every pair of this theatre.
    theatre: Option<String>,
    /// "pair": each pair ends on its own draw; "theatre": one draw ends them all.
    scope: Option<String>,
    min_level: String,
    daily_hazard: Dist,
    #[serde(default)]
    modifiers: Vec<ModifierConfig>,
    source: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Termination {
    idx: RuleIdx,
    pairs: Vec<(ActorId, ActorId)>,
    whole_theatre: bool,
    min_level: Level,
    hazard: Hazard,
    source: Option<String>,
}

pub fn compile(t: &RuleTable, b: &mut Builder) -> Option<Box<dyn Rule>> {
    let c: Config = t.config(b)?;
    let mut mods = ModifierSet::new(t, &c.modifiers, true, vec!["daily_hazard".into()], b);
    let mut pairs = Vec::new();
    for (i, pair) in c.pairs.iter().enumerate() {
        if let Some([x, y]) = b.pair(&t.path(&format!("pairs[{i}]")), pair, "a pair") {
            pairs.push((x, y));
        }
    }
    if let Some(th) = &c.theatre {
        if !c.pairs.is_empty() {
            b.error_help(
                t.path("theatre"),
                "give `pairs` or `theatre`, not both",
                "a theatre stands for every pair of its actors",
            );
        }
        match b.theatres.iter().find(|(id, _)| id == th) {
            Some((_, theirs)) => pairs.extend(theirs.iter().copied()),
            None => {
                let names: Vec<&str> = b.theatres.iter().map(|(id, _)| id.as_str()).collect();
                b.error_help(
                    t.path("theatre"),
                    format!("unknown theatre `{th}`"),
                    if names.is_empty() {
                        "declare it in [theatres.<id>] with its actors".to_string()
                    } else {
                        suggest(th, &names)
                    },
                );
            }
        }
    } else if c.pairs.is_empty() {
        b.error_help(
            format!("rules.{}", t.id),
            "a termination rule watches no pair",
            "give pairs = [[\"a\", \"b\"]] or theatre = \"<theatre id>\"",
        );
    }
    let whole_theatre = match c.scope.as_deref() {
        None | Some("pair") => false,
        Some("theatre") => {
            if c.theatre.is_none() {
                b.error_help(
                    t.path("scope"),
                    "scope = \"theatre\" needs a `theatre`",
                    "add theatre = \"<theatre id>\"",
                );
            }
            true
        }
        Some(other) => {
            b.error_help(
                t.path("scope"),
                format!("unknown scope `{other}`"),
                suggest(other, &["pair", "theatre"]),
            );
            false
        }
    };
    let rule = Termination {
        idx: t.idx,
        pairs,
        whole_theatre,
        min_level: b.level(&t.path("min_level"), &c.min_level),
        hazard: mods.hazard(
            b,
            "daily_hazard",
            "daily_hazard",
            &c.daily_hazard,
            Bounds::Unit,
        ),
        source: c.source,
    };
    mods.finish(b);
    Some(Box::new(rule))
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
        let scale = w.scale[self.idx as usize];
        let mut watching = false;
        if self.whole_theatre {
            // One draw for the theatre, with the hazard of its first pair at war level.
            if let Some(&(a, b)) = self
                .pairs
                .iter()
                .find(|&&(a, b)| w.level(a, b) >= self.min_level)
            {
                watching = true;
                let h = self.hazard.value(w, (a, b)) * scale;
                if chance(rng, h).0 {
                    for &(a, b) in &self.pairs {
                        if w.level(a, b) > 0 {
                            out.push(Effect::EndWar {
                                a,
                                b,
                                rule: self.idx,
                            });
                        }
                    }
                }
            }
        } else {
            for &(a, b) in &self.pairs {
                if w.level(a, b) >= self.min_level {
                    watching = true;
                    let h = self.hazard.value(w, (a, b)) * scale;
                    if chance(rng, h).0 {
                        out.push(Effect::EndWar {
                            a,
                            b,
                            rule: self.idx,
                        });
                    }
                }
            }
        }
        if watching {
            Wake::Tomorrow
        } else {
            Wake::Woken
        }
    }

    fn hazards(&self) -> Vec<&Hazard> {
        vec![&self.hazard]
    }

    fn hostility_pairs(&self, _n: usize) -> Option<Vec<PairWatch>> {
        // Asleep, none of its pairs is at `min_level` or above (with one, it is asked every
        // day, and its modifiers are read only then): only an act at that level in one of its
        // pairs gives it something to watch.
        Some(
            self.pairs
                .iter()
                .map(|&(a, b)| PairWatch {
                    a,
                    b,
                    min_level: self.min_level,
                    falls: false,
                })
                .collect(),
        )
    }

    fn wakes(&self) -> Wakes {
        // A war starting gives it something to watch.
        Wakes::of(&self.hazards()).or(Wakes {
            hostilities: true,
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
