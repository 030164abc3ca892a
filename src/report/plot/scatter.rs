//! Scatter plots on log–log axes (e.g. energy vs area of evaluated designs): groups of points
//! each in its own colour, an optional polyline joining some of them (a Pareto front) and an
//! optional highlighted point.

use super::{
    draw_legend, draw_title, framed, log_tick_label, rasterize, s, styled, Figure, PlotError,
    RgbImage, LINE_CHART_SIZE,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::ops::Range;
use std::path::Path;

/// A group of points drawn in one colour with one legend entry.
#[derive(Debug, Clone, Copy)]
pub struct PointGroup<'a> {
    /// Legend label.
    pub label: &'a str,
    /// The points (x, y); non-positive or non-finite ones are skipped.
    pub points: &'a [(f64, f64)],
    /// Colour (RGB).
    pub color: (u8, u8, u8),
}

/// A log–log scatter plot. No plottable point → [`PlotError`].
#[derive(Debug, Clone, Copy)]
pub struct LogScatter<'a> {
    /// Title above the plot.
    pub title: &'a str,
    /// Axis descriptions.
    pub x_label: &'a str,
    /// Axis descriptions.
    pub y_label: &'a str,
    /// The point groups, drawn in order.
    pub groups: &'a [PointGroup<'a>],
    /// A polyline joining these points in order (empty: none), with its label.
    pub line: (&'a str, &'a [(f64, f64)]),
    /// A point drawn large and ringed, with its label.
    pub marked: Option<(&'a str, (f64, f64))>,
}

fn ok(&(x, y): &(f64, f64)) -> bool {
    x.is_finite() && y.is_finite() && x > 0.0 && y > 0.0
}

/// Whole decades around `lo..hi` (> 0).
fn decades(lo: f64, hi: f64) -> Range<f64> {
    let mut a = 10f64.powf(lo.log10().floor());
    let mut b = 10f64.powf(hi.log10().ceil());
    if b <= a * 1.000001 {
        a /= 10.0;
        b *= 10.0;
    }
    (a * (1.0 - 1e-9))..(b * (1.0 + 1e-9))
}

impl Figure for LogScatter<'_> {
    const SIZE: (u32, u32) = LINE_CHART_SIZE;

    fn render_as(&self, path: &Path, size: (u32, u32)) -> Result<RgbImage, PlotError> {
        let all: Vec<(f64, f64)> = self
            .groups
            .iter()
            .flat_map(|g| g.points.iter().copied())
            .filter(ok)
            .collect();
        if all.is_empty() {
            return Err(PlotError::EmptyData {
                path: path.to_path_buf(),
                what: "no point with positive finite coordinates (log axes)".into(),
            });
        }
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in &all {
            (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
        }
        let (xr, yr) = (decades(x0, x1), decades(y0, y1));
        rasterize(path, size, |root| self.draw(root, xr, yr))
    }
}

impl LogScatter<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        xr: Range<f64>,
        yr: Range<f64>,
    ) -> Result<(), String> {
        let body = draw_title(root, self.title)?;
        let mut chart = framed(&body, 88)
            .build_cartesian_2d(xr.log_scale(), yr.log_scale())
            .map_err(s)?;
        {
            let mut mesh = chart.configure_mesh();
            styled(&mut mesh)
                .x_label_formatter(&log_tick_label)
                .y_label_formatter(&log_tick_label)
                .x_desc(self.x_label)
                .y_desc(self.y_label);
            mesh.draw().map_err(s)?;
        }
        let (label, line) = self.line;
        let pts: Vec<(f64, f64)> = line.iter().copied().filter(ok).collect();
        if pts.len() > 1 {
            let style = RGBColor(214, 39, 40).stroke_width(2);
            chart
                .draw_series(LineSeries::new(pts, style))
                .map_err(s)?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], style));
        }
        for g in self.groups {
            let (r, gr, b) = g.color;
            let color = RGBColor(r, gr, b);
            let pts: Vec<(f64, f64)> = g.points.iter().copied().filter(ok).collect();
            chart
                .draw_series(pts.into_iter().map(|p| Circle::new(p, 4, color.filled())))
                .map_err(s)?
                .label(g.label)
                .legend(move |(x, y)| Circle::new((x + 11, y), 4, color.filled()));
        }
        if let Some((label, p)) = self.marked.filter(|(_, p)| ok(p)) {
            let ring = BLACK.stroke_width(2);
            chart
                .draw_series(std::iter::once(Circle::new(p, 9, ring)))
                .map_err(s)?
                .label(label)
                .legend(move |(x, y)| Circle::new((x + 11, y), 6, ring));
        }
        draw_legend(&mut chart)
    }
}
