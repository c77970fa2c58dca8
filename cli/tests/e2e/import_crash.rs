//! `thena tickets import` of 3,000 rows killed at random moments (SIGKILL) while the
//! sandbox, in this test process, meets 5% of the requests with random faults; run
//! again until it exits 0, every row has exactly one ticket, under both answers to a
//! reused key. And Ctrl-C, once and twice.
//!
//! Each mode takes about 30 s on 2 cores, mostly waiting: with chaos, 1 request in 100
//! is a 429 with `Retry-After: 1`, which pauses the whole client for a second.

use std::collections::{BTreeMap, HashMap};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use thena_sandbox::{Chaos, Fault, FaultKind, OnDuplicate, Route, Sandbox};

use crate::import::{Dir, json_lines, rows_csv, titles};
use crate::{Server, bare_thena};

/// Rows per mode.
const ROWS: usize = 3000;
/// Kills per mode.
const KILLS: usize = 3;

/// `thena` with `args`, configured for `server`, output kept.
fn spawn(server: &Server, args: &[&str]) -> Child {
    let mut command = bare_thena();
    command
        .args(args)
        .envs(server.env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.spawn().expect("thena starts")
}

/// A small generator of kill moments, seeded from the clock (the seed is printed).
struct Moments(u64);

impl Moments {
    fn new() -> Self {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1;
        eprintln!("kill moments seeded with {seed}");
        Self(seed)
    }

    /// A moment between `low` and `high` milliseconds from now.
    fn next(&mut self, low: u64, high: u64) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        Duration::from_millis(low + self.0 % (high - low))
    }
}

