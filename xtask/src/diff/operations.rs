//! Compares operations: endpoints, parameters, request bodies and responses, as progenitor
//! turns them into `Client` methods and request builders.

use openapiv3::{
    OpenAPI, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr, RequestBody, Schema,
};
use thena_codegen::spec::{
    is_success, resolve_parameter, resolve_request_body, resolve_response, status_name,
};

use super::change::{Change, Group, breaking, compatible};
use super::schemas::{Place, Slot, compare as compare_schema};
use super::{keyed, union};
use crate::roles::Roles;
use crate::rust_names::{builder, client_method, pascal, snake};

/// An operation in one spec.
struct Op<'a> {
    spec: &'a OpenAPI,
    /// `POST /v1/tickets`.
    endpoint: String,
    op: &'a Operation,
}

/// The operations of a spec, keyed by operationId (by `METHOD path` when there is none).
fn operations(spec: &OpenAPI) -> Vec<(String, Op<'_>)> {
    let mut out = Vec::new();
    for (path, item) in spec.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in item.iter() {
            let endpoint = format!("{} {path}", method.to_uppercase());
            let key = op.operation_id.clone().unwrap_or_else(|| endpoint.clone());
            out.push((key, Op { spec, endpoint, op }));
        }
    }
    out
}

/// Compares every operation of the two specs.
pub fn compare(old_spec: &OpenAPI, new_spec: &OpenAPI, out: &mut Vec<Change>) {
    let (old, new) = (operations(old_spec), operations(new_spec));
    for (key, old, new) in union(&keyed(&old), &keyed(&new)) {
        let place = Place {
            group: Group::Operation(key.to_string()),
            item: client_method(key),
            within: String::new(),
            type_name: pascal(key),
            roles: Roles::REQUEST,
        };
        match (old, new) {
            (Some(old), Some(new)) => compare_operation(out, &place, key, old, new),
            (Some(old), None) => place.note(
                out,
                &format!("operation removed ({})", old.endpoint),
                breaking(format!(
                    "`{}` and `{}` no longer exist",
                    place.item,
                    builder(key)
                )),
            ),
            (None, Some(new)) => place.note(
                out,
                &format!("operation added ({})", new.endpoint),
                compatible("a new method"),
            ),
            (None, None) => {}
        }
    }
}

fn compare_operation(out: &mut Vec<Change>, place: &Place, key: &str, old: &Op<'_>, new: &Op<'_>) {
    if old.endpoint != new.endpoint {
        place.note(
            out,
            &format!("endpoint {} → {}", old.endpoint, new.endpoint),
            compatible("calls are unchanged; they go to the new endpoint"),
        );
    }
    if old.op.summary != new.op.summary {
        place.record_docs(out, "summary changed");
    }
    if old.op.description != new.op.description {
        place.record_docs(out, "description changed");
    }
    let member = |member: &str, type_suffix: &str, roles: Roles| Place {
        group: place.group.clone(),
        item: format!("{}::{member}", builder(key)),
        within: String::new(),
        type_name: format!("{}{type_suffix}", pascal(key)),
        roles,
    };
    parameters(out, &member, old, new);
    request_body(out, &member("body", "Body", Roles::REQUEST), old, new);
    responses(out, &member("send", "Response", Roles::RESPONSE), old, new);
}

/// The parameters of an operation, keyed by location and name.
fn parameters_of<'a>(op: &Op<'a>) -> Vec<(String, &'a Parameter)> {
    op.op
        .parameters
        .iter()
        .filter_map(|p| resolve_parameter(op.spec, p))
        .map(|p| {
            (
                format!("{} {}", location(p), p.parameter_data_ref().name),
                p,
            )
        })
        .collect()
}

/// Parameters: each is a builder setter named after it.
fn parameters(
    out: &mut Vec<Change>,
    member: &dyn Fn(&str, &str, Roles) -> Place,
    old: &Op<'_>,
    new: &Op<'_>,
) {
    let (old, new) = (parameters_of(old), parameters_of(new));
    for (_, a, b) in union(&keyed(&old), &keyed(&new)) {
        let Some(&p) = b.or(a) else {
            continue;
        };
        let data = p.parameter_data_ref();
        let setter = snake(&data.name);
        let place = member(&setter, &pascal(&data.name), Roles::REQUEST);
        let location = location(p);
        match (a, b) {
            (Some(a), Some(b)) => {
                let (a, b) = (a.parameter_data_ref(), b.parameter_data_ref());
                if a.description != b.description {
                    place.record_docs(out, "description changed");
                }
                if let (Some(sa), Some(sb)) = (schema(&a.format), schema(&b.format)) {
                    let slot = Slot::Field {
                        required: (a.required, b.required),
                        fails_at: "send()",
                    };
                    compare_schema(out, &place, slot, sa.into(), sb.into());
                }
            }
            (Some(_), None) => place.note(
                out,
                &format!("{location} parameter removed"),
                breaking(format!("calls to `.{setter}(..)` no longer compile")),
            ),
            (None, Some(_)) if data.required => place.note(
                out,
                &format!("{location} parameter added (required)"),
                breaking("calls that do not set it now fail at send()"),
            ),
            (None, Some(_)) => place.note(
                out,
                &format!("{location} parameter added (optional)"),
                compatible("calls may set it"),
            ),
            (None, None) => {}
        }
    }
}

