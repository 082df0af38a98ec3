//! Ctrl-C and SIGTERM: turn the first signal into a flag the run checks between chunks, so a
//! long run stops within a second, cleans up its staging directory and exits 130 instead of
//! dying with half its files written. The library never sees signals, only the flag.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use signal_hook::consts::{SIGINT, SIGTERM};

/// Installs the handlers and returns the flag they set. If they cannot be installed the run
/// proceeds without them: it is then only as interruptible as any other process.
pub fn flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM] {
        let _ = signal_hook::flag::register(sig, Arc::clone(&flag));
    }
    flag
}
