//! Overrides: `KEY=VALUE` assignments applied to a scenario's text before it is parsed.
//!
//! KEY is the key path used everywhere in brink (`rules.us_nuclear_red_line.threshold`,
//! `rules.gaza_ceasefire.phases[1].violations.hamas`, `tracks.iran_nuclear.drift`); VALUE is
//! any TOML value, a distribution table included. The edit is made on a format-preserving
//! document and only the value's text changes, so every later diagnostic still points at the
//! right line of the file. Only paths that exist in the file can be set: a typo is then an error
//! with the nearest valid path instead of a silently ignored key.

use toml_edit::{DocumentMut, Item, Table, Value};

use super::diag::did_you_mean;

/// One `KEY=VALUE` assignment, as given.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Override {
    pub key: String,
    pub value: String,
}

impl Override {
    /// Splits `KEY=VALUE` at the first `=`.
    pub fn parse(s: &str) -> Result<Override, String> {
        match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => Ok(Override {
                key: k.trim().to_string(),
                value: v.trim().to_string(),
            }),
            _ => Err(format!(
                "`{s}` is not an assignment: write KEY=VALUE, e.g. \
                 rules.us_nuclear_red_line.threshold=0.5"
            )),
        }
    }
}

/// Why an override could not be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverrideError {
    pub key: String,
    pub message: String,
    pub help: Option<String>,
}

impl std::fmt::Display for OverrideError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let key = super::diag::clip(&self.key, super::diag::QUOTE_MAX);
        write!(f, "error: --set {key}: {}", self.message)?;
        if let Some(h) = &self.help {
            write!(f, "\n  = help: {h}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Index(usize),
}

fn segments(path: &str) -> Option<Vec<Seg>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() && rest.is_empty() {
            return None;
        }
        if !key.is_empty() {
            out.push(Seg::Key(key.to_string()));
        }
        while !rest.is_empty() {
            let end = rest.find(']')?;
            if !rest.starts_with('[') {
                return None;
            }
            out.push(Seg::Index(rest[1..end].parse().ok()?));
            rest = &rest[end + 1..];
        }
    }
    Some(out)
}

enum Node<'a> {
    Item(&'a mut Item),
    Table(&'a mut Table),
    Value(&'a mut Value),
}

fn step<'a>(node: Node<'a>, seg: &Seg) -> Option<Node<'a>> {
    match (node, seg) {
        (Node::Item(Item::Table(t)), Seg::Key(k)) | (Node::Table(t), Seg::Key(k)) => {
            t.get_mut(k).map(Node::Item)
        }
        (Node::Item(Item::ArrayOfTables(a)), Seg::Index(i)) => a.get_mut(*i).map(Node::Table),
        (Node::Item(Item::Value(v)), seg) => step(Node::Value(v), seg),
        (Node::Value(Value::InlineTable(t)), Seg::Key(k)) => t.get_mut(k).map(Node::Value),
        (Node::Value(Value::Array(a)), Seg::Index(i)) => a.get_mut(*i).map(Node::Value),
        _ => None,
    }
}

