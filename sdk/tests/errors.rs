//! Every kind of failure, made for real against scripted servers, and everything it
//! answers: its accessors, its one-sentence `Display`, its `Debug` and its source.

use std::error::Error as _;
use std::time::Duration;

use serde_json::json;
use thena_sdk::{Client, Error, types};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "tk_test_errors";

async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

fn client(url: &str, retries: u32) -> Client {
    Client::builder()
        .base_url(url)
        .api_key(KEY)
        .max_retries(retries)
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .expect("valid settings")
}

fn ticket() -> types::builder::CreateTicketBody {
    types::CreateTicketBody::builder()
        .title("t")
        .requestor_email("u@example.com")
        .team_id("T")
}

async fn create(url: &str, retries: u32) -> Error {
    client(url, retries)
        .create_ticket()
        .body(ticket())
        .send()
        .await
        .expect_err("fails")
}

fn error_body(status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-request-id", "req_9")
        .insert_header("x-ratelimit-remaining", "3")
        .set_body_json(json!({ "statusCode": status, "message": ["bad title", "bad team"] }))
}

#[tokio::test]
async fn a_request_refused_before_sending() {
    let err = client("http://127.0.0.1:9", 2)
        .update_ticket()
        .id("")
        .send()
        .await
        .expect_err("refused");
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    assert_eq!(
        (err.attempts(), err.status(), err.dedup_key()),
        (0, None, None)
    );
    assert!(err.head().is_none() && err.source().is_none());
    assert!(!err.is_retryable() && !err.is_timeout() && !err.is_duplicate());
    assert!(
        err.to_string()
            .starts_with("invalid request: id: must not be empty")
    );
    assert!(format!("{err:?}").starts_with("InvalidRequest(\"id: must not be empty"));
}

#[tokio::test]
async fn no_response_keeps_the_attempts_the_key_and_the_cause() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        format!("http://{}", listener.local_addr().expect("an address"))
    };
    // One attempt, refused: nothing reached a server, so no ticket can exist.
    let err = create(&closed, 0).await;
    let key = err.dedup_key().expect("the create's key").to_owned();
    assert!(
        matches!(&err, Error::CommunicationError { .. }) && err.attempts() == 1,
        "{err:?}"
    );
    assert!(err.is_retryable() && !err.is_timeout() && err.head().is_none());
    assert!(!err.earlier_attempt_may_have_created());
    assert!(err.source().is_some(), "the chain is kept");
    let shown = err.to_string();
    assert!(
        shown.ends_with(&format!("; retry with deDuplicationKey {key}")),
        "{shown}"
    );
    assert!(format!("{err:?}").starts_with("CommunicationError { source: "));

    // Three attempts, all refused: none carried anything, so no ticket can exist.
    let err = create(&closed, 2).await;
    assert_eq!(err.attempts(), 3);
    assert!(!err.earlier_attempt_may_have_created());
    let key = err.dedup_key().expect("the create's key");
    assert!(
        err.to_string().ends_with(&format!(
            "(after 3 attempts); retry with deDuplicationKey {key}"
        )),
        "{err}"
    );
}

#[tokio::test]
async fn display_is_one_line_whatever_the_server_sends() {
    let forged = ResponseTemplate::new(400).set_body_json(json!({
        "statusCode": 400,
        "message": "bad title\n2026-12-05T00:00:00Z INFO login ok user=admin\r\u{1b}[2K\u{0}",
    }));
    let err = create(&answering(forged).await.uri(), 0).await;
    let shown = err.to_string();
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
    assert_eq!(
        shown,
        "HTTP 400 Bad Request: bad title 2026-12-05T00:00:00Z INFO login ok user=admin [2K"
    );
    let separators = ResponseTemplate::new(400).set_body_json(json!({
        "statusCode": 400, "message": "ok\u{2028}ERROR forged\u{2029}x\u{85}y",
    }));
    let shown = create(&answering(separators).await.uri(), 0)
        .await
        .to_string();
    assert_eq!(shown, "HTTP 400 Bad Request: ok ERROR forged x y");
    let html = ResponseTemplate::new(502).set_body_raw("<p>\n\nbad\ngateway</p>", "text/html");
    let shown = create(&answering(html).await.uri(), 0).await.to_string();
    assert!(!shown.contains('\n'), "{shown:?}");
}

