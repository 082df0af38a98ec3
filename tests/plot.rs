//! End-to-end checks of `brink plot` and `brink report`: every chart drawn from real `brink run`
//! results (the flagship, a few thousand runs) and from hand-written sweep, compare and
//! sensitivity results in tests/fixtures/. Each SVG must be well-formed XML whose title names
//! the scenario, whose axes are labelled and which holds the expected series; each PNG must
//! decode to the expected size with non-blank pixels in the series colour.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
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

/// One flagship run shared by the tests in this file (2 000 runs keep debug builds quick while
/// every chart has data: strikes, retaliation, wars). It lives in cargo's scratch directory for
/// integration tests and is rewritten by every test process.
fn flagship() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plot_flagship");
        ok(&brink(&[
            "run",
            s(&repo("scenarios/iran_2026.toml")),
            "--runs",
            "2000",
            "--out",
            s(&out),
            "--force",
            "-q",
        ]));
        out
    })
}

fn files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect()
}

/// A parsed SVG: its text, for checks on elements and texts.
struct Svg {
    text: String,
}

impl Svg {
    fn read(path: &Path) -> Svg {
        let text = std::fs::read_to_string(path).unwrap();
        let doc = roxmltree::Document::parse(&text)
            .unwrap_or_else(|e| panic!("{} is not well-formed XML: {e}", path.display()));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg", "{}", path.display());
        assert_eq!(root.attribute("width"), Some("960"));
        assert_eq!(root.attribute("height"), Some("540"));
        Svg { text }
    }

    fn doc(&self) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(&self.text).unwrap()
    }

    fn texts(&self) -> Vec<String> {
        self.doc()
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or("").trim().to_string())
            .collect()
    }

    fn has_text(&self, want: &str) -> bool {
        self.texts().iter().any(|t| t == want)
    }

    fn assert_texts(&self, wants: &[&str]) {
        let texts = self.texts();
        for w in wants {
            assert!(
                texts.iter().any(|t| t == w),
                "no text `{w}` among {texts:?}"
            );
        }
    }

    /// Polylines with at least `min` points: the drawn data lines.
    fn lines(&self, min: usize) -> Vec<Vec<(f64, f64)>> {
        self.doc()
            .descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .map(|n| points(n.attribute("points").unwrap_or("")))
            .filter(|p| p.len() >= min)
            .collect()
    }

    fn count(&self, tag: &str, attr: &str, value: &str) -> usize {
        self.doc()
            .descendants()
            .filter(|n| n.has_tag_name(tag) && n.attribute(attr) == Some(value))
            .count()
    }
}

fn points(s: &str) -> Vec<(f64, f64)> {
    s.split_whitespace()
        .filter_map(|p| {
            let (x, y) = p.split_once(',')?;
            Some((x.parse().ok()?, y.parse().ok()?))
        })
        .collect()
}

/// The first palette colour, used by the first series of every chart.
const BLUE: &str = "#0072B2";

fn check_png(path: &Path) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(
        (info.width, info.height),
        (1920, 1080),
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
    // The sparsest chart, a Morris plot of three points and a legend marker, has about 1 200.
    assert!(
        colourful > 800,
        "{}: {colourful} coloured pixels",
        path.display()
    );
}

#[test]
fn run_charts_hold_the_expected_series() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("charts");
    ok(&brink(&["plot", s(flagship()), "--out", s(&out), "-q"]));
    assert_eq!(
        files(&out),
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

    let tl = Svg::read(&out.join("timeline.svg"));
    tl.assert_texts(&[
        "iran_2026: cumulative probability of key events",
        "date",
        "probability, cumulative (% of runs)",
        "strike_on_iran",
        "strike_by_israel",
        "strike_by_us",
        "joint_strike",
        "iran_retaliation",
        "hezbollah_joins",
        "Jan 2026",
        "Jun",
        "Dec",
    ]);
    assert!(!tl.has_text("regional_war"), "only the first six events");
    let lines = tl.lines(300);
    assert_eq!(lines.len(), 6, "one line of 366 days per key event");
    for l in &lines {
        assert_eq!(l.len(), 366);
        // Cumulative probabilities never fall: screen y never increases along a line.
        assert!(
            l.windows(2).all(|w| w[1].1 <= w[0].1),
            "a cumulative line falls"
        );
        assert!(l.windows(2).all(|w| w[1].0 > w[0].0), "dates out of order");
    }
    assert_eq!(
        tl.doc()
            .descendants()
            .filter(|n| n.has_tag_name("polygon"))
            .count(),
        6
    );

    let st = Svg::read(&out.join("states.svg"));
    st.assert_texts(&[
        "iran_2026: daily states",
        "share of runs in the state (%)",
        "gaza_ceasefire_in_force",
        "us_iran_talks_deal",
    ]);
    assert_eq!(st.lines(300).len(), 8, "eight daily states in the flagship");

    let pk = Svg::read(&out.join("peak_level.svg"));
    pk.assert_texts(&[
        "iran_2026: peak escalation level",
        "peak level (escalation ladder rung)",
        "share of runs (%)",
        "share of runs",
        "0 Calm",
        "3 Limited strikes",
        "5 Regional war",
    ]);
    // Six rungs, six bars, and the legend's swatch.
    assert_eq!(pk.count("rect", "fill", BLUE), 7);

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
        let h = Svg::read(&out.join(file));
        h.assert_texts(&[title, x, "share of runs where defined (%)"]);
        assert!(h.count("rect", "fill", BLUE) >= 3, "{file}: too few bars");
        assert!(
            h.texts().iter().any(|t| t.contains("(n = ")),
            "{file}: no legend"
        );
    }
}

