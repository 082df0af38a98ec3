//! Decision rules: one module per kind, all behind the `Rule` trait.
//!
//! A rule is compiled once from its scenario table (`compile`), cloned into each worker, and
//! reset at the start of every run (`begin_run`). Each day it looks at the `World` as it stood at
//! the start of the day and answers with `Effect`s; it never mutates the world itself. Adding a
//! kind means one new file here and one line in `KINDS`.

use std::fmt::Debug;

use crate::model::{Act, Command, Effect, Note, RuleIdx, World};
use crate::rng::Rng;
use crate::scenario::build::{Builder, RuleTable};

pub mod ceasefire;
pub mod negotiation;
pub mod preemption;
pub mod red_line;
pub mod retaliation;
pub mod scheduled;
pub mod termination;

/// A decision rule's behaviour within one run. Implementations keep their per-run state in
/// `self`; the engine clones the compiled prototype once per worker and calls `begin_run`
/// before every run, so nothing is allocated per simulated day.
pub trait Rule: Send + Sync + Debug {
    /// The kind's name as written in scenario files (`red_line`, ...).
    fn kind(&self) -> &'static str;

    /// Resets per-run state. Parameters for this run are already drawn into `world.params`.
    fn begin_run(&mut self, world: &World, rng: &mut Rng);

    /// Decides today's actions from the start-of-day world.
    fn decide(&mut self, world: &World, rng: &mut Rng, out: &mut Vec<Effect>);

    /// Sees the acts that just took effect. With `same_day` the rule may answer today (its acts
    /// take effect in today's second wave); otherwise any answer must wait for a later day.
    fn react(
        &mut self,
        _acts: &[Act],
        _same_day: bool,
        _world: &World,
        _rng: &mut Rng,
        _out: &mut Vec<Effect>,
    ) {
    }

    /// Receives a command from another rule (a scheduled event).
    fn command(&mut self, _command: Command, _world: &World, _out: &mut Vec<Effect>) {}

    /// Turns a command named in a scenario into one this rule understands.
    fn resolve_command(&self, spec: &CommandSpec) -> Result<Command, String> {
        Err(format!(
            "a {} rule accepts no {} command",
            self.kind(),
            spec.name()
        ))
    }

    /// Commands this rule will send, for the linker to resolve: (key path, target rule, spec).
    fn command_specs(&self) -> Vec<(String, RuleIdx, CommandSpec)> {
        Vec::new()
    }

    /// Receives the resolved commands, in the order `command_specs` gave them.
    fn set_commands(&mut self, _commands: Vec<Command>) {}

    /// A name for a note's `value` (a phase or condition id), for traces.
    fn note_label(&self, _note: &Note) -> Option<&str> {
        None
    }

    /// Names of the boolean daily states this rule reports (e.g. `gaza_ceasefire_in_force`).
    fn state_names(&self) -> Vec<String> {
        Vec::new()
    }

    /// Writes today's states, in `state_names` order.
    fn states(&self, _out: &mut [bool]) {}

    /// The scenario's claim ids or citation for this rule.
    fn source(&self) -> Option<&str>;

    fn box_clone(&self) -> Box<dyn Rule>;
}

impl Clone for Box<dyn Rule> {
    fn clone(&self) -> Self {
        self.box_clone()
    }
}

/// A command as written in a scenario, before it is resolved against its target.
#[derive(Clone, Debug)]
pub enum CommandSpec {
    SetPhase(String),
    OpenChannel,
}

impl CommandSpec {
    pub fn name(&self) -> &'static str {
        match self {
            CommandSpec::SetPhase(_) => "set_phase",
            CommandSpec::OpenChannel => "open_channel",
        }
    }
}

type CompileFn = fn(&RuleTable, &mut Builder) -> Option<Box<dyn Rule>>;

/// Every rule kind, by the name scenarios use.
pub const KINDS: &[(&str, CompileFn)] = &[
    ("red_line", red_line::compile),
    ("retaliation", retaliation::compile),
    ("preemption", preemption::compile),
    ("ceasefire", ceasefire::compile),
    ("negotiation", negotiation::compile),
    ("scheduled", scheduled::compile),
    ("termination", termination::compile),
];

/// Hazard helper: true with probability `p` (clamped to [0, 1]); returns the draw for traces.
#[inline]
pub fn chance(rng: &mut Rng, p: f64) -> (bool, f64) {
    use rand::RngExt;
    let u: f64 = rng.random();
    (u < p, u)
}
