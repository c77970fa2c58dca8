//! Writes the probe: a program that uses an SDK the way its users do. It is written from
//! the SDK of the unchanged spec and then compiled and run against the SDK of each
//! changed spec. It
//!
//! - builds each request body through the builders twice, once calling every setter with
//!   values on the far edge of what the spec allows and once calling only the required
//!   ones with values on the near edge, and prints what they serialize to;
//! - sends each operation, with every parameter and with only the required ones, to a
//!   local server that answers with every documented status, the documented example
//!   bodies and bodies on the edges of the response schemas, and checks that each
//!   answer decodes (or fails) as the status says, printing the query sent (lint
//!   refuses header parameters);
//! - reads every field of every response type, naming its type, and matches every
//!   response enum exhaustively; constructs every variant of every request enum.
//!
//! A change breaks users when the probe no longer compiles, fails, or prints something
//! else than against the unchanged SDK.

use heck::ToKebabCase;
use openapiv3::{OpenAPI, ParameterSchemaOrContent};
use serde_json::Value;
use thena_codegen::operations::{Content, Operation, operations};

use super::instances::{Edge, instance};
use super::rust_values::{Mode, expr};
use super::sdk_shape::Shape;
use crate::rust_names::snake;
use crate::schema_ref::SchemaRef;

/// The documented example bodies: `tests/fixtures/<operation>-response.json`, by the
/// operation's name in kebab case.
pub struct Examples<'a> {
    pub files: &'a [(String, String)],
}

impl Examples<'_> {
    fn of(&self, operation_id: &str) -> Option<&str> {
        let name = format!("{}-response.json", operation_id.to_kebab_case());
        self.files
            .iter()
            .find(|(file, _)| *file == name)
            .map(|(_, body)| body.as_str())
    }
}

