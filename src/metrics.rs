//! Outcome metrics: what a scenario counts, and how one run's events become its outcomes.
//!
//! A scenario declares metrics by filtering the run's events (`[metrics.<id>]`); the engine adds
//! built-in quantities (peak level, war days, war duration, tracks at the horizon) and daily
//! states (hostilities at or above each rung, agreements in force, channels open). Every
//! quantity is recorded as an integer bin so that aggregation is exact integer arithmetic.

use serde::Deserialize;

use crate::model::{Act, ActorId, Form, Level, NEVER, Note, NoteKind, RuleIdx};
use crate::rules::CommandSpec;
use crate::scenario::build::Builder;

/// Which events a metric counts.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// None: hostile acts; Some(kind): notes of that kind.
    pub note: Option<NoteKind>,
    pub actors: Option<Vec<ActorId>>,
    pub targets: Option<Vec<ActorId>>,
    pub min_level: Level,
    pub max_level: Level,
    pub rules: Option<Vec<RuleIdx>>,
    pub forms: Option<Vec<FormClass>>,
    pub false_alarm: Option<bool>,
    pub value: Option<u32>,
}

/// Form names usable in a metric's `form` list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormClass {
    Strike,
    JointStrike,
    Preemptive,
    Retaliation,
    TokenRetaliation,
    Proxy,
    Violation,
    Enforcement,
}

const FORM_NAMES: &[(&str, FormClass)] = &[
    ("strike", FormClass::Strike),
    ("joint_strike", FormClass::JointStrike),
    ("preemptive", FormClass::Preemptive),
    ("retaliation", FormClass::Retaliation),
    ("token_retaliation", FormClass::TokenRetaliation),
    ("proxy", FormClass::Proxy),
    ("violation", FormClass::Violation),
    ("enforcement", FormClass::Enforcement),
];

/// The class a form belongs to, as metrics and effects filter it.
pub fn class_of(form: Form) -> FormClass {
    match form {
        Form::Strike => FormClass::Strike,
        Form::JointStrike => FormClass::JointStrike,
        Form::Preemptive { .. } => FormClass::Preemptive,
        Form::Retaliation { token: false } => FormClass::Retaliation,
        Form::Retaliation { token: true } => FormClass::TokenRetaliation,
        Form::Proxy => FormClass::Proxy,
        Form::Violation => FormClass::Violation,
        Form::Enforcement => FormClass::Enforcement,
    }
}

/// The form class written `name` in a scenario.
pub fn form_class(name: &str) -> Option<FormClass> {
    FORM_NAMES.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// Every form name a scenario may write.
pub fn form_names() -> Vec<&'static str> {
    FORM_NAMES.iter().map(|(n, _)| *n).collect()
}

impl Filter {
    #[inline]
    pub fn matches_act(&self, a: &Act) -> bool {
        self.note.is_none()
            && a.level >= self.min_level
            && a.level <= self.max_level
            && self.actors.as_ref().is_none_or(|v| v.contains(&a.actor))
            && self.targets.as_ref().is_none_or(|v| v.contains(&a.target))
            && self.rules.as_ref().is_none_or(|v| v.contains(&a.rule))
            && self
                .forms
                .as_ref()
                .is_none_or(|v| v.contains(&class_of(a.form)))
            && self
                .false_alarm
                .is_none_or(|fa| a.form == Form::Preemptive { justified: !fa })
    }

    #[inline]
    pub fn matches_note(&self, n: &Note) -> bool {
        self.note == Some(n.kind)
            && self.rules.as_ref().is_none_or(|v| v.contains(&n.rule))
            && self
                .actors
                .as_ref()
                .is_none_or(|v| v.contains(&n.a) || v.contains(&n.b))
            && self.value.is_none_or(|x| x == n.value)
    }
}

/// What a probability metric is about.
#[derive(Clone, Debug)]
pub enum EventDef {
    /// The first event that passes the filter.
    Filter(Filter),
    /// At least `at_least` of these other probability metrics (all of them by default) have
    /// happened within `within` days of each other: say, two fronts active at once.
    AllOf {
        of: Vec<usize>,
        within: u32,
        at_least: usize,
    },
}

#[derive(Clone, Debug)]
pub struct EventMetric {
    pub id: String,
    pub description: String,
    pub def: EventDef,
}

