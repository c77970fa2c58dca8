//! Creating tickets: what is sent comes back, the rest is filled like the platform does,
//! and a repeated `deDuplicationKey` creates nothing.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use thena_sandbox::Route;
use thena_sdk::types::{CreateTicketBody, ProactiveChannel};

use crate::target::{Target, ticket, unique};

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// `createdAt`-style timestamps: RFC 3339, UTC, milliseconds.
fn assert_platform_timestamp(value: Option<&str>) -> DateTime<Utc> {
    let text = value.expect("a timestamp");
    let parsed = DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
        .with_timezone(&Utc);
    assert_eq!(text, parsed.to_rfc3339_opts(SecondsFormat::Millis, true));
    parsed
}

#[tokio::test]
async fn a_create_with_every_field_echoes_them_and_fills_the_rest() {
    let target = Target::new().await;
    let team = unique("team");
    let due = DateTime::parse_from_rfc3339("2030-01-02T03:04:05Z")
        .expect("valid")
        .with_timezone(&Utc);
    let closed = DateTime::parse_from_rfc3339("2030-01-03T10:00:00.250+02:00")
        .expect("valid")
        .with_timezone(&Utc);
    let dedup = unique("every-field");
    let body = CreateTicketBody::builder()
        .title("Printer on fire")
        .requestor_email("user@example.com")
        .team_id(team.clone())
        .assigned_agent_id("agent_1")
        .account_id("account_1")
        .assigned_agent_email("agent@example.com")
        .description("Smoke from the second floor")
        .due_date(due)
        .submitter_email("submitter@example.com")
        .status_id("status_1")
        .status_name("In progress")
        .priority_id("priority_1")
        .priority_name("High")
        .sentiment_id("sentiment_1")
        .metadata(object(json!({"floor": 2})))
        .type_id("type_1")
        .is_private(true)
        .source("email")
        .ai_generated_title("Printer fire")
        .ai_generated_summary("A printer is burning")
        .attachment_urls(vec!["https://files.example.com/smoke.jpg".to_owned()])
        .custom_field_values(vec![object(json!({"fieldId": "f1", "value": "v1"}))])
        .is_proactive(true)
        .closed_at(closed)
        .closed_by_id("closer_1")
        .proactive_channels(vec![ProactiveChannel::Email])
        .perform_routing(false)
        .form_id("form_1")
        .comment_content("It smells of smoke")
        .comment_content_html("<p>It smells of smoke</p>")
        .comment_content_json("{\"text\":\"It smells of smoke\"}".to_string())
        .comment_attachment_ids(vec!["attachment_1".to_owned()])
        .comment_metadata(object(json!({"channel": "web"})))
        .comment_impersonated_user_name("Ada")
        .comment_impersonated_user_email("ada@example.com")
        .comment_impersonated_user_avatar("https://files.example.com/ada.png")
        .de_duplication_key(&dedup);

    let response = target
        .client()
        .create_ticket()
        .body(body)
        .send()
        .await
        .expect("created");
    assert_eq!(response.status().as_u16(), 201);
    let envelope = response.into_inner();
    assert!(envelope.status);
    assert_eq!(envelope.message, "Success");
    assert_platform_timestamp(Some(&envelope.timestamp));
    let t = envelope.data;

    // Echoed as sent.
    assert_eq!(t.title.as_deref(), Some("Printer on fire"));
    assert_eq!(t.requestor_email.as_deref(), Some("user@example.com"));
    assert_eq!(t.team_id.as_deref(), Some(team.as_str()));
    assert_eq!(t.assigned_agent_id.as_deref(), Some("agent_1"));
    assert_eq!(t.account_id.as_deref(), Some("account_1"));
    assert_eq!(t.assigned_agent_email.as_deref(), Some("agent@example.com"));
    assert_eq!(
        t.description.as_deref(),
        Some("Smoke from the second floor")
    );
    assert_eq!(t.submitter_email.as_deref(), Some("submitter@example.com"));
    assert_eq!(t.status_id.as_deref(), Some("status_1"));
    assert_eq!(t.status.as_deref(), Some("In progress"));
    assert_eq!(t.priority_id.as_deref(), Some("priority_1"));
    assert_eq!(t.priority.as_deref(), Some("High"));
    assert_eq!(t.sentiment_id.as_deref(), Some("sentiment_1"));
    assert_eq!(t.type_id.as_deref(), Some("type_1"));
    assert_eq!(t.is_private, Some(true));
    assert_eq!(t.source.as_deref(), Some("email"));
    assert_eq!(t.ai_generated_title.as_deref(), Some("Printer fire"));
    assert_eq!(
        t.ai_generated_summary.as_deref(),
        Some("A printer is burning")
    );
    assert_eq!(
        t.custom_field_values,
        Some(vec![json!({"fieldId": "f1", "value": "v1"})])
    );
    assert_eq!(assert_platform_timestamp(t.closed_at.as_deref()), closed);
    assert_eq!(t.closed_by_id.as_deref(), Some("closer_1"));
    assert_eq!(t.form_id.as_deref(), Some("form_1"));

    // Filled by the platform.
    let id = t.id.as_deref().expect("an id");
    assert_eq!(id.len(), 29, "{id}");
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
        "{id}"
    );
    assert_eq!(t.ticket_id, Some(1));
    let prefix = team.replace('_', "").to_uppercase();
    assert_eq!(t.ticket_identifier, Some(format!("{prefix}-1")));
    assert_eq!(t.team_identifier, Some(prefix));
    let created = assert_platform_timestamp(t.created_at.as_deref());
    assert_eq!(t.updated_at, t.created_at);
    assert!((Utc::now() - created).num_seconds().abs() < 60, "{created}");

    // The comment made from commentContent.
    let comment = t.comment.expect("a comment");
    assert_eq!(comment.id.as_deref().map(str::len), Some(29));
    assert_ne!(comment.id.as_deref(), Some(id));
    assert_eq!(comment.content.as_deref(), Some("It smells of smoke"));
    assert_eq!(
        comment.content_html.as_deref(),
        Some("<p>It smells of smoke</p>")
    );
    assert_eq!(
        comment.content_json.as_deref(),
        Some("{\"text\":\"It smells of smoke\"}")
    );
    assert_eq!(comment.attachments, Some(vec!["attachment_1".to_owned()]));
    assert_eq!(comment.metadata, Some(object(json!({"channel": "web"}))));
    assert_eq!(comment.impersonated_user_name.as_deref(), Some("Ada"));
    assert_eq!(
        comment.impersonated_user_email.as_deref(),
        Some("ada@example.com")
    );
    assert_eq!(
        comment.impersonated_user_avatar.as_deref(),
        Some("https://files.example.com/ada.png")
    );
    assert_eq!(comment.created_at, t.created_at);

    // The store holds what was answered.
    let stored = target.tickets(&team).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id.as_deref(), Some(id));
}

