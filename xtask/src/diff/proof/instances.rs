//! JSON values a spec says are valid, at the edges of what it allows: the probe sends
//! them and decodes them, so that a change that refuses any of them shows.

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, StringFormat, Type};
use serde_json::{Map, Value, json};
use thena_codegen::spec::resolve_schema;

use crate::schema_ref::SchemaRef;

/// Which edge of the schema a value sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// Every property, the longest strings and the largest numbers allowed.
    Full,
    /// Only required properties, the shortest strings and the smallest numbers.
    Bare,
    /// Every property, and `null` wherever null is allowed.
    Nulls,
}

/// A value of `schema` at `edge`, or why none can be made.
pub fn instance(spec: &OpenAPI, schema: SchemaRef<'_>, edge: Edge) -> Result<Value, String> {
    instance_at(spec, schema, edge, 0)
}

/// Recursive schemas stop here: deeper optional properties are left out.
const DEPTH: usize = 6;

fn instance_at(
    spec: &OpenAPI,
    schema: SchemaRef<'_>,
    edge: Edge,
    depth: usize,
) -> Result<Value, String> {
    let s = match schema {
        SchemaRef::Ref(reference) => resolve_schema(spec, reference)
            .ok_or_else(|| format!("$ref {reference} points nowhere"))?,
        SchemaRef::Item(s) => s,
    };
    if edge == Edge::Nulls && s.schema_data.nullable && depth > 0 {
        return Ok(Value::Null);
    }
    let child = |schema: SchemaRef<'_>, edge| instance_at(spec, schema, edge, depth + 1);
    let value = match &s.schema_kind {
        SchemaKind::Type(Type::String(t)) => {
            if let Some(first) = t.enumeration.iter().flatten().next() {
                return Ok(json!(first));
            }
            if t.pattern.is_some() {
                return Err("no value can be made for a string with a pattern".into());
            }
            match &t.format {
                openapiv3::VariantOrUnknownOrEmpty::Item(StringFormat::DateTime) => {
                    json!("2024-01-01T00:00:00Z")
                }
                openapiv3::VariantOrUnknownOrEmpty::Item(StringFormat::Date) => json!("2024-01-01"),
                _ => {
                    let len = match edge {
                        Edge::Bare => t.min_length.unwrap_or(1).max(1),
                        _ => t.max_length.unwrap_or(8).max(t.min_length.unwrap_or(0)),
                    };
                    json!("x".repeat(len))
                }
            }
        }
        SchemaKind::Type(Type::Integer(t)) => {
            if let Some(first) = t.enumeration.iter().flatten().next() {
                return Ok(json!(first));
            }
            let value = match edge {
                Edge::Bare => t.minimum.map_or(0, |m| m + i64::from(t.exclusive_minimum)),
                _ => t
                    .maximum
                    .map_or(123, |m| m - i64::from(t.exclusive_maximum)),
            };
            json!(value)
        }
        SchemaKind::Type(Type::Number(t)) => {
            if let Some(first) = t.enumeration.iter().flatten().next() {
                return Ok(json!(first));
            }
            let value = match edge {
                Edge::Bare => t
                    .minimum
                    .map_or(0.5, |m| m + if t.exclusive_minimum { 0.5 } else { 0.0 }),
                _ => t
                    .maximum
                    .map_or(1.5, |m| m - if t.exclusive_maximum { 0.5 } else { 0.0 }),
            };
            json!(value)
        }
        SchemaKind::Type(Type::Boolean(_)) => json!(edge != Edge::Bare),
        SchemaKind::Type(Type::Array(a)) => {
            let len = match edge {
                Edge::Bare => a.min_items.unwrap_or(0),
                _ => a
                    .max_items
                    .unwrap_or(1)
                    .max(a.min_items.unwrap_or(0))
                    .min(3),
            };
            match &a.items {
                Some(items) if len > 0 => {
                    let item = child(items.into(), edge)?;
                    Value::Array(vec![item; len])
                }
                _ => json!([]),
            }
        }
        SchemaKind::Type(Type::Object(o)) => {
            let mut map = Map::new();
            for (name, property) in &o.properties {
                let required = o.required.contains(name);
                let wanted = required || (edge != Edge::Bare && depth < DEPTH);
                if wanted {
                    map.insert(name.clone(), child(property.into(), edge)?);
                }
            }
            if o.properties.is_empty() && o.additional_properties.is_some() && edge != Edge::Bare {
                map.insert("key".into(), json!("value"));
            }
            Value::Object(map)
        }
        SchemaKind::AllOf { all_of: subs } => merged(subs, &|s| child(s, edge))?,
        SchemaKind::OneOf { one_of: subs } | SchemaKind::AnyOf { any_of: subs } => {
            let pick = match edge {
                Edge::Bare => subs.last(),
                _ => subs.first(),
            };
            match pick {
                Some(sub) => child(sub.into(), edge)?,
                None => return Err("a oneOf/anyOf without branches".into()),
            }
        }
        SchemaKind::Any(any) if any.properties.is_empty() && any.typ.is_none() => match edge {
            Edge::Bare => json!("any"),
            _ => json!({ "any": ["value", 1] }),
        },
        SchemaKind::Any(_) | SchemaKind::Not { .. } => {
            return Err("no value can be made for this schema".into());
        }
    };
    Ok(value)
}

/// The properties of every branch of an `allOf`, in one object; a single branch as it is.
fn merged(
    subs: &[ReferenceOr<Schema>],
    child: &dyn Fn(SchemaRef<'_>) -> Result<Value, String>,
) -> Result<Value, String> {
    if let [only] = subs {
        return child(only.into());
    }
    let mut out = Map::new();
    for sub in subs {
        match child(sub.into())? {
            Value::Object(map) => out.extend(map),
            other => return Ok(other),
        }
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_sit_on_the_edges() {
        let spec =
            thena_codegen::parse(include_str!("../../../../spec/thena.yaml")).expect("parses");
        let body = SchemaRef::Ref("#/components/schemas/CreateTicketBody");
        let full = instance(&spec, body, Edge::Full).expect("a full body");
        assert_eq!(full["deDuplicationKey"].as_str().map(str::len), Some(255));
        assert_eq!(full["proactiveChannels"], json!(["email"]));
        assert_eq!(full["dueDate"], json!("2024-01-01T00:00:00Z"));
        let bare = instance(&spec, body, Edge::Bare).expect("a bare body");
        let keys: Vec<_> = bare
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["requestorEmail", "teamId", "title"]);
        let ticket = SchemaRef::Ref("#/components/schemas/TicketResponse");
        let nulls = instance(&spec, ticket, Edge::Nulls).expect("a response");
        assert_eq!(nulls["data"]["title"], Value::Null);
        assert_eq!(nulls["data"]["comment"], Value::Null);
    }
}