/// How a quantity is binned: value = lo + bin * step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Binning {
    pub lo: f64,
    pub step: f64,
    /// Bins are 0..=max_bin (values beyond are clamped; only counts can reach it).
    pub max_bin: u32,
}

impl Binning {
    pub fn integer(max: u32) -> Binning {
        Binning {
            lo: 0.0,
            step: 1.0,
            max_bin: max,
        }
    }
    pub fn value(&self, bin: u32) -> f64 {
        self.lo + f64::from(bin) * self.step
    }
}

#[derive(Clone, Debug)]
pub enum QuantityDef {
    /// Delay in days of the first matching act from the event it answers.
    Delay(Filter),
    /// Number of matching events.
    Count(Filter),
    PeakLevel,
    WarDays,
    WarDuration,
    FinalTrack(usize),
}

#[derive(Clone, Debug)]
pub struct QuantityMetric {
    pub id: String,
    pub description: String,
    pub def: QuantityDef,
    pub binning: Binning,
    /// Conditional metrics are recorded only in runs where they are defined.
    pub conditional: bool,
}

/// All metrics of a scenario.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    pub events: Vec<EventMetric>,
    pub quantities: Vec<QuantityMetric>,
    /// Names of the daily state metrics: the ladder's `hostilities_at_least_<rung>` first, then
    /// the rules' states in rule order.
    pub states: Vec<String>,
    /// Indices into `events` of the filter metrics (the ones events are matched against).
    pub filters: Vec<usize>,
    /// Indices into `events` of all_of metrics.
    pub all_of: Vec<usize>,
    /// Indices into `quantities` of the per-event quantities (delay, count).
    pub event_quantities: Vec<usize>,
}

/// Sentinel for a conditional quantity with no value in this run.
pub const MISSING: u32 = u32::MAX;

/// One run's outcomes.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Day each probability metric first happened, or NEVER.
    pub first: Vec<u32>,
    /// Day each probability metric last happened (for all_of windows), or NEVER.
    pub last: Vec<u32>,
    /// Bin of each quantity, or MISSING.
    pub values: Vec<u32>,
}

impl Outcome {
    pub fn new(m: &Metrics) -> Outcome {
        Outcome {
            first: vec![NEVER; m.events.len()],
            last: vec![NEVER; m.events.len()],
            values: vec![MISSING; m.quantities.len()],
        }
    }

    pub fn reset(&mut self) {
        self.first.fill(NEVER);
        self.last.fill(NEVER);
        self.values.fill(MISSING);
    }
}

impl Metrics {
    /// Records an act that took effect on `day`.
    #[inline]
    pub fn on_act(&self, day: u32, a: &Act, o: &mut Outcome) {
        for &i in &self.filters {
            if let EventDef::Filter(f) = &self.events[i].def
                && f.matches_act(a)
            {
                if o.first[i] == NEVER {
                    o.first[i] = day;
                }
                o.last[i] = day;
            }
        }
        for &q in &self.event_quantities {
            let m = &self.quantities[q];
            match &m.def {
                QuantityDef::Delay(f) if o.values[q] == MISSING && f.matches_act(a) => {
                    o.values[q] = (day - a.trigger_day).min(m.binning.max_bin);
                }
                QuantityDef::Count(f) if f.matches_act(a) => {
                    bump(&mut o.values[q], m.binning.max_bin)
                }
                _ => {}
            }
        }
    }

    /// Records a note issued on `day`.
    #[inline]
    pub fn on_note(&self, day: u32, n: &Note, o: &mut Outcome) {
        for &i in &self.filters {
            if let EventDef::Filter(f) = &self.events[i].def
                && f.matches_note(n)
            {
                if o.first[i] == NEVER {
                    o.first[i] = day;
                }
                o.last[i] = day;
            }
        }
        for &q in &self.event_quantities {
            let m = &self.quantities[q];
            if let QuantityDef::Count(f) = &m.def
                && f.matches_note(n)
            {
                bump(&mut o.values[q], m.binning.max_bin);
            }
        }
    }

    /// Checks the all_of metrics after a wave on `day`.
    #[inline]
    pub fn settle(&self, day: u32, o: &mut Outcome) {
        for &i in &self.all_of {
            if o.first[i] != NEVER {
                continue;
            }
            if let EventDef::AllOf {
                of,
                within,
                at_least,
            } = &self.events[i].def
            {
                let recent = of
                    .iter()
                    .filter(|&&j| o.last[j] != NEVER && day - o.last[j] <= *within)
                    .count();
                if recent >= *at_least {
                    o.first[i] = day;
                    o.last[i] = day;
                }
            }
        }
    }

