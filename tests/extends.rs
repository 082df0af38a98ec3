//! `extends = "base.toml"`: a scenario built on another file runs exactly as the hand-merged
//! file would, chains work, cycles and missing files are refused, and every problem is
//! reported in the file that holds it.

use std::path::Path;
use std::process::Command;

fn minimal() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/minimal.toml"))
        .unwrap()
}

/// Runs brink in `dir`; (exit code, stdout, stderr).
fn brink(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_brink"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A case that makes Blue's red line stricter and adds a second pledge (Blue answers Red).
const CASE: &str = r#"extends = "../common/base.toml"

[scenario]
name = "stricter"

[rules.blue_red_line]
threshold = { uniform = [0.55, 0.65] }

[rules.blue_pledge]
kind = "retaliation"
actor = "blue"
min_level = "strike"
probability = 0.5
escalation = 0
cap = "heavy_strike"
"#;

/// The same scenario written out by hand.
fn hand_merged() -> String {
    minimal()
        .replace("name = \"minimal\"", "name = \"stricter\"")
        .replace(
            "threshold = { uniform = [0.6, 0.8] }",
            "threshold = { uniform = [0.55, 0.65] }",
        )
        + r#"
[rules.blue_pledge]
kind = "retaliation"
actor = "blue"
min_level = "strike"
probability = 0.5
escalation = 0
cap = "heavy_strike"
"#
}

#[test]
fn an_extending_file_runs_exactly_as_the_merged_file_by_hand() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "common/base.toml", &minimal());
    write(d, "cases/case.toml", CASE);
    write(d, "hand.toml", &hand_merged());
    let (code, _, err) = brink(d, &["validate", "cases/case.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("4 rules"), "{err}");
    for (file, out) in [("cases/case.toml", "a"), ("hand.toml", "b")] {
        let (code, _, err) = brink(d, &["run", file, "--runs", "3000", "--out", out, "-q"]);
        assert_eq!(code, 0, "{err}");
    }
    for csv in ["summary.csv", "timeline.csv", "distributions.csv"] {
        let a = std::fs::read(d.join("a").join(csv)).unwrap();
        let b = std::fs::read(d.join("b").join(csv)).unwrap();
        assert!(
            a == b,
            "{csv} differs between the extending and the hand-merged file"
        );
    }
    // The new rule answers: Blue retaliates in some runs.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("a/manifest.json")).unwrap()).unwrap();
    let files = manifest["scenario"]["files"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["cases/case.toml", "common/base.toml"]);
    for f in files {
        assert_eq!(f["sha256"].as_str().unwrap().len(), 64);
    }
    // --set reaches a key that only the base writes.
    let (code, _, err) = brink(
        d,
        &[
            "run",
            "cases/case.toml",
            "--runs",
            "100",
            "--set",
            "rules.truce.daily_hazard=0.2",
            "--out",
            "c",
            "-q",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // `explain` shows the merged scenario: the case's threshold, the base's pledge.
    let (code, out, err) = brink(d, &["explain", "cases/case.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("{ uniform = [0.55, 0.65] }"), "{out}");
    assert!(
        out.contains("red_pledge") && out.contains("blue_pledge"),
        "{out}"
    );
}

#[test]
fn a_chain_of_three_files_merges_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "base.toml", &minimal());
    write(
        d,
        "middle.toml",
        "extends = \"base.toml\"\n[rules.truce]\ndaily_hazard = 0.3\n[rules.red_pledge]\nprobability = 0.5\n",
    );
    write(
        d,
        "top.toml",
        "extends = \"middle.toml\"\n[scenario]\nname = \"top\"\n[rules.red_pledge]\nprobability = 0.6\n",
    );
    let hand = minimal()
        .replace("name = \"minimal\"", "name = \"top\"")
        .replace("daily_hazard = 0.1", "daily_hazard = 0.3")
        .replace("probability = 0.8", "probability = 0.6");
    write(d, "hand.toml", &hand);
    for (file, out) in [("top.toml", "a"), ("hand.toml", "b")] {
        let (code, _, err) = brink(d, &["run", file, "--runs", "2000", "--out", out, "-q"]);
        assert_eq!(code, 0, "{err}");
    }
    assert_eq!(
        std::fs::read(d.join("a/summary.csv")).unwrap(),
        std::fs::read(d.join("b/summary.csv")).unwrap()
    );
}

/// The first error's `  --> file:line:col` line.
fn located(err: &str) -> &str {
    err.lines()
        .find(|l| l.starts_with("  --> "))
        .unwrap_or_else(|| panic!("no location in:\n{err}"))
}

#[test]
fn cycles_and_missing_files_are_refused_where_they_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "a.toml", &format!("extends = \"b.toml\"\n{}", minimal()));
    write(d, "b.toml", "# b\nextends = \"a.toml\"\n");
    let (code, _, err) = brink(d, &["validate", "a.toml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`extends` goes round in a circle: a.toml → b.toml → a.toml"),
        "{err}"
    );
    assert_eq!(located(&err), "  --> b.toml:2:11");

    write(
        d,
        "c.toml",
        &format!("# c\nextends = \"gone.toml\"\n{}", minimal()),
    );
    let (code, _, err) = brink(d, &["validate", "c.toml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot read `gone.toml`, which this file extends"),
        "{err}"
    );
    assert_eq!(located(&err), "  --> c.toml:2:11");
}

#[test]
fn each_error_is_located_in_the_file_that_holds_it() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // An error in the base (line 58 of minimal.toml), and one in the case.
    write(
        d,
        "base.toml",
        &minimal().replace("probability = 0.8", "probability = 1.8"),
    );
    write(
        d,
        "case.toml",
        "extends = \"base.toml\"\n\n[rules.truce]\ndaily_hazard = -0.5\n",
    );
    let (code, _, err) = brink(d, &["validate", "case.toml"]);
    assert_eq!(code, 2, "{err}");
    let locations: Vec<&str> = err.lines().filter(|l| l.starts_with("  --> ")).collect();
    assert_eq!(
        locations,
        ["  --> case.toml:4:16", "  --> base.toml:58:15"],
        "{err}"
    );
    assert!(err.contains("58 | probability = 1.8"), "{err}");
    assert!(err.contains("4 | daily_hazard = -0.5"), "{err}");

    // An unknown key in the case, pointing at the key; a syntax error in the base.
    write(
        d,
        "case2.toml",
        "extends = \"base2.toml\"\n\n[rules.red_pledge]\nprobabilty = 0.5\n",
    );
    write(d, "base2.toml", &minimal());
    let (_, _, err) = brink(d, &["validate", "case2.toml"]);
    assert!(err.contains("unknown key `probabilty`"), "{err}");
    assert_eq!(located(&err), "  --> case2.toml:4:1");
    write(
        d,
        "base2.toml",
        &minimal().replace("[actors.blue]", "[actors.blue"),
    );
    let (_, _, err) = brink(d, &["validate", "case2.toml"]);
    assert!(err.contains("unclosed table"), "{err}");
    assert_eq!(located(&err), "  --> base2.toml:30:13");
}
