//! Tests for `thermocad::report::plot`: PNG output, embedded-font text rendering, colormaps
//! and error handling.

use std::path::Path;

use ndarray::Array2;
use thermocad::report::plot::{
    Colormap, Figure, Histogram, ImageGrid, LineChart, Marker, PlotError, RgbImage, Series,
    FULL_BLUE, HISTOGRAM_SIZE, LINE_CHART_SIZE,
};

/// Check the PNG signature and IHDR chunk; return (width, height).
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(bytes.len() > 33, "{} too short", path.display());
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} lacks the PNG signature",
        path.display()
    );
    assert_eq!(&bytes[12..16], b"IHDR", "first chunk must be IHDR");
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!(bytes[24], 8, "bit depth");
    assert_eq!(bytes[25], 2, "colour type RGB");
    assert_eq!(&bytes[bytes.len() - 8..bytes.len() - 4], b"IEND");
    (w, h)
}

fn loss_curve(n: usize, offset: f64) -> Vec<(f64, f64)> {
    (0..n)
        .map(|i| {
            let t = i as f64;
            (t, offset + 2.0 * (-t / 30.0).exp() + 0.05 * (t * 0.7).sin())
        })
        .collect()
}

fn is_dark(p: [u8; 3]) -> bool {
    (p[0] as u32 + p[1] as u32 + p[2] as u32) < 3 * 110
}