#[test]
fn run_charts_as_png_have_text_and_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("png");
    ok(&brink(&[
        "plot",
        s(flagship()),
        "--out",
        s(&out),
        "--format",
        "png",
        "-q",
    ]));
    let names = files(&out);
    assert_eq!(names.len(), 6, "{names:?}");
    for n in &names {
        assert!(n.ends_with(".png"), "{n}");
        check_png(&out.join(n));
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
        html.contains("runs</dt><dd>700</dd>"),
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

fn fixture(name: &str) -> PathBuf {
    repo(&format!("tests/fixtures/{name}"))
}

fn plot_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(name);
    ok(&brink(&["plot", s(&fixture(name)), "--out", s(&out), "-q"]));
    (dir, out)
}

#[test]
fn sweep_over_one_parameter_draws_probability_with_bands() {
    let (_d, out) = plot_fixture("sweep_one");
    assert_eq!(
        files(&out),
        ["sweep_rules_blue_red_line_daily_probability.svg".to_string()].into()
    );
    let c = Svg::read(&out.join("sweep_rules_blue_red_line_daily_probability.svg"));
    c.assert_texts(&[
        "minimal: probability against rules.blue_red_line.daily_probability",
        "rules.blue_red_line.daily_probability (parameter value)",
        "probability (% of runs)",
        "blue_strikes",
        "red_answers",
    ]);
    let lines = c.lines(5);
    assert_eq!(lines.len(), 2, "one line per probability metric");
    // The fixture's probabilities rise with the parameter: y falls on screen as x grows.
    for l in &lines {
        assert!(l.windows(2).all(|w| w[1].0 > w[0].0 && w[1].1 < w[0].1));
    }
    assert!(
        !c.has_text("war_days"),
        "quantities are not on a probability chart"
    );
}

#[test]
fn sweep_over_two_parameters_draws_heatmaps() {
    let (_d, out) = plot_fixture("sweep_two");
    assert_eq!(
        files(&out),
        ["heatmap_blue_strikes.svg", "heatmap_red_answers.svg"]
            .map(String::from)
            .into()
    );
    let c = Svg::read(&out.join("heatmap_blue_strikes.svg"));
    c.assert_texts(&[
        "minimal: blue_strikes by two parameters",
        "rules.blue_red_line.threshold (parameter value)",
        "rules.red_pledge.probability (parameter value)",
        "probability",
        "0.6",
        "0.8",
        "0.5",
        "0.9",
        // Cells: 1.2 − threshold, the same for both pledge values.
        "60%",
        "50%",
        "40%",
    ]);
    // Cell labels are centred in their cells; the colour scale's labels are not.
    let cells = c
        .doc()
        .descendants()
        .filter(|n| n.has_tag_name("text") && n.attribute("text-anchor") == Some("middle"))
        .filter(|n| n.text().is_some_and(|t| t.trim().ends_with('%')))
        .count();
    assert_eq!(cells, 6, "a 3 × 2 grid");
    let r = Svg::read(&out.join("heatmap_red_answers.svg"));
    r.assert_texts(&["54%", "30%", "20%"]);
}

#[test]
fn compare_draws_difference_bars_with_both_intervals() {
    let (_d, out) = plot_fixture("compare");
    assert_eq!(
        files(&out),
        ["compare.svg", "compare_quantities.svg"]
            .map(String::from)
            .into()
    );
    let c = Svg::read(&out.join("compare.svg"));
    c.assert_texts(&[
        "minimal: variant minus base, change in probability",
        "difference, variant − base (percentage points)",
        "metric",
        "blue_strikes",
        "red_answers",
        "difference, variant − base, with paired 95% interval",
        "95% interval if the runs were unpaired",
    ]);
    assert!(!c.has_text("war_days"));
    // Two bars and the legend swatch (the bars are drawn at 80% opacity).
    assert_eq!(c.count("rect", "opacity", "0.8"), 3);
    // The bars go the fixture's way: blue_strikes right of zero, red_answers left.
    let doc = c.doc();
    let bars: Vec<(f64, f64)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("opacity") == Some("0.8"))
        .map(|n| {
            (
                n.attribute("x").unwrap().parse().unwrap(),
                n.attribute("width").unwrap().parse().unwrap(),
            )
        })
        .take(2)
        .collect();
    assert!(
        bars[0].0 > bars[1].0,
        "blue_strikes starts at zero, red_answers left of it"
    );
    let q = Svg::read(&out.join("compare_quantities.svg"));
    q.assert_texts(&[
        "peak_level",
        "war_days",
        "difference, variant − base (the metric's units)",
    ]);
}

