//! Text on charts: counts with thousands separators, and labels from logs made safe and short.
//!
//! plotters' SVG backend escapes `<`, `>`, `&`, `"` and `'` in every text and attribute it
//! writes, so labels handed to plotters must stay raw (escaping them here would show `&amp;`
//! to the reader). What it does not do is drop characters XML forbids (control characters),
//! which would make the whole document unreadable: [`label`] removes those. SVG this module
//! writes by hand goes through [`xml_escape`].

/// The font every chart uses; SVG viewers pick the platform's sans-serif.
pub(crate) const FONT: &str = "sans-serif";

/// plotters writes `font-size` as the given size divided by 1.24; these sizes are chosen for
/// rendered text of about 19, 14, 12 and 11 pixels.
pub(crate) const TITLE_SIZE: f64 = 24.0;
pub(crate) const AXIS_DESC_SIZE: f64 = 17.0;
pub(crate) const TICK_SIZE: f64 = 15.0;
pub(crate) const SMALL_SIZE: f64 = 13.5;

/// A label from a log, fit to be drawn: characters XML cannot hold or that reorder the text
/// around them (bidirectional overrides) become nothing or a space, and a label longer than
/// `max_chars` ends in `…`. Not escaped: plotters escapes what it writes.
pub(crate) fn label(raw: &str, max_chars: usize) -> String {
    let clean: String = raw
        .chars()
        .filter(|c| !is_reordering(*c))
        .map(|c| {
            if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' {
                ' '
            } else {
                c
            }
        })
        .collect();
    let clean = clean.trim();
    truncate(clean, max_chars.max(1))
}

fn is_reordering(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max_chars - 1).collect();
    short.truncate(short.trim_end().len());
    short.push('…');
    short
}

/// Escapes text and attribute values of SVG written by hand.
pub(crate) fn xml_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// A generous estimate of the rendered width in pixels of `text` at plotters size `size`,
/// for layout decisions (sans-serif averages about 0.55 em per character; digits and capitals
/// are wider, hence 0.6).
pub(crate) fn width_px(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * 0.6 * size / 1.24
}

/// How many characters fit in `pixels` at plotters size `size`.
pub(crate) fn chars_fitting(pixels: f64, size: f64) -> usize {
    (pixels / (0.6 * size / 1.24)).max(0.0) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_cleaned_and_truncated() {
        assert_eq!(label("CRM_SYNC", 20), "CRM_SYNC");
        assert_eq!(label("a\u{0}b\nc\u{202E}d", 20), "a b cd");
        assert_eq!(label("abcdefghij", 5), "abcd…");
        assert_eq!(label("abc  defgh", 5), "abc…");
        assert_eq!(label("ääääää", 3), "ää…");
        assert_eq!(label("<&\">", 10), "<&\">", "escaping is plotters' job");
    }

    #[test]
    fn escapes_hand_written_svg() {
        assert_eq!(
            xml_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
    }
}
