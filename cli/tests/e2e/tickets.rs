//! Creating and updating tickets: what reaches the server, what stdout carries.

use serde_json::json;

use crate::{CREATE, Server, thena};

#[test]
fn create_prints_the_ticket_and_update_changes_its_title() {
    let server = Server::start();
    let created = server.thena(&CREATE);
    // Piped: one compact line of JSON, and nothing on stderr.
    assert_eq!(created.stdout.lines().count(), 1, "{created:#?}");
    assert_eq!(created.stderr, "");
    let ticket = created.ticket();
    assert_eq!(ticket["ticketIdentifier"], "TEAM1-1");
    assert_eq!(ticket["title"], "Printer on fire");
    let id = ticket["id"].as_str().expect("an id");

    let updated = server.thena(&["tickets", "update", id, "--title", "Printer fixed"]);
    assert_eq!(updated.stderr, "");
    assert_eq!(updated.ticket()["title"], "Printer fixed");
    assert_eq!(updated.ticket()["id"], id);

    let stored = server.sandbox.tickets();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].title.as_deref(), Some("Printer fixed"));
    let requests = server.sandbox.requests();
    assert_eq!(requests.len(), 2);
    // The SDK's own safety: every create carries a deDuplicationKey.
    assert!(requests[0].de_duplication_key.is_some(), "{requests:?}");
}

#[test]
fn sandbox_flag_needs_no_key_and_says_where_it_sends() {
    let run = thena(&[&["--sandbox"][..], &CREATE].concat(), &[], None);
    let ticket = run.ticket();
    assert_eq!(ticket["ticketIdentifier"], "TEAM1-1");
    assert_eq!(ticket["status"], "Open");
    assert!(
        run.stderr
            .starts_with("thena: --sandbox: sending to an embedded sandbox at http://127.0.0.1:"),
        "{run:#?}"
    );
}

#[test]
fn flags_override_the_json_body_read_from_stdin_or_a_file() {
    let server = Server::start();
    let body = json!({
        "title": "from the body",
        "requestorEmail": "user@example.com",
        "teamId": "team_1",
        "description": "kept",
        "metadata": {"source": "cron"},
    })
    .to_string();
    let run = crate::thena(
        &[
            "tickets",
            "create",
            "--json-body",
            "-",
            "--title",
            "from a flag",
        ],
        &server.env(),
        Some(&body),
    );
    let ticket = run.ticket();
    assert_eq!(ticket["title"], "from a flag");
    assert_eq!(ticket["description"], "kept");

    let path = std::env::temp_dir().join(format!("thena-e2e-{}.json", std::process::id()));
    std::fs::write(&path, r#"{"priorityName": "High", "isPrivate": true}"#).expect("write");
    let id = ticket["id"].as_str().expect("an id");
    let path_arg = path.to_str().expect("UTF-8 path");
    let updated = server.thena(&[
        "tickets",
        "update",
        id,
        "--json-body",
        path_arg,
        "--is-private",
        "false",
    ]);
    let _ = std::fs::remove_file(&path);
    let stored = &server.sandbox.tickets()[0];
    assert_eq!(updated.ticket()["isPrivate"], false);
    assert_eq!(stored.is_private, Some(false));
    assert_eq!(stored.title.as_deref(), Some("from a flag"));
}

#[test]
fn array_flags_repeat_and_table_output_aligns_the_main_fields() {
    let server = Server::start();
    let mut args = CREATE.to_vec();
    args.extend([
        "--attachment-urls",
        "https://files.example/1.png",
        "--attachment-urls",
        "https://files.example/2.png",
        "--proactive-channels",
        "email",
        "--output",
        "table",
    ]);
    let run = server.thena(&args);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[1], "ticketIdentifier    TEAM1-1", "{run:#?}");
    assert_eq!(lines[2], "title               Printer on fire", "{run:#?}");
    assert_eq!(lines[4], "priority            -", "{run:#?}");
    assert!(server.sandbox.tickets().len() == 1);
}

