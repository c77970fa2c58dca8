//! `thena tickets import`: what is created, what is refused and why, the files written,
//! resuming and refusing a changed input. Crashes and chaos are in `import_crash`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use thena_sandbox::{Fault, OnDuplicate, Route, Sandbox};

use crate::{Run, Server, thena};

/// A directory of a test's own, removed when dropped.
pub struct Dir(PathBuf);

impl Dir {
    pub fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("thena-e2e-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a temporary directory");
        Self(path)
    }

    /// Writes `text` to the file `name` in it; its path.
    pub fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write a file");
        self.path(name)
    }

    /// The path of `name` in it.
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().expect("a UTF-8 path").to_owned()
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.0.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    pub fn exists(&self, name: &str) -> bool {
        self.0.join(name).exists()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Lines of JSON.
pub fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

/// A CSV of `n` valid rows titled `Row 1`...; with `id`, a `zendesk_id` column first.
pub fn rows_csv(n: usize, id: bool) -> String {
    let mut text = String::from(if id { "zendesk_id," } else { "" });
    text.push_str("title,requestorEmail,teamId,priorityName,metadata\n");
    for i in 1..=n {
        if id {
            text.push_str(&format!("ZD-{i},"));
        }
        text.push_str(&format!(
            "Row {i},user{i}@example.com,team_1,High,\"{{\"\"n\"\": {i}}}\"\n"
        ));
    }
    text
}

/// The titles of the sandbox's tickets, with how many tickets have each.
pub fn titles(sandbox: &Sandbox) -> BTreeMap<String, usize> {
    let mut titles = BTreeMap::new();
    for ticket in sandbox.tickets() {
        *titles.entry(ticket.title.unwrap_or_default()).or_insert(0) += 1;
    }
    titles
}

fn import(server: &Server, args: &[&str]) -> Run {
    let mut all = vec!["tickets", "import"];
    all.extend(args);
    server.thena(&all)
}

#[test]
fn every_row_becomes_one_ticket_and_the_mapping_names_it() {
    let server = Server::start();
    let dir = Dir::new("import-mapping");
    let input = dir.write("tickets.csv", &rows_csv(40, true));
    let map = dir.path("map.csv");
    let run = import(
        &server,
        &[&input, "--id-column", "zendesk_id", "--output", &map],
    );
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(run.stdout, "", "people never on stdout");
    assert!(
        run.stderr
            .contains("40 rows: 40 created, 0 replayed, 0 created earlier, 0 rejected"),
        "{run:#?}"
    );

    let tickets = server.sandbox.tickets();
    assert_eq!(tickets.len(), 40);
    let ticket = tickets
        .iter()
        .find(|t| t.title.as_deref() == Some("Row 7"))
        .expect("row 7");
    assert_eq!(ticket.priority.as_deref(), Some("High"));

    // The mapping: one line per row, naming its ticket.
    let mapping = dir.read("map.csv");
    let mut lines = mapping.lines();
    assert_eq!(
        lines.next(),
        Some("row,sourceId,outcome,key,id,ticketIdentifier")
    );
    let row_7 = lines
        .find(|l| l.starts_with("7,ZD-7,created,import-i-"))
        .expect("row 7");
    let fields: Vec<&str> = row_7.split(',').collect();
    assert_eq!(Some(fields[4]), ticket.id.as_deref());
    assert_eq!(Some(fields[5]), ticket.ticket_identifier.as_deref());
    assert_eq!(mapping.lines().count(), 41);

    // The key went out as the row's deDuplicationKey, and the id column did not.
    let requests = server.sandbox.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.de_duplication_key.as_deref() == Some(fields[3]))
    );

    // The journal: a header, then each row sent before its outcome.
    let journal = json_lines(&dir.read("tickets.csv.thena-import"));
    assert_eq!(journal[0]["thenaImport"], 1);
    assert_eq!(journal[0]["idColumn"], "zendesk_id");
    assert_eq!(journal[0]["target"], server.sandbox.url());
    let events: Vec<&str> = journal[1..]
        .iter()
        .filter(|l| l["key"] == fields[3])
        .map(|l| l["event"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(events, ["sent", "created"]);

    // Again: nothing to send, nothing sent, the same mapping.
    server.sandbox.clear_requests();
    let again = import(
        &server,
        &[&input, "--id-column", "zendesk_id", "--output", &map],
    );
    assert_eq!(again.code, Some(0), "{again:#?}");
    assert!(
        again.stderr.contains("40 done by earlier runs"),
        "{again:#?}"
    );
    assert_eq!(server.sandbox.requests(), vec![]);
    assert_eq!(dir.read("map.csv"), mapping);
}

#[test]
fn identical_rows_are_as_many_tickets_and_json_lines_read_from_stdin() {
    let server = Server::start();
    let dir = Dir::new("import-stdin");
    let row = r#"{"title": "Disk full", "requestorEmail": "ops@example.com", "teamId": "team_1"}"#;
    let input = format!("{row}\n{row}\n\n{row}\n");
    let state = dir.path("alerts.thena-import");
    let args = [
        "tickets", "import", "-", "--format", "jsonl", "--state", &state, "--output", "-",
    ];
    let run = crate::thena(&args, &server.env(), Some(&input));
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(titles(&server.sandbox)["Disk full"], 3);
    // The mapping on stdout: JSON Lines, rows numbered by line.
    let mapped = json_lines(&run.stdout);
    let mut rows: Vec<u64> = mapped.iter().filter_map(|m| m["row"].as_u64()).collect();
    rows.sort_unstable();
    assert_eq!(rows, [1, 2, 4]);
    assert!(
        mapped
            .iter()
            .all(|m| m["outcome"] == "created" && m["id"].is_string())
    );

    // The same input again: the same three keys, no new ticket.
    let again = crate::thena(&args, &server.env(), Some(&input));
    assert_eq!(again.code, Some(0), "{again:#?}");
    assert_eq!(server.sandbox.tickets().len(), 3);
    assert!(
        !dir.exists("alerts.thena-import.stdin"),
        "the spool is removed"
    );

    let missing_state = ["tickets", "import", "-", "--format", "jsonl"];
    crate::thena(&missing_state, &server.env(), Some(&input)).failed(2, &["needs --state"]);
    let missing_format = ["tickets", "import", "-", "--state", &state];
    crate::thena(&missing_format, &server.env(), Some(&input)).failed(2, &["needs --format"]);
}

#[test]
fn bad_rows_go_to_the_rejects_file_naming_row_and_field_and_good_rows_are_created() {
    let server = Server::start();
    let dir = Dir::new("import-rejects");
    let long_key = "k".repeat(256);
    let input = dir.write(
        "tickets.csv",
        &format!(
            "title,requestorEmail,teamId,isPrivate,metadata,deDuplicationKey\n\
             Good 1,a@example.com,team_1,false,,\n\
             Bad bool,a@example.com,team_1,maybe,,\n\
             No team,a@example.com,,,,\n\
             Good 2,a@example.com,team_1,,,\n\
             Bad metadata,a@example.com,team_1,,{{oops,\n\
             Long key,a@example.com,team_1,,,{long_key}\n\
             Good 3,a@example.com,team_1,,,alert-1\n\
             Same key,a@example.com,team_1,,,alert-1\n\
             Good 4,a@example.com,team_1,TRUE,\"{{\"\"tier\"\": 2}}\",\n"
        ),
    );
    // The API refuses one row (which one depends on timing).
    server
        .sandbox
        .inject(Fault::status(422).on(Route::CreateTicket));
    let run = import(&server, &[&input, "--concurrency", "1"]);
    run.failed(
        3,
        &[
            "6 rows were rejected",
            "tickets.csv.rejects.jsonl",
            "fix them",
        ],
    );
    assert!(
        run.stderr
            .contains("row 2 (line 3): isPrivate: \"maybe\" is not true or false")
    );

    let rejects = json_lines(&dir.read("tickets.csv.rejects.jsonl"));
    let by_row: BTreeMap<u64, &Value> = rejects
        .iter()
        .map(|r| (r["row"].as_u64().unwrap_or(0), r))
        .collect();
    for (row, property, message) in [
        (2, "isPrivate", "\"maybe\" is not true or false"),
        (3, "teamId", "no teamId, which CreateTicketBody requires"),
        (5, "metadata", "metadata: not valid JSON"),
        (6, "deDuplicationKey", "longer than 255 characters"),
        (8, "deDuplicationKey", "\"alert-1\" is an earlier row's too"),
    ] {
        let reject = by_row
            .get(&row)
            .unwrap_or_else(|| panic!("row {row}: {rejects:#?}"));
        assert_eq!(reject["property"], property, "{reject}");
        assert!(
            reject["message"]
                .as_str()
                .unwrap_or_default()
                .contains(message),
            "{reject}"
        );
        assert_eq!(reject["status"], Value::Null, "refused before sending");
        assert_eq!(reject["line"], row + 1);
        // The row as read.
        assert!(reject["input"]["title"].is_string(), "{reject}");
    }
    let refused: Vec<&&Value> = by_row.values().filter(|r| r["status"] == 422).collect();
    assert_eq!(refused.len(), 1, "{rejects:#?}");
    assert!(refused[0]["key"].is_string());
    assert!(
        refused[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Injected fault")
    );

    // Every good row but the refused one has its ticket; none of the bad rows went out.
    let titles = titles(&server.sandbox);
    assert_eq!(titles.len(), 3, "{titles:?}");
    assert!(titles.keys().all(|t| t.starts_with("Good")), "{titles:?}");

    // Run again: the refused row is sent again and created; the invalid ones stay.
    let again = import(&server, &[&input]);
    again.failed(3, &["5 rows were rejected"]);
    assert!(again.stderr.contains("1 created"), "{again:#?}");
    assert_eq!(server.sandbox.tickets().len(), 4);
    assert_eq!(json_lines(&dir.read("tickets.csv.rejects.jsonl")).len(), 5);
}

#[test]
fn a_dry_run_reports_by_row_number_and_sends_nothing() {
    let server = Server::start();
    let dir = Dir::new("import-dry-run");
    let mut text = rows_csv(3, false);
    text.push_str("Row 4,user4@example.com,team_1,High,[1]\n");
    let input = dir.write("tickets.csv", &text);
    let run = import(&server, &[&input, "--dry-run"]);
    run.failed(
        2,
        &[
            "row 4 (line 5): invalid metadata: invalid type: sequence",
            "dry run of",
            "4 rows, 3 valid, 1 invalid; nothing was sent",
            "1 row breaks the spec",
        ],
    );
    let valid = dir.write("valid.csv", &rows_csv(3, false));
    let run = import(&server, &[&valid, "--dry-run"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(server.sandbox.requests(), vec![]);
    assert!(
        !dir.exists("valid.csv.thena-import"),
        "a dry run writes no journal"
    );
}

#[test]
fn a_foreign_export_is_imported_through_a_written_and_edited_mapping() {
    let server = Server::start();
    let dir = Dir::new("import-foreign");
    let input = dir.write(
        "export.csv",
        "Id,Subject,Requester e-mail,Priority,Status,Closed,Tags\n\
         101,Printer on fire,ann@example.com,urgent,pending,,hardware\n\
         102,VPN drops,bob@example.com,normal,solved,31/12/2025 17:05,network\n",
    );
    let mapping = dir.path("mapping.toml");

    // A starting mapping: near names mapped, the rest to edit.
    let run = import(&server, &[&input, "--write-mapping", &mapping]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("wrote"), "{run:#?}");
    let written = dir.read("mapping.toml");
    assert!(
        written.contains("\"Requester e-mail\" = \"requestorEmail\"  # near"),
        "{written}"
    );
    assert!(written.contains("# \"Subject\" = \"title\""), "{written}");
    assert!(written.contains("# teamId = \"\"  # required"), "{written}");
    // Run twice, it keeps the edits.
    import(&server, &[&input, "--write-mapping", &mapping])
        .failed(2, &["--write-mapping", "the file exists"]);
    // As written, the import names what is left to decide, and sends nothing.
    import(
        &server,
        &[&input, "--mapping", &mapping, "--id-column", "Id"],
    )
    .failed(2, &["unknown column \"Subject\"", "\"Priority\"", "--map"]);

    let edited = written
        .replace("# \"Subject\"", "\"Subject\"")
        .replace("# \"Priority\"", "\"Priority\"")
        .replace("# \"Status\"", "\"Status\"")
        .replace("# \"Closed\"", "\"Closed\"")
        .replace("# teamId = \"\"", "teamId = \"team_1\"")
        .replace(
            "[dates]\n",
            "[dates]\nclosedAt = \"%d/%m/%Y %H:%M\"\n\n\
             [values.priorityName]\nurgent = \"High\"\nnormal = \"Medium\"\n\n\
             [values.statusName]\npending = \"Open\"\nsolved = \"Closed\"\n",
        );
    std::fs::write(&mapping, edited).expect("edited");
    let args = [
        input.as_str(),
        "--mapping",
        &mapping,
        "--id-column",
        "Id",
        "--ignore-unknown-columns",
    ];
    let dry = import(&server, &[&args[..], &["--dry-run"]].concat());
    assert_eq!(dry.code, Some(0), "{dry:#?}");
    assert!(
        dry.stderr.contains("2 rows, 2 valid, 0 invalid"),
        "{dry:#?}"
    );
    assert_eq!(server.sandbox.requests(), vec![]);

    let run = import(&server, &args);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        run.stderr
            .contains("--ignore-unknown-columns: 1 column is not imported: \"Tags\""),
        "{run:#?}"
    );
    let tickets = server.sandbox.tickets();
    assert_eq!(tickets.len(), 2);
    let fire = &tickets[0];
    assert_eq!(fire.title.as_deref(), Some("Printer on fire"));
    assert_eq!(fire.requestor_email.as_deref(), Some("ann@example.com"));
    assert_eq!(fire.priority.as_deref(), Some("High"));
    assert_eq!(fire.status.as_deref(), Some("Open"));
    assert_eq!(fire.team_id.as_deref(), Some("team_1"));
    assert_eq!(fire.closed_at, None);
    let vpn = &tickets[1];
    assert_eq!(vpn.priority.as_deref(), Some("Medium"));
    assert_eq!(vpn.status.as_deref(), Some("Closed"));
    assert_eq!(
        vpn.closed_at
            .as_deref()
            .map(|at| at.starts_with("2025-12-31T17:05:00")),
        Some(true),
        "{:?}",
        vpn.closed_at
    );

    // A date not in the mapping's format is the row's fault, named by property and column.
    let input = dir.write(
        "later.csv",
        "Id,Subject,Requester e-mail,Priority,Status,Closed,Tags\n\
         103,Late,cy@example.com,normal,solved,2025-12-31,\n",
    );
    let dry = import(
        &server,
        &[
            &input,
            "--mapping",
            &mapping,
            "--id-column",
            "Id",
            "--ignore-unknown-columns",
            "--dry-run",
        ],
    );
    assert_eq!(dry.code, Some(2), "{dry:#?}");
    assert!(
        dry.stderr
            .contains("row 1 (line 2): closedAt (column \"Closed\"): \"2025-12-31\" is not a date"),
        "{dry:#?}"
    );
}

/// An export of the old helpdesk: `(id, title, requestor, priority, description)`.
fn export(rows: &[(&str, &str, &str, &str, &str)]) -> String {
    let mut text =
        String::from("zendesk_id,title,requestorEmail,teamId,priorityName,description\n");
    for (id, title, requestor, priority, description) in rows {
        text.push_str(&format!(
            "{id},{title},{requestor},team_1,{priority},{description}\n"
        ));
    }
    text
}

#[test]
fn a_re_export_is_synced_sending_only_what_changed() {
    let server = Server::start();
    let dir = Dir::new("import-sync");
    let first = dir.write(
        "export.csv",
        &export(&[
            ("ZD-1", "Printer", "a@example.com", "High", "paper jam"),
            ("ZD-2", "VPN", "b@example.com", "Low", "drops"),
            ("ZD-3", "Mail", "c@example.com", "Low", "bounces"),
            ("ZD-4", "Laptop", "d@example.com", "Low", "slow"),
            ("ZD-5", "Badge", "e@example.com", "Low", "lost"),
        ]),
    );
    let args = |input: &str| {
        vec![
            "tickets",
            "import",
            input,
            "--id-column",
            "zendesk_id",
            "--state",
        ]
        .into_iter()
        .map(str::to_owned)
        .chain([dir.path("export.thena-import")])
        .collect::<Vec<String>>()
    };
    let run = server.thena(&args(&first));
    assert_eq!(run.code, Some(0), "{run:#?}");
    let id_of = |title: &str| {
        server
            .sandbox
            .tickets()
            .into_iter()
            .find(|t| t.title.as_deref() == Some(title))
            .and_then(|t| t.id)
            .unwrap_or_else(|| panic!("no ticket {title}"))
    };
    // Edited in Thena since: kept, since the export's description did not change.
    let printer = id_of("Printer");
    let edited = server.thena(&[
        "tickets",
        "update",
        &printer,
        "--description",
        "edited in Thena",
    ]);
    assert_eq!(edited.code, Some(0), "{edited:#?}");

    // The next export: ZD-1 renamed, ZD-3 gone, ZD-4 reprioritized and its requestor
    // changed (set on create only), ZD-6 new.
    let second = dir.write(
        "export.csv",
        &export(&[
            (
                "ZD-1",
                "Printer on fire",
                "a@example.com",
                "High",
                "paper jam",
            ),
            ("ZD-2", "VPN", "b@example.com", "Low", "drops"),
            ("ZD-4", "Laptop", "d2@example.com", "High", "slow"),
            ("ZD-5", "Badge", "e@example.com", "Low", "lost"),
            ("ZD-6", "Monitor", "f@example.com", "Low", "flickers"),
        ]),
    );
    // Without --sync, changed rows are only pointed out.
    let mut plain = args(&second);
    plain.push("--dry-run".into());
    let dry = server.thena(&plain);
    assert!(
        dry.stderr
            .contains("2 rows done by earlier runs changed since an earlier run sent them; --sync"),
        "{dry:#?}"
    );

    server.sandbox.clear_requests();
    let mut plan = args(&second);
    plan.extend(["--sync", "--dry-run", "--output", "-"].map(str::to_owned));
    let dry = server.thena(&plan);
    assert_eq!(dry.code, Some(0), "{dry:#?}");
    assert_eq!(server.sandbox.requests(), vec![], "a plan sends nothing");
    let lines = json_lines(&dry.stdout);
    let actions: Vec<(&str, &str, Vec<&str>)> = lines
        .iter()
        .map(|l| {
            let list = |name: &str| {
                l[name]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default()
            };
            let properties: Vec<&str> = list("properties");
            let notes: Vec<&str> = list("notes");
            (
                l["sourceId"].as_str().unwrap_or_default(),
                l["action"].as_str().unwrap_or_default(),
                if properties.is_empty() {
                    notes
                } else {
                    properties
                },
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("ZD-1", "update", vec!["title"]),
            (
                "ZD-4",
                "note",
                vec!["requestorEmail changed, but it is set on create only: not updated"]
            ),
            ("ZD-4", "update", vec!["priorityName"]),
            ("ZD-6", "create", vec![]),
        ],
        "{dry:#?}"
    );
    let counts = "5 rows: 1 to create, 2 to update, 2 done and unchanged (1 row has changes not \
                  sent, named above), 1 no longer in the input, 0 invalid";
    assert!(dry.stderr.contains(counts), "{dry:#?}");
    assert!(
        dry.stderr
            .contains("1 id sent by an earlier run is no longer in the input (ZD-3)"),
        "{dry:#?}"
    );

    let mut sync = args(&second);
    sync.push("--sync".into());
    let run = server.thena(&sync);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        run.stderr.contains("5 rows: 1 created, 2 updated, 0 replayed, 0 created earlier, 0 rejected, 0 to retry; 2 done by earlier runs; 1 row has changes not sent"),
        "{run:#?}"
    );
    assert!(
        run.stderr.contains("row 3 (ZD-4): requestorEmail changed"),
        "{run:#?}"
    );
    let tickets = server.sandbox.tickets();
    assert_eq!(tickets.len(), 6, "one ticket per id");
    let ticket = |id: &str| {
        tickets
            .iter()
            .find(|t| t.id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("no ticket {id}"))
    };
    let printer = ticket(&printer);
    assert_eq!(printer.title.as_deref(), Some("Printer on fire"));
    assert_eq!(
        printer.description.as_deref(),
        Some("edited in Thena"),
        "not sent: unchanged"
    );
    let laptop = ticket(&id_of("Laptop"));
    assert_eq!(laptop.priority.as_deref(), Some("High"));
    assert_eq!(laptop.requestor_email.as_deref(), Some("d@example.com"));
    assert_eq!(laptop.description.as_deref(), Some("slow"));
    assert!(
        tickets.iter().any(|t| t.title.as_deref() == Some("Mail")),
        "ZD-3's ticket stays"
    );
    let patches: Vec<String> = server
        .sandbox
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(patches.len(), 2, "{patches:?}");

    // Again: nothing changed since, nothing sent; the change that cannot be sent is
    // named again.
    server.sandbox.clear_requests();
    let again = server.thena(&sync);
    assert_eq!(again.code, Some(0), "{again:#?}");
    assert_eq!(server.sandbox.requests(), vec![]);
    assert!(
        again
            .stderr
            .contains("row 3 (ZD-4): requestorEmail changed"),
        "{again:#?}"
    );
    let journal = json_lines(&dir.read("export.thena-import"));
    let updated: Vec<&Value> = journal.iter().filter(|l| l["event"] == "updated").collect();
    assert_eq!(updated.len(), 2);
    assert_eq!(updated[0]["sourceId"], "ZD-1");
    assert_eq!(updated[0]["id"], printer.id.as_deref().unwrap_or_default());
}

#[test]
fn a_ticket_whose_id_is_unknown_is_found_by_its_key_and_synced() {
    let server = Server::start();
    let dir = Dir::new("import-sync-unknown-id");
    let input = dir.write(
        "export.csv",
        &export(&[("ZD-1", "Printer", "a@example.com", "High", "paper jam")]),
    );
    let state = dir.path("export.thena-import");
    let args = [
        "tickets",
        "import",
        &input,
        "--id-column",
        "zendesk_id",
        "--state",
        &state,
    ];
    // Created, but the answer is cut mid-body and the one attempt allowed has no retry:
    // the ticket exists, its id unknown.
    server
        .sandbox
        .inject(Fault::truncate().on(Route::CreateTicket));
    let mut env = server.env().to_vec();
    env.push(("THENA_MAX_RETRIES", "0"));
    let run = crate::thena(&args, &env, None);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let journal = json_lines(&dir.read("export.thena-import"));
    assert_eq!(journal[2]["event"], "created");
    assert_eq!(journal[2]["id"], Value::Null);

    dir.write(
        "export.csv",
        &export(&[(
            "ZD-1",
            "Printer on fire",
            "a@example.com",
            "High",
            "paper jam",
        )]),
    );
    let run = server.thena(&[&args[..], &["--sync"]].concat());
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(run.stderr.contains("1 updated"), "{run:#?}");
    let tickets = server.sandbox.tickets();
    assert_eq!(
        tickets.len(),
        1,
        "the create sent again is answered, not made twice"
    );
    assert_eq!(tickets[0].title.as_deref(), Some("Printer on fire"));
    let journal = json_lines(&dir.read("export.thena-import"));
    let updated = journal.last().expect("a line");
    assert_eq!(updated["event"], "updated");
    assert_eq!(updated["id"], tickets[0].id.as_deref().unwrap_or_default());
}

#[test]
fn sync_sends_again_what_it_cannot_know_was_made() {
    let server = Server::start();
    let dir = Dir::new("import-sync-unsure");
    let rows = |printer: &str, vpn: &str| {
        export(&[
            ("ZD-1", printer, "a@example.com", "High", "paper jam"),
            ("ZD-2", vpn, "b@example.com", "Low", "drops"),
        ])
    };
    let input = dir.write("export.csv", &rows("Printer", "VPN"));
    let args = |state: &str| {
        [
            "tickets",
            "import",
            &input,
            "--id-column",
            "zendesk_id",
            "--sync",
            "--state",
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .chain([dir.path(state)])
        .collect::<Vec<String>>()
    };
    assert_eq!(server.thena(&args("a.journal")).code, Some(0));
    let title = |source: usize| {
        let tickets = server.sandbox.tickets();
        tickets[source - 1].title.clone().unwrap_or_default()
    };

    // A journal that knows nothing: the key's ticket is answered, with other content,
    // and said so; the next sync sends the row.
    dir.write("export.csv", &rows("Printer on fire", "VPN"));
    let run = server.thena(&args("b.journal"));
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        run.stderr.contains("row 1 (ZD-1): answered with the ticket its key made earlier, which has other content; the next --sync updates it"),
        "{run:#?}"
    );
    assert_eq!(server.sandbox.tickets().len(), 2);
    assert_eq!(title(1), "Printer");
    let run = server.thena(&args("b.journal"));
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(title(1), "Printer on fire");

    // An update made, but its answer lost: the row changed back is sent back.
    dir.write("export.csv", &rows("Printer on fire", "VPN down"));
    server.sandbox.inject(
        Fault::drop_connection()
            .after_processing()
            .on(Route::UpdateTicket),
    );
    let mut env = server.env().to_vec();
    env.push(("THENA_MAX_RETRIES", "0"));
    let run = crate::thena(&args("b.journal"), &env, None);
    assert_eq!(run.code, Some(4), "{run:#?}");
    assert_eq!(title(2), "VPN down", "made, though unanswered");
    dir.write("export.csv", &rows("Printer on fire", "VPN"));
    let run = server.thena(&args("b.journal"));
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(title(2), "VPN");

    // A row present but invalid is not gone.
    dir.write("export.csv", &rows("", "VPN"));
    let run = server.thena(&args("b.journal"));
    assert_eq!(run.code, Some(3), "{run:#?}");
    assert!(!run.stderr.contains("no longer in the input"), "{run:#?}");

    // --restart keeps keys only with the same --id-column.
    let mut restart = args("b.journal");
    restart[4] = "title".into();
    restart.extend(["--restart".into(), "--ignore-unknown-columns".into()]);
    let run = server.thena(&restart);
    run.failed(
        2,
        &[
            "--restart: the journal",
            "was written with --id-column zendesk_id",
        ],
    );
    assert_eq!(server.sandbox.tickets().len(), 2);
}

#[test]
fn an_unknown_column_is_refused_unless_ignored() {
    let server = Server::start();
    let dir = Dir::new("import-unknown");
    let input = dir.write(
        "tickets.csv",
        "title,requestorEmail,teamId,priorty\nT,a@example.com,team_1,High\n",
    );
    import(&server, &[&input]).failed(
        2,
        &["unknown column \"priorty\"", "--ignore-unknown-columns"],
    );
    assert_eq!(server.sandbox.requests(), vec![]);
    let run = import(&server, &[&input, "--ignore-unknown-columns"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(server.sandbox.tickets()[0].priority, None);
}

#[test]
fn a_changed_row_is_refused_naming_it_and_restart_sends_every_row_again() {
    let server = Server::start();
    let dir = Dir::new("import-changed");
    let input = dir.write("tickets.csv", &rows_csv(5, false));
    assert_eq!(import(&server, &[&input]).code, Some(0));

    // Row 3's content, hence its key, changed: sent again it would be a second ticket.
    dir.write(
        "tickets.csv",
        &rows_csv(5, false).replace("Row 3,", "Row three,"),
    );
    import(&server, &[&input]).failed(
        2,
        &[
            "the input changed",
            "1 row sent earlier no longer derives",
            "rows 3, as numbered then",
            "--restart",
        ],
    );
    assert_eq!(server.sandbox.tickets().len(), 5);

    // Inserting and reordering rows changes no key.
    let mut lines: Vec<String> = rows_csv(5, false).lines().map(str::to_owned).collect();
    lines.reverse();
    let header = lines.pop().unwrap_or_default();
    let mut text = format!("{header}\nRow 6,user6@example.com,team_1,High,\n");
    text.push_str(&lines.join("\n"));
    dir.write("tickets.csv", &text);
    let run = import(&server, &[&input]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(run.stderr.contains("1 created"), "{run:#?}");
    assert!(run.stderr.contains("5 done by earlier runs"), "{run:#?}");

    // --restart: every row again; unchanged rows keep their keys, hence their tickets.
    let run = import(&server, &[&input, "--restart"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(run.stderr.contains("discarded the journal"), "{run:#?}");
    assert_eq!(server.sandbox.tickets().len(), 6);

    // Another --id-column, another key for every row.
    import(&server, &[&input, "--id-column", "title"])
        .failed(2, &["was written with no --id-column", "--id-column title"]);
}

#[test]
fn rewritten_ids_are_refused_and_removed_rows_only_noted() {
    let server = Server::start();
    let dir = Dir::new("import-rekeyed");
    let csv = rows_csv(4, true);
    let input = dir.write("tickets.csv", &csv);
    let by_id = ["--id-column", "zendesk_id"];
    assert_eq!(import(&server, &[&input, by_id[0], by_id[1]]).code, Some(0));

    // A spreadsheet rewrote two ids: their rows look new, their old keys are missing.
    dir.write(
        "tickets.csv",
        &csv.replace("ZD-2,", "zd-2,").replace("ZD-4,", "zd-4,"),
    );
    import(&server, &[&input, by_id[0], by_id[1]]).failed(
        2,
        &[
            "2 rows sent by earlier runs are no longer in it",
            "rows 2, 4, as numbered then",
            "2 rows are new to the journal",
            "second tickets, so nothing was sent",
        ],
    );
    assert_eq!(server.sandbox.tickets().len(), 4);

    // Rows removed, none added: noted, and the import goes on.
    let kept: Vec<&str> = csv.lines().take(3).collect();
    dir.write("tickets.csv", &(kept.join("\n") + "\n"));
    let run = import(&server, &[&input, by_id[0], by_id[1]]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        run.stderr
            .contains("2 rows sent by earlier runs are no longer in the input"),
        "{run:#?}"
    );
    assert_eq!(server.sandbox.tickets().len(), 4);
}

#[test]
fn a_journal_of_another_platform_is_refused() {
    let first = Server::start();
    let second = Server::start();
    let dir = Dir::new("import-target");
    let input = dir.write("tickets.csv", &rows_csv(2, false));
    assert_eq!(import(&first, &[&input]).code, Some(0));
    import(&second, &[&input]).failed(2, &["is of an import into", first.sandbox.url()]);
    assert_eq!(second.sandbox.requests(), vec![]);
}

#[test]
fn a_refusal_of_the_import_itself_stops_it_without_rejecting_rows() {
    let server = Server::start_with(Sandbox::builder().on_duplicate(OnDuplicate::Conflict));
    let dir = Dir::new("import-401");
    let input = dir.write("tickets.csv", &rows_csv(30, false));
    let env = [
        ("THENA_API_KEY", "not-the-key"),
        ("THENA_BASE_URL", server.sandbox.url()),
    ];
    thena(&["tickets", "import", &input], &env, None).failed(
        3,
        &[
            "stopped: the API refuses the import: HTTP 401",
            "rows are not done",
        ],
    );
    assert!(!dir.exists("tickets.csv.rejects.jsonl"));
    assert!(server.sandbox.requests().len() <= 8, "it stopped at once");
    // With the right key, the rows in flight then are sent again with their keys.
    let run = import(&server, &[&input]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(server.sandbox.tickets().len(), 30);
}

#[test]
fn throttling_slows_the_import_and_fails_no_row() {
    let server = Server::start();
    // 429s that outlast the SDK's retries (none here): the import waits and sends again.
    server.sandbox.inject(
        Fault::status(429)
            .retry_after(1)
            .times(6)
            .on(Route::CreateTicket),
    );
    let dir = Dir::new("import-throttled");
    let input = dir.write("tickets.csv", &rows_csv(12, false));
    let run = server.thena(&["--max-retries", "0", "tickets", "import", &input]);
    assert_eq!(run.code, Some(0), "one run, every row: {run:#?}");
    assert!(run.stderr.contains("12 created"), "{run:#?}");
    assert_eq!(server.sandbox.tickets().len(), 12);
    let throttled = server
        .sandbox
        .requests()
        .iter()
        .filter(|r| r.status == Some(429))
        .count();
    assert_eq!(throttled, 6, "the faults were met");
    let journal = dir.read("tickets.csv.thena-import");
    assert!(!journal.contains("\"retryable\""), "{journal}");
}

#[test]
fn a_dead_server_stops_the_import_after_failures_in_a_row() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("address"))
    };
    let dir = Dir::new("import-dead");
    let input = dir.write("tickets.csv", &rows_csv(200, false));
    let env = [("THENA_API_KEY", "k"), ("THENA_BASE_URL", closed.as_str())];
    let run = thena(
        &["--max-retries", "0", "tickets", "import", &input],
        &env,
        None,
    );
    run.failed(
        4,
        &[
            "stopped: 50 rows in a row failed after retries",
            "connection refused",
        ],
    );
}

#[test]
fn output_names_a_mapping_file_not_a_format() {
    let server = Server::start();
    let dir = Dir::new("import-output");
    let input = dir.write("tickets.csv", &rows_csv(1, false));
    import(&server, &[&input, "--output", "table"]).failed(2, &["--output table", "mapping"]);
    let run = server.thena(&["--output", "json", "tickets", "import", &input]);
    run.failed(2, &["--output json"]);
    import(&server, &[&input, "--output", "map.txt"]).failed(2, &["name a .csv or a .jsonl file"]);
    assert_eq!(server.sandbox.requests(), vec![]);
}

#[test]
fn a_rehearsal_in_the_embedded_sandbox_leaves_no_journal() {
    let dir = Dir::new("import-rehearsal");
    let input = dir.write("tickets.csv", &rows_csv(20, true));
    let map = dir.path("map.jsonl");
    let args = [
        "--sandbox",
        "tickets",
        "import",
        &input,
        "--id-column",
        "zendesk_id",
        "--output",
        &map,
    ];
    let run = thena(&args, &[], None);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(run.stderr.contains("20 created"), "{run:#?}");
    assert_eq!(json_lines(&dir.read("map.jsonl")).len(), 20);
    assert!(!dir.exists("tickets.csv.thena-import"));
    assert!(Path::new(&input).exists());
}
