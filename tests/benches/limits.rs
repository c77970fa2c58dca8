//! One client process of `cargo xtask bench limits`: `THENA_BENCH_TASKS` tasks creating
//! tickets through one client (default settings, tokio's default runtime) against the
//! sandbox process for `THENA_BENCH_SECONDS`, all starting together. Prints one JSON
//! line: creates per task, failed calls, and the latencies of the calls.

use std::sync::Arc;
use std::time::{Duration, Instant};

use thena_sdk::{Client, types};

/// A setting from the environment xtask provides.
fn setting(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by `cargo xtask bench limits`"))
}

fn number(name: &str) -> u64 {
    setting(name)
        .parse()
        .unwrap_or_else(|_| panic!("{name} is a whole number"))
}

#[tokio::main]
async fn main() {
    let client = Client::builder()
        .base_url(setting("THENA_BENCH_URL"))
        .api_key(setting("THENA_BENCH_KEY"))
        .build()
        .expect("valid settings");
    let (tasks, seconds) = (number("THENA_BENCH_TASKS"), number("THENA_BENCH_SECONDS"));
    let started = Instant::now();
    let end = started + Duration::from_secs(seconds);
    let start = Arc::new(tokio::sync::Barrier::new(
        usize::try_from(tasks).unwrap_or(1),
    ));
    let workers: Vec<_> = (0..tasks)
        .map(|task| {
            let (client, start) = (client.clone(), Arc::clone(&start));
            tokio::spawn(async move {
                start.wait().await;
                let (mut created, mut failed, mut latencies) = (0u64, 0u64, Vec::new());
                while Instant::now() < end {
                    let sent = Instant::now();
                    let result = client
                        .create_ticket()
                        .body(
                            types::CreateTicketBody::builder()
                                .title(format!("bench {task}"))
                                .requestor_email("bench@example.com")
                                .team_id("bench"),
                        )
                        .send()
                        .await;
                    latencies.push(sent.elapsed().as_secs_f64() * 1e3);
                    match result {
                        Ok(_) => created += 1,
                        Err(e) => {
                            failed += 1;
                            eprintln!("limits bench: {e}");
                        }
                    }
                }
                (created, failed, latencies)
            })
        })
        .collect();
    let (mut per_task, mut failed, mut latencies) = (Vec::new(), 0, Vec::new());
    for worker in workers {
        let (created, f, l) = worker.await.expect("no panic");
        per_task.push(created);
        failed += f;
        latencies.extend(l);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let p99 = latencies
        .get((latencies.len() * 99 / 100).min(latencies.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0);
    let max = latencies.last().copied().unwrap_or(0.0);
    println!(
        "{{\"per_task\": {per_task:?}, \"failed\": {failed}, \"p99_ms\": {p99:.1}, \
         \"max_ms\": {max:.1}, \"elapsed_s\": {elapsed:.3}}}"
    );
}