/// Dark pixels in the rectangle `[x0, x1) x [y0, y1)`.
fn dark_pixels(img: &RgbImage, x0: u32, x1: u32, y0: u32, y1: u32) -> usize {
    let mut n = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            if is_dark(img.pixel(x, y)) {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn line_chart_writes_png() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loss.png");
    let a = loss_curve(200, 0.1);
    let b = loss_curve(200, 0.3);
    let series = [
        Series {
            label: "train",
            points: &a,
        },
        Series {
            label: "test",
            points: &b,
        },
    ];
    LineChart {
        title: "Loss",
        x_label: "trajectory",
        y_label: "loss",
        series: &series,
        log_y: true,
    }
    .save(&path)
    .unwrap();
    assert_eq!(png_size(&path), LINE_CHART_SIZE);
}

#[test]
fn text_really_renders_with_embedded_font() {
    let size = LINE_CHART_SIZE;
    let pts = loss_curve(100, 0.5);
    let series = [Series {
        label: "loss",
        points: &pts,
    }];
    let with = LineChart {
        title: "Training loss",
        x_label: "trajectory index",
        y_label: "loss value",
        series: &series,
        log_y: false,
    }
    .render(size)
    .unwrap();
    let without = LineChart {
        title: "",
        x_label: "",
        y_label: "",
        series: &series,
        log_y: false,
    }
    .render(size)
    .unwrap();
    assert_eq!(with.rgb.len(), (size.0 * size.1 * 3) as usize);
    assert_ne!(with.rgb, without.rgb);
    let (w, h) = size;

    // x label: centred in the bottom margin, below the tick numbers.
    let xl_with = dark_pixels(&with, w / 4, 3 * w / 4, h - 30, h);
    let xl_without = dark_pixels(&without, w / 4, 3 * w / 4, h - 30, h);
    assert!(
        xl_with >= 60 && xl_without <= 5,
        "x label region: {xl_with} dark pixels with label, {xl_without} without"
    );

    // y label: rotated text near the left edge.
    let yl_with = dark_pixels(&with, 0, 40, h / 4, 3 * h / 4);
    let yl_without = dark_pixels(&without, 0, 40, h / 4, 3 * h / 4);
    assert!(
        yl_with >= 60 && yl_without <= 5,
        "y label region: {yl_with} dark pixels with label, {yl_without} without"
    );

    // title: top strip.
    let t_with = dark_pixels(&with, w / 4, 3 * w / 4, 0, 40);
    let t_without = dark_pixels(&without, w / 4, 3 * w / 4, 0, 40);
    assert!(
        t_with >= 60 && t_without <= 5,
        "title region: {t_with} dark pixels with title, {t_without} without"
    );

    // Tick numbers are text too: both renders have them just below the plot area.
    let ticks = dark_pixels(&without, 100, w - 30, h - 60, h - 30);
    assert!(ticks >= 40, "tick labels: only {ticks} dark pixels");
}

#[test]
fn line_chart_skips_non_finite_and_non_positive_points() {
    let pts = vec![
        (0.0, 1.0),
        (1.0, f64::NAN),
        (2.0, 0.5),
        (f64::INFINITY, 0.3),
        (3.0, 0.0),
        (4.0, -1.0),
        (5.0, 0.1),
    ];
    let series = [Series {
        label: "x",
        points: &pts,
    }];
    LineChart {
        title: "t",
        x_label: "x",
        y_label: "y",
        series: &series,
        log_y: true,
    }
    .render(LINE_CHART_SIZE)
    .unwrap();
    LineChart {
        title: "t",
        x_label: "x",
        y_label: "y",
        series: &series,
        log_y: false,
    }
    .render(LINE_CHART_SIZE)
    .unwrap();
    // A single point and a constant series must not panic either.
    let one = [(3.0, 2.0)];
    let series = [Series {
        label: "one",
        points: &one,
    }];
    LineChart {
        title: "t",
        x_label: "x",
        y_label: "y",
        series: &series,
        log_y: false,
    }
    .render(LINE_CHART_SIZE)
    .unwrap();
    LineChart {
        title: "t",
        x_label: "x",
        y_label: "y",
        series: &series,
        log_y: true,
    }
    .render(LINE_CHART_SIZE)
    .unwrap();
}

#[test]
fn line_chart_empty_data_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.png");
    let err = LineChart {
        title: "t",
        x_label: "x",
        y_label: "y",
        series: &[],
        log_y: false,
    }
    .save(&path)
    .unwrap_err();
    assert!(matches!(err, PlotError::EmptyData { .. }), "{err}");
    assert!(!path.exists(), "no file may be written for bad input");

    let empty: [(f64, f64); 0] = [];
    let nan = [(f64::NAN, 1.0), (1.0, f64::INFINITY)];
    let negative = [(0.0, -1.0), (1.0, 0.0)];
    for (pts, log) in [
        (&empty[..], false),
        (&nan[..], false),
        (&negative[..], true),
    ] {
        let series = [Series {
            label: "s",
            points: pts,
        }];
        let err = LineChart {
            title: "t",
            x_label: "x",
            y_label: "y",
            series: &series,
            log_y: log,
        }
        .save(&path)
        .unwrap_err();
        assert!(matches!(err, PlotError::EmptyData { .. }), "{err}");
        assert!(err.to_string().contains("empty.png"), "{err}");
    }
    assert!(!path.exists());
}

#[test]
fn unwritable_path_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no_such_dir").join("chart.png");
    let pts = loss_curve(10, 0.0);
    let series = [Series {
        label: "s",
        points: &pts,
    }];
    let err = LineChart {
        title: "t",
        x_label: "x",
        y_label: "y",
        series: &series,
        log_y: false,
    }
    .save(&path)
    .unwrap_err();
    assert!(matches!(err, PlotError::Write { .. }), "{err:?}");
    assert_eq!(err.path(), path.as_path());
    let msg = err.to_string();
    assert!(msg.contains(&*path.to_string_lossy()), "{msg}");

    let err = Histogram {
        title: "t",
        x_label: "x",
        values: &[1.0, 2.0],
        bins: 4,
        markers: &[],
    }
    .save(&path)
    .unwrap_err();
    assert!(err.to_string().contains("no_such_dir"), "{err}");
}

