//! Whether a JSON value is valid under a schema, as a server that enforces the spec
//! checks a request body. The SDK enforces some constraints itself (lengths, enums,
//! required properties) and not others (number bounds, item counts); a change the SDK
//! does not enforce can still make a server refuse what a call sends, and this is how
//! the proof sees it. Patterns are not checked: lint refuses them.

use openapiv3::{AdditionalProperties, OpenAPI, SchemaKind, Type};
use serde_json::Value;
use thena_codegen::spec::resolve_schema;

use crate::schema_ref::SchemaRef;

/// `Err` with the first reason `value` is not valid under `schema`.
pub fn check(spec: &OpenAPI, schema: SchemaRef<'_>, value: &Value, at: &str) -> Result<(), String> {
    let s = match schema {
        SchemaRef::Ref(reference) => match resolve_schema(spec, reference) {
            Some(s) => s,
            None => return Err(format!("{at}: $ref {reference} points nowhere")),
        },
        SchemaRef::Item(s) => s,
    };
    let fail = |why: String| Err(format!("{at}: {why}"));
    if value.is_null() {
        return if s.schema_data.nullable || matches!(s.schema_kind, SchemaKind::Any(_)) {
            Ok(())
        } else {
            fail("null is not allowed".into())
        };
    }
    let below = |x: f64, min: Option<f64>, exclusive: bool| {
        min.is_some_and(|m| if exclusive { x <= m } else { x < m })
    };
    let above = |x: f64, max: Option<f64>, exclusive: bool| {
        max.is_some_and(|m| if exclusive { x >= m } else { x > m })
    };
    match &s.schema_kind {
        SchemaKind::Type(Type::String(t)) => {
            let Some(text) = value.as_str() else {
                return fail(format!("{value} is not a string"));
            };
            let allowed = t.enumeration.iter().flatten();
            if !t.enumeration.is_empty() && !allowed.clone().any(|v| v == text) {
                return fail(format!("{text:?} is not one of the enum values"));
            }
            let len = text.chars().count();
            if t.min_length.is_some_and(|m| len < m) || t.max_length.is_some_and(|m| len > m) {
                return fail(format!("a length of {len} is out of bounds"));
            }
        }
        SchemaKind::Type(Type::Integer(t)) => {
            let Some(n) = value.as_i64() else {
                return fail(format!("{value} is not an integer"));
            };
            let x = n as f64;
            let (min, max) = (t.minimum.map(|m| m as f64), t.maximum.map(|m| m as f64));
            if below(x, min, t.exclusive_minimum) || above(x, max, t.exclusive_maximum) {
                return fail(format!("{n} is out of bounds"));
            }
            if t.multiple_of.is_some_and(|m| m != 0 && n % m != 0) {
                return fail(format!("{n} is not a multiple"));
            }
            if !t.enumeration.is_empty() && !t.enumeration.contains(&Some(n)) {
                return fail(format!("{n} is not one of the enum values"));
            }
        }
        SchemaKind::Type(Type::Number(t)) => {
            let Some(x) = value.as_f64() else {
                return fail(format!("{value} is not a number"));
            };
            if below(x, t.minimum, t.exclusive_minimum) || above(x, t.maximum, t.exclusive_maximum)
            {
                return fail(format!("{x} is out of bounds"));
            }
        }
        SchemaKind::Type(Type::Boolean(_)) if !value.is_boolean() => {
            return fail(format!("{value} is not a boolean"));
        }
        SchemaKind::Type(Type::Array(a)) => {
            let Some(items) = value.as_array() else {
                return fail(format!("{value} is not an array"));
            };
            let n = items.len();
            if a.min_items.is_some_and(|m| n < m) || a.max_items.is_some_and(|m| n > m) {
                return fail(format!("{n} items are out of bounds"));
            }
            if let Some(schema) = &a.items {
                for (i, item) in items.iter().enumerate() {
                    check(spec, schema.into(), item, &format!("{at}/{i}"))?;
                }
            }
        }
        SchemaKind::Type(Type::Object(o)) => {
            let Some(object) = value.as_object() else {
                return fail(format!("{value} is not an object"));
            };
            if let Some(missing) = o.required.iter().find(|r| !object.contains_key(*r)) {
                return fail(format!("required property {missing} is missing"));
            }
            for (name, v) in object {
                match o.properties.get(name) {
                    Some(schema) => check(spec, schema.into(), v, &format!("{at}/{name}"))?,
                    None if matches!(
                        o.additional_properties,
                        Some(AdditionalProperties::Any(false))
                    ) =>
                    {
                        return fail(format!("property {name} is not allowed"));
                    }
                    None => {}
                }
            }
            let n = object.len();
            if o.min_properties.is_some_and(|m| n < m) || o.max_properties.is_some_and(|m| n > m) {
                return fail(format!("{n} properties are out of bounds"));
            }
        }
        SchemaKind::AllOf { all_of } => {
            for sub in all_of {
                check(spec, sub.into(), value, at)?;
            }
        }
        SchemaKind::OneOf { one_of: subs } | SchemaKind::AnyOf { any_of: subs } => {
            let mut why = Vec::new();
            for sub in subs {
                match check(spec, sub.into(), value, at) {
                    Ok(()) => return Ok(()),
                    Err(e) => why.push(e),
                }
            }
            return fail(format!("no branch accepts it ({})", why.join("; ")));
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn bounds_counts_and_required_properties_are_checked() {
        let spec =
            thena_codegen::parse(include_str!("../../../../spec/thena.yaml")).expect("parses");
        let body = SchemaRef::Ref("#/components/schemas/CreateTicketBody");
        let valid = json!({ "title": "t", "requestorEmail": "e", "teamId": "x" });
        assert_eq!(check(&spec, body, &valid, ""), Ok(()));
        let mut missing = valid.clone();
        missing.as_object_mut().map(|o| o.remove("teamId"));
        assert!(check(&spec, body, &missing, "").is_err());
        let mut long = valid.clone();
        long["deDuplicationKey"] = json!("x".repeat(256));
        let why = check(&spec, body, &long, "").expect_err("too long");
        assert!(why.contains("/deDuplicationKey"), "{why}");
        let mut channel = valid;
        channel["proactiveChannels"] = json!(["fax"]);
        assert!(check(&spec, body, &channel, "").is_err());
    }
}
