//! Line charts (e.g. loss vs trajectory): one or more named curves, linear or log y.

use super::{
    draw_legend, draw_title, framed, linear_labels, log_tick_label, rasterize, s, styled, Figure,
    PlotError, RgbImage, LINE_CHART_SIZE, PALETTE,
};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::ops::Range;
use std::path::Path;

/// One named curve of a line chart.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    pub label: &'a str,
    pub points: &'a [(f64, f64)],
}

/// A line chart: log-scale y when `log_y` (non-positive y values are then skipped, the axis
/// spans whole decades); a legend when there is more than one series. Non-finite points are
/// skipped (the curve is broken there). Empty input or no plottable point → [`PlotError`].
#[derive(Debug, Clone, Copy)]
pub struct LineChart<'a> {
    /// Title above the plot.
    pub title: &'a str,
    /// Axis descriptions (empty: none).
    pub x_label: &'a str,
    /// Axis descriptions (empty: none).
    pub y_label: &'a str,
    /// The curves.
    pub series: &'a [Series<'a>],
    /// Logarithmic y axis.
    pub log_y: bool,
}

impl Figure for LineChart<'_> {
    const SIZE: (u32, u32) = LINE_CHART_SIZE;

    fn render_as(&self, path: &Path, size: (u32, u32)) -> Result<RgbImage, PlotError> {
        let data = prepare_lines(self.series, self.log_y).map_err(|what| PlotError::EmptyData {
            path: path.to_path_buf(),
            what,
        })?;
        rasterize(path, size, |root| self.draw(root, &data))
    }
}

impl LineChart<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        data: &LineData,
    ) -> Result<(), String> {
        let body = draw_title(root, self.title)?;
        let mut builder = framed(&body, 88);
        let (x_label, y_label) = (self.x_label, self.y_label);
        if self.log_y {
            let chart = builder
                .build_cartesian_2d(data.x.clone(), data.y.clone().log_scale())
                .map_err(s)?;
            finish_line_chart(chart, data, x_label, y_label, Some(&log_tick_label))
        } else {
            let chart = builder
                .build_cartesian_2d(data.x.clone(), data.y.clone())
                .map_err(s)?;
            finish_line_chart(chart, data, x_label, y_label, None)
        }
    }
}

/// Runs of consecutive plottable points of one series.
type Runs = Vec<Vec<(f64, f64)>>;

struct LineData<'a> {
    /// Per series: label and its runs.
    series: Vec<(&'a str, Runs)>,
    x: Range<f64>,
    y: Range<f64>,
}

fn prepare_lines<'a>(series: &[Series<'a>], log_y: bool) -> Result<LineData<'a>, String> {
    if series.is_empty() {
        return Err("no series given".into());
    }
    let ok = |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite() && (!log_y || y > 0.0);
    let mut out = Vec::with_capacity(series.len());
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for s in series {
        let mut runs: Runs = Vec::new();
        let mut cur = Vec::new();
        for p in s.points {
            if ok(p) {
                x0 = x0.min(p.0);
                x1 = x1.max(p.0);
                y0 = y0.min(p.1);
                y1 = y1.max(p.1);
                cur.push(*p);
            } else if !cur.is_empty() {
                runs.push(std::mem::take(&mut cur));
            }
        }
        if !cur.is_empty() {
            runs.push(cur);
        }
        out.push((s.label, runs));
    }
    if !x0.is_finite() {
        return Err(if log_y {
            "no finite points with positive y (log scale)".into()
        } else {
            "no finite points".into()
        });
    }
    let x = if x1 > x0 {
        x0..x1
    } else {
        let d = if x0 != 0.0 { x0.abs() * 0.1 } else { 1.0 };
        (x0 - d)..(x0 + d)
    };
    let y = if log_y {
        let mut lo = 10f64.powf(y0.log10().floor());
        let mut hi = 10f64.powf(y1.log10().ceil());
        if hi <= lo * 1.000001 {
            lo /= 10.0;
            hi *= 10.0;
        }
        // Nudge outwards so float round-off cannot drop the end decades' ticks.
        (lo * (1.0 - 1e-9))..(hi * (1.0 + 1e-9))
    } else if y1 > y0 {
        let pad = (y1 - y0) * 0.05;
        (y0 - pad)..(y1 + pad)
    } else {
        let d = if y0 != 0.0 { y0.abs() * 0.1 } else { 1.0 };
        (y0 - d)..(y0 + d)
    };
    Ok(LineData { series: out, x, y })
}

fn finish_line_chart<'a, DB, Y>(
    mut chart: ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    data: &LineData,
    x_label: &str,
    y_label: &str,
    y_fmt: Option<&dyn Fn(&f64) -> String>,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let x_fmt = linear_labels(&data.x);
    let y_lin = linear_labels(&data.y);
    {
        let mut mesh = chart.configure_mesh();
        styled(&mut mesh)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_lin)
            .x_labels(9)
            .y_labels(9);
        if !x_label.is_empty() {
            mesh.x_desc(x_label);
        }
        if !y_label.is_empty() {
            mesh.y_desc(y_label);
        }
        if let Some(f) = y_fmt {
            mesh.y_label_formatter(f);
        }
        mesh.draw().map_err(s)?;
    }
    for (i, (label, runs)) in data.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let style = color.stroke_width(2);
        for run in runs {
            if run.len() == 1 {
                chart
                    .draw_series(std::iter::once(Circle::new(run[0], 3, color.filled())))
                    .map_err(s)?;
            } else {
                chart
                    .draw_series(LineSeries::new(run.iter().copied(), style))
                    .map_err(s)?;
            }
        }
        // Legend entry, independent of how the curve was split.
        chart
            .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())
            .map_err(s)?
            .label(*label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], style));
    }
    if data.series.len() > 1 {
        draw_legend(&mut chart)?;
    }
    Ok(())
}
