//! Chart shapes drawn into SVG text: lines with interval bands (in panels by scale), vertical
//! bars, histograms, rows of horizontal bars with intervals, heatmaps and numbered scatter
//! plots. They know nothing about brink's files; `charts::mod` turns results into these shapes.
//!
//! Every label is measured (`text::width`) and placed where it overlaps no other: line labels
//! are stacked at the lines' ends, category labels wrap at their key paths' dots, scatter
//! points get numbers placed clear of each other and a key, and a chart grows taller or wider
//! rather than cut or crowd a label. Numbers of one kind in a chart share one precision
//! (`num`). Series and key entries are grouped (`class="s"`, `class="k"`, same `data-k`) and
//! bars, cells and points carry `<title>` tooltips, so that `brink report` can let a reader
//! hover values and hide series.

use anyhow::anyhow;
use serde::Serialize;

use super::num;
use super::svg::{AXIS, Anchor, GRID, INK, MUTED, Style, Svg, esc};
use super::text::{self, ASCENT, DESCENT, LINE};

pub const WIDTH: f64 = 960.0;
const PAD: f64 = 16.0;
const TITLE: f64 = 20.0;
const SUBTITLE: f64 = 14.0;
const TICK: f64 = 13.0;
const DESC: f64 = 14.0;
const LABEL: f64 = 13.0;
/// From the bottom of a plot to the top of its x tick labels: enough to clear the lowest y
/// tick label, which is centred on the bottom line.
const X_GAP: f64 = 9.0;

/// Colour-blind-safe qualitative palette (Okabe–Ito, then grey and black), so series stay
/// distinct in print and for readers with colour-vision deficiencies.
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#787878", "#000000",
];

pub fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// Headings of a chart: the title names the scenario; the subtitle says what is shown.
pub struct Frame<'a> {
    pub title: &'a str,
    pub subtitle: &'a str,
    pub x_desc: &'a str,
    pub y_desc: &'a str,
}

/// What a chart drew: the SVG, and for line charts the values a report shows on hover.
pub struct Drawn {
    pub svg: String,
    pub hover: Option<Hover>,
}

/// The values under the pointer in a line chart: for each x (its pixel position and label),
/// each line's value and interval, in display units (`unit`).
#[derive(Serialize)]
pub struct Hover {
    pub unit: String,
    pub x: Vec<f64>,
    pub label: Vec<String>,
    pub series: Vec<HoverSeries>,
}

#[derive(Serialize)]
pub struct HoverSeries {
    /// Decimals of its values: those of its panel.
    pub d: usize,
    /// The key shared with the drawn group (`data-k`).
    pub k: String,
    pub name: String,
    pub color: &'static str,
    /// Which panel (`data-p`) the line is in.
    pub panel: usize,
    pub v: Vec<Option<[f64; 3]>>,
}

// ---------------------------------------------------------------------------------------------
// Geometry, scales and ticks

/// A box on the page, for keeping labels apart.
#[derive(Clone, Copy, Debug)]
pub struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    fn new(x0: f64, y0: f64, x1: f64, y1: f64) -> Rect {
        Rect { x0, y0, x1, y1 }
    }
    fn overlaps(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
    fn inside(&self, o: &Rect) -> bool {
        self.x0 >= o.x0 && self.x1 <= o.x1 && self.y0 >= o.y0 && self.y1 <= o.y1
    }
}

/// The box of `s` set at (x, baseline y) in style `st`.
fn text_box(x: f64, y: f64, s: &str, st: &Style) -> Rect {
    let x0 = st.left(x, s);
    Rect {
        x0,
        y0: y - ASCENT * st.size,
        x1: x0 + text::width(s, st.size, st.bold),
        y1: y + DESCENT * st.size,
    }
}

/// Baseline that centres one line of text of `size` on `y`.
fn centred(y: f64, size: f64) -> f64 {
    y + size * (ASCENT - DESCENT) / 2.0
}

/// Data range [lo, hi] onto pixels [a, b] (b < a for a y axis).
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub lo: f64,
    pub hi: f64,
    pub a: f64,
    pub b: f64,
}

impl Scale {
    pub fn px(&self, v: f64) -> f64 {
        self.a + (v - self.lo) / (self.hi - self.lo) * (self.b - self.a)
    }
}

