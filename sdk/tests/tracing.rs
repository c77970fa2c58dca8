//! The spans a call leaves for a tracing subscriber: `thena.call` with the operation,
//! status, attempts and duration, and `thena.attempt` per attempt with its status and
//! request id.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use thena_sdk::{Client, types};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// What the subscriber wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// The number after `field=` in `line`.
fn number(line: &str, field: &str) -> Option<u64> {
    let start = line.find(&format!("{field}="))? + field.len() + 1;
    let digits: String = line[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

// One thread, so that the subscriber set for this test sees the client's spans.
#[tokio::test(flavor = "current_thread")]
async fn a_call_and_each_attempt_are_spans_with_their_facts() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).insert_header("x-request-id", "req_first"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("x-request-id", "req_second")
                .set_delay(Duration::from_millis(60))
                .set_body_json(json!({
                    "status": true, "message": "Success", "timestamp": "t", "data": {}
                })),
        )
        .mount(&server)
        .await;
    let client = Client::builder()
        .base_url(server.uri())
        .api_key("tk_test_tracing")
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .expect("valid settings");
    let body = types::CreateTicketBody::builder()
        .title("t")
        .requestor_email("u@example.com")
        .team_id("T");
    client
        .create_ticket()
        .body(body)
        .send()
        .await
        .expect("the retry succeeds");

    let text =
        String::from_utf8_lossy(&captured.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("close")).collect();
    let attempts: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("thena.attempt"))
        .collect();
    assert_eq!(attempts.len(), 2, "{text}");
    assert!(
        attempts[0].contains("status=503") && attempts[0].contains("request_id=\"req_first\""),
        "{text}"
    );
    assert!(
        attempts[1].contains("status=201") && attempts[1].contains("request_id=\"req_second\""),
        "{text}"
    );
    assert!(
        number(attempts[1], "duration_ms").is_some_and(|ms| ms >= 60),
        "{text}"
    );
    let call = lines
        .iter()
        .find(|l| l.contains("thena.call") && !l.contains("thena.attempt"))
        .unwrap_or_else(|| panic!("no call span in {text}"));
    assert!(
        call.contains("operation=\"create_ticket\"")
            && call.contains("status=201")
            && call.contains("attempts=2"),
        "{call}"
    );
    assert!(
        number(call, "duration_ms").is_some_and(|ms| ms >= 60),
        "{call}"
    );
    assert!(text.contains("transient failure; retrying"), "{text}");
}

/// At trace level each attempt shows its request and its answer, headers and bodies,
/// with the key cut out wherever it appears, and long bodies cut short.
#[tokio::test(flavor = "current_thread")]
async fn trace_shows_requests_and_answers_without_the_key() {
    const KEY: &str = "tk_test_tracing_key";
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    let long = "x".repeat(10_000);
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("x-echo", KEY)
                .insert_header("x-request-id", "req_traced")
                .set_body_json(json!({
                    "status": true, "message": format!("{long} {KEY}"), "timestamp": "t",
                    "data": {}
                })),
        )
        .mount(&server)
        .await;
    let client = Client::builder()
        .base_url(server.uri())
        .api_key(KEY)
        .build()
        .expect("valid settings");
    let body = types::CreateTicketBody::builder()
        .title(format!("about {KEY}"))
        .requestor_email("u@example.com")
        .team_id("T");
    client
        .create_ticket()
        .body(body)
        .send()
        .await
        .expect("created");

    let text =
        String::from_utf8_lossy(&captured.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    assert!(!text.contains(KEY), "{text}");
    let request = text
        .lines()
        .find(|l| l.ends_with(" request") || l.contains(" request "))
        .unwrap_or_else(|| panic!("no request event in {text}"));
    assert!(
        request.contains("x-api-key") && request.contains("[redacted]"),
        "{request}"
    );
    assert!(
        request.contains("\"title\":\"about [redacted]\""),
        "{request}"
    );
    assert!(text.contains("req_traced"), "{text}");
    assert!(
        text.contains("bytes in all"),
        "the long body is cut: {text}"
    );
    assert!(text.len() < 20_000, "{} bytes of trace", text.len());
}
