//! End-to-end checks of the what-if commands: `--set`, `brink compare`, `brink sweep` and
//! `brink sensitivity`, driven through the binary in temporary directories.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn brink(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brink"))
        .args(args)
        .output()
        .expect("cannot start brink")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Rows of a CSV file as maps from column name to cell.
fn table(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = read(path);
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(String::from))
                .collect()
        })
        .collect()
}

fn f(row: &std::collections::HashMap<String, String>, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?}", row[col]))
}

/// One actor strikes another on day 0 with probability `p` and nothing else happens: the
/// strike's probability is exactly `p`, decided by one uniform draw from the rule's stream.
fn one_day_scenario(dir: &Path, p: f64) -> PathBuf {
    let text = format!(
        r#"
[scenario]
name = "one_day"
start_date = 2026-01-01
horizon_days = 1
war_level = "strike"

[[ladder]]
id = "calm"
mid = 1

[[ladder]]
id = "strike"
mid = 4

[actors.blue]
[actors.red]

[tracks.arsenal]
initial = 0.5

[rules.blue_red_line]
kind = "red_line"
actor = "blue"
target = "red"
track = "arsenal"
threshold = 0.4
intel_noise = 0
daily_probability = {p}
level = "strike"

[metrics.blue_strikes]
actor = ["blue"]
form = ["strike"]
"#
    );
    let path = dir.join("one_day.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn set_overrides_a_parameter_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let sc = one_day_scenario(dir.path(), 0.2);
    let out = dir.path().join("r");
    let o = brink(&[
        "run",
        sc.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
        "--runs",
        "2000",
        "--set",
        "rules.blue_red_line.daily_probability=1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = table(&out.join("summary.csv"));
    assert_eq!(summary[0]["metric"], "blue_strikes");
    assert_eq!(summary[0]["mean"], "1.000000");
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    assert_eq!(manifest["command"], "run");
    assert_eq!(
        manifest["overrides"][0]["key"],
        "rules.blue_red_line.daily_probability"
    );
    assert_eq!(manifest["overrides"][0]["value"], "1");
}

#[test]
fn set_rejects_unknown_paths_and_bad_values_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let sc = repo("scenarios/minimal.toml");
    let o = brink(&[
        "run",
        sc.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
        "--set",
        "rules.blue_red_line.thresold=0.7",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `rules.blue_red_line.threshold`?"),
        "{}",
        stderr(&o)
    );
    // A value the scenario refuses is reported under the --set that gave it, not under a line
    // of the file that does not hold it (on the old main it showed `minimal.toml:58:15` with
    // `probability = 1.8`, a line the file does not have).
    let o = brink(&[
        "run",
        sc.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
        "--set",
        "rules.red_pledge.probability=1.8",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("must lie in [0, 1], got 1.8")
            && stderr(&o).contains("  --> --set rules.red_pledge.probability=1.8\n")
            && !stderr(&o).contains("minimal.toml:58"),
        "{}",
        stderr(&o)
    );
    assert!(!out.join("summary.csv").exists());
}

#[test]
fn an_identical_variant_differs_by_exactly_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c");
    let sc = repo("scenarios/minimal.toml");
    let o = brink(&[
        "compare",
        sc.to_str().unwrap(),
        sc.to_str().unwrap(),
        "--set",
        "rules.blue_red_line.threshold={ uniform = [0.6, 0.8] }",
        "--runs",
        "3000",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = table(&out.join("compare.csv"));
    assert!(rows.len() >= 5);
    for r in &rows {
        assert_eq!(r["difference"], "0.000000", "{r:?}");
        assert_eq!(r["ci_low"], "0.000000", "{r:?}");
        assert_eq!(r["ci_high"], "0.000000", "{r:?}");
        assert_eq!(r["share_changed"], "0.000000", "{r:?}");
        assert_eq!(r["base"], r["variant"], "{r:?}");
    }
    // Not a degenerate sample: the unpaired interval of the same runs is wide.
    let strikes = rows.iter().find(|r| r["metric"] == "blue_strikes").unwrap();
    assert!(f(strikes, "unpaired_ci_high") > 0.01, "{strikes:?}");
}

#[test]
fn a_known_effect_is_recovered_on_common_random_numbers() {
    // p goes from 0.2 to 0.3. On common random numbers the same uniform decides both runs, so
    // exactly the runs with u in [0.2, 0.3) change: the difference is 0.1 and so is the share
    // changed, each a Bernoulli(0.1) mean with standard error sqrt(0.1·0.9/n). Independent
    // streams would change a share of 0.2·0.7 + 0.3·0.8 = 0.38 of the runs instead.
    let dir = tempfile::tempdir().unwrap();
    let sc = one_day_scenario(dir.path(), 0.2);
    let out = dir.path().join("c");
    let n = 4000.0;
    let o = brink(&[
        "compare",
        sc.to_str().unwrap(),
        "--set",
        "rules.blue_red_line.daily_probability=0.3",
        "--runs",
        "4000",
        "--seed",
        "7",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = table(&out.join("compare.csv"));
    let r = rows.iter().find(|r| r["metric"] == "blue_strikes").unwrap();
    let se = (0.1f64 * 0.9 / n).sqrt();
    assert!((f(r, "difference") - 0.1).abs() < 4.0 * se, "{r:?}");
    assert!((f(r, "share_changed") - 0.1).abs() < 4.0 * se, "{r:?}");
    // Every changed run went from no strike to a strike.
    assert_eq!(f(r, "difference"), f(r, "share_changed"), "{r:?}");
    assert!(f(r, "base") < f(r, "variant"));
    let paired = f(r, "ci_high") - f(r, "ci_low");
    let unpaired = f(r, "unpaired_ci_high") - f(r, "unpaired_ci_low");
    assert!(
        paired < 0.7 * unpaired,
        "paired {paired} unpaired {unpaired}"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    assert_eq!(manifest["command"], "compare");
    assert_eq!(manifest["runs"], 4000);
}

fn sweep(args: &[&str]) -> Output {
    let mut a = vec!["sweep"];
    a.extend_from_slice(args);
    a.push("-q");
    brink(&a)
}

/// An experiment on scenarios/minimal.toml, written next to a copy of the scenario.
fn experiment(dir: &Path) -> PathBuf {
    std::fs::copy(repo("scenarios/minimal.toml"), dir.join("minimal.toml")).unwrap();
    let path = dir.join("exp.toml");
    std::fs::write(
        &path,
        r#"
scenario = "minimal.toml"
runs = 1500
seed = 11
design = "grid"
metrics = ["blue_strikes", "red_answers", "war_days"]

[[vary]]
key = "rules.blue_red_line.daily_probability"
values = [0.01, 0.05, 0.2]

[[vary]]
key = "rules.red_pledge.probability"
range = [0.2, 1.0]
levels = 2
"#,
    )
    .unwrap();
    path
}

#[test]
fn a_sweep_writes_tidy_points_and_metrics_on_common_random_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path());
    let out = dir.path().join("s");
    let o = sweep(&[exp.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let points = read(&out.join("points.csv"));
    let lines: Vec<&str> = points.lines().collect();
    assert_eq!(lines[0], "point,parameter,value");
    assert_eq!(lines.len(), 1 + 6 * 2);
    // Design values are written exactly, as the points' runs used them.
    assert_eq!(lines[1], "0,rules.blue_red_line.daily_probability,0.01");
    assert_eq!(lines[2], "0,rules.red_pledge.probability,0.2");
    assert_eq!(lines[4], "1,rules.red_pledge.probability,1");
    let rows = table(&out.join("sweep.csv"));
    assert_eq!(rows.len(), 6 * 3);
    assert_eq!(rows[0]["metric"], "blue_strikes");
    assert_eq!(rows[2]["metric"], "war_days");
    assert_eq!(rows[2]["kind"], "quantity");
    // Blue's strikes do not depend on Red's pledge, and on common random numbers the two
    // points that differ only in the pledge have exactly the same strikes.
    let strikes = |p: &str| {
        rows.iter()
            .find(|r| r["point"] == p && r["metric"] == "blue_strikes")
            .unwrap()["mean"]
            .clone()
    };
    assert_eq!(strikes("0"), strikes("1"));
    assert_eq!(strikes("4"), strikes("5"));
    assert!(strikes("0") < strikes("4"));
    let answers = |p: &str| {
        f(
            rows.iter()
                .find(|r| r["point"] == p && r["metric"] == "red_answers")
                .unwrap(),
            "mean",
        )
    };
    assert!(answers("4") < answers("5"));
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    assert_eq!(manifest["command"], "sweep");
    assert_eq!(manifest["points"], 6);
    assert!(!out.join(".sweep.partial").exists());
}

#[test]
fn a_resumed_sweep_is_byte_identical_to_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path());
    let whole = dir.path().join("whole");
    let o = sweep(&[exp.to_str().unwrap(), "--out", whole.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));

    let cut = dir.path().join("cut");
    let c = cut.to_str().unwrap();
    let o = sweep(&[exp.to_str().unwrap(), "--out", c, "--stop-after", "2"]);
    assert!(!o.status.success());
    assert!(!cut.join("sweep.csv").exists());
    let parts = std::fs::read_dir(cut.join(".sweep.partial"))
        .unwrap()
        .count();
    assert_eq!(parts, 2 + 1, "two points and the fingerprint");
    // A resume with another seed would mix two experiments: refused.
    let o = sweep(&[
        exp.to_str().unwrap(),
        "--out",
        c,
        "--resume",
        "--seed",
        "12",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = sweep(&[
        exp.to_str().unwrap(),
        "--out",
        c,
        "--resume",
        "--stop-after",
        "1",
    ]);
    assert!(!o.status.success());
    let o = brink(&["sweep", exp.to_str().unwrap(), "--out", c, "--resume"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("(3 computed)"), "{}", stderr(&o));
    for file in ["points.csv", "sweep.csv"] {
        assert_eq!(read(&whole.join(file)), read(&cut.join(file)), "{file}");
    }
}

#[test]
fn flag_sweeps_dry_runs_and_empty_designs() {
    let dir = tempfile::tempdir().unwrap();
    let sc = repo("scenarios/minimal.toml");
    let out = dir.path().join("lhs");
    let args = [
        sc.to_str().unwrap(),
        "--vary",
        "rules.blue_red_line.daily_probability=0.01..0.2",
        "--vary",
        "rules.red_pledge.probability=0.2..1",
        "--design",
        "lhs",
        "--points",
        "4",
        "--runs",
        "500",
        "--metrics",
        "blue_strikes",
        "--out",
        out.to_str().unwrap(),
    ];
    let o = sweep(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(table(&out.join("sweep.csv")).len(), 4);
    assert_eq!(table(&out.join("points.csv")).len(), 8);
    let first = read(&out.join("points.csv"));
    // The folder now holds a sweep: a second one goes there only with --force.
    let o = sweep(&args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let mut again = args.to_vec();
    again.push("--force");
    let o = sweep(&again);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        first,
        read(&out.join("points.csv")),
        "LHS must repeat from the seed"
    );

    // A dry run writes nothing, so it takes no --out.
    let mut dry: Vec<&str> = args[..args.len() - 2].to_vec();
    dry.push("--dry-run");
    let o = sweep(&dry);
    assert!(o.status.success(), "{}", stderr(&o));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.starts_with("4 points x 500 runs = 2000 runs; about "),
        "{said}"
    );

    let o = sweep(&[
        sc.to_str().unwrap(),
        "--vary",
        "rules.blue_red_line.daily_probability=0.01..0.2",
        "--points",
        "0",
        "--dry-run",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("empty"), "{}", stderr(&o));
    let o = sweep(&[
        sc.to_str().unwrap(),
        "--vary",
        "rules.blue_red_line.daily_probabilty=0.01..0.2",
        "--dry-run",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean"), "{}", stderr(&o));
}

#[test]
fn sensitivity_writes_both_tables_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let sc = repo("scenarios/minimal.toml");
    let go = |out: &Path, threads: &str| {
        brink(&[
            "sensitivity",
            sc.to_str().unwrap(),
            "--set",
            "rules.red_pledge.probability={ uniform = [0.2, 1.0] }",
            // Enough trajectories that Red's answers show the pledge's effect whatever the
            // stream (with 40, the bootstrap interval touched 0 for some seeds).
            "--trajectories",
            "200",
            "--samples",
            "200",
            "--bootstrap",
            "50",
            "--threads",
            threads,
            "--out",
            out.to_str().unwrap(),
            "-q",
        ])
    };
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    for (out, t) in [(&one, "1"), (&two, "2")] {
        let o = go(out, t);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    for file in ["morris.csv", "sobol.csv"] {
        assert_eq!(read(&one.join(file)), read(&two.join(file)), "{file}");
    }
    let morris = table(&one.join("morris.csv"));
    let sobol = table(&one.join("sobol.csv"));
    let params = [
        "rules.blue_red_line.threshold",
        "rules.red_pledge.probability",
    ];
    for p in params {
        assert!(morris.iter().any(|r| r["parameter"] == p), "{p}");
        assert!(
            sobol
                .iter()
                .any(|r| r["parameter"] == p && r["index"] == "total"),
            "{p}"
        );
    }
    // Red's pledge cannot change whether Blue strikes: Morris sees exactly no effect.
    let inert = morris
        .iter()
        .find(|r| r["metric"] == "blue_strikes" && r["parameter"] == params[1])
        .unwrap();
    assert_eq!(inert["mu_star"], "0.000000", "{inert:?}");
    // ... but it drives Red's answers.
    let live = morris
        .iter()
        .find(|r| r["metric"] == "red_answers" && r["parameter"] == params[1])
        .unwrap();
    assert!(f(live, "mu_star_ci_low") > 0.0, "{live:?}");
    let o = brink(&[
        "sensitivity",
        sc.to_str().unwrap(),
        "--params",
        "rules.blue_red_line.treshold",
        "-q",
        "--out",
        dir.path().join("bad").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean"), "{}", stderr(&o));
}
