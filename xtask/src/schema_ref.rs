//! A borrowed view of a schema position. openapiv3 holds schemas as `ReferenceOr<Schema>` in
//! some places and `ReferenceOr<Box<Schema>>` in others; walks should not care (nor clone).

use openapiv3::{AdditionalProperties, ReferenceOr, Schema, SchemaKind, Type};

/// A `$ref` or an inline schema.
#[derive(Clone, Copy)]
pub enum SchemaRef<'a> {
    /// `$ref: <reference>`.
    Ref(&'a str),
    /// An inline schema.
    Item(&'a Schema),
}

impl<'a> From<&'a ReferenceOr<Schema>> for SchemaRef<'a> {
    fn from(schema: &'a ReferenceOr<Schema>) -> Self {
        match schema {
            ReferenceOr::Reference { reference } => SchemaRef::Ref(reference),
            ReferenceOr::Item(s) => SchemaRef::Item(s),
        }
    }
}

impl<'a> From<&'a ReferenceOr<Box<Schema>>> for SchemaRef<'a> {
    fn from(schema: &'a ReferenceOr<Box<Schema>>) -> Self {
        match schema {
            ReferenceOr::Reference { reference } => SchemaRef::Ref(reference),
            ReferenceOr::Item(s) => SchemaRef::Item(s),
        }
    }
}

/// The schemas directly inside `schema`: properties, items, additional properties and the
/// branches of combinators.
pub fn children(schema: &Schema) -> Vec<SchemaRef<'_>> {
    let mut out = Vec::new();
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => {
            out.extend(o.properties.values().map(SchemaRef::from));
            out.extend(additional(&o.additional_properties));
        }
        SchemaKind::Type(Type::Array(a)) => out.extend(a.items.as_ref().map(SchemaRef::from)),
        SchemaKind::Type(_) => {}
        SchemaKind::OneOf { one_of: subs }
        | SchemaKind::AllOf { all_of: subs }
        | SchemaKind::AnyOf { any_of: subs } => out.extend(subs.iter().map(SchemaRef::from)),
        SchemaKind::Not { not } => out.push(SchemaRef::from(&**not)),
        SchemaKind::Any(any) => {
            out.extend(any.properties.values().map(SchemaRef::from));
            out.extend(additional(&any.additional_properties));
            out.extend(any.items.as_ref().map(SchemaRef::from));
            for subs in [&any.one_of, &any.all_of, &any.any_of] {
                out.extend(subs.iter().map(SchemaRef::from));
            }
            out.extend(any.not.as_deref().map(SchemaRef::from));
        }
    }
    out
}

/// The schema of `additionalProperties`, when it is one (not `true`/`false`).
fn additional(extra: &Option<AdditionalProperties>) -> Option<SchemaRef<'_>> {
    match extra {
        Some(AdditionalProperties::Schema(s)) => Some(SchemaRef::from(&**s)),
        _ => None,
    }
}
