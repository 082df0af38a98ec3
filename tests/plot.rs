//! End-to-end checks of `brink plot` and `brink report` on every chart kind: charts drawn from
//! real results of the flagship (a run, a compare, sweeps over one, two and three parameters,
//! a sensitivity study, all at small sizes) and from the hand-written results in
//! tests/fixtures/.
//!
//! Every SVG is checked for what a reader needs (`check_chart`): each metric or parameter it
//! draws is named in a label; no two labels overlap and none is cut by the edge, with each
//! label's box measured with the real advance widths of DejaVu Sans (the font the charts name
//! first; Debian's fonts-dejavu-core, which CI installs) and its ascent and descent; numbers of
//! one kind (an axis, the values on bars) share one precision, and no number goes without its
//! kind. Each report is checked to be one self-contained page (no URL it would fetch) that
//! parses both as strict XML and, without a single parse error, as HTML5.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

mod support;
use support::repo;

/// The flagship as compiled, for counts the charts must match.
fn flagship() -> &'static brink::model::Scenario {
    static SC: OnceLock<brink::model::Scenario> = OnceLock::new();
    SC.get_or_init(|| support::load(&repo("scenarios/iran_2026.toml")))
}

fn brink(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brink"))
        .args(args)
        .output()
        .expect("cannot start brink")
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "brink failed ({:?}):\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect()
}

fn fixture(name: &str) -> PathBuf {
    repo(&format!("tests/fixtures/{name}"))
}

// ---------------------------------------------------------------------------------------------
// Results to draw, made once per test process in cargo's scratch directory.

struct Results {
    run: PathBuf,
    compare: PathBuf,
    sweep_one: PathBuf,
    sweep_two: PathBuf,
    sweep_three: PathBuf,
    sensitivity: PathBuf,
    score: PathBuf,
    watch: PathBuf,
    discover: PathBuf,
}

/// Flagship results of every kind, small enough for a debug build and large enough that
/// every chart is crowded the way real results crowd it: 14 metrics in a compare, 35
/// parameters in a sensitivity study (many of them tied), eight daily states of which three
/// are identical and whose scales differ a hundredfold.
fn results() -> &'static Results {
    static R: OnceLock<Results> = OnceLock::new();
    R.get_or_init(|| {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plot_results");
        let sc = repo("scenarios/iran_2026.toml");
        let sc = s(&sc);
        let dir = |n: &str| base.join(n);
        let go = |args: &[&str]| {
            let mut a = args.to_vec();
            a.extend(["--force", "-q"]);
            ok(&brink(&a));
        };
        let r = Results {
            run: dir("run"),
            compare: dir("compare"),
            sweep_one: dir("sweep_one"),
            sweep_two: dir("sweep_two"),
            sweep_three: dir("sweep_three"),
            sensitivity: dir("sensitivity"),
            score: dir("score"),
            watch: dir("watch"),
            discover: dir("discover"),
        };
        go(&["run", sc, "--runs", "2000", "--out", s(&r.run)]);
        go(&[
            "compare",
            sc,
            "--set",
            "rules.us_nuclear_red_line.threshold=0.4",
            "--runs",
            "2000",
            "--out",
            s(&r.compare),
        ]);
        // Sweeps write into their own folder and start over when run again.
        for d in [&r.sweep_one, &r.sweep_two, &r.sweep_three] {
            let _ = std::fs::remove_dir_all(d);
        }
        let sweep = |out: &Path, extra: &[&str]| {
            let mut a = vec!["sweep", sc, "--runs", "300", "--out", s(out), "-q"];
            a.extend(extra);
            ok(&brink(&a));
        };
        sweep(
            &r.sweep_one,
            &[
                "--vary",
                "rules.us_nuclear_red_line.threshold=0.35..0.65",
                "--points",
                "4",
            ],
        );
        sweep(
            &r.sweep_two,
            &[
                "--vary",
                "rules.us_nuclear_red_line.threshold=0.35..0.65",
                "--vary",
                "tracks.iran_nuclear.drift=0.0002,0.0008,0.0012",
                "--points",
                "3",
                "--metrics",
                "strike_on_iran,strike_by_us,regional_war,war_days",
            ],
        );
        sweep(
            &r.sweep_three,
            &[
                "--vary",
                "rules.us_nuclear_red_line.threshold=0.35..0.65",
                "--vary",
                "tracks.iran_nuclear.drift=0.0002..0.0012",
                "--vary",
                "tracks.iran_missiles.drift=0.0004..0.0015",
                "--design",
                "lhs",
                "--points",
                "6",
            ],
        );
        go(&[
            "sensitivity",
            sc,
            "--metrics",
            "strike_on_iran,regional_war",
            "--trajectories",
            "8",
            "--samples",
            "30",
            "--bootstrap",
            "50",
            "--out",
            s(&r.sensitivity),
        ]);
        // The readers of a run's rows: score, watch and discover.
        let per_run = dir("per_run");
        go(&[
            "run",
            sc,
            "--runs",
            "2000",
            "--per-run",
            "--out",
            s(&per_run),
        ]);
        let observed = repo("scenarios/observed/iran_2026_example.toml");
        go(&[
            "score",
            s(&per_run),
            "--observed",
            s(&observed),
            "--out",
            s(&r.score),
        ]);
        go(&[
            "watch",
            s(&per_run),
            "--outcome",
            "regional_war",
            "--out",
            s(&r.watch),
        ]);
        // Paths as well as parameters: among the flagship's 70 parameters none stands out on
        // its own in 2 000 runs, and the chart of a box needs one.
        go(&[
            "discover",
            s(&per_run),
            "--outcome",
            "regional_war",
            "--out",
            s(&r.discover),
        ]);
        r
    })
}

fn plot(results: &Path, out: &Path, format: &str) -> BTreeSet<String> {
    ok(&brink(&[
        "plot",
        s(results),
        "--out",
        s(out),
        "--format",
        format,
        "-q",
    ]));
    files(out)
}

// ---------------------------------------------------------------------------------------------
// Text measurement with the real font

struct Face {
    data: Vec<u8>,
}

impl Face {
    fn load(file: &str) -> Face {
        let path = Path::new("/usr/share/fonts/truetype/dejavu").join(file);
        let data = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; the label checks measure text in DejaVu Sans: install it \
                 (Debian: apt-get install fonts-dejavu-core)",
                path.display()
            )
        });
        Face { data }
    }

    /// Width of `text` at `size` pixels: the sum of the glyphs' advances (no kerning, which
    /// only narrows text); a character the font lacks counts as a full em.
    fn width(&self, text: &str, size: f64) -> f64 {
        use skrifa::MetadataProvider;
        let font = skrifa::FontRef::new(&self.data).unwrap();
        let loc = skrifa::instance::LocationRef::default();
        let upem = f64::from(
            font.metrics(skrifa::instance::Size::unscaled(), loc)
                .units_per_em,
        );
        let gm = font.glyph_metrics(skrifa::instance::Size::unscaled(), loc);
        let cmap = font.charmap();
        text.chars()
            .map(|c| {
                cmap.map(c)
                    .and_then(|g| gm.advance_width(g))
                    .map_or(upem, f64::from)
            })
            .sum::<f64>()
            / upem
            * size
    }
}

fn faces() -> &'static (Face, Face) {
    static F: OnceLock<(Face, Face)> = OnceLock::new();
    F.get_or_init(|| {
        (
            Face::load("DejaVuSans.ttf"),
            Face::load("DejaVuSans-Bold.ttf"),
        )
    })
}

/// DejaVu Sans's ascender and descender (hhea: 1901 and 483 of 2048 units per em): the box a
/// line of text inks.
const ASCENT: f64 = 1901.0 / 2048.0;
const DESCENT: f64 = 483.0 / 2048.0;

// ---------------------------------------------------------------------------------------------
// A chart as a reader sees it

