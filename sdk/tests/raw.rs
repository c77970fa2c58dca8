//! `Client::request`: any path, through the generated operations' hooks and call loop.
//! Real HTTP on loopback.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use thena_sdk::{Client, Error};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "tk_test_raw_requests";

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.uri())
        .api_key(KEY)
        .max_retries(2)
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .expect("valid settings")
}

async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

async fn received(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.expect("recorded")
}

#[tokio::test]
async fn a_get_to_any_path_carries_the_key_and_decodes_the_json() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/teams"))
        .and(header("x-api-key", KEY))
        .and(header("x-trace", "abc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [1, 2]})))
        .mount(&server)
        .await;
    let answer = client(&server)
        .request(Method::GET, "/v1/teams?limit=2")
        .header("X-Trace", "abc")
        .send::<Value>()
        .await
        .expect("answered");
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.into_inner(), json!({"data": [1, 2]}));
    assert_eq!(received(&server).await[0].url.query(), Some("limit=2"));
}

#[tokio::test]
async fn a_post_is_retried_only_under_a_key() {
    let server = answering(ResponseTemplate::new(503)).await;
    let client = client(&server);

    let once = client
        .request(Method::POST, "/v1/comments")
        .json(&json!({"content": "hi"}))
        .send::<Value>()
        .await
        .expect_err("503");
    assert_eq!(once.attempts(), 1, "{once}");
    assert_eq!(received(&server).await.len(), 1);

    let keyed = client
        .request(Method::POST, "/v1/comments")
        .json(&json!({"content": "hi", "deDuplicationKey": "c-1"}))
        // The body's own key stays.
        .idempotent()
        .send::<Value>()
        .await
        .expect_err("503");
    assert_eq!(keyed.attempts(), 3, "{keyed}");

    let request = client
        .request(Method::POST, "/v1/comments")
        .json(&json!({"content": "hi"}))
        .idempotent();
    let key = request.dedup_key().expect("a key added").to_owned();
    let added = request.send::<Value>().await.expect_err("503");
    assert_eq!(added.attempts(), 3, "{added}");
    assert!(added.to_string().contains(&key), "{added}");

    let bodies: Vec<Value> = received(&server)
        .await
        .iter()
        .map(|r| serde_json::from_slice(&r.body).expect("JSON"))
        .collect();
    assert_eq!(bodies.len(), 7);
    assert!(
        bodies[1..4]
            .iter()
            .all(|b| b["deDuplicationKey"] == json!("c-1"))
    );
    assert!(
        bodies[4..]
            .iter()
            .all(|b| b["deDuplicationKey"] == json!(key))
    );
}

