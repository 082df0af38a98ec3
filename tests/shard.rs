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

/// Writes to `to` the part at `from` changed by `edit` and sealed again as brink seals parts
/// (the SHA-256 of the part's compact JSON): a forgery that passes the seal, as a hand-made
/// part would, so the checks behind it are what refuses it.
fn reseal(from: &Path, to: &Path, edit: impl FnOnce(&mut brink::shard::RunPart)) {
    use sha2::Digest;
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(from).unwrap()).unwrap();
    let mut part: brink::shard::RunPart = serde_json::from_value(v["part"].clone()).unwrap();
    edit(&mut part);
    let body = serde_json::to_string(&part).unwrap();
    let sha: String = sha2::Sha256::digest(body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(to, format!("{{\"sha256\":\"{sha}\",\"part\":{body}}}\n")).unwrap();
}

fn manifest_without_invocation(path: &Path) -> serde_json::Value {
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    m.as_object_mut().unwrap().remove("invocation");
    m
}

/// A scenario that `extends` another is read from two files; the merged manifest must list
/// both, with their own checksums, exactly as the single process's does (the merge sees only
/// the composed text, so the part has to carry the list).
#[test]
fn merged_shards_of_an_extending_scenario_name_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = repo("scenarios/examples/june_2025.toml");
    let sc = s(&scenario);
    let (single, parts, merged) = (
        dir.path().join("single"),
        dir.path().join("parts"),
        dir.path().join("merged"),
    );
    let args = |out: &Path, extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["run", sc, "--runs", "2048", "--seed", "5", "-q", "--out"]
            .map(String::from)
            .to_vec();
        v.push(s(out).to_owned());
        v.extend(extra.iter().map(|e| e.to_string()));
        v
    };
    let run = |a: Vec<String>| {
        ok(&brink(
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
            &[],
        ))
    };
    run(args(&single, &["--no-shard"]));
    run(args(&parts, &["--shard", "0/2"]));
    run(args(&parts, &["--shard", "1/2"]));
    ok(&brink(
        &[
            "merge",
            s(&parts.join("part-0-of-2.json")),
            s(&parts.join("part-1-of-2.json")),
            "--out",
            s(&merged),
            "-q",
        ],
        &[],
    ));
    let (a, b) = (
        manifest_without_invocation(&single.join("manifest.json")),
        manifest_without_invocation(&merged.join("manifest.json")),
    );
    let files = a["scenario"]["files"].as_array().unwrap();
    assert_eq!(
        files.len(),
        2,
        "june_2025 extends the shared behaviour: {files:?}"
    );
    assert_eq!(a, b);
    assert_eq!(
        std::fs::read(single.join("summary.csv")).unwrap(),
        std::fs::read(merged.join("summary.csv")).unwrap()
    );

    // Parts written before they carried their files (no `scenario_files` key) still pass
    // their seal and merge; their manifest can then name only the composed text.
    let old = dir.path().join("old_parts");
    std::fs::create_dir(&old).unwrap();
    for k in 0..2 {
        let name = format!("part-{k}-of-2.json");
        reseal(&parts.join(&name), &old.join(&name), |p| {
            p.scenario_files.clear()
        });
        let text = std::fs::read_to_string(old.join(&name)).unwrap();
        assert!(
            !text.contains("scenario_files"),
            "an empty list is left out"
        );
    }
    let merged_old = dir.path().join("merged_old");
    ok(&brink(
        &[
            "merge",
            s(&old.join("part-0-of-2.json")),
            s(&old.join("part-1-of-2.json")),
            "--out",
            s(&merged_old),
            "-q",
        ],
        &[],
    ));
    assert_eq!(
        std::fs::read(single.join("summary.csv")).unwrap(),
        std::fs::read(merged_old.join("summary.csv")).unwrap()
    );
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
    // A part edited to claim another brink version breaks its seal; one sealed by another
    // version is refused for its version.
    let old = dir.path().join("old.json");
    let json = std::fs::read_to_string(&p1).unwrap().replacen(
        &format!("\"brink_version\":\"{}\"", env!("CARGO_PKG_VERSION")),
        "\"brink_version\":\"0.0.0\"",
        1,
    );
    assert!(json.contains("\"brink_version\":\"0.0.0\""));
    std::fs::write(&old, json).unwrap();
    refused(
        &m(&[&p0, &old, &p2]),
        "its checksum does not match its content",
    );
    reseal(&p1, &old, |p| p.info.brink_version = "0.0.0".into());
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
    let part = &part["part"];
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

/// A change made to a part before it is sealed again.
type Edit = Box<dyn Fn(&mut brink::shard::RunPart)>;