#[tokio::test]
async fn an_error_answer_keeps_its_body_status_and_headers() {
    let server = answering(error_body(400)).await;
    let err = create(&server.uri(), 2).await;
    assert!(matches!(err, Error::ErrorResponse(_)), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!((err.attempts(), err.request_id()), (1, Some("req_9")));
    assert_eq!(err.rate_limit().and_then(|r| r.remaining), Some(3));
    assert!(
        err.error_response()
            .is_some_and(|body| body.status_code == Some(400))
    );
    assert_eq!(err.server_message().as_deref(), Some("bad title; bad team"));
    assert!(err.source().is_none() && !err.is_retryable() && !err.is_timeout());
    assert_eq!(
        err.to_string(),
        "HTTP 400 Bad Request: bad title; bad team (request id req_9)"
    );
    let head = err.head().expect("a head");
    assert_eq!(
        head.headers().get("x-request-id").map(|v| v.as_bytes()),
        Some(&b"req_9"[..])
    );
    assert!(format!("{err:?}").starts_with("ErrorResponse(ResponseValue { inner: ErrorResponse {"));

    // A 5xx to a create may have been carried out: the key to retry with is named.
    let server = answering(error_body(503)).await;
    let err = create(&server.uri(), 0).await;
    let key = err.dedup_key().expect("a key");
    assert!(
        err.to_string().ends_with(&format!(
            "; the ticket may exist: retry with deDuplicationKey {key}"
        )),
        "{err}"
    );
    // A refusal of the key itself needs no advice to retry with it.
    let server = answering(error_body(409)).await;
    let err = client(&server.uri(), 0)
        .create_ticket()
        .body(ticket().de_duplication_key("order-42"))
        .send()
        .await
        .expect_err("409");
    assert!(err.is_duplicate());
    assert!(!err.to_string().contains("retry with"), "{err}");
}

#[tokio::test]
async fn a_body_that_does_not_decode_keeps_the_bytes() {
    let server =
        answering(ResponseTemplate::new(201).set_body_raw("{\"status\": tru", "application/json"))
            .await;
    let err = create(&server.uri(), 0).await;
    assert!(
        matches!(err, Error::InvalidResponsePayload { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.server_message(),
        None,
        "a success says nothing went wrong"
    );
    assert!(err.source().is_some());
    assert!(
        err.to_string()
            .starts_with("HTTP 201 Created: the ticket was created (deDuplicationKey "),
        "{err}"
    );
    assert!(
        format!("{err:?}").contains("body: \"14 bytes: {\\\"status\\\": tru\""),
        "{err:?}"
    );

    let page =
        ResponseTemplate::new(502).set_body_raw("<html><h1>Bad gateway</h1></html>", "text/html");
    let server = answering(page).await;
    let err = create(&server.uri(), 0).await;
    assert_eq!(
        err.server_message().as_deref(),
        Some("<html><h1>Bad gateway</h1></html>")
    );
    assert!(
        err.to_string().starts_with(
            "HTTP 502 Bad Gateway with a body that is not the documented JSON: <html>"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn an_undocumented_status_keeps_its_head_and_body() {
    let server = answering(
        ResponseTemplate::new(302)
            .insert_header("location", "https://elsewhere.example/")
            .insert_header("x-request-id", "req_r"),
    )
    .await;
    let err = create(&server.uri(), 2).await;
    assert!(matches!(err, Error::UnexpectedResponse(_)), "{err:?}");
    assert_eq!(err.head().map(|h| h.status().as_u16()), Some(302));
    assert_eq!(err.request_id(), Some("req_r"));
    assert!(
        err.to_string()
            .starts_with("HTTP 302 Found: a redirect to https://elsewhere.example/, which the SDK does not follow"),
        "{err}"
    );
    assert!(format!("{err:?}").starts_with("UnexpectedResponse { head: ResponseHead {"));

    // Not a redirect, or a redirect that names no place.
    for template in [
        ResponseTemplate::new(304),
        ResponseTemplate::new(299).insert_header("location", "/x"),
    ] {
        let server = answering(template).await;
        let err = create(&server.uri(), 0).await;
        assert!(
            err.to_string()
                .contains("a status the API does not document"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_body_over_the_limit_says_so() {
    let server =
        answering(ResponseTemplate::new(201).set_body_raw(vec![b' '; 64], "application/json"))
            .await;
    let err = Client::builder()
        .base_url(server.uri())
        .api_key(KEY)
        .max_response_bytes(10)
        .build()
        .expect("valid settings")
        .create_ticket()
        .body(ticket())
        .send()
        .await
        .expect_err("too large");
    assert_eq!(
        err.to_string(),
        format!(
            "HTTP 201 Created: the body is larger than the limit of 10 bytes \
             (max_response_bytes); it was not read; the ticket was created \
             (deDuplicationKey {}; never create it again with another key)",
            err.dedup_key().expect("a key")
        )
    );
    assert!(format!("{err:?}").starts_with("ResponseTooLarge { head: "));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_response_shows_its_head_and_body() {
    let server = answering(
        ResponseTemplate::new(201)
            .insert_header("x-request-id", "req_ok")
            .set_body_json(json!({
                "status": true, "message": "Success", "timestamp": "t", "data": { "id": "T7" }
            })),
    )
    .await;
    let created = client(&server.uri(), 0)
        .create_ticket()
        .body(ticket())
        .send()
        .await
        .expect("created");
    assert_eq!(
        created.headers().get("x-request-id").map(|v| v.as_bytes()),
        Some(&b"req_ok"[..])
    );
    let shown = format!("{created:?}");
    assert!(
        shown.starts_with("ResponseValue { inner: TicketResponse {")
            && shown.contains("head: ResponseHead { status: 201"),
        "{shown}"
    );
    assert!(format!("{created:#?}").contains("\n    inner: TicketResponse {"));
    assert_eq!(created.into_inner().data.id.as_deref(), Some("T7"));
}
