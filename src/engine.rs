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

use crate::metrics::{ActIndex, MISSING, Outcome, QuantityDef};
use crate::model::{Act, Effect, Level, NEVER, NO_DAY, NO_RULE, Note, NoteKind, Scenario, World};
use crate::rng::{Rng, StreamKey};
use crate::rules::Rule;
use crate::scenario::correlation::{BlockCache, Correlator};
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
    param_draws: Vec<ParamDraw>,
    correlator: Correlator,
    rule_keys: Vec<StreamKey>,
    track_keys: Vec<StreamKey>,
    /// Which metrics each act matches (`ActIndex`).
    act_index: ActIndex,
}

/// How `begin` draws a parameter for a run.
enum ParamDraw {
    /// A fixed value: its distribution returns it without drawing.
    Fixed,
    /// Its own stream, keyed by (seed, path, run).
    Own(StreamKey),
    /// Drawn with the other members of its correlation group (`Correlator`).
    Correlated,
}

/// Per-worker scratch space, reused across the runs of a chunk so no run allocates.
pub struct Workspace {
    pub world: World,
    /// The rules in id order, each with its stream.
    rules: Vec<Slot>,
    /// Each rule's first day on which it must be asked to decide again (see `rules::Wake`),
    /// apart from the rules so that the daily scan of them is dense.
    wakes: Vec<u32>,
    /// Ask every rule every day, ignoring `Wake`: for the test that proves skipping exact.
    #[doc(hidden)]
    pub ignore_wake: bool,
    /// Which rules to wake for each kind of change (`rules::Wakes`), and which react to acts.
    wake_lists: WakeLists,
    /// The reacting rules that a wave's acts concern, as a bit set over `WakeLists::reacting`.
    react_mask: Vec<u64>,
    /// The tracks as the rules last saw them when deciding (for `WakeLists::track_watches`).
    track_seen: Vec<f64>,
    param_rng: Rng,
    /// The current block of correlated parameter values (`[[correlations]]`).
    correlated: BlockCache,
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
    /// Entries of `World::restraint` (as bits of `a * n + b`) that may differ from 1: those
    /// written yesterday. Elsewhere the table is 1, so only these need comparing or resetting.
    restrained: Vec<u64>,
    /// The same for `restraint_next`: the entries written today.
    restrained_next: Vec<u64>,
    marks: Marks,
    /// The pairs whose level is above calm, as bits of `a * n + b`: the end-of-day scan
    /// visits only these.
    hostile: Vec<u64>,
    /// Day of the last act between each pair (negative: before the start), or `NO_DAY`.
    last_act: Vec<i32>,
    /// The scenario's history acts, answered on the first day.
    history: Vec<Act>,
    /// This run's `calm_after_days`.
    calm_after: u32,
    /// This run's days of quiet that end a war, per pair, or NEVER.
    quiet: Vec<u32>,
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

/// The indices of the rules that each kind of change wakes, and of those that react to acts.
#[derive(Default)]
struct WakeLists {
    /// Rules woken by a change of hostilities in any pair.
    hostilities: Vec<usize>,
    /// Rules woken by a change of hostilities in a pair they name (`Rule::hostility_pairs`),
    /// as (rule, lowest act that concerns it, whether falls do): those of ordered pair
    /// `i = a * n + b` (listed under both orders) are `by_pair[pair_start[i]..pair_start[i + 1]]`.
    by_pair: Vec<(usize, Level, bool)>,
    pair_start: Vec<usize>,
    status: Vec<usize>,
    restraint: Vec<usize>,
    metrics: Vec<usize>,
    /// Rules woken by an intent of a pair (`Rule::intent_pairs`), and by an agreement
    /// between a pair (`Rule::accord_pairs`).
    intents: ByPair,
    accords: ByPair,
    reacting: Vec<usize>,
    /// Which reacting rules an act concerns (`Rule::reacts_to`), as bit sets over `reacting`
    /// of `react_words` words: entry `((actor * n + target) * rungs + level) * react_words`.
    react_sets: Vec<u64>,
    react_words: usize,
    n: usize,
    rungs: usize,
    /// (track, value, rule): wake the rule when the track crosses the value between two
    /// days (`Rule::thresholds`).
    track_watches: Vec<(usize, f64, usize)>,
}

impl WakeLists {
    fn of(rules: &[Box<dyn Rule>], n: usize, rungs: usize) -> WakeLists {
        let mut l = WakeLists {
            n,
            rungs,
            ..WakeLists::default()
        };
        let mut pairs: Vec<Vec<(usize, Level, bool)>> = vec![Vec::new(); n * n];
        let mut intents = vec![Vec::new(); n * n];
        let mut accords = vec![Vec::new(); n * n];
        for (i, r) in rules.iter().enumerate() {
            for (a, b) in r.intent_pairs() {
                intents[a as usize * n + b as usize].push(i);
            }
            for (a, b) in r.accord_pairs() {
                accords[a as usize * n + b as usize].push(i);
            }
            let w = r.wakes();
            if w.hostilities {
                match r.hostility_pairs(n) {
                    Some(v) if v.iter().all(|p| (p.a as usize) < n && (p.b as usize) < n) => {
                        for p in v {
                            let (a, b) = (p.a as usize, p.b as usize);
                            pairs[a * n + b].push((i, p.min_level, p.falls));
                            pairs[b * n + a].push((i, p.min_level, p.falls));
                        }
                    }
                    _ => l.hostilities.push(i),
                }
            }
            for (on, list) in [
                (w.status, &mut l.status),
                (w.restraint, &mut l.restraint),
                (w.metrics, &mut l.metrics),
                (r.reacts(), &mut l.reacting),
            ] {
                if on {
                    list.push(i);
                }
            }
        }
        for list in &mut pairs {
            // One entry per rule: the lowest act and any fall that concern it.
            list.sort_unstable();
            let start = l.by_pair.len();
            l.pair_start.push(start);
            for &(i, min_level, falls) in list.iter() {
                match l.by_pair[start..].last_mut() {
                    Some(last) if last.0 == i => {
                        last.1 = last.1.min(min_level);
                        last.2 |= falls;
                    }
                    _ => l.by_pair.push((i, min_level, falls)),
                }
            }
        }
        l.pair_start.push(l.by_pair.len());
        l.intents = ByPair::of(intents);
        l.accords = ByPair::of(accords);
        let mut at = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            at.clear();
            r.thresholds(&mut at);
            l.track_watches
                .extend(at.iter().map(|&(t, x)| (t as usize, x, i)));
        }
        l.track_watches
            .sort_by(|a, b| (a.0, a.2).cmp(&(b.0, b.2)).then(a.1.total_cmp(&b.1)));
        l.track_watches
            .dedup_by(|a, b| a.0 == b.0 && a.2 == b.2 && a.1.total_cmp(&b.1).is_eq());
        let words = l.reacting.len().div_ceil(64);
        l.react_words = words;
        l.react_sets = vec![0; n * n * rungs * words];
        for actor in 0..n {
            for target in 0..n {
                for level in 0..rungs {
                    let at = ((actor * n + target) * rungs + level) * words;
                    for (k, &i) in l.reacting.iter().enumerate() {
                        if rules[i].reacts_to(actor as u8, target as u8, level as u8) {
                            l.react_sets[at + k / 64] |= 1 << (k % 64);
                        }
                    }
                }
            }
        }
        l
    }

