//! Where a document's schemas and `$ref`s are, found on the document as written (a YAML
//! value), so that no position the generator reads is missed: component schemas, the
//! schemas of parameters, media types and headers, and every schema inside those.

use serde_yaml::{Mapping, Value};

use crate::spec::escape;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// A `$ref` and the kind of component its position requires.
pub(super) struct Reference<'a> {
    /// JSON pointer to the object holding the `$ref`.
    pub pointer: String,
    /// `schemas`, `parameters`, `requestBodies`, `responses` or `headers`.
    pub kind: &'static str,
    /// The reference as written.
    pub target: &'a str,
}

/// Every schema of the document, with its JSON pointer, parents before children.
pub(super) fn schemas(doc: &Value) -> Vec<(String, &Mapping)> {
    let mut out = Vec::new();
    for (ptr, holder) in schema_holders(doc) {
        if let Some(schema) = holder.get("schema") {
            walk_schema(schema, format!("{ptr}/schema"), &mut out);
        }
    }
    for (name, schema) in entries(doc.get("components").and_then(|c| c.get("schemas"))) {
        walk_schema(
            schema,
            format!("/components/schemas/{}", escape(name)),
            &mut out,
        );
    }
    out
}

/// Every `$ref` in a position the generator reads.
pub(super) fn references<'a>(doc: &'a Value) -> Vec<Reference<'a>> {
    let mut out = Vec::new();
    let mut push = |pointer: String, kind: &'static str, value: &'a Value| {
        if let Some(target) = value.get("$ref").and_then(Value::as_str) {
            out.push(Reference {
                pointer,
                kind,
                target,
            });
        }
    };
    for (ptr, item) in path_items(doc) {
        for (i, p) in sequence(item.get("parameters")).iter().enumerate() {
            push(format!("{ptr}/parameters/{i}"), "parameters", p);
        }
        for (method, op) in operations(item) {
            let op_ptr = format!("{ptr}/{method}");
            for (i, p) in sequence(op.get("parameters")).iter().enumerate() {
                push(format!("{op_ptr}/parameters/{i}"), "parameters", p);
            }
            if let Some(body) = op.get("requestBody") {
                push(format!("{op_ptr}/requestBody"), "requestBodies", body);
            }
            for (code, response) in entries(op.get("responses")) {
                push(
                    format!("{op_ptr}/responses/{}", escape(code)),
                    "responses",
                    response,
                );
            }
        }
    }
    for (ptr, response) in responses(doc) {
        for (name, header) in entries(response.get("headers")) {
            push(format!("{ptr}/headers/{}", escape(name)), "headers", header);
        }
    }
    for (ptr, schema) in schemas(doc) {
        if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
            out.push(Reference {
                pointer: ptr,
                kind: "schemas",
                target,
            });
        }
    }
    out
}

/// The entries of `#/components/{kind}` that are `$ref`s themselves, with their pointers.
pub(super) fn component_aliases(doc: &Value) -> Vec<String> {
    let components = doc.get("components");
    let mut out = Vec::new();
    for kind in [
        "schemas",
        "parameters",
        "requestBodies",
        "responses",
        "headers",
    ] {
        for (name, entry) in entries(components.and_then(|c| c.get(kind))) {
            if entry.get("$ref").is_some() {
                out.push(format!("/components/{kind}/{}", escape(name)));
            }
        }
    }
    out
}

/// Whether `#/components/{kind}` has an entry `name`.
pub(super) fn has_component(doc: &Value, kind: &str, name: &str) -> bool {
    doc.get("components")
        .and_then(|c| c.get(kind))
        .and_then(|k| k.get(name))
        .is_some()
}

