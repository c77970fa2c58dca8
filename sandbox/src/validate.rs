//! Request-body validation against the spec's rules, collecting every problem.
//!
//! The body is checked as a `serde_json::Value` first, so that one answer names every
//! invalid field (deserializing into the generated types would stop at the first), and
//! only then converted into `CreateTicketBody` / `UpdateTicketBody`. Properties the spec
//! does not name are accepted and ignored.

use serde_json::{Map, Value};
use thena_sdk::types::{CreateTicketBody, ProactiveChannel, UpdateTicketBody};

/// What a property must hold, per spec/thena.yaml.
#[derive(Clone, Copy)]
enum Rule {
    String,
    /// A string of at most this many characters.
    StringMax(usize),
    /// A string in RFC 3339 date-time format (`format: date-time`).
    DateTime,
    Boolean,
    Object,
    StringArray,
    ObjectArray,
    /// An array of `ProactiveChannel` values.
    ChannelArray,
}

/// The properties of `CreateTicketBody` in the spec's order, and their rules.
const CREATE_FIELDS: &[(&str, Rule)] = &[
    ("title", Rule::String),
    ("requestorEmail", Rule::String),
    ("teamId", Rule::String),
    ("assignedAgentId", Rule::String),
    ("accountId", Rule::String),
    ("assignedAgentEmail", Rule::String),
    ("description", Rule::String),
    ("dueDate", Rule::DateTime),
    ("submitterEmail", Rule::String),
    ("statusId", Rule::String),
    ("statusName", Rule::String),
    ("priorityId", Rule::String),
    ("priorityName", Rule::String),
    ("sentimentId", Rule::String),
    ("metadata", Rule::Object),
    ("typeId", Rule::String),
    ("isPrivate", Rule::Boolean),
    ("source", Rule::String),
    ("aiGeneratedTitle", Rule::String),
    ("aiGeneratedSummary", Rule::String),
    ("attachmentUrls", Rule::StringArray),
    ("customFieldValues", Rule::ObjectArray),
    ("isProactive", Rule::Boolean),
    ("closedAt", Rule::DateTime),
    ("closedById", Rule::String),
    ("proactiveChannels", Rule::ChannelArray),
    ("performRouting", Rule::Boolean),
    ("formId", Rule::String),
    ("commentContent", Rule::String),
    ("commentContentHtml", Rule::String),
    ("commentContentJson", Rule::String),
    ("commentAttachmentIds", Rule::StringArray),
    ("commentMetadata", Rule::Object),
    ("commentImpersonatedUserName", Rule::String),
    ("commentImpersonatedUserEmail", Rule::String),
    ("commentImpersonatedUserAvatar", Rule::String),
    ("deDuplicationKey", Rule::StringMax(255)),
];

const CREATE_REQUIRED: &[&str] = &["title", "requestorEmail", "teamId"];

/// The properties of `UpdateTicketBody` in the spec's order, and their rules.
const UPDATE_FIELDS: &[(&str, Rule)] = &[
    ("assignedAgentId", Rule::String),
    ("accountId", Rule::String),
    ("assignedAgentEmail", Rule::String),
    ("description", Rule::String),
    ("dueDate", Rule::DateTime),
    ("submitterEmail", Rule::String),
    ("statusId", Rule::String),
    ("statusName", Rule::String),
    ("priorityId", Rule::String),
    ("priorityName", Rule::String),
    ("sentimentId", Rule::String),
    ("metadata", Rule::Object),
    ("typeId", Rule::String),
    ("isPrivate", Rule::Boolean),
    ("source", Rule::String),
    ("aiGeneratedTitle", Rule::String),
    ("aiGeneratedSummary", Rule::String),
    ("attachmentUrls", Rule::StringArray),
    ("customFieldValues", Rule::ObjectArray),
    ("isProactive", Rule::Boolean),
    ("closedAt", Rule::DateTime),
    ("closedById", Rule::String),
    ("proactiveChannels", Rule::ChannelArray),
    ("title", Rule::String),
    ("subTeamId", Rule::String),
    ("formId", Rule::String),
];

/// A valid update, and whether it sets `customFieldValues`: the generated type cannot
/// tell an explicit `[]` (clear them) from an absent property (leave them).
pub(crate) struct Update {
    pub(crate) body: UpdateTicketBody,
    pub(crate) sets_custom_field_values: bool,
}