    /// Wakes the rules that an act between `a` and `b` at `level` may concern.
    #[inline]
    fn act(&self, wakes: &mut [u32], a: usize, b: usize, level: Level) {
        wake(wakes, &self.hostilities);
        let i = a * self.n + b;
        for &(r, min_level, _) in &self.by_pair[self.pair_start[i]..self.pair_start[i + 1]] {
            if level >= min_level {
                wakes[r] = 0;
            }
        }
    }

    /// Wakes the rules that hostilities between `a` and `b` ending or falling back may
    /// concern.
    #[inline]
    fn fall(&self, wakes: &mut [u32], a: usize, b: usize) {
        wake(wakes, &self.hostilities);
        let i = a * self.n + b;
        for &(r, _, falls) in &self.by_pair[self.pair_start[i]..self.pair_start[i + 1]] {
            if falls {
                wakes[r] = 0;
            }
        }
    }

    /// Adds to `mask` the reacting rules that `act` concerns.
    #[inline]
    fn add_reacting(&self, act: &Act, mask: &mut [u64]) {
        let (a, t, l) = (act.actor as usize, act.target as usize, act.level as usize);
        if a >= self.n || t >= self.n || l >= self.rungs {
            mask.fill(!0);
            return;
        }
        let at = ((a * self.n + t) * self.rungs + l) * self.react_words;
        for (m, s) in mask
            .iter_mut()
            .zip(&self.react_sets[at..at + self.react_words])
        {
            *m |= s;
        }
    }
}

