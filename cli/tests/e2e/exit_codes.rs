//! Every exit status, each with its message on stderr and nothing on stdout.

use std::time::Duration;

use thena_sandbox::{Fault, OnDuplicate, Route, Sandbox};

use crate::{CREATE, Server, thena};

/// `CREATE` followed by `extra`.
fn create_with(extra: &[&str]) -> Vec<String> {
    CREATE.iter().chain(extra).map(|s| s.to_string()).collect()
}

#[test]
fn bad_input_exits_2_naming_the_field_and_the_rule_and_sends_nothing() {
    let server = Server::start();
    let long_key = "k".repeat(256);
    let cases: Vec<(Vec<String>, Option<&str>, Vec<&str>)> = vec![
        (
            create_with(&["--titel", "T"]),
            None,
            vec!["unexpected argument '--titel'", "'--title'"],
        ),
        (
            CREATE[..6].iter().map(|s| s.to_string()).collect(),
            None,
            vec!["required arguments were not provided", "--team-id <STRING>"],
        ),
        (
            create_with(&["--de-duplication-key", &long_key]),
            None,
            vec![
                "deDuplicationKey",
                "--de-duplication-key",
                "longer than 255 characters",
            ],
        ),
        (
            create_with(&["--metadata", "{tier: 2}"]),
            None,
            vec!["--metadata <JSON>", "not valid JSON"],
        ),
        (
            create_with(&["--due-date", "tomorrow"]),
            None,
            vec!["--due-date <DATE-TIME>", "not an RFC 3339 date-time"],
        ),
        (
            create_with(&["--is-private", "yes"]),
            None,
            vec!["--is-private <BOOL>", "[possible values: true, false]"],
        ),
        (
            ["tickets", "create", "--json-body", "-"]
                .map(String::from)
                .to_vec(),
            Some("{\"title\": \"T\",}"),
            vec!["--json-body stdin: not valid JSON"],
        ),
        (
            ["tickets", "create", "--json-body", "-"]
                .map(String::from)
                .to_vec(),
            Some(r#"{"title": "T", "requestorEmail": "user@example.com"}"#),
            vec!["CreateTicketBody requires teamId (--team-id)"],
        ),
        (
            ["tickets", "create", "--json-body", "-"]
                .map(String::from)
                .to_vec(),
            Some(
                r#"{"title": "T", "requestorEmail": "u@example.com", "teamId": "t", "teamID": "t"}"#,
            ),
            vec!["CreateTicketBody has no property teamID"],
        ),
        (
            ["tickets", "update", "..", "--title", "T"]
                .map(String::from)
                .to_vec(),
            None,
            vec!["invalid request: id", "\"..\""],
        ),
        // The key is never a flag.
        (
            ["--api-key", "secret", "tickets", "create"]
                .map(String::from)
                .to_vec(),
            None,
            vec!["unexpected argument '--api-key'"],
        ),
    ];
    for (args, stdin, needles) in cases {
        thena(&args, &server.env(), stdin).failed(2, &needles);
    }
    assert_eq!(
        server.sandbox.requests(),
        vec![],
        "bad input reached the server"
    );
}

#[test]
fn a_refused_request_exits_3_with_the_server_message() {
    let server = Server::start();
    server
        .thena(&["tickets", "update", "T-404", "--title", "T"])
        .failed(3, &["HTTP 404 Not Found: Ticket T-404 not found"]);

    // A platform that refuses a reused deDuplicationKey: the ticket exists.
    let server = Server::start_with(Sandbox::builder().on_duplicate(OnDuplicate::Conflict));
    let args = create_with(&["--de-duplication-key", "order-42"]);
    assert_eq!(server.thena(&args).code, Some(0));
    server.thena(&args).failed(
        3,
        &[
            "HTTP 409 Conflict",
            "a ticket with this deDuplicationKey exists",
        ],
    );

    let wrong_key = [
        ("THENA_API_KEY", "not-the-key"),
        ("THENA_BASE_URL", server.sandbox.url()),
    ];
    thena(&CREATE, &wrong_key, None).failed(3, &["HTTP 401 Unauthorized"]);
}

#[test]
fn a_failing_server_or_network_exits_4_after_retries() {
    let server = Server::start();
    server
        .sandbox
        .inject(Fault::status(503).times(2).on(Route::CreateTicket));
    let run = server.thena(
        &create_with(&["--max-retries", "1"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    // A create that may have happened names the key to retry with.
    run.failed(
        4,
        &[
            "HTTP 503",
            "after 2 attempts",
            "retry with deDuplicationKey",
        ],
    );

    server
        .sandbox
        .inject(Fault::delay(Duration::from_secs(3)).on(Route::CreateTicket));
    let args = create_with(&["--timeout", "0.2", "--max-retries", "0"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    server
        .thena(&args)
        .failed(4, &["no response from", "timed out"]);

    // Throttled until the retries ran out: "not now", not "not this".
    server.sandbox.inject(
        Fault::status(429)
            .retry_after(0)
            .times(2)
            .on(Route::CreateTicket),
    );
    let args = create_with(&["--max-retries", "1"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    server
        .thena(&args)
        .failed(4, &["HTTP 429", "after 2 attempts"]);

    // Nothing listens on a port the sandbox gave up.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("address"))
    };
    let env = [("THENA_API_KEY", "k"), ("THENA_BASE_URL", closed.as_str())];
    thena(&create_with(&["--max-retries", "0"]), &env, None).failed(4, &["connection refused"]);
}

#[test]
fn configuration_errors_exit_5() {
    // Neither a key nor --sandbox: both ways out are named.
    thena(&CREATE, &[], None).failed(5, &["THENA_API_KEY", "--sandbox"]);
    let env = [
        ("THENA_API_KEY", "k"),
        ("THENA_BASE_URL", "http://thena.example"),
    ];
    thena(&CREATE, &env, None).failed(5, &["base_url", "in clear"]);
    let env = [("THENA_API_KEY", "k"), ("THENA_MAX_RETRIES", "many")];
    thena(&CREATE, &env, None).failed(5, &["THENA_MAX_RETRIES must be a whole number"]);
}

/// A create answered with a success the SDK cannot read (a body cut short, a body that
/// breaks the spec) made its ticket: exit 6, the key named, never the advice to retry.
#[test]
fn a_success_whose_answer_cannot_be_read_exits_6_naming_the_key() {
    for fault in [Fault::truncate(), Fault::malformed()] {
        let server = Server::start();
        server.sandbox.inject(fault.on(Route::CreateTicket));
        let run = server.thena(
            &create_with(&["--max-retries", "0"])
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
        run.failed(
            6,
            &[
                "HTTP 201 Created",
                "the ticket was created (deDuplicationKey ",
            ],
        );
        assert!(!run.stderr.contains("retry with"), "{run:#?}");
        assert_eq!(server.sandbox.tickets().len(), 1, "one ticket, made once");
    }
}
