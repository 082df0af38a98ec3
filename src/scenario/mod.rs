//! Scenario files: parsing TOML text into a compiled `Scenario`, with every problem located.
//!
//! `parse` takes text, not a path: reading files is the caller's business. Parsing happens in
//! three passes so that one bad table does not hide the problems in the others:
//! 1. TOML syntax (recoverable: all syntax errors are reported);
//! 2. each section and each entry deserialized on its own (types, unknown keys);
//! 3. names resolved and values checked (actors, tracks, levels, rules, bounds), then commands
//!    linked between rules.
//!
//! Diagnostics without a span get one from their key path, and those without a key path get
//! one from their span.

pub mod build;
pub mod compose;
pub mod correlation;
pub mod days;
pub mod diag;
pub mod dist;
pub mod overrides;
pub mod schema;
pub(crate) mod spans;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;
use toml::de::{DeTable, DeValue};
use toml::value::Datetime;

use crate::metrics::{
    BUILTIN_NAMES, Binning, EventDef, EventMetric, MAX_COUNT, METRIC_KINDS, MetricConfig, Metrics,
    QuantityDef, QuantityMetric, compile_filter,
};
use crate::model::{
    Act, Actor, Form, HistoryAct, Initial, InitialLevel, NO_RULE, Rung, Scenario, Theatre, Track,
    Why,
};
use crate::rules::{Rule, kind_names};
use build::{Bounds, Builder, RuleTable};
use days::Days;
use diag::{Diagnostic, ScenarioError, suggest};
use dist::Dist;

pub use compose::{Composite, compose};

/// Documented bounds on a scenario's size.
pub const MAX_HORIZON_DAYS: u32 = 3650;
pub const MAX_ACTORS: usize = 64;
pub const MAX_RUNGS: usize = 32;
/// Bounds that keep ids within their integer types with a wide margin.
pub const MAX_TRACKS: usize = 1024;
pub const MAX_RULES: usize = 1024;
/// Documented bound on the number of runs, from the file or the command line.
pub const MAX_RUNS: u64 = 1_000_000_000;

const SECTIONS: &[&str] = &[
    "scenario",
    "actors",
    "tracks",
    "ladder",
    "theatres",
    "initial",
    "rules",
    "metrics",
    "correlations",
];

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ScenarioSection {
    name: String,
    title: Option<String>,
    #[serde(default)]
    description: String,
    #[schemars(schema_with = "schema::date")]
    start_date: Datetime,
    horizon_days: u32,
    war_level: String,
    /// The date up to which the scenario's authors used what was known.
    #[serde(default)]
    #[schemars(schema_with = "schema::optional_date")]
    as_of: Option<Datetime>,
    /// Hostilities below war level fall back to calm after this many days without an act
    /// (drawn once per run when uncertain).
    #[serde(default = "default_calm_after")]
    calm_after_days: Days,
    /// A war (hostilities at war level) with no act for this many days ends (default: never;
    /// drawn once per run when uncertain).
    quiet_days_to_end_war: Option<Days>,
    /// Only hostilities among these actors count towards war level, peak level and war days
    /// (default: all actors).
    war_actors: Option<Vec<String>>,
    seed: Option<u64>,
    runs: Option<u64>,
    #[allow(dead_code)]
    source: Option<String>,
}