/// Checks a create body; on failure, one message per problem.
pub(crate) fn create_body(bytes: &[u8]) -> Result<CreateTicketBody, Vec<String>> {
    let object = json_object(bytes)?;
    let problems = check(&object, CREATE_FIELDS, CREATE_REQUIRED);
    if !problems.is_empty() {
        return Err(problems);
    }
    serde_json::from_value(Value::Object(object)).map_err(|e| vec![e.to_string()])
}

/// Checks an update body; on failure, one message per problem.
pub(crate) fn update_body(bytes: &[u8]) -> Result<Update, Vec<String>> {
    let object = json_object(bytes)?;
    let problems = check(&object, UPDATE_FIELDS, &[]);
    if !problems.is_empty() {
        return Err(problems);
    }
    let sets_custom_field_values = object.contains_key("customFieldValues");
    let body = serde_json::from_value(Value::Object(object)).map_err(|e| vec![e.to_string()])?;
    Ok(Update {
        body,
        sets_custom_field_values,
    })
}

/// The `deDuplicationKey` of a create body, if it has a string one, valid or not: the
/// request log records it even for requests that fail.
pub(crate) fn de_duplication_key(bytes: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    Some(value.get("deDuplicationKey")?.as_str()?.to_owned())
}

fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, Vec<String>> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(vec!["the request body must be a JSON object".to_owned()]),
        Err(e) => Err(vec![format!("the request body is not valid JSON: {e}")]),
    }
}

fn check(object: &Map<String, Value>, fields: &[(&str, Rule)], required: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    for &(name, rule) in fields {
        match object.get(name) {
            None if required.contains(&name) => problems.push(format!("{name} is required")),
            None => {}
            Some(value) => check_value(name, rule, value, &mut problems),
        }
    }
    problems
}

