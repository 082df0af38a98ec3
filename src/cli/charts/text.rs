//! How wide a label is, so that charts can place every label where it fits and none on
//! another. Widths are DejaVu Sans's advance widths (the font the charts name first, the one
//! `fonts-dejavu-core` installs and PNG output prefers), without kerning, which only narrows
//! text. Common fallbacks (Liberation Sans, Arial, Helvetica) are narrower than DejaVu Sans, so a
//! layout that fits in DejaVu fits in them too. Characters outside the table count as a full
//! em, wider than any glyph in it.

/// The font list every chart's text is set in.
pub const FAMILY: &str = "DejaVu Sans, Bitstream Vera Sans, sans-serif";

/// Above and below the baseline, in ems (DejaVu Sans's ascender and descender): the box a line
/// of text can ink.
pub const ASCENT: f64 = 0.93;
pub const DESCENT: f64 = 0.24;
/// Baseline to baseline in multi-line labels, in ems; more than ASCENT + DESCENT, so the boxes
/// of consecutive lines never touch.
pub const LINE: f64 = 1.25;

const UNITS_PER_EM: f64 = 2048.0;

/// Advance widths of ' ' to '~' in DejaVu Sans (book), units per em 2048.
const REGULAR: [u16; 95] = [
    651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690, 1303,
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690, 690, 1716, 1716, 1716, 1087, 2048,
    1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604, 604, 1343, 1141, 1767, 1532, 1612, 1235,
    1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799, 690, 799, 1716, 1024, 1024,
    1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569, 1186, 569, 1995, 1298, 1253, 1300,
    1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075, 1303, 690, 1303, 1716,
];

/// The same for DejaVu Sans Bold.
const BOLD: [u16; 95] = [
    713, 934, 1067, 1716, 1425, 2052, 1786, 627, 936, 936, 1071, 1716, 778, 850, 778, 748, 1425,
    1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 819, 819, 1716, 1716, 1716, 1188, 2048,
    1585, 1561, 1503, 1700, 1399, 1399, 1681, 1714, 762, 762, 1587, 1305, 2038, 1714, 1741, 1501,
    1741, 1577, 1475, 1397, 1663, 1585, 2259, 1579, 1483, 1485, 936, 748, 936, 1716, 1024, 1024,
    1382, 1466, 1214, 1466, 1389, 891, 1466, 1458, 702, 702, 1362, 702, 2134, 1458, 1407, 1466,
    1466, 1010, 1219, 979, 1458, 1335, 1892, 1321, 1335, 1192, 1458, 748, 1458, 1716,
];

/// The non-ASCII characters charts write: (char, regular, bold).
const OTHER: [(char, u16, u16); 9] = [
    ('\u{a0}', 651, 713),
    ('−', 1716, 1716),
    ('×', 1716, 1716),
    ('μ', 1303, 1507),
    ('σ', 1298, 1595),
    ('–', 1024, 1024),
    ('—', 2048, 2048),
    ('≥', 1716, 1716),
    ('·', 651, 778),
];

fn advance(c: char, bold: bool) -> f64 {
    let table = if bold { &BOLD } else { &REGULAR };
    let units = match c as u32 {
        32..=126 => table[c as usize - 32],
        _ => OTHER
            .iter()
            .find(|o| o.0 == c)
            .map_or(2048, |o| if bold { o.2 } else { o.1 }),
    };
    f64::from(units) / UNITS_PER_EM
}

/// Width in pixels of `s` set at `size` pixels.
pub fn width(s: &str, size: f64, bold: bool) -> f64 {
    s.chars().map(|c| advance(c, bold)).sum::<f64>() * size
}

/// Height of `lines` lines of text at `size`, from the first line's top to the last one's
/// bottom.
pub fn height(lines: usize, size: f64) -> f64 {
    if lines == 0 {
        return 0.0;
    }
    size * ((lines - 1) as f64 * LINE + ASCENT + DESCENT)
}

/// Breaks `s` into lines no wider than `max`: at spaces, and inside long identifiers after a
/// `.`, `_`, `,` or `=` (so `rules.us_nuclear_red_line.threshold` breaks at its dots first). A
/// piece that cannot be broken further stays whole, so a line may still be wider than `max`
/// when one word is; callers that must fit measure the result.
pub fn wrap(s: &str, max: f64, size: f64, bold: bool) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ') {
        let candidate = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        if width(&candidate, size, bold) <= max {
            cur = candidate;
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        // The word alone may still be too wide: break it at its own separators.
        let mut piece = String::new();
        for part in split_keep(word) {
            let candidate = format!("{piece}{part}");
            if !piece.is_empty() && width(&candidate, size, bold) > max {
                lines.push(std::mem::take(&mut piece));
                piece = part.to_string();
            } else {
                piece = candidate;
            }
        }
        cur = piece;
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Splits after each separator, keeping it with the part before: "a.b_c" → "a.", "b_", "c".
/// Dots are preferred, so an identifier is first cut into its key path's parts.
fn split_keep(word: &str) -> Vec<&str> {
    let seps: &[char] = if word.contains('.') {
        &['.', ',', '=']
    } else {
        &['_', ',', '=', '-']
    };
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, c) in word.char_indices() {
        if seps.contains(&c) {
            parts.push(&word[start..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    if start < word.len() {
        parts.push(&word[start..]);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_add_up_per_character() {
        // 'M' is 1767 units, 'i' 569, at 2048 units per em.
        let w = width("Mi", 20.48, false);
        assert!((w - (17.67 + 5.69)).abs() < 1e-9, "{w}");
        assert!(width("abc", 14.0, true) > width("abc", 14.0, false));
        assert_eq!(width("", 14.0, false), 0.0);
        // Unknown characters are counted as a full em.
        assert_eq!(width("\u{4e2d}", 10.0, false), 10.0);
    }

    #[test]
    fn wrap_breaks_at_spaces_then_at_key_path_dots() {
        let size = 12.0;
        let max = width("rules.israel_nuclear_red_line.", size, false) + 1.0;
        let lines = wrap(
            "rules.israel_nuclear_red_line.consent.probability",
            max,
            size,
            false,
        );
        assert_eq!(
            lines,
            ["rules.israel_nuclear_red_line.", "consent.probability"]
        );
        let lines = wrap("one two three", width("one two", size, false), size, false);
        assert_eq!(lines, ["one two", "three"]);
        for l in wrap(
            "Share of runs in each state at the end of each day",
            120.0,
            size,
            false,
        ) {
            assert!(width(&l, size, false) <= 120.0, "{l}");
        }
        assert_eq!(wrap("", 10.0, size, false), [""]);
    }
}
