//! The record of refusals: every kind of bad input tried, the exit code and the exact message
//! it gets, and where. Each case below is one row of the table in docs/BAD_INPUTS.md; the test
//! regenerates the table from what brink actually prints and fails if the document differs,
//! so the document and the behaviour cannot drift. After a deliberate change of wording run
//! `BRINK_BLESS=1 cargo test --test bad_inputs` and review the diff of docs/BAD_INPUTS.md.

use std::path::Path;
use std::process::Command;

/// How a case turns the minimal scenario into a bad one.
enum Edit {
    /// Replace the only occurrence of the first text by the second.
    Replace(&'static str, &'static str),
    /// Append text at the end.
    Append(&'static str),
    /// Use this text as the whole file.
    Whole(&'static str),
    /// Compute the file from the minimal scenario; the text says how, for the record.
    With(fn(&str) -> String, &'static str),
}

fn huge_name(base: &str) -> String {
    base.replacen(
        "name = \"minimal\"",
        &format!("name = \"{}\"", "A".repeat(2_000_000)),
        1,
    )
}

fn long_name(base: &str) -> String {
    base.replacen(
        "name = \"minimal\"",
        &format!("name = \"{}\"", "a".repeat(300)),
        1,
    )
}

fn deep_table(base: &str) -> String {
    format!("{base}\n[{}]\nx = 1\n", vec!["a"; 100].join("."))
}

fn many_tracks(base: &str) -> String {
    let mut s = base.to_string();
    for i in 0..1024 {
        s.push_str(&format!("\n[tracks.extra_{i}]\ninitial = 0.5\n"));
    }
    s
}

/// The pledge's probability and the truce's hazard made uncertain, so that three parameters
/// can be correlated.
fn uncertain(base: &str) -> String {
    base.replace(
        "probability = 0.8",
        "probability = { uniform = [0.7, 0.9] }",
    )
    .replace(
        "daily_hazard = 0.1",
        "daily_hazard = { uniform = [0.05, 0.15] }",
    )
}

fn impossible_matrix(base: &str) -> String {
    uncertain(base)
        + "\n[[correlations]]\nparams = [\"rules.blue_red_line.threshold\", \
           \"rules.red_pledge.probability\", \"rules.truce.daily_hazard\"]\n\
           matrix = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]\n"
}

fn pair_given_twice(base: &str) -> String {
    uncertain(base)
        + "\n[[correlations]]\nparams = [\"rules.blue_red_line.threshold\", \
           \"rules.red_pledge.probability\"]\nrank = 0.5\n\n[[correlations]]\n\
           params = [\"rules.red_pledge.probability\", \"rules.blue_red_line.threshold\"]\n\
           rank = 0.3\n"
}

fn rank_above_one(base: &str) -> String {
    uncertain(base)
        + "\n[[correlations]]\nparams = [\"rules.blue_red_line.threshold\", \
           \"rules.red_pledge.probability\"]\nrank = 1.5\n"
}

fn asymmetric_matrix(base: &str) -> String {
    uncertain(base)
        + "\n[[correlations]]\nparams = [\"rules.blue_red_line.threshold\", \
           \"rules.red_pledge.probability\"]\nmatrix = [[1, 0.5], [0.4, 1]]\n"
}

struct Case {
    what: &'static str,
    edit: Edit,
    /// A fragment of the first error's message.
    expect: &'static str,
    /// Line and column of the first error.
    at: (usize, usize),
}

use Edit::*;

const fn case(what: &'static str, edit: Edit, expect: &'static str, at: (usize, usize)) -> Case {
    Case {
        what,
        edit,
        expect,
        at,
    }
}

const CASES: &[Case] = &[
    case(
        "TOML syntax: unclosed table header",
        Replace("[actors.blue]", "[actors.blue"),
        "unclosed table, expected `]`",
        (30, 13),
    ),
    case(
        "TOML syntax: bare word as a value",
        Replace("mid = 4", "mid = four"),
        "invalid boolean, expected `false`",
        (20, 7),
    ),
    case(
        "wrong type",
        Replace("horizon_days = 90", "horizon_days = \"90\""),
        "invalid type: string \"90\", expected u32",
        (9, 16),
    ),
    case(
        "negative count",
        Replace("horizon_days = 90", "horizon_days = -5"),
        "invalid value: integer `-5`, expected u32",
        (9, 16),
    ),
    case(
        "integer too large for its field",
        Replace("escalation = 1", "escalation = 300"),
        "invalid value: integer `300`, expected u8",
        (60, 14),
    ),
    case(
        "unknown key (did you mean)",
        Replace("threshold = {", "thresold = {"),
        "unknown key `thresold`",
        (47, 1),
    ),
    case(
        "unknown section",
        Append("\n[actor.green]\nname = \"Green\"\n"),
        "unknown section `actor`",
        (81, 2),
    ),
    case(
        "empty file",
        Whole(""),
        "missing required section `[scenario]`",
        (1, 1),
    ),
    case(
        "missing required section",
        Replace(
            "[actors.red]\nname = \"Red\"\n\n[actors.blue]\nname = \"Blue\"\n",
            "",
        ),
        "missing required section `[actors]`",
        (1, 1),
    ),
    case(
        "probability above 1",
        Replace("probability = 0.8", "probability = 1.8"),
        "must lie in [0, 1], got 1.8",
        (58, 15),
    ),
    case(
        "negative probability",
        Replace("daily_hazard = 0.1", "daily_hazard = -0.1"),
        "must lie in [0, 1], got -0.1",
        (68, 16),
    ),
    case(
        "uniform with lo > hi",
        Replace("uniform = [0.6, 0.8]", "uniform = [0.8, 0.6]"),
        "uniform needs lo < hi",
        (47, 13),
    ),
    case(
        "triangular with mode outside",
        Replace(
            "{ uniform = [0.6, 0.8] }",
            "{ triangular = [0.6, 0.9, 0.8] }",
        ),
        "triangular needs min <= mode <= max",
        (47, 13),
    ),
    case(
        "normal with negative sd",
        Replace(
            "{ uniform = [0.6, 0.8] }",
            "{ normal = [0.7, -0.1], min = 0, max = 1 }",
        ),
        "normal needs a positive sd",
        (47, 13),
    ),
    case(
        "untruncated normal for a probability",
        Replace(
            "daily_probability = 0.05",
            "daily_probability = { normal = [0.05, 0.01] }",
        ),
        "truncate the normal with min and max",
        (48, 21),
    ),
    case(
        "beta with a zero shape",
        Replace("{ uniform = [0.6, 0.8] }", "{ beta = [0, 2] }"),
        "beta needs positive alpha and beta",
        (47, 13),
    ),
    case(
        "two distribution families",
        Replace(
            "{ uniform = [0.6, 0.8] }",
            "{ uniform = [0.6, 0.8], beta = [2, 2] }",
        ),
        "names exactly one family",
        (47, 13),
    ),
    case(
        "wrong arity",
        Replace("{ uniform = [0.6, 0.8] }", "{ uniform = [0.6] }"),
        "uniform takes 2 numbers",
        (47, 13),
    ),
    case(
        "infinity",
        Replace("initial = 0.5", "initial = inf"),
        "`inf` is not a finite number",
        (36, 11),
    ),
    case(
        "NaN",
        Replace("noise = 0.01", "noise = nan"),
        "`nan` is not a finite number",
        (38, 9),
    ),
    case(
        "number that overflows to infinity",
        Replace("drift = 0.002", "drift = 1e999"),
        "`1e999` is not a finite number",
        (37, 9),
    ),
    case(
        "infinite track bound",
        Replace("noise = 0.01\n", "noise = 0.01\nmax = -inf\n"),
        "`-inf` is not a finite number",
        (39, 7),
    ),
    case(
        "infinity inside a distribution",
        Replace("uniform = [0.6, 0.8]", "uniform = [0.6, +inf]"),
        "`+inf` is not a finite number",
        (47, 31),
    ),
    case(
        "unknown actor (did you mean)",
        Replace("actor = \"blue\"", "actor = \"bleu\""),
        "unknown actor `bleu`",
        (44, 9),
    ),
    case(
        "unknown track (did you mean)",
        Replace("track = \"red_arsenal\"\n", "track = \"red_arsenl\"\n"),
        "unknown track `red_arsenl`",
        (46, 9),
    ),
    case(
        "unknown ladder level (did you mean)",
        Replace("level = \"strike\"\nsetback", "level = \"strik\"\nsetback"),
        "unknown ladder level `strik`",
        (49, 9),
    ),
    case(
        "unknown rule kind (did you mean)",
        Replace("kind = \"termination\"", "kind = \"terminaton\""),
        "unknown rule kind `terminaton`",
        (65, 8),
    ),
    case(
        "rule without a kind",
        Replace("kind = \"termination\"\n", ""),
        "rule `truce` has no `kind`",
        (64, 1),
    ),
    case(
        "duplicate ladder id",
        Replace("id = \"heavy_strike\"", "id = \"strike\""),
        "duplicate ladder id `strike`",
        (23, 6),
    ),
    case(
        "MID level out of range",
        Replace("mid = 5", "mid = 7"),
        "MID hostility level must be 1 to 5, got 7",
        (24, 7),
    ),
    case(
        "id not snake_case",
        Replace("[metrics.red_answers]", "[metrics.RedAnswers]"),
        "`RedAnswers` is not a valid id",
        (76, 1),
    ),
    case(
        "scenario name that would escape results/",
        Replace("name = \"minimal\"", "name = \"../minimal\""),
        "`../minimal` is not a valid scenario name",
        (7, 8),
    ),
    case(
        "start date with a time",
        Replace(
            "start_date = 2026-01-01",
            "start_date = 2026-01-01T10:00:00",
        ),
        "is not a plain calendar date",
        (8, 14),
    ),
    case(
        "horizon of zero days",
        Replace("horizon_days = 90", "horizon_days = 0"),
        "horizon_days must be between 1 and 3650, got 0",
        (9, 16),
    ),
    case(
        "zero runs in the file",
        Replace("horizon_days = 90", "horizon_days = 90\nruns = 0"),
        "runs must be between 1 and 1000000000, got 0",
        (10, 8),
    ),
    case(
        "too many tracks",
        With(many_tracks, "append 1024 more tracks"),
        "at most 1024 tracks are supported, got 1025",
        (35, 2),
    ),
    case(
        "horizon too long",
        Replace("horizon_days = 90", "horizon_days = 99999"),
        "horizon_days must be between 1 and 3650, got 99999",
        (9, 16),
    ),
    case(
        "event outside the horizon",
        Append(
            "\n[rules.talks]\nkind = \"scheduled\"\ndate = 2027-01-01\nshift_track = { track = \"red_arsenal\", by = 0.1 }\n",
        ),
        "2027-01-01 lies outside the simulated period",
        (83, 8),
    ),
    case(
        "built-in metric name reused",
        Replace("[metrics.blue_strikes]", "[metrics.peak_level]"),
        "`peak_level` is a built-in metric name",
        (71, 1),
    ),
    case(
        "unknown metric kind (did you mean)",
        Append("kind = \"evnt\"\n"),
        "unknown metric kind `evnt`",
        (80, 8),
    ),
    case(
        "label that a spreadsheet runs as a formula (=)",
        Replace("name = \"Red\"", "name = \"=HYPERLINK(\\\"http://x\\\")\""),
        "which spreadsheets run as a formula",
        (28, 8),
    ),
    case(
        "label starting with +",
        Replace("name = \"Blue\"", "name = \"+Blue\""),
        "which spreadsheets run as a formula",
        (31, 8),
    ),
    case(
        "label starting with @",
        Replace("name = \"Red\"", "name = \"@SUM(A1)\""),
        "which spreadsheets run as a formula",
        (28, 8),
    ),
    case(
        "label starting with a tab",
        Replace("name = \"Red\"", "name = \"\\tRed\""),
        "which spreadsheets run as a formula",
        (28, 8),
    ),
    // The cases below were accepted, or given a poor message, on the main branch before
    // issue 14.
    case(
        "start date whose horizon leaves the calendar",
        Replace("start_date = 2026-01-01", "start_date = 9999-12-31"),
        "90 days from 9999-12-31 run past 9999-12-31, the calendar's last date",
        (8, 14),
    ),
    case(
        "distribution whose draws are not finite (beta)",
        Replace("{ uniform = [0.6, 0.8] }", "{ beta = [1e308, 1e308] }"),
        "beta [1e308, 1e308] has a shape above 1000000",
        (47, 13),
    ),
    case(
        "distribution whose draws are not finite (uniform)",
        Replace("uniform = [0.6, 0.8]", "uniform = [-1e308, 1e308]"),
        "can draw numbers too large to represent",
        (47, 13),
    ),
    case(
        "huge number (written short)",
        Replace("probability = 0.8", "probability = 1e308"),
        "must lie in [0, 1], got 1e308",
        (58, 15),
    ),
    case(
        "name of 2 000 000 characters (quoted short)",
        With(huge_name, "a name of 2 000 000 capital letters"),
        "is not a valid scenario name",
        (7, 8),
    ),
    case(
        "name too long for a folder",
        With(long_name, "a name of 300 letters"),
        "is 300 characters long; ids and names have at most 64",
        (7, 8),
    ),
    case(
        "name of another command's results folder",
        Replace("name = \"minimal\"", "name = \"minimal_sweep\""),
        "a scenario name may not end in `_sweep`",
        (7, 8),
    ),
    case(
        "table nested past the parser's limit",
        With(deep_table, "append a table header of 100 dotted parts"),
        "keys nest too deep",
        (81, 1),
    ),
    case(
        "empty metric filter",
        Replace("actor = [\"blue\"]", "actor = []"),
        "`actor = []` matches no event, so the metric could never happen",
        (73, 9),
    ),
    case(
        "scheduled rule scaling its own hazard",
        Append(
            "\n[rules.talks]\nkind = \"scheduled\"\ndate = 2026-02-01\nscale_hazard = { rule = \"talks\", factor = 2 }\n",
        ),
        "the scheduled rule `talks` cannot scale its own hazard",
        (84, 25),
    ),
    case(
        "range in words outside (0, 1) for a probability",
        Replace("probability = 0.8", "probability = \"0 to 0.9\""),
        "\"0 to 0.9\" on a probability would be read as a logit-normal",
        (58, 15),
    ),
    case(
        "range in words that is not a range",
        Replace("daily_hazard = 0.1", "daily_hazard = \"0.1 - 0.2\""),
        "\"0.1 - 0.2\" is not a number range",
        (68, 16),
    ),
    case(
        "range in words with its ends swapped",
        Replace("{ uniform = [0.6, 0.8] }", "\"0.8 to 0.6\""),
        "needs its lower end first",
        (47, 13),
    ),
    case(
        "range in words that can draw values the key refuses",
        Replace("noise = 0.01", "noise = \"-0.01 to 0.02\""),
        "read as normal, 90% in [-0.01, 0.02]",
        (38, 9),
    ),
    case(
        "whole-number family for a real parameter",
        Replace("{ uniform = [0.6, 0.8] }", "{ poisson = 3 }"),
        "poisson draws whole numbers and is for day counts only",
        (47, 13),
    ),
    case(
        "day count that is not a whole number",
        Replace(
            "horizon_days = 90",
            "horizon_days = 90\ncalm_after_days = 4.5",
        ),
        "a day count must be a whole number of days",
        (10, 19),
    ),
    case(
        "negative day count",
        Replace(
            "horizon_days = 90",
            "horizon_days = 90\ncalm_after_days = -3",
        ),
        "a day count must be a whole number of days, 0 or more, got -3",
        (10, 19),
    ),
    case(
        "day count beyond the longest",
        Replace(
            "horizon_days = 90",
            "horizon_days = 90\ncalm_after_days = 2000000",
        ),
        "a day count is at most 1000000 days",
        (10, 19),
    ),
    case(
        "correlation of an unknown parameter (did you mean)",
        Append(
            "\n[[correlations]]\nparams = [\"rules.blue_red_line.treshold\", \"rules.truce.daily_hazard\"]\nrank = 0.5\n",
        ),
        "unknown parameter `rules.blue_red_line.treshold`",
        (82, 11),
    ),
    case(
        "correlation of a fixed parameter",
        Append(
            "\n[[correlations]]\nparams = [\"rules.blue_red_line.threshold\", \"rules.red_pledge.probability\"]\nrank = 0.5\n",
        ),
        "is fixed at 0.8: only uncertain parameters can be correlated",
        (82, 44),
    ),
    case(
        "correlation matrix that is not positive semi-definite",
        With(
            impossible_matrix,
            "make two more parameters uncertain; append a 3×3 matrix with 0.9, -0.9, 0.9",
        ),
        "their matrix is not positive semi-definite (smallest eigenvalue -0.8000)",
        (83, 10),
    ),
    case(
        "correlation of one pair given twice",
        With(
            pair_given_twice,
            "make the pledge's probability uncertain; correlate it with the threshold twice",
        ),
        "is given twice: 0.3 here and 0.5 in correlations[0]",
        (87, 8),
    ),
    case(
        "rank correlation above 1",
        With(
            rank_above_one,
            "correlate two uncertain parameters with rank = 1.5",
        ),
        "a rank correlation lies in [-1, 1], got 1.5",
        (83, 8),
    ),
    case(
        "correlation matrix that is not symmetric",
        With(
            asymmetric_matrix,
            "correlate two uncertain parameters with matrix = [[1, 0.5], [0.4, 1]]",
        ),
        "the matrix is not symmetric",
        (83, 15),
    ),
    case(
        "extends a file that does not exist",
        Replace(
            "\n[scenario]\n",
            "\nextends = \"nowhere.toml\"\n\n[scenario]\n",
        ),
        "cannot read `nowhere.toml`, which this file extends",
        (6, 11),
    ),
    case(
        "extends that is not a file name",
        Replace("\n[scenario]\n", "\nextends = 3\n\n[scenario]\n"),
        "`extends` names the file this scenario builds on, found integer",
        (6, 11),
    ),
    case(
        "a scenario that extends itself",
        Replace("\n[scenario]\n", "\nextends = \"bad.toml\"\n\n[scenario]\n"),
        "`extends` goes round in a circle: bad.toml → bad.toml",
        (6, 11),
    ),
    // The model language (docs/LANGUAGE.md): misuse of every new key.
    case(
        "modifier on a key the rule does not have",
        Replace(
            "level = \"strike\"\nsetback",
            "level = \"strike\"\nmodifiers = [{ key = \"treshold\", when = { from = 2026-01-10 }, factor = 2 }]\nsetback",
        ),
        "`treshold` is not a key of this rule that takes modifiers",
        (50, 22),
    ),
    case(
        "modifier with both factor and value",
        Replace(
            "level = \"strike\"\nsetback",
            "level = \"strike\"\nmodifiers = [{ when = { from = 2026-01-10 }, factor = 2, value = 0.1 }]\nsetback",
        ),
        "a modifier needs exactly one of `factor` or `value`",
        (50, 14),
    ),
    case(
        "condition with two subjects",
        Replace(
            "level = \"strike\"\nsetback",
            "level = \"strike\"\nmodifiers = [{ when = { struck = \"blue\", track = \"red_arsenal\", below = 1 }, factor = 2 }]\nsetback",
        ),
        "a condition looks at exactly one thing; found track and struck",
        (50, 23),
    ),
    case(
        "condition key of another subject",
        Replace(
            "level = \"strike\"\nsetback",
            "level = \"strike\"\nmodifiers = [{ when = { track = \"red_arsenal\", within_days = 3 }, factor = 2 }]\nsetback",
        ),
        "`within_days` does not go with `track`",
        (50, 62),
    ),
    case(
        "talks condition naming a rule of another kind",
        Replace(
            "level = \"strike\"\nsetback",
            "level = \"strike\"\nmodifiers = [{ when = { talks = \"truce\" }, factor = 2 }]\nsetback",
        ),
        "rule `truce` is a termination rule, but a negotiation rule is needed here",
        (50, 33),
    ),
    case(
        "struck condition without a time window",
        Replace(
            "level = \"strike\"\nsetback",
            "level = \"strike\"\nmodifiers = [{ when = { struck = \"blue\" }, factor = 2 }]\nsetback",
        ),
        "a `struck` condition needs `within_days`",
        (50, 23),
    ),
    case(
        "condition on an unknown metric (did you mean)",
        Replace(
            "level = \"strike\"\nsetback",
            "level = \"strike\"\nmodifiers = [{ when = { happened = \"blue_strike\" }, factor = 2 }]\nsetback",
        ),
        "`blue_strike` is not an event metric of this scenario",
        (50, 36),
    ),
    case(
        "pledge capped below its own minimum",
        Replace("cap = \"heavy_strike\"", "cap = \"calm\""),
        "`cap` (calm) is below `min_level` (strike)",
        (61, 7),
    ),
    case(
        "pledge answering nobody",
        Replace("escalation = 1\n", "escalation = 1\nagainst = []\n"),
        "`against` names no actor, so the pledge never answers",
        (61, 11),
    ),
    case(
        "unknown way to decide",
        Replace(
            "escalation = 1\n",
            "escalation = 1\ndecide = \"per_salvo\"\n",
        ),
        "unknown `decide` = \"per_salvo\"",
        (61, 10),
    ),
    case(
        "per-rung answer below the pledge's minimum",
        Replace(
            "escalation = 1\n",
            "escalation = 1\nby_level = { calm = { probability = 0.5 } }\n",
        ),
        "blows at `calm` are below `min_level`",
        (61, 21),
    ),
    case(
        "decision with a target but no rung",
        Append(
            "[rules.blue_decides]\nkind = \"decision\"\nactor = \"blue\"\ntarget = \"red\"\ndaily_probability = 0.01\n",
        ),
        "a decision with a `target` strikes it, so it needs a `level`",
        (83, 10),
    ),
    case(
        "decision that changes nothing",
        Append(
            "[rules.blue_decides]\nkind = \"decision\"\nactor = \"blue\"\ndaily_probability = 0.01\n",
        ),
        "a decision without a `target` must change something",
        (80, 1),
    ),
    case(
        "effect on an unknown event",
        Append(
            "[rules.wear]\nkind = \"effect\"\non = \"hit\"\nactor = \"red\"\nconsume = [{ track = \"red_arsenal\", amount = 0.1 }]\n",
        ),
        "unknown `on` = \"hit\"",
        (82, 6),
    ),
    case(
        "effect that changes nothing",
        Append("[rules.wear]\nkind = \"effect\"\non = \"struck\"\nactor = \"red\"\n"),
        "an effect that changes nothing",
        (80, 1),
    ),
    case(
        "history act after the start",
        Append(
            "[initial]\nacts = [{ actor = \"blue\", target = \"red\", level = \"strike\", date = 2026-02-01 }]\n",
        ),
        "a history act lies after the start date",
        (81, 68),
    ),
    case(
        "initial state of a rule that does not exist",
        Append("[initial.ceasefires.gaza]\nphase = \"one\"\n"),
        "there is no ceasefire rule `gaza`",
        (80, 1),
    ),
    case(
        "initial level at the bottom rung",
        Append("[initial]\nlevels = [{ pair = [\"red\", \"blue\"], level = \"calm\" }]\n"),
        "`calm` is the bottom rung, where every pair starts anyway",
        (81, 45),
    ),
    case(
        "a pair in two theatres",
        Append(
            "[theatres.north]\nactors = [\"red\", \"blue\"]\n\n[theatres.south]\nactors = [\"blue\", \"red\"]\n",
        ),
        "is already in theatre `north`",
        (84, 10),
    ),
    case(
        "termination in an unknown theatre",
        Replace("pairs = [[\"red\", \"blue\"]]", "theatre = \"front\""),
        "unknown theatre `front`",
        (66, 11),
    ),
    case(
        "theatre-wide termination without a theatre",
        Replace(
            "min_level = \"strike\"\ndaily_hazard",
            "scope = \"theatre\"\nmin_level = \"strike\"\ndaily_hazard",
        ),
        "scope = \"theatre\" needs a `theatre`",
        (67, 9),
    ),
    case(
        "all_of needing more events than it lists",
        Append(
            "[metrics.both]\nkind = \"all_of\"\nof = [\"blue_strikes\", \"red_answers\"]\nat_least = 3\n",
        ),
        "`at_least` must be between 1 and the 2 metrics in `of`, got 3",
        (83, 12),
    ),
];

/// Command-line refusals: no scenario position, but the same exit code and a clear message.
struct ArgCase {
    what: &'static str,
    args: &'static [&'static str],
    /// Files to create first: (path, contents).
    setup: &'static [(&'static str, &'static [u8])],
    /// Symbolic links to create first: (path, target).
    links: &'static [(&'static str, &'static str)],
    code: i32,
    expect: &'static str,
}

const ARG_CASES: &[ArgCase] = &[
    ArgCase {
        what: "zero runs",
        args: &["run", "ok.toml", "--runs", "0"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: invalid value '0' for '--runs <RUNS>': expected a whole number from 1 to 1000000000",
    },
    ArgCase {
        what: "too many runs",
        args: &["run", "ok.toml", "--runs", "2000000000"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: invalid value '2000000000' for '--runs <RUNS>': expected a whole number from 1 to 1000000000",
    },
    ArgCase {
        what: "missing scenario file",
        args: &["validate", "nowhere.toml"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: cannot read scenario `nowhere.toml`: No such file or directory (os error 2)",
    },
    ArgCase {
        what: "scenario that is not UTF-8",
        args: &["validate", "latin1.toml"],
        setup: &[("latin1.toml", b"name = \"caf\xe9\"\n")],
        links: &[],
        code: 2,
        expect: "error: cannot read scenario",
    },
    ArgCase {
        what: "unknown flag",
        args: &["run", "ok.toml", "--rnus", "5"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: unexpected argument '--rnus' found",
    },
    ArgCase {
        what: "--out that already holds files",
        args: &["run", "ok.toml", "--out", "full"],
        setup: &[("full/notes.txt", b"mine")],
        links: &[],
        code: 2,
        expect: "error: output directory `full` already holds files (notes.txt); nothing was done",
    },
    ArgCase {
        what: "--out that is a file",
        args: &["run", "ok.toml", "--out", "notes.txt"],
        setup: &[("notes.txt", b"mine")],
        links: &[],
        code: 2,
        expect: "error: --out `notes.txt` exists and is not a directory",
    },
    ArgCase {
        what: "--out under a file",
        args: &["run", "ok.toml", "--out", "notes.txt/sub"],
        setup: &[("notes.txt", b"mine")],
        links: &[],
        code: 2,
        expect: "error: cannot write results under `notes.txt/sub`: `notes.txt` is a file, not a directory",
    },
    ArgCase {
        what: "--out where the system refuses to write",
        args: &["run", "ok.toml", "--out", "/proc/brink"],
        setup: &[],
        links: &[],
        code: 1,
        expect: "error: cannot create a directory in /proc: No such file or directory (os error 2)",
    },
    // The cases below were accepted, ignored, crashed or given a poor message on the main
    // branch before issue 14.
    ArgCase {
        what: "negative runs (no tip about `--`)",
        args: &["run", "ok.toml", "--runs", "-1"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: invalid value '-1' for '--runs <RUNS>': expected a whole number from 1 to 1000000000",
    },
    ArgCase {
        what: "thousands of threads (refused at once)",
        args: &["run", "ok.toml", "--threads", "20000"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: invalid value '20000' for '--threads <THREADS>': too many: brink allows 64 threads, or four per core",
    },
    ArgCase {
        what: "--set value followed by more TOML",
        args: &["run", "ok.toml", "--set", "rules.red_pledge.probability=0.5\n[rules.x]\nkind = 1"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: --set rules.red_pledge.probability: `0.5\\n[rules.x]\\nkind = 1` is not one TOML value",
    },
    ArgCase {
        what: "--set value the scenario refuses (shown under the --set)",
        args: &["run", "ok.toml", "--set", "scenario.horizon_days=-5"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: invalid value: integer `-5`, expected u32 (at `scenario.horizon_days`)",
    },
    ArgCase {
        what: "--events with --shard",
        args: &["run", "ok.toml", "--shard", "0/2", "--events", "5"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: --events is not written by shard 0/2",
    },
    ArgCase {
        what: "shard count beyond any merge",
        args: &["run", "ok.toml", "--shard", "0/18446744073709551615"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: invalid value '0/18446744073709551615' for '--shard <K/N>': at most 1048576 shards are supported",
    },
    ArgCase {
        what: "--force without --out",
        args: &["run", "ok.toml", "--force"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: --force replaces files in an --out directory; without --out every result gets a new folder",
    },
    ArgCase {
        what: "--out whose file brink writes is a directory",
        args: &["run", "ok.toml", "--out", "res", "--force"],
        setup: &[("res/summary.csv", b"old"), ("res/distributions.csv/x", b"x")],
        links: &[],
        code: 2,
        expect: "error: `res/distributions.csv` is a directory; brink writes a file of that name there and will not replace a directory",
    },
    ArgCase {
        what: "dangling `results` link",
        args: &["run", "ok.toml"],
        setup: &[],
        links: &[("results", "/nonexistent/brink-results")],
        code: 2,
        expect: "error: cannot write under `results/minimal`: `results` is a symbolic link to `/nonexistent/brink-results`, which does not exist",
    },
    ArgCase {
        what: "trace --out naming the scenario",
        args: &["trace", "ok.toml", "--run", "3", "--out", "ok.toml"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: --out `ok.toml` is the scenario file this command reads; brink never replaces its input",
    },
    ArgCase {
        what: "explain --markdown naming the scenario",
        args: &["explain", "ok.toml", "--markdown", "ok.toml"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: --markdown `ok.toml` is the scenario file this command reads; brink never replaces its input",
    },
    ArgCase {
        what: "trace --out naming a file the scenario extends",
        args: &["trace", "case.toml", "--run", "3", "--out", "ok.toml"],
        setup: &[("case.toml", b"extends = \"ok.toml\"\n")],
        links: &[],
        code: 2,
        expect: "error: --out `ok.toml` is a file the scenario extends, which this command reads; brink never replaces its input",
    },
    ArgCase {
        what: "explain --markdown naming a file the scenario extends",
        args: &["explain", "case.toml", "--markdown", "./ok.toml"],
        setup: &[("case.toml", b"extends = \"ok.toml\"\n")],
        links: &[],
        code: 2,
        expect: "error: --markdown `./ok.toml` is a file the scenario extends, which this command reads; brink never replaces its input",
    },
    ArgCase {
        what: "trace --threads without --find",
        args: &["trace", "ok.toml", "--run", "3", "--threads", "2"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: --threads goes with --find",
    },
    ArgCase {
        what: "zero Morris levels",
        args: &["sensitivity", "ok.toml", "--levels", "0"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: invalid value '0' for '--levels <LEVELS>': expected an even whole number from 2 to 1000000",
    },
    ArgCase {
        what: "odd Morris levels",
        args: &["sensitivity", "ok.toml", "--levels", "3"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: invalid value '3' for '--levels <LEVELS>': expected an even whole number from 2 to 1000000",
    },
    ArgCase {
        what: "Sobol samples beyond any count",
        args: &["sensitivity", "ok.toml", "--samples", "18446744073709551615"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: invalid value '18446744073709551615' for '--samples <SAMPLES>': expected a whole number from 2 to 1000000000",
    },
    ArgCase {
        what: "sensitivity design that cannot fit in memory",
        args: &["sensitivity", "ok.toml", "--method", "sobol", "--samples", "100000000"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: this design needs about 403.8 GiB of memory",
    },
    ArgCase {
        what: "a Sobol option with --method morris",
        args: &["sensitivity", "ok.toml", "--method", "morris", "--samples", "100"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: --samples sets the Sobol design, which --method morris does not run",
    },
    ArgCase {
        what: "sweep dry run of a billion grid levels",
        args: &["sweep", "ok.toml", "--vary", "rules.red_pledge.probability=0..1", "--points", "1000000000", "--dry-run"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: `rules.red_pledge.probability`: 1000000000 levels is more than the 1000000 a design may have (their values alone would take 8.0 GB of memory)",
    },
    ArgCase {
        what: "experiment with ten billion levels",
        args: &["sweep", "exp.toml", "--dry-run"],
        setup: &[("exp.toml", b"scenario = \"ok.toml\"\ndesign = \"grid\"\n[[vary]]\nkey = \"rules.red_pledge.probability\"\nrange = [0, 1]\nlevels = 10000000000\n")],
        links: &[],
        code: 2,
        expect: "error: `rules.red_pledge.probability`: 10000000000 levels is more than the 1000000 a design may have (their values alone would take 80.0 GB of memory)",
    },
    ArgCase {
        what: "experiment naming itself as its scenario",
        args: &["sweep", "self.toml"],
        setup: &[("self.toml", b"scenario = \"self.toml\"\ndesign = \"list\"\n[[vary]]\nkey = \"a\"\nvalues = [1]\n")],
        links: &[],
        code: 2,
        expect: "error: the experiment's `scenario = \"self.toml\"` names the experiment itself, not a scenario",
    },
    ArgCase {
        what: "--points with an experiment file",
        args: &["sweep", "exp.toml", "--points", "3"],
        setup: &[("exp.toml", b"scenario = \"ok.toml\"\ndesign = \"list\"\n[[vary]]\nkey = \"rules.red_pledge.probability\"\nvalues = [0.5]\n")],
        links: &[],
        code: 2,
        expect: "error: --points and --design go with --vary",
    },
    // Issue 13: conditions, precision and the readers of results.
    ArgCase {
        what: "--given naming no event metric (caret under the name)",
        args: &["run", "ok.toml", "--given", "blue_strike<=2026-01-31"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: --given `blue_strike<=2026-01-31`: no event metric `blue_strike` in scenario minimal",
    },
    ArgCase {
        what: "--given about the future",
        args: &["run", "ok.toml", "--given", "blue_strikes>2026-01-31"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: --given `blue_strikes>2026-01-31`: `>` would condition on the future",
    },
    ArgCase {
        what: "--given before the start date",
        args: &["run", "ok.toml", "--given", "blue_strikes<=2025-12-31"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: --given `blue_strikes<=2025-12-31`: 2025-12-31 is before the scenario's start date, 2026-01-01",
    },
    ArgCase {
        what: "--given with no date",
        args: &["run", "ok.toml", "--given", "blue_strikes<=soon"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: --given `blue_strikes<=soon`: `soon` is not a date",
    },
    ArgCase {
        what: "--given on a quantity",
        args: &["run", "ok.toml", "--given", "war_days<=2026-01-31"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: --given `war_days<=2026-01-31`: `war_days` is a quantity; conditions take event metrics",
    },
    ArgCase {
        what: "--given conditions that contradict each other",
        args: &["run", "ok.toml", "--given", "blue_strikes<=2026-01-10", "--given", "not blue_strikes<=2026-01-20"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: --given: no run can satisfy `blue_strikes<=2026-01-10` and `not blue_strikes<=2026-01-20` together",
    },
    ArgCase {
        what: "--given that no simulated run satisfies",
        args: &["run", "ok.toml", "--runs", "20", "--given", "red_answers=2026-01-01", "-q"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: none of the 20 runs simulated satisfies red_answers=2026-01-01; nothing was written",
    },
    ArgCase {
        what: "--target-runs without --given",
        args: &["run", "ok.toml", "--target-runs", "100"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: the following required arguments were not provided:",
    },
    ArgCase {
        what: "--precision of a whole probability",
        args: &["run", "ok.toml", "--precision", "0.5"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: invalid value '0.5' for '--precision <H>': expected a half-width between 0 and 0.5 (exclusive)",
    },
    ArgCase {
        what: "--precision with --runs",
        args: &["run", "ok.toml", "--precision", "0.01", "--runs", "100"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: the argument '--precision <H>' cannot be used with '--runs <RUNS>'",
    },
    ArgCase {
        what: "--max-runs without a stopping rule",
        args: &["run", "ok.toml", "--max-runs", "100"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: --max-runs goes with --target-runs or --precision",
    },
    ArgCase {
        what: "--events with --given",
        args: &["run", "ok.toml", "--given", "blue_strikes<=2026-01-31", "--events", "3"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: --events is not written with --given or --precision",
    },
    ArgCase {
        what: "watch of a result without runs.csv",
        args: &["watch", "res", "--outcome", "blue_strikes"],
        setup: &[("res/manifest.json", RESULT_MANIFEST)],
        links: &[],
        code: 2,
        expect: "error: cannot read `res/runs.csv`: No such file or directory (os error 2)",
    },
    ArgCase {
        what: "watch of an outcome the results lack",
        args: &["watch", "res", "--outcome", "blue_strike"],
        setup: &[("res/manifest.json", RESULT_MANIFEST), ("res/runs.csv", RESULT_RUNS)],
        links: &[],
        code: 2,
        expect: "error: --outcome: no metric `blue_strike` in the results; did you mean `blue_strikes`?",
    },
    ArgCase {
        what: "watch by a date outside the runs",
        args: &["watch", "res", "--outcome", "blue_strikes", "--by", "2027-01-01"],
        setup: &[("res/manifest.json", RESULT_MANIFEST), ("res/runs.csv", RESULT_RUNS)],
        links: &[],
        code: 2,
        expect: "error: --by 2027-01-01 is outside the runs, which cover 2026-01-01 to 2026-03-31",
    },
    ArgCase {
        what: "discover of an outcome no run has",
        args: &["discover", "res", "--outcome", "red_answers"],
        setup: &[("res/manifest.json", RESULT_MANIFEST), ("res/runs.csv", RESULT_RUNS)],
        links: &[],
        code: 2,
        expect: "error: `red_answers` happens in none of the 2 runs: there is nothing to tell apart",
    },
    ArgCase {
        what: "score of a result that is not a run",
        args: &["score", "res", "--observed", "obs.toml"],
        setup: &[("res/manifest.json", b"{\"command\": \"compare\"}"), ("obs.toml", b"")],
        links: &[],
        code: 2,
        expect: "error: `res` holds the result of `brink compare`; `brink score` reads the result of `brink run`",
    },
    ArgCase {
        what: "endless input file",
        args: &["validate", "/dev/zero"],
        setup: &[],
        links: &[],
        code: 2,
        expect: "error: cannot read scenario `/dev/zero`: it is larger than 16 MiB, the most brink reads",
    },
];

/// A hand-made result of the minimal scenario (two runs), for the readers of results.
const RESULT_MANIFEST: &[u8] = br#"{"command": "run", "seed": 1, "runs": 2,
  "scenario": {"name": "minimal", "path": "ok.toml", "sha256": "00",
               "start_date": "2026-01-01", "horizon_days": 90, "ladder": []},
  "parameters": [{"path": "rules.blue_red_line.threshold", "distribution": "",
                  "uncertain": true, "mean": 0.7}]}"#;
const RESULT_RUNS: &[u8] =
    b"run,blue_strikes,blue_strikes_first_day,red_answers,red_answers_first_day,\
war_days,rules.blue_red_line.threshold\n0,1,4,0,,3.000000,0.650000\n1,0,,0,,0.000000,0.710000\n";

/// The observed file the observed-file cases edit: of the minimal scenario, invented.
const OBSERVED: &str = "# Observations of the minimal scenario, invented for these tests.
scenario = \"minimal\"
through = 2026-02-28

[events]
blue_strikes = { happened = 2026-02-10 }
red_answers = { not_by = 2026-02-28 }

[quantities]
war_days = 4

[base_rates]
blue_strikes = 0.3
";

const OBS_CASES: &[Case] = &[
    case(
        "TOML syntax",
        Replace("[events]", "[events"),
        "unclosed table, expected `]`",
        (5, 8),
    ),
    case(
        "unknown key (did you mean)",
        Replace("through =", "thru ="),
        "unknown key `thru`",
        (3, 1),
    ),
    case(
        "observations of another scenario",
        Replace("\"minimal\"", "\"iran_2026\""),
        "these observations are of scenario `iran_2026`, the results of `minimal`",
        (2, 12),
    ),
    case(
        "event before the start date",
        Replace("2026-02-10", "2025-12-20"),
        "2025-12-20 is before the scenario's start date, 2026-01-01",
        (6, 29),
    ),
    case(
        "not a date",
        Replace("happened = 2026-02-10", "happened = \"soon\""),
        "expected a calendar date",
        (6, 29),
    ),
    case(
        "unknown event metric (did you mean)",
        Replace("blue_strikes = { happened", "blue_strike = { happened"),
        "no event metric `blue_strike` in the results of minimal",
        (6, 1),
    ),
    case(
        "a quantity among the events",
        Replace("red_answers = {", "war_days = {"),
        "`war_days` is a quantity, not an event metric",
        (7, 1),
    ),
    case(
        "an event metric among the quantities",
        Replace("war_days = 4", "blue_strikes = 4"),
        "`blue_strikes` is an event metric, not a quantity",
        (10, 1),
    ),
    case(
        "both happened and not_by",
        Replace(
            "{ happened = 2026-02-10 }",
            "{ happened = 2026-02-10, not_by = 2026-02-01 }",
        ),
        "give either `happened` or `not_by`, not both",
        (6, 41),
    ),
    case(
        "an event with nothing observed",
        Replace("{ not_by = 2026-02-28 }", "{ }"),
        "say what was observed: `happened = DATE` or `not_by = DATE`",
        (7, 15),
    ),
    case(
        "unknown key in an event",
        Replace("not_by =", "notby ="),
        "unknown key `notby`",
        (7, 17),
    ),
    case(
        "an event dated after `through`",
        Replace("not_by = 2026-02-28", "not_by = 2026-03-15"),
        "2026-03-15 is after `through` (2026-02-28), the last day the file covers",
        (7, 26),
    ),
    case(
        "a checkpoint after the last simulated day",
        Replace(
            "through = 2026-02-28",
            "through = 2026-02-28\ncheckpoints = [2026-04-30]",
        ),
        "2026-04-30 is after the last simulated day, 2026-03-31",
        (4, 16),
    ),
    case(
        "base rate above 1",
        Replace("blue_strikes = 0.3", "blue_strikes = 1.3"),
        "a base rate is a probability per 365 days in [0, 1], got 1.3",
        (13, 16),
    ),
    case(
        "quantity that is not a number",
        Replace("war_days = 4", "war_days = \"four\""),
        "expected a finite number",
        (10, 12),
    ),
    case(
        "nothing to score",
        Whole("scenario = \"minimal\"\n"),
        "nothing to score: the file lists no [events] and no [quantities]",
        (1, 1),
    ),
];

/// Checks one observed-file case against `res` (a result of the minimal scenario) and returns
/// its table row.
fn check_obs(c: &Case, dir: &Path) -> String {
    std::fs::write(dir.join("bad_obs.toml"), apply(&c.edit, OBSERVED)).unwrap();
    let (code, err) = brink(
        dir,
        &[
            "score",
            "res",
            "--observed",
            "bad_obs.toml",
            "--out",
            "never",
        ],
    );
    assert_eq!(code, 2, "{}: exit code {code}\n{err}", c.what);
    assert!(!dir.join("never").exists(), "{}: wrote a result", c.what);
    located_row(c, &err, "bad_obs.toml")
}

/// Checks that the first message of `err` is the case's, at its line and column in `file`,
/// with the caret under the column; returns the case's table row.
fn located_row(c: &Case, err: &str, file: &str) -> String {
    let lines: Vec<&str> = err.lines().collect();
    let first = lines[0];
    assert!(
        first.starts_with("error: ") && first.contains(c.expect),
        "{}: first error is not about `{}`:\n{err}",
        c.what,
        c.expect
    );
    let at = format!("  --> {file}:{}:{}", c.at.0, c.at.1);
    assert_eq!(lines[1], at, "{}: wrong location\n{err}", c.what);
    // The caret line points at the column: `N | ` then column - 1 spaces, then ^.
    let caret = lines[4];
    let bar = caret.find('|').unwrap();
    assert_eq!(
        caret[bar + 2..].find('^'),
        Some(c.at.1 - 1),
        "{}: caret misplaced\n{err}",
        c.what
    );
    assert!(
        err.contains(&format!("{file}: ")),
        "{}: no summary line",
        c.what
    );
    let edit = match &c.edit {
        Replace(from, to) => format!("{} → {}", md(from), md(to)),
        Append(text) => format!("append {}", md(text.trim())),
        Whole(text) => format!("whole file: {}", md(text)),
        With(_, how) => how.to_string(),
    };
    format!(
        "| {} | {} | {} | {}:{} |",
        c.what,
        edit,
        md(first),
        c.at.0,
        c.at.1
    )
}

fn minimal() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/minimal.toml"))
        .unwrap()
}

fn apply(edit: &Edit, base: &str) -> String {
    match edit {
        Replace(from, to) => {
            assert_eq!(base.matches(from).count(), 1, "`{from}` must occur once");
            base.replacen(from, to, 1)
        }
        Append(text) => format!("{base}{text}"),
        Whole(text) => text.to_string(),
        With(f, _) => f(base),
    }
}

fn brink(dir: &Path, args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_brink"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Checks one scenario case and returns its table row.
fn check(c: &Case, dir: &Path) -> String {
    std::fs::write(dir.join("bad.toml"), apply(&c.edit, &minimal())).unwrap();
    let (code, err) = brink(dir, &["validate", "bad.toml"]);
    assert_eq!(code, 2, "{}: exit code {code}\n{err}", c.what);
    located_row(c, &err, "bad.toml")
}

fn md(s: &str) -> String {
    // Double backquotes delimit the code span so that single ones inside show as they are.
    let s = s
        .replace('\n', "⏎")
        .replace('\t', "\\t")
        .replace('|', "\\|");
    if s.is_empty() {
        "(empty)".into()
    } else {
        format!("`` {s} ``")
    }
}

fn check_args(c: &ArgCase, root: &Path) -> String {
    let dir = root.join(c.what.replace([' ', '/', '-'], "_"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ok.toml"), minimal()).unwrap();
    for (path, text) in c.setup {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    for (path, target) in c.links {
        std::os::unix::fs::symlink(target, dir.join(path)).unwrap();
    }
    let before = listing(&dir);
    let (code, err) = brink(&dir, c.args);
    assert_eq!(code, c.code, "{}: exit code\n{err}", c.what);
    assert!(
        err.lines().next().unwrap_or("").starts_with(c.expect),
        "{}: expected `{}`, got:\n{err}",
        c.what,
        c.expect
    );
    assert_eq!(
        listing(&dir),
        before,
        "{}: refused, yet files changed",
        c.what
    );
    format!(
        "| {} | {} | {} | {} |",
        c.what,
        md(&format!("brink {}", c.args.join(" "))),
        c.code,
        md(err.lines().next().unwrap())
    )
}

/// Every path under `dir` (hidden ones too), to prove a refusal wrote nothing.
fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
        }
    }
    out.sort();
    out
}

const BEGIN: &str = "<!-- BEGIN GENERATED by tests/bad_inputs.rs -->";
const END: &str = "<!-- END GENERATED -->";

#[test]
fn every_bad_input_is_refused_where_it_is_and_the_record_is_current() {
    let tmp = tempfile::tempdir().unwrap();
    let mut table = String::new();
    table.push_str(
        "| bad input | edit of scenarios/minimal.toml | first message (exit 2) | line:column |\n",
    );
    table.push_str("| --- | --- | --- | --- |\n");
    // Every failing case is reported, not only the first.
    let mut failures = Vec::new();
    for c in CASES {
        match std::panic::catch_unwind(|| check(c, tmp.path())) {
            Ok(row) => table.push_str(&row),
            Err(_) => failures.push(c.what),
        }
        table.push('\n');
    }
    // Observed files for `brink score`, against a result of the minimal scenario.
    let obs_dir = tmp.path().join("observed");
    std::fs::create_dir_all(&obs_dir).unwrap();
    std::fs::write(obs_dir.join("ok.toml"), minimal()).unwrap();
    let (code, err) = brink(
        &obs_dir,
        &["run", "ok.toml", "--runs", "200", "--out", "res", "-q"],
    );
    assert_eq!(code, 0, "{err}");
    table.push_str(
        "\n| bad observed file | edit of the observed file below | first message (exit 2) | line:column |\n",
    );
    table.push_str("| --- | --- | --- | --- |\n");
    for c in OBS_CASES {
        match std::panic::catch_unwind(|| check_obs(c, &obs_dir)) {
            Ok(row) => table.push_str(&row),
            Err(_) => failures.push(c.what),
        }
        table.push('\n');
    }
    table.push_str(&format!(
        "\nThe observed file those cases edit (of scenarios/minimal.toml):\n\n```toml\n{OBSERVED}```\n"
    ));
    table.push_str("\n| bad input | command | exit | message |\n| --- | --- | --- | --- |\n");
    for c in ARG_CASES {
        match std::panic::catch_unwind(|| check_args(c, tmp.path())) {
            Ok(row) => table.push_str(&row),
            Err(_) => failures.push(c.what),
        }
        table.push('\n');
    }
    assert!(failures.is_empty(), "failed cases: {failures:#?}");
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/BAD_INPUTS.md");
    let doc = std::fs::read_to_string(&doc_path).unwrap_or_default();
    let (head, rest) = doc.split_once(BEGIN).unwrap_or((&doc, ""));
    let tail = rest.split_once(END).map_or("", |(_, t)| t);
    let fresh = format!("{head}{BEGIN}\n{table}{END}{tail}");
    if std::env::var_os("BRINK_BLESS").is_some() {
        std::fs::write(&doc_path, &fresh).unwrap();
    } else {
        assert!(
            fresh == doc,
            "docs/BAD_INPUTS.md is out of date; run BRINK_BLESS=1 cargo test --test bad_inputs"
        );
    }
}
