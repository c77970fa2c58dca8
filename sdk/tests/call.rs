//! The runtime's call loop over real HTTP on loopback, against scripted servers: what is
//! retried and how often, how long the client waits, which limits end a call, and what
//! every result and error reports. These tests pin each decision of the runtime (they
//! are what `cargo xtask mutants` judges it by); the end-to-end suites against the
//! sandbox live in thena-tests.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use thena_sdk::{Client, ClientBuilder, Error, Timeout, types};
use wiremock::matchers::{header, header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "tk_test_call_0123";

fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .base_url(server.uri())
        .api_key(KEY)
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
}

fn client(server: &MockServer) -> Client {
    builder(server).build().expect("valid settings")
}

fn created() -> ResponseTemplate {
    answer(201)
}

/// A ticket answer with this status.
fn answer(status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "status": true, "message": "Success", "timestamp": "2024-01-01T00:00:00.000Z",
        "data": { "id": "T1", "ticketIdentifier": "TEAM-1" }
    }))
}

fn error(status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "statusCode": status, "message": "no" }))
}

/// A server answering the first `n` requests with `first`, then with `then`.
async fn scripted(first: ResponseTemplate, n: u64, then: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(first)
        .up_to_n_times(n)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(then)
        .mount(&server)
        .await;
    server
}

fn ticket() -> types::builder::CreateTicketBody {
    types::CreateTicketBody::builder()
        .title("t")
        .requestor_email("u@example.com")
        .team_id("T")
}

async fn create(client: &Client) -> Result<thena_sdk::ResponseValue<types::TicketResponse>, Error> {
    client.create_ticket().body(ticket()).send().await
}

/// The `deDuplicationKey` of every request the server received.
async fn keys(server: &MockServer) -> Vec<Option<String>> {
    server
        .received_requests()
        .await
        .expect("recorded")
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            body["deDuplicationKey"].as_str().map(str::to_owned)
        })
        .collect()
}

#[tokio::test]
async fn every_request_carries_the_key_and_the_user_agent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/tickets"))
        .and(header("x-api-key", KEY))
        .and(header_exists("user-agent"))
        .respond_with(created())
        .expect(1)
        .mount(&server)
        .await;
    let response = create(&client(&server)).await.expect("created");
    assert_eq!(response.head().attempts(), 1);
    let received = server.received_requests().await.expect("recorded");
    let agent = received[0]
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok());
    assert!(
        agent.is_some_and(|a| a.starts_with("thena-sdk-rust/")),
        "{agent:?}"
    );
}

#[tokio::test]
async fn a_callers_user_agent_is_kept() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("user-agent", "my-app/2"))
        .respond_with(created())
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server)
        .configure_http(|http| http.user_agent("my-app/2"))
        .build()
        .expect("valid settings");
    create(&client).await.expect("created");
}

