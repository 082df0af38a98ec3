//! `red_line`: strike when a watched track crosses a threshold, as seen through noisy, lagged
//! intelligence.
//!
//! On each day of resolve (a daily chance `daily_probability`, damped by open negotiation
//! channels and changed by modifiers) the actor reads the track's value `intel_lag_days` ago
//! plus normal noise of sd `intel_noise` (both may take modifiers: inspectors returning sharpen
//! the picture). If the reading reaches `threshold + justification_penalty`, the actor decides
//! to strike: it may need another actor's consent, which that actor may join; the strike lands
//! `preparation_days` later, while the preparations are visible to the target's pre-emption
//! watchers, and is called off if an agreement between the two takes effect meanwhile
//! (`abort_on_peace`). Strikes set tracks back.

use serde::Deserialize;

use super::hazard::{Hazard, ModifierConfig, ModifierSet, index};
use super::strike::{Consent, ConsentConfig, SetbackConfig, Striker, compile_setbacks};
use super::{GapLog, Kind, PairWatch, Rule, Wake, Wakes, next_event_day_with};
use crate::model::{Effect, Odds, ParamId, TrackId, Why, World};
use crate::rng::Rng;
use crate::scenario::build::{Bounds, Builder, RuleTable};
use crate::scenario::days::Days;
use crate::scenario::dist::Dist;

pub const KIND: Kind = Kind {
    name: "red_line",
    summary: "strike when a watched track, seen through lagged and noisy intelligence, \
              crosses a threshold",
    compile,
    schema: |g| g.subschema_for::<Config>(),
};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RedLineRule")]
pub(crate) struct Config {
    #[allow(dead_code)]
    kind: String,
    actor: String,
    target: String,
    track: String,
    /// Perceived track value at which the actor considers the line crossed.
    threshold: Dist,
    /// Extra evidence needed before acting is justified (the "obliterated" claims).
    #[serde(default = "zero")]
    justification_penalty: Dist,
    /// Age of the intelligence (drawn once per run).
    #[serde(default)]
    intel_lag_days: Days,
    #[serde(default = "zero")]
    intel_noise: Dist,
    /// Chance per day of resolving to act (on such a day the intelligence is read).
    daily_probability: Dist,
    level: String,
    /// Days between the decision and the strike, during which preparations are visible to
    /// the target's pre-emption watchers.
    /// Drawn for each decision.
    #[serde(default)]
    preparation_days: Days,
    /// Drawn for each strike.
    #[serde(default = "default_cooldown")]
    cooldown_days: Days,
    /// Call a prepared strike off if an agreement between the two sides takes effect.
    #[serde(default = "yes")]
    abort_on_peace: bool,
    consent: Option<ConsentConfig>,
    #[serde(default)]
    setback: Vec<SetbackConfig>,
    #[serde(default)]
    modifiers: Vec<ModifierConfig>,
    source: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

fn zero() -> Dist {
    Dist::fixed(0.0)
}
fn default_cooldown() -> Days {
    Days::new(90)
}
fn yes() -> bool {
    true
}

#[derive(Clone, Debug)]
pub struct RedLine {
    track: TrackId,
    threshold: ParamId,
    penalty: ParamId,
    lag: Hazard,
    noise: Hazard,
    daily: Hazard,
    strike: Striker,
    source: Option<String>,
    // per-run state
    /// This run's threshold with the justification penalty, read once in `begin_run`:
    /// parameters never change within a run.
    threshold_run: f64,
    /// The next day of resolve to act, drawn with daily probability `p_seen`.
    next_resolve: u32,
    p_seen: f64,
    gap_log: GapLog,
}

pub fn compile(t: &RuleTable, b: &mut Builder) -> Option<Box<dyn Rule>> {
    let c: Config = t.config(b)?;
    let keys = [
        "daily_probability",
        "intel_noise",
        "intel_lag_days",
        "consent.probability",
        "consent.join_probability",
    ];
    let mut mods = ModifierSet::new(
        t,
        &c.modifiers,
        true,
        keys.iter().map(|k| k.to_string()).collect(),
        b,
    );
    let actor = b.actor(&t.path("actor"), &c.actor);
    let target = b.actor(&t.path("target"), &c.target);
    // Parameters are registered in the order of the file's keys, which is the order of the
    // columns of runs.csv.
    let consent = c
        .consent
        .as_ref()
        .map(|k| Consent::compile(t, b, &mut mods, k));
    let threshold = b.param(&t.path("threshold"), &c.threshold, Bounds::Any);
    let penalty = b.param(
        &t.path("justification_penalty"),
        &c.justification_penalty,
        Bounds::NonNegative,
    );
    let lag_param = b.days(&t.path("intel_lag_days"), &c.intel_lag_days);
    let lag = mods.attach(b, "intel_lag_days", lag_param, Bounds::NonNegative);
    let noise = mods.hazard(
        b,
        "intel_noise",
        "intel_noise",
        &c.intel_noise,
        Bounds::NonNegative,
    );
    let daily = mods.hazard(
        b,
        "daily_probability",
        "daily_probability",
        &c.daily_probability,
        Bounds::Unit,
    );
    let mut strike = Striker::new(
        t.idx,
        actor,
        target,
        b.level(&t.path("level"), &c.level),
        consent,
        b.event_days(&t.path("preparation_days"), &c.preparation_days),
        b.event_days(&t.path("cooldown_days"), &c.cooldown_days),
        c.abort_on_peace,
        compile_setbacks(t, b, &c.setback),
        Vec::new(),
    );
    strike.consent_hazard = 3;
    let rule = RedLine {
        track: b.track(&t.path("track"), &c.track),
        threshold,
        penalty,
        lag,
        noise,
        daily,
        strike,
        source: c.source,
        threshold_run: 0.0,
        next_resolve: 0,
        p_seen: f64::NAN,
        gap_log: GapLog::default(),
    };
    mods.finish(b);
    if actor == target && b.diags.is_empty() {
        b.error(
            t.path("target"),
            "a red line's actor and target must differ",
        );
    }
    Some(Box::new(rule))
}

impl RedLine {
    fn ctx(&self) -> (u8, u8) {
        (self.strike.actor, self.strike.target)
    }