#[test]
fn histogram_writes_png_and_draws_bars_and_markers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hist.png");
    let values: Vec<f64> = (0..1000)
        .map(|i| ((i as f64 * 0.61803).fract() - 0.5) + ((i as f64 * 0.414).fract() - 0.5))
        .collect();
    Histogram {
        title: "Energies",
        x_label: "energy",
        values: &values,
        bins: 30,
        markers: &[],
    }
    .save(&path)
    .unwrap();
    assert_eq!(png_size(&path), HISTOGRAM_SIZE);

    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let path2 = dir.path().join("hist_mean.png");
    let markers = [Marker {
        label: "mean",
        x: mean,
    }];
    Histogram {
        title: "Energies",
        x_label: "energy",
        values: &values,
        bins: 30,
        markers: &markers,
    }
    .save(&path2)
    .unwrap();
    assert_eq!(png_size(&path2), HISTOGRAM_SIZE);

    let plain = Histogram {
        title: "E",
        x_label: "energy",
        values: &values,
        bins: 30,
        markers: &[],
    }
    .render(HISTOGRAM_SIZE)
    .unwrap();
    let marked = Histogram {
        title: "E",
        x_label: "energy",
        values: &values,
        bins: 30,
        markers: &markers,
    }
    .render(HISTOGRAM_SIZE)
    .unwrap();
    let count = |img: &RgbImage, pred: &dyn Fn([u8; 3]) -> bool| {
        img.rgb
            .chunks_exact(3)
            .filter(|p| pred([p[0], p[1], p[2]]))
            .count()
    };
    let bar_blue = |p: [u8; 3]| p == [70, 130, 180];
    let marker_red = |p: [u8; 3]| p[0] > 180 && p[1] < 80 && p[2] < 80;
    assert!(count(&plain, &bar_blue) > 10_000, "bars missing");
    assert!(count(&plain, &marker_red) < 10);
    assert!(count(&marked, &marker_red) > 300, "marker line missing");
    // x label text below the axis.
    let (w, h) = HISTOGRAM_SIZE;
    assert!(dark_pixels(&plain, w / 4, 3 * w / 4, h - 30, h) >= 40);
}

#[test]
fn histogram_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.png");
    let err = Histogram {
        title: "t",
        x_label: "x",
        values: &[],
        bins: 10,
        markers: &[],
    }
    .save(&path)
    .unwrap_err();
    assert!(matches!(err, PlotError::EmptyData { .. }), "{err}");
    let err = Histogram {
        title: "t",
        x_label: "x",
        values: &[f64::NAN],
        bins: 10,
        markers: &[],
    }
    .save(&path)
    .unwrap_err();
    assert!(matches!(err, PlotError::EmptyData { .. }), "{err}");
    let err = Histogram {
        title: "t",
        x_label: "x",
        values: &[1.0],
        bins: 0,
        markers: &[],
    }
    .save(&path)
    .unwrap_err();
    assert!(matches!(err, PlotError::InvalidInput { .. }), "{err}");
    assert!(!path.exists());
    // Degenerate (all equal) data is fine.
    Histogram {
        title: "t",
        x_label: "x",
        values: &[2.0; 5],
        bins: 10,
        markers: &[],
    }
    .save(&path)
    .unwrap();
    assert!(path.exists());
}

