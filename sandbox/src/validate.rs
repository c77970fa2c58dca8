//! Request-body validation, collecting every problem.
//!
//! The rules come from the JSON Schema of the generated request types, so the sandbox
//! validates exactly what the spec the SDK is generated from says, and a property added
//! to the spec is checked as soon as the code is regenerated. The body is checked as a
//! `serde_json::Value` first, so that one answer names every invalid field (deserializing
//! into the generated types would stop at the first), and only then converted into
//! `CreateTicketBody` / `UpdateTicketBody`. Properties the spec does not name are
//! accepted and ignored.

use std::sync::OnceLock;

use schemars::JsonSchema;
use serde_json::{Map, Value};
use thena_sdk::types::{CreateTicketBody, UpdateTicketBody};

/// Limits the generated types enforce but their JSON Schema does not carry: a
/// `maxLength` becomes a validating newtype whose schema is a plain string.
const MAX_LENGTHS: &[(&str, usize)] = &[("deDuplicationKey", 255)];

/// A request body's JSON Schema, as schemars writes it for the generated type.
struct Rules(Value);

impl Rules {
    fn of<T: JsonSchema>() -> Self {
        Self(serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default())
    }

    fn create() -> &'static Rules {
        static RULES: OnceLock<Rules> = OnceLock::new();
        RULES.get_or_init(Rules::of::<CreateTicketBody>)
    }

    fn update() -> &'static Rules {
        static RULES: OnceLock<Rules> = OnceLock::new();
        RULES.get_or_init(Rules::of::<UpdateTicketBody>)
    }

    /// Every problem of `object`, property by property in the schema's (alphabetical)
    /// order.
    fn check(&self, object: &Map<String, Value>) -> Vec<String> {
        let mut problems = Vec::new();
        let required = self.0["required"].as_array();
        let Some(properties) = self.0["properties"].as_object() else {
            return problems;
        };
        for (name, schema) in properties {
            match object.get(name) {
                None if required.is_some_and(|r| r.iter().any(|n| n == name)) => {
                    problems.push(format!("{name} is required"));
                }
                None => {}
                Some(value) => self.check_value(name, schema, value, &mut problems),
            }
        }
        problems
    }

    fn check_value(&self, name: &str, schema: &Value, value: &Value, problems: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if value.is_null() && allows(schema, "null") {
            return;
        }
        if let Some(options) = schema["enum"].as_array() {
            if !options.contains(value) {
                let options: Vec<String> = options
                    .iter()
                    .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_owned))
                    .collect();
                problems.push(format!("{name} must be one of: {}", options.join(", ")));
            }
            return;
        }
        let problem = if allows(schema, "string") {
            match value.as_str() {
                None => Some("be a string".to_owned()),
                Some(s)
                    if schema["format"] == "date-time"
                        && chrono::DateTime::parse_from_rfc3339(s).is_err() =>
                {
                    Some("be an RFC 3339 date-time".to_owned())
                }
                Some(s) => MAX_LENGTHS
                    .iter()
                    .find(|(field, max)| *field == name && s.chars().count() > *max)
                    .map(|(_, max)| format!("be at most {max} characters")),
            }
        } else if allows(schema, "boolean") {
            (!value.is_boolean()).then(|| "be a boolean".to_owned())
        } else if allows(schema, "integer") {
            (!value.is_i64() && !value.is_u64()).then(|| "be an integer".to_owned())
        } else if allows(schema, "number") {
            (!value.is_number()).then(|| "be a number".to_owned())
        } else if allows(schema, "object") {
            (!value.is_object()).then(|| "be an object".to_owned())
        } else if allows(schema, "array") {
            match value.as_array() {
                None => Some("be an array".to_owned()),
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.check_value(&format!("{name}[{i}]"), &schema["items"], item, problems);
                    }
                    None
                }
            }
        } else {
            None // any JSON value
        };
        problems.extend(problem.map(|must| format!("{name} must {must}")));
    }

    /// Follows `$ref`s into the schema's definitions, and the `anyOf: [T, null]` that
    /// schemars writes for an optional `T` that is itself a reference.
    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        if let Some(name) = schema["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/definitions/"))
        {
            return self.resolve(&self.0["definitions"][name]);
        }
        match schema["anyOf"].as_array() {
            Some(options) => options
                .iter()
                .find(|option| option["type"] != "null")
                .map_or(schema, |option| self.resolve(option)),
            None => schema,
        }
    }
}

