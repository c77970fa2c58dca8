//! `thena api METHOD PATH`: a request to any path of the platform, as `gh api` and
//! `oxide api` make them, through the SDK's `Client::request`: the configured base URL
//! and key, its retries, limits and errors. The answer's body goes to stdout.

use std::io::{self, IsTerminal, Read};
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::{Map, Value};
use thena_sdk::{Method, ResponseHead};

use crate::config;
use crate::exit::{Failure, Status};
use crate::operation::exact_json;

/// The command's name in the tree.
pub const NAME: &str = "api";

const METHOD: &str = "method";
const PATH: &str = "path";
const RAW_FIELD: &str = "raw-field";
const FIELD: &str = "field";
const INPUT: &str = "input";
const HEADER: &str = "header";
const INCLUDE: &str = "include";
const IDEMPOTENT: &str = "idempotent";

/// `thena api` and its flags.
pub fn command() -> Command {
    Command::new(NAME)
        .about("Send a request to any path of the Thena API")
        .long_about(
            "Send a request to any path of the Thena API, with the configured base URL and \
             key, and print the answer's body on stdout. Retries follow the SDK's rules: \
             GET, PUT, PATCH and DELETE on transient failures; POST only when its body \
             carries a deDuplicationKey (--idempotent adds one).",
        )
        .after_help(
            "Examples:\n  thena api GET /v1/tickets/T1\n  thena api PATCH /v1/tickets/T1 -f \
             statusName=Closed\n  thena api POST /v1/tickets --input ticket.json --idempotent",
        )
        .arg(
            Arg::new(METHOD)
                .required(true)
                .value_name("METHOD")
                .value_parser(method)
                .help("GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS"),
        )
        .arg(
            Arg::new(PATH)
                .required(true)
                .value_name("PATH")
                .help("A path on the base URL, such as /v1/tickets/T1 (a query string allowed)"),
        )
        .arg(
            Arg::new(RAW_FIELD)
                .short('f')
                .long(RAW_FIELD)
                .value_name("NAME=VALUE")
                .action(ArgAction::Append)
                .value_parser(raw_field)
                .help("A string member of the JSON body (repeatable)"),
        )
        .arg(
            Arg::new(FIELD)
                .short('F')
                .long(FIELD)
                .value_name("NAME=VALUE")
                .action(ArgAction::Append)
                .value_parser(typed_field)
                .help(
                    "A typed member of the JSON body (repeatable): true, false, null and \
                     numbers become JSON values, @FILE reads a string from FILE (@- from \
                     stdin), anything else is a string",
                ),
        )
        .arg(
            Arg::new(INPUT)
                .long(INPUT)
                .value_name("FILE")
                .conflicts_with_all([RAW_FIELD, FIELD])
                .help("Send this JSON file as the body, as it is (- reads stdin)"),
        )
        .arg(
            Arg::new(HEADER)
                .short('H')
                .long(HEADER)
                .value_name("NAME: VALUE")
                .action(ArgAction::Append)
                .help("Add a header (repeatable); x-api-key is refused: the key is configured"),
        )
        .arg(
            Arg::new(INCLUDE)
                .short('i')
                .long(INCLUDE)
                .action(ArgAction::SetTrue)
                .help("Print the status line and the response headers on stderr too"),
        )
        .arg(crate::output::dry_run_arg())
        .arg(
            Arg::new(IDEMPOTENT)
                .long(IDEMPOTENT)
                .action(ArgAction::SetTrue)
                .help(
                    "For a POST: add a deDuplicationKey to the body (unless it has one) and \
                     print it on stderr, so that the request is retried and can be sent \
                     again with the same key",
                ),
        )
}

/// A method name, in any case.
fn method(text: &str) -> Result<Method, String> {
    let upper = text.to_ascii_uppercase();
    match upper.as_str() {
        "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => {
            Method::from_bytes(upper.as_bytes()).map_err(|e| e.to_string())
        }
        _ => Err("expected GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS".into()),
    }
}

/// `NAME=VALUE`, split at the first `=`.
fn split(text: &str) -> Result<(String, &str), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value)),
        _ => Err("expected NAME=VALUE, such as title=Printer".into()),
    }
}

fn raw_field(text: &str) -> Result<(String, Value), String> {
    let (name, value) = split(text)?;
    Ok((name, Value::String(value.to_owned())))
}

