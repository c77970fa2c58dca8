//! The API key stays with the configured origin against hostile or broken servers:
//! redirects are never followed (to another host, to plain http, or on the same origin),
//! a key the server echoes is cut out of everything the SDK shows, and a body without
//! end is refused at the size limit. Real HTTP on loopback; a second loopback address
//! (127.0.0.2) stands for another host.

use std::net::TcpListener as StdListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use thena_sdk::{Client, Error, types};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const KEY: &str = "tk_live_CONTAINED_4f1e9a";

fn client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .api_key(KEY)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .build()
        .expect("valid settings")
}

/// A create through [`client`] that must fail.
async fn failed_create(base_url: &str) -> Error {
    client(base_url)
        .create_ticket()
        .body(ticket())
        .send()
        .await
        .expect_err("a failure")
}

fn ticket() -> types::builder::CreateTicketBody {
    types::CreateTicketBody::builder()
        .title("Printer on fire")
        .requestor_email("user@example.com")
        .team_id("team_12345")
}

/// A server on another host, recording whatever reaches it.
async fn elsewhere() -> MockServer {
    let listener = StdListener::bind("127.0.0.2:0").expect("127.0.0.2 is loopback too");
    let server = MockServer::builder().listener(listener).start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    server
}

/// A server whose every answer is a redirect with this status to `location`.
async fn redirecting(status: u16, location: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path("/v1/tickets"))
        .respond_with(
            ResponseTemplate::new(status)
                .insert_header("location", location)
                .insert_header("x-request-id", "req_redirect")
                .insert_header("x-ratelimit-remaining", "7")
                .insert_header("x-ratelimit-reset", "4102444800"),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn no_redirect_is_followed_and_its_error_keeps_the_status_and_the_location() {
    let other = elsewhere().await;
    for status in [301, 302, 303, 307, 308] {
        let target = format!("{}/v1/tickets", other.uri());
        let server = redirecting(status, &target).await;
        let err = failed_create(&server.uri()).await;

        assert!(matches!(err, Error::UnexpectedResponse(_)), "{err:?}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(err.attempts(), 1, "a redirect is not retried");
        assert_eq!(err.request_id(), Some("req_redirect"));
        assert_eq!(err.rate_limit().and_then(|r| r.remaining), Some(7));
        assert!(err.dedup_key().is_some(), "the create's key is kept");
        let shown = err.to_string();
        assert!(
            shown.contains(&target) && shown.contains("does not follow"),
            "{shown}"
        );
        assert_eq!(server.received_requests().await.map(|r| r.len()), Some(1));
    }
    let reached = other.received_requests().await.expect("recorded");
    assert!(reached.is_empty(), "another host received {reached:?}");
}

#[tokio::test]
async fn a_same_origin_redirect_is_not_followed_either() {
    let server = redirecting(307, "/v2/tickets").await;
    Mock::given(path("/v2/tickets"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;

    let err = failed_create(&server.uri()).await;

    assert_eq!(err.status().map(|s| s.as_u16()), Some(307));
    let paths: Vec<String> = server
        .received_requests()
        .await
        .expect("recorded")
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(paths, ["/v1/tickets"]);
}

#[tokio::test]
async fn a_client_configured_to_follow_redirects_still_does_not() {
    let other = elsewhere().await;
    let server = redirecting(308, &format!("{}/v1/tickets", other.uri())).await;
    let client = Client::builder()
        .base_url(server.uri())
        .api_key(KEY)
        .configure_http(|http| http.redirect(reqwest::redirect::Policy::limited(10)))
        .build()
        .expect("valid settings");

    let err = client
        .create_ticket()
        .body(ticket())
        .send()
        .await
        .expect_err("not followed");

    assert_eq!(err.status().map(|s| s.as_u16()), Some(308));
    assert!(
        other
            .received_requests()
            .await
            .expect("recorded")
            .is_empty()
    );
}

/// Answers like a proxy that repeats the request's headers in its error page, and the
/// key in a header of its own.
struct Echo {
    status: u16,
    json: bool,
}

impl Respond for Echo {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let headers: String = request
            .headers
            .iter()
            .map(|(name, value)| format!("{name}: {}\n", value.to_str().unwrap_or("?")))
            .collect();
        let key = request
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let template = ResponseTemplate::new(self.status)
            .insert_header("x-request-id", format!("req-{key}"))
            .insert_header("x-echo-api-key", key.as_str());
        if self.json {
            template.set_body_json(serde_json::json!({
                "statusCode": self.status,
                "message": [format!("bad key {key}"), headers],
                "error": "Bad Request",
            }))
        } else {
            template.set_body_raw(
                format!("<html><body><h1>502</h1><pre>{headers}</pre></body></html>"),
                "text/html",
            )
        }
    }
}

#[tokio::test]
async fn an_echoed_key_is_cut_out_of_everything_shown_but_the_raw_body() {
    for (status, json) in [(502, false), (400, true)] {
        let server = MockServer::start().await;
        Mock::given(path("/v1/tickets"))
            .respond_with(Echo { status, json })
            .mount(&server)
            .await;

        let err = failed_create(&server.uri()).await;

        let message = err.server_message().expect("the server said something");
        let shown = [
            err.to_string(),
            format!("{err:?}"),
            format!("{err:#?}"),
            message.clone(),
            format!("{:?}", err.error_response()),
            format!("{:?}", err.head()),
        ];
        for text in &shown {
            assert!(!text.contains(KEY), "the key leaked into:\n{text}");
        }
        assert!(message.contains("[redacted]"), "{message}");
        assert_eq!(
            err.request_id(),
            None,
            "an id that repeats the key is not shown"
        );
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        let raw = err
            .head()
            .and_then(|h| h.raw_error_body())
            .expect("the raw body is kept");
        assert!(
            String::from_utf8_lossy(raw).contains(KEY),
            "code that asks for the raw body gets it as sent"
        );
        let echoed = err.head().and_then(|h| h.headers().get("x-echo-api-key"));
        assert!(echoed.is_some(), "the raw headers are kept");
    }
}

/// What the SDK says about an answer can quote it: a redirect's `Location`, the decoder's
/// complaint about a value. The key is cut out of those too.
#[tokio::test]
async fn an_echoed_key_is_cut_out_of_what_the_sdk_quotes() {
    let echoes = [
        ResponseTemplate::new(302).insert_header("location", format!("https://elsewhere/?k={KEY}")),
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "data": {},
            "message": "ok",
            "status": KEY,
            "timestamp": "2024-05-01T12:00:00Z",
        })),
    ];
    for echo in echoes {
        let server = MockServer::start().await;
        Mock::given(path("/v1/tickets"))
            .respond_with(echo)
            .mount(&server)
            .await;
        let err = failed_create(&server.uri()).await;
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains(KEY), "the key leaked into:\n{text}");
            assert!(text.contains("[redacted]"), "{text}");
        }
    }
}