/// Objects that may hold a `schema`: parameters, media types and headers, wherever they are.
fn schema_holders(doc: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    let components = doc.get("components");
    for (ptr, item) in path_items(doc) {
        for (i, p) in sequence(item.get("parameters")).iter().enumerate() {
            parameter(format!("{ptr}/parameters/{i}"), p, &mut out);
        }
        for (method, op) in operations(item) {
            let op_ptr = format!("{ptr}/{method}");
            for (i, p) in sequence(op.get("parameters")).iter().enumerate() {
                parameter(format!("{op_ptr}/parameters/{i}"), p, &mut out);
            }
            if let Some(body) = op.get("requestBody") {
                media_types(&format!("{op_ptr}/requestBody"), body, &mut out);
            }
        }
    }
    for (name, p) in entries(components.and_then(|c| c.get("parameters"))) {
        parameter(
            format!("/components/parameters/{}", escape(name)),
            p,
            &mut out,
        );
    }
    for (name, body) in entries(components.and_then(|c| c.get("requestBodies"))) {
        media_types(
            &format!("/components/requestBodies/{}", escape(name)),
            body,
            &mut out,
        );
    }
    for (ptr, response) in responses(doc) {
        media_types(&ptr, response, &mut out);
        for (name, header) in entries(response.get("headers")) {
            out.push((format!("{ptr}/headers/{}", escape(name)), header));
        }
    }
    for (name, header) in entries(components.and_then(|c| c.get("headers"))) {
        out.push((format!("/components/headers/{}", escape(name)), header));
    }
    out
}

/// A parameter holds a `schema`, or media types in its `content`.
fn parameter<'a>(ptr: String, p: &'a Value, out: &mut Vec<(String, &'a Value)>) {
    media_types(&ptr, p, out);
    out.push((ptr, p));
}

/// The media types in `holder`'s `content`.
fn media_types<'a>(ptr: &str, holder: &'a Value, out: &mut Vec<(String, &'a Value)>) {
    for (media_type, media) in entries(holder.get("content")) {
        out.push((format!("{ptr}/content/{}", escape(media_type)), media));
    }
}

/// Every response, in operations and in `#/components/responses`.
fn responses(doc: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (ptr, item) in path_items(doc) {
        for (method, op) in operations(item) {
            for (code, response) in entries(op.get("responses")) {
                out.push((
                    format!("{ptr}/{method}/responses/{}", escape(code)),
                    response,
                ));
            }
        }
    }
    let components = doc.get("components");
    for (name, response) in entries(components.and_then(|c| c.get("responses"))) {
        out.push((format!("/components/responses/{}", escape(name)), response));
    }
    out
}

fn path_items(doc: &Value) -> Vec<(String, &Value)> {
    entries(doc.get("paths"))
        .into_iter()
        .map(|(path, item)| (format!("/paths/{}", escape(path)), item))
        .collect()
}

fn operations(item: &Value) -> Vec<(&'static str, &Value)> {
    METHODS
        .iter()
        .filter_map(|&m| item.get(m).map(|op| (m, op)))
        .collect()
}

/// Adds `schema` and every schema inside it.
fn walk_schema<'a>(schema: &'a Value, ptr: String, out: &mut Vec<(String, &'a Mapping)>) {
    let Some(map) = schema.as_mapping() else {
        return;
    };
    out.push((ptr.clone(), map));
    for (name, property) in entries(map.get("properties")) {
        walk_schema(property, format!("{ptr}/properties/{}", escape(name)), out);
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = map.get(key) {
            walk_schema(child, format!("{ptr}/{key}"), out);
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for (i, child) in sequence(map.get(key)).iter().enumerate() {
            walk_schema(child, format!("{ptr}/{key}/{i}"), out);
        }
    }
}

/// The string-keyed entries of a mapping; none for anything else.
fn entries(value: Option<&Value>) -> Vec<(&str, &Value)> {
    value
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.as_str()?, v)))
        .collect()
}

fn sequence(value: Option<&Value>) -> &[Value] {
    value
        .and_then(Value::as_sequence)
        .map_or(&[], Vec::as_slice)
}
