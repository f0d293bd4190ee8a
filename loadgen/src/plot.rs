//! PNG plots of a run: throughput and latency over time.

use crate::run::RunResult;
use anyhow::{bail, Context};
use plotters::coord::types::{RangedCoordf64, RangedCoordu64};
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

/// Where fonts are looked for (Debian's `fonts-dejavu-core`).
const FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
];

/// Registers a TrueType font as plotters' "sans-serif", once.
fn register_font() -> anyhow::Result<()> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            let Some(bytes) = FONT_PATHS.iter().find_map(|p| std::fs::read(p).ok()) else {
                return Err(format!(
                    "no font found (looked for {}): install fonts-dejavu-core",
                    FONT_PATHS.join(", ")
                ));
            };
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
                .map_err(|_| "the font file is not a usable TrueType font".to_string())
        })
        .clone()
        .map_err(anyhow::Error::msg)
}

/// Grey vertical lines at the measured window's start and end.
fn mark_window<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordu64, RangedCoordf64>>,
    window: [u64; 2],
    top: f64,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    for t in window {
        chart
            .draw_series(LineSeries::new([(t, 0.0), (t, top)], BLACK.mix(0.3)))
            .map_err(|e| anyhow::anyhow!("window: {e}"))?;
    }
    Ok(())
}

/// Draws `result`'s per-second series into `path` (PNG, 1000×640): committed
/// tx/s and MB/s on top, p50/p99 submit → commit latency below; the
/// measured window is between the two grey lines.
pub fn draw(result: &RunResult, path: &Path) -> anyhow::Result<()> {
    register_font()?;
    if result.series.is_empty() {
        bail!("{}: no series to plot", result.name);
    }
    let root = BitMapBackend::new(path, (1000, 640)).into_drawing_area();
    root.fill(&WHITE).context("drawing")?;
    let (top, bottom) = root.split_vertically(330);
    let secs = result.series.len() as u64;
    let window = [
        result.warmup_secs,
        result.warmup_secs + result.duration_secs,
    ];

    let tx_max = result
        .series
        .iter()
        .map(|s| s.txs)
        .max()
        .unwrap_or(1)
        .max(1) as f64
        * 1.15;
    let mb_max = result
        .series
        .iter()
        .map(|s| s.bytes as f64 / 1e6)
        .fold(0.0, f64::max)
        .max(0.001)
        * 1.15;
    let mut chart = ChartBuilder::on(&top)
        .caption(
            format!(
                "{}: {:.0} tx/s, {:.2} MB/s in the window",
                result.name, result.tx_per_sec, result.mb_per_sec
            ),
            ("sans-serif", 20),
        )
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .right_y_label_area_size(60)
        .build_cartesian_2d(0u64..secs, 0f64..tx_max)
        .context("chart")?
        .set_secondary_coord(0u64..secs, 0f64..mb_max);
    chart
        .configure_mesh()
        .x_desc("seconds since the load started")
        .y_desc("committed tx/s")
        .draw()
        .context("mesh")?;
    chart
        .configure_secondary_axes()
        .y_desc("committed MB/s")
        .draw()
        .context("axes")?;
    chart
        .draw_series(LineSeries::new(
            result.series.iter().map(|s| (s.t, s.txs as f64)),
            BLUE.stroke_width(2),
        ))
        .context("series")?
        .label("tx/s")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE));
    chart
        .draw_secondary_series(LineSeries::new(
            result.series.iter().map(|s| (s.t, s.bytes as f64 / 1e6)),
            RED.stroke_width(2),
        ))
        .context("series")?
        .label("MB/s")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED));
    mark_window(&mut chart, window, tx_max)?;
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .context("legend")?;

    let latency_max = result
        .series
        .iter()
        .map(|s| s.latency_p99_ms)
        .fold(0.0, f64::max)
        .max(1.0)
        * 1.15;
    let mut chart = ChartBuilder::on(&bottom)
        .caption(
            format!(
                "submit → committed latency: p50 {:.0} ms, p99 {:.0} ms in the window",
                result.latency_ms.commit.p50, result.latency_ms.commit.p99
            ),
            ("sans-serif", 18),
        )
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .right_y_label_area_size(60)
        .build_cartesian_2d(0u64..secs, 0f64..latency_max)
        .context("chart")?;
    chart
        .configure_mesh()
        .x_desc("seconds since the load started")
        .y_desc("ms")
        .draw()
        .context("mesh")?;
    let with_commits = || result.series.iter().filter(|s| s.txs > 0);
    chart
        .draw_series(LineSeries::new(
            with_commits().map(|s| (s.t, s.latency_p50_ms)),
            GREEN.stroke_width(2),
        ))
        .context("series")?
        .label("p50")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], GREEN));
    chart
        .draw_series(LineSeries::new(
            with_commits().map(|s| (s.t, s.latency_p99_ms)),
            MAGENTA.stroke_width(2),
        ))
        .context("series")?
        .label("p99")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], MAGENTA));
    mark_window(&mut chart, window, latency_max)?;
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .context("legend")?;
    root.present()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
