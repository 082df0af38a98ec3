//! Explaining a scenario: every assumption as an analyst's reviewer reads it.
//!
//! A reviewer asks "where does that number come from?". `explain` answers from the compiled
//! scenario and its text: actors and allies, tracks, the ladder with its MID levels, every rule
//! with its kind, its `source` claim and each of its settings (a fixed value, or a
//! distribution with its mean and range), the metrics with their definitions, and a list of
//! every element and parameter that cites no source. The result is a small document model
//! rendered either as plain text or as markdown for pasting into a report.
//!
//! Per-run parameters are taken from the compiled scenario, so what is shown is what runs; the
//! text supplies what compilation does not keep (the settings of each rule as written, the
//! `source` of rungs and of nested tables such as ceasefire phases).

use std::fmt::Write as _;

use crate::metrics::{EventDef, QuantityDef};
use crate::model::{ParamSpec, Scenario};
use crate::rules::condition::Names;
use crate::rules::hazard::Op;
use crate::scenario::days::Days;
use crate::scenario::dist::Dist;

/// One block of an explanation.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Heading(u8, String),
    Para(String),
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    List(Vec<String>),
}

/// A scenario explained, ready to render.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    pub blocks: Vec<Block>,
    /// Key paths of the elements and parameters that cite no source.
    pub unsourced: Vec<String>,
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

fn num(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// (value as written, mean, range) of a distribution.
fn dist_cells(d: &Dist) -> (String, String, String) {
    if d.is_fixed() {
        (d.to_toml_string(), String::new(), String::new())
    } else {
        let (lo, hi) = d.support();
        let hi = if hi.is_infinite() {
            "∞".to_string()
        } else {
            num(hi)
        };
        (
            d.to_toml_string(),
            num(d.mean()),
            format!("{} to {hi}", num(lo)),
        )
    }
}

/// `dist_cells` of a parameter, with its reading in place of the table when it was written as
/// a range in words ("5 to 10 read as lognormal, ...").
fn param_cells(p: &ParamSpec) -> (String, String, String) {
    let (v, m, r) = dist_cells(&p.dist);
    (p.reading.clone().unwrap_or(v), m, r)
}

/// A modifier's factor or value in a sentence: the number when fixed, else the distribution as
/// written with its mean and range.
fn modifier_param(p: &ParamSpec) -> String {
    let (v, m, r) = param_cells(p);
    if p.dist.is_fixed() {
        v
    } else {
        format!("{v} (mean {m}, range {r})")
    }
}

fn inline(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

fn is_dist_table(t: &toml::Table) -> bool {
    crate::scenario::dist::FAMILY_KEYS
        .iter()
        .any(|k| t.contains_key(*k))
}

/// A rule's settings as leaves: (key path relative to the rule, value), with whether an
/// enclosing table cites a source.
fn leaves(
    prefix: &str,
    t: &toml::Table,
    sourced: bool,
    out: &mut Vec<(String, toml::Value, bool)>,
) {
    let sourced = sourced || t.contains_key("source");
    for (k, v) in t {
        if k == "description" {
            continue;
        }
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(sub) if !is_dist_table(sub) => leaves(&path, sub, sourced, out),
            toml::Value::Array(items)
                if !items.is_empty() && items.iter().all(|x| x.is_table()) =>
            {
                for (i, x) in items.iter().enumerate() {
                    if let toml::Value::Table(sub) = x
                        && !is_dist_table(sub)
                    {
                        leaves(&format!("{path}[{i}]"), sub, sourced, out);
                    } else {
                        out.push((format!("{path}[{i}]"), x.clone(), sourced));
                    }
                }
            }
            _ => out.push((path, v.clone(), sourced)),
        }
    }
}

fn get<'a>(root: &'a toml::Table, section: &str, id: &str) -> Option<&'a toml::Table> {
    root.get(section)?.as_table()?.get(id)?.as_table()
}

fn source_of(t: Option<&toml::Table>) -> Option<String> {
    t?.get("source")?.as_str().map(str::to_string)
}