fn survives_kills_under_chaos(mode: OnDuplicate) {
    let rows = ROWS;
    let started = Instant::now();
    let chaos = Chaos::new(0.05)
        .expect("a rate")
        .seed(rows as u64 + mode as u64);
    let server = Server::start_with(Sandbox::builder().on_duplicate(mode).chaos(chaos));
    let dir = Dir::new(&format!("import-kill-{mode:?}"));
    // Both key derivations: the source system's id in one mode, the content in the other.
    let by_id = mode == OnDuplicate::Replay;
    let input = dir.write("tickets.csv", &rows_csv(rows, by_id));
    let map = dir.path("map.jsonl");
    let mut args = vec![
        "tickets",
        "import",
        input.as_str(),
        "--output",
        map.as_str(),
    ];
    if by_id {
        args.extend(["--id-column", "zendesk_id"]);
    }

    kill_at_random(&server, &args, 300, 3000);
    // Lines, not JSON: a kill may cut the last one short, which the next run cuts off.
    let journaled = dir.read("tickets.csv.thena-import").lines().count();
    assert!(journaled > 1, "the killed runs sent rows");
    let runs = until_done(&server, &args);

    // Exactly one ticket per row.
    let titles = titles(&server.sandbox);
    assert_eq!(server.sandbox.tickets().len(), rows, "{mode:?}");
    for i in 1..=rows {
        assert_eq!(
            titles.get(&format!("Row {i}")),
            Some(&1),
            "{mode:?}: row {i}"
        );
    }

    // The mapping: each row once; an id, where known, is the id of the row's ticket.
    let ids: HashMap<String, String> = server
        .sandbox
        .tickets()
        .into_iter()
        .filter_map(|t| Some((t.id?, t.title?)))
        .collect();
    let mapping = json_lines(&dir.read("map.jsonl"));
    assert_eq!(mapping.len(), rows, "{mode:?}");
    let truncated: Vec<_> = server
        .sandbox
        .requests()
        .into_iter()
        .filter(|r| r.fault == Some(FaultKind::Truncate))
        .collect();
    let mut outcomes = BTreeMap::new();
    let mut keys_by_row = BTreeMap::new();
    for mapped in &mapping {
        let row = mapped["row"].as_u64().expect("a row number");
        *outcomes
            .entry(mapped["outcome"].as_str().unwrap_or_default())
            .or_insert(0) += 1;
        assert!(
            keys_by_row.insert(row, mapped["key"].clone()).is_none(),
            "row {row} twice"
        );
        match mapped["id"].as_str() {
            Some(id) => assert_eq!(ids.get(id), Some(&format!("Row {row}")), "{mapped}"),
            // Only a duplicate refusal leaves the id unknown, or a success whose body
            // was cut (the SDK's retries after it all failing).
            None if mapped["outcome"] == "createdEarlier" => {}
            None => {
                let key = mapped["key"].as_str();
                assert!(
                    truncated
                        .iter()
                        .any(|r| r.de_duplication_key.as_deref() == key),
                    "{mapped}"
                );
            }
        }
    }
    eprintln!(
        "{mode:?}: {rows} rows, {runs} runs after {KILLS} kills, {:?}: {outcomes:?}",
        started.elapsed()
    );
    match mode {
        OnDuplicate::Replay => assert!(outcomes.contains_key("replayed"), "{outcomes:?}"),
        OnDuplicate::Conflict => {
            assert!(outcomes.contains_key("createdEarlier"), "{outcomes:?}");
            assert!(!outcomes.contains_key("rejected"));
        }
    }

    // The journal agrees: every key has one outcome with a ticket, after a `sent` line.
    let journal = json_lines(&dir.read("tickets.csv.thena-import"));
    let mut sent = std::collections::HashSet::new();
    let mut done: HashMap<&str, usize> = HashMap::new();
    for line in &journal[1..] {
        let key = line["key"].as_str().expect("a key");
        match line["event"].as_str() {
            Some("sent") => {
                sent.insert(key);
            }
            Some("created" | "replayed" | "createdEarlier") => {
                assert!(sent.contains(key), "{line}: no sent line before");
                *done.entry(key).or_insert(0) += 1;
            }
            _ => {}
        }
    }
    assert_eq!(done.len(), rows, "{mode:?}");
    assert!(done.values().all(|&n| n == 1), "a key done twice");
    for key in keys_by_row.values() {
        assert!(done.contains_key(key.as_str().unwrap_or_default()), "{key}");
    }
    // Chaos struck, and every create carried its row's key.
    let requests = server.sandbox.requests();
    assert!(requests.iter().any(|r| r.fault.is_some()));
    assert!(
        requests
            .iter()
            .filter(|r| r.route == Some(Route::CreateTicket))
            .all(|r| r.de_duplication_key.is_some())
    );
}

#[test]
fn killed_at_random_under_chaos_every_row_is_one_ticket_when_a_reused_key_replays() {
    survives_kills_under_chaos(OnDuplicate::Replay);
}

#[test]
fn killed_at_random_under_chaos_every_row_is_one_ticket_when_a_reused_key_is_refused() {
    survives_kills_under_chaos(OnDuplicate::Conflict);
}

/// An export of rows `ids`, a row's title and priority as `changed` says.
fn export(ids: impl Iterator<Item = usize>, changed: impl Fn(usize) -> bool) -> String {
    let mut text = String::from("zendesk_id,title,requestorEmail,teamId,priorityName\n");
    for i in ids {
        let (title, priority) = match changed(i) {
            true => (format!("Row {i} v2"), "Low"),
            false => (format!("Row {i}"), "High"),
        };
        text.push_str(&format!(
            "ZD-{i},{title},user{i}@example.com,team_1,{priority}\n"
        ));
    }
    text
}

/// Starts `args` [`KILLS`] times, each killed (SIGKILL: no chance to flush or to say
/// goodbye) at a moment between `low` and `high` milliseconds after its start.
fn kill_at_random(server: &Server, args: &[&str], low: u64, high: u64) {
    let mut moments = Moments::new();
    for _ in 0..KILLS {
        let mut child = spawn(server, args);
        std::thread::sleep(moments.next(low, high));
        child.kill().expect("kill thena");
        let _ = child.wait();
    }
}

