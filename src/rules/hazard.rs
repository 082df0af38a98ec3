//! Hazards and their modifiers: every probability or rate of every rule kind, made to depend on
//! the state of the crisis in one shared way.
//!
//! A rule table may carry a list of modifiers:
//!
//! ```toml
//! modifiers = [
//!   { when = { talks = "us_iran_talks" }, factor = 2.0, label = "talks as cover" },
//!   { key = "intel_noise", when = { talks = "us_iran_talks", status = "deal" }, factor = 0.5 },
//!   { when = { struck = "iran", within_days = 30 }, value = 0.05 },
//! ]
//! ```
//!
//! Each modifier names the `key` it changes (by default the kind's main hazard, the first of
//! its modifiable keys), a condition `when` (see `condition`), and either a `factor` that
//! multiplies the value or a `value` that replaces it. Modifiers apply in the order written,
//! each to the result of the ones before, while their condition holds; a probability is then
//! clamped to [0, 1]. Factors and values are parameters like any other: they may be uncertain
//! and are drawn once per run.
//!
//! A `Hazard` is compiled once per key. Evaluating it reads the start-of-day world (or the
//! world after the act being answered, in a reaction) and gives the value, which modifiers
//! applied (for traces) and until when that result stands unless something wakes every rule.

use serde::Deserialize;

use super::condition::{self, CondConfig, Ctx, Names};
use crate::model::{NEVER, Odds, ParamId, World};
use crate::scenario::build::{Bounds, Builder, RuleTable};
use crate::scenario::diag::suggest;
use crate::scenario::dist::Dist;

/// A modifier as written.
#[derive(Deserialize, schemars::JsonSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ModifierConfig {
    /// The key this modifier changes (default: the kind's main hazard).
    pub key: Option<String>,
    /// When the modifier applies.
    pub when: CondConfig,
    /// Multiplies the value while the condition holds.
    pub factor: Option<Dist>,
    /// Replaces the value while the condition holds.
    pub value: Option<Dist>,
    /// Words for traces and `brink explain` (default: the condition in words).
    pub label: Option<String>,
    pub source: Option<String>,
}

/// What a modifier does to the value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Factor(ParamId),
    Value(ParamId),
}

/// A compiled modifier.
#[derive(Clone, Debug)]
pub struct Modifier {
    pub cond: condition::Cond,
    pub op: Op,
    /// As written (`label`), or empty to describe the condition.
    pub label: String,
    pub source: Option<String>,
}

impl Modifier {
    /// The modifier's label, or its condition in words.
    pub fn text(&self, names: &Names) -> String {
        if self.label.is_empty() {
            self.cond.describe(names)
        } else {
            self.label.clone()
        }
    }
}

/// Most modifiers on one key: traces record which applied as bits of a `u32`.
pub const MAX_MODIFIERS: usize = 32;

/// One key's value with its modifiers.
#[derive(Clone, Debug)]
pub struct Hazard {
    /// The key, relative to its rule (`daily_probability`, `violations.hamas`).
    pub key: String,
    pub base: ParamId,
    pub mods: Vec<Modifier>,
    /// A probability (clamped to [0, 1]) rather than a non-negative amount.
    pub unit: bool,
}

impl Hazard {
    /// The value today for the pair `ctx`, and the first day on which it may change without
    /// an event that wakes every rule. `index` is the hazard's place in `Rule::hazards`.
    #[inline]
    pub fn eval(&self, w: &World, ctx: Ctx, index: u8) -> (Odds, u32) {
        let base = w.p(self.base);
        if self.mods.is_empty() {
            return (
                Odds {
                    p: base,
                    base,
                    applied: 0,
                    hazard: index,
                    other: 1.0,
                },
                NEVER,
            );
        }
        self.eval_mods(w, ctx, base, index)
    }

