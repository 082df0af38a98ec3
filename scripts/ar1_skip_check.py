#!/usr/bin/env python3
"""Checks the exact skip for a *linear* AR(1) threat signal that docs/PERFORMANCE.md describes
("Pre-emption signals: why no day can be skipped exactly").

The model's signal is floored at zero every day, and the floor is what rules an exact skip out.
Without the floor, the page claims, whole blocks of days can be skipped exactly: the signal
read once a day is an Ornstein-Uhlenbeck process at whole days, so a time-changed Brownian
motion, its threshold a concave boundary in that motion's clock, and a Brownian bridge under
the boundary's chord cannot have crossed on any day. This script samples the first crossing
day both ways, day by day and by the skip, and compares them.

    s(n) = decay * s(n-1) + noise * e(n),   e(n) ~ N(0, 1),   first n with s(n) >= threshold

The skip, per block of at most BLOCK days from day d0 with value x0:
  - s(d0 + j) = decay^j * (x0 + W(v_j)), v_j = k0 * (decay^(-2j) - 1), k0 = noise^2 / (1 - decay^2),
    W a standard Brownian motion;
  - day j crosses when W(v_j) >= c(v_j) = threshold * sqrt(1 + v_j / k0) - x0, concave in v;
  - draw the block's end W(V); the bridge crosses the chord of c (a line from c0 to cV) with
    probability exp(-2 c0 (cV - W(V)) / V); if it does not, no day crossed;
  - if it does, its first hitting time of the line is that of a level by a Brownian bridge
    (after removing the line's slope), which by reflection and a time change is an inverse
    Gaussian draw; the path after it is a bridge again, so the sampler reads the first whole
    day after the hitting time, checks it, and goes on from there to the same block end.

Both ways use NumPy's generator (different draws), so they agree in distribution: every
compared figure must lie within 4 standard errors of the difference.

Usage: python3 scripts/ar1_skip_check.py [--paths N] [--seed S]
Exit status 0 if every figure agrees, 1 otherwise.
"""

import argparse
import math
import sys

import numpy as np

DECAY, NOISE, THRESHOLD, START, HORIZON, BLOCK = 0.85, 0.15, 0.6, 0.0, 60, 16


def daily(rng, paths):
    """First crossing day (HORIZON + 1 if none) and the final value, day by day."""
    s = np.full(paths, START)
    first = np.full(paths, HORIZON + 1)
    for day in range(1, HORIZON + 1):
        s = DECAY * s + NOISE * rng.standard_normal(paths)
        hit = (s >= THRESHOLD) & (first > HORIZON)
        first[hit] = day
    return first, s


def inverse_gaussian(rng, mean, shape):
    """Michael, Schucany and Haas (1976)."""
    nu = rng.standard_normal()
    y = nu * nu
    # mean + mean / (2 shape) * (mean y - sqrt(4 mean shape y + mean^2 y^2)), with the
    # difference rationalised: it cancels catastrophically when mean * y >> shape.
    x = mean - 2 * mean * mean * y / (mean * y + math.sqrt(4 * mean * shape * y + (mean * y) ** 2))
    return x if rng.random() <= mean / (mean + x) else mean * mean / x


def skip_one(rng):
    """One path by the skip: (first crossing day or HORIZON + 1, value on day HORIZON or None)."""
    k0 = NOISE**2 / (1 - DECAY**2)
    clock = lambda days: k0 * (DECAY ** (-2 * days) - 1)  # v at `days` from a start
    day, x = 0, START
    while day < HORIZON:
        rest = min(BLOCK, HORIZON - day)
        # W at the block's end, in the clock that starts at `day` (value x there).
        w = rng.normal(0.0, math.sqrt(clock(rest)))
        while rest > 0:
            V = clock(rest)
            c0 = THRESHOLD - x  # > 0: x is below the threshold
            cV = THRESHOLD * DECAY ** (-rest) - x
            beta = (cV - c0) / V  # the chord of the boundary, c0 + beta v
            if w < cV and rng.random() >= math.exp(-2 * c0 * (cV - w) / V):
                # The bridge stays under the chord: no day of the rest crosses.
                x = DECAY**rest * (x + w)
                day += rest
                break
            # It crosses the chord. Less the slope it is a bridge from 0 to y crossing the
            # level c0; given that it does, its hitting time is that of the bridge to the
            # reflected end, sure to cross: an inverse Gaussian in a changed clock.
            y = w - beta * V
            if y < c0:
                y = 2 * c0 - y
            nu = (y - c0) / V
            s_ig = inverse_gaussian(rng, c0 / nu, c0 * c0)
            tau = s_ig * V / (s_ig + V)
            # The first whole day at or after it; W there is a bridge from the line at tau to
            # w at V.
            j = min(max(1, math.ceil(math.log1p(tau / k0) / (-2 * math.log(DECAY)))), rest)
            if j == rest:
                wj = w
            else:
                vj = clock(j)
                at_tau = c0 + beta * tau
                mean = at_tau + (w - at_tau) * (vj - tau) / (V - tau)
                var = (vj - tau) * (V - vj) / (V - tau)
                wj = rng.normal(mean, math.sqrt(max(var, 0.0)))
            value = DECAY**j * (x + wj)
            day += j
            if value >= THRESHOLD:
                return day, None
            # Go on from that day to the same block end: the clock restarts there, scaled.
            w = DECAY**j * (w - wj)
            x = value
            rest -= j
    return HORIZON + 1, x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--paths", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=20251229)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    d_first, d_final = daily(rng, a.paths)
    s_first = np.empty(a.paths, dtype=int)
    s_final = np.full(a.paths, np.nan)
    for i in range(a.paths):
        f, v = skip_one(rng)
        s_first[i] = f
        if v is not None:
            s_final[i] = v
    ok = True
    print(f"linear AR(1): decay {DECAY}, noise {NOISE}, threshold {THRESHOLD}, "
          f"{HORIZON} days, blocks of {BLOCK}; {a.paths} paths each way")
    print(f"{'figure':<32} {'daily':>9} {'skip':>9} {'z':>7}")
    for k in (1, 2, 5, 10, 20, 30, 45, 60):
        p1, p2 = np.mean(d_first <= k), np.mean(s_first <= k)
        se = math.sqrt(p1 * (1 - p1) / a.paths + p2 * (1 - p2) / a.paths) or 1.0
        z = (p2 - p1) / se
        ok &= abs(z) <= 4
        print(f"{'P(crossed by day ' + str(k) + ')':<32} {p1:9.5f} {p2:9.5f} {z:7.2f}")
    for name, f in (("mean", np.mean), ("variance", np.var)):
        a1 = d_final[d_first > HORIZON]
        a2 = s_final[s_first > HORIZON]
        if name == "mean":
            se = math.sqrt(a1.var() / len(a1) + a2.var() / len(a2))
        else:
            # The variance's standard error, from the fourth central moment.
            m4 = lambda x: np.mean((x - x.mean()) ** 4)
            se = math.sqrt((m4(a1) - a1.var() ** 2) / len(a1) + (m4(a2) - a2.var() ** 2) / len(a2))
        v1, v2 = f(a1), f(a2)
        z = (v2 - v1) / se
        ok &= abs(z) <= 4
        print(f"{'final value ' + name + ', never crossed':<32} {v1:9.5f} {v2:9.5f} {z:7.2f}")
    print("all within 4 SE" if ok else "DIFFERENCE beyond 4 SE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
