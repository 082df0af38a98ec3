#!/usr/bin/env python3
"""Cross-check `brink discover` against EMA Workbench's PRIM on the same runs.csv.

Usage:
    python3 scripts/prim_crosscheck.py RESULTS DISCOVER OUTCOME [--features all|params|paths]
        [--markdown FILE]

RESULTS is a `brink run --per-run` result folder, DISCOVER the folder `brink discover RESULTS
--outcome OUTCOME` wrote (same --features, default PRIM settings). The script rebuilds the
same inputs from runs.csv (uncertain parameters from manifest.json; `<metric>_first_day`
with the horizon for "never"; every input as a float, so EMA peels them all as real
numbers), runs EMA Workbench's Prim (lenient1 objective, peel_alpha = paste_alpha =
mass_min = 0.05) through its own peeling and pasting, and compares every box of the two
trajectories (coverage, density, mass, runs, limits) and the quasi-p-values of the box
`brink discover` chose before dropping restrictions. It prints the trajectories side by side
(as a markdown table with --markdown) and exits 1 if they differ.

Needs `pip install ema_workbench` (tested with 2.5.3). Not run in CI; docs/EVIDENCE.md
records its output.
"""

import argparse
import csv
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from ema_workbench.analysis import prim


def inputs(results: Path, outcome: str, features: str):
    manifest = json.loads((results / "manifest.json").read_text())
    horizon = manifest["scenario"]["horizon_days"]
    runs = pd.read_csv(results / "runs.csv")
    params = [p["path"] for p in manifest["parameters"] if p["uncertain"]]
    events = [c[: -len("_first_day")] for c in runs.columns if c.endswith("_first_day")]
    cols = {}
    if features in ("all", "params"):
        for p in params:
            cols[p] = runs[p].astype(float)
    if features in ("all", "paths"):
        for e in events:
            if e != outcome:
                cols[f"{e}_first_day"] = runs[f"{e}_first_day"].fillna(horizon).astype(float)
    x = pd.DataFrame(cols)
    y = runs[outcome].astype(int).to_numpy()
    return x, y


def ema_trajectory(x, y):
    p = prim.Prim(x, y, threshold=0.5, peel_alpha=0.05, paste_alpha=0.05, mass_min=0.05)
    p._update_yi_remaining(p)
    box = prim.PrimBox(p, p.box_init, p.yi_remaining[:])
    box = p._peel(box)
    box = p._paste(box)
    return p, box


def brink_trajectory(discover: Path):
    boxes = {}
    chosen_from = None
    with open(discover / "discover.csv") as f:
        for row in csv.DictReader(f):
            i = int(row["box"])
            if row["stage"] == "chosen":
                chosen_from = i
                continue
            b = boxes.setdefault(
                i,
                {
                    "stage": row["stage"],
                    "coverage": float(row["coverage"]),
                    "density": float(row["density"]),
                    "mass": float(row["mass"]),
                    "n": int(row["runs"]),
                    "lims": {},
                    "qp": {},
                },
            )
            if row["feature"]:
                lo = float(row["low"]) if row["low"] else None
                hi = float(row["high"]) if row["high"] else None
                b["lims"][row["feature"]] = (lo, hi)
                if row["quasi_p_low"] or row["quasi_p_high"]:
                    b["qp"][row["feature"]] = (
                        float(row["quasi_p_low"]) if row["quasi_p_low"] else None,
                        float(row["quasi_p_high"]) if row["quasi_p_high"] else None,
                    )
    return [boxes[i] for i in sorted(boxes)], chosen_from


def restricted(lims, init):
    out = {}
    for col in lims.columns:
        lo, hi = lims[col][0], lims[col][1]
        ilo, ihi = init[col][0], init[col][1]
        if lo != ilo or hi != ihi:
            out[col] = (None if lo == ilo else float(lo), None if hi == ihi else float(hi))
    return out