fn typed_field(text: &str) -> Result<(String, Value), String> {
    let (name, value) = split(text)?;
    let typed = match value {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ if value.starts_with('@') => Value::String(read(&value[1..])?),
        _ if is_json_number(value) => exact_json(value)?,
        _ => Value::String(value.to_owned()),
    };
    Ok((name, typed))
}

/// Whether `text` is a number as JSON writes one (`-12`, `1.5e3`; not `1.`, `+1`, `0x1`,
/// `2024-05-01`).
fn is_json_number(text: &str) -> bool {
    let digits = |s: &str| -> usize { s.bytes().take_while(u8::is_ascii_digit).count() };
    let rest = text.strip_prefix('-').unwrap_or(text);
    let int = digits(rest);
    if int == 0 || (int > 1 && rest.starts_with('0')) {
        return false;
    }
    let mut rest = &rest[int..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let n = digits(fraction);
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    if let Some(exponent) = rest.strip_prefix(['e', 'E']) {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        let n = digits(exponent);
        if n == 0 {
            return false;
        }
        rest = &exponent[n..];
    }
    rest.is_empty()
}

/// Whether stdin has been read already: it can be, once.
static STDIN_TAKEN: AtomicBool = AtomicBool::new(false);

/// A file's text, or stdin's for `-` (once: a second `@-` would read nothing).
fn read(path: &str) -> Result<String, String> {
    let mut text = String::new();
    let read = match path {
        "-" if STDIN_TAKEN.swap(true, Ordering::Relaxed) => {
            return Err("stdin can be read once: give @- to one value only".into());
        }
        "-" => io::stdin().read_to_string(&mut text).map(drop),
        _ => std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text).map(drop)),
    };
    read.map(|()| text)
        .map_err(|e| format!("cannot read {path}: {e}"))
}

/// The body the flags describe: `--input`'s JSON as it is written, or an object of the
/// fields; none without either.
fn body(matches: &ArgMatches) -> Result<Option<Vec<u8>>, Failure> {
    let usage = |message: String| Failure::new(Status::Usage, message);
    if let Some(path) = matches.get_one::<String>(INPUT) {
        let text = read(path).map_err(|e| usage(format!("--input: {e}")))?;
        exact_json(&text).map_err(|e| usage(format!("--input {path}: {e}")))?;
        return Ok(Some(text.into_bytes()));
    }
    // serde_json's map keeps members sorted by name, so the flags' order is not kept.
    let fields = [RAW_FIELD, FIELD].into_iter().flat_map(|id| {
        matches
            .get_many::<(String, Value)>(id)
            .into_iter()
            .flatten()
    });
    let mut members = Map::new();
    for (name, value) in fields {
        if members.insert(name.clone(), value.clone()).is_some() {
            return Err(usage(format!("the field {name} is given twice")));
        }
    }
    if members.is_empty() {
        return Ok(None);
    }
    Ok(Some(Value::Object(members).to_string().into_bytes()))
}

/// Sends the request and prints the answer's body.
pub fn run(global: &ArgMatches, matches: &ArgMatches) -> Result<(), Failure> {
    // Required and parsed by clap.
    let method = matches
        .get_one::<Method>(METHOD)
        .cloned()
        .unwrap_or_default();
    let path = matches.get_one::<String>(PATH).cloned().unwrap_or_default();
    let idempotent = matches.get_flag(IDEMPOTENT);
    if idempotent && method != Method::POST {
        return Err(Failure::new(
            Status::Usage,
            format!("--idempotent: only a POST needs a key; {method} is retried without one"),
        ));
    }
    let body = body(matches)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(Status::Config, format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let using = match matches.get_flag(crate::output::DRY_RUN) {
            true => config::Use::DryRun,
            false => config::Use::Send,
        };
        let connection = config::connect(global, using).await?;
        let mut request = connection.client.request(method.clone(), &path);
        for header in matches.get_many::<String>(HEADER).into_iter().flatten() {
            let Some((name, value)) = header.split_once(':') else {
                return Err(Failure::new(
                    Status::Usage,
                    format!("-H {header:?}: expected NAME: VALUE, such as 'X-Trace: 42'"),
                ));
            };
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request.json_bytes(body);
        }
        if idempotent {
            request = request.idempotent();
            // A key is worth printing only for a request that will be sent.
            request
                .check()
                .map_err(|problem| thena_sdk::Error::InvalidRequest(problem.to_owned()))?;
            // A dry run shows its key in the body it prints.
            if let Some(key) = request.dedup_key().filter(|_| using == config::Use::Send) {
                crate::stream::say(format_args!(
                    "deDuplicationKey {key}: send the request again with this key, never \
                     with another"
                ));
            }
        }
        let answer = request.send::<Value>().await;
        if matches.get_flag(INCLUDE) {
            let head = match &answer {
                Ok(answer) => Some(answer.head()),
                Err(e) => e.head(),
            };
            if let Some(head) = head {
                include(head);
            }
        }
        let (status, written) = match answer {
            Ok(answer) => (answer.status(), print(&answer.into_inner())),
            Err(thena_sdk::Error::DryRun(prepared)) => {
                return crate::output::print_prepared(&prepared);
            }
            // A success whose body is not JSON (a text, an HTML page) is printed as it is.
            Err(thena_sdk::Error::InvalidResponsePayload { head, body, .. })
                if head.status().is_success() =>
            {
                (head.status(), crate::stream::data(&body))
            }
            Err(e) => return Err(e.into()),
        };
        let done = format!("{method} {path} was answered {}", status.as_u16());
        written.map_err(|e| {
            Failure::new(
                Status::OutputLost,
                format!("{done}, but writing the answer to stdout failed: {e}"),
            )
        })
    })
}

