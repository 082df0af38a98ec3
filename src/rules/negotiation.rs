//! `negotiation`: a diplomatic channel that may reopen, restrain hostilities while open, break
//! down, or produce a deal.
//!
//! A dormant channel reopens with `open_hazard` per day. While open, the red-line and
//! pre-emption hazards between the parties (and any extra `restrains` pairs, both ways) are
//! multiplied by `restraint` from the next day; each day
//! the talks close with `close_hazard` or reach a deal with `deal_hazard`. An act at `breaks_at`
//! or above between restrained actors ends the talks, which cannot reopen for
//! `reopen_after_days`. A deal freezes the tracks it names for the rest of the run and keeps a
//! `deal.restraint` on hostilities.

use serde::Deserialize;

use super::{CommandSpec, Rule, Wake, chance};
use crate::model::{
    Act, ActorId, Command, Effect, Level, Note, NoteKind, ParamId, RuleIdx, TrackId, World,
};
use crate::rng::Rng;
use crate::scenario::build::{Builder, RuleTable};
use crate::scenario::dist::Dist;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NegotiationRule")]
pub(crate) struct Config {
    #[allow(dead_code)]
    kind: String,
    parties: Vec<String>,
    #[serde(default)]
    initially_open: bool,
    open_hazard: Dist,
    close_hazard: Dist,
    deal_hazard: Dist,
    restraint: Dist,
    #[serde(default)]
    restrains: Vec<Vec<String>>,
    breaks_at: String,
    #[serde(default = "default_reopen")]
    reopen_after_days: u32,
    deal: Option<DealConfig>,
    source: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct DealConfig {
    #[serde(default)]
    freezes: Vec<String>,
    restraint: Dist,
}

fn default_reopen() -> u32 {
    30
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Dormant,
    Open,
    Deal,
}

#[derive(Clone, Debug)]
pub struct Negotiation {
    idx: RuleIdx,
    id: String,
    parties: [ActorId; 2],
    initially_open: bool,
    open: ParamId,
    close: ParamId,
    deal: ParamId,
    restraint: ParamId,
    /// Directed pairs whose hostile hazards the channel restrains.
    pairs: Vec<(ActorId, ActorId)>,
    breaks_at: Level,
    reopen_after: u32,
    freezes: Vec<TrackId>,
    deal_restraint: Option<ParamId>,
    source: Option<String>,
    // per-run state
    status: Status,
    closed_until: u32,
}

pub fn compile(t: &RuleTable, b: &mut Builder) -> Option<Box<dyn Rule>> {
    let c: Config = t.config(b)?;
    let parties = b.pair(&t.path("parties"), &c.parties, "a negotiation's `parties`")?;
    let mut pairs = vec![(parties[0], parties[1]), (parties[1], parties[0])];
    for (i, pair) in c.restrains.iter().enumerate() {
        if let Some([x, y]) = b.pair(
            &t.path(&format!("restrains[{i}]")),
            pair,
            "a restrained pair",
        ) {
            pairs.push((x, y));
            pairs.push((y, x));
        }
    }
    let (freezes, deal_restraint) = match &c.deal {
        Some(d) => (
            d.freezes
                .iter()
                .enumerate()
                .map(|(i, tr)| b.track(&t.path(&format!("deal.freezes[{i}]")), tr))
                .collect(),
            Some(b.prob(&t.path("deal.restraint"), &d.restraint)),
        ),
        None => (Vec::new(), None),
    };
    Some(Box::new(Negotiation {
        idx: t.idx,
        id: t.id.clone(),
        parties,
        initially_open: c.initially_open,
        open: b.prob(&t.path("open_hazard"), &c.open_hazard),
        close: b.prob(&t.path("close_hazard"), &c.close_hazard),
        deal: b.prob(&t.path("deal_hazard"), &c.deal_hazard),
        restraint: b.prob(&t.path("restraint"), &c.restraint),
        pairs,
        breaks_at: b.level(&t.path("breaks_at"), &c.breaks_at),
        reopen_after: c.reopen_after_days,
        freezes,
        deal_restraint,
        source: c.source,
        status: Status::Dormant,
        closed_until: 0,
    }))
}

impl Negotiation {
    fn note(&self, kind: NoteKind) -> Effect {
        Effect::Note(Note {
            kind,
            rule: self.idx,
            a: self.parties[0],
            b: self.parties[1],
            value: 0,
        })
    }

    fn restrain(&self, factor: f64, out: &mut Vec<Effect>) {
        for &(actor, target) in &self.pairs {
            out.push(Effect::Restrain {
                actor,
                target,
                factor,
            });
        }
    }
}

impl Rule for Negotiation {
    fn kind(&self) -> &'static str {
        "negotiation"
    }

    fn begin_run(&mut self, _world: &World, _rng: &mut Rng) {
        self.status = if self.initially_open {
            Status::Open
        } else {
            Status::Dormant
        };
        self.closed_until = 0;
    }

    fn decide(&mut self, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) -> Wake {
        let scale = w.scale[self.idx as usize];
        match self.status {
            Status::Deal => {}
            Status::Open => {
                if chance(rng, w.p(self.deal) * scale).0 {
                    self.status = Status::Deal;
                    out.push(self.note(NoteKind::Deal));
                    for &track in &self.freezes {
                        out.push(Effect::Freeze { track });
                    }
                } else if chance(rng, w.p(self.close)).0 {
                    self.status = Status::Dormant;
                    self.closed_until = w.day + self.reopen_after;
                    out.push(self.note(NoteKind::TalksClosed));
                }
            }
            Status::Dormant => {
                if w.day >= self.closed_until && chance(rng, w.p(self.open) * scale).0 {
                    self.status = Status::Open;
                    out.push(self.note(NoteKind::TalksOpen));
                }
            }
        }
        // Restraint follows today's status and shapes tomorrow's decisions.
        match self.status {
            Status::Open => self.restrain(w.p(self.restraint), out),
            Status::Deal => match self.deal_restraint {
                Some(r) => self.restrain(w.p(r), out),
                // A deal is final: nothing left to decide.
                None => return Wake::Woken,
            },
            Status::Dormant => {}
        }
        Wake::Tomorrow
    }

    fn react(
        &mut self,
        acts: &[Act],
        _same_day: bool,
        w: &World,
        _rng: &mut Rng,
        out: &mut Vec<Effect>,
    ) {
        if self.status != Status::Open {
            return;
        }
        let breaks = acts
            .iter()
            .any(|a| a.level >= self.breaks_at && self.pairs.contains(&(a.actor, a.target)));
        if breaks {
            self.status = Status::Dormant;
            self.closed_until = w.day + self.reopen_after;
            out.push(self.note(NoteKind::TalksClosed));
        }
    }

    fn command(&mut self, command: Command, _w: &World, out: &mut Vec<Effect>) {
        if command == Command::OpenChannel && self.status == Status::Dormant {
            self.status = Status::Open;
            out.push(self.note(NoteKind::TalksOpen));
        }
    }

    fn resolve_command(&self, spec: &CommandSpec) -> Result<Command, String> {
        match spec {
            CommandSpec::OpenChannel => Ok(Command::OpenChannel),
            other => Err(format!(
                "a negotiation rule accepts no {} command",
                other.name()
            )),
        }
    }

    fn state_names(&self) -> Vec<String> {
        vec![format!("{}_open", self.id), format!("{}_deal", self.id)]
    }

    fn states(&self, out: &mut [bool]) {
        out[0] = self.status == Status::Open;
        out[1] = self.status == Status::Deal;
    }

    fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    fn box_clone(&self) -> Box<dyn Rule> {
        Box::new(self.clone())
    }
}