#[test]
fn colormap_values() {
    let s = 0.8;
    assert_eq!(Colormap::BlueWhite.rgb(0.0, s), [255, 255, 255]);
    assert_eq!(Colormap::BlueWhite.rgb(-0.5, s), [255, 255, 255]);
    let b = Colormap::BlueWhite.rgb(s, s);
    assert!(b[2] >= 200 && b[0] <= 40 && b[1] <= 80, "{b:?}");
    assert_eq!(b, FULL_BLUE);
    assert_eq!(Colormap::BlueWhite.rgb(10.0, s), b, "saturates");
    let half = Colormap::BlueWhite.rgb(0.4, s);
    assert!(
        half[0] > b[0] && half[0] < 255 && half[2] >= b[2],
        "{half:?}"
    );

    assert_eq!(Colormap::RedWhiteBlue.rgb(0.0, s), [255, 255, 255]);
    let r = Colormap::RedWhiteBlue.rgb(-s, s);
    assert!(r[0] >= 200 && r[1] <= 40 && r[2] <= 40, "{r:?}");
    let bl = Colormap::RedWhiteBlue.rgb(s, s);
    assert!(bl[2] >= 200 && bl[0] <= 40, "{bl:?}");
    // Positive side matches BlueWhite; negative side is a pale red at a quarter scale.
    assert_eq!(
        Colormap::RedWhiteBlue.rgb(0.2, s),
        Colormap::BlueWhite.rgb(0.2, s)
    );
    let rp = Colormap::RedWhiteBlue.rgb(-0.2, s);
    assert!(
        rp[0] > 240 && rp[1] < 215 && rp[1] > 180 && rp[1] == rp[2],
        "{rp:?}"
    );
}

fn blobs(n: usize, h: usize, w: usize, signed: bool) -> Array2<f32> {
    Array2::from_shape_fn((n, h * w), |(k, p)| {
        let (y, x) = ((p / w) as f32, (p % w) as f32);
        let cy = (k * 7 % h) as f32;
        let cx = (k * 5 % w) as f32;
        let r2 = (y - cy).powi(2) + (x - cx).powi(2);
        let v = (-r2 / (2.0 + (k % 3) as f32 * 3.0)).exp();
        if signed && k % 2 == 1 {
            -v
        } else {
            v
        }
    })
}

#[test]
fn image_grid_writes_png_and_maps_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.png");
    // 3 images in a 2x2 grid; image 0 is constant 1.0, image 1 constant 0.5.
    let mut images = Array2::<f32>::zeros((3, 12));
    images.row_mut(0).fill(1.0);
    images.row_mut(1).fill(0.5);
    images[[2, 0]] = -1.0; // top-left pixel of image 2 (3x4)
    let grid = ImageGrid {
        images: images.view(),
        h: 3,
        w: 4,
        rows: 2,
        cols: 2,
        colormap: Colormap::RedWhiteBlue,
        scale: Some(1.0),
        title: "Grid",
        row_labels: vec!["a".into(), "b".into()],
        col_labels: vec!["c0".into(), "c1".into()],
        cell_px: 40,
    };
    grid.save(&path).unwrap();
    let r = grid.render().unwrap();
    assert_eq!(png_size(&path), (r.image.width, r.image.height));
    assert_eq!(r.cells.len(), 4);
    let centre = |i: usize| {
        let c = r.cells[i];
        r.image.pixel(c.x + c.w / 2, c.y + c.h / 2)
    };
    assert_eq!(r.cells[0].w, 40);
    assert_eq!(r.cells[0].h, 30);
    assert_eq!(centre(0), Colormap::RedWhiteBlue.rgb(1.0, 1.0));
    assert_eq!(centre(1), Colormap::RedWhiteBlue.rgb(0.5, 1.0));
    assert_eq!(centre(3), [255, 255, 255], "cell beyond n is blank");
    // Nearest-neighbour: the 10x10 top-left block of cell 2 is the red source pixel.
    let c2 = r.cells[2];
    for dy in 0..10 {
        for dx in 0..10 {
            assert_eq!(r.image.pixel(c2.x + dx, c2.y + dy), [214, 24, 24]);
        }
    }
    assert_eq!(r.image.pixel(c2.x + 10, c2.y), [255, 255, 255]);
    // Grey separator between cells 0 and 1.
    let sep = r.image.pixel(r.cells[0].x + r.cells[0].w, r.cells[0].y + 5);
    assert!(sep[0] == sep[1] && sep[1] == sep[2] && sep[0] < 230 && sep[0] > 100);
    // Row labels are drawn to the left of the grid.
    let left = r.cells[0].x;
    assert!(dark_pixels(&r.image, 0, left - 2, r.cells[0].y, r.cells[2].y + 30) >= 10);
}