/// Every key path in the document, tables and arrays included, in document order.
pub fn paths(text: &str) -> Vec<String> {
    let Ok(doc) = text.parse::<DocumentMut>() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk_table(doc.as_table(), "", &mut out);
    out
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn walk_table(t: &Table, prefix: &str, out: &mut Vec<String>) {
    for (k, item) in t.iter() {
        let p = join(prefix, k);
        out.push(p.clone());
        walk_item(item, &p, out);
    }
}

fn walk_item(item: &Item, p: &str, out: &mut Vec<String>) {
    match item {
        Item::Table(t) => walk_table(t, p, out),
        Item::ArrayOfTables(a) => {
            for (i, t) in a.iter().enumerate() {
                let q = format!("{p}[{i}]");
                out.push(q.clone());
                walk_table(t, &q, out);
            }
        }
        Item::Value(v) => walk_value(v, p, out),
        Item::None => {}
    }
}

fn walk_value(v: &Value, p: &str, out: &mut Vec<String>) {
    match v {
        Value::InlineTable(t) => {
            for (k, v) in t.iter() {
                let q = join(p, k);
                out.push(q.clone());
                walk_value(v, &q, out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                if matches!(v, Value::InlineTable(_) | Value::Array(_)) {
                    let q = format!("{p}[{i}]");
                    out.push(q.clone());
                    walk_value(v, &q, out);
                }
            }
        }
        _ => {}
    }
}

/// Parses VALUE as exactly one TOML value: text after it (a newline and more keys, say) is
/// refused, not silently dropped.
fn parse_value(value: &str) -> Option<Value> {
    let doc = format!("v = {value}\n").parse::<DocumentMut>().ok()?;
    if doc.len() != 1 {
        return None;
    }
    doc.get("v")?.as_value().cloned()
}

/// `new` as the type of `old` where a whole number is meant: an integer key set to `30.0`
/// (as a sweep writes its points) takes the integer 30.
fn keep_integer(old: &Value, new: Value) -> Value {
    match (old, &new) {
        (Value::Integer(_), Value::Float(f))
            if f.value().fract() == 0.0 && f.value().abs() < 9.0e15 =>
        {
            Value::from(*f.value() as i64)
        }
        _ => new,
    }
}

/// Whether `key` holds a whole number in `text` (an integer key such as
/// `scenario.horizon_days`), so a design can refuse fractional values for it up front.
pub fn is_integer(text: &str, key: &str) -> bool {
    let (Ok(mut doc), Some(segs)) = (text.parse::<DocumentMut>(), segments(key)) else {
        return false;
    };
    let mut node = Some(Node::Item(doc.as_item_mut()));
    for s in &segs {
        node = node.and_then(|n| step(n, s));
    }
    matches!(
        node,
        Some(Node::Item(Item::Value(Value::Integer(_)))) | Some(Node::Value(Value::Integer(_)))
    )
}

/// Applies `overrides` in order to the scenario text and returns the new text. Every override is
/// checked; all the problems are returned together.
pub fn apply(text: &str, overrides: &[Override]) -> Result<String, Vec<OverrideError>> {
    if overrides.is_empty() {
        return Ok(text.to_string());
    }
    // A file that is not valid TOML is left as is: the parser reports its syntax errors.
    let Ok(mut doc) = text.parse::<DocumentMut>() else {
        return Ok(text.to_string());
    };
    let all = paths(text);
    let mut errors = Vec::new();
    for o in overrides {
        let err = |message: String, help: Option<String>| OverrideError {
            key: o.key.clone(),
            message,
            help,
        };
        let Some(segs) = segments(&o.key) else {
            errors.push(err(
                "is not a key path".into(),
                Some(
                    "write dotted keys with [i] for array elements, e.g. \
                      rules.gaza_ceasefire.phases[1].violations.hamas"
                        .into(),
                ),
            ));
            continue;
        };
        let Some(new) = parse_value(&o.value) else {
            errors.push(err(
                format!(
                    "`{}` is not one TOML value",
                    super::diag::clip(&o.value.replace('\n', "\\n"), super::diag::QUOTE_MAX)
                ),
                Some(
                    "give exactly one value: numbers as is, distributions as tables \
                     ({uniform=[0.5,0.7]}), text in quotes ('\"text\"'); a newline cannot \
                     start another key"
                        .into(),
                ),
            ));
            continue;
        };
        let mut node = Some(Node::Item(doc.as_item_mut()));
        for s in &segs {
            node = node.and_then(|n| step(n, s));
        }
        match node {
            Some(Node::Item(Item::Value(v))) | Some(Node::Value(v)) => {
                let decor = v.decor().clone();
                *v = keep_integer(v, new);
                *v.decor_mut() = decor;
            }
            Some(_) => errors.push(err(
                "is a table, not a value".into(),
                Some(format!("set one of its keys, e.g. `{}.<key>`", o.key)),
            )),
            None => errors.push(err(
                "no such key in the scenario".into(),
                Some(nearest(&o.key, &all)),
            )),
        }
    }
    if errors.is_empty() {
        Ok(doc.to_string())
    } else {
        Err(errors)
    }
}

/// The nearest valid path, or the keys that exist under the longest valid prefix.
fn nearest(key: &str, all: &[String]) -> String {
    if let Some(p) = did_you_mean(key, all.iter().map(String::as_str)) {
        return format!("did you mean `{p}`?");
    }
    let mut prefix = key;
    while let Some(i) = prefix.rfind(['.', '[']) {
        prefix = &prefix[..i];
        if all.iter().any(|p| p == prefix) {
            let under: Vec<&str> = all
                .iter()
                .filter_map(|p| p.strip_prefix(prefix))
                .filter(|rest| rest.len() > 1 && !rest[1..].contains(['.', '[']))
                .map(|rest| rest.trim_start_matches('.'))
                .collect();
            return format!("`{prefix}` has: {}", under.join(", "));
        }
    }
    let top: Vec<&str> = all
        .iter()
        .map(String::as_str)
        .filter(|p| !p.contains(['.', '[']))
        .collect();
    format!("top-level keys are: {}", top.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
[rules.a]
threshold = { uniform = [0.3, 0.6] }   # the red line
probability = 0.5

[rules.b]
phases = [{ id = \"one\", violations = { x = 0.1 } }]

[[ladder]]
id = \"calm\"
";

    fn set(k: &str, v: &str) -> Override {
        Override {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn replaces_values_in_place_and_keeps_comments_and_lines() {
        let out = apply(
            TEXT,
            &[
                set("rules.a.threshold", "0.45"),
                set("rules.a.probability", "{ beta = [2, 5] }"),
                set("rules.b.phases[0].violations.x", "0.2"),
                set("ladder[0].id", "\"quiet\""),
            ],
        )
        .unwrap();
        assert!(out.contains("threshold = 0.45   # the red line\n"), "{out}");
        assert!(out.contains("probability = { beta = [2, 5] }\n"), "{out}");
        assert!(out.contains("violations = { x = 0.2 }"), "{out}");
        assert!(out.contains("id = \"quiet\""), "{out}");
        assert_eq!(out.lines().count(), TEXT.lines().count());
    }

    #[test]
    fn unknown_paths_suggest_the_nearest() {
        let e = apply(TEXT, &[set("rules.a.thresold", "0.4")]).unwrap_err();
        assert_eq!(
            e[0].help.as_deref(),
            Some("did you mean `rules.a.threshold`?")
        );
        let e = apply(TEXT, &[set("rules.a.zzzzzzzzzzzz", "0.4")]).unwrap_err();
        assert_eq!(
            e[0].help.as_deref(),
            Some("`rules.a` has: threshold, probability")
        );
        let e = apply(TEXT, &[set("rules.a", "1")]).unwrap_err();
        assert_eq!(e[0].message, "is a table, not a value");
        let e = apply(TEXT, &[set("rules.a.threshold", "[1,")]).unwrap_err();
        assert!(e[0].message.contains("not one TOML value"));
        // One value, not a value and more TOML after a newline.
        let e = apply(TEXT, &[set("rules.a.probability", "0.5\n[rules.c]\nx = 1")]).unwrap_err();
        assert!(e[0].message.contains("not one TOML value"), "{e:?}");
    }

    #[test]
    fn whole_numbers_stay_integers_where_the_file_has_one() {
        let text = "[scenario]\nhorizon_days = 90\nshare = 0.5\n";
        let out = apply(
            text,
            &[
                set("scenario.horizon_days", "30.0"),
                set("scenario.share", "1"),
            ],
        )
        .unwrap();
        assert!(out.contains("horizon_days = 30\n"), "{out}");
        assert!(out.contains("share = 1\n"), "{out}");
        assert!(is_integer(text, "scenario.horizon_days"));
        assert!(!is_integer(text, "scenario.share"));
        let e = apply(text, &[set("scenario.horizon_days", "30.5")]).unwrap();
        assert!(e.contains("horizon_days = 30.5"), "{e}");
    }

    #[test]
    fn assignments_split_at_the_first_equals() {
        assert_eq!(
            Override::parse("a.b={uniform=[1,2]}").unwrap(),
            set("a.b", "{uniform=[1,2]}")
        );
        assert!(Override::parse("a.b").is_err());
        assert!(Override::parse("=1").is_err());
    }
}
