//! PNG plots: line charts, histograms and image grids.
//!
//! Everything is rendered with plotters' bitmap backend and the DejaVu Sans font that is
//! embedded in the binary (registered once with plotters' `ab_glyph` text backend under the
//! family name `"sans-serif"`), so plots render identically on machines without any system
//! fonts.
//!
//! Each public `*_chart`/`histogram`/`image_grid` function validates its input before touching
//! the file system (bad input never leaves a file behind), renders into an in-memory RGB
//! buffer and then writes the PNG. The `*_rgb` variants return that buffer instead, which is
//! handy for tests and for composing figures.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ndarray::ArrayView2;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

/// Font family used for every piece of text.
pub const FONT_FAMILY: &str = "sans-serif";

/// Pixel size of [`line_chart`] output.
pub const LINE_CHART_SIZE: (u32, u32) = (900, 560);

/// Pixel size of [`histogram`] output.
pub const HISTOGRAM_SIZE: (u32, u32) = (800, 520);

/// Canvas side limit for image grids (guards against absurd allocations).
const MAX_CANVAS_SIDE: u32 = 16_384;

/// Height of the title strip of line charts and histograms.
const TITLE_STRIP: u32 = 44;

/// Errors from the plotting functions. Every variant names the output file (or `<memory>`
/// for the in-memory `*_rgb` renderers) and the cause.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Nothing (finite) to plot.
    #[error("cannot plot {}: no data ({what})", .path.display())]
    EmptyData { path: PathBuf, what: String },
    /// Inconsistent or invalid arguments (shapes, bin counts, scales, ...).
    #[error("cannot plot {}: invalid input: {reason}", .path.display())]
    InvalidInput { path: PathBuf, reason: String },
    /// The embedded font could not be registered with plotters.
    #[error("cannot plot {}: failed to register the embedded DejaVu Sans font", .path.display())]
    Font { path: PathBuf },
    /// plotters failed while drawing.
    #[error("cannot plot {}: drawing failed: {cause}", .path.display())]
    Draw { path: PathBuf, cause: String },
    /// The PNG could not be written (missing directory, permissions, ...).
    #[error("cannot write plot {}: {cause}", .path.display())]
    Write { path: PathBuf, cause: String },
}

impl PlotError {
    /// The output file the error refers to.
    pub fn path(&self) -> &Path {
        match self {
            PlotError::EmptyData { path, .. }
            | PlotError::InvalidInput { path, .. }
            | PlotError::Font { path }
            | PlotError::Draw { path, .. }
            | PlotError::Write { path, .. } => path,
        }
    }
}

/// One named curve of a line chart.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    pub label: &'a str,
    pub points: &'a [(f64, f64)],
}

/// A vertical reference line drawn over a histogram (e.g. the mean).
#[derive(Debug, Clone, Copy)]
pub struct Marker<'a> {
    /// Legend text; an empty label is drawn but not listed in the legend.
    pub label: &'a str,
    pub x: f64,
}

/// An RGB (3 bytes per pixel, row-major) image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbImage {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl RgbImage {
    fn blank(width: u32, height: u32) -> Self {
        RgbImage {
            width,
            height,
            rgb: vec![255; width as usize * height as usize * 3],
        }
    }

    /// The pixel at column `x`, row `y`.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    fn set(&mut self, x: u32, y: u32, c: [u8; 3]) {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        self.rgb[i..i + 3].copy_from_slice(&c);
    }

    fn fill_rect(&mut self, x: u32, y: u32, w: u32, h: u32, c: [u8; 3]) {
        for yy in y..(y + h).min(self.height) {
            for xx in x..(x + w).min(self.width) {
                self.set(xx, yy, c);
            }
        }
    }

    /// Write the image as a PNG.
    pub fn save_png(&self, path: &Path) -> Result<(), PlotError> {
        write_png(path, (self.width, self.height), &self.rgb)
    }

    /// Panels of equal size laid out row by row, `cols` per row, on white.
    pub fn tile(panels: &[RgbImage], cols: usize) -> RgbImage {
        let cols = cols.max(1);
        let (w, h) = panels
            .iter()
            .fold((0, 0), |(w, h), p| (w.max(p.width), h.max(p.height)));
        let rows = panels.len().div_ceil(cols) as u32;
        let mut out = RgbImage::blank(w * cols.min(panels.len()).max(1) as u32, h * rows.max(1));
        for (k, p) in panels.iter().enumerate() {
            let (ox, oy) = ((k % cols) as u32 * w, (k / cols) as u32 * h);
            for y in 0..p.height {
                for x in 0..p.width {
                    out.set(ox + x, oy + y, p.pixel(x, y));
                }
            }
        }
        out
    }
}

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

