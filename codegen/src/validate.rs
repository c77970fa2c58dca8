//! Rules a spec must follow before code is generated from it.
//!
//! Two kinds: what progenitor cannot handle (it would panic or fail obscurely), and what
//! would make the SDK reject a response a live server may really send. Each violation
//! names its location as a JSON pointer into the spec and the rule it breaks.

use std::collections::HashSet;
use std::fmt;

use openapiv3::{
    OpenAPI, Operation, ReferenceOr, Schema, SchemaKind, Type, VariantOrUnknownOrEmpty,
};

use crate::spec::{escape, is_success, resolve_response, resolve_schema, status_name};

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

/// Every rule but the version (which [`crate::parse`] checks before parsing).
pub fn validate(spec: &OpenAPI) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut operation_ids = HashSet::new();
    let mut response_schemas = Vec::new();

    for (path, item) in &spec.paths.paths {
        let path_ptr = format!("/paths/{}", escape(path));
        let ReferenceOr::Item(item) = item else {
            out.push(violation(
                &path_ptr,
                "path items must be inline, not a $ref",
            ));
            continue;
        };
        for (method, op) in item.iter() {
            let op_ptr = format!("{path_ptr}/{method}");
            match &op.operation_id {
                None => out.push(violation(
                    &op_ptr,
                    "every operation needs an operationId (it names the Rust method)",
                )),
                Some(id) if !operation_ids.insert(id.as_str()) => out.push(violation(
                    &format!("{op_ptr}/operationId"),
                    &format!("operationId {id:?} is used twice"),
                )),
                Some(_) => {}
            }
            check_responses(spec, op, &op_ptr, &mut out, &mut response_schemas);
        }
    }

    let mut seen = HashSet::new();
    for (ptr, schema) in response_schemas {
        check_lenient(spec, &schema, &ptr, &mut seen, &mut out);
    }
    out
}

/// progenitor needs one success type and one error type per operation: collects each
/// response's JSON schema and refuses operations that mix them.
fn check_responses(
    spec: &OpenAPI,
    op: &Operation,
    op_ptr: &str,
    out: &mut Vec<Violation>,
    schemas: &mut Vec<(String, ReferenceOr<Schema>)>,
) {
    let mut success: Option<(String, Option<ReferenceOr<Schema>>)> = None;
    let mut error: Option<(String, Option<ReferenceOr<Schema>>)> = None;
    let codes = op
        .responses
        .responses
        .iter()
        .map(|(code, r)| (status_name(code), is_success(code), r));
    let default = op
        .responses
        .default
        .iter()
        .map(|r| ("default".to_string(), false, r));

    for (code, is_success, response) in codes.chain(default) {
        let ptr = format!("{op_ptr}/responses/{code}");
        let Some(response) = resolve_response(spec, response) else {
            out.push(violation(
                &ptr,
                "$ref must point to an existing #/components/responses entry",
            ));
            continue;
        };
        let schema = response
            .content
            .get("application/json")
            .and_then(|media| media.schema.clone());
        if let Some(schema) = &schema {
            schemas.push((
                format!("{ptr}/content/application~1json/schema"),
                schema.clone(),
            ));
        }
        let slot = if is_success { &mut success } else { &mut error };
        match slot {
            None => *slot = Some((code, schema)),
            Some((first, first_schema)) if *first_schema != schema => out.push(violation(
                &ptr,
                &format!(
                    "all {} responses of an operation must share one schema (progenitor panics on \
                     mixed types); this one differs from response {first}",
                    if is_success { "success" } else { "error" },
                ),
            )),
            Some(_) => {}
        }
    }
}

