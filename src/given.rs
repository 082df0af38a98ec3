//! Conditioning on what happened: the conditions of `brink run --given`.
//!
//! A condition is a statement about an event metric's first occurrence that can be checked
//! from a run's event days alone, so keeping the runs that satisfy it is exact (rejection,
//! not reweighting): the kept runs are a sample of the scenario's runs conditioned on the
//! statement. The grammar is
//!
//! ```text
//! CONDITION := ["not" SPACE] METRIC "<=" DATE      the event had happened by the end of DATE
//!            | ["not" SPACE] METRIC "=" DATE       the event first happened on DATE
//! ```
//!
//! with METRIC an event metric of the scenario and DATE an ISO date between the start date and
//! the last simulated day. Only what is known by DATE can be stated: "happened after DATE"
//! (`>`) would condition on the future, and a quantity is known only at the end of a run, so
//! both are refused with a pointer to what to write instead.

use std::ops::Range;

use crate::model::{NEVER, Scenario};
use crate::scenario::diag::suggest;

/// How a condition relates the event's first day to its date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// First occurrence on or before the date (`<=`).
    By,
    /// First occurrence on the date (`=`).
    On,
}

/// One parsed condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub negated: bool,
    /// Index into `metrics.events`.
    pub event: usize,
    pub relation: Relation,
    /// Day index of the date (0 = start date).
    pub day: u32,
    pub date: jiff::civil::Date,
}

impl Condition {
    /// Whether a run whose event metrics first happened on `first` (NEVER if not) satisfies
    /// the condition.
    pub fn holds(&self, first: &[u32]) -> bool {
        self.allows(first[self.event])
    }

    /// Whether an event first happening on day `f` (NEVER: not at all) satisfies it.
    fn allows(&self, f: u32) -> bool {
        let yes = match self.relation {
            Relation::By => f != NEVER && f <= self.day,
            Relation::On => f == self.day,
        };
        yes != self.negated
    }

    /// The condition written canonically, as the manifest records it.
    pub fn text(&self, sc: &Scenario) -> String {
        let op = match self.relation {
            Relation::By => "<=",
            Relation::On => "=",
        };
        format!(
            "{}{}{op}{}",
            if self.negated { "not " } else { "" },
            sc.metrics.events[self.event].id,
            self.date
        )
    }
}

/// Why a condition was refused, and which bytes of its text are at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionError {
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

fn refuse(span: Range<usize>, message: String, help: Option<String>) -> ConditionError {
    ConditionError {
        span,
        message,
        help,
    }
}

/// The operators a user might write, longest first so `<=` is not read as `<`.
const OPERATORS: [&str; 7] = ["<=", ">=", "==", "!=", "<", ">", "="];