/// Tick positions with their labels; `num` when the labels are numbers (which then share one
/// precision).
#[derive(Clone, Debug)]
pub struct Ticks {
    pub at: Vec<(f64, String)>,
    pub num: bool,
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
pub fn nice_step(raw: f64) -> f64 {
    if raw.is_nan() || raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let p = brink::math::powf(10.0, brink::math::log10(raw).floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= raw * (1.0 - 1e-9) {
            return m * p;
        }
    }
    10.0 * p
}

/// Round ticks over [lo, hi], about `n` of them, all with the decimals of their step; as
/// percentages when `percent` (values are shares).
pub fn numeric_ticks(lo: f64, hi: f64, n: usize, percent: bool) -> Ticks {
    ticks_within(lo, hi, n, percent, false)
}

/// Like `numeric_ticks`, but the last tick is at or above `hi`: for axes whose top is their
/// last tick, so that nothing drawn is above it.
pub fn covering_ticks(lo: f64, hi: f64, n: usize, percent: bool) -> Ticks {
    ticks_within(lo, hi, n, percent, true)
}

fn ticks_within(lo: f64, hi: f64, n: usize, percent: bool, cover: bool) -> Ticks {
    let step = nice_step((hi - lo) / n.max(1) as f64);
    let d = num::for_step(if percent { step * 100.0 } else { step });
    let mut at = Vec::new();
    let mut k = (lo / step - 1e-9).ceil() as i64;
    let last = if cover {
        (hi / step - 1e-9).ceil() * step
    } else {
        hi
    };
    loop {
        let v = k as f64 * step;
        if v > last + step * 1e-9 {
            break;
        }
        let label = if percent {
            num::pct(v, d)
        } else {
            num::fixed(v, d)
        };
        at.push((v, label));
        k += 1;
    }
    Ticks { at, num: true }
}

/// Calendar ticks over days `lo..hi` counted from `start`: the first of each month (every
/// other month or quarter on long spans), or weekly on spans under seven weeks.
pub fn date_ticks(start: jiff::civil::Date, lo: f64, hi: f64) -> Ticks {
    let mut at = Vec::new();
    let days = hi - lo;
    let date = |d: f64| start.checked_add(jiff::Span::new().days(d as i64)).ok();
    if days < 49.0 {
        let mut d = lo.ceil();
        while d <= hi {
            if let Some(x) = date(d) {
                at.push((d, x.strftime("%-d %b").to_string()));
            }
            d += 7.0;
        }
    } else {
        let every = if days > 1100.0 {
            6
        } else if days > 550.0 {
            3
        } else if days > 400.0 {
            2
        } else {
            1
        };
        let mut d = lo.ceil();
        while d <= hi {
            if let Some(x) = date(d)
                && x.day() == 1
                && (x.month() - 1) % every == 0
            {
                let label = if x.month() == 1 || at.is_empty() {
                    x.strftime("%b %Y").to_string()
                } else {
                    x.strftime("%b").to_string()
                };
                at.push((d, label));
            }
            d += 1.0;
        }
    }
    Ticks { at, num: false }
}

/// Upper end of a probability axis: a round value just above the data, at most 100%.
pub fn prob_top(max: f64) -> f64 {
    if max.is_nan() || max <= 0.0 {
        return 1.0;
    }
    let step = nice_step(max / 5.0);
    (((max / step).floor() + 1.0) * step).min(1.0)
}

/// The ticks of a horizontal axis that can be labelled without two labels touching: every
/// k-th, for the smallest k that works, and none whose label would leave [x_min, x_max].
fn thin_x(ticks: &Ticks, s: &Scale, x_min: f64, x_max: f64) -> Vec<(f64, String)> {
    let st = Style::new(TICK).anchor(Anchor::Middle);
    let fits = |at: &[&(f64, String)]| {
        let boxes: Vec<Rect> = at
            .iter()
            .map(|(v, l)| text_box(s.px(*v), 0.0, l, &st))
            .collect();
        boxes.windows(2).all(|w| w[0].x1 + 8.0 <= w[1].x0)
    };
    let inside: Vec<&(f64, String)> = ticks
        .at
        .iter()
        .filter(|(v, l)| {
            let b = text_box(s.px(*v), 0.0, l, &st);
            b.x0 >= x_min && b.x1 <= x_max
        })
        .collect();
    for k in 1..=inside.len().max(1) {
        let kept: Vec<&(f64, String)> = inside.iter().step_by(k).copied().collect();
        if fits(&kept) {
            return kept.into_iter().cloned().collect();
        }
    }
    Vec::new()
}

/// Same for a vertical axis: labels at least a line apart.
fn thin_y(ticks: &Ticks, s: &Scale) -> Vec<(f64, String)> {
    let gap = TICK * (ASCENT + DESCENT) + 4.0;
    for k in 1..=ticks.at.len().max(1) {
        let kept: Vec<&(f64, String)> = ticks.at.iter().step_by(k).collect();
        if kept
            .windows(2)
            .all(|w| (s.px(w[0].0) - s.px(w[1].0)).abs() >= gap)
        {
            return kept.into_iter().cloned().collect();
        }
    }
    Vec::new()
}

fn max_width(labels: impl IntoIterator<Item = impl AsRef<str>>, size: f64) -> f64 {
    labels
        .into_iter()
        .map(|l| text::width(l.as_ref(), size, false))
        .fold(0.0, f64::max)
}

// ---------------------------------------------------------------------------------------------
// Pieces every chart has

/// Title and subtitle, wrapped to the page; returns the y below them.
fn header(svg: &mut Svg, f: &Frame) -> f64 {
    let max = svg.width - 2.0 * PAD;
    let title = text::wrap(f.title, max, TITLE, true);
    let mut y = PAD + ASCENT * TITLE;
    y = svg.lines(PAD, y, &title, Style::new(TITLE).bold());
    y += DESCENT * TITLE + 8.0;
    if !f.subtitle.is_empty() {
        let sub = text::wrap(f.subtitle, max, SUBTITLE, false);
        y = svg.lines(
            PAD,
            y + ASCENT * SUBTITLE,
            &sub,
            Style::new(SUBTITLE).fill(MUTED),
        );
        y += DESCENT * SUBTITLE;
    }
    y + 14.0
}

/// How a legend entry shows its series.
#[derive(Clone, Copy)]
pub enum Swatch {
    Bar(&'static str),
    Whisker(&'static str),
}

fn swatch(svg: &mut Svg, x: f64, y: f64, s: Swatch) {
    match s {
        Swatch::Bar(c) => svg.rect(x, y - 6.0, 16.0, 12.0, c, "opacity=\"0.85\""),
        Swatch::Whisker(c) => {
            svg.line(x, y, x + 16.0, y, c, 2.0);
            svg.line(x, y - 4.0, x, y + 4.0, c, 2.0);
            svg.line(x + 16.0, y - 4.0, x + 16.0, y + 4.0, c, 2.0);
        }
    }
}

/// A legend in rows across [x0, x1] from `y` (the top of its first row): each entry a
/// swatch and a label, in a group the report can click. Returns the y below it.
fn legend(svg: &mut Svg, entries: &[(String, String, Swatch)], x0: f64, x1: f64, y: f64) -> f64 {
    let row = LABEL * LINE + 4.0;
    let (mut x, mut top) = (x0, y);
    for (key, label, sw) in entries {
        let w = 22.0 + text::width(label, LABEL, false);
        if x > x0 && x + w > x1 {
            x = x0;
            top += row;
        }
        let mid = top + LABEL * (ASCENT + DESCENT) / 2.0;
        svg.open(
            &format!("class=\"k\" data-k=\"{}\" cursor=\"pointer\"", esc(key)),
            None,
        );
        swatch(svg, x, mid, *sw);
        svg.text(x + 22.0, centred(mid, LABEL), label, Style::new(LABEL));
        svg.close();
        x += w + 22.0;
    }
    top + LABEL * (ASCENT + DESCENT) + 10.0
}

/// Left axis: grid lines across the plot, tick labels right-aligned at its left edge.
fn y_axis(svg: &mut Svg, y: &Scale, ticks: &Ticks, x0: f64, x1: f64, group: &'static str) {
    for (v, label) in thin_y(ticks, y) {
        let py = y.px(v);
        svg.line(x0, py, x1, py, GRID, 1.0);
        let mut st = Style::new(TICK).anchor(Anchor::End);
        if ticks.num {
            st = st.num(group);
        }
        svg.text(x0 - 6.0, centred(py, TICK), &label, st);
    }
}

/// Bottom axis: tick marks and labels under the plot (grid lines are the caller's, drawn
/// under the data).
fn x_axis(svg: &mut Svg, x: &Scale, ticks: &Ticks, y0: f64, group: &'static str) {
    let kept = thin_x(ticks, x, 0.0, svg.width);
    for (v, label) in &kept {
        let px = x.px(*v);
        svg.line(px, y0, px, y0 + 4.0, AXIS, 1.0);
        let mut st = Style::new(TICK).anchor(Anchor::Middle);
        if ticks.num {
            st = st.num(group);
        }
        svg.text(px, y0 + X_GAP + ASCENT * TICK, label, st);
    }
}

/// Number groups of the y axes of stacked panels, and of the values at their lines' ends: each
/// panel has its own precision.
const Y_GROUPS: [&str; 3] = ["y0", "y1", "y2"];
const END_GROUPS: [&str; 3] = ["end0", "end1", "end2"];

/// The axes of `plot` (its left and bottom edges) and their titles: x centred under tick
/// labels `tick_lines` lines tall, y reading upwards at the left edge. Returns the bottom of
/// the x title.
fn axes(svg: &mut Svg, f: &Frame, plot: &Rect, tick_lines: usize) -> f64 {
    svg.line(plot.x0, plot.y0, plot.x0, plot.y1, AXIS, 1.0);
    svg.line(plot.x0, plot.y1, plot.x1, plot.y1, AXIS, 1.0);
    titles(svg, f, plot, tick_lines)
}

/// The axis titles alone (see `axes`).
fn titles(svg: &mut Svg, f: &Frame, plot: &Rect, tick_lines: usize) -> f64 {
    let below = plot.y1 + X_GAP + text::height(tick_lines, TICK) + 14.0;
    if !f.x_desc.is_empty() {
        svg.text(
            (plot.x0 + plot.x1) / 2.0,
            below + ASCENT * DESC,
            f.x_desc,
            Style::new(DESC).anchor(Anchor::Middle),
        );
    }
    if !f.y_desc.is_empty() {
        svg.text(
            PAD + ASCENT * DESC,
            (plot.y0 + plot.y1) / 2.0,
            f.y_desc,
            Style::new(DESC).anchor(Anchor::Middle).up(),
        );
    }
    below + DESC * (ASCENT + DESCENT)
}

/// The finished chart, with a margin under `bottom`.
fn done(svg: Svg, bottom: f64, hover: Option<Hover>) -> anyhow::Result<Drawn> {
    Ok(Drawn {
        svg: svg.finish(bottom + PAD),
        hover,
    })
}

/// Left edge of a plot whose y tick labels are `labels`.
fn plot_left(labels: &[(f64, String)], y_desc: &str) -> f64 {
    let desc = if y_desc.is_empty() {
        0.0
    } else {
        DESC * (ASCENT + DESCENT) + 10.0
    };
    PAD + desc + max_width(labels.iter().map(|l| &l.1), TICK) + 8.0
}

fn err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("cannot draw chart: {e}")
}

// ---------------------------------------------------------------------------------------------
// Lines with bands

/// One line with its 95% band: points (x, y, ci_low, ci_high); NaN y breaks the line.
#[derive(Clone)]
pub struct Band {
    pub name: String,
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// The horizontal axis of a line chart.
pub enum LineX {
    /// Days counted from a start date.
    Dates(jiff::civil::Date),
    /// Parameter values.
    Numeric,
    /// Points 0, 1, 2, … with these names.
    Points(Vec<String>),
}

/// Series whose peaks are within this factor share a panel; a series smaller than the largest
/// in its panel by more than this gets a panel of its own scale (at most `MAX_PANELS`).
const PANEL_RATIO: f64 = 5.0;
const MAX_PANELS: usize = 3;
/// Widest a line's label may be before its name wraps.
const LINE_LABEL_MAX: f64 = 290.0;

/// Identical series (the same value and interval on every x) drawn as one line, named by all.
struct Drawn1 {
    names: Vec<String>,
    points: Vec<(f64, f64, f64, f64)>,
    peak: f64,
    colour: &'static str,
    key: String,
}

fn same(a: &[(f64, f64, f64, f64)], b: &[(f64, f64, f64, f64)]) -> bool {
    let bits =
        |p: &(f64, f64, f64, f64)| (p.0.to_bits(), p.1.to_bits(), p.2.to_bits(), p.3.to_bits());
    a.len() == b.len() && a.iter().zip(b).all(|(p, q)| bits(p) == bits(q))
}

/// Splits lines into panels by scale: largest first, each panel taking the lines within
/// `PANEL_RATIO` of its largest; lines that never rise above zero join the last panel.
fn panels_by_scale(lines: &[Drawn1]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by(|&a, &b| lines[b].peak.total_cmp(&lines[a].peak));
    let mut panels: Vec<(f64, Vec<usize>)> = Vec::new();
    for i in order {
        let p = lines[i].peak;
        let full = panels.len() >= MAX_PANELS;
        match panels.last_mut() {
            Some((top, members)) if p <= 0.0 || p * PANEL_RATIO >= *top || full => members.push(i),
            _ => panels.push((p, vec![i])),
        }
    }
    // Within a panel, lines keep the order of the file.
    panels
        .into_iter()
        .map(|(_, mut m)| {
            m.sort_unstable();
            m
        })
        .collect()
}

/// A label block at the right of a panel: lines of text, and where it wants to be.
struct EndLabel {
    line: usize,
    lines: Vec<(String, Option<String>)>,
    want: f64,
    height: f64,
}

/// Stacks blocks (sorted by `want`) inside [top, bottom] without overlap, each as near its
/// wish as the others allow; returns the centres.
fn stack(blocks: &[(f64, f64)], top: f64, bottom: f64, gap: f64) -> Vec<f64> {
    let n = blocks.len();
    let mut pos: Vec<f64> = blocks.iter().map(|b| b.0).collect();
    for i in 0..n {
        let min = if i == 0 {
            top + blocks[0].1 / 2.0
        } else {
            pos[i - 1] + (blocks[i - 1].1 + blocks[i].1) / 2.0 + gap
        };
        pos[i] = pos[i].max(min);
    }
    for i in (0..n).rev() {
        let max = if i == n - 1 {
            bottom - blocks[i].1 / 2.0
        } else {
            pos[i + 1] - (blocks[i].1 + blocks[i + 1].1) / 2.0 - gap
        };
        pos[i] = pos[i].min(max);
    }
    pos
}

/// The vertical axis of a line chart.
#[derive(Clone, Copy)]
pub enum LineY<'a> {
    /// Shares, on percent axes from 0 (panels by scale).
    Shares,
    /// Values in the metric's own units, on one axis over their range (0 included); `unit`
    /// follows a value under the pointer (" days", or "" when the metric has none).
    Values { unit: &'a str },
}

/// Lines with shaded interval bands against `x` over [x_lo, x_hi], y as shares (percent axes).
/// Identical series are drawn once and named together; series on scales an order of magnitude
/// apart go to separate panels, each with its own axis. Every line is labelled at its right
/// end with its name and last value.
pub fn bands(
    frame: &Frame,
    x: LineX,
    x_lo: f64,
    x_hi: f64,
    series: &[Band],
) -> anyhow::Result<Drawn> {
    bands_on(frame, x, x_lo, x_hi, series, LineY::Shares)
}

/// Round ticks over a range that covers [lo, hi] at both ends, about `n` of them, labelled
/// with the decimals of their step: the axis of values in their own units.
pub fn value_ticks(lo: f64, hi: f64, n: usize) -> Ticks {
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo, lo + 1.0) };
    let step = nice_step((hi - lo) / n.max(1) as f64);
    let d = num::for_step(step);
    let first = (lo / step + 1e-9).floor() as i64;
    let last = (hi / step - 1e-9).ceil() as i64;
    let at = (first..=last.max(first + 1))
        .map(|k| {
            let v = k as f64 * step;
            (v, num::fixed(v, d))
        })
        .collect();
    Ticks { at, num: true }
}

/// `bands`, with the vertical axis `vertical`: shares as percentages, or values in their own units
/// (then all lines share one panel).
pub fn bands_on(
    frame: &Frame,
    x: LineX,
    x_lo: f64,
    x_hi: f64,
    series: &[Band],
    vertical: LineY,
) -> anyhow::Result<Drawn> {
    if series.is_empty() {
        return Err(err("no series"));
    }
    let shares = matches!(vertical, LineY::Shares);
    // Shares are shown as percentages.
    let scale = if shares { 100.0 } else { 1.0 };
    // Merge identical series, keeping the first one's place.
    let mut lines: Vec<Drawn1> = Vec::new();
    for s in series {
        match lines.iter_mut().find(|l| same(&l.points, &s.points)) {
            Some(l) => l.names.push(s.name.clone()),
            None => {
                let peak = s
                    .points
                    .iter()
                    .map(|p| if p.3.is_finite() { p.3 } else { p.1 })
                    .filter(|v| v.is_finite())
                    .fold(0.0, f64::max);
                let i = lines.len();
                lines.push(Drawn1 {
                    names: vec![s.name.clone()],
                    points: s.points.clone(),
                    peak,
                    colour: color(i),
                    key: format!("s{i}"),
                });
            }
        }
    }
    let panels = if shares {
        panels_by_scale(&lines)
    } else {
        vec![(0..lines.len()).collect()]
    };
    // Each panel is a scale of its own: its axis and the values at its lines' ends each share
    // one precision, the values' from their intervals.
    let last = |l: &Drawn1| l.points.iter().rev().find(|p| p.1.is_finite()).copied();
    let mut dec = vec![1; lines.len()];
    for members in &panels {
        let d = num::for_halfwidths(
            members
                .iter()
                .filter_map(|&i| last(&lines[i]))
                .map(|p| scale * (p.3 - p.2) / 2.0),
            if shares { 2 } else { 3 },
        );
        for &i in members {
            dec[i] = d;
        }
    }

    // Labels: name lines (wrapped), the first with the last value beside it, merged names
    // prefixed with "=".
    let label_of = |i: usize| -> Vec<(String, Option<String>)> {
        let l = &lines[i];
        let value = last(l).map(|p| {
            if shares {
                num::pct(p.1, dec[i])
            } else {
                num::fixed(p.1, dec[i])
            }
        });
        let mut out = Vec::new();
        for (k, name) in l.names.iter().enumerate() {
            let shown = if k == 0 {
                name.clone()
            } else {
                format!("= {name}")
            };
            for (j, piece) in text::wrap(&shown, LINE_LABEL_MAX, LABEL, false)
                .into_iter()
                .enumerate()
            {
                let v = if k == 0 && j == 0 {
                    value.clone()
                } else {
                    None
                };
                out.push((piece, v));
            }
        }
        out
    };
    let labels: Vec<Vec<(String, Option<String>)>> = (0..lines.len()).map(label_of).collect();
    let label_w = labels
        .iter()
        .flatten()
        .map(|(t, v)| {
            text::width(t, LABEL, false)
                + v.as_ref()
                    .map_or(0.0, |v| 6.0 + text::width(v, LABEL, false))
        })
        .fold(0.0, f64::max);

    let mut svg = Svg::new(WIDTH);
    let top = header(&mut svg, frame);
    let gap_panels = 22.0;
    let base: f64 = match panels.len() {
        1 => 380.0,
        2 => 210.0,
        _ => 150.0,
    };
    let heights: Vec<f64> = panels
        .iter()
        .map(|p| {
            let need: f64 = p
                .iter()
                .map(|&i| text::height(labels[i].len(), LABEL) + 6.0)
                .sum();
            base.max(need + 8.0)
        })
        .collect();
    // y axes first: their labels set the left margin.
    let y_ticks: Vec<Ticks> = panels
        .iter()
        .zip(&heights)
        .map(|(p, h)| {
            let n = ((h / 45.0) as usize).clamp(2, 10);
            if !shares {
                // Every value and interval of the panel, and 0.
                let (lo, hi) = p
                    .iter()
                    .flat_map(|&i| lines[i].points.iter().flat_map(|q| [q.1, q.2, q.3]))
                    .filter(|v| v.is_finite())
                    .fold((0.0f64, 0.0f64), |a, v| (a.0.min(v), a.1.max(v)));
                return value_ticks(lo, hi, n);
            }
            let peak = p.iter().map(|&i| lines[i].peak).fold(0.0, f64::max);
            let top = prob_top(peak);
            covering_ticks(0.0, top, n, true)
        })
        .collect();
    let left = y_ticks
        .iter()
        .map(|t| plot_left(&t.at, frame.y_desc))
        .fold(0.0, f64::max);
    let right = WIDTH - PAD - label_w - 30.0;
    let xs = Scale {
        lo: x_lo,
        hi: x_hi,
        a: left,
        b: right,
    };
    let x_ticks = match &x {
        LineX::Dates(start) => date_ticks(*start, x_lo, x_hi),
        LineX::Numeric => numeric_ticks(x_lo, x_hi, 10, false),
        LineX::Points(names) => Ticks {
            at: names
                .iter()
                .enumerate()
                .map(|(i, n)| (i as f64, n.clone()))
                .collect(),
            // Point numbers.
            num: true,
        },
    };

    let x_kept = thin_x(&x_ticks, &xs, 0.0, WIDTH);
    // Markers at each point when there are few (a sweep's design points), not on a calendar.
    let markers = !matches!(x, LineX::Dates(_)) && lines.iter().all(|l| l.points.len() <= 40);
    let mut y = top;
    for (pi, members) in panels.iter().enumerate() {
        let h = heights[pi];
        let ys = Scale {
            lo: y_ticks[pi].at.first().map_or(0.0, |t| t.0),
            hi: y_ticks[pi].at.last().map_or(1.0, |t| t.0),
            a: y + h,
            b: y,
        };
        svg.open(&format!("class=\"panel\" data-p=\"{pi}\""), None);
        y_axis(
            &mut svg,
            &ys,
            &y_ticks[pi],
            left,
            right,
            Y_GROUPS[pi.min(2)],
        );
        for (v, _) in &x_kept {
            svg.line(xs.px(*v), y, xs.px(*v), y + h, GRID, 1.0);
        }
        // Bands first, then lines over them.
        for &i in members {
            let l = &lines[i];
            svg.open(
                &format!("class=\"s\" data-k=\"{}\"", l.key),
                Some(&l.names.join(" = ")),
            );
            for seg in segments(&l.points) {
                let lower: Vec<(f64, f64)> = seg.iter().map(|p| (xs.px(p.0), ys.px(p.2))).collect();
                let upper: Vec<(f64, f64)> =
                    seg.iter().rev().map(|p| (xs.px(p.0), ys.px(p.3))).collect();
                let mut poly = simplify(&lower);
                poly.extend(simplify(&upper));
                svg.polygon(&poly, l.colour, 0.18);
            }
            for seg in segments(&l.points) {
                let all: Vec<(f64, f64)> = seg.iter().map(|p| (xs.px(p.0), ys.px(p.1))).collect();
                if markers {
                    for p in &all {
                        svg.circle(p.0, p.1, 3.5, l.colour, None);
                    }
                }
                let pts = simplify(&all);
                if pts.len() > 1 {
                    svg.polyline(&pts, l.colour, 2.0);
                } else if !markers {
                    svg.circle(pts[0].0, pts[0].1, 3.5, l.colour, None);
                }
            }
            svg.close();
        }
        svg.line(left, y, left, y + h, AXIS, 1.0);
        svg.line(left, y + h, right, y + h, AXIS, 1.0);
        // The report's pointer guide and hit area; invisible on their own.
        svg.raw(&format!(
            "<line class=\"guide\" x1=\"{left}\" y1=\"{y}\" x2=\"{left}\" y2=\"{}\" \
             stroke=\"#888888\" stroke-width=\"1\" visibility=\"hidden\"/>",
            y + h
        ));
        svg.rect(
            left,
            y,
            right - left,
            h,
            "#ffffff",
            "fill-opacity=\"0\" class=\"hit\"",
        );
        svg.close();

        // Labels at the lines' ends, stacked without overlap.
        let mut blocks: Vec<EndLabel> = members
            .iter()
            .map(|&i| {
                let want = last(&lines[i]).map_or(y + h, |p| ys.px(p.1));
                EndLabel {
                    line: i,
                    lines: labels[i].clone(),
                    want,
                    height: text::height(labels[i].len(), LABEL),
                }
            })
            .collect();
        blocks.sort_by(|a, b| a.want.total_cmp(&b.want).then(a.line.cmp(&b.line)));
        let centres = stack(
            &blocks
                .iter()
                .map(|b| (b.want, b.height))
                .collect::<Vec<_>>(),
            y,
            y + h,
            6.0,
        );
        let lx = right + 26.0;
        for (b, c) in blocks.iter().zip(centres) {
            let l = &lines[b.line];
            svg.open(
                &format!("class=\"k\" data-k=\"{}\" cursor=\"pointer\"", l.key),
                None,
            );
            let first = c - b.height / 2.0 + ASCENT * LABEL;
            let mid = first - LABEL * (ASCENT - DESCENT) / 2.0;
            if let Some(p) = last(l) {
                svg.line(xs.px(p.0) + 2.0, ys.px(p.1), lx - 22.0, mid, l.colour, 1.0);
            }
            svg.line(lx - 20.0, mid, lx - 4.0, mid, l.colour, 3.0);
            let mut by = first;
            for (t, v) in &b.lines {
                svg.text(lx, by, t, Style::new(LABEL));
                if let Some(v) = v {
                    svg.text(
                        lx + text::width(t, LABEL, false) + 6.0,
                        by,
                        v,
                        Style::new(LABEL).bold().num(END_GROUPS[pi.min(2)]),
                    );
                }
                by += LABEL * LINE;
            }
            svg.close();
        }
        y += h + gap_panels;
    }
    let bottom = y - gap_panels;
    x_axis(&mut svg, &xs, &x_ticks, bottom, "x");
    // The titles span all panels.
    let plot = Rect::new(left, top, right, bottom);
    let height = titles(&mut svg, frame, &plot, 1);

    // What the report shows under the pointer.
    let all_x: Vec<f64> = {
        let mut v: Vec<f64> = lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.0))
            .collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    };
    let x_label = |v: f64| match &x {
        LineX::Dates(start) => start
            .checked_add(jiff::Span::new().days(v as i64))
            .map_or_else(|_| num::fixed(v, 0), |d| d.to_string()),
        LineX::Numeric => num::short(v),
        LineX::Points(names) => names.get(v as usize).cloned().unwrap_or_default(),
    };
    let round = |v: f64, d: usize| {
        if shares {
            // As the line's label and the report's tables give it.
            return num::percent_value(v, d);
        }
        let f = 10f64.powi(d as i32);
        (v * f).round() / f
    };
    let hover = Hover {
        unit: match vertical {
            LineY::Shares => "%".into(),
            LineY::Values { unit } => unit.into(),
        },
        x: all_x
            .iter()
            .map(|&v| (xs.px(v) * 10.0).round() / 10.0)
            .collect(),
        label: all_x.iter().map(|&v| x_label(v)).collect(),
        series: panels
            .iter()
            .enumerate()
            .flat_map(|(pi, m)| m.iter().map(move |&i| (pi, i)))
            .map(|(pi, i)| {
                let l = &lines[i];
                let d = dec[i];
                HoverSeries {
                    d,
                    k: l.key.clone(),
                    name: l.names.join(" = "),
                    color: l.colour,
                    panel: pi,
                    v: all_x
                        .iter()
                        .map(|&xv| {
                            l.points
                                .iter()
                                .find(|p| p.0 == xv && p.1.is_finite())
                                .map(|p| [round(p.1, d), round(p.2, d), round(p.3, d)])
                        })
                        .collect(),
                }
            })
            .collect(),
    };
    done(svg, height, Some(hover))
}

