//! A request body from the command line: `--json-body` (a file, or `-` for stdin) with
//! the flags over it, checked against the spec's rules before anything is sent.

use std::io::Read;

use clap::ArgMatches;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::exit::{Failure, Status};
use crate::operation::{Body, BodyFlag, JSON_BODY};

/// The SDK's typed body (`T`) from `--json-body` and the flags; a flag wins over the
/// same property of `--json-body`. Every rule of the spec is checked by [`check`]; the
/// failure names the property and its flag.
pub fn build<T: DeserializeOwned>(body: &Body, matches: &ArgMatches) -> Result<T, Failure> {
    let mut properties = match matches.get_one::<String>(JSON_BODY) {
        Some(source) => read(source)?,
        None => Map::new(),
    };
    properties.extend(body.flag_properties(matches));
    check(body, properties).map_err(|invalid| {
        usage(match invalid {
            Invalid::Unknown(names) => format!(
                "--json-body: {} has no property {}",
                body.schema,
                names.join(", ")
            ),
            Invalid::Missing(flags) => {
                let missing: Vec<String> = flags
                    .iter()
                    .map(|f| format!("{} (--{})", f.property, f.flag))
                    .collect();
                format!(
                    "{} requires {}: set it in --json-body or give the flag",
                    body.schema,
                    missing.join(", ")
                )
            }
            Invalid::Rule {
                property,
                path,
                rule,
            } => {
                let flag = body.flag(&property).map_or_else(String::new, |f| {
                    format!(" (--{} <{}>)", f.flag, f.value_name)
                });
                format!("invalid {path} of {}{flag}: {rule}", body.schema)
            }
        })
    })
}

/// The JSON object in `--json-body`'s file, or on stdin for `-`.
fn read(source: &str) -> Result<Map<String, Value>, Failure> {
    let (text, name) = if source == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| usage(format!("--json-body -: cannot read stdin: {e}")))?;
        (text, "stdin".to_owned())
    } else {
        let text = std::fs::read_to_string(source)
            .map_err(|e| usage(format!("--json-body {source}: cannot read it: {e}")))?;
        (text, source.to_owned())
    };
    // A byte-order mark, as some editors write, is not part of the JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    match crate::operation::exact_json(text) {
        Ok(Value::Object(properties)) => Ok(properties),
        Ok(_) => Err(usage(format!(
            "--json-body {name}: the body must be a JSON object"
        ))),
        Err(e) => Err(usage(format!("--json-body {name}: {e}"))),
    }
}

/// Why a JSON object is not a valid body.
#[derive(Debug)]
pub enum Invalid {
    /// Properties the spec does not name, in a body whose schema keeps no others: the
    /// typed body would drop them without a word.
    Unknown(Vec<String>),
    /// Required properties that are absent.
    Missing(Vec<&'static BodyFlag>),
    /// A property that breaks a rule of the spec.
    Rule {
        /// The property, e.g. `customFieldValues`.
        property: String,
        /// Where in it, e.g. `customFieldValues[0]`.
        path: String,
        /// The rule, e.g. `longer than 255 characters`.
        rule: String,
    },
}

/// The typed body of a JSON object, checked against every rule of the spec: names,
/// required properties (a property whose value is null is absent), and through the generated type's own deserializer, types and
/// length limits. The first problem found is returned.
pub fn check<T: DeserializeOwned>(
    body: &Body,
    mut properties: Map<String, Value>,
) -> Result<T, Invalid> {
    // One rule for every property: null is absent, as an empty CSV cell is.
    properties.retain(|name, value| !(value.is_null() && body.flag(name).is_some()));
    if !body.other_properties {
        let unknown: Vec<String> = properties
            .keys()
            .filter(|name| body.flag(name).is_none())
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(Invalid::Unknown(unknown));
        }
    }
    let missing: Vec<&'static BodyFlag> = body
        .flags
        .iter()
        .filter(|f| f.required && !properties.contains_key(f.property))
        .collect();
    if !missing.is_empty() {
        return Err(Invalid::Missing(missing));
    }
    serde_path_to_error::deserialize(Value::Object(properties)).map_err(|e| {
        let property = match e.path().iter().next() {
            Some(serde_path_to_error::Segment::Map { key }) => key.clone(),
            _ => String::new(),
        };
        Invalid::Rule {
            property,
            path: e.path().to_string(),
            rule: e.inner().to_string(),
        }
    })
}

