//! Results depend only on the scenario, the seed and the number of runs: not on the number of
//! threads, on how runs are split into chunks, on repetition or on the order of tables in the
//! scenario file. Checked on the real binary (byte-identical outputs) and on the library.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

mod support;
use support::{composed, load, repo};

use brink::engine::Engine;
use brink::model::Scenario;
use brink::stats::Aggregate;
use rayon::prelude::*;

const CSVS: [&str; 4] = [
    "summary.csv",
    "timeline.csv",
    "distributions.csv",
    "runs.csv",
];

/// Starts `brink run SCENARIO --out OUT -q ARGS...`.
fn spawn(scenario: &Path, out: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_brink"))
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start brink")
}

fn finish(child: Child) {
    let out = child.wait_with_output().expect("brink did not finish");
    assert!(
        out.status.success(),
        "brink failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the given invocations concurrently and waits for all of them.
fn run_all(runs: &[(&Path, &Path, &[&str])]) {
    let children: Vec<Child> = runs.iter().map(|(s, o, a)| spawn(s, o, a)).collect();
    for c in children {
        finish(c);
    }
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.join(name).display()))
}

/// The manifest without its `invocation` object, which may differ between identical results.
fn manifest(dir: &Path) -> serde_json::Value {
    let mut m: serde_json::Value = serde_json::from_slice(&read(dir, "manifest.json")).unwrap();
    let obj = m.as_object_mut().expect("manifest is an object");
    assert!(
        obj.remove("invocation").is_some(),
        "manifest has no invocation"
    );
    m
}