#[tokio::test]
async fn each_transient_status_is_retried_with_the_same_key_and_no_other_is() {
    for status in [408, 429, 500, 502, 503, 504] {
        let server = scripted(error(status), 1, created()).await;
        let response = create(&client(&server)).await.expect("the retry succeeds");
        assert_eq!(response.head().attempts(), 2, "{status}");
        let keys = keys(&server).await;
        assert!(
            keys[0].is_some() && keys[0] == keys[1],
            "{status}: {keys:?}"
        );
        assert_eq!(response.head().dedup_key(), keys[0].as_deref());
    }
    for status in [400, 401, 404, 409, 422, 501] {
        let server = scripted(error(status), 1, created()).await;
        let err = create(&client(&server)).await.expect_err("not retried");
        assert_eq!(err.attempts(), 1, "{status}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
    }
}

#[tokio::test]
async fn retries_stop_after_max_retries() {
    for retries in [0u32, 1, 3] {
        let server = scripted(error(503), 100, created()).await;
        let err = create(
            &builder(&server)
                .max_retries(retries)
                .build()
                .expect("valid"),
        )
        .await
        .expect_err("503 throughout");
        assert_eq!(err.attempts(), retries + 1);
        assert_eq!(
            server.received_requests().await.map(|r| r.len()),
            Some(retries as usize + 1)
        );
    }
}

/// A client whose first retry waits at least 200 ms: backoff is drawn from
/// [base/2, base].
fn waiting(server: &MockServer) -> Client {
    builder(server)
        .backoff(Duration::from_millis(400), Duration::from_millis(400))
        .build()
        .expect("valid settings")
}

/// How long a create that succeeds on its one retry takes.
async fn retried_in(client: &Client) -> Duration {
    let started = Instant::now();
    let response = create(client).await.expect("the retry succeeds");
    assert_eq!(response.head().attempts(), 2);
    started.elapsed()
}

#[tokio::test]
async fn the_client_waits_the_backoff_between_attempts() {
    let server = scripted(error(503), 1, created()).await;
    let waited = retried_in(&waiting(&server)).await;
    assert!(waited >= Duration::from_millis(200), "{waited:?}");
}

#[tokio::test]
async fn the_wait_is_the_larger_of_retry_after_and_the_backoff() {
    let server = scripted(error(503).insert_header("retry-after", "1"), 1, created()).await;
    let waited = retried_in(&client(&server)).await;
    assert!(waited >= Duration::from_secs(1), "{waited:?}");

    let server = scripted(error(503).insert_header("retry-after", "0"), 1, created()).await;
    let waited = retried_in(&waiting(&server)).await;
    assert!(waited >= Duration::from_millis(200), "{waited:?}");
}

#[tokio::test]
async fn a_wait_longer_than_max_retry_wait_returns_the_error_at_once() {
    let server = scripted(error(429).insert_header("retry-after", "120"), 1, created()).await;
    let started = Instant::now();
    let err = create(&client(&server))
        .await
        .expect_err("not worth waiting");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert!(err.is_retryable());

    // The same wait is slept when the setting allows it.
    let server = scripted(error(429).insert_header("retry-after", "1"), 1, created()).await;
    let client = builder(&server)
        .max_retry_wait(Duration::from_secs(1))
        .build()
        .expect("valid settings");
    let response = create(&client).await.expect("waited and retried");
    assert_eq!(response.head().attempts(), 2);
}

#[tokio::test]
async fn an_operation_timeout_allows_the_retries_that_fit_and_no_other() {
    let server = scripted(error(503), 1, created()).await;
    let client = builder(&server)
        .operation_timeout(Duration::from_secs(10))
        .build()
        .expect("valid settings");
    let response = create(&client).await.expect("the retry fits");
    assert_eq!(response.head().attempts(), 2);

    let server = scripted(error(503).insert_header("retry-after", "2"), 1, created()).await;
    let client = builder(&server)
        .operation_timeout(Duration::from_secs(1))
        .build()
        .expect("valid settings");
    let started = Instant::now();
    let err = create(&client).await.expect_err("the retry does not fit");
    assert_eq!(err.attempts(), 1);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_timeout_says_which_limit_ended_the_attempt() {
    let server = scripted(created().set_delay(Duration::from_secs(5)), 100, created()).await;
    let err = create(
        &builder(&server)
            .timeout(Duration::from_millis(100))
            .max_retries(1)
            .build()
            .expect("valid"),
    )
    .await
    .expect_err("too slow");
    assert!(err.is_timeout() && err.is_retryable(), "{err:?}");
    assert!(
        matches!(
            err,
            Error::CommunicationError {
                timeout: Some(Timeout::Attempt(d)),
                ..
            } if d == Duration::from_millis(100)
        ) && err.attempts() == 2,
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("timed out after 100 ms (the per-attempt timeout)"),
        "{err}"
    );

    let err = create(
        &builder(&server)
            .operation_timeout(Duration::from_millis(150))
            .build()
            .expect("valid"),
    )
    .await
    .expect_err("too slow");
    assert!(
        matches!(
            err,
            Error::CommunicationError {
                timeout: Some(Timeout::Operation(d)),
                ..
            } if d <= Duration::from_millis(150)
        ) && err.attempts() == 1
            && err.stop() == Some(thena_sdk::Stop::OperationTimeout),
        "{err:?}"
    );
    // The limit that cut the attempt is named once, not again as a retry not made.
    let text = err.to_string();
    assert!(text.contains("the operation timeout"), "{text}");
    assert!(!text.contains("would start past"), "{text}");
}

#[tokio::test]
async fn a_create_gets_one_generated_key_a_callers_key_is_kept_and_updates_carry_none() {
    let server = scripted(error(503), 2, created()).await;
    create(&client(&server)).await.expect("created");
    let sent = keys(&server).await;
    assert_eq!(sent.len(), 3);
    let key = sent[0].clone().expect("a generated key");
    assert_eq!(key.len(), 36, "a UUID: {key}");
    assert!(
        sent.iter().all(|k| k.as_deref() == Some(key.as_str())),
        "{sent:?}"
    );

    let server = scripted(error(503), 1, created()).await;
    client(&server)
        .create_ticket()
        .body(ticket().de_duplication_key("order-7"))
        .send()
        .await
        .expect("created");
    assert_eq!(keys(&server).await, vec![Some("order-7".to_owned()); 2]);

    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(error(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(answer(200))
        .mount(&server)
        .await;
    let updated = client(&server)
        .update_ticket()
        .id("T1")
        .body(types::UpdateTicketBody::builder().title("x"))
        .send()
        .await
        .expect("the retry succeeds");
    assert_eq!(updated.head().attempts(), 2);
    assert_eq!(updated.head().dedup_key(), None);
    assert_eq!(keys(&server).await, vec![None, None]);
}

#[tokio::test]
async fn without_generated_keys_a_create_is_sent_once() {
    let server = scripted(error(503), 1, created()).await;
    let client = builder(&server)
        .idempotent_creates(false)
        .build()
        .expect("valid settings");
    let err = create(&client).await.expect_err("not retried");
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.dedup_key(), None);
    assert_eq!(keys(&server).await, vec![None]);

    // With its own key it is repeatable again.
    let server = scripted(error(503), 1, created()).await;
    let client = builder(&server)
        .idempotent_creates(false)
        .build()
        .expect("valid settings");
    let created = client
        .create_ticket()
        .body(ticket().de_duplication_key("mine"))
        .send()
        .await
        .expect("retried");
    assert_eq!(created.head().attempts(), 2);
}

#[tokio::test]
async fn a_409_is_a_duplicate_only_when_the_server_can_have_seen_the_key() {
    // An earlier attempt that may have been carried out (a 5xx), then 409: this call's
    // own ticket, most likely.
    let server = scripted(error(502), 1, error(409)).await;
    let err = create(&client(&server)).await.expect_err("409");
    assert!(
        err.is_duplicate() && err.earlier_attempt_may_have_created(),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("most likely created by an earlier attempt")
    );

    // The caller's own key may have been sent by another call: a duplicate.
    let server = scripted(error(409), 1, created()).await;
    let err = client(&server)
        .create_ticket()
        .body(ticket().de_duplication_key("order-42"))
        .send()
        .await
        .expect_err("409");
    assert!(
        err.is_duplicate() && !err.earlier_attempt_may_have_created(),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("a ticket with this deDuplicationKey exists"),
        "{err}"
    );

    // A key generated for this call, whose only earlier attempt was refused before it
    // was carried out (429), cannot be known to the server: the 409 is about something
    // else, a refusal like any other, with the server's own message.
    let blocked = ResponseTemplate::new(409).set_body_json(
        json!({ "statusCode": 409, "message": "requestor u@example.com is blocked" }),
    );
    for earlier in [None, Some(error(429))] {
        let server = match earlier {
            Some(refusal) => scripted(refusal, 1, blocked.clone()).await,
            None => scripted(blocked.clone(), 1, created()).await,
        };
        let err = create(&client(&server)).await.expect_err("409");
        assert!(!err.is_duplicate(), "{err}");
        let shown = err.to_string();
        assert!(
            shown.starts_with("HTTP 409 Conflict: requestor u@example.com is blocked"),
            "{shown}"
        );
        assert!(
            !shown.contains("exists") && !shown.contains("may exist"),
            "{shown}"
        );
        assert_eq!(err.stop(), Some(thena_sdk::Stop::NotRetryable));
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_its_head() {
    let big = ResponseTemplate::new(201)
        .insert_header("x-request-id", "req_big")
        .set_body_raw(vec![b' '; 2048], "application/json");
    let server = scripted(big, 100, created()).await;
    let client = builder(&server)
        .max_response_bytes(1024)
        .build()
        .expect("valid settings");
    let err = create(&client).await.expect_err("too large");
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: 1024, .. }),
        "{err:?}"
    );
    assert_eq!(err.request_id(), Some("req_big"));
    assert_eq!(err.attempts(), 1);

    // At the limit exactly, it is read.
    let exact = ResponseTemplate::new(201).set_body_raw(
        {
            let mut body = serde_json::to_vec(&json!({
                "status": true, "message": "m", "timestamp": "t", "data": {}
            }))
            .expect("JSON");
            body.resize(1024, b' ');
            body
        },
        "application/json",
    );
    let server = scripted(exact, 1, created()).await;
    let client = builder(&server)
        .max_response_bytes(1024)
        .build()
        .expect("valid settings");
    create(&client).await.expect("1024 bytes are within 1024");
}

#[tokio::test]
async fn every_answer_reports_status_attempts_request_id_and_rate_limit() {
    let server = scripted(
        error(503).insert_header("x-request-id", "req_1"),
        1,
        created()
            .insert_header("x-request-id", "req_2")
            .insert_header("x-ratelimit-limit", "100")
            .insert_header("x-ratelimit-remaining", "98")
            .insert_header("x-ratelimit-reset", "4102444800"),
    )
    .await;
    let response = create(&client(&server)).await.expect("created");
    let head = response.head();
    assert_eq!(head.status().as_u16(), 201);
    assert_eq!((head.attempts(), head.request_id()), (2, Some("req_2")));
    let limit = head.rate_limit().expect("reported");
    assert_eq!((limit.limit, limit.remaining), (Some(100), Some(98)));
    assert_eq!(response.data.id.as_deref(), Some("T1"));

    let server = scripted(
        error(404).insert_header("request-id", "req_3"),
        1,
        created(),
    )
    .await;
    let err = create(&client(&server)).await.expect_err("404");
    assert_eq!(err.request_id(), Some("req_3"));
    assert_eq!(err.server_message().as_deref(), Some("no"));
    assert_eq!(err.to_string(), "HTTP 404 Not Found: no (request id req_3)");
}

#[tokio::test]
async fn a_spent_window_waits_for_its_reset_before_sending() {
    let server = MockServer::start().await;
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        + 2;
    Mock::given(method("POST"))
        .respond_with(
            created()
                .insert_header("x-ratelimit-limit", "1")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str()),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(created())
        .mount(&server)
        .await;
    let windowed = client(&server);
    create(&windowed).await.expect("the window's one request");
    create(&windowed).await.expect("after the reset");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    assert!(now >= reset, "sent before the reset at {reset} (now {now})");

    // A wait the client may not sleep: the call fails at once, naming the quota.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            created()
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", (reset + 600).to_string().as_str()),
        )
        .mount(&server)
        .await;
    let far = builder(&server)
        .max_retry_wait(Duration::from_secs(60))
        .build()
        .expect("valid");
    create(&far).await.expect("first");
    let started = Instant::now();
    let err = create(&far).await.expect_err("a wait of 10 minutes");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(matches!(err, Error::QuotaExhausted { .. }), "{err:?}");
    assert_eq!(err.attempts(), 0);
    assert!(
        err.retry_after() > Some(Duration::from_secs(590)),
        "{err:?}"
    );
    assert!(err.is_retryable());
    let shown = err.to_string();
    assert!(
        shown.starts_with("not sent: the rate-limit quota is spent until ")
            && shown.contains(" UTC (")
            && shown.contains("longer than the call may wait"),
        "{shown}"
    );
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(1));

    // Without rate-limit awareness nothing waits.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            created()
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", (reset + 30).to_string().as_str()),
        )
        .mount(&server)
        .await;
    let client = builder(&server)
        .rate_limit_aware(false)
        .build()
        .expect("valid");
    create(&client).await.expect("first");
    let started = Instant::now();
    create(&client).await.expect("not held back");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn the_per_attempt_timeout_holds_within_a_longer_operation_timeout() {
    let server = scripted(created().set_delay(Duration::from_secs(5)), 100, created()).await;
    let started = Instant::now();
    let err = create(
        &builder(&server)
            .timeout(Duration::from_millis(100))
            .operation_timeout(Duration::from_secs(30))
            .max_retries(0)
            .build()
            .expect("valid"),
    )
    .await
    .expect_err("too slow");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            err,
            Error::CommunicationError {
                timeout: Some(Timeout::Attempt(d)),
                ..
            } if d == Duration::from_millis(100)
        ),
        "{err:?}"
    );
}