    /// Just the value.
    #[inline]
    pub fn value(&self, w: &World, ctx: Ctx) -> f64 {
        if self.mods.is_empty() {
            w.p(self.base)
        } else {
            self.eval(w, ctx, 0).0.p
        }
    }

    #[inline(never)]
    fn eval_mods(&self, w: &World, ctx: Ctx, base: f64, index: u8) -> (Odds, u32) {
        let mut v = base;
        let mut applied = 0u32;
        let mut until = NEVER;
        for (i, m) in self.mods.iter().enumerate() {
            let (on, u) = m.cond.eval(w, ctx);
            until = until.min(u);
            if on {
                applied |= 1 << i;
                v = match m.op {
                    Op::Factor(f) => v * w.p(f),
                    Op::Value(x) => w.p(x),
                };
            }
        }
        v = if self.unit {
            v.clamp(0.0, 1.0)
        } else {
            v.max(0.0)
        };
        (
            Odds {
                p: v,
                base,
                applied,
                hazard: index,
                other: 1.0,
            },
            until,
        )
    }

    /// The kinds of change its modifiers' conditions read.
    pub fn wakes(&self) -> super::Wakes {
        self.mods
            .iter()
            .fold(super::Wakes::NONE, |w, m| w.or(m.cond.wakes()))
    }

    /// The pairs whose hostilities its modifiers' conditions read (`Cond::pairs`).
    pub fn pairs(&self, own: &[Ctx], n: usize, out: &mut Vec<super::PairWatch>) {
        for m in &self.mods {
            m.cond.pairs(own, n, out);
        }
    }

    /// The track values at which its modifiers' conditions may change (`Cond::thresholds`).
    pub fn thresholds(&self, out: &mut Vec<(crate::model::TrackId, f64)>) {
        for m in &self.mods {
            m.cond.thresholds(out);
        }
    }

    /// Whether any modifier reads event metrics.
    pub fn reads_metrics(&self) -> bool {
        self.mods.iter().any(|m| m.cond.reads_metrics())
    }
}

/// The modifiers of one rule table while its kind compiles: hands each key its modifiers and
/// finally reports those whose key the kind does not have.
pub struct ModifierSet {
    rule: String,
    mods: Vec<(Option<String>, Modifier)>,
    /// A replacement value's distribution and key path, registered as a parameter when a key
    /// first claims it (only then are its bounds known: a range in words reads differently
    /// for a probability).
    values: Vec<Option<(Dist, String)>>,
    used: Vec<bool>,
    /// Keys that take modifiers; the first is the default, unless it is empty (the kind has
    /// no main hazard, and every modifier must name its key).
    keys: Vec<String>,
}

impl ModifierSet {
    /// Compiles the conditions and factors of `configs` (the rule's `modifiers` list). `own`
    /// says whether the rule has a pair of its own (see `condition::compile`); `keys` are the
    /// kind's modifiable keys, the main hazard first (or an empty string first when there is
    /// no main hazard).
    pub fn new(
        t: &RuleTable,
        configs: &[ModifierConfig],
        own: bool,
        keys: Vec<String>,
        b: &mut Builder,
    ) -> ModifierSet {
        if configs.len() > MAX_MODIFIERS {
            b.error(
                t.path("modifiers"),
                format!(
                    "at most {MAX_MODIFIERS} modifiers per rule are supported, got {}",
                    configs.len()
                ),
            );
        }
        let mut mods = Vec::new();
        let mut values = Vec::new();
        for (i, c) in configs.iter().enumerate().take(MAX_MODIFIERS) {
            let path = t.path(&format!("modifiers[{i}]"));
            let cond = condition::compile(&c.when, &format!("{path}.when"), own, b);
            let mut value = None;
            let op = match (&c.factor, &c.value) {
                (Some(f), None) => {
                    Op::Factor(b.param(&format!("{path}.factor"), f, Bounds::NonNegative))
                }
                // A replacement value is registered, with the key's own bounds, when the key
                // claims it (`attach`).
                (None, Some(v)) => {
                    value = Some((v.clone(), format!("{path}.value")));
                    Op::Value(ParamId::MAX)
                }
                _ => {
                    b.error_help(
                        &path,
                        "a modifier needs exactly one of `factor` or `value`",
                        "factor = 2.0 multiplies the value; value = 0.1 replaces it",
                    );
                    Op::Factor(0)
                }
            };
            values.push(value);
            mods.push((
                c.key.clone(),
                Modifier {
                    cond,
                    op,
                    label: c.label.clone().unwrap_or_default(),
                    source: c.source.clone(),
                },
            ));
        }
        let n = mods.len();
        ModifierSet {
            rule: t.id.clone(),
            mods,
            values,
            used: vec![false; n],
            keys,
        }
    }

