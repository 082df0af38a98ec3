//! `ceasefire`: a phased agreement between two parties, with violations, conditions with
//! deadlines, and an enforcement pledge.
//!
//! While in force, each party violates the current phase with a daily hazard (an act at
//! `violation_level`); a violation by a party collapses the agreement with that party's
//! `collapse_on_violation` chance. A condition (say, "Hamas begins disarming": a track at or
//! above `at_least`) must hold `deadline_days` after its phase begins; if it does not, the
//! enforcer resumes operations with `enforcement_probability`, collapsing the agreement.
//! Phases advance by command (a scheduled announcement) or by a phase's own `advance_hazard`,
//! and may set the drift of tracks (disarmament only moves in phase two).
//!
//! The agreement's status (its phase, or collapsed) is public: conditions read it. Its state
//! at the start may be set in `[initial.ceasefires.<id>]` (a phase entered before the start, so
//! deadlines count from then, or an agreement that has already collapsed). Violation,
//! collapse, enforcement and advance hazards take modifiers (keys `violations.<party>`,
//! `collapse_on_violation.<party>`, `enforcement_probability`, `advance_hazard`).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::hazard::{Hazard, ModifierConfig, ModifierSet, index};
use super::{CommandSpec, GapLog, Kind, PairWatch, Rule, Wake, Wakes, chance, next_event_day_with};
use crate::model::{
    Act, ActorId, COLLAPSED, Command, Effect, Form, Level, NEVER, Note, NoteKind, Odds, ParamId,
    RuleIdx, TrackId, Why, World,
};
use crate::rng::Rng;
use crate::scenario::build::{Bounds, Builder, InitialRule, RuleTable};
use crate::scenario::days::Days;
use crate::scenario::dist::Dist;

