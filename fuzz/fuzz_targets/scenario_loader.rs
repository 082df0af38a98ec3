//! Fuzz target: the scenario loader must never panic, and every failure must be a located
//! diagnostic. Seeds are the scenarios in scenarios/ (see scripts/fuzz.sh).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = brink::scenario::parse(text, "fuzz.toml") {
        assert!(!e.diagnostics.is_empty(), "an error without a diagnostic");
        for d in &e.diagnostics {
            if let Some(s) = &d.span {
                assert!(s.start <= s.end && s.end <= text.len(), "span {s:?} outside the text");
            }
        }
        // Rendering reads the source at every span: it must not panic either.
        let _ = e.render();
    }
});
