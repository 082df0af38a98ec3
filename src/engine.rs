//! The simulation engine: one run day by day, and many runs in parallel.
//!
//! Within a day every rule first decides from the start-of-day world (wave 0); the effects are
//! applied together; rules then react to the acts that just took effect, and may answer the
//! same day (wave 1); answers to those answers wait for a later day. Hostilities ending are
//! applied after everything else in a wave, so no rule's order in the file decides a race.
//!
//! Runs are grouped into fixed chunks of `CHUNK` consecutive run indices, which `study` runs in
//! parallel. A chunk's aggregate is integer counts, so merging is exact and order-free; per-run
//! rows are emitted in run order. Nothing here depends on the number of threads.
//!
//! The engine knows nothing about files, CSV or the terminal.

use rand_distr::{Distribution, StandardNormal};

use crate::metrics::{MISSING, Outcome, QuantityDef};
use crate::model::{Act, Effect, NEVER, Note, NoteKind, Scenario, World};
use crate::rng::{Rng, StreamKey};
use crate::rules::Rule;
use crate::stats::Aggregate;

/// Runs per chunk: the unit of parallel work and of per-run output ordering.
pub const CHUNK: u64 = 1024;

/// Observes a run's events as they take effect (traces, event logs). The engine calls it with
/// a no-op implementation in bulk runs, which the compiler removes entirely.
pub trait Recorder {
    fn begin(&mut self, _run: u64, _world: &World) {}
    fn act(&mut self, _day: u32, _act: &Act) {}
    fn note(&mut self, _day: u32, _note: &Note) {}
}

/// Records nothing.
pub struct NoRecord;
impl Recorder for NoRecord {}

/// A scenario bound to a seed: everything needed to run any run index.
pub struct Engine<'a> {
    pub scenario: &'a Scenario,
    pub seed: u64,
    param_keys: Vec<Option<StreamKey>>,
    rule_keys: Vec<StreamKey>,
    track_keys: Vec<StreamKey>,
}

/// Per-worker scratch space, reused across the runs of a chunk so no run allocates.
pub struct Workspace {
    pub world: World,
    /// The rules in id order, each with its stream and wake-up day, side by side because the
    /// daily loop visits all three together.
    rules: Vec<Slot>,
    /// Ask every rule every day, ignoring `Wake`: for the test that proves skipping exact.
    #[doc(hidden)]
    pub ignore_wake: bool,
    param_rng: Rng,
    effects: Vec<Effect>,
    acts: Vec<Act>,
    ends: Vec<(u8, u8, u16)>,
    /// Highest rung any act among the war actors reached this run.
    peak: u8,
    /// Highest level among the war pairs at the end of the last scan of all pairs.
    global: u8,
    /// First day on which the pairs must be scanned again: a level changed, or a pair is due
    /// to calm down.
    scan_due: u32,
    /// Each track's random walk as it stands this run.
    walks: Vec<Walk>,
    intent_next: Vec<bool>,
    restraint_next: Vec<f64>,
    marks: Marks,
    last_act: Vec<u32>,
    war_start: Vec<u32>,
    state_buf: Vec<bool>,
    /// (rule index, number of daily states) of the few rules that report any, so the daily
    /// loop visits only those.
    rule_states: Vec<(usize, usize)>,
    pub outcome: Outcome,
    /// Parameters set instead of drawn, as (index into `Scenario::params`, value): how
    /// sensitivity analysis evaluates a run at chosen parameter values. Empty in normal runs.
    pub set_params: Vec<(usize, f64)>,
    /// Daily state counts accumulated over the runs of this workspace: `[state * horizon + day]`.
    pub daily: Vec<u64>,
}

/// A track's daily dynamics in one run: `value += drift + noise * N(0, 1)`, kept in bounds.
struct Walk {
    drift: f64,
    noise: f64,
    min: f64,
    max: f64,
    frozen: bool,
    rng: Rng,
}

/// One rule's place in a workspace.
struct Slot {
    /// First day on which the rule must be asked to decide again (see `rules::Wake`).
    wake: u32,
    rng: Rng,
    rule: Box<dyn Rule>,
}

/// Which of the intent and restraint tables may differ from their resting values (no intent;
/// restraint 1), so the end of a quiet day need not reset them. Today's intent table has its
/// mark in `World::any_intent`, where rules can see it too.
#[derive(Clone, Copy, Default)]
struct Marks {
    intent_next: bool,
    restraint: bool,
    restraint_next: bool,
}

