//! The API's edges over plain HTTP: what a client that is not the SDK can send.

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use thena_sandbox::{Fault, RateLimit, Sandbox};

async fn sandbox() -> Sandbox {
    Sandbox::start().await.expect("the sandbox starts")
}

async fn error_message(response: reqwest::Response) -> Value {
    let body: Value = response.json().await.expect("an ErrorResponse");
    body["message"].clone()
}

#[tokio::test]
async fn bodies_that_are_not_json_are_refused() {
    let sandbox = sandbox().await;
    let http = common::http();
    let url = format!("{}/v1/tickets", sandbox.url());
    let form = http
        .post(&url)
        .header("x-api-key", sandbox.api_key())
        .header("content-type", "text/plain")
        .body(common::ticket("t").to_string())
        .send()
        .await
        .expect("an answer");
    assert_eq!(form.status(), 415);
    assert_eq!(
        error_message(form).await,
        "Content-Type must be application/json"
    );

    let broken = http
        .post(&url)
        .header("x-api-key", sandbox.api_key())
        .header("content-type", "application/json; charset=utf-8")
        .body("{\"title\": ")
        .send()
        .await
        .expect("an answer");
    assert_eq!(broken.status(), 400);
    let message = error_message(broken).await;
    assert!(
        message[0]
            .as_str()
            .is_some_and(|m| m.starts_with("the request body is not valid JSON")),
        "{message}"
    );
}

#[tokio::test]
async fn a_body_over_one_mebibyte_gets_413() {
    let sandbox = sandbox().await;
    let http = common::http();
    let mut body = common::ticket("t");
    body["description"] = json!("x".repeat(1024 * 1024));
    let response = common::create(&http, sandbox.url(), sandbox.api_key(), &body)
        .send()
        .await
        .expect("an answer, not a reset");
    assert_eq!(response.status(), 413);
    assert!(sandbox.tickets().is_empty());
    // Just under the limit is fine.
    body["description"] = json!("x".repeat(1000 * 1000));
    let response = common::create(&http, sandbox.url(), sandbox.api_key(), &body)
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn unknown_paths_and_methods_get_error_responses_with_the_headers() {
    let sandbox = sandbox().await;
    let http = common::http();
    let missing = http
        .get(format!("{}/v2/tickets", sandbox.url()))
        .send()
        .await
        .expect("an answer");
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().contains_key("x-ratelimit-limit"));
    assert_eq!(error_message(missing).await, "Cannot GET /v2/tickets");

    let wrong_method = http
        .delete(format!("{}/v1/tickets/ABC", sandbox.url()))
        .send()
        .await
        .expect("an answer");
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(
        error_message(wrong_method).await,
        "Cannot DELETE /v1/tickets/ABC"
    );
    assert_eq!(sandbox.requests().len(), 2, "both are logged");
}

#[tokio::test]
async fn the_excess_over_the_rate_limit_gets_429_with_retry_after() {
    let limit = RateLimit::new(2, Duration::from_secs(3600)).expect("a valid limit");
    let sandbox = Sandbox::builder()
        .rate_limit(limit)
        .start()
        .await
        .expect("the sandbox starts");
    let http = common::http();
    let mut remaining = Vec::new();
    for _ in 0..2 {
        let response = common::create(
            &http,
            sandbox.url(),
            sandbox.api_key(),
            &common::ticket("t"),
        )
        .send()
        .await
        .expect("an answer");
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["x-ratelimit-limit"], "2");
        remaining.push(response.headers()["x-ratelimit-remaining"].clone());
    }
    assert_eq!(remaining, ["1", "0"]);

    let over = common::create(
        &http,
        sandbox.url(),
        sandbox.api_key(),
        &common::ticket("t"),
    )
    .send()
    .await
    .expect("an answer");
    assert_eq!(over.status(), 429);
    let header = |name: &str| -> u64 {
        over.headers()[name]
            .to_str()
            .expect("ASCII")
            .parse()
            .expect("a number")
    };
    let now = chrono::Utc::now().timestamp().unsigned_abs();
    let (reset, retry_after) = (header("x-ratelimit-reset"), header("retry-after"));
    assert_eq!(header("x-ratelimit-remaining"), 0);
    assert!(reset > now && reset <= now + 3600, "{reset} vs {now}");
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    let message = error_message(over).await;
    assert!(
        message.as_str().is_some_and(|m| m.contains("2/1h")),
        "{message}"
    );
    assert_eq!(sandbox.tickets().len(), 2);
}

#[tokio::test]
async fn a_shifted_clock_shows_in_the_date_and_the_reset_and_headers_can_be_left_out() {
    use thena_sandbox::RateLimitHeaders;
    for (shift, headers) in [
        (3600, RateLimitHeaders::All),
        (-3600, RateLimitHeaders::Some),
        (0, RateLimitHeaders::None),
    ] {
        let sandbox = Sandbox::builder()
            .rate_limit(RateLimit::new(5, Duration::from_secs(10)).expect("a valid limit"))
            .clock_shift(shift)
            .rate_limit_headers(headers)
            .start()
            .await
            .expect("the sandbox starts");
        let http = common::http();
        let response = common::create(
            &http,
            sandbox.url(),
            sandbox.api_key(),
            &common::ticket("t"),
        )
        .send()
        .await
        .expect("an answer");
        assert_eq!(response.status(), 201);
        let h = response.headers();
        let now = chrono::Utc::now().timestamp();
        let date = h["date"].to_str().expect("ASCII");
        let date = chrono::DateTime::parse_from_rfc2822(date)
            .expect("an HTTP date")
            .timestamp();
        assert!((date - now - shift).abs() <= 2, "{date} vs {now} + {shift}");
        assert_eq!(
            h.contains_key("x-ratelimit-limit"),
            headers == RateLimitHeaders::All
        );
        match h.get("x-ratelimit-reset") {
            Some(reset) => {
                let reset: i64 = reset.to_str().expect("ASCII").parse().expect("a number");
                assert!(reset > date && reset <= date + 10, "{reset} vs {date}");
                assert_eq!(h["x-ratelimit-remaining"], "4");
            }
            None => {
                assert_eq!(headers, RateLimitHeaders::None);
                assert!(!h.contains_key("x-ratelimit-remaining"));
            }
        }
    }
}

