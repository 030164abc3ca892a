//! The RGB raster every chart renders into, and PNG output.

use super::PlotError;
use plotters::prelude::*;
use std::path::Path;

/// An RGB (3 bytes per pixel, row-major) image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbImage {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl RgbImage {
    pub(crate) fn blank(width: u32, height: u32) -> Self {
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

    pub(crate) fn set(&mut self, x: u32, y: u32, c: [u8; 3]) {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        self.rgb[i..i + 3].copy_from_slice(&c);
    }

    pub(crate) fn fill_rect(&mut self, x: u32, y: u32, w: u32, h: u32, c: [u8; 3]) {
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
