//! `[[correlations]]`: rank correlation between uncertain parameters, drawn by Iman–Conover.
//!
//! ```toml
//! [[correlations]]
//! params = ["tracks.iran_nuclear.drift", "tracks.iran_missiles.drift"]
//! rank = 0.6                    # Spearman rank correlation of a pair
//! source = "..."
//!
//! [[correlations]]              # three or more: a matrix, in the order of `params`
//! params = ["a", "b", "c"]
//! matrix = [[1, 0.5, 0.3], [0.5, 1, 0.2], [0.3, 0.2, 1]]
//! ```
//!
//! Parameters are named by their key path (as in runs.csv) and must be uncertain. Blocks that
//! share a parameter join into one group with one matrix (pairs no block names are
//! uncorrelated); a pair given two different values is refused. A group's matrix must be
//! symmetric with a unit diagonal, entries in [−1, 1], and positive semi-definite (checked by
//! Cholesky); otherwise the message shows a nearby valid matrix (eigenvalues clipped, found by
//! Jacobi rotations, and the diagonal rescaled to 1) and the smallest eigenvalue.
//!
//! Sampling (Iman and Conover 1982) works on fixed blocks of `BLOCK` consecutive run indices,
//! block b being runs b·BLOCK .. (b+1)·BLOCK, always whole, so a run's values depend only on
//! (scenario, seed, run index), never on threads, shards or how many runs were asked for. For
//! each group and block:
//! 1. every member draws its BLOCK values exactly as an uncorrelated parameter would (its own
//!    stream keyed by (seed, path, run));
//! 2. a score matrix M gets, in each column, an independent random permutation of the van der
//!    Waerden scores Φ⁻¹(i/(BLOCK+1)) (the permutations from the group's own stream keyed by
//!    (seed, member paths, block));
//! 3. M is corrected by its own sample correlation E = F·Fᵀ and given the target's, T =
//!    M·F⁻ᵀ·Pᵀ, so that T's sample correlation is exactly P·Pᵀ (Iman and Conover's
//!    correction). P·Pᵀ is the Pearson correlation 2·sin(π·ρ/6) of each Spearman ρ asked for:
//!    for normal scores that is the Pearson correlation whose rank correlation is ρ;
//! 4. each member's values are reordered so that their ranks follow T's column (ties broken
//!    by run index): run r gets the value whose rank is the rank of `T[r]`.
//!
//! A member's values within a block are therefore exactly the values it would draw
//! uncorrelated, in another order: its marginal distribution is untouched.

use serde::Deserialize;
use toml::Spanned;
use toml::de::DeValue;

use super::build::Builder;
use super::diag::suggest;
use crate::model::ParamSpec;
use crate::rng::{Rng, StreamKey};

/// Runs per block of the correlated draw: the engine's chunk, so that a chunk computes one
/// block per group.
pub const BLOCK: usize = crate::engine::CHUNK as usize;

/// One `[[correlations]]` block as written.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CorrelationConfig {
    /// Key paths of uncertain parameters, as in runs.csv.
    params: Vec<String>,
    /// Spearman rank correlation of a pair (two params).
    rank: Option<f64>,
    /// Spearman rank correlation matrix, in the order of `params` (two or more).
    matrix: Option<Vec<Vec<f64>>>,
    #[allow(dead_code)]
    source: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

/// Parameters whose draws are rank-correlated, compiled.
#[derive(Clone, Debug)]
pub struct CorrelationGroup {
    /// Indices into `Scenario::params`, ordered by key path (so moving tables in the file
    /// changes nothing).
    pub members: Vec<usize>,
    /// The Spearman rank correlations asked for, k×k row-major, in the order of `members`.
    pub rank: Vec<f64>,
    /// Lower Cholesky factor P (k×k row-major) of the scores' target Pearson correlation.
    pub factor: Vec<f64>,
}

