//! A sweep's design checked whole before anything runs, through the binary: every point (not
//! only the first), a key varied twice, problems located in the experiment file or at the
//! `--vary` flag, line numbers of scenarios that `extends` another file (sweep, validate and
//! merge), and design values written exactly in points.csv and runs.csv.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn brink_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brink"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("cannot start brink")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit 2 with `needles` in the message; returns the message.
fn refused(o: &Output, needles: &[&str]) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for n in needles {
        assert!(err.contains(n), "expected `{n}` in:\n{err}");
    }
    err
}

fn ok(o: &Output) {
    assert!(o.status.success(), "brink failed: {}", stderr(o));
}

/// A temporary folder holding minimal.toml and `experiment` as e.toml.
fn with_experiment(experiment: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo("scenarios/minimal.toml"),
        dir.path().join("minimal.toml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("e.toml"), experiment).unwrap();
    dir
}

const LATE_BAD_POINT: &str = "\
scenario = \"minimal.toml\"
runs = 100
design = \"grid\"
[[vary]]
key = \"rules.red_pledge.probability\"
range = [0.5, 1.5]
levels = 3
";

/// Only point 2 (probability 1.5) is invalid: it used to pass validate and --dry-run, and the
/// sweep died there after computing points 0 and 1, blaming a --set nobody typed.
#[test]
fn a_late_invalid_point_is_refused_before_anything_runs() {
    let dir = with_experiment(LATE_BAD_POINT);
    let d = dir.path();
    let said = "point 2 of the design sets `rules.red_pledge.probability` = 1.5: this parameter \
                is a probability and must lie in [0, 1]";
    for args in [
        &["validate", "e.toml"][..],
        &["sweep", "e.toml", "--dry-run"],
        &["sweep", "e.toml", "--out", "out", "-q"],
    ] {
        let err = refused(
            &brink_in(d, args),
            &[said, "--> e.toml:6:9", "range = [0.5, 1.5]"],
        );
        assert!(!err.contains("--set"), "{err}");
    }
    assert!(
        !d.join("out").exists(),
        "nothing is written, not even .sweep.partial"
    );
    assert!(!d.join("results").exists());

    let vary = "rules.red_pledge.probability=0.5..1.5";
    for extra in [&["--dry-run"][..], &["--out", "out", "-q"]] {
        let mut args = vec!["sweep", "minimal.toml", "--vary", vary, "--points", "3"];
        args.extend_from_slice(extra);
        let err = refused(
            &brink_in(d, &args),
            &[said, "--> --vary rules.red_pledge.probability=0.5..1.5"],
        );
        assert!(!err.contains("--set"), "{err}");
    }
    assert!(!d.join("out").exists());
    assert!(!d.join("results").exists());
}

#[test]
fn a_key_varied_twice_is_refused() {
    let dir = with_experiment(
        "scenario = \"minimal.toml\"\ndesign = \"grid\"\npoints = 2\n\
         [[vary]]\nkey = \"rules.red_pledge.probability\"\nrange = [0.2, 0.4]\n\
         [[vary]]\nkey = \"rules.red_pledge.probability\"\nvalues = [0.5]\n",
    );
    let d = dir.path();
    refused(
        &brink_in(d, &["validate", "e.toml"]),
        &[
            "`rules.red_pledge.probability` is varied twice (first by [[vary]] number 1)",
            "--> e.toml:8:7",
        ],
    );
    refused(
        &brink_in(
            d,
            &[
                "sweep",
                "minimal.toml",
                "--vary",
                "rules.red_pledge.probability=0.2..0.4",
                "--vary",
                "rules.red_pledge.probability=0.5",
                "--dry-run",
            ],
        ),
        &[
            "`rules.red_pledge.probability` is varied twice (first by `--vary \
             rules.red_pledge.probability=0.2..0.4`)",
            "--> --vary rules.red_pledge.probability=0.5",
        ],
    );
}

#[test]
fn experiment_problems_are_located_in_the_experiment_file() {
    let dir = with_experiment(
        "scenario = \"minimal.toml\"\ndesign = \"grid\"\npoints = 2\n\
         [[vary]]\nkey = \"rules.red_pledge.probabilty\"\nrange = [0.2, 0.4]\n",
    );
    let d = dir.path();
    let err = refused(
        &brink_in(d, &["validate", "e.toml"]),
        &[
            "`rules.red_pledge.probabilty`: no such key in the scenario",
            "--> e.toml:5:7",
            "did you mean `rules.red_pledge.probability`?",
        ],
    );
    assert!(!err.contains("--set"), "{err}");

    std::fs::write(
        d.join("e.toml"),
        "scenario = \"minimal.toml\"\ndesign = \"grid\"\npoints = 2\n\
         [[vary]]\nkey = \"rules.red_pledge.probability\"\nrange = [0.2, 0.4]\nvalues = [0.5]\n",
    )
    .unwrap();
    refused(
        &brink_in(d, &["validate", "e.toml"]),
        &["give `range` or `values`, not both", "--> e.toml:7:10"],
    );

    std::fs::write(
        d.join("e.toml"),
        "scenario = \"minimal.toml\"\ndesign = \"lhs\"\n\
         [[vary]]\nkey = \"rules.red_pledge.probability\"\nrange = [0.2, 0.4]\n",
    )
    .unwrap();
    refused(
        &brink_in(d, &["validate", "e.toml"]),
        &["a Latin hypercube needs `points`", "--> e.toml:2:10"],
    );

    // An experiment file where --vary takes a scenario: one plain message, not the scenario
    // parser's complaints about an experiment's keys.
    std::fs::write(d.join("e.toml"), LATE_BAD_POINT).unwrap();
    let err = refused(
        &brink_in(
            d,
            &[
                "sweep",
                "e.toml",
                "--vary",
                "rules.red_pledge.probability=0.1,0.2",
                "--dry-run",
            ],
        ),
        &[
            "`e.toml` is an experiment file, but --vary varies a scenario",
            "brink sweep e.toml",
        ],
    );
    assert_eq!(err.matches("error:").count(), 1, "{err}");
}

/// iran_2026.toml extends a shared file; its merged text has twice its lines. A problem in
/// it is reported at its own line (456 since the flagship review), as `brink run --set` does, not the merged text's
/// (862).
#[test]
fn a_point_of_an_extending_scenario_is_reported_at_the_right_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let flagship = repo("scenarios/iran_2026.toml");
    let f = flagship.to_str().unwrap();
    let want = format!("{f}:456:24");
    let run = brink_in(
        d,
        &[
            "run",
            f,
            "--set",
            "scenario.horizon_days=30",
            "--runs",
            "10",
            "--out",
            "r",
        ],
    );
    refused(&run, &[&want]);
    let err = refused(
        &brink_in(
            d,
            &[
                "sweep",
                f,
                "--vary",
                "scenario.horizon_days=30,60",
                "--runs",
                "100",
                "--out",
                "s",
            ],
        ),
        &[
            &want,
            "at point 0 of the design (scenario.horizon_days = 30)",
        ],
    );
    assert!(!err.contains(":862:"), "{err}");
    std::fs::write(
        d.join("e.toml"),
        format!(
            "scenario = {f:?}\ndesign = \"list\"\n[[vary]]\nkey = \"scenario.horizon_days\"\n\
             values = [60, 30]\n"
        ),
    )
    .unwrap();
    refused(
        &brink_in(d, &["validate", "e.toml"]),
        &[
            &want,
            "at point 1 of the design (scenario.horizon_days = 30)",
        ],
    );
    assert!(!d.join("s").exists());
}

