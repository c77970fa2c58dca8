//! One `deDuplicationKey` per create, whatever happens: a body the SDK could not read
//! back still carries exactly one key, a caller who cancels can resend under the key it
//! chose, and a success status to a create is reported as a ticket that exists, with its
//! key. Real HTTP on loopback.

use std::time::Duration;

use serde_json::{Value, json};
use thena_sdk::{Client, Error, new_dedup_key, types};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.uri())
        .api_key("tk_test_keys")
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

async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

fn created() -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({
        "status": true, "message": "Success", "timestamp": "2024-01-01T00:00:00.000Z",
        "data": { "id": "T1", "ticketIdentifier": "TEAM-1" }
    }))
}

/// The raw bodies the server received.
async fn bodies(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .expect("recorded")
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect()
}

/// Metadata nested deeper than serde_json reads back (128 levels).
fn deep(levels: usize) -> serde_json::Map<String, Value> {
    let mut value = json!("bottom");
    for _ in 0..levels {
        value = json!({ "deeper": value });
    }
    match value {
        Value::Object(map) => map,
        _ => unreachable!("an object"),
    }
}

#[tokio::test]
async fn a_body_too_deep_to_read_back_still_carries_exactly_one_key() {
    for callers in [Some("order-42"), None] {
        let server = answering(created()).await;
        let mut body = ticket().metadata(deep(130));
        if let Some(key) = callers {
            body = body.de_duplication_key(key);
        }
        let created = client(&server)
            .create_ticket()
            .body(body)
            .send()
            .await
            .expect("created");
        let key = created.head().dedup_key().expect("a key").to_owned();
        if let Some(callers) = callers {
            assert_eq!(key, callers, "the caller's key is kept");
        }
        let sent = bodies(&server).await;
        assert_eq!(sent.len(), 1);
        assert_eq!(
            sent[0].matches("\"deDuplicationKey\"").count(),
            1,
            "one key in the body"
        );
        assert!(sent[0].contains(&format!("\"deDuplicationKey\":\"{key}\"")));
    }
}

/// A caller that cancels a create (a timeout, `select!`, a shutdown) and sends it again
/// sends the same key both times when it chose the key first: the platform then refuses
/// or replays the second, and no ticket is made twice.
#[tokio::test]
async fn a_cancelled_create_is_resent_under_the_key_chosen_before_sending() {
    let server = answering(created().set_delay(Duration::from_millis(600))).await;
    let client = client(&server);
    let create = client
        .create_ticket()
        .body(ticket().de_duplication_key(new_dedup_key()));

    let cancelled = tokio::time::timeout(Duration::from_millis(200), create.clone().send()).await;
    assert!(cancelled.is_err(), "the first send was cancelled");
    let created = create.send().await.expect("created");

    let sent = bodies(&server).await;
    assert_eq!(sent.len(), 2, "both sends reached the server");
    let key_of = |body: &str| {
        serde_json::from_str::<Value>(body).expect("JSON")["deDuplicationKey"]
            .as_str()
            .map(str::to_owned)
    };
    assert_eq!(key_of(&sent[0]), key_of(&sent[1]), "one key for both sends");
    assert_eq!(key_of(&sent[1]).as_deref(), created.head().dedup_key());
}

#[tokio::test]
async fn a_success_status_to_a_create_says_the_ticket_exists_and_names_its_key() {
    let answers = [
        ResponseTemplate::new(201).set_body_json(json!({ "status": true, "data": null })),
        ResponseTemplate::new(201).set_body_raw("<html>Created</html>", "text/html"),
        ResponseTemplate::new(202),
        ResponseTemplate::new(204),
    ];
    for answer in answers {
        let server = answering(answer).await;
        let err: Error = client(&server)
            .create_ticket()
            .body(ticket())
            .send()
            .await
            .expect_err("not the documented answer");
        let key = err.dedup_key().expect("the key").to_owned();
        assert!(err.carried_out(), "{err}");
        assert!(!err.is_retryable(), "{err}");
        let shown = err.to_string();
        assert!(
            shown.contains(&format!("the ticket was created (deDuplicationKey {key}")),
            "{shown}"
        );
        assert!(!shown.contains("retry"), "{shown}");
        assert_eq!(bodies(&server).await.len(), 1, "never sent again");
    }
}

