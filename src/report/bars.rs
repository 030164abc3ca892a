//! Horizontal bar charts on a logarithmic value axis (e.g. energy budgets spanning many
//! decades), rendered into memory so that they can be stacked with other panels.

use super::plot::{
    draw_err, draw_title, fonts_for, framed, log_tick_label, text_style, PlotError, RgbImage,
    BOLD_GRID, LIGHT_GRID, TICK_FONT,
};
use plotters::prelude::*;
use std::path::Path;

/// One bar: its label and a positive value.
#[derive(Debug, Clone, Copy)]
pub struct Bar<'a> {
    /// Text on the category axis.
    pub label: &'a str,
    /// Length of the bar (must be positive and finite).
    pub value: f64,
}

/// Render `bars` (top to bottom) as horizontal bars on a log axis of size `size` [px].
/// `path` only names the figure in errors. Non-positive or non-finite values → [`PlotError`].
pub fn log_bars_rgb(
    path: &Path,
    size: (u32, u32),
    title: &str,
    value_label: &str,
    bars: &[Bar],
) -> Result<RgbImage, PlotError> {
    if bars.is_empty() {
        return Err(PlotError::EmptyData {
            path: path.to_path_buf(),
            what: "no bars".into(),
        });
    }
    if let Some(b) = bars
        .iter()
        .find(|b| !(b.value.is_finite() && b.value > 0.0))
    {
        return Err(PlotError::InvalidInput {
            path: path.to_path_buf(),
            reason: format!(
                "bar \"{}\" has value {} (a log axis needs positive values)",
                b.label, b.value
            ),
        });
    }
    fonts_for(path)?;
    let (lo, hi) = bars.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), b| {
        (lo.min(b.value), hi.max(b.value))
    });
    let lo = 10f64.powf(lo.log10().floor());
    let hi = 10f64.powf(hi.log10().ceil()).max(lo * 10.0);
    let mut img = RgbImage {
        width: size.0,
        height: size.1,
        rgb: vec![255; size.0 as usize * size.1 as usize * 3],
    };
    {
        let root = BitMapBackend::with_buffer(&mut img.rgb, size).into_drawing_area();
        draw(&root, title, value_label, bars, lo..hi).map_err(draw_err(path))?;
        root.present()
            .map_err(|e| e.to_string())
            .map_err(draw_err(path))?;
    }
    Ok(img)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    value_label: &str,
    bars: &[Bar],
    range: std::ops::Range<f64>,
) -> Result<(), String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let body = draw_title(root, title)?;
    let n = bars.len();
    let mut chart = framed(&body, 330)
        .build_cartesian_2d(range.clone().log_scale(), (0..n).into_segmented())
        .map_err(|x| e(&x))?;
    let label_of = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) if *i < n => {
            bars[n - 1 - i].label.into()
        }
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .label_style(text_style(TICK_FONT))
        .axis_desc_style(text_style(17.0))
        .light_line_style(LIGHT_GRID)
        .bold_line_style(BOLD_GRID)
        .x_label_formatter(&log_tick_label)
        .y_label_formatter(&label_of)
        .disable_y_mesh()
        .y_labels(n)
        .x_desc(value_label)
        .draw()
        .map_err(|x| e(&x))?;
    let fill = RGBColor(70, 130, 180);
    chart
        .draw_series(bars.iter().enumerate().map(|(k, b)| {
            let i = n - 1 - k; // first bar on top
            let mut r = Rectangle::new(
                [
                    (range.start, SegmentValue::Exact(i)),
                    (b.value, SegmentValue::Exact(i + 1)),
                ],
                fill.filled(),
            );
            r.set_margin(5, 5, 0, 0);
            r
        }))
        .map_err(|x| e(&x))?;
    Ok(())
}
