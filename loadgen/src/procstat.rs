//! CPU time and resident memory of the node processes, from `/proc`.

use std::time::Instant;

/// Linux reports CPU times in clock ticks of `USER_HZ`, 100 on every
/// architecture Linux exposes to user space through `/proc`.
const TICKS_PER_SEC: f64 = 100.0;

/// A process to watch, e.g. `quired0` and its pid.
#[derive(Debug, Clone)]
pub struct Watched {
    /// Label in the report.
    pub name: String,
    /// Its pid.
    pub pid: u32,
}

/// Parses `NAME=PID`.
pub fn parse_watched(text: &str) -> Result<Watched, String> {
    let (name, pid) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: expected NAME=PID"))?;
    let pid = pid
        .trim()
        .parse()
        .map_err(|e| format!("{text:?}: pid is not a number: {e}"))?;
    if name.is_empty() {
        return Err(format!("{text:?}: empty name"));
    }
    Ok(Watched {
        name: name.to_string(),
        pid,
    })
}

/// CPU seconds (user + system) the process has used, if it is alive.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces), which ends
    // at the last ')': state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SEC)
}

/// Resident set size in MiB, if the process is alive.
pub fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// What one process used over a measurement window.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ProcessUsage {
    /// Label.
    pub name: String,
    /// Its pid.
    pub pid: u32,
    /// Average CPU over the window, in % of one core.
    pub cpu_percent: f64,
    /// Largest resident set seen, MiB.
    pub rss_max_mib: f64,
    /// Resident set at the end, MiB.
    pub rss_end_mib: f64,
}

/// Samples the watched processes over a window.
pub struct UsageMeter {
    watched: Vec<(Watched, f64, f64)>,
    start: Instant,
}

impl UsageMeter {
    /// Starts the window now.
    pub fn start(watched: &[Watched]) -> Self {
        UsageMeter {
            watched: watched
                .iter()
                .map(|w| {
                    let cpu = cpu_seconds(w.pid).unwrap_or(0.0);
                    (w.clone(), cpu, rss_mib(w.pid).unwrap_or(0.0))
                })
                .collect(),
            start: Instant::now(),
        }
    }

    /// Records the current memory of each process (call it every second or so).
    pub fn sample(&mut self) {
        for (w, _, rss_max) in &mut self.watched {
            if let Some(rss) = rss_mib(w.pid) {
                *rss_max = rss_max.max(rss);
            }
        }
    }

    /// Ends the window.
    pub fn finish(mut self) -> Vec<ProcessUsage> {
        self.sample();
        let elapsed = self.start.elapsed().as_secs_f64().max(1e-9);
        self.watched
            .into_iter()
            .map(|(w, cpu_start, rss_max)| {
                let cpu_end = cpu_seconds(w.pid).unwrap_or(cpu_start);
                ProcessUsage {
                    name: w.name,
                    pid: w.pid,
                    cpu_percent: 100.0 * (cpu_end - cpu_start) / elapsed,
                    rss_max_mib: rss_max,
                    rss_end_mib: rss_mib(w.pid).unwrap_or(0.0),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let pid = std::process::id();
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert!(x != 1);
        assert!(cpu_seconds(pid).is_some());
        assert!(rss_mib(pid).unwrap() > 0.0);
        assert_eq!(cpu_seconds(u32::MAX), None);
        let w = parse_watched("quired0=42").unwrap();
        assert_eq!((w.name.as_str(), w.pid), ("quired0", 42));
        assert!(parse_watched("42").is_err());
        assert!(parse_watched("a=b").is_err());
    }
}