/// A port nothing listens on until `after`, then a server answering every request with
/// `status` and an `ErrorResponse`.
async fn listening_after(after: Duration, status: u16) -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port again");
        let server = MockServer::builder().listener(listener).start().await;
        Mock::given(method("POST"))
            .respond_with(error(status))
            .mount(&server)
            .await;
        tokio::time::sleep(Duration::from_secs(10)).await;
        drop(server);
    });
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn a_refused_connection_carried_nothing_so_a_409_after_it_is_no_duplicate() {
    let url = listening_after(Duration::from_millis(100), 409).await;
    let client = Client::builder()
        .base_url(&url)
        .api_key(KEY)
        .backoff(Duration::from_millis(800), Duration::from_millis(800))
        .build()
        .expect("valid settings");
    let err = create(&client).await.expect_err("409");
    assert_eq!(err.attempts(), 2, "refused, then answered: {err}");
    assert!(
        !err.earlier_attempt_may_have_created(),
        "a connection never made carried nothing"
    );
    assert!(
        !err.is_duplicate(),
        "the server cannot have seen a key generated for this call: {err}"
    );
}

/// A server that sends a 201 with `body` in two chunks, the second a moment later.
async fn in_two_chunks(body: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 8192];
                let _ = stream.read(&mut request).await;
                let (first, second) = body.split_at(body.len() / 2);
                let mut out = b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\n\
                                transfer-encoding: chunked\r\n\r\n"
                    .to_vec();
                out.extend_from_slice(format!("{:x}\r\n", first.len()).as_bytes());
                out.extend_from_slice(first);
                out.extend_from_slice(b"\r\n");
                let _ = stream.write_all(&out).await;
                let _ = stream.flush().await;
                tokio::time::sleep(Duration::from_millis(50)).await;
                let mut rest = format!("{:x}\r\n", second.len()).into_bytes();
                rest.extend_from_slice(second);
                rest.extend_from_slice(b"\r\n0\r\n\r\n");
                let _ = stream.write_all(&rest).await;
            });
        }
    });
    url
}

