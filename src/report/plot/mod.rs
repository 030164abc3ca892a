//! PNG plots: line charts, histograms and image grids.
//!
//! Everything is rendered with plotters' bitmap backend and the DejaVu Sans font that is
//! embedded in the binary (registered once with plotters' `ab_glyph` text backend under the
//! family name `"sans-serif"`), so plots render identically on machines without any system
//! fonts.
//!
//! A chart is a spec struct ([`LineChart`], [`LogScatter`], [`Histogram`], [`ImageGrid`]) with two ways out:
//! `save(path)` validates the input before touching the file system (bad input never leaves
//! a file behind), renders into an in-memory RGB buffer and writes the PNG; `render` returns
//! that buffer instead, which is handy for tests and for composing figures. One module per
//! chart kind (`line`, `scatter`, `histogram`, `grid`); `image` holds the raster, `text` the font and
//! the tick labels.

mod grid;
mod histogram;
mod image;
mod line;
mod scatter;
mod text;

pub use grid::{CellRect, Colormap, ImageGrid, RenderedGrid, FULL_BLUE, FULL_RED, NAN_COLOR};
pub use histogram::{Histogram, Marker};
pub use image::RgbImage;
pub use line::{LineChart, Series};
pub use scatter::{LogScatter, PointGroup};
pub use text::{ensure_fonts, format_number, linear_tick_label};
pub(crate) use text::{fonts_for, log_tick_label, text_style};

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// Font family used for every piece of text.
pub const FONT_FAMILY: &str = "sans-serif";

/// Pixel size of a saved [`LineChart`].
pub const LINE_CHART_SIZE: (u32, u32) = (900, 560);

/// Pixel size of a saved [`Histogram`].
pub const HISTOGRAM_SIZE: (u32, u32) = (800, 520);

/// Canvas side limit (guards against absurd allocations).
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

/// A chart of fixed layout drawn with plotters at any canvas size.
pub trait Figure {
    /// Pixel size of the saved PNG.
    const SIZE: (u32, u32);

    /// Render at `size` [px]; `path` only names the figure in errors.
    fn render_as(&self, path: &Path, size: (u32, u32)) -> Result<RgbImage, PlotError>;

    /// Render into memory at `size` [px].
    fn render(&self, size: (u32, u32)) -> Result<RgbImage, PlotError> {
        self.render_as(&memory_path(), size)
    }

    /// Render at [`Figure::SIZE`] and write the PNG to `path`.
    fn save(&self, path: &Path) -> Result<(), PlotError> {
        self.render_as(path, Self::SIZE)?.save_png(path)
    }
}

/// A white canvas of `size` (at least 200×150 px) on which `draw` paints a chart.
fn rasterize(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<RgbImage, PlotError> {
    check_canvas(path, size, (200, 150))?;
    fonts_for(path)?;
    let mut img = RgbImage::blank(size.0, size.1);
    {
        let root = BitMapBackend::with_buffer(&mut img.rgb, size).into_drawing_area();
        draw(&root).map_err(draw_err(path))?;
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

fn memory_path() -> PathBuf {
    PathBuf::from("<memory>")
}

pub(crate) fn draw_err(path: &Path) -> impl Fn(String) -> PlotError + '_ {
    move |cause| PlotError::Draw {
        path: path.to_path_buf(),
        cause,
    }
}

/// A chart builder on `area` with the margins of every framed chart and a y label area
/// `y_label_area` pixels wide.
pub(crate) fn framed<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
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

/// Fill `root` white, draw `title` centred in the top strip and return the area below it.
pub(crate) fn draw_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.fill(&WHITE).map_err(s)?;
    let (w, _) = root.dim_in_pixel();
    let (top, body) = root.split_vertically(TITLE_STRIP);
    text::draw_text_centered(
        &top,
        title,
        22.0,
        w as i32 / 2,
        TITLE_STRIP as i32 / 2 + 4,
        plotters::style::text_anchor::HPos::Center,
    )?;
    Ok(body)
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

/// The tick-label and grid styles every framed chart shares.
fn styled<'m, 'a, 'b, X, Y, DB>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB>
where
    X: Ranged,
    Y: Ranged,
    DB: DrawingBackend,
{
    mesh.label_style(text_style(TICK_FONT))
        .axis_desc_style(text_style(17.0))
        .light_line_style(LIGHT_GRID)
        .bold_line_style(BOLD_GRID)
        .y_label_offset(TICK_Y_OFFSET)
}

/// Tick labels of a linear axis spanning `range` ([`linear_tick_label`]).
fn linear_labels(range: &std::ops::Range<f64>) -> impl Fn(&f64) -> String {
    let span = range.end - range.start;
    let magnitude = range.start.abs().max(range.end.abs());
    move |v: &f64| linear_tick_label(*v, span, magnitude)
}

fn s<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
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
