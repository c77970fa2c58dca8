//! What the SDK puts on the wire and what it accepts back, over real HTTP on loopback
//! against a wiremock server.

use serde_json::{Value, json};
use thena_sdk::{Client, types};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "tk_test_wire_0123456789";

fn client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .api_key(KEY)
        .build()
        .expect("valid settings")
}

fn envelope(data: Value) -> Value {
    json!({ "status": true, "message": "Success", "timestamp": "2024-01-01T00:00:00.000Z", "data": data })
}

fn create_body() -> types::builder::CreateTicketBody {
    types::CreateTicketBody::builder()
        .title("Need help with my account!")
        .requestor_email("user@example.com")
        .team_id("team_12345")
}

/// Every property of `T`'s JSON schema set to null.
fn all_null<T: schemars::JsonSchema>() -> Value {
    let schema = serde_json::to_value(schemars::schema_for!(T)).expect("schema serializes");
    let props = schema["properties"].as_object().expect("an object schema");
    assert!(
        props.len() > 10,
        "expected a full model, got {} properties",
        props.len()
    );
    props
        .keys()
        .map(|k| (k.clone(), Value::Null))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

#[tokio::test]
async fn create_sends_the_key_and_the_body_to_v1_tickets_even_with_a_trailing_slash() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/tickets"))
        .and(header("x-api-key", KEY))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(201).set_body_json(envelope(json!({ "id": "T1" }))))
        .expect(1)
        .mount(&server)
        .await;

    let created = client(&format!("{}/", server.uri()))
        .create_ticket()
        .body(create_body())
        .send()
        .await
        .expect("the mock answers 201");
    assert_eq!(created.status(), 201);
    assert_eq!(created.data.id.as_deref(), Some("T1"));

    let received = server
        .received_requests()
        .await
        .expect("requests are recorded");
    let user_agent = received[0]
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok());
    assert!(
        user_agent.is_some_and(|ua| ua.starts_with("thena-sdk-rust/")),
        "{user_agent:?}"
    );
    let mut sent: Value = serde_json::from_slice(&received[0].body).expect("a JSON body");
    // The SDK makes every create idempotent with a generated key (a UUID v4).
    let key = sent["deDuplicationKey"].take();
    assert!(
        key.as_str()
            .is_some_and(|k| k.len() == 36 && k.as_bytes()[14] == b'4'),
        "{key}"
    );
    sent.as_object_mut().map(|o| o.remove("deDuplicationKey"));
    assert_eq!(
        sent,
        json!({
            "title": "Need help with my account!",
            "requestorEmail": "user@example.com",
            "teamId": "team_12345",
            "isProactive": false,
        })
    );
}

#[tokio::test]
async fn update_that_sets_only_the_title_sends_only_the_title() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/v1/tickets/T%201"))
        .and(header("x-api-key", KEY))
        .and(body_json(json!({ "title": "Renamed" })))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(envelope(json!({ "title": "Renamed" }))),
        )
        .expect(1)
        .mount(&server)
        .await;

    let updated = client(&server.uri())
        .update_ticket()
        .id("T 1")
        .body(types::UpdateTicketBody::builder().title("Renamed"))
        .send()
        .await
        .expect("the mock answers 200");
    assert_eq!(updated.data.title.as_deref(), Some("Renamed"));
}

#[tokio::test]
async fn update_can_send_a_property_the_spec_does_not_name() {
    // The update page lost the name of its last field; `extra` (reached through
    // `body_map`) is how a user sends it, or any other unnamed property.
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/v1/tickets/T1"))
        .and(body_json(
            json!({ "title": "Renamed", "fieldNotInTheSpec": true }),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(envelope(json!({}))))
        .expect(1)
        .mount(&server)
        .await;

    let mut extra = serde_json::Map::new();
    extra.insert("fieldNotInTheSpec".into(), json!(true));
    client(&server.uri())
        .update_ticket()
        .id("T1")
        .body(types::UpdateTicketBody::builder().title("Renamed"))
        .body_map(|body| body.extra(extra))
        .send()
        .await
        .expect("the mock answers 200");
}

#[tokio::test]
async fn invalid_input_is_an_error_naming_the_field_before_anything_is_sent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;

    let missing_team = types::CreateTicketBody::builder()
        .title("t")
        .requestor_email("u@example.com");
    let err = client(&server.uri())
        .create_ticket()
        .body(missing_team)
        .send()
        .await
        .expect_err("team_id is required");
    assert!(
        matches!(err, thena_sdk::Error::InvalidRequest(_)),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "invalid request: teamId: required, not set"
    );

    for (key, rule) in [
        ("k".repeat(256), "longer than 255 characters"),
        (String::new(), "shorter than 1 characters"),
    ] {
        let err = client(&server.uri())
            .create_ticket()
            .body(create_body().de_duplication_key(key))
            .send()
            .await
            .expect_err("the key breaks a rule");
        assert!(
            matches!(err, thena_sdk::Error::InvalidRequest(_)),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!("invalid request: deDuplicationKey: {rule}")
        );
    }
}

