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

/// A share as a percentage: 0.5615 with one decimal is "56.2%".
pub fn pct(v: f64, d: usize) -> String {
    if v.is_nan() {
        return "–".into();
    }
    fixed(100.0 * v, d) + "%"
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
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
    }
}
