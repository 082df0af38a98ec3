//! Chart shapes drawn with plotters into SVG text: lines with interval bands, vertical and
//! horizontal bars with intervals, histograms, heatmaps and labelled scatter plots. They know
//! nothing about brink's files; `charts::mod` turns results into these shapes.
//!
//! Everything is drawn to SVG first. plotters is built without a font backend, so it lays text
//! out with a size estimate and leaves the glyphs to whoever renders the SVG (a browser, or
//! resvg for PNG): SVG output therefore needs no font on the machine that draws it.

use std::ops::Range;

use anyhow::anyhow;
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 540;
const FONT: &str = "sans-serif";

/// Colour-blind-safe qualitative palette (Okabe–Ito, then greys), so series stay distinct in
/// print and for readers with colour-vision deficiencies.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
    RGBColor(0, 0, 0),
];

pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A numeric axis whose tick positions and labels are chosen by the caller: calendar month
/// starts for dates, one tick per category for bars.
#[derive(Clone)]
pub struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<(f64, String)>,
}

impl Ranged for Axis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let r = (v - self.lo) / (self.hi - self.lo);
        limit.0 + (r * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() || self.ticks.is_empty() {
            return Vec::new();
        }
        let max = hint.max_num_points().max(1);
        let step = self.ticks.len().div_ceil(max);
        self.ticks.iter().step_by(step).map(|t| t.0).collect()
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for Axis {
    fn format_ext(&self, v: &f64) -> String {
        self.ticks
            .iter()
            .find(|t| (t.0 - v).abs() < 1e-9)
            .map_or_else(String::new, |t| t.1.clone())
    }
}

impl Axis {
    /// One tick per category at 0, 1, …, n−1, with room for a bar on each side.
    pub fn categories(names: &[String]) -> Axis {
        Axis {
            lo: -0.5,
            hi: names.len() as f64 - 0.5,
            ticks: names
                .iter()
                .enumerate()
                .map(|(i, n)| (i as f64, n.clone()))
                .collect(),
        }
    }

    /// Categories listed top to bottom on a vertical axis: the first name is drawn highest.
    pub fn categories_top_down(names: &[String]) -> Axis {
        let n = names.len();
        Axis {
            lo: -0.5,
            hi: n as f64 - 0.5,
            ticks: names
                .iter()
                .enumerate()
                .map(|(i, s)| ((n - 1 - i) as f64, s.clone()))
                .collect(),
        }
    }

    /// Calendar axis over days `lo..hi` counted from `start`: ticks on the first of each month
    /// (every other month or quarter on long spans), or weekly on spans under seven weeks.
    pub fn dates(start: jiff::civil::Date, lo: f64, hi: f64) -> Axis {
        let mut ticks = Vec::new();
        let days = hi - lo;
        let date = |d: f64| start.checked_add(jiff::Span::new().days(d as i64)).ok();
        if days < 49.0 {
            let mut d = lo.ceil();
            while d <= hi {
                if let Some(x) = date(d) {
                    ticks.push((d, x.strftime("%-d %b").to_string()));
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
                    let label = if x.month() == 1 || ticks.is_empty() {
                        x.strftime("%b %Y").to_string()
                    } else {
                        x.strftime("%b").to_string()
                    };
                    ticks.push((d, label));
                }
                d += 1.0;
            }
        }
        Axis { lo, hi, ticks }
    }

    /// Plain numeric axis with about `n` round ticks, labelled by `fmt`.
    pub fn numeric(lo: f64, hi: f64, n: usize, fmt: impl Fn(f64) -> String) -> Axis {
        let step = nice_step((hi - lo) / n.max(1) as f64);
        let mut ticks = Vec::new();
        let mut t = (lo / step).ceil() * step;
        while t <= hi + step * 1e-9 {
            // Snap to the grid so labels do not show binary noise such as 0.30000000000000004.
            let v = (t / step).round() * step;
            ticks.push((v, fmt(v)));
            t += step;
        }
        Axis { lo, hi, ticks }
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
pub fn nice_step(raw: f64) -> f64 {
    if raw.is_nan() || raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= raw {
            return m * p;
        }
    }
    10.0 * p
}

/// Formats a number for an axis label without trailing zeros.
pub fn short(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

pub fn percent(v: f64) -> String {
    short(100.0 * v) + "%"
}

/// A text style centred horizontally on its point, with the given vertical anchor.
fn anchored(size: u32, ink: &'static RGBColor, v: VPos) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font())
        .color(ink)
        .pos(Pos::new(HPos::Center, v))
}

/// Headings of a chart: the title names the scenario; the subtitle says what is shown.
pub struct Frame<'a> {
    pub title: &'a str,
    pub subtitle: &'a str,
    pub x_desc: &'a str,
    pub y_desc: &'a str,
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("cannot draw chart: {e:?}")
}

/// Draws `body` below a title and subtitle, into an SVG document.
fn svg(frame: &Frame, body: impl FnOnce(&Area) -> anyhow::Result<()>) -> anyhow::Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        root.draw(&Text::new(
            frame.title.to_string(),
            (20, 12),
            (FONT, 22).into_font().style(FontStyle::Bold),
        ))
        .map_err(err)?;
        root.draw(&Text::new(
            frame.subtitle.to_string(),
            (20, 40),
            (FONT, 15).into_font().color(&RGBColor(80, 80, 80)),
        ))
        .map_err(err)?;
        let area = root.margin(64, 12, 12, 24);
        body(&area)?;
        root.present().map_err(err)?;
    }
    Ok(out)
}

