//! The SDK against hand-written reqwest as users run it: the sandbox in a process of its
//! own, the client on tokio's default multi-thread runtime, over loopback.
//! `cargo xtask bench process` starts the sandbox and runs this.
//!
//! Rounds interleave the two sides (the order alternates from round to round), so that a
//! machine that speeds up or slows down during the run affects both alike; each round
//! prints one JSON line per operation with both totals, and xtask reports the median of
//! the per-round ratios. `common` says how the two sides are made alike.

mod common;

use std::hint::black_box;
use std::time::Instant;

use common::{Raw, sdk_create, sdk_update};
use thena_sdk::Client;

/// A setting from the environment xtask provides.
fn setting(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by `cargo xtask bench process`"))
}

fn number(name: &str) -> u32 {
    setting(name)
        .parse()
        .unwrap_or_else(|_| panic!("{name} is a whole number"))
}

#[tokio::main]
async fn main() {
    let (url, key) = (setting("THENA_BENCH_URL"), setting("THENA_BENCH_KEY"));
    let (rounds, calls) = (number("THENA_BENCH_ROUNDS"), number("THENA_BENCH_CALLS"));
    let sdk = Client::builder()
        .base_url(&url)
        .api_key(&key)
        .build()
        .expect("valid settings");
    let raw = Raw::new(&url, &key);
    let id = sdk_create(&sdk).await.data.id.expect("an id");

    // Connections open and caches warm on both sides before anything counts.
    for _ in 0..calls {
        black_box(sdk_create(&sdk).await);
        black_box(raw.create().await);
    }
    for round in 0..rounds {
        for op in ["create", "update"] {
            let mut sides = [("sdk", 0u128), ("raw", 0u128)];
            if round % 2 == 1 {
                sides.reverse();
            }
            for (side, total) in &mut sides {
                let started = Instant::now();
                for _ in 0..calls {
                    match (*side, op) {
                        ("sdk", "create") => drop(black_box(sdk_create(&sdk).await)),
                        ("sdk", _) => drop(black_box(sdk_update(&sdk, &id).await)),
                        (_, "create") => drop(black_box(raw.create().await)),
                        _ => drop(black_box(raw.update(&id).await)),
                    }
                }
                *total = started.elapsed().as_nanos();
            }
            let ns = |name: &str| {
                sides
                    .iter()
                    .find(|(s, _)| *s == name)
                    .map_or(0, |(_, t)| *t)
            };
            println!(
                r#"{{"round":{round},"op":"{op}","calls":{calls},"sdk_ns":{},"raw_ns":{}}}"#,
                ns("sdk"),
                ns("raw")
            );
        }
    }
}
