use ndarray::{s, Array2};
use std::time::Instant;
use thermocad::linalg::{gemm, Parallelism};
fn pseudo(shape: (usize, usize), k: usize) -> Array2<f32> {
    Array2::from_shape_fn(shape, |(i, j)| {
        (((i * 31 + j * 17 + k) % 97) as f32 / 97.0 - 0.5) * 0.1
    })
}
fn best(mut f: impl FnMut()) -> f64 {
    f();
    (0..20)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..10 {
                f();
            }
            t.elapsed().as_secs_f64() / 10.0
        })
        .fold(f64::INFINITY, f64::min)
}
fn main() {
    let seq = Parallelism::SEQUENTIAL;
    let j = pseudo((1296, 1296), 1);
    for rows in [50usize, 100, 500] {
        let x = pseudo((rows, 1296), 2);
        let mut oh = Array2::<f32>::zeros((rows, 512));
        let mut ov = Array2::<f32>::zeros((rows, 784));
        let jh = j.slice(s![.., 784..]).to_owned();
        let jv = j.slice(s![784.., ..784]).to_owned();
        let jht = jh.t().as_standard_layout().to_owned(); // [512 x 1296]
        let jvt = jv.t().as_standard_layout().to_owned();
        let strided = best(|| {
            gemm(
                oh.view_mut(),
                false,
                x.view(),
                j.slice(s![.., 784..]),
                1.0,
                seq,
            );
            gemm(
                ov.view_mut(),
                false,
                x.slice(s![.., 784..]),
                j.slice(s![784.., ..784]),
                1.0,
                seq,
            );
        });
        let contig = best(|| {
            gemm(oh.view_mut(), false, x.view(), jh.view(), 1.0, seq);
            gemm(
                ov.view_mut(),
                false,
                x.slice(s![.., 784..]),
                jv.view(),
                1.0,
                seq,
            );
        });
        let transposed = best(|| {
            gemm(oh.view_mut(), false, x.view(), jht.t(), 1.0, seq);
            gemm(
                ov.view_mut(),
                false,
                x.slice(s![.., 784..]),
                jvt.t(),
                1.0,
                seq,
            );
        });
        let flops = 2.0 * rows as f64 * (1296.0 * 512.0 + 512.0 * 784.0);
        println!(
            "rows {rows}: strided {:.1} contiguous {:.1} transposed {:.1} GFLOP/s",
            flops / strided / 1e9,
            flops / contig / 1e9,
            flops / transposed / 1e9
        );
    }
}
