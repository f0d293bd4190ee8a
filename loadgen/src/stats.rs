//! Summaries of a run: percentiles and the per-second series.

/// Percentiles of a sample, in milliseconds.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Percentiles {
    /// Sample size.
    pub count: usize,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

/// Nearest-rank percentile `q` (0..=100) of sorted values.
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl Percentiles {
    /// Summarises `values` (any order).
    pub fn of(mut values: Vec<f64>) -> Self {
        values.sort_by(f64::total_cmp);
        Percentiles {
            count: values.len(),
            p50: nearest_rank(&values, 50.0),
            p90: nearest_rank(&values, 90.0),
            p99: nearest_rank(&values, 99.0),
            max: values.last().copied().unwrap_or(0.0),
        }
    }
}

/// One second of a run (seconds since the load started).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Second {
    /// Second since the start.
    pub t: u64,
    /// Transactions seen committed in this second.
    pub txs: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Median submit → committed latency of those txs, ms.
    pub latency_p50_ms: f64,
    /// 99th percentile of the same, ms.
    pub latency_p99_ms: f64,
}

/// Builds the per-second series from `(second, tx bytes, latency ms)` of each
/// committed tx, over `seconds` seconds.
pub fn series(commits: &[(u64, u64, f64)], seconds: u64) -> Vec<Second> {
    let mut buckets: Vec<(u64, u64, Vec<f64>)> = vec![(0, 0, Vec::new()); seconds as usize];
    for &(second, bytes, latency) in commits {
        if let Some(bucket) = buckets.get_mut(second as usize) {
            bucket.0 += 1;
            bucket.1 += bytes;
            bucket.2.push(latency);
        }
    }
    buckets
        .into_iter()
        .enumerate()
        .map(|(t, (txs, bytes, latencies))| {
            let p = Percentiles::of(latencies);
            Second {
                t: t as u64,
                txs,
                bytes,
                latency_p50_ms: p.p50,
                latency_p99_ms: p.p99,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let p = Percentiles::of((1..=100).rev().map(f64::from).collect());
        assert_eq!(
            (p.count, p.p50, p.p90, p.p99, p.max),
            (100, 50.0, 90.0, 99.0, 100.0)
        );
        let one = Percentiles::of(vec![7.0]);
        assert_eq!((one.p50, one.p99), (7.0, 7.0));
        assert_eq!(Percentiles::of(vec![]).count, 0);
    }

    #[test]
    fn series_buckets_by_second() {
        let s = series(&[(0, 10, 5.0), (0, 20, 7.0), (2, 5, 1.0), (9, 1, 1.0)], 3);
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].txs, s[0].bytes, s[0].latency_p50_ms), (2, 30, 5.0));
        assert_eq!(s[1].txs, 0);
        assert_eq!(s[2].bytes, 5);
    }
}