#[tokio::test]
async fn a_patch_is_retried_on_a_transient_failure() {
    let server = answering(ResponseTemplate::new(502)).await;
    let failed = client(&server)
        .request(Method::PATCH, "/v1/tickets/T1")
        .json(&json!({"title": "t"}))
        // A PATCH repeats without a key: nothing is added.
        .idempotent()
        .send::<Value>()
        .await
        .expect_err("502");
    assert_eq!(failed.attempts(), 3);
    assert_eq!(failed.status().map(|s| s.as_u16()), Some(502));
    let sent = &received(&server).await[0];
    assert_eq!(sent.body, br#"{"title":"t"}"#);
}

#[tokio::test]
async fn the_key_and_framing_headers_are_the_clients_and_foreign_hosts_are_refused() {
    let server = answering(ResponseTemplate::new(200)).await;
    let client = client(&server);
    let refusals = [
        (
            client
                .request(Method::GET, "/x")
                .header("X-Api-Key", "tk_other"),
            "header x-api-key: set by the client",
        ),
        (
            client
                .request(Method::GET, "/x")
                .header("Host", "evil.example"),
            "header host: set by the client",
        ),
        (
            client.request(Method::GET, "/x").header("bad name", "v"),
            "not a valid header name",
        ),
        (
            client
                .request(Method::GET, "/x")
                .header("X-A", "line\nbreak"),
            "header x-a: the value is not valid",
        ),
        (
            client.request(Method::GET, "https://evil.example/v1/tickets"),
            "path: https://evil.example is not on http://127.0.0.1",
        ),
        (
            client.request(Method::GET, "//evil.example/v1/tickets"),
            "path: must start with /",
        ),
        (
            client.request(Method::GET, "v1/tickets"),
            "path: must start with /",
        ),
        (
            client.request(Method::POST, "/x").idempotent(),
            "idempotent: a POST is made safe to retry by a deDuplicationKey",
        ),
        (
            client
                .request(Method::POST, "/x")
                .json(&json!({"deDuplicationKey": " "})),
            "deDuplicationKey: must not be blank",
        ),
        (
            client
                .request(Method::POST, "/x")
                .json(&json!({"deDuplicationKey": 5}))
                .idempotent(),
            "body: deDuplicationKey must be a string",
        ),
        (
            client.request(
                Method::GET,
                &format!("{}/x", server.uri().replace("//", "//u:p@")),
            ),
            "path: must not carry credentials",
        ),
        (
            client.request(
                Method::GET,
                &format!("{}/x", server.uri().replace("//", "//u@")),
            ),
            "path: must not carry credentials",
        ),
        (
            client.request(Method::GET, "/x\r\nX-Injected: 1"),
            "path: must not hold control characters",
        ),
        (
            client.request(Method::GET, "/v1/../admin"),
            "path: must not hold . or .. segments",
        ),
        (
            client
                .request(Method::GET, "/x")
                .header("Expect", "100-continue"),
            "header expect: set by the client",
        ),
        (
            client
                .request(Method::POST, "/x")
                .json_bytes(&b"{\"a\": 1,"[..]),
            "body: not one JSON document",
        ),
        (
            client
                .request(Method::POST, "/x")
                .json_bytes(&br#"{"title": "a", "title": "b"}"#[..]),
            "body: property title is set twice",
        ),
    ];
    for (request, expected) in refusals {
        let refused = request.send::<Value>().await.expect_err(expected);
        assert!(
            matches!(&refused, Error::InvalidRequest(m) if m.contains(expected)),
            "{expected}: {refused}"
        );
        assert!(!refused.to_string().contains("tk_other"), "{refused}");
    }
    assert!(received(&server).await.is_empty(), "nothing is sent");

    // An absolute URL on the base URL's own origin is a path like any other.
    let same = format!("{}/v1/ok", server.uri());
    let answer = client
        .request(Method::DELETE, &same)
        .send::<Value>()
        .await
        .expect("answered");
    assert_eq!(
        answer.into_inner(),
        Value::Null,
        "an empty body reads as null"
    );
}

#[tokio::test]
async fn an_error_answer_is_the_sdks_error_with_the_server_message_and_no_key() {
    let server = answering(ResponseTemplate::new(404).set_body_json(json!({
        "status": false,
        "message": format!("no route for key {KEY}"),
        "timestamp": "2024-01-01T00:00:00.000Z"
    })))
    .await;
    let failed = client(&server)
        .request(Method::GET, "/v1/nowhere")
        .send::<Value>()
        .await
        .expect_err("404");
    assert_eq!(failed.status().map(|s| s.as_u16()), Some(404));
    let message = failed.server_message().expect("a message");
    assert!(message.starts_with("no route for key"), "{message}");
    for shown in [message, failed.to_string(), format!("{failed:?}")] {
        assert!(!shown.contains(KEY), "{shown}");
    }
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let server = answering(
        ResponseTemplate::new(307).insert_header("location", "https://evil.example/steal"),
    )
    .await;
    let failed = client(&server)
        .request(Method::GET, "/v1/moved")
        .send::<Value>()
        .await
        .expect_err("307");
    assert!(matches!(failed, Error::UnexpectedResponse(_)), "{failed}");
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn json_bytes_are_sent_as_they_are_with_one_content_type() {
    let server = answering(ResponseTemplate::new(200)).await;
    let text = r#"{"z": 1.10, "a": [1e2], "deDuplicationKey": "k-1"}"#;
    let request = client(&server)
        .request(Method::POST, "/v1/things")
        .header("Content-Type", "application/merge-patch+json")
        .json_bytes(text.as_bytes().to_vec());
    assert_eq!(request.dedup_key(), Some("k-1"));
    request.send::<Value>().await.expect("answered");
    let sent = &received(&server).await[0];
    assert_eq!(sent.body, text.as_bytes());
    let types: Vec<_> = sent.headers.get_all("content-type").iter().collect();
    assert_eq!(types, ["application/merge-patch+json"]);
}

#[tokio::test]
async fn redacted_headers_hide_the_key_in_names_and_values() {
    let key = "TK_Mixed_Case_Key";
    let server = answering(
        ResponseTemplate::new(200)
            .insert_header(format!("x-echo-{key}").as_str(), "1")
            .insert_header("x-seen", key),
    )
    .await;
    let client = Client::builder()
        .base_url(server.uri())
        .api_key(key)
        .build()
        .expect("valid settings");
    let answer = client
        .request(Method::GET, "/")
        .send::<Value>()
        .await
        .expect("answered");
    let shown = format!("{:?} {:?}", answer.head().redacted_headers(), answer.head());
    assert!(
        !shown.to_lowercase().contains(&key.to_lowercase()),
        "{shown}"
    );
    assert!(shown.contains("x-echo-"), "{shown}");
}
