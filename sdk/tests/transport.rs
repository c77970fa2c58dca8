//! Failures without a response, each made for real on loopback: the error names the
//! cause in words, keeps the URL and the attempt count, and the failures that can heal
//! are retried.

use std::time::Duration;

use thena_sdk::{Cause, Client, Error, Stop, Timeout, types};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpSocket};

fn client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .api_key("tk_test_transport")
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .expect("valid settings")
}

/// An update: always safe to retry, so the attempt count shows the retries.
async fn update(client: &Client) -> Error {
    client
        .update_ticket()
        .id("T1")
        .body(types::UpdateTicketBody::builder())
        .send()
        .await
        .expect_err("no answer")
}

/// Asserts a failure without a response, retried to the end, with `cause` as a value
/// and `phrase` in its text.
fn assert_cause(err: &Error, cause: Cause, phrase: &str, attempts: u32) {
    assert!(matches!(err, Error::CommunicationError { .. }), "{err:?}");
    assert_eq!(err.cause(), Some(cause), "{err}");
    assert_eq!(err.attempts(), attempts, "{err}");
    let phrase_shown = err.to_string();
    assert!(phrase_shown.contains(phrase), "{phrase_shown}");
    assert!(
        phrase_shown.contains("/v1/tickets/T1"),
        "the URL is kept: {phrase_shown}"
    );
    assert!(
        std::error::Error::source(err).is_some(),
        "the chain is kept for code that walks it"
    );
}

/// A port with nothing listening on it.
async fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    drop(listener);
    url
}

#[tokio::test]
async fn a_refused_connection_is_retried_and_named() {
    let url = closed_port().await;
    let err = update(&client(&url)).await;
    let host = url.trim_start_matches("http://");
    assert_cause(
        &err,
        Cause::Refused,
        &format!("connection refused by {host}"),
        3,
    );
    assert_eq!(err.stop(), Some(Stop::RetriesExhausted));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_host_that_does_not_resolve_is_named() {
    // `.invalid` never resolves (RFC 6761).
    let err = update(&client("https://thena-sdk-test.invalid")).await;
    assert_cause(
        &err,
        Cause::HostNotFound,
        "host not found: the DNS lookup of thena-sdk-test.invalid failed",
        3,
    );
    assert!(err.is_retryable(), "a DNS hiccup may pass");
}

/// A server that accepts, reads the request and then does `then` to the connection.
async fn server(reset: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = [0u8; 8192];
            let _ = stream.read(&mut request).await;
            if reset {
                // Linger zero: closing sends RST instead of FIN.
                let _ = stream.set_zero_linger();
            }
            drop(stream);
        }
    });
    url
}

#[tokio::test]
async fn a_reset_connection_is_retried_and_named() {
    let url = server(true).await;
    let err = update(&client(&url)).await;
    assert_cause(&err, Cause::Reset, "was reset", 3);
}

#[tokio::test]
async fn a_connection_closed_without_an_answer_is_retried_and_named() {
    let url = server(false).await;
    let err = update(&client(&url)).await;
    assert_cause(
        &err,
        Cause::Closed,
        "closed the connection before answering in full",
        3,
    );
}

/// A create with one attempt: whether its Display says the ticket may exist.
async fn create_once(url: &str) -> String {
    let client = Client::builder()
        .base_url(url)
        .api_key("tk_test_transport")
        .max_retries(0)
        .build()
        .expect("valid settings");
    let body = types::CreateTicketBody::builder()
        .title("Printer on fire")
        .requestor_email("user@example.com")
        .team_id("team_1");
    let err = client
        .create_ticket()
        .body(body)
        .send()
        .await
        .expect_err("no answer");
    assert_eq!(err.attempts(), 1, "{err}");
    err.to_string()
}

#[tokio::test]
async fn a_create_whose_request_left_may_exist_one_never_sent_does_not() {
    // Read, then the connection closed: the platform may have created the ticket.
    let shown = create_once(&server(false).await).await;
    assert!(
        shown.contains("; the ticket may exist: retry with deDuplicationKey "),
        "{shown}"
    );
    // Refused: nothing was sent.
    let shown = create_once(&closed_port().await).await;
    assert!(!shown.contains("may exist"), "{shown}");
    assert!(shown.contains("; retry with deDuplicationKey "), "{shown}");
    // Nor after every retry was refused, or found no host: no attempt carried anything.
    for url in [
        closed_port().await,
        "https://thena-sdk-test.invalid".to_owned(),
    ] {
        let err = client(&url)
            .create_ticket()
            .body(
                types::CreateTicketBody::builder()
                    .title("t")
                    .requestor_email("u@example.com")
                    .team_id("T"),
            )
            .send()
            .await
            .expect_err("no answer");
        assert_eq!(err.attempts(), 3, "{err}");
        assert!(!err.earlier_attempt_may_have_created(), "{err}");
        let shown = err.to_string();
        assert!(!shown.contains("may exist"), "{shown}");
        assert!(shown.contains("; retry with deDuplicationKey "), "{shown}");
    }
}