    /// Count metrics are 0, not missing, in runs without matching events.
    pub fn finish_counts(&self, o: &mut Outcome) {
        for &q in &self.event_quantities {
            if matches!(self.quantities[q].def, QuantityDef::Count(_)) && o.values[q] == MISSING {
                o.values[q] = 0;
            }
        }
    }
}

/// What a bit of an `ActIndex` stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Matcher {
    /// A probability metric (index into `Metrics::events`).
    Event(usize),
    /// A per-event quantity (index into `Metrics::quantities`).
    Quantity(usize),
}

/// The metrics that match an act, found by bit sets instead of asking every filter: an act
/// matches exactly the metrics in the intersection of the sets for its actor, target, level,
/// rule and form. Acts take effect most days of a run and a scenario has dozens of metrics, so
/// this is the engine's way of recording them; `Metrics::on_act` stays the reference it is
/// tested against.
#[derive(Clone, Debug, Default)]
pub struct ActIndex {
    /// Words per set: one bit per entry of `matchers`.
    words: usize,
    matchers: Vec<Matcher>,
    /// The sets admitting an actor and a target: entry `(actor * n_actors + target) * words
    /// + word` (the two attributes' tables combined, so an act looks up three sets, not five).
    by_pair: Vec<u64>,
    by_level: Vec<u64>,
    /// The same for a rule and a form: entry `(rule * FORMS.len() + form) * words + word`.
    by_rule_form: Vec<u64>,
    /// The probability metrics that some all_of metric counts.
    feeds_all_of: Vec<u64>,
    n_actors: usize,
    n_levels: usize,
    n_rules: usize,
}

/// Every form an act can have, in the order `form_code` numbers them.
const FORMS: [Form; 9] = [
    Form::Strike,
    Form::JointStrike,
    Form::Preemptive { justified: true },
    Form::Preemptive { justified: false },
    Form::Retaliation { token: false },
    Form::Retaliation { token: true },
    Form::Proxy,
    Form::Violation,
    Form::Enforcement,
];

#[inline]
fn form_code(f: Form) -> usize {
    match f {
        Form::Strike => 0,
        Form::JointStrike => 1,
        Form::Preemptive { justified: true } => 2,
        Form::Preemptive { justified: false } => 3,
        Form::Retaliation { token: false } => 4,
        Form::Retaliation { token: true } => 5,
        Form::Proxy => 6,
        Form::Violation => 7,
        Form::Enforcement => 8,
    }
}

