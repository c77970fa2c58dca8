//! The models' wire contract, as insta snapshots: the JSON Schema of every generated type
//! and the JSON of fully populated request bodies. A spec edit that changes a model fails
//! here until its snapshot is reviewed (`cargo insta review`) and committed.

use chrono::{TimeZone, Utc};
use schemars::schema_for;
use serde_json::json;
use thena_sdk::types;

/// Every type in `thena_sdk::types`, with its schema snapshot.
macro_rules! schemas {
    ($($ty:ident),* $(,)?) => {
        const SNAPSHOTTED: &[&str] = &[$(stringify!($ty)),*];

        /// One test per type, so that one run reports every changed schema.
        #[allow(non_snake_case)]
        mod schema {
            use super::*;
            $(#[test]
            fn $ty() {
                insta::assert_json_snapshot!(stringify!($ty), schema_for!(types::$ty));
            })*
        }
    };
}

schemas!(
    CreateTicketBody,
    CreateTicketBodyDeDuplicationKey,
    ErrorResponse,
    ErrorResponseMessage,
    ProactiveChannel,
    Ticket,
    TicketComment,
    TicketResponse,
    UpdateTicketBody,
);

/// The list above must name every type the generator emits: a new schema in the spec
/// gets a snapshot too.
#[test]
fn every_generated_type_is_snapshotted() {
    let generated = include_str!("../../sdk/src/generated.rs");
    let types_module = generated
        .split_once("pub mod types {")
        .and_then(|(_, rest)| rest.split_once("\n    pub mod builder {"))
        .map(|(types, _)| types)
        .expect("generated.rs has a `types` module followed by `types::builder`");
    let mut emitted: Vec<&str> = types_module
        .lines()
        .filter_map(|l| {
            l.strip_prefix("    pub struct ")
                .or_else(|| l.strip_prefix("    pub enum "))
        })
        .map(|rest| {
            rest.split(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or(rest)
        })
        .collect();
    emitted.sort_unstable();
    assert_eq!(emitted, SNAPSHOTTED);
}

fn at(day: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, day, 9, 30, 0)
        .single()
        .expect("valid date")
}

#[test]
fn fully_populated_create_body() {
    let body = types::CreateTicketBody::builder()
        .title("Printer on fire")
        .requestor_email("user@example.com")
        .team_id("team_12345")
        .assigned_agent_id("agent_1")
        .account_id("account_1")
        .assigned_agent_email("agent@example.com")
        .description("Smoke everywhere")
        .due_date(at(2))
        .submitter_email("submitter@example.com")
        .status_id("status_1")
        .status_name("Open")
        .priority_id("priority_1")
        .priority_name("High")
        .sentiment_id("sentiment_1")
        .metadata(
            json!({ "origin": "monitoring" })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )
        .type_id("type_1")
        .is_private(true)
        .source("api")
        .ai_generated_title("Fire")
        .ai_generated_summary("A printer is on fire")
        .attachment_urls(vec!["https://files.example/1.png".to_string()])
        .custom_field_values(vec![
            json!({ "customFieldId": "cf_1", "data": [{ "value": "x" }] })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        ])
        .is_proactive(true)
        .closed_at(at(3))
        .closed_by_id("user_1")
        .proactive_channels(vec![types::ProactiveChannel::Email])
        .perform_routing(false)
        .form_id("form_1")
        .comment_content("It started at 9")
        .comment_content_html("<p>It started at 9</p>")
        .comment_content_json("{}")
        .comment_attachment_ids(vec!["att_1".to_string()])
        .comment_metadata(
            json!({ "via": "sdk" })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )
        .comment_impersonated_user_name("Ada")
        .comment_impersonated_user_email("ada@example.com")
        .comment_impersonated_user_avatar("https://files.example/ada.png")
        .de_duplication_key("monitoring-4711")
        .try_into();
    let body: types::CreateTicketBody = body.expect("every field is valid");
    insta::assert_json_snapshot!("create_ticket_body_full", body);
}

#[test]
fn fully_populated_update_body() {
    let mut extra = serde_json::Map::new();
    extra.insert("fieldNotInTheSpec".into(), json!(true));
    let body = types::UpdateTicketBody::builder()
        .assigned_agent_id("agent_1")
        .account_id("account_1")
        .assigned_agent_email("agent@example.com")
        .description("Smoke everywhere")
        .due_date(at(2))
        .submitter_email("submitter@example.com")
        .status_id("status_1")
        .status_name("Closed")
        .priority_id("priority_1")
        .priority_name("Low")
        .sentiment_id("sentiment_1")
        .metadata(
            json!({ "origin": "monitoring" })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )
        .type_id("type_1")
        .is_private(false)
        .source("api")
        .ai_generated_title("Fire")
        .ai_generated_summary("A printer was on fire")
        .attachment_urls(vec!["https://files.example/2.png".to_string()])
        .custom_field_values(vec![
            json!({ "customFieldId": "cf_1", "data": [{ "value": "y" }] })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        ])
        .is_proactive(false)
        .closed_at(at(3))
        .closed_by_id("user_1")
        .proactive_channels(vec![types::ProactiveChannel::Email])
        .title("Printer was on fire")
        .sub_team_id("subteam_1")
        .form_id("form_1")
        .extra(extra)
        .try_into();
    let body: types::UpdateTicketBody = body.expect("every field is valid");
    insta::assert_json_snapshot!("update_ticket_body_full", body);
}