/// `-i`: the status line and headers, on stderr.
fn include(head: &ResponseHead) {
    let status = head.status();
    let mut lines = vec![format!(
        "HTTP {} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )];
    for (name, value) in head.redacted_headers() {
        lines.push(format!("{name}: {value}"));
    }
    crate::stream::note(&lines.join("\n"));
}

/// The body on stdout: pretty on a terminal, compact in a pipe; nothing for none.
fn print(body: &Value) -> io::Result<()> {
    let text = match body {
        Value::Null => return Ok(()),
        _ if io::stdout().is_terminal() => format!("{body:#}\n"),
        _ => format!("{body}\n"),
    };
    crate::stream::data(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_fields_become_json_values() {
        for (text, value) in [
            ("a=true", Value::Bool(true)),
            ("a=null", Value::Null),
            ("a=42", serde_json::json!(42)),
            ("a=-1.5", serde_json::json!(-1.5)),
            ("a=x=y", Value::String("x=y".into())),
            ("a=", Value::String(String::new())),
            ("a=NaN", Value::String("NaN".into())),
        ] {
            assert_eq!(typed_field(text), Ok(("a".into(), value)), "{text}");
        }
        let inexact = typed_field("a=12345678901234567890123").expect_err("too long");
        assert!(inexact.contains("cannot be sent exactly"), "{inexact}");
        assert!(typed_field("=1").is_err());
        assert!(typed_field("a").is_err());
        let missing = typed_field("a=@/no/such/file").expect_err("no file");
        assert!(
            missing.starts_with("cannot read /no/such/file"),
            "{missing}"
        );
    }

    #[test]
    fn json_numbers_are_told_from_other_text() {
        for number in [
            "0",
            "-1",
            "42",
            "1.5",
            "-0.25e-3",
            "1E400",
            "12345678901234567890123",
        ] {
            assert!(is_json_number(number), "{number}");
        }
        for text in [
            "",
            "-",
            "01",
            "1.",
            ".5",
            "+1",
            "1e",
            "0x10",
            "2024-05-01",
            "1,5",
            "NaN",
        ] {
            assert!(!is_json_number(text), "{text}");
        }
        for inexact in ["a=1e400", "a=1.5e-400"] {
            assert!(typed_field(inexact).is_err(), "{inexact}");
        }
    }

    #[test]
    fn a_field_given_twice_is_refused_whichever_flag_gave_it() {
        let parsed = |args: &[&str]| {
            command()
                .try_get_matches_from([&["api", "POST", "/x"][..], args].concat())
                .expect("valid flags")
        };
        let twice = body(&parsed(&["-f", "a=1", "-F", "a=2"])).expect_err("twice");
        assert_eq!(twice.to_string(), "the field a is given twice");
        let both = body(&parsed(&["-f", "b=1", "-F", "a=2"])).expect("a body");
        assert_eq!(both, Some(br#"{"a":2,"b":"1"}"#.to_vec()));
        assert_eq!(body(&parsed(&[])).expect("no body"), None);
    }

    #[test]
    fn methods_in_any_case() {
        assert_eq!(method("patch"), Ok(Method::PATCH));
        assert!(method("FETCH").is_err());
    }
}
