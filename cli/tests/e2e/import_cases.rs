//! `thena tickets import` where rows were lost, files destroyed or exit statuses wrong:
//! stray quotes, operator slips, overlapping runs, pipes and signals. One test per case.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use thena_sandbox::{Fault, OnDuplicate, Route, Sandbox};

use crate::import::{Dir, json_lines, rows_csv};
use crate::streams::{To, run_to};
use crate::{CREATE, Run, Server, bare_thena, thena};

fn import(server: &Server, args: &[&str]) -> Run {
    let mut all = vec!["tickets", "import"];
    all.extend(args);
    server.thena(&all)
}

const HEADER: &str = "title,requestorEmail,teamId,description\n";

#[test]
fn a_stray_quote_is_an_error_naming_the_row_where_it_opened() {
    let server = Server::start();
    let dir = Dir::new("case-quote");
    let mut text = format!("{HEADER}A,a@example.com,team_1,fine\n");
    text.push_str("B,a@example.com,team_1,\"unterminated\n");
    for i in 0..8 {
        text.push_str(&format!("R{i},a@example.com,team_1,row {i}\n"));
    }
    let input = dir.write("t.csv", &text);
    for args in [vec![input.as_str(), "--dry-run"], vec![input.as_str()]] {
        import(&server, &args).failed(
            2,
            &[
                "row 2 (line 3): unterminated CSV quoted field",
                "opened on line 3",
            ],
        );
    }
    assert_eq!(server.sandbox.requests(), vec![]);

    // Closed further down: a warning names the row that swallowed the lines.
    let mut text = format!("{HEADER}A,a@example.com,team_1,\"oops\n");
    text.push_str("B,a@example.com,team_1,x\nC,a@example.com,team_1,closed\"\n");
    let input = dir.write("u.csv", &text);
    let run = import(&server, &[&input, "--dry-run"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        run.stderr.contains(
            "warning: row 1 (line 2): its quoted field \"description\" spans 3 lines that look \
             like rows"
        ),
        "{run:#?}"
    );
}

#[test]
fn the_import_never_writes_over_its_input_or_a_file_not_its_own() {
    let server = Server::start();
    let dir = Dir::new("case-integrity");
    let text = rows_csv(3, false);
    let input = dir.write("t.csv", &text);
    let notes = dir.write("notes.txt", "remember the milk\n");
    let foreign_csv = dir.write("people.csv", "name,phone\nAda,1\n");
    for (args, needle) in [
        (vec!["--output", input.as_str()], "--output"),
        (vec!["--state", input.as_str()], "is the input"),
        (vec!["--state", input.as_str(), "--restart"], "is the input"),
        (vec!["--rejects", input.as_str()], "is the input"),
        (
            vec!["--state", notes.as_str(), "--restart"],
            "is not a journal",
        ),
        (vec!["--output", foreign_csv.as_str()], "is not a mapping"),
        (vec!["--rejects", notes.as_str()], "is not a rejects file"),
    ] {
        let mut all = vec![input.as_str()];
        all.extend(&args);
        let run = import(&server, &all);
        run.failed(2, &[needle]);
        assert!(!run.stderr.contains("--restart to"), "{run:#?}");
    }
    assert_eq!(dir.read("t.csv"), text);
    assert_eq!(dir.read("notes.txt"), "remember the milk\n");
    assert_eq!(dir.read("people.csv"), "name,phone\nAda,1\n");
    assert_eq!(server.sandbox.requests(), vec![]);
}

#[test]
fn a_second_import_of_one_journal_is_refused_naming_the_first() {
    let server = Server::start();
    // The first import's first create takes 3 s.
    server.sandbox.inject(
        Fault::delay(Duration::from_secs(3))
            .on(Route::CreateTicket)
            .times(1),
    );
    let dir = Dir::new("case-lock");
    let input = dir.write("t.csv", &rows_csv(3, false));
    let mut command = bare_thena();
    let first = command
        .args(["tickets", "import", input.as_str(), "--concurrency", "1"])
        .envs(server.env())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("thena starts");
    let journal = dir.path("t.csv.thena-import");
    let started = Instant::now();
    while !std::fs::read_to_string(&journal).is_ok_and(|j| j.contains("\"sent\"")) {
        assert!(started.elapsed() < Duration::from_secs(30), "no row sent");
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = import(&server, &[&input]);
    second.failed(
        7,
        &[
            &format!("another import (process {})", first.id()),
            "holds the journal",
        ],
    );
    let output = first.wait_with_output().expect("thena exits");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(server.sandbox.tickets().len(), 3);
    assert!(!dir.exists("t.csv.thena-import.lock"), "the lock file goes");

    let again = import(&server, &[&input]);
    assert_eq!(again.code, Some(0), "{again:#?}");
    assert!(
        again.stderr.contains("3 done by earlier runs"),
        "{again:#?}"
    );
}

#[test]
fn numbers_beyond_64_bits_are_refused_by_row_not_rounded() {
    let server = Server::start();
    let dir = Dir::new("case-numbers");
    let big = "12345678901234567890123";
    let jsonl = dir.write(
        "t.jsonl",
        &format!(
            "{{\"title\":\"Big\",\"requestorEmail\":\"a@example.com\",\"teamId\":\"team_1\",\
             \"metadata\":{{\"n\":{big}}}}}\n\
             {{\"title\":\"Fits\",\"requestorEmail\":\"a@example.com\",\"teamId\":\"team_1\",\
             \"metadata\":{{\"n\":18446744073709551615,\"x\":0.1}}}}\n"
        ),
    );
    let run = import(&server, &[&jsonl]);
    run.failed(3, &["1 row was rejected"]);
    let rejects = dir.read("t.jsonl.rejects.jsonl");
    assert!(
        rejects.contains(&format!("the number {big} cannot be sent exactly")),
        "{rejects}"
    );
    let csv = dir.write(
        "t.csv",
        &format!(
            "title,requestorEmail,teamId,metadata\nBig,a@example.com,team_1,{{\"n\":{big}}}\n"
        ),
    );
    import(&server, &[&csv]).failed(3, &["1 row was rejected"]);
    let tickets = server.sandbox.tickets();
    assert_eq!(tickets.len(), 1, "only the row that fits");
    assert_eq!(tickets[0].title.as_deref(), Some("Fits"));

    let mut create = CREATE.to_vec();
    let metadata = format!("{{\"n\":{big}}}");
    create.extend(["--metadata", metadata.as_str()]);
    server
        .thena(&create)
        .failed(2, &[&format!("the number {big} cannot be sent exactly")]);
    assert_eq!(server.sandbox.tickets().len(), 1);
}

#[test]
fn a_conflict_to_a_key_never_sent_is_a_refused_row_not_a_ticket() {
    let server = Server::start();
    server
        .sandbox
        .inject(Fault::status(409).on(Route::CreateTicket));
    let dir = Dir::new("case-409");
    let input = dir.write("t.csv", &rows_csv(3, false));
    let map = dir.path("map.csv");
    let run = import(&server, &[&input, "--concurrency", "1", "--output", &map]);
    run.failed(3, &["1 row was rejected"]);
    assert!(run.stderr.contains("0 created earlier"), "{run:#?}");
    let rejects = json_lines(&dir.read("t.csv.rejects.jsonl"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["status"], 409);
    assert!(
        rejects[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("never sent before"),
        "{rejects:?}"
    );
    assert_eq!(
        dir.read("map.csv").lines().count(),
        3,
        "two rows and a header"
    );

    // The row has no ticket: the next run creates it.
    let again = import(&server, &[&input]);
    assert_eq!(again.code, Some(0), "{again:#?}");
    assert!(again.stderr.contains("1 created"), "{again:#?}");
    assert_eq!(server.sandbox.tickets().len(), 3);
}

#[test]
fn a_success_whose_body_does_not_decode_is_a_created_row_keyed_in_the_mapping() {
    let server = Server::start();
    server
        .sandbox
        .inject(Fault::malformed().on(Route::CreateTicket));
    let dir = Dir::new("case-undecodable");
    let input = dir.write("t.csv", &rows_csv(3, false));
    let map = dir.path("map.csv");
    let run = import(&server, &[&input, "--concurrency", "1", "--output", &map]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(run.stderr.contains("3 created"), "{run:#?}");
    assert!(run.stderr.contains("1 row has no ticket id"), "{run:#?}");
    let mapping = dir.read("map.csv");
    let without_id: Vec<&str> = mapping
        .lines()
        .filter(|l| l.contains(",created,import-") && l.ends_with(",,"))
        .collect();
    assert_eq!(without_id.len(), 1, "{mapping}");
    assert_eq!(server.sandbox.tickets().len(), 3);
}

#[test]
fn a_mapping_that_cannot_be_written_exits_6_and_says_every_row_is_done() {
    let server = Server::start();
    let dir = Dir::new("case-mapping-lost");
    let input = dir.write("t.csv", &rows_csv(3, false));
    let args = ["tickets", "import", input.as_str(), "--output", "-"];
    let (code, stderr) = run_to(&server, &args, To::Full, To::Kept);
    assert_eq!(code, Some(6), "{stderr}");
    assert!(
        stderr.contains("every row is done, but the mapping"),
        "{stderr}"
    );
    assert!(
        stderr.contains("run the same command again to write it"),
        "{stderr}"
    );
    assert_eq!(server.sandbox.tickets().len(), 3);

    let nowhere = dir.path("no-such-directory/map.csv");
    let run = import(&server, &[&input, "--output", &nowhere]);
    run.failed(6, &["every row is done", "no-such-directory/map.csv"]);
    let map = dir.path("map.csv");
    server.sandbox.clear_requests();
    let run = import(&server, &[&input, "--output", &map]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(server.sandbox.requests(), vec![], "nothing sent again");
    assert_eq!(dir.read("map.csv").lines().count(), 4);
    assert!(!dir.exists("map.csv.partial"));
}

#[test]
fn a_pipe_as_file_is_read_once_or_refused_naming_stdin_and_state() {
    let server = Server::start();
    let dir = Dir::new("case-pipe");
    let fifo = dir.path("rows.jsonl");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    import(&server, &[&fifo]).failed(2, &["not a regular file", "--state", "tickets import -"]);

    let rows = "{\"title\":\"P1\",\"requestorEmail\":\"a@example.com\",\"teamId\":\"team_1\"}\n\
                {\"title\":\"P2\",\"requestorEmail\":\"a@example.com\",\"teamId\":\"team_1\"}\n";
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, rows).expect("written"))
    };
    let state = dir.path("p.thena-import");
    let run = import(&server, &[&fifo, "--state", &state]);
    writer.join().expect("the writer");
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(server.sandbox.tickets().len(), 2);
}

#[test]
fn rejects_go_where_told_and_only_when_a_row_is_refused() {
    let server = Server::start();
    let dir = Dir::new("case-rejects");
    let input = dir.write("t.csv", &rows_csv(2, false));
    let run = import(&server, &[&input]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(!dir.exists("t.csv.rejects.jsonl"), "no reject, no file");

    let mut text = rows_csv(2, false);
    text.push_str("Bad,a@example.com,,High,\n");
    let input = dir.write("u.csv", &text);
    let rejects = dir.path("elsewhere.jsonl");
    import(&server, &[&input, "--rejects", &rejects]).failed(3, &["elsewhere.jsonl"]);
    assert_eq!(json_lines(&dir.read("elsewhere.jsonl")).len(), 1);
    assert!(!dir.exists("u.csv.rejects.jsonl"));
}

#[test]
fn a_rehearsal_touches_none_of_the_real_runs_files() {
    let dir = Dir::new("case-rehearsal");
    let mut text = rows_csv(2, false);
    text.push_str("Bad,a@example.com,,High,\n");
    let input = dir.write("t.csv", &text);
    let real = "{\"row\":3,\"message\":\"the real run's\"}\n";
    dir.write("t.csv.rejects.jsonl", real);
    let run = thena(
        &["--sandbox", "tickets", "import", input.as_str()],
        &[],
        None,
    );
    run.failed(3, &["t.csv.sandbox-rejects.jsonl"]);
    assert_eq!(dir.read("t.csv.rejects.jsonl"), real);
    assert!(!dir.exists("t.csv.thena-import"));
    assert_eq!(
        json_lines(&dir.read("t.csv.sandbox-rejects.jsonl")).len(),
        1
    );
}

#[test]
fn a_first_run_that_sent_nothing_says_so_and_binds_nothing() {
    let server = Server::start();
    let dir = Dir::new("case-nothing-sent");
    let input = dir.write("t.csv", "zendesk_id,title,requestorEmail,teamId\n");
    let run = import(&server, &[&input, "--ignore-unknown-columns"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(run.stderr.contains("the input has no rows"), "{run:#?}");
    assert!(!run.stderr.contains("done already"), "{run:#?}");
    let run = import(&server, &[&input, "--id-column", "zendesk_id"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(!run.stderr.contains("second ticket"), "{run:#?}");

    let bad = dir.write("bad.csv", "title,requestorEmail,teamId\nT,a@example.com,\n");
    let run = import(&server, &[&bad]);
    assert!(run.stderr.contains("no row is valid"), "{run:#?}");
    assert!(!run.stderr.contains("done already"), "{run:#?}");
}

#[test]
fn unnamed_trailing_columns_can_be_ignored_and_a_near_name_is_suggested() {
    let server = Server::start();
    let dir = Dir::new("case-header");
    let input = dir.write(
        "t.csv",
        "title,requestorEmail,teamId,,\nT,a@example.com,team_1,,\n",
    );
    import(&server, &[&input]).failed(2, &["unknown column 4 (no name), 5 (no name)"]);
    let run = import(&server, &[&input, "--ignore-unknown-columns"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(server.sandbox.tickets().len(), 1);

    let input = dir.write(
        "u.csv",
        "Title,requestorEmail,teamid\nT,a@example.com,team_1\n",
    );
    import(&server, &[&input]).failed(
        2,
        &[
            "\"Title\" (did you mean title?)",
            "\"teamid\" (did you mean teamId?)",
        ],
    );
}

#[test]
fn a_json_body_may_start_with_a_byte_order_mark_and_null_is_absent_everywhere() {
    let server = Server::start();
    let dir = Dir::new("case-json-body");
    let body = dir.write(
        "body.json",
        "\u{feff}{\"title\": \"T\", \"requestorEmail\": \"a@example.com\", \"teamId\": \
         \"team_1\", \"metadata\": null, \"customFieldValues\": null, \"attachmentUrls\": \
         null, \"isPrivate\": null, \"description\": null}",
    );
    let run = server.thena(&["tickets", "create", "--json-body", body.as_str()]);
    assert_eq!(run.ticket()["title"], "T");

    let input = dir.write(
        "t.jsonl",
        "{\"title\": \"J\", \"requestorEmail\": \"a@example.com\", \"teamId\": \"team_1\", \
         \"metadata\": null, \"attachmentUrls\": null}\n",
    );
    let run = import(&server, &[&input]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(server.sandbox.tickets().len(), 2);
}

#[test]
fn sigterm_stops_the_import_as_ctrl_c_does() {
    let server = Server::start();
    server.sandbox.inject(
        Fault::delay(Duration::from_millis(1500))
            .times(1000)
            .on(Route::CreateTicket),
    );
    let dir = Dir::new("case-sigterm");
    let input = dir.write("t.csv", &rows_csv(40, false));
    let mut command = bare_thena();
    let child = command
        .args(["tickets", "import", input.as_str(), "--concurrency", "4"])
        .envs(server.env())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("thena starts");
    let journal = dir.path("t.csv.thena-import");
    let started = Instant::now();
    while !std::fs::read_to_string(&journal).is_ok_and(|j| j.contains("\"sent\"")) {
        assert!(started.elapsed() < Duration::from_secs(30), "no row sent");
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let output = child.wait_with_output().expect("thena exits");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("interrupted: finishing the 4 requests in flight"),
        "{stderr}"
    );
    assert!(stderr.contains("import of"), "the summary: {stderr}");
    let journal = json_lines(&dir.read("t.csv.thena-import"));
    let count = |event: &str| journal.iter().filter(|l| l["event"] == event).count();
    // Every row taken has its outcome: created if its request had left, to retry
    // ("not sent") if it still waited for the quota when the signal came.
    assert!(count("created") >= 1, "{journal:#?}");
    assert_eq!(
        count("sent"),
        count("created") + count("retryable"),
        "{journal:#?}"
    );
    assert!(
        journal
            .iter()
            .filter(|l| l["event"] == "retryable")
            .all(|l| l["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("not sent"))),
        "{journal:#?}"
    );
}

#[test]
fn rows_created_earlier_are_named_as_without_an_id_in_the_mapping() {
    let server = Server::start_with(Sandbox::builder().on_duplicate(OnDuplicate::Conflict));
    let dir = Dir::new("case-conflict-mapping");
    let input = dir.write("t.csv", &rows_csv(3, false));
    let run = import(&server, &[&input]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let map = dir.path("map.csv");
    let run = import(&server, &[&input, "--restart", "--output", &map]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(run.stderr.contains("3 created earlier"), "{run:#?}");
    assert!(
        run.stderr
            .contains("3 rows have no ticket id in the mapping: the platform answered 409"),
        "{run:#?}"
    );
    assert_eq!(server.sandbox.tickets().len(), 3);
}
