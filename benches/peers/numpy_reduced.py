#!/usr/bin/env python3
"""The reduced flagship (benches/peers/reduced.toml) in plain Python and NumPy.

The NumPy peer of issue 15: the same model as brink runs on reduced.toml, written the way an
analyst who knows NumPy would write it: every state variable is an array over runs, and the
program loops over days only. Rare events (a strike, an answer) are handled on the index
arrays of the runs where they happen; nothing loops over runs.

It follows brink's order of events within a day (docs/MODEL.md §1.3, src/engine.rs):

1. wave 0: every rule decides on the start-of-day world, in the order of the rules' ids
   (iran_answers_israel, iran_answers_us, iran_front_ceasefire, iran_preempts_israel,
   iran_preempts_us, israel_answers_iran, israel_nuclear_red_line, israel_preempts_iran,
   us_answers_iran, us_nuclear_red_line); their acts take effect in that order, then the
   ceasefire's ends of hostilities;
2. wave 1: pledges answer wave 0's acts, landing today when the drawn delay is 0;
3. pass 3: pledges answer wave 1's acts, never today;
4. end of day: wars nobody fought for 3 days fall below war level, lower rungs fade after
   30 quiet days, war days are counted, today's intents become visible, tracks move.

Its random numbers come from NumPy's PCG64, not brink's streams: the two agree in
distribution, not run by run. benches/peers/compare.py checks that they agree.

Usage: numpy_reduced.py --runs 200000 --seed 1 --out numpy_summary.csv
"""

import argparse
import csv
import math
import sys
import time

import numpy as np

# --- The scenario (benches/peers/reduced.toml), as constants. -------------------------------
HORIZON = 366
CALM, THREATS, COVERT, LIMITED, CAMPAIGN = range(5)
WAR_LEVEL = LIMITED
QUIET_DAYS = 3  # a war nobody fights for three days is over
CALM_AFTER = 30  # lower rungs fade after 30 quiet days

US, ISRAEL, IRAN = 0, 1, 2
# Hostile pairs: Israel–Iran and US–Iran (the US and Israel never strike each other).
P_IR, P_UR = 0, 1


def pair_with_iran(actor):
    return P_IR if actor == ISRAEL else P_UR


def pair_of(actor, target):
    """The pair an act is between: Israel–Iran if Israel is in it, else US–Iran."""
    return np.where((actor == ISRAEL) | (target == ISRAEL), P_IR, P_UR)


# Intents (a side preparing to strike another), indexed by (actor, target).
I_RI, I_IR, I_UR, I_RU = 0, 1, 2, 3  # iran->israel, israel->iran, us->iran, iran->us
INTENT = {(IRAN, ISRAEL): I_RI, (ISRAEL, IRAN): I_IR, (US, IRAN): I_UR, (IRAN, US): I_RU}

NUC = dict(initial=0.17, drift=0.0004, noise=0.003)
MIS = dict(initial=0.45, drift=0.001, noise=0.004)
LAG = 30  # both red lines read the nuclear track 30 days late

RED_LINES = [  # in rule-id order: israel_nuclear_red_line, us_nuclear_red_line
    dict(name="israel", actor=ISRAEL, threshold=0.45, penalty=0.0, noise=0.1, p=0.04, prep=6,
         cooldown=120, setback=0.45),
    dict(name="us", actor=US, threshold=0.47, penalty=0.075, noise=0.08, p=0.03, prep=9,
         cooldown=120, setback=0.6),
]

