//! The JSON Schema of scenario files, for editors (completion and validation as you type, via
//! the `#:schema` directive of Taplo and Even Better TOML) and other tools.
//!
//! It is generated from the same structs the loader deserializes, so it cannot drift from what
//! is accepted. It describes shape only (keys, types, enumerations of rule kinds); what needs
//! the whole file (names that exist, dates inside the horizon, bounds of probabilities, ...) is
//! checked by the loader, `brink validate`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::correlation::CorrelationConfig;
use super::days::{Days, MAX_DAYS};
use super::dist::Dist;
use super::{ActorConfig, InitialConfig, RungConfig, ScenarioSection, TheatreConfig, TrackConfig};
use crate::metrics::MetricConfig;
use crate::rules;

/// The whole file, as the schema sees it (the loader reads it section by section).
#[derive(JsonSchema)]
#[schemars(title = "brink scenario", deny_unknown_fields)]
#[allow(dead_code)]
struct ScenarioFile {
    /// A scenario file this one builds on, relative to this file: its tables merge into the
    /// base's key by key; values (distributions and arrays included) replace.
    extends: Option<String>,
    scenario: ScenarioSection,
    actors: BTreeMap<String, ActorConfig>,
    tracks: Option<BTreeMap<String, TrackConfig>>,
    ladder: Vec<RungConfig>,
    theatres: Option<BTreeMap<String, TheatreConfig>>,
    initial: Option<InitialConfig>,
    rules: Option<BTreeMap<String, AnyRule>>,
    metrics: Option<BTreeMap<String, MetricConfig>>,
    /// Rank correlations between uncertain parameters.
    correlations: Option<Vec<CorrelationConfig>>,
}

/// The schema of every rule kind, by the name scenarios use: from the registry of kinds.
fn kinds(g: &mut SchemaGenerator) -> Vec<(&'static str, &'static str, Schema)> {
    rules::KINDS
        .iter()
        .map(|k| (k.name, k.summary, (k.schema)(g)))
        .collect()
}

/// A `[rules.<id>]` table: exactly one kind's table, chosen by `kind`.
struct AnyRule;

impl JsonSchema for AnyRule {
    fn schema_name() -> Cow<'static, str> {
        "Rule".into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let one_of: Vec<serde_json::Value> = kinds(g)
            .into_iter()
            .map(|(kind, summary, s)| {
                serde_json::json!({
                    "description": summary,
                    "allOf": [s, { "properties": { "kind": { "const": kind } } }]
                })
            })
            .collect();
        let names = rules::kind_names();
        json_schema!({
            "type": "object",
            "required": ["kind"],
            "properties": { "kind": { "enum": names } },
            "oneOf": one_of,
        })
    }
}

/// A range in words, `"A to B"`: 90% of draws between A and B.
fn range_in_words() -> serde_json::Value {
    serde_json::json!({
        "type": "string",
        "pattern": "^\\s*[-+]?[0-9][0-9_.eE+-]*\\s+to\\s+[-+]?[0-9][0-9_.eE+-]*\\s*$",
        "description": "\"A to B\": a distribution with 90% of its draws between A and B \
                        (logit-normal for a probability, lognormal for 0 < A, else normal)",
    })
}

/// The families of a distribution table; `days` adds the whole-number ones.
fn dist_table(days: bool) -> serde_json::Value {
    let pair = |a: &str, b: &str| {
        serde_json::json!({
            "type": "array", "items": { "type": "number" }, "minItems": 2, "maxItems": 2,
            "description": format!("[{a}, {b}]"),
        })
    };
    let family = |name: &str| serde_json::json!({ "required": [name] });
    let mut properties = serde_json::json!({
        "uniform": pair("lo", "hi"),
        "triangular": {
            "type": "array", "items": { "type": "number" },
            "minItems": 3, "maxItems": 3, "description": "[min, mode, max]",
        },
        "normal": pair("mean", "sd"),
        "beta": pair("alpha", "beta"),
        "lognormal": pair("mu", "sigma"),
        "logit_normal": pair("mu", "sigma"),
        "min": { "type": "number" },
        "max": { "type": "number" },
    });
    let mut one_of = vec![
        family("uniform"),
        family("triangular"),
        family("normal"),
        family("beta"),
        family("lognormal"),
        family("logit_normal"),
    ];
    if days {
        properties["poisson"] = serde_json::json!({ "type": "number", "exclusiveMinimum": 0 });
        properties["negative_binomial"] = pair("mean", "dispersion");
        one_of.push(family("poisson"));
        one_of.push(family("negative_binomial"));
    }
    serde_json::json!({
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
        "oneOf": one_of,
    })
}

impl JsonSchema for Dist {
    fn schema_name() -> Cow<'static, str> {
        "Dist".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A number, a table naming one distribution family, or a range in \
                            words such as \"0.2 to 0.4\"; drawn once per run unless the key \
                            says otherwise",
            "anyOf": [{ "type": "number" }, dist_table(false), range_in_words()],
        })
    }
}

impl JsonSchema for Days {
    fn schema_name() -> Cow<'static, str> {
        "Days".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A whole number of days, or an uncertain count: { uniform = [a, b] } \
                            (each whole day equally likely), { poisson = mean }, \
                            { negative_binomial = [mean, dispersion] }, another family or a \
                            range such as \"5 to 10\" rounded to whole days",
            "anyOf": [
                { "type": "integer", "minimum": 0, "maximum": MAX_DAYS },
                dist_table(true),
                range_in_words(),
            ],
        })
    }
}

/// A TOML date. Editors compare TOML dates to a string schema with the date format.
pub(crate) fn date(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "format": "date" })
}

pub(crate) fn optional_date(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "format": "date" })
}

pub(crate) fn date_pair(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array", "items": { "type": "string", "format": "date" },
        "minItems": 2, "maxItems": 2,
    })
}

/// The JSON Schema (draft 7, the version editors support best) of scenario files.
///
/// A file that extends another (`extends = "base.toml"`) holds only what it changes, so no
/// table of it need be complete: the schema accepts it as it is, and `brink validate` checks
/// the merged scenario.
pub fn schema() -> serde_json::Value {
    let g = SchemaSettings::draft07().into_generator();
    let mut full = g.into_root_schema_for::<ScenarioFile>().to_value();
    let mut root = serde_json::Map::new();
    for key in ["$schema", "title", "definitions"] {
        if let Some(v) = full.as_object_mut().and_then(|o| o.remove(key)) {
            root.insert(key.to_string(), v);
        }
    }
    let partial = serde_json::json!({
        "type": "object",
        "required": ["extends"],
        "properties": { "extends": { "type": "string" } },
        "description": "A scenario that extends another file: checked once merged (brink \
                        validate)",
    });
    root.insert("anyOf".into(), serde_json::json!([full, partial]));
    serde_json::Value::Object(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_kind_has_a_schema_and_a_summary() {
        let mut g = SchemaGenerator::default();
        for (name, summary, schema) in kinds(&mut g) {
            assert!(!summary.is_empty(), "{name} has no summary");
            assert!(schema.as_value().is_object(), "{name} has no schema");
        }
        let known = rules::kind_names();
        let mut unique = known.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), known.len(), "a kind is registered twice");
    }
}