/// Response schemas must accept what a live server may send: optional properties are
/// nullable, unknown properties are ignored, and there are no enums, formats or
/// constraints to fail on.
fn check_lenient(
    spec: &OpenAPI,
    schema: &ReferenceOr<Schema>,
    ptr: &str,
    seen: &mut HashSet<String>,
    out: &mut Vec<Violation>,
) {
    let (schema, ptr) = match schema {
        ReferenceOr::Reference { reference } => {
            if !seen.insert(reference.clone()) {
                return;
            }
            match resolve_schema(spec, reference) {
                Some(s) => (s, reference.trim_start_matches('#').to_string()),
                None => {
                    out.push(violation(
                        ptr,
                        &format!("$ref {reference} points to no component schema"),
                    ));
                    return;
                }
            }
        }
        ReferenceOr::Item(s) => (s, ptr.to_string()),
    };
    let ptr = ptr.as_str();

    let mut forbid = |present: bool, what: &str| {
        if present {
            out.push(violation(
                ptr,
                &format!("response schemas must not constrain {what}: a live server may send other values"),
            ));
        }
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => {
            forbid(!s.enumeration.is_empty(), "values with an enum");
            forbid(
                !matches!(s.format, VariantOrUnknownOrEmpty::Empty),
                "the format",
            );
            forbid(
                s.min_length.is_some() || s.max_length.is_some(),
                "the length",
            );
            forbid(s.pattern.is_some(), "the pattern");
        }
        SchemaKind::Type(Type::Number(n)) => {
            forbid(!n.enumeration.is_empty(), "values with an enum");
            forbid(
                !matches!(n.format, VariantOrUnknownOrEmpty::Empty),
                "the format",
            );
            forbid(n.minimum.is_some() || n.maximum.is_some(), "the range");
        }
        SchemaKind::Type(Type::Integer(n)) => {
            forbid(!n.enumeration.is_empty(), "values with an enum");
            forbid(
                !matches!(n.format, VariantOrUnknownOrEmpty::Empty),
                "the format",
            );
            forbid(n.minimum.is_some() || n.maximum.is_some(), "the range");
        }
        SchemaKind::Type(Type::Boolean(b)) => {
            forbid(!b.enumeration.is_empty(), "values with an enum")
        }
        SchemaKind::Type(Type::Array(a)) => {
            forbid(
                a.min_items.is_some() || a.max_items.is_some(),
                "the number of items",
            );
            if let Some(items) = &a.items {
                check_lenient(spec, &unbox(items), &format!("{ptr}/items"), seen, out);
            }
        }
        SchemaKind::Type(Type::Object(o)) => {
            forbid(
                matches!(
                    o.additional_properties,
                    Some(openapiv3::AdditionalProperties::Any(false))
                ),
                "unknown properties with additionalProperties: false",
            );
            for (name, prop) in &o.properties {
                let prop_ptr = format!("{ptr}/properties/{}", escape(name));
                let prop = unbox(prop);
                if !o.required.contains(name) && !is_nullable(&prop) {
                    out.push(violation(
                        &prop_ptr,
                        "an optional property of a response schema must be `nullable: true` (a \
                         server may send null; wrap a $ref in allOf to make it nullable)",
                    ));
                }
                check_lenient(spec, &prop, &prop_ptr, seen, out);
            }
        }
        SchemaKind::OneOf { one_of: subs }
        | SchemaKind::AllOf { all_of: subs }
        | SchemaKind::AnyOf { any_of: subs } => {
            for (i, sub) in subs.iter().enumerate() {
                check_lenient(
                    spec,
                    sub,
                    &format!("{ptr}/{}/{i}", combinator(&schema.schema_kind)),
                    seen,
                    out,
                );
            }
        }
        SchemaKind::Any(any) => forbid(!any.enumeration.is_empty(), "values with an enum"),
        SchemaKind::Not { .. } => forbid(true, "values with `not`"),
    }
}

fn combinator(kind: &SchemaKind) -> &'static str {
    match kind {
        SchemaKind::OneOf { .. } => "oneOf",
        SchemaKind::AllOf { .. } => "allOf",
        _ => "anyOf",
    }
}

fn is_nullable(schema: &ReferenceOr<Schema>) -> bool {
    matches!(schema, ReferenceOr::Item(s) if s.schema_data.nullable)
}

