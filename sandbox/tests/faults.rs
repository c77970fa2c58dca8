//! Scripted faults, seen by a plain HTTP client: each does exactly what it says, to
//! exactly the requests it should, and the request log shows it.

mod common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use thena_sandbox::{ApiKeyCheck, Fault, FaultKind, Route, Sandbox};

async fn sandbox() -> Sandbox {
    Sandbox::start().await.expect("the sandbox starts")
}

async fn create(sandbox: &Sandbox, http: &reqwest::Client) -> reqwest::Result<reqwest::Response> {
    common::create(
        http,
        sandbox.url(),
        sandbox.api_key(),
        &common::ticket("faults"),
    )
    .send()
    .await
}

#[tokio::test]
async fn a_status_fault_answers_n_requests_without_processing_them() {
    let sandbox = sandbox().await;
    let http = common::http();
    sandbox.inject(Fault::status(503).times(2));
    for _ in 0..2 {
        let response = create(&sandbox, &http).await.expect("an answer");
        assert_eq!(response.status(), 503);
        assert!(response.headers().contains_key("x-ratelimit-remaining"));
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["statusCode"], 503);
        assert_eq!(body["error"], "Service Unavailable");
    }
    assert!(
        sandbox.tickets().is_empty(),
        "faulted requests create nothing"
    );
    assert_eq!(
        create(&sandbox, &http).await.expect("an answer").status(),
        201
    );
    assert!(sandbox.faults().is_empty());
    let statuses: Vec<_> = sandbox.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(503), Some(503), Some(201)]);
}

#[tokio::test]
async fn throttling_and_proxy_errors_look_like_the_real_thing() {
    let sandbox = sandbox().await;
    let http = common::http();
    sandbox.inject(Fault::status(429).retry_after(3));
    sandbox.inject(Fault::status(502).html());

    let throttled = create(&sandbox, &http).await.expect("an answer");
    assert_eq!(throttled.status(), 429);
    assert_eq!(throttled.headers()["retry-after"], "3");

    let proxy = create(&sandbox, &http).await.expect("an answer");
    assert_eq!(proxy.status(), 502);
    assert_eq!(proxy.headers()["content-type"], "text/html; charset=utf-8");
    let page = proxy.text().await.expect("text");
    assert!(page.contains("<h1>502 Bad Gateway</h1>"), "{page}");
}

