//! Schemas typify can turn into Rust types. It panics on most `not` schemas, on an
//! unknown `type`, on many schemas without a `type` (a lone `format`, ...), on a `type`
//! next to `oneOf`/`anyOf`/`allOf`, on an exclusive bound without its bound, on a
//! `format` its type does not have, and on a `default` or `enum` value it cannot render
//! as a value of the type (or renders into a default function that panics when the SDK
//! runs). And it writes code that needs crates the SDK lacks for a pattern or a uuid.

use serde_yaml::{Mapping, Value};

use super::document::schemas;
use super::{Violation, violation};

const TYPES: [&str; 6] = ["string", "number", "integer", "boolean", "array", "object"];

/// What a schema without a `type` may carry: typify guesses a type from some other
/// keywords and panics on the rest, so only schemas it reads the same way every time
/// pass: a `$ref`, a combinator, or nothing but documentation (any value).
const UNTYPED: [&str; 12] = [
    "$ref",
    "allOf",
    "oneOf",
    "anyOf",
    "nullable",
    "description",
    "title",
    "example",
    "deprecated",
    "readOnly",
    "writeOnly",
    "externalDocs",
];

pub(super) fn check(doc: &Value, out: &mut Vec<Violation>) {
    for (ptr, schema) in schemas(doc) {
        if schema.contains_key("not") {
            out.push(violation(
                &format!("{ptr}/not"),
                "`not` schemas are not supported (typify panics on most of them)",
            ));
        }
        let typ = schema.get("type").and_then(Value::as_str);
        if typ.is_none() {
            untyped(&ptr, schema, out);
        }
        for combinator in ["allOf", "oneOf", "anyOf"] {
            if typ.is_some() && schema.contains_key(combinator) {
                out.push(violation(
                    &format!("{ptr}/{combinator}"),
                    &format!(
                        "a schema with a `type` may not also have `{combinator}` (typify panics \
                         merging them): give the branches their types instead"
                    ),
                ));
            }
        }
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
        // typify validates a pattern with the `regress` crate and makes a uuid a
        // `uuid::Uuid`: crates the SDK does not depend on.
        if schema.contains_key("pattern") {
            out.push(violation(
                &format!("{ptr}/pattern"),
                "patterns are not supported: the generated code would check them with the \
                 regress crate, which the SDK does not depend on",
            ));
        }
        if schema.get("format").and_then(Value::as_str) == Some("uuid") {
            out.push(violation(
                &format!("{ptr}/format"),
                "format uuid is not supported: the generated code would use the uuid crate, \
                 which the SDK does not depend on",
            ));
        }
        if let Some(t) = typ.filter(|t| !["string", "integer", "number"].contains(t))
            && schema.contains_key("format")
        {
            out.push(violation(
                &format!("{ptr}/format"),
                &format!("a {t} has no `format` (typify panics on one)"),
            ));
        }
        let nullable = schema.get("nullable").and_then(Value::as_bool) == Some(true);
        if let (Some(t), Some(default)) = (typ, schema.get("default"))
            && let Some(why) = unfit_default(t, nullable, schema, default)
        {
            out.push(violation(
                &format!("{ptr}/default"),
                &format!(
                    "{why} (typify refuses such a default, or builds a default function that \
                     panics at run time)"
                ),
            ));
        }
        enum_values(&ptr, schema, typ, nullable, out);
    }
}

/// Why `default` is not a value the schema accepts, as far as a rule can tell: of the
/// type, among the enum values, within the bounds; a formatted or patterned string gets
/// no default (typify parses it, and no rule here parses formats or patterns).
fn unfit_default(t: &str, nullable: bool, schema: &Mapping, default: &Value) -> Option<String> {
    let number = |key: &str| schema.get(key).and_then(Value::as_f64);
    if !fits(t, nullable, default) {
        return Some(format!("the default must be a {t}"));
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_sequence)
        && !values.contains(default)
    {
        return Some("the default must be one of the enum values".into());
    }
    if let Some(text) = default.as_str() {
        if schema.contains_key("format") || schema.contains_key("pattern") {
            return Some("a string with a format or pattern must have no default".into());
        }
        let chars = text.chars().count() as f64;
        let short = number("minLength").is_some_and(|min| chars < min);
        let long = number("maxLength").is_some_and(|max| chars > max);
        if short || long {
            return Some("the default must have a length within minLength and maxLength".into());
        }
    }
    if let Some(n) = default.as_f64() {
        let low = number("minimum").is_some_and(|min| n < min);
        let high = number("maximum").is_some_and(|max| n > max);
        if low || high {
            return Some("the default must lie within minimum and maximum".into());
        }
    }
    None
}

