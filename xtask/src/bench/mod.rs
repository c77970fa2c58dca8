//! `cargo xtask bench [--quick] [SCENARIO...]`: what the SDK costs, measured against a
//! baseline in the same run, each figure printed beside its target.
//!
//! Scenarios (all by default):
//! - `client`: criterion, in one process: the SDK against the same requests written by
//!   hand, decode throughput, the sandbox's throughput;
//! - `process`: the sandbox in a process of its own and the client on tokio's default
//!   multi-thread runtime, as users run it: the SDK against hand-written reqwest in
//!   interleaved rounds;
//! - `build`: a clean debug build of thena-sdk against a crate with only the SDK's
//!   unavoidable dependencies;
//! - `import`: `thena tickets import` against the sandbox binary: its throughput against
//!   the SDK's own, at a rate limit, and its peak memory over a million rows;
//! - `limits`: the rate limiter against the sandbox binary at 50 requests a second: 429s,
//!   throughput, latency and fairness with 1 to 256 tasks, three processes sharing a
//!   key, a skewed server clock, each header mode.
//!
//! Missed targets are reported, not failed: benchmarks are measurements, and a loaded
//! machine is slow.

mod build;
mod criterion;
mod import;
mod limits;
mod process;
mod sandbox;

use std::process::Command;

use crate::{cargo, target_dir};

const SCENARIOS: [&str; 5] = ["client", "process", "build", "import", "limits"];

pub fn run(args: &[&str]) -> Result<(), String> {
    let quick = args.contains(&"--quick");
    let mut chosen: Vec<&str> = args.iter().copied().filter(|a| *a != "--quick").collect();
    if let Some(unknown) = chosen.iter().find(|a| !SCENARIOS.contains(a)) {
        return Err(format!(
            "bench: unknown scenario {unknown:?}; expected --quick and any of {SCENARIOS:?}"
        ));
    }
    if chosen.is_empty() {
        chosen = SCENARIOS.to_vec();
    }
    for scenario in chosen {
        match scenario {
            "client" => criterion::run(quick)?,
            "process" => process::run(quick)?,
            "import" => import::run(quick)?,
            "limits" => limits::run(quick)?,
            _ => build::run(quick)?,
        }
    }
    Ok(())
}

/// The median of some measurements.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn duration(ns: f64) -> String {
    match ns {
        ns if ns < 1e3 => format!("{ns:.0} ns"),
        ns if ns < 1e6 => format!("{:.1} µs", ns / 1e3),
        ns if ns < 1e9 => format!("{:.2} ms", ns / 1e6),
        ns => format!("{:.1} s", ns / 1e9),
    }
}

fn requests(per_second: f64) -> String {
    let whole = per_second.round() as u64;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{grouped} req/s")
}

/// Cores, CPU model and compiler: what the figures depend on.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            let line = info.lines().find(|l| l.starts_with("model name"))?;
            Some(line.split_once(':')?.1.trim().to_owned())
        })
        .unwrap_or_else(|| "CPU unknown".into());
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map_or_else(|| "rustc unknown".into(), |v| v.trim().to_owned());
    format!("Machine: {cores} cores, {cpu}, {version}.")
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&mut []).is_nan());
    }
}