#[derive(Debug, Clone)]
struct Label {
    text: String,
    x: f64,
    anchor: String,
    /// (left, top, right, bottom) on the page.
    rect: (f64, f64, f64, f64),
    num: Option<String>,
}

struct Svg {
    path: PathBuf,
    text: String,
    width: f64,
    height: f64,
}

impl Svg {
    fn read(path: &Path) -> Svg {
        let text = std::fs::read_to_string(path).unwrap();
        let doc = roxmltree::Document::parse(&text)
            .unwrap_or_else(|e| panic!("{} is not well-formed XML: {e}", path.display()));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg", "{}", path.display());
        let dim = |a: &str| root.attribute(a).unwrap().parse::<f64>().unwrap();
        let (width, height) = (dim("width"), dim("height"));
        assert!(
            width >= 960.0 && height >= 250.0,
            "{}: {width} × {height}",
            path.display()
        );
        assert!(
            root.attribute("font-family")
                .unwrap()
                .starts_with("DejaVu Sans"),
            "{}: labels are laid out for DejaVu Sans",
            path.display()
        );
        Svg {
            path: path.to_path_buf(),
            text,
            width,
            height,
        }
    }

    fn doc(&self) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(&self.text).unwrap()
    }

    fn name(&self) -> String {
        self.path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }

    /// Every `<text>`, with its box measured in the real font.
    fn labels(&self) -> Vec<Label> {
        let (regular, bold) = faces();
        self.doc()
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| {
                let text = n.text().unwrap_or("").to_string();
                let f = |a: &str| n.attribute(a).unwrap().parse::<f64>().unwrap();
                let (x, y, size) = (f("x"), f("y"), f("font-size"));
                let face = if n.attribute("font-weight") == Some("bold") {
                    bold
                } else {
                    regular
                };
                let w = face.width(&text, size);
                let anchor = n.attribute("text-anchor").unwrap_or("start").to_string();
                let left = match anchor.as_str() {
                    "middle" => x - w / 2.0,
                    "end" => x - w,
                    _ => x,
                };
                let mut rect = (left, y - ASCENT * size, left + w, y + DESCENT * size);
                if let Some(t) = n.attribute("transform") {
                    // Only text read upwards is rotated: rotate(-90 x y), about its anchor.
                    assert_eq!(
                        t,
                        format!(
                            "rotate(-90 {} {})",
                            n.attribute("x").unwrap(),
                            n.attribute("y").unwrap()
                        ),
                        "{}",
                        self.path.display()
                    );
                    let (l, t, r, b) = rect;
                    rect = (x + (t - y), y - (r - x), x + (b - y), y - (l - x));
                }
                Label {
                    text,
                    x,
                    anchor,
                    rect,
                    num: n.attribute("data-num").map(String::from),
                }
            })
            .collect()
    }

    /// The texts a reader reads, with labels wrapped over several lines (same x and anchor,
    /// one line under the other) joined back together.
    fn phrases(&self) -> Vec<String> {
        let labels = self.labels();
        let mut out: Vec<String> = labels.iter().map(|l| l.text.clone()).collect();
        for (i, l) in labels.iter().enumerate() {
            let mut joined = l.text.clone();
            let mut last = l;
            for next in &labels[i + 1..] {
                let below = next.rect.1 >= last.rect.1 && next.rect.1 - last.rect.3 < 8.0;
                if next.x == l.x && next.anchor == l.anchor && below {
                    joined.push_str(&next.text);
                    out.push(joined.clone());
                    last = next;
                } else {
                    break;
                }
            }
        }
        out
    }

    fn texts(&self) -> Vec<String> {
        self.labels().into_iter().map(|l| l.text).collect()
    }

    fn has_text(&self, want: &str) -> bool {
        self.texts().iter().any(|t| t == want)
    }

    fn assert_texts(&self, wants: &[&str]) {
        let texts = self.texts();
        for w in wants {
            assert!(
                texts.iter().any(|t| t == w),
                "{}: no text `{w}` among {texts:?}",
                self.name()
            );
        }
    }

    fn count(&self, tag: &str, attr: &str, value: &str) -> usize {
        self.doc()
            .descendants()
            .filter(|n| n.has_tag_name(tag) && n.attribute(attr) == Some(value))
            .count()
    }

    /// Groups of drawn series (`<g class="s">`), by key.
    fn series(&self) -> Vec<String> {
        self.doc()
            .descendants()
            .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("s"))
            .map(|n| n.attribute("data-k").unwrap().to_string())
            .collect()
    }
}

/// Whether `name` appears in `text` as a whole name (not inside a longer identifier).
fn names(text: &str, name: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || "_.[]".contains(c);
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

/// Decimal places of every number in `text`: "+2.69 [+2.36, +3.02]" → [2, 2, 2].
fn decimals(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars().chain([' ']) {
        if c.is_ascii_digit() || (c == '.' && !cur.is_empty()) {
            cur.push(c);
        } else if !cur.is_empty() {
            let t = cur.trim_end_matches('.');
            out.push(t.split_once('.').map_or(0, |(_, f)| f.len()));
            cur.clear();
        }
    }
    out
}

/// Significant digits of every number in `text`: "0.000345" → 3, "56.15%" → 4.
fn significant(text: &str) -> Vec<usize> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|t| t.chars().any(|c| c.is_ascii_digit()))
        .map(|t| {
            t.chars()
                .filter(|c| c.is_ascii_digit())
                .skip_while(|&c| c == '0')
                .count()
        })
        .collect()
}

/// A label that is nothing but a number or numbers: "56.2%", "−0.05", "+2.7 [+2.4, +3.0]".
fn numeric(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || ".,%+−-×[] ".contains(c))
}

