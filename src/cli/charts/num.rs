//! Numbers as charts and reports print them: one precision for the numbers of one kind in one
//! chart or table column, chosen from the data (the spacing of axis ticks, or the width of the
//! intervals, since a digit finer than the uncertainty says nothing), and a true minus sign.

/// The fewest decimals (at most 6) that show every multiple of `step` exactly.
pub fn for_step(step: f64) -> usize {
    if !step.is_finite() || step <= 0.0 {
        return 0;
    }
    (0..=6)
        .find(|&d| {
            let s = step * 10f64.powi(d as i32);
            (s - s.round()).abs() < 1e-6 * s.max(1.0)
        })
        .unwrap_or(6)
}

/// Decimals for values whose 95% half-widths are `hw`, by the Particle Data Group's rule for
/// the smallest of them: the interval keeps two significant digits when its leading digits are
/// 100 to 354, else one; values are rounded to the same place. ±1.4 shows one decimal, ±0.6
/// one, ±4 none, ±0.3 two; between 0 and `max`. Zero and undefined widths (an event that never
/// happened) say nothing and are skipped. The smallest interval sets the precision so that no
/// interval is rounded into saying less than it does (e.g. whether it excludes zero).
pub fn for_halfwidths(hw: impl IntoIterator<Item = f64>, max: usize) -> usize {
    let min = hw
        .into_iter()
        .filter(|h| h.is_finite() && *h > 0.0)
        .fold(f64::INFINITY, f64::min);
    if !min.is_finite() {
        return max.min(1);
    }
    let e = brink::math::log10(min).floor();
    let lead = min / brink::math::powf(10.0, e);
    let d = if lead < 3.55 { 1.0 - e } else { -e };
    (d.max(0.0) as usize).min(max)
}

/// Decimals that give the largest magnitude `sig` significant digits (between 0 and 4).
pub fn for_magnitude(max_abs: f64, sig: i32) -> usize {
    if !max_abs.is_finite() || max_abs <= 0.0 {
        return 0;
    }
    ((sig - 1 - brink::math::log10(max_abs).floor() as i32).max(0) as usize).min(4)
}

/// `v` with `d` decimals; negative numbers take a minus sign (U+2212), and zero never shows
/// as "−0".
pub fn fixed(v: f64, d: usize) -> String {
    if v.is_nan() {
        return "–".into();
    }
    let s = format!("{:.*}", d, v);
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().any(|c| c.is_ascii_digit() && c != '0') => {
            format!("−{rest}")
        }
        Some(rest) => rest.to_string(),
        None => s,
    }
}

/// Like `fixed`, with a plus sign on positive numbers (differences).
pub fn signed(v: f64, d: usize) -> String {
    let s = fixed(v, d);
    if s.starts_with('−') || s.chars().all(|c| c == '0' || c == '.') || v.is_nan() {
        s
    } else {
        format!("+{s}")
    }
}

/// A share as a percentage: 0.5615 with one decimal is "56.2%". Rounded as `percent`.
pub fn pct(v: f64, d: usize) -> String {
    if v.is_nan() {
        return "–".into();
    }
    percent(v, d) + "%"
}

/// A share as a number of percent with `d` decimals (no sign): the one rounding of
/// probabilities that `brink run`'s digest, charts and reports share. The share is taken as
/// the CSV files write it, to six decimals, and rounded half away from zero in decimal, so
/// that 933 of 2 000 runs, written 0.466500, is 46.7 everywhere; 100 · 933 / 2000 in binary
/// floating point is 46.6499…, which `{:.1}` would round down.
pub fn percent(v: f64, d: usize) -> String {
    match percent_units(v, d) {
        Some((negative, q)) => {
            let digits = format!("{q:0>width$}", width = d + 1);
            let (int, frac) = digits.split_at(digits.len() - d);
            let sign = if negative && q != 0 { "−" } else { "" };
            if d == 0 {
                format!("{sign}{int}")
            } else {
                format!("{sign}{int}.{frac}")
            }
        }
        None => fixed(100.0 * v, d),
    }
}