/// Rules listed under ordered pairs of actors: those of pair `i = a * n + b` are
/// `rules[start[i]..start[i + 1]]`.
#[derive(Clone, Debug, Default)]
struct ByPair {
    rules: Vec<usize>,
    start: Vec<usize>,
}

impl ByPair {
    /// From one list per pair, each in rule order.
    fn of(lists: Vec<Vec<usize>>) -> ByPair {
        let mut l = ByPair::default();
        for mut list in lists {
            list.sort_unstable();
            list.dedup();
            l.start.push(l.rules.len());
            l.rules.extend(list);
        }
        l.start.push(l.rules.len());
        l
    }

    /// Wakes the rules of pair `i`.
    #[inline]
    fn wake(&self, wakes: &mut [u32], i: usize) {
        if let (Some(&from), Some(&to)) = (self.start.get(i), self.start.get(i + 1)) {
            wake(wakes, &self.rules[from..to]);
        }
    }
}

/// Wakes the rules of `list`: they decide again from the next decision wave.
#[inline]
fn wake(wakes: &mut [u32], list: &[usize]) {
    for &i in list {
        wakes[i] = 0;
    }
}

/// One rule's place in a workspace.
struct Slot {
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
        let correlator = Correlator::new(&scenario.correlations, &scenario.params, seed);
        let param_draws = scenario
            .params
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if p.dist.is_fixed() {
                    ParamDraw::Fixed
                } else if correlator.draws(i) {
                    ParamDraw::Correlated
                } else {
                    ParamDraw::Own(StreamKey::new(seed, &format!("param:{}", p.path)))
                }
            })
            .collect();
        let act_index = ActIndex::new(
            &scenario.metrics,
            scenario.n_actors(),
            scenario.ladder.len(),
            scenario.rules.len(),
        );
        Engine {
            scenario,
            seed,
            param_draws,
            correlator,
            act_index,
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
        let rungs = sc.ladder.len();
        let n_events = sc.metrics.events.len();
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
        let wake_lists = WakeLists::of(&sc.rules, n, rungs);
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
                accord: vec![NEVER; n * n],
                war_start: vec![NO_DAY; n * n],
                episode: vec![0; n * n],
                last_hit: vec![NO_DAY; n * n * rungs],
                rungs,
                status: vec![0; sc.rules.len()],
                happened_first: vec![NEVER; if sc.reads_metrics { n_events } else { 0 }],
                happened_last: vec![NEVER; if sc.reads_metrics { n_events } else { 0 }],
            },
            rules: sc
                .rules
                .iter()
                .map(|rule| Slot {
                    rng: dummy.for_run(0),
                    rule: rule.clone(),
                })
                .collect(),
            wakes: vec![0; sc.rules.len()],
            ignore_wake: false,
            react_mask: vec![0; wake_lists.react_words],
            track_seen: vec![0.0; nt],
            wake_lists,
            param_rng: dummy.for_run(0),
            correlated: self.correlator.cache(),
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
            restrained: vec![0; (n * n).div_ceil(64)],
            restrained_next: vec![0; (n * n).div_ceil(64)],
            marks: Marks::default(),
            hostile: vec![0; (n * n).div_ceil(64)],
            last_act: vec![NO_DAY; n * n],
            history: sc.initial.acts.iter().map(|h| h.act).collect(),
            calm_after: 0,
            quiet: vec![NEVER; n * n],
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
            if day == 0 && !ws.history.is_empty() {
                // The scenario's history: pledges answer the acts dated up to the start before
                // anything else happens on the first day.
                for slot in &mut ws.rules {
                    slot.rule.answer_history(
                        &ws.history,
                        &ws.world,
                        &mut slot.rng,
                        &mut ws.effects,
                    );
                }
                self.apply(ws, rec);
                ws.effects.clear();
            }
            if !ws.wake_lists.track_watches.is_empty() {
                // A track that crossed a bound of a sleeping rule's conditions since the rules
                // last decided wakes it: nothing else changes a track condition.
                if day > 0 {
                    for &(t, at, r) in &ws.wake_lists.track_watches {
                        if (ws.track_seen[t] >= at) != (ws.world.tracks[t] >= at) {
                            ws.wakes[r] = 0;
                        }
                    }
                }
                ws.track_seen.copy_from_slice(&ws.world.tracks);
            }
            let ask_all = ws.ignore_wake;
            for (wake, slot) in ws.wakes.iter_mut().zip(&mut ws.rules) {
                if day >= *wake || ask_all {
                    *wake = slot
                        .rule
                        .decide(&ws.world, &mut slot.rng, &mut ws.effects)
                        .day(day);
                }
            }
            self.apply(ws, rec);
            for same_day in [true, false] {
                if ws.acts.is_empty() {
                    break;
                }
                let acts = std::mem::take(&mut ws.acts);
                ws.effects.clear();
                // Only the reacting rules that some act concerns see the acts
                // (`Rule::reacts_to`), in rule order.
                let lists = &ws.wake_lists;
                ws.react_mask.fill(0);
                if ws.ignore_wake {
                    ws.react_mask.fill(!0);
                } else {
                    for a in &acts {
                        lists.add_reacting(a, &mut ws.react_mask);
                    }
                }
                for (k, &word) in ws.react_mask.iter().enumerate() {
                    let mut bits = word;
                    while bits != 0 {
                        let pos = k * 64 + bits.trailing_zeros() as usize;
                        bits &= bits - 1;
                        let Some(&i) = lists.reacting.get(pos) else {
                            break;
                        };
                        let slot = &mut ws.rules[i];
                        let asks = slot.rule.react(
                            &acts,
                            same_day,
                            &ws.world,
                            &mut slot.rng,
                            &mut ws.effects,
                        );
                        ws.wakes[i] = ws.wakes[i].min(asks.day(day));
                    }
                }
                ws.acts = acts;
                ws.acts.clear();
                self.apply(ws, rec);
            }
            ws.acts.clear();

            // End of day: quiet pairs below war level calm down, quiet wars end; war
            // accounting; states. Levels change only by acts, ends of hostilities, calming
            // down and wars fizzling out, so the scan over all pairs is needed only on a day
            // with one of those (`scan_due`).
            let war_level = sc.war_level;
            if ws.world.hostile_pairs == 0 {
                ws.global = 0;
            } else if day >= ws.scan_due {
                let mut global = 0u8;
                let mut due = NEVER;
                let n = ws.world.n;
                // Only pairs above calm have anything to scan, visited in index order as if
                // scanning them all; a pair that calms down leaves the set.
                for word in 0..ws.hostile.len() {
                    let mut bits = ws.hostile[word];
                    while bits != 0 {
                        let i = word * 64 + bits.trailing_zeros() as usize;
                        bits &= bits - 1;
                        let mut l = ws.world.level[i];
                        if l == 0 {
                            continue;
                        }
                        if l >= war_level && ws.quiet[i] != NEVER {
                            let end = day_at(ws.last_act[i], ws.quiet[i]);
                            if day >= end {
                                // Nobody acted for `quiet_days`: the war is over, though the pair
                                // stays hostile (below war level) until calm returns.
                                ws.wake_lists.fall(&mut ws.wakes, i / n, i % n);
                                l = war_level.saturating_sub(1);
                                ws.world.level[i] = l;
                                let started = ws.world.war_start[i];
                                ws.world.war_start[i] = NO_DAY;
                                let (a, b) = (i / n, i % n);
                                if a < b {
                                    let value = (i64::from(day) - i64::from(started)).max(0) as u32;
                                    let note = Note {
                                        kind: NoteKind::WarEnded,
                                        rule: NO_RULE,
                                        a: a as u8,
                                        b: b as u8,
                                        value,
                                    };
                                    sc.metrics.on_note(day, &note, &mut ws.outcome);
                                    rec.note(day, &note);
                                    sc.metrics.settle(day, &mut ws.outcome);
                                    self.sync_metrics(ws);
                                }
                                if l == 0 {
                                    ws.world.hostile_pairs -= 1;
                                    ws.hostile[word] &= !(1 << (i % 64));
                                    continue;
                                }
                            } else {
                                due = due.min(end);
                            }
                        }
                        if l < war_level {
                            let calm = day_at(ws.last_act[i], ws.calm_after);
                            if day >= calm {
                                ws.wake_lists.fall(&mut ws.wakes, i / n, i % n);
                                ws.world.level[i] = 0;
                                ws.world.hostile_pairs -= 1;
                                ws.hostile[word] &= !(1 << (i % 64));
                                continue;
                            }
                            due = due.min(calm);
                        }
                        if l > global && sc.war_pairs[i] {
                            global = l;
                        }
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
                // Both tables are 1 outside the entries written today or yesterday, so only
                // those can differ (on a day of talks or a standing deal, a few of n * n).
                let (now, next) = (&ws.world.restraint, &ws.restraint_next);
                let mut changed = false;
                for (k, (&a, &b)) in ws.restrained.iter().zip(&ws.restrained_next).enumerate() {
                    let mut bits = a | b;
                    while bits != 0 && !changed {
                        let i = k * 64 + bits.trailing_zeros() as usize;
                        bits &= bits - 1;
                        changed = now[i] != next[i];
                    }
                }
                if changed {
                    wake(&mut ws.wakes, &ws.wake_lists.restraint);
                }
                std::mem::swap(&mut ws.world.restraint, &mut ws.restraint_next);
                // Yesterday's table, now to be tomorrow's, back to 1 where it was written.
                for (k, word) in ws.restrained.iter_mut().enumerate() {
                    while *word != 0 {
                        ws.restraint_next[k * 64 + word.trailing_zeros() as usize] = 1.0;
                        *word &= *word - 1;
                    }
                }
                std::mem::swap(&mut ws.restrained, &mut ws.restrained_next);
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
                        let z = crate::draw::standard_normal(&mut walk.rng);
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
            match &self.param_draws[i] {
                ParamDraw::Fixed => w.params[i] = p.dist.sample(&mut ws.param_rng),
                ParamDraw::Own(key) => {
                    key.reset(&mut ws.param_rng, run);
                    w.params[i] = p.dist.sample(&mut ws.param_rng);
                }
                ParamDraw::Correlated => {}
            }
        }
        if !self.correlator.is_empty() {
            self.correlator
                .draw(&sc.params, run, &mut ws.correlated, &mut w.params);
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
        w.accord.fill(NEVER);
        w.war_start.fill(NO_DAY);
        w.episode.fill(0);
        w.last_hit.fill(NO_DAY);
        w.happened_first.fill(NEVER);
        w.happened_last.fill(NEVER);
        ws.peak = 0;
        ws.global = 0;
        ws.scan_due = 0;
        ws.intent_next.fill(false);
        ws.restraint_next.fill(1.0);
        ws.restrained.fill(0);
        ws.restrained_next.fill(0);
        ws.marks = Marks::default();
        ws.last_act.fill(NO_DAY);
        ws.outcome.reset();
        // Day counts are whole numbers, drawn per run when uncertain.
        ws.calm_after = w.params[sc.calm_after_days as usize] as u32;
        for (q, p) in ws.quiet.iter_mut().zip(&sc.quiet_days) {
            *q = p.map_or(NEVER, |p| w.params[p as usize] as u32);
        }
        // The state of the crisis at the start: pairs already hostile, and past acts, which
        // set levels and the record of who struck whom but are not events of the run.
        let n = w.n;
        for l in &sc.initial.levels {
            for (x, y) in [(l.a, l.b), (l.b, l.a)] {
                let i = x as usize * n + y as usize;
                if w.level[i] == 0 && l.level > 0 {
                    w.hostile_pairs += 1;
                    w.episode[i] = 1;
                }
                w.level[i] = w.level[i].max(l.level);
                if l.level >= sc.war_level {
                    w.war_start[i] = l.since;
                }
                ws.last_act[i] = ws.last_act[i].max(l.last_act);
            }
        }
        ws.hostile.fill(0);
        for (i, &l) in w.level.iter().enumerate() {
            if l != 0 {
                ws.hostile[i / 64] |= 1 << (i % 64);
            }
        }
        for h in &sc.initial.acts {
            let a = &h.act;
            let base = (a.actor as usize * n + a.target as usize) * w.rungs;
            for l in 1..=a.level as usize {
                let d = &mut w.last_hit[base + l];
                *d = (*d).max(h.day);
            }
        }
        ws.wakes.fill(0);
        for (slot, key) in ws.rules.iter_mut().zip(&self.rule_keys) {
            key.reset(&mut slot.rng, run);
            slot.rule.begin_run(&ws.world, &mut slot.rng);
        }
        for (i, slot) in ws.rules.iter().enumerate() {
            ws.world.status[i] = slot.rule.status();
        }
    }

    /// Copies the event metrics recorded so far into the world, for conditions that read
    /// them, and wakes the rules whose conditions do.
    fn sync_metrics(&self, ws: &mut Workspace) {
        if self.scenario.reads_metrics {
            ws.world.happened_first.copy_from_slice(&ws.outcome.first);
            ws.world.happened_last.copy_from_slice(&ws.outcome.last);
            wake(&mut ws.wakes, &ws.wake_lists.metrics);
        }
    }

    /// Applies `ws.effects` (which may grow while commands run), collecting acts in `ws.acts`.
    /// Applies the effects the rules emitted, in order. Most days the list is empty: that check
    /// is inlined into the day loop, so an empty day does not pay for the call and the
    /// registers `apply_effects` saves.
    #[inline(always)]
    fn apply<R: Recorder>(&self, ws: &mut Workspace, rec: &mut R) {
        if !ws.effects.is_empty() {
            self.apply_effects(ws, rec);
        }
    }

    #[inline(never)]
    fn apply_effects<R: Recorder>(&self, ws: &mut Workspace, rec: &mut R) {
        let sc = self.scenario;
        let m = &sc.metrics;
        let day = ws.world.day;
        let n = ws.world.n;
        // Whether an act or note was recorded, and whether one of them is counted by an all-of
        // metric: only then can one complete.
        let mut recorded = false;
        let mut feeds_all_of = false;
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
                            ws.hostile[i / 64] |= 1 << (i % 64);
                            ws.hostile[j / 64] |= 1 << (j % 64);
                            ws.world.episode[i] += 1;
                            ws.world.episode[j] += 1;
                        }
                        ws.world.level[i] = a.level;
                        ws.world.level[j] = a.level;
                        if before < sc.war_level && a.level >= sc.war_level {
                            ws.world.war_start[i] = day as i32;
                            ws.world.war_start[j] = day as i32;
                        }
                    }
                    if sc.war_pairs[i] && a.level > ws.peak {
                        ws.peak = a.level;
                    }
                    ws.last_act[i] = day as i32;
                    ws.last_act[j] = day as i32;
                    let base = i * ws.world.rungs;
                    for l in 1..=a.level as usize {
                        ws.world.last_hit[base + l] = day as i32;
                    }
                    ws.scan_due = 0;
                    feeds_all_of |= self.act_index.on_act(m, day, &a, &mut ws.outcome);
                    recorded = true;
                    rec.act(day, &a);
                    ws.acts.push(a);
                    // An act may give a sleeping rule something to do (a war to end, a
                    // condition that now holds): those that read this pair's hostilities
                    // decide again.
                    ws.wake_lists
                        .act(&mut ws.wakes, a.actor as usize, a.target as usize, a.level);
                }
                Effect::Note(note) => {
                    m.on_note(day, &note, &mut ws.outcome);
                    recorded = true;
                    feeds_all_of = true;
                    rec.note(day, &note);
                }
                Effect::Intent { actor, target } => {
                    let i = actor as usize * n + target as usize;
                    ws.intent_next[i] = true;
                    ws.marks.intent_next = true;
                    // Visible tomorrow, when the rules that read it decide again.
                    ws.wake_lists.intents.wake(&mut ws.wakes, i);
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
                Effect::Scale { track, factor } => {
                    let t = track as usize;
                    let tr = &sc.tracks[t];
                    let v = &mut ws.world.tracks[t];
                    *v = (tr.min + (*v - tr.min) * factor).clamp(tr.min, tr.max);
                }
                Effect::Freeze { track } => ws.walks[track as usize].frozen = true,
                Effect::Unfreeze { track } => ws.walks[track as usize].frozen = false,
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
                    let i = actor as usize * n + target as usize;
                    ws.restraint_next[i] *= factor;
                    ws.restrained_next[i / 64] |= 1 << (i % 64);
                    ws.marks.restraint_next = true;
                }
                Effect::EndWar { a, b, rule } => ws.ends.push((a, b, rule)),
                Effect::ScaleHazard { rule, factor } => {
                    ws.world.scale[rule as usize] *= factor;
                    ws.wakes[rule as usize] = 0;
                }
                Effect::Command { rule, command } => {
                    ws.wakes[rule as usize] = 0;
                    let slot = &mut ws.rules[rule as usize];
                    slot.rule.command(command, &ws.world, &mut ws.effects);
                }
                Effect::Status { rule, value } => {
                    ws.world.status[rule as usize] = value;
                    // Conditions may read the status: those rules look again.
                    wake(&mut ws.wakes, &ws.wake_lists.status);
                }
                Effect::Accord { a, b } => {
                    ws.world.accord[a as usize * n + b as usize] = day;
                    // Plans are called off while being prepared, when their rule is awake
                    // every day; the rules that sleep and read agreements look again.
                    ws.world.accord[b as usize * n + a as usize] = day;
                    ws.wake_lists
                        .accords
                        .wake(&mut ws.wakes, a as usize * n + b as usize);
                    ws.wake_lists
                        .accords
                        .wake(&mut ws.wakes, b as usize * n + a as usize);
                }
            }
        }
        ws.effects.clear();
        recorded |= !ws.ends.is_empty();
        feeds_all_of |= !ws.ends.is_empty();
        for idx in 0..ws.ends.len() {
            let (a, b, rule) = ws.ends[idx];
            let (i, j) = (a as usize * n + b as usize, b as usize * n + a as usize);
            if ws.world.level[i] == 0 {
                continue;
            }
            let started = ws.world.war_start[i];
            ws.world.level[i] = 0;
            ws.world.level[j] = 0;
            ws.world.hostile_pairs -= 2;
            ws.hostile[i / 64] &= !(1 << (i % 64));
            ws.hostile[j / 64] &= !(1 << (j % 64));
            ws.world.epoch[i] += 1;
            ws.world.epoch[j] += 1;
            ws.world.war_start[i] = NO_DAY;
            ws.world.war_start[j] = NO_DAY;
            ws.world.ended[i] = day;
            ws.world.ended[j] = day;
            ws.world.accord[i] = day;
            ws.world.accord[j] = day;
            ws.wake_lists.accords.wake(&mut ws.wakes, i);
            ws.wake_lists.accords.wake(&mut ws.wakes, j);
            ws.wake_lists.fall(&mut ws.wakes, a as usize, b as usize);
            ws.scan_due = 0;
            // Days at war as the war metrics count them: from the day it began up to, not
            // including, the day it ended.
            let value = if started == NO_DAY {
                0
            } else {
                (i64::from(day) - i64::from(started)).max(0) as u32
            };
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
            // An all-of metric counts how many of its members happened recently, which only
            // a new occurrence of a member can raise.
            if feeds_all_of {
                m.settle(day, &mut ws.outcome);
            }
            self.sync_metrics(ws);
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

/// The first day on or after which `days` days have passed since `last` (a signed day).
fn day_at(last: i32, days: u32) -> u32 {
    u32::try_from((i64::from(last) + i64::from(days)).max(0)).unwrap_or(NEVER)
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