/// What every chart owes its reader: `expect` names all appear; no label overlaps another or
/// leaves the page; numbers of one kind share a precision, and every number has a kind.
fn check_chart(svg: &Svg, expect: &[String]) {
    let name = svg.name();
    let labels = svg.labels();
    for l in &labels {
        let (a, b, c, d) = l.rect;
        assert!(
            a >= 0.0 && b >= 0.0 && c <= svg.width && d <= svg.height,
            "{name}: label `{}` is cut by the edge: box {:?} on a {} × {} page",
            l.text,
            l.rect,
            svg.width,
            svg.height
        );
    }
    for (i, p) in labels.iter().enumerate() {
        for q in &labels[i + 1..] {
            let overlap = p.rect.0 < q.rect.2
                && q.rect.0 < p.rect.2
                && p.rect.1 < q.rect.3
                && q.rect.1 < p.rect.3;
            assert!(
                !overlap,
                "{name}: labels overlap: `{}` {:?} and `{}` {:?}",
                p.text, p.rect, q.text, q.rect
            );
        }
    }
    let mut groups: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for l in &labels {
        match &l.num {
            Some(g) => {
                groups.entry(g).or_default().extend(decimals(&l.text));
            }
            None => assert!(
                !numeric(&l.text),
                "{name}: the number `{}` belongs to no group of one precision",
                l.text
            ),
        }
    }
    for (g, d) in &groups {
        assert_eq!(
            d.len(),
            1,
            "{name}: numbers of kind `{g}` mix precisions: {:?}",
            labels
                .iter()
                .filter(|l| l.num.as_deref() == Some(*g))
                .map(|l| &l.text)
                .collect::<Vec<_>>()
        );
    }
    let phrases = svg.phrases();
    for want in expect {
        assert!(
            phrases.iter().any(|p| names(p, want)),
            "{name}: `{want}` is drawn but named nowhere; labels: {:?}",
            svg.texts()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// What each result holds, read from its CSVs

fn csv(dir: &Path, file: &str) -> Vec<BTreeMap<String, String>> {
    let mut r = csv_reader(&dir.join(file));
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            head.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn csv_reader(path: &Path) -> csv::Reader<std::fs::File> {
    csv::Reader::from_path(path).unwrap()
}

fn distinct<'a>(rows: &'a [BTreeMap<String, String>], col: &str) -> Vec<&'a str> {
    let mut v: Vec<&str> = Vec::new();
    for r in rows {
        if !v.contains(&r[col].as_str()) {
            v.push(&r[col]);
        }
    }
    v
}

fn num(s: &str) -> f64 {
    s.parse().unwrap()
}

/// The names each chart of a results directory must show, from its CSVs.
fn expected(dir: &Path, chart: &str) -> Vec<String> {
    let own = |v: Vec<&str>| v.into_iter().map(String::from).collect::<Vec<_>>();
    let stem = chart.trim_end_matches(".svg");
    if dir.join("timeline.csv").is_file() {
        let summary = csv(dir, "summary.csv");
        let tl = csv(dir, "timeline.csv");
        let events: Vec<&str> = summary
            .iter()
            .filter(|r| r["kind"] == "probability")
            .map(|r| r["metric"].as_str())
            .collect();
        let in_tl = distinct(&tl, "metric");
        return match stem {
            "timeline" => own(in_tl
                .iter()
                .copied()
                .filter(|m| events.contains(m))
                .take(6)
                .collect()),
            "states" => own(in_tl
                .iter()
                .copied()
                .filter(|m| !events.contains(m))
                .take(8)
                .collect()),
            _ => Vec::new(),
        };
    }
    if dir.join("compare.csv").is_file() {
        let rows = csv(dir, "compare.csv");
        let kind = if stem == "compare" {
            "probability"
        } else {
            "quantity"
        };
        return rows
            .iter()
            .filter(|r| r["kind"] == kind)
            .map(|r| r["metric"].clone())
            .collect();
    }
    if dir.join("sweep.csv").is_file() {
        let mut v: Vec<String> = own(distinct(&csv(dir, "points.csv"), "parameter"));
        let rows = csv(dir, "sweep.csv");
        let probs: Vec<String> = distinct(&rows, "metric")
            .into_iter()
            .filter(|m| {
                rows.iter()
                    .any(|r| r["metric"] == *m && r["kind"] == "probability")
            })
            .map(String::from)
            .collect();
        let mean = stem.strip_prefix("mean_");
        match stem.strip_prefix("heatmap_").or(mean) {
            Some(m) => {
                // A quantity's mean against one parameter, or at each point of three or more.
                if mean.is_some() && v.len() > 2 {
                    v.clear();
                }
                v.push(m.to_string())
            }
            None => {
                if v.len() > 2 {
                    v.clear();
                }
                v.extend(probs.into_iter().take(8));
            }
        }
        return v;
    }
    if dir.join("skill.csv").is_file() {
        return own(vec!["model", "coin"]);
    }
    if dir.join("watch.csv").is_file() {
        let rows = csv(dir, "watch.csv");
        let mut v: Vec<String> = rows
            .iter()
            .take(12)
            .map(|r| r["signpost"].clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        v.push(rows[0]["outcome"].clone());
        return v;
    }
    if dir.join("discover.csv").is_file() {
        let rows = csv(dir, "discover.csv");
        let outcome = manifest_of(dir)["outcome"].as_str().unwrap().to_string();
        return match stem {
            "box" => rows
                .iter()
                .filter(|r| r["stage"] == "chosen")
                .map(|r| r["feature"].clone())
                .chain([outcome])
                .collect(),
            _ => vec![outcome],
        };
    }
    for (prefix, file) in [("sobol_", "sobol.csv"), ("morris_", "morris.csv")] {
        if let Some(metric) = stem.strip_prefix(prefix) {
            let rows = csv(dir, file);
            let mut v: Vec<String> = rows
                .iter()
                .filter(|r| r["metric"] == metric)
                .map(|r| r["parameter"].clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            v.push(metric.to_string());
            return v;
        }
    }
    Vec::new()
}

fn manifest_of(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

/// Plots `dir` as SVG and holds every chart to `check_chart`; returns the charts by name.
fn plot_and_check(dir: &Path) -> (tempfile::TempDir, BTreeMap<String, Svg>) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("charts");
    let names = plot(dir, &out, "svg");
    assert!(!names.is_empty());
    let mut charts = BTreeMap::new();
    for n in names {
        let svg = Svg::read(&out.join(&n));
        check_chart(&svg, &expected(dir, &n));
        charts.insert(n, svg);
    }
    (tmp, charts)
}

/// A daily state's series in timeline.csv: (value, ci_low, ci_high) by day.
fn series(tl_rows: &[BTreeMap<String, String>], m: &str) -> Vec<(String, String, String)> {
    tl_rows
        .iter()
        .filter(|r| r["metric"] == m)
        .map(|r| {
            (
                r["value"].clone(),
                r["ci_low"].clone(),
                r["ci_high"].clone(),
            )
        })
        .collect()
}

/// Asserts that states.svg draws each distinct daily series once and names the states that
/// coincide with one drawn ("= name"); returns how many states were merged so.
fn states_drawn_once(dir: &Path, st: &Svg) -> usize {
    let tl_rows = csv(dir, "timeline.csv");
    let states = expected(dir, "states.svg");
    let distinct_series: BTreeSet<Vec<(String, String, String)>> =
        states.iter().map(|m| series(&tl_rows, m)).collect();
    assert_eq!(
        st.series().len(),
        distinct_series.len(),
        "each distinct series drawn once"
    );
    let merged = st.texts().iter().filter(|t| t.starts_with("= ")).count();
    assert_eq!(
        merged,
        states.len() - distinct_series.len(),
        "the coinciding states are named"
    );
    merged
}

#[test]
fn identical_daily_states_are_drawn_once() {
    // In the June 2025 replay nobody acts below covert_or_proxy (there are no threats alone),
    // so hostilities at least threats and at least covert_or_proxy coincide.
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("june");
    ok(&brink(&[
        "run",
        s(&repo("scenarios/examples/june_2025.toml")),
        "--runs",
        "300",
        "-q",
        "--out",
        s(&dir),
    ]));
    let (_t, charts) = plot_and_check(&dir);
    assert!(
        states_drawn_once(&dir, &charts["states.svg"]) > 0,
        "no coinciding states in the June 2025 replay, which this test is meant to see merged"
    );
}

// ---------------------------------------------------------------------------------------------
// Charts of a run

#[test]
fn run_charts_label_every_series_and_keep_labels_apart() {
    let dir = &results().run;
    let (_t, charts) = plot_and_check(dir);
    assert_eq!(
        charts.keys().cloned().collect::<BTreeSet<_>>(),
        [
            "peak_level.svg",
            "retaliation_delay_days.svg",
            "states.svg",
            "timeline.svg",
            "war_days.svg",
            "war_duration_days.svg",
        ]
        .map(String::from)
        .into(),
    );

    let tl = &charts["timeline.svg"];
    tl.assert_texts(&[
        "iran_2026: cumulative probability of key events",
        "date",
        "probability, cumulative (% of runs)",
        "Jan 2026",
    ]);
    assert!(!tl.has_text("regional_war"), "only the first six events");
    assert_eq!(tl.series().len(), 6, "one line per key event");
    let doc = tl.doc();
    for g in doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("s"))
    {
        let line = g
            .descendants()
            .find(|n| n.has_tag_name("polyline"))
            .unwrap();
        let pts: Vec<(f64, f64)> = line
            .attribute("points")
            .unwrap()
            .split_whitespace()
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                (num(x), num(y))
            })
            .collect();
        assert!(pts.len() >= 10);
        // Cumulative probabilities never fall: screen y never increases along a line.
        assert!(
            pts.windows(2).all(|w| w[1].1 <= w[0].1 + 0.051),
            "a cumulative line falls"
        );
        assert!(
            pts.windows(2).all(|w| w[1].0 > w[0].0),
            "dates out of order"
        );
        assert_eq!(
            g.descendants()
                .filter(|n| n.has_tag_name("polygon"))
                .count(),
            1,
            "one 95% band per line"
        );
    }

    // Daily states: identical series drawn once, and scales apart in panels.
    let st = &charts["states.svg"];
    let tl_rows = csv(dir, "timeline.csv");
    let states = expected(dir, "states.svg");
    states_drawn_once(dir, st);
    let series_of = |m: &str| series(&tl_rows, m);
    // Each state's label sits in the panel of its line; a panel holds states whose peaks are
    // within a factor of five, and the flagship's Gaza ceasefire (over half the runs) and
    // hostilities at strike_campaign (a few percent) are in different panels.
    let panels: Vec<(f64, f64)> = st
        .doc()
        .descendants()
        .filter(|n| n.attribute("class") == Some("hit"))
        .map(|n| {
            let y = num(n.attribute("y").unwrap());
            (y, y + num(n.attribute("height").unwrap()))
        })
        .collect();
    assert!(panels.len() >= 2, "{panels:?}");
    let labels = st.labels();
    let panel_of = |m: &str| {
        let l = labels
            .iter()
            .find(|l| l.text == m || l.text == format!("= {m}"))
            .unwrap_or_else(|| panic!("no label {m}"));
        let mid = (l.rect.1 + l.rect.3) / 2.0;
        panels
            .iter()
            .position(|p| mid >= p.0 - 1.0 && mid <= p.1 + 1.0)
            .unwrap_or_else(|| panic!("label {m} outside every panel"))
    };
    let peak = |m: &str| series_of(m).iter().map(|v| num(&v.2)).fold(0.0, f64::max);
    assert_ne!(
        panel_of("gaza_ceasefire_in_force"),
        panel_of("hostilities_at_least_strike_campaign")
    );
    for p in 0..panels.len() {
        let peaks: Vec<f64> = states
            .iter()
            .filter(|m| panel_of(m) == p && peak(m) > 0.0)
            .map(|m| peak(m))
            .collect();
        let (lo, hi) = peaks
            .iter()
            .fold((f64::INFINITY, 0.0f64), |a, &v| (a.0.min(v), a.1.max(v)));
        assert!(
            hi <= 5.0 * lo || p == panels.len() - 1,
            "panel {p} mixes scales: {peaks:?}"
        );
    }

    let pk = &charts["peak_level.svg"];
    pk.assert_texts(&[
        "iran_2026: peak escalation level",
        "peak level (escalation ladder rung)",
        "share of runs (%)",
    ]);
    // A bar per rung, each named and with its share written on it.
    let ladder = &flagship().ladder;
    for (i, rung) in ladder.iter().enumerate() {
        // Long names wrap onto further lines: the first line starts with the rung's number.
        let first = format!("{i} {}", rung.name.split(' ').next().unwrap());
        assert!(
            pk.texts().iter().any(|t| t.starts_with(&first)
                && t.get(2..).is_some_and(|head| rung.name.starts_with(head))),
            "no label for rung {i} ({})",
            rung.name
        );
    }
    assert_eq!(pk.count("rect", "fill", BLUE), ladder.len());
    let values = pk
        .labels()
        .iter()
        .filter(|l| l.num.as_deref() == Some("value"))
        .count();
    assert_eq!(values, ladder.len());

    for (file, title, x) in [
        (
            "war_duration_days.svg",
            "iran_2026: distribution of war duration",
            "war duration (days)",
        ),
        (
            "retaliation_delay_days.svg",
            "iran_2026: distribution of retaliation delay",
            "retaliation delay (days)",
        ),
        (
            "war_days.svg",
            "iran_2026: distribution of days at war",
            "days at war (days)",
        ),
    ] {
        let h = &charts[file];
        h.assert_texts(&[title, x, "share of runs where defined (%)"]);
        assert!(h.count("rect", "fill", BLUE) >= 3, "{file}: too few bars");
    }
    // Days at war: the runs with none are a bar of their own, never lumped with short wars.
    // The flagship's wars are short enough for one bar per value, 0 among them; slower
    // ceasefires make wars long enough for wide bins, where 0 is the grey bar of its own.
    let flagship_wd = &charts["war_days.svg"];
    assert_eq!(flagship_wd.count("rect", "fill", GREY), 0);
    assert!(
        flagship_wd
            .phrases()
            .iter()
            .any(|p| p.contains("one bar per value"))
    );
    let long = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("plot_results")
        .join("run_long_wars");
    let sc = repo("scenarios/iran_2026.toml");
    ok(&brink(&[
        "run",
        s(&sc),
        "--runs",
        "2000",
        "--set",
        "rules.iran_front_ceasefire.daily_hazard=0.005",
        "--out",
        s(&long),
        "--force",
        "-q",
    ]));
    let (_t_long, long_charts) = plot_and_check(&long);
    let dir = &long;
    let wd = &long_charts["war_days.svg"];
    let zero: f64 = csv(dir, "distributions.csv")
        .iter()
        .filter(|r| r["metric"] == "war_days" && num(&r["value"]) == 0.0)
        .map(|r| num(&r["share"]))
        .sum();
    assert!(zero > 0.1, "the flagship has runs without war");
    assert_eq!(wd.count("rect", "fill", GREY), 1, "one bar for 0 days");
    wd.assert_texts(&["0 (none)"]);
    let shown = wd
        .labels()
        .iter()
        .find(|l| l.num.as_deref() == Some("value"))
        .map(|l| num(l.text.trim_end_matches('%')))
        .unwrap();
    assert!((shown - 100.0 * zero).abs() < 0.06, "{shown} vs {zero}");
    let doc = wd.doc();
    let first_bin = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(BLUE))
        .filter_map(|n| n.children().find(|c| c.has_tag_name("title")))
        .filter_map(|t| t.text())
        .next()
        .unwrap();
    assert!(first_bin.starts_with("1–"), "{first_bin}");
}

