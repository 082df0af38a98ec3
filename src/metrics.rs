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
