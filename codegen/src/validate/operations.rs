//! Operations progenitor can build: an operationId each, parameters it can send, path
//! templates that match their parameters, one JSON request body, and one success and one
//! error type per operation. Each rule stands for a refusal, a panic or a silently
//! dropped part in progenitor 0.15; the unit tests name which.

use std::collections::HashSet;

use openapiv3::{
    HeaderStyle, OpenAPI, Parameter, ParameterSchemaOrContent, PathStyle, QueryStyle, ReferenceOr,
    Schema, SchemaKind, Type,
};

use super::{Violation, violation};
use crate::operations::{Body, Content, Operation, Response, media_pointer, operations};
use crate::spec::resolve_schema;

pub(super) fn check(spec: &OpenAPI, out: &mut Vec<Violation>) {
    let mut ids = HashSet::new();
    for op in operations(spec) {
        match &op.operation.operation_id {
            None => out.push(violation(
                &op.pointer,
                "every operation needs an operationId (it names the Rust method)",
            )),
            Some(id) if !ids.insert(id.as_str()) => out.push(violation(
                &format!("{}/operationId", op.pointer),
                &format!("operationId {id:?} is used twice"),
            )),
            Some(_) => {}
        }
        parameters(spec, &op, out);
        path_template(&op, out);
        if let Some(body) = &op.body {
            request_body(body, out);
        }
        responses(&op, out);
    }
}

/// Parameters progenitor turns into setters; it refuses or panics on anything else.
fn parameters(spec: &OpenAPI, op: &Operation<'_>, out: &mut Vec<Violation>) {
    for p in &op.parameters {
        let data = p.parameter.parameter_data_ref();
        let rule = match p.parameter {
            Parameter::Path { style, .. } if *style != PathStyle::Simple => {
                Some("a path parameter must have style simple (progenitor refuses others)")
            }
            Parameter::Path { .. } if !data.required => {
                Some("a path parameter must be `required: true` (progenitor panics otherwise)")
            }
            Parameter::Query { style, .. } if *style != QueryStyle::Form => {
                Some("a query parameter must have style form (progenitor refuses others)")
            }
            Parameter::Header { style, .. } if *style != HeaderStyle::Simple => {
                Some("a header parameter must have style simple (progenitor refuses others)")
            }
            Parameter::Cookie { .. } => Some("cookie parameters are not supported by progenitor"),
            // The generated code converts a header value with `?` into the SDK's Error,
            // which has no conversion from reqwest's InvalidHeaderValue.
            Parameter::Header { .. } => Some(
                "header parameters are not supported: the SDK's Error cannot hold an invalid \
                 header value, so the generated code would not compile",
            ),
            _ if matches!(data.format, ParameterSchemaOrContent::Content(_)) => {
                Some("a parameter needs a `schema`, not `content` (progenitor refuses `content`)")
            }
            Parameter::Query { .. } if !plain(spec, &data.format, true) => Some(
                "a query parameter must be a string, number, integer or boolean, or an array \
                 of them (progenitor cannot build a setter for anything else)",
            ),
            Parameter::Path { .. } if !plain(spec, &data.format, false) => Some(
                "a path parameter must be a string, number, integer or boolean (progenitor \
                 cannot build a setter for anything else)",
            ),
            _ => None,
        };
        if let Some(rule) = rule {
            out.push(violation(&p.pointer, rule));
        }
    }
    same_name_elsewhere(spec, op, out);
}

