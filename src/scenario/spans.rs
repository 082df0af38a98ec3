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

/// Key path of the innermost value whose span contains `offset`.
pub fn path_at(root: &Spanned<DeValue>, offset: usize) -> String {
    let mut path = String::new();
    let mut cur = root;
    'outer: loop {
        match cur.get_ref() {
            DeValue::Table(t) => {
                for (k, v) in t.iter() {
                    let s = v.span();
                    let ks = k.span();
                    if s.contains(&offset) || ks.contains(&offset) {
                        if !path.is_empty() {
                            path.push('.');
                        }
                        path.push_str(k.get_ref());
                        if ks.contains(&offset) {
                            break 'outer;
                        }
                        cur = v;
                        continue 'outer;
                    }
                }
                break;
            }
            DeValue::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    if v.span().contains(&offset) {
                        path.push_str(&format!("[{i}]"));
                        cur = v;
                        continue 'outer;
                    }
                }
                break;
            }
            _ => break,
        }
    }
    path
}