/// Three parts of the minimal scenario (5000 runs, seed 11, with per-run rows) in `dir/parts`.
fn three_parts(dir: &Path) -> [PathBuf; 3] {
    let parts = dir.join("parts");
    let sc = repo("scenarios/minimal.toml");
    for k in 0..3 {
        let shard = format!("{k}/3");
        ok(&brink(
            &run_args(s(&sc), s(&parts), &["--shard", &shard]),
            &[],
        ));
    }
    [0, 1, 2].map(|k| parts.join(format!("part-{k}-of-3.json")))
}

/// Every path under `dir` with its contents, to show that a refused merge changed nothing.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            if p.is_dir() {
                stack.push(p);
                out.push((rel, Vec::new()));
            } else {
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn merge_checks_the_whole_set_before_writing_and_obeys_the_folder_rule() {
    // Issue 14, defect 1. On the old main, merging a part with a truncated runs.csv into an
    // existing result exited 2 but left the new summary (n = 5000) beside the old manifest and
    // runs.csv; with good parts it silently replaced the earlier result.
    let dir = tempfile::tempdir().unwrap();
    let [p0, p1, p2] = three_parts(dir.path());
    let result = dir.path().join("result");
    let sc = repo("scenarios/minimal.toml");
    ok(&brink(
        &[
            "run",
            s(&sc),
            "--runs",
            "2000",
            "--seed",
            "99",
            "--per-run",
            "-q",
            "--out",
            s(&result),
        ],
        &[],
    ));
    let before = snapshot(&result);
    let merge = |extra: &[&str]| {
        let mut a = vec!["merge", s(&p0), s(&p1), s(&p2), "--out", s(&result), "-q"];
        a.extend_from_slice(extra);
        brink(&a, &[])
    };
    // Good parts, a folder that holds a result: refused without --force.
    refused(&merge(&[]), "already holds files");
    assert_eq!(snapshot(&result), before);
    // A truncated runs.csv: refused, even with --force, and nothing changes.
    let rows = dir.path().join("parts/part-1-of-3.runs.csv");
    let whole = std::fs::read(&rows).unwrap();
    std::fs::write(&rows, &whole[..whole.len() / 2]).unwrap();
    refused(&merge(&["--force"]), "is not the file its part");
    assert_eq!(snapshot(&result), before);
    // A runs.csv of the right length but changed: its checksum tells.
    let changed = String::from_utf8(whole.clone())
        .unwrap()
        .replacen(",1,", ",0,", 1);
    assert_ne!(changed.as_bytes(), whole.as_slice());
    std::fs::write(&rows, changed).unwrap();
    refused(&merge(&["--force"]), "another checksum");
    assert_eq!(snapshot(&result), before);
    // Restored, with --force: the merged result replaces the earlier one whole.
    std::fs::write(&rows, &whole).unwrap();
    ok(&merge(&["--force"]));
    let m = manifest_without_invocation(&result.join("manifest.json"));
    assert_eq!(
        (m["seed"].clone(), m["runs"].clone()),
        (11.into(), 5000.into())
    );
    assert_eq!(
        std::fs::read_to_string(result.join("runs.csv"))
            .unwrap()
            .lines()
            .count(),
        5001
    );
    assert!(
        !snapshot(dir.path())
            .iter()
            .any(|(p, _)| p.contains(".brink-"))
    );
    // Without --out, a merge gets a new folder under results/<scenario>/, like a run.
    let o = Command::new(env!("CARGO_BIN_EXE_brink"))
        .args(["merge", s(&p0), s(&p1), s(&p2), "-q"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    ok(&o);
    assert!(
        dir.path()
            .join("results/minimal/latest/summary.csv")
            .is_file()
    );
}

#[test]
fn merge_refuses_counts_that_do_not_fit_their_runs() {
    // Issue 14, defect 2. On the old main a part's counts were trusted: +2000 on a count moved a
    // probability from 0.2994 to 0.6994, +100000 wrote a "probability" of 20.3, 2^64 − 1
    // wrapped silently, and a forged histogram gave peak_level a mean of 20.5 on a three-rung
    // ladder. Every forgery below passes the seal, as a hand-made part would.
    let dir = tempfile::tempdir().unwrap();
    let [p0, p1, p2] = three_parts(dir.path());
    let forged = dir.path().join("parts/forged.json");
    let out = dir.path().join("out");
    let merge = || {
        brink(
            &["merge", s(&p0), s(&forged), s(&p2), "--out", s(&out), "-q"],
            &[],
        )
    };
    // Edited without resealing: the seal breaks.
    let text = std::fs::read_to_string(&p1).unwrap();
    std::fs::write(&forged, text.replacen("\"runs\":2048", "\"runs\":2049", 1)).unwrap();
    refused(&merge(), "its checksum does not match");
    let cases: Vec<(&str, Edit)> = vec![
        (
            "happens in more runs than",
            Box::new(|p| p.aggregate.first_day[0][5] += 100_000),
        ),
        (
            "happens in more runs than",
            Box::new(|p| p.aggregate.first_day[0][5] = u64::MAX),
        ),
        (
            "has a value beyond its largest possible one",
            Box::new(|p| {
                let peak = p.aggregate.hist.len() - 3 - 1; // peak_level, war_days, ... final_
                p.aggregate.hist[peak].resize(40, 0);
                p.aggregate.hist[peak][39] = 1;
            }),
        ),
        (
            "does not count each of its",
            Box::new(|p| p.aggregate.hist.last_mut().unwrap()[0] += 2000),
        ),
        (
            "counts more runs than",
            Box::new(|p| p.aggregate.daily[0] = 1_000_000),
        ),
        ("its counts are of", Box::new(|p| p.aggregate.runs += 1)),
    ];
    for (needle, edit) in cases {
        reseal(&p1, &forged, edit);
        refused(&merge(), needle);
        assert!(!out.exists(), "a refused merge wrote {}", out.display());
    }
    // The sound part merges.
    reseal(&p1, &forged, |_| {});
    ok(&merge());
}

#[test]
fn merge_refuses_a_part_that_names_a_file_outside_its_folder() {
    // Issue 14, defect 8: on the old main a part could name runs_csv = ../../etc/hostname and
    // merge read it.
    let dir = tempfile::tempdir().unwrap();
    let [p0, p1, p2] = three_parts(dir.path());
    let forged = dir.path().join("parts/forged.json");
    for name in ["../../etc/hostname", "/etc/hostname", "..", "sub/x.csv"] {
        reseal(&p1, &forged, |p| p.runs_csv = Some(name.into()));
        let out = dir.path().join("out");
        refused(
            &brink(
                &["merge", s(&p0), s(&forged), s(&p2), "--out", s(&out), "-q"],
                &[],
            ),
            "which is not a file beside it",
        );
        assert!(!out.exists());
    }
}

#[test]
fn merge_never_panics_on_a_hand_made_part() {
    // Issue 14, defect 10: on the old main a shard index at or past the count panicked (index
    // out of bounds in src/shard.rs) and a shard count of 0 divided by zero.
    let dir = tempfile::tempdir().unwrap();
    let [p0, p1, p2] = three_parts(dir.path());
    let forged = dir.path().join("parts/forged.json");
    let cases: Vec<(&str, Edit)> = vec![
        (
            "shard 3 does not exist",
            Box::new(|p| p.info.shard.index = 3),
        ),
        ("at least 1", Box::new(|p| p.info.shard.count = 0)),
        (
            "at most 1048576 shards",
            Box::new(|p| p.info.shard.count = u64::MAX),
        ),
        ("the part is damaged", Box::new(|p| p.info.unit = 0)),
        ("the part is damaged", Box::new(|p| p.info.end = u64::MAX)),
        ("shard units (1 vs 1024)", Box::new(|p| p.info.unit = 1)),
    ];
    for (needle, edit) in cases {
        reseal(&p1, &forged, edit);
        let o = brink(
            &[
                "merge",
                s(&forged),
                s(&p0),
                s(&p2),
                "--out",
                s(&dir.path().join("o")),
                "-q",
            ],
            &[],
        );
        refused(&o, needle);
    }
}

#[test]
fn merge_writes_beside_its_parts_but_not_over_a_result() {
    // The layout of the README and the Slurm example: the result in study/, its parts in
    // study/parts/. The folder of the parts being merged does not count as a file in --out;
    // anything else does.
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("study");
    let sc = repo("scenarios/minimal.toml");
    for k in 0..2 {
        let shard = format!("{k}/2");
        ok(&brink(
            &run_args(s(&sc), s(&study.join("parts")), &["--shard", &shard]),
            &[],
        ));
    }
    let parts: Vec<PathBuf> = (0..2)
        .map(|k| study.join(format!("parts/part-{k}-of-2.json")))
        .collect();
    let merge = || {
        brink(
            &[
                "merge",
                s(&parts[0]),
                s(&parts[1]),
                "--out",
                s(&study),
                "-q",
            ],
            &[],
        )
    };
    ok(&merge());
    assert!(study.join("summary.csv").is_file());
    refused(
        &merge(),
        "already holds files (distributions.csv, manifest.json, runs.csv",
    );
}
