//! The one colour palette of every chart: Okabe–Ito, whose eight colours stay distinguishable
//! with the common colour-vision deficiencies, plus neutral greys for text and grid.
//!
//! Roles are fixed across charts so that a reader learns them once: [`BLUE`] is the main
//! quantity (transactions, successful calls, calls), [`VERMILLION`] what went wrong (rejections,
//! unsuccessful calls, minutes over the limit, spikes) and [`BLACK`] dashed lines are references
//! (quota, rate limit, resets).

use plotters::style::RGBColor;

/// Okabe–Ito black: reference lines and whiskers.
pub const BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
/// Okabe–Ito orange.
pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
/// Okabe–Ito sky blue: the middle of the heatmap scale.
pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
/// Okabe–Ito bluish green.
pub const BLUISH_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
/// Okabe–Ito yellow.
pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
/// Okabe–Ito blue: the main quantity of every chart.
pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Okabe–Ito vermillion: what went wrong.
pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// Okabe–Ito reddish purple.
pub const REDDISH_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);

/// Text: a dark grey, softer than black but well above the contrast readers need.
pub const INK: RGBColor = RGBColor(0x33, 0x33, 0x33);
/// Secondary text such as the "no data" message.
pub const MUTED: RGBColor = RGBColor(0x6E, 0x6E, 0x6E);
/// Grid lines: light enough to stay behind the data.
pub const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);
/// Heatmap cells with no calls, told apart from the page background.
pub const EMPTY_CELL: RGBColor = RGBColor(0xF4, 0xF4, 0xF4);

/// `colour` moved `towards_white` (0 = unchanged, 1 = white) of the way to white.
pub fn tint(colour: RGBColor, towards_white: f64) -> RGBColor {
    let t = towards_white.clamp(0.0, 1.0);
    let mix = |c: u8| (f64::from(c) + (255.0 - f64::from(c)) * t).round() as u8;
    RGBColor(mix(colour.0), mix(colour.1), mix(colour.2))
}

/// The heatmap's sequential scale at `t` in 0..=1: white, through sky blue, to blue. Lightness
/// falls monotonically, so the order of cells reads the same in grey scale.
pub fn sequential(t: f64) -> RGBColor {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let lerp = |a: RGBColor, b: RGBColor, s: f64| {
        let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * s).round() as u8;
        RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    };
    let white = RGBColor(0xFF, 0xFF, 0xFF);
    if t < 0.5 {
        lerp(white, SKY_BLUE, t * 2.0)
    } else {
        lerp(SKY_BLUE, BLUE, (t - 0.5) * 2.0)
    }
}

/// White or [`INK`], whichever contrasts more with `background` (WCAG relative luminance).
pub fn readable_ink(background: RGBColor) -> RGBColor {
    let white = RGBColor(0xFF, 0xFF, 0xFF);
    if contrast(white, background) >= contrast(INK, background) {
        white
    } else {
        INK
    }
}

fn luminance(colour: RGBColor) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(colour.0) + 0.7152 * linear(colour.1) + 0.0722 * linear(colour.2)
}

fn contrast(a: RGBColor, b: RGBColor) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// `#rrggbb` for SVG written by hand.
pub(crate) fn hex(colour: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", colour.0, colour.1, colour.2)
}
