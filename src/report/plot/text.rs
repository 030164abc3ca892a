//! Text: the embedded font, drawing and fitting labels, and number formats for ticks.

use super::{s, PlotError, FONT_FAMILY};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};
use std::path::Path;
use std::sync::OnceLock;

/// Register DejaVu Sans as the `"sans-serif"` family (once per process). Returns whether the
/// font is available. Called by every plotting function; exposed for code that draws with
/// plotters directly.
pub fn ensure_fonts() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| {
        register_font(FONT_FAMILY, FontStyle::Normal, dejavu::sans::regular()).is_ok()
    })
}

pub(crate) fn fonts_for(path: &Path) -> Result<(), PlotError> {
    if ensure_fonts() {
        Ok(())
    } else {
        Err(PlotError::Font {
            path: path.to_path_buf(),
        })
    }
}

pub(crate) fn font(size: f64) -> FontDesc<'static> {
    (FONT_FAMILY, size).into_font()
}

pub(crate) fn text_style(size: f64) -> TextStyle<'static> {
    TextStyle::from(font(size)).color(&BLACK)
}

/// Draw `text` so that the middle of its capital letters sits at `y_center`.
///
/// plotters' ab_glyph backend puts the baseline half a font size below the anchor for
/// `VPos::Top`; with DejaVu's cap height (~0.63 of the pixel size) this centres the caps.
pub(crate) fn draw_text_centered<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    text: &str,
    size: f64,
    x: i32,
    y_center: i32,
    hpos: HPos,
) -> Result<(), String> {
    if text.is_empty() {
        return Ok(());
    }
    let style = text_style(size).pos(Pos::new(hpos, VPos::Top));
    let y = y_center - (0.187 * size).round() as i32;
    area.draw_text(text, &style, (x, y)).map_err(s)
}

pub(crate) fn text_width(text: &str, size: f64) -> u32 {
    if text.is_empty() {
        return 0;
    }
    font(size).box_size(text).map(|(w, _)| w).unwrap_or(0)
}

/// `text`, shortened with a trailing ellipsis until it is at most `max_w` pixels wide.
pub(crate) fn fit_text(text: &str, size: f64, max_w: u32) -> String {
    if text_width(text, size) <= max_w {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    for keep in (1..chars.len()).rev() {
        let head: String = chars[..keep].iter().collect();
        let t = format!("{}\u{2026}", head.trim_end());
        if text_width(&t, size) <= max_w {
            return t;
        }
    }
    chars.first().map(|c| c.to_string()).unwrap_or_default()
}

/// Compact number formatting for tick/scale labels.
pub fn format_number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() {
            "0".into()
        } else {
            v.to_string()
        };
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        let t = format!("{v:.2e}");
        // 1.50e-4 -> 1.5e-4, 1.00e6 -> 1e6
        let (m, e) = t.split_once('e').unwrap_or((&t, "0"));
        let m = if m.contains('.') {
            m.trim_end_matches('0').trim_end_matches('.')
        } else {
            m
        };
        return format!("{m}e{e}");
    }
    let decimals = (2 - a.log10().floor() as i32).clamp(0, 6) as usize;
    let t = format!("{v:.decimals$}");
    if t.contains('.') {
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        t
    }
}

/// Tick label for a linear axis spanning `span`: as few decimals as represent `v` exactly
/// at the axis' resolution ("50" rather than "50.0", no float noise like "0.30000000000000004"),
/// scientific notation for very large or very small magnitudes.
pub fn linear_tick_label(v: f64, span: f64, magnitude: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let span = if span > 0.0 && span.is_finite() {
        span
    } else {
        v.abs().max(1.0)
    };
    let tol = span * 1e-6;
    if v.abs() <= tol {
        return "0".into();
    }
    let fewest = |x: f64, tol: f64, max_d: usize| {
        (0..=max_d)
            .find(|&d| {
                let p = 10f64.powi(d as i32);
                ((x * p).round() / p - x).abs() <= tol
            })
            .unwrap_or(max_d)
    };
    if !(1e-3..1e5).contains(&magnitude) {
        let e = v.abs().log10().floor() as i32;
        let m = v / 10f64.powi(e);
        let d = fewest(m, tol / 10f64.powi(e), 4);
        return format!("{m:.d$}e{e}");
    }
    let max_d = (-(span / 10.0).log10()).ceil().clamp(0.0, 10.0) as usize + 2;
    let d = fewest(v, tol, max_d);
    format!("{v:.d$}")
}

/// Label formatter for log axes: only powers of ten are labelled (the others are minor ticks).
pub(crate) fn log_tick_label(v: &f64) -> String {
    if *v <= 0.0 || !v.is_finite() {
        return String::new();
    }
    let e = v.log10();
    let er = e.round();
    if (e - er).abs() > 1e-6 {
        return String::new();
    }
    let e = er as i32;
    if (-3..=4).contains(&e) {
        format_number(10f64.powi(e))
    } else {
        format!("1e{e}")
    }
}
