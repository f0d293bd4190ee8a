//! `quire-loadgen report`: the results of a set of runs as one markdown
//! report — Quire next to kvstore, the targets, every run, and a plot each.

use crate::run::RunResult;
use crate::workload::App;
use anyhow::Context;
use std::fmt::Write as _;
use std::path::PathBuf;

/// `quire-loadgen report`
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Directory of the runs' JSON results.
    #[arg(long)]
    pub results: PathBuf,
    /// The markdown report to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Directory for the PNG plots (linked relative to the report).
    #[arg(long)]
    pub plots: PathBuf,
    /// A line of context for the header, `KEY=VALUE` (date, command,
    /// commit...). Repeatable.
    #[arg(long = "context", value_parser = parse_context)]
    pub context: Vec<(String, String)>,
}

fn parse_context(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("{text:?}: expected KEY=VALUE"))
}

/// A one-line summary of a run.
pub fn one_line(r: &RunResult) -> String {
    format!(
        "{}: {:.0} tx/s, {:.2} MB/s (blobs {:.2} MB/s), commit latency p50 {:.0} ms p99 {:.0} ms, \
         {} blocks (interval p50 {:.0} ms), {} rejected",
        r.name,
        r.tx_per_sec,
        r.mb_per_sec,
        r.blob_mb_per_sec,
        r.latency_ms.commit.p50,
        r.latency_ms.commit.p99,
        r.blocks.count,
        r.blocks.interval_ms.p50,
        r.rejected.values().sum::<u64>()
    )
}

fn load(args: &ReportArgs) -> anyhow::Result<Vec<RunResult>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&args.results)
        .with_context(|| format!("cannot read {}", args.results.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a loadgen result", path.display()))
        })
        .collect()
}

/// The kvstore run measured with the same validators and tx shape.
fn baseline<'a>(runs: &'a [RunResult], quire: &RunResult) -> Option<&'a RunResult> {
    runs.iter().find(|r| {
        r.app == App::Kvstore
            && r.rate == quire.rate
            && r.validators == quire.validators
            && r.shape.blob_size == quire.shape.blob_size
            && r.shape.blobs_per_tx == quire.shape.blobs_per_tx
    })
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1_000_000 && b % 1_000_000 == 0 => format!("{} MB", b / 1_000_000),
        b if b >= 1_000 && b % 1_000 == 0 => format!("{} KB", b / 1_000),
        b => format!("{b} B"),
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**missed**"
    }
}

fn process_sum(r: &RunResult, prefix: &str) -> (f64, f64) {
    let matching = r.processes.iter().filter(|p| p.name.starts_with(prefix));
    matching.fold((0.0, 0.0), |(cpu, rss), p| {
        (cpu + p.cpu_percent, rss.max(p.rss_max_mib))
    })
}