    /// A hazard for `key`: registers its base parameter at `rules.<id>.<path>` with `bounds`
    /// and attaches the modifiers that name `key`.
    pub fn hazard(
        &mut self,
        b: &mut Builder,
        key: &str,
        path: &str,
        dist: &Dist,
        bounds: Bounds,
    ) -> Hazard {
        let base = b.param(&format!("rules.{}.{path}", self.rule), dist, bounds);
        self.attach(b, key, base, bounds)
    }

    /// A hazard for `key` on an already registered parameter.
    pub fn attach(&mut self, b: &mut Builder, key: &str, base: ParamId, bounds: Bounds) -> Hazard {
        let unit = matches!(bounds, Bounds::Unit);
        let default = self.keys.first().cloned();
        let mut mods = Vec::new();
        for i in 0..self.mods.len() {
            let target = self.mods[i].0.as_ref().or(default.as_ref());
            if target.map(String::as_str) != Some(key) {
                continue;
            }
            self.used[i] = true;
            if let Op::Value(v) = self.mods[i].1.op {
                if v == ParamId::MAX {
                    if let Some((dist, path)) = &self.values[i] {
                        let id = b.param(path, dist, bounds);
                        self.mods[i].1.op = Op::Value(id);
                    }
                } else if unit {
                    b.check_param(v, bounds);
                }
            }
            mods.push(self.mods[i].1.clone());
        }
        Hazard {
            key: key.to_string(),
            base,
            mods,
            unit,
        }
    }

    /// Reports modifiers that changed no key.
    pub fn finish(self, b: &mut Builder) {
        for (i, (k, _)) in self.mods.iter().enumerate() {
            if self.used[i] {
                continue;
            }
            let path = format!("rules.{}.modifiers[{i}]", self.rule);
            let names: Vec<&str> = self
                .keys
                .iter()
                .map(String::as_str)
                .filter(|k| !k.is_empty())
                .collect();
            match k {
                Some(k) if !names.contains(&k.as_str()) => b.error_help(
                    format!("{path}.key"),
                    format!("`{k}` is not a key of this rule that takes modifiers"),
                    if names.is_empty() {
                        "this kind of rule takes no modifiers".to_string()
                    } else {
                        format!("{}; keys that do: {}", suggest(k, &names), names.join(", "))
                    },
                ),
                Some(k) => b.error(
                    format!("{path}.key"),
                    format!("`{k}` is not used by this rule, so the modifier would do nothing"),
                ),
                None if names.is_empty() => b.error_help(
                    path,
                    "this kind of rule takes no modifiers",
                    "remove the modifier, or put it on a rule whose hazards it should change",
                ),
                None => b.error_help(
                    path,
                    "this modifier must say which hazard it changes",
                    format!("add key = one of: {}", names.join(", ")),
                ),
            }
        }
    }
}

/// The hazard named by an index in `Rule::hazards`, for traces; `u8::MAX` when a rule has
/// more than 255 (they are then not traced by name).
pub fn index(i: usize) -> u8 {
    u8::try_from(i).unwrap_or(u8::MAX)
}
