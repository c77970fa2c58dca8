//! Compares operations: endpoints, parameters, request bodies and responses, as progenitor
//! turns them into `Client` methods and request builders.

use openapiv3::{OpenAPI, ParameterSchemaOrContent};
use thena_codegen::operations::{self as model, Content, Operation};

use super::change::{Change, Group, breaking, compatible};
use super::presence::Slot;
use super::schemas::{Place, compare as compare_schema, enum_components};
use super::{keyed, union};
use crate::roles::Roles;
use crate::rust_names::{builder, client_method, pascal, snake};

/// An operation in one spec, as the generator builds it.
struct Op<'a> {
    /// `POST /v1/tickets`.
    endpoint: String,
    op: Operation<'a>,
}

/// The operations of a spec, keyed by operationId (by `METHOD path` when there is none).
fn operations(spec: &OpenAPI) -> Vec<(String, Op<'_>)> {
    model::operations(spec)
        .into_iter()
        .map(|op| {
            let endpoint = format!("{} {}", op.method.to_uppercase(), op.path);
            let key = op
                .operation
                .operation_id
                .clone()
                .unwrap_or_else(|| endpoint.clone());
            (key, Op { endpoint, op })
        })
        .collect()
}

/// Compares every operation of the two specs.
pub fn compare(old_spec: &OpenAPI, new_spec: &OpenAPI, out: &mut Vec<Change>) {
    let (old, new) = (operations(old_spec), operations(new_spec));
    let enums = enum_components(new_spec);
    for (key, old, new) in union(&keyed(&old), &keyed(&new)) {
        let place = Place {
            group: Group::Operation(key.to_string()),
            item: client_method(key),
            within: String::new(),
            type_name: pascal(key),
            roles: Roles::REQUEST,
            enums: enums.clone(),
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
    let (a, b) = (old.op.operation, new.op.operation);
    if a.summary != b.summary {
        place.record_docs(out, "summary changed");
    }
    if a.description != b.description {
        place.record_docs(out, "description changed");
    }
    let member = |member: &str, type_suffix: &str, roles: Roles| Place {
        group: place.group.clone(),
        item: format!("{}::{member}", builder(key)),
        within: String::new(),
        type_name: format!("{}{type_suffix}", pascal(key)),
        roles,
        ..place.clone()
    };
    parameters(out, &member, old, new);
    request_body(out, &member("body", "Body", Roles::REQUEST), old, new);
    responses(out, &member("send", "Response", Roles::RESPONSE), old, new);
}

/// The parameters of an operation (its path item's included), keyed by location and name.
fn parameters_of<'a>(op: &'a Op<'_>) -> Vec<(String, &'a model::Parameter<'a>)> {
    op.op
        .parameters
        .iter()
        .map(|p| (format!("{} {}", p.location(), p.name()), p))
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
        let setter = snake(p.name());
        let place = member(&setter, &pascal(p.name()), Roles::REQUEST);
        let location = p.location();
        match (a, b) {
            (Some(a), Some(b)) => {
                let (a, b) = (
                    a.parameter.parameter_data_ref(),
                    b.parameter.parameter_data_ref(),
                );
                if a.description != b.description {
                    place.record_docs(out, "description changed");
                }
                if let (
                    ParameterSchemaOrContent::Schema(sa),
                    ParameterSchemaOrContent::Schema(sb),
                ) = (&a.format, &b.format)
                {
                    let slot = Slot::Parameter {
                        required: (a.required, b.required),
                        query: location == "query",
                    };
                    compare_schema(out, &place, slot, sa.into(), sb.into());
                }
            }
            (Some(_), None) => place.note(
                out,
                &format!("{location} parameter removed"),
                breaking(format!("calls to `.{setter}(..)` no longer compile")),
            ),
            (None, Some(_)) if p.parameter.parameter_data_ref().required => place.note(
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

/// What a body carries, as reports name it.
fn carries(content: &Content<'_>) -> String {
    match content {
        Content::None => "nothing".into(),
        Content::Json { .. } => "JSON".into(),
        Content::Other { media_type } => (*media_type).to_string(),
    }
}

/// The request body, set with the builder's `body`.
fn request_body(out: &mut Vec<Change>, place: &Place, old: &Op<'_>, new: &Op<'_>) {
    match (&old.op.body, &new.op.body) {
        (Some(a), Some(b)) => {
            if a.body.required != b.body.required {
                let (what, impact) = if b.body.required {
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
            if a.body.description != b.body.description {
                place.record_docs(out, "description changed");
            }
            content(out, place, &a.content, &b.content);
        }
        (Some(_), None) => place.note(
            out,
            "request body removed",
            breaking("calls to `.body(..)` no longer compile"),
        ),
        (None, Some(b)) if b.body.required => place.note(
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

/// The content of a body or response: JSON schemas are compared; the generator types
/// anything else as raw bytes, so only a change between JSON, raw and nothing counts. A
/// media type's parameters (`; charset=utf-8`) change nothing in the SDK.
fn content(out: &mut Vec<Change>, place: &Place, old: &Content<'_>, new: &Content<'_>) {
    match (old, new) {
        (Content::Json { .. }, Content::Json { .. }) => {
            if let (Some(a), Some(b)) = (old.schema(), new.schema()) {
                compare_schema(out, place, Slot::Value, a.into(), b.into());
            }
        }
        (Content::Other { .. }, Content::Other { .. }) | (Content::None, Content::None) => {}
        _ => place.note(
            out,
            &format!("body {} → {}", carries(old), carries(new)),
            breaking("the type it is built from or decoded into changes"),
        ),
    }
}

/// The responses of an operation, keyed by status (`201`, `4XX`, `default`).
fn responses_of<'a>(op: &'a Op<'_>) -> Vec<(String, &'a model::Response<'a>)> {
    op.op
        .responses
        .iter()
        .map(|r| (r.status.clone(), r))
        .collect()
}

/// Responses: each status decodes into what `send()` returns.
fn responses(out: &mut Vec<Change>, send: &Place, old: &Op<'_>, new: &Op<'_>) {
    let (old, new) = (responses_of(old), responses_of(new));
    for (code, a, b) in union(&keyed(&old), &keyed(&new)) {
        let place = send.inside(&format!("response {code}"), "");
        match (a, b) {
            (Some(a), Some(b)) => content(out, &place, &a.content, &b.content),
            (Some(a), None) => {
                let instead = match (a.class.success, a.class.error) {
                    (true, false) => "decoding",
                    (false, true) => "Error::ErrorResponse",
                    _ => "decoding or Error::ErrorResponse",
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
