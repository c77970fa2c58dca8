//! Response schemas must accept what a live server may send, or the SDK would reject a
//! real response: optional properties are nullable, unknown properties are ignored, and
//! there are no enums, formats or constraints to fail on.

use std::collections::HashSet;

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type, VariantOrUnknownOrEmpty};

use super::{Violation, violation};
use crate::operations::{Content, media_pointer, operations};
use crate::spec::{escape, resolve_schema};

/// Checks every schema a response is decoded with.
pub(super) fn check(spec: &OpenAPI, out: &mut Vec<Violation>) {
    let mut seen = HashSet::new();
    for op in operations(spec) {
        for r in &op.responses {
            if let Content::Json { media_type, media } = r.content
                && let Some(schema) = &media.schema
            {
                let ptr = format!("{}/schema", media_pointer(&r.defined_at, media_type));
                check_lenient(spec, schema, &ptr, &mut seen, out);
            }
        }
    }
}

/// One schema and everything inside it; `seen` keeps each component to one visit.
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
                None => return, // the references rule reports it
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

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, single, violations};

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
}
