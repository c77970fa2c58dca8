//! Helpers for walking an OpenAPI document: JSON pointers, `$ref` resolution, media types
//! and response status codes. Shared by [`crate::validate`], [`crate::operations`] and by
//! xtask's `lint` and `diff`, so that all of them read a spec the way the generator does.

use openapiv3::{
    Components, OpenAPI, Parameter, ReferenceOr, RequestBody, Response, Schema, StatusCode,
};

const SCHEMAS: &str = "#/components/schemas/";

/// Escapes a JSON pointer segment (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The component name a schema `$ref` points to (`#/components/schemas/Ticket` → `Ticket`),
/// or `None` for a reference outside `#/components/schemas`.
pub fn schema_name(reference: &str) -> Option<&str> {
    reference.strip_prefix(SCHEMAS)
}

/// The component schema a `$ref` points to, found as typify finds it: by the reference's
/// last segment, unescaped, among the component schemas (typify panics on a reference that
/// does not start with `#`).
pub fn resolve_schema<'a>(spec: &'a OpenAPI, reference: &str) -> Option<&'a Schema> {
    if !reference.starts_with('#') {
        return None;
    }
    let (_, last) = reference.rsplit_once('/')?;
    let name = last.replace("~1", "/").replace("~0", "~");
    spec.components.as_ref()?.schemas.get(&name)?.as_item()
}

/// Follows `$ref`s to a component as progenitor does: by the reference's last segment, as
/// written, among the components of that kind, through references to references. A
/// reference that leads nowhere, or round in a circle, gives `None`.
fn resolve<'a, T>(
    spec: &'a OpenAPI,
    item: &'a ReferenceOr<T>,
    entry: for<'c> fn(&'c Components, &str) -> Option<&'c ReferenceOr<T>>,
) -> Option<&'a T> {
    let components = spec.components.as_ref();
    let mut item = item;
    // A chain longer than all components together is a cycle.
    let limit = components.map_or(0, count);
    for _ in 0..=limit {
        match item {
            ReferenceOr::Item(found) => return Some(found),
            ReferenceOr::Reference { reference } => {
                let (_, key) = reference.rsplit_once('/')?;
                item = entry(components?, key)?;
            }
        }
    }
    None
}

fn count(c: &Components) -> usize {
    c.responses.len() + c.request_bodies.len() + c.parameters.len()
}

/// The response itself, or the `#/components/responses` entry it refers to.
pub fn resolve_response<'a>(
    spec: &'a OpenAPI,
    response: &'a ReferenceOr<Response>,
) -> Option<&'a Response> {
    resolve(spec, response, |c, key| c.responses.get(key))
}

/// The request body itself, or the `#/components/requestBodies` entry it refers to.
pub fn resolve_request_body<'a>(
    spec: &'a OpenAPI,
    body: &'a ReferenceOr<RequestBody>,
) -> Option<&'a RequestBody> {
    resolve(spec, body, |c, key| c.request_bodies.get(key))
}

/// The parameter itself, or the `#/components/parameters` entry it refers to.
pub fn resolve_parameter<'a>(
    spec: &'a OpenAPI,
    parameter: &'a ReferenceOr<Parameter>,
) -> Option<&'a Parameter> {
    resolve(spec, parameter, |c, key| c.parameters.get(key))
}

/// Whether progenitor treats a media type as JSON: `application/json`, with or without
/// parameters (`application/json; charset=utf-8`). Nothing else is, not even
/// `application/problem+json`.
pub fn is_json(media_type: &str) -> bool {
    media_type.split(';').next() == Some("application/json")
}

/// A status code as the spec writes it: `201`, `4XX`.
pub fn status_name(code: &StatusCode) -> String {
    match code {
        StatusCode::Code(n) => n.to_string(),
        StatusCode::Range(n) => format!("{n}XX"),
    }
}

/// Where progenitor puts the responses with a status: the success type that `send()`
/// returns, the error type in `Error::ErrorResponse`, or nowhere (the response ends in
/// `Error::UnexpectedResponse`). `default` is in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusClass {
    /// Decoded as the success type.
    pub success: bool,
    /// Decoded as the error type.
    pub error: bool,
}

/// The class progenitor gives a status code (its `is_success_or_default` and
/// `is_error_or_default`): 101 and 2xx succeed, 4xx and 5xx fail, the rest are ignored.
pub fn status_class(code: &StatusCode) -> StatusClass {
    let (success, error) = match code {
        StatusCode::Code(n) => (*n == 101 || (200..300).contains(n), (400..600).contains(n)),
        StatusCode::Range(n) => (*n == 2, (4..=5).contains(n)),
    };
    StatusClass { success, error }
}

/// The class of the `default` response: both success and error.
pub const DEFAULT_CLASS: StatusClass = StatusClass {
    success: true,
    error: true,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types_are_progenitors() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/json;charset=utf-8"));
        assert!(!is_json("application/json ; charset=utf-8"));
        assert!(!is_json("application/problem+json"));
        assert!(!is_json("Application/JSON"));
    }

    #[test]
    fn status_classes_are_progenitors() {
        let class = |code| status_class(&code);
        assert!(class(StatusCode::Code(201)).success);
        assert!(class(StatusCode::Range(2)).success);
        assert!(class(StatusCode::Code(101)).success);
        assert!(class(StatusCode::Code(404)).error);
        assert!(class(StatusCode::Range(5)).error);
        let ignored = StatusClass {
            success: false,
            error: false,
        };
        assert_eq!(class(StatusCode::Code(302)), ignored);
        assert_eq!(class(StatusCode::Code(100)), ignored);
        assert_eq!(class(StatusCode::Range(3)), ignored);
    }

    #[test]
    fn references_resolve_by_their_last_segment_and_cycles_end() {
        let spec: OpenAPI = serde_yaml::from_str(
            r##"
openapi: 3.0.3
info: { title: t, version: "1" }
paths: {}
components:
  responses:
    Ok: { description: ok }
    Alias: { $ref: "#/components/responses/Ok" }
    Loop: { $ref: "#/components/responses/Loop" }
  schemas:
    a/b: { type: string }
"##,
        )
        .expect("parses");
        let found = |r: &str| {
            let reference = ReferenceOr::Reference {
                reference: r.to_string(),
            };
            resolve_response(&spec, &reference).map(|r| r.description.clone())
        };
        let ok = Some("ok".to_string());
        assert_eq!(found("#/components/responses/Ok"), ok);
        assert_eq!(found("#/components/responses/Alias"), ok);
        assert_eq!(found("#/elsewhere/Ok"), ok);
        assert_eq!(found("#/components/responses/Loop"), None);
        assert_eq!(found("#/components/responses/Missing"), None);
        assert!(resolve_schema(&spec, "#/components/schemas/a~1b").is_some());
        assert!(resolve_schema(&spec, "other.yaml#/a~1b").is_none());
    }
}
