//! The SDK's own create throughput with 64 requests in flight through one client, on
//! tokio's default multi-thread runtime, against the sandbox process at
//! `THENA_BENCH_URL`: the yardstick `cargo xtask bench import` holds `thena tickets
//! import --concurrency 64` to, in the same run. Sends `THENA_BENCH_CREATES` creates
//! (after one per task to open the connections) and prints one JSON line:
//! `{"creates": N, "ns": T}`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use common::sdk_create;
use thena_sdk::Client;
use tokio::task::JoinSet;

const IN_FLIGHT: u64 = 64;

fn setting(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by `cargo xtask bench import`"))
}

#[tokio::main]
async fn main() {
    let creates: u64 = setting("THENA_BENCH_CREATES")
        .parse()
        .expect("THENA_BENCH_CREATES is a whole number");
    let client = Client::builder()
        .base_url(setting("THENA_BENCH_URL"))
        .api_key(setting("THENA_BENCH_KEY"))
        .build()
        .expect("valid settings");

    // Connections open before anything counts.
    let mut warm = JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let client = client.clone();
        warm.spawn(async move { sdk_create(&client).await });
    }
    while warm.join_next().await.is_some() {}

    let taken = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let (client, taken) = (client.clone(), Arc::clone(&taken));
        tasks.spawn(async move {
            while taken.fetch_add(1, Ordering::Relaxed) < creates {
                std::hint::black_box(sdk_create(&client).await);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("no task panics");
    }
    println!(
        r#"{{"creates":{creates},"ns":{}}}"#,
        started.elapsed().as_nanos()
    );
}