fn check_value(name: &str, rule: Rule, value: &Value, problems: &mut Vec<String>) {
    let problem = match rule {
        Rule::String => (!value.is_string()).then(|| format!("{name} must be a string")),
        Rule::StringMax(max) => match value.as_str() {
            None => Some(format!("{name} must be a string")),
            Some(s) if s.chars().count() > max => {
                Some(format!("{name} must be at most {max} characters"))
            }
            Some(_) => None,
        },
        Rule::DateTime => match value.as_str() {
            Some(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => None,
            _ => Some(format!("{name} must be an RFC 3339 date-time")),
        },
        Rule::Boolean => (!value.is_boolean()).then(|| format!("{name} must be a boolean")),
        Rule::Object => (!value.is_object()).then(|| format!("{name} must be an object")),
        Rule::StringArray => return check_items(name, value, problems, item_string),
        Rule::ObjectArray => return check_items(name, value, problems, item_object),
        Rule::ChannelArray => return check_items(name, value, problems, item_channel),
    };
    problems.extend(problem);
}

fn check_items(
    name: &str,
    value: &Value,
    problems: &mut Vec<String>,
    rule: fn(&Value) -> Option<String>,
) {
    let Some(items) = value.as_array() else {
        problems.push(format!("{name} must be an array"));
        return;
    };
    for (i, item) in items.iter().enumerate() {
        if let Some(must) = rule(item) {
            problems.push(format!("{name}[{i}] must {must}"));
        }
    }
}

fn item_string(item: &Value) -> Option<String> {
    (!item.is_string()).then(|| "be a string".to_owned())
}

fn item_object(item: &Value) -> Option<String> {
    (!item.is_object()).then(|| "be an object".to_owned())
}

fn item_channel(item: &Value) -> Option<String> {
    let known = item
        .as_str()
        .is_some_and(|s| s.parse::<ProactiveChannel>().is_ok());
    (!known).then(|| format!("be one of: {}", ProactiveChannel::Email))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use schemars::schema::RootSchema;
    use serde_json::json;

    use super::*;

    fn create(value: Value) -> Result<CreateTicketBody, Vec<String>> {
        create_body(value.to_string().as_bytes())
    }

    /// The tables must name exactly the properties of the generated types, so that the
    /// validator cannot drift from the spec the SDK is generated from.
    #[test]
    fn tables_name_the_generated_types_properties() {
        fn names(schema: RootSchema) -> (BTreeSet<String>, BTreeSet<String>) {
            let object = schema.schema.object.expect("an object schema");
            (
                object.properties.keys().cloned().collect(),
                object.required.into_iter().collect(),
            )
        }
        fn table(fields: &[(&str, Rule)]) -> BTreeSet<String> {
            fields.iter().map(|(name, _)| (*name).to_owned()).collect()
        }
        let (create_props, create_required) = names(schemars::schema_for!(CreateTicketBody));
        assert_eq!(table(CREATE_FIELDS), create_props);
        let required: BTreeSet<String> = CREATE_REQUIRED.iter().map(|s| (*s).to_owned()).collect();
        // `isProactive` has a default, which schemars does not count as required.
        assert_eq!(required, create_required);
        let (update_props, update_required) = names(schemars::schema_for!(UpdateTicketBody));
        assert_eq!(table(UPDATE_FIELDS), update_props);
        assert!(update_required.is_empty());
        // The one enum's values, as listed in the item message.
        let channel = schemars::schema_for!(ProactiveChannel);
        let values = channel.schema.enum_values.expect("an enum");
        assert_eq!(values, vec![json!("email")]);
    }

    #[test]
    fn a_minimal_body_converts() {
        let body = create(json!({"title": "t", "requestorEmail": "r@example.com", "teamId": "T"}))
            .expect("valid");
        assert_eq!(body.team_id, "T");
        assert!(!body.is_proactive);
    }

    #[test]
    fn every_problem_is_named() {
        let problems = create(json!({
            "title": 7,
            "isPrivate": "yes",
            "dueDate": "tomorrow",
            "closedAt": "2024-01-01 10:00",
            "deDuplicationKey": "k".repeat(256),
            "proactiveChannels": ["email", "sms", 3],
            "attachmentUrls": "https://x",
            "customFieldValues": [{}, "v"],
            "metadata": [],
            "unknownProperty": {"ignored": true},
        }))
        .expect_err("invalid");
        assert_eq!(
            problems,
            [
                "title must be a string",
                "requestorEmail is required",
                "teamId is required",
                "dueDate must be an RFC 3339 date-time",
                "metadata must be an object",
                "isPrivate must be a boolean",
                "attachmentUrls must be an array",
                "customFieldValues[1] must be an object",
                "closedAt must be an RFC 3339 date-time",
                "proactiveChannels[1] must be one of: email",
                "proactiveChannels[2] must be one of: email",
                "deDuplicationKey must be at most 255 characters",
            ]
        );
    }

    #[test]
    fn the_key_limit_counts_characters_not_bytes() {
        let base = json!({"title": "t", "requestorEmail": "r", "teamId": "T"});
        let mut at_limit = base.clone();
        at_limit["deDuplicationKey"] = json!("é".repeat(255));
        assert!(create(at_limit).is_ok());
    }

    #[test]
    fn bodies_that_are_not_json_objects_are_refused() {
        assert_eq!(
            create_body(b"[1]").err(),
            Some(vec!["the request body must be a JSON object".to_owned()])
        );
        let problems = update_body(b"{\"title\": ").err().expect("invalid JSON");
        assert!(
            problems[0].starts_with("the request body is not valid JSON"),
            "{problems:?}"
        );
    }

    #[test]
    fn updates_keep_unknown_properties_apart_and_see_an_explicit_empty_list() {
        let update =
            update_body(br#"{"customFieldValues": [], "autoLinkSlack": true}"#).expect("valid");
        assert!(update.sets_custom_field_values);
        assert_eq!(update.body.extra.get("autoLinkSlack"), Some(&json!(true)));
        let problems = update_body(br#"{"title": null, "isProactive": 1}"#)
            .err()
            .expect("invalid");
        assert_eq!(
            problems,
            ["isProactive must be a boolean", "title must be a string"]
        );
    }

    #[test]
    fn the_key_is_read_even_from_an_invalid_body() {
        assert_eq!(
            de_duplication_key(br#"{"deDuplicationKey": "k1", "title": 3}"#).as_deref(),
            Some("k1")
        );
        assert_eq!(de_duplication_key(b"not json"), None);
    }
}