/// Explains a compiled scenario; `text` is the scenario file it was compiled from.
pub fn explain(sc: &Scenario, text: &str) -> Explanation {
    let root: toml::Table = toml::from_str(text).unwrap_or_default();
    let mut b = Vec::new();
    let mut unsourced = Vec::new();
    let param = |path: &str| sc.params.iter().find(|p| p.path == path);

    b.push(Block::Heading(1, format!("{}: {}", sc.name, sc.title)));
    if !sc.description.is_empty() {
        b.push(Block::Para(sc.description.clone()));
    }
    let head = root.get("scenario").and_then(|v| v.as_table());
    let war_actors: Vec<&str> = sc
        .actors
        .iter()
        .enumerate()
        .filter(|(i, _)| (0..sc.n_actors()).any(|j| sc.war_pairs[i * sc.n_actors() + j]))
        .map(|(_, a)| a.id.as_str())
        .collect();
    let mut facts = vec![
        format!(
            "Runs from {} for {} days (to {}), one step a day.",
            sc.start_date,
            sc.horizon,
            sc.date(sc.horizon - 1)
        ),
        format!(
            "War is hostilities at `{}` or above among {}; threats and lower fade after {} quiet \
             days.",
            sc.ladder[sc.war_level as usize].id,
            war_actors.join(", "),
            sc.params[sc.calm_after_days as usize].dist.to_toml_string()
        ),
        format!(
            "Default seed {}, default runs {}.",
            sc.default_seed, sc.default_runs
        ),
    ];
    if let Some(d) = sc.as_of {
        facts.insert(0, format!("Written from what was known as of {d}."));
    }
    if let Some(q) = sc
        .params
        .iter()
        .find(|p| p.path == "scenario.quiet_days_to_end_war")
    {
        facts.push(format!(
            "A war with no act for {} days is over (theatres may say otherwise, see below).",
            q.dist.to_toml_string()
        ));
    }
    match source_of(head) {
        Some(s) => facts.push(format!("Source: {s}.")),
        None => unsourced.push("scenario".to_string()),
    }
    b.push(Block::List(facts));

    // Actors.
    b.push(Block::Heading(2, "Actors".into()));
    let mut rows = Vec::new();
    for a in &sc.actors {
        let allies: Vec<&str> = a
            .allies
            .iter()
            .map(|&x| sc.actors[x as usize].id.as_str())
            .collect();
        if a.source.is_none() {
            unsourced.push(format!("actors.{}", a.id));
        }
        rows.push(vec![
            a.id.clone(),
            a.name.clone(),
            allies.join(", "),
            a.source.clone().unwrap_or_else(|| "(none)".into()),
        ]);
    }
    b.push(Block::Table {
        head: row(&["actor", "name", "allies", "source"]),
        rows,
    });

    // Tracks.
    if !sc.tracks.is_empty() {
        b.push(Block::Heading(2, "Tracks".into()));
        b.push(Block::Para(
            "Each day: value += drift + noise × N(0, 1), kept within [min, max]; strikes set a \
             track back, deals may freeze it."
                .into(),
        ));
        let mut rows = Vec::new();
        let mut summary = Vec::new();
        for t in &sc.tracks {
            if t.source.is_none() {
                unsourced.push(format!("tracks.{}", t.id));
            }
            summary.push(vec![
                t.id.clone(),
                t.name.clone(),
                format!("{} to {}", num(t.min), num(t.max)),
                t.source.clone().unwrap_or_else(|| "(none)".into()),
            ]);
            for key in ["initial", "drift", "noise"] {
                let path = format!("tracks.{}.{key}", t.id);
                if let Some(p) = param(&path) {
                    let (v, mean, range) = param_cells(p);
                    rows.push(vec![t.id.clone(), key.into(), v, mean, range]);
                    if t.source.is_none() {
                        unsourced.push(path);
                    }
                }
            }
        }
        b.push(Block::Table {
            head: row(&["track", "name", "range", "source"]),
            rows: summary,
        });
        b.push(Block::Table {
            head: row(&["track", "parameter", "value", "mean", "range"]),
            rows,
        });
    }

    // Ladder.
    b.push(Block::Heading(2, "Escalation ladder".into()));
    b.push(Block::Para(
        "Bottom to top; MID is the Correlates of War hostility level (1 none, 2 threat, 3 \
         display, 4 use of force, 5 war)."
            .into(),
    ));
    let ladder_raw = root.get("ladder").and_then(|v| v.as_array());
    let mut rows = Vec::new();
    for (i, r) in sc.ladder.iter().enumerate() {
        let src = ladder_raw
            .and_then(|l| l.get(i))
            .and_then(|v| v.as_table())
            .and_then(|t| source_of(Some(t)));
        if src.is_none() {
            unsourced.push(format!("ladder[{i}] ({})", r.id));
        }
        let war = if i as u8 >= sc.war_level { "yes" } else { "" };
        rows.push(vec![
            i.to_string(),
            r.id.clone(),
            r.name.clone(),
            r.mid.to_string(),
            war.into(),
            src.unwrap_or_else(|| "(none)".into()),
        ]);
    }
    b.push(Block::Table {
        head: row(&["level", "rung", "name", "MID", "war", "source"]),
        rows,
    });

    // Theatres.
    if !sc.theatres.is_empty() {
        b.push(Block::Heading(2, "Theatres".into()));
        let mut rows = Vec::new();
        for t in &sc.theatres {
            if t.source.is_none() {
                unsourced.push(format!("theatres.{}", t.id));
            }
            let actors: Vec<&str> = t
                .actors
                .iter()
                .map(|&a| sc.actors[a as usize].id.as_str())
                .collect();
            rows.push(vec![
                t.id.clone(),
                t.name.clone(),
                actors.join(", "),
                match t.quiet_days {
                    None => "never".into(),
                    Some(p) => format!("{} days", sc.params[p as usize].dist.to_toml_string()),
                },
                t.source.clone().unwrap_or_else(|| "(none)".into()),
            ]);
        }
        b.push(Block::Table {
            head: row(&[
                "theatre",
                "name",
                "actors",
                "war over after quiet",
                "source",
            ]),
            rows,
        });
    }

    // The state at the start.
    let init = &sc.initial;
    let raw_init = root.get("initial").and_then(|v| v.as_table());
    if raw_init.is_some() {
        b.push(Block::Heading(2, "At the start".into()));
        b.push(Block::Para(
            "The state of the crisis on the start date. History acts are answered by pledges \
             but are not events of the run: no metric counts them."
                .into(),
        ));
        let mut items = Vec::new();
        let aid = |a: u8| sc.actors[a as usize].id.as_str();
        for l in &init.levels {
            items.push(format!(
                "{}–{} at `{}` since {} (last act {})",
                aid(l.a),
                aid(l.b),
                sc.ladder[l.level as usize].id,
                offset_date(sc, l.since),
                offset_date(sc, l.last_act)
            ));
        }
        for h in &init.acts {
            items.push(format!(
                "{} {} {} at `{}` on {}",
                aid(h.act.actor),
                h.act.form.name(),
                aid(h.act.target),
                sc.ladder[h.act.level as usize].id,
                offset_date(sc, h.day)
            ));
        }
        for section in ["ceasefires", "talks"] {
            if let Some(t) = raw_init
                .and_then(|t| t.get(section))
                .and_then(|v| v.as_table())
            {
                for (id, v) in t {
                    items.push(format!("{section} {id}: {}", inline(v)));
                }
            }
        }
        if source_of(raw_init).is_none() {
            unsourced.push("initial".into());
        }
        b.push(Block::List(items));
    }

    // Rules.
    let names = Names::of(sc);
    b.push(Block::Heading(2, "Rules".into()));
    b.push(Block::Para(
        "In id order, the order they run in. A distribution is drawn once per run unless marked \
         \"per event\", which is drawn anew each time it is used."
            .into(),
    ));
    for (id, rule) in sc.rule_ids.iter().zip(&sc.rules) {
        b.push(Block::Heading(3, format!("{id} ({})", rule.kind())));
        let raw = get(&root, "rules", id);
        match rule.source() {
            Some(s) => b.push(Block::Para(format!("Source: {s}."))),
            None => {
                b.push(Block::Para("Source: none given.".into()));
                unsourced.push(format!("rules.{id}"));
            }
        }
        if let Some(k) = crate::rules::kind(rule.kind()) {
            b.push(Block::Para(format!("A `{}` rule: {}.", k.name, k.summary)));
        }
        let mut ls = Vec::new();
        if let Some(t) = raw {
            leaves("", t, false, &mut ls);
        }
        let mut rows = Vec::new();
        for (key, v, sourced) in ls {
            if key == "kind" || key == "source" || key.starts_with("modifiers") {
                continue;
            }
            let path = format!("rules.{id}.{key}");
            let (value, mean, range, note) = if let Some(p) = param(&path) {
                if !sourced {
                    unsourced.push(path.clone());
                }
                let (v, m, r) = param_cells(p);
                (v, m, r, "")
            } else if let Ok(d) = v.clone().try_into::<Dist>()
                && (v.is_table() || v.is_float() || v.is_integer())
                && !d.is_fixed()
            {
                if !sourced {
                    unsourced.push(path.clone());
                }
                let (v, m, r) = dist_cells(&d);
                (v, m, r, "per event")
            } else if let Some(reading) = sc.reading(&path) {
                if !sourced {
                    unsourced.push(path.clone());
                }
                (
                    reading.to_string(),
                    String::new(),
                    String::new(),
                    "per event",
                )
            } else if let Ok(d) = v.clone().try_into::<Days>()
                && v.is_table()
                && !d.is_fixed()
            {
                if !sourced {
                    unsourced.push(path.clone());
                }
                let (v, m, r) = dist_cells(d.dist());
                (v, m, r, "per event")
            } else {
                (inline(&v), String::new(), String::new(), "")
            };
            let value = if note.is_empty() {
                value
            } else {
                format!("{value} ({note})")
            };
            rows.push(vec![key, value, mean, range]);
        }
        // Parameters the file leaves at their defaults are assumptions too.
        let prefix = format!("rules.{id}.");
        for p in &sc.params {
            if let Some(key) = p.path.strip_prefix(&prefix)
                && !key.starts_with("modifiers")
                && !rows.iter().any(|r| r[0] == key)
            {
                if rule.source().is_none() {
                    unsourced.push(p.path.clone());
                }
                let (v, m, r) = param_cells(p);
                rows.push(vec![key.to_string(), format!("{v} (default)"), m, r]);
            }
        }
        b.push(Block::Table {
            head: row(&["setting", "value", "mean", "range"]),
            rows,
        });
        // Modifiers: each hazard they change, once.
        let mut mods = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for h in rule.hazards() {
            if h.mods.is_empty() || seen.contains(&h.key) {
                continue;
            }
            seen.push(h.key.clone());
            for m in &h.mods {
                let what = match m.op {
                    Op::Factor(f) => format!("× {}", modifier_param(&sc.params[f as usize])),
                    Op::Value(v) => format!("= {}", modifier_param(&sc.params[v as usize])),
                };
                let mut line = format!("`{}` {what} while {}", h.key, m.cond.describe(&names));
                if !m.label.is_empty() {
                    line.push_str(&format!(" ({})", m.label));
                }
                match &m.source {
                    Some(src) => line.push_str(&format!(" [source: {src}]")),
                    None if rule.source().is_none() => {
                        unsourced.push(format!("rules.{id}.modifiers ({})", h.key));
                    }
                    None => {}
                }
                mods.push(line);
            }
        }
        if !mods.is_empty() {
            b.push(Block::Para(
                "Modifiers, applied in order while their condition holds:".into(),
            ));
            b.push(Block::List(mods));
        }
    }

    // Metrics.
    b.push(Block::Heading(2, "Metrics".into()));
    let m = &sc.metrics;
    let mut rows = Vec::new();
    let definition = |id: &str| -> String {
        get(&root, "metrics", id)
            .map(|t| {
                t.iter()
                    .filter(|(k, _)| *k != "description" && *k != "kind")
                    .map(|(k, v)| format!("{k} = {}", inline(v)))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default()
    };
    for e in &m.events {
        let kind = match e.def {
            EventDef::Filter(_) => "event",
            EventDef::AllOf { .. } => "all_of",
        };
        rows.push(vec![
            e.id.clone(),
            format!("probability ({kind})"),
            e.description.clone(),
            definition(&e.id),
        ]);
    }
    for q in &m.quantities {
        let (kind, def) = match q.def {
            QuantityDef::Delay(_) => ("quantity (delay, days)", definition(&q.id)),
            QuantityDef::Count(_) => ("quantity (count)", definition(&q.id)),
            _ => ("quantity (built in)", String::new()),
        };
        rows.push(vec![q.id.clone(), kind.into(), q.description.clone(), def]);
    }
    b.push(Block::Table {
        head: row(&["metric", "kind", "description", "definition"]),
        rows,
    });

    // Parameters of the scenario's own tables (day counts) are covered by their table's source.
    for p in &sc.params {
        let sourced = if p.path.starts_with("scenario.") {
            source_of(head).is_some()
        } else if let Some(rest) = p.path.strip_prefix("theatres.") {
            let id = rest.split('.').next().unwrap_or_default();
            sc.theatres.iter().any(|t| t.id == id && t.source.is_some())
        } else {
            true
        };
        if !sourced && !unsourced.contains(&p.path) {
            unsourced.push(p.path.clone());
        }
    }

    // What cites no source.
    b.push(Block::Heading(2, "Without a source".into()));
    if unsourced.is_empty() {
        b.push(Block::Para(
            "Every element and parameter cites a source.".into(),
        ));
    } else {
        b.push(Block::Para(format!(
            "{} elements and parameters cite no `source` (a parameter is covered by the source \
             of the table it sits in):",
            unsourced.len()
        )));
        b.push(Block::List(unsourced.clone()));
    }
    Explanation {
        blocks: b,
        unsourced,
    }
}

/// A signed day offset from the start as a date.
fn offset_date(sc: &Scenario, day: i32) -> String {
    sc.start_date
        .checked_add(jiff::Span::new().days(i64::from(day)))
        .map(|d| d.to_string())
        .unwrap_or_else(|_| format!("day {day}"))
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// Plain text: headings underlined, tables in aligned columns.
pub fn render_text(e: &Explanation) -> String {
    let mut s = String::new();
    for (k, block) in e.blocks.iter().enumerate() {
        if k > 0 {
            s.push('\n');
        }
        match block {
            Block::Heading(level, h) => {
                let under = match level {
                    1 => '=',
                    2 => '-',
                    _ => '.',
                };
                let _ = writeln!(s, "{h}");
                let _ = writeln!(s, "{}", under.to_string().repeat(width(h)));
            }
            Block::Para(p) => {
                let _ = writeln!(s, "{p}");
            }
            Block::List(items) => {
                for i in items {
                    let _ = writeln!(s, "  - {i}");
                }
            }
            Block::Table { head, rows } => {
                let mut w: Vec<usize> = head.iter().map(|h| width(h)).collect();
                for r in rows {
                    for (j, c) in r.iter().enumerate() {
                        w[j] = w[j].max(width(c));
                    }
                }
                let line = |cells: &[String]| -> String {
                    let mut l = String::from(" ");
                    for (j, c) in cells.iter().enumerate() {
                        l.push(' ');
                        l.push_str(c);
                        if j + 1 < cells.len() {
                            l.push_str(&" ".repeat(w[j] - width(c) + 1));
                        }
                    }
                    l.trim_end().to_string()
                };
                let _ = writeln!(s, "{}", line(head));
                let rule: Vec<String> = w.iter().map(|&n| "-".repeat(n)).collect();
                let _ = writeln!(s, "{}", line(&rule));
                for r in rows {
                    let _ = writeln!(s, "{}", line(r));
                }
            }
        }
    }
    s
}

fn md_cell(c: &str) -> String {
    if c.is_empty() {
        String::new()
    } else {
        c.replace('|', "\\|")
    }
}

/// Markdown: the same content, for pasting into a report.
pub fn render_markdown(e: &Explanation) -> String {
    let mut s = String::new();
    for (k, block) in e.blocks.iter().enumerate() {
        if k > 0 {
            s.push('\n');
        }
        match block {
            Block::Heading(level, h) => {
                let _ = writeln!(s, "{} {h}", "#".repeat(*level as usize));
            }
            Block::Para(p) => {
                let _ = writeln!(s, "{p}");
            }
            Block::List(items) => {
                for i in items {
                    let _ = writeln!(s, "- {i}");
                }
            }
            Block::Table { head, rows } => {
                let cells = |r: &[String]| {
                    let c: Vec<String> = r.iter().map(|x| md_cell(x)).collect();
                    format!("| {} |", c.join(" | "))
                };
                let _ = writeln!(s, "{}", cells(head));
                let _ = writeln!(s, "|{}", head.iter().map(|_| " --- |").collect::<String>());
                for r in rows {
                    let _ = writeln!(s, "{}", cells(r));
                }
            }
        }
    }
    s
}