fn assert_same_files(a: &Path, b: &Path, names: &[&str]) {
    for name in names {
        let (x, y) = (read(a, name), read(b, name));
        assert!(!x.is_empty(), "{name} is empty");
        assert!(
            x == y,
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

fn parse(text: &str) -> Scenario {
    brink::scenario::parse(text, "test.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn minimal() -> Scenario {
    parse(&std::fs::read_to_string(repo("scenarios/minimal.toml")).unwrap())
}

/// Aggregate of `runs` on the current rayon pool.
fn aggregate(engine: &Engine, runs: std::ops::Range<u64>) -> Aggregate {
    let mut total = Aggregate::new(engine.scenario);
    engine
        .run_range(runs, false, |c| -> Result<(), Infallible> {
            total.merge(&c.aggregate);
            Ok(())
        })
        .unwrap();
    total
}

/// Per-run rows as (run, first days, quantity bins, parameter values).
type Row = (u64, Vec<u32>, Vec<u32>, Vec<f64>);

fn rows_of(rows: &brink::engine::RunRows) -> Vec<Row> {
    (0..rows.len())
        .map(|i| {
            let (r, f, v, p) = rows.row(i);
            (r, f.to_vec(), v.to_vec(), p.to_vec())
        })
        .collect()
}

#[test]
fn thread_count_does_not_change_results() {
    let dir = tempfile::tempdir().unwrap();
    let (one, eight) = (dir.path().join("t1"), dir.path().join("t8"));
    let sc = repo("scenarios/iran_2026.toml");
    let common = ["--runs", "3000", "--per-run"];
    let a: Vec<&str> = common.iter().copied().chain(["--threads", "1"]).collect();
    let b: Vec<&str> = common.iter().copied().chain(["--threads", "8"]).collect();
    run_all(&[(&sc, &one, &a), (&sc, &eight, &b)]);
    assert_same_files(&one, &eight, &CSVS);
    assert_eq!(manifest(&one), manifest(&eight));
    // runs.csv holds every run once, in order.
    let runs = String::from_utf8(read(&one, "runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 3001);
}

#[test]
fn the_same_invocation_twice_gives_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let sc = repo("scenarios/minimal.toml");
    let args = ["--runs", "4000", "--seed", "7", "--per-run"];
    run_all(&[(&sc, &a, &args), (&sc, &b, &args)]);
    assert_same_files(&a, &b, &CSVS);
    assert_eq!(manifest(&a), manifest(&b));
}

#[test]
fn the_seed_is_the_only_source_of_randomness() {
    let dir = tempfile::tempdir().unwrap();
    let (s1, s2, default, explicit) = (
        dir.path().join("s1"),
        dir.path().join("s2"),
        dir.path().join("default"),
        dir.path().join("explicit"),
    );
    let sc = repo("scenarios/minimal.toml");
    // minimal.toml sets no seed, so the documented default applies.
    let default_seed = brink::scenario::DEFAULT_SEED.to_string();
    run_all(&[
        (&sc, &s1, &["--runs", "3000", "--seed", "1", "--per-run"]),
        (&sc, &s2, &["--runs", "3000", "--seed", "2", "--per-run"]),
        (&sc, &default, &["--runs", "3000"]),
        (&sc, &explicit, &["--runs", "3000", "--seed", &default_seed]),
    ]);
    for name in [
        "summary.csv",
        "timeline.csv",
        "distributions.csv",
        "runs.csv",
    ] {
        assert_ne!(read(&s1, name), read(&s2, name), "{name} ignores the seed");
    }
    assert_eq!(manifest(&s1)["seed"], 1);
    assert_eq!(manifest(&s2)["seed"], 2);
    assert_same_files(
        &default,
        &explicit,
        &["summary.csv", "timeline.csv", "distributions.csv"],
    );
    assert_eq!(manifest(&default), manifest(&explicit));
}

#[test]
fn run_ranges_do_not_depend_on_chunking_or_threads() {
    let sc = minimal();
    let engine = Engine::new(&sc, 99);
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    // All 5000 runs in one range on 3 threads, with per-run rows.
    let (mut whole, mut chunked) = (Aggregate::new(&sc), Vec::new());
    pool(3).install(|| {
        engine
            .run_range(0..5000, true, |c| -> Result<(), Infallible> {
                whole.merge(&c.aggregate);
                chunked.extend(rows_of(c.rows.as_ref().unwrap()));
                Ok(())
            })
            .unwrap()
    });
    assert_eq!(whole.runs, 5000);
    assert_eq!(
        chunked.iter().map(|r| r.0).collect::<Vec<_>>(),
        (0..5000).collect::<Vec<_>>(),
        "rows in run order"
    );
    // The same runs as two ranges computed separately. 2000 is not a chunk boundary, so runs
    // 2000..2048 start in a fresh workspace here.
    let first = pool(1).install(|| aggregate(&engine, 0..2000));
    let second = pool(2).install(|| aggregate(&engine, 2000..5000));
    let mut split = first.clone();
    split.merge(&second);
    assert_eq!(whole, split);
    // Merging is order-free.
    let mut reversed = second.clone();
    reversed.merge(&first);
    assert_eq!(whole, reversed);
    // One chunk of all 5000 runs in one workspace gives the same counts and the same rows.
    let single = engine.run_chunk(0..5000, true);
    assert_eq!(whole, single.aggregate);
    assert_eq!(chunked, rows_of(single.rows.as_ref().unwrap()));
}

#[test]
fn a_run_does_not_depend_on_the_runs_before_it() {
    // Every rule kind keeps per-run state in a workspace reused across the runs of a chunk.
    // Each run of the flagship scenario, simulated after 199 others or alone in a fresh
    // workspace, must give the same outcome.
    let sc = load(&repo("scenarios/iran_2026.toml"));
    let engine = Engine::new(&sc, 5);
    let n = 200;
    let together = engine.run_chunk(0..n, true);
    let together = rows_of(together.rows.as_ref().unwrap());
    let alone: Vec<Row> = (0..n)
        .into_par_iter()
        .flat_map_iter(|r| rows_of(engine.run_chunk(r..r + 1, true).rows.as_ref().unwrap()))
        .collect();
    assert_eq!(together.len(), n as usize);
    for (a, b) in together.iter().zip(&alone) {
        assert_eq!(a, b, "run {} depends on the runs before it", a.0);
    }
    // Something happens in these runs, or the comparison proves little.
    let struck = together.iter().filter(|r| r.1[0] != brink::model::NEVER);
    assert!(struck.count() > 10, "too few strikes on Iran in {n} runs");
}

/// minimal.toml with its actors and its rules in reverse order (comments dropped).
const MINIMAL_REORDERED: &str = r#"
[scenario]
name = "minimal"
start_date = 2026-01-01
horizon_days = 90
war_level = "strike"

[[ladder]]
id = "calm"
mid = 1

[[ladder]]
id = "strike"
mid = 4

[[ladder]]
id = "heavy_strike"
mid = 5

[actors.blue]
name = "Blue"

[actors.red]
name = "Red"

[tracks.red_arsenal]
initial = 0.5
drift = 0.002
noise = 0.01

[rules.truce]
kind = "termination"
pairs = [["red", "blue"]]
min_level = "strike"
daily_hazard = 0.1

[rules.red_pledge]
kind = "retaliation"
actor = "red"
min_level = "strike"
probability = 0.8
delay_days = { uniform = [0, 4] }
escalation = 1
cap = "heavy_strike"

[rules.blue_red_line]
kind = "red_line"
actor = "blue"
target = "red"
track = "red_arsenal"
threshold = { uniform = [0.6, 0.8] }
daily_probability = 0.05
level = "strike"
setback = [{ track = "red_arsenal", fraction = 0.5 }]

[metrics.blue_strikes]
description = "Blue strikes Red"
actor = ["blue"]
min_level = "strike"

[metrics.red_answers]
description = "Red retaliates"
actor = ["red"]
form = ["retaliation"]
"#;

#[test]
fn reordering_rules_and_actors_changes_nothing() {
    let original = repo("scenarios/minimal.toml");
    // The hand-written copy really is minimal.toml reordered: same tables, same values.
    let parsed = |t: &str| t.parse::<toml::Table>().unwrap();
    let orig_text = std::fs::read_to_string(&original).unwrap();
    assert_eq!(parsed(&orig_text), parsed(MINIMAL_REORDERED));
    let (o, r) = (minimal(), parse(MINIMAL_REORDERED));
    // The files list the rules in opposite orders; brink runs rules in id order either way.
    let first_rule =
        |t: &str| t.find("[rules.truce]").unwrap() < t.find("[rules.blue_red_line]").unwrap();
    assert!(!first_rule(&orig_text) && first_rule(MINIMAL_REORDERED));
    assert_eq!(o.rule_ids, ["blue_red_line", "red_pledge", "truce"]);
    assert_eq!(r.rule_ids, o.rule_ids);
    assert_eq!(o.actors[0].id, "red");
    assert_eq!(r.actors[0].id, "blue");

    let dir = tempfile::tempdir().unwrap();
    let reordered = dir.path().join("minimal_reordered.toml");
    std::fs::write(&reordered, MINIMAL_REORDERED).unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let args = ["--runs", "5000"];
    run_all(&[(&original, &a, &args), (&reordered, &b, &args)]);
    // minimal.toml's rules report no daily states, so every output keeps its row order.
    assert_same_files(
        &a,
        &b,
        &["summary.csv", "timeline.csv", "distributions.csv"],
    );
}

/// Two red lines of Blue against Red that both fire on day 0 at different rungs, and Red's
/// pledge to answer (one answer at a time per attacker, two days later, at the rung received).
fn two_strikes(rules_in_order: &[&str]) -> Scenario {
    let rule = |id: &str| match id {
        "light" => {
            "[rules.light]\nkind = \"red_line\"\nactor = \"blue\"\ntarget = \"red\"\n\
             track = \"t\"\nthreshold = 0\ndaily_probability = 1\nlevel = \"strike\"\n"
        }
        "heavy" => {
            "[rules.heavy]\nkind = \"red_line\"\nactor = \"blue\"\ntarget = \"red\"\n\
             track = \"t\"\nthreshold = 0\ndaily_probability = 1\nlevel = \"heavy_strike\"\n"
        }
        "pledge" => {
            "[rules.pledge]\nkind = \"retaliation\"\nactor = \"red\"\nmin_level = \"strike\"\n\
             probability = 1\ndelay_days = 2\nescalation = 0\ncap = \"heavy_strike\"\n"
        }
        _ => unreachable!(),
    };
    let rules: Vec<&str> = rules_in_order.iter().map(|id| rule(id)).collect();
    parse(&format!(
        r#"
[scenario]
name = "two_strikes"
start_date = 2026-01-01
horizon_days = 10
war_level = "strike"

[[ladder]]
id = "calm"
mid = 1

[[ladder]]
id = "strike"
mid = 4

[[ladder]]
id = "heavy_strike"
mid = 5

[actors.blue]
[actors.red]

[tracks.t]
initial = 0.5

{}

[metrics.heavy_answer]
actor = ["red"]
min_level = "heavy_strike"
"#,
        rules.join("\n")
    ))
}

#[test]
fn rule_order_does_not_decide_which_strike_is_answered() {
    let a = two_strikes(&["light", "heavy", "pledge"]);
    let b = two_strikes(&["heavy", "light", "pledge"]);
    let (ea, eb) = (Engine::new(&a, 1), Engine::new(&b, 1));
    let (x, y) = (aggregate(&ea, 0..100), aggregate(&eb, 0..100));
    assert_eq!(
        x.first_day,
        y.first_day,
        "red answers at heavy_strike in {} of 100 runs with `light` first, {} with `heavy` first",
        x.event_count(0),
        y.event_count(0)
    );
}

/// iran_2026.toml (merged with the files it extends) with the given tables each in reverse
/// order, built through the toml crate.
fn flagship_reversed(sections: &[&str]) -> (Scenario, Scenario) {
    let text = composed(&repo("scenarios/iran_2026.toml"));
    let mut doc: toml::Table = text.parse().unwrap();
    for section in sections {
        let t = doc[*section].as_table().unwrap().clone();
        let mut rev = toml::Table::new();
        for (k, v) in t.into_iter().rev() {
            rev.insert(k, v);
        }
        doc.insert(section.to_string(), toml::Value::Table(rev));
    }
    let reversed = toml::to_string(&doc).unwrap();
    (parse(&text), parse(&reversed))
}

/// Asserts that two orderings of one scenario give the same outcomes over `runs`: events by
/// position (metrics keep their order), quantities and daily states by name (their order
/// follows the order of tracks and rules).
fn assert_same_outcomes(o: &Scenario, r: &Scenario, runs: std::ops::Range<u64>) {
    let (x, y) = (
        aggregate(&Engine::new(o, 3), runs.clone()),
        aggregate(&Engine::new(r, 3), runs),
    );
    assert_eq!(x.runs, y.runs);
    for (e, m) in o.metrics.events.iter().enumerate() {
        assert_eq!(r.metrics.events[e].id, m.id);
        assert!(
            x.first_day[e] == y.first_day[e],
            "event {}: happened in {} vs {} runs",
            m.id,
            x.event_count(e),
            y.event_count(e)
        );
    }
    assert_eq!(o.metrics.quantities.len(), r.metrics.quantities.len());
    for (q, m) in o.metrics.quantities.iter().enumerate() {
        let j = r
            .metrics
            .quantities
            .iter()
            .position(|n| n.id == m.id)
            .unwrap();
        assert!(x.hist[q] == y.hist[j], "quantity {} differs", m.id);
    }
    let h = o.horizon as usize;
    assert_eq!(o.metrics.states.len(), r.metrics.states.len());
    for (i, name) in o.metrics.states.iter().enumerate() {
        let j = r.metrics.states.iter().position(|s| s == name).unwrap();
        assert!(
            x.daily[i * h..(i + 1) * h] == y.daily[j * h..(j + 1) * h],
            "state {name} differs"
        );
    }
}

#[test]
fn reordering_the_flagship_actors_and_tracks_changes_no_outcome() {
    let (o, r) = flagship_reversed(&["actors", "tracks"]);
    assert_eq!(
        o.actors.first().map(|a| &a.id),
        r.actors.last().map(|a| &a.id)
    );
    assert_eq!(
        o.tracks.first().map(|t| &t.id),
        r.tracks.last().map(|t| &t.id)
    );
    assert_same_outcomes(&o, &r, 0..300);
}

#[test]
fn reordering_the_flagship_rules_changes_no_outcome() {
    let (o, r) = flagship_reversed(&["rules"]);
    // Rules run in id order, so both files compile to the same sequence.
    assert_eq!(o.rule_ids, r.rule_ids);
    assert_same_outcomes(&o, &r, 0..400);
}

#[test]
fn skipping_sleeping_rules_changes_nothing() {
    // The engine does not ask a rule to decide while it sleeps (`rules::Wake`). That is exact
    // only if every rule keeps the contract: asleep, it would have drawn nothing and done
    // nothing. Asking every rule every day must therefore give the very same runs, event for
    // event, on the flagship, the minimal scenario and every language example — between them
    // every kind of rule, each in a scenario where it acts.
    let mut files = vec![
        repo("scenarios/iran_2026.toml"),
        repo("scenarios/minimal.toml"),
    ];
    let mut examples: Vec<PathBuf> = std::fs::read_dir(repo("scenarios/examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    examples.sort();
    files.extend(examples);
    let mut kinds_seen = std::collections::BTreeSet::new();
    for file in &files {
        let sc = load(file);
        let runs = 400u64;
        let engine = Engine::new(&sc, 11);
        let mut skipping = engine.workspace();
        let mut asking = engine.workspace();
        asking.ignore_wake = true;
        let mut a = brink::trace::TraceRecorder::default();
        let mut b = brink::trace::TraceRecorder::default();
        let mut eventful = 0;
        let mut acting = std::collections::BTreeSet::new();
        for run in 0..runs {
            engine.simulate(run, &mut skipping, &mut a);
            engine.simulate(run, &mut asking, &mut b);
            let f = file.display();
            assert_eq!(
                skipping.outcome.first, asking.outcome.first,
                "{f} run {run}"
            );
            assert_eq!(
                skipping.outcome.values, asking.outcome.values,
                "{f} run {run}"
            );
            assert_eq!(skipping.world.tracks, asking.world.tracks, "{f} run {run}");
            eventful += usize::from(!a.events.is_empty());
            for e in &a.events {
                let rule = match e.event {
                    brink::trace::Event::Act(x) => x.rule,
                    brink::trace::Event::Note(x) => x.rule,
                };
                if let Some(r) = sc.rules.get(rule as usize) {
                    acting.insert(r.kind());
                }
            }
            // Events hold floats and carry no equality of their own; their debug text is
            // exact (shortest round-trip formatting).
            assert_eq!(
                format!("{:?}", a.events),
                format!("{:?}", b.events),
                "{f} run {run}"
            );
        }
        assert_eq!(skipping.daily, asking.daily, "{}", file.display());
        assert!(
            eventful as u64 > runs / 10,
            "{}: too few eventful runs to prove much",
            file.display()
        );
        // An effect acts on tracks, not through events: it counts as exercised where the
        // tracks it changes are compared above.
        for r in &sc.rules {
            if r.kind() == "effect" {
                acting.insert("effect");
            }
        }
        kinds_seen.extend(acting);
    }
    for k in brink::rules::kind_names() {
        assert!(
            kinds_seen.contains(k),
            "no tested scenario exercises the `{k}` kind; add one to scenarios/examples/"
        );
    }
}