/// A line through `pts` with the points that lie within a quarter pixel of it dropped
/// (Ramer–Douglas–Peucker): the same drawing in a fraction of the text, since a year of days
/// is mostly straight stretches.
fn simplify(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    const TOLERANCE: f64 = 0.25;
    if pts.len() < 3 {
        return pts.to_vec();
    }
    let mut keep = vec![false; pts.len()];
    keep[0] = true;
    keep[pts.len() - 1] = true;
    let mut stack = vec![(0, pts.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        let (p, q) = (pts[a], pts[b]);
        let (dx, dy) = (q.0 - p.0, q.1 - p.1);
        let len = (dx * dx + dy * dy).sqrt();
        let mut far = (0.0, a);
        for (i, r) in pts.iter().enumerate().take(b).skip(a + 1) {
            let d = if len == 0.0 {
                ((r.0 - p.0).powi(2) + (r.1 - p.1).powi(2)).sqrt()
            } else {
                ((r.0 - p.0) * dy - (r.1 - p.1) * dx).abs() / len
            };
            if d > far.0 {
                far = (d, i);
            }
        }
        if far.0 > TOLERANCE {
            keep[far.1] = true;
            stack.push((a, far.1));
            stack.push((far.1, b));
        }
    }
    pts.iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(p, _)| *p)
        .collect()
}