#[test]
fn image_grid_auto_scale_is_robust() {
    // 1000 values of 1.0 plus one outlier of 100: the 99th percentile ignores the outlier.
    let mut images = Array2::<f32>::ones((10, 100));
    images[[0, 0]] = 100.0;
    let grid = ImageGrid {
        images: images.view(),
        h: 10,
        w: 10,
        rows: 2,
        cols: 5,
        colormap: Colormap::BlueWhite,
        scale: None,
        title: "",
        row_labels: vec![],
        col_labels: vec![],
        cell_px: 20,
    };
    let r = grid.render().unwrap();
    assert!((r.scale - 1.0).abs() < 1e-6, "scale {}", r.scale);
    let c = r.cells[3];
    assert_eq!(r.image.pixel(c.x + 5, c.y + 5), FULL_BLUE);
}

#[test]
fn image_grid_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.png");
    let images = Array2::<f32>::zeros((4, 16));
    let mk = |h: usize, w: usize, rows: usize, cols: usize| ImageGrid {
        images: images.view(),
        h,
        w,
        rows,
        cols,
        colormap: Colormap::BlueWhite,
        scale: None,
        title: "t",
        row_labels: vec![],
        col_labels: vec![],
        cell_px: 16,
    };
    for g in [
        mk(4, 5, 2, 2),
        mk(3, 3, 2, 2),
        mk(4, 4, 0, 2),
        mk(4, 4, 2, 0),
    ] {
        let err = g.save(&path).unwrap_err();
        assert!(matches!(err, PlotError::InvalidInput { .. }), "{err}");
        assert!(err.to_string().contains("g.png"), "{err}");
    }
    let mut g = mk(4, 4, 2, 2);
    g.row_labels = vec!["only one".into()];
    assert!(g.save(&path).is_err());
    let mut g = mk(4, 4, 2, 2);
    g.scale = Some(0.0);
    assert!(g.save(&path).is_err());
    let mut g = mk(4, 4, 2, 2);
    g.cell_px = u32::MAX;
    assert!(matches!(g.save(&path), Err(PlotError::InvalidInput { .. })));
    let mut g = mk(4, 4, 2, 2);
    g.cell_px = 0;
    assert!(g.save(&path).is_err());
    assert!(!path.exists());
    // All-zero images with auto scale still render.
    mk(4, 4, 2, 2).save(&path).unwrap();
    png_size(&path);
}