/// Writes the report and the plots.
pub fn write(args: &ReportArgs) -> anyhow::Result<()> {
    let runs = load(args)?;
    std::fs::create_dir_all(&args.plots)
        .with_context(|| format!("cannot create {}", args.plots.display()))?;
    let mut md = String::new();
    writeln!(md, "# Quire benchmark report\n")?;
    writeln!(
        md,
        "Written by `quire-loadgen report` from {} runs. MB = 10^6 bytes. \
         Latencies are from broadcast (`broadcast_tx_sync` sent) to the block \
         seen committed on node 0's RPC (polled every 20 ms), and to the blob \
         served by node 0's read API (gRPC, 2 sampled txs per block).\n",
        runs.len()
    )?;
    writeln!(md, "| | |\n|---|---|")?;
    for (key, value) in &args.context {
        writeln!(md, "| {key} | {value} |")?;
    }
    for (key, value) in machine() {
        writeln!(md, "| {key} | {value} |")?;
    }

    targets(&mut md, &runs)?;

    writeln!(md, "\n## Quire next to kvstore\n")?;
    writeln!(
        md,
        "Same CometBFT, config, validators and tx size; kvstore txs are \
         `key=value` padded to the size of the Quire tx.\n"
    )?;
    writeln!(md, "| validators | blob | tx size | kvstore tx/s | Quire tx/s | Quire ÷ kvstore tx/s | kvstore MB/s | Quire MB/s | Quire ÷ kvstore MB/s | Quire blob MB/s |")?;
    writeln!(md, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")?;
    for quire in runs
        .iter()
        .filter(|r| r.app == App::Quire && r.shape.namespaces == 1 && r.rate == 0)
    {
        let Some(kv) = baseline(&runs, quire) else {
            continue;
        };
        writeln!(
            md,
            "| {} | {} | {} B | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            quire.validators,
            size(quire.shape.blob_size),
            quire.tx_size,
            kv.tx_per_sec,
            quire.tx_per_sec,
            ratio(quire.tx_per_sec, kv.tx_per_sec),
            kv.mb_per_sec,
            quire.mb_per_sec,
            ratio(quire.mb_per_sec, kv.mb_per_sec),
            quire.blob_mb_per_sec
        )?;
    }

    writeln!(md, "\n## Every run\n")?;
    writeln!(md, "| run | app | validators | offered | tx size | blobs/tx | namespaces: spread / per block (mean, max) | tx/s | MB/s | blob MB/s | block interval p50 | commit latency p50 / p90 / p99 | readable p50 / p99 | CheckTx p50 | quired CPU % / RSS MiB | cometbft CPU % / RSS MiB | loadgen CPU % | refused | mempool-full retries |")?;
    writeln!(
        md,
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|---:|---|---|---:|---:|---:|"
    )?;
    for r in &runs {
        let (quired_cpu, quired_rss) = process_sum(r, "quired");
        let (comet_cpu, comet_rss) = process_sum(r, "cometbft");
        let (loadgen_cpu, _) = process_sum(r, "loadgen");
        let (namespaces, readable) = match r.app {
            App::Quire => (
                format!(
                    "{} / {:.0}, {}",
                    r.shape.namespaces, r.blocks.namespaces_mean, r.blocks.namespaces_max
                ),
                format!(
                    "{:.0} / {:.0} ms",
                    r.latency_ms.readable.p50, r.latency_ms.readable.p99
                ),
            ),
            App::Kvstore => ("–".into(), "–".into()),
        };
        let quired = match r.app {
            App::Quire => format!("{quired_cpu:.0} / {quired_rss:.0}"),
            App::Kvstore => "–".into(),
        };
        writeln!(
            md,
            "| {} | {:?} | {} | {} | {} B | {} | {} | {:.0} | {:.2} | {:.2} | {:.0} ms | {:.0} / {:.0} / {:.0} ms | {} | {:.1} ms | {} | {:.0} / {:.0} | {:.0} | {} | {} |",
            r.name,
            r.app,
            r.validators,
            if r.rate == 0 {
                "max".to_string()
            } else {
                format!("{} tx/s", r.rate)
            },
            r.tx_size,
            if r.app == App::Quire { r.shape.blobs_per_tx.to_string() } else { "–".into() },
            namespaces,
            r.tx_per_sec,
            r.mb_per_sec,
            r.blob_mb_per_sec,
            r.blocks.interval_ms.p50,
            r.latency_ms.commit.p50,
            r.latency_ms.commit.p90,
            r.latency_ms.commit.p99,
            readable,
            r.latency_ms.check_tx.p50,
            quired,
            comet_cpu,
            comet_rss,
            loadgen_cpu,
            r.rejected.values().sum::<u64>(),
            r.mempool_full_retries
        )?;
    }
    let problems: Vec<&RunResult> = runs
        .iter()
        .filter(|r| !r.rejected.is_empty() || !r.read_errors.is_empty())
        .collect();
    if !problems.is_empty() {
        writeln!(md, "\nRefusals and failed reads:\n")?;
        for r in problems {
            for (reason, count) in &r.rejected {
                writeln!(md, "- {}: {count} × refused: {reason}", r.name)?;
            }
            for (reason, count) in &r.read_errors {
                writeln!(md, "- {}: {count} × read failed: {reason}", r.name)?;
            }
        }
    }

    writeln!(md, "\n## Over time\n")?;
    let plot_dir = relative_dir(&args.out, &args.plots);
    for r in &runs {
        let file = format!("{}.png", r.name);
        crate::plot::draw(r, &args.plots.join(&file))?;
        writeln!(md, "![{}]({plot_dir}{file})\n", r.name)?;
    }
    std::fs::write(&args.out, md)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!(
        "loadgen: wrote {} and {} plots in {}",
        args.out.display(),
        runs.len(),
        args.plots.display()
    );
    Ok(())
}

/// The plots directory as seen from the report's directory.
fn relative_dir(report: &std::path::Path, plots: &std::path::Path) -> String {
    let base = report.parent().unwrap_or(std::path::Path::new(""));
    match plots.strip_prefix(base) {
        Ok(rel) if !rel.as_os_str().is_empty() => format!("{}/", rel.display()),
        Ok(_) => String::new(),
        Err(_) => format!("{}/", plots.display()),
    }
}

/// The targets, evaluated on the runs present.
fn targets(md: &mut String, runs: &[RunResult]) -> anyhow::Result<()> {
    writeln!(md, "\n## Targets\n")?;
    writeln!(md, "| target | measured | |\n|---|---|---|")?;
    // Each target is evaluated only if its runs are in the results.
    let quire_at = |blob: usize| {
        runs.iter().find(|r| {
            r.app == App::Quire
                && r.rate == 0
                && r.validators == 1
                && r.shape.blob_size == blob
                && r.shape.blobs_per_tx == 1
                && r.shape.namespaces == 1
        })
    };
    if let Some(q) = quire_at(250) {
        if let Some(kv) = baseline(runs, q) {
            let x = ratio(q.tx_per_sec, kv.tx_per_sec);
            writeln!(md, "| 1 validator, 250 B blobs: Quire ≥ 0.9 × kvstore tx/s | {:.0} ÷ {:.0} = {x:.2} | {} |", q.tx_per_sec, kv.tx_per_sec, verdict(x >= 0.9))?;
        }
    }
    if let Some(q) = quire_at(100_000) {
        if let Some(kv) = baseline(runs, q) {
            let x = ratio(q.mb_per_sec, kv.mb_per_sec);
            writeln!(md, "| 1 validator, 100 KB blobs: Quire ≥ 0.9 × kvstore MB/s | {:.2} ÷ {:.2} = {x:.2} | {} |", q.mb_per_sec, kv.mb_per_sec, verdict(x >= 0.9))?;
        }
    }
    if let Some(best) = runs
        .iter()
        .filter(|r| r.app == App::Quire && r.rate == 0)
        .max_by(|a, b| a.blob_mb_per_sec.total_cmp(&b.blob_mb_per_sec))
    {
        writeln!(
            md,
            "| blob throughput ≥ 20 MB/s | {:.2} MB/s ({}) | {} |",
            best.blob_mb_per_sec,
            best.name,
            verdict(best.blob_mb_per_sec >= 20.0)
        )?;
    }
    // Latency is judged on runs offered a fixed rate below capacity: at full
    // load it measures the depth of the queue the load keeps ("Every run").
    for r in runs.iter().filter(|r| r.app == App::Quire && r.rate > 0) {
        let bound = r.blocks.interval_ms.p50 + 300.0;
        writeln!(
            md,
            "| {} ({} tx/s offered): p50 inclusion latency ≤ block interval + 300 ms | {:.0} ms vs {:.0} + 300 ms | {} |",
            r.name,
            r.rate,
            r.latency_ms.commit.p50,
            r.blocks.interval_ms.p50,
            verdict(r.latency_ms.commit.p50 <= bound)
        )?;
    }
    Ok(())
}

/// Facts about this machine for the report's header.
fn machine() -> Vec<(String, String)> {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = read("/proc/meminfo")
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|k| k.parse::<u64>().ok())
        })
        .map(|kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown".into());
    vec![
        (
            "machine".into(),
            format!("{cores} cores, {model}, {memory} RAM"),
        ),
        (
            "kernel".into(),
            read("/proc/sys/kernel/osrelease").trim().to_string(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procstat::ProcessUsage;
    use crate::run::{BlockStats, Latencies};
    use crate::stats::{Percentiles, Second};
    use crate::workload::Shape;

    fn result(name: &str, app: App, blob: usize, tx_per_sec: f64, mb: f64) -> RunResult {
        RunResult {
            name: name.into(),
            app,
            validators: 1,
            shape: Shape {
                blob_size: blob,
                blobs_per_tx: 1,
                namespaces: 1,
                encrypt: false,
            },
            tx_size: blob + 230,
            accounts: 4,
            rate: 0,
            submit: crate::run::Submit::Uri,
            warmup_secs: 1,
            duration_secs: 2,
            started_unix: 0,
            prepared: 10,
            submitted: 10,
            accepted: 10,
            rejected: Default::default(),
            read_errors: Default::default(),
            mempool_full_retries: 0,
            committed: 10,
            tx_per_sec,
            mb_per_sec: mb,
            blob_mb_per_sec: mb * 0.9,
            latency_ms: Latencies {
                commit: Percentiles {
                    count: 10,
                    p50: 700.0,
                    p90: 900.0,
                    p99: 990.0,
                    max: 1000.0,
                },
                ..Default::default()
            },
            blocks: BlockStats {
                count: 3,
                interval_ms: Percentiles {
                    count: 2,
                    p50: 600.0,
                    ..Default::default()
                },
                ..Default::default()
            },
            processes: vec![ProcessUsage {
                name: "quired0".into(),
                pid: 1,
                cpu_percent: 50.0,
                rss_max_mib: 30.0,
                rss_end_mib: 29.0,
            }],
            series: (0..4)
                .map(|t| Second {
                    t,
                    txs: 5,
                    bytes: 5000,
                    latency_p50_ms: 700.0,
                    latency_p99_ms: 990.0,
                })
                .collect(),
        }
    }

    #[test]
    fn report_pairs_quire_with_kvstore_and_judges_targets() {
        let dir = tempfile::tempdir().unwrap();
        let results = dir.path().join("results");
        std::fs::create_dir(&results).unwrap();
        for r in [
            result("quire-250B", App::Quire, 250, 950.0, 0.5),
            result("kv-250B", App::Kvstore, 250, 1000.0, 0.5),
            result("quire-100KB", App::Quire, 100_000, 30.0, 3.0),
            result("kv-100KB", App::Kvstore, 100_000, 40.0, 4.0),
            RunResult {
                rate: 100,
                ..result("quire-250B-r100", App::Quire, 250, 100.0, 0.05)
            },
        ] {
            let path = results.join(format!("{}.json", r.name));
            std::fs::write(path, serde_json::to_string(&r).unwrap()).unwrap();
        }
        let args = ReportArgs {
            results,
            out: dir.path().join("report.md"),
            plots: dir.path().join("plots"),
            context: vec![("date".into(), "today".into())],
        };
        write(&args).unwrap();
        let md = std::fs::read_to_string(&args.out).unwrap();
        assert!(md.contains("950 ÷ 1000 = 0.95 | met"), "{md}");
        assert!(md.contains("3.00 ÷ 4.00 = 0.75 | **missed**"), "{md}");
        assert!(
            md.contains("| 1 | 250 B | 480 B | 1000 | 950 | 0.95 |"),
            "{md}"
        );
        assert!(md.contains("| date | today |"));
        assert!(
            md.contains("| quire-250B-r100 (100 tx/s offered): p50 inclusion latency ≤ block interval + 300 ms | 700 ms vs 600 + 300 ms | met |"),
            "{md}"
        );
        assert!(!md.contains("quire-250B: p50 inclusion"), "{md}");
        assert!(
            md.contains("| quire-250B-r100 | Quire | 1 | 100 tx/s |"),
            "{md}"
        );
        assert!(md.contains("![quire-250B](plots/quire-250B.png)"));
        let png = std::fs::read(args.plots.join("quire-250B.png")).unwrap();
        assert_eq!(&png[..4], b"\x89PNG");
    }
}
