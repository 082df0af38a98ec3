//! The `Builder` that rule and metric compilers use to resolve names and register parameters,
//! collecting every problem instead of stopping at the first.

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeValue, ValueDeserializer};

use super::diag::{Diagnostic, num, suggest};
use super::dist::Dist;
use crate::model::{ActorId, Level, ParamId, ParamSpec, RuleIdx, TrackId};

/// One `[rules.<id>]` table, still unparsed.
pub struct RuleTable<'a> {
    pub id: String,
    pub idx: RuleIdx,
    pub value: Spanned<DeValue<'a>>,
}

impl RuleTable<'_> {
    /// Key path of one of this rule's fields.
    pub fn path(&self, key: &str) -> String {
        format!("rules.{}.{}", self.id, key)
    }

    /// Deserializes the rule's table into its kind's config, recording any error.
    pub fn config<T: DeserializeOwned>(&self, b: &mut Builder) -> Option<T> {
        b.de(&format!("rules.{}", self.id), &self.value)
    }
}

/// Valid values a parameter's distribution must stay within.
#[derive(Clone, Copy, Debug)]
pub enum Bounds {
    Any,
    NonNegative,
    /// A probability, share or fraction: [0, 1].
    Unit,
    /// [lo, hi] inclusive.
    Range(f64, f64),
}

impl Bounds {
    fn check(self, d: &Dist) -> Result<(), String> {
        let (lo, hi) = d.support();
        let (min, max, what) = match self {
            Bounds::Any => return Ok(()),
            Bounds::NonNegative => (0.0, f64::INFINITY, "must not be negative".to_string()),
            Bounds::Unit => (
                0.0,
                1.0,
                "is a probability and must lie in [0, 1]".to_string(),
            ),
            Bounds::Range(a, b) => (a, b, format!("must lie in [{}, {}]", num(a), num(b))),
        };
        if lo < min || hi > max {
            let got = if d.is_fixed() {
                format!("got {}", num(lo))
            } else {
                format!(
                    "but {} can draw values in [{}, {}]",
                    d.to_toml_string(),
                    num(lo),
                    num(hi)
                )
            };
            if matches!(d, Dist::Normal { .. }) && !d.is_fixed() {
                return Err(format!(
                    "this parameter {what}, {got}; truncate the normal with min and max"
                ));
            }
            return Err(format!("this parameter {what}, {got}"));
        }
        Ok(())
    }
}

/// Names known so far and everything collected while compiling.
pub struct Builder {
    pub start_date: jiff::civil::Date,
    pub horizon: u32,
    pub actors: Vec<String>,
    /// Allies of each actor, by index.
    pub allies: Vec<Vec<ActorId>>,
    pub tracks: Vec<String>,
    pub levels: Vec<String>,
    /// (id, kind) of every rule, in index order.
    pub rules: Vec<(String, String)>,
    pub params: Vec<ParamSpec>,
    pub diags: Vec<Diagnostic>,
}

fn lookup<T: TryFrom<usize>>(
    b: &mut Builder,
    names: &[String],
    what: &str,
    path: &str,
    id: &str,
) -> Option<T> {
    match names.iter().position(|n| n == id) {
        Some(i) => T::try_from(i).ok(),
        None => {
            let cands: Vec<&str> = names.iter().map(String::as_str).collect();
            b.diags.push(
                Diagnostic::new(path, format!("unknown {what} `{id}`"))
                    .with_help(suggest(id, &cands)),
            );
            None
        }
    }
}

impl Builder {
    pub fn new(start_date: jiff::civil::Date, horizon: u32) -> Builder {
        Builder {
            start_date,
            horizon,
            actors: Vec::new(),
            allies: Vec::new(),
            tracks: Vec::new(),
            levels: Vec::new(),
            rules: Vec::new(),
            params: Vec::new(),
            diags: Vec::new(),
        }
    }