/// Compiles the `[[correlations]]` blocks against the parameters registered so far.
pub(crate) fn compile(value: &Spanned<DeValue>, b: &mut Builder) -> Vec<CorrelationGroup> {
    let Some(blocks) = b.de::<Vec<CorrelationConfig>>("correlations", value) else {
        return Vec::new();
    };
    let uncertain: Vec<&str> = b
        .params
        .iter()
        .filter(|p| !p.dist.is_fixed())
        .map(|p| p.path.as_str())
        .collect();
    let uncertain: Vec<String> = uncertain.into_iter().map(str::to_string).collect();
    // Each pair's value: (param a, param b) with a < b -> (value, block).
    let mut pairs: Vec<((usize, usize), f64, usize)> = Vec::new();
    let mut ok = true;
    for (k, c) in blocks.iter().enumerate() {
        let at = |key: &str| format!("correlations[{k}].{key}");
        let mut ids = Vec::new();
        for (i, path) in c.params.iter().enumerate() {
            let here = format!("correlations[{k}].params[{i}]");
            match b.params.iter().position(|p| &p.path == path) {
                None => {
                    let names: Vec<&str> = uncertain.iter().map(String::as_str).collect();
                    b.error_help(
                        here,
                        format!("unknown parameter `{path}`"),
                        suggest(path, &names),
                    );
                    ok = false;
                }
                Some(id) if b.params[id].dist.is_fixed() => {
                    b.error_help(
                        here,
                        format!(
                            "`{path}` is fixed at {}: only uncertain parameters can be correlated",
                            b.params[id].dist.to_toml_string()
                        ),
                        "give it a distribution, such as { uniform = [lo, hi] } or \"lo to hi\"",
                    );
                    ok = false;
                }
                Some(id) if ids.contains(&id) => {
                    b.error(here, format!("`{path}` is named twice in this block"));
                    ok = false;
                }
                Some(id) => ids.push(id),
            }
        }
        if c.params.len() < 2 {
            b.error(at("params"), "a correlation names at least two parameters");
            continue;
        }
        let n = c.params.len();
        let values: Vec<Vec<f64>> = match (&c.rank, &c.matrix) {
            (Some(_), Some(_)) | (None, None) => {
                b.error_help(
                    format!("correlations[{k}]"),
                    "a correlation gives either `rank` (a pair) or `matrix` (two or more)",
                    "write rank = 0.6 for two parameters, or matrix = [[1, r12, ...], ...] in the \
                     order of params",
                );
                continue;
            }
            (Some(r), None) => {
                if n != 2 {
                    b.error_help(
                        at("rank"),
                        format!("`rank` correlates a pair, but params names {n}"),
                        format!("give a {n}×{n} `matrix` in the order of params"),
                    );
                    continue;
                }
                if !(-1.0..=1.0).contains(r) {
                    b.error(
                        at("rank"),
                        format!("a rank correlation lies in [-1, 1], got {r}"),
                    );
                    continue;
                }
                vec![vec![1.0, *r], vec![*r, 1.0]]
            }
            (None, Some(m)) => {
                if m.len() != n || m.iter().any(|row| row.len() != n) {
                    b.error(
                        at("matrix"),
                        format!(
                            "the matrix must be {n}×{n}, one row and column per parameter in \
                             params"
                        ),
                    );
                    continue;
                }
                let mut good = true;
                for (i, row) in m.iter().enumerate() {
                    for (j, &x) in row.iter().enumerate() {
                        let cell = format!("correlations[{k}].matrix[{i}][{j}]");
                        if i == j && x != 1.0 {
                            b.error(
                                cell,
                                format!("the diagonal of a correlation matrix is 1, got {x}"),
                            );
                            good = false;
                        } else if !(-1.0..=1.0).contains(&x) {
                            b.error(cell, format!("a rank correlation lies in [-1, 1], got {x}"));
                            good = false;
                        } else if j > i && (x - m[j][i]).abs() > 1e-12 {
                            b.error_help(
                                cell,
                                format!(
                                    "the matrix is not symmetric: row {i} column {j} is {x}, \
                                     row {j} column {i} is {}",
                                    m[j][i]
                                ),
                                "each pair's correlation appears twice, mirrored across the \
                                 diagonal; make both the same",
                            );
                            good = false;
                        }
                    }
                }
                if !good {
                    continue;
                }
                m.clone()
            }
        };
        if ids.len() != n {
            continue;
        }
        for i in 0..n {
            for j in i + 1..n {
                let (a, bb, v) = if ids[i] < ids[j] {
                    (ids[i], ids[j], values[i][j])
                } else {
                    (ids[j], ids[i], values[i][j])
                };
                match pairs.iter().find(|(p, _, _)| *p == (a, bb)) {
                    Some(&(_, w, other)) if (w - v).abs() > 1e-12 => {
                        b.error_help(
                            at(if c.rank.is_some() { "rank" } else { "matrix" }),
                            format!(
                                "the correlation of `{}` and `{}` is given twice: {v} here and \
                                 {w} in correlations[{other}]",
                                b.params[a].path, b.params[bb].path
                            ),
                            "give each pair once",
                        );
                        ok = false;
                    }
                    Some(_) => {}
                    None => pairs.push(((a, bb), v, k)),
                }
            }
        }
    }
    if !ok {
        return Vec::new();
    }
    groups(&pairs, b)
}

