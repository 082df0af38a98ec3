//! Mapping between key paths (`rules.x.phases[1].violations.hamas`) and byte spans.

use std::ops::Range;

use toml::Spanned;
use toml::de::DeValue;

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Seg::Key(key));
        }
        while let Some(end) = rest.find(']') {
            if let Ok(i) = rest[1..end].parse() {
                out.push(Seg::Index(i));
            }
            rest = &rest[end + 1..];
        }
    }
    out
}

/// Span of the value at `path`, or of the deepest enclosing value that exists.
pub fn span_of(root: &Spanned<DeValue>, path: &str) -> Option<Range<usize>> {
    let mut cur = root;
    let mut best = None;
    for seg in segments(path) {
        let next = match (seg, cur.get_ref()) {
            (Seg::Key(k), DeValue::Table(t)) => t.get(k),
            (Seg::Index(i), DeValue::Array(a)) => a.get(i),
            _ => None,
        };
        match next {
            Some(v) => {
                cur = v;
                best = Some(v.span());
            }
            None => break,
        }
    }
    best
}

/// Span of the key that ends `path` (the `x` of `a.x = 1`), if the path ends in a key that
/// exists.
pub fn key_span_of(root: &Spanned<DeValue>, path: &str) -> Option<Range<usize>> {
    let segs = segments(path);
    let (last, parents) = segs.split_last()?;
    let Seg::Key(last) = last else {
        return None;
    };
    let mut cur = root;
    for seg in parents {
        cur = match (seg, cur.get_ref()) {
            (Seg::Key(k), DeValue::Table(t)) => t.get(*k)?,
            (Seg::Index(i), DeValue::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    match cur.get_ref() {
        DeValue::Table(t) => t
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == *last)
            .map(|(k, _)| k.span()),
        _ => None,
    }
}

/// Key path of the innermost key or value whose span contains `offset`. Tables opened by a
/// `[header]` span only their header, so the whole tree is searched rather than descended.
pub fn path_at(root: &Spanned<DeValue>, offset: usize) -> String {
    let mut best = (0usize, String::new());
    search(root, offset, String::new(), 0, &mut best);
    best.1
}

fn search(
    v: &Spanned<DeValue>,
    offset: usize,
    path: String,
    depth: usize,
    best: &mut (usize, String),
) {
    match v.get_ref() {
        DeValue::Table(t) => {
            for (k, child) in t.iter() {
                let p = if path.is_empty() {
                    k.get_ref().to_string()
                } else {
                    format!("{path}.{}", k.get_ref())
                };
                if (k.span().contains(&offset) || child.span().contains(&offset))
                    && depth + 1 > best.0
                {
                    *best = (depth + 1, p.clone());
                }
                search(child, offset, p, depth + 1, best);
            }
        }
        DeValue::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                let p = format!("{path}[{i}]");
                if child.span().contains(&offset) && depth + 1 > best.0 {
                    *best = (depth + 1, p.clone());
                }
                search(child, offset, p, depth + 1, best);
            }
        }
        _ => {}
    }
}