#[test]
fn sensitivity_draws_sobol_bars_and_morris_points() {
    let (_d, out) = plot_fixture("sensitivity");
    assert_eq!(
        files(&out),
        [
            "morris_blue_strikes.svg",
            "morris_red_answers.svg",
            "sobol_blue_strikes.svg",
            "sobol_red_answers.svg",
        ]
        .map(String::from)
        .into()
    );
    let sb = Svg::read(&out.join("sobol_blue_strikes.svg"));
    sb.assert_texts(&[
        "minimal: what drives blue_strikes (Sobol indices)",
        "Sobol index (share of output variance)",
        "parameter",
        "first-order index, with 95% interval",
        "total index, with 95% interval",
        "rules.blue_red_line.threshold",
        "rules.red_pledge.probability",
        "tracks.red_arsenal.drift",
    ]);
    // Three parameters × two indices, and two legend swatches.
    assert_eq!(sb.count("rect", "opacity", "0.8"), 8);
    // The most influential parameter (threshold, total 0.62) is listed on top.
    let doc = sb.doc();
    let y_of = |name: &str| -> f64 {
        doc.descendants()
            .find(|n| n.has_tag_name("text") && n.text().map(str::trim) == Some(name))
            .and_then(|n| n.attribute("y"))
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(y_of("rules.blue_red_line.threshold") < y_of("tracks.red_arsenal.drift"));
    assert!(y_of("tracks.red_arsenal.drift") < y_of("rules.red_pledge.probability"));

    let mo = Svg::read(&out.join("morris_red_answers.svg"));
    mo.assert_texts(&[
        "minimal: Morris screening of red_answers",
        "mu* (mean absolute effect, metric units)",
        "sigma (metric units)",
        "parameter (effect on red_answers)",
        "rules.red_pledge.probability",
    ]);
    // Three points and the legend's marker.
    assert_eq!(mo.count("circle", "fill", BLUE), 4);
}

#[test]
fn fixture_charts_as_png_have_text_and_data() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["sweep_one", "sweep_two", "compare", "sensitivity"] {
        let out = dir.path().join(name);
        ok(&brink(&[
            "plot",
            s(&fixture(name)),
            "--out",
            s(&out),
            "--format",
            "png",
            "-q",
        ]));
        for f in files(&out) {
            check_png(&out.join(f));
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

#[test]
fn report_is_one_self_contained_page() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rep");
    ok(&brink(&["report", s(flagship()), "--out", s(&out), "-q"]));
    assert_eq!(files(&out), ["report.html".to_string()].into());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(flagship().join("manifest.json")).unwrap())
            .unwrap();
    let sha = manifest["scenario"]["sha256"].as_str().unwrap();
    assert_eq!(sha.len(), 64);
    for want in [
        "<h1>brink run: iran_2026</h1>",
        sha,
        "<dd>20251229</dd>",
        "<dd>2000</dd>",
        &format!("<dd>{}</dd>", env!("CARGO_PKG_VERSION")),
        "<h2>summary.csv</h2>",
        "<td class=\"t\">retaliation_delay_days</td>",
    ] {
        assert!(html.contains(want), "report lacks `{want}`");
    }
    assert_eq!(html.matches("<svg ").count(), 6, "every run chart inline");
    assert_eq!(html.matches("<figure").count(), 6);
    // Offline: nothing is fetched. The only URL is the SVG namespace, which is an identifier.
    let urls: Vec<&str> = html
        .match_indices("http")
        .map(|(i, _)| &html[i..(i + 40).min(html.len())])
        .filter(|u| !u.starts_with("http://www.w3.org/2000/svg"))
        .collect();
    assert!(urls.is_empty(), "external references: {urls:?}");
    assert!(!html.contains("src=") && !html.contains("<link") && !html.contains("<script"));
    // The summary table has a row per metric of summary.csv.
    let rows = std::fs::read_to_string(flagship().join("summary.csv"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(
        html.matches("<tr>").count(),
        rows,
        "header row and one row per metric"
    );
}

#[test]
fn report_of_fixtures_holds_their_tables() {
    let dir = tempfile::tempdir().unwrap();
    for (name, table, charts) in [
        ("sweep_two", "sweep.csv", 2),
        ("compare", "compare.csv", 2),
        ("sensitivity", "sobol.csv", 4),
    ] {
        let out = dir.path().join(name);
        ok(&brink(&[
            "report",
            s(&fixture(name)),
            "--out",
            s(&out),
            "-q",
        ]));
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert!(html.contains(&format!("<h2>{table}</h2>")), "{name}");
        assert_eq!(html.matches("<svg ").count(), charts, "{name}");
        assert!(html.contains(&"0".repeat(64)), "{name}: checksum");
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
