//! `brink schema`: print the JSON Schema of scenario files on stdout.
//!
//! Usage: brink schema > brink.schema.json
//!
//! Point an editor at it with a first line `#:schema ./brink.schema.json` in a scenario (Taplo,
//! Even Better TOML) for completion and validation as you type.

use std::io::Write;

use super::Result;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: Args) -> Result<()> {
    let text = serde_json::to_string_pretty(&brink::scenario::schema::schema())
        .map_err(anyhow::Error::from)?;
    // A closed pipe (`brink schema | head`) is the reader's choice, not a failure.
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(anyhow::Error::from(e)
            .context("cannot write the schema to stdout")
            .into()),
        _ => Ok(()),
    }
}
