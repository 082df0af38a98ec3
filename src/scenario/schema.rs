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

use super::dist::Dist;
use super::{ActorConfig, InitialConfig, RungConfig, ScenarioSection, TheatreConfig, TrackConfig};
use crate::metrics::MetricConfig;
use crate::rules;

/// The whole file, as the schema sees it (the loader reads it section by section).
#[derive(JsonSchema)]
#[schemars(title = "brink scenario", deny_unknown_fields)]
#[allow(dead_code)]
struct ScenarioFile {
    scenario: ScenarioSection,
    actors: BTreeMap<String, ActorConfig>,
    tracks: Option<BTreeMap<String, TrackConfig>>,
    ladder: Vec<RungConfig>,
    theatres: Option<BTreeMap<String, TheatreConfig>>,
    initial: Option<InitialConfig>,
    rules: Option<BTreeMap<String, AnyRule>>,
    metrics: Option<BTreeMap<String, MetricConfig>>,
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

impl JsonSchema for Dist {
    fn schema_name() -> Cow<'static, str> {
        "Dist".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let pair = |a: &str, b: &str| {
            serde_json::json!({
                "type": "array", "items": { "type": "number" }, "minItems": 2, "maxItems": 2,
                "description": format!("[{a}, {b}]"),
            })
        };
        let family = |name: &str| serde_json::json!({ "required": [name] });
        json_schema!({
            "description": "A number, or a table naming one distribution family, drawn once per run",
            "anyOf": [
                { "type": "number" },
                {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "uniform": pair("lo", "hi"),
                        "triangular": {
                            "type": "array", "items": { "type": "number" },
                            "minItems": 3, "maxItems": 3, "description": "[min, mode, max]",
                        },
                        "normal": pair("mean", "sd"),
                        "beta": pair("alpha", "beta"),
                        "lognormal": pair("mu", "sigma"),
                        "min": { "type": "number" },
                        "max": { "type": "number" },
                    },
                    "oneOf": [
                        family("uniform"), family("triangular"), family("normal"),
                        family("beta"), family("lognormal"),
                    ],
                },
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
pub fn schema() -> serde_json::Value {
    let g = SchemaSettings::draft07().into_generator();
    g.into_root_schema_for::<ScenarioFile>().to_value()
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