/// Whether the schema's `type` (one name or a list) includes `kind`.
fn allows(schema: &Value, kind: &str) -> bool {
    match &schema["type"] {
        Value::String(one) => one == kind,
        Value::Array(many) => many.iter().any(|m| m == kind),
        _ => false,
    }
}

/// A valid update, and whether it sets `customFieldValues`: the generated type cannot
/// tell an explicit `[]` (clear them) from an absent property (leave them).
pub(crate) struct Update {
    pub(crate) body: UpdateTicketBody,
    pub(crate) sets_custom_field_values: bool,
}

/// Checks a create body; on failure, one message per problem.
pub(crate) fn create_body(bytes: &[u8]) -> Result<CreateTicketBody, Vec<String>> {
    let object = json_object(bytes)?;
    let problems = Rules::create().check(&object);
    if !problems.is_empty() {
        return Err(problems);
    }
    serde_json::from_value(Value::Object(object)).map_err(|e| vec![e.to_string()])
}

/// Checks an update body; on failure, one message per problem.
pub(crate) fn update_body(bytes: &[u8]) -> Result<Update, Vec<String>> {
    let object = json_object(bytes)?;
    let problems = Rules::update().check(&object);
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

#[cfg(test)]
mod tests {
    use serde_json::json;
    use thena_sdk::types::CreateTicketBodyDeDuplicationKey;

    use super::*;

    fn create(value: Value) -> Result<CreateTicketBody, Vec<String>> {
        create_body(value.to_string().as_bytes())
    }

    /// Each limit the schema does not carry must be the one the generated type enforces.
    #[test]
    fn max_lengths_are_the_generated_types() {
        assert_eq!(MAX_LENGTHS, [("deDuplicationKey", 255)]);
        let key = |chars| CreateTicketBodyDeDuplicationKey::try_from("é".repeat(chars));
        assert!(key(255).is_ok() && key(256).is_err());
    }

    #[test]
    fn every_property_of_the_generated_types_is_checked() {
        for rules in [Rules::create(), Rules::update()] {
            let properties = rules.0["properties"].as_object().expect("an object schema");
            assert!(properties.len() > 20, "{} properties", properties.len());
            let wrong: Map<String, Value> = properties
                .keys()
                .map(|name| (name.clone(), json!({"wrong": []})))
                .collect();
            let problems = rules.check(&wrong);
            // An object is wrong for every property but the two free-form objects.
            let objects = ["metadata", "commentMetadata"];
            for name in properties.keys().filter(|n| !objects.contains(&n.as_str())) {
                assert!(
                    problems.iter().any(|p| p.starts_with(name.as_str())),
                    "{name} was not checked: {problems:?}"
                );
            }
        }
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
                "attachmentUrls must be an array",
                "closedAt must be an RFC 3339 date-time",
                "customFieldValues[1] must be an object",
                "deDuplicationKey must be at most 255 characters",
                "dueDate must be an RFC 3339 date-time",
                "isPrivate must be a boolean",
                "metadata must be an object",
                "proactiveChannels[1] must be one of: email",
                "proactiveChannels[2] must be one of: email",
                "requestorEmail is required",
                "teamId is required",
                "title must be a string",
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
        let problems = update_body(br#"{"title": 5, "isProactive": 1}"#)
            .err()
            .expect("invalid");
        assert_eq!(
            problems,
            ["isProactive must be a boolean", "title must be a string"]
        );
        // An optional property may be null, as the generated type's `Option` allows.
        assert!(update_body(br#"{"title": null}"#).is_ok());
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