/// Parses one condition against the scenario's event metrics and calendar.
pub fn parse(sc: &Scenario, text: &str) -> Result<Condition, ConditionError> {
    let grammar = "write METRIC<=DATE (happened by the end of DATE), METRIC=DATE (first \
                   happened on DATE) or not METRIC<=DATE (had not happened by DATE)";
    let lead = text.len() - text.trim_start().len();
    let body = text.trim_end();
    let mut at = lead;
    let negated = body[at..].starts_with("not") && body[at + 3..].starts_with(char::is_whitespace);
    if negated {
        at += 3;
        at += body[at..].len() - body[at..].trim_start().len();
    }
    let Some(op_at) = body[at..].find(['<', '>', '=', '!']).map(|i| at + i) else {
        let span = at..body.len().max(at + 1);
        let help = match sc.metrics.events.iter().any(|e| e.id == body[at..].trim()) {
            true => format!("e.g. `{}<={}`", body[at..].trim(), sc.start_date),
            false => grammar.to_string(),
        };
        return Err(refuse(
            span,
            "a condition needs a date: an operator `<=` or `=` and an ISO date".into(),
            Some(help),
        ));
    };
    let op = OPERATORS
        .iter()
        .find(|o| body[op_at..].starts_with(**o))
        .copied()
        .unwrap_or("=");
    let name_end = at + body[at..op_at].trim_end().len();
    let name = &body[at..name_end];
    let date_at = op_at + op.len();
    let date_at = date_at + (body[date_at..].len() - body[date_at..].trim_start().len());
    let date_text = &body[date_at..];
    let op_span = op_at..op_at + op.len();
    let relation = match op {
        "<=" => Relation::By,
        "=" => Relation::On,
        ">" | ">=" => {
            return Err(refuse(
                op_span,
                format!(
                    "`{op}` would condition on the future: a condition states what is known by its date"
                ),
                Some(format!(
                    "for \"had not happened by DATE\" write `not {name}<=DATE`"
                )),
            ));
        }
        "<" => {
            return Err(refuse(
                op_span,
                "`<` is not a condition's operator".into(),
                Some(format!(
                    "write `{name}<=DATE` for \"had happened by the end of DATE\""
                )),
            ));
        }
        "!=" => {
            return Err(refuse(
                op_span,
                "`!=` is not a condition's operator".into(),
                Some(format!("write `not {name}=DATE`")),
            ));
        }
        _ => {
            return Err(refuse(
                op_span,
                format!("`{op}` is not a condition's operator"),
                Some("write `=` for \"first happened on DATE\"".into()),
            ));
        }
    };
    let m = &sc.metrics;
    let name_span = at..name_end.max(at + 1);
    if name.is_empty() {
        return Err(refuse(
            name_span,
            "the condition names no event metric".into(),
            Some(grammar.into()),
        ));
    }
    let Some(event) = m.events.iter().position(|e| e.id == name) else {
        if m.quantities.iter().any(|q| q.id == name) {
            return Err(refuse(
                name_span,
                format!(
                    "`{name}` is a quantity; conditions take event metrics (a quantity is known \
                     only at the end of a run)"
                ),
                None,
            ));
        }
        let names: Vec<&str> = m.events.iter().map(|e| e.id.as_str()).collect();
        return Err(refuse(
            name_span,
            format!("no event metric `{name}` in scenario {}", sc.name),
            Some(suggest(name, &names)),
        ));
    };
    let date_span = date_at..body.len().max(date_at + 1);
    let last = sc.date(sc.horizon.saturating_sub(1));
    let Ok(date) = date_text.parse::<jiff::civil::Date>() else {
        return Err(refuse(
            date_span,
            format!(
                "`{}` is not a date",
                crate::scenario::diag::clip(date_text, 40)
            ),
            Some(format!(
                "write an ISO date between {} and {last}, e.g. {}",
                sc.start_date, sc.start_date
            )),
        ));
    };
    if date < sc.start_date || date > last {
        let (what, bound) = if date < sc.start_date {
            ("before the scenario's start date", sc.start_date)
        } else {
            ("after the last simulated day", last)
        };
        return Err(refuse(
            date_span,
            format!("{date} is {what}, {bound}"),
            Some(format!(
                "runs cover {} to {last}: a condition can only state what they simulate",
                sc.start_date
            )),
        ));
    }
    let day = (date - sc.start_date).get_days() as u32;
    Ok(Condition {
        negated,
        event,
        relation,
        day,
        date,
    })
}

/// All the conditions of a study: a run is kept when it satisfies every one.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Given {
    pub conditions: Vec<Condition>,
}

impl Given {
    pub fn holds(&self, first: &[u32]) -> bool {
        self.conditions.iter().all(|c| c.holds(first))
    }

    /// The last day the conditions speak of: what is known up to its end.
    pub fn through(&self) -> Option<u32> {
        self.conditions.iter().map(|c| c.day).max()
    }