/// The first palette colour, used by the first series of every chart, and the zero bar's grey.
const BLUE: &str = "#0072B2";
const GREY: &str = "#8a8a8a";

#[test]
fn evidence_charts_label_what_they_draw_and_keep_labels_apart() {
    let r = results();
    for (dir, want) in [
        (&r.score, vec!["score.svg"]),
        (&r.watch, vec!["watch.svg"]),
        (&r.discover, vec!["box.svg", "tradeoff.svg"]),
    ] {
        let (_t, charts) = plot_and_check(dir);
        assert_eq!(
            charts.keys().cloned().collect::<Vec<_>>(),
            want,
            "{}",
            dir.display()
        );
    }
}

#[test]
fn plot_defaults_to_a_charts_folder_in_the_results() {
    let dir = tempfile::tempdir().unwrap();
    let res = dir.path().join("res");
    ok(&brink(&[
        "run",
        s(&repo("scenarios/minimal.toml")),
        "--runs",
        "3000",
        "--out",
        s(&res),
        "-q",
    ]));
    let o = brink(&["plot", s(&res)]);
    ok(&o);
    assert!(o.stdout.is_empty(), "plot printed to stdout");
    let charts = files(&res.join("charts"));
    assert!(charts.contains("timeline.svg") && charts.contains("peak_level.svg"));
    // minimal's rungs have no names: their ids label the bars.
    let pk = Svg::read(&res.join("charts/peak_level.svg"));
    check_chart(&pk, &[]);
    pk.assert_texts(&[
        "minimal: peak escalation level",
        "0 calm",
        "1 strike",
        "2 heavy_strike",
    ]);
}

