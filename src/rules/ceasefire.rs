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

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{CommandSpec, Rule, Wake, chance, next_event_day};
use crate::model::{
    Act, ActorId, Command, Effect, Form, Level, NEVER, Note, NoteKind, ParamId, RuleIdx, TrackId,
    Why, World,
};
use crate::rng::Rng;
use crate::scenario::build::{Bounds, Builder, RuleTable};
use crate::scenario::dist::Dist;

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
    deadline_days: u32,
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
    /// (party index 0/1, daily hazard)
    violations: Vec<(usize, ParamId)>,
    drift: Vec<(TrackId, ParamId)>,
    advance: ParamId,
}

#[derive(Clone, Debug)]
struct Condition {
    id: String,
    phase: usize,
    track: TrackId,
    at_least: f64,
    deadline: u32,
    enforcement: ParamId,
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
    collapse: [Option<ParamId>; 2],
    phases: Vec<Phase>,
    conditions: Vec<Condition>,
    source: Option<String>,
    // per-run state
    phase: usize,
    phase_start: u32,
    in_force: bool,
    /// Conditions already settled this run (met or enforced or waived).
    settled: Vec<bool>,
    /// Day of each party's next violation of the current phase. Violations are daily chances,
    /// so the gaps between them are geometric and are drawn once per violation; they are
    /// redrawn when the phase or the hazard scale changes (`stale`, `scale_seen`), which the
    /// memorylessness of the geometric distribution makes exact.
    next_violation: [u32; 2],
    stale: bool,
    scale_seen: f64,
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
    let mut phases = Vec::new();
    for (i, ph) in c.phases.iter().enumerate() {
        let base = format!("phases[{i}]");
        let mut violations = Vec::new();
        for (party, d) in &ph.violations {
            let path = t.path(&format!("{base}.violations.{party}"));
            if let Some(k) = party_index(b, &path, party) {
                violations.push((k, b.prob(&path, d)));
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
            advance: b.prob(
                &t.path(&format!("{base}.advance_hazard")),
                &ph.advance_hazard,
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
    let initial_phase = match &c.initial_phase {
        Some(p) => find_phase(b, &t.path("initial_phase"), p),
        None => 0,
    };
    let mut collapse = [None, None];
    for (party, d) in &c.collapse_on_violation {
        let path = t.path(&format!("collapse_on_violation.{party}"));
        if let Some(k) = party_index(b, &path, party) {
            collapse[k] = Some(b.prob(&path, d));
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
            deadline: k.deadline_days,
            enforcement: b.prob(
                &t.path(&format!("conditions[{i}].enforcement_probability")),
                &k.enforcement_probability,
            ),
        })
        .collect::<Vec<_>>();
    let enforcer = b.actor(&t.path("enforcer"), &c.enforcer);
    party_index(b, &t.path("enforcer"), &c.enforcer);
    let n_conditions = conditions.len();
    Some(Box::new(Ceasefire {
        idx: t.idx,
        id: t.id.clone(),
        parties,
        enforcer,
        enforcement_level: b.level(&t.path("enforcement_level"), &c.enforcement_level),
        violation_level: b.level(&t.path("violation_level"), &c.violation_level),
        initial_phase,
        collapse,
        phases,
        conditions,
        source: c.source,
        phase: initial_phase,
        phase_start: 0,
        in_force: true,
        settled: vec![false; n_conditions],
        next_violation: [NEVER; 2],
        stale: true,
        scale_seen: 1.0,
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
        self.phase_start = w.day;
        // The new phase's hazards apply from tomorrow; `decide` redraws them then.
        self.stale = true;
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
        self.phase_start = 0;
        self.in_force = true;
        self.settled.iter_mut().for_each(|s| *s = false);
        self.next_violation = [NEVER; 2];
        self.stale = true;
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
        let scale = w.scale[self.idx as usize];
        if self.stale || scale != self.scale_seen {
            self.stale = false;
            self.scale_seen = scale;
            self.next_violation = [NEVER; 2];
            for &(k, hazard) in &self.phases[self.phase].violations {
                self.next_violation[k] = next_event_day(rng, w.day, w.p(hazard) * scale);
            }
        }
        for i in 0..self.phases[self.phase].violations.len() {
            let (k, hazard) = self.phases[self.phase].violations[i];
            if self.next_violation[k] != w.day {
                continue;
            }
            let p = w.p(hazard) * scale;
            self.next_violation[k] = next_event_day(rng, w.day + 1, p);
            let actor = self.parties[k];
            out.push(Effect::Act(Act {
                actor,
                target: self.other(actor),
                level: self.violation_level,
                rule: self.idx,
                form: Form::Violation,
                trigger_day: w.day,
                why: Why::Chance { p, draw: None },
            }));
            if let Some(c) = self.collapse[k] {
                let q = w.p(c);
                let (collapses, draw) = chance(rng, q);
                if collapses {
                    self.collapse(
                        w,
                        Why::Chance {
                            p: q,
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
            } else if w.day >= self.phase_start + c.deadline {
                self.settled[i] = true;
                out.push(self.note(NoteKind::ConditionMissed, i as u32));
                let q = w.p(c.enforcement);
                let (enforce, draw) = chance(rng, q);
                if enforce {
                    self.collapse(
                        w,
                        Why::Chance {
                            p: q,
                            draw: Some(draw),
                        },
                        out,
                    );
                    return Wake::Tomorrow;
                }
            }
        }
        let next = self.phase + 1;
        let advancing = next < self.phases.len() && w.p(self.phases[self.phase].advance) > 0.0;
        if advancing && chance(rng, w.p(self.phases[self.phase].advance)).0 {
            self.enter_phase(next, w, out);
            return Wake::Tomorrow;
        }
        // With no advance hazard and no condition left to watch in this phase, nothing happens
        // before the next violation: a phase command or a change of scale wakes the rule.
        let watching = (0..self.conditions.len())
            .any(|i| !self.settled[i] && self.conditions[i].phase == self.phase);
        if advancing || watching || self.stale {
            Wake::Tomorrow
        } else {
            Wake::Day(self.next_violation[0].min(self.next_violation[1]))
        }
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

    fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    fn box_clone(&self) -> Box<dyn Rule> {
        Box::new(self.clone())
    }
}
