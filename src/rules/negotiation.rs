//! `negotiation`: a diplomatic channel that may reopen, restrain hostilities while open, break
//! down, or produce a deal.
//!
//! A dormant channel reopens with `open_hazard` per day. While open, the red-line and
//! pre-emption hazards between the parties (and any extra `restrains` pairs, both ways) are
//! multiplied by `restraint` from the next day; each day
//! the talks close with `close_hazard` or reach a deal with `deal_hazard`. An act at `breaks_at`
//! or above between restrained actors ends the talks, which cannot reopen for
//! `reopen_after_days`. A deal freezes the tracks it names for the rest of the run and keeps a
//! `deal.restraint` on hostilities. A deal may break down again (`deal.break_hazard`): the
//! frozen tracks move again and the channel goes dormant.
//!
//! The channel's status (dormant, open, deal) is public: conditions read it, so a strike can be
//! likelier while talks are open (cover) or once a deal is near. Its state at the start may be
//! set in `[initial.talks.<id>]`. Every hazard takes modifiers (keys `open_hazard`,
//! `close_hazard`, `deal_hazard`, `restraint`, `deal.break_hazard`). A deal is an agreement:
//! strikes being prepared between the restrained pairs are called off.

use serde::Deserialize;

use super::hazard::{Hazard, ModifierConfig, ModifierSet};
use super::{CommandSpec, Kind, Rule, Wake, Wakes, chance};
use crate::model::{
    Act, ActorId, Command, Effect, Level, Note, NoteKind, ParamId, RuleIdx, TrackId, World,
};
use crate::rng::Rng;
use crate::scenario::build::{Bounds, Builder, InitialRule, RuleTable};
use crate::scenario::days::Days;
use crate::scenario::dist::Dist;

pub const KIND: Kind = Kind {
    name: "negotiation",
    summary: "a diplomatic channel that reopens, restrains hostilities while open, breaks \
              down, or produces a deal that may itself break",
    compile,
    schema: |g| g.subschema_for::<Config>(),
};

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
    /// Drawn once per run.
    #[serde(default = "default_reopen")]
    reopen_after_days: Days,
    deal: Option<DealConfig>,
    #[serde(default)]
    modifiers: Vec<ModifierConfig>,
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
    /// Chance per day that the deal breaks down.
    #[serde(default = "zero")]
    break_hazard: Dist,
}

fn zero() -> Dist {
    Dist::fixed(0.0)
}

fn default_reopen() -> Days {
    Days::new(30)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Dormant = 0,
    Open = 1,
    Deal = 2,
}

#[derive(Clone, Debug)]
pub struct Negotiation {
    idx: RuleIdx,
    id: String,
    parties: [ActorId; 2],
    initial: Status,
    /// Day the talks went dormant, when `[initial.talks]` says they closed before the start
    /// (negative), for `reopen_after_days`.
    initial_since: Option<i64>,
    open: Hazard,
    close: Hazard,
    deal: Hazard,
    restraint: Hazard,
    /// Directed pairs whose hostile hazards the channel restrains.
    pairs: Vec<(ActorId, ActorId)>,
    breaks_at: Level,
    /// The per-run parameter holding `reopen_after_days`.
    reopen_after: ParamId,
    freezes: Vec<TrackId>,
    deal_restraint: Option<Hazard>,
    deal_break: Option<Hazard>,
    source: Option<String>,
    // per-run state
    status: Status,
    closed_until: u32,
}

