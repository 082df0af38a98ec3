//! A small SVG writer for the charts: the handful of shapes they use, text that is always
//! positioned by its baseline (so its box follows from `text::width`), tooltips (`<title>`) and
//! groups that a report can show, hide and read. The height is set when the drawing is done,
//! since charts grow to fit their labels.

use std::fmt::Write as _;

use super::text;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// How a piece of text is set.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub size: f64,
    pub bold: bool,
    pub anchor: Anchor,
    pub fill: &'static str,
    /// Set vertically, reading upwards (axis titles).
    pub up: bool,
    /// Numbers that must share one precision carry the name of their group.
    pub num: Option<&'static str>,
}

impl Style {
    pub fn new(size: f64) -> Style {
        Style {
            size,
            bold: false,
            anchor: Anchor::Start,
            fill: INK,
            up: false,
            num: None,
        }
    }
    pub fn bold(mut self) -> Style {
        self.bold = true;
        self
    }
    pub fn anchor(mut self, a: Anchor) -> Style {
        self.anchor = a;
        self
    }
    pub fn fill(mut self, f: &'static str) -> Style {
        self.fill = f;
        self
    }
    pub fn up(mut self) -> Style {
        self.up = true;
        self
    }
    pub fn num(mut self, group: &'static str) -> Style {
        self.num = Some(group);
        self
    }
    /// Left edge of `s` set at `x` with this style's anchor.
    pub fn left(&self, x: f64, s: &str) -> f64 {
        let w = text::width(s, self.size, self.bold);
        match self.anchor {
            Anchor::Start => x,
            Anchor::Middle => x - w / 2.0,
            Anchor::End => x - w,
        }
    }
}

pub const INK: &str = "#222222";
pub const MUTED: &str = "#555555";
pub const GRID: &str = "#e3e3e3";
pub const AXIS: &str = "#444444";

/// Escapes text for XML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            _ => o.push(c),
        }
    }
    o
}

/// A coordinate, to a tenth of a pixel.
fn c(v: f64) -> String {
    let s = format!("{v:.1}");
    match s.strip_suffix(".0") {
        Some(i) if i != "-0" => i.to_string(),
        Some(_) => "0".into(),
        None => s,
    }
}

pub struct Svg {
    pub width: f64,
    body: String,
}

impl Svg {
    pub fn new(width: f64) -> Svg {
        Svg {
            width,
            body: String::new(),
        }
    }