fn untyped(ptr: &str, schema: &Mapping, out: &mut Vec<Violation>) {
    let keys = schema.keys().filter_map(Value::as_str);
    // `not` has a rule of its own.
    let reported = |k: &&str| UNTYPED.contains(k) || *k == "not" || k.starts_with("x-");
    for key in keys.filter(|k| !reported(k)) {
        out.push(violation(
            &format!("{ptr}/{key}"),
            &format!(
                "a schema without a `type` may not have `{key}`: give it a type (typify guesses \
                 one from some keywords and panics on others)"
            ),
        ));
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
    fn untyped_schemas_carry_only_references_combinators_and_docs() {
        let v = refused(&with_property("{ description: d, format: date-time }"));
        assert_eq!(
            v.pointer,
            "/components/schemas/Input/properties/extra/format"
        );
        assert!(v.rule.contains("without a `type`"), "{v}");
        let fine = "{ description: anything, nullable: true, oneOf: [{ type: string }, { type: integer }] }";
        assert_eq!(violations(&with_property(fine)), vec![]);
        assert_eq!(violations(&with_property("{}")), vec![]);
    }

    #[test]
    fn not_schemas_are_refused() {
        let v = refused(&with_property("{ not: { type: string } }"));
        assert_eq!(v.pointer, "/components/schemas/Input/properties/extra/not");
        let v = refused(&with_property("{ type: string, not: { type: string } }"));
        assert_eq!(v.pointer, "/components/schemas/Input/properties/extra/not");
    }

    #[test]
    fn exclusive_bound_needs_its_bound() {
        // With a keyword its type does not have, openapiv3 keeps the schema untyped
        // underneath, and progenitor's conversion panics on the lone exclusive bound.
        let v = refused(&with_property("{ type: string, exclusiveMinimum: true }"));
        assert_eq!(
            v.pointer,
            "/components/schemas/Input/properties/extra/exclusiveMinimum"
        );
        let bounded = "{ type: integer, minimum: 1, exclusiveMinimum: true }";
        assert_eq!(violations(&with_property(bounded)), vec![]);
    }

    #[test]
    fn only_strings_and_numbers_have_a_format() {
        let v = refused(&with_property("{ type: boolean, format: date-time }"));
        assert_eq!(
            v.pointer,
            "/components/schemas/Input/properties/extra/format"
        );
        assert_eq!(
            violations(&with_property("{ type: integer, format: int32 }")),
            vec![]
        );
    }

    #[test]
    fn a_type_is_not_combined_with_branches() {
        // typify merges the two, and panics when the merge meets a default.
        let merged =
            "{ type: boolean, default: false, oneOf: [{ type: string }, { type: integer }] }";
        let v = refused(&with_property(merged));
        assert_eq!(
            v.pointer,
            "/components/schemas/Input/properties/extra/oneOf"
        );
    }

    #[test]
    fn schemas_needing_other_crates_are_refused() {
        let v = single(&with_property("{ type: string, pattern: '^a' }"));
        assert_eq!(
            v.pointer,
            "/components/schemas/Input/properties/extra/pattern"
        );
        let v = single(&with_property("{ type: string, format: uuid }"));
        assert_eq!(
            v.pointer,
            "/components/schemas/Input/properties/extra/format"
        );
    }

    #[test]
    fn unknown_types_are_refused() {
        let v = refused(&with_property("{ type: text }"));
        assert_eq!(v.pointer, "/components/schemas/Input/properties/extra/type");
        assert!(v.rule.contains("\"text\""), "{v}");
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
        for (schema, says) in [
            ("{ type: string, enum: [a, b], default: c }", "enum values"),
            (
                "{ type: integer, maximum: 1, default: 2 }",
                "minimum and maximum",
            ),
        ] {
            let v = refused(&with_property(schema));
            assert!(v.rule.contains(says), "{schema}: {v}");
        }
        // These the generator builds, into a default function that unwraps the value and
        // so panics in the SDK at run time.
        for (schema, says) in [
            (
                "{ type: string, format: date-time, default: x }",
                "format or pattern",
            ),
            ("{ type: string, maxLength: 1, default: xy }", "length"),
        ] {
            let v = single(&with_property(schema));
            assert!(v.rule.contains(says), "{schema}: {v}");
        }
        let fine = "{ type: string, enum: [a, b], default: b, maxLength: 1 }";
        assert_eq!(violations(&with_property(fine)), vec![]);
        let v = refused(&with_property("{ type: integer, enum: [1, two] }"));
        assert_eq!(
            v.pointer,
            "/components/schemas/Input/properties/extra/enum/1"
        );
    }
}