fn usage(message: String) -> Failure {
    Failure::new(Status::Usage, message)
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use thena_sdk::types::{CreateTicketBody, UpdateTicketBody};

    use super::*;
    use crate::generated::{CREATE_TICKET_BODY, UPDATE_TICKET_BODY, create_ticket, update_ticket};
    use crate::test_file::TempFile;

    fn create(args: &[&str]) -> Result<CreateTicketBody, String> {
        let matches = create_ticket()
            .try_get_matches_from(std::iter::once("create").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        build(&CREATE_TICKET_BODY, &matches).map_err(|f| f.to_string())
    }

    #[test]
    fn flags_override_the_json_body() {
        let file = TempFile::new(
            "override.json",
            r#"{"title": "from file", "requestorEmail": "a@b.example", "teamId": "T1",
                "priorityName": "Low"}"#,
        );
        let body = create(&["--json-body", file.path(), "--title", "from flag"]).expect("valid");
        assert_eq!(body.title, "from flag");
        assert_eq!(body.requestor_email, "a@b.example");
        assert_eq!(body.priority_name.as_deref(), Some("Low"));
    }

    #[test]
    fn a_json_body_without_a_required_property_names_it_and_its_flag() {
        let file = TempFile::new("missing.json", r#"{"title": "T"}"#);
        let err = create(&["--json-body", file.path()]).expect_err("incomplete");
        assert!(
            err.contains(
                "CreateTicketBody requires requestorEmail (--requestor-email), teamId (--team-id)"
            ),
            "{err}"
        );
    }

    #[test]
    fn rules_of_the_generated_type_are_named_with_property_and_flag() {
        let long_key = "k".repeat(256);
        let base = [
            "--title",
            "T",
            "--requestor-email",
            "a@b.example",
            "--team-id",
            "T1",
        ];
        let err = create(&[&base[..], &["--de-duplication-key", &long_key]].concat())
            .expect_err("too long");
        assert!(
            err.contains(
                "invalid deDuplicationKey of CreateTicketBody (--de-duplication-key <STRING>): \
                 longer than 255 characters"
            ),
            "{err}"
        );
        let err = create(&[&base[..], &["--metadata", "[1]"]].concat()).expect_err("not an object");
        assert!(
            err.contains(
                "invalid metadata of CreateTicketBody (--metadata <JSON>): invalid type: sequence"
            ),
            "{err}"
        );
    }

    #[test]
    fn unknown_properties_are_refused_unless_the_schema_keeps_them() {
        let file = TempFile::new(
            "unknown.json",
            r#"{"title": "T", "requestorEmail": "a@b.example", "teamId": "T1", "titel": "x"}"#,
        );
        let err = create(&["--json-body", file.path()]).expect_err("unknown property");
        assert!(
            err.contains("CreateTicketBody has no property titel"),
            "{err}"
        );

        // UpdateTicketBody has additionalProperties: the SDK sends them in `extra`.
        let file = TempFile::new("extra.json", r#"{"autoLinkSlack": true}"#);
        let matches = update_ticket()
            .try_get_matches_from(["update", "T1", "--json-body", file.path()])
            .expect("valid");
        let body: UpdateTicketBody = build(&UPDATE_TICKET_BODY, &matches).expect("valid");
        assert_eq!(body.extra.get("autoLinkSlack"), Some(&json!(true)));
    }

    #[test]
    fn a_json_body_must_be_a_readable_json_object() {
        for (text, rule) in [
            ("{\"title\": ", "not valid JSON: EOF while parsing"),
            ("[1]", "the body must be a JSON object"),
        ] {
            let file = TempFile::new("bad.json", text);
            let err = create(&["--json-body", file.path()]).expect_err(text);
            assert!(err.contains(rule), "{err}");
        }
        let err = create(&["--json-body", "/nonexistent/body.json"]).expect_err("no file");
        assert!(
            err.contains("--json-body /nonexistent/body.json: cannot read it"),
            "{err}"
        );
    }
}
