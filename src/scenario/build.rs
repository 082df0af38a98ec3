//! The `Builder` that rule and metric compilers use to resolve names and register parameters,
//! collecting every problem instead of stopping at the first.

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeValue, ValueDeserializer};

use super::days::{Days, MAX_DAYS};
use super::diag::{Diagnostic, num, suggest};
use super::dist::{Dist, sig3};
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
    /// Whether the bounds are exactly [0, 1]: a probability, share or fraction.
    fn is_unit(self) -> bool {
        match self {
            Bounds::Unit => true,
            Bounds::Range(a, b) => a == 0.0 && b == 1.0,
            Bounds::Any | Bounds::NonNegative => false,
        }
    }

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
    /// How each `"lo to hi"` range was read, by key path (per-run and per-event alike).
    pub readings: Vec<(String, String)>,
    pub diags: Vec<Diagnostic>,
    /// Phase ids of each ceasefire rule, by rule id, read before any rule compiles so that
    /// conditions can name phases of rules compiled later.
    pub phases: std::collections::HashMap<String, Vec<String>>,
    /// Ids of the event metrics (kinds `event` and `all_of`), in the order the metrics
    /// compiler numbers them, so that conditions can name them.
    pub event_metrics: Vec<String>,
    /// `[initial.ceasefires.<rule>]` and `[initial.talks.<rule>]` tables, taken by the rule
    /// they name when it compiles; what is left names no such rule.
    pub initial_rules: std::collections::BTreeMap<String, InitialRule>,
    /// Theatres by id, with their pairs.
    pub theatres: Vec<(String, Vec<(ActorId, ActorId)>)>,
}