    /// A day of resolve: read the intelligence and, if the line looks crossed, decide to
    /// strike. Rare, so kept out of the daily path.
    #[inline(never)]
    fn resolve(&mut self, odds: Odds, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) {
        self.next_resolve = next_event_day_with(rng, w.day + 1, odds.p, &mut self.gap_log);
        let ctx = self.ctx();
        let lag = self.lag.value(w, ctx).round().min(f64::from(u32::MAX)) as u32;
        let noise = self.noise.value(w, ctx);
        let mut perceived = w.track_lagged(self.track, lag);
        if noise > 0.0 {
            let z = crate::draw::standard_normal(rng);
            perceived += noise * z;
        }
        if perceived < self.threshold_run {
            return;
        }
        let why = Why::Threshold {
            track: self.track,
            perceived,
            threshold: self.threshold_run,
            odds,
        };
        self.strike.decided(why, w, rng, out);
    }
}

impl Rule for RedLine {
    fn kind(&self) -> &'static str {
        "red_line"
    }

    fn begin_run(&mut self, w: &World, rng: &mut Rng) {
        self.threshold_run = w.p(self.threshold) + w.p(self.penalty);
        self.next_resolve = 0;
        // Not a probability, so the first decision draws a resolve day.
        self.p_seen = f64::NAN;
        self.strike.begin_run(rng);
    }

    fn decide(&mut self, w: &World, rng: &mut Rng, out: &mut Vec<Effect>) -> Wake {
        if let Some(wake) = self.strike.tick(w, rng, out) {
            return wake;
        }
        if let Some(until) = self.strike.cooling(w.day) {
            return Wake::Day(until);
        }
        // Resolve to act comes with the daily probability, independently of the day's
        // intelligence reading, so the reading (a Gaussian draw) is taken only on days of
        // resolve, and those days are drawn as geometric gaps rather than by a chance every
        // day. The gap is redrawn whenever the probability changes (restraint, hazard scale, a
        // modifier's condition) or the drawn day passed while the rule was not looking
        // (cooldown, preparation): memorylessness makes both exact.
        let (a, t) = self.ctx();
        let (mut odds, until) = self.daily.eval(w, (a, t), 0);
        let (r, s) = (w.restraint(a, t), w.scale[self.strike.idx as usize]);
        odds.other = r * s;
        odds.p = odds.p * r * s;
        if odds.p != self.p_seen || self.next_resolve < w.day {
            self.p_seen = odds.p;
            self.next_resolve = next_event_day_with(rng, w.day, odds.p, &mut self.gap_log);
        }
        if w.day == self.next_resolve {
            self.resolve(odds, w, rng, out);
            return Wake::Tomorrow;
        }
        // Nothing to do before the next day of resolve or the day a modifier's condition may
        // change; whatever else could change the probability (restraint, hazard scale, an act)
        // wakes the rule, which then redraws.
        Wake::Day(self.next_resolve.min(until))
    }

    fn hazards(&self) -> Vec<&Hazard> {
        let mut v = vec![&self.daily, &self.noise, &self.lag];
        if let Some(c) = &self.strike.consent {
            v.push(&c.probability);
            v.push(&c.join);
        }
        debug_assert_eq!(index(3), self.strike.consent_hazard);
        v
    }

    fn hostility_pairs(&self, n: usize) -> Option<Vec<PairWatch>> {
        // Its modifiers' conditions, and its own pair (a plan called off by peace).
        let own = [self.ctx()];
        let mut v = vec![PairWatch::any(own[0].0, own[0].1)];
        for h in self.hazards() {
            h.pairs(&own, n, &mut v);
        }
        Some(v)
    }

    fn wakes(&self) -> Wakes {
        // Restraint and the modifiers' conditions change the daily probability.
        Wakes::of(&self.hazards()).or(Wakes {
            restraint: true,
            ..Wakes::NONE
        })
    }

    fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    fn box_clone(&self) -> Box<dyn Rule> {
        Box::new(self.clone())
    }
}