/// Runs of consecutive points whose value is defined.
fn segments(p: &[(f64, f64, f64, f64)]) -> Vec<&[(f64, f64, f64, f64)]> {
    p.split(|p| !(p.1.is_finite() && p.2.is_finite() && p.3.is_finite()))
        .filter(|s| !s.is_empty())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Vertical bars

/// Vertical bars over named categories, each with its value on top and its name under it
/// (wrapped to its slot). `values` are shares, labelled with `decimals`.
pub fn bars(
    frame: &Frame,
    cats: &[String],
    values: &[f64],
    decimals: usize,
) -> anyhow::Result<Drawn> {
    let mut svg = Svg::new(WIDTH);
    let top = header(&mut svg, frame);
    let max = values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let (yt, left, ys) = share_axis(frame, top, max);
    let right = WIDTH - PAD;
    let slot = (right - left) / cats.len().max(1) as f64;
    let names: Vec<Vec<String>> = cats
        .iter()
        .map(|c| text::wrap(c, slot - 6.0, TICK, false))
        .collect();
    let name_lines = names.iter().map(Vec::len).max().unwrap_or(1);
    let bottom = ys.a;
    y_axis(&mut svg, &ys, &yt, left, right, "y");
    svg.open("class=\"s\" data-k=\"s0\"", None);
    for (i, (&v, c)) in values.iter().zip(cats).enumerate() {
        let cx = left + slot * (i as f64 + 0.5);
        let w = (slot * 0.7).min(120.0);
        let label = num::pct(v, decimals);
        svg.rect_titled(
            cx - w / 2.0,
            ys.px(v),
            w,
            bottom - ys.px(v),
            color(0),
            "",
            Some(&format!("{c}: {label} of runs")),
        );
        svg.text(
            cx,
            ys.px(v) - 4.0 - DESCENT * LABEL,
            &label,
            Style::new(LABEL).anchor(Anchor::Middle).num("value"),
        );
    }
    svg.close();
    for (i, lines) in names.iter().enumerate() {
        let cx = left + slot * (i as f64 + 0.5);
        svg.lines(
            cx,
            bottom + X_GAP + ASCENT * TICK,
            lines,
            Style::new(TICK).anchor(Anchor::Middle),
        );
    }
    let plot = Rect::new(left, ys.b, right, bottom);
    let height = axes(&mut svg, frame, &plot, name_lines);
    done(svg, height, None)
}

/// The share axis of vertical bars, from 0 to just above `max`, with room above the plot for
/// the value written on the highest bar: its ticks, the plot's left edge and the y scale.
fn share_axis(frame: &Frame, top: f64, max: f64) -> (Ticks, f64, Scale) {
    // Round ticks just above the highest bar (its value is written above the plot's top).
    let top_share = if max > 0.0 {
        (max * 1.02).min(1.0)
    } else {
        1.0
    };
    let yt = covering_ticks(0.0, top_share, 7, true);
    let left = plot_left(&yt.at, frame.y_desc);
    let value_room = LABEL * (ASCENT + DESCENT) + 6.0;
    let ys = Scale {
        lo: 0.0,
        hi: yt.at.last().map_or(1.0, |t| t.0),
        a: top + value_room + 360.0,
        b: top + value_room,
    };
    (yt, left, ys)
}

// ---------------------------------------------------------------------------------------------
// Histograms

/// A bin: [from, to) in the metric's units, its share of runs, and how the report names it.
pub struct Bin {
    pub from: f64,
    pub to: f64,
    pub share: f64,
    pub name: String,
}

/// A histogram over a numeric axis. A `zero` bin (the runs where the metric is 0: nothing
/// happened) is drawn apart, left of the axis break, in grey and with its share written on
/// it, so it is never lumped with small values.
#[allow(clippy::too_many_arguments)]
pub fn histogram(
    frame: &Frame,
    x_lo: f64,
    x_hi: f64,
    bins: &[Bin],
    zero: Option<&Bin>,
    zero_name: &str,
    unit: &str,
    decimals: usize,
    tip_decimals: usize,
) -> anyhow::Result<Drawn> {
    let mut svg = Svg::new(WIDTH);
    let top = header(&mut svg, frame);
    let max = bins
        .iter()
        .chain(zero)
        .map(|b| b.share)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let (yt, left, ys) = share_axis(frame, top, max);
    let right = WIDTH - PAD;
    let bottom = ys.a;
    // The zero bar gets a slot of its own, wide enough for its labels.
    let zero_slot = match zero {
        Some(z) => {
            let w = max_width([num::pct(z.share, decimals), zero_name.to_string()], TICK);
            w.max(40.0) + 24.0
        }
        None => 0.0,
    };
    let x0 = left + zero_slot;
    let xs = Scale {
        lo: x_lo,
        hi: x_hi,
        a: x0 + 4.0,
        b: right,
    };
    y_axis(&mut svg, &ys, &yt, left, right, "y");
    let kept = thin_x(&numeric_ticks(x_lo, x_hi, 12, false), &xs, x0, WIDTH);
    for (v, label) in &kept {
        let px = xs.px(*v);
        svg.line(px, ys.b, px, bottom, GRID, 1.0);
        svg.line(px, bottom, px, bottom + 4.0, AXIS, 1.0);
        svg.text(
            px,
            bottom + X_GAP + ASCENT * TICK,
            label,
            Style::new(TICK).anchor(Anchor::Middle).num("x"),
        );
    }
    svg.open("class=\"s\" data-k=\"s0\"", None);
    for b in bins {
        let (a, c) = (xs.px(b.from), xs.px(b.to));
        let w = (c - a - 1.0).max(1.0);
        svg.rect_titled(
            a + 0.5,
            ys.px(b.share),
            w,
            bottom - ys.px(b.share),
            color(0),
            "",
            Some(&format!(
                "{} {unit}: {} of runs",
                b.name,
                num::pct(b.share, tip_decimals)
            )),
        );
    }
    svg.close();
    if let Some(z) = zero {
        let cx = left + zero_slot / 2.0;
        let w = (zero_slot - 24.0).min(40.0);
        let label = num::pct(z.share, decimals);
        // Part of the one series: not a legend entry of its own.
        svg.open("class=\"s\" data-k=\"s0\"", None);
        svg.rect_titled(
            cx - w / 2.0,
            ys.px(z.share),
            w,
            bottom - ys.px(z.share),
            "#8a8a8a",
            "",
            Some(&format!("{zero_name}: {label} of runs")),
        );
        svg.text(
            cx,
            ys.px(z.share) - 4.0 - DESCENT * LABEL,
            &label,
            Style::new(LABEL).anchor(Anchor::Middle).num("value"),
        );
        svg.close();
        svg.text(
            cx,
            bottom + X_GAP + ASCENT * TICK,
            zero_name,
            Style::new(TICK).anchor(Anchor::Middle),
        );
        // The axis break between the zero bar and the rest.
        svg.line(x0 - 2.0, bottom + 5.0, x0 + 4.0, bottom - 5.0, AXIS, 1.0);
        svg.line(x0 + 2.0, bottom + 5.0, x0 + 8.0, bottom - 5.0, AXIS, 1.0);
    }
    let plot = Rect::new(left, ys.b, right, bottom);
    let height = axes(&mut svg, frame, &plot, 1);
    done(svg, height, None)
}

// ---------------------------------------------------------------------------------------------
// Rows of horizontal bars

/// A series of horizontal bars with optional intervals, one value per category.
pub struct HSeries {
    pub name: String,
    pub values: Vec<f64>,
    pub intervals: Vec<(f64, f64)>,
    /// Draw only the intervals (as whiskers), no bars.
    pub whiskers_only: bool,
}

/// Widest share of the page the category names may take before they wrap.
const ROW_LABEL_SHARE: f64 = 0.42;

/// Horizontal bars grouped by category (first category at the top), with interval whiskers,
/// a rule at zero, a legend above, every category named at the left (wrapped at its dots when
/// long) and, when `values` is given, a column of values at the right. The chart is as tall as
/// its rows need. `tip(i)` is the tooltip of row i.
/// The least height of a bar chart's plot area, in pixels.
const MIN_HBAR_PLOT: f64 = 110.0;

#[allow(clippy::too_many_arguments)]
pub fn hbars(
    frame: &Frame,
    cats: &[String],
    x_lo: f64,
    x_hi: f64,
    series: &[HSeries],
    values: Option<&[String]>,
    tip: &dyn Fn(usize) -> String,
) -> anyhow::Result<Drawn> {
    let mut svg = Svg::new(WIDTH);
    let mut top = header(&mut svg, frame);
    let entries: Vec<(String, String, Swatch)> = series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let sw = if s.whiskers_only {
                Swatch::Whisker(color(i))
            } else {
                Swatch::Bar(color(i))
            };
            (format!("s{i}"), s.name.clone(), sw)
        })
        .collect();
    top = legend(&mut svg, &entries, PAD, WIDTH - PAD, top);
    let max_label = WIDTH * ROW_LABEL_SHARE;
    let names: Vec<Vec<String>> = cats
        .iter()
        .map(|c| text::wrap(c, max_label, LABEL, false))
        .collect();
    let name_w = names
        .iter()
        .flatten()
        .map(|l| text::width(l, LABEL, false))
        .fold(0.0, f64::max);
    let value_w = values.map_or(0.0, |v| max_width(v, LABEL) + 16.0);
    let desc = if frame.y_desc.is_empty() {
        0.0
    } else {
        DESC * (ASCENT + DESCENT) + 10.0
    };
    let left = PAD + desc + name_w + 10.0;
    let right = WIDTH - PAD - value_w;
    let k = series.len().max(1) as f64;
    let sub = 11.0;
    let mut rows: Vec<f64> = names
        .iter()
        .map(|l| (k * sub + 10.0).max(text::height(l.len(), LABEL) + 8.0))
        .collect();
    // One or two rows would make a strip of a chart: give the plot a minimum height, shared
    // out among the rows, whose bars stay centred in their bands.
    let total: f64 = rows.iter().sum();
    if total > 0.0 && total < MIN_HBAR_PLOT {
        for r in &mut rows {
            *r *= MIN_HBAR_PLOT / total;
        }
    }
    let xt = numeric_ticks(x_lo, x_hi, 8, false);
    let xs = Scale {
        lo: x_lo,
        hi: x_hi,
        a: left,
        b: right,
    };
    let plot_top = top + 4.0;
    let bottom = plot_top + rows.iter().sum::<f64>();
    // Row bands alternate faintly so a row reads across to its values.
    let mut y = plot_top;
    for (i, h) in rows.iter().enumerate() {
        if i % 2 == 1 {
            svg.rect(PAD, y, WIDTH - 2.0 * PAD, *h, "#f5f5f5", "");
        }
        y += h;
    }
    let kept = thin_x(&xt, &xs, left, WIDTH);
    for (v, label) in &kept {
        let px = xs.px(*v);
        svg.line(px, plot_top, px, bottom, GRID, 1.0);
        svg.line(px, bottom, px, bottom + 4.0, AXIS, 1.0);
        svg.text(
            px,
            bottom + X_GAP + ASCENT * TICK,
            label,
            Style::new(TICK).anchor(Anchor::Middle).num("x"),
        );
    }
    if x_lo < 0.0 && x_hi > 0.0 {
        svg.line(xs.px(0.0), plot_top, xs.px(0.0), bottom, INK, 1.0);
    }
    let mut row_top = Vec::new();
    let mut y = plot_top;
    for h in &rows {
        row_top.push(y);
        y += h;
    }
    let zero = xs.px(0.0_f64.clamp(x_lo, x_hi));
    for (si, s) in series.iter().enumerate() {
        let c = color(si);
        svg.open(&format!("class=\"s\" data-k=\"s{si}\""), None);
        for (i, rt) in row_top.iter().enumerate() {
            let band = rows[i];
            let first = rt + (band - k * sub) / 2.0;
            let cy = first + sub * (si as f64 + 0.5);
            let t = tip(i);
            if !s.whiskers_only
                && let Some(&v) = s.values.get(i)
                && v.is_finite()
            {
                svg.rect_titled(
                    zero,
                    cy - sub * 0.4,
                    xs.px(v) - zero,
                    sub * 0.8,
                    c,
                    "opacity=\"0.85\"",
                    Some(&t),
                );
            }
            if let Some(&(a, b)) = s.intervals.get(i)
                && a.is_finite()
                && b.is_finite()
            {
                let ink = if s.whiskers_only { c } else { INK };
                let (pa, pb) = (xs.px(a), xs.px(b));
                svg.line(pa, cy, pb, cy, ink, 1.6);
                svg.line(pa, cy - 3.5, pa, cy + 3.5, ink, 1.6);
                svg.line(pb, cy - 3.5, pb, cy + 3.5, ink, 1.6);
            }
        }
        svg.close();
    }
    for (i, lines) in names.iter().enumerate() {
        let h = text::height(lines.len(), LABEL);
        let first = row_top[i] + (rows[i] - h) / 2.0 + ASCENT * LABEL;
        svg.lines(
            left - 8.0,
            first,
            lines,
            Style::new(LABEL).anchor(Anchor::End),
        );
        if let Some(v) = values.and_then(|v| v.get(i)) {
            let mid = row_top[i] + rows[i] / 2.0;
            svg.text(
                WIDTH - PAD,
                centred(mid, LABEL),
                v,
                Style::new(LABEL).anchor(Anchor::End).num("value"),
            );
        }
    }
    let plot = Rect::new(left, plot_top, right, bottom);
    let height = axes(&mut svg, frame, &plot, 1);
    done(svg, height, None)
}