/// A server that answers every request with `head` and then streams zeros without end,
/// counting what it wrote.
async fn endless(head: &'static str) -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let written = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&written);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let mut request = [0u8; 8192];
                let _ = stream.read(&mut request).await;
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("10000\r\n{}\r\n", "0".repeat(0x10000));
                while stream.write_all(chunk.as_bytes()).await.is_ok() {
                    counter.fetch_add(0x10000, Ordering::Relaxed);
                }
            });
        }
    });
    (url, written)
}

#[tokio::test]
async fn a_body_without_end_stops_at_the_limit_with_status_and_headers_kept() {
    const LIMIT: u64 = 1024 * 1024;
    for status in ["200 OK", "502 Bad Gateway"] {
        let head: &'static str = Box::leak(
            format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n\
                 x-request-id: req_endless\r\ntransfer-encoding: chunked\r\n\r\n"
            )
            .into_boxed_str(),
        );
        let (url, written) = endless(head).await;
        let client = Client::builder()
            .base_url(&url)
            .api_key(KEY)
            .max_response_bytes(LIMIT)
            .build()
            .expect("valid settings");

        let err = client
            .update_ticket()
            .id("T1")
            .body(types::UpdateTicketBody::builder())
            .send()
            .await
            .expect_err("too large");

        let Error::ResponseTooLarge { head, limit } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(*limit, LIMIT);
        assert_eq!(
            head.status().as_u16(),
            status[..3].parse::<u16>().expect("a status")
        );
        assert_eq!(head.request_id(), Some("req_endless"));
        assert_eq!(err.attempts(), 1, "a body over the limit is not retried");
        assert!(
            err.to_string()
                .contains("larger than the limit of 1048576 bytes"),
            "{err}"
        );
        // The client stopped reading: what the server got out is the limit plus what
        // the socket buffers held.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let sent = written.load(Ordering::Relaxed);
        assert!(sent < LIMIT + 16 * 1024 * 1024, "{sent} bytes were sent");
    }
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_reading() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/tickets"))
        .respond_with(ResponseTemplate::new(201).set_body_raw(vec![b' '; 4096], "application/json"))
        .mount(&server)
        .await;
    let client = Client::builder()
        .base_url(server.uri())
        .api_key(KEY)
        .max_response_bytes(1000)
        .build()
        .expect("valid settings");

    let err = client
        .create_ticket()
        .body(ticket())
        .send()
        .await
        .expect_err("too large");

    assert!(
        matches!(err, Error::ResponseTooLarge { limit: 1000, .. }),
        "{err:?}"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(201));
}