#[tokio::test]
async fn a_minimal_create_gets_the_platform_defaults_and_a_per_team_number() {
    let target = Target::new().await;
    let client = target.client();
    let (team, other_team) = (unique("team"), unique("team"));
    let mut numbers = Vec::new();
    for team in [&team, &team, &other_team] {
        let t = client
            .create_ticket()
            .body(ticket(team))
            .send()
            .await
            .expect("created")
            .into_inner()
            .data;
        assert_eq!(t.status.as_deref(), Some("Open"));
        assert_eq!(t.source.as_deref(), Some("api"));
        assert_eq!(t.is_private, Some(false));
        assert!(t.comment.is_none(), "no commentContent, no comment");
        assert!(t.description.is_none());
        numbers.push((t.ticket_id, t.ticket_identifier));
    }
    let prefix = |team: &str| team.replace('_', "").to_uppercase();
    assert_eq!(
        numbers,
        [
            (Some(1), Some(format!("{}-1", prefix(&team)))),
            (Some(2), Some(format!("{}-2", prefix(&team)))),
            (Some(1), Some(format!("{}-1", prefix(&other_team)))),
        ]
    );
}

#[tokio::test]
async fn a_repeated_deduplication_key_returns_the_original_and_creates_nothing() {
    let target = Target::new().await;
    let client = target.client();
    let team = unique("team");
    let dedup = unique("dedup");
    let first = client
        .create_ticket()
        .body(ticket(&team).de_duplication_key(&dedup))
        .send()
        .await
        .expect("created")
        .into_inner()
        .data;
    let replay = client
        .create_ticket()
        .body(
            ticket(&team)
                .title("A different title")
                .de_duplication_key(&dedup),
        )
        .send()
        .await
        .expect("answered");
    assert_eq!(replay.status().as_u16(), 201);
    let replay = replay.into_inner().data;
    assert_eq!(replay.id, first.id);
    assert_eq!(replay.ticket_id, first.ticket_id);
    assert_eq!(
        replay.title.as_deref(),
        Some("Printer on fire"),
        "the original"
    );
    assert_eq!(target.tickets(&team).await.len(), 1);

    let sent: Vec<_> = target
        .requests()
        .await
        .into_iter()
        .filter(|r| r.route == Some(Route::CreateTicket))
        .filter(|r| r.de_duplication_key.as_deref() == Some(dedup.as_str()))
        .map(|r| r.status)
        .collect();
    assert_eq!(sent, [Some(201), Some(201)]);

    // Another key makes another ticket.
    let other = client
        .create_ticket()
        .body(ticket(&team).de_duplication_key(unique("dedup")))
        .send()
        .await
        .expect("created")
        .into_inner()
        .data;
    assert_ne!(other.id, first.id);
    assert_eq!(other.ticket_id, Some(2));
}
