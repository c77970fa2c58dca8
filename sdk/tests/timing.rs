//! What a server says about time (`Retry-After`, `X-RateLimit-*`) and how long it takes
//! to say it, read by the retry loop over real HTTP on loopback.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;
use thena_sdk::{Client, Error, types};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn created() -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({
        "status": true, "message": "Success", "timestamp": "2024-01-01T00:00:00.000Z",
        "data": { "id": "T1" }
    }))
}

/// A server that answers the first request with `first`, then 201.
async fn once_then_created(first: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(first)
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(created())
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer, backoff: Duration) -> Client {
    Client::builder()
        .base_url(server.uri())
        .api_key("tk_test_timing")
        .backoff(backoff, backoff)
        .rate_limit_aware(false)
        .build()
        .expect("valid settings")
}

fn ticket() -> types::builder::CreateTicketBody {
    types::CreateTicketBody::builder()
        .title("t")
        .requestor_email("u@example.com")
        .team_id("T")
}

#[tokio::test]
async fn a_429_whose_reset_has_passed_still_waits_the_backoff() {
    let past = (unix_now() - 30).to_string();
    let server = once_then_created(
        ResponseTemplate::new(429)
            .insert_header("x-ratelimit-remaining", "0")
            .insert_header("x-ratelimit-reset", past.as_str()),
    )
    .await;

    let started = Instant::now();
    let response = client(&server, Duration::from_millis(400))
        .create_ticket()
        .body(ticket())
        .send()
        .await
        .expect("the retry succeeds");

    assert_eq!(response.head().attempts(), 2);
    // The first retry's backoff is drawn from [base/2, base].
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "retried after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_429_with_a_reset_but_no_remaining_waits_for_the_reset() {
    let reset = unix_now() + 2;
    let server = once_then_created(
        ResponseTemplate::new(429).insert_header("x-ratelimit-reset", reset.to_string().as_str()),
    )
    .await;

    client(&server, Duration::from_millis(1))
        .create_ticket()
        .body(ticket())
        .send()
        .await
        .expect("the retry succeeds");

    assert!(
        unix_now() >= reset,
        "retried before the reset at {reset} (now {})",
        unix_now()
    );
}

/// A server that sends a 200's head and half of its body, then stalls.
async fn stalling() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 8192];
                let _ = stream.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                            content-length: 100\r\n\r\n{\"status\":";
                let _ = stream.write_all(head.as_bytes()).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    url
}

#[tokio::test]
async fn a_body_that_stalls_past_the_timeout_is_a_timeout() {
    let url = stalling().await;
    let client = Client::builder()
        .base_url(&url)
        .api_key("tk_test_timing")
        .timeout(Duration::from_millis(200))
        .backoff(Duration::from_millis(1), Duration::from_millis(1))
        .build()
        .expect("valid settings");

    let err = client
        .update_ticket()
        .id("T1")
        .body(types::UpdateTicketBody::builder())
        .send()
        .await
        .expect_err("the body never arrives");

    assert!(matches!(err, Error::ResponseBodyError { .. }), "{err:?}");
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.attempts(), 3, "a body cut short is retried");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(200));
}
