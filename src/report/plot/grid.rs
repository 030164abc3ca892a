//! Image grids (e.g. generated digits, receptive fields) with row/column labels and a colour
//! bar, rasterised pixel by pixel (nearest neighbour) and labelled with plotters.

use super::text::{draw_text_centered, fit_text, text_width};
use super::{
    draw_err, fonts_for, format_number, memory_path, s, PlotError, RgbImage, MAX_CANVAS_SIDE,
};
use ndarray::ArrayView2;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;
use std::path::Path;

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

impl ImageGrid<'_> {
    /// Render the grid to `path` as PNG. Errors if `rows*cols == 0`, `h*w !=
    /// images.ncols()`, label counts do not match, or the scale is not positive.
    pub fn save(&self, path: &Path) -> Result<(), PlotError> {
        render_grid(path, self)?.image.save_png(path)
    }

    /// The grid rendered into memory (the canvas size follows from the grid).
    pub fn render(&self) -> Result<RenderedGrid, PlotError> {
        render_grid(&memory_path(), self)
    }
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
    let widest = |labels: &[String], size: f64| {
        labels
            .iter()
            .map(|l| text_width(l, size))
            .max()
            .unwrap_or(0)
    };
    let widest_col = widest(&grid.col_labels, col_size);
    if widest_col + 4 > cw {
        col_size = (col_size * (cw.saturating_sub(4)) as f64 / widest_col as f64).max(9.0);
    }
    // Labels that still do not fit are shortened with an ellipsis rather than overlapping.
    let col_labels: Vec<String> = grid
        .col_labels
        .iter()
        .map(|l| fit_text(l, col_size, cw.saturating_sub(2)))
        .collect();
    let row_w = widest(&grid.row_labels, label_size);
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