/// The JSON request body of an operation and its schema.
fn body_of<'a>(op: &Op<'a>) -> Option<(&'a RequestBody, &'a ReferenceOr<Schema>)> {
    let body = resolve_request_body(op.spec, op.op.request_body.as_ref()?)?;
    let schema = body.content.get("application/json")?.schema.as_ref()?;
    Some((body, schema))
}

/// The request body, set with the builder's `body`.
fn request_body(out: &mut Vec<Change>, place: &Place, old: &Op<'_>, new: &Op<'_>) {
    match (body_of(old), body_of(new)) {
        (Some((a, sa)), Some((b, sb))) => {
            if a.required != b.required {
                let (what, impact) = if b.required {
                    (
                        "became required",
                        breaking("calls that set no body now fail"),
                    )
                } else {
                    (
                        "became optional",
                        compatible("calls may leave the body out"),
                    )
                };
                place.note(out, what, impact);
            }
            if a.description != b.description {
                place.record_docs(out, "description changed");
            }
            compare_schema(out, place, Slot::Value, sa.into(), sb.into());
        }
        (Some(_), None) => place.note(
            out,
            "request body removed",
            breaking("calls to `.body(..)` no longer compile"),
        ),
        (None, Some((b, _))) if b.required => place.note(
            out,
            "request body added (required)",
            breaking("existing calls set no body"),
        ),
        (None, Some(_)) => place.note(
            out,
            "request body added (optional)",
            compatible("calls may set a body"),
        ),
        (None, None) => {}
    }
}

/// A response as the SDK sees it: success or error, and the schema it decodes.
struct Response<'a> {
    success: bool,
    schema: Option<&'a ReferenceOr<Schema>>,
}

/// The responses of an operation, keyed by status code (`201`, `4XX`, `default`).
fn responses_of<'a>(op: &Op<'a>) -> Vec<(String, Response<'a>)> {
    let codes = op
        .op
        .responses
        .responses
        .iter()
        .map(|(code, r)| (status_name(code), is_success(code), r));
    let default = op
        .op
        .responses
        .default
        .iter()
        .map(|r| ("default".into(), false, r));
    codes
        .chain(default)
        .map(|(code, success, r)| {
            let schema = resolve_response(op.spec, r)
                .and_then(|r| r.content.get("application/json"))
                .and_then(|m| m.schema.as_ref());
            (code, Response { success, schema })
        })
        .collect()
}

/// Responses: each status decodes into what `send()` returns.
fn responses(out: &mut Vec<Change>, send: &Place, old: &Op<'_>, new: &Op<'_>) {
    let (old, new) = (responses_of(old), responses_of(new));
    for (code, a, b) in union(&keyed(&old), &keyed(&new)) {
        let place = send.inside(&format!("response {code}"), "");
        match (a, b) {
            (Some(a), Some(b)) => match (a.schema, b.schema) {
                (Some(sa), Some(sb)) => {
                    compare_schema(out, &place, Slot::Value, sa.into(), sb.into())
                }
                (None, None) => {}
                _ => place.note(
                    out,
                    "body schema added or removed",
                    breaking("the type it decodes into changes"),
                ),
            },
            (Some(a), None) => {
                let instead = if a.success {
                    "decoding"
                } else {
                    "Error::ErrorResponse"
                };
                place.note(
                    out,
                    "removed",
                    breaking(format!(
                        "a {code} response now ends in Error::UnexpectedResponse instead of {instead}"
                    )),
                );
            }
            (None, Some(_)) => place.note(
                out,
                "added",
                compatible(format!("a {code} response is now decoded")),
            ),
            (None, None) => {}
        }
    }
}

fn location(p: &Parameter) -> &'static str {
    match p {
        Parameter::Query { .. } => "query",
        Parameter::Header { .. } => "header",
        Parameter::Path { .. } => "path",
        Parameter::Cookie { .. } => "cookie",
    }
}

fn schema(format: &ParameterSchemaOrContent) -> Option<&ReferenceOr<Schema>> {
    match format {
        ParameterSchemaOrContent::Schema(s) => Some(s),
        ParameterSchemaOrContent::Content(_) => None,
    }
}
