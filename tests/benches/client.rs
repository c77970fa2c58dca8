//! The SDK against the same requests written by hand with reqwest + serde_json, both
//! against one sandbox on loopback; and the sandbox's own throughput.
//!
//! `cargo xtask bench client` runs this and prints the comparison; `common` says how
//! the two sides are made alike.
//!
//! Each measured function gets a fresh sandbox, so that tickets created by one do not
//! grow the store the next one works against. Updates all hit one ticket. Sequential
//! calls run client and sandbox on one thread (a call's time is then the work both ends
//! do); concurrent ones run them on two multi-threaded runtimes sharing the cores.

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use common::{Raw, sdk_create, sdk_update};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use thena_sandbox::{RateLimit, Sandbox};
use thena_sdk::{Client, types};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

/// Requests in flight at once in the concurrent benchmarks.
const IN_FLIGHT: usize = 64;
/// Requests each of the 64 clients sends, one after the other, per sandbox iteration.
const PER_CLIENT: usize = 16;

/// A multi-threaded runtime with `workers` threads named `name`.
fn runtime(name: &str, workers: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// One thread for the sandbox and the client of the sequential benchmarks: a call's time
/// is then the work both ends do for it. Across threads it would also hold two thread
/// wake-ups, which on the 2-core VM of the published figures swung a call between 50 and
/// 200 µs from one run to the next, drowning a difference of a few µs.
fn current_thread() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A sandbox serving on `server`. Its rate limit is out of reach: the default would
/// throttle a benchmark.
fn sandbox(server: &Runtime) -> Sandbox {
    let unlimited =
        RateLimit::new(u32::MAX, Duration::from_secs(3600)).expect("a valid rate limit");
    server
        .block_on(Sandbox::builder().rate_limit(unlimited).start())
        .expect("the sandbox starts")
}

fn sdk_client(sandbox: &Sandbox) -> Client {
    Client::builder()
        .base_url(sandbox.url())
        .api_key(sandbox.api_key())
        .build()
        .expect("valid settings")
}

/// A ticket for the update benchmarks to change, and its id.
fn ticket_to_update(clients: &Runtime, sandbox: &Sandbox) -> String {
    let created = clients.block_on(sdk_create(&sdk_client(sandbox)));
    created.data.id.expect("the sandbox gives tickets an id")
}

/// One request at a time through one client.
fn sequential(c: &mut Criterion) {
    let runtime = current_thread();

    let mut group = c.benchmark_group("create_ticket");
    {
        let sandbox = sandbox(&runtime);
        let client = sdk_client(&sandbox);
        group.bench_function("sdk", |b| {
            b.to_async(&runtime)
                .iter(|| async { black_box(sdk_create(&client).await) });
        });
    }
    {
        let sandbox = sandbox(&runtime);
        let raw = Raw::new(sandbox.url(), sandbox.api_key());
        group.bench_function("raw", |b| {
            b.to_async(&runtime)
                .iter(|| async { black_box(raw.create().await) });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("update_ticket");
    {
        let sandbox = sandbox(&runtime);
        let id = ticket_to_update(&runtime, &sandbox);
        let client = sdk_client(&sandbox);
        group.bench_function("sdk", |b| {
            b.to_async(&runtime)
                .iter(|| async { black_box(sdk_update(&client, &id).await) });
        });
    }
    {
        let sandbox = sandbox(&runtime);
        let id = ticket_to_update(&runtime, &sandbox);
        let raw = Raw::new(sandbox.url(), sandbox.api_key());
        group.bench_function("raw", |b| {
            b.to_async(&runtime)
                .iter(|| async { black_box(raw.update(&id).await) });
        });
    }
    group.finish();
}

/// [`IN_FLIGHT`] requests at once through one client, each in its own task as a server
/// handling concurrent work would send them; clients and sandbox share both cores, so
/// that every instruction either spends shows. One iteration is one batch.
fn in_flight(c: &mut Criterion) {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (server, clients) = (runtime("sandbox", cores), runtime("clients", cores));

    let mut group = c.benchmark_group("create_ticket_64_in_flight");
    group.throughput(Throughput::Elements(IN_FLIGHT as u64));
    {
        let sandbox = sandbox(&server);
        let client = sdk_client(&sandbox);
        group.bench_function("sdk", |b| {
            b.to_async(&clients).iter(|| {
                batch(|| {
                    let client = client.clone();
                    async move { sdk_create(&client).await }
                })
            });
        });
    }
    {
        let sandbox = sandbox(&server);
        let raw = Raw::new(sandbox.url(), sandbox.api_key());
        group.bench_function("raw", |b| {
            b.to_async(&clients).iter(|| {
                batch(|| {
                    let raw = raw.clone();
                    async move { raw.create().await }
                })
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("update_ticket_64_in_flight");
    group.throughput(Throughput::Elements(IN_FLIGHT as u64));
    {
        let sandbox = sandbox(&server);
        let id: Arc<str> = ticket_to_update(&clients, &sandbox).into();
        let client = sdk_client(&sandbox);
        group.bench_function("sdk", |b| {
            b.to_async(&clients).iter(|| {
                batch(|| {
                    let (client, id) = (client.clone(), Arc::clone(&id));
                    async move { sdk_update(&client, &id).await }
                })
            });
        });
    }
    {
        let sandbox = sandbox(&server);
        let id: Arc<str> = ticket_to_update(&clients, &sandbox).into();
        let raw = Raw::new(sandbox.url(), sandbox.api_key());
        group.bench_function("raw", |b| {
            b.to_async(&clients).iter(|| {
                batch(|| {
                    let (raw, id) = (raw.clone(), Arc::clone(&id));
                    async move { raw.update(&id).await }
                })
            });
        });
    }
    group.finish();
}

/// Runs [`IN_FLIGHT`] requests made by `request` concurrently and waits for them all.
async fn batch<F>(request: impl Fn() -> F)
where
    F: Future<Output = types::TicketResponse> + Send + 'static,
{
    let mut tasks: JoinSet<_> = (0..IN_FLIGHT).map(|_| request()).collect();
    while let Some(done) = tasks.join_next().await {
        black_box(done.expect("no request panics"));
    }
}

/// The sandbox alone: 64 clients, each with its own connection, each sending
/// [`PER_CLIENT`] creates back to back. Raw reqwest, so that the SDK's share is nil.
fn sandbox_throughput(c: &mut Criterion) {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (server, clients) = (runtime("sandbox", cores), runtime("clients", cores));
    let sandbox = sandbox(&server);
    let raws: Vec<Raw> = (0..IN_FLIGHT)
        .map(|_| Raw::new(sandbox.url(), sandbox.api_key()))
        .collect();

    let mut group = c.benchmark_group("sandbox");
    group.throughput(Throughput::Elements((IN_FLIGHT * PER_CLIENT) as u64));
    // An iteration is ~1,000 requests: ten samples are plenty.
    group.sample_size(10);
    group.bench_function("create_64_clients", |b| {
        b.to_async(&clients).iter(|| async {
            let mut tasks = JoinSet::new();
            for raw in &raws {
                let raw = raw.clone();
                tasks.spawn(async move {
                    for _ in 0..PER_CLIENT {
                        black_box(raw.create().await);
                    }
                });
            }
            while let Some(done) = tasks.join_next().await {
                done.expect("no client panics");
            }
        });
    });
    group.finish();
}

criterion_group!(benches, sequential, in_flight, sandbox_throughput);
criterion_main!(benches);
