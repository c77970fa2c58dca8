//! Refusals: invalid bodies name every problem, a wrong or missing key is 401.
//!
//! Requests that break the spec on purpose go straight to the sandbox: through Prism
//! they would be answered by Prism itself, and counted as violations.

use serde_json::{Value, json};
use thena_sdk::types::UpdateTicketBody;

use crate::target::{Target, refusal, ticket, unique};

#[tokio::test]
async fn an_invalid_create_is_400_naming_every_invalid_field() {
    let target = Target::new().await;
    let team = unique("team");
    let response = target
        .http()
        .post(format!("{}/v1/tickets", target.sandbox_url()))
        .header("x-api-key", target.api_key())
        .json(&json!({
            "title": "Printer on fire",
            "teamId": team,
            "isPrivate": "yes",
            "dueDate": "next Tuesday",
            "deDuplicationKey": "k".repeat(256),
            "proactiveChannels": ["email", "pigeon"],
        }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("an ErrorResponse");
    assert_eq!(body["statusCode"], 400);
    assert_eq!(body["error"], "Bad Request");
    assert_eq!(
        body["message"],
        json!([
            "deDuplicationKey must be at most 255 characters",
            "dueDate must be an RFC 3339 date-time",
            "isPrivate must be a boolean",
            "proactiveChannels[1] must be one of: email",
            "requestorEmail is required",
        ])
    );
    assert!(target.tickets(&team).await.is_empty());
}

#[tokio::test]
async fn an_invalid_update_is_400_through_the_sdk_too() {
    let target = Target::new().await;
    let client = target.direct_client();
    let id = client
        .create_ticket()
        .body(ticket(&unique("team")))
        .send()
        .await
        .expect("created")
        .into_inner()
        .data
        .id
        .expect("an id");
    // `extra` sends properties the spec does not name; here, named ones of the wrong type.
    let extra = json!({"title": 5, "isPrivate": "yes", "autoLinkSlackChannel": true});
    let Value::Object(extra) = extra else {
        unreachable!("an object literal")
    };
    let err = client
        .update_ticket()
        .id(id)
        .body(UpdateTicketBody::builder().extra(extra))
        .send()
        .await
        .expect_err("invalid");
    let refusal = refusal(err);
    assert_eq!(refusal.status, 400);
    assert_eq!(
        refusal.messages,
        ["isPrivate must be a boolean", "title must be a string"]
    );
}

#[tokio::test]
async fn a_wrong_key_is_401_and_creates_nothing() {
    let target = Target::new().await;
    let team = unique("team");
    let err = target
        .client_with_key("not-the-key")
        .create_ticket()
        .body(ticket(&team))
        .send()
        .await
        .expect_err("refused");
    let refusal = refusal(err);
    assert_eq!(refusal.status, 401);
    assert_eq!(refusal.messages, ["Invalid or missing API key"]);
    assert!(target.tickets(&team).await.is_empty());
}

#[tokio::test]
async fn a_missing_key_is_401() {
    let target = Target::new().await;
    let response = target
        .http()
        .post(format!("{}/v1/tickets", target.sandbox_url()))
        .json(&json!({"title": "t", "requestorEmail": "r", "teamId": unique("team")}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.expect("an ErrorResponse");
    assert_eq!(body["message"], "Invalid or missing API key");
}