    /// Converts a TOML date into a simulation day, which must fall within the horizon.
    pub fn day(&mut self, path: &str, d: &toml::value::Datetime) -> Option<u32> {
        let date = match (d.date, d.time, d.offset) {
            (Some(date), None, None) => date,
            _ => {
                self.error_help(
                    path,
                    format!("expected a date, got `{d}`"),
                    "write a plain date such as 2026-01-23",
                );
                return None;
            }
        };
        let date = match jiff::civil::Date::new(date.year as i16, date.month as i8, date.day as i8)
        {
            Ok(x) => x,
            Err(e) => {
                self.error(path, format!("`{d}` is not a valid date: {e}"));
                return None;
            }
        };
        let days = i64::from((date - self.start_date).get_days());
        let last = self
            .start_date
            .checked_add(jiff::Span::new().days(i64::from(self.horizon) - 1))
            .ok();
        if days < 0 || days >= i64::from(self.horizon) {
            self.error_help(
                path,
                format!("{date} lies outside the simulated period"),
                match last {
                    Some(last) => format!("dates must fall between {} and {last}", self.start_date),
                    None => format!("dates must fall on or after {}", self.start_date),
                },
            );
            return None;
        }
        Some(days as u32)
    }
    pub fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.diags.push(Diagnostic::new(path, message));
    }

    pub fn error_help(
        &mut self,
        path: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.diags
            .push(Diagnostic::new(path, message).with_help(help));
    }

    /// Deserializes a table, recording the error (with its span) on failure.
    pub fn de<T: DeserializeOwned>(
        &mut self,
        path: &str,
        value: &Spanned<DeValue<'_>>,
    ) -> Option<T> {
        match T::deserialize(ValueDeserializer::from(value.clone())) {
            Ok(v) => Some(v),
            Err(e) => {
                // With a span, the key path is recovered from it later, more precisely.
                let path = if e.span().is_some() { "" } else { path };
                self.diags.push(
                    Diagnostic::new(path, e.message().trim().to_string()).with_span(e.span()),
                );
                None
            }
        }
    }

    pub fn actor(&mut self, path: &str, id: &str) -> ActorId {
        let names = std::mem::take(&mut self.actors);
        let r = lookup(self, &names, "actor", path, id);
        self.actors = names;
        r.unwrap_or(0)
    }

    pub fn actors(&mut self, path: &str, ids: &[String]) -> Vec<ActorId> {
        ids.iter()
            .enumerate()
            .map(|(i, id)| self.actor(&format!("{path}[{i}]"), id))
            .collect()
    }

    /// Resolves a list that must name exactly two actors (`what` names it in the message).
    pub fn pair(&mut self, path: &str, ids: &[String], what: &str) -> Option<[ActorId; 2]> {
        if ids.len() != 2 {
            self.error(
                path,
                format!("{what} names exactly two actors, got {}", ids.len()),
            );
            return None;
        }
        Some([
            self.actor(&format!("{path}[0]"), &ids[0]),
            self.actor(&format!("{path}[1]"), &ids[1]),
        ])
    }

    pub fn track(&mut self, path: &str, id: &str) -> TrackId {
        let names = std::mem::take(&mut self.tracks);
        let r = lookup(self, &names, "track", path, id);
        self.tracks = names;
        r.unwrap_or(0)
    }

    pub fn level(&mut self, path: &str, id: &str) -> Level {
        let names = std::mem::take(&mut self.levels);
        let r = lookup(self, &names, "ladder level", path, id);
        self.levels = names;
        r.unwrap_or(0)
    }

    /// Resolves a rule id, optionally requiring a kind.
    pub fn rule(&mut self, path: &str, id: &str, kind: Option<&str>) -> RuleIdx {
        let names: Vec<String> = self.rules.iter().map(|(n, _)| n.clone()).collect();
        let Some(i) = lookup::<RuleIdx>(self, &names, "rule", path, id) else {
            return 0;
        };
        if let Some(kind) = kind {
            let actual = &self.rules[i as usize].1;
            if actual != kind {
                let of_kind: Vec<&str> = self
                    .rules
                    .iter()
                    .filter(|(_, k)| k == kind)
                    .map(|(n, _)| n.as_str())
                    .collect();
                let msg =
                    format!("rule `{id}` is a {actual} rule, but a {kind} rule is needed here");
                let help = if of_kind.is_empty() {
                    format!("the scenario has no {kind} rule")
                } else {
                    format!("{kind} rules: {}", of_kind.join(", "))
                };
                self.error_help(path, msg, help);
            }
        }
        i
    }

    /// Registers a per-run parameter after checking its distribution stays within `bounds`.
    pub fn param(&mut self, path: &str, dist: &Dist, bounds: Bounds) -> ParamId {
        if let Err(msg) = bounds.check(dist) {
            self.error(path, msg);
        }
        let id = self.params.len() as ParamId;
        self.params.push(ParamSpec {
            path: path.to_string(),
            dist: dist.clone(),
        });
        id
    }

    /// A parameter that is a probability.
    pub fn prob(&mut self, path: &str, dist: &Dist) -> ParamId {
        self.param(path, dist, Bounds::Unit)
    }

    /// A per-event distribution (sampled many times per run), checked but not registered.
    pub fn event_dist(&mut self, path: &str, dist: &Dist, bounds: Bounds) -> Dist {
        if let Err(msg) = bounds.check(dist) {
            self.error(path, msg);
        }
        dist.clone()
    }
}
