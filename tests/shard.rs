//! Sharded `brink run` and `brink merge`, through the binary: parts merged in any order equal
//! the single-process result byte for byte; shards come from --shard, Slurm array variables or
//! a Kubernetes Indexed Job's variables; merge refuses parts that do not make one study.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CLUSTER_VARS: &[&str] = &[
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_COUNT",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_MAX",
    "SLURM_ARRAY_TASK_STEP",
    "JOB_COMPLETION_INDEX",
    "BRINK_SHARD_COUNT",
];

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Runs brink with `args` and the cluster variables `env`, none inherited.
fn brink(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_brink"));
    for v in CLUSTER_VARS {
        c.env_remove(v);
    }
    c.args(args).envs(env.iter().copied());
    c.output().expect("cannot start brink")
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "brink failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn refused(o: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(needle), "expected `{needle}` in: {err}");
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// 5000 runs of the minimal scenario: 5 chunks, so 3 shards hold 1, 2 and 2 chunks.
const RUNS: &str = "5000";

fn run_args<'a>(scenario: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "run",
        scenario,
        "--runs",
        RUNS,
        "--seed",
        "11",
        "--per-run",
        "-q",
        "--out",
        out,
    ];
    v.extend_from_slice(extra);
    v
}

fn manifest_without_invocation(path: &Path) -> serde_json::Value {
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    m.as_object_mut().unwrap().remove("invocation");
    m
}