/// A server may escape what it echoes (`\/`, `\u0074`), and a key may reach the client
/// with whitespace around it (an env file's trailing space), which the server trims
/// before echoing. Neither brings the key back: not in `Display`, `Debug`,
/// `server_message()`, the decoded body, nor anywhere along `source()`.
#[tokio::test]
async fn an_escaped_or_trimmed_echo_is_cut_out_too() {
    const SLASHED: &str = "tk_live/SLASHED_9";
    let echoes = [
        (
            401,
            r#"{"statusCode":401,"message":"Invalid API key: tk_live\/SLASHED_9"}"#,
        ),
        (
            401,
            r#"{"statusCode":401,"message":["key \u0074k_live\u002fSLASHED_9 revoked"]}"#,
        ),
        (
            201,
            r#"{"status":"tk_live\/SLASHED_9","message":"ok","timestamp":"t","data":{}}"#,
        ),
    ];
    for (status, body) in echoes {
        let server = MockServer::start().await;
        Mock::given(path("/v1/tickets"))
            .respond_with(ResponseTemplate::new(status).set_body_raw(body, "application/json"))
            .mount(&server)
            .await;
        let err = Client::builder()
            .base_url(server.uri())
            .api_key(format!("  {SLASHED} \n"))
            .max_retries(0)
            .build()
            .expect("whitespace around a key is dropped")
            .create_ticket()
            .body(ticket())
            .send()
            .await
            .expect_err("a failure");
        let mut shown = vec![
            err.to_string(),
            format!("{err:?}"),
            format!("{err:#?}"),
            format!("{:?}", err.error_response()),
            err.server_message().unwrap_or_default(),
        ];
        if let Error::InvalidResponsePayload { head, body, .. } = &err
            && !head.status().is_success()
        {
            shown.push(String::from_utf8_lossy(body).into_owned());
        }
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            shown.push(cause.to_string());
            shown.push(format!("{cause:?}"));
            source = cause.source();
        }
        for text in &shown {
            assert!(
                !text.contains("SLASHED"),
                "{body}: the key leaked into:\n{text}"
            );
        }
        assert!(
            shown.iter().any(|t| t.contains("[redacted]")),
            "{body}: {shown:?}"
        );
    }
}

/// A header whose name is the key (a proxy that reflects what it received) is cut out of
/// the head's `Debug` too. (Header names travel lower case: a key with capitals cannot
/// come back as one.)
#[tokio::test]
async fn a_header_named_after_the_key_is_cut_out() {
    const LOWER: &str = "tk_live_lower_77";
    let server = MockServer::start().await;
    Mock::given(path("/v1/tickets"))
        .respond_with(ResponseTemplate::new(400).insert_header(LOWER, "1"))
        .mount(&server)
        .await;
    let err = Client::builder()
        .base_url(server.uri())
        .api_key(LOWER)
        .build()
        .expect("valid settings")
        .create_ticket()
        .body(ticket())
        .send()
        .await
        .expect_err("400");
    for text in [
        format!("{:?}", err.head()),
        format!("{err:?}"),
        err.to_string(),
    ] {
        assert!(!text.contains(LOWER), "{text}");
    }
}