/// Writes sample PNGs for visual inspection: `PLOTCHECK_DIR=/tmp/plotcheck cargo test
/// --release --test plot -- --ignored`.
#[test]
#[ignore]
fn write_samples() {
    let dir = std::env::var("PLOTCHECK_DIR").unwrap_or_else(|_| "/tmp/plotcheck".into());
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).unwrap();
    let a = loss_curve(300, 0.02);
    let b = loss_curve(300, 0.2);
    let series = [
        Series {
            label: "train",
            points: &a,
        },
        Series {
            label: "held-out",
            points: &b,
        },
    ];
    LineChart {
        title: "Score-matching loss vs trajectory",
        x_label: "trajectory",
        y_label: "loss",
        series: &series,
        log_y: true,
    }
    .save(&dir.join("line_log.png"))
    .unwrap();
    LineChart {
        title: "Loss (linear)",
        x_label: "trajectory",
        y_label: "loss",
        series: &series[..1],
        log_y: false,
    }
    .save(&dir.join("line_lin.png"))
    .unwrap();

    let pos = blobs(25, 28, 28, false);
    ImageGrid {
        images: pos.view(),
        h: 28,
        w: 28,
        rows: 5,
        cols: 5,
        colormap: Colormap::BlueWhite,
        scale: None,
        title: "Generated samples",
        row_labels: vec![],
        col_labels: vec![],
        cell_px: 84,
    }
    .save(&dir.join("grid_bluewhite.png"))
    .unwrap();

    let signed = blobs(14, 16, 16, true);
    ImageGrid {
        images: signed.view(),
        h: 16,
        w: 16,
        rows: 4,
        cols: 4,
        colormap: Colormap::RedWhiteBlue,
        scale: None,
        title: "Couplings J (diverging)",
        row_labels: (0..4).map(|r| format!("layer {r}")).collect(),
        col_labels: (0..4).map(|c| format!("t={c}")).collect(),
        cell_px: 84,
    }
    .save(&dir.join("grid_rwb.png"))
    .unwrap();

    let values: Vec<f64> = (0..5000)
        .map(|i| {
            (0..6)
                .map(|k| ((i * 6 + k) as f64 * 0.754877666).fract())
                .sum::<f64>()
                - 3.0
        })
        .collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    Histogram {
        title: "Energy distribution",
        x_label: "energy",
        values: &values,
        bins: 40,
        markers: &[Marker {
            label: "mean",
            x: mean,
        }],
    }
    .save(&dir.join("histogram.png"))
    .unwrap();
    Histogram {
        title: "Plain",
        x_label: "x",
        values: &values,
        bins: 25,
        markers: &[],
    }
    .save(&dir.join("histogram_plain.png"))
    .unwrap();
    // Edge cases: non-square images, long column labels, curves with gaps.
    let wide = blobs(5, 10, 20, true);
    ImageGrid {
        images: wide.view(),
        h: 10,
        w: 20,
        rows: 3,
        cols: 2,
        colormap: Colormap::RedWhiteBlue,
        scale: Some(1.0),
        title: "Non-square 10x20",
        row_labels: vec!["r0".into(), "r1".into(), "r2".into()],
        col_labels: vec!["temperature 0.5".into(), "temperature 2.0".into()],
        cell_px: 60,
    }
    .save(&dir.join("grid_nonsquare.png"))
    .unwrap();
    let gaps: Vec<Vec<(f64, f64)>> = (0..3)
        .map(|k| {
            (0..120)
                .map(|i| {
                    let x = i as f64 * 0.01;
                    let y = (x * 6.0 + k as f64).sin() * (k + 1) as f64 * 1e-3;
                    (x, if i % 40 == 20 { f64::NAN } else { y })
                })
                .collect()
        })
        .collect();
    let labels = ["k=0", "k=1", "k=2"];
    let gap_series: Vec<Series> = gaps
        .iter()
        .zip(labels)
        .map(|(p, l)| Series {
            label: l,
            points: p,
        })
        .collect();
    LineChart {
        title: "Curves with NaN gaps",
        x_label: "time (s)",
        y_label: "current (A)",
        series: &gap_series,
        log_y: false,
    }
    .save(&dir.join("line_gaps.png"))
    .unwrap();
    for f in [
        "grid_nonsquare.png",
        "line_gaps.png",
        "line_log.png",
        "line_lin.png",
        "grid_bluewhite.png",
        "grid_rwb.png",
        "histogram.png",
        "histogram_plain.png",
    ] {
        png_size(&dir.join(f));
    }
}

#[test]
fn tick_and_number_formatting() {
    use thermocad::report::plot::{format_number, linear_tick_label};
    assert_eq!(linear_tick_label(50.0, 300.0, 300.0), "50");
    assert_eq!(linear_tick_label(0.1 + 0.2, 1.0, 1.0), "0.3");
    assert_eq!(linear_tick_label(0.25, 2.5, 2.5), "0.25");
    assert_eq!(linear_tick_label(-1e-17, 2.0, 1.0), "0");
    assert_eq!(linear_tick_label(1.5e6, 1e6, 2e6), "1.5e6");
    assert_eq!(linear_tick_label(2e-4, 1e-3, 1e-3 * 0.9), "2e-4");
    assert_eq!(format_number(0.8190001), "0.819");
    assert_eq!(format_number(-0.5), "-0.5");
    assert_eq!(format_number(12.0), "12");
    assert_eq!(format_number(1.5e-5), "1.5e-5");
}