fn memory_path() -> PathBuf {
    PathBuf::from("<memory>")
}

pub(crate) fn draw_err(path: &Path) -> impl Fn(String) -> PlotError + '_ {
    move |cause| PlotError::Draw {
        path: path.to_path_buf(),
        cause,
    }
}

fn s<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Write an RGB buffer to `path` as PNG through plotters' bitmap backend.
fn write_png(path: &Path, size: (u32, u32), rgb: &[u8]) -> Result<(), PlotError> {
    let mut backend = BitMapBackend::new(path, size);
    backend
        .blit_bitmap((0, 0), size, rgb)
        .map_err(|e| PlotError::Draw {
            path: path.to_path_buf(),
            cause: e.to_string(),
        })?;
    backend.present().map_err(|e| PlotError::Write {
        path: path.to_path_buf(),
        cause: e.to_string(),
    })
}

/// Draw `text` so that the middle of its capital letters sits at `y_center`.
///
/// plotters' ab_glyph backend puts the baseline half a font size below the anchor for
/// `VPos::Top`; with DejaVu's cap height (~0.63 of the pixel size) this centres the caps.
fn draw_text_centered<DB: DrawingBackend>(
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

fn text_width(text: &str, size: f64) -> u32 {
    if text.is_empty() {
        return 0;
    }
    font(size).box_size(text).map(|(w, _)| w).unwrap_or(0)
}

/// `text`, shortened with a trailing ellipsis until it is at most `max_w` pixels wide.
fn fit_text(text: &str, size: f64, max_w: u32) -> String {
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

const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Tick label font size.
pub(crate) const TICK_FONT: f64 = 15.0;
/// plotters centres y tick labels on the anchor's layout box, which with the ab_glyph backend
/// sits ~0.2 em too high; push them down so the digits line up with their ticks.
const TICK_Y_OFFSET: i32 = 3;

pub(crate) const LIGHT_GRID: RGBColor = RGBColor(236, 236, 236);
pub(crate) const BOLD_GRID: RGBColor = RGBColor(214, 214, 214);

// ---------------------------------------------------------------------------------------------
// Line chart
// ---------------------------------------------------------------------------------------------

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

/// Line chart (e.g. loss vs trajectory) written to `path` as PNG ([`LINE_CHART_SIZE`]).
///
/// Log-scale y when `log_y` (non-positive y values are then skipped, the axis spans whole
/// decades); a legend is drawn when there is more than one series. Non-finite points are
/// skipped (the curve is broken there). Empty input or no plottable point → [`PlotError`].
pub fn line_chart(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    log_y: bool,
) -> Result<(), PlotError> {
    let img = render_line_chart(
        path,
        LINE_CHART_SIZE,
        title,
        x_label,
        y_label,
        series,
        log_y,
    )?;
    img.save_png(path)
}

/// [`line_chart`] rendered into memory at the given size.
pub fn line_chart_rgb(
    size: (u32, u32),
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    log_y: bool,
) -> Result<RgbImage, PlotError> {
    render_line_chart(&memory_path(), size, title, x_label, y_label, series, log_y)
}

fn render_line_chart(
    path: &Path,
    size: (u32, u32),
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    log_y: bool,
) -> Result<RgbImage, PlotError> {
    let data = prepare_lines(series, log_y).map_err(|what| PlotError::EmptyData {
        path: path.to_path_buf(),
        what,
    })?;
    check_canvas(path, size, (200, 150))?;
    fonts_for(path)?;
    let mut img = RgbImage::blank(size.0, size.1);
    {
        let root = BitMapBackend::with_buffer(&mut img.rgb, size).into_drawing_area();
        draw_line_chart(&root, title, x_label, y_label, &data, log_y).map_err(draw_err(path))?;
        root.present().map_err(s).map_err(draw_err(path))?;
    }
    Ok(img)
}

fn check_canvas(path: &Path, size: (u32, u32), min: (u32, u32)) -> Result<(), PlotError> {
    if size.0 < min.0 || size.1 < min.1 || size.0 > MAX_CANVAS_SIDE || size.1 > MAX_CANVAS_SIDE {
        return Err(PlotError::InvalidInput {
            path: path.to_path_buf(),
            reason: format!(
                "canvas {}x{} outside {}x{}..={MAX_CANVAS_SIDE}x{MAX_CANVAS_SIDE}",
                size.0, size.1, min.0, min.1
            ),
        });
    }
    Ok(())
}

/// A chart builder on `area` with the margins of histograms and bar charts and a y label
/// area `y_label_area` pixels wide.
pub(crate) fn framed<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, plotters::coord::Shift>,
    y_label_area: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(area);
    b.margin_left(12)
        .margin_right(28)
        .margin_top(6)
        .margin_bottom(8)
        .x_label_area_size(58)
        .y_label_area_size(y_label_area);
    b
}

pub(crate) fn draw_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
) -> Result<DrawingArea<DB, plotters::coord::Shift>, String> {
    root.fill(&WHITE).map_err(s)?;
    let (w, _) = root.dim_in_pixel();
    let (top, body) = root.split_vertically(TITLE_STRIP);
    draw_text_centered(
        &top,
        title,
        22.0,
        w as i32 / 2,
        TITLE_STRIP as i32 / 2 + 4,
        HPos::Center,
    )?;
    Ok(body)
}