fn unbox(schema: &ReferenceOr<Box<Schema>>) -> ReferenceOr<Schema> {
    match schema {
        ReferenceOr::Reference { reference } => ReferenceOr::Reference {
            reference: reference.clone(),
        },
        ReferenceOr::Item(s) => ReferenceOr::Item((**s).clone()),
    }
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

    /// A minimal valid spec; each test breaks one rule in it.
    const BASE: &str = r##"
openapi: 3.0.3
info: { title: t, version: "1" }
paths:
  /v1/things:
    post:
      operationId: createThing
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

    fn violations(spec: &str) -> Vec<Violation> {
        match parse(spec) {
            Ok(spec) => validate(&spec),
            Err(Error::Invalid(v)) => v,
            Err(e) => panic!("test spec does not parse: {e}"),
        }
    }

    fn single(spec: &str) -> Violation {
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
    fn missing_operation_id_is_refused() {
        let v = single(&BASE.replace("operationId: createThing", ""));
        assert_eq!(v.pointer, "/paths/~1v1~1things/post");
        assert!(v.rule.contains("operationId"), "{v}");
    }

    #[test]
    fn duplicate_operation_id_is_refused() {
        let spec = BASE.replace(
            "components:",
            "  /v1/other:\n    get:\n      operationId: createThing\n      responses:\n        \"200\": { $ref: \"#/components/responses/Ok\" }\ncomponents:",
        );
        let v = single(&spec);
        assert_eq!(v.pointer, "/paths/~1v1~1other/get/operationId");
        assert!(v.rule.contains("used twice"), "{v}");
    }

    #[test]
    fn mixed_success_types_are_refused() {
        let spec = BASE.replace(
            "\"4XX\": { $ref: \"#/components/responses/Err\" }",
            "\"4XX\": { $ref: \"#/components/responses/Err\" }\n        \"200\": { $ref: \"#/components/responses/Err\" }",
        );
        let v = single(&spec);
        assert_eq!(v.pointer, "/paths/~1v1~1things/post/responses/200");
        assert!(v.rule.contains("success") && v.rule.contains("201"), "{v}");
    }

    #[test]
    fn mixed_error_types_are_refused() {
        let spec = BASE.replace(
            "\"4XX\": { $ref: \"#/components/responses/Err\" }",
            "\"4XX\": { $ref: \"#/components/responses/Err\" }\n        \"5XX\": { $ref: \"#/components/responses/Ok\" }",
        );
        let v = single(&spec);
        assert_eq!(v.pointer, "/paths/~1v1~1things/post/responses/5XX");
        assert!(v.rule.contains("error") && v.rule.contains("4XX"), "{v}");
    }

    #[test]
    fn non_nullable_optional_response_property_is_refused() {
        let v = single(&BASE.replace(
            "name: { type: string, nullable: true }",
            "name: { type: string }",
        ));
        assert_eq!(v.pointer, "/components/schemas/Thing/properties/name");
        assert!(v.rule.contains("nullable"), "{v}");
    }

    #[test]
    fn required_response_property_may_be_non_nullable() {
        // `id` in BASE is required and not nullable: that is the envelope's contract.
        assert!(violations(BASE).is_empty());
    }

    #[test]
    fn enum_in_response_schema_is_refused() {
        let v = single(&BASE.replace(
            "name: { type: string, nullable: true }",
            "name: { type: string, nullable: true, enum: [a, b] }",
        ));
        assert_eq!(v.pointer, "/components/schemas/Thing/properties/name");
        assert!(v.rule.contains("enum"), "{v}");
    }

    #[test]
    fn format_and_length_in_response_schema_are_refused() {
        let v = violations(&BASE.replace(
            "name: { type: string, nullable: true }",
            "name: { type: string, nullable: true, format: date-time, maxLength: 3 }",
        ));
        let rules: Vec<_> = v.iter().map(|v| v.rule.as_str()).collect();
        assert_eq!(v.len(), 2, "{v:#?}");
        assert!(
            rules[0].contains("format") && rules[1].contains("length"),
            "{rules:?}"
        );
    }

    #[test]
    fn nested_array_items_are_checked() {
        let v = single(&BASE.replace(
            "name: { type: string, nullable: true }",
            "name: { type: array, nullable: true, items: { type: integer, enum: [1] } }",
        ));
        assert_eq!(v.pointer, "/components/schemas/Thing/properties/name/items");
    }

    #[test]
    fn closed_response_objects_are_refused() {
        let v = single(&BASE.replace(
            "    Problem:\n      type: object\n",
            "    Problem:\n      type: object\n      additionalProperties: false\n",
        ));
        assert_eq!(v.pointer, "/components/schemas/Problem");
        assert!(v.rule.contains("additionalProperties"), "{v}");
    }

    #[test]
    fn request_schemas_may_keep_constraints() {
        let spec = BASE
            .replace(
                "      operationId: createThing\n",
                "      operationId: createThing\n      requestBody:\n        content: { application/json: { schema: { $ref: \"#/components/schemas/Input\" } } }\n",
            )
            .replace(
                "  schemas:\n",
                "  schemas:\n    Input:\n      type: object\n      properties:\n        kind: { type: string, enum: [a], maxLength: 3 }\n",
            );
        assert_eq!(violations(&spec), vec![]);
    }
}