impl ActIndex {
    /// The index of `m` for a scenario of `n_actors` actors, `n_levels` rungs and `n_rules`
    /// rules.
    pub fn new(m: &Metrics, n_actors: usize, n_levels: usize, n_rules: usize) -> ActIndex {
        let mut matchers = Vec::new();
        for &i in &m.filters {
            if let EventDef::Filter(f) = &m.events[i].def
                && f.note.is_none()
            {
                matchers.push(Matcher::Event(i));
            }
        }
        for &q in &m.event_quantities {
            if let QuantityDef::Delay(f) | QuantityDef::Count(f) = &m.quantities[q].def
                && f.note.is_none()
            {
                matchers.push(Matcher::Quantity(q));
            }
        }
        let words = matchers.len().div_ceil(64);
        let filter = |k: usize| -> &Filter {
            match matchers[k] {
                Matcher::Event(i) => match &m.events[i].def {
                    EventDef::Filter(f) => f,
                    EventDef::AllOf { .. } => unreachable!("only filters are indexed"),
                },
                Matcher::Quantity(q) => match &m.quantities[q].def {
                    QuantityDef::Delay(f) | QuantityDef::Count(f) => f,
                    _ => unreachable!("only delay and count quantities are indexed"),
                },
            }
        };
        // One table per attribute: entry `value * words + word` holds the matchers that admit
        // an act with that value of the attribute.
        let table = |values: usize, admits: &dyn Fn(&Filter, usize) -> bool| -> Vec<u64> {
            let mut t = vec![0u64; values * words];
            for v in 0..values {
                for k in 0..matchers.len() {
                    if admits(filter(k), v) {
                        t[v * words + k / 64] |= 1 << (k % 64);
                    }
                }
            }
            t
        };
        let by_actor = table(n_actors, &|f, v| {
            f.actors
                .as_ref()
                .is_none_or(|s| s.contains(&(v as ActorId)))
        });
        let by_target = table(n_actors, &|f, v| {
            f.targets
                .as_ref()
                .is_none_or(|s| s.contains(&(v as ActorId)))
        });
        let by_level = table(n_levels, &|f, v| {
            f.min_level as usize <= v && v <= f.max_level as usize
        });
        let by_rule = table(n_rules, &|f, v| {
            f.rules.as_ref().is_none_or(|s| s.contains(&(v as RuleIdx)))
        });
        let by_form = table(FORMS.len(), &|f, v| {
            let form = FORMS[v];
            f.forms.as_ref().is_none_or(|s| s.contains(&class_of(form)))
                && f.false_alarm
                    .is_none_or(|fa| form == Form::Preemptive { justified: !fa })
        });
        let combine = |a: &[u64], b: &[u64]| -> Vec<u64> {
            let mut t = Vec::with_capacity(a.len() / words.max(1) * b.len());
            for x in a.chunks(words.max(1)) {
                for y in b.chunks(words.max(1)) {
                    t.extend(x.iter().zip(y).map(|(x, y)| x & y));
                }
            }
            t
        };
        let by_pair = combine(&by_actor, &by_target);
        let by_rule_form = combine(&by_rule, &by_form);
        let mut feeds_all_of = vec![0u64; words];
        for (k, mt) in matchers.iter().enumerate() {
            if let Matcher::Event(i) = *mt
                && m.all_of.iter().any(|&j| match &m.events[j].def {
                    EventDef::AllOf { of, .. } => of.contains(&i),
                    EventDef::Filter(_) => false,
                })
            {
                feeds_all_of[k / 64] |= 1 << (k % 64);
            }
        }
        ActIndex {
            words,
            matchers,
            by_pair,
            by_level,
            by_rule_form,
            feeds_all_of,
            n_actors,
            n_levels,
            n_rules,
        }
    }

    /// Records an act that took effect on `day`, as `Metrics::on_act` does. Returns whether it
    /// matched a metric that an all_of metric counts (only then can one complete).
    #[inline]
    pub fn on_act(&self, m: &Metrics, day: u32, a: &Act, o: &mut Outcome) -> bool {
        let (actor, target, level, rule) = (
            a.actor as usize,
            a.target as usize,
            a.level as usize,
            a.rule as usize,
        );
        if actor >= self.n_actors
            || target >= self.n_actors
            || level >= self.n_levels
            || rule >= self.n_rules
        {
            // Nothing the engine emits, but the reference is always right.
            m.on_act(day, a, o);
            return true;
        }
        let form = form_code(a.form);
        let w = self.words;
        let (by_pair, by_level, by_rule_form) = (
            &self.by_pair[(actor * self.n_actors + target) * w..][..w],
            &self.by_level[level * w..][..w],
            &self.by_rule_form[(rule * FORMS.len() + form) * w..][..w],
        );
        let mut feeds = false;
        for k in 0..w {
            let set = by_pair[k] & by_level[k] & by_rule_form[k];
            // Most acts (routine strikes) match no metric: the loop stays this small for them.
            if set != 0 {
                feeds |= set & self.feeds_all_of[k] != 0;
                self.record(m, k, set, day, a, o);
            }
        }
        feeds
    }

    /// Records `a` in the metrics of word `k` whose bits are in `set`, in bit order.
    #[inline(never)]
    fn record(&self, m: &Metrics, k: usize, mut set: u64, day: u32, a: &Act, o: &mut Outcome) {
        while set != 0 {
            let bit = set.trailing_zeros() as usize;
            set &= set - 1;
            match self.matchers[k * 64 + bit] {
                Matcher::Event(i) => {
                    if o.first[i] == NEVER {
                        o.first[i] = day;
                    }
                    o.last[i] = day;
                }
                Matcher::Quantity(q) => {
                    let metric = &m.quantities[q];
                    match metric.def {
                        QuantityDef::Delay(_) => {
                            if o.values[q] == MISSING {
                                o.values[q] = (day - a.trigger_day).min(metric.binning.max_bin);
                            }
                        }
                        _ => bump(&mut o.values[q], metric.binning.max_bin),
                    }
                }
            }
        }
    }
}