#[tokio::test]
async fn a_fault_limited_to_a_route_leaves_the_other_alone() {
    let sandbox = sandbox().await;
    let http = common::http();
    sandbox.inject(Fault::status(500).on(Route::UpdateTicket));
    let created: Value = create(&sandbox, &http)
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    let id = created["data"]["id"].as_str().expect("an id");
    let update = http
        .patch(format!("{}/v1/tickets/{id}", sandbox.url()))
        .header("x-api-key", sandbox.api_key())
        .json(&json!({"title": "changed"}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(update.status(), 500);
    assert_eq!(
        sandbox.tickets()[0].title.as_deref(),
        Some("Printer on fire"),
        "the faulted update changed nothing"
    );
}

#[tokio::test]
async fn a_delay_holds_the_answer_and_then_processes_the_request() {
    let sandbox = sandbox().await;
    let http = common::http();
    sandbox.inject(Fault::delay(Duration::from_millis(300)));
    let started = Instant::now();
    let response = create(&sandbox, &http).await.expect("an answer");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(response.status(), 201);
    assert_eq!(sandbox.tickets().len(), 1);
}

#[tokio::test]
async fn a_dropped_connection_is_a_connection_error_not_a_status() {
    let sandbox = sandbox().await;
    let http = common::http();
    // Open a pooled connection first, so that the drop hits a reused one too.
    assert_eq!(
        create(&sandbox, &http).await.expect("an answer").status(),
        201
    );
    sandbox.inject(Fault::drop_connection());
    let err = create(&sandbox, &http).await.expect_err("no answer");
    assert!(err.status().is_none(), "{err:?}");
    assert!(err.is_request(), "{err:?}");
    assert_eq!(sandbox.tickets().len(), 1, "dropped before processing");
    // Exactly one request reached the sandbox: reqwest did not quietly retry it.
    let last: Vec<_> = sandbox.requests().iter().map(|r| r.status).collect();
    assert_eq!(last, [Some(201), None]);
    assert_eq!(
        create(&sandbox, &http).await.expect("an answer").status(),
        201
    );
}

#[tokio::test]
async fn a_drop_after_processing_loses_the_answer_but_keeps_the_ticket() {
    let sandbox = sandbox().await;
    let http = common::http();
    sandbox.inject(Fault::drop_connection().after_processing());
    let err = create(&sandbox, &http).await.expect_err("no answer");
    assert!(err.status().is_none(), "{err:?}");
    assert_eq!(
        sandbox.tickets().len(),
        1,
        "the ticket was created all the same"
    );
}

#[tokio::test]
async fn a_truncated_body_fails_while_reading_it() {
    let sandbox = sandbox().await;
    let http = common::http();
    sandbox.inject(Fault::truncate());
    let response = create(&sandbox, &http).await.expect("the head arrives");
    assert_eq!(response.status(), 201);
    let promised = response.content_length().expect("a Content-Length");
    let err = response.bytes().await.expect_err("the body is cut");
    assert!(err.is_body() || err.is_decode(), "{err:?}");
    assert!(promised > 100, "{promised}");
    assert_eq!(sandbox.tickets().len(), 1, "the ticket was created");
}

#[tokio::test]
async fn a_malformed_answer_breaks_the_spec_on_purpose() {
    let sandbox = sandbox().await;
    let http = common::http();
    sandbox.inject(Fault::malformed().times(2));
    let created: Value = create(&sandbox, &http)
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        created["data"]["ticketId"], "1",
        "a string, not the integer 1"
    );
    let refused = http
        .post(format!("{}/v1/tickets", sandbox.url()))
        .json(&common::ticket("faults"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().await.expect("JSON");
    assert_eq!(body["statusCode"], "401");
}

#[tokio::test]
async fn faults_are_scripted_over_http_too() {
    let sandbox = sandbox().await;
    let http = common::http();
    let faults = format!("{}/_sandbox/faults", sandbox.url());
    let added = http
        .post(&faults)
        .json(&json!({"kind": "status", "status": 503, "times": 3, "route": "PATCH /v1/tickets/{id}"}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(added.status(), 204);
    let pending: Value = http
        .get(&faults)
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        pending,
        json!([{"kind": "status", "status": 503, "body": "json", "times": 3, "route": "PATCH /v1/tickets/{id}"}])
    );
    assert_eq!(
        sandbox.faults(),
        [Fault::status(503).times(3).on(Route::UpdateTicket)]
    );

    let invalid = http
        .post(&faults)
        .json(&json!({"kind": "explode"}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(invalid.status(), 422);
    let body: Value = invalid.json().await.expect("an ErrorResponse");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("unknown variant `explode`")),
        "{body}"
    );

    let cleared = http.delete(&faults).send().await.expect("an answer");
    assert_eq!(cleared.status(), 204);
    assert!(sandbox.faults().is_empty());
}

#[tokio::test]
async fn the_request_log_shows_what_clients_sent_but_never_the_key() {
    let sandbox = sandbox().await;
    let http = common::http();
    let mut body = common::ticket("faults");
    body["deDuplicationKey"] = json!("retry-me");
    sandbox.inject(Fault::status(503));
    for _ in 0..2 {
        common::create(&http, sandbox.url(), sandbox.api_key(), &body)
            .send()
            .await
            .expect("an answer");
    }
    common::create(&http, sandbox.url(), "wrong", &body)
        .send()
        .await
        .expect("an answer");

    let log = sandbox.requests();
    let keys: Vec<_> = log
        .iter()
        .map(|r| r.de_duplication_key.as_deref())
        .collect();
    assert_eq!(keys, [Some("retry-me"); 3]);
    let checks: Vec<_> = log.iter().map(|r| r.api_key).collect();
    assert_eq!(
        checks,
        [ApiKeyCheck::Valid, ApiKeyCheck::Valid, ApiKeyCheck::Invalid]
    );
    assert!(matches!(
        log[0].fault,
        Some(FaultKind::Status { status: 503, .. })
    ));
    assert_eq!(log[1].fault, None);
    assert_eq!(log[0].route, Some(Route::CreateTicket));

    let over_http = http
        .get(format!("{}/_sandbox/requests", sandbox.url()))
        .send()
        .await
        .expect("an answer")
        .text()
        .await
        .expect("text");
    assert!(over_http.contains("\"apiKey\":\"invalid\""), "{over_http}");
    assert!(!over_http.contains(sandbox.api_key()), "{over_http}");
    assert!(!over_http.contains("wrong"), "{over_http}");

    http.delete(format!("{}/_sandbox/requests", sandbox.url()))
        .send()
        .await
        .expect("an answer");
    assert!(sandbox.requests().is_empty());
}

#[tokio::test]
async fn a_delay_after_processing_keeps_the_ticket_of_a_client_that_gave_up() {
    let sandbox = sandbox().await;
    sandbox.inject(Fault::delay(Duration::from_secs(5)).after_processing());
    let impatient = common::http_builder()
        .timeout(Duration::from_millis(200))
        .build()
        .expect("a client");

    let err = create(&sandbox, &impatient).await.expect_err("timed out");

    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(sandbox.tickets().len(), 1, "processed before the wait");
    // The handler is cancelled with the connection; the request is logged anyway.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let log = sandbox.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, None, "no answer was sent");
}

#[tokio::test]
async fn in_conflict_mode_a_seen_key_gets_409_and_creates_nothing() {
    let sandbox = Sandbox::builder()
        .on_duplicate(thena_sandbox::OnDuplicate::Conflict)
        .start()
        .await
        .expect("the sandbox starts");
    let http = common::http();
    let mut body = common::ticket("dup");
    body["deDuplicationKey"] = json!("order-9");
    let send = || common::create(&http, sandbox.url(), sandbox.api_key(), &body).send();

    assert_eq!(send().await.expect("an answer").status(), 201);
    let second = send().await.expect("an answer");
    assert_eq!(second.status(), 409);
    let error: Value = second.json().await.expect("an ErrorResponse");
    assert_eq!(error["statusCode"], 409);
    assert_eq!(error["error"], "Conflict");
    assert_eq!(
        error["message"],
        "A ticket with deDuplicationKey \"order-9\" already exists"
    );
    assert_eq!(sandbox.tickets().len(), 1);
}

#[tokio::test]
async fn chaos_strikes_at_its_rate_with_the_faults_it_names_and_is_scripted_over_http() {
    let sandbox = sandbox().await;
    let http = common::http();
    let chaos = format!("{}/_sandbox/chaos", sandbox.url());

    let refused = http
        .post(&chaos)
        .json(&json!({"rate": 1.5}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(refused.status(), 400);
    let shown: Value = refused.json().await.expect("an ErrorResponse");
    assert!(
        shown["message"]
            .as_str()
            .is_some_and(|m| m.contains("from 0 to 1"))
    );

    let set = http
        .post(&chaos)
        .json(&json!({"rate": 0.5, "seed": 11}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(set.status(), 204);
    let current: Value = http
        .get(&chaos)
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(current, json!({"rate": 0.5, "seed": 11}));

    for _ in 0..200 {
        let _ = create(&sandbox, &http).await;
    }
    let log = sandbox.requests();
    assert_eq!(log.len(), 200);
    let struck: Vec<&FaultKind> = log.iter().filter_map(|r| r.fault.as_ref()).collect();
    assert!(
        (70..130).contains(&struck.len()),
        "{} of 200 at 0.5",
        struck.len()
    );
    for kind in thena_sandbox::Chaos::faults() {
        assert!(struck.contains(&&kind), "{kind:?} never struck");
    }
    // Every struck create that was processed, and every one that was not struck, made
    // one ticket.
    let processed = log
        .iter()
        .filter(|r| match &r.fault {
            None => true,
            Some(FaultKind::Drop { after_processing }) => *after_processing,
            Some(FaultKind::Truncate) => true,
            Some(_) => false,
        })
        .count();
    assert_eq!(sandbox.tickets().len(), processed);

    let off = http.delete(&chaos).send().await.expect("an answer");
    assert_eq!(off.status(), 204);
    assert_eq!(sandbox.chaos(), None);
    assert_eq!(
        create(&sandbox, &http).await.expect("an answer").status(),
        201
    );
}