type Ctx<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Axis, Axis>>;

fn legend_box<'a, 'b: 'a>(chart: &mut Ctx<'a, 'b>, pos: SeriesLabelPosition) -> anyhow::Result<()> {
    chart
        .configure_series_labels()
        .position(pos)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(160, 160, 160))
        .label_font((FONT, 14))
        .draw()
        .map_err(err)
}

/// One line with its 95% band: points (x, y, ci_low, ci_high); NaN y breaks the line.
pub struct Band {
    pub name: String,
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// Lines with shaded interval bands over a caller-made x axis, y in [y.start, y.end].
pub fn bands(
    frame: &Frame,
    x: Axis,
    y: Axis,
    series: &[Band],
    legend_at: SeriesLabelPosition,
) -> anyhow::Result<String> {
    svg(frame, |area| {
        let mut chart = ChartBuilder::on(area)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x, y)
            .map_err(err)?;
        mesh(&mut chart, frame)?;
        for (i, s) in series.iter().enumerate() {
            let c = color(i);
            for seg in segments(&s.points) {
                let mut poly: Vec<(f64, f64)> = seg.iter().map(|p| (p.0, p.2)).collect();
                poly.extend(seg.iter().rev().map(|p| (p.0, p.3)));
                chart
                    .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled())))
                    .map_err(err)?;
            }
        }
        for (i, s) in series.iter().enumerate() {
            let c = color(i);
            let mut first = true;
            for seg in segments(&s.points) {
                let drawn = chart
                    .draw_series(LineSeries::new(
                        seg.iter().map(|p| (p.0, p.1)),
                        c.stroke_width(2),
                    ))
                    .map_err(err)?;
                if first {
                    drawn.label(s.name.clone()).legend(move |(x, y)| {
                        EmptyElement::at((x, y))
                            + Rectangle::new([(0, -5), (22, 5)], c.mix(0.25).filled())
                            + PathElement::new(vec![(0, 0), (22, 0)], c.stroke_width(2))
                    });
                    first = false;
                }
            }
            if seg_len(&s.points) == 1 {
                // A single point draws no line: mark it so the series is visible.
                chart
                    .draw_series(
                        s.points
                            .iter()
                            .filter(|p| p.1.is_finite())
                            .map(|p| Circle::new((p.0, p.1), 4, c.filled())),
                    )
                    .map_err(err)?;
            }
        }
        legend_box(&mut chart, legend_at)
    })
}

fn seg_len(p: &[(f64, f64, f64, f64)]) -> usize {
    p.iter().filter(|p| p.1.is_finite()).count()
}

/// Runs of consecutive points whose value and interval are all defined.
fn segments(p: &[(f64, f64, f64, f64)]) -> Vec<&[(f64, f64, f64, f64)]> {
    p.split(|p| !(p.1.is_finite() && p.2.is_finite() && p.3.is_finite()))
        .filter(|s| !s.is_empty())
        .collect()
}

fn mesh(chart: &mut Ctx, frame: &Frame) -> anyhow::Result<()> {
    chart
        .configure_mesh()
        .x_desc(frame.x_desc)
        .y_desc(frame.y_desc)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .bold_line_style(RGBColor(225, 225, 225))
        .x_labels(14)
        .y_labels(12)
        .draw()
        .map_err(err)
}

