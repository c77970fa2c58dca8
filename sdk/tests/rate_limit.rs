//! The rate limiter's rules over real HTTP on loopback: a server keeping a fixed-window
//! quota on a clock of its own, reporting it in all, some or none of the headers, shared
//! by several clients. The assertions count requests and 429s; none measures a duration.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;
use thena_sdk::{Client, ClientBuilder, Error, types};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[derive(Clone, Copy, PartialEq)]
enum Headers {
    All,
    /// `X-RateLimit-Remaining` and `X-RateLimit-Reset`, no `Limit`.
    Some,
    None,
}

/// A fixed-window quota of `limit` requests per `window` seconds, on a clock `shift`
/// seconds off this machine's (its `Date` and resets both).
struct Quota {
    limit: u64,
    window: i64,
    shift: i64,
    headers: Headers,
    delay: Duration,
    /// The first request (counting from 0) whose answer is delayed.
    delay_from: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The current window's index and the requests counted in it.
    current: (i64, u64),
    /// Every request: its arrival, the window it landed in, whether it got a 429.
    arrivals: Vec<(Instant, i64, bool)>,
}

impl Quota {
    fn new(limit: u64, window: i64) -> Self {
        Self {
            limit,
            window,
            shift: 0,
            headers: Headers::All,
            delay: Duration::ZERO,
            delay_from: 0,
            state: Mutex::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn refused(&self) -> usize {
        self.state().arrivals.iter().filter(|a| a.2).count()
    }

    fn received(&self) -> usize {
        self.state().arrivals.len()
    }

    /// The windows requests landed in, in arrival order.
    fn windows(&self) -> Vec<i64> {
        self.state().arrivals.iter().map(|a| a.1).collect()
    }

    /// Whether two requests were ever in flight together: one arrived before the
    /// answer to the one before it (answers take `delay`).
    fn overlapped(&self) -> bool {
        let s = self.state();
        s.arrivals
            .windows(2)
            .any(|pair| pair[1].0.duration_since(pair[0].0) < self.delay / 2)
    }
}

#[derive(Clone)]
struct Server(Arc<Quota>);

impl Respond for Server {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let q = &self.0;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
            + q.shift * 1000;
        let index = now.div_euclid(q.window * 1000);
        let mut s = q.state();
        if s.current.0 != index {
            s.current = (index, 0);
        }
        let over = s.current.1 >= q.limit;
        if !over {
            s.current.1 += 1;
        }
        let remaining = q.limit - s.current.1;
        let delay = match s.arrivals.len() >= q.delay_from {
            true => q.delay,
            false => Duration::ZERO,
        };
        s.arrivals.push((Instant::now(), index, over));
        drop(s);
        let reset = (index + 1) * q.window;
        let date = chrono::DateTime::from_timestamp(now.div_euclid(1000), 0)
            .expect("a date")
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let mut answer = match over {
            true => ResponseTemplate::new(429)
                .insert_header(
                    "retry-after",
                    ((reset * 1000 - now + 999) / 1000).to_string(),
                )
                .set_body_json(json!({"statusCode": 429, "message": "slow down"})),
            false => ResponseTemplate::new(201).set_body_json(json!({
                "status": true, "message": "Success", "timestamp": "2024-01-01T00:00:00.000Z",
                "data": { "id": "T1" }
            })),
        }
        .insert_header("date", date.as_str())
        .set_delay(delay);
        if q.headers != Headers::None {
            answer = answer
                .insert_header("x-ratelimit-remaining", remaining.to_string())
                .insert_header("x-ratelimit-reset", reset.to_string());
        }
        if q.headers == Headers::All {
            answer = answer.insert_header("x-ratelimit-limit", q.limit.to_string());
        }
        answer
    }
}

async fn serve(quota: Quota) -> (MockServer, Arc<Quota>) {
    let server = MockServer::start().await;
    let quota = Arc::new(quota);
    Mock::given(method("POST"))
        .respond_with(Server(Arc::clone(&quota)))
        .mount(&server)
        .await;
    (server, quota)
}

fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .base_url(server.uri())
        .api_key("tk_test_limits")
        .max_retries(0)
}

fn client(server: &MockServer) -> Client {
    builder(server).build().expect("valid settings")
}

