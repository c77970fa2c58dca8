//! `cargo xtask lint`: codegen's validation rules plus the house rules, each finding with
//! the JSON pointer of what breaks it.
//!
//! From codegen ([`thena_codegen::validate`]): everything progenitor and typify cannot
//! build (each rule names its limit), and lenient response schemas. Then, so that a spec
//! that lints clean always generates, the generator itself runs: anything it still
//! refuses or panics on is a finding too. House rules, here: every operation has a
//! summary or description; every component schema has a description; every property of
//! a request schema has one; all error responses of all operations share one error
//! schema.

use std::fs;

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};
use thena_codegen::operations::{Content, Operation, media_pointer, operations};
use thena_codegen::spec::escape;
use thena_codegen::{Error, Violation};

use crate::generate::SPEC;
use crate::roles::component_roles;
use crate::schema_ref::SchemaRef;

/// Lints the spec; `Err` when it has findings (printed one a line) or does not parse.
pub fn run() -> Result<(), String> {
    let yaml =
        fs::read_to_string(crate::root_path(SPEC)).map_err(|e| format!("reading {SPEC}: {e}"))?;
    let findings = match thena_codegen::parse(&yaml) {
        Ok(spec) => lint(&spec),
        Err(Error::Invalid(violations)) => violations,
        Err(e) => return Err(format!("{SPEC}: {e}")),
    };
    if findings.is_empty() {
        println!("{SPEC}: lint clean");
        return Ok(());
    }
    for finding in &findings {
        println!("{SPEC}#{finding}");
    }
    Err(format!("{SPEC}: {} lint finding(s)", findings.len()))
}

/// Every finding: codegen's validation first (or, when it passes, whatever the generator
/// still refuses), then the house rules.
pub fn lint(spec: &OpenAPI) -> Vec<Violation> {
    let mut out = match thena_codegen::generate_from(spec) {
        Ok(_) => Vec::new(),
        Err(Error::Invalid(violations)) => violations,
        Err(Error::Generator { message, pointer }) => vec![finding(
            pointer.unwrap_or_default(),
            &format!("the generator cannot build the spec: {message}"),
        )],
        Err(e) => vec![finding(String::new(), &e.to_string())],
    };
    operation_docs(spec, &mut out);
    schema_docs(spec, &mut out);
    request_property_docs(spec, &mut out);
    shared_error_schema(spec, &mut out);
    out
}

fn finding(pointer: String, rule: &str) -> Violation {
    Violation {
        pointer,
        rule: rule.to_string(),
    }
}

fn has_text(text: &Option<String>) -> bool {
    text.as_deref().is_some_and(|t| !t.trim().is_empty())
}

fn operation_docs(spec: &OpenAPI, out: &mut Vec<Violation>) {
    for Operation {
        pointer, operation, ..
    } in operations(spec)
    {
        if !has_text(&operation.summary) && !has_text(&operation.description) {
            out.push(finding(
                pointer,
                "every operation needs a summary or description: it documents the Client method",
            ));
        }
    }
}

fn schema_docs(spec: &OpenAPI, out: &mut Vec<Violation>) {
    for (name, schema) in spec.components.iter().flat_map(|c| &c.schemas) {
        if let ReferenceOr::Item(s) = schema
            && !has_text(&s.schema_data.description)
        {
            out.push(finding(
                format!("/components/schemas/{}", escape(name)),
                "every component schema needs a description: it documents the generated type",
            ));
        }
    }
}

/// Request properties become builder setters, and users need to know what to set. Response
/// properties are exempt: Thena's docs describe few of them, and a made-up description
/// would be worse than none.
fn request_property_docs(spec: &OpenAPI, out: &mut Vec<Violation>) {
    let roles = component_roles(spec);
    for (name, schema) in spec.components.iter().flat_map(|c| &c.schemas) {
        if let (ReferenceOr::Item(s), Some(r)) = (schema, roles.get(name))
            && r.request
        {
            described(s, &format!("/components/schemas/{}", escape(name)), out);
        }
    }
    for op in operations(spec) {
        let Some(body) = &op.body else {
            continue;
        };
        if let Content::Json { media_type, media } = body.content
            && let Some(ReferenceOr::Item(s)) = &media.schema
        {
            let ptr = format!("{}/schema", media_pointer(&body.pointer, media_type));
            described(s, &ptr, out);
        }
    }
}