/// Vertical bars over categories, one series, each bar labelled with `labels[i]` on top.
pub fn bars(
    frame: &Frame,
    cats: &[String],
    values: &[f64],
    labels: &[String],
    y: Axis,
    series_name: &str,
) -> anyhow::Result<String> {
    svg(frame, |area| {
        let mut chart = ChartBuilder::on(area)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(Axis::categories(cats), y)
            .map_err(err)?;
        mesh(&mut chart, frame)?;
        let c = color(0);
        chart
            .draw_series(values.iter().enumerate().map(|(i, &v)| {
                let x = i as f64;
                Rectangle::new([(x - 0.38, 0.0), (x + 0.38, v)], c.filled())
            }))
            .map_err(err)?
            .label(series_name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled()));
        chart
            .draw_series(labels.iter().zip(values).enumerate().map(|(i, (l, &v))| {
                Text::new(l.clone(), (i as f64, v), anchored(14, &BLACK, VPos::Bottom))
            }))
            .map_err(err)?;
        legend_box(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// A histogram: bins (from, to, height) on a numeric x axis.
pub fn histogram(
    frame: &Frame,
    x: Axis,
    y: Axis,
    bins: &[(f64, f64, f64)],
    series_name: &str,
) -> anyhow::Result<String> {
    svg(frame, |area| {
        let mut chart = ChartBuilder::on(area)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x, y)
            .map_err(err)?;
        mesh(&mut chart, frame)?;
        let c = color(0);
        chart
            .draw_series(bins.iter().map(|&(a, b, h)| {
                let mut r = Rectangle::new([(a, 0.0), (b, h)], c.filled());
                r.set_margin(0, 0, 1, 1);
                r
            }))
            .map_err(err)?
            .label(series_name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled()));
        legend_box(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// A series of horizontal bars with optional intervals, one value per category.
pub struct HSeries {
    pub name: String,
    pub values: Vec<f64>,
    pub intervals: Vec<(f64, f64)>,
    /// Draw only the intervals (as whiskers), no bars.
    pub whiskers_only: bool,
}

/// Horizontal bars grouped by category (first category at the top), with interval whiskers;
/// a vertical rule marks zero.
pub fn hbars(
    frame: &Frame,
    cats: &[String],
    x: Axis,
    series: &[HSeries],
) -> anyhow::Result<String> {
    let label_width = cats.iter().map(|c| c.len()).max().unwrap_or(4) as u32 * 8 + 16;
    svg(frame, |area| {
        let mut chart = ChartBuilder::on(area)
            .x_label_area_size(48)
            .y_label_area_size(label_width.clamp(60, 320))
            .build_cartesian_2d(x.clone(), Axis::categories_top_down(cats))
            .map_err(err)?;
        mesh(&mut chart, frame)?;
        let n = cats.len();
        let k = series.len().max(1) as f64;
        let slot = 0.8 / k;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, -0.5), (0.0, n as f64 - 0.5)],
                BLACK.stroke_width(1),
            )))
            .map_err(err)?;
        for (si, s) in series.iter().enumerate() {
            let c = color(si);
            let centre = |i: usize| (n - 1 - i) as f64 + 0.4 - slot * (si as f64 + 0.5);
            let bars: Vec<_> = if s.whiskers_only {
                Vec::new()
            } else {
                s.values
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_finite())
                    .map(|(i, &v)| {
                        let y = centre(i);
                        Rectangle::new(
                            [(0.0, y - slot * 0.42), (v, y + slot * 0.42)],
                            c.mix(0.8).filled(),
                        )
                    })
                    .collect()
            };
            let whiskers: Vec<_> = s
                .intervals
                .iter()
                .enumerate()
                .filter(|(_, (a, b))| a.is_finite() && b.is_finite())
                .flat_map(|(i, &(a, b))| {
                    let y = centre(i);
                    let h = slot * 0.25;
                    let ws = if s.whiskers_only { c } else { BLACK };
                    [
                        PathElement::new(vec![(a, y), (b, y)], ws.stroke_width(2)),
                        PathElement::new(vec![(a, y - h), (a, y + h)], ws.stroke_width(2)),
                        PathElement::new(vec![(b, y - h), (b, y + h)], ws.stroke_width(2)),
                    ]
                })
                .collect();
            let drawn = if s.whiskers_only {
                chart.draw_series(whiskers).map_err(err)?
            } else {
                chart.draw_series(bars).map_err(err)?;
                chart.draw_series(whiskers).map_err(err)?
            };
            let whiskers_only = s.whiskers_only;
            drawn.label(s.name.clone()).legend(move |(x, y)| {
                if whiskers_only {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)).into_dyn()
                } else {
                    Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.mix(0.8).filled()).into_dyn()
                }
            });
        }
        legend_box(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// A grid of cells coloured by value in [0, 1], each labelled with `label(value)`, with a
/// colour scale on the right as its legend.
pub fn heatmap(
    frame: &Frame,
    xs: &[String],
    ys: &[String],
    z: &[Vec<f64>],
    scale_desc: &str,
    label: impl Fn(f64) -> String,
) -> anyhow::Result<String> {
    svg(frame, |area| {
        let (plot, side) = area.split_horizontally(WIDTH - 150);
        let mut chart = ChartBuilder::on(&plot)
            .x_label_area_size(48)
            .y_label_area_size(80)
            .build_cartesian_2d(Axis::categories(xs), Axis::categories(ys))
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(frame.x_desc)
            .y_desc(frame.y_desc)
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .disable_mesh()
            .x_labels(xs.len())
            .y_labels(ys.len())
            .draw()
            .map_err(err)?;
        for (yi, row) in z.iter().enumerate() {
            for (xi, &v) in row.iter().enumerate() {
                let (x, y) = (xi as f64, yi as f64);
                let fill = if v.is_finite() {
                    ramp(v)
                } else {
                    RGBColor(235, 235, 235)
                };
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                        fill.filled(),
                    )))
                    .map_err(err)?;
                let ink: &'static RGBColor = if v.is_finite() && v > 0.55 {
                    &WHITE
                } else {
                    &BLACK
                };
                let text = if v.is_finite() {
                    label(v)
                } else {
                    "–".into()
                };
                chart
                    .draw_series(std::iter::once(Text::new(
                        text,
                        (x, y),
                        anchored(13, ink, VPos::Center),
                    )))
                    .map_err(err)?;
            }
        }
        // The colour scale is the legend: 0 at the bottom, 1 at the top.
        let top = 20;
        let h = (HEIGHT as i32) - 64 - 12 - 48 - top - 10;
        for k in 0..50 {
            let v0 = k as f64 / 50.0;
            let y1 = top + h - (v0 * f64::from(h)) as i32;
            let y0 = top + h - ((v0 + 0.02) * f64::from(h)) as i32;
            side.draw(&Rectangle::new(
                [(20, y0), (44, y1)],
                ramp(v0 + 0.01).filled(),
            ))
            .map_err(err)?;
        }
        for k in 0..=4 {
            let v = k as f64 / 4.0;
            let y = top + h - (v * f64::from(h)) as i32;
            side.draw(&Text::new(label(v), (50, y - 7), (FONT, 13)))
                .map_err(err)?;
        }
        side.draw(&Text::new(scale_desc.to_string(), (4, 0), (FONT, 13)))
            .map_err(err)?;
        Ok(())
    })
}