/// A success whose body broke off was carried out, even when the retry that followed
/// fails otherwise: the ticket exists, and the error says so.
#[tokio::test]
async fn a_success_seen_on_an_earlier_attempt_is_not_forgotten() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move {
        let mut answers = [
            &b"HTTP/1.1 201 Created\r\ncontent-length: 100\r\n\r\n{\"status\""[..],
            &b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 40\r\n\r\n{\"statusCode\":400,\"message\":\"no, sorry\"}"[..],
        ]
        .into_iter();
        while let Ok((mut stream, _)) = listener.accept().await {
            let Some(answer) = answers.next() else { break };
            let mut request = [0u8; 16384];
            let _ = stream.read(&mut request).await;
            let _ = stream.write_all(answer).await;
            // Closing mid-body cuts the first answer short.
        }
    });
    let err = Client::builder()
        .base_url(&url)
        .api_key("tk_test_keys")
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .expect("valid settings")
        .create_ticket()
        .body(ticket())
        .send()
        .await
        .expect_err("400 at last");
    assert_eq!(err.attempts(), 2, "{err}");
    assert!(err.carried_out(), "{err}");
    let key = err.dedup_key().expect("the key");
    assert!(
        err.to_string()
            .ends_with(&format!("the ticket was created (deDuplicationKey {key}; never create it again with another key)")),
        "{err}"
    );
}

#[tokio::test]
async fn a_blank_key_is_refused_before_sending() {
    let server = answering(created()).await;
    for blank in [" ", "\t", " \u{a0} "] {
        let refused = client(&server)
            .create_ticket()
            .body(ticket().de_duplication_key(blank))
            .send()
            .await
            .expect_err("a blank key");
        assert!(
            matches!(&refused, Error::InvalidRequest(m) if m.contains("deDuplicationKey: must not be blank")),
            "{refused}"
        );
    }
    assert!(bodies(&server).await.is_empty(), "nothing is sent");
}

/// `extra` holds properties the spec does not name; one it does name would go out twice,
/// and servers disagree on which member wins.
#[tokio::test]
async fn a_property_set_twice_through_extra_is_refused_before_sending() {
    let server = MockServer::start().await;
    let mut extra = serde_json::Map::new();
    extra.insert("statusName".into(), json!("Closed"));
    let refused = client(&server)
        .update_ticket()
        .id("T1")
        .body(
            types::UpdateTicketBody::builder()
                .status_name("Open")
                .extra(extra.clone()),
        )
        .send()
        .await
        .expect_err("statusName twice");
    assert!(
        matches!(&refused, Error::InvalidRequest(m) if m.contains("property statusName is set twice")),
        "{refused}"
    );
    assert!(bodies(&server).await.is_empty(), "nothing is sent");

    // Alone, in `extra` or named, the property is sent once.
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": true, "message": "Success", "timestamp": "2024-01-01T00:00:00.000Z",
            "data": { "id": "T1", "ticketIdentifier": "TEAM-1" }
        })))
        .mount(&server)
        .await;
    client(&server)
        .update_ticket()
        .id("T1")
        .body(types::UpdateTicketBody::builder().extra(extra))
        .send()
        .await
        .expect("sent");
    assert_eq!(bodies(&server).await, [r#"{"statusName":"Closed"}"#]);
}

#[tokio::test]
async fn a_dry_run_builds_and_checks_the_request_and_sends_nothing() {
    let server = answering(created()).await;
    let client = Client::builder()
        .base_url(server.uri())
        .api_key("tk_test_keys")
        .dry_run(true)
        .build()
        .expect("valid settings");
    let dry = client
        .create_ticket()
        .body(ticket().de_duplication_key("order-7"))
        .send()
        .await
        .expect_err("a dry run");
    let Error::DryRun(prepared) = &dry else {
        panic!("not a dry run: {dry}");
    };
    assert_eq!(prepared.method().as_str(), "POST");
    assert_eq!(prepared.url().path(), "/v1/tickets");
    let header = |name: &str| {
        prepared
            .headers()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("x-api-key"), Some("[redacted]"));
    assert_eq!(header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_slice(prepared.body().expect("a body")).expect("JSON");
    assert_eq!(body["deDuplicationKey"], "order-7");
    assert_eq!(body["title"], "t");
    let shown = format!("{dry} {dry:?}");
    assert!(shown.starts_with("dry run: POST http://"), "{shown}");
    assert!(!shown.contains("tk_test_keys"), "{shown}");

    // Checked as a real send is: a blank key is still refused.
    let refused = client
        .create_ticket()
        .body(ticket().de_duplication_key(" "))
        .send()
        .await
        .expect_err("blank");
    assert!(matches!(refused, Error::InvalidRequest(_)), "{refused}");
    assert!(bodies(&server).await.is_empty(), "nothing is sent");
}
