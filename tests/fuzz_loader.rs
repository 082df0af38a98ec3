//! The scenario loader never panics: a property test that mutates the real scenarios (flip,
//! delete and duplicate characters, swap values between lines, drop and duplicate lines) and
//! feeds arbitrary text, and checks that every input gives a scenario or an error with at least
//! one diagnostic, every span inside the text, and a rendering that does not panic either.
//!
//! The case counts keep it to a few seconds in a debug build; scripts/fuzz.sh runs the
//! coverage-guided cargo-fuzz target for longer. See docs/FUZZING.md.

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};

const MINIMAL: &str = include_str!("../scenarios/minimal.toml");
const FLAGSHIP: &str = include_str!("../scenarios/iran_2026.toml");

/// Parses `text` and checks the loader's contract; panics (failing the property) otherwise.
fn check(text: &str) {
    match brink::scenario::parse(text, "fuzz.toml") {
        Ok(sc) => assert!(sc.horizon >= 1),
        Err(e) => {
            assert!(!e.diagnostics.is_empty(), "an error without a diagnostic");
            for d in &e.diagnostics {
                if let Some(s) = &d.span {
                    assert!(
                        s.start <= s.end && s.end <= text.len(),
                        "span {s:?} outside a text of {} bytes: {d:?}",
                        text.len()
                    );
                }
            }
            let shown = e.render();
            assert!(shown.contains("error"), "{shown}");
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the character at a position (taken modulo the length) with another.
    Flip(usize, char),
    Delete(usize),
    Duplicate(usize),
    /// Swap the values (text after `=`) of two lines.
    SwapValues(usize, usize),
    DropLine(usize),
    DuplicateLine(usize),
    /// Insert a token that often matters to TOML or to brink.
    Insert(usize, &'static str),
}

const TOKENS: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    "\"",
    "=",
    ",",
    "\n",
    "#",
    ".",
    "inf",
    "nan",
    "-",
    "1e999",
    "0",
    "-1",
    "[[ladder]]",
    "\"\"\"",
    "'",
    "\\u0000",
    "é",
    "2026-13-45",
    "kind = \"red_line\"\n",
    "[rules.x]\n",
    "= \"",
    "99999999999999999999",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<char>()).prop_map(|(i, c)| Mutation::Flip(i, c)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Duplicate),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapValues(a, b)),
        any::<usize>().prop_map(Mutation::DropLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), prop::sample::select(TOKENS)).prop_map(|(i, t)| Mutation::Insert(i, t)),
    ]
}

/// Byte offset of the `i`-th character boundary (modulo their number).
fn boundary(s: &str, i: usize) -> usize {
    let n = s.chars().count() + 1;
    s.char_indices()
        .map(|(b, _)| b)
        .chain(std::iter::once(s.len()))
        .nth(i % n)
        .unwrap()
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut s = text.to_string();
    match m {
        Mutation::Flip(i, c) => {
            let b = boundary(&s, *i);
            if b < s.len() {
                let len = s[b..].chars().next().unwrap().len_utf8();
                s.replace_range(b..b + len, &c.to_string());
            }
        }
        Mutation::Delete(i) => {
            let b = boundary(&s, *i);
            if b < s.len() {
                s.remove(b);
            }
        }
        Mutation::Duplicate(i) => {
            let b = boundary(&s, *i);
            if let Some(c) = s[b..].chars().next() {
                s.insert(b, c);
            }
        }
        Mutation::Insert(i, t) => {
            let b = boundary(&s, *i);
            s.insert_str(b, t);
        }
        Mutation::SwapValues(..) | Mutation::DropLine(_) | Mutation::DuplicateLine(_)
            if s.lines().count() == 0 => {}
        Mutation::SwapValues(a, b) => {
            let mut lines: Vec<String> = s.lines().map(String::from).collect();
            let (i, j) = (a % lines.len(), b % lines.len());
            if let (Some((ki, vi)), Some((kj, vj))) = (
                lines[i].clone().split_once('='),
                lines[j].clone().split_once('='),
            ) {
                lines[i] = format!("{ki}={vj}");
                lines[j] = format!("{kj}={vi}");
            }
            s = lines.join("\n");
        }
        Mutation::DropLine(a) => {
            let mut lines: Vec<&str> = s.lines().collect();
            lines.remove(a % lines.len());
            s = lines.join("\n");
        }
        Mutation::DuplicateLine(a) => {
            let mut lines: Vec<&str> = s.lines().collect();
            let i = a % lines.len();
            lines.insert(i, lines[i]);
            s = lines.join("\n");
        }
    }
    s
}

fn config(cases: u32) -> Config {
    fixed_seed(Config {
        cases,
        // Failures are reported with the shrunk input; no regression file is written.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    })
}

/// The seed of every `cargo test`, so CI draws the same inputs each time and a failure
/// replays; `PROPTEST_RNG_SEED=N cargo test --test fuzz_loader` explores other inputs.
pub const SEED: u64 = 20251229;

/// `c` with the fixed seed, unless `PROPTEST_RNG_SEED` chose one.
pub fn fixed_seed(c: Config) -> Config {
    match c.rng_seed {
        RngSeed::Random => Config {
            rng_seed: RngSeed::Fixed(SEED),
            ..c
        },
        _ => c,
    }
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn mutated_minimal_scenarios_never_panic(ms in prop::collection::vec(mutation(), 1..6)) {
        let text = ms.iter().fold(MINIMAL.to_string(), |t, m| apply(&t, m));
        check(&text);
    }
}

proptest! {
    #![proptest_config(config(60))]

    #[test]
    fn mutated_flagship_scenarios_never_panic(ms in prop::collection::vec(mutation(), 1..4)) {
        let text = ms.iter().fold(FLAGSHIP.to_string(), |t, m| apply(&t, m));
        check(&text);
    }
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        check(&text);
    }

    #[test]
    fn toml_like_text_never_panics(text in "([a-z_\\[\\]{}=\\.,\"'#0-9 \\n-]|inf|nan|ladder|rules|actors){0,200}") {
        check(&text);
    }
}