/// A part's scenario is the merged text; merge reported its line numbers, which name no line
/// of any file. Parts sealed again with an override that breaks the flagship (as a hand-made
/// part would be) are refused at the flagship's own line.
#[test]
fn merge_reports_a_line_of_the_file_that_holds_it() {
    use sha2::Digest;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let flagship = repo("scenarios/iran_2026.toml");
    let f = flagship.to_str().unwrap();
    for k in 0..2 {
        let shard = format!("{k}/2");
        ok(&brink_in(
            d,
            &[
                "run", f, "--runs", "1100", "--shard", &shard, "-q", "--out", "parts",
            ],
        ));
    }
    for k in 0..2 {
        let path = d.join(format!("parts/part-{k}-of-2.json"));
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut part: brink::shard::RunPart = serde_json::from_value(v["part"].clone()).unwrap();
        part.overrides = vec![brink::scenario::overrides::Override {
            key: "scenario.horizon_days".into(),
            value: "30".into(),
        }];
        let body = serde_json::to_string(&part).unwrap();
        let sha: String = sha2::Sha256::digest(body.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        std::fs::write(&path, format!("{{\"sha256\":\"{sha}\",\"part\":{body}}}\n")).unwrap();
    }
    let err = refused(
        &brink_in(
            d,
            &[
                "merge",
                "parts/part-0-of-2.json",
                "parts/part-1-of-2.json",
                "--out",
                "merged",
                "-q",
            ],
        ),
        &[&format!("{f}:456:24")],
    );
    assert!(!err.contains(":862:"), "{err}");
}

/// points.csv and runs.csv's parameter columns hold the values the runs used, exactly: six
/// decimals wrote 1e-7 as 0.000000.
#[test]
fn design_values_and_drawn_parameters_are_written_exactly() {
    let dir = with_experiment("");
    let d = dir.path();
    ok(&brink_in(
        d,
        &[
            "sweep",
            "minimal.toml",
            "--vary",
            "tracks.red_arsenal.noise=0.0000001..0.0000009",
            "--points",
            "3",
            "--runs",
            "10",
            "--out",
            "tiny",
            "-q",
        ],
    ));
    assert_eq!(
        std::fs::read_to_string(d.join("tiny/points.csv")).unwrap(),
        "point,parameter,value\n0,tracks.red_arsenal.noise,0.0000001\n\
         1,tracks.red_arsenal.noise,0.0000005\n2,tracks.red_arsenal.noise,0.0000009\n"
    );
    // A Latin hypercube's values reproduce the point: a run with its value --set gives the
    // sweep's row.
    ok(&brink_in(
        d,
        &[
            "sweep",
            "minimal.toml",
            "--vary",
            "rules.red_pledge.probability=0.2..0.9",
            "--design",
            "lhs",
            "--points",
            "2",
            "--runs",
            "300",
            "--metrics",
            "red_answers",
            "--out",
            "lhs",
            "-q",
        ],
    ));
    let points = std::fs::read_to_string(d.join("lhs/points.csv")).unwrap();
    let value = points.lines().nth(1).unwrap().rsplit(',').next().unwrap();
    assert!(value.len() > 10, "more than six decimals: {value}");
    let set = format!("rules.red_pledge.probability={value}");
    ok(&brink_in(
        d,
        &[
            "run",
            "minimal.toml",
            "--set",
            &set,
            "--runs",
            "300",
            "--out",
            "one",
            "-q",
        ],
    ));
    let summary = std::fs::read_to_string(d.join("one/summary.csv")).unwrap();
    let row = summary
        .lines()
        .find(|l| l.starts_with("red_answers,"))
        .unwrap();
    let sweep = std::fs::read_to_string(d.join("lhs/sweep.csv")).unwrap();
    assert!(
        sweep.lines().any(|l| l == format!("0,{row}")),
        "{row}\n{sweep}"
    );

    ok(&brink_in(
        d,
        &[
            "run",
            "minimal.toml",
            "--runs",
            "50",
            "--per-run",
            "--out",
            "run",
            "-q",
        ],
    ));
    let runs = std::fs::read_to_string(d.join("run/runs.csv")).unwrap();
    let header: Vec<&str> = runs.lines().next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "rules.blue_red_line.threshold")
        .unwrap();
    let mut long = 0;
    for line in runs.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let x: f64 = cells[col].parse().unwrap();
        assert_eq!(format!("{x}"), cells[col], "the shortest text of the value");
        long += usize::from(cells[col].len() > 8);
        // Every other real column keeps six decimals.
        let arsenal = cells[header
            .iter()
            .position(|h| *h == "final_red_arsenal")
            .unwrap()];
        assert_eq!(arsenal.split('.').nth(1).map(str::len), Some(6), "{line}");
    }
    assert!(long > 40, "drawn values have more than six decimals");
}