fn draw_line_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    data: &LineData,
    log_y: bool,
) -> Result<(), String> {
    let body = draw_title(root, title)?;
    let mut builder = ChartBuilder::on(&body);
    builder
        .margin_left(12)
        .margin_right(28)
        .margin_top(6)
        .margin_bottom(8)
        .x_label_area_size(58)
        .y_label_area_size(88);
    if log_y {
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

/// The legend box of a chart with labelled series, in the upper right corner.
fn draw_legend<'a, DB, CT>(chart: &mut ChartContext<'a, DB, CT>) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(160, 160, 160))
        .label_font(text_style(15.0))
        .draw()
        .map_err(|e| e.to_string())
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
    let (xs, ys) = (data.x.end - data.x.start, data.y.end - data.y.start);
    let xm = data.x.start.abs().max(data.x.end.abs());
    let ym = data.y.start.abs().max(data.y.end.abs());
    let x_fmt = move |v: &f64| linear_tick_label(*v, xs, xm);
    let y_lin = move |v: &f64| linear_tick_label(*v, ys, ym);
    {
        let mut mesh = chart.configure_mesh();
        mesh.label_style(text_style(TICK_FONT))
            .axis_desc_style(text_style(17.0))
            .light_line_style(LIGHT_GRID)
            .bold_line_style(BOLD_GRID)
            .y_label_offset(TICK_Y_OFFSET)
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

// ---------------------------------------------------------------------------------------------
// Histogram
// ---------------------------------------------------------------------------------------------

struct HistData {
    edges0: f64,
    width: f64,
    counts: Vec<u32>,
    x: Range<f64>,
}

fn prepare_hist(values: &[f64], bins: usize, markers: &[Marker]) -> Result<HistData, PlotError> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (mut lo, mut hi, mut n) = (f64::INFINITY, f64::NEG_INFINITY, 0usize);
    for v in finite.clone() {
        lo = lo.min(v);
        hi = hi.max(v);
        n += 1;
    }
    if n == 0 {
        return Err(PlotError::EmptyData {
            path: PathBuf::new(),
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

/// Histogram of `values` with `bins` equal-width bins over the finite values' range, written
/// to `path` as PNG ([`HISTOGRAM_SIZE`]). Non-finite values are skipped.
pub fn histogram(
    path: &Path,
    title: &str,
    x_label: &str,
    values: &[f64],
    bins: usize,
) -> Result<(), PlotError> {
    histogram_with_markers(path, title, x_label, values, bins, &[])
}

/// [`histogram`] with vertical reference lines (e.g. the mean, a target value).
pub fn histogram_with_markers(
    path: &Path,
    title: &str,
    x_label: &str,
    values: &[f64],
    bins: usize,
    markers: &[Marker],
) -> Result<(), PlotError> {
    let img = render_histogram(path, HISTOGRAM_SIZE, title, x_label, values, bins, markers)?;
    img.save_png(path)
}

/// [`histogram_with_markers`] rendered into memory at the given size.
pub fn histogram_rgb(
    size: (u32, u32),
    title: &str,
    x_label: &str,
    values: &[f64],
    bins: usize,
    markers: &[Marker],
) -> Result<RgbImage, PlotError> {
    render_histogram(&memory_path(), size, title, x_label, values, bins, markers)
}

fn render_histogram(
    path: &Path,
    size: (u32, u32),
    title: &str,
    x_label: &str,
    values: &[f64],
    bins: usize,
    markers: &[Marker],
) -> Result<RgbImage, PlotError> {
    if bins == 0 {
        return Err(PlotError::InvalidInput {
            path: path.to_path_buf(),
            reason: "bins must be at least 1".into(),
        });
    }
    let data = prepare_hist(values, bins, markers).map_err(|e| match e {
        PlotError::EmptyData { what, .. } => PlotError::EmptyData {
            path: path.to_path_buf(),
            what,
        },
        other => other,
    })?;
    check_canvas(path, size, (200, 150))?;
    fonts_for(path)?;
    let mut img = RgbImage::blank(size.0, size.1);
    {
        let root = BitMapBackend::with_buffer(&mut img.rgb, size).into_drawing_area();
        draw_histogram(&root, title, x_label, &data, markers).map_err(draw_err(path))?;
        root.present().map_err(s).map_err(draw_err(path))?;
    }
    Ok(img)
}

fn draw_histogram<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    x_label: &str,
    data: &HistData,
    markers: &[Marker],
) -> Result<(), String> {
    let body = draw_title(root, title)?;
    let max_count = data.counts.iter().copied().max().unwrap_or(0).max(1);
    let y_top = (max_count as f64 * 1.08).ceil() as u32 + 1;
    let mut chart = framed(&body, 88)
        .build_cartesian_2d(data.x.clone(), 0u32..y_top)
        .map_err(s)?;
    let xs = data.x.end - data.x.start;
    let xm = data.x.start.abs().max(data.x.end.abs());
    let x_fmt = move |v: &f64| linear_tick_label(*v, xs, xm);
    {
        let mut mesh = chart.configure_mesh();
        mesh.label_style(text_style(TICK_FONT))
            .axis_desc_style(text_style(17.0))
            .light_line_style(LIGHT_GRID)
            .bold_line_style(BOLD_GRID)
            .y_label_offset(TICK_Y_OFFSET)
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
    chart
        .draw_series(
            data.counts
                .iter()
                .enumerate()
                .filter(|(_, &c)| c > 0)
                .map(|(i, &c)| Rectangle::new(bar(i, c), fill.filled())),
        )
        .map_err(s)?;
    chart
        .draw_series(
            data.counts
                .iter()
                .enumerate()
                .filter(|(_, &c)| c > 0)
                .map(|(i, &c)| Rectangle::new(bar(i, c), edge.stroke_width(1))),
        )
        .map_err(s)?;
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

// ---------------------------------------------------------------------------------------------
// Image grids
// ---------------------------------------------------------------------------------------------

/// How pixel values map to colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colormap {
    /// 0/negative → white, positive → blue (the paper's digit style): value `v` mapped with
    /// scale `s` as white→blue for `v` in `[0, s]`, white for `v <= 0`.
    BlueWhite,
    /// Diverging: negative red, zero white, positive blue, symmetric around 0 with scale `s`.
    RedWhiteBlue,
}

/// Full-intensity blue of both colormaps.
pub const FULL_BLUE: [u8; 3] = [8, 48, 224];
/// Full-intensity red of [`Colormap::RedWhiteBlue`].
pub const FULL_RED: [u8; 3] = [214, 24, 24];
/// Colour of non-finite values.
pub const NAN_COLOR: [u8; 3] = [150, 150, 150];
const SEPARATOR: [u8; 3] = [175, 175, 175];

fn mix_white(c: [u8; 3], t: f32) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0);
    let f = |x: u8| (255.0 + (x as f32 - 255.0) * t).round() as u8;
    [f(c[0]), f(c[1]), f(c[2])]
}

impl Colormap {
    /// Colour of value `v` when `scale` (> 0) maps to full colour; values beyond the scale
    /// saturate, non-finite values are grey.
    pub fn rgb(self, v: f32, scale: f32) -> [u8; 3] {
        if !v.is_finite() {
            return NAN_COLOR;
        }
        let scale = if scale > 0.0 && scale.is_finite() {
            scale
        } else {
            1.0
        };
        let t = v / scale;
        match self {
            Colormap::BlueWhite => mix_white(FULL_BLUE, t.max(0.0)),
            Colormap::RedWhiteBlue => {
                if t >= 0.0 {
                    mix_white(FULL_BLUE, t)
                } else {
                    mix_white(FULL_RED, -t)
                }
            }
        }
    }
}

/// A grid of images (each `h`×`w`, row-major pixels) laid out in `rows`×`cols` cells.
pub struct ImageGrid<'a> {
    /// `[n, h*w]`; image `i` goes to cell `(i / cols, i % cols)`; cells beyond `n` stay blank,
    /// images beyond `rows*cols` are ignored.
    pub images: ArrayView2<'a, f32>,
    pub h: usize,
    pub w: usize,
    pub rows: usize,
    pub cols: usize,
    pub colormap: Colormap,
    /// The value mapped to full colour; `None` → robust per-grid scale (99th percentile of
    /// `|v|` over the shown images, falling back to the max, then 1).
    pub scale: Option<f32>,
    pub title: &'a str,
    /// Empty, or one label per row (drawn left of the row).
    pub row_labels: Vec<String>,
    /// Empty, or one label per column (drawn above the column).
    pub col_labels: Vec<String>,
    /// Pixels of the longer image side, e.g. 84.
    pub cell_px: u32,
}

/// Pixel rectangle of one grid cell in a rendered image grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellRect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// An in-memory rendered image grid.
#[derive(Debug, Clone)]
pub struct RenderedGrid {
    pub image: RgbImage,
    /// Row-major, `rows*cols` cells.
    pub cells: Vec<CellRect>,
    /// The colour scale actually used.
    pub scale: f32,
}

/// Render `grid` to `path` as PNG. Errors if `rows*cols == 0`, `h*w != images.ncols()`,
/// label counts do not match, or the scale is not positive.
pub fn image_grid(path: &Path, grid: &ImageGrid) -> Result<(), PlotError> {
    render_grid(path, grid)?.image.save_png(path)
}

/// [`image_grid`] rendered into memory.
pub fn image_grid_rgb(grid: &ImageGrid) -> Result<RenderedGrid, PlotError> {
    render_grid(&memory_path(), grid)
}

fn grid_scale(grid: &ImageGrid, shown: usize) -> f32 {
    if let Some(s) = grid.scale {
        return s;
    }
    let mut abs: Vec<f32> = grid
        .images
        .rows()
        .into_iter()
        .take(shown)
        .flat_map(|r| r.into_iter().copied().collect::<Vec<_>>())
        .filter(|v| v.is_finite())
        .map(f32::abs)
        .collect();
    if abs.is_empty() {
        return 1.0;
    }
    let k = ((abs.len() - 1) as f64 * 0.99).round() as usize;
    let (_, p99, _) = abs.select_nth_unstable_by(k, |a, b| a.total_cmp(b));
    let p99 = *p99;
    if p99 > 0.0 {
        return p99;
    }
    let max = abs.iter().copied().fold(0.0f32, f32::max);
    if max > 0.0 {
        max
    } else {
        1.0
    }
}

fn render_grid(path: &Path, grid: &ImageGrid) -> Result<RenderedGrid, PlotError> {
    let invalid = |reason: String| PlotError::InvalidInput {
        path: path.to_path_buf(),
        reason,
    };
    if grid.rows == 0 || grid.cols == 0 {
        return Err(invalid(format!(
            "empty grid: {} rows x {} cols",
            grid.rows, grid.cols
        )));
    }
    if grid.h == 0 || grid.w == 0 || grid.h * grid.w != grid.images.ncols() {
        return Err(invalid(format!(
            "image shape {}x{} does not match {} values per image",
            grid.h,
            grid.w,
            grid.images.ncols()
        )));
    }
    if !grid.row_labels.is_empty() && grid.row_labels.len() != grid.rows {
        return Err(invalid(format!(
            "{} row labels for {} rows",
            grid.row_labels.len(),
            grid.rows
        )));
    }
    if !grid.col_labels.is_empty() && grid.col_labels.len() != grid.cols {
        return Err(invalid(format!(
            "{} column labels for {} columns",
            grid.col_labels.len(),
            grid.cols
        )));
    }
    if grid.cell_px == 0 {
        return Err(invalid("cell_px must be positive".into()));
    }
    if let Some(sc) = grid.scale {
        if !(sc > 0.0 && sc.is_finite()) {
            return Err(invalid(format!(
                "scale must be positive and finite, got {sc}"
            )));
        }
    }
    fonts_for(path)?;

    let n = grid.images.nrows();
    let shown = n.min(grid.rows * grid.cols);
    let scale = grid_scale(grid, shown);

    let too_big = || invalid("grid too large to render".into());
    let max = MAX_CANVAS_SIDE as usize;
    if grid.cell_px as usize > max || grid.rows > max || grid.cols > max {
        return Err(too_big());
    }

    // Cell geometry: the longer image side gets cell_px pixels.
    let side = grid.h.max(grid.w) as f64;
    let cw = ((grid.w as f64 / side) * grid.cell_px as f64)
        .round()
        .max(1.0) as u32;
    let ch = ((grid.h as f64 / side) * grid.cell_px as f64)
        .round()
        .max(1.0) as u32;
    let sep = (grid.cell_px / 42).clamp(1, 3);
    // All factors are <= MAX_CANVAS_SIDE + 3 here, so these cannot overflow u64.
    let grid_w = grid.cols as u64 * (cw + sep) as u64 + sep as u64;
    let grid_h = grid.rows as u64 * (ch + sep) as u64 + sep as u64;
    if grid_w > MAX_CANVAS_SIDE as u64 || grid_h > MAX_CANVAS_SIDE as u64 {
        return Err(too_big());
    }
    let (grid_w, grid_h) = (grid_w as u32, grid_h as u32);

    // Text sizes and margins.
    let pad = 10u32;
    let label_size = (grid.cell_px.min(cw.min(ch).max(1)) as f64 * 0.2).clamp(11.0, 18.0);
    let title_size = (label_size * 1.3).clamp(15.0, 24.0);
    let mut col_size = label_size;
    let widest_col = grid
        .col_labels
        .iter()
        .map(|l| text_width(l, col_size))
        .max()
        .unwrap_or(0);
    if widest_col + 4 > cw {
        col_size = (col_size * (cw.saturating_sub(4)) as f64 / widest_col as f64).max(9.0);
    }
    // Labels that still do not fit are shortened with an ellipsis rather than overlapping.
    let col_labels: Vec<String> = grid
        .col_labels
        .iter()
        .map(|l| fit_text(l, col_size, cw.saturating_sub(2)))
        .collect();
    let row_w = grid
        .row_labels
        .iter()
        .map(|l| text_width(l, label_size))
        .max()
        .unwrap_or(0);
    let title_h = if grid.title.is_empty() {
        0
    } else {
        (title_size * 1.5).round() as u32
    };
    let col_h = if grid.col_labels.is_empty() {
        0
    } else {
        (col_size * 1.5).round() as u32
    };
    let left = pad + if row_w > 0 { row_w + 8 } else { 0 };
    let grid_top = pad + title_h + col_h;
    let cbar_size = 13.0;
    let cbar_w = grid_w.clamp(120, 260);
    let cbar_y = grid_top + grid_h + 10;
    let cbar_h = 10u32;
    let cbar_label_y = cbar_y + cbar_h + 4 + (cbar_size * 0.6) as u32;
    let height = cbar_label_y + (cbar_size * 0.6) as u32 + pad;
    let title_w = text_width(grid.title, title_size);
    let width = (left + grid_w + pad)
        .max(title_w + 2 * pad)
        .max(left + cbar_w + 3 * pad);
    if width > MAX_CANVAS_SIDE || height > MAX_CANVAS_SIDE {
        return Err(too_big());
    }

    let mut img = RgbImage::blank(width, height);
    img.fill_rect(left, grid_top, grid_w, grid_h, SEPARATOR);

    // Nearest-neighbour source index for each destination column / row of a cell.
    let src_x: Vec<usize> = (0..cw)
        .map(|px| ((px as usize * grid.w) / cw as usize).min(grid.w - 1))
        .collect();
    let src_y: Vec<usize> = (0..ch)
        .map(|py| ((py as usize * grid.h) / ch as usize).min(grid.h - 1))
        .collect();
    let mut cells = Vec::with_capacity(grid.rows * grid.cols);
    let mut line = vec![0u8; cw as usize * 3];
    for r in 0..grid.rows {
        for c in 0..grid.cols {
            let rect = CellRect {
                x: left + sep + c as u32 * (cw + sep),
                y: grid_top + sep + r as u32 * (ch + sep),
                w: cw,
                h: ch,
            };
            cells.push(rect);
            let i = r * grid.cols + c;
            if i >= n {
                img.fill_rect(rect.x, rect.y, cw, ch, [255, 255, 255]);
                continue;
            }
            let im = grid.images.row(i);
            let mut last_sy = usize::MAX;
            for (py, &sy) in src_y.iter().enumerate() {
                if sy != last_sy {
                    for (px, &sx) in src_x.iter().enumerate() {
                        let col = grid.colormap.rgb(im[sy * grid.w + sx], scale);
                        line[px * 3..px * 3 + 3].copy_from_slice(&col);
                    }
                    last_sy = sy;
                }
                let start = ((rect.y as usize + py) * width as usize + rect.x as usize) * 3;
                img.rgb[start..start + line.len()].copy_from_slice(&line);
            }
        }
    }

    // Colour bar.
    let (cbar_lo, cbar_hi) = match grid.colormap {
        Colormap::BlueWhite => (0.0f32, scale),
        Colormap::RedWhiteBlue => (-scale, scale),
    };
    for px in 0..cbar_w {
        let v = cbar_lo + (cbar_hi - cbar_lo) * px as f32 / (cbar_w - 1).max(1) as f32;
        let col = grid.colormap.rgb(v, scale);
        for py in 0..cbar_h {
            img.set(left + px, cbar_y + py, col);
        }
    }
    // Thin frame around the bar.
    let frame = [120, 120, 120];
    for px in 0..cbar_w {
        img.set(left + px, cbar_y, frame);
        img.set(left + px, cbar_y + cbar_h - 1, frame);
    }
    for py in 0..cbar_h {
        img.set(left, cbar_y + py, frame);
        img.set(left + cbar_w - 1, cbar_y + py, frame);
    }

    // Text.
    {
        let size = (width, height);
        let root = BitMapBackend::with_buffer(&mut img.rgb, size).into_drawing_area();
        let text = || -> Result<(), String> {
            if !grid.title.is_empty() {
                let y = (pad + title_h / 2) as i32;
                draw_text_centered(
                    &root,
                    grid.title,
                    title_size,
                    width as i32 / 2,
                    y,
                    HPos::Center,
                )?;
            }
            for (c, l) in col_labels.iter().enumerate() {
                let cell = cells[c];
                let x = (cell.x + cell.w / 2) as i32;
                let y = (grid_top - col_h / 2) as i32;
                draw_text_centered(&root, l, col_size, x, y, HPos::Center)?;
            }
            for (r, l) in grid.row_labels.iter().enumerate() {
                let cell = cells[r * grid.cols];
                let y = (cell.y + cell.h / 2) as i32;
                draw_text_centered(&root, l, label_size, (left - 8) as i32, y, HPos::Right)?;
            }
            let ly = cbar_label_y as i32;
            let lo_txt = format_number(cbar_lo as f64);
            let hi_txt = format_number(cbar_hi as f64);
            draw_text_centered(&root, &lo_txt, cbar_size, left as i32, ly, HPos::Left)?;
            let right = (left + cbar_w) as i32;
            draw_text_centered(&root, &hi_txt, cbar_size, right, ly, HPos::Right)?;
            if grid.colormap == Colormap::RedWhiteBlue {
                let mid = (left + cbar_w / 2) as i32;
                draw_text_centered(&root, "0", cbar_size, mid, ly, HPos::Center)?;
            }
            root.present().map_err(s)
        };
        text().map_err(draw_err(path))?;
    }
    Ok(RenderedGrid {
        image: img,
        cells,
        scale,
    })
}
