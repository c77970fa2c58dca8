//! In-process benchmarks: the SDK's cost against the same requests written by hand,
//! decode throughput and the sandbox's throughput, in one table.
//!
//! The measuring is criterion's (tests/benches); this reads its results back from
//! `<target>/criterion/<group>/<function>/new/` and compares the pairs. Missed targets
//! are reported, not failed: benchmarks are measurements, and a loaded machine is slow.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

use super::{duration, requests, verdict};

/// criterion's arguments for a short run: about three seconds a benchmark, fewer
/// bootstrap resamples. `--quick` proper stops after two samples, too few to compare.
const QUICK: &[&str] = &[
    "--warm-up-time",
    "1",
    "--measurement-time",
    "2",
    "--nresamples",
    "20000",
];

/// A sequential call through the SDK may take this much longer than by hand (in
/// process, where the sandbox answers in microseconds and every cost of the SDK shows).
const SEQUENTIAL_MAX: f64 = 1.02;
/// With 64 requests in flight, the SDK must reach this share of the hand-written throughput.
const IN_FLIGHT_MIN: f64 = 0.95;

pub fn run(quick: bool) -> Result<(), String> {
    let home = crate::target_dir().join("criterion");
    let started = SystemTime::now();
    let mut command = crate::cargo();
    command
        .args([
            "bench",
            "-p",
            "thena-tests",
            "--bench",
            "client",
            "--bench",
            "decode",
        ])
        .args(["--", "--noplot"])
        .args(if quick { QUICK } else { &[] })
        .env("CRITERION_HOME", &home)
        .current_dir(crate::root());
    eprintln!("\n==> {command:?}");
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("`cargo bench` failed ({status})"));
    }
    let results = Results { home, started };
    print_report(&results)
}

/// criterion's results of this run.
struct Results {
    home: PathBuf,
    started: SystemTime,
}

/// One benchmark's median time per iteration, and what an iteration processes.
struct Measured {
    median_ns: f64,
    /// Requests (elements) or bytes per iteration, when the benchmark declares them.
    per_iteration: Option<f64>,
}

impl Measured {
    fn per_second(&self) -> Option<f64> {
        Some(self.per_iteration? / (self.median_ns / 1e9))
    }
}

impl Results {
    fn get(&self, group: &str, function: &str) -> Result<Measured, String> {
        let dir = self.home.join(group).join(function).join("new");
        let estimates = dir.join("estimates.json");
        let modified = std::fs::metadata(&estimates)
            .and_then(|m| m.modified())
            .map_err(|e| format!("{}: {e}", estimates.display()))?;
        if modified < self.started {
            return Err(format!("{}: not written by this run", estimates.display()));
        }
        let median_ns = read_json(&estimates)?
            .pointer("/median/point_estimate")
            .and_then(Value::as_f64)
            .ok_or_else(|| format!("{}: no median", estimates.display()))?;
        let benchmark = read_json(&dir.join("benchmark.json"))?;
        let per_iteration = ["/throughput/Elements", "/throughput/Bytes"]
            .iter()
            .find_map(|p| benchmark.pointer(p)?.as_f64());
        Ok(Measured {
            median_ns,
            per_iteration,
        })
    }
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn print_report(results: &Results) -> Result<(), String> {
    println!("\nthena-sdk against the same requests by hand (reqwest + serde_json), in one");
    println!("process with the sandbox on loopback (criterion; sequential calls on one thread);");
    println!("medians. {}", super::machine());
    println!(
        "\n{:<28} {:>26} {:>26} {:>8}  target",
        "operation", "sdk", "raw", "sdk/raw"
    );
    let mut create_ratio = None;
    for (group, label) in [
        ("create_ticket", "create_ticket, sequential"),
        ("update_ticket", "update_ticket, sequential"),
    ] {
        let (sdk, raw) = (results.get(group, "sdk")?, results.get(group, "raw")?);
        let ratio = sdk.median_ns / raw.median_ns;
        create_ratio.get_or_insert(ratio);
        let verdict = verdict(ratio <= SEQUENTIAL_MAX);
        println!(
            "{label:<28} {:>26} {:>26} {ratio:>8.3}  time ≤ {SEQUENTIAL_MAX}× raw: {verdict}",
            duration(sdk.median_ns),
            duration(raw.median_ns),
        );
    }
    for (group, label) in [
        ("create_ticket_64_in_flight", "create_ticket, 64 in flight"),
        ("update_ticket_64_in_flight", "update_ticket, 64 in flight"),
    ] {
        let (sdk, raw) = (results.get(group, "sdk")?, results.get(group, "raw")?);
        let rate = |m: &Measured| m.per_second().ok_or(format!("{group}: no throughput"));
        let (sdk_rate, raw_rate) = (rate(&sdk)?, rate(&raw)?);
        let ratio = sdk_rate / raw_rate;
        let verdict = verdict(ratio >= IN_FLIGHT_MIN);
        println!(
            "{label:<28} {:>26} {:>26} {ratio:>8.3}  throughput ≥ {IN_FLIGHT_MIN}× raw: {verdict}",
            format!("{} ({}/64)", requests(sdk_rate), duration(sdk.median_ns)),
            format!("{} ({}/64)", requests(raw_rate), duration(raw.median_ns)),
        );
    }

    println!(
        "(sdk/raw: of the time per call when sequential, lower is better; of the \
         throughput at 64 in flight, higher is better)"
    );

    let typed = results.get("decode_ticket_response", "typed")?;
    let value = results.get("decode_ticket_response", "value")?;
    let bytes = typed.per_iteration.unwrap_or_default();
    let (typed_mb, value_mb) = (
        typed.per_second().unwrap_or_default() / 1e6,
        value.per_second().unwrap_or_default() / 1e6,
    );
    println!(
        "\ndecode a fully populated TicketResponse ({bytes} bytes): types::TicketResponse \
         {typed_mb:.0} MB/s ({}), serde_json::Value {value_mb:.0} MB/s ({})",
        duration(typed.median_ns),
        duration(value.median_ns),
    );
    let sandbox = results.get("sandbox", "create_64_clients")?;
    let sandbox_rate = sandbox.per_second().ok_or("sandbox: no throughput")?;
    println!(
        "sandbox: {} of creates under 64 concurrent clients",
        requests(sandbox_rate)
    );
    let create_ratio = create_ratio.ok_or("no sequential create measured")?;
    println!("\nratio sdk/raw: {create_ratio:.3}");
    Ok(())
}