// ---------------------------------------------------------------------------------------------
// Heatmaps

/// A grid of cells coloured by value (z[row][col], rows bottom up), each labelled with
/// `label(value)`, a colour scale at the right, and `tip(row, col)` on hover. With `range`
/// `None` the values are shares, on a scale from 0 to 100%; with `Some((lo, hi))` they are in
/// their own units, on a scale of round values covering lo to hi. The chart widens when the
/// cells are too narrow for their labels.
#[allow(clippy::too_many_arguments)]
pub fn heatmap(
    frame: &Frame,
    xs: &[String],
    ys: &[String],
    z: &[Vec<f64>],
    label: &dyn Fn(f64) -> String,
    scale_desc: &str,
    range: Option<(f64, f64)>,
    tip: &dyn Fn(usize, usize) -> String,
) -> anyhow::Result<Drawn> {
    let st = match range {
        None => numeric_ticks(0.0, 1.0, 4, true),
        Some((lo, hi)) => value_ticks(lo, hi, 4),
    };
    // Where a value sits on the colour scale, 0 to 1 (a share is its own place).
    let (s_lo, s_hi) = match range {
        None => (0.0, 1.0),
        Some(_) => (
            st.at.first().map_or(0.0, |t| t.0),
            st.at.last().map_or(1.0, |t| t.0),
        ),
    };
    let place = |v: f64| (v - s_lo) / (s_hi - s_lo);
    let cell_label_w = z
        .iter()
        .flatten()
        .map(|&v| text::width(&label(v), LABEL, false))
        .fold(0.0, f64::max);
    let x_label_w = max_width(xs, TICK);
    let scale_w = 110.0;
    let desc = DESC * (ASCENT + DESCENT) + 10.0;
    let left = PAD + desc + max_width(ys, TICK) + 8.0;
    let cell_w_min = cell_label_w.max(x_label_w) + 12.0;
    let width = WIDTH.max(left + cell_w_min * xs.len() as f64 + scale_w + PAD);
    let mut svg = Svg::new(width);
    let top = header(&mut svg, frame);
    let right = width - PAD - scale_w;
    let cw = (right - left) / xs.len().max(1) as f64;
    // Rows tall enough for the cells' labels, and the grid at least as tall as the y axis's
    // title, which reads upwards beside it.
    let ny = ys.len().max(1) as f64;
    let ch = (380.0 / ny)
        .clamp(LABEL * 2.0, 80.0)
        .max((text::width(frame.y_desc, DESC, false) + 16.0) / ny);
    let bottom = top + ch * ys.len() as f64;
    for (yi, row) in z.iter().enumerate() {
        for (xi, &v) in row.iter().enumerate() {
            let (x, y) = (left + cw * xi as f64, bottom - ch * (yi as f64 + 1.0));
            let fill = if v.is_finite() {
                ramp(place(v)).to_string()
            } else {
                "#ebebeb".into()
            };
            // Cells overlap by a hair so that no seam shows between equal colours.
            svg.rect_titled(x, y, cw + 0.6, ch + 0.6, &fill, "", Some(&tip(yi, xi)));
            let ink = if v.is_finite() && place(v) > 0.55 {
                "#ffffff"
            } else {
                INK
            };
            svg.text(
                x + cw / 2.0,
                centred(y + ch / 2.0, LABEL),
                &label(v),
                Style::new(LABEL)
                    .anchor(Anchor::Middle)
                    .fill(ink)
                    .num("value"),
            );
        }
    }
    for (i, n) in xs.iter().enumerate() {
        let cx = left + cw * (i as f64 + 0.5);
        svg.line(cx, bottom, cx, bottom + 4.0, AXIS, 1.0);
        svg.text(
            cx,
            bottom + X_GAP + ASCENT * TICK,
            n,
            Style::new(TICK).anchor(Anchor::Middle).num("x"),
        );
    }
    for (i, n) in ys.iter().enumerate() {
        let cy = bottom - ch * (i as f64 + 0.5);
        svg.text(
            left - 6.0,
            centred(cy, TICK),
            n,
            Style::new(TICK).anchor(Anchor::End).num("y"),
        );
    }
    // The colour scale is the legend: 0 (or the lowest value) at the bottom, 100% (or the
    // highest) at the top.
    let sx = right + 24.0;
    let (s_top, s_bottom) = (top + 24.0, bottom);
    for k in 0..50 {
        let v0 = k as f64 / 50.0;
        let y1 = s_bottom - v0 * (s_bottom - s_top);
        let y0 = s_bottom - (v0 + 0.02) * (s_bottom - s_top);
        svg.rect(
            sx,
            y0,
            18.0,
            y1 - y0 + 0.5,
            &ramp(v0 + 0.01).to_string(),
            "",
        );
    }
    for (v, l) in &st.at {
        let y = s_bottom - place(*v) * (s_bottom - s_top);
        svg.line(sx + 18.0, y, sx + 22.0, y, AXIS, 1.0);
        svg.text(
            sx + 25.0,
            centred(y, TICK),
            l,
            Style::new(TICK).num("scale"),
        );
    }
    svg.text(sx - 6.0, top + ASCENT * TICK, scale_desc, Style::new(TICK));
    let plot = Rect::new(left, top, right, bottom);
    let height = titles(&mut svg, frame, &plot, 1);
    done(svg, height, None)
}