impl<'a> Engine<'a> {
    pub fn new(scenario: &'a Scenario, seed: u64) -> Engine<'a> {
        Engine {
            scenario,
            seed,
            param_keys: scenario
                .params
                .iter()
                .map(|p| {
                    (!p.dist.is_fixed()).then(|| StreamKey::new(seed, &format!("param:{}", p.path)))
                })
                .collect(),
            rule_keys: scenario
                .rule_ids
                .iter()
                .map(|id| StreamKey::new(seed, &format!("rule:{id}")))
                .collect(),
            track_keys: scenario
                .tracks
                .iter()
                .map(|t| StreamKey::new(seed, &format!("track:{}", t.id)))
                .collect(),
        }
    }

    pub fn workspace(&self) -> Workspace {
        let sc = self.scenario;
        let n = sc.n_actors();
        let nt = sc.tracks.len();
        let h = sc.horizon as usize;
        let dummy = StreamKey::new(0, "");
        let n_states: usize = sc.metrics.states.len();
        let rule_states: Vec<(usize, usize)> = sc
            .rules
            .iter()
            .map(|r| r.state_names().len())
            .enumerate()
            .filter(|&(_, k)| k > 0)
            .collect();
        let max_rule_states = rule_states.iter().map(|&(_, k)| k).max().unwrap_or(0);
        Workspace {
            world: World {
                day: 0,
                n,
                params: vec![0.0; sc.params.len()],
                tracks: vec![0.0; nt],
                track_history: vec![0.0; nt * h],
                level: vec![0; n * n],
                epoch: vec![0; n * n],
                intent: vec![false; n * n],
                any_intent: false,
                restraint: vec![1.0; n * n],
                scale: vec![1.0; sc.rules.len()],
                ended: vec![NEVER; n * n],
                hostile_pairs: 0,
            },
            rules: sc
                .rules
                .iter()
                .map(|rule| Slot {
                    wake: 0,
                    rng: dummy.for_run(0),
                    rule: rule.clone(),
                })
                .collect(),
            ignore_wake: false,
            param_rng: dummy.for_run(0),
            effects: Vec::with_capacity(256),
            acts: Vec::with_capacity(64),
            ends: Vec::with_capacity(32),
            peak: 0,
            global: 0,
            scan_due: 0,
            walks: sc
                .tracks
                .iter()
                .map(|tr| Walk {
                    drift: 0.0,
                    noise: 0.0,
                    min: tr.min,
                    max: tr.max,
                    frozen: false,
                    rng: dummy.for_run(0),
                })
                .collect(),
            intent_next: vec![false; n * n],
            restraint_next: vec![1.0; n * n],
            marks: Marks::default(),
            last_act: vec![NEVER; n * n],
            war_start: vec![NEVER; n * n],
            state_buf: vec![false; max_rule_states],
            rule_states,
            outcome: Outcome::new(&sc.metrics),
            set_params: Vec::new(),
            daily: vec![0; n_states * h],
        }
    }

    /// Simulates run `run`; its outcomes are left in `ws.outcome` and its daily states are
    /// added to `ws.daily`.
    pub fn simulate<R: Recorder>(&self, run: u64, ws: &mut Workspace, rec: &mut R) {
        let sc = self.scenario;
        self.begin(run, ws);
        rec.begin(run, &ws.world);
        let mut war_start = NEVER;
        let mut war_days = 0u32;
        let mut first_war = MISSING;
        for day in 0..sc.horizon {
            ws.world.day = day;
            let nt = ws.world.tracks.len();

            ws.effects.clear();
            for slot in &mut ws.rules {
                if day >= slot.wake || ws.ignore_wake {
                    let wake = slot.rule.decide(&ws.world, &mut slot.rng, &mut ws.effects);
                    slot.wake = wake.day(day);
                }
            }
            self.apply(ws, rec);
            for same_day in [true, false] {
                if ws.acts.is_empty() {
                    break;
                }
                let acts = std::mem::take(&mut ws.acts);
                ws.effects.clear();
                for slot in &mut ws.rules {
                    let rng = &mut slot.rng;
                    slot.rule
                        .react(&acts, same_day, &ws.world, rng, &mut ws.effects);
                }
                ws.acts = acts;
                ws.acts.clear();
                self.apply(ws, rec);
            }
            ws.acts.clear();

            // End of day: quiet pairs below war level calm down; war accounting; states.
            // Levels change only by acts, ends of hostilities and calming down, so the scan
            // over all pairs is needed only on a day with one of those (`scan_due`).
            let war_level = sc.war_level;
            if ws.world.hostile_pairs == 0 {
                ws.global = 0;
            } else if day >= ws.scan_due {
                let mut global = 0u8;
                let mut due = NEVER;
                for i in 0..ws.world.level.len() {
                    let l = ws.world.level[i];
                    if l == 0 {
                        continue;
                    }
                    if l < war_level {
                        let calm = ws.last_act[i].saturating_add(sc.calm_after_days);
                        if day >= calm {
                            ws.world.level[i] = 0;
                            ws.world.hostile_pairs -= 1;
                            continue;
                        }
                        due = due.min(calm);
                    }
                    if l > global && sc.war_pairs[i] {
                        global = l;
                    }
                }
                ws.global = global;
                ws.scan_due = due;
            }
            let global = ws.global;
            if global >= war_level {
                war_days += 1;
                if war_start == NEVER && first_war == MISSING {
                    war_start = day;
                }
            } else if war_start != NEVER && first_war == MISSING {
                first_war = day - war_start;
                war_start = NEVER;
            }
            let h = sc.horizon as usize;
            let mut s = 0;
            for level in 1..sc.ladder.len() {
                if global as usize >= level {
                    ws.daily[s * h + day as usize] += 1;
                }
                s += 1;
            }
            for &(r, k) in &ws.rule_states {
                ws.rules[r].rule.states(&mut ws.state_buf[..k]);
                for j in 0..k {
                    if ws.state_buf[j] {
                        ws.daily[(s + j) * h + day as usize] += 1;
                    }
                }
                s += k;
            }
            // Tomorrow's intent and restraint become current. Most days nobody prepares a
            // strike and no channel is open, and then both tables are already at rest.
            if ws.world.any_intent || ws.marks.intent_next {
                std::mem::swap(&mut ws.world.intent, &mut ws.intent_next);
                ws.intent_next.fill(false);
                ws.world.any_intent = std::mem::take(&mut ws.marks.intent_next);
            }
            if ws.marks.restraint || ws.marks.restraint_next {
                // A change of restraint changes sleeping rules' hazards: wake them to redraw.
                if ws.world.restraint != ws.restraint_next {
                    wake_all(&mut ws.rules);
                }
                std::mem::swap(&mut ws.world.restraint, &mut ws.restraint_next);
                ws.restraint_next.fill(1.0);
                ws.marks.restraint = std::mem::take(&mut ws.marks.restraint_next);
            }
            // Tracks move overnight; tomorrow's starting values go into the history that
            // lagged intelligence reads.
            // (Written inside the loop: a separate copy of a few values becomes a memcpy call.)
            let next_row = (day as usize + 1) * nt;
            let mut history = ws.world.track_history.get_mut(next_row..next_row + nt);
            for (t, (v, walk)) in ws.world.tracks.iter_mut().zip(&mut ws.walks).enumerate() {
                if !walk.frozen {
                    let mut x = *v + walk.drift;
                    if walk.noise > 0.0 {
                        let z: f64 = StandardNormal.sample(&mut walk.rng);
                        x += walk.noise * z;
                    }
                    *v = x.clamp(walk.min, walk.max);
                }
                if let Some(row) = history.as_deref_mut() {
                    row[t] = *v;
                }
            }
        }
        if war_start != NEVER && first_war == MISSING {
            first_war = sc.horizon - war_start;
        }
        let m = &sc.metrics;
        m.finish_counts(&mut ws.outcome);
        for (q, metric) in m.quantities.iter().enumerate() {
            let v = match metric.def {
                QuantityDef::PeakLevel => u32::from(ws.peak),
                QuantityDef::WarDays => war_days,
                QuantityDef::WarDuration => first_war,
                QuantityDef::FinalTrack(t) => {
                    let b = &metric.binning;
                    (((ws.world.tracks[t] - b.lo) / b.step).round().max(0.0) as u32).min(b.max_bin)
                }
                QuantityDef::Delay(_) | QuantityDef::Count(_) => continue,
            };
            ws.outcome.values[q] = v;
        }
    }

    fn begin(&self, run: u64, ws: &mut Workspace) {
        let sc = self.scenario;
        let w = &mut ws.world;
        w.day = 0;
        for (i, p) in sc.params.iter().enumerate() {
            w.params[i] = match &self.param_keys[i] {
                None => p.dist.sample(&mut ws.param_rng),
                Some(key) => {
                    key.reset(&mut ws.param_rng, run);
                    p.dist.sample(&mut ws.param_rng)
                }
            };
        }
        for &(i, v) in &ws.set_params {
            w.params[i] = v;
        }
        for (t, tr) in sc.tracks.iter().enumerate() {
            w.tracks[t] = w.params[tr.initial as usize];
            w.track_history[t] = w.tracks[t];
            let walk = &mut ws.walks[t];
            walk.drift = w.params[tr.drift as usize];
            walk.noise = w.params[tr.noise as usize];
            walk.frozen = false;
            self.track_keys[t].reset(&mut walk.rng, run);
        }
        w.level.fill(0);
        w.hostile_pairs = 0;
        w.epoch.fill(0);
        w.intent.fill(false);
        w.any_intent = false;
        w.restraint.fill(1.0);
        w.scale.fill(1.0);
        w.ended.fill(NEVER);
        ws.peak = 0;
        ws.global = 0;
        ws.scan_due = 0;
        ws.intent_next.fill(false);
        ws.restraint_next.fill(1.0);
        ws.marks = Marks::default();
        ws.last_act.fill(NEVER);
        ws.war_start.fill(NEVER);
        ws.outcome.reset();
        for (slot, key) in ws.rules.iter_mut().zip(&self.rule_keys) {
            slot.wake = 0;
            key.reset(&mut slot.rng, run);
            slot.rule.begin_run(&ws.world, &mut slot.rng);
        }
    }

    /// Applies `ws.effects` (which may grow while commands run), collecting acts in `ws.acts`.
    fn apply<R: Recorder>(&self, ws: &mut Workspace, rec: &mut R) {
        if ws.effects.is_empty() {
            return;
        }
        let sc = self.scenario;
        let m = &sc.metrics;
        let day = ws.world.day;
        let n = ws.world.n;
        // Whether an act or note was recorded: only then can an all-of metric complete.
        let mut recorded = false;
        let mut k = 0;
        while k < ws.effects.len() {
            let e = ws.effects[k];
            k += 1;
            match e {
                Effect::Act(a) => {
                    let (i, j) = (
                        a.actor as usize * n + a.target as usize,
                        a.target as usize * n + a.actor as usize,
                    );
                    let before = ws.world.level[i];
                    if a.level > before {
                        if before == 0 {
                            ws.world.hostile_pairs += 2;
                        }
                        ws.world.level[i] = a.level;
                        ws.world.level[j] = a.level;
                        if before < sc.war_level && a.level >= sc.war_level {
                            ws.war_start[i] = day;
                            ws.war_start[j] = day;
                        }
                    }
                    if sc.war_pairs[i] && a.level > ws.peak {
                        ws.peak = a.level;
                    }
                    ws.last_act[i] = day;
                    ws.last_act[j] = day;
                    ws.scan_due = 0;
                    m.on_act(day, &a, &mut ws.outcome);
                    recorded = true;
                    rec.act(day, &a);
                    ws.acts.push(a);
                    // Any act may give a sleeping rule something to do (an answer to queue,
                    // a war to end): everyone decides again tomorrow.
                    wake_all(&mut ws.rules);
                }
                Effect::Note(note) => {
                    m.on_note(day, &note, &mut ws.outcome);
                    recorded = true;
                    rec.note(day, &note);
                }
                Effect::Intent { actor, target } => {
                    ws.intent_next[actor as usize * n + target as usize] = true;
                    ws.marks.intent_next = true;
                }
                Effect::Setback { track, fraction } => {
                    let t = track as usize;
                    let min = sc.tracks[t].min;
                    let v = &mut ws.world.tracks[t];
                    *v = min + (*v - min) * (1.0 - fraction);
                }
                Effect::Shift { track, by } => {
                    let tr = &sc.tracks[track as usize];
                    let v = &mut ws.world.tracks[track as usize];
                    *v = (*v + by).clamp(tr.min, tr.max);
                }
                Effect::Freeze { track } => ws.walks[track as usize].frozen = true,
                Effect::SetDrift { track, drift } => {
                    let t = track as usize;
                    ws.walks[t].drift =
                        drift.unwrap_or(ws.world.params[sc.tracks[t].drift as usize]);
                }
                Effect::Restrain {
                    actor,
                    target,
                    factor,
                } => {
                    ws.restraint_next[actor as usize * n + target as usize] *= factor;
                    ws.marks.restraint_next = true;
                }
                Effect::EndWar { a, b, rule } => ws.ends.push((a, b, rule)),
                Effect::ScaleHazard { rule, factor } => {
                    ws.world.scale[rule as usize] *= factor;
                    ws.rules[rule as usize].wake = 0;
                }
                Effect::Command { rule, command } => {
                    let slot = &mut ws.rules[rule as usize];
                    slot.wake = 0;
                    slot.rule.command(command, &ws.world, &mut ws.effects);
                }
            }
        }
        ws.effects.clear();
        recorded |= !ws.ends.is_empty();
        for idx in 0..ws.ends.len() {
            let (a, b, rule) = ws.ends[idx];
            let (i, j) = (a as usize * n + b as usize, b as usize * n + a as usize);
            if ws.world.level[i] == 0 {
                continue;
            }
            let started = ws.war_start[i];
            ws.world.level[i] = 0;
            ws.world.level[j] = 0;
            ws.world.hostile_pairs -= 2;
            ws.world.epoch[i] += 1;
            ws.world.epoch[j] += 1;
            ws.war_start[i] = NEVER;
            ws.war_start[j] = NEVER;
            ws.world.ended[i] = day;
            ws.world.ended[j] = day;
            wake_all(&mut ws.rules);
            ws.scan_due = 0;
            // Days at war as the war metrics count them: from the day it began up to, not
            // including, the day it ended.
            let value = if started == NEVER { 0 } else { day - started };
            let note = Note {
                kind: NoteKind::WarEnded,
                rule,
                a,
                b,
                value,
            };
            m.on_note(day, &note, &mut ws.outcome);
            rec.note(day, &note);
        }
        ws.ends.clear();
        if recorded {
            m.settle(day, &mut ws.outcome);
        }
    }

    /// Runs one chunk of run indices and aggregates it (`study::chunk` without a stop flag).
    pub fn run_chunk(&self, runs: std::ops::Range<u64>, per_run: bool) -> ChunkResult {
        let never = std::sync::atomic::AtomicBool::new(false);
        crate::study::chunk(self, runs, per_run, &never)
            .expect("a chunk that is never stopped completes")
    }

    /// Runs `runs` on the current rayon pool, calling `sink` with each chunk's result in run
    /// order (`study::runs` without a stop flag).
    pub fn run_range<F: FnMut(ChunkResult) -> Result<(), E>, E>(
        &self,
        runs: std::ops::Range<u64>,
        per_run: bool,
        sink: F,
    ) -> Result<(), E> {
        let never = std::sync::atomic::AtomicBool::new(false);
        crate::study::runs(self, runs, per_run, &never, sink).map(|_| ())
    }
}

fn wake_all(rules: &mut [Slot]) {
    for slot in rules {
        slot.wake = 0;
    }
}

/// One chunk's aggregate and, when asked for, its per-run rows.
pub struct ChunkResult {
    pub runs: std::ops::Range<u64>,
    pub aggregate: Aggregate,
    pub rows: Option<RunRows>,
}

/// Per-run outcomes and parameter draws, flattened.
pub struct RunRows {
    pub runs: Vec<u64>,
    pub first: Vec<u32>,
    pub values: Vec<u32>,
    pub params: Vec<f64>,
    n_events: usize,
    n_values: usize,
    n_params: usize,
}

impl RunRows {
    pub(crate) fn with_capacity(sc: &Scenario, n: usize) -> RunRows {
        let (e, q, p) = (
            sc.metrics.events.len(),
            sc.metrics.quantities.len(),
            sc.params.len(),
        );
        RunRows {
            runs: Vec::with_capacity(n),
            first: Vec::with_capacity(n * e),
            values: Vec::with_capacity(n * q),
            params: Vec::with_capacity(n * p),
            n_events: e,
            n_values: q,
            n_params: p,
        }
    }

    pub(crate) fn push(&mut self, run: u64, o: &Outcome, params: &[f64]) {
        self.runs.push(run);
        self.first.extend_from_slice(&o.first);
        self.values.extend_from_slice(&o.values);
        self.params.extend_from_slice(params);
    }

    pub fn len(&self) -> usize {
        self.runs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// (run, first days, quantity bins, parameter values) of row `i`.
    pub fn row(&self, i: usize) -> (u64, &[u32], &[u32], &[f64]) {
        (
            self.runs[i],
            &self.first[i * self.n_events..(i + 1) * self.n_events],
            &self.values[i * self.n_values..(i + 1) * self.n_values],
            &self.params[i * self.n_params..(i + 1) * self.n_params],
        )
    }
}