pub fn compile(t: &RuleTable, b: &mut Builder) -> Option<Box<dyn Rule>> {
    let c: Config = t.config(b)?;
    let keys = [
        "open_hazard",
        "close_hazard",
        "deal_hazard",
        "restraint",
        "deal.restraint",
        "deal.break_hazard",
    ];
    let mut mods = ModifierSet::new(
        t,
        &c.modifiers,
        true,
        keys.iter().map(|k| k.to_string()).collect(),
        b,
    );
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
    let (freezes, deal_restraint, deal_break) = match &c.deal {
        Some(d) => (
            d.freezes
                .iter()
                .enumerate()
                .map(|(i, tr)| b.track(&t.path(&format!("deal.freezes[{i}]")), tr))
                .collect(),
            Some(mods.hazard(
                b,
                "deal.restraint",
                "deal.restraint",
                &d.restraint,
                Bounds::Unit,
            )),
            Some(mods.hazard(
                b,
                "deal.break_hazard",
                "deal.break_hazard",
                &d.break_hazard,
                Bounds::Unit,
            )),
        ),
        None => (Vec::new(), None, None),
    };
    let mut initial = if c.initially_open {
        Status::Open
    } else {
        Status::Dormant
    };
    let mut initial_since = None;
    if let Some(init) = b.initial_rules.remove(&t.id) {
        match init {
            InitialRule::Talks {
                status,
                since,
                path,
            } => {
                if c.initially_open {
                    b.error_help(
                        format!("{path}.status"),
                        "the initial status is given twice: here and in the rule's \
                         `initially_open`",
                        "keep one of them",
                    );
                }
                initial = match status.as_str() {
                    "dormant" => Status::Dormant,
                    "open" => Status::Open,
                    "deal" => {
                        if c.deal.is_none() {
                            b.error_help(
                                format!("{path}.status"),
                                "the talks start with a deal, but the rule has no `deal` table",
                                "add deal = { freezes = [...], restraint = ... }",
                            );
                        }
                        Status::Deal
                    }
                    other => {
                        b.error_help(
                            format!("{path}.status"),
                            format!("unknown talks status `{other}`"),
                            crate::scenario::diag::suggest(other, &["dormant", "open", "deal"]),
                        );
                        Status::Dormant
                    }
                };
                initial_since = Some(since);
            }
            InitialRule::Ceasefire { path, .. } => b.error_help(
                path,
                format!("`{}` is a negotiation, not a ceasefire", t.id),
                format!("describe it under [initial.talks.{}]", t.id),
            ),
        }
    }
    let rule = Negotiation {
        idx: t.idx,
        id: t.id.clone(),
        parties,
        initial,
        initial_since,
        open: mods.hazard(
            b,
            "open_hazard",
            "open_hazard",
            &c.open_hazard,
            Bounds::Unit,
        ),
        close: mods.hazard(
            b,
            "close_hazard",
            "close_hazard",
            &c.close_hazard,
            Bounds::Unit,
        ),
        deal: mods.hazard(
            b,
            "deal_hazard",
            "deal_hazard",
            &c.deal_hazard,
            Bounds::Unit,
        ),
        restraint: mods.hazard(b, "restraint", "restraint", &c.restraint, Bounds::Unit),
        pairs,
        breaks_at: b.level(&t.path("breaks_at"), &c.breaks_at),
        reopen_after: b.days(&t.path("reopen_after_days"), &c.reopen_after_days),
        freezes,
        deal_restraint,
        deal_break,
        source: c.source,
        status: Status::Dormant,
        closed_until: 0,
    };
    mods.finish(b);
    Some(Box::new(rule))
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

    fn set_status(&mut self, status: Status, out: &mut Vec<Effect>) {
        self.status = status;
        out.push(Effect::Status {
            rule: self.idx,
            value: status as u32,
        });
    }

    /// A deal is reached: it freezes its tracks and is an agreement between every pair it
    /// restrains.
    fn strike_deal(&mut self, out: &mut Vec<Effect>) {
        self.set_status(Status::Deal, out);
        out.push(self.note(NoteKind::Deal));
        for &track in &self.freezes {
            out.push(Effect::Freeze { track });
        }
        for &(a, b) in &self.pairs {
            if a < b {
                out.push(Effect::Accord { a, b });
            }
        }
    }

    fn close(&mut self, w: &World, out: &mut Vec<Effect>) {
        self.set_status(Status::Dormant, out);
        self.closed_until = w.day.saturating_add(w.p(self.reopen_after) as u32);
        out.push(self.note(NoteKind::TalksClosed));
    }
}

impl Rule for Negotiation {
    fn kind(&self) -> &'static str {
        "negotiation"
    }

    fn begin_run(&mut self, w: &World, _rng: &mut Rng) {
        self.status = self.initial;
        // Talks that closed before the start reopen no sooner than they could have then.
        self.closed_until = match (self.initial, self.initial_since) {
            (Status::Dormant, Some(since)) => {
                u32::try_from((since + w.p(self.reopen_after) as i64).max(0)).unwrap_or(u32::MAX)
            }
            _ => 0,
        };
    }

    fn status(&self) -> u32 {
        self.status as u32
    }

    fn decide(&mut self, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) -> Wake {
        let scale = w.scale[self.idx as usize];
        let ctx = (self.parties[0], self.parties[1]);
        if w.day == 0 && self.initial == Status::Deal {
            // A deal in force at the start keeps its tracks frozen from the first day.
            for &track in &self.freezes {
                out.push(Effect::Freeze { track });
            }
        }
        match self.status {
            Status::Deal => {
                let p = self.deal_break.as_ref().map_or(0.0, |h| h.value(w, ctx));
                if p > 0.0 && chance(rng, p).0 {
                    for &track in &self.freezes {
                        out.push(Effect::Unfreeze { track });
                    }
                    out.push(self.note(NoteKind::DealBroken));
                    self.close(w, out);
                }
            }
            Status::Open => {
                if chance(rng, self.deal.value(w, ctx) * scale).0 {
                    self.strike_deal(out);
                } else if chance(rng, self.close.value(w, ctx)).0 {
                    self.close(w, out);
                }
            }
            Status::Dormant => {
                if w.day >= self.closed_until && chance(rng, self.open.value(w, ctx) * scale).0 {
                    self.set_status(Status::Open, out);
                    out.push(self.note(NoteKind::TalksOpen));
                }
            }
        }
        // Restraint follows today's status and shapes tomorrow's decisions.
        match self.status {
            Status::Open => self.restrain(self.restraint.value(w, ctx), out),
            Status::Deal => match &self.deal_restraint {
                Some(r) => self.restrain(r.value(w, ctx), out),
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
    ) -> Wake {
        if self.status != Status::Open {
            return Wake::Woken;
        }
        let breaks = acts
            .iter()
            .any(|a| a.level >= self.breaks_at && self.pairs.contains(&(a.actor, a.target)));
        if breaks {
            self.close(w, out);
        }
        Wake::Woken
    }

    fn reacts(&self) -> bool {
        true
    }

    fn reacts_to(&self, actor: ActorId, target: ActorId, level: Level) -> bool {
        // Only an act that breaks the talks off concerns them.
        level >= self.breaks_at && self.pairs.contains(&(actor, target))
    }

    fn wakes(&self) -> Wakes {
        Wakes::of(&self.hazards())
    }

    fn hazards(&self) -> Vec<&Hazard> {
        let mut v = vec![&self.open, &self.close, &self.deal, &self.restraint];
        v.extend(self.deal_restraint.iter());
        v.extend(self.deal_break.iter());
        v
    }

    fn command(&mut self, command: Command, _w: &World, out: &mut Vec<Effect>) {
        if command == Command::OpenChannel && self.status == Status::Dormant {
            self.set_status(Status::Open, out);
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