/// A sequential colour ramp from pale yellow (0) to dark blue (1).
pub fn ramp(v: f64) -> Rgb {
    const STOPS: [(f64, (f64, f64, f64)); 4] = [
        (0.0, (255.0, 255.0, 204.0)),
        (0.35, (161.0, 218.0, 180.0)),
        (0.7, (44.0, 127.0, 184.0)),
        (1.0, (12.0, 44.0, 132.0)),
    ];
    let v = v.clamp(0.0, 1.0);
    let i = STOPS.iter().rposition(|s| s.0 <= v).unwrap_or(0).min(2);
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let t = (v - a.0) / (b.0 - a.0);
    let mix = |p: f64, q: f64| (p + t * (q - p)).round() as u8;
    Rgb(mix(a.1.0, b.1.0), mix(a.1.1, b.1.1), mix(a.1.2, b.1.2))
}

pub struct Rgb(pub u8, pub u8, pub u8);

impl std::fmt::Display for Rgb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

// ---------------------------------------------------------------------------------------------
// Numbered scatter plots

/// A named point with the text its key gives for it.
pub struct Point {
    pub name: String,
    pub x: f64,
    pub y: f64,
    pub key_text: String,
}

/// Points numbered 1, 2, … in the given order (callers rank them), each number placed next to
/// its point where it overlaps no other number or point (further out with a leader line when
/// the neighbourhood is crowded), points at the same spot sharing one number range, and a key
/// under the plot giving every number its name and `key_text`.
pub fn scatter(
    frame: &Frame,
    x_hi: f64,
    y_hi: f64,
    points: &[Point],
    key_title: &str,
) -> anyhow::Result<Drawn> {
    let mut svg = Svg::new(WIDTH);
    let top = header(&mut svg, frame);
    let xt = covering_ticks(0.0, x_hi, 10, false);
    let yt = covering_ticks(0.0, y_hi, 8, false);
    let left = plot_left(&yt.at, frame.y_desc);
    let right = WIDTH - PAD - 10.0;
    let h = 380.0;
    let xs = Scale {
        lo: 0.0,
        hi: xt.at.last().map_or(1.0, |t| t.0),
        a: left,
        b: right,
    };
    let ys = Scale {
        lo: 0.0,
        hi: yt.at.last().map_or(1.0, |t| t.0),
        a: top + h,
        b: top,
    };
    let bottom = top + h;
    y_axis(&mut svg, &ys, &yt, left, right, "y");
    for (v, _) in thin_x(&xt, &xs, 0.0, WIDTH) {
        svg.line(xs.px(v), top, xs.px(v), bottom, GRID, 1.0);
    }
    x_axis(&mut svg, &xs, &xt, bottom, "x");

    // Points at the same pixel share a marker and a number range.
    let px: Vec<(f64, f64)> = points.iter().map(|p| (xs.px(p.x), ys.px(p.y))).collect();
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    for (i, p) in px.iter().enumerate() {
        if !(p.0.is_finite() && p.1.is_finite()) {
            continue;
        }
        match clusters.iter_mut().find(|c| {
            let q = px[c[0]];
            (q.0 - p.0).abs() < 1.0 && (q.1 - p.1).abs() < 1.0
        }) {
            Some(c) => c.push(i),
            None => clusters.push(vec![i]),
        }
    }
    let r = 4.5;
    let frame_box = Rect {
        x0: left + 2.0,
        y0: top,
        x1: right,
        y1: bottom - 2.0,
    };
    let mut taken: Vec<Rect> = px
        .iter()
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .map(|p| Rect {
            x0: p.0 - r - 1.0,
            y0: p.1 - r - 1.0,
            x1: p.0 + r + 1.0,
            y1: p.1 + r + 1.0,
        })
        .collect();
    let st = Style::new(LABEL).num("rank");
    for (ci, cl) in clusters.iter().enumerate() {
        let (cx, cy) = px[cl[0]];
        let names: Vec<&str> = cl.iter().map(|&i| points[i].name.as_str()).collect();
        let tip = cl
            .iter()
            .map(|&i| format!("{} {}: {}", i + 1, points[i].name, points[i].key_text))
            .collect::<Vec<_>>()
            .join("\n");
        let key = format!("p{ci}");
        svg.open(
            &format!("class=\"s\" data-k=\"{key}\""),
            Some(&names.join(", ")),
        );
        svg.circle(cx, cy, r, color(0), Some(&tip));
        let label = ranks(cl);
        let w = text::width(&label, LABEL, false);
        let hgt = LABEL * (ASCENT + DESCENT);
        // Candidate spots: right, left, above, below, the diagonals, then further out.
        let mut placed = None;
        'rings: for ring in 0..12 {
            let d = r + 3.0 + ring as f64 * 9.0;
            let spots = [
                (d, -hgt / 2.0),
                (-d - w, -hgt / 2.0),
                (-w / 2.0, -d - hgt),
                (-w / 2.0, d),
                (d * 0.7, -d * 0.7 - hgt),
                (-d * 0.7 - w, -d * 0.7 - hgt),
                (d * 0.7, d * 0.7),
                (-d * 0.7 - w, d * 0.7),
            ];
            for (dx, dy) in spots {
                let b = Rect {
                    x0: cx + dx,
                    y0: cy + dy,
                    x1: cx + dx + w,
                    y1: cy + dy + hgt,
                };
                let padded = Rect {
                    x0: b.x0 - 1.5,
                    y0: b.y0 - 1.0,
                    x1: b.x1 + 1.5,
                    y1: b.y1 + 1.0,
                };
                if padded.inside(&frame_box) && !taken.iter().any(|t| t.overlaps(&padded)) {
                    placed = Some((b, ring));
                    break 'rings;
                }
            }
        }
        let Some((b, ring)) = placed else {
            return Err(err(format!(
                "no room to label point {label} of {}",
                frame.title
            )));
        };
        taken.push(b);
        if ring > 0 {
            // A leader from the point to its number.
            let (tx, ty) = (cx.clamp(b.x0, b.x1), cy.clamp(b.y0, b.y1));
            svg.line(cx, cy, tx, ty, "#999999", 0.8);
        }
        svg.text(b.x0, b.y0 + ASCENT * LABEL, &label, st);
        svg.close();
    }
    let plot = Rect::new(left, top, right, bottom);
    let below = axes(&mut svg, frame, &plot, 1);

    // The key: every number with its name, in as many columns as fit.
    let mut y = below + 18.0;
    svg.text(PAD, y + ASCENT * LABEL, key_title, Style::new(LABEL).bold());
    y += LABEL * LINE + 6.0;
    let num_w = text::width(&points.len().to_string(), LABEL, true) + 8.0;
    let entry_w = points
        .iter()
        .map(|p| {
            num_w
                + text::width(&p.name, LABEL, false)
                + 10.0
                + text::width(&p.key_text, LABEL, false)
        })
        .fold(0.0, f64::max)
        + 24.0;
    let cols = (((WIDTH - 2.0 * PAD) / entry_w).floor() as usize).clamp(1, 3);
    let col_w = (WIDTH - 2.0 * PAD) / cols as f64;
    let per_col = points.len().div_ceil(cols);
    let row_h = LABEL * LINE + 1.0;
    let cluster_of = |i: usize| clusters.iter().position(|c| c.contains(&i));
    for (i, p) in points.iter().enumerate() {
        let (col, row) = (i / per_col.max(1), i % per_col.max(1));
        let x = PAD + col as f64 * col_w;
        let base = y + row as f64 * row_h + ASCENT * LABEL;
        let key = cluster_of(i).map_or_else(|| format!("p-{i}"), |c| format!("p{c}"));
        svg.open(
            &format!("class=\"k\" data-k=\"{key}\" cursor=\"pointer\""),
            None,
        );
        svg.text(
            x + num_w - 8.0,
            base,
            &(i + 1).to_string(),
            Style::new(LABEL).bold().anchor(Anchor::End).num("rank"),
        );
        svg.text(x + num_w, base, &p.name, Style::new(LABEL));
        svg.text(
            x + num_w + text::width(&p.name, LABEL, false) + 10.0,
            base,
            &p.key_text,
            Style::new(LABEL).fill(MUTED).num("key"),
        );
        svg.close();
    }
    done(svg, y + per_col as f64 * row_h, None)
}

