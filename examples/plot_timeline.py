"""Draw the main timeline of a brink run with pandas and matplotlib.

Usage: python examples/plot_timeline.py RESULTS_DIR [OUT.png]

RESULTS_DIR is a run's output folder, or a scenario's folder of runs (results/iran_2026), whose
newest run (the `latest` link) is then used. Reads timeline.csv and plots the cumulative probability of the scenario's first six
event metrics over the calendar, each with its 95% interval as a band. Event metrics are the
rows of summary.csv whose kind is "probability"; the other timeline metrics are daily states.
"""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # draw to a file; no display needed
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd


def main(results: Path, out: Path) -> None:
    timeline = pd.read_csv(results / "timeline.csv", parse_dates=["date"])
    summary = pd.read_csv(results / "summary.csv")
    events = summary.loc[summary["kind"] == "probability", "metric"].head(6).tolist()

    fig, ax = plt.subplots(figsize=(10, 5.6), layout="constrained")
    for metric in events:
        rows = timeline[timeline["metric"] == metric]
        (line,) = ax.plot(rows["date"], 100 * rows["value"], label=metric, linewidth=1.8)
        ax.fill_between(
            rows["date"],
            100 * rows["ci_low"],
            100 * rows["ci_high"],
            color=line.get_color(),
            alpha=0.2,
            linewidth=0,
        )
    scenario = json.loads((results / "manifest.json").read_text())["scenario"]["name"]
    ax.set_title(f"{scenario}: cumulative probability of key events")
    ax.set_xlabel("date")
    ax.set_ylabel("probability, cumulative (% of runs)")
    ax.xaxis.set_major_locator(mdates.MonthLocator())
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(title="event (95% band)", loc="upper left")
    fig.savefig(out, dpi=150)
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    results = Path(sys.argv[1])
    if not (results / "timeline.csv").exists() and (results / "latest" / "timeline.csv").exists():
        results = results / "latest"
    out = Path(sys.argv[2]) if len(sys.argv) == 3 else results / "timeline_matplotlib.png"
    main(results, out)