/// Whether a parameter's schema is a plain value (or, where `arrays`, an array of them).
fn plain(spec: &OpenAPI, format: &ParameterSchemaOrContent, arrays: bool) -> bool {
    fn kind<'a>(spec: &'a OpenAPI, schema: &'a ReferenceOr<Schema>) -> Option<&'a SchemaKind> {
        match schema {
            ReferenceOr::Item(s) => Some(&s.schema_kind),
            ReferenceOr::Reference { reference } => {
                resolve_schema(spec, reference).map(|s| &s.schema_kind)
            }
        }
    }
    let scalar = |k: Option<&SchemaKind>| {
        matches!(
            k,
            Some(SchemaKind::Type(
                Type::String(_) | Type::Number(_) | Type::Integer(_) | Type::Boolean(_)
            ))
        )
    };
    let ParameterSchemaOrContent::Schema(schema) = format else {
        return false;
    };
    match kind(spec, schema) {
        Some(SchemaKind::Type(Type::Array(a))) if arrays => a.items.as_ref().is_some_and(|i| {
            scalar(match i {
                ReferenceOr::Item(s) => Some(&s.schema_kind),
                ReferenceOr::Reference { reference } => {
                    resolve_schema(spec, reference).map(|s| &s.schema_kind)
                }
            })
        }),
        k => scalar(k),
    }
}

