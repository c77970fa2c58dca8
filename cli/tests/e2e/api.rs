//! `thena api`: any path, with the SDK's key handling, retries and errors.

use serde_json::{Value, json};
use thena_sandbox::{Fault, Route};

use crate::{CREATE, Server, thena};

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn a_post_without_a_key_is_sent_once_and_with_one_is_retried() {
    let server = Server::start();
    server
        .sandbox
        .inject(Fault::status(503).times(1).on(Route::CreateTicket));
    let fields = [
        "api",
        "POST",
        "/v1/tickets",
        "-f",
        "title=Printer",
        "-f",
        "requestorEmail=u@example.com",
        "-f",
        "teamId=team_1",
    ];
    server.thena(&fields).failed(4, &["HTTP 503"]);
    assert_eq!(
        server.sandbox.requests().len(),
        1,
        "a POST without a key is not retried"
    );

    server.sandbox.clear_requests();
    server
        .sandbox
        .inject(Fault::status(503).times(1).on(Route::CreateTicket));
    let run = server.thena(&[&fields[..], &["--idempotent"]].concat());
    let ticket = json_of(&run.stdout);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(ticket["data"]["title"], "Printer");
    let requests = server.sandbox.requests();
    assert_eq!(requests.len(), 2, "retried under its key");
    let key = requests[0].de_duplication_key.clone().expect("a key");
    assert_eq!(
        requests[1].de_duplication_key.as_deref(),
        Some(key.as_str())
    );
    assert!(
        run.stderr.contains(&format!("deDuplicationKey {key}")),
        "the key is printed: {run:#?}"
    );
    assert_eq!(server.sandbox.tickets().len(), 1);
}

#[test]
fn a_patch_with_typed_fields_and_an_input_file() {
    let server = Server::start();
    let id = server.thena(&CREATE).ticket()["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let path = format!("/v1/tickets/{id}");
    let run = server.thena(&[
        "api",
        "patch",
        &path,
        "-F",
        "isPrivate=true",
        "-f",
        "title=42",
    ]);
    let answer = json_of(&run.stdout);
    assert_eq!(answer["data"]["isPrivate"], true, "{run:#?}");
    assert_eq!(answer["data"]["title"], "42", "-f keeps a string");

    let file = std::env::temp_dir().join(format!("thena-api-{}.json", std::process::id()));
    std::fs::write(&file, json!({"title": "from the file"}).to_string()).expect("written");
    let run = server.thena(&["api", "PATCH", &path, "--input", &file.to_string_lossy()]);
    std::fs::remove_file(&file).ok();
    assert_eq!(
        json_of(&run.stdout)["data"]["title"],
        "from the file",
        "{run:#?}"
    );
}

#[test]
fn the_key_header_and_foreign_hosts_are_refused_before_sending() {
    let server = Server::start();
    for (args, needle) in [
        (
            vec!["api", "GET", "/v1/tickets/x", "-H", "x-api-key: tk_other"],
            "header x-api-key: set by the client",
        ),
        (
            vec!["api", "GET", "https://evil.example/v1/tickets"],
            "is not on http://127.0.0.1",
        ),
        (
            vec!["api", "GET", "/x", "-H", "no colon"],
            "expected NAME: VALUE",
        ),
        (
            vec!["api", "POST", "//x", "-f", "a=1", "--idempotent"],
            "path: must start with /",
        ),
        (
            vec!["api", "GET", "/x", "--idempotent"],
            "only a POST needs a key",
        ),
        (
            vec!["api", "POST", "/x", "-F", "a=1.5e-400"],
            "cannot be sent exactly",
        ),
        (
            vec!["api", "POST", "/x", "-F", "n=12345678901234567890123"],
            "cannot be sent exactly",
        ),
    ] {
        let run = server.thena(&args);
        run.failed(2, &[needle]);
        assert!(!run.stderr.contains("tk_other"), "{run:#?}");
        // A key is printed only for a request that is sent.
        assert!(!run.stderr.contains("deDuplicationKey"), "{run:#?}");
    }
    assert!(server.sandbox.requests().is_empty(), "nothing was sent");
}

#[test]
fn include_prints_the_status_and_headers_on_stderr_and_errors_read_as_the_sdks() {
    let server = Server::start();
    let run = server.thena(&["api", "-i", "PATCH", "/v1/tickets/nope", "-f", "title=t"]);
    assert_eq!(run.code, Some(3), "{run:#?}");
    assert_eq!(run.stdout, "");
    assert!(run.stderr.starts_with("HTTP 404 Not Found\n"), "{run:#?}");
    assert!(
        run.stderr.contains("\ncontent-type: application/json"),
        "{run:#?}"
    );
    assert!(run.stderr.contains("thena: "), "{run:#?}");
    assert!(!run.stderr.contains(server.sandbox.api_key()), "{run:#?}");

    let none = thena(&["api", "GET", "/v1/tickets/x"], &[], None);
    none.failed(5, &["no API key"]);
}
