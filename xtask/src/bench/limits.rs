//! `cargo xtask bench limits`: the rate limiter as production meets it. The
//! `thena-sandbox` binary in a process of its own at a limit of 50 requests a second;
//! client processes (tests/benches/limits.rs, release, tokio's default runtime) with
//! 1 to 256 tasks each creating tickets as fast as the limiter lets them, one scenario
//! after another, each with a fresh sandbox (so each starts cold): one process, three
//! sharing the key, the sandbox's clock an hour ahead or behind, each header mode.
//! 429s are counted in the sandbox's request log; the rest is what the clients saw.

use std::process::{Command, Stdio};

use serde_json::Value;

use super::sandbox::{KEY, Sandbox, build_release};
use super::verdict;
use crate::{cargo, root};

/// Requests a second the sandbox allows, in windows of a second.
const LIMIT: f64 = 50.0;
const RATE_LIMIT: &str = "50/1s";

struct Scenario {
    name: &'static str,
    processes: usize,
    tasks: u64,
    /// Options of the sandbox beyond its limit.
    sandbox: &'static [&'static str],
    /// A run of its own length, in seconds (the cold start); the default otherwise.
    seconds: Option<u64>,
}

const SCENARIOS: [Scenario; 10] = [
    Scenario::one("1 process, 1 task", 1),
    Scenario::one("1 process, 16 tasks", 16),
    Scenario::one("1 process, 64 tasks", 64),
    Scenario::one("1 process, 256 tasks", 256),
    Scenario {
        seconds: Some(2),
        ..Scenario::one("cold start, 64 tasks, 2 s", 64)
    },
    Scenario {
        processes: 3,
        ..Scenario::one("3 processes x 16 tasks, one key", 16)
    },
    Scenario {
        sandbox: &["--clock-shift", "3600"],
        ..Scenario::one("sandbox clock 1 h ahead, 16 tasks", 16)
    },
    Scenario {
        sandbox: &["--clock-shift", "-3600"],
        ..Scenario::one("sandbox clock 1 h behind, 16 tasks", 16)
    },
    Scenario {
        sandbox: &["--rate-limit-headers", "some"],
        ..Scenario::one("Remaining + Reset only, 16 tasks", 16)
    },
    Scenario {
        sandbox: &["--rate-limit-headers", "none"],
        ..Scenario::one("no X-RateLimit-* headers, 16 tasks", 16)
    },
];

impl Scenario {
    const fn one(name: &'static str, tasks: u64) -> Self {
        Self {
            name,
            processes: 1,
            tasks,
            sandbox: &[],
            seconds: None,
        }
    }

    /// Whether the answers report the quota (so that a 429 is the limiter's fault).
    fn reported(&self) -> bool {
        !self.sandbox.contains(&"none")
    }
}

/// What one scenario measured.
struct Figures {
    requests: usize,
    refused: usize,
    created: u64,
    failed: u64,
    seconds: f64,
    p99_ms: f64,
    max_ms: f64,
    min_per_task: u64,
    mean_per_task: f64,
}