/// progenitor keys an operation's parameters by name alone: of two with the same name,
/// the later one (the operation's over the path item's) silently replaces the other, even
/// when they travel in different places.
fn same_name_elsewhere(spec: &OpenAPI, op: &Operation<'_>, out: &mut Vec<Violation>) {
    let Some(item) = spec
        .paths
        .paths
        .get(op.path)
        .and_then(|item| item.as_item())
    else {
        return;
    };
    let path_ptr = op.pointer.rsplit_once('/').map_or("", |(p, _)| p);
    let lists = [
        (format!("{path_ptr}/parameters"), &item.parameters),
        (
            format!("{}/parameters", op.pointer),
            &op.operation.parameters,
        ),
    ];
    let mut seen: Vec<(String, &str, &str)> = Vec::new();
    for (list_ptr, list) in &lists {
        let mut in_this_list = HashSet::new();
        for (i, p) in list.iter().enumerate() {
            let Some(p) = crate::spec::resolve_parameter(spec, p) else {
                continue;
            };
            let (name, location) = (p.parameter_data_ref().name.as_str(), location(p));
            let ptr = format!("{list_ptr}/{i}");
            let earlier = seen.iter().find(|(_, n, _)| *n == name);
            let rule = if !in_this_list.insert(name) {
                Some(format!(
                    "parameter {name:?} is listed twice here; progenitor keeps only the last"
                ))
            } else if let Some((at, _, was)) = earlier.filter(|(_, _, l)| *l != location) {
                Some(format!(
                    "parameter {name:?} in {location} would replace the {was} parameter of the \
                     same name at {at}: progenitor keys parameters by name alone"
                ))
            } else {
                None
            };
            if let Some(rule) = rule {
                out.push(violation(&ptr, &rule));
            }
            seen.push((ptr, name, location));
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

/// The path template, parsed as progenitor parses it, must name exactly the path
/// parameters: progenitor panics on a name without a parameter and on two parameters it
/// cannot place, and a parameter it cannot place would be a setter that does nothing.
fn path_template(op: &Operation<'_>, out: &mut Vec<Violation>) {
    let path_ptr = op.pointer.rsplit_once('/').map_or("", |(p, _)| p);
    let names = match template_names(op.path) {
        Ok(names) => names,
        Err(why) => {
            out.push(violation(
                path_ptr,
                &format!("progenitor cannot parse the path template: {why}"),
            ));
            return;
        }
    };
    let path_params: Vec<_> = op
        .parameters
        .iter()
        .filter(|p| matches!(p.parameter, Parameter::Path { .. }))
        .collect();
    for name in &names {
        if !path_params.iter().any(|p| p.name() == name) {
            out.push(violation(
                &op.pointer,
                &format!(
                    "the path has {{{name}}} but the operation has no path parameter {name:?}"
                ),
            ));
        }
    }
    for p in path_params {
        if !names.iter().any(|n| n == p.name()) {
            out.push(violation(
                &p.pointer,
                &format!("path parameter {:?} does not appear in the path", p.name()),
            ));
        }
    }
}

/// The `{names}` of a path template, or why progenitor's parser refuses it.
fn template_names(path: &str) -> Result<Vec<String>, String> {
    if !path.starts_with('/') {
        return Err("a path must start with a slash".into());
    }
    let mut names = Vec::new();
    let mut name: Option<String> = None;
    for c in path.chars() {
        match (&mut name, c) {
            (None, '{') => name = Some(String::new()),
            (None, '}') => return Err("unexpected `}`".into()),
            (None, _) => {}
            (Some(n), '}') if n.contains(['/', '{']) => {
                return Err(format!("invalid parameter name {n:?}"));
            }
            (Some(n), '}') => names.push(std::mem::take(n)),
            (Some(n), c) => n.push(c),
        }
        if c == '}' {
            name = None;
        }
    }
    match name {
        Some(_) => Err("unterminated parameter".into()),
        None => Ok(names),
    }
}

/// progenitor takes a request body's only media type (and panics on more), needs its
/// schema, and panics on an `encoding`. The SDK sends JSON only, so that is the one
/// media type.
fn request_body(body: &Body<'_>, out: &mut Vec<Violation>) {
    let content = &body.body.content;
    if content.len() > 1 {
        let all: Vec<_> = content.keys().map(String::as_str).collect();
        out.push(violation(
            &format!("{}/content", body.pointer),
            &format!(
                "a request body must have exactly one media type (progenitor panics on more \
                 media types than expected); found {}: {}",
                all.len(),
                all.join(", ")
            ),
        ));
    }
    match body.content {
        Content::Json { media_type, media } => {
            json_media(&media_pointer(&body.pointer, media_type), media, out)
        }
        Content::Other { media_type } => out.push(violation(
            &media_pointer(&body.pointer, media_type),
            "a request body must be JSON (`application/json`, parameters allowed): the SDK \
             sends JSON only",
        )),
        Content::None => {}
    }
}

/// progenitor panics on a JSON media type without a schema or with an `encoding`.
fn json_media(ptr: &str, media: &openapiv3::MediaType, out: &mut Vec<Violation>) {
    if media.schema.is_none() {
        out.push(violation(
            ptr,
            "a JSON media type needs a schema (progenitor panics without one)",
        ));
    }
    if !media.encoding.is_empty() {
        out.push(violation(
            &format!("{ptr}/encoding"),
            "a JSON media type must not have an `encoding` (progenitor panics on it)",
        ));
    }
}

/// What progenitor generates for one response: the type its schema becomes, raw bytes,
/// or nothing.
#[derive(PartialEq)]
enum Kind<'a> {
    Json(Option<&'a openapiv3::ReferenceOr<openapiv3::Schema>>),
    Raw,
    Nothing,
}

fn kind<'a>(r: &Response<'a>) -> Kind<'a> {
    match r.content {
        Content::Json { media, .. } => Kind::Json(media.schema.as_ref()),
        Content::Other { .. } => Kind::Raw,
        Content::None => Kind::Nothing,
    }
}

/// Statuses progenitor decodes, JSON content the SDK can decode, and one type for each
/// side: progenitor panics when the responses it decodes as success (or as error) would
/// need two.
fn responses(op: &Operation<'_>, out: &mut Vec<Violation>) {
    for r in &op.responses {
        if !r.class.success && !r.class.error || r.status == "101" {
            out.push(violation(
                &r.pointer,
                &format!(
                    "status {} is neither 2XX, 4XX, 5XX nor default: progenitor ignores it, so \
                     such a response would end in Error::UnexpectedResponse",
                    r.status
                ),
            ));
        }
        match r.content {
            Content::Json { media_type, media } => {
                json_media(&media_pointer(&r.defined_at, media_type), media, out)
            }
            // progenitor decodes other content as a byte stream and no content as `()`,
            // through ResponseValue::stream and ::empty, which the SDK's runtime has not.
            Content::Other { .. } | Content::None => out.push(violation(
                &r.defined_at,
                "a response needs JSON content (`application/json`, parameters allowed): the \
                 SDK decodes JSON only, so the generated code would not compile",
            )),
        }
    }
    for success in [true, false] {
        let mut side: Vec<&Response<'_>> = op
            .responses
            .iter()
            .filter(|r| {
                if success {
                    r.class.success
                } else {
                    r.class.error
                }
            })
            .collect();
        // progenitor's rule: after sorting by code, a `default` right after `2XX` is
        // never reached for success, so it does not count there.
        if success {
            let mut sorted = side.clone();
            sorted.sort_by_key(|r| order(r));
            if let [.., range, default] = sorted.as_slice()
                && range.is_range
                && range.status == "2XX"
                && default.status == "default"
            {
                side.retain(|r| r.status != "default");
            }
        }
        let Some(first) = side.first() else {
            continue;
        };
        for r in &side[1..] {
            if kind(r) != kind(first) {
                out.push(violation(
                    &r.pointer,
                    &format!(
                        "all {} responses of an operation must share one schema (progenitor \
                         panics on mixed types); this one differs from response {}",
                        if success { "success" } else { "error" },
                        first.status
                    ),
                ));
            }
        }
    }
}

/// progenitor's order of responses: by code, a range as its hundred, `default` last.
fn order(r: &Response<'_>) -> u16 {
    match r.status.strip_suffix("XX") {
        _ if r.status == "default" => 1000,
        Some(hundreds) => hundreds.parse::<u16>().map_or(1000, |h| h * 100),
        None => r.status.parse().unwrap_or(1000),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, generator_refuses, single, violations};
    use super::template_names;

    #[test]
    fn templates_parse_as_progenitor_parses_them() {
        assert_eq!(
            template_names("/v1/t/{id}/x/{y}"),
            Ok(vec!["id".into(), "y".into()])
        );
        assert!(template_names("v1/t").is_err());
        assert!(template_names("/v1/t}").is_err());
        assert!(template_names("/v1/{id").is_err());
        assert!(template_names("/v1/{a{b}").is_err());
    }

    #[test]
    fn missing_operation_id_is_refused() {
        let spec = BASE.replace("operationId: createThing", "");
        generator_refuses(&spec);
        let v = single(&spec);
        assert_eq!(v.pointer, "/paths/~1v1~1things/post");
        assert!(v.rule.contains("operationId"), "{v}");
    }

    #[test]
    fn duplicate_operation_id_is_refused() {
        let spec = BASE.replace(
            "components:",
            "  /v1/other:\n    get:\n      operationId: createThing\n      responses:\n        \"200\": { $ref: \"#/components/responses/Ok\" }\ncomponents:",
        );
        generator_refuses(&spec);
        let v = single(&spec);
        assert_eq!(v.pointer, "/paths/~1v1~1other/get/operationId");
        assert!(v.rule.contains("used twice"), "{v}");
    }

    fn with_parameter(param: &str) -> String {
        BASE.replace(
            "      operationId: createThing\n",
            &format!("      operationId: createThing\n      parameters:\n        - {param}\n"),
        )
    }

    #[test]
    fn optional_path_parameter_is_refused() {
        let spec = BASE
            .replace("/v1/things:", "/v1/things/{id}:")
            .replace(
                "      operationId: createThing\n",
                "      operationId: createThing\n      parameters:\n        - { name: id, in: path, schema: { type: string } }\n",
            );
        generator_refuses(&spec);
        let v = single(&spec);
        assert_eq!(v.pointer, "/paths/~1v1~1things~1{id}/post/parameters/0");
        assert!(v.rule.contains("required: true"), "{v}");
    }

    #[test]
    fn unsupported_parameters_are_refused() {
        for (param, says) in [
            (
                "{ name: c, in: cookie, schema: { type: string } }",
                "cookie",
            ),
            (
                "{ name: q, in: query, style: deepObject, schema: { type: object } }",
                "style form",
            ),
            (
                "{ name: q, in: query, content: { application/json: { schema: { type: string } } } }",
                "`content`",
            ),
            (
                "{ name: q, in: query, schema: { type: object, properties: { a: { type: string } } } }",
                "a query parameter must be",
            ),
        ] {
            generator_refuses(&with_parameter(param));
            let v = single(&with_parameter(param));
            assert_eq!(v.pointer, "/paths/~1v1~1things/post/parameters/0");
            assert!(v.rule.contains(says), "{param}: {v}");
        }
    }

    #[test]
    fn header_parameters_are_refused() {
        let v = single(&with_parameter(
            "{ name: X-Tenant, in: header, schema: { type: string } }",
        ));
        assert_eq!(v.pointer, "/paths/~1v1~1things/post/parameters/0");
        assert!(
            v.rule.contains("header parameters are not supported"),
            "{v}"
        );
    }

    #[test]
    fn path_template_must_match_path_parameters() {
        generator_refuses(&BASE.replace("/v1/things:", "/v1/things/{id}:"));
        let v = single(&BASE.replace("/v1/things:", "/v1/things/{id}:"));
        assert_eq!(v.pointer, "/paths/~1v1~1things~1{id}/post");
        assert!(v.rule.contains("no path parameter \"id\""), "{v}");
        // One such parameter builds, as a setter that changes nothing; two make
        // progenitor panic.
        let id = "{ name: id, in: path, required: true, schema: { type: string } }";
        generator_refuses(&with_parameter(&format!(
            "{id}\n        - {}",
            id.replace("id,", "id2,")
        )));
        let v = single(&with_parameter(id));
        assert_eq!(v.pointer, "/paths/~1v1~1things/post/parameters/0");
        assert!(v.rule.contains("does not appear in the path"), "{v}");
        generator_refuses(&BASE.replace("/v1/things:", "/v1/things}:"));
        let v = single(&BASE.replace("/v1/things:", "/v1/things}:"));
        assert_eq!(v.pointer, "/paths/~1v1~1things}");
        assert!(v.rule.contains("path template"), "{v}");
    }

    #[test]
    fn a_parameter_may_not_replace_one_elsewhere() {
        let spec = BASE
            .replace("/v1/things:\n", "/v1/things:\n    parameters:\n      - { name: q, in: header, schema: { type: string } }\n")
            .replace(
                "      operationId: createThing\n",
                "      operationId: createThing\n      parameters:\n        - { name: q, in: query, schema: { type: string } }\n",
            );
        let v = single(&spec);
        assert_eq!(v.pointer, "/paths/~1v1~1things/post/parameters/0");
        assert!(v.rule.contains("by name alone"), "{v}");
        // The same name in the same place is an override, as OpenAPI means it.
        assert_eq!(violations(&spec.replace("in: header", "in: query")), vec![]);
    }

    #[test]
    fn a_parameter_may_not_be_listed_twice() {
        let p = "{ name: q, in: query, schema: { type: string } }";
        let v = single(&with_parameter(&format!("{p}\n        - {p}")));
        assert_eq!(v.pointer, "/paths/~1v1~1things/post/parameters/1");
        assert!(v.rule.contains("listed twice"), "{v}");
    }

    /// BASE with the request body's content replaced.
    fn with_body(content: &str) -> String {
        BASE.replace(
            "content: { application/json: { schema: { $ref: \"#/components/schemas/Input\" } } }",
            &format!("content: {content}"),
        )
    }

    #[test]
    fn two_request_media_types_are_refused() {
        let spec = with_body(
            "{ application/json: { schema: { type: string } }, application/xml: { schema: { type: string } } }",
        );
        generator_refuses(&spec);
        let v = single(&spec);
        assert_eq!(v.pointer, "/paths/~1v1~1things/post/requestBody/content");
        assert!(v.rule.contains("more media types than expected"), "{v}");
    }

    #[test]
    fn request_bodies_are_json_with_a_schema_and_no_encoding() {
        assert_eq!(
            violations(&with_body(
                "{ \"application/json; charset=utf-8\": { schema: { type: string } } }"
            )),
            vec![]
        );
        let v = single(&with_body("{ text/plain: { schema: { type: string } } }"));
        assert_eq!(
            v.pointer,
            "/paths/~1v1~1things/post/requestBody/content/text~1plain"
        );
        assert!(v.rule.contains("must be JSON"), "{v}");
        generator_refuses(&with_body("{ application/json: {} }"));
        let v = single(&with_body("{ application/json: {} }"));
        assert_eq!(
            v.pointer,
            "/paths/~1v1~1things/post/requestBody/content/application~1json"
        );
        assert!(v.rule.contains("needs a schema"), "{v}");
        let spec = with_body(
            "{ application/json: { schema: { type: object }, encoding: { a: { contentType: text/plain } } } }",
        );
        generator_refuses(&spec);
        let v = single(&spec);
        assert_eq!(
            v.pointer,
            "/paths/~1v1~1things/post/requestBody/content/application~1json/encoding"
        );
    }

    #[test]
    fn json_response_without_schema_is_refused() {
        let spec = BASE.replace(
            "content: { application/json: { schema: { $ref: \"#/components/schemas/Problem\" } } }",
            "content: { application/json: {} }",
        );
        generator_refuses(&spec);
        let v = single(&spec);
        assert_eq!(
            v.pointer,
            "/components/responses/Err/content/application~1json"
        );
        assert!(v.rule.contains("needs a schema"), "{v}");
    }

    #[test]
    fn ignored_statuses_are_refused() {
        let v = single(&BASE.replace(
            "\"4XX\": { $ref: \"#/components/responses/Err\" }",
            "\"4XX\": { $ref: \"#/components/responses/Err\" }\n        \"302\": { $ref: \"#/components/responses/Err\" }",
        ));
        assert_eq!(v.pointer, "/paths/~1v1~1things/post/responses/302");
        assert!(v.rule.contains("progenitor ignores it"), "{v}");
    }

    #[test]
    fn mixed_success_types_are_refused() {
        let spec = BASE.replace(
            "\"4XX\": { $ref: \"#/components/responses/Err\" }",
            "\"4XX\": { $ref: \"#/components/responses/Err\" }\n        \"200\": { $ref: \"#/components/responses/Err\" }",
        );
        generator_refuses(&spec);
        let v = single(&spec);
        assert_eq!(v.pointer, "/paths/~1v1~1things/post/responses/200");
        assert!(v.rule.contains("success") && v.rule.contains("201"), "{v}");
    }

    #[test]
    fn mixed_error_types_are_refused() {
        let spec = BASE.replace(
            "\"4XX\": { $ref: \"#/components/responses/Err\" }",
            "\"4XX\": { $ref: \"#/components/responses/Err\" }\n        \"5XX\": { $ref: \"#/components/responses/Ok\" }",
        );
        generator_refuses(&spec);
        let v = single(&spec);
        assert_eq!(v.pointer, "/paths/~1v1~1things/post/responses/5XX");
        assert!(v.rule.contains("error") && v.rule.contains("4XX"), "{v}");
    }

    #[test]
    fn responses_need_json_content() {
        for response in [
            "{ description: e, content: { text/plain: { schema: { type: string } } } }",
            "{ description: e }",
        ] {
            let spec = BASE.replace(
                "\"4XX\": { $ref: \"#/components/responses/Err\" }",
                &format!("\"4XX\": {response}"),
            );
            let v = single(&spec);
            assert_eq!(v.pointer, "/paths/~1v1~1things/post/responses/4XX");
            assert!(v.rule.contains("JSON content"), "{v}");
        }
    }

    #[test]
    fn default_counts_as_success_unless_2xx_comes_first() {
        let with_default = |success: &str| {
            BASE.replace(
                "\"201\": { $ref: \"#/components/responses/Ok\" }",
                &format!("\"{success}\": {{ $ref: \"#/components/responses/Ok\" }}\n        default: {{ $ref: \"#/components/responses/Err\" }}"),
            )
        };
        generator_refuses(&with_default("201"));
        let v = single(&with_default("201"));
        assert_eq!(v.pointer, "/paths/~1v1~1things/post/responses/default");
        assert!(v.rule.contains("success"), "{v}");
        assert_eq!(violations(&with_default("2XX")), vec![]);
    }
}