/// Checks that every property in `schema` (and in inline schemas inside it) has a
/// description. A `$ref` property cannot carry one in OpenAPI 3.0; its target's
/// description, required of every component, stands for it.
fn described(schema: &Schema, ptr: &str, out: &mut Vec<Violation>) {
    if let SchemaKind::Type(Type::Object(o)) = &schema.schema_kind {
        for (name, property) in &o.properties {
            let ptr = format!("{ptr}/properties/{}", escape(name));
            if let ReferenceOr::Item(p) = property {
                if !has_text(&p.schema_data.description) {
                    out.push(finding(
                        ptr.clone(),
                        "every property of a request schema needs a description: it documents \
                         the builder setter (response properties may stay undescribed where \
                         Thena's docs give none)",
                    ));
                }
                described(p, &ptr, out);
            }
        }
    }
    if let SchemaKind::Type(Type::Array(a)) = &schema.schema_kind
        && let Some(ReferenceOr::Item(items)) = &a.items
    {
        described(items, &format!("{ptr}/items"), out);
    }
}

/// One error type for the whole API, so that `Error<E>` is the same `E` for every
/// operation and users handle errors once.
fn shared_error_schema(spec: &OpenAPI, out: &mut Vec<Violation>) {
    let mut first: Option<(String, &str)> = None;
    for op in operations(spec) {
        for r in op.responses.iter().filter(|r| r.class.error) {
            let schema = match r.content {
                Content::Json { media, .. } => media.schema.as_ref().map(SchemaRef::from),
                _ => None,
            };
            let Some(SchemaRef::Ref(reference)) = schema else {
                out.push(finding(
                    r.pointer.clone(),
                    "an error response needs an application/json schema that is a $ref to a \
                     component schema, shared by all error responses",
                ));
                continue;
            };
            match &first {
                None => first = Some((r.pointer.clone(), reference)),
                Some((_, shared)) if shared == &reference => {}
                Some((first_ptr, shared)) => out.push(finding(
                    r.pointer.clone(),
                    &format!(
                        "all error responses (4XX, 5XX, default) must share one error schema; \
                         this one is {reference}, the one at {first_ptr} is {shared}"
                    ),
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lint-clean spec; each test breaks one house rule in it.
    const BASE: &str = r##"
openapi: 3.0.3
info: { title: t, version: "1" }
paths:
  /v1/things:
    post:
      operationId: createThing
      summary: Create a thing
      requestBody:
        content: { application/json: { schema: { $ref: "#/components/schemas/ThingInput" } } }
      responses:
        "201": { $ref: "#/components/responses/Ok" }
        "4XX": { $ref: "#/components/responses/Err" }
  /v1/things/{id}:
    get:
      operationId: getThing
      description: Fetch a thing
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses:
        "200": { $ref: "#/components/responses/Ok" }
        "5XX": { $ref: "#/components/responses/Err" }
components:
  responses:
    Ok:
      description: ok
      content: { application/json: { schema: { $ref: "#/components/schemas/Thing" } } }
    Err:
      description: err
      content: { application/json: { schema: { $ref: "#/components/schemas/Problem" } } }
  schemas:
    ThingInput:
      description: What to create
      type: object
      properties:
        name: { description: The name, type: string }
        tags: { description: Tags, type: array, items: { $ref: "#/components/schemas/Tag" } }
    Tag:
      description: A tag
      type: string
    Thing:
      description: A thing
      type: object
      properties:
        name: { type: string, nullable: true }
    Problem:
      description: An error
      type: object
      properties:
        message: { type: string, nullable: true }
"##;

    fn findings(spec: &str) -> Vec<Violation> {
        lint(&thena_codegen::parse(spec).expect("test spec parses"))
    }

    fn single(spec: &str) -> Violation {
        let v = findings(spec);
        assert_eq!(v.len(), 1, "expected exactly one finding, got {v:#?}");
        v.into_iter().next().expect("one finding")
    }

    #[test]
    fn base_spec_and_project_spec_are_clean() {
        assert_eq!(findings(BASE), vec![]);
        assert_eq!(findings(include_str!("../../spec/thena.yaml")), vec![]);
    }

    #[test]
    fn codegen_validation_is_part_of_lint() {
        let v = single(&BASE.replace(
            "name: { type: string, nullable: true }",
            "name: { type: string }",
        ));
        assert_eq!(v.pointer, "/components/schemas/Thing/properties/name");
        assert!(v.rule.contains("nullable"), "{v}");
        let v = single(&BASE.replace("operationId: getThing", ""));
        assert_eq!(v.pointer, "/paths/~1v1~1things~1{id}/get");
        assert!(v.rule.contains("operationId"), "{v}");
    }

    #[test]
    fn a_second_request_media_type_is_refused_with_its_pointer() {
        let v = single(&BASE.replace(
            r##"content: { application/json: { schema: { $ref: "#/components/schemas/ThingInput" } } }"##,
            r##"content: { application/json: { schema: { $ref: "#/components/schemas/ThingInput" } }, text/plain: { schema: { type: string } } }"##,
        ));
        assert_eq!(v.pointer, "/paths/~1v1~1things/post/requestBody/content");
        assert!(v.rule.contains("exactly one media type"), "{v}");
    }

    #[test]
    fn operation_without_summary_or_description() {
        let v = single(&BASE.replace("      description: Fetch a thing\n", ""));
        assert_eq!(v.pointer, "/paths/~1v1~1things~1{id}/get");
        assert!(v.rule.contains("summary or description"), "{v}");
    }

    #[test]
    fn component_schema_without_description() {
        let v = single(&BASE.replace("      description: A tag\n", ""));
        assert_eq!(v.pointer, "/components/schemas/Tag");
        assert!(v.rule.contains("component schema"), "{v}");
    }

    #[test]
    fn request_property_without_description() {
        let v = single(&BASE.replace(
            "name: { description: The name, type: string }",
            "name: { type: string }",
        ));
        assert_eq!(v.pointer, "/components/schemas/ThingInput/properties/name");
        assert!(v.rule.contains("request schema"), "{v}");
    }

    #[test]
    fn inline_request_property_without_description() {
        let spec = BASE.replace(
            r##"content: { application/json: { schema: { $ref: "#/components/schemas/ThingInput" } } }"##,
            "content: { application/json: { schema: { type: object, properties: { n: { type: string } } } } }",
        );
        let v = single(&spec);
        assert_eq!(
            v.pointer,
            "/paths/~1v1~1things/post/requestBody/content/application~1json/schema/properties/n"
        );
    }

    #[test]
    fn response_property_may_be_undescribed() {
        // Thing.name has no description in BASE: that is allowed.
        assert_eq!(findings(BASE), vec![]);
    }

    #[test]
    fn error_responses_must_share_one_schema() {
        let spec = BASE.replace(
            "        \"5XX\": { $ref: \"#/components/responses/Err\" }",
            "        \"5XX\":\n          description: other\n          content: { application/json: { schema: { $ref: \"#/components/schemas/Thing\" } } }",
        );
        let v = single(&spec);
        assert_eq!(v.pointer, "/paths/~1v1~1things~1{id}/get/responses/5XX");
        assert!(
            v.rule.contains("share one error schema") && v.rule.contains("4XX"),
            "{v}"
        );
    }

    #[test]
    fn error_response_must_reference_a_component() {
        let spec = BASE.replace(
            "        \"5XX\": { $ref: \"#/components/responses/Err\" }",
            "        \"5XX\":\n          description: inline\n          content: { application/json: { schema: { type: object, properties: { m: { type: string, nullable: true } } } } }",
        );
        let v = single(&spec);
        assert_eq!(v.pointer, "/paths/~1v1~1things~1{id}/get/responses/5XX");
        assert!(v.rule.contains("$ref to a component schema"), "{v}");
    }
}
