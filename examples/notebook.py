# %% [markdown]
# # brink in a notebook
#
# The flagship scenario, one assumption changed, the two compared on paired runs, and the
# timeline plotted: the loop an analyst goes round in a notebook, without leaving Python.
# Run it cell by cell in Jupyter or VS Code (`# %%` marks the cells), or whole with
# `python examples/notebook.py` from the repository's folder. Needs `pip install ./python
# matplotlib`.

# %%
import os
import sys

import matplotlib

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")  # run as a script: draw to a file
import matplotlib.pyplot as plt

import brink

SCENARIO = "scenarios/iran_2026.toml"
RUNS = int(os.environ.get("BRINK_EXAMPLE_RUNS", "20000"))
SEED = 20251229

# %% [markdown]
# ## The flagship as written

# %%
base = brink.run(SCENARIO, runs=RUNS, seed=SEED)
base.summary[base.summary.kind == "probability"][["metric", "mean", "ci_low", "ci_high"]]

# %% [markdown]
# ## One assumption changed
#
# Washington's bar for striking Iran's nuclear programme is uncertain in the scenario
# (triangular on 0.35–0.60). What if it were known to be strict, at 0.35?

# %%
KEY = "rules.us_nuclear_red_line.threshold"
strict = brink.run(SCENARIO, runs=RUNS, seed=SEED, set={KEY: 0.35})
strict.manifest["overrides"]

# %% [markdown]
# ## Compared on paired runs
#
# Run i of the base and run i of the variant share every random draw (common random
# numbers), so the paired interval of the difference is much narrower than the unpaired one.

# %%
diff = brink.compare(SCENARIO, runs=RUNS, seed=SEED, set={KEY: 0.35}).compare
diff = diff[diff.kind == "probability"].sort_values("difference", key=abs, ascending=False)
diff[["metric", "base", "variant", "difference", "ci_low", "ci_high", "unpaired_ci_low",
      "unpaired_ci_high"]].head(8)

# %% [markdown]
# ## The timeline: the chance that each event has happened by each day

# %%
metric = diff.metric.iloc[0]  # the event the assumption moves most
fig, ax = plt.subplots(figsize=(8, 4.5))
for label, result in [("as written", base), (f"{KEY} = 0.35", strict)]:
    t = result.timeline[result.timeline.metric == metric]
    dates = t.date.astype("datetime64[ns]")
    ax.plot(dates, t.value, label=label)
    ax.fill_between(dates, t.ci_low, t.ci_high, alpha=0.25)
ax.set_title(f"{metric}: cumulative probability ({RUNS} runs each, seed {SEED})")
ax.set_ylabel("probability by that day")
ax.set_ylim(0, None)
ax.legend()
fig.autofmt_xdate()
out = os.environ.get("BRINK_EXAMPLE_PNG", "notebook_timeline.png")
fig.savefig(out, dpi=120, bbox_inches="tight")
print(f"{metric}: {base.summary.set_index('metric').loc[metric, 'mean']:.3f} as written, "
      f"{strict.summary.set_index('metric').loc[metric, 'mean']:.3f} with {KEY} = 0.35; "
      f"timeline drawn to {out}")