/// `--dry-run`: the request as it would go, checked as a real send is, and nothing sent.
#[test]
fn a_dry_run_prints_the_request_sends_nothing_and_matches_the_real_send() {
    let server = Server::start();
    let keyed = [
        &CREATE[..],
        &[
            "--de-duplication-key",
            "order-42",
            "--priority-name",
            "High",
        ],
    ]
    .concat();
    let dry = server.thena(&[&keyed[..], &["--dry-run"]].concat());
    assert_eq!(dry.code, Some(0), "{dry:#?}");
    let shown: serde_json::Value = serde_json::from_str(&dry.stdout).expect("one JSON document");
    assert_eq!(shown["method"], "POST");
    assert_eq!(shown["url"], format!("{}/v1/tickets", server.sandbox.url()));
    assert_eq!(shown["headers"]["x-api-key"], "[redacted]");
    assert!(!dry.stdout.contains(server.sandbox.api_key()), "{dry:#?}");
    assert!(
        server.sandbox.requests().is_empty(),
        "a dry run sends nothing"
    );

    // Checked as a real send is: a bad value is refused, with the usage status.
    let bad = server.thena(&[&CREATE[..], &["--due-date", "soon", "--dry-run"]].concat());
    assert_eq!(bad.code, Some(2), "{bad:#?}");

    let sent = server.thena(&keyed);
    let ticket = sent.ticket();
    let body = &shown["body"];
    assert_eq!(body["deDuplicationKey"], "order-42");
    let requests = server.sandbox.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].de_duplication_key.as_deref(), Some("order-42"));
    // The properties given reached the ticket as the dry run showed them.
    for (property, stored) in [
        ("title", "title"),
        ("requestorEmail", "requestorEmail"),
        ("teamId", "teamId"),
        ("priorityName", "priority"),
    ] {
        assert_eq!(body[property], ticket[stored], "{property}");
    }

    let update = server.thena(&[
        "tickets",
        "update",
        ticket["id"].as_str().expect("an id"),
        "--title",
        "x",
        "--dry-run",
    ]);
    let shown: serde_json::Value = serde_json::from_str(&update.stdout).expect("JSON");
    assert_eq!(shown["method"], "PATCH");
    assert_eq!(shown["body"], json!({"title": "x"}));
    let api = server.thena(&[
        "api",
        "POST",
        "/v1/anything",
        "-f",
        "a=b",
        "--idempotent",
        "--dry-run",
    ]);
    let shown: serde_json::Value = serde_json::from_str(&api.stdout).expect("JSON");
    assert_eq!(shown["body"]["a"], "b");
    assert!(shown["body"]["deDuplicationKey"].is_string(), "{api:#?}");
    assert_eq!(
        server.sandbox.requests().len(),
        1,
        "the dry runs sent nothing"
    );
}

/// `--debug` and `THENA_LOG=trace`: the SDK's log on stderr, never on stdout, with the
/// request ids and never the key.
#[test]
fn debug_logs_on_stderr_with_request_ids_and_without_the_key() {
    let server = Server::start();
    let debug = server.thena(&[&["--debug"][..], &CREATE].concat());
    let ticket = debug.ticket();
    assert_eq!(
        ticket["title"], "Printer on fire",
        "stdout is the ticket alone"
    );
    assert!(debug.stderr.contains("thena.call"), "{debug:#?}");
    assert!(debug.stderr.contains("request_id="), "{debug:#?}");

    let mut env = server.env().to_vec();
    env.push(("THENA_LOG", "trace"));
    let trace = crate::thena(&CREATE, &env, None);
    assert_eq!(trace.ticket()["title"], "Printer on fire");
    assert!(trace.stderr.contains("x-api-key"), "{trace:#?}");
    assert!(trace.stderr.contains("[redacted]"), "{trace:#?}");
    assert!(
        trace.stderr.contains("\"title\":\"Printer on fire\""),
        "{trace:#?}"
    );
    for run in [&debug, &trace] {
        assert!(!run.stderr.contains(server.sandbox.api_key()), "{run:#?}");
        assert!(!run.stdout.contains("thena.call"), "{run:#?}");
    }

    env.pop();
    env.push(("THENA_LOG", "loud"));
    crate::thena(&CREATE, &env, None).failed(5, &["THENA_LOG must be debug or trace"]);
}
