//! `scheduled`: a dated event that steers other rules or the state.
//!
//! Fires once, on `date` or on a day drawn uniformly per run from `between = [first, last]`,
//! with `probability`. It can move an agreement to a phase (`set_phase`), open a negotiation
//! channel (`open_channel`), scale another rule's hazards from then on (`scale_hazard`) and
//! shift a track (`shift_track`).

use serde::Deserialize;
use toml::value::Datetime;

use super::{CommandSpec, Kind, Rule, Wake, Wakes, chance};
use crate::model::{Command, Effect, NO_ACTOR, Note, NoteKind, ParamId, RuleIdx, TrackId, World};
use crate::rng::Rng;
use crate::scenario::build::{Bounds, Builder, RuleTable};
use crate::scenario::dist::Dist;

pub const KIND: Kind = Kind {
    name: "scheduled",
    summary: "a dated event that moves an agreement to a phase, opens talks, scales another \
              rule's hazards or shifts a track",
    compile,
    schema: |g| g.subschema_for::<Config>(),
};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ScheduledRule")]
pub(crate) struct Config {
    #[allow(dead_code)]
    kind: String,
    #[serde(default)] // also tells the schema the key is optional
    #[schemars(schema_with = "crate::scenario::schema::date")]
    date: Option<Datetime>,
    #[serde(default)]
    #[schemars(schema_with = "crate::scenario::schema::date_pair")]
    between: Option<Vec<Datetime>>,
    #[serde(default = "one")]
    probability: Dist,
    set_phase: Option<SetPhase>,
    open_channel: Option<String>,
    scale_hazard: Option<ScaleHazard>,
    shift_track: Option<ShiftTrack>,
    source: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct SetPhase {
    rule: String,
    phase: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ScaleHazard {
    rule: String,
    factor: Dist,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ShiftTrack {
    track: String,
    by: Dist,
}

fn one() -> Dist {
    Dist::fixed(1.0)
}

#[derive(Clone, Debug)]
pub struct Scheduled {
    idx: RuleIdx,
    first_day: u32,
    last_day: u32,
    probability: ParamId,
    specs: Vec<(String, RuleIdx, CommandSpec)>,
    commands: Vec<(RuleIdx, Command)>,
    scale: Option<(RuleIdx, ParamId)>,
    shift: Option<(TrackId, ParamId)>,
    source: Option<String>,
    // per-run state
    day: u32,
    fires: bool,
}

pub fn compile(t: &RuleTable, b: &mut Builder) -> Option<Box<dyn Rule>> {
    let c: Config = t.config(b)?;
    let (first_day, last_day) = match (&c.date, &c.between) {
        (Some(d), None) => {
            let day = b.day(&t.path("date"), d)?;
            (day, day)
        }
        (None, Some(range)) if range.len() == 2 => {
            let a = b.day(&t.path("between[0]"), &range[0])?;
            let z = b.day(&t.path("between[1]"), &range[1])?;
            if a > z {
                b.error(t.path("between"), "`between` needs the earlier date first");
                return None;
            }
            (a, z)
        }
        (None, Some(_)) => {
            b.error(
                t.path("between"),
                "`between` takes two dates: [first, last]",
            );
            return None;
        }
        _ => {
            b.error_help(
                format!("rules.{}", t.id),
                "a scheduled rule needs exactly one of `date` or `between`",
                "write date = 2026-01-23, or between = [2026-01-05, 2026-01-31]",
            );
            return None;
        }
    };
    let mut specs = Vec::new();
    if let Some(sp) = &c.set_phase {
        let target = b.rule(&t.path("set_phase.rule"), &sp.rule, Some("ceasefire"));
        specs.push((
            t.path("set_phase.phase"),
            target,
            CommandSpec::SetPhase(sp.phase.clone()),
        ));
    }
    if let Some(ch) = &c.open_channel {
        let target = b.rule(&t.path("open_channel"), ch, Some("negotiation"));
        specs.push((t.path("open_channel"), target, CommandSpec::OpenChannel));
    }
    if let Some(s) = &c.scale_hazard
        && s.rule == t.id
    {
        b.error_help(
            t.path("scale_hazard.rule"),
            format!("the scheduled rule `{}` cannot scale its own hazard", t.id),
            "it fires once and has no hazard afterwards; name the rule whose hazard changes",
        );
    }
    let scale = c.scale_hazard.as_ref().map(|s| {
        (
            b.rule(&t.path("scale_hazard.rule"), &s.rule, None),
            b.param(
                &t.path("scale_hazard.factor"),
                &s.factor,
                Bounds::NonNegative,
            ),
        )
    });
    let shift = c.shift_track.as_ref().map(|s| {
        (
            b.track(&t.path("shift_track.track"), &s.track),
            b.param(&t.path("shift_track.by"), &s.by, Bounds::Any),
        )
    });
    if specs.is_empty() && scale.is_none() && shift.is_none() {
        b.error_help(
            format!("rules.{}", t.id),
            "a scheduled rule that does nothing",
            "give it set_phase, open_channel, scale_hazard or shift_track",
        );
    }
    Some(Box::new(Scheduled {
        idx: t.idx,
        first_day,
        last_day,
        probability: b.prob(&t.path("probability"), &c.probability),
        specs,
        commands: Vec::new(),
        scale,
        shift,
        source: c.source,
        day: first_day,
        fires: false,
    }))
}

impl Rule for Scheduled {
    fn kind(&self) -> &'static str {
        "scheduled"
    }

    fn begin_run(&mut self, w: &World, rng: &mut Rng) {
        use rand::RngExt;
        self.day = if self.last_day > self.first_day {
            rng.random_range(self.first_day..=self.last_day)
        } else {
            self.first_day
        };
        self.fires = chance(rng, w.p(self.probability)).0;
    }

    fn decide(&mut self, w: &World, _rng: &mut Rng, out: &mut Vec<Effect>) -> Wake {
        if !self.fires || w.day > self.day {
            return Wake::Woken;
        }
        if w.day < self.day {
            return Wake::Day(self.day);
        }
        out.push(Effect::Note(Note {
            kind: NoteKind::Scheduled,
            rule: self.idx,
            a: NO_ACTOR,
            b: NO_ACTOR,
            value: 0,
        }));
        for &(rule, command) in &self.commands {
            out.push(Effect::Command { rule, command });
        }
        if let Some((rule, f)) = self.scale {
            out.push(Effect::ScaleHazard {
                rule,
                factor: w.p(f),
            });
        }
        if let Some((track, by)) = self.shift {
            out.push(Effect::Shift { track, by: w.p(by) });
        }
        Wake::Woken
    }

    fn command_specs(&self) -> Vec<(String, RuleIdx, CommandSpec)> {
        self.specs.clone()
    }

    fn set_commands(&mut self, commands: Vec<Command>) {
        self.commands = self
            .specs
            .iter()
            .map(|(_, r, _)| *r)
            .zip(commands)
            .collect();
    }

    fn wakes(&self) -> Wakes {
        // Its day is drawn at the start of the run.
        Wakes::NONE
    }

    fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    fn box_clone(&self) -> Box<dyn Rule> {
        Box::new(self.clone())
    }
}