/// Ranks (0-based indices shown 1-based) as compact text: "3", "12–35", "3, 5–6".
fn ranks(idx: &[usize]) -> String {
    let mut v: Vec<usize> = idx.iter().map(|i| i + 1).collect();
    v.sort_unstable();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
            j += 1;
        }
        parts.push(match j - i {
            0 => v[i].to_string(),
            1 => format!("{}, {}", v[i], v[j]),
            _ => format!("{}–{}", v[i], v[j]),
        });
        i = j + 1;
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_and_ticks_share_their_decimals() {
        assert_eq!(nice_step(0.026), 0.05);
        assert_eq!(nice_step(3.0), 5.0);
        let t = numeric_ticks(0.0, 0.15, 3, true);
        let labels: Vec<&str> = t.at.iter().map(|a| a.1.as_str()).collect();
        assert_eq!(labels, ["0%", "5%", "10%", "15%"]);
        let t = numeric_ticks(-0.05, 0.4, 10, false);
        assert!(
            t.at.iter()
                .all(|a| a.1.split_once('.').unwrap().1.len() == 2),
            "{:?}",
            t.at
        );
        assert_eq!(t.at[0].1, "−0.05");
        assert_eq!(t.at[1].1, "0.00");
        let t = covering_ticks(0.0, 0.57, 5, false);
        assert_eq!(t.at.last().unwrap().1, "0.6");
    }

    #[test]
    fn stacked_labels_keep_apart_and_inside() {
        let pos = stack(&[(50.0, 20.0), (52.0, 20.0), (53.0, 20.0)], 0.0, 100.0, 4.0);
        assert!(
            pos.windows(2).all(|w| w[1] - w[0] >= 24.0 - 1e-9),
            "{pos:?}"
        );
        let pos = stack(&[(95.0, 20.0), (99.0, 20.0)], 0.0, 100.0, 4.0);
        assert!(pos[1] + 10.0 <= 100.0 && pos[1] - pos[0] >= 24.0 - 1e-9);
    }

    #[test]
    fn panels_split_by_order_of_magnitude() {
        let mk = |peak: f64| Drawn1 {
            names: vec![],
            points: vec![],
            peak,
            colour: "#000000",
            key: String::new(),
        };
        let lines = [mk(0.11), mk(1.0), mk(0.13), mk(0.006), mk(0.0)];
        assert_eq!(panels_by_scale(&lines), [vec![1], vec![0, 2], vec![3, 4]]);
    }

    #[test]
    fn simplify_drops_only_points_on_the_line() {
        let pts: Vec<(f64, f64)> = (0..100).map(|i| (i as f64, 2.0 * i as f64)).collect();
        assert_eq!(simplify(&pts), [(0.0, 0.0), (99.0, 198.0)]);
        let bent = [(0.0, 0.0), (1.0, 0.1), (2.0, 5.0), (3.0, 5.0)];
        assert_eq!(
            simplify(&bent),
            [(0.0, 0.0), (1.0, 0.1), (2.0, 5.0), (3.0, 5.0)]
        );
    }

    #[test]
    fn rank_ranges() {
        assert_eq!(ranks(&[2]), "3");
        assert_eq!(ranks(&[11, 12, 13, 14]), "12–15");
        assert_eq!(ranks(&[2, 4, 5, 6]), "3, 5–7");
        assert_eq!(ranks(&[0, 1]), "1, 2");
    }
}