#[test]
fn plot_and_report_take_a_scenario_folder_to_mean_its_newest_run() {
    // The quick start leaves results/<scenario>/<stamp>/ and a `latest` link; the README's
    // `brink plot results/iran_2026` must find the run behind it.
    let dir = tempfile::tempdir().unwrap();
    let run = |runs: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_brink"))
            .args([
                "run",
                s(&repo("scenarios/minimal.toml")),
                "--runs",
                runs,
                "-q",
            ])
            .current_dir(dir.path())
            .output()
            .unwrap();
        ok(&o);
    };
    run("500");
    run("700");
    let folder = dir.path().join("results/minimal");
    ok(&brink(&["plot", s(&folder), "-q"]));
    ok(&brink(&["report", s(&folder), "-q"]));
    let newest = std::fs::canonicalize(folder.join("latest")).unwrap();
    assert!(files(&newest.join("charts")).contains("timeline.svg"));
    let html = std::fs::read_to_string(newest.join("report.html")).unwrap();
    assert!(
        html.contains("<dt>runs</dt><dd>700</dd>"),
        "the report is not the newest run's"
    );
    // The older run is left alone.
    let older: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.is_symlink() && std::fs::canonicalize(p).unwrap() != newest)
        .collect();
    assert_eq!(older.len(), 1, "{older:?}");
    assert!(!older[0].join("charts").exists());
    // A folder with neither a manifest nor a `latest` run is still refused with a reason.
    let o = brink(&["plot", s(dir.path())]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is `"));
}

// ---------------------------------------------------------------------------------------------
// Charts of sweeps, compares and sensitivity studies

#[test]
fn sweep_charts_of_the_flagship_label_every_metric_and_parameter() {
    let r = results();
    // The flagship's 30 probabilities on one chart (the first 8), and a chart of the mean of
    // each of its first 8 quantities (of 9), each capped with a note.
    let first_quantities = [
        "retaliation_delay_days",
        "peak_level",
        "war_days",
        "war_duration_days",
        "final_iran_nuclear",
        "final_iran_missiles",
        "final_israel_interceptors",
        "final_hezbollah_missiles",
    ];
    let with_means = |extra: &str| {
        let mut v: Vec<String> = first_quantities
            .iter()
            .map(|q| format!("mean_{q}.svg"))
            .chain([extra.to_string()])
            .collect();
        v.sort();
        v
    };
    let (_a, one) = plot_and_check(&r.sweep_one);
    assert_eq!(
        one.keys().cloned().collect::<Vec<_>>(),
        with_means("sweep_rules_us_nuclear_red_line_threshold.svg")
    );
    // Wrapped lines join without their spaces.
    let says = |chart: &Svg, note: &str| {
        let note = note.replace(' ', "");
        chart
            .phrases()
            .iter()
            .any(|p| p.replace(' ', "").contains(&note))
    };
    for (name, chart) in &one {
        let note = if name.starts_with("mean_") {
            "(the first 8 of 9 quantities; all are in sweep.csv)"
        } else {
            "(the first 8 of 29 metrics; all are in sweep.csv)"
        };
        assert!(
            says(chart, note),
            "{name}: no note that metrics are left out"
        );
    }
    let (_b, two) = plot_and_check(&r.sweep_two);
    assert_eq!(
        two.keys().cloned().collect::<Vec<_>>(),
        [
            "heatmap_regional_war.svg",
            "heatmap_strike_by_us.svg",
            "heatmap_strike_on_iran.svg",
            "heatmap_war_days.svg"
        ]
    );
    // A quantity's cells and colour scale are in its own units, never percentages.
    let w = &two["heatmap_war_days.svg"];
    w.assert_texts(&["mean, days"]);
    for l in w.labels().iter().filter(|l| l.num.is_some()) {
        assert!(!l.text.contains('%'), "heatmap_war_days: `{}`", l.text);
    }
    // Every cell shows its probability, all to one precision (checked above), and rounded
    // right.
    let sweep = csv(&r.sweep_two, "sweep.csv");
    let h = &two["heatmap_strike_on_iran.svg"];
    let shown: Vec<String> = h
        .labels()
        .iter()
        .filter(|l| l.num.as_deref() == Some("value"))
        .map(|l| l.text.clone())
        .collect();
    let cells: Vec<f64> = shown.iter().map(|t| num(t.trim_end_matches('%'))).collect();
    let half_unit = 0.5 * 10f64.powi(-(decimals(&shown[0])[0] as i32));
    let means: Vec<f64> = sweep
        .iter()
        .filter(|r| r["metric"] == "strike_on_iran")
        .map(|r| 100.0 * num(&r["mean"]))
        .collect();
    assert_eq!(cells.len(), 9, "a 3 × 3 grid");
    for m in &means {
        assert!(
            cells.iter().any(|c| (c - m).abs() <= half_unit + 1e-9),
            "{m} is in no cell: {cells:?}"
        );
    }
    let (_c, three) = plot_and_check(&r.sweep_three);
    assert_eq!(
        three.keys().cloned().collect::<Vec<_>>(),
        with_means("sweep_points.svg")
    );
}

/// A sweep that reports only quantities: the mean of each against the parameter, in its own
/// units, and a report (both failed with "cannot draw chart: no series").
#[test]
fn a_sweep_of_quantities_alone_is_charted_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("swq");
    let sc = repo("scenarios/minimal.toml");
    ok(&brink(&[
        "sweep",
        s(&sc),
        "--vary",
        "rules.red_pledge.probability=0.2,0.8",
        "--metrics",
        "war_days",
        "--runs",
        "200",
        "--out",
        s(&dir),
        "-q",
    ]));
    let (_t, charts) = plot_and_check(&dir);
    assert_eq!(
        charts.keys().cloned().collect::<Vec<_>>(),
        ["mean_war_days.svg"]
    );
    let c = &charts["mean_war_days.svg"];
    c.assert_texts(&[
        "minimal: mean days at war against rules.red_pledge.probability",
        "mean days at war (days)",
        "war_days",
    ]);
    assert_eq!(c.series().len(), 1);
    // The axis and the value at the line's end are days, not percentages.
    for l in c.labels().iter().filter(|l| l.num.is_some()) {
        assert!(!l.text.contains('%'), "mean_war_days: `{}`", l.text);
    }
    let mean_at_08 = csv(&dir, "sweep.csv")
        .iter()
        .find(|r| r["point"] == "1")
        .map(|r| num(&r["mean"]))
        .unwrap();
    let end: Vec<f64> = c
        .labels()
        .iter()
        .filter(|l| l.num.as_deref() == Some("end0"))
        .map(|l| num(&l.text))
        .collect();
    assert_eq!(end.len(), 1);
    assert!((end[0] - mean_at_08).abs() < 0.5, "{end:?} vs {mean_at_08}");

    let html = report(&dir, &tmp.path().join("rep"));
    assert_eq!(html.matches("<figure").count(), 1);
    assert!(html.contains("id=\"chart-mean_war_days\""));
    let hover = html.find("\"unit\":\" days\"");
    assert!(hover.is_some(), "the pointer's values are in days");
}

/// A sweep whose only metric is defined in no run has nothing to draw: plot and report say so
/// and what would give a chart, and succeed (exit 1 is for failures).
#[test]
fn a_sweep_with_nothing_to_chart_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("swn");
    let sc = repo("scenarios/minimal.toml");
    ok(&brink(&[
        "sweep",
        s(&sc),
        "--vary",
        "rules.red_pledge.probability=0.2,0.8",
        "--set",
        "rules.blue_red_line.daily_probability=0",
        "--metrics",
        "war_duration_days",
        "--runs",
        "50",
        "--out",
        s(&dir),
        "-q",
    ]));
    let out = tmp.path().join("charts");
    let o = brink(&["plot", s(&dir), "--out", s(&out), "-q"]);
    ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("nothing to chart")
            && err.contains("war_duration_days is defined in no run")
            && err.contains("--metrics")
            && !err.contains("no series"),
        "{err}"
    );
    assert!(
        !out.exists() || files(&out).is_empty(),
        "no chart is written"
    );
    let o = brink(&["report", s(&dir), "--out", s(&tmp.path().join("rep"))]);
    ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no charts in the report"), "{err}");
    let html = check_report(&tmp.path().join("rep").join("report.html"));
    assert!(html.contains("No charts: no metric of sweep.csv has a value at any point"));
    assert_eq!(html.matches("<figure").count(), 0);
}

#[test]
fn compare_chart_of_the_flagship_labels_all_its_metrics() {
    let r = results();
    let (_t, charts) = plot_and_check(&r.compare);
    assert_eq!(
        charts.keys().cloned().collect::<Vec<_>>(),
        ["compare.svg", "compare_quantities.svg"]
    );
    let c = &charts["compare.svg"];
    let metrics = expected(&r.compare, "compare.svg");
    assert_eq!(
        metrics.len(),
        flagship().metrics.events.len(),
        "every event metric of the flagship"
    );
    // A row per metric: its name, a bar, and its difference with the paired interval.
    let values = c
        .labels()
        .iter()
        .filter(|l| l.num.as_deref() == Some("value"))
        .count();
    assert_eq!(values, metrics.len());
    c.assert_texts(&[
        "difference, variant − base, with paired 95% interval",
        "95% interval if the runs were unpaired",
    ]);
}

#[test]
fn sensitivity_charts_of_the_flagship_label_every_parameter() {
    let r = results();
    let (_t, charts) = plot_and_check(&r.sensitivity);
    assert_eq!(
        charts.keys().cloned().collect::<Vec<_>>(),
        [
            "morris_regional_war.svg",
            "morris_strike_on_iran.svg",
            "sobol_regional_war.svg",
            "sobol_strike_on_iran.svg",
        ]
    );
    let params = expected(&r.sensitivity, "sobol_strike_on_iran.svg");
    assert!(params.len() > 30, "the flagship's uncertain parameters");
    // Morris: every parameter's number in the key; points at one spot share a number range.
    let mo = &charts["morris_strike_on_iran.svg"];
    let texts = mo.texts();
    for k in 1..params.len() {
        assert!(
            texts.iter().any(|t| *t == k.to_string()),
            "no key entry {k}"
        );
    }
    assert!(
        texts.iter().any(|t| t.contains('–')),
        "a few runs give many parameters no effect at all: they share one marker"
    );
}

#[test]
fn fixture_charts_hold_the_expected_series() {
    let (_a, one) = plot_and_check(&fixture("sweep_one"));
    let c = &one["sweep_rules_blue_red_line_daily_probability.svg"];
    c.assert_texts(&[
        "minimal: probability against rules.blue_red_line.daily_probability",
        "rules.blue_red_line.daily_probability (parameter value)",
        "probability (% of runs)",
        "blue_strikes",
        "red_answers",
    ]);
    assert_eq!(c.series().len(), 2, "one line per probability metric");
    assert!(
        !c.has_text("war_days"),
        "quantities are not on a probability chart"
    );

    // The quantity beside them: its mean, 10 to 14 days, in days.
    let q = &one["mean_war_days.svg"];
    q.assert_texts(&[
        "minimal: mean days at war against rules.blue_red_line.daily_probability",
        "mean days at war (days)",
        "war_days",
        "14.0",
        "0",
        "16",
    ]);

    let (_b, two) = plot_and_check(&fixture("sweep_two"));
    let h = &two["heatmap_blue_strikes.svg"];
    // Cells: 1.2 − threshold, the same for both pledge values; intervals of about ±2 points
    // give one decimal.
    h.assert_texts(&["60.0%", "50.0%", "40.0%", "0.6", "0.8", "0.5", "0.9"]);
    // The quantity's heatmap: means of 10 to 15 days (±1, one decimal) on a scale in days.
    let w = &two["heatmap_war_days.svg"];
    w.assert_texts(&[
        "10.0",
        "11.0",
        "12.0",
        "13.0",
        "14.0",
        "15.0",
        "mean, days",
        "10",
        "16",
    ]);
    for l in w.labels().iter().filter(|l| l.num.is_some()) {
        assert!(!l.text.contains('%'), "heatmap_war_days: `{}`", l.text);
    }

    let (_c, cmp) = plot_and_check(&fixture("compare"));
    let c = &cmp["compare.svg"];
    // The bars go the fixture's way: blue_strikes right of zero, red_answers left.
    let doc = c.doc();
    let bars: Vec<f64> = doc
        .descendants()
        .filter(|n| {
            n.has_tag_name("rect")
                && n.attribute("fill") == Some(BLUE)
                && n.attribute("opacity") == Some("0.85")
        })
        .map(|n| num(n.attribute("x").unwrap()))
        .collect();
    assert_eq!(bars.len(), 3, "two bars and the legend swatch");
    assert!(
        bars[1] > bars[2],
        "blue_strikes starts at zero, red_answers left of it"
    );
    c.assert_texts(&["+4.3 [+3.1, +5.5]", "−2.9 [−4.0, −1.8]"]);

    let (_d, sens) = plot_and_check(&fixture("sensitivity"));
    let sb = &sens["sobol_blue_strikes.svg"];
    // The most influential parameter (threshold, total 0.62) is listed on top.
    let y_of = |name: &str| {
        sb.labels()
            .iter()
            .find(|l| l.text == name)
            .map(|l| l.rect.1)
            .unwrap()
    };
    assert!(y_of("rules.blue_red_line.threshold") < y_of("tracks.red_arsenal.drift"));
    assert!(y_of("tracks.red_arsenal.drift") < y_of("rules.red_pledge.probability"));
    let mo = &sens["morris_red_answers.svg"];
    assert_eq!(mo.count("circle", "fill", BLUE), 3, "three points");
}

#[test]
fn charts_as_png_are_the_svg_at_twice_the_size_with_text_and_data() {
    let dir = tempfile::tempdir().unwrap();
    let r = results();
    for (name, res) in [
        ("run", r.run.clone()),
        ("compare", r.compare.clone()),
        ("sweep_one", r.sweep_one.clone()),
        ("sweep_two", r.sweep_two.clone()),
        ("sensitivity", r.sensitivity.clone()),
    ] {
        let svg = plot(&res, &dir.path().join(format!("{name}-svg")), "svg");
        let png = plot(&res, &dir.path().join(format!("{name}-png")), "png");
        assert_eq!(png.len(), svg.len());
        for f in &svg {
            let v = Svg::read(&dir.path().join(format!("{name}-svg")).join(f));
            let p = dir
                .path()
                .join(format!("{name}-png"))
                .join(f.replace(".svg", ".png"));
            check_png(&p, (2.0 * v.width) as u32, (2.0 * v.height) as u32);
        }
    }
}

fn check_png(path: &Path, width: u32, height: u32) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(
        (info.width, info.height),
        (width, height),
        "{}",
        path.display()
    );
    assert_eq!(info.color_type, png::ColorType::Rgba, "{}", path.display());
    let px = &buf[..info.buffer_size()];
    let n = px.len() / 4;
    let non_white = px
        .chunks(4)
        .filter(|p| p[0] < 250 || p[1] < 250 || p[2] < 250)
        .count();
    let dark = px
        .chunks(4)
        .filter(|p| p[0] < 60 && p[1] < 60 && p[2] < 60)
        .count();
    // Data are drawn in colour; text, axes and grid are black or grey.
    let colourful = px
        .chunks(4)
        .filter(|p| p[0].max(p[1]).max(p[2]) - p[0].min(p[1]).min(p[2]) > 60)
        .count();
    assert!(
        non_white > n / 100,
        "{}: only {non_white} of {n} pixels drawn",
        path.display()
    );
    // Text and axes are black: a PNG rendered without fonts would have almost none.
    assert!(dark > 2000, "{}: {dark} dark pixels", path.display());
    // The sparsest chart, a Morris plot of two points (the flagship's 8 trajectories see five
    // parameters move strike_on_iran, all alike), has about 480.
    assert!(
        colourful > 300,
        "{}: {colourful} coloured pixels",
        path.display()
    );
}

#[test]
fn fixture_charts_as_png_have_text_and_data() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["sweep_one", "sweep_two", "compare", "sensitivity"] {
        let svg = plot(
            &fixture(name),
            &dir.path().join(format!("{name}-svg")),
            "svg",
        );
        plot(&fixture(name), &dir.path().join(name), "png");
        for f in svg {
            let v = Svg::read(&dir.path().join(format!("{name}-svg")).join(&f));
            check_png(
                &dir.path().join(name).join(f.replace(".svg", ".png")),
                (2.0 * v.width) as u32,
                (2.0 * v.height) as u32,
            );
        }
    }
}

#[test]
fn manifest_without_command_is_recognized_by_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let res = dir.path().join("compare");
    std::fs::create_dir(&res).unwrap();
    std::fs::copy(fixture("compare/compare.csv"), res.join("compare.csv")).unwrap();
    let m = std::fs::read_to_string(fixture("compare/manifest.json")).unwrap();
    let m = m.replace("\"command\": \"compare\",", "");
    assert!(!m.contains("command\": \"compare"));
    std::fs::write(res.join("manifest.json"), m).unwrap();
    let out = dir.path().join("out");
    ok(&brink(&["plot", s(&res), "--out", s(&out), "-q"]));
    assert!(files(&out).contains("compare.svg"));
}

// ---------------------------------------------------------------------------------------------
// Reports

/// Checks a report is one self-contained, valid page and returns it: nothing it would fetch
/// (no src or href to a URL, no @import, no url() in styles, no <link>); well-formed XML (it is
/// written in XML syntax: every element closed, attributes quoted, scripts in CDATA); and an
/// HTML5 parse without a single error, so that browsers read it as it is written rather than
/// by error recovery.
fn check_report(path: &Path) -> String {
    let html = std::fs::read_to_string(path).unwrap();
    for bad in [
        "src=", "<link", "@import", "url(", "<iframe", "<object", "<embed",
    ] {
        assert!(!html.contains(bad), "{}: `{bad}`", path.display());
    }
    let hrefs: Vec<&str> = html
        .match_indices("href=\"")
        .map(|(i, _)| &html[i + 6..(i + 40).min(html.len())])
        .filter(|h| !h.starts_with('#'))
        .collect();
    assert!(hrefs.is_empty(), "links out of the page: {hrefs:?}");
    // The only URLs are the XHTML and SVG namespaces, which are names, not fetched.
    let urls: Vec<&str> = html
        .match_indices("http")
        .map(|(i, _)| &html[i..(i + 40).min(html.len())])
        .filter(|u| {
            !u.starts_with("http://www.w3.org/2000/svg")
                && !u.starts_with("http://www.w3.org/1999/xhtml")
        })
        .collect();
    assert!(urls.is_empty(), "external references: {urls:?}");

    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{} is not well-formed: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "html");

    use html5ever::tendril::TendrilSink;
    let mut opts = html5ever::ParseOpts::default();
    opts.tree_builder.exact_errors = true;
    let dom = html5ever::parse_document(markup5ever_rcdom::RcDom::default(), opts)
        .from_utf8()
        .read_from(&mut html.as_bytes())
        .unwrap();
    let errors = dom.errors.borrow();
    assert!(
        errors.is_empty(),
        "{}: HTML parse errors: {errors:?}",
        path.display()
    );
    html
}

fn report(results: &Path, out: &Path) -> String {
    ok(&brink(&["report", s(results), "--out", s(out), "-q"]));
    assert_eq!(files(out), ["report.html".to_string()].into());
    check_report(&out.join("report.html"))
}

/// A report parsed as XML (its doctype allowed).
fn xhtml(html: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse_with_options(
        html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap()
}

/// For each figure of a report: the keys of its drawn series and of its legend entries.
fn figures(html: &str) -> Vec<(BTreeSet<String>, BTreeSet<String>)> {
    let doc = xhtml(html);
    doc.descendants()
        .filter(|n| n.tag_name().name() == "figure")
        .map(|f| {
            let keys = |class: &str| {
                f.descendants()
                    .filter(|n| n.attribute("class") == Some(class))
                    .filter_map(|n| n.attribute("data-k"))
                    .map(String::from)
                    .collect::<BTreeSet<_>>()
            };
            (keys("s"), keys("k"))
        })
        .collect()
}

/// Table cells of the report: (class, data-v, text).
fn cells(html: &str) -> Vec<(String, Option<String>, String)> {
    let doc = xhtml(html);
    doc.descendants()
        .filter(|n| n.tag_name().name() == "td")
        .filter(|n| {
            n.ancestors()
                .any(|a| a.attribute("class").is_some_and(|c| c.starts_with("data")))
        })
        .map(|n| {
            (
                n.attribute("class").unwrap_or("").to_string(),
                n.attribute("data-v").map(String::from),
                n.descendants()
                    .filter_map(|d| d.text())
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        })
        .collect()
}

#[test]
fn reports_of_every_kind_are_self_contained_valid_and_explorable() {
    let r = results();
    let tmp = tempfile::tempdir().unwrap();
    for (kind, dir, tables) in [
        ("run", &r.run, 2),
        ("compare", &r.compare, 2),
        ("sweep", &r.sweep_one, 1),
        ("sweep", &r.sweep_two, 1),
        ("sweep", &r.sweep_three, 1),
        ("sensitivity", &r.sensitivity, 2),
        ("score", &r.score, 1),
        ("watch", &r.watch, 1),
        ("discover", &r.discover, 2),
    ] {
        let out = tmp.path().join(dir.file_name().unwrap());
        let html = report(dir, &out);
        let what = dir.display();
        assert!(
            html.contains(&format!("<h1>brink {kind}: iran_2026</h1>")),
            "{what}"
        );
        // Every chart of `brink plot`, inline.
        let charts = plot(dir, &tmp.path().join(format!("{}-svg", kind)), "svg").len();
        let _ = std::fs::remove_dir_all(tmp.path().join(format!("{}-svg", kind)));
        assert_eq!(html.matches("<svg ").count(), charts, "{what}");
        assert_eq!(html.matches("<figure").count(), charts, "{what}");
        // Line charts carry the values shown under the pointer.
        for (i, _) in html.match_indices("<script type=\"application/json\"") {
            let body = &html[i..];
            let start = body.find('>').unwrap() + 1;
            let end = body.find("</script>").unwrap();
            let v: serde_json::Value = serde_json::from_str(&body[start..end]).unwrap();
            let n = v["x"].as_array().unwrap().len();
            assert!(n > 1 && v["label"].as_array().unwrap().len() == n, "{what}");
            for s in v["series"].as_array().unwrap() {
                assert_eq!(s["v"].as_array().unwrap().len(), n, "{what}");
                assert!(html.contains(&format!("data-k=\"{}\"", s["k"].as_str().unwrap())));
            }
        }
        // Every chart of several series has legend entries that a click hides and shows.
        for (series, keys) in figures(&html) {
            if series.len() > 1 {
                assert!(series.is_subset(&keys), "{what}: {series:?} vs {keys:?}");
            }
        }
        assert_eq!(
            html.matches("<table class=\"data").count(),
            tables,
            "{what}"
        );
        // Formatted: no number with the six digits of the CSV files, percentages to at most
        // two decimals; numeric cells carry their value for sorting.
        for (class, v, text) in cells(&html) {
            assert!(
                significant(&text).iter().all(|&d| d <= 5),
                "{what}: raw number `{text}`"
            );
            if text.contains('%') {
                assert!(decimals(&text).iter().all(|&d| d <= 2), "{what}: `{text}`");
            }
            if class == "n" {
                assert!(v.is_some(), "{what}: `{text}` cannot be sorted");
            }
        }
        // The scenario explained, in a section the reader opens.
        assert!(
            html.contains("<details id=\"provenance\">") && html.contains("<h4>Actors</h4>"),
            "{what}: no scenario description"
        );
    }
}

#[test]
fn report_of_a_run_formats_probabilities_with_their_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = &results().run;
    let html = report(dir, &tmp.path().join("rep"));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let sha = manifest["scenario"]["sha256"].as_str().unwrap();
    for want in [
        sha,
        "<dt>seed</dt><dd>20251229</dd>",
        "<dt>runs</dt><dd>2,000</dd>",
        &format!("<dd>{}</dd>", env!("CARGO_PKG_VERSION")),
    ] {
        assert!(html.contains(want), "report lacks `{want}`");
    }
    // One row per event metric: "56.2%" and its interval "[54.0, 58.3]", all to one precision.
    let events: Vec<BTreeMap<String, String>> = csv(dir, "summary.csv")
        .into_iter()
        .filter(|r| r["kind"] == "probability")
        .collect();
    let cells = cells(&html);
    let probs: Vec<&(String, Option<String>, String)> =
        cells.iter().filter(|c| c.2.contains("% [")).collect();
    assert_eq!(probs.len(), events.len());
    let precisions: BTreeSet<usize> = probs.iter().flat_map(|c| decimals(&c.2)).collect();
    assert_eq!(precisions.len(), 1, "{probs:?}");
    for (c, e) in probs.iter().zip(&events) {
        assert_eq!(c.1.as_deref().map(num), Some(num(&e["mean"])));
    }
}

/// `brink run`'s digest, the timeline chart and the report give a probability the same
/// rounding: 349 of 2 000 runs (0.174500 in summary.csv) is 17.5% in all three, where the
/// digest used to print 17.4% (100 · 349 / 2000 in binary floating point is 17.4499…).
#[test]
fn run_digest_chart_and_report_round_a_probability_alike() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let sc = repo("scenarios/iran_2026.toml");
    let o = brink(&["run", s(&sc), "--runs", "2000", "--out", s(&dir)]);
    ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    let digest: BTreeMap<String, String> = err
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (id, v) = (w.next()?, w.next()?);
            (w.next().is_none() && v.ends_with('%')).then(|| (id.to_string(), v.to_string()))
        })
        .collect();
    assert_eq!(digest.len(), 6, "{err}");
    let summary = csv(&dir, "summary.csv");
    let mean = |id: &str| {
        summary
            .iter()
            .find(|r| r["metric"] == id)
            .map(|r| r["mean"].clone())
            .unwrap()
    };
    // The example: a tie in decimal, below it in binary.
    assert_eq!(mean("strike_by_us"), "0.174500");
    assert_eq!(digest["strike_by_us"], "17.5%", "{err}");

    // The timeline's value after each name, and the report's table, say the same.
    let (_t, charts) = plot_and_check(&dir);
    let timeline = &charts["timeline.svg"];
    let doc = timeline.doc();
    let mut shown = BTreeSet::new();
    for g in doc
        .descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("k"))
    {
        let texts: Vec<&str> = g.descendants().filter_map(|n| n.text()).collect();
        let Some(value) = texts.iter().find(|t| t.ends_with('%')) else {
            continue;
        };
        for id in texts.iter().map(|t| t.trim_start_matches("= ")) {
            if let Some(d) = digest.get(id) {
                assert_eq!(d, value, "{id}: digest {d}, chart {value}");
                shown.insert(id);
            }
        }
    }
    assert_eq!(
        shown.len(),
        6,
        "every metric of the digest is on the timeline"
    );
    let html = report(&dir, &tmp.path().join("rep"));
    for (id, v) in &digest {
        let row = cells(&html)
            .into_iter()
            .position(|c| c.2.split(' ').next() == Some(id))
            .unwrap_or_else(|| panic!("{id} has no row"));
        let value = &cells(&html)[row + 1].2;
        // The report's table may give every probability more decimals than the digest (one
        // precision for the table, set by its rarest event); the digest is then the report's
        // value, an exact decimal, rounded half up.
        let shown = value.split(' ').next().unwrap();
        let decimals = v
            .trim_end_matches('%')
            .split('.')
            .nth(1)
            .map_or(0, str::len);
        let r: f64 = shown.trim_end_matches('%').parse().unwrap();
        assert!(
            shown == v || format!("{:.*}%", decimals, r + 1e-9) == *v,
            "{id}: digest {v}, report {value}"
        );
    }
}

/// `sensitivity --bootstrap 0` computes no interval: morris.csv and sobol.csv leave the
/// interval cells empty (they held the estimate twice, a zero-width interval), and the charts
/// and report show the estimates without intervals.
#[test]
fn sensitivity_without_bootstrap_leaves_intervals_empty_and_still_draws() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s0");
    let sc = repo("scenarios/minimal.toml");
    ok(&brink(&[
        "sensitivity",
        s(&sc),
        "--params",
        "rules.blue_red_line.threshold",
        "--metrics",
        "blue_strikes,red_answers",
        "--trajectories",
        "5",
        "--samples",
        "20",
        "--bootstrap",
        "0",
        "--out",
        s(&dir),
        "-q",
    ]));
    for (file, estimate, ends) in [
        (
            "morris.csv",
            "mu_star",
            ["mu_star_ci_low", "mu_star_ci_high"],
        ),
        ("sobol.csv", "value", ["ci_low", "ci_high"]),
    ] {
        let rows = csv(&dir, file);
        assert!(!rows.is_empty(), "{file}");
        for r in &rows {
            assert!(!r[estimate].is_empty(), "{file}: {r:?}");
            for end in ends {
                assert_eq!(r[end], "", "{file}: {end} is not defined: {r:?}");
            }
        }
    }
    let (_t, charts) = plot_and_check(&dir);
    assert_eq!(charts.len(), 4, "{:?}", charts.keys());
    let sobol = &charts["sobol_blue_strikes.svg"];
    sobol.assert_texts(&["first-order index", "total index"]);
    assert!(!sobol.text.contains('–'), "no interval of dashes");
    let html = report(&dir, &tmp.path().join("rep"));
    let with_interval = cells(&html)
        .into_iter()
        .filter(|c| c.2.contains('['))
        .collect::<Vec<_>>();
    assert!(with_interval.is_empty(), "{with_interval:?}");
}

#[test]
fn report_of_fixtures_says_when_the_scenario_cannot_be_found() {
    let dir = tempfile::tempdir().unwrap();
    for (name, charts) in [
        // Each sweep's probabilities, and the mean of its quantity war_days.
        ("sweep_one", 2),
        ("sweep_two", 3),
        ("compare", 2),
        ("sensitivity", 4),
    ] {
        let html = report(&fixture(name), &dir.path().join(name));
        assert_eq!(html.matches("<svg ").count(), charts, "{name}");
        assert!(html.contains(&"0".repeat(64)), "{name}: checksum");
        // The fixtures name scenarios/minimal.toml with a made-up checksum: no description.
        assert!(html.contains("was not found with the checksum"), "{name}");
    }
}

#[test]
fn bad_results_directories_exit_2_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let o = brink(&["plot", s(&dir.path().join("missing"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a directory"));

    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = brink(&["report", s(&empty)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("manifest.json"));

    let broken = dir.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::copy(
        fixture("compare/manifest.json"),
        broken.join("manifest.json"),
    )
    .unwrap();
    std::fs::write(
        broken.join("compare.csv"),
        "metric,kind,n,base,variant,difference,ci_low,ci_high,unpaired_ci_low,unpaired_ci_high,\
         share_changed\nx,probability,10,0.1,0.2,oops,0,0,0,0,0\n",
    )
    .unwrap();
    let o = brink(&["plot", s(&broken)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("compare.csv:2") && err.contains("difference") && err.contains("oops"),
        "{err}"
    );
    let o = brink(&["plot", s(&broken), "--format", "jpeg"]);
    assert_eq!(o.status.code(), Some(2));
}