/// Runs `args` until it exits 0 (4: rows failed after retries, which the next run
/// sends again); how many runs it took.
fn until_done(server: &Server, args: &[&str]) -> usize {
    let mut runs = 0;
    loop {
        runs += 1;
        let run = server.thena(args);
        match run.code {
            Some(0) => return runs,
            Some(4) if runs < 10 => continue,
            _ => panic!("run {runs}: {run:#?}"),
        }
    }
}

#[test]
fn a_sync_killed_at_random_under_chaos_leaves_every_id_one_ticket_up_to_date() {
    const FIRST: usize = 1000;
    const NEW: usize = 200;
    let started = Instant::now();
    let chaos = Chaos::new(0.05).expect("a rate").seed(7);
    let server = Server::start_with(
        Sandbox::builder()
            .on_duplicate(OnDuplicate::Replay)
            .chaos(chaos),
    );
    let dir = Dir::new("import-sync-kill");
    let input = dir.write("export.csv", &export(1..=FIRST, |_| false));
    let map = dir.path("map.jsonl");
    let args = [
        "tickets",
        "import",
        input.as_str(),
        "--id-column",
        "zendesk_id",
        "--output",
        map.as_str(),
    ];
    until_done(&server, &args);

    // The next export: one row in ten changed, the first ten gone, 200 new.
    let changed = |i: usize| i.is_multiple_of(10);
    dir.write("export.csv", &export(11..=FIRST + NEW, changed));
    let sync = [&args[..], &["--sync"]].concat();
    let before = dir.read("export.csv.thena-import").lines().count();
    kill_at_random(&server, &sync, 200, 1500);
    let after = dir.read("export.csv.thena-import").lines().count();
    assert!(after > before, "the killed syncs journaled rows");
    let runs = until_done(&server, &sync);

    // Every id one ticket, and each ticket as the export has it now (titles are one
    // per id, old or new).
    let tickets = server.sandbox.tickets();
    assert_eq!(
        tickets.len(),
        FIRST + NEW,
        "one ticket per id, gone ones kept"
    );
    let mut by_title: HashMap<String, Vec<String>> = HashMap::new();
    for ticket in tickets {
        let title = ticket.title.unwrap_or_default();
        by_title
            .entry(title)
            .or_default()
            .push(ticket.priority.unwrap_or_default());
    }
    for i in 1..=FIRST + NEW {
        let (title, priority) = match i > 10 && changed(i) {
            true => (format!("Row {i} v2"), "Low"),
            false => (format!("Row {i}"), "High"),
        };
        assert_eq!(
            by_title.get(&title).map(Vec::as_slice),
            Some(&[priority.to_owned()][..]),
            "ZD-{i}"
        );
    }
    let mut mapped = std::collections::HashSet::new();
    for line in json_lines(&dir.read("map.jsonl")) {
        let source = line["sourceId"].as_str().unwrap_or_default().to_owned();
        assert!(
            mapped.insert(source.clone()),
            "{source} twice in the mapping"
        );
    }
    assert_eq!(mapped.len(), FIRST + NEW);
    // Chaos struck (the updates too, with all but certainty: 100 of them at 5 %), and a
    // last run has nothing left to send.
    let requests = server.sandbox.requests();
    assert!(requests.iter().any(|r| r.fault.is_some()));
    let patch_faults = requests
        .iter()
        .filter(|r| r.method == "PATCH" && r.fault.is_some())
        .count();
    server.sandbox.clear_requests();
    let last = server.thena(&sync);
    assert_eq!(last.code, Some(0), "{last:#?}");
    assert!(last.stderr.contains("none changed"), "{last:#?}");
    assert_eq!(server.sandbox.requests(), vec![]);
    eprintln!(
        "sync: {FIRST} rows, then {} changed, 10 gone, {NEW} new: {runs} runs after {KILLS} \
         kills, {patch_faults} updates struck, {:?}",
        FIRST / 10,
        started.elapsed()
    );
}