/// Joins pairs that share a parameter into groups and checks each group's matrix.
fn groups(pairs: &[((usize, usize), f64, usize)], b: &mut Builder) -> Vec<CorrelationGroup> {
    // Union-find over parameter indices.
    let n = b.params.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for &((a, c), _, _) in pairs {
        let (ra, rc) = (root(&mut parent, a), root(&mut parent, c));
        parent[ra.max(rc)] = ra.min(rc);
    }
    let mut roots: Vec<usize> = Vec::new();
    for &((a, _), _, _) in pairs {
        let r = root(&mut parent, a);
        if !roots.contains(&r) {
            roots.push(r);
        }
    }
    let mut out = Vec::new();
    for r in roots {
        let mut members: Vec<usize> = (0..n).filter(|&i| root(&mut parent, i) == r).collect();
        members.sort_by(|x, y| b.params[*x].path.cmp(&b.params[*y].path));
        let k = members.len();
        let mut rank = vec![0.0; k * k];
        let mut first_block = usize::MAX;
        let mut blocks = Vec::new();
        for i in 0..k {
            rank[i * k + i] = 1.0;
        }
        for &((a, c), v, block) in pairs {
            if let (Some(i), Some(j)) = (
                members.iter().position(|&m| m == a),
                members.iter().position(|&m| m == c),
            ) {
                rank[i * k + j] = v;
                rank[j * k + i] = v;
                first_block = first_block.min(block);
                if !blocks.contains(&block) {
                    blocks.push(block);
                }
            }
        }
        if cholesky(&rank, k).is_none() {
            let paths: Vec<&str> = members.iter().map(|&m| b.params[m].path.as_str()).collect();
            let (lowest, repaired) = repair(&rank, k);
            let what = if blocks.len() == 1 {
                "matrix"
            } else {
                "params"
            };
            let names = paths
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let joined = if blocks.len() == 1 {
                String::new()
            } else {
                format!(
                    " (correlations {} together)",
                    blocks
                        .iter()
                        .map(|x| format!("[{x}]"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            b.error_help(
                format!("correlations[{first_block}].{what}"),
                format!(
                    "the rank correlations of {names}{joined} cannot hold together: their matrix \
                     is not positive semi-definite (smallest eigenvalue {lowest:.4})"
                ),
                format!(
                    "a nearby valid matrix (eigenvalues clipped, unit diagonal restored) is \
                     params = [{}] with matrix = {}",
                    paths
                        .iter()
                        .map(|p| format!("\"{p}\""))
                        .collect::<Vec<_>>()
                        .join(", "),
                    toml_matrix(&repaired, k)
                ),
            );
            continue;
        }
        // The scores' Pearson target: the correlation of normal variables whose Spearman
        // correlation is the one asked for.
        let mut pearson: Vec<f64> = rank
            .iter()
            .map(|&r| 2.0 * crate::math::sin(std::f64::consts::PI * r / 6.0))
            .collect();
        let factor = match cholesky(&pearson, k) {
            Some(f) => f,
            None => {
                // Rare: a valid rank matrix whose transform is not. Use the nearest valid one.
                pearson = clip(&pearson, k, 0.0);
                cholesky(&pearson, k).unwrap_or_else(|| identity(k))
            }
        };
        out.push(CorrelationGroup {
            members,
            rank,
            factor,
        });
    }
    out
}

fn identity(k: usize) -> Vec<f64> {
    let mut m = vec![0.0; k * k];
    for i in 0..k {
        m[i * k + i] = 1.0;
    }
    m
}

/// Lower Cholesky factor of a symmetric positive semi-definite k×k matrix (row-major), or None
/// if it is not positive semi-definite. A zero pivot (a singular but valid matrix, such as a
/// correlation of exactly 1) gives a zero column.
pub fn cholesky(a: &[f64], k: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; k * k];
    cholesky_into(a, k, &mut l).then_some(l)
}

/// `cholesky` into a buffer, without allocating; false if not positive semi-definite.
fn cholesky_into(a: &[f64], k: usize, l: &mut [f64]) -> bool {
    const TOL: f64 = 1e-10;
    l.fill(0.0);
    for j in 0..k {
        let d = a[j * k + j] - (0..j).map(|p| l[j * k + p] * l[j * k + p]).sum::<f64>();
        if d < -TOL {
            return false;
        }
        if d <= TOL {
            // A zero pivot: the rest of the column must vanish too.
            for i in j + 1..k {
                let s = a[i * k + j] - (0..j).map(|p| l[i * k + p] * l[j * k + p]).sum::<f64>();
                if s.abs() > 1e-8 {
                    return false;
                }
            }
            continue;
        }
        let djj = d.sqrt();
        l[j * k + j] = djj;
        for i in j + 1..k {
            let s = a[i * k + j] - (0..j).map(|p| l[i * k + p] * l[j * k + p]).sum::<f64>();
            l[i * k + j] = s / djj;
        }
    }
    true
}

/// Eigenvalues and eigenvectors (columns of the returned k×k row-major matrix) of a symmetric
/// matrix, by cyclic Jacobi rotations: exact enough and simple for the few parameters a group
/// holds.
pub fn jacobi_eigen(a: &[f64], k: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = a.to_vec();
    let mut v = identity(k);
    for _sweep in 0..100 {
        let off: f64 = (0..k)
            .flat_map(|i| (0..k).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * k + j] * a[i * k + j])
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..k {
            for q in p + 1..k {
                let apq = a[p * k + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * k + q] - a[p * k + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for r in 0..k {
                    let (arp, arq) = (a[r * k + p], a[r * k + q]);
                    a[r * k + p] = c * arp - s * arq;
                    a[r * k + q] = s * arp + c * arq;
                }
                for r in 0..k {
                    let (apr, aqr) = (a[p * k + r], a[q * k + r]);
                    a[p * k + r] = c * apr - s * aqr;
                    a[q * k + r] = s * apr + c * aqr;
                }
                for r in 0..k {
                    let (vrp, vrq) = (v[r * k + p], v[r * k + q]);
                    v[r * k + p] = c * vrp - s * vrq;
                    v[r * k + q] = s * vrp + c * vrq;
                }
            }
        }
    }
    ((0..k).map(|i| a[i * k + i]).collect(), v)
}

/// The correlation matrix with `a`'s eigenvectors and its eigenvalues raised to at least
/// `floor`, rescaled to a unit diagonal.
fn clip(a: &[f64], k: usize, floor: f64) -> Vec<f64> {
    let (values, v) = jacobi_eigen(a, k);
    let mut m = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            m[i * k + j] = (0..k)
                .map(|e| v[i * k + e] * values[e].max(floor) * v[j * k + e])
                .sum();
        }
    }
    let d: Vec<f64> = (0..k).map(|i| m[i * k + i].sqrt()).collect();
    for i in 0..k {
        for j in 0..k {
            m[i * k + j] = if i == j {
                1.0
            } else {
                m[i * k + j] / (d[i] * d[j])
            };
        }
    }
    m
}

/// The smallest eigenvalue of `a` and a nearby valid correlation matrix, rounded to three
/// decimals and still positive definite once rounded (the clipping floor grows until it is).
fn repair(a: &[f64], k: usize) -> (f64, Vec<f64>) {
    let (values, _) = jacobi_eigen(a, k);
    let lowest = values.iter().copied().fold(f64::INFINITY, f64::min);
    let mut floor = 0.005;
    loop {
        let m: Vec<f64> = clip(a, k, floor)
            .into_iter()
            .map(|x| (x * 1000.0).round() / 1000.0)
            .collect();
        let (vals, _) = jacobi_eigen(&m, k);
        if vals.iter().all(|&x| x > 1e-6) || floor >= 0.5 {
            return (lowest, m);
        }
        floor *= 2.0;
    }
}

fn toml_matrix(m: &[f64], k: usize) -> String {
    let rows: Vec<String> = (0..k)
        .map(|i| {
            let cells: Vec<String> = (0..k).map(|j| format!("{}", m[i * k + j])).collect();
            format!("[{}]", cells.join(", "))
        })
        .collect();
    format!("[{}]", rows.join(", "))
}

/// A scenario's correlation groups bound to a seed: the streams each group draws from.
pub struct Correlator {
    groups: Vec<Bound>,
    /// The van der Waerden scores Φ⁻¹(i/(BLOCK+1)), i = 1..=BLOCK.
    scores: Vec<f64>,
}

struct Bound {
    group: CorrelationGroup,
    /// Each member's own stream, as an uncorrelated parameter's.
    keys: Vec<StreamKey>,
    /// The group's stream for the score permutations, one run of it per block.
    perm: StreamKey,
}

/// One workspace's copy of the current block's correlated values, with the scratch space to
/// compute the next block without allocating.
pub struct BlockCache {
    block: u64,
    groups: Vec<Buffers>,
    rng: Rng,
}

struct Buffers {
    /// Member j's value for run offset r at `values[j * BLOCK + r]`.
    values: Vec<f64>,
    /// Scores, then the target scores T, column-major like `values`.
    scores: Vec<f64>,
    target: Vec<f64>,
    order: Vec<u32>,
    sorted: Vec<f64>,
    /// k×k: the scores' sample correlation and its Cholesky factor; a row of scores.
    e: Vec<f64>,
    f: Vec<f64>,
    row: Vec<f64>,
    z: Vec<f64>,
}

const NO_BLOCK: u64 = u64::MAX;

impl Correlator {
    pub fn new(groups: &[CorrelationGroup], params: &[ParamSpec], seed: u64) -> Correlator {
        let normal = statrs::distribution::Normal::new(0.0, 1.0).expect("standard normal");
        let scores = if groups.is_empty() {
            Vec::new()
        } else {
            use statrs::distribution::ContinuousCDF;
            (1..=BLOCK)
                .map(|i| normal.inverse_cdf(i as f64 / (BLOCK as f64 + 1.0)))
                .collect()
        };
        Correlator {
            groups: groups
                .iter()
                .map(|g| {
                    let paths: Vec<&str> =
                        g.members.iter().map(|&m| params[m].path.as_str()).collect();
                    Bound {
                        group: g.clone(),
                        keys: g
                            .members
                            .iter()
                            .map(|&m| StreamKey::new(seed, &format!("param:{}", params[m].path)))
                            .collect(),
                        perm: StreamKey::new(seed, &format!("correlation:{}", paths.join(","))),
                    }
                })
                .collect(),
            scores,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Whether parameter `i` is drawn by a group.
    pub fn draws(&self, i: usize) -> bool {
        self.groups.iter().any(|g| g.group.members.contains(&i))
    }

    /// A workspace's cache, allocated once.
    pub fn cache(&self) -> BlockCache {
        BlockCache {
            block: NO_BLOCK,
            groups: self
                .groups
                .iter()
                .map(|g| {
                    let k = g.group.members.len();
                    Buffers {
                        values: vec![0.0; k * BLOCK],
                        scores: vec![0.0; k * BLOCK],
                        target: vec![0.0; k * BLOCK],
                        order: vec![0; BLOCK],
                        sorted: vec![0.0; BLOCK],
                        e: vec![0.0; k * k],
                        f: vec![0.0; k * k],
                        row: vec![0.0; k],
                        z: vec![0.0; k],
                    }
                })
                .collect(),
            rng: StreamKey::new(0, "").for_run(0),
        }
    }

    /// Writes run `run`'s value of every correlated parameter into `out` (indexed like
    /// `Scenario::params`), computing the run's block first if the cache holds another.
    pub fn draw(&self, params: &[ParamSpec], run: u64, cache: &mut BlockCache, out: &mut [f64]) {
        let block = run / BLOCK as u64;
        if cache.block != block {
            for (g, buf) in self.groups.iter().zip(&mut cache.groups) {
                self.fill(g, params, block, buf, &mut cache.rng);
            }
            cache.block = block;
        }
        let r = (run % BLOCK as u64) as usize;
        for (g, buf) in self.groups.iter().zip(&cache.groups) {
            for (j, &m) in g.group.members.iter().enumerate() {
                out[m] = buf.values[j * BLOCK + r];
            }
        }
    }

    fn fill(&self, g: &Bound, params: &[ParamSpec], block: u64, buf: &mut Buffers, rng: &mut Rng) {
        let k = g.group.members.len();
        let first = block * BLOCK as u64;
        // 1. Each member's own draws, as if uncorrelated.
        for (j, (&m, key)) in g.group.members.iter().zip(&g.keys).enumerate() {
            for r in 0..BLOCK {
                key.reset(rng, first + r as u64);
                buf.values[j * BLOCK + r] = params[m].dist.sample(rng);
            }
        }
        // 2. Independently permuted scores in every column.
        g.perm.reset(rng, block);
        for j in 0..k {
            let col = &mut buf.scores[j * BLOCK..(j + 1) * BLOCK];
            col.copy_from_slice(&self.scores);
            for i in (1..BLOCK).rev() {
                let s = rand::RngExt::random_range(rng, 0..=i);
                col.swap(i, s);
            }
        }
        // 3. T = M·F⁻ᵀ·Pᵀ: rows of M decorrelated by their own sample correlation, then given
        //    the target's. Each column is a permutation of the same scores, with mean 0 and
        //    the same sum of squares.
        let ss: f64 = self.scores.iter().map(|x| x * x).sum();
        for i in 0..k {
            for j in 0..=i {
                let dot: f64 = (0..BLOCK)
                    .map(|r| buf.scores[i * BLOCK + r] * buf.scores[j * BLOCK + r])
                    .sum();
                buf.e[i * k + j] = dot / ss;
                buf.e[j * k + i] = dot / ss;
            }
        }
        let corrected =
            cholesky_into(&buf.e, k, &mut buf.f) && (0..k).all(|i| buf.f[i * k + i] > 1e-9);
        let p = &g.group.factor;
        for r in 0..BLOCK {
            for j in 0..k {
                buf.row[j] = buf.scores[j * BLOCK + r];
            }
            // z = F⁻¹·row (forward substitution), or the row itself if E had no factor.
            for i in 0..k {
                buf.z[i] = if corrected {
                    let s: f64 = (0..i).map(|q| buf.f[i * k + q] * buf.z[q]).sum();
                    (buf.row[i] - s) / buf.f[i * k + i]
                } else {
                    buf.row[i]
                };
            }
            for i in 0..k {
                buf.target[i * BLOCK + r] = (0..=i).map(|q| p[i * k + q] * buf.z[q]).sum();
            }
        }
        // 4. Each member's values take the ranks of its column of T.
        for j in 0..k {
            let t = &buf.target[j * BLOCK..(j + 1) * BLOCK];
            for (i, o) in buf.order.iter_mut().enumerate() {
                *o = i as u32;
            }
            buf.order
                .sort_unstable_by(|&a, &b| t[a as usize].total_cmp(&t[b as usize]).then(a.cmp(&b)));
            let col = &mut buf.values[j * BLOCK..(j + 1) * BLOCK];
            buf.sorted.copy_from_slice(col);
            buf.sorted.sort_unstable_by(f64::total_cmp);
            for (q, &r) in buf.order.iter().enumerate() {
                col[r as usize] = buf.sorted[q];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_accepts_semi_definite_and_refuses_indefinite() {
        let l = cholesky(&[1.0, 0.6, 0.6, 1.0], 2).unwrap();
        assert!((l[3] - 0.8).abs() < 1e-12);
        // Perfect correlation: singular, valid.
        let l = cholesky(&[1.0, 1.0, 1.0, 1.0], 2).unwrap();
        assert_eq!(l, vec![1.0, 0.0, 1.0, 0.0]);
        // Pairwise fine, jointly impossible.
        let bad = [1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0];
        assert!(cholesky(&bad, 3).is_none());
    }

    #[test]
    fn jacobi_finds_eigenvalues_and_repair_gives_a_valid_matrix() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let (mut v, _) = jacobi_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        v.sort_by(f64::total_cmp);
        assert!((v[0] - 1.0).abs() < 1e-12 && (v[1] - 3.0).abs() < 1e-12);
        // Eigenvalues of the impossible matrix: 1 - 0.9 - ... ; its trace is 3.
        let bad = [1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0];
        let (vals, _) = jacobi_eigen(&bad, 3);
        assert!((vals.iter().sum::<f64>() - 3.0).abs() < 1e-9);
        let (lowest, m) = repair(&bad, 3);
        assert!(lowest < 0.0);
        assert!(cholesky(&m, 3).is_some());
        for i in 0..3 {
            assert_eq!(m[i * 3 + i], 1.0);
            for j in 0..3 {
                assert_eq!(m[i * 3 + j], m[j * 3 + i]);
            }
        }
    }
}