fn default_calm_after() -> Days {
    Days::new(30)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TheatreConfig {
    name: Option<String>,
    /// Every pair of these actors belongs to the theatre.
    #[serde(default)]
    actors: Vec<String>,
    /// Pairs that belong to the theatre (besides those of `actors`).
    #[serde(default)]
    pairs: Vec<Vec<String>>,
    /// A war between two of its actors with no act for this many days ends (default: the
    /// scenario's `quiet_days_to_end_war`).
    quiet_days_to_end_war: Option<Days>,
    source: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

/// `[initial]`: the state of the crisis at the start.
#[derive(Deserialize, schemars::JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct InitialConfig {
    /// Pairs whose hostilities are already at a rung.
    #[serde(default)]
    levels: Vec<InitialLevelConfig>,
    /// Acts before (or on) the start date: pledges answer them; they are not events of the run.
    #[serde(default)]
    acts: Vec<InitialActConfig>,
    /// Ceasefires in force (or collapsed) at the start, by rule id.
    #[serde(default)]
    ceasefires: std::collections::BTreeMap<String, InitialCeasefireConfig>,
    /// Negotiation channels' status at the start, by rule id.
    #[serde(default)]
    talks: std::collections::BTreeMap<String, InitialTalksConfig>,
    #[allow(dead_code)]
    source: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct InitialLevelConfig {
    pair: Vec<String>,
    level: String,
    /// Since when the pair has been at this rung (default: the start date).
    #[serde(default)]
    #[schemars(schema_with = "schema::optional_date")]
    since: Option<Datetime>,
    /// The last act between them (default: the start date), from which calm returns.
    #[serde(default)]
    #[schemars(schema_with = "schema::optional_date")]
    last_act: Option<Datetime>,
    #[allow(dead_code)]
    source: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct InitialActConfig {
    actor: String,
    target: String,
    level: String,
    #[schemars(schema_with = "schema::date")]
    date: Datetime,
    /// strike, joint_strike, preemptive, retaliation, token_retaliation, proxy, violation or
    /// enforcement (default: strike).
    form: Option<String>,
    #[allow(dead_code)]
    source: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct InitialCeasefireConfig {
    phase: Option<String>,
    #[serde(default)]
    #[schemars(schema_with = "schema::optional_date")]
    since: Option<Datetime>,
    #[serde(default = "yes")]
    in_force: bool,
    #[allow(dead_code)]
    source: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct InitialTalksConfig {
    /// "dormant", "open" or "deal".
    status: String,
    #[serde(default)]
    #[schemars(schema_with = "schema::optional_date")]
    since: Option<Datetime>,
    #[allow(dead_code)]
    source: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ActorConfig {
    name: Option<String>,
    #[serde(default)]
    allies: Vec<String>,
    source: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct TrackConfig {
    name: Option<String>,
    initial: Dist,
    #[serde(default = "zero")]
    drift: Dist,
    #[serde(default = "zero")]
    noise: Dist,
    #[serde(default)]
    min: f64,
    #[serde(default = "one")]
    max: f64,
    source: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RungConfig {
    id: String,
    name: Option<String>,
    mid: u8,
    #[allow(dead_code)]
    source: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

fn zero() -> Dist {
    Dist::fixed(0.0)
}
fn one() -> f64 {
    1.0
}

/// The default seed when neither the scenario nor the command line gives one.
pub const DEFAULT_SEED: u64 = 20251229;
/// The default number of runs.
pub const DEFAULT_RUNS: u64 = 10_000;

/// Parses and compiles a scenario. `file` is used only in messages.
pub fn parse(source: &str, file: &str) -> Result<Scenario, ScenarioError> {
    let fail = |diagnostics: Vec<Diagnostic>| ScenarioError {
        file: file.to_string(),
        source: source.to_string(),
        diagnostics,
        others: Vec::new(),
    };
    let syntax = compose::syntax(source);
    if !syntax.is_empty() {
        return Err(fail(syntax));
    }
    let (root, _) = DeTable::parse_recoverable(source);
    let root_value: Spanned<DeValue> = {
        let span = root.span();
        Spanned::new(span, DeValue::Table(root.into_inner()))
    };
    let mut diags = Vec::new();
    screen(&root_value, &mut diags);
    let result = compile(&root_value, &mut diags);
    if diags.is_empty()
        && let Some(mut sc) = result
    {
        sc.sources = vec![crate::model::SourceFile {
            path: file.to_string(),
            sha256: Sha256::digest(source.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        }];
        return Ok(sc);
    }
    for d in &mut diags {
        if d.span.is_none() && !d.path.is_empty() {
            d.span = spans::span_of(&root_value, &d.path);
        }
        if d.path.is_empty()
            && let Some(s) = &d.span
        {
            d.path = spans::path_at(&root_value, s.start);
        }
    }
    for d in &mut diags {
        explain_unknown_field(d);
    }
    diags.sort_by_key(|d| d.span.as_ref().map_or(usize::MAX, |s| s.start));
    diags.dedup();
    // A non-finite number is reported once, by `screen`, not again by the field that holds it.
    let non_finite: Vec<_> = diags
        .iter()
        .filter(|d| d.help.as_deref() == Some(FINITE_HELP))
        .filter_map(|d| d.span.clone())
        .collect();
    if !non_finite.is_empty() {
        // Knock-on errors (a distribution or a bound that holds the number) would only repeat
        // it less clearly: a non-finite value shown in a message can only come from the file.
        diags.retain(|d| {
            d.help.as_deref() == Some(FINITE_HELP)
                || !(d.span.as_ref().is_some_and(|s| {
                    non_finite
                        .iter()
                        .any(|n| s.start <= n.start && n.end <= s.end)
                }) || d
                    .message
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|w| w == "inf" || w == "NaN"))
        });
    }
    Err(fail(diags))
}

/// Rewrites serde's "unknown field `x`, expected one of `a`, `b`" into a shorter message with a
/// did-you-mean, keeping the full list as help when no name is close.
fn explain_unknown_field(d: &mut Diagnostic) {
    let message = d.message.clone();
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return;
    };
    let Some((name, tail)) = rest.split_once('`') else {
        return;
    };
    let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
    let name = name.to_string();
    d.message = format!("unknown key `{name}`");
    d.help = Some(if expected.is_empty() {
        "this table takes no keys".to_string()
    } else {
        suggest(&name, &expected)
    });
}

fn table_entries<'a, 'i>(
    root: &'a DeTable<'i>,
    section: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(String, &'a Spanned<DeValue<'i>>)> {
    match root.get(section) {
        None => Vec::new(),
        Some(v) => match v.get_ref() {
            DeValue::Table(t) => t
                .iter()
                .map(|(k, v)| (k.get_ref().to_string(), v))
                .collect(),
            other => {
                diags.push(
                    Diagnostic::new(
                        section,
                        format!("`{section}` must be a table, found {}", other.type_str()),
                    )
                    .with_span(Some(v.span())),
                );
                Vec::new()
            }
        },
    }
}

fn compile(root_value: &Spanned<DeValue>, diags: &mut Vec<Diagnostic>) -> Option<Scenario> {
    let DeValue::Table(root) = root_value.get_ref() else {
        unreachable!("root is a table")
    };
    for (k, _) in root.iter() {
        if k.get_ref() == "extends" {
            diags.push(
                Diagnostic::new(
                    "extends",
                    "`extends` names another file, which this text was not composed with",
                )
                .with_span(Some(k.span()))
                .with_help(
                    "read the scenario with scenario::compose (as every brink command does) \
                     before parsing it",
                ),
            );
        } else if !SECTIONS.contains(&k.get_ref().as_ref()) {
            diags.push(
                Diagnostic::new(
                    k.get_ref().to_string(),
                    format!("unknown section `{}`", k.get_ref()),
                )
                .with_span(Some(k.span()))
                .with_help(suggest(k.get_ref(), SECTIONS)),
            );
        }
    }
    for required in ["scenario", "actors", "ladder"] {
        if root.get(required).is_none() {
            diags.push(
                Diagnostic::new("", format!("missing required section `[{required}]`"))
                    .with_span(Some(0..0)),
            );
        }
    }
    // Pass 2 starts with the header, which the rest needs (start date, horizon).
    let mut probe = Builder::new(jiff::civil::Date::constant(2000, 1, 1), 1);
    let head: Option<ScenarioSection> = root.get("scenario").and_then(|v| probe.de("scenario", v));
    diags.append(&mut probe.diags);
    let head = head?;
    if !is_id(&head.name) {
        diags.push(
            Diagnostic::new(
                "scenario.name",
                format!("`{}` is not a valid scenario name", head.name),
            )
            .with_help(
                "the name is also the results folder: a lowercase letter, then lowercase letters, \
             digits and _",
            ),
        );
    } else if let Some(d) = too_long("scenario.name", &head.name) {
        diags.push(d);
    } else if let Some(suffix) = RESERVED_SUFFIXES.iter().find(|s| head.name.ends_with(*s)) {
        diags.push(
            Diagnostic::new(
                "scenario.name",
                format!("a scenario name may not end in `{suffix}`"),
            )
            .with_help(format!(
                "results/<name>{suffix}/ holds another command's results for the scenario \
                 <name>; choose another name"
            )),
        );
    }
    let start = match (head.start_date.date, head.start_date.time) {
        (Some(d), None) => jiff::civil::Date::new(d.year as i16, d.month as i8, d.day as i8).ok(),
        _ => None,
    };
    let Some(start) = start else {
        diags.push(
            Diagnostic::new(
                "scenario.start_date",
                format!("`{}` is not a plain calendar date", head.start_date),
            )
            .with_help("write a date such as 2025-12-30"),
        );
        return None;
    };
    if head.horizon_days == 0 || head.horizon_days > MAX_HORIZON_DAYS {
        diags.push(Diagnostic::new(
            "scenario.horizon_days",
            format!(
                "horizon_days must be between 1 and {MAX_HORIZON_DAYS}, got {}",
                head.horizon_days
            ),
        ));
        return None;
    }
    let last = i64::from(head.horizon_days) - 1;
    if start.checked_add(jiff::Span::new().days(last)).is_err() {
        diags.push(
            Diagnostic::new(
                "scenario.start_date",
                format!(
                    "{} days from {start} run past {}, the calendar's last date",
                    head.horizon_days,
                    jiff::civil::Date::MAX
                ),
            )
            .with_help("choose an earlier start_date or a shorter horizon"),
        );
        return None;
    }
    let mut b = Builder::new(start, head.horizon_days);
    let as_of = head.as_of.as_ref().and_then(|d| {
        let off = b.day_offset("scenario.as_of", d)?;
        start.checked_add(jiff::Span::new().days(off)).ok()
    });
    let calm_after_days = b.days("scenario.calm_after_days", &head.calm_after_days);
    if let Some(runs) = head.runs
        && !(1..=MAX_RUNS).contains(&runs)
    {
        b.error(
            "scenario.runs",
            format!("runs must be between 1 and {MAX_RUNS}, got {runs}"),
        );
    }

    // Names first, so that references in any order resolve.
    let actor_entries = table_entries(root, "actors", diags);
    if actor_entries.len() > MAX_ACTORS {
        b.error(
            "actors",
            format!(
                "at most {MAX_ACTORS} actors are supported, got {}",
                actor_entries.len()
            ),
        );
    }
    b.actors = actor_entries.iter().map(|(k, _)| k.clone()).collect();
    let track_entries = table_entries(root, "tracks", diags);
    if track_entries.len() > MAX_TRACKS {
        b.error(
            "tracks",
            format!(
                "at most {MAX_TRACKS} tracks are supported, got {}",
                track_entries.len()
            ),
        );
    }
    b.tracks = track_entries.iter().map(|(k, _)| k.clone()).collect();
    let rung_configs: Vec<RungConfig> = match root.get("ladder") {
        Some(v) => b.de("ladder", v).unwrap_or_default(),
        None => Vec::new(),
    };
    b.levels = rung_configs.iter().map(|r| r.id.clone()).collect();
    // Rules run in id order, never file order: moving a table in the file changes nothing.
    let mut rule_entries = table_entries(root, "rules", diags);
    if rule_entries.len() > MAX_RULES {
        b.error(
            "rules",
            format!(
                "at most {MAX_RULES} rules are supported, got {}",
                rule_entries.len()
            ),
        );
    }
    rule_entries.sort_by(|x, y| x.0.cmp(&y.0));
    let mut rule_tables = Vec::new();
    for (id, v) in &rule_entries {
        let kind = match v.get_ref() {
            DeValue::Table(t) => t
                .get("kind")
                .and_then(|k| k.get_ref().as_str())
                .map(str::to_string),
            _ => None,
        };
        match kind {
            Some(kind) => {
                rule_tables.push((id.clone(), kind.clone(), *v));
                b.rules.push((id.clone(), kind));
            }
            None => b.error_help(
                format!("rules.{id}"),
                format!("rule `{id}` has no `kind`"),
                format!("add kind = one of: {}", kind_names().join(", ")),
            ),
        }
    }
    // Names that conditions may use before the rules or metrics that define them compile:
    // each ceasefire's phases, and the event metrics in the order they are numbered.
    for (id, kind, v) in &rule_tables {
        if kind == "ceasefire"
            && let DeValue::Table(t) = v.get_ref()
            && let Some(DeValue::Array(phases)) = t.get("phases").map(|p| p.get_ref())
        {
            let ids = phases
                .iter()
                .filter_map(|p| match p.get_ref() {
                    DeValue::Table(pt) => pt
                        .get("id")
                        .and_then(|x| x.get_ref().as_str())
                        .map(str::to_string),
                    _ => None,
                })
                .collect();
            b.phases.insert(id.clone(), ids);
        }
    }
    b.event_metrics = table_entries(root, "metrics", &mut Vec::new())
        .into_iter()
        .filter(|(id, v)| {
            let kind = match v.get_ref() {
                DeValue::Table(t) => t
                    .get("kind")
                    .and_then(|k| k.get_ref().as_str())
                    .unwrap_or("event")
                    .to_string(),
                _ => String::new(),
            };
            (kind == "event" || kind == "all_of")
                && !BUILTIN_NAMES.contains(&id.as_str())
                && !id.starts_with("final_")
        })
        .map(|(id, _)| id)
        .collect();
    let (actor_ids, track_ids, level_ids) = (b.actors.clone(), b.tracks.clone(), b.levels.clone());
    check_ids(&mut b, "actors", &actor_ids);
    check_ids(&mut b, "tracks", &track_ids);
    check_ids(&mut b, "ladder", &level_ids);
    check_ids(
        &mut b,
        "rules",
        &rule_entries
            .iter()
            .map(|(k, _)| k.clone())
            .collect::<Vec<_>>(),
    );
    check_ids(
        &mut b,
        "metrics",
        &table_entries(root, "metrics", &mut Vec::new())
            .into_iter()
            .map(|(k, _)| k)
            .collect::<Vec<_>>(),
    );

    // Ladder.
    if rung_configs.len() < 2 && root.get("ladder").is_some() {
        b.error(
            "ladder",
            "the ladder needs at least two rungs (calm and one hostile level)",
        );
    }
    if rung_configs.len() > MAX_RUNGS {
        b.error("ladder", format!("at most {MAX_RUNGS} rungs are supported"));
    }
    let mut seen_ids = std::collections::HashSet::new();
    let mut ladder = Vec::new();
    for (i, r) in rung_configs.iter().enumerate() {
        if !seen_ids.insert(r.id.clone()) {
            b.error(
                format!("ladder[{i}].id"),
                format!("duplicate ladder id `{}`", r.id),
            );
        }
        if !(1..=5).contains(&r.mid) {
            b.error_help(
                format!("ladder[{i}].mid"),
                format!("MID hostility level must be 1 to 5, got {}", r.mid),
                "1 no militarized action, 2 threat, 3 display, 4 use of force, 5 war",
            );
        }
        if i > 0 && r.mid < rung_configs[i - 1].mid {
            b.error(
                format!("ladder[{i}].mid"),
                "MID levels must not decrease up the ladder",
            );
        }
        ladder.push(Rung {
            id: r.id.clone(),
            name: r.name.clone().unwrap_or_else(|| r.id.clone()),
            mid: r.mid,
        });
    }
    let war_level = b.level("scenario.war_level", &head.war_level);
    let war_actors = match &head.war_actors {
        Some(list) => b.actors("scenario.war_actors", list),
        None => (0..b.actors.len() as u8).collect(),
    };

    // Actors.
    let mut actors = Vec::new();
    let mut actor_cfgs = Vec::new();
    for (id, v) in &actor_entries {
        actor_cfgs.push(b.de::<ActorConfig>(&format!("actors.{id}"), v));
    }
    for ((id, _), cfg) in actor_entries.iter().zip(&actor_cfgs) {
        let (name, allies, source) = match cfg {
            Some(c) => {
                let allies = b.actors(&format!("actors.{id}.allies"), &c.allies);
                (
                    c.name.clone().unwrap_or_else(|| id.clone()),
                    allies,
                    c.source.clone(),
                )
            }
            None => (id.clone(), Vec::new(), None),
        };
        actors.push(Actor {
            id: id.clone(),
            name,
            allies,
            source,
        });
    }
    b.allies = actors.iter().map(|a| a.allies.clone()).collect();

    // Tracks.
    let mut tracks = Vec::new();
    for (id, v) in &track_entries {
        let Some(c) = b.de::<TrackConfig>(&format!("tracks.{id}"), v) else {
            continue;
        };
        let p = |k: &str| format!("tracks.{id}.{k}");
        if !(c.min.is_finite() && c.max.is_finite() && c.min < c.max) {
            b.error(
                p("max"),
                format!(
                    "a track needs finite min < max, got min = {}, max = {}",
                    c.min, c.max
                ),
            );
        }
        let bounds = Bounds::Range(c.min, c.max);
        tracks.push(Track {
            id: id.clone(),
            name: c.name.unwrap_or_else(|| id.clone()),
            initial: b.param(&p("initial"), &c.initial, bounds),
            drift: b.param(&p("drift"), &c.drift, Bounds::Any),
            noise: b.param(&p("noise"), &c.noise, Bounds::NonNegative),
            min: c.min,
            max: c.max,
            source: c.source,
        });
    }

    // Theatres and the days of quiet that end a war.
    let n_actors = actors.len();
    let mut theatres = Vec::new();
    let scenario_quiet = head
        .quiet_days_to_end_war
        .as_ref()
        .map(|d| b.days("scenario.quiet_days_to_end_war", d));
    let mut quiet_days = vec![scenario_quiet; n_actors * n_actors];
    let mut theatre_of: Vec<Option<String>> = vec![None; n_actors * n_actors];
    for (id, v) in table_entries(root, "theatres", diags) {
        let path = format!("theatres.{id}");
        if !is_id(&id) {
            b.error_help(
                &path,
                format!("`{id}` is not a valid id"),
                "ids are snake_case: a lowercase letter, then lowercase letters, digits and _",
            );
        }
        let Some(c) = b.de::<TheatreConfig>(&path, v) else {
            continue;
        };
        let members = b.actors(&format!("{path}.actors"), &c.actors);
        let mut pairs: Vec<(u8, u8, String)> = Vec::new();
        for (i, &x) in members.iter().enumerate() {
            for &y in &members[i + 1..] {
                pairs.push((x, y, format!("{path}.actors")));
            }
        }
        for (i, pair) in c.pairs.iter().enumerate() {
            let at = format!("{path}.pairs[{i}]");
            if let Some([x, y]) = b.pair(&at, pair, "a theatre's pair") {
                pairs.push((x, y, at));
            }
        }
        if pairs.is_empty() {
            b.error_help(
                &path,
                "a theatre needs at least one pair",
                "give actors = [\"a\", \"b\", ...] (every pair of them) or pairs = [[\"a\", \"b\"]]",
            );
        }
        let quiet = match &c.quiet_days_to_end_war {
            Some(d) => Some(b.days(&format!("{path}.quiet_days_to_end_war"), d)),
            None => scenario_quiet,
        };
        let mut own = Vec::new();
        for (x, y, at) in pairs {
            for k in [
                x as usize * n_actors + y as usize,
                y as usize * n_actors + x as usize,
            ] {
                match &theatre_of[k] {
                    Some(other) if *other != id => b.error_help(
                        at.clone(),
                        format!(
                            "the pair {}–{} is already in theatre `{other}`",
                            b.actors[x as usize], b.actors[y as usize]
                        ),
                        "a pair belongs to at most one theatre",
                    ),
                    Some(_) => {}
                    None => {
                        theatre_of[k] = Some(id.clone());
                        quiet_days[k] = quiet;
                    }
                }
            }
            if !own.contains(&(x, y)) && !own.contains(&(y, x)) {
                own.push((x, y));
            }
        }
        let mut actors_of: Vec<u8> = own.iter().flat_map(|&(x, y)| [x, y]).collect();
        actors_of.sort_unstable();
        actors_of.dedup();
        b.theatres.push((id.clone(), own.clone()));
        theatres.push(Theatre {
            id: id.clone(),
            name: c.name.unwrap_or_else(|| id.clone()),
            actors: actors_of,
            pairs: own,
            quiet_days: quiet,
            source: c.source,
        });
    }

    // The state at the start.
    let initial = match root.get("initial") {
        Some(v) => match b.de::<InitialConfig>("initial", v) {
            Some(c) => compile_initial(&c, &mut b, war_level),
            None => Initial::default(),
        },
        None => Initial::default(),
    };

    // Rules.
    let mut rules: Vec<Box<dyn Rule>> = Vec::new();
    for (i, (id, kind, v)) in rule_tables.iter().enumerate() {
        let table = RuleTable {
            id: id.clone(),
            idx: i as u16,
            value: (*v).clone(),
        };
        match crate::rules::kind(kind) {
            Some(k) => {
                if let Some(rule) = (k.compile)(&table, &mut b) {
                    rules.push(rule);
                }
            }
            None => {
                b.error_help(
                    format!("rules.{id}.kind"),
                    format!("unknown rule kind `{kind}`"),
                    suggest(kind, &kind_names()),
                );
            }
        }
    }
    let rules_complete = rules.len() == rule_tables.len();
    if rules_complete {
        link_commands(&mut rules, &mut b);
    }
    // What `[initial]` says of rules that do not exist.
    for (id, init) in std::mem::take(&mut b.initial_rules) {
        let (path, kind) = match init {
            build::InitialRule::Ceasefire { path, .. } => (path, "ceasefire"),
            build::InitialRule::Talks { path, .. } => (path, "negotiation"),
        };
        if !b.rules.iter().any(|(r, _)| *r == id) {
            let of_kind: Vec<&str> = b
                .rules
                .iter()
                .filter(|(_, k)| k == kind)
                .map(|(r, _)| r.as_str())
                .collect();
            b.error_help(
                path,
                format!("there is no {kind} rule `{id}`"),
                suggest(&id, &of_kind),
            );
        }
    }
    let reads_metrics = rules
        .iter()
        .any(|r| r.hazards().iter().any(|h| h.reads_metrics()));

    // Correlations, once every parameter is registered.
    let correlations = match root.get("correlations") {
        Some(v) if rules_complete => correlation::compile(v, &mut b),
        _ => Vec::new(),
    };

    // Metrics.
    let metrics = compile_metrics(
        root,
        &mut b,
        &rules,
        &ladder,
        &tracks,
        head.horizon_days,
        diags,
    );

    diags.append(&mut b.diags);
    if !diags.is_empty() || !rules_complete {
        return None;
    }
    assert!(
        b.params.iter().all(|p| !p.dist.is_unresolved()),
        "every \"lo to hi\" range is read by the Builder when its parameter is registered"
    );
    Some(Scenario {
        title: head.title.unwrap_or_else(|| head.name.clone()),
        name: head.name,
        description: head.description,
        start_date: start,
        horizon: head.horizon_days,
        default_seed: head.seed.unwrap_or(DEFAULT_SEED),
        default_runs: head.runs.unwrap_or(DEFAULT_RUNS),
        war_level,
        calm_after_days,
        quiet_days,
        theatres,
        initial,
        reads_metrics,
        as_of,
        war_pairs: {
            let n = actors.len();
            let mut mask = vec![false; n * n];
            for &a in &war_actors {
                for &b in &war_actors {
                    mask[a as usize * n + b as usize] = a != b;
                }
            }
            mask
        },
        actors,
        tracks,
        ladder,
        params: b.params,
        readings: b.readings,
        correlations,
        sources: Vec::new(),
        rule_ids: rule_tables.iter().map(|(id, _, _)| id.clone()).collect(),
        phases: rule_tables
            .iter()
            .map(|(id, _, _)| b.phases.get(id).cloned().unwrap_or_default())
            .collect(),
        rules,
        metrics,
    })
}

/// Compiles `[initial]`: levels and history acts into the scenario, rule states into the
/// builder for the rules to take when they compile.
fn compile_initial(c: &InitialConfig, b: &mut Builder, war_level: crate::model::Level) -> Initial {
    let mut init = Initial::default();
    let day = |b: &mut Builder, path: &str, d: &Option<Datetime>| -> i32 {
        d.as_ref()
            .and_then(|d| b.day_offset(path, d))
            .map_or(0, |x| x.clamp(i64::from(i32::MIN + 1), 0) as i32)
    };
    for (i, l) in c.levels.iter().enumerate() {
        let path = format!("initial.levels[{i}]");
        let Some([x, y]) = b.pair(
            &format!("{path}.pair"),
            &l.pair,
            "an initial level's `pair`",
        ) else {
            continue;
        };
        let level = b.level(&format!("{path}.level"), &l.level);
        if level == 0 {
            b.error_help(
                format!("{path}.level"),
                format!(
                    "`{}` is the bottom rung, where every pair starts anyway",
                    l.level
                ),
                "give a rung above the bottom, or remove the entry",
            );
        }
        for (k, d) in [("since", &l.since), ("last_act", &l.last_act)] {
            if let Some(d) = d
                && b.day_offset(&format!("{path}.{k}"), d)
                    .is_some_and(|x| x > 0)
            {
                b.error_help(
                    format!("{path}.{k}"),
                    format!("`{k}` lies after the start date"),
                    "the initial state describes the past: give a date on or before the start",
                );
            }
        }
        let since = day(b, &format!("{path}.since"), &l.since);
        let last_act = day(b, &format!("{path}.last_act"), &l.last_act);
        if init
            .levels
            .iter()
            .any(|o: &InitialLevel| (o.a, o.b) == (x, y) || (o.a, o.b) == (y, x))
        {
            b.error(
                format!("{path}.pair"),
                "this pair already has an initial level",
            );
        }
        let _ = war_level;
        init.levels.push(InitialLevel {
            a: x,
            b: y,
            level,
            since,
            last_act,
        });
    }
    for (i, a) in c.acts.iter().enumerate() {
        let path = format!("initial.acts[{i}]");
        let actor = b.actor(&format!("{path}.actor"), &a.actor);
        let target = b.actor(&format!("{path}.target"), &a.target);
        let level = b.level(&format!("{path}.level"), &a.level);
        let Some(d) = b.day_offset(&format!("{path}.date"), &a.date) else {
            continue;
        };
        if d > 0 {
            b.error_help(
                format!("{path}.date"),
                "a history act lies after the start date",
                "history ends on the start date; later acts are the model's to decide (a \
                 `scheduled` rule or a `decision` can make one likely)",
            );
            continue;
        }
        let form = match a.form.as_deref().unwrap_or("strike") {
            "strike" => Form::Strike,
            "joint_strike" => Form::JointStrike,
            "preemptive" => Form::Preemptive { justified: true },
            "retaliation" => Form::Retaliation { token: false },
            "token_retaliation" => Form::Retaliation { token: true },
            "proxy" => Form::Proxy,
            "violation" => Form::Violation,
            "enforcement" => Form::Enforcement,
            other => {
                b.error_help(
                    format!("{path}.form"),
                    format!("unknown form `{other}`"),
                    suggest(other, &crate::metrics::form_names()),
                );
                Form::Strike
            }
        };
        if actor == target && b.diags.is_empty() {
            b.error(
                format!("{path}.target"),
                "an act's actor and target must differ",
            );
        }
        init.acts.push(HistoryAct {
            act: Act {
                actor,
                target,
                level,
                rule: NO_RULE,
                form,
                trigger_day: 0,
                why: Why::None,
            },
            day: d.max(i64::from(i32::MIN + 1)) as i32,
        });
    }
    for (id, cf) in &c.ceasefires {
        let path = format!("initial.ceasefires.{id}");
        let since = cf
            .since
            .as_ref()
            .and_then(|d| b.day_offset(&format!("{path}.since"), d))
            .unwrap_or(0);
        if since > 0 {
            b.error(
                format!("{path}.since"),
                "`since` lies after the start date; the initial state describes the past",
            );
        }
        if !cf.in_force && cf.phase.is_some() {
            b.error(
                format!("{path}.phase"),
                "a ceasefire that is not in force has no phase",
            );
        }
        b.initial_rules.insert(
            id.clone(),
            build::InitialRule::Ceasefire {
                phase: cf.phase.clone(),
                since: since.min(0),
                in_force: cf.in_force,
                path,
            },
        );
    }
    for (id, t) in &c.talks {
        let path = format!("initial.talks.{id}");
        let since = t
            .since
            .as_ref()
            .and_then(|d| b.day_offset(&format!("{path}.since"), d))
            .unwrap_or(0);
        if since > 0 {
            b.error(
                format!("{path}.since"),
                "`since` lies after the start date; the initial state describes the past",
            );
        }
        if b.initial_rules.contains_key(id) {
            b.error(
                path.clone(),
                format!("`{id}` is also listed under initial.ceasefires"),
            );
        }
        b.initial_rules.insert(
            id.clone(),
            build::InitialRule::Talks {
                status: t.status.clone(),
                since: since.min(0),
                path,
            },
        );
    }
    init
}

/// The longest id or scenario name: ids become CSV columns and file names, and a scenario's
/// name a folder (with a suffix such as `_sensitivity`), which file systems cap at 255 bytes.
pub const MAX_ID_LEN: usize = 64;

/// Suffixes that the results folders of `compare`, `sensitivity`, `sweep`, `run --given`,
/// `score`, `watch` and `discover` add to a name, so no scenario's own runs can share a folder
/// with them.
pub const RESERVED_SUFFIXES: &[&str] = &[
    "_compare",
    "_sensitivity",
    "_sweep",
    "_given",
    "_score",
    "_watch",
    "_discover",
];

/// The refusal of an id longer than `MAX_ID_LEN`.
fn too_long(path: &str, id: &str) -> Option<Diagnostic> {
    let n = id.chars().count();
    (n > MAX_ID_LEN).then(|| {
        Diagnostic::new(
            path,
            format!("`{id}` is {n} characters long; ids and names have at most {MAX_ID_LEN}"),
        )
        .with_help("ids name result folders and CSV columns: choose a shorter one")
    })
}

/// A snake_case id: safe as a CSV column, a file name and a key path segment.
fn is_id(id: &str) -> bool {
    id.chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
}

const FINITE_HELP: &str = "write a finite number; for no bound, leave the key out";

/// Keys whose text is a display label that later commands may write into tables.
const LABEL_KEYS: &[&str] = &["name", "title"];

/// Characters that make a spreadsheet treat a cell as a formula (CSV injection).
pub const FORMULA_STARTS: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// Checks every value in the file, whatever table it sits in, for what no key may hold:
/// numbers that are not finite (TOML allows `inf` and `nan`, and `1e999` overflows) and labels
/// that a spreadsheet would run as a formula. Done on the raw tree so that no field, present or
/// future, escapes it.
fn screen(v: &Spanned<DeValue>, diags: &mut Vec<Diagnostic>) {
    match v.get_ref() {
        DeValue::Float(f) => {
            let x = f.as_str().replace('_', "").parse::<f64>().unwrap_or(0.0);
            if !x.is_finite() {
                diags.push(
                    Diagnostic::new("", format!("`{}` is not a finite number", f.as_str()))
                        .with_span(Some(v.span()))
                        .with_help(FINITE_HELP),
                );
            }
        }
        DeValue::Array(a) => a.iter().for_each(|x| screen(x, diags)),
        DeValue::Table(t) => {
            for (k, x) in t.iter() {
                if LABEL_KEYS.contains(&k.get_ref().as_ref())
                    && let DeValue::String(text) = x.get_ref()
                    && text.starts_with(FORMULA_STARTS)
                {
                    diags.push(
                        Diagnostic::new(
                            "",
                            format!(
                                "the {} {:?} starts with {:?}, which spreadsheets run as a formula",
                                k.get_ref(),
                                text.as_ref(),
                                text.chars().next().unwrap_or(' ')
                            ),
                        )
                        .with_span(Some(x.span()))
                        .with_help("start the label with a letter or digit"),
                    );
                }
                screen(x, diags);
            }
        }
        _ => {}
    }
}

fn check_ids(b: &mut Builder, section: &str, ids: &[String]) {
    for (i, id) in ids.iter().enumerate() {
        let ok = is_id(id);
        let path = if section == "ladder" {
            format!("ladder[{i}].id")
        } else {
            format!("{section}.{id}")
        };
        if !ok {
            b.error_help(
                path,
                format!("`{id}` is not a valid id"),
                "ids are snake_case: a lowercase letter, then lowercase letters, digits and _",
            );
        } else if let Some(d) = too_long(&path, id) {
            b.diags.push(d);
        }
    }
}

fn link_commands(rules: &mut [Box<dyn Rule>], b: &mut Builder) {
    for i in 0..rules.len() {
        let specs = rules[i].command_specs();
        if specs.is_empty() {
            continue;
        }
        let mut resolved = Vec::new();
        for (path, target, spec) in specs {
            match rules[target as usize].resolve_command(&spec) {
                Ok(c) => resolved.push(c),
                Err(e) => b.error(path, e),
            }
        }
        rules[i].set_commands(resolved);
    }
}

fn compile_metrics(
    root: &DeTable,
    b: &mut Builder,
    rules: &[Box<dyn Rule>],
    ladder: &[Rung],
    tracks: &[Track],
    horizon: u32,
    diags: &mut Vec<Diagnostic>,
) -> Metrics {
    let mut m = Metrics::default();
    let entries = table_entries(root, "metrics", diags);
    let mut configs = Vec::new();
    for (id, v) in &entries {
        if BUILTIN_NAMES.contains(&id.as_str()) || id.starts_with("final_") {
            b.error(
                format!("metrics.{id}"),
                format!("`{id}` is a built-in metric name; choose another id"),
            );
            continue;
        }
        if let Some(c) = b.de::<MetricConfig>(&format!("metrics.{id}"), v) {
            configs.push((id.clone(), c));
        }
    }
    // Probability metrics first so that all_of can refer to any of them.
    for (id, c) in &configs {
        match c.kind.as_str() {
            "event" => {
                let f = compile_filter(id, c, b, rules);
                m.filters.push(m.events.len());
                m.events.push(EventMetric {
                    id: id.clone(),
                    description: c.description.clone(),
                    def: EventDef::Filter(f),
                });
            }
            "all_of" => {
                m.all_of.push(m.events.len());
                m.events.push(EventMetric {
                    id: id.clone(),
                    description: c.description.clone(),
                    def: EventDef::AllOf {
                        of: Vec::new(),
                        within: c.within_days.unwrap_or(horizon),
                        at_least: 0,
                    },
                });
            }
            "delay" | "count" => {}
            other => b.error_help(
                format!("metrics.{id}.kind"),
                format!("unknown metric kind `{other}`"),
                suggest(other, METRIC_KINDS),
            ),
        }
    }
    let filter_ids: Vec<String> = m.filters.iter().map(|&i| m.events[i].id.clone()).collect();
    for (id, c) in &configs {
        if c.kind == "all_of" {
            let names: Vec<&str> = filter_ids.iter().map(String::as_str).collect();
            let mut of = Vec::new();
            let list = c.of.clone().unwrap_or_default();
            if list.len() < 2 {
                b.error(
                    format!("metrics.{id}.of"),
                    "an all_of metric names at least two event metrics in `of`",
                );
            }
            for (i, name) in list.iter().enumerate() {
                match m
                    .events
                    .iter()
                    .position(|e| &e.id == name && matches!(e.def, EventDef::Filter(_)))
                {
                    Some(j) => of.push(j),
                    None => b.error_help(
                        format!("metrics.{id}.of[{i}]"),
                        format!("`{name}` is not an event metric"),
                        suggest(name, &names),
                    ),
                }
            }
            let within = c.within_days.unwrap_or(horizon);
            let at_least = c.at_least.unwrap_or(list.len());
            if at_least == 0 || at_least > list.len() {
                b.error_help(
                    format!("metrics.{id}.at_least"),
                    format!(
                        "`at_least` must be between 1 and the {} metrics in `of`, got {at_least}",
                        list.len()
                    ),
                    "leave it out to require all of them",
                );
            }
            if let Some(e) = m.events.iter_mut().find(|e| &e.id == id) {
                e.def = EventDef::AllOf {
                    of,
                    within,
                    at_least,
                };
            }
        }
    }
    for (id, c) in &configs {
        let def = match c.kind.as_str() {
            "delay" => QuantityDef::Delay(compile_filter(id, c, b, rules)),
            "count" => QuantityDef::Count(compile_filter(id, c, b, rules)),
            _ => continue,
        };
        let (binning, conditional) = match def {
            QuantityDef::Delay(_) => (Binning::integer(horizon), true),
            _ => (Binning::integer(MAX_COUNT), false),
        };
        m.event_quantities.push(m.quantities.len());
        m.quantities.push(QuantityMetric {
            id: id.clone(),
            description: c.description.clone(),
            def,
            binning,
            conditional,
        });
    }
    let top = ladder.len().saturating_sub(1) as u32;
    m.quantities.push(QuantityMetric {
        id: "peak_level".into(),
        description: "highest ladder rung reached in the run (0 = the bottom rung)".into(),
        def: QuantityDef::PeakLevel,
        binning: Binning::integer(top),
        conditional: false,
    });
    m.quantities.push(QuantityMetric {
        id: "war_days".into(),
        description: "days with hostilities at the war level or above".into(),
        def: QuantityDef::WarDays,
        binning: Binning::integer(horizon),
        conditional: false,
    });
    m.quantities.push(QuantityMetric {
        id: "war_duration_days".into(),
        description: "length of the first war, given one (censored at the horizon)".into(),
        def: QuantityDef::WarDuration,
        binning: Binning::integer(horizon),
        conditional: true,
    });
    for (i, t) in tracks.iter().enumerate() {
        m.quantities.push(QuantityMetric {
            id: format!("final_{}", t.id),
            description: format!("{} at the horizon", t.name),
            def: QuantityDef::FinalTrack(i),
            binning: Binning {
                lo: t.min,
                step: (t.max - t.min) / TRACK_BINS as f64,
                max_bin: TRACK_BINS,
            },
            conditional: false,
        });
    }
    for r in ladder.iter().skip(1) {
        m.states.push(format!("hostilities_at_least_{}", r.id));
    }
    for r in rules {
        m.states.extend(r.state_names());
    }
    m
}

/// Track values at the horizon are recorded at 1/TRACK_BINS of the track's range.
pub const TRACK_BINS: u32 = 1000;
