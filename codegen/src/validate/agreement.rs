//! Validation agrees with the generator: the project's spec, mutated at random places in
//! ways that touch every limit of progenitor and typify the rules stand for (and more),
//! either fails validation or generates. And edits that keep a spec sound never fail
//! validation.

use std::cell::Cell;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use serde_yaml::Value;

use super::document::{references, schemas};
use crate::{Error, build, parse};

const SPEC: &str = include_str!("../../../spec/thena.yaml");

/// Mutated specs tried by the first property: most are refused, and only those that are
/// not reach the (slower) generator. The seed is fixed so that CI explores the same
/// specs on every run; change it to explore others.
const CASES: u32 = 320;

/// Edited specs tried by the second property; each one runs the generator.
const SOUND_CASES: u32 = 64;

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(12),
        ..Config::default()
    })
}

/// One edit of the spec, at the `at`-th place of its kind (modulo how many there are).
#[derive(Debug, Clone)]
enum Mutation {
    /// Sets a keyword of a schema to a YAML value.
    SchemaKeyword {
        at: usize,
        key: &'static str,
        value: &'static str,
    },
    /// Removes a keyword from a schema.
    SchemaRemove { at: usize, key: &'static str },
    /// Sets a field of a parameter.
    ParameterField {
        at: usize,
        key: &'static str,
        value: &'static str,
    },
    /// Adds a parameter to an operation or a path item.
    AddParameter {
        at: usize,
        path_level: bool,
        parameter: &'static str,
    },
    /// Adds a media type to a `content` map.
    AddMediaType {
        at: usize,
        media_type: &'static str,
        media: &'static str,
    },
    /// Renames the first media type of a `content` map.
    RenameMediaType { at: usize, media_type: &'static str },
    /// Sets a field of a media type object, or removes it (`~`).
    MediaField {
        at: usize,
        key: &'static str,
        value: &'static str,
    },
    /// Adds (or replaces) a response of an operation.
    AddResponse {
        at: usize,
        status: &'static str,
        response: &'static str,
    },
    /// Points a `$ref` elsewhere.
    Retarget { at: usize, target: &'static str },
    /// Renames a path: its `{id}` becomes `{ticketId}`, or a segment is appended.
    RenamePath { at: usize, suffix: &'static str },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    prop_oneof![
        (at, select(SCHEMA_KEYWORDS)).prop_map(|(at, (key, value))| Mutation::SchemaKeyword {
            at,
            key,
            value
        }),
        (at, select(REMOVABLE)).prop_map(|(at, key)| Mutation::SchemaRemove { at, key }),
        (at, select(PARAMETER_FIELDS))
            .prop_map(|(at, (key, value))| { Mutation::ParameterField { at, key, value } }),
        (at, any::<bool>(), select(PARAMETERS)).prop_map(|(at, path_level, parameter)| {
            Mutation::AddParameter {
                at,
                path_level,
                parameter,
            }
        }),
        (at, select(MEDIA_TYPES), select(MEDIA)).prop_map(|(at, media_type, media)| {
            Mutation::AddMediaType {
                at,
                media_type,
                media,
            }
        }),
        (at, select(MEDIA_TYPES))
            .prop_map(|(at, media_type)| Mutation::RenameMediaType { at, media_type }),
        (at, select(MEDIA_FIELDS)).prop_map(|(at, (key, value))| Mutation::MediaField {
            at,
            key,
            value
        }),
        (at, select(STATUSES), select(RESPONSES)).prop_map(|(at, status, response)| {
            Mutation::AddResponse {
                at,
                status,
                response,
            }
        }),
        (at, select(TARGETS)).prop_map(|(at, target)| Mutation::Retarget { at, target }),
        (at, select(PATH_SUFFIXES)).prop_map(|(at, suffix)| Mutation::RenamePath { at, suffix }),
    ]
}

const SCHEMA_KEYWORDS: &[(&str, &str)] = &[
    ("type", "text"),
    ("type", "string"),
    ("type", "integer"),
    ("type", "object"),
    ("type", "array"),
    ("format", "date-time"),
    ("format", "uuid"),
    ("format", "int32"),
    ("format", "binary"),
    ("format", "weird"),
    ("enum", "[a, b]"),
    ("enum", "[1, 2]"),
    ("enum", "[1, two]"),
    ("enum", "[a, null]"),
    ("default", "1"),
    ("default", "1.5"),
    ("default", "x"),
    ("default", "true"),
    ("default", "[]"),
    ("default", "{}"),
    ("minimum", "1"),
    ("maximum", "0"),
    ("exclusiveMinimum", "true"),
    ("exclusiveMaximum", "true"),
    ("minLength", "2"),
    ("maxLength", "1"),
    ("pattern", "'^[a-z]+$'"),
    ("nullable", "true"),
    ("nullable", "false"),
    ("not", "{ type: string }"),
    ("items", "{ type: string }"),
    ("items", "{ $ref: '#/components/schemas/Ticket' }"),
    ("additionalProperties", "false"),
    ("additionalProperties", "{ type: integer }"),
    ("allOf", "[{ $ref: '#/components/schemas/Ticket' }]"),
    ("oneOf", "[{ type: string }, { type: integer }]"),
    ("anyOf", "[{ type: string }, { type: boolean }]"),
    ("required", "[id]"),
    ("required", "[notAProperty]"),
    ("properties", "{ x: { type: string } }"),
    ("$ref", "'#/components/schemas/Ticket'"),
    ("$ref", "'#/components/schemas/Nope'"),
    ("$ref", "'other.yaml#/Thing'"),
    ("minItems", "1"),
    ("uniqueItems", "true"),
    ("multipleOf", "2"),
];

const REMOVABLE: &[&str] = &["type", "items", "properties", "required", "$ref", "enum"];

const PARAMETER_FIELDS: &[(&str, &str)] = &[
    ("in", "path"),
    ("in", "query"),
    ("in", "header"),
    ("in", "cookie"),
    ("style", "form"),
    ("style", "simple"),
    ("style", "deepObject"),
    ("style", "matrix"),
    ("style", "label"),
    ("required", "false"),
    ("required", "true"),
    ("name", "ticketId"),
    ("schema", "{ type: integer }"),
    (
        "schema",
        "{ type: object, properties: { a: { type: string } } }",
    ),
    (
        "content",
        "{ application/json: { schema: { type: string } } }",
    ),
];

const PARAMETERS: &[&str] = &[
    "{ name: id, in: path, required: true, schema: { type: string } }",
    "{ name: id, in: query, schema: { type: string } }",
    "{ name: X-Tenant, in: header, required: true, schema: { type: string } }",
    "{ name: dryRun, in: query, schema: { type: boolean } }",
    "{ name: extra, in: path, required: true, schema: { type: string } }",
    "{ name: c, in: cookie, schema: { type: string } }",
    "{ $ref: '#/components/parameters/Nope' }",
];

const MEDIA_TYPES: &[&str] = &[
    "application/json",
    "application/json; charset=utf-8",
    "application/xml",
    "text/plain",
    "application/problem+json",
    "application/octet-stream",
];

const MEDIA: &[&str] = &[
    "{ schema: { type: string } }",
    "{ schema: { $ref: '#/components/schemas/Ticket' } }",
    "{}",
];

const MEDIA_FIELDS: &[(&str, &str)] = &[
    ("schema", "~"),
    ("schema", "{ type: string }"),
    ("encoding", "{ a: { contentType: text/plain } }"),
    ("example", "{ a: 1 }"),
];

const STATUSES: &[&str] = &["200", "202", "204", "302", "101", "2XX", "4XX", "default"];

const RESPONSES: &[&str] = &[
    "{ $ref: '#/components/responses/TicketSuccess' }",
    "{ $ref: '#/components/responses/Error' }",
    "{ description: nothing }",
    "{ description: text, content: { text/plain: { schema: { type: string } } } }",
    "{ description: other, content: { application/json: { schema: { type: integer } } } }",
];

const TARGETS: &[&str] = &[
    "#/components/schemas/Nope",
    "#/components/responses/Nope",
    "#/components/schemas/Ticket",
    "#/components/responses/Error",
    "other.yaml#/Thing",
];

const PATH_SUFFIXES: &[&str] = &["{ticketId}", "/{extra}", "/x}", "/plain"];

impl Mutation {
    fn apply(&self, doc: &mut Value) {
        match *self {
            Mutation::SchemaKeyword { at, key, value } => {
                let places = schemas(doc).into_iter().map(|(p, _)| p).collect();
                set(doc, pick(places, at), key, value);
            }
            Mutation::SchemaRemove { at, key } => {
                let places = schemas(doc).into_iter().map(|(p, _)| p).collect();
                remove(doc, pick(places, at), key);
            }
            Mutation::ParameterField { at, key, value } => {
                let places = find(doc, |ptr, _| {
                    ptr.rsplit('/').nth(1) == Some("parameters") && !ptr.starts_with("/components")
                });
                set(doc, pick(places, at), key, value);
            }
            Mutation::AddParameter {
                at,
                path_level,
                parameter,
            } => {
                let places = find(doc, |ptr, _| {
                    let depth = ptr.matches('/').count();
                    ptr.starts_with("/paths/") && depth == if path_level { 2 } else { 3 }
                });
                if let Some(item) = pick(places, at).and_then(|p| at_mut(doc, &p)) {
                    push(item, "parameters", parameter);
                }
            }
            Mutation::AddMediaType {
                at,
                media_type,
                media,
            } => {
                let places = find(doc, |ptr, _| ptr.ends_with("/content"));
                set(doc, pick(places, at), media_type, media);
            }
            Mutation::RenameMediaType { at, media_type } => {
                let places = find(doc, |ptr, _| ptr.ends_with("/content"));
                if let Some(map) = pick(places, at)
                    .and_then(|p| at_mut(doc, &p))
                    .and_then(Value::as_mapping_mut)
                    && let Some(first) = map.keys().next().cloned()
                    && let Some(media) = map.shift_remove(&first)
                {
                    map.insert(media_type.into(), media);
                }
            }
            Mutation::MediaField { at, key, value } => {
                let places = find(doc, |ptr, _| ptr.rsplit('/').nth(1) == Some("content"));
                let place = pick(places, at);
                match value {
                    "~" => remove(doc, place, key),
                    _ => set(doc, place, key, value),
                }
            }
            Mutation::AddResponse {
                at,
                status,
                response,
            } => {
                let places = find(doc, |ptr, _| {
                    ptr.starts_with("/paths/") && ptr.ends_with("/responses")
                });
                set(doc, pick(places, at), status, response);
            }
            Mutation::Retarget { at, target } => {
                let places = references(doc).into_iter().map(|r| r.pointer).collect();
                set(doc, pick(places, at), "$ref", &format!("'{target}'"));
            }
            Mutation::RenamePath { at, suffix } => {
                let Some(paths) = doc.get_mut("paths").and_then(Value::as_mapping_mut) else {
                    return;
                };
                let index = at % paths.len().max(1);
                let Some(key) = paths.keys().nth(index).cloned() else {
                    return;
                };
                if let (Value::String(path), Some(item)) = (&key, paths.shift_remove(&key)) {
                    let renamed = match suffix {
                        "{ticketId}" => path.replace("{id}", suffix),
                        _ => format!("{path}{suffix}"),
                    };
                    paths.insert(renamed.into(), item);
                }
            }
        }
    }
}

/// The `at`-th of `places`, modulo their number.
fn pick(places: Vec<String>, at: usize) -> Option<String> {
    let n = places.len();
    places.into_iter().nth(at % n.max(1))
}

/// Pointers of every mapping in `doc` that `select` accepts.
fn find(doc: &Value, select: impl Fn(&str, &Value) -> bool) -> Vec<String> {
    fn walk(v: &Value, ptr: String, select: &dyn Fn(&str, &Value) -> bool, out: &mut Vec<String>) {
        if let Some(map) = v.as_mapping() {
            if select(&ptr, v) {
                out.push(ptr.clone());
            }
            for (k, child) in map {
                if let Some(k) = k.as_str() {
                    walk(
                        child,
                        format!("{ptr}/{}", crate::spec::escape(k)),
                        select,
                        out,
                    );
                }
            }
        } else if let Some(seq) = v.as_sequence() {
            for (i, child) in seq.iter().enumerate() {
                walk(child, format!("{ptr}/{i}"), select, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(doc, String::new(), &select, &mut out);
    out
}

/// The value at a JSON pointer.
fn at_mut<'a>(doc: &'a mut Value, pointer: &str) -> Option<&'a mut Value> {
    let mut v = doc;
    for segment in pointer.split('/').skip(1) {
        let key = segment.replace("~1", "/").replace("~0", "~");
        v = match v {
            Value::Mapping(m) => m.get_mut(key.as_str())?,
            Value::Sequence(s) => s.get_mut(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap_or_else(|e| panic!("mutation value {text:?}: {e}"))
}

fn set(doc: &mut Value, place: Option<String>, key: &str, value: &str) {
    if let Some(map) = place
        .and_then(|p| at_mut(doc, &p))
        .and_then(Value::as_mapping_mut)
    {
        map.insert(key.into(), yaml(value));
    }
}

fn remove(doc: &mut Value, place: Option<String>, key: &str) {
    if let Some(map) = place
        .and_then(|p| at_mut(doc, &p))
        .and_then(Value::as_mapping_mut)
    {
        map.remove(key);
    }
}

fn push(item: &mut Value, key: &str, value: &str) {
    if let Some(map) = item.as_mapping_mut() {
        let list = map
            .entry(key.into())
            .or_insert_with(|| Value::Sequence(Vec::new()));
        if let Some(list) = list.as_sequence_mut() {
            list.push(yaml(value));
        }
    }
}

/// The spec with `mutations` applied, as YAML.
fn mutated(mutations: &[Mutation]) -> String {
    let mut doc: Value = serde_yaml::from_str(SPEC).expect("the project's spec is YAML");
    for m in mutations {
        m.apply(&mut doc);
    }
    serde_yaml::to_string(&doc).expect("a YAML value prints")
}

#[test]
fn a_spec_that_validates_generates() {
    let (refused, generated) = (Cell::new(0), Cell::new(0));
    let strategy = proptest::collection::vec(mutation(), 1..=3);
    let result = runner(CASES).run(&strategy, |mutations| {
        let yaml = mutated(&mutations);
        let spec = match parse(&yaml) {
            Ok(spec) => spec,
            // Not an OpenAPI document any more: nothing to generate from.
            Err(_) => return Ok(()),
        };
        if !super::validate(&spec).is_empty() {
            refused.set(refused.get() + 1);
            return Ok(());
        }
        match build(&spec) {
            Ok(_) => {
                generated.set(generated.get() + 1);
                Ok(())
            }
            Err(e @ Error::Generator { .. }) => Err(TestCaseError::fail(format!(
                "validation passed, the generator refused: {e}"
            ))),
            Err(e) => Err(TestCaseError::fail(format!("unexpected error: {e}"))),
        }
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    // The property says something only if the mutations reach the rules and some
    // mutated specs still reach the generator.
    let (refused, generated) = (refused.get(), generated.get());
    assert!(
        refused > CASES / 4,
        "only {refused} mutated specs were refused"
    );
    assert!(
        generated > CASES / 10,
        "only {generated} mutated specs generated"
    );
}

/// An edit that keeps the spec sound.
#[derive(Debug, Clone)]
enum Sound {
    /// Adds a property to a request or response component schema, as the lenient rules
    /// want it there.
    AddProperty { at: usize, name: &'static str },
    /// Makes a property of a request schema required.
    Require { at: usize },
    /// Adds a constraint to a string property of a request schema.
    Constrain {
        at: usize,
        key: &'static str,
        value: &'static str,
    },
    /// Gives a media type parameters.
    Charset { at: usize },
    /// Moves an operation's parameters to its path item.
    HoistParameters { at: usize },
    /// Adds an optional query parameter.
    AddQuery { at: usize, schema: &'static str },
    /// Adds a success status decoded like the others.
    AddStatus { at: usize, status: &'static str },
    /// Adds a value to the request enum.
    WidenEnum { value: &'static str },
}

fn sound() -> impl Strategy<Value = Sound> {
    let at = any::<usize>();
    prop_oneof![
        (at, select(&["colorCode", "x-y", "type", "2fa"][..]))
            .prop_map(|(at, name)| Sound::AddProperty { at, name }),
        at.prop_map(|at| Sound::Require { at }),
        (at, select(&[("maxLength", "10"), ("minLength", "1"),][..]))
            .prop_map(|(at, (key, value))| Sound::Constrain { at, key, value }),
        at.prop_map(|at| Sound::Charset { at }),
        at.prop_map(|at| Sound::HoistParameters { at }),
        (
            at,
            select(
                &[
                    "{ type: string }",
                    "{ type: integer }",
                    "{ type: array, items: { type: string } }"
                ][..]
            )
        )
            .prop_map(|(at, schema)| Sound::AddQuery { at, schema }),
        (at, select(&["202", "2XX"][..])).prop_map(|(at, status)| Sound::AddStatus { at, status }),
        select(&["sms", "slack"][..]).prop_map(|value| Sound::WidenEnum { value }),
    ]
}

const REQUEST_SCHEMAS: [&str; 2] = ["CreateTicketBody", "UpdateTicketBody"];
const RESPONSE_SCHEMAS: [&str; 3] = ["Ticket", "TicketComment", "ErrorResponse"];

impl Sound {
    fn apply(&self, doc: &mut Value) {
        let component = |name: &str| format!("/components/schemas/{name}");
        match *self {
            Sound::AddProperty { at, name } => {
                let all: Vec<_> = REQUEST_SCHEMAS.iter().chain(&RESPONSE_SCHEMAS).collect();
                let schema = all[at % all.len()];
                let property = if REQUEST_SCHEMAS.contains(schema) {
                    "{ description: new, type: string }"
                } else {
                    "{ type: string, nullable: true }"
                };
                set(
                    doc,
                    Some(format!("{}/properties", component(schema))),
                    name,
                    property,
                );
            }
            Sound::Require { at } => {
                let schema = component(REQUEST_SCHEMAS[at % 2]);
                let names = at_mut(doc, &format!("{schema}/properties"))
                    .and_then(|p| p.as_mapping())
                    .map(|p| p.keys().cloned().collect::<Vec<_>>())
                    .unwrap_or_default();
                if let Some(name) = names.get(at % names.len().max(1)).cloned() {
                    push_value(doc, &schema, "required", name);
                }
            }
            Sound::Constrain { at, key, value } => {
                let places = find(doc, |ptr, v| {
                    REQUEST_SCHEMAS
                        .iter()
                        .any(|s| ptr.starts_with(&component(s)))
                        && v.get("type").and_then(Value::as_str) == Some("string")
                        && v.get("format").is_none()
                        && v.get("enum").is_none()
                });
                set(doc, pick(places, at), key, value);
            }
            Sound::Charset { at } => {
                let places = find(doc, |ptr, _| ptr.ends_with("/content"));
                if let Some(map) = pick(places, at)
                    .and_then(|p| at_mut(doc, &p))
                    .and_then(Value::as_mapping_mut)
                    && let Some(media) = map.shift_remove("application/json")
                {
                    map.insert("application/json; charset=utf-8".into(), media);
                }
            }
            Sound::HoistParameters { at } => {
                let places = find(doc, |ptr, v| {
                    ptr.starts_with("/paths/")
                        && ptr.matches('/').count() == 3
                        && v.get("parameters").is_some()
                });
                let Some(op_ptr) = pick(places, at) else {
                    return;
                };
                let moved = at_mut(doc, &op_ptr)
                    .and_then(Value::as_mapping_mut)
                    .and_then(|op| op.remove("parameters"));
                let item_ptr = op_ptr.rsplit_once('/').map(|(p, _)| p.to_string());
                if let (Some(Value::Sequence(moved)), Some(item)) =
                    (moved, item_ptr.and_then(|p| at_mut(doc, &p)))
                {
                    for parameter in moved {
                        push_value(item, "", "parameters", parameter);
                    }
                }
            }
            Sound::AddQuery { at, schema } => {
                let places = find(doc, |ptr, _| {
                    ptr.starts_with("/paths/") && ptr.matches('/').count() == 3
                });
                let parameter = format!("{{ name: filter, in: query, schema: {schema} }}");
                if let Some(op) = pick(places, at).and_then(|p| at_mut(doc, &p))
                    && !serde_yaml::to_string(op).is_ok_and(|t| t.contains("name: filter"))
                {
                    push(op, "parameters", &parameter);
                }
            }
            Sound::AddStatus { at, status } => {
                let places = find(doc, |ptr, _| {
                    ptr.starts_with("/paths/") && ptr.ends_with("/responses")
                });
                let response = "{ $ref: '#/components/responses/TicketSuccess' }";
                set(doc, pick(places, at), status, response);
            }
            Sound::WidenEnum { value } => {
                push_value(doc, &component("ProactiveChannel"), "enum", value.into());
            }
        }
    }
}

fn push_value(doc: &mut Value, ptr: &str, key: &str, value: Value) {
    if let Some(map) = at_mut(doc, ptr).and_then(Value::as_mapping_mut) {
        let list = map
            .entry(key.into())
            .or_insert_with(|| Value::Sequence(Vec::new()));
        if let Some(list) = list.as_sequence_mut()
            && !list.contains(&value)
        {
            list.push(value);
        }
    }
}

#[test]
fn sound_edits_validate_and_generate() {
    let strategy = proptest::collection::vec(sound(), 1..=4);
    let result = runner(SOUND_CASES).run(&strategy, |edits| {
        let mut doc: Value = serde_yaml::from_str(SPEC).expect("the project's spec is YAML");
        for e in &edits {
            e.apply(&mut doc);
        }
        let yaml = serde_yaml::to_string(&doc).expect("a YAML value prints");
        let spec = parse(&yaml).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let violations = super::validate(&spec);
        prop_assert!(violations.is_empty(), "refused: {violations:#?}");
        build(&spec).map_err(|e| TestCaseError::fail(e.to_string()))?;
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