#[tokio::test]
async fn a_body_in_several_chunks_is_read_whole_and_counted_whole() {
    let body = serde_json::to_vec(&json!({
        "status": true, "message": "Success", "timestamp": "2024-01-01T00:00:00.000Z",
        "data": { "id": "T1", "title": "x".repeat(200) }
    }))
    .expect("JSON");
    let url = in_two_chunks(body.clone()).await;
    let sized = |limit: u64| {
        Client::builder()
            .base_url(&url)
            .api_key(KEY)
            .max_retries(0)
            .max_response_bytes(limit)
            .build()
            .expect("valid settings")
    };
    let limit = u64::try_from(body.len()).expect("a small body");
    let created = create(&sized(limit)).await.expect("the whole body fits");
    assert_eq!(
        created.data.title.as_deref(),
        Some("x".repeat(200).as_str())
    );
    // Both chunks count: a limit the first alone fits is passed by the two.
    let err = create(&sized(limit - 1)).await.expect_err("one byte over");
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn a_wait_over_max_retry_wait_is_not_slept_even_a_short_one() {
    let server = scripted(error(503).insert_header("retry-after", "1"), 1, created()).await;
    let client = builder(&server)
        .max_retry_wait(Duration::from_millis(100))
        .build()
        .expect("valid settings");
    let started = Instant::now();
    let err = create(&client).await.expect_err("1 s is over 100 ms");
    assert_eq!(err.attempts(), 1);
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

/// A server whose every answer says the quota is spent for `seconds` more.
async fn spent_until(seconds: u64) -> MockServer {
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        + seconds;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            created()
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str()),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_quota_wait_over_max_retry_wait_fails_at_once_unsent() {
    let server = spent_until(2).await;
    let client = builder(&server)
        .max_retry_wait(Duration::from_millis(100))
        .build()
        .expect("valid settings");
    create(&client).await.expect("first");
    let started = Instant::now();
    let err = create(&client).await.expect_err("not sent");
    assert!(matches!(err, Error::QuotaExhausted { .. }), "{err:?}");
    assert!(
        matches!(err.stop(), Some(thena_sdk::Stop::WaitTooLong(_))),
        "{:?}",
        err.stop()
    );
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_quota_wait_within_max_retry_wait_but_past_the_call_s_limit_is_the_limit() {
    let server = spent_until(3).await;
    // The default max_retry_wait (60 s) would wait; the call's 500 ms would not.
    let client = builder(&server)
        .operation_timeout(Duration::from_millis(500))
        .build()
        .expect("valid settings");
    create(&client).await.expect("first");
    let err = create(&client).await.expect_err("not sent");
    assert!(matches!(err, Error::QuotaExhausted { .. }), "{err:?}");
    assert_eq!(err.stop(), Some(thena_sdk::Stop::OperationTimeout));
}

#[tokio::test]
async fn why_a_call_stopped_is_named_truly_when_retries_are_off_or_the_wait_too_long() {
    // Retries off: a retryable failure is final, not retries run out.
    let server = scripted(error(503), 1, created()).await;
    let err = create(&builder(&server).max_retries(0).build().expect("valid"))
        .await
        .expect_err("one attempt");
    assert_eq!(err.stop(), Some(thena_sdk::Stop::NotRetryable), "{err:?}");

    // The server's wait, over max_retry_wait (60 s by default): no wait at all.
    let server = scripted(
        error(503).insert_header("retry-after", "3600"),
        1,
        created(),
    )
    .await;
    let started = Instant::now();
    let err = create(&client(&server))
        .await
        .expect_err("an hour is too long");
    assert_eq!(
        err.stop(),
        Some(thena_sdk::Stop::WaitTooLong(Duration::from_secs(3600))),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // Retries off, and the one attempt cut short by the call's limit: the limit, which
    // a refused connection is not.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(created().set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let limited = |base: &str| {
        Client::builder()
            .base_url(base)
            .api_key(KEY)
            .max_retries(0)
            .operation_timeout(Duration::from_millis(300))
            .build()
            .expect("valid")
    };
    let err = create(&limited(&server.uri())).await.expect_err("too slow");
    assert_eq!(
        err.stop(),
        Some(thena_sdk::Stop::OperationTimeout),
        "{err:?}"
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let refused = format!("http://{}", closed.local_addr().expect("an address"));
    drop(closed);
    let err = create(&limited(&refused)).await.expect_err("refused");
    assert_eq!(err.stop(), Some(thena_sdk::Stop::NotRetryable), "{err:?}");
}

#[tokio::test]
async fn display_says_why_no_retry_was_made_and_what_an_undocumented_status_means() {
    // The server's wait would end past the call's limit: no attempt started.
    let server = scripted(error(503).insert_header("retry-after", "2"), 1, created()).await;
    let limited = builder(&server)
        .operation_timeout(Duration::from_secs(1))
        .build()
        .expect("valid");
    let text = create(&limited)
        .await
        .expect_err("no room to wait")
        .to_string();
    assert!(
        text.contains("; not retried: the next attempt would start past the operation timeout"),
        "{text}"
    );

    // A wait over max_retry_wait is named, with its length.
    let server = scripted(error(503).insert_header("retry-after", "120"), 1, created()).await;
    let text = create(&client(&server))
        .await
        .expect_err("too long")
        .to_string();
    assert!(
        text.contains("; not retried: the wait asked for, 120 s, is longer than max_retry_wait"),
        "{text}"
    );

    // A 300 without a Location: undocumented, and not a success.
    let server = scripted(ResponseTemplate::new(300), 1, created()).await;
    let err = create(&client(&server)).await.expect_err("undocumented");
    let text = err.to_string();
    assert!(
        text.contains("HTTP 300 Multiple Choices: a status the API does not document"),
        "{text}"
    );
    assert!(!err.carried_out(), "{text}");
}

#[tokio::test]
async fn a_success_says_whether_an_earlier_attempt_may_have_made_the_ticket() {
    let server = scripted(error(503), 1, created()).await;
    let client = client(&server);
    let after_503 = create(&client).await.expect("created on the retry");
    assert!(after_503.head().earlier_attempt_may_have_created());
    let first_time = create(&client).await.expect("created at once");
    assert!(!first_time.head().earlier_attempt_may_have_created());
}
