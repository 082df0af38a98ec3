//! `brink schema` describes the files brink accepts: every scenario in scenarios/ is valid
//! against it, and files with the wrong shape are not.

use std::path::Path;
use std::process::Command;

fn schema() -> serde_json::Value {
    let o = Command::new(env!("CARGO_BIN_EXE_brink"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("brink schema prints JSON")
}

/// TOML as editors hand it to a JSON Schema validator: dates become strings.
fn to_json(v: toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml::Value::String(s) => J::String(s),
        toml::Value::Integer(i) => J::from(i),
        toml::Value::Float(f) => J::from(f),
        toml::Value::Boolean(b) => J::Bool(b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(a) => J::Array(a.into_iter().map(to_json).collect()),
        toml::Value::Table(t) => J::Object(t.into_iter().map(|(k, v)| (k, to_json(v))).collect()),
    }
}

fn instance(text: &str) -> serde_json::Value {
    to_json(toml::from_str::<toml::Value>(text).unwrap())
}

#[test]
fn every_shipped_scenario_is_valid_against_the_schema() {
    let validator = jsonschema::validator_for(&schema()).expect("a valid JSON Schema");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut checked = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let inst = instance(&text);
            // Experiment files (studies) name their base scenario with `scenario = "file"`;
            // they are checked by the sweep tests, not by the scenario schema.
            if inst["scenario"].is_string() {
                continue;
            }
            let errors: Vec<String> = validator
                .iter_errors(&inst)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 2, "only {checked} scenarios found");
}

#[test]
fn files_of_the_wrong_shape_fail_the_schema() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let minimal = include_str!("../scenarios/minimal.toml");
    assert!(validator.is_valid(&instance(minimal)));
    let bad = [
        (
            "misspelt key",
            minimal.replace("threshold = {", "thresold = {"),
        ),
        (
            "unknown rule kind",
            minimal.replace("kind = \"termination\"", "kind = \"terminaton\""),
        ),
        (
            "text for a number",
            minimal.replace("horizon_days = 90", "horizon_days = \"90\""),
        ),
        (
            "two families",
            minimal.replace(
                "{ uniform = [0.6, 0.8] }",
                "{ uniform = [0.6, 0.8], beta = [2, 2] }",
            ),
        ),
        (
            "unknown section",
            format!("{minimal}\n[actor.green]\nname = \"Green\"\n"),
        ),
        (
            "key of another rule kind",
            minimal.replace("daily_hazard = 0.1", "daily_hazard = 0.1\ncap = \"strike\""),
        ),
    ];
    for (what, text) in bad {
        assert!(
            !validator.is_valid(&instance(&text)),
            "{what} passed the schema"
        );
    }
}
