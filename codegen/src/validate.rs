//! Rules a spec must follow before code is generated from it.
//!
//! Two kinds: what progenitor and typify cannot build (they would refuse it, panic, or
//! silently build something else than the spec says), and what would make the SDK reject
//! a response a live server may really send. Each violation names its location as a JSON
//! pointer into the spec and the rule it breaks.

#[cfg(test)]
mod agreement;
mod document;
mod lenient;
mod operations;
mod references;
mod schemas;

use std::fmt;

use openapiv3::{OpenAPI, ReferenceOr};

use crate::spec::escape;

/// One broken rule, at one place in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer (RFC 6901) to the offending part of the spec.
    pub pointer: String,
    /// The rule, in words, with what was found.
    pub rule: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pointer, self.rule)
    }
}

/// Checks the raw document's version: only OpenAPI 3.0.x can be generated from.
pub(crate) fn check_version(raw: &serde_yaml::Value) -> Option<Violation> {
    match raw.get("openapi").and_then(|v| v.as_str()) {
        Some(v) if v.trim().starts_with("3.0.") => None,
        found => Some(Violation {
            pointer: "/openapi".into(),
            rule: format!(
                "must be an OpenAPI 3.0.x version (progenitor supports no other), found {}",
                found.map_or("nothing".into(), |v| format!("{v:?}"))
            ),
        }),
    }
}

/// Every rule but the version (which [`crate::parse`] checks before parsing), each
/// finding once.
pub fn validate(spec: &OpenAPI) -> Vec<Violation> {
    let mut out = Vec::new();
    for (path, item) in &spec.paths.paths {
        if let ReferenceOr::Reference { .. } = item {
            out.push(violation(
                &format!("/paths/{}", escape(path)),
                "path items must be inline, not a $ref",
            ));
        }
    }
    // The rules on `$ref`s and schemas read the document as the generator receives it:
    // openapiv3's model, written back out, so that they see every position it keeps.
    match serde_yaml::to_value(spec) {
        Ok(doc) => {
            references::check(&doc, &mut out);
            schemas::check(&doc, &mut out);
        }
        Err(e) => out.push(violation("", &format!("the spec cannot be read back: {e}"))),
    }
    operations::check(spec, &mut out);
    lenient::check(spec, &mut out);

    // A path item's parameter is checked with each of its operations; report it once.
    let mut unique: Vec<Violation> = Vec::new();
    for v in out {
        if !unique.contains(&v) {
            unique.push(v);
        }
    }
    unique
}

fn violation(pointer: &str, rule: &str) -> Violation {
    Violation {
        pointer: pointer.into(),
        rule: rule.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, parse};

    /// A minimal valid spec: an operation with a request schema (`Input`), a response
    /// schema (`Thing`) and an error schema. Each test breaks one rule in it.
    pub(super) const BASE: &str = r##"
openapi: 3.0.3
info: { title: t, version: "1" }
paths:
  /v1/things:
    post:
      operationId: createThing
      requestBody:
        content: { application/json: { schema: { $ref: "#/components/schemas/Input" } } }
      responses:
        "201": { $ref: "#/components/responses/Ok" }
        "4XX": { $ref: "#/components/responses/Err" }
components:
  responses:
    Ok:
      description: ok
      content: { application/json: { schema: { $ref: "#/components/schemas/Thing" } } }
    Err:
      description: err
      content: { application/json: { schema: { $ref: "#/components/schemas/Problem" } } }
  schemas:
    Input:
      type: object
      properties:
        kind: { type: string, enum: [a], maxLength: 3 }
    Thing:
      type: object
      required: [id]
      properties:
        id: { type: string }
        name: { type: string, nullable: true }
    Problem:
      type: object
      properties:
        message: { type: string, nullable: true }
"##;

    pub(super) fn violations(spec: &str) -> Vec<Violation> {
        match parse(spec) {
            Ok(spec) => validate(&spec),
            Err(Error::Invalid(v)) => v,
            Err(e) => panic!("test spec does not parse: {e}"),
        }
    }

    /// Asserts that progenitor, run without validation, refuses `spec` or panics on it:
    /// the rule under test stands for a real limit of the generator.
    #[track_caller]
    pub(super) fn generator_refuses(spec: &str) {
        let parsed = parse(spec).expect("test spec parses");
        match crate::build(&parsed) {
            Err(Error::Generator { .. }) => {}
            other => panic!("expected the generator to refuse it, got {other:?}"),
        }
    }

    pub(super) fn single(spec: &str) -> Violation {
        let v = violations(spec);
        assert_eq!(v.len(), 1, "expected exactly one violation, got {v:#?}");
        v.into_iter().next().expect("one violation")
    }

    #[test]
    fn base_spec_and_project_spec_are_valid() {
        assert_eq!(violations(BASE), vec![]);
        assert_eq!(violations(include_str!("../../spec/thena.yaml")), vec![]);
    }

    #[test]
    fn openapi_3_1_is_refused() {
        let v = single(&BASE.replace("openapi: 3.0.3", "openapi: 3.1.0"));
        assert_eq!(v.pointer, "/openapi");
        assert!(v.rule.contains("3.0.x") && v.rule.contains("3.1.0"), "{v}");
    }

    #[test]
    fn path_item_reference_is_refused() {
        let spec = BASE.replace(
            "  /v1/things:\n",
            "  /v1/elsewhere: { $ref: \"#/paths/~1v1~1things\" }\n  /v1/things:\n",
        );
        generator_refuses(&spec);
        let v = single(&spec);
        assert_eq!(v.pointer, "/paths/~1v1~1elsewhere");
    }

    #[test]
    fn a_path_item_parameter_is_reported_once() {
        let spec = BASE.replace(
            "  /v1/things:\n    post:\n",
            "  /v1/things:\n    parameters:\n      - { name: c, in: cookie, schema: { type: string } }\n    post:\n",
        ).replace(
            "components:",
            "    put:\n      operationId: putThing\n      responses:\n        \"201\": { $ref: \"#/components/responses/Ok\" }\ncomponents:",
        );
        let v = single(&spec);
        assert_eq!(v.pointer, "/paths/~1v1~1things/parameters/0");
    }
}