/// A rule's state at day 0, from `[initial]`.
#[derive(Clone, Debug)]
pub enum InitialRule {
    /// A ceasefire in force in `phase` since day `since` (negative: before the start), or
    /// collapsed.
    Ceasefire {
        phase: Option<String>,
        since: i64,
        in_force: bool,
        path: String,
    },
    /// A negotiation channel with this status since day `since`.
    Talks {
        status: String,
        since: i64,
        path: String,
    },
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
            readings: Vec::new(),
            diags: Vec::new(),
            phases: Default::default(),
            event_metrics: Vec::new(),
            initial_rules: Default::default(),
            theatres: Vec::new(),
        }
    }

    /// Days from the start date to a TOML date (negative before it); any plain date is
    /// accepted, inside the simulated period or not.
    pub fn day_offset(&mut self, path: &str, d: &toml::value::Datetime) -> Option<i64> {
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
        match jiff::civil::Date::new(date.year as i16, date.month as i8, date.day as i8) {
            Ok(x) => Some(i64::from((x - self.start_date).get_days())),
            Err(e) => {
                self.error(path, format!("`{d}` is not a valid date: {e}"));
                None
            }
        }
    }

    /// Checks an already registered parameter against further bounds (a modifier's
    /// replacement value, once the key it replaces is known).
    pub fn check_param(&mut self, id: ParamId, bounds: Bounds) {
        let Some(p) = self.params.get(id as usize) else {
            return;
        };
        if let Err(msg) = bounds.check(&p.dist) {
            let path = p.path.clone();
            self.error(path, msg);
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

    /// Reads a `"lo to hi"` range by the key's bounds (a distribution of any other form is
    /// returned as it is), recording the reading. On failure the error is recorded and None
    /// returned.
    fn resolve(&mut self, path: &str, dist: &Dist, bounds: Bounds) -> Option<Dist> {
        let Dist::Interval { lo, hi } = *dist else {
            return Some(dist.clone());
        };
        let written = format!("\"{lo} to {hi}\"");
        if bounds.is_unit() && !(0.0 < lo && hi < 1.0) {
            let (a, b) = (lo.max(0.0), hi.min(1.0));
            let inside = if lo <= 0.0 {
                format!("\"{} to {hi}\"", sig3(hi / 10.0))
            } else {
                format!("\"{lo} to {}\"", sig3((1.0 + lo) / 2.0))
            };
            self.error_help(
                path,
                format!(
                    "{written} on a probability would be read as a logit-normal, which needs \
                     0 < A < B < 1"
                ),
                format!(
                    "write a range strictly inside (0, 1) such as {inside}, or a table with \
                     these bounds such as {{ uniform = [{a}, {b}] }}"
                ),
            );
            return None;
        }
        let (resolved, reading) = Dist::read_interval(lo, hi, bounds.is_unit());
        if let Err(what) = bounds.check(&resolved) {
            let within = match bounds {
                Bounds::NonNegative => "must not be negative".to_string(),
                Bounds::Range(a, b) => format!("must lie in [{a}, {b}]"),
                Bounds::Unit => "is a probability and must lie in [0, 1]".to_string(),
                Bounds::Any => what,
            };
            let (mean, sd) = ((lo + hi) / 2.0, (hi - lo) / (2.0 * super::dist::Z90));
            let table = match bounds {
                Bounds::Range(a, b) => format!(
                    "{{ normal = [{}, {}], min = {a}, max = {b} }}",
                    sig3(mean),
                    sig3(sd)
                ),
                _ => format!("{{ normal = [{}, {}], min = 0 }}", sig3(mean), sig3(sd)),
            };
            let positive = if lo <= 0.0 && hi > 0.0 {
                format!(
                    ", or a range with a positive lower end such as \"{} to {hi}\" (read as \
                     a lognormal)",
                    sig3(hi / 10.0)
                )
            } else {
                String::new()
            };
            // The reading with the range quoted as it was written.
            let quoted = match reading.strip_prefix(&format!("{lo} to {hi}")) {
                Some(rest) => format!("{written}{rest}"),
                None => reading,
            };
            self.error_help(
                path,
                format!(
                    "{quoted}, which can draw values outside what this parameter allows: it \
                     {within}"
                ),
                format!("write a truncated table such as {table}{positive}"),
            );
            return None;
        }
        self.readings.push((path.to_string(), reading));
        Some(resolved)
    }

    /// `resolve`, then the bounds check; a fixed stand-in after an error, so that compiling
    /// goes on to find the file's other problems.
    fn checked(&mut self, path: &str, dist: &Dist, bounds: Bounds) -> Dist {
        match self.resolve(path, dist, bounds) {
            Some(d) => {
                if let Err(msg) = bounds.check(&d) {
                    self.error(path, msg);
                }
                d
            }
            None => Dist::Fixed(0.0),
        }
    }

    /// Registers a per-run parameter after checking its distribution stays within `bounds`.
    /// A `"lo to hi"` range is read by the bounds (see `dist`).
    pub fn param(&mut self, path: &str, dist: &Dist, bounds: Bounds) -> ParamId {
        let dist = self.checked(path, dist, bounds);
        self.register(path, dist)
    }

    fn register(&mut self, path: &str, dist: Dist) -> ParamId {
        let id = self.params.len() as ParamId;
        let reading = self
            .readings
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, r)| r.clone());
        self.params.push(ParamSpec {
            path: path.to_string(),
            dist,
            reading,
        });
        id
    }

    /// A parameter that is a probability.
    pub fn prob(&mut self, path: &str, dist: &Dist) -> ParamId {
        self.param(path, dist, Bounds::Unit)
    }

    /// A per-event distribution (sampled many times per run), checked but not registered.
    pub fn event_dist(&mut self, path: &str, dist: &Dist, bounds: Bounds) -> Dist {
        self.checked(path, dist, bounds)
    }

    /// Reads a day count's `"lo to hi"` range: a lognormal for 0 < lo, a normal for lo = 0,
    /// drawn and rounded to whole days (see `days`).
    fn resolve_days(&mut self, path: &str, days: &Days) -> Days {
        let Dist::Interval { lo, hi } = *days.dist() else {
            return days.clone();
        };
        if lo < 0.0 || hi > f64::from(MAX_DAYS) {
            self.error_help(
                path,
                format!("\"{lo} to {hi}\" is not a range of day counts"),
                format!(
                    "a day count lies between 0 and {MAX_DAYS}: write a range such as \
                     \"{} to {}\"",
                    lo.max(0.0),
                    hi.clamp(lo.max(0.0) + 1.0, f64::from(MAX_DAYS))
                ),
            );
            return Days::new(0);
        }
        let (d, reading) = Dist::read_interval(lo, hi, false);
        self.readings.push((
            path.to_string(),
            format!("{reading}, rounded to whole days"),
        ));
        Days::from_dist(Dist::Rounded(Box::new(d)))
    }

    /// Registers a day count drawn once per run: a parameter whose draws are whole numbers
    /// (the rule reads it as `world.p(id) as u32`).
    pub fn days(&mut self, path: &str, days: &Days) -> ParamId {
        let days = self.resolve_days(path, days);
        self.register(path, days.dist().clone())
    }

    /// A day count drawn anew for each event (`Days::sample`), checked but not registered.
    pub fn event_days(&mut self, path: &str, days: &Days) -> Days {
        self.resolve_days(path, days)
    }
}