/// Sends SIGINT, as Ctrl-C does.
fn interrupt(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[test]
fn ctrl_c_finishes_the_requests_in_flight_and_a_second_one_stops_at_once() {
    for presses in [1, 2] {
        let server = Server::start();
        // Answers slow enough that both presses come while the first rows are in flight.
        server.sandbox.inject(
            Fault::delay(Duration::from_millis(1500))
                .times(1000)
                .on(Route::CreateTicket),
        );
        let dir = Dir::new(&format!("import-ctrl-c-{presses}"));
        let input = dir.write("tickets.csv", &rows_csv(60, false));
        let args = ["tickets", "import", input.as_str(), "--concurrency", "4"];
        let child = spawn(&server, &args);
        // A `sent` line: the rows are going out, and Ctrl-C is listened to (from before
        // the first row is sent), however slowly thena started.
        let journal = dir.path("tickets.csv.thena-import");
        let started = Instant::now();
        while !std::fs::read_to_string(&journal).is_ok_and(|j| j.contains("\"sent\"")) {
            assert!(started.elapsed() < Duration::from_secs(30), "no row sent");
            std::thread::sleep(Duration::from_millis(20));
        }
        for _ in 0..presses {
            interrupt(&child);
            std::thread::sleep(Duration::from_millis(100));
        }
        let output = child.wait_with_output().expect("thena exits");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(4), "{stderr}");
        let said = match presses {
            1 => "interrupted: finishing the 4 requests in flight",
            _ => "interrupted again: stopped at once",
        };
        assert!(stderr.contains(said), "{stderr}");
        assert!(stderr.contains("run the same command again"), "{stderr}");
        if presses == 1 {
            // Every request that went out came back and is journaled; rows still
            // waiting to go (for the quota) were not sent, and are to retry.
            let journal = json_lines(&dir.read("tickets.csv.thena-import"));
            let count = |event: &str| journal.iter().filter(|l| l["event"] == event).count();
            assert_eq!(
                count("sent"),
                count("created") + count("retryable"),
                "{journal:#?}"
            );
            assert_eq!(
                server.sandbox.requests().len(),
                count("created"),
                "{journal:#?}"
            );
            assert_eq!(count("created"), server.sandbox.tickets().len());
        }

        server.sandbox.clear_faults();
        let run = server.thena(&args);
        assert_eq!(run.code, Some(0), "{run:#?}");
        assert_eq!(server.sandbox.tickets().len(), 60);
        assert!(titles(&server.sandbox).values().all(|&n| n == 1));
    }
}

#[test]
fn ctrl_c_while_rows_wait_for_the_quota_sends_none_of_them() {
    // Three requests a minute: the window is spent at once and the rows wait for the
    // next one. Started early in a minute, so that it does not turn during the test.
    let second = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() % 60);
    if second > 40 {
        std::thread::sleep(Duration::from_secs(61 - second));
    }
    let limit = "3/1m".parse().expect("a rate limit");
    let server = Server::start_with(Sandbox::builder().rate_limit(limit));
    let dir = Dir::new("import-ctrl-c-quota");
    let input = dir.write("tickets.csv", &rows_csv(20, false));
    let args = ["tickets", "import", input.as_str(), "--concurrency", "4"];
    let child = spawn(&server, &args);
    let started = Instant::now();
    while server.sandbox.tickets().len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "3 rows not sent"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Long enough for a progress line (one every 5 s off a terminal).
    std::thread::sleep(Duration::from_millis(5500));
    interrupt(&child);
    let output = child.wait_with_output().expect("thena exits");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("waiting for the quota until "), "{stderr}");
    assert_eq!(server.sandbox.requests().len(), 3, "{stderr}");
    let journal = json_lines(&dir.read("tickets.csv.thena-import"));
    let count = |event: &str| journal.iter().filter(|l| l["event"] == event).count();
    assert_eq!(count("created"), 3, "{journal:#?}");
    assert_eq!(
        count("sent"),
        count("created") + count("retryable"),
        "{journal:#?}"
    );
}