def fmt_lims(lims):
    parts = []
    for k, (lo, hi) in sorted(lims.items()):
        lo_s = "" if lo is None else f"{lo:.6g}"
        hi_s = "" if hi is None else f"{hi:.6g}"
        parts.append(f"{k} [{lo_s}, {hi_s}]")
    return "; ".join(parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results", type=Path)
    ap.add_argument("discover", type=Path)
    ap.add_argument("outcome")
    ap.add_argument("--features", default="all", choices=["all", "params", "paths"])
    ap.add_argument("--markdown", type=Path)
    a = ap.parse_args()

    x, y = inputs(a.results, a.outcome, a.features)
    p, box = ema_trajectory(x, y)
    ours, chosen_from = brink_trajectory(a.discover)
    traj = box.peeling_trajectory
    lines = [
        f"runs: {len(y)}, outcome runs: {int(y.sum())}, inputs: {x.shape[1]}",
        "",
        "| box | brink coverage | EMA coverage | brink density | EMA density | brink mass | EMA mass | same limits |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    worst = 0.0
    same_all = len(ours) == len(traj)
    for i in range(max(len(ours), len(traj))):
        o = ours[i] if i < len(ours) else None
        e = traj.iloc[i] if i < len(traj) else None
        if o is None or e is None:
            same_all = False
            lines.append(f"| {i} | {'' if o is None else o['coverage']} | "
                         f"{'' if e is None else e['coverage']} | | | | | no |")
            continue
        lims_e = restricted(box.box_lims[i], p.box_init)
        same_lims = set(lims_e) == set(o["lims"]) and all(
            all(
                (a_ is None and b_ is None)
                or (a_ is not None and b_ is not None and abs(a_ - b_) <= 5e-7 * max(1, abs(b_)))
                for a_, b_ in zip(o["lims"][k], lims_e[k])
            )
            for k in lims_e
        )
        d = max(
            abs(o["coverage"] - e["coverage"]),
            abs(o["density"] - e["density"]),
            abs(o["mass"] - e["mass"]),
        )
        worst = max(worst, d)
        same_all &= same_lims and o["n"] == int(e["n"]) and d <= 5.0001e-7
        lines.append(
            f"| {i} | {o['coverage']:.6f} | {e['coverage']:.6f} | {o['density']:.6f} | "
            f"{e['density']:.6f} | {o['mass']:.6f} | {e['mass']:.6f} | "
            f"{'yes' if same_lims else 'no'} |"
        )
    lines.append("")
    lines.append(f"largest difference in coverage, density or mass: {worst:.2e}")
    if chosen_from is not None and chosen_from < len(traj):
        qp_e = box.qp[chosen_from]
        qp_o = ours[chosen_from]["qp"]
        lines.append("")
        lines.append(f"box {chosen_from} (the one `brink discover` chose): "
                     f"{fmt_lims(ours[chosen_from]['lims'])}")
        lines.append("")
        lines.append("| input | brink quasi-p (low, high) | EMA quasi-p (low, high) |")
        lines.append("| --- | --- | --- |")
        worst_qp = 0.0
        for k, (lo_e, hi_e) in sorted(qp_e.items()):
            lo_o, hi_o = qp_o.get(k, (None, None))
            e_pair = tuple(None if v == -1 else float(v) for v in (lo_e, hi_e))
            for a_, b_ in zip((lo_o, hi_o), e_pair):
                if (a_ is None) != (b_ is None):
                    same_all = False
                elif a_ is not None:
                    # Six significant digits in discover.csv; brink's binomial tail (statrs)
                    # and scipy's agree to far better than a part in a thousand.
                    tol = max(1e-300, 1e-3 * b_)
                    worst_qp = max(worst_qp, abs(a_ - b_) / max(b_, 1e-300))
                    same_all &= abs(a_ - b_) <= tol
            show = lambda v: "" if v is None else f"{v:.3g}"
            lines.append(f"| {k} | {show(lo_o)}, {show(hi_o)} | {show(e_pair[0])}, {show(e_pair[1])} |")
        lines.append("")
        lines.append(f"largest relative difference in a quasi-p-value: {worst_qp:.2e}")
    lines.append("")
    lines.append("verdict: " + ("the same trajectory" if same_all else "DIFFERENT"))
    text = "\n".join(lines) + "\n"
    print(text)
    if a.markdown:
        a.markdown.write_text(text)
    sys.exit(0 if same_all else 1)


if __name__ == "__main__":
    main()