    /// Conditions on one event that no run can satisfy together (`m<=D` with `not m<=D'` for
    /// D' ≥ D, two different days with `=`, ...): the indices of one such set, if any.
    pub fn contradiction(&self, horizon: u32) -> Option<Vec<usize>> {
        let mut events: Vec<usize> = self.conditions.iter().map(|c| c.event).collect();
        events.sort_unstable();
        events.dedup();
        for e in events {
            let on: Vec<usize> = (0..self.conditions.len())
                .filter(|&i| self.conditions[i].event == e)
                .collect();
            // A first day of 0 … horizon−1, or none (NEVER): try each.
            let possible = (0..horizon)
                .chain([NEVER])
                .any(|f| on.iter().all(|&i| self.conditions[i].allows(f)));
            if !possible {
                return Some(on);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> Scenario {
        let text = include_str!("../scenarios/minimal.toml");
        crate::scenario::parse(text, "minimal.toml").unwrap()
    }

    #[test]
    fn conditions_read_as_the_grammar_says() {
        let sc = minimal();
        let c = parse(&sc, "blue_strikes<=2026-01-31").unwrap();
        assert_eq!(
            (c.event, c.relation, c.day, c.negated),
            (0, Relation::By, 30, false)
        );
        let c = parse(&sc, "  not   red_answers = 2026-01-01 ").unwrap();
        assert_eq!(
            (c.event, c.relation, c.day, c.negated),
            (1, Relation::On, 0, true)
        );
        assert_eq!(c.text(&sc), "not red_answers=2026-01-01");
        // A first day of 30 is "by day 30"; never is not; 31 is not.
        let c = parse(&sc, "blue_strikes<=2026-01-31").unwrap();
        assert!(c.allows(30) && c.allows(0) && !c.allows(31) && !c.allows(NEVER));
        let c = parse(&sc, "not blue_strikes<=2026-01-31").unwrap();
        assert!(!c.allows(30) && c.allows(31) && c.allows(NEVER));
        // A metric named "not..." is still a metric name when no space follows.
        let e = parse(&sc, "notblue<=2026-01-31").unwrap_err();
        assert_eq!(e.span, 0..7);
    }

    #[test]
    fn bad_conditions_point_at_their_fault() {
        let sc = minimal();
        let e = parse(&sc, "blue_strike<=2026-01-31").unwrap_err();
        assert_eq!(e.span, 0..11);
        assert_eq!(e.help.as_deref(), Some("did you mean `blue_strikes`?"));
        let e = parse(&sc, "blue_strikes>2026-01-31").unwrap_err();
        assert_eq!(e.span, 12..13);
        let e = parse(&sc, "blue_strikes<=2026-02-30").unwrap_err();
        assert_eq!(e.span, 14..24);
        let e = parse(&sc, "blue_strikes<=2025-12-31").unwrap_err();
        assert!(
            e.message.contains("before the scenario's start date"),
            "{e:?}"
        );
        let e = parse(&sc, "blue_strikes<=2026-04-01").unwrap_err();
        assert!(
            e.message
                .contains("after the last simulated day, 2026-03-31"),
            "{e:?}"
        );
        let e = parse(&sc, "war_days<=2026-01-05").unwrap_err();
        assert!(e.message.contains("is a quantity"), "{e:?}");
        let e = parse(&sc, "blue_strikes").unwrap_err();
        assert_eq!(e.help.as_deref(), Some("e.g. `blue_strikes<=2026-01-01`"));
    }

    #[test]
    fn contradictions_are_found_per_event() {
        let sc = minimal();
        let g = |t: &[&str]| Given {
            conditions: t.iter().map(|t| parse(&sc, t).unwrap()).collect(),
        };
        assert_eq!(
            g(&["blue_strikes<=2026-01-10", "not blue_strikes<=2026-01-20"]).contradiction(90),
            Some(vec![0, 1])
        );
        assert_eq!(
            g(&["blue_strikes=2026-01-10", "blue_strikes=2026-01-11"]).contradiction(90),
            Some(vec![0, 1])
        );
        assert_eq!(
            g(&["not blue_strikes<=2026-01-10", "blue_strikes<=2026-01-20"]).contradiction(90),
            None
        );
        assert_eq!(
            g(&["blue_strikes<=2026-01-10", "not red_answers<=2026-01-20"]).contradiction(90),
            None
        );
    }
}
