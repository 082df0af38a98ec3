//! Sharding a study across machines and checking that partial results fit back together.
//!
//! A study of `total` items (runs for `brink run`; points for a sweep) is cut into `count`
//! contiguous shares whose boundaries fall on multiples of a `unit` (for runs, the engine's
//! `CHUNK`, so a shard is a whole number of chunks). Shard `index` counts from 0, like
//! Kubernetes completion indices and the usual Slurm arrays (`--array=0-3`).
//!
//! Each shard writes a partial result headed by a [`PartInfo`]: what study it belongs to
//! (scenario checksum, seed, total, brink version) and which share it holds. [`check_parts`]
//! refuses parts that do not belong together or that overlap or leave gaps, so a merge either
//! reproduces the single-machine study exactly or says precisely why it cannot. Nothing here
//! knows about runs in particular; sweep can reuse it with its own `command` and `unit`.
//!
//! The cluster defaults ([`from_env`]) read the environment through a closure, so the library
//! stays free of I/O and the rules are testable with made-up environments.

use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::stats::Aggregate;

/// Identifies the format of partial-result files; bumped when their meaning changes.
pub const PART_FORMAT: &str = "brink-part/2";

/// The most shards a study may be cut into. A part names its shard count; bounding it bounds
/// what a merge allocates for any part, hand-made ones included.
pub const MAX_SHARDS: u64 = 1 << 20;

/// The environment variable a Kubernetes Indexed Job must set to its `spec.completions`:
/// the pod environment carries `JOB_COMPLETION_INDEX` but not the number of completions.
pub const SHARD_COUNT_ENV: &str = "BRINK_SHARD_COUNT";

/// One share of a study: `index` of `count`, counting from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub fn new(index: u64, count: u64) -> Result<Shard, String> {
        if count == 0 {
            return Err("the number of shards must be at least 1".into());
        }
        if count > MAX_SHARDS {
            return Err(format!(
                "at most {MAX_SHARDS} shards are supported, got {count}"
            ));
        }
        if index >= count {
            return Err(format!(
                "shard {index} does not exist among {count} shards: shards count from 0, so \
                 the last one is {}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// Parses `K/N`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("expected K/N, e.g. 0/4 for the first of four shards, got `{s}`");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k: u64 = k.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        Shard::new(k, n)
    }

    /// This shard's items of `0..total`, cut at multiples of `unit`. The units are spread as
    /// evenly as possible (shares differ by at most one unit); with more shards than units,
    /// some shares are empty.
    pub fn range(&self, total: u64, unit: u64) -> Range<u64> {
        let unit = unit.max(1);
        let units = total.div_ceil(unit);
        // u128: units * index may exceed u64 for absurd inputs; the quotient never does.
        let at = |k: u64| ((units as u128 * k as u128) / self.count as u128) as u64;
        let lo = (at(self.index) * unit).min(total);
        let hi = (at(self.index + 1) * unit).min(total);
        lo..hi
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The shard implied by a cluster engine's environment, if any: a Slurm job array
/// (`SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_COUNT`, and `SLURM_ARRAY_TASK_MIN` when ids do
/// not start at 0) or a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX` with
/// [`SHARD_COUNT_ENV`]). `get` looks a variable up. Errors say which variable is wrong.
pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>, String> {
    let num = |name: &str| -> Result<Option<u64>, String> {
        match get(name) {
            None => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                format!("environment variable {name} should be a whole number, got `{v}`")
            }),
        }
    };
    if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
        let count = num("SLURM_ARRAY_TASK_COUNT")?.ok_or(
            "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; pass --shard K/N",
        )?;
        let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        if let Some(step) = num("SLURM_ARRAY_TASK_STEP")?
            && step != 1
        {
            return Err(format!(
                "the Slurm array steps by {step}; brink needs consecutive task ids \
                 (e.g. --array=0-{}) or an explicit --shard K/N",
                count.saturating_sub(1)
            ));
        }
        if let Some(max) = num("SLURM_ARRAY_TASK_MAX")?
            && max.checked_sub(min).map(|d| d + 1) != Some(count)
        {
            return Err(format!(
                "the Slurm array's ids {min}..={max} are not {count} consecutive ids; brink \
                 needs consecutive task ids (e.g. --array=0-{}) or an explicit --shard K/N",
                count.saturating_sub(1)
            ));
        }
        let index = id.checked_sub(min).ok_or_else(|| {
            format!("SLURM_ARRAY_TASK_ID {id} is below SLURM_ARRAY_TASK_MIN {min}")
        })?;
        return Shard::new(index, count)
            .map(Some)
            .map_err(|e| format!("from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT: {e}"));
    }
    if let Some(index) = num("JOB_COMPLETION_INDEX")? {
        let count = num(SHARD_COUNT_ENV)?.ok_or_else(|| {
            format!(
                "JOB_COMPLETION_INDEX is set but {SHARD_COUNT_ENV} is not; set it in the Job \
                 manifest to the Job's spec.completions, or pass --shard K/N"
            )
        })?;
        return Shard::new(index, count)
            .map(Some)
            .map_err(|e| format!("from JOB_COMPLETION_INDEX/{SHARD_COUNT_ENV}: {e}"));
    }
    Ok(None)
}