/// Response bodies a live server may send, each of which must decode.
fn tolerated_bodies() -> Vec<(&'static str, Value)> {
    let docs_example: Value =
        serde_json::from_str(include_str!("../fixtures/create-ticket-response.json"))
            .expect("fixture is JSON");
    let update_example: Value =
        serde_json::from_str(include_str!("../fixtures/update-ticket-response.json"))
            .expect("fixture is JSON");

    let mut nulls = all_null::<types::Ticket>();
    let null_ticket = nulls.clone();
    nulls["comment"] = all_null::<types::TicketComment>();

    let mut unknown = docs_example.clone();
    unknown["requestId"] = json!("req_1");
    unknown["data"]["slaPolicy"] = json!({ "breachAt": null, "tiers": [1, 2] });
    unknown["data"]["comment"]["reactions"] = json!([{ "emoji": "+1" }]);
    unknown["data"]["comment"]["metadata"] = json!({ "nested": { "deep": [true, null] } });

    let mut objects = docs_example.clone();
    objects["data"]["customFieldValues"] =
        json!([{ "customFieldId": "cf_1", "data": [{ "value": "x" }] }, "plain", 7]);

    vec![
        ("the docs' create example", docs_example),
        ("the docs' update example", update_example),
        ("a sparse ticket", envelope(json!({ "id": "T1" }))),
        ("an empty ticket", envelope(json!({}))),
        ("null in every field", envelope(null_ticket)),
        ("null in every field, comment included", envelope(nulls)),
        ("unknown fields at every level", unknown),
        ("customFieldValues as objects", objects),
    ]
}

#[tokio::test]
async fn create_accepts_every_tolerated_body_with_200_and_201() {
    for status in [200, 201] {
        for (what, body) in tolerated_bodies() {
            let server = MockServer::start().await;
            Mock::given(method("POST"))
                .and(path("/v1/tickets"))
                .respond_with(ResponseTemplate::new(status).set_body_json(&body))
                .mount(&server)
                .await;
            let response = client(&server.uri())
                .create_ticket()
                .body(create_body())
                .send()
                .await;
            let response = response.unwrap_or_else(|e| panic!("{what} with {status}: {e}"));
            assert_eq!(response.status(), status);
            assert_eq!(
                response.data.id,
                body["data"]["id"].as_str().map(str::to_owned),
                "{what} with {status}"
            );
        }
    }
}

#[tokio::test]
async fn update_accepts_every_tolerated_body() {
    for (what, body) in tolerated_bodies() {
        let server = MockServer::start().await;
        Mock::given(method("PATCH"))
            .and(path("/v1/tickets/T1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&body))
            .mount(&server)
            .await;
        let response = client(&server.uri())
            .update_ticket()
            .id("T1")
            .body(types::UpdateTicketBody::builder().title("x"))
            .send()
            .await;
        response.unwrap_or_else(|e| panic!("{what}: {e}"));
    }
}

#[tokio::test]
async fn the_docs_example_decodes_into_every_field() {
    let server = MockServer::start().await;
    let body: Value = serde_json::from_str(include_str!("../fixtures/create-ticket-response.json"))
        .expect("fixture is JSON");
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(&body))
        .mount(&server)
        .await;
    let response = client(&server.uri())
        .create_ticket()
        .body(create_body())
        .send()
        .await
        .expect("decodes");
    // Re-encoding the decoded value gives back every documented field: none was dropped.
    let decoded = serde_json::to_value(response.into_inner()).expect("encodes");
    let mut expected = body;
    expected["data"]["storyPoints"] = json!(123.0); // a `number`: decoded as f64
    assert_eq!(decoded, expected);
}

#[tokio::test]
async fn error_responses_carry_the_status_and_the_server_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "statusCode": 400,
            "message": ["teamId must be a string", "title should not be empty"],
            "error": "Bad Request",
        })))
        .mount(&server)
        .await;
    let err = client(&server.uri())
        .create_ticket()
        .body(create_body())
        .send()
        .await
        .expect_err("400");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    let thena_sdk::Error::ErrorResponse(body) = err else {
        panic!("expected an ErrorResponse, got {err:?}")
    };
    let Some(types::ErrorResponseMessage::Array(messages)) = &body.message else {
        panic!("expected a list of messages, got {:?}", body.message)
    };
    assert_eq!(messages.len(), 2);
}