pub fn run(quick: bool) -> Result<(), String> {
    build_release(&["thena-sandbox"])?;
    let client = client_binary()?;
    let seconds = if quick { 5 } else { 20 };
    println!(
        "\nThe rate limiter against the thena-sandbox binary in a process of its own, {RATE_LIMIT} \
         (fixed windows of a second), a fresh sandbox per scenario; client processes \
         (tests/benches/limits.rs, release, tokio's default runtime, default settings: 2 \
         retries) with every task creating tickets in a loop, {seconds} s per scenario. {}",
        super::machine()
    );
    println!(
        "{:<38} {:>9} {:>11} {:>7} {:>9} {:>9} {:>10}  verdict",
        "scenario", "429s", "throughput", "failed", "p99", "max", "min/mean"
    );
    for scenario in &SCENARIOS {
        let seconds = scenario.seconds.unwrap_or(seconds);
        let f = measure(&client, scenario, seconds)?;
        let throughput = f.created as f64 / f.seconds / LIMIT;
        let fairness = f.min_per_task as f64 / f.mean_per_task.max(f64::MIN_POSITIVE);
        let tasks = scenario.tasks * scenario.processes as u64;
        let p99_bound = (tasks as f64 / LIMIT + 1.0) * 1e3;
        let shared = scenario.processes > 1;
        let mut missed = Vec::new();
        if scenario.reported() {
            let refused_ok = match shared {
                true => f.refused as f64 <= 0.02 * f.requests as f64,
                false => f.refused == 0,
            };
            if !refused_ok {
                missed.push(if shared { "429s > 2%" } else { "429s > 0" });
            }
            // A run of two seconds measures the start, not the rate.
            let floor = if shared { 0.90 } else { 0.95 };
            if scenario.seconds.is_none() && throughput < floor {
                missed.push(if shared {
                    "throughput < 0.90"
                } else {
                    "throughput < 0.95"
                });
            }
        }
        if f.failed > 0 {
            missed.push("calls failed");
        }
        if fairness < 0.5 {
            missed.push("min < mean/2");
        }
        if f.p99_ms > p99_bound {
            missed.push("p99 > tasks/limit + 1 s");
        }
        println!(
            "{:<38} {:>4}/{:<4} {:>10.3}x {:>7} {:>7.0}ms {:>7.0}ms {:>4}/{:<5.1}  {}",
            scenario.name,
            f.refused,
            f.requests,
            throughput,
            f.failed,
            f.p99_ms,
            f.max_ms,
            f.min_per_task,
            f.mean_per_task,
            match missed.is_empty() {
                true => verdict(true).to_owned(),
                false => format!("{}: {}", verdict(false), missed.join(", ")),
            }
        );
    }
    println!(
        "targets: one process with the quota reported, any task count, cold start included: \
         0 x 429; three processes sharing the key: 429s <= 2% of requests, every one retried, \
         no call failed; throughput >= 0.95 x the limit for one process (>= 0.90 shared) \
         whatever the clock offset; every task at least half the mean creates; p99 latency \
         <= tasks / limit + one window. Without any X-RateLimit-* header the limiter sends \
         freely, halving on 429s: its 429s and throughput are shown, not judged."
    );
    Ok(())
}

/// Builds the client (release) and returns its path.
fn client_binary() -> Result<String, String> {
    let output = cargo()
        .args([
            "bench",
            "--quiet",
            "-p",
            "thena-tests",
            "--bench",
            "limits",
            "--no-run",
            "--message-format=json",
        ])
        .current_dir(root())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err("building the limits benchmark failed".into());
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["target"]["name"] == "limits")
        .find_map(|m| m["executable"].as_str().map(str::to_owned))
        .ok_or_else(|| "cargo built no limits benchmark".into())
}

fn measure(client: &str, scenario: &Scenario, seconds: u64) -> Result<Figures, String> {
    let sandbox = Sandbox::start_with(RATE_LIMIT, scenario.sandbox)?;
    let tasks = scenario.tasks.to_string();
    let seconds_text = seconds.to_string();
    let children = (0..scenario.processes)
        .map(|_| {
            Command::new(client)
                .env("THENA_BENCH_URL", &sandbox.url)
                .env("THENA_BENCH_KEY", KEY)
                .env("THENA_BENCH_TASKS", &tasks)
                .env("THENA_BENCH_SECONDS", &seconds_text)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("{client}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut per_task = Vec::new();
    let (mut failed, mut elapsed, mut p99_ms, mut max_ms) = (0, 0f64, 0f64, 0f64);
    for child in children {
        let output = child
            .wait_with_output()
            .map_err(|e| format!("{client}: {e}"))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout.lines().find(|l| l.starts_with('{')).ok_or_else(|| {
            format!(
                "{}: the client printed no figures: {}",
                scenario.name,
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
        let run: Value = serde_json::from_str(line).map_err(|e| format!("{line:?}: {e}"))?;
        let number = |name: &str| run[name].as_f64().ok_or(format!("{line:?}: no {name}"));
        per_task.extend(
            run["per_task"]
                .as_array()
                .ok_or(format!("{line:?}: no per_task"))?
                .iter()
                .filter_map(Value::as_u64),
        );
        failed += number("failed")? as u64;
        elapsed = elapsed.max(number("elapsed_s")?);
        p99_ms = p99_ms.max(number("p99_ms")?);
        max_ms = max_ms.max(number("max_ms")?);
    }
    let log: Value = serde_json::from_str(&sandbox.get("/_sandbox/requests")?)
        .map_err(|e| format!("the request log: {e}"))?;
    let log = log.as_array().ok_or("the request log is no list")?;
    let created: u64 = per_task.iter().sum();
    Ok(Figures {
        requests: log.len(),
        refused: log.iter().filter(|r| r["status"] == 429).count(),
        created,
        failed,
        seconds: elapsed,
        p99_ms,
        max_ms,
        min_per_task: per_task.iter().copied().min().unwrap_or(0),
        mean_per_task: created as f64 / per_task.len().max(1) as f64,
    })
}