/// A sequential colour ramp from pale yellow (0) to dark blue (1).
pub fn ramp(v: f64) -> RGBColor {
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
    RGBColor(mix(a.1.0, b.1.0), mix(a.1.1, b.1.1), mix(a.1.2, b.1.2))
}

/// Points (name, x, y) in groups, each group a legend entry, each point labelled with its name.
pub struct PointGroup {
    pub name: String,
    pub points: Vec<(String, f64, f64)>,
}

pub fn scatter(frame: &Frame, x: Axis, y: Axis, groups: &[PointGroup]) -> anyhow::Result<String> {
    let x_range = x.range();
    svg(frame, |area| {
        let mut chart = ChartBuilder::on(area)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x, y)
            .map_err(err)?;
        mesh(&mut chart, frame)?;
        for (gi, g) in groups.iter().enumerate() {
            let c = color(gi);
            chart
                .draw_series(
                    g.points
                        .iter()
                        .map(|p| Circle::new((p.1, p.2), 5, c.filled())),
                )
                .map_err(err)?
                .label(g.name.clone())
                .legend(move |(x, y)| Circle::new((x + 6, y), 5, c.filled()));
            // Names go on the side of the point facing the middle so that none leaves the frame.
            let mid = (x_range.start + x_range.end) / 2.0;
            chart
                .draw_series(g.points.iter().map(|p| {
                    let (h, dx) = if p.1 > mid {
                        (HPos::Right, -8)
                    } else {
                        (HPos::Left, 8)
                    };
                    let style = TextStyle::from((FONT, 12).into_font())
                        .color(&RGBColor(60, 60, 60))
                        .pos(Pos::new(h, VPos::Bottom));
                    EmptyElement::at((p.1, p.2)) + Text::new(p.0.clone(), (dx, -4), style)
                }))
                .map_err(err)?;
        }
        legend_box(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}