#[test]
fn merged_shards_equal_the_single_process_run() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = repo("scenarios/minimal.toml");
    let sc = s(&scenario);
    let (single, parts, merged) = (
        dir.path().join("single"),
        dir.path().join("parts"),
        dir.path().join("merged"),
    );
    ok(&brink(&run_args(sc, s(&single), &[]), &[]));
    // Shard 0 from the flag, 1 from a Slurm array numbered from 1, 2 from a Kubernetes
    // Indexed Job: all three ways of choosing a shard must produce the same parts.
    ok(&brink(&run_args(sc, s(&parts), &["--shard", "0/3"]), &[]));
    ok(&brink(
        &run_args(sc, s(&parts), &["--threads", "1"]),
        &[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "3"),
        ],
    ));
    ok(&brink(
        &run_args(sc, s(&parts), &[]),
        &[("JOB_COMPLETION_INDEX", "2"), ("BRINK_SHARD_COUNT", "3")],
    ));
    for k in 0..3 {
        for ext in ["json", "runs.csv"] {
            let f = parts.join(format!("part-{k}-of-3.{ext}"));
            assert!(f.exists(), "{} missing", f.display());
        }
    }
    assert!(
        !parts.join("summary.csv").exists(),
        "a shard must not write a summary of its share alone"
    );
    // Parts given out of order.
    let p = |k: u32| parts.join(format!("part-{k}-of-3.json"));
    let (p0, p1, p2) = (p(0), p(1), p(2));
    ok(&brink(
        &["merge", s(&p2), s(&p0), s(&p1), "--out", s(&merged), "-q"],
        &[],
    ));
    for f in [
        "summary.csv",
        "timeline.csv",
        "distributions.csv",
        "runs.csv",
    ] {
        let a = std::fs::read(single.join(f)).unwrap();
        let b = std::fs::read(merged.join(f)).unwrap();
        assert!(
            a == b,
            "{f} differs between the merged and single-process runs"
        );
    }
    assert_eq!(
        manifest_without_invocation(&single.join("manifest.json")),
        manifest_without_invocation(&merged.join("manifest.json"))
    );
    let runs_lines = std::fs::read_to_string(merged.join("runs.csv"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(runs_lines, 5001);

    // Refusals, each naming what is wrong.
    let x = s(&dir.path().join("x")).to_owned();
    let m = |parts: &[&Path]| {
        let mut a = vec!["merge"];
        a.extend(parts.iter().map(|p| s(p)));
        a.extend(["--out", x.as_str(), "-q"]);
        brink(&a, &[])
    };
    refused(&m(&[&p0, &p2]), "shards missing: 1");
    refused(&m(&[&p0, &p1, &p1, &p2]), "overlap: both are shard 1/3");
    let other = dir.path().join("other");
    ok(&brink(
        &[
            "run",
            sc,
            "--runs",
            RUNS,
            "--seed",
            "12",
            "-q",
            "--out",
            s(&other),
            "--shard",
            "1/3",
            // Each case replaces the previous case's part in the same folder.
            "--force",
        ],
        &[],
    ));
    refused(
        &m(&[&p0, &other.join("part-1-of-3.json"), &p2]),
        "seeds (11 vs 12)",
    );
    ok(&brink(
        &[
            "run",
            sc,
            "--runs",
            "6000",
            "--seed",
            "11",
            "-q",
            "--out",
            s(&other),
            "--shard",
            "1/3",
            // Each case replaces the previous case's part in the same folder.
            "--force",
        ],
        &[],
    ));
    refused(
        &m(&[&p0, &other.join("part-1-of-3.json"), &p2]),
        "run totals",
    );
    let changed = dir.path().join("changed.toml");
    let text = std::fs::read_to_string(&scenario).unwrap();
    std::fs::write(&changed, format!("{text}\n# an edit\n")).unwrap();
    ok(&brink(
        &run_args(s(&changed), s(&other), &["--shard", "1/3", "--force"]),
        &[],
    ));
    refused(
        &m(&[&p0, &other.join("part-1-of-3.json"), &p2]),
        "scenarios (SHA-256)",
    );
    // A part edited to claim another brink version.
    let old = dir.path().join("old.json");
    let json = std::fs::read_to_string(&p1).unwrap().replacen(
        &format!("\"brink_version\":\"{}\"", env!("CARGO_PKG_VERSION")),
        "\"brink_version\":\"0.0.0\"",
        1,
    );
    assert!(json.contains("\"brink_version\":\"0.0.0\""));
    std::fs::write(&old, json).unwrap();
    refused(&m(&[&p0, &old, &p2]), "brink versions");
    refused(
        &m(&[&p0, &repo("scenarios/minimal.toml")]),
        "not a brink part file",
    );
    assert!(!dir.path().join("x").join("summary.csv").exists());
}

#[test]
fn cluster_variables_choose_the_shard_or_explain_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = repo("scenarios/minimal.toml");
    let out = dir.path().join("k8s");
    // A Kubernetes Indexed Job pod: the index, and the count the manifest must pass.
    let o = brink(
        &[
            "run",
            s(&scenario),
            "--runs",
            "3000",
            "-q",
            "--out",
            s(&out),
        ],
        &[("JOB_COMPLETION_INDEX", "1"), ("BRINK_SHARD_COUNT", "2")],
    );
    ok(&o);
    let part: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("part-1-of-2.json")).unwrap())
            .unwrap();
    assert_eq!(part["info"]["shard"]["index"], 1);
    assert_eq!(part["info"]["shard"]["count"], 2);
    // 3 chunks in 2 shards: shard 1 holds chunks 1 and 2, runs 1024..3000.
    assert_eq!(part["info"]["start"], 1024);
    assert_eq!(part["info"]["end"], 3000);
    assert_eq!(part["aggregate"]["runs"], 1976);
    assert!(!out.join("summary.csv").exists());

    let o = brink(
        &[
            "run",
            s(&scenario),
            "--runs",
            "3000",
            "-q",
            "--out",
            s(&out),
        ],
        &[("JOB_COMPLETION_INDEX", "1")],
    );
    refused(&o, "BRINK_SHARD_COUNT");
    let o = brink(
        &[
            "run",
            s(&scenario),
            "--runs",
            "3000",
            "-q",
            "--out",
            s(&out),
        ],
        &[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ],
    );
    refused(&o, "shards count from 0");
    // --no-shard runs the whole study even inside an array.
    let whole = dir.path().join("whole");
    let o = brink(
        &[
            "run",
            s(&scenario),
            "--runs",
            "3000",
            "-q",
            "--no-shard",
            "--out",
            s(&whole),
        ],
        &[
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ],
    );
    ok(&o);
    assert!(whole.join("summary.csv").exists());
    let o = brink(
        &[
            "run",
            s(&scenario),
            "--shard",
            "4/4",
            "-q",
            "--out",
            s(&out),
        ],
        &[],
    );
    refused(&o, "count from 0");
}
