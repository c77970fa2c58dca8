//! A request body from the command line: `--json-body` (a file, or `-` for stdin) with
//! the flags over it, checked against the spec's rules before anything is sent.

use std::io::Read;

use clap::ArgMatches;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::exit::{Failure, Status};
use crate::operation::{Body, JSON_BODY};

/// The SDK's typed body (`T`) from `--json-body` and the flags; a flag wins over the
/// same property of `--json-body`. Every rule of the spec is checked here, by the
/// generated type's own deserializer: a missing property, a property the spec does not
/// name, a wrong type, a length limit. The failure names the property and its flag.
pub fn build<T: DeserializeOwned>(body: &Body, matches: &ArgMatches) -> Result<T, Failure> {
    let mut properties = match matches.get_one::<String>(JSON_BODY) {
        Some(source) => read(source)?,
        None => Map::new(),
    };
    properties.extend(body.flag_properties(matches));
    check_names(body, &properties)?;
    check_required(body, &properties)?;
    serde_path_to_error::deserialize(Value::Object(properties)).map_err(|e| {
        let property = match e.path().iter().next() {
            Some(serde_path_to_error::Segment::Map { key }) => key.as_str(),
            _ => "",
        };
        let flag = body.flag(property).map_or_else(String::new, |f| {
            format!(" (--{} <{}>)", f.flag, f.value_name)
        });
        usage(format!(
            "invalid {} of {}{flag}: {}",
            e.path(),
            body.schema,
            e.inner()
        ))
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
    match serde_json::from_str(&text) {
        Ok(Value::Object(properties)) => Ok(properties),
        Ok(_) => Err(usage(format!(
            "--json-body {name}: the body must be a JSON object"
        ))),
        Err(e) => Err(usage(format!("--json-body {name}: not valid JSON: {e}"))),
    }
}

/// A property the spec does not name would be dropped by the typed body without a
/// word, unless the schema lets the body carry it.
fn check_names(body: &Body, properties: &Map<String, Value>) -> Result<(), Failure> {
    if body.other_properties {
        return Ok(());
    }
    let unknown: Vec<&str> = properties
        .keys()
        .map(String::as_str)
        .filter(|name| body.flag(name).is_none())
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(usage(format!(
        "--json-body: {} has no property {}",
        body.schema,
        unknown.join(", ")
    )))
}

/// Clap requires the required flags unless `--json-body` is given; then the merged body
/// must still have them all.
fn check_required(body: &Body, properties: &Map<String, Value>) -> Result<(), Failure> {
    let missing: Vec<String> = body
        .flags
        .iter()
        .filter(|f| f.required && !properties.contains_key(f.property))
        .map(|f| format!("{} (--{})", f.property, f.flag))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(usage(format!(
        "{} requires {}: set it in --json-body or give the flag",
        body.schema,
        missing.join(", ")
    )))
}

fn usage(message: String) -> Failure {
    Failure::new(Status::Usage, message)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use serde_json::json;
    use thena_sdk::types::{CreateTicketBody, UpdateTicketBody};

    use super::*;
    use crate::generated::{CREATE_TICKET_BODY, UPDATE_TICKET_BODY, create_ticket, update_ticket};

    /// A temporary file holding `text`, removed when dropped.
    struct TempFile(std::path::PathBuf);

    impl TempFile {
        fn new(name: &str, text: &str) -> Self {
            let path = std::env::temp_dir().join(format!("thena-{}-{name}", std::process::id()));
            let mut file = std::fs::File::create(&path).expect("create a temporary file");
            file.write_all(text.as_bytes()).expect("write it");
            Self(path)
        }

        fn path(&self) -> &str {
            self.0.to_str().expect("a UTF-8 temporary path")
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

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