    /// The finished document, `height` pixels tall, on a white ground.
    pub fn finish(self, height: f64) -> String {
        let (w, h) = (self.width.ceil(), height.ceil());
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" font-family=\"{family}\">\n\
             <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n{body}</svg>\n",
            family = text::FAMILY,
            body = self.body
        )
    }

    pub fn text(&mut self, x: f64, y: f64, s: &str, st: Style) {
        let _ = write!(
            self.body,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\"",
            c(x),
            c(y),
            st.size
        );
        if st.bold {
            self.body.push_str(" font-weight=\"bold\"");
        }
        match st.anchor {
            Anchor::Start => {}
            Anchor::Middle => self.body.push_str(" text-anchor=\"middle\""),
            Anchor::End => self.body.push_str(" text-anchor=\"end\""),
        }
        if st.fill != INK {
            let _ = write!(self.body, " fill=\"{}\"", st.fill);
        }
        if st.up {
            let _ = write!(self.body, " transform=\"rotate(-90 {} {})\"", c(x), c(y));
        }
        if let Some(g) = st.num {
            let _ = write!(self.body, " data-num=\"{g}\"");
        }
        let _ = writeln!(self.body, ">{}</text>", esc(s));
    }

    /// Lines of text, the first baseline at `y`; returns the baseline of the last.
    pub fn lines(&mut self, x: f64, y: f64, lines: &[String], st: Style) -> f64 {
        let mut y = y;
        for (i, l) in lines.iter().enumerate() {
            if i > 0 {
                y += st.size * text::LINE;
            }
            self.text(x, y, l, st);
        }
        y
    }

    /// A rectangle; `extra` is appended to its attributes (e.g. `opacity="0.8"`).
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, extra: &str) {
        self.rect_titled(x, y, w, h, fill, extra, None);
    }

    #[allow(clippy::too_many_arguments)]
    pub fn rect_titled(
        &mut self,
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        fill: &str,
        extra: &str,
        title: Option<&str>,
    ) {
        let (x, w) = if w < 0.0 { (x + w, -w) } else { (x, w) };
        let (y, h) = if h < 0.0 { (y + h, -h) } else { (y, h) };
        let _ = write!(
            self.body,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"",
            c(x),
            c(y),
            c(w),
            c(h)
        );
        if !extra.is_empty() {
            let _ = write!(self.body, " {extra}");
        }
        self.close_titled(title);
    }

    fn close_titled(&mut self, title: Option<&str>) {
        match title {
            Some(t) => {
                let _ = writeln!(self.body, "><title>{}</title></rect>", esc(t));
            }
            None => self.body.push_str("/>\n"),
        }
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, width: f64) {
        let _ = writeln!(
            self.body,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\" \
             stroke-width=\"{width}\"/>",
            c(x1),
            c(y1),
            c(x2),
            c(y2)
        );
    }

    pub fn polyline(&mut self, pts: &[(f64, f64)], stroke: &str, width: f64) {
        self.body.push_str("<polyline fill=\"none\" points=\"");
        for (i, p) in pts.iter().enumerate() {
            if i > 0 {
                self.body.push(' ');
            }
            let _ = write!(self.body, "{},{}", c(p.0), c(p.1));
        }
        let _ = writeln!(
            self.body,
            "\" stroke=\"{stroke}\" stroke-width=\"{width}\" stroke-linejoin=\"round\"/>"
        );
    }

    pub fn polygon(&mut self, pts: &[(f64, f64)], fill: &str, opacity: f64) {
        self.body.push_str("<polygon points=\"");
        for (i, p) in pts.iter().enumerate() {
            if i > 0 {
                self.body.push(' ');
            }
            let _ = write!(self.body, "{},{}", c(p.0), c(p.1));
        }
        let _ = writeln!(self.body, "\" fill=\"{fill}\" opacity=\"{opacity}\"/>");
    }

    pub fn circle(&mut self, x: f64, y: f64, r: f64, fill: &str, title: Option<&str>) {
        let _ = write!(
            self.body,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{r}\" fill=\"{fill}\"",
            c(x),
            c(y)
        );
        match title {
            Some(t) => {
                let _ = writeln!(self.body, "><title>{}</title></circle>", esc(t));
            }
            None => self.body.push_str("/>\n"),
        }
    }

    /// An element written as given (already escaped), for the few with attributes of their own.
    pub fn raw(&mut self, element: &str) {
        self.body.push_str(element);
        self.body.push('\n');
    }

    /// Opens a group with the given attributes (already escaped), and an optional tooltip.
    pub fn open(&mut self, attrs: &str, title: Option<&str>) {
        let _ = write!(self.body, "<g {attrs}>");
        if let Some(t) = title {
            let _ = write!(self.body, "<title>{}</title>", esc(t));
        }
        self.body.push('\n');
    }

    pub fn close(&mut self) {
        self.body.push_str("</g>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_short_and_text_is_escaped() {
        assert_eq!(c(3.0), "3");
        assert_eq!(c(3.04), "3");
        assert_eq!(c(-0.01), "0");
        let mut s = Svg::new(100.0);
        s.text(1.0, 2.0, "a < b & \"c\"", Style::new(12.0).num("v"));
        let out = s.finish(50.4);
        assert!(
            out.contains(">a &lt; b &amp; &quot;c&quot;</text>"),
            "{out}"
        );
        assert!(out.contains("data-num=\"v\""));
        assert!(out.contains("height=\"51\""));
    }
}
