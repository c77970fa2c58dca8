//! The operations of a spec as progenitor builds them into `Client` methods and request
//! builders: the path item's parameters merged into each operation's, the request body's
//! media type and the responses' JSON content recognised as progenitor recognises them,
//! and `$ref`s followed as progenitor follows them.
//!
//! [`crate::validate`] checks a spec through this model, and xtask's `diff` and `lint`
//! read it, so that none of them can see a different API than the generator builds.

use openapiv3::{
    MediaType, OpenAPI, Parameter as OaParameter, ReferenceOr, RequestBody, Schema, StatusCode,
};

use crate::spec::{
    DEFAULT_CLASS, StatusClass, escape, is_json, resolve_parameter, resolve_request_body,
    resolve_response, status_class, status_name,
};

/// One operation: a `Client` method and its request builder.
pub struct Operation<'a> {
    /// The path template, e.g. `/v1/tickets/{id}`.
    pub path: &'a str,
    /// The HTTP method, lower case as the spec writes it.
    pub method: &'a str,
    /// JSON pointer to the operation.
    pub pointer: String,
    /// The operation as the spec writes it.
    pub operation: &'a openapiv3::Operation,
    /// Every parameter the builder has a setter for: the path item's, then the
    /// operation's; an operation parameter replaces a path item parameter of the same name.
    pub parameters: Vec<Parameter<'a>>,
    /// The request body, when it has content.
    pub body: Option<Body<'a>>,
    /// The responses, `default` last.
    pub responses: Vec<Response<'a>>,
}

/// A parameter after its `$ref` is followed.
pub struct Parameter<'a> {
    /// JSON pointer to where the operation or path item lists it.
    pub pointer: String,
    /// The parameter.
    pub parameter: &'a OaParameter,
}

impl Parameter<'_> {
    /// Its name.
    pub fn name(&self) -> &str {
        &self.parameter.parameter_data_ref().name
    }

    /// Where it travels: `path`, `query`, `header` or `cookie`.
    pub fn location(&self) -> &'static str {
        match self.parameter {
            OaParameter::Query { .. } => "query",
            OaParameter::Header { .. } => "header",
            OaParameter::Path { .. } => "path",
            OaParameter::Cookie { .. } => "cookie",
        }
    }
}

/// What a request or response carries, as progenitor types it.
#[derive(Clone, Copy)]
pub enum Content<'a> {
    /// Nothing.
    None,
    /// A JSON media type: decoded into (or encoded from) the type generated for `schema`.
    Json {
        /// The media type as the spec writes it, e.g. `application/json; charset=utf-8`.
        media_type: &'a str,
        /// The media type object.
        media: &'a MediaType,
    },
    /// Another media type: raw bytes or text.
    Other {
        /// The media type as the spec writes it.
        media_type: &'a str,
    },
}

impl<'a> Content<'a> {
    /// The schema of JSON content.
    pub fn schema(&self) -> Option<&'a ReferenceOr<Schema>> {
        match self {
            Content::Json { media, .. } => media.schema.as_ref(),
            _ => None,
        }
    }
}

/// A request body after its `$ref` is followed.
pub struct Body<'a> {
    /// JSON pointer to the request body where it is defined (a component's, for a `$ref`).
    pub pointer: String,
    /// The request body.
    pub body: &'a RequestBody,
    /// Its first media type: progenitor takes the only one (and panics on more).
    pub content: Content<'a>,
}

/// A response after its `$ref` is followed.
pub struct Response<'a> {
    /// `201`, `4XX` or `default`.
    pub status: String,
    /// Where progenitor puts it.
    pub class: StatusClass,
    /// Whether it is a range (`4XX`) rather than one code.
    pub is_range: bool,
    /// JSON pointer to the response in the operation.
    pub pointer: String,
    /// JSON pointer to where the response is defined (a component's, for a `$ref`).
    pub defined_at: String,
    /// What progenitor decodes: the first JSON media type, else whatever there is.
    pub content: Content<'a>,
}

