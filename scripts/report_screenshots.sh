#!/bin/sh
# Renders every kind of brink report (run, compare, a sweep over one and over two parameters,
# sensitivity) from the flagship scenario, photographs each in headless Chromium, and draws
# every chart kind as PNG, so that a person can look at what an analyst will see.
#
# Usage: scripts/report_screenshots.sh [OUT_DIR]     (default: target/screenshots)
#
# Needs a Rust toolchain and Debian's chromium (apt-get install -y chromium); run as root it
# passes --no-sandbox. Not run by CI: it takes a minute and its output is for eyes.
#
# For each report it saves:
#   KIND-top.png           the top of the page (facts and the first chart)
#   KIND-chart-NAME.png    the page scrolled to each chart
#   KIND-tables.png        the tables
#   KIND-provenance.png    the scenario section, opened
#   KIND-hover.png         the pointer over the first line chart (or over the first chart),
#                          its first legend entry clicked off, and the first table sorted by
#                          its second column, as a reader would do it
# (scripts/report_drive.html holds the report in a frame and does the scrolling and clicking)
# and charts/KIND/*.png, every chart as `brink plot --format png` draws it.
set -eu

cd "$(dirname "$0")/.."
root=$(pwd)
out=${1:-target/screenshots}
mkdir -p "$out"
out=$(cd "$out" && pwd)

cargo build --release --quiet
brink="$root/target/release/brink"

work=$(mktemp -d)
profile=$(mktemp -d)
trap 'rm -rf "$work" "$profile"' EXIT
cd "$work"
cp -r "$root/scenarios" .

echo "results..."
"$brink" run scenarios/iran_2026.toml --out run -q
"$brink" compare scenarios/iran_2026.toml --set rules.us_nuclear_red_line.threshold=0.4 \
    --out compare -q
"$brink" sweep scenarios/iran_2026.toml --vary rules.us_nuclear_red_line.threshold=0.35..0.65 \
    --points 4 --runs 2000 --metrics strike_on_iran,regional_war --out sweep_one -q
"$brink" sweep scenarios/study_us_threshold.toml --out sweep_two -q
"$brink" sensitivity scenarios/iran_2026.toml --metrics strike_on_iran,regional_war \
    --out sensitivity -q

shoot() { # URL PNG HEIGHT
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --allow-file-access-from-files --hide-scrollbars --virtual-time-budget=4000 \
        --user-data-dir="$profile" --window-size="1280,$3" --screenshot="$2" "$1" \
        >/dev/null 2>&1
    echo "  $2"
}

for kind in run compare sweep_one sweep_two sensitivity; do
    echo "$kind..."
    "$brink" report "$kind" -q
    mkdir -p "$out/charts/$kind"
    "$brink" plot "$kind" --format png --out "$out/charts/$kind" -q
    # Headless Chromium paints only the top of a page it was asked to scroll (by a #fragment),
    # so every view is taken through a small page holding the report in a frame, which scrolls
    # the frame, and for the last view acts as a reader would: hover, legend click, sort.
    cp "$root/scripts/report_drive.html" "$kind/drive.html"
    page="file://$work/$kind/drive.html"
    shoot "$page?top" "$out/$kind-top.png" 1000
    for svg in $("$brink" plot "$kind" --out "$work/svg-$kind" 2>&1 | sed -n 's|.*/\(.*\)\.svg$|\1|p'); do
        shoot "$page?chart-$svg" "$out/$kind-chart-$svg.png" 1000
    done
    shoot "$page?tables" "$out/$kind-tables.png" 1000
    shoot "$page?provenance" "$out/$kind-provenance.png" 1000
    shoot "$page?hover" "$out/$kind-hover.png" 1000
done
echo "screenshots in $out"