pub const KIND: Kind = Kind {
    name: "ceasefire",
    summary: "a phased agreement between two parties: violations, collapse, conditions with \
              deadlines and an enforcer's pledge to resume operations",
    compile,
    schema: |g| g.subschema_for::<Config>(),
};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CeasefireRule")]
pub(crate) struct Config {
    #[allow(dead_code)]
    kind: String,
    parties: Vec<String>,
    enforcer: String,
    enforcement_level: String,
    violation_level: String,
    initial_phase: Option<String>,
    #[serde(default)]
    collapse_on_violation: BTreeMap<String, Dist>,
    phases: Vec<PhaseConfig>,
    #[serde(default)]
    conditions: Vec<ConditionConfig>,
    #[serde(default)]
    modifiers: Vec<ModifierConfig>,
    source: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct PhaseConfig {
    id: String,
    #[serde(default)]
    violations: BTreeMap<String, Dist>,
    #[serde(default)]
    drift: BTreeMap<String, Dist>,
    #[serde(default = "zero")]
    advance_hazard: Dist,
    #[allow(dead_code)]
    source: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ConditionConfig {
    id: String,
    phase: String,
    track: String,
    at_least: f64,
    /// Drawn once per run.
    deadline_days: Days,
    enforcement_probability: Dist,
    #[allow(dead_code)]
    source: Option<String>,
}

fn zero() -> Dist {
    Dist::fixed(0.0)
}

#[derive(Clone, Debug)]
struct Phase {
    id: String,
    /// (party index 0/1, daily hazard, its index in `hazards()`)
    violations: Vec<(usize, Hazard, u8)>,
    drift: Vec<(TrackId, ParamId)>,
    advance: Hazard,
}

#[derive(Clone, Debug)]
struct Condition {
    id: String,
    phase: usize,
    track: TrackId,
    at_least: f64,
    /// The per-run parameter holding the deadline in days.
    deadline: ParamId,
    enforcement: Hazard,
}

#[derive(Clone, Debug)]
pub struct Ceasefire {
    idx: RuleIdx,
    id: String,
    parties: [ActorId; 2],
    enforcer: ActorId,
    enforcement_level: Level,
    violation_level: Level,
    initial_phase: usize,
    /// Day the initial phase began (negative: before the start).
    initial_since: i64,
    initially_in_force: bool,
    collapse: [Option<Hazard>; 2],
    /// Index in `hazards()` of each party's collapse hazard, of each condition's
    /// enforcement hazard, for traces.
    collapse_index: [u8; 2],
    condition_index: Vec<u8>,
    phases: Vec<Phase>,
    conditions: Vec<Condition>,
    source: Option<String>,
    // per-run state
    phase: usize,
    /// Day the current phase began (negative: before the start), for deadlines.
    phase_start: i64,
    in_force: bool,
    /// Conditions already settled this run (met or enforced or waived).
    settled: Vec<bool>,
    /// Day of each party's next violation of the current phase. Violations are daily chances,
    /// so the gaps between them are geometric and are drawn once per violation; they are
    /// redrawn when the phase or the hazard scale changes (`stale`, `scale_seen`), which the
    /// memorylessness of the geometric distribution makes exact.
    next_violation: [u32; 2],
    /// The daily violation probability each party's gap was drawn with.
    p_seen: [f64; 2],
    gap_log: [GapLog; 2],
    stale: bool,
}

pub fn compile(t: &RuleTable, b: &mut Builder) -> Option<Box<dyn Rule>> {
    let c: Config = t.config(b)?;
    let parties = b.pair(&t.path("parties"), &c.parties, "a ceasefire's `parties`")?;
    let party_index = |b: &mut Builder, path: &str, name: &str| -> Option<usize> {
        let pos = c.parties.iter().position(|p| p == name);
        if pos.is_none() {
            b.error_help(
                path,
                format!("`{name}` is not a party to this ceasefire"),
                format!("parties: {}", c.parties.join(", ")),
            );
        }
        pos
    };
    if c.phases.is_empty() {
        b.error(t.path("phases"), "a ceasefire needs at least one phase");
        return None;
    }
    let mut keys: Vec<String> = Vec::new();
    for p in &c.parties {
        keys.push(format!("violations.{p}"));
    }
    for p in &c.parties {
        keys.push(format!("collapse_on_violation.{p}"));
    }
    keys.push("enforcement_probability".into());
    keys.push("advance_hazard".into());
    // No default key: every modifier of a ceasefire names the hazard it changes.
    keys.insert(0, String::new());
    let mut mods = ModifierSet::new(t, &c.modifiers, true, keys, b);
    let mut hazard_count = 0usize;
    let mut phases = Vec::new();
    for (i, ph) in c.phases.iter().enumerate() {
        let base = format!("phases[{i}]");
        let mut violations = Vec::new();
        for (party, d) in &ph.violations {
            let path = format!("{base}.violations.{party}");
            if let Some(k) = party_index(b, &t.path(&path), party) {
                let h = mods.hazard(b, &format!("violations.{party}"), &path, d, Bounds::Unit);
                violations.push((k, h, index(hazard_count)));
                hazard_count += 1;
            }
        }
        let drift = ph
            .drift
            .iter()
            .map(|(track, d)| {
                let path = t.path(&format!("{base}.drift.{track}"));
                (b.track(&path, track), b.param(&path, d, Bounds::Any))
            })
            .collect();
        phases.push(Phase {
            id: ph.id.clone(),
            violations,
            drift,
            advance: mods.hazard(
                b,
                "advance_hazard",
                &format!("{base}.advance_hazard"),
                &ph.advance_hazard,
                Bounds::Unit,
            ),
        });
    }
    let phase_names: Vec<&str> = c.phases.iter().map(|p| p.id.as_str()).collect();
    let find_phase = |b: &mut Builder, path: &str, name: &str| -> usize {
        phase_names
            .iter()
            .position(|p| *p == name)
            .unwrap_or_else(|| {
                b.error_help(
                    path,
                    format!("unknown phase `{name}`"),
                    crate::scenario::diag::suggest(name, &phase_names),
                );
                0
            })
    };
    let mut initial_phase = match &c.initial_phase {
        Some(p) => find_phase(b, &t.path("initial_phase"), p),
        None => 0,
    };
    let (mut initial_since, mut initially_in_force) = (0i64, true);
    if let Some(init) = b.initial_rules.remove(&t.id) {
        match init {
            InitialRule::Ceasefire {
                phase,
                since,
                in_force,
                path,
            } => {
                if let Some(p) = phase {
                    if c.initial_phase.is_some() {
                        b.error_help(
                            format!("{path}.phase"),
                            "the initial phase is given twice: here and in the rule's \
                             `initial_phase`",
                            "keep one of them",
                        );
                    }
                    initial_phase = find_phase(b, &format!("{path}.phase"), &p);
                }
                initial_since = since;
                initially_in_force = in_force;
            }
            InitialRule::Talks { path, .. } => b.error_help(
                path,
                format!("`{}` is a ceasefire, not a negotiation", t.id),
                format!("describe it under [initial.ceasefires.{}]", t.id),
            ),
        }
    }
    let mut collapse = [None, None];
    for (party, d) in &c.collapse_on_violation {
        let path = format!("collapse_on_violation.{party}");
        if let Some(k) = party_index(b, &t.path(&path), party) {
            collapse[k] = Some(mods.hazard(b, &path, &path, d, Bounds::Unit));
        }
    }
    for (i, k) in c.conditions.iter().enumerate() {
        if c.conditions[..i].iter().any(|o| o.id == k.id) {
            b.error(
                t.path(&format!("conditions[{i}].id")),
                format!("duplicate condition id `{}`", k.id),
            );
        }
    }
    for (i, ph) in c.phases.iter().enumerate() {
        if c.phases[..i].iter().any(|o| o.id == ph.id) {
            b.error(
                t.path(&format!("phases[{i}].id")),
                format!("duplicate phase id `{}`", ph.id),
            );
        }
    }
    let conditions = c
        .conditions
        .iter()
        .enumerate()
        .map(|(i, k)| Condition {
            id: k.id.clone(),
            phase: find_phase(b, &t.path(&format!("conditions[{i}].phase")), &k.phase),
            track: b.track(&t.path(&format!("conditions[{i}].track")), &k.track),
            at_least: k.at_least,
            deadline: b.days(
                &t.path(&format!("conditions[{i}].deadline_days")),
                &k.deadline_days,
            ),
            enforcement: mods.hazard(
                b,
                "enforcement_probability",
                &format!("conditions[{i}].enforcement_probability"),
                &k.enforcement_probability,
                Bounds::Unit,
            ),
        })
        .collect::<Vec<_>>();
    let enforcer = b.actor(&t.path("enforcer"), &c.enforcer);
    party_index(b, &t.path("enforcer"), &c.enforcer);
    mods.finish(b);
    // Hazards are listed: violations of every phase, collapse by party, enforcement by
    // condition, advance by phase.
    let mut next = hazard_count;
    let mut collapse_index = [0u8; 2];
    for (k, h) in collapse.iter().enumerate() {
        if h.is_some() {
            collapse_index[k] = index(next);
            next += 1;
        }
    }
    let condition_index = (0..conditions.len()).map(|i| index(next + i)).collect();
    let n_conditions = conditions.len();
    Some(Box::new(Ceasefire {
        idx: t.idx,
        id: t.id.clone(),
        parties,
        enforcer,
        enforcement_level: b.level(&t.path("enforcement_level"), &c.enforcement_level),
        violation_level: b.level(&t.path("violation_level"), &c.violation_level),
        initial_phase,
        initial_since,
        initially_in_force,
        collapse,
        collapse_index,
        condition_index,
        phases,
        conditions,
        source: c.source,
        phase: initial_phase,
        phase_start: initial_since,
        in_force: initially_in_force,
        settled: vec![false; n_conditions],
        next_violation: [NEVER; 2],
        p_seen: [f64::NAN; 2],
        gap_log: [GapLog::default(); 2],
        stale: true,
    }))
}

impl Ceasefire {
    fn other(&self, a: ActorId) -> ActorId {
        if a == self.parties[0] {
            self.parties[1]
        } else {
            self.parties[0]
        }
    }

    fn note(&self, kind: NoteKind, value: u32) -> Effect {
        Effect::Note(Note {
            kind,
            rule: self.idx,
            a: self.parties[0],
            b: self.parties[1],
            value,
        })
    }

    fn enter_phase(&mut self, phase: usize, w: &World, out: &mut Vec<Effect>) {
        for &(track, _) in &self.phases[self.phase].drift {
            out.push(Effect::SetDrift { track, drift: None });
        }
        self.phase = phase;
        self.phase_start = i64::from(w.day);
        // The new phase's hazards apply from tomorrow; `decide` redraws them then.
        self.stale = true;
        out.push(Effect::Status {
            rule: self.idx,
            value: phase as u32,
        });
        for &(track, d) in &self.phases[phase].drift {
            out.push(Effect::SetDrift {
                track,
                drift: Some(w.p(d)),
            });
        }
        out.push(self.note(NoteKind::Phase, phase as u32));
    }

    fn collapse(&mut self, w: &World, why: Why, out: &mut Vec<Effect>) {
        self.in_force = false;
        out.push(Effect::Status {
            rule: self.idx,
            value: COLLAPSED,
        });
        for &(track, _) in &self.phases[self.phase].drift {
            out.push(Effect::SetDrift { track, drift: None });
        }
        out.push(self.note(NoteKind::Collapse, self.phase as u32));
        out.push(Effect::Act(Act {
            actor: self.enforcer,
            target: self.other(self.enforcer),
            level: self.enforcement_level,
            rule: self.idx,
            form: Form::Enforcement,
            trigger_day: w.day,
            why,
        }));
    }
}

impl Rule for Ceasefire {
    fn kind(&self) -> &'static str {
        "ceasefire"
    }

    fn begin_run(&mut self, _world: &World, _rng: &mut Rng) {
        self.phase = self.initial_phase;
        self.phase_start = self.initial_since;
        self.in_force = self.initially_in_force;
        self.settled.iter_mut().for_each(|s| *s = false);
        self.next_violation = [NEVER; 2];
        self.p_seen = [f64::NAN; 2];
        self.stale = true;
    }

    fn status(&self) -> u32 {
        if self.in_force {
            self.phase as u32
        } else {
            COLLAPSED
        }
    }

    fn decide(&mut self, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) -> Wake {
        if !self.in_force {
            // A collapsed agreement stays collapsed; phase commands to it are moot.
            return Wake::Woken;
        }
        if w.day == 0 {
            // The initial phase's track drifts take effect from the first day.
            for &(track, d) in &self.phases[self.phase].drift {
                out.push(Effect::SetDrift {
                    track,
                    drift: Some(w.p(d)),
                });
            }
        }
        // Each party's violations are daily chances drawn as geometric gaps; a gap is redrawn
        // when its probability changes (a new phase, a hazard scaling, a modifier's
        // condition), which memorylessness makes exact.
        let scale = w.scale[self.idx as usize];
        if self.stale {
            self.next_violation = [NEVER; 2];
            self.p_seen = [f64::NAN; 2];
        }
        let mut until = NEVER;
        for i in 0..self.phases[self.phase].violations.len() {
            let (k, h, _) = &self.phases[self.phase].violations[i];
            let actor = self.parties[*k];
            let (odds, u) = h.eval(w, (actor, self.other(actor)), 0);
            until = until.min(u);
            let p = odds.p * scale;
            if self.stale || p != self.p_seen[*k] {
                self.p_seen[*k] = p;
                self.next_violation[*k] = next_event_day_with(rng, w.day, p, &mut self.gap_log[*k]);
            }
        }
        self.stale = false;
        for i in 0..self.phases[self.phase].violations.len() {
            let (k, _, hi) = self.phases[self.phase].violations[i];
            if self.next_violation[k] != w.day {
                continue;
            }
            let p = self.p_seen[k];
            self.next_violation[k] = next_event_day_with(rng, w.day + 1, p, &mut self.gap_log[k]);
            let actor = self.parties[k];
            let odds = Odds {
                p,
                base: w.p(self.phases[self.phase].violations[i].1.base),
                applied: 0,
                hazard: hi,
                other: scale,
            };
            out.push(Effect::Act(Act {
                actor,
                target: self.other(actor),
                level: self.violation_level,
                rule: self.idx,
                form: Form::Violation,
                trigger_day: w.day,
                why: Why::Chance { odds, draw: None },
            }));
            if let Some(c) = &self.collapse[k] {
                let (odds, _) = c.eval(w, (actor, self.other(actor)), self.collapse_index[k]);
                let (collapses, draw) = chance(rng, odds.p);
                if collapses {
                    self.collapse(
                        w,
                        Why::Chance {
                            odds,
                            draw: Some(draw),
                        },
                        out,
                    );
                    return Wake::Tomorrow;
                }
            }
        }
        for i in 0..self.conditions.len() {
            let c = &self.conditions[i];
            if self.settled[i] || c.phase != self.phase {
                continue;
            }
            if w.tracks[c.track as usize] >= c.at_least {
                self.settled[i] = true;
            } else if i64::from(w.day) >= self.phase_start + w.p(c.deadline) as i64 {
                self.settled[i] = true;
                out.push(self.note(NoteKind::ConditionMissed, i as u32));
                let enforcer = self.enforcer;
                let (odds, _) = c.enforcement.eval(
                    w,
                    (enforcer, self.other(enforcer)),
                    self.condition_index[i],
                );
                let (enforce, draw) = chance(rng, odds.p);
                if enforce {
                    self.collapse(
                        w,
                        Why::Chance {
                            odds,
                            draw: Some(draw),
                        },
                        out,
                    );
                    return Wake::Tomorrow;
                }
            }
        }
        let next = self.phase + 1;
        let ctx = (self.parties[0], self.parties[1]);
        let advance = if next < self.phases.len() {
            self.phases[self.phase].advance.value(w, ctx)
        } else {
            0.0
        };
        let advancing = advance > 0.0;
        if advancing && chance(rng, advance).0 {
            self.enter_phase(next, w, out);
            return Wake::Tomorrow;
        }
        // With no advance hazard, nothing happens before the next violation or the deadline of
        // a condition still open in this phase: a phase command, a change of scale and a
        // condition's track reaching its level (`thresholds`) wake the rule.
        let mut deadline = NEVER;
        for (i, c) in self.conditions.iter().enumerate() {
            if !self.settled[i] && c.phase == self.phase {
                let day = self.phase_start.saturating_add(w.p(c.deadline) as i64);
                deadline = deadline.min(u32::try_from(day.max(0)).unwrap_or(NEVER));
            }
        }
        if advancing || self.stale || !self.phases[self.phase].advance.mods.is_empty() {
            Wake::Tomorrow
        } else {
            Wake::Day(
                self.next_violation[0]
                    .min(self.next_violation[1])
                    .min(until)
                    .min(deadline),
            )
        }
    }

    fn hazards(&self) -> Vec<&Hazard> {
        let mut v: Vec<&Hazard> = self
            .phases
            .iter()
            .flat_map(|p| p.violations.iter().map(|(_, h, _)| h))
            .collect();
        v.extend(self.collapse.iter().flatten());
        v.extend(self.conditions.iter().map(|c| &c.enforcement));
        v.extend(self.phases.iter().map(|p| &p.advance));
        v
    }

    fn command(&mut self, command: Command, w: &World, out: &mut Vec<Effect>) {
        // Announcing a phase the agreement has already passed, or after it collapsed, is moot.
        if let Command::SetPhase(p) = command
            && self.in_force
            && (p as usize) > self.phase
        {
            self.enter_phase(p as usize, w, out);
        }
    }

    fn resolve_command(&self, spec: &CommandSpec) -> Result<Command, String> {
        match spec {
            CommandSpec::SetPhase(name) => match self.phases.iter().position(|p| &p.id == name) {
                Some(i) => Ok(Command::SetPhase(i as u8)),
                None => {
                    let names: Vec<&str> = self.phases.iter().map(|p| p.id.as_str()).collect();
                    Err(format!(
                        "ceasefire `{}` has no phase `{name}`; {}",
                        self.id,
                        crate::scenario::diag::suggest(name, &names)
                    ))
                }
            },
            other => Err(format!(
                "a ceasefire rule accepts no {} command",
                other.name()
            )),
        }
    }

    fn note_label(&self, note: &Note) -> Option<&str> {
        let i = note.value as usize;
        match note.kind {
            NoteKind::Phase | NoteKind::Collapse => self.phases.get(i).map(|p| p.id.as_str()),
            NoteKind::ConditionMissed => self.conditions.get(i).map(|c| c.id.as_str()),
            _ => None,
        }
    }

    fn state_names(&self) -> Vec<String> {
        vec![format!("{}_in_force", self.id)]
    }

    fn states(&self, out: &mut [bool]) {
        out[0] = self.in_force;
    }

    fn wakes(&self) -> Wakes {
        Wakes::of(&self.hazards())
    }

    fn thresholds(&self, out: &mut Vec<(TrackId, f64)>) {
        for h in self.hazards() {
            h.thresholds(out);
        }
        // A condition is met once its track reaches its level.
        out.extend(self.conditions.iter().map(|c| (c.track, c.at_least)));
    }

    fn hostility_pairs(&self, n: usize) -> Option<Vec<PairWatch>> {
        // Its hazards are evaluated for the parties, each against the other.
        let [a, b] = self.parties;
        let own = [(a, b), (b, a)];
        let mut v = Vec::new();
        for h in self.hazards() {
            h.pairs(&own, n, &mut v);
        }
        Some(v)
    }

    fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    fn box_clone(&self) -> Box<dyn Rule> {
        Box::new(self.clone())
    }
}