async fn create(client: &Client) -> Result<(), Error> {
    client
        .create_ticket()
        .body(
            types::CreateTicketBody::builder()
                .title("t")
                .requestor_email("u@example.com")
                .team_id("T"),
        )
        .send()
        .await
        .map(drop)
}

/// `n` creates by `tasks` tasks through one client; every result.
async fn load(client: &Client, tasks: usize, n: usize) -> Vec<Result<(), Error>> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers: Vec<_> = (0..tasks)
        .map(|_| {
            let (client, next) = (client.clone(), Arc::clone(&next));
            tokio::spawn(async move {
                let mut results = Vec::new();
                while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < n {
                    results.push(create(&client).await);
                }
                results
            })
        })
        .collect();
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.expect("no panic"));
    }
    all
}

fn all_ok(results: &[Result<(), Error>]) {
    for r in results {
        if let Err(e) = r {
            panic!("{e}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_clock_an_hour_off_either_way_costs_no_429() {
    for shift in [-3600, 3600] {
        let (server, quota) = serve(Quota {
            shift,
            ..Quota::new(10, 1)
        })
        .await;
        all_ok(&load(&client(&server), 16, 25).await);
        assert_eq!(quota.refused(), 0, "server clock {shift} s off");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remaining_and_reset_without_limit_are_enough() {
    let (server, quota) = serve(Quota {
        headers: Headers::Some,
        ..Quota::new(10, 1)
    })
    .await;
    all_ok(&load(&client(&server), 16, 25).await);
    assert_eq!(quota.refused(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_start_probes_before_releasing_64_tasks() {
    let (server, quota) = serve(Quota::new(10, 1)).await;
    all_ok(&load(&client(&server), 64, 20).await);
    assert_eq!(quota.refused(), 0);
}

#[tokio::test]
async fn a_report_of_0_from_another_clients_spending_holds_this_one() {
    // A window long enough for the steps below.
    let (server, quota) = serve(Quota::new(10, 4)).await;
    let (a, b) = (client(&server), client(&server));
    create(&a).await.expect("a's probe: 9 left");
    for _ in 0..8 {
        create(&b).await.expect("b spends 8 of them");
    }
    create(&a)
        .await
        .expect("a's second: the report says 0 left");
    create(&a)
        .await
        .expect("a's third waits for the next window");
    let windows = quota.windows();
    assert_eq!(quota.refused(), 0, "{windows:?}");
    // Unless the window turned while b spent, a's third landed in a later window.
    if windows[0] == windows[9] {
        assert!(windows[10] > windows[9], "{windows:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_any_report_requests_still_go_together() {
    let (server, quota) = serve(Quota {
        headers: Headers::None,
        delay: Duration::from_millis(200),
        ..Quota::new(1_000, 60)
    })
    .await;
    all_ok(&load(&client(&server), 8, 24).await);
    assert!(
        quota.overlapped(),
        "one request at a time: the limiter stalled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_reports_stop_after_a_window_was_learned_requests_still_go_together() {
    let (server, quota) = serve(Quota::new(1_000, 1)).await;
    let client = client(&server);
    create(&client).await.expect("a window learned");
    // The server stops reporting (a proxy strips the headers).
    server.reset().await;
    let silent = Arc::new(Quota {
        headers: Headers::None,
        delay: Duration::from_millis(200),
        ..Quota::new(1_000, 60)
    });
    Mock::given(method("POST"))
        .respond_with(Server(Arc::clone(&silent)))
        .mount(&server)
        .await;
    all_ok(&load(&client, 8, 24).await);
    assert_eq!(quota.received(), 1);
    assert!(
        silent.overlapped(),
        "one request at a time: the limiter stalled"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn callers_are_admitted_in_arrival_order() {
    let (server, _) = serve(Quota::new(3, 1)).await;
    let client = client(&server);
    let order = Arc::new(Mutex::new(Vec::new()));
    let tasks: Vec<_> = (0..9)
        .map(|i| {
            let (client, order) = (client.clone(), Arc::clone(&order));
            tokio::spawn(async move {
                create(&client).await.expect("created");
                order.lock().unwrap_or_else(PoisonError::into_inner).push(i);
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("no panic");
    }
    let order = order.lock().unwrap_or_else(PoisonError::into_inner).clone();
    assert_eq!(order, (0..9).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_spent_quota_past_the_operation_timeout_fails_at_once_unsent() {
    let (server, quota) = serve(Quota::new(1, 3600)).await;
    let client = builder(&server)
        .operation_timeout(Duration::from_secs(5))
        .build()
        .expect("valid");
    assert_eq!(client.quota_spent_until(), None, "nothing known yet");
    create(&client).await.expect("the hour's one request");
    let until = client
        .quota_spent_until()
        .expect("spent until the hour's end");
    let left = until.duration_since(SystemTime::now()).unwrap_or_default();
    assert!(
        left > Duration::from_secs(5) && left <= Duration::from_secs(3601),
        "{left:?}"
    );
    let err = create(&client)
        .await
        .expect_err("the quota is spent for the hour");
    assert!(matches!(err, Error::QuotaExhausted { .. }), "{err:?}");
    assert_eq!(quota.received(), 1, "nothing sent for the second call");
    assert!(err.to_string().contains("until"), "{err}");
}

#[tokio::test]
async fn waits_for_admission_end_at_the_operation_timeout() {
    // One request left in the hour, and it is in flight for long: the next call may
    // not wait for its answer past its limit.
    let (server, quota) = serve(Quota {
        delay: Duration::from_secs(3),
        delay_from: 1,
        ..Quota::new(2, 3600)
    })
    .await;
    let client = builder(&server)
        .operation_timeout(Duration::from_millis(800))
        .build()
        .expect("valid");
    create(&client).await.expect("one of two");
    let slow = tokio::spawn({
        let client = client.clone();
        async move { create(&client).await }
    });
    while quota.received() < 2 {
        tokio::task::yield_now().await;
    }
    let err = create(&client).await.expect_err("no room within 800 ms");
    assert!(matches!(err, Error::QuotaExhausted { .. }), "{err:?}");
    assert_eq!(err.attempts(), 0);
    let slow = slow.await.expect("no panic").expect_err("timed out");
    assert!(slow.is_timeout(), "{slow}");
    assert_eq!(quota.received(), 2);
}

#[tokio::test]
async fn a_dropped_caller_leaves_the_queue_at_once() {
    let (server, quota) = serve(Quota {
        delay: Duration::from_millis(500),
        ..Quota::new(100, 60)
    })
    .await;
    let client = client(&server);
    let probe = tokio::spawn({
        let client = client.clone();
        async move { create(&client).await }
    });
    while quota.received() == 0 {
        tokio::task::yield_now().await;
    }
    // Queued behind the probe, then given up.
    let gave_up = tokio::time::timeout(Duration::from_millis(50), create(&client)).await;
    assert!(gave_up.is_err(), "admitted while the probe was in flight");
    probe.await.expect("no panic").expect("created");
    create(&client)
        .await
        .expect("the next caller is not stuck behind it");
    assert_eq!(quota.received(), 2);
}

#[tokio::test]
async fn stop_sending_refuses_the_calls_waiting_and_lets_the_sent_finish() {
    let (server, quota) = serve(Quota {
        delay: Duration::from_millis(500),
        ..Quota::new(100, 60)
    })
    .await;
    let client = client(&server);
    let probe = tokio::spawn({
        let client = client.clone();
        async move { create(&client).await }
    });
    while quota.received() == 0 {
        tokio::task::yield_now().await;
    }
    let waiting = tokio::spawn({
        let client = client.clone();
        async move { create(&client).await }
    });
    tokio::task::yield_now().await;
    client.stop_sending();
    let err = waiting
        .await
        .expect("no panic")
        .expect_err("stopped while waiting");
    assert!(matches!(err, Error::Stopped { .. }), "{err:?}");
    assert_eq!(err.attempts(), 0);
    assert!(err.dedup_key().is_some());
    probe
        .await
        .expect("no panic")
        .expect("the request sent finishes");
    let later = create(&client).await.expect_err("stopped for good");
    assert!(matches!(later, Error::Stopped { .. }), "{later:?}");
    assert_eq!(quota.received(), 1);
}
