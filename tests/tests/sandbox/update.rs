//! Updating tickets: only the fields present change, and `updatedAt` moves forward.

use thena_sdk::types::UpdateTicketBody;

use crate::target::{Target, refusal, ticket, unique};

#[tokio::test]
async fn an_update_changes_only_the_fields_present_and_advances_updated_at() {
    let target = Target::new().await;
    let client = target.client();
    let team = unique("team");
    let created = client
        .create_ticket()
        .body(
            ticket(&team)
                .description("Smoke from the second floor")
                .priority_name("Medium")
                .assigned_agent_email("agent@example.com"),
        )
        .send()
        .await
        .expect("created")
        .into_inner()
        .data;
    let id = created.id.clone().expect("an id");

    let response = client
        .update_ticket()
        .id(id.clone())
        .body(
            UpdateTicketBody::builder()
                .title("Printer on fire (contained)")
                .priority_name("High"),
        )
        .send()
        .await
        .expect("updated");
    assert_eq!(response.status().as_u16(), 200);
    let envelope = response.into_inner();
    assert!(envelope.status);
    assert_eq!(envelope.message, "Success");
    let updated = envelope.data;

    assert_eq!(
        updated.title.as_deref(),
        Some("Printer on fire (contained)")
    );
    assert_eq!(updated.priority.as_deref(), Some("High"));
    // Everything else as it was.
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.ticket_id, created.ticket_id);
    assert_eq!(updated.ticket_identifier, created.ticket_identifier);
    assert_eq!(updated.description, created.description);
    assert_eq!(updated.assigned_agent_email, created.assigned_agent_email);
    assert_eq!(updated.status, created.status);
    assert_eq!(updated.source, created.source);
    assert_eq!(updated.requestor_email, created.requestor_email);
    assert_eq!(updated.team_id, created.team_id);
    assert_eq!(updated.created_at, created.created_at);
    // RFC 3339 UTC timestamps with milliseconds sort as text.
    let (before, after) = (created.updated_at.clone(), updated.updated_at.clone());
    assert!(after > before, "{after:?} after {before:?}");

    // Straight away again: still strictly later.
    let again = client
        .update_ticket()
        .id(id)
        .body(UpdateTicketBody::builder().is_private(true))
        .send()
        .await
        .expect("updated")
        .into_inner()
        .data;
    assert!(again.updated_at > updated.updated_at);
    assert_eq!(again.is_private, Some(true));
    assert_eq!(again.title, updated.title);

    let stored = target.tickets(&team).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].title, updated.title);
    assert_eq!(stored[0].updated_at, again.updated_at);
}

#[tokio::test]
async fn updating_an_unknown_ticket_is_404() {
    let target = Target::new().await;
    let err = target
        .client()
        .update_ticket()
        .id(unique("MISSING"))
        .body(UpdateTicketBody::builder().title("x"))
        .send()
        .await
        .expect_err("no such ticket");
    let refusal = refusal(err);
    assert_eq!(refusal.status, 404);
    assert_eq!(refusal.messages.len(), 1);
    assert!(
        refusal.messages[0].starts_with("Ticket MISSING_")
            && refusal.messages[0].ends_with(" not found"),
        "{:?}",
        refusal.messages
    );
}