/// A server that answers a head at once and then never sends the body it announced.
async fn stalling_body() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let mut open = Vec::new();
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = [0u8; 8192];
            let _ = stream.read(&mut request).await;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{")
                .await;
            open.push(stream);
        }
    });
    url
}

#[tokio::test]
async fn a_body_read_that_times_out_says_which_limit() {
    let url = stalling_body().await;
    let client = Client::builder()
        .base_url(&url)
        .api_key("tk_test_transport")
        .timeout(Duration::from_millis(150))
        .max_retries(1)
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .expect("valid settings");
    let err = update(&client).await;
    assert!(
        matches!(
            err,
            Error::ResponseBodyError {
                timeout: Some(Timeout::Attempt(d)),
                ..
            } if d == Duration::from_millis(150)
        ),
        "{err:?}"
    );
    assert_eq!(err.cause(), Some(Cause::TimedOut));
    assert_eq!(err.stop(), Some(Stop::RetriesExhausted));
    let shown = err.to_string();
    assert!(
        shown.contains(
            "the body could not be read: timed out after 150 ms (the per-attempt timeout)"
        ),
        "{shown}"
    );
}

/// A server that accepts and never answers.
async fn silent() -> (String, TcpListener) {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket
        .bind("127.0.0.1:0".parse().expect("an address"))
        .expect("bound");
    let listener = socket.listen(64).expect("listening");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    (url, listener)
}

#[tokio::test]
async fn a_timeout_says_which_limit_ended_it() {
    let (url, _listener) = silent().await;
    let per_attempt = Client::builder()
        .base_url(&url)
        .api_key("tk_test_transport")
        .timeout(Duration::from_millis(100))
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .expect("valid settings");
    let err = update(&per_attempt).await;
    assert_cause(
        &err,
        Cause::TimedOut,
        "timed out after 100 ms (the per-attempt timeout)",
        3,
    );
    assert!(err.is_timeout() && err.is_retryable());
    assert_eq!(err.stop(), Some(Stop::RetriesExhausted), "retries ran out");
    assert!(matches!(
        err,
        Error::CommunicationError {
            timeout: Some(Timeout::Attempt(_)),
            ..
        }
    ));

    let whole = Client::builder()
        .base_url(&url)
        .api_key("tk_test_transport")
        .operation_timeout(Duration::from_millis(150))
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .expect("valid settings");
    let err = update(&whole).await;
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(
        err.stop(),
        Some(Stop::OperationTimeout),
        "cut short, not exhausted"
    );
    assert!(
        err.to_string()
            .contains("(what was left of the operation timeout)"),
        "{err}"
    );
    assert!(matches!(
        err,
        Error::CommunicationError {
            timeout: Some(Timeout::Operation(_)),
            ..
        }
    ));
}

/// A listener whose accept queue is full: a new connection is never completed.
async fn unreachable() -> (String, Vec<std::net::TcpStream>, TcpListener) {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket
        .bind("127.0.0.1:0".parse().expect("an address"))
        .expect("bound");
    let listener = socket.listen(1).expect("listening");
    let addr = listener.local_addr().expect("an address");
    // Fill the queue; the kernel then drops further handshakes.
    let mut held = Vec::new();
    for _ in 0..8 {
        let connect = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100));
        match connect {
            Ok(stream) => held.push(stream),
            Err(_) => break,
        }
    }
    (format!("http://{addr}"), held, listener)
}

#[tokio::test]
async fn a_connect_timeout_is_named_and_carried_nothing() {
    let (url, _held, _listener) = unreachable().await;
    let client = Client::builder()
        .base_url(&url)
        .api_key("tk_test_transport")
        .connect_timeout(Duration::from_millis(200))
        .timeout(Duration::from_secs(5))
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .expect("valid settings");
    let err = update(&client).await;
    assert!(
        matches!(
            err,
            Error::CommunicationError {
                timeout: Some(Timeout::Connect(d)),
                ..
            } if d == Duration::from_millis(200)
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("could not connect within 200 ms (the connect timeout)"),
        "{err}"
    );
    assert!(!err.earlier_attempt_may_have_created(), "{err}");
}
