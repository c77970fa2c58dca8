//! Tickets as the platform fills them: built from a create body, changed by an update.
//!
//! A property added to the spec is validated (see `validate`) but not echoed until the
//! sandbox is taught where it goes; the response type may have no place for it at all.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use thena_sdk::types::{CreateTicketBody, Ticket, TicketComment, UpdateTicketBody};

use crate::validate::Update;

/// The status of a ticket created without `statusName`.
const DEFAULT_STATUS: &str = "Open";
/// The source of a ticket created without `source`.
const DEFAULT_SOURCE: &str = "api";

/// A timestamp as the platform writes it: RFC 3339 in UTC with milliseconds.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The team's short identifier, the prefix of `ticketIdentifier`. The platform keeps one
/// per team; the sandbox knows no teams, so it derives one: `team_12345` → `TEAM12345`.
pub(crate) fn team_identifier(team_id: &str) -> String {
    let identifier: String = team_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if identifier.is_empty() {
        "TEAM".to_owned()
    } else {
        identifier
    }
}

/// What the store decides for a new ticket.
pub(crate) struct Assigned {
    pub(crate) id: String,
    pub(crate) comment_id: String,
    /// The per-team sequence number, `ticketId`.
    pub(crate) number: i64,
    pub(crate) now: DateTime<Utc>,
}

/// The ticket a create makes. Properties the response type has no place for (`dueDate`,
/// `metadata`, `attachmentUrls`, `isProactive`, `proactiveChannels`, `performRouting`,
/// `deDuplicationKey`) are accepted and not echoed.
pub(crate) fn create(body: CreateTicketBody, assigned: Assigned) -> Ticket {
    let CreateTicketBody {
        account_id,
        ai_generated_summary,
        ai_generated_title,
        assigned_agent_email,
        assigned_agent_id,
        closed_at,
        closed_by_id,
        comment_attachment_ids,
        comment_content,
        comment_content_html,
        comment_content_json,
        comment_impersonated_user_avatar,
        comment_impersonated_user_email,
        comment_impersonated_user_name,
        comment_metadata,
        custom_field_values,
        description,
        form_id,
        is_private,
        priority_id,
        priority_name,
        requestor_email,
        sentiment_id,
        source,
        status_id,
        status_name,
        submitter_email,
        team_id,
        title,
        type_id,
        ..
    } = body;
    let Assigned {
        id,
        comment_id,
        number,
        now,
    } = assigned;
    let created = timestamp(now);
    let identifier = team_identifier(&team_id);
    let comment = comment_content.map(|content| TicketComment {
        id: Some(comment_id),
        content: Some(content),
        content_html: comment_content_html,
        content_json: comment_content_json,
        attachments: (!comment_attachment_ids.is_empty()).then_some(comment_attachment_ids),
        metadata: (!comment_metadata.is_empty()).then_some(comment_metadata),
        impersonated_user_name: comment_impersonated_user_name,
        impersonated_user_email: comment_impersonated_user_email,
        impersonated_user_avatar: comment_impersonated_user_avatar,
        customer_contact_email: Some(requestor_email.clone()),
        comment_type: Some("comment".to_owned()),
        comment_visibility: Some("public".to_owned()),
        is_edited: Some(false),
        is_pinned: Some(false),
        created_at: Some(created.clone()),
        updated_at: Some(created.clone()),
        ..TicketComment::default()
    });
    Ticket {
        id: Some(id),
        ticket_id: Some(number),
        ticket_identifier: Some(format!("{identifier}-{number}")),
        title: Some(title),
        description,
        source: Some(source.unwrap_or_else(|| DEFAULT_SOURCE.to_owned())),
        account_id,
        status: Some(status_name.unwrap_or_else(|| DEFAULT_STATUS.to_owned())),
        status_id,
        priority: priority_name,
        priority_id,
        team_id: Some(team_id),
        team_identifier: Some(identifier),
        is_private: Some(is_private.unwrap_or(false)),
        type_id,
        assigned_agent_id,
        assigned_agent_email,
        requestor_email: Some(requestor_email),
        submitter_email,
        custom_field_values: (!custom_field_values.is_empty())
            .then(|| custom_field_values.into_iter().map(Value::Object).collect()),
        form_id,
        ai_generated_title,
        ai_generated_summary,
        sentiment_id,
        closed_at: closed_at.map(timestamp),
        closed_by_id,
        created_at: Some(created.clone()),
        updated_at: Some(created),
        comment,
        ..Ticket::default()
    }
}

/// Changes the properties the update carries and nothing else. As on create, properties
/// the response type has no place for are accepted and not kept.
pub(crate) fn update(ticket: &mut Ticket, update: Update, now: DateTime<Utc>) {
    let Update {
        body,
        sets_custom_field_values,
    } = update;
    let UpdateTicketBody {
        account_id,
        ai_generated_summary,
        ai_generated_title,
        assigned_agent_email,
        assigned_agent_id,
        closed_at,
        closed_by_id,
        custom_field_values,
        description,
        form_id,
        is_private,
        priority_id,
        priority_name,
        sentiment_id,
        source,
        status_id,
        status_name,
        sub_team_id,
        submitter_email,
        title,
        type_id,
        ..
    } = body;
    set(&mut ticket.account_id, account_id);
    set(&mut ticket.ai_generated_summary, ai_generated_summary);
    set(&mut ticket.ai_generated_title, ai_generated_title);
    set(&mut ticket.assigned_agent_email, assigned_agent_email);
    set(&mut ticket.assigned_agent_id, assigned_agent_id);
    set(&mut ticket.closed_at, closed_at.map(timestamp));
    set(&mut ticket.closed_by_id, closed_by_id);
    set(&mut ticket.description, description);
    set(&mut ticket.form_id, form_id);
    set(&mut ticket.is_private, is_private);
    set(&mut ticket.priority_id, priority_id);
    set(&mut ticket.priority, priority_name);
    set(&mut ticket.sentiment_id, sentiment_id);
    set(&mut ticket.source, source);
    set(&mut ticket.status_id, status_id);
    set(&mut ticket.status, status_name);
    set(&mut ticket.sub_team_id, sub_team_id);
    set(&mut ticket.submitter_email, submitter_email);
    set(&mut ticket.title, title);
    set(&mut ticket.type_id, type_id);
    if sets_custom_field_values {
        ticket.custom_field_values =
            Some(custom_field_values.into_iter().map(Value::Object).collect());
    }
    ticket.updated_at = Some(timestamp(now));
}

fn set<T>(field: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *field = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_identifiers_keep_letters_and_digits() {
        assert_eq!(team_identifier("team_12345"), "TEAM12345");
        assert_eq!(team_identifier("eng"), "ENG");
        assert_eq!(team_identifier("--"), "TEAM");
    }

    #[test]
    fn timestamps_have_milliseconds() {
        let at = DateTime::parse_from_rfc3339("2024-01-01T00:00:00.5+02:00")
            .expect("valid")
            .with_timezone(&Utc);
        assert_eq!(timestamp(at), "2023-12-31T22:00:00.500Z");
    }
}