#[inline]
fn bump(v: &mut u32, max: u32) {
    *v = if *v == MISSING { 1 } else { (*v + 1).min(max) };
}

/// Largest count a `count` metric records; higher counts land in the top bin.
pub const MAX_COUNT: u32 = 10_000;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricConfig {
    #[serde(default)]
    pub description: String,
    #[serde(default = "event_kind")]
    pub kind: String,
    pub on: Option<String>,
    pub actor: Option<Vec<String>>,
    pub target: Option<Vec<String>>,
    pub min_level: Option<String>,
    pub max_level: Option<String>,
    pub rule: Option<Vec<String>>,
    pub rule_kind: Option<Vec<String>>,
    pub form: Option<Vec<String>>,
    pub false_alarm: Option<bool>,
    pub phase: Option<String>,
    pub of: Option<Vec<String>>,
    pub within_days: Option<u32>,
    /// With `all_of`: how many of `of` must have happened (default: all of them).
    pub at_least: Option<usize>,
}

fn event_kind() -> String {
    "event".into()
}

pub const METRIC_KINDS: &[&str] = &["event", "all_of", "delay", "count"];
pub const BUILTIN_NAMES: &[&str] = &["peak_level", "war_days", "war_duration_days"];

/// Compiles one `[metrics.<id>]` table. `rules` gives access to compiled rules for phase names.
pub fn compile_filter(
    id: &str,
    c: &MetricConfig,
    b: &mut Builder,
    rules: &[Box<dyn crate::rules::Rule>],
) -> Filter {
    let path = |k: &str| format!("metrics.{id}.{k}");
    // An empty list matches nothing: the metric would be 0 forever, which is never meant.
    for (key, list) in [
        ("actor", &c.actor),
        ("target", &c.target),
        ("rule", &c.rule),
        ("rule_kind", &c.rule_kind),
        ("form", &c.form),
    ] {
        if list.as_ref().is_some_and(Vec::is_empty) {
            b.error_help(
                path(key),
                format!("`{key} = []` matches no event, so the metric could never happen"),
                format!("name at least one, or leave `{key}` out to match any"),
            );
        }
    }
    let n_levels = b.levels.len();
    let mut f = Filter {
        max_level: (n_levels.max(1) - 1) as Level,
        ..Filter::default()
    };
    if let Some(on) = &c.on
        && on != "act"
    {
        match NoteKind::ALL.iter().find(|k| k.name() == on) {
            Some(k) => f.note = Some(*k),
            None => {
                let mut names = vec!["act"];
                names.extend(NoteKind::ALL.iter().map(|k| k.name()));
                b.error_help(
                    path("on"),
                    format!("unknown event `{on}`"),
                    crate::scenario::diag::suggest(on, &names),
                );
            }
        }
    }
    f.actors = c.actor.as_ref().map(|v| b.actors(&path("actor"), v));
    f.targets = c.target.as_ref().map(|v| b.actors(&path("target"), v));
    if let Some(l) = &c.min_level {
        f.min_level = b.level(&path("min_level"), l);
    }
    if let Some(l) = &c.max_level {
        f.max_level = b.level(&path("max_level"), l);
    }
    let mut rule_set: Option<Vec<RuleIdx>> = c.rule.as_ref().map(|v| {
        v.iter()
            .enumerate()
            .map(|(i, r)| b.rule(&path(&format!("rule[{i}]")), r, None))
            .collect()
    });
    if let Some(kinds) = &c.rule_kind {
        let known = crate::rules::kind_names();
        let mut set = Vec::new();
        for (i, k) in kinds.iter().enumerate() {
            if !known.contains(&k.as_str()) {
                b.error_help(
                    path(&format!("rule_kind[{i}]")),
                    format!("unknown rule kind `{k}`"),
                    crate::scenario::diag::suggest(k, &known),
                );
            }
            set.extend(
                b.rules
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, kind))| kind == k)
                    .map(|(j, _)| j as RuleIdx),
            );
        }
        rule_set = Some(match rule_set {
            Some(r) => r.into_iter().filter(|x| set.contains(x)).collect(),
            None => set,
        });
    }
    f.rules = rule_set;
    if let Some(forms) = &c.form {
        let names: Vec<&str> = FORM_NAMES.iter().map(|(n, _)| *n).collect();
        let mut v = Vec::new();
        for (i, name) in forms.iter().enumerate() {
            match FORM_NAMES.iter().find(|(n, _)| n == name) {
                Some((_, fc)) => v.push(*fc),
                None => b.error_help(
                    path(&format!("form[{i}]")),
                    format!("unknown form `{name}`"),
                    crate::scenario::diag::suggest(name, &names),
                ),
            }
        }
        f.forms = Some(v);
    }
    f.false_alarm = c.false_alarm;
    if let Some(phase) = &c.phase {
        if f.note != Some(NoteKind::Phase) && f.note != Some(NoteKind::Collapse) {
            b.error(
                path("phase"),
                "`phase` filters only `on = \"phase\"` or `on = \"collapse\"` metrics",
            );
        }
        let targets = f.rules.clone().unwrap_or_default();
        if targets.len() != 1 {
            b.error(
                path("phase"),
                "a phase filter needs exactly one ceasefire in `rule`",
            );
        } else if let Some(r) = rules.get(targets[0] as usize) {
            match r.resolve_command(&CommandSpec::SetPhase(phase.clone())) {
                Ok(crate::model::Command::SetPhase(i)) => f.value = Some(u32::from(i)),
                Ok(_) => {}
                Err(e) => b.error(path("phase"), e),
            }
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Why;
    use std::path::Path;

    /// Every scenario shipped in `scenarios/` (and its examples), compiled with what it extends.
    fn shipped() -> Vec<crate::model::Scenario> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files = Vec::new();
        for dir in [root.clone(), root.join("examples")] {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|x| x == "toml") {
                    files.push(p);
                }
            }
        }
        files.sort();
        files
            .iter()
            .filter_map(|p| {
                let text = std::fs::read_to_string(p).unwrap();
                let mut resolve = |reference: &str, from: &str| {
                    let q = Path::new(from).parent().unwrap().join(reference);
                    std::fs::read_to_string(&q)
                        .map(|t| (q.display().to_string(), t))
                        .map_err(|e| e.to_string())
                };
                let c =
                    crate::scenario::compose(&text, &p.display().to_string(), &mut resolve).ok()?;
                // Experiment files and bases that are not scenarios on their own are skipped.
                c.parse(&c.text).ok()
            })
            .collect()
    }

    /// The index must record exactly what asking every filter records, for every act a
    /// scenario can produce (every actor, target, level, rule and form), and say an all-of
    /// member matched exactly when one did.
    #[test]
    fn act_index_records_what_every_filter_records() {
        let scenarios = shipped();
        assert!(scenarios.len() >= 10, "found {} scenarios", scenarios.len());
        let mut checked = 0u64;
        for sc in &scenarios {
            let m = &sc.metrics;
            let (n, levels, rules) = (sc.n_actors(), sc.ladder.len(), sc.rules.len());
            let index = ActIndex::new(m, n, levels, rules);
            let members: Vec<usize> = m
                .all_of
                .iter()
                .flat_map(|&j| match &m.events[j].def {
                    EventDef::AllOf { of, .. } => of.clone(),
                    EventDef::Filter(_) => Vec::new(),
                })
                .collect();
            for actor in 0..n {
                for target in 0..n {
                    for level in 0..levels {
                        for rule in 0..rules {
                            for form in FORMS {
                                let act = Act {
                                    actor: actor as ActorId,
                                    target: target as ActorId,
                                    level: level as Level,
                                    rule: rule as RuleIdx,
                                    form,
                                    trigger_day: 3,
                                    why: Why::None,
                                };
                                // Start from an outcome where some delays are already set.
                                let mut want = Outcome::new(m);
                                for (q, v) in want.values.iter_mut().enumerate() {
                                    if q % 2 == 1 {
                                        *v = 1;
                                    }
                                }
                                let mut got = want.clone();
                                m.on_act(10, &act, &mut want);
                                m.on_act(12, &act, &mut want);
                                let f1 = index.on_act(m, 10, &act, &mut got);
                                let f2 = index.on_act(m, 12, &act, &mut got);
                                assert_eq!(want.first, got.first, "{}: {act:?}", sc.name);
                                assert_eq!(want.last, got.last, "{}: {act:?}", sc.name);
                                assert_eq!(want.values, got.values, "{}: {act:?}", sc.name);
                                let fed = members.iter().any(|&i| want.last[i] != NEVER);
                                assert_eq!(fed, f1, "{}: {act:?}", sc.name);
                                assert_eq!(f1, f2);
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 100_000, "only {checked} acts checked");
    }
}