/// What a partial result belongs to and which share of it it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartInfo {
    /// [`PART_FORMAT`].
    pub format: String,
    pub brink_version: String,
    /// The command that wrote the part (`run`), so parts of different kinds never mix.
    pub command: String,
    pub scenario_sha256: String,
    pub seed: u64,
    /// Items in the whole study (runs for `run`).
    pub total: u64,
    /// Shard boundaries fall on multiples of this many items.
    pub unit: u64,
    pub shard: Shard,
    /// The items this part holds: `start..end` of `0..total`.
    pub start: u64,
    pub end: u64,
}

impl PartInfo {
    /// Describes shard `shard` of a study; its range follows from `total` and `unit`.
    pub fn new(
        command: &str,
        scenario_sha256: &str,
        seed: u64,
        total: u64,
        unit: u64,
        shard: Shard,
    ) -> PartInfo {
        let r = shard.range(total, unit);
        PartInfo {
            format: PART_FORMAT.into(),
            brink_version: env!("CARGO_PKG_VERSION").into(),
            command: command.into(),
            scenario_sha256: scenario_sha256.into(),
            seed,
            total,
            unit,
            shard,
            start: r.start,
            end: r.end,
        }
    }

    pub fn range(&self) -> Range<u64> {
        self.start..self.end
    }
}

/// A partial result of `brink run`: the aggregate of its runs, and the scenario it ran, so a
/// merge needs nothing but the parts. Per-run rows, when asked for, are in a CSV file beside
/// the part, named by `runs_csv`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunPart {
    pub info: PartInfo,
    /// The scenario path as given to `brink run` (it appears in the merged manifest).
    pub scenario_path: String,
    /// The scenario text, whose SHA-256 is `info.scenario_sha256`.
    pub scenario_text: String,
    /// Every file that text was composed from (more than one when the scenario `extends`
    /// another), each with its own SHA-256: the merged manifest lists them as a single
    /// process's would, though the merge reads only `scenario_text`. Left out when empty, so
    /// a part written before this field existed keeps its seal (the seal is checked on the
    /// part as serialized again).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scenario_files: Vec<crate::model::SourceFile>,
    /// File name (beside this part) of this shard's runs.csv, header included.
    pub runs_csv: Option<String>,
    /// SHA-256 of that file, so a merge notices a changed or truncated one.
    pub runs_csv_sha256: Option<String>,
    /// The `--set` overrides applied to the scenario text, in order.
    #[serde(default)]
    pub overrides: Vec<crate::scenario::overrides::Override>,
    pub aggregate: Aggregate,
}

/// The base file name of shard `shard`'s part, without extension: `part-K-of-N`.
pub fn part_stem(shard: Shard) -> String {
    format!("part-{}-of-{}", shard.index, shard.count)
}

