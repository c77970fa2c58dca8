//! Schemas typify can turn into Rust types. It panics on most `not` schemas, on an
//! unknown `type`, on an exclusive bound without its bound (progenitor's conversion does),
//! and on a `default` or `enum` value it cannot render as a value of the type.

use serde_yaml::{Mapping, Value};

use super::document::schemas;
use super::{Violation, violation};

const TYPES: [&str; 6] = ["string", "number", "integer", "boolean", "array", "object"];

pub(super) fn check(doc: &Value, out: &mut Vec<Violation>) {
    for (ptr, schema) in schemas(doc) {
        if schema.contains_key("not") {
            out.push(violation(
                &format!("{ptr}/not"),
                "`not` schemas are not supported (typify panics on most of them)",
            ));
        }
        let typ = schema.get("type").and_then(Value::as_str);
        if let Some(t) = typ.filter(|t| !TYPES.contains(t)) {
            out.push(violation(
                &format!("{ptr}/type"),
                &format!("unknown type {t:?} (the generator panics on it)"),
            ));
        }
        for (flag, bound) in [
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ] {
            let set = schema.get(flag).and_then(Value::as_bool) == Some(true);
            if set && !schema.contains_key(bound) {
                out.push(violation(
                    &format!("{ptr}/{flag}"),
                    &format!("`{flag}: true` needs a `{bound}` (the generator panics without one)"),
                ));
            }
        }
        let nullable = schema.get("nullable").and_then(Value::as_bool) == Some(true);
        if let (Some(t), Some(default)) = (typ, schema.get("default"))
            && !fits(t, nullable, default)
        {
            out.push(violation(
                &format!("{ptr}/default"),
                &format!("the default must be a {t} (typify panics rendering it otherwise)"),
            ));
        }
        enum_values(&ptr, schema, typ, nullable, out);
    }
}

fn enum_values(
    ptr: &str,
    schema: &Mapping,
    typ: Option<&str>,
    nullable: bool,
    out: &mut Vec<Violation>,
) {
    let Some(values) = schema.get("enum").and_then(Value::as_sequence) else {
        return;
    };
    for (i, value) in values.iter().enumerate() {
        if let Some(t) = typ
            && !fits(t, nullable, value)
        {
            out.push(violation(
                &format!("{ptr}/enum/{i}"),
                &format!("an enum value must be a {t} (typify cannot build the enum otherwise)"),
            ));
        }
    }
}

/// Whether `value` is a JSON value of type `t` (or null, where that is allowed).
fn fits(t: &str, nullable: bool, value: &Value) -> bool {
    match value {
        Value::Null => nullable,
        Value::Bool(_) => t == "boolean",
        Value::Number(n) => t == "number" || (t == "integer" && (n.is_i64() || n.is_u64())),
        Value::String(_) => t == "string",
        Value::Sequence(_) => t == "array",
        Value::Mapping(_) => t == "object",
        Value::Tagged(tagged) => fits(t, nullable, &tagged.value),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, generator_refuses, single, violations};

    const KIND: &str = "        kind: { type: string, enum: [a], maxLength: 3 }\n";

    /// BASE with a property `extra` of the given schema in the request schema `Input`
    /// (where the lenient response rules do not apply, so only the rule under test fires).
    fn with_property(schema: &str) -> String {
        BASE.replace(KIND, &format!("{KIND}        extra: {schema}\n"))
    }

    /// The single violation of a spec the generator refuses too.
    fn refused(spec: &str) -> super::super::Violation {
        generator_refuses(spec);
        single(spec)
    }

    #[test]
    fn not_schemas_are_refused() {
        let v = refused(&with_property("{ not: { type: string } }"));
        assert_eq!(v.pointer, "/components/schemas/Input/properties/extra/not");
    }

    #[test]
    fn unknown_types_are_refused() {
        let v = refused(&with_property("{ type: text }"));
        assert_eq!(v.pointer, "/components/schemas/Input/properties/extra/type");
        assert!(v.rule.contains("\"text\""), "{v}");
    }

    #[test]
    fn exclusive_bound_needs_its_bound() {
        let v = refused(&with_property("{ exclusiveMinimum: true }"));
        assert_eq!(
            v.pointer,
            "/components/schemas/Input/properties/extra/exclusiveMinimum"
        );
        assert_eq!(
            violations(&with_property(
                "{ type: integer, minimum: 1, exclusiveMinimum: true }"
            ))
            .into_iter()
            .filter(|v| v.rule.contains("exclusiveMinimum"))
            .count(),
            0
        );
    }

    #[test]
    fn defaults_and_enum_values_must_fit_the_type() {
        let v = refused(&with_property("{ type: integer, default: 1.5 }"));
        assert_eq!(
            v.pointer,
            "/components/schemas/Input/properties/extra/default"
        );
        let v = refused(&with_property("{ type: string, default: 3 }"));
        assert!(v.rule.contains("must be a string"), "{v}");
        let v = refused(&with_property("{ type: integer, enum: [1, two] }"));
        assert_eq!(
            v.pointer,
            "/components/schemas/Input/properties/extra/enum/1"
        );
    }
}