# Pledges, in rule-id order. p and esc are indexed by the rung of the blow (3 or 4).
PLEDGES = [
    dict(name="iran_answers_israel", actor=IRAN, attacker=ISRAEL,
         p={LIMITED: 0.6, CAMPAIGN: 0.915}, esc={LIMITED: 1, CAMPAIGN: 0},
         esc_p=0.45, token_p=0.05, token_level=LIMITED, cap=CAMPAIGN, ally_p=0.03, ally=US,
         delay=(-0.5, 1.0, 30.0)),
    dict(name="iran_answers_us", actor=IRAN, attacker=US,
         p={LIMITED: 0.75, CAMPAIGN: 0.875}, esc={LIMITED: 0, CAMPAIGN: 0},
         esc_p=1.0, token_p=0.7, token_level=LIMITED, cap=CAMPAIGN, ally_p=0.0, ally=ISRAEL,
         delay=(0.3, 0.8, 30.0)),
    dict(name="israel_answers_iran", actor=ISRAEL, attacker=IRAN,
         p={LIMITED: 0.9, CAMPAIGN: 0.9}, esc={LIMITED: 1, CAMPAIGN: 1},
         esc_p=0.45, token_p=0.0, token_level=None, cap=CAMPAIGN, ally_p=0.0, ally=None,
         delay=(1.5, 0.9, 45.0)),
    dict(name="us_answers_iran", actor=US, attacker=IRAN,
         p={LIMITED: 0.2, CAMPAIGN: 0.0}, esc={LIMITED: 0, CAMPAIGN: 0},
         esc_p=1.0, token_p=0.0, token_level=None, cap=LIMITED, ally_p=0.0, ally=None,
         delay=(1.0, 0.8, 45.0)),
]

WATCHERS = [  # in rule-id order: iran_preempts_israel, iran_preempts_us, israel_preempts_iran
    dict(name="iran_preempts_israel", actor=IRAN, target=ISRAEL, rate=0.008, threshold=2.3,
         p=0.08, level=LIMITED, setback=0.0),
    dict(name="iran_preempts_us", actor=IRAN, target=US, rate=0.004, threshold=2.7,
         p=0.05, level=LIMITED, setback=0.0),
    dict(name="israel_preempts_iran", actor=ISRAEL, target=IRAN, rate=0.0125, threshold=2.3,
         p=0.1, level=CAMPAIGN, setback=0.2),
]
DECAY, SIGNAL_NOISE, READINESS, JUMP = 0.85, 0.15, 0.4, (0.8, 2.2)
PREEMPT_COOLDOWN = 60
CEASEFIRE = dict(hazard=0.055)

# What `--set` may change, under brink's names for the same keys (`brink run --set`), so that
# compare.py can check both versions on a variant where rare paths are common.
SETTABLE = {
    "rules.israel_nuclear_red_line.threshold": (RED_LINES[0], "threshold", float),
    "rules.israel_nuclear_red_line.daily_probability": (RED_LINES[0], "p", float),
    "rules.israel_nuclear_red_line.preparation_days": (RED_LINES[0], "prep", int),
    "rules.us_nuclear_red_line.threshold": (RED_LINES[1], "threshold", float),
    "rules.us_nuclear_red_line.daily_probability": (RED_LINES[1], "p", float),
    "rules.us_nuclear_red_line.preparation_days": (RED_LINES[1], "prep", int),
    "rules.iran_answers_israel.ally_target_probability": (PLEDGES[0], "ally_p", float),
    "rules.us_answers_iran.probability": (PLEDGES[3]["p"], LIMITED, float),
    "rules.iran_front_ceasefire.daily_hazard": (CEASEFIRE, "hazard", float),
    "rules.iran_preempts_israel.ambiguous_rate": (WATCHERS[0], "rate", float),
    "rules.iran_preempts_us.ambiguous_rate": (WATCHERS[1], "rate", float),
    "rules.israel_preempts_iran.ambiguous_rate": (WATCHERS[2], "rate", float),
}

# Event metrics, in reduced.toml's order.
EVENTS = [
    "strike_on_iran", "israel_red_line_strike", "us_red_line_strike", "iran_retaliation",
    "iran_strikes_us", "iran_token_answer_to_us", "israel_answers_iran", "us_answers_iran",
    "preemptive_strike", "preemption_false_alarm", "strike_called_off",
]

# Act forms.
STRIKE, RETALIATION, TOKEN, PREEMPTIVE = range(4)


class Acts:
    """A batch of acts from one rule on one day: at most one per run."""

    def __init__(self, idx, actor, target, level, form, trigger, justified=None):
        self.idx = idx
        self.actor = actor
        self.target = target  # array of actor ids
        self.level = level  # array of rungs
        self.form = form  # array of forms
        self.trigger = trigger  # array of days
        self.justified = justified  # for pre-emptive strikes