/// Checks that `parts` (each named, e.g. by its file) come from one study and together cover
/// it exactly once. On success returns the order in which to combine them (by shard index).
/// The error names the offending parts and what differs.
pub fn check_parts(parts: &[(&str, &PartInfo)]) -> Result<Vec<usize>, String> {
    let Some(&(first_name, first)) = parts.first() else {
        return Err("no parts to merge".into());
    };
    for &(name, p) in parts {
        if p.format != PART_FORMAT {
            return Err(format!(
                "{name} is in format `{}`, this brink reads `{PART_FORMAT}`",
                crate::scenario::diag::clip(&p.format, 40)
            ));
        }
        // A hand-made part may claim anything: check what the rest relies on first.
        Shard::new(p.shard.index, p.shard.count).map_err(|e| format!("{name}: {e}"))?;
        if p.unit == 0 || p.start > p.end || p.end > p.total {
            return Err(format!(
                "{name} claims items {}..{} of {} in units of {}; the part is damaged",
                p.start, p.end, p.total, p.unit
            ));
        }
    }
    let mine = env!("CARGO_PKG_VERSION");
    let differ = |what: &str, a: &dyn fmt::Display, name: &str, b: &dyn fmt::Display| {
        format!(
            "{first_name} and {name} come from different {what} ({a} vs {b}); \
             only parts of one study can be merged"
        )
    };
    for &(name, p) in parts {
        if p.brink_version != first.brink_version {
            return Err(differ(
                "brink versions",
                &first.brink_version,
                name,
                &p.brink_version,
            ));
        }
        if p.command != first.command {
            return Err(differ("commands", &first.command, name, &p.command));
        }
        if p.scenario_sha256 != first.scenario_sha256 {
            return Err(differ(
                "scenarios (SHA-256)",
                &first.scenario_sha256,
                name,
                &p.scenario_sha256,
            ));
        }
        if p.seed != first.seed {
            return Err(differ("seeds", &first.seed, name, &p.seed));
        }
        if p.total != first.total {
            return Err(differ("run totals", &first.total, name, &p.total));
        }
        if p.shard.count != first.shard.count {
            return Err(differ(
                "shard counts",
                &first.shard.count,
                name,
                &p.shard.count,
            ));
        }
        if p.unit != first.unit {
            return Err(differ("shard units", &first.unit, name, &p.unit));
        }
    }
    if first.brink_version != mine {
        return Err(format!(
            "the parts were written by brink {}, this is brink {mine}; merge with the same \
             version",
            first.brink_version
        ));
    }
    let n = first.shard.count;
    let mut by_index: Vec<Option<usize>> = vec![None; n as usize];
    for (i, &(name, p)) in parts.iter().enumerate() {
        let expect = p.shard.range(p.total, p.unit);
        if p.range() != expect {
            return Err(format!(
                "{name} claims items {}..{} but shard {} covers {}..{}; the part is damaged",
                p.start, p.end, p.shard, expect.start, expect.end
            ));
        }
        let slot = &mut by_index[p.shard.index as usize];
        if let Some(j) = *slot {
            return Err(format!(
                "{} and {name} overlap: both are shard {}",
                parts[j].0, p.shard
            ));
        }
        *slot = Some(i);
    }
    let missing: Vec<String> = by_index
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(k, _)| k.to_string())
        .collect();
    if !missing.is_empty() {
        let shown = if missing.len() > 20 {
            format!(
                "{} and {} more",
                missing[..20].join(", "),
                missing.len() - 20
            )
        } else {
            missing.join(", ")
        };
        return Err(format!(
            "shards missing: {shown} (of 0..{}); merge needs every part",
            n - 1
        ));
    }
    Ok(by_index.into_iter().map(|s| s.unwrap()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_tile_the_study_on_unit_boundaries() {
        for &(total, unit, count) in &[
            (10_000u64, 1024u64, 4u64),
            (10_000, 1024, 1),
            (10_000, 1024, 3),
            (1, 1024, 4),
            (5000, 1024, 7),
            (4096, 1024, 4),
            (17, 1, 5),
        ] {
            let mut next = 0;
            for k in 0..count {
                let r = Shard::new(k, count).unwrap().range(total, unit);
                assert_eq!(r.start, next, "{total} {unit} {k}/{count}");
                assert!(r.start.is_multiple_of(unit) || r.start == total);
                assert!(r.end.is_multiple_of(unit) || r.end == total);
                next = r.end;
            }
            assert_eq!(next, total);
        }
        // Balanced: 10 chunks in 4 shards are 2, 3, 2, 3 chunks.
        let sizes: Vec<u64> = (0..4)
            .map(|k| {
                let r = Shard::new(k, 4).unwrap().range(10 * 1024, 1024);
                (r.end - r.start) / 1024
            })
            .collect();
        assert_eq!(sizes, [2, 3, 2, 3]);
    }

    #[test]
    fn parse_accepts_k_of_n_and_explains_mistakes() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert!(Shard::parse("4/4").unwrap_err().contains("count from 0"));
        assert!(Shard::parse("1/0").unwrap_err().contains("at least 1"));
        // Refused at once, not only by a merge.
        assert!(
            Shard::parse("0/18446744073709551615")
                .unwrap_err()
                .contains("at most 1048576 shards")
        );
        assert!(Shard::parse("2").unwrap_err().contains("expected K/N"));
        assert!(Shard::parse("a/b").unwrap_err().contains("expected K/N"));
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn slurm_and_kubernetes_environments_give_the_shard() {
        assert_eq!(from_env(env(&[])), Ok(None));
        let s = from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]));
        assert_eq!(s, Ok(Some(Shard { index: 2, count: 4 })));
        let s = from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "4"),
        ]));
        assert_eq!(s, Ok(Some(Shard { index: 3, count: 4 })));
        let e = from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "8"),
            ("SLURM_ARRAY_TASK_STEP", "4"),
        ]));
        assert!(e.unwrap_err().contains("steps by 4"));
        let e = from_env(env(&[("SLURM_ARRAY_TASK_ID", "1")]));
        assert!(e.unwrap_err().contains("SLURM_ARRAY_TASK_COUNT"));
        let s = from_env(env(&[
            ("JOB_COMPLETION_INDEX", "0"),
            ("BRINK_SHARD_COUNT", "3"),
        ]));
        assert_eq!(s, Ok(Some(Shard { index: 0, count: 3 })));
        let e = from_env(env(&[("JOB_COMPLETION_INDEX", "0")]));
        assert!(e.unwrap_err().contains("spec.completions"));
        let e = from_env(env(&[
            ("JOB_COMPLETION_INDEX", "3"),
            ("BRINK_SHARD_COUNT", "3"),
        ]));
        assert!(e.unwrap_err().contains("count from 0"));
        let e = from_env(env(&[("JOB_COMPLETION_INDEX", "x")]));
        assert!(e.unwrap_err().contains("JOB_COMPLETION_INDEX"));
    }

    fn info(k: u64, n: u64) -> PartInfo {
        PartInfo::new("run", "abc", 7, 10_000, 1024, Shard::new(k, n).unwrap())
    }

    #[test]
    fn check_parts_orders_a_complete_set_and_names_what_is_wrong() {
        let (a, b, c) = (info(0, 3), info(1, 3), info(2, 3));
        let ok = check_parts(&[("c", &c), ("a", &a), ("b", &b)]).unwrap();
        assert_eq!(ok, [1, 2, 0]);

        let e = check_parts(&[("a", &a), ("b", &b)]).unwrap_err();
        assert!(e.contains("shards missing: 2"), "{e}");
        let e = check_parts(&[("a", &a), ("a2", &a), ("b", &b), ("c", &c)]).unwrap_err();
        assert!(e.contains("a and a2 overlap"), "{e}");

        let mut other = c.clone();
        other.seed = 8;
        let e = check_parts(&[("a", &a), ("b", &b), ("c", &other)]).unwrap_err();
        assert!(e.contains("a and c") && e.contains("seeds (7 vs 8)"), "{e}");
        let mut other = c.clone();
        other.scenario_sha256 = "def".into();
        let e = check_parts(&[("a", &a), ("b", &b), ("c", &other)]).unwrap_err();
        assert!(e.contains("scenarios"), "{e}");
        let mut other = c.clone();
        other.total = 20_000;
        let e = check_parts(&[("a", &a), ("b", &b), ("c", &other)]).unwrap_err();
        assert!(e.contains("run totals"), "{e}");
        let mut other = c.clone();
        other.brink_version = "0.0.1".into();
        let e = check_parts(&[("a", &a), ("b", &b), ("c", &other)]).unwrap_err();
        assert!(e.contains("brink versions"), "{e}");
        let e = check_parts(&[("a", &a), ("b", &b), ("x", &info(2, 4))]).unwrap_err();
        assert!(e.contains("shard counts"), "{e}");
        let mut other = c.clone();
        other.start = 0;
        let e = check_parts(&[("a", &a), ("b", &b), ("c", &other)]).unwrap_err();
        assert!(e.contains("damaged"), "{e}");
        // Hand-made parts: a shard index past the count, no shards, no unit. These panicked
        // (index out of bounds, divide by zero) on the old main.
        let mut other = c.clone();
        other.shard.index = 7;
        let e = check_parts(&[("a", &a), ("b", &b), ("c", &other)]).unwrap_err();
        assert!(e.contains("c: shard 7 does not exist"), "{e}");
        let mut other = c.clone();
        other.shard = Shard { index: 0, count: 0 };
        let e = check_parts(&[("c", &other)]).unwrap_err();
        assert!(e.contains("at least 1"), "{e}");
        let mut other = c.clone();
        other.unit = 0;
        let e = check_parts(&[("a", &a), ("b", &b), ("c", &other)]).unwrap_err();
        assert!(e.contains("damaged"), "{e}");
    }
}