/// Every operation of the spec, in the spec's order. Path items that are `$ref`s, and
/// parameters, bodies and responses whose `$ref` leads nowhere, are left out:
/// [`crate::validate`] reports them.
pub fn operations(spec: &OpenAPI) -> Vec<Operation<'_>> {
    let mut out = Vec::new();
    for (path, item) in &spec.paths.paths {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        let path_ptr = format!("/paths/{}", escape(path));
        for (method, operation) in item.iter() {
            let pointer = format!("{path_ptr}/{method}");
            let mut parameters = listed(spec, &item.parameters, &format!("{path_ptr}/parameters"));
            for p in listed(
                spec,
                &operation.parameters,
                &format!("{pointer}/parameters"),
            ) {
                parameters.retain(|q| q.name() != p.name());
                parameters.push(p);
            }
            out.push(Operation {
                path,
                method,
                body: body(spec, operation, &pointer),
                responses: responses(spec, operation, &pointer),
                pointer,
                operation,
                parameters,
            });
        }
    }
    out
}

/// The parameters of one list, resolved; a later one replaces an earlier one of the same
/// name, as in progenitor's map of them.
fn listed<'a>(
    spec: &'a OpenAPI,
    list: &'a [ReferenceOr<OaParameter>],
    list_ptr: &str,
) -> Vec<Parameter<'a>> {
    let mut out: Vec<Parameter<'a>> = Vec::new();
    for (i, p) in list.iter().enumerate() {
        if let Some(parameter) = resolve_parameter(spec, p) {
            let p = Parameter {
                pointer: format!("{list_ptr}/{i}"),
                parameter,
            };
            out.retain(|q| q.name() != p.name());
            out.push(p);
        }
    }
    out
}

/// Where a `$ref`'d component is defined, or `inline` when it is not a `$ref`.
fn defined_at<T>(item: &ReferenceOr<T>, inline: &str) -> String {
    match item {
        ReferenceOr::Reference { reference } => reference.trim_start_matches('#').to_string(),
        ReferenceOr::Item(_) => inline.to_string(),
    }
}

/// JSON pointer to a media type of the request body or response defined at `defined_at`.
pub fn media_pointer(defined_at: &str, media_type: &str) -> String {
    format!("{defined_at}/content/{}", escape(media_type))
}

fn body<'a>(spec: &'a OpenAPI, op: &'a openapiv3::Operation, op_ptr: &str) -> Option<Body<'a>> {
    let declared = op.request_body.as_ref()?;
    let body = resolve_request_body(spec, declared)?;
    let (media_type, media) = body.content.first()?;
    Some(Body {
        pointer: defined_at(declared, &format!("{op_ptr}/requestBody")),
        content: classify(media_type, media),
        body,
    })
}

fn responses<'a>(
    spec: &'a OpenAPI,
    op: &'a openapiv3::Operation,
    op_ptr: &str,
) -> Vec<Response<'a>> {
    let codes = op.responses.responses.iter().map(|(code, r)| {
        let is_range = matches!(code, StatusCode::Range(_));
        (status_name(code), status_class(code), is_range, r)
    });
    let default = op
        .responses
        .default
        .iter()
        .map(|r| ("default".to_string(), DEFAULT_CLASS, false, r));
    codes
        .chain(default)
        .filter_map(|(status, class, is_range, declared)| {
            let response = resolve_response(spec, declared)?;
            let pointer = format!("{op_ptr}/responses/{status}");
            let defined_at = defined_at(declared, &pointer);
            let json = response.content.iter().find(|(m, _)| is_json(m));
            let content = match json.or(response.content.first()) {
                Some((media_type, media)) => classify(media_type, media),
                None => Content::None,
            };
            Some(Response {
                status,
                class,
                is_range,
                pointer,
                defined_at,
                content,
            })
        })
        .collect()
}

fn classify<'a>(media_type: &'a str, media: &'a MediaType) -> Content<'a> {
    if is_json(media_type) {
        Content::Json { media_type, media }
    } else {
        Content::Other { media_type }
    }
}
