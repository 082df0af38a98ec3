//! brink: Monte Carlo simulation of political-military escalation.
//!
//! The library is the model, the rules, the engine and the statistics. It does no I/O and never
//! touches the terminal: it parses scenario text, runs simulations and summarizes them. The
//! `brink` binary around it reads files, writes CSV and reports progress.

pub mod compare;
pub mod discover;
pub mod draw;
pub mod engine;
pub mod explain;
pub mod given;
pub mod load;
pub mod manifest;
pub mod math;
pub mod metrics;
pub mod model;
pub mod per_run;
pub mod prim;
pub mod rng;
pub mod rules;
pub mod scenario;
pub mod score;
pub mod sensitivity;
pub mod shard;
pub mod stats;
pub mod study;
pub mod summary;
pub mod sweep;
pub mod table;
pub mod trace;
pub mod until;
pub mod watch;