for _pl in PLEDGES:
    # The pair of answerer and attacker, whose end today silences the pledge.
    _pl["pair"] = P_IR if ISRAEL in (_pl["actor"], _pl["attacker"]) else P_UR


def lognormal_days(rng, n, mu, sigma, cap):
    """Per-event delays: lognormal truncated at `cap` by rejection, floored to whole days."""
    x = np.exp(mu + sigma * rng.standard_normal(n))
    bad = np.flatnonzero(x > cap)
    while bad.size:
        x[bad] = np.exp(mu + sigma * rng.standard_normal(bad.size))
        bad = bad[x[bad] > cap]
    return np.floor(x).astype(np.int32)


def simulate(n, seed):
    rng = np.random.default_rng(seed)
    day = 0

    # Tracks and the nuclear track's history of start-of-day values, for lagged intelligence:
    # a ring of LAG + 1 days.
    nuc = np.full(n, NUC["initial"])
    mis = np.full(n, MIS["initial"])
    hist = np.empty((LAG + 1, n))
    hist[0] = nuc

    # Pairs: level, last act, epoch (ends of hostilities), day ended, day of the last agreement.
    level = np.zeros((2, n), np.int8)
    last_act = np.full((2, n), -(10**6), np.int32)
    epoch = np.zeros((2, n), np.int32)
    ended = np.full((2, n), -1, np.int32)
    accord = np.full((2, n), -1, np.int32)

    intent = np.zeros((4, n), bool)  # visible today
    intent_next = np.zeros((4, n), bool)

    # Red lines: a planned strike (due day, decision day) and the end of the cooldown.
    rl_planned = np.zeros((2, n), bool)
    rl_due = np.zeros((2, n), np.int32)
    rl_made = np.zeros((2, n), np.int32)
    rl_cool = np.zeros((2, n), np.int32)

    # Pledges: one pending answer at most (each pledge answers one attacker).
    npl = len(PLEDGES)
    pd_on = np.zeros((npl, n), bool)
    pd_due = np.zeros((npl, n), np.int32)
    pd_epoch = np.zeros((npl, n), np.int32)
    pd_target = np.zeros((npl, n), np.int8)
    pd_level = np.zeros((npl, n), np.int8)
    pd_token = np.zeros((npl, n), bool)
    pd_trigger = np.zeros((npl, n), np.int32)
    answered = np.full((npl, n), -1, np.int32)  # day of an answer given on the spot

    # Pre-emption watchers.
    signal = np.zeros((3, n))
    w_cool = np.zeros((3, n), np.int32)
    w_accord_seen = np.full((3, n), -1, np.int32)

    # Outcomes.
    ev = {k: np.zeros(n, bool) for k in EVENTS}
    ret_delay = np.full(n, -1, np.int32)
    peak = np.zeros(n, np.int8)
    war_days = np.zeros(n, np.int32)
    war_start = np.full(n, -1, np.int32)
    first_war = np.full(n, -1, np.int32)

    def apply(batch):
        """An act takes effect: levels rise, the pair's last act is today, metrics see it."""
        if batch is None or batch.idx.size == 0:
            return
        i, a, t, lv, f = batch.idx, batch.actor, batch.target, batch.level, batch.form
        pr = pair_of(a, t)
        level[pr, i] = np.maximum(level[pr, i], lv)
        last_act[pr, i] = day
        peak[i] = np.maximum(peak[i], lv)
        if a in (ISRAEL, US):
            ev["strike_on_iran"][i] = True
            if a == ISRAEL:
                ev["israel_red_line_strike"][i[f == STRIKE]] = True
                ev["israel_answers_iran"][i[f == RETALIATION]] = True
            else:
                ev["us_red_line_strike"][i[f == STRIKE]] = True
                ev["us_answers_iran"][i[f == RETALIATION]] = True
        else:
            ans = (f == RETALIATION) | (f == TOKEN)
            ev["iran_retaliation"][i[ans]] = True
            first = i[ans][ret_delay[i[ans]] < 0]
            ret_delay[first] = day - batch.trigger[ans][ret_delay[i[ans]] < 0]
            ev["iran_strikes_us"][i[t == US]] = True
            ev["iran_token_answer_to_us"][i[(t == US) & (f == TOKEN)]] = True
        pre = f == PREEMPTIVE
        if pre.any():
            ev["preemptive_strike"][i[pre]] = True
            ev["preemption_false_alarm"][i[pre & ~batch.justified]] = True

    def react(k, batches, same_day):
        """Pledge k answers the blows in `batches` (in order); returns today's answers."""
        pl = PLEDGES[k]
        out_idx, out_target, out_level, out_token = [], [], [], []
        for b in batches:
            if b is None or b.actor != pl["attacker"]:
                continue
            hit = b.target == pl["actor"]
            i = b.idx[hit]
            blow = b.level[hit]
            # One answer at a time; none once a ceasefire took hold today.
            ok = ~pd_on[k, i] & (answered[k, i] != day)
            ok &= ended[pl["pair"], i] != day
            i, blow = i[ok], blow[ok]
            if i.size == 0:
                continue
            p = np.where(blow == CAMPAIGN, pl["p"][CAMPAIGN], pl["p"][LIMITED])
            go = rng.random(i.size) < p
            i, blow = i[go], blow[go]
            m = i.size
            if m == 0:
                continue
            delay = lognormal_days(rng, m, *pl["delay"])
            token = rng.random(m) < pl["token_p"]
            esc = np.where(blow == CAMPAIGN, pl["esc"][CAMPAIGN], pl["esc"][LIMITED])
            harsh = rng.random(m) < pl["esc_p"]
            lv = np.where(harsh, blow + esc, blow)
            if pl["token_level"] is not None:
                lv = np.where(token, pl["token_level"], lv)
            lv = np.minimum(lv, pl["cap"]).astype(np.int8)
            target = np.full(m, pl["attacker"], np.int8)
            if pl["ally_p"] > 0:
                target[rng.random(m) < pl["ally_p"]] = pl["ally"]
            now = (delay == 0) & same_day
            if now.any():
                out_idx.append(i[now])
                out_target.append(target[now])
                out_level.append(lv[now])
                out_token.append(token[now])
                answered[k, i[now]] = day
            q = ~now
            iq = i[q]
            tq = target[q]
            pd_on[k, iq] = True
            pd_due[k, iq] = day + np.maximum(delay[q], 1)
            pd_epoch[k, iq] = epoch[pair_of(pl["actor"], tq), iq]
            pd_target[k, iq] = tq
            pd_level[k, iq] = lv[q]
            pd_token[k, iq] = token[q]
            pd_trigger[k, iq] = day
        if not out_idx:
            return None
        i = np.concatenate(out_idx)
        token = np.concatenate(out_token)
        return Acts(i, pl["actor"], np.concatenate(out_target), np.concatenate(out_level),
                    np.where(token, TOKEN, RETALIATION), np.full(i.size, day, np.int32))

    def deliver(k):
        """Pledge k's decide: answers due today land, called-off ones are dropped, the rest
        are prepared in sight."""
        pl = PLEDGES[k]
        i = np.flatnonzero(pd_on[k])
        if i.size == 0:
            return None
        t = pd_target[k, i]
        pr = pair_of(pl["actor"], t)
        dropped = epoch[pr, i] != pd_epoch[k, i]
        due = ~dropped & (pd_due[k, i] <= day)
        waiting = ~dropped & ~due
        for tgt in (US, ISRAEL, IRAN):
            key = (pl["actor"], tgt)
            if key in INTENT:
                intent_next[INTENT[key], i[waiting & (t == tgt)]] = True
        pd_on[k, i[dropped | due]] = False
        j = i[due]
        if j.size == 0:
            return None
        return Acts(j, pl["actor"], pd_target[k, j].copy(), pd_level[k, j].copy(),
                    np.where(pd_token[k, j], TOKEN, RETALIATION), pd_trigger[k, j].copy())

    def red_line(r, u):
        """A red line decides: a planned strike lands, is called off or is prepared; or, on a
        day of resolve, the actor reads the lagged track and may decide to strike."""
        rl = RED_LINES[r]
        pr = pair_with_iran(rl["actor"])
        planned = rl_planned[r].copy()  # as at the start of the day
        i = np.flatnonzero(planned)
        batch = None
        if i.size:
            abort = (accord[pr, i] >= 0) & (accord[pr, i] >= rl_made[r, i])
            ev["strike_called_off"][i[abort]] = True
            land = ~abort & (day >= rl_due[r, i])
            prep = ~abort & ~land
            intent_next[INTENT[(rl["actor"], IRAN)], i[prep]] = True
            rl_planned[r, i[abort | land]] = False
            j = i[land]
            if j.size:
                nuc[j] *= 1.0 - rl["setback"]
                rl_cool[r, j] = day + rl["cooldown"]
                m = j.size
                batch = Acts(j, rl["actor"], np.full(m, IRAN, np.int8),
                             np.full(m, CAMPAIGN, np.int8), np.full(m, STRIKE),
                             rl_made[r, j].copy())
        free = ~planned & (day >= rl_cool[r])
        resolve = np.flatnonzero(free & (u < rl["p"]))
        if resolve.size:
            # The reading's noise is drawn only on days of resolve, as brink draws it.
            seen = hist[max(day - LAG, 0) % (LAG + 1), resolve]
            seen += rl["noise"] * rng.standard_normal(resolve.size)
            d = resolve[seen >= rl["threshold"] + rl["penalty"]]
            # Preparation days > 0: the strike is planned, prepared in sight from tomorrow.
            rl_planned[r, d] = True
            rl_due[r, d] = day + rl["prep"]
            rl_made[r, d] = day
            intent_next[INTENT[(rl["actor"], IRAN)], d] = True
        return batch

    def watcher(w, z, u, at_war_sod):
        """A pre-emption watcher updates its threat signal and may strike first."""
        ws = WATCHERS[w]
        pr = pair_with_iran(ws["target"] if ws["actor"] == IRAN else ws["actor"])
        s = signal[w]
        reset = accord[pr] != w_accord_seen[w]
        if reset.any():
            w_accord_seen[w, reset] = accord[pr, reset]
            s[reset] = 0.0
        preparing = intent[INTENT[(ws["target"], ws["actor"])]]
        s *= DECAY
        s += SIGNAL_NOISE * z
        s += READINESS * preparing
        amb = np.flatnonzero(u < ws["rate"])
        if amb.size:
            s[amb] += rng.uniform(JUMP[0], JUMP[1], amb.size)
        np.maximum(s, 0.0, out=s)
        alarm = np.flatnonzero((s >= ws["threshold"]) & (day >= w_cool[w]) & ~at_war_sod[pr])
        if alarm.size == 0:
            return None
        key = (ws["actor"], ws["target"])
        intent_next[INTENT[key], alarm] = True
        j = alarm[rng.random(alarm.size) < ws["p"]]
        if j.size == 0:
            return None
        if ws["setback"] > 0:
            mis[j] *= 1.0 - ws["setback"]
        w_cool[w, j] = day + PREEMPT_COOLDOWN
        s[j] = 0.0
        m = j.size
        return Acts(j, ws["actor"], np.full(m, ws["target"], np.int8),
                    np.full(m, ws["level"], np.int8), np.full(m, PREEMPTIVE),
                    np.full(m, day, np.int32), justified=preparing[j].copy())

    for day in range(HORIZON):
        zs = rng.standard_normal((3, n))  # the three watchers' signal noise
        us_ = rng.random((5, n))  # two red lines' resolve, three watchers' ambiguous events

        # Wave 0, on the start-of-day world, rules in id order.
        at_war = level >= WAR_LEVEL
        b_p0 = deliver(0)
        b_p1 = deliver(1)
        # iran_front_ceasefire: one draw while any pair is at war; ends every hostile pair.
        watching = np.flatnonzero(at_war[P_IR] | at_war[P_UR])
        stop = watching[rng.random(watching.size) < CEASEFIRE["hazard"]]
        end_ir = stop[level[P_IR, stop] > 0]
        end_ur = stop[level[P_UR, stop] > 0]
        b_w0 = watcher(0, zs[0], us_[2], at_war)
        b_w1 = watcher(1, zs[1], us_[3], at_war)
        b_p2 = deliver(2)
        b_rl0 = red_line(0, us_[0])
        b_w2 = watcher(2, zs[2], us_[4], at_war)
        b_p3 = deliver(3)
        b_rl1 = red_line(1, us_[1])
        wave0 = [b_p0, b_p1, b_w0, b_w1, b_p2, b_rl0, b_w2, b_p3, b_rl1]
        for b in wave0:
            apply(b)
        # Ends of hostilities come last: calm, a new epoch (queued answers are off), an
        # agreement (prepared strikes are off, watchers stand down).
        for pr, e in ((P_IR, end_ir), (P_UR, end_ur)):
            level[pr, e] = 0
            epoch[pr, e] += 1
            ended[pr, e] = day
            accord[pr, e] = day

        # Wave 1: same-day answers; pass 3: answers to those, queued for tomorrow or later.
        wave1 = [react(k, wave0, True) for k in range(npl)]
        for b in wave1:
            apply(b)
        if any(b is not None for b in wave1):
            for k in range(npl):
                react(k, wave1, False)

        # End of day: quiet wars fall below war level; lower rungs fade.
        for pr in (P_IR, P_UR):
            lv = level[pr]
            quiet = (lv >= WAR_LEVEL) & (day >= last_act[pr] + QUIET_DAYS)
            lv[quiet] = WAR_LEVEL - 1
            calm = (lv > 0) & (lv < WAR_LEVEL) & (day >= last_act[pr] + CALM_AFTER)
            lv[calm] = 0
        at_war_now = np.maximum(level[P_IR], level[P_UR]) >= WAR_LEVEL
        war_days += at_war_now
        start = at_war_now & (war_start < 0) & (first_war < 0)
        war_start[start] = day
        stop_ep = ~at_war_now & (war_start >= 0) & (first_war < 0)
        first_war[stop_ep] = day - war_start[stop_ep]
        war_start[stop_ep] = -1

        intent, intent_next = intent_next, intent
        intent_next[:] = False

        zt = rng.standard_normal((2, n))
        nuc += NUC["drift"] + NUC["noise"] * zt[0]
        np.clip(nuc, 0.0, 1.0, out=nuc)
        mis += MIS["drift"] + MIS["noise"] * zt[1]
        np.clip(mis, 0.0, 1.0, out=mis)
        hist[(day + 1) % (LAG + 1)] = nuc

    running = (war_start >= 0) & (first_war < 0)
    first_war[running] = HORIZON - war_start[running]

    rows = []
    for k in EVENTS:
        p = ev[k].mean()
        rows.append((k, "probability", n, p, math.sqrt(p * (1 - p))))

    def quantity(name, v):
        v = np.asarray(v, float)
        sd = v.std(ddof=1) if v.size > 1 else 0.0
        rows.append((name, "quantity", v.size, v.mean() if v.size else float("nan"), sd))

    quantity("retaliation_delay_days", ret_delay[ret_delay >= 0])
    quantity("peak_level", peak)
    quantity("war_days", war_days)
    quantity("war_duration_days", first_war[first_war >= 0])
    # Final track values binned at 1/1000, as brink records them.
    quantity("final_iran_nuclear", np.floor(nuc * 1000 + 0.5) / 1000)
    quantity("final_iran_missiles", np.floor(mis * 1000 + 0.5) / 1000)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=20251229)
    ap.add_argument("--out", help="write the summary here as CSV (default: stdout)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="change a parameter, named as for `brink run --set`: "
                    + ", ".join(SETTABLE))
    a = ap.parse_args()
    for kv in a.set:
        key, _, value = kv.partition("=")
        if key not in SETTABLE:
            ap.error(f"--set: `{key}` is not one of the keys this peer can change")
        table, field, kind = SETTABLE[key]
        table[field] = kind(value)
    t0 = time.perf_counter()
    rows = simulate(a.runs, a.seed)
    secs = time.perf_counter() - t0
    f = open(a.out, "w", newline="") if a.out else sys.stdout
    w = csv.writer(f)
    w.writerow(["metric", "kind", "n", "mean", "sd"])
    for name, kind, n, mean, sd in rows:
        w.writerow([name, kind, n, f"{mean:.6f}", f"{sd:.6f}"])
    if a.out:
        f.close()
    print(f"numpy_reduced: {a.runs} runs in {secs:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
