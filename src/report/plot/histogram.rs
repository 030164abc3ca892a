//! Histograms with optional vertical reference lines (e.g. a mean, a target value).

use super::{
    draw_legend, draw_title, framed, linear_labels, rasterize, s, styled, Figure, PlotError,
    RgbImage, HISTOGRAM_SIZE,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::ops::Range;
use std::path::Path;

/// A vertical reference line drawn over a histogram (e.g. the mean).
#[derive(Debug, Clone, Copy)]
pub struct Marker<'a> {
    /// Legend text; an empty label is drawn but not listed in the legend.
    pub label: &'a str,
    pub x: f64,
}

/// Histogram of `values` with `bins` equal-width bins over the finite values' range, with
/// `markers` drawn over it. Non-finite values are skipped; no finite value or `bins == 0`
/// → [`PlotError`].
#[derive(Debug, Clone, Copy)]
pub struct Histogram<'a> {
    /// Title above the plot.
    pub title: &'a str,
    /// Description of the x axis (empty: none).
    pub x_label: &'a str,
    /// The values counted.
    pub values: &'a [f64],
    /// Number of bins (≥ 1).
    pub bins: usize,
    /// Vertical reference lines (may be empty).
    pub markers: &'a [Marker<'a>],
}

impl Figure for Histogram<'_> {
    const SIZE: (u32, u32) = HISTOGRAM_SIZE;

    fn render_as(&self, path: &Path, size: (u32, u32)) -> Result<RgbImage, PlotError> {
        if self.bins == 0 {
            return Err(PlotError::InvalidInput {
                path: path.to_path_buf(),
                reason: "bins must be at least 1".into(),
            });
        }
        let data = prepare_hist(path, self.values, self.bins, self.markers)?;
        rasterize(path, size, |root| draw_histogram(root, self, &data))
    }
}

struct HistData {
    edges0: f64,
    width: f64,
    counts: Vec<u32>,
    x: Range<f64>,
}

fn prepare_hist(
    path: &Path,
    values: &[f64],
    bins: usize,
    markers: &[Marker],
) -> Result<HistData, PlotError> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (mut lo, mut hi, mut n) = (f64::INFINITY, f64::NEG_INFINITY, 0usize);
    for v in finite.clone() {
        lo = lo.min(v);
        hi = hi.max(v);
        n += 1;
    }
    if n == 0 {
        return Err(PlotError::EmptyData {
            path: path.to_path_buf(),
            what: "no finite values".into(),
        });
    }
    if hi <= lo {
        let d = if lo != 0.0 { lo.abs() * 0.1 } else { 1.0 };
        lo -= d;
        hi += d;
    }
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0u32; bins];
    for v in finite {
        let b = (((v - lo) / width) as usize).min(bins - 1);
        counts[b] += 1;
    }
    let (mut x0, mut x1) = (lo, hi);
    for m in markers.iter().filter(|m| m.x.is_finite()) {
        x0 = x0.min(m.x);
        x1 = x1.max(m.x);
    }
    let pad = (x1 - x0) * 0.03;
    Ok(HistData {
        edges0: lo,
        width,
        counts,
        x: (x0 - pad)..(x1 + pad),
    })
}

fn draw_histogram<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &Histogram,
    data: &HistData,
) -> Result<(), String> {
    let (x_label, markers) = (spec.x_label, spec.markers);
    let body = draw_title(root, spec.title)?;
    let max_count = data.counts.iter().copied().max().unwrap_or(0).max(1);
    let y_top = (max_count as f64 * 1.08).ceil() as u32 + 1;
    let mut chart = framed(&body, 88)
        .build_cartesian_2d(data.x.clone(), 0u32..y_top)
        .map_err(s)?;
    let x_fmt = linear_labels(&data.x);
    {
        let mut mesh = chart.configure_mesh();
        styled(&mut mesh)
            .x_label_formatter(&x_fmt)
            .disable_x_mesh()
            .x_labels(9)
            .y_labels(8)
            .y_desc("count");
        if !x_label.is_empty() {
            mesh.x_desc(x_label);
        }
        mesh.draw().map_err(s)?;
    }
    let fill = RGBColor(70, 130, 180);
    let edge = RGBColor(35, 75, 115);
    let bar = |i: usize, c: u32| {
        let x0 = data.edges0 + data.width * i as f64;
        [(x0, 0u32), (x0 + data.width, c)]
    };
    // Every bar filled first, then every outline on top.
    for style in [fill.filled(), edge.stroke_width(1)] {
        chart
            .draw_series(
                data.counts
                    .iter()
                    .enumerate()
                    .filter(|(_, &c)| c > 0)
                    .map(|(i, &c)| Rectangle::new(bar(i, c), style)),
            )
            .map_err(s)?;
    }
    let marker_colors = [
        RGBColor(214, 39, 40),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(148, 103, 189),
    ];
    let mut any_label = false;
    for (i, m) in markers.iter().filter(|m| m.x.is_finite()).enumerate() {
        let style = marker_colors[i % marker_colors.len()].stroke_width(2);
        let anno = chart
            .draw_series(LineSeries::new([(m.x, 0u32), (m.x, y_top)], style))
            .map_err(s)?;
        if !m.label.is_empty() {
            any_label = true;
            anno.label(m.label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], style));
        }
    }
    if any_label {
        draw_legend(&mut chart)?;
    }
    Ok(())
}