/// `percent` as a number, for values a script formats (the report's pointer).
pub fn percent_value(v: f64, d: usize) -> f64 {
    match percent_units(v, d) {
        Some((negative, q)) => {
            let x = q as f64 / 10f64.powi(d as i32);
            if negative { -x } else { x }
        }
        None => 100.0 * v,
    }
}

/// 100 · `v` in units of 10^−d, rounded half away from zero from `v`'s six-decimal text, and
/// its sign; `None` when `v` is not finite or too large for that (never a share).
fn percent_units(v: f64, d: usize) -> Option<(bool, u128)> {
    if !v.is_finite() || v.abs() > 1e12 || d > 12 {
        return None;
    }
    let written = brink::table::num(v);
    let (negative, digits) = match written.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, written.as_str()),
    };
    let (int, frac) = digits.split_once('.')?;
    // Millionths of the share are ten-thousandths of a percent.
    let millionths: u128 = format!("{int}{frac:0<6}").parse().ok()?;
    let q = if d >= 4 {
        millionths * 10u128.pow(d as u32 - 4)
    } else {
        let unit = 10u128.pow(4 - d as u32);
        (millionths + unit / 2) / unit
    };
    Some((negative, q))
}

pub use brink::table::short;

/// The fewest decimals (at most 6) that show each of `values` as written.
pub fn for_values(values: impl IntoIterator<Item = f64>) -> usize {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .map(|v| short(v).split_once('.').map_or(0, |(_, f)| f.len()))
        .max()
        .unwrap_or(0)
}

pub use brink::table::thousands;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_follows_steps_intervals_and_magnitudes() {
        assert_eq!(for_step(0.05), 2);
        assert_eq!(for_step(0.1), 1);
        assert_eq!(for_step(10.0), 0);
        assert_eq!(for_step(0.075), 3);
        assert_eq!(for_step(2.5), 1);
        assert_eq!(for_halfwidths([1.4, 2.2], 3), 1);
        assert_eq!(for_halfwidths([4.0, 7.0], 3), 0);
        assert_eq!(for_halfwidths([0.97, 2.0], 3), 1);
        assert_eq!(for_halfwidths([0.6], 3), 1);
        assert_eq!(for_halfwidths([0.3], 3), 2);
        assert_eq!(for_halfwidths([0.0, 0.06, f64::NAN], 3), 2);
        assert_eq!(for_halfwidths([0.0004], 2), 2);
        assert_eq!(for_halfwidths([0.0, f64::NAN], 2), 1);
        assert_eq!(for_magnitude(0.89, 2), 2);
        assert_eq!(for_magnitude(15.0, 2), 0);
        assert_eq!(for_magnitude(0.012, 2), 3);
    }

    #[test]
    fn formats() {
        assert_eq!(fixed(-0.0001, 2), "0.00");
        assert_eq!(fixed(-1.5, 1), "−1.5");
        assert_eq!(signed(0.026, 1), "0.0");
        assert_eq!(short(0.35), "0.35");
        assert_eq!(for_values([0.35, 0.425, 0.5]), 3);
        assert_eq!(signed(2.69, 1), "+2.7");
        assert_eq!(signed(-0.52, 2), "−0.52");
        assert_eq!(pct(0.78925, 1), "78.9%");
        assert_eq!(pct(0.29, 1), "29.0%");
        // 933 / 2000 = 0.4665: half away from zero on the decimal, not on 46.6499… in binary.
        assert_eq!(pct(933.0 / 2000.0, 1), "46.7%");
        assert_eq!(format!("{:.1}", 100.0 * 933.0 / 2000.0), "46.6");
        assert_eq!(percent(0.466500, 1), "46.7");
        assert_eq!(percent(0.466499, 1), "46.6");
        assert_eq!(percent(0.0145, 1), "1.5");
        assert_eq!(percent(-0.0145, 1), "−1.5");
        assert_eq!(percent(-0.0004, 1), "0.0");
        assert_eq!(percent(1.0, 0), "100");
        assert_eq!(percent(0.123456, 5), "12.34560");
        assert_eq!(percent(0.5, 2), "50.00");
        assert_eq!(percent_value(0.4665, 1), 46.7);
        assert_eq!(percent_value(-0.0145, 1), -1.5);
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
    }
}
