//! Helpers for walking an OpenAPI document: JSON pointers, `$ref` resolution and response
//! status codes. Shared by [`crate::validate`] and by xtask's `lint` and `diff`, so that all
//! of them read a spec the same way.

use openapiv3::{OpenAPI, Parameter, ReferenceOr, RequestBody, Response, Schema, StatusCode};

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

/// The component schema a `$ref` points to.
pub fn resolve_schema<'a>(spec: &'a OpenAPI, reference: &str) -> Option<&'a Schema> {
    let name = schema_name(reference)?;
    spec.components.as_ref()?.schemas.get(name)?.as_item()
}

/// The response itself, or the `#/components/responses` entry it refers to.
pub fn resolve_response<'a>(
    spec: &'a OpenAPI,
    response: &'a ReferenceOr<Response>,
) -> Option<&'a Response> {
    match response {
        ReferenceOr::Item(r) => Some(r),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/responses/")?;
            spec.components.as_ref()?.responses.get(name)?.as_item()
        }
    }
}

/// The request body itself, or the `#/components/requestBodies` entry it refers to.
pub fn resolve_request_body<'a>(
    spec: &'a OpenAPI,
    body: &'a ReferenceOr<RequestBody>,
) -> Option<&'a RequestBody> {
    match body {
        ReferenceOr::Item(b) => Some(b),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/requestBodies/")?;
            spec.components
                .as_ref()?
                .request_bodies
                .get(name)?
                .as_item()
        }
    }
}

/// The parameter itself, or the `#/components/parameters` entry it refers to.
pub fn resolve_parameter<'a>(
    spec: &'a OpenAPI,
    parameter: &'a ReferenceOr<Parameter>,
) -> Option<&'a Parameter> {
    match parameter {
        ReferenceOr::Item(p) => Some(p),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/parameters/")?;
            spec.components.as_ref()?.parameters.get(name)?.as_item()
        }
    }
}

/// A status code as the spec writes it: `201`, `4XX`.
pub fn status_name(code: &StatusCode) -> String {
    match code {
        StatusCode::Code(n) => n.to_string(),
        StatusCode::Range(n) => format!("{n}XX"),
    }
}

/// Whether progenitor treats responses with this code as success (1XX–3XX) rather than error.
pub fn is_success(code: &StatusCode) -> bool {
    match code {
        StatusCode::Code(n) => (100..400).contains(n),
        StatusCode::Range(n) => *n < 4,
    }
}