#[tokio::test]
async fn tickets_are_listed_per_team_over_http() {
    let sandbox = sandbox().await;
    let http = common::http();
    for team in ["red", "blue", "red"] {
        common::create(
            &http,
            sandbox.url(),
            sandbox.api_key(),
            &common::ticket(team),
        )
        .send()
        .await
        .expect("an answer");
    }
    let red: Value = http
        .get(format!("{}/_sandbox/tickets?teamId=red", sandbox.url()))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    let identifiers: Vec<_> = red
        .as_array()
        .expect("a list")
        .iter()
        .map(|t| t["ticketIdentifier"].clone())
        .collect();
    assert_eq!(identifiers, [json!("RED-1"), json!("RED-2")]);
    assert_eq!(sandbox.tickets().len(), 3);
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish_then_refuses_connections() {
    let sandbox = sandbox().await;
    let http = common::http();
    let url = sandbox.url().to_owned();
    sandbox.inject(Fault::delay(Duration::from_millis(300)));
    let in_flight = tokio::spawn({
        let (http, key) = (http.clone(), sandbox.api_key().to_owned());
        let url = url.clone();
        async move {
            common::create(&http, &url, &key, &common::ticket("t"))
                .send()
                .await
                .map(|r| r.status())
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    sandbox.shutdown().await;
    let status = in_flight.await.expect("the task ends").expect("an answer");
    assert_eq!(status, 201);
    let err = common::create(&http, &url, "k", &common::ticket("t"))
        .send()
        .await
        .expect_err("nobody listens");
    assert!(err.is_connect() || err.is_request(), "{err:?}");
}

#[tokio::test]
async fn the_key_must_not_be_empty() {
    let err = Sandbox::builder()
        .api_key(" ")
        .start()
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn an_id_that_is_not_utf8_gets_a_logged_error_response_with_the_headers() {
    let sandbox = sandbox().await;
    let response = common::http()
        .patch(format!("{}/v1/tickets/%FF%FE", sandbox.url()))
        .header("x-api-key", sandbox.api_key())
        .json(&json!({"title": "t"}))
        .send()
        .await
        .expect("an answer");

    assert_eq!(response.status(), 400);
    assert!(response.headers().contains_key("x-ratelimit-remaining"));
    let message = error_message(response).await;
    assert_eq!(
        message,
        "id: the path segment is not valid UTF-8 once percent-decoded"
    );
    let log = sandbox.requests();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].status, Some(400));
    assert_eq!(log[0].path, "/v1/tickets/%FF%FE");
}

#[tokio::test]
async fn the_request_log_keeps_the_most_recent_and_counts_what_it_forgot() {
    let sandbox = Sandbox::builder()
        .request_log(2)
        .start()
        .await
        .expect("the sandbox starts");
    let http = common::http();
    for team in ["t1", "t2", "t3", "t4", "t5"] {
        let created = common::create(
            &http,
            sandbox.url(),
            sandbox.api_key(),
            &common::ticket(team),
        )
        .send()
        .await
        .expect("an answer");
        assert_eq!(created.status(), 201);
    }
    assert_eq!(sandbox.requests().len(), 2);
    assert_eq!(sandbox.requests_dropped(), 3);
    let log = http
        .get(format!("{}/_sandbox/requests", sandbox.url()))
        .send()
        .await
        .expect("an answer");
    assert_eq!(
        log.headers()
            .get("x-sandbox-requests-dropped")
            .and_then(|v| v.to_str().ok()),
        Some("3")
    );
    let records: Vec<Value> = log.json().await.expect("JSON");
    assert_eq!(records.len(), 2);
}

#[tokio::test]
async fn a_sandbox_that_keeps_only_keys_replays_a_reused_key_with_its_id() {
    let sandbox = Sandbox::builder()
        .keys_only()
        .start()
        .await
        .expect("the sandbox starts");
    let http = common::http();
    let mut body = common::ticket("team_1");
    body["deDuplicationKey"] = json!("k-1");
    let mut answers = Vec::new();
    for _ in 0..2 {
        let answer = common::create(&http, sandbox.url(), sandbox.api_key(), &body)
            .send()
            .await
            .expect("an answer");
        assert_eq!(answer.status(), 201);
        let answer: Value = answer.json().await.expect("JSON");
        answers.push(answer["data"].clone());
    }
    assert_eq!(answers[0]["id"], answers[1]["id"]);
    assert_eq!(
        answers[0]["ticketIdentifier"],
        answers[1]["ticketIdentifier"]
    );
    assert_eq!(answers[1]["ticketId"], 1);
    // Another key is another ticket; none is kept whole.
    body["deDuplicationKey"] = json!("k-2");
    let other: Value = common::create(&http, sandbox.url(), sandbox.api_key(), &body)
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    assert_ne!(other["data"]["id"], answers[0]["id"]);
    assert_eq!(other["data"]["ticketId"], 2);
    assert!(sandbox.tickets().is_empty());
}