/// The probe's source for the SDK `shape` generated from `spec`.
pub fn write(spec: &OpenAPI, shape: &Shape, examples: &Examples<'_>) -> Result<String, String> {
    let mut out = String::from(PRELUDE);
    let mut calls = Vec::new();
    for op in operations(spec) {
        let id = op
            .operation
            .operation_id
            .as_deref()
            .ok_or_else(|| format!("{}: no operationId", op.pointer))?;
        let method = snake(id);
        let sdk_op = shape
            .operations
            .iter()
            .find(|o| o.method == method)
            .ok_or_else(|| format!("the SDK has no Client::{method}"))?;
        out += &operation(spec, shape, &op, id, sdk_op, examples)?;
        calls.push(format!("{method}(&client, server).await;"));
    }
    out += &readers(shape);
    out += &format!(
        "fn main() {{
            // An SDK that hangs fails the probe instead of the test run.
            std::thread::spawn(|| {{
                std::thread::sleep(std::time::Duration::from_secs(120));
                eprintln!(\"the probe did not finish in two minutes\");
                std::process::exit(3);
            }});
            let server = &server::Server::start();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect(\"a runtime\");
            runtime.block_on(async {{
                let client = thena_sdk::Client::builder()
                    .api_key(\"probe-key\")
                    .base_url(server.url())
                    .max_retries(0)
                    .build()
                    .expect(\"a client for the local server\");
                {}
            }});
            enums();
        }}",
        calls.join("\n")
    );
    let file = syn::parse_file(&out).map_err(|e| format!("the probe does not parse: {e}"))?;
    Ok(prettyplease::unparse(&file))
}

/// One operation: its bodies, its calls and its answers.
fn operation(
    spec: &OpenAPI,
    shape: &Shape,
    op: &Operation<'_>,
    id: &str,
    sdk_op: &super::sdk_shape::Operation,
    examples: &Examples<'_>,
) -> Result<String, String> {
    let method = &sdk_op.method;
    let setter = |name: &str| {
        sdk_op
            .setters
            .iter()
            .find(|(s, _)| s == name)
            .map(|(_, ty)| ty)
            .ok_or_else(|| format!("builder of {method} has no setter {name}"))
    };

    // Parameters: every one with far values, the required ones with near values.
    let mut full_params = String::new();
    let mut bare_params = String::new();
    for p in &op.parameters {
        let data = p.parameter.parameter_data_ref();
        let ParameterSchemaOrContent::Schema(schema) = &data.format else {
            return Err(format!("{}: a parameter without a schema", p.pointer));
        };
        let name = snake(p.name());
        let ty = setter(&name)?;
        let what = format!("{id} parameter {}", p.name());
        for (edge, params) in [
            (Edge::Full, &mut full_params),
            (Edge::Bare, &mut bare_params),
        ] {
            if edge == Edge::Bare && !data.required {
                continue;
            }
            let value = instance(spec, SchemaRef::from(schema), edge)?;
            let arg = expr(shape, &value, ty, Mode::Setter, true, &what)?;
            *params += &format!(".{name}({arg})");
        }
    }

    // The request body, built through the builders.
    let mut body_code = String::new();
    let (mut full_body, mut bare_body) = (String::new(), String::new());
    if let Some(schema) = op.body.as_ref().and_then(|b| b.content.schema()) {
        let ty = setter("body")?;
        let path = shape.path(ty);
        for (edge, name, body) in [
            (Edge::Full, "full", &mut full_body),
            (Edge::Bare, "bare", &mut bare_body),
        ] {
            let value = instance(spec, SchemaRef::from(schema), edge)?;
            let built = expr(shape, &value, ty, Mode::Setter, edge == Edge::Full, id)?;
            body_code += &format!(
                "let {name}_body = {path}::try_from({built})
                    .unwrap_or_else(|e| panic!(\"the {name} {id} body does not build: {{e}}\"));
                record(\"{id} {name} body\", &serde_json::to_string(&{name}_body).expect(\"a body serializes\"));\n"
            );
            // The bare call also passes through `body_map`, the body's other setter.
            *body = match edge {
                Edge::Full => format!(".body({name}_body.clone())"),
                _ => format!(".body({name}_body.clone()).body_map(|b| b)"),
            };
        }
    }

    // The answers: each status with each body it may carry.
    let mut answers = Vec::new();
    for r in &op.responses {
        let status = match code(&r.status) {
            Some(status) => status,
            None => [418, 599, 299]
                .into_iter()
                .find(|c| !covered(*c, &op.responses))
                .unwrap_or(418),
        };
        let mut bodies = Vec::new();
        if let Some(schema) = r.content.schema() {
            for edge in [Edge::Full, Edge::Bare, Edge::Nulls] {
                let body = instance(spec, SchemaRef::from(schema), edge)?.to_string();
                if !bodies.iter().any(|(_, b)| *b == body) {
                    bodies.push((format!("{edge:?}").to_lowercase(), body));
                }
            }
            if let (true, Some(example)) = (r.class.success, examples.of(id)) {
                let example: Value = serde_json::from_str(example)
                    .map_err(|e| format!("example response of {id}: {e}"))?;
                bodies.push(("documented example".into(), example.to_string()));
            }
        } else if let Content::Other { .. } = r.content {
            bodies.push(("raw".into(), "raw".into()));
        } else {
            bodies.push(("empty".into(), String::new()));
        }
        let expect = match (r.class.success, r.class.error) {
            (true, false) => "Expect::Success",
            (false, true) => "Expect::Failure",
            _ => "Expect::Either",
        };
        for (label, body) in bodies {
            answers.push(format!(
                "({status}u16, {}, {expect}, \"{} {label}\")",
                raw(&body),
                r.status
            ));
        }
    }
    let success_reader = reader_call(shape, &sdk_op.success, "value");
    let error_reader = reader_call(shape, &sdk_op.error, "value");
    let (success_ty, error_ty) = (shape.path(&sdk_op.success), shape.path(&sdk_op.error));
    let first_success = answers
        .iter()
        .find(|a| a.contains("Expect::Success"))
        .cloned()
        .unwrap_or_else(|| "(200u16, \"\", Expect::Either, \"none\")".into());
    Ok(format!(
        "async fn {method}(client: &thena_sdk::Client, server: &server::Server) {{
            {body_code}
            let answers: &[(u16, &str, Expect, &str)] = &[{answers}];
            for &(status, body, expect, label) in answers {{
                server.respond(status, body);
                let result = client.{method}(){full_params}{full_body}.send().await;
                check_{method}(result, expect, &format!(\"full call, answered {{label}}\"));
                record(&format!(\"{id} full request, answered {{label}}\"), &server.request());
            }}
            let (status, body, expect, label) = {first_success};
            server.respond(status, body);
            let result = client.{method}(){bare_params}{bare_body}.send().await;
            check_{method}(result, expect, &format!(\"bare call, answered {{label}}\"));
            record(\"{id} bare request\", &server.request());
        }}

        fn check_{method}(
            result: Result<thena_sdk::ResponseValue<{success_ty}>, thena_sdk::Error<{error_ty}>>,
            expect: Expect,
            label: &str,
        ) {{
            match result {{
                Ok(value) if expect != Expect::Failure => {{
                    let value: &{success_ty} = &value;
                    {success_reader}
                }}
                Err(thena_sdk::Error::ErrorResponse(value)) if expect != Expect::Success => {{
                    let value: &{error_ty} = &value;
                    {error_reader}
                }}
                Ok(_) => panic!(\"{id}, {{label}}: decoded as a success\"),
                Err(e) => panic!(\"{id}, {{label}}: {{e}}\"),
            }}
        }}
",
        answers = answers.join(",\n"),
    ))
}

/// The code of a response status, or `None` for `default`; a range as its last code
/// (`4XX` → 499), which no single code in the spec is likely to take.
fn code(status: &str) -> Option<u16> {
    match status.strip_suffix("XX") {
        Some(hundreds) => hundreds.parse::<u16>().ok().map(|h| h * 100 + 99),
        None => status.parse().ok(),
    }
}

/// Whether an explicit status or range of `responses` covers `code`.
fn covered(code: u16, responses: &[thena_codegen::operations::Response<'_>]) -> bool {
    responses.iter().any(|r| match r.status.strip_suffix("XX") {
        Some(h) => h.parse::<u16>().is_ok_and(|h| code / 100 == h),
        None => r.status.parse::<u16>() == Ok(code),
    })
}

/// A Rust raw string literal holding `text`.
pub fn raw(text: &str) -> String {
    let hashes = (0..)
        .find(|n| !text.contains(&format!("\"{}", "#".repeat(*n))))
        .unwrap_or(0)
        .max(1);
    let h = "#".repeat(hashes);
    format!("r{h}\"{text}\"{h}")
}

/// A call of the reader of a type, when it has one.
fn reader_call(shape: &Shape, ty: &syn::Type, value: &str) -> String {
    match shape.mentioned(ty).first() {
        Some(name) if shape.path(ty) == format!("thena_sdk :: types :: {name}") => {
            format!("read_{name}({value});")
        }
        _ => String::new(),
    }
}

/// Readers of every response type and request struct (each field, named with its type;
/// each response enum, matched exhaustively) and constructors of every request enum's
/// variants. A request struct's readers are only compiled: a field whose type changes
/// breaks code that builds the struct or reads it, even when its builder setter does not
/// change.
fn readers(shape: &Shape) -> String {
    let request_roots: Vec<&syn::Type> = shape
        .operations
        .iter()
        .flat_map(|o| o.setters.iter().map(|(_, ty)| ty))
        .collect();
    let response_roots: Vec<&syn::Type> = shape
        .operations
        .iter()
        .flat_map(|o| [&o.success, &o.error])
        .collect();
    let (requests, responses) = (
        shape.reachable(&request_roots),
        shape.reachable(&response_roots),
    );
    let mut out = String::new();
    let request_structs = requests
        .iter()
        .filter(|name| shape.structs.contains_key(*name) && !responses.contains(*name));
    for name in responses.iter().chain(request_structs) {
        let ty = format!("thena_sdk::types::{name}");
        let body = if let Some(s) = shape.structs.get(name) {
            s.fields
                .iter()
                .map(|f| format!("let _: &{} = &value.{};", shape.path(&f.ty), f.name))
                .collect::<Vec<_>>()
                .join("\n")
        } else if let Some(e) = shape.enums.get(name) {
            let arms: Vec<_> = e
                .variants
                .iter()
                .map(|v| match &v.payload {
                    Some(p) => format!(
                        "{ty}::{}(inner) => {{ let _: &{} = inner; }}",
                        v.name,
                        shape.path(p)
                    ),
                    None => format!("{ty}::{} => {{}}", v.name),
                })
                .collect();
            format!("match value {{ {} }}", arms.join(",\n"))
        } else if let Some(inner) = shape.newtypes.get(name) {
            format!(
                "let _: &{} = std::ops::Deref::deref(value);",
                shape.path(inner)
            )
        } else {
            String::new()
        };
        out += &format!("#[allow(non_snake_case)]\nfn read_{name}(value: &{ty}) {{ {body} }}\n");
    }
    let mut constructed = Vec::new();
    for name in &requests {
        if let Some(e) = shape.enums.get(name) {
            for v in e.variants.iter().filter(|v| v.payload.is_none()) {
                constructed.push(format!(
                    "let _: thena_sdk::types::{name} = thena_sdk::types::{name}::{};",
                    v.name
                ));
            }
        }
    }
    out += &format!("fn enums() {{ {} }}\n", constructed.join("\n"));
    out
}

/// The fixed part: the local server, the record lines and what an answer should give.
const PRELUDE: &str = r#"
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Success,
    Failure,
    Either,
}

/// One fact the probe observed; the test compares them with the unchanged SDK's.
fn record(what: &str, value: &str) {
    println!("RECORD {what}\t{value}");
}

mod server {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::{Arc, Mutex, PoisonError};

    #[derive(Default)]
    struct State {
        status: u16,
        body: String,
        request: String,
    }

    /// Answers every request with the body set last, and keeps the query of the last
    /// request.
    pub struct Server {
        url: String,
        state: Arc<Mutex<State>>,
    }

    impl Server {
        pub fn start() -> Server {
            let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
            let url = format!("http://{}", listener.local_addr().expect("an address"));
            let state = Arc::new(Mutex::new(State::default()));
            let shared = Arc::clone(&state);
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    answer(stream, &shared);
                }
            });
            Server { url, state }
        }

        pub fn url(&self) -> &str {
            &self.url
        }

        pub fn respond(&self, status: u16, body: &str) {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.status = status;
            state.body = body.to_string();
        }

        pub fn request(&self) -> String {
            let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.request.clone()
        }
    }

    fn answer(stream: TcpStream, state: &Mutex<State>) {
        let Ok(read_half) = stream.try_clone() else {
            return;
        };
        let mut reader = BufReader::new(read_half);
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() {
            return;
        }
        let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let query = target.split_once('?').map_or("", |(_, q)| q).to_string();
        let mut length = 0usize;
        loop {
            line.clear();
            if reader.read_line(&mut line).is_err() || line.trim_end().is_empty() {
                break;
            }
            if let Some((name, value)) = line.trim_end().split_once(':')
                && name.trim().eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        let _ = reader.read_exact(&mut body);
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state.request = format!("query={query}");
        let response = format!(
            "HTTP/1.1 {} Probe\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
            state.status,
            state.body.len(),
            state.body
        );
        let _ = (&stream).write_all(response.as_bytes());
    }
}
"#;
