//! Closed and full streams: no command panics, and the exit status says what is true
//! (6: done, but the output was lost).

use std::fs::File;
use std::io::Read;
use std::process::Stdio;

use crate::import::{Dir, rows_csv};
use crate::{CREATE, Server, bare_thena};

/// Where a stream of `thena` goes.
pub enum To {
    /// A pipe whose reader is closed before `thena` starts (`| head -0`).
    Closed,
    /// `/dev/full`: every write fails with "no space left on device".
    Full,
    /// A pipe, read to its end.
    Kept,
}

impl To {
    fn stdio(&self) -> Stdio {
        match self {
            Self::Full => File::options()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full")
                .into(),
            // The reader is gone before thena starts.
            Self::Closed => std::io::pipe().expect("a pipe").1.into(),
            Self::Kept => Stdio::piped(),
        }
    }
}

/// Runs `thena` with `args` for `server`, stdout and stderr as told; its exit status
/// and what the kept streams got (stdout, stderr).
pub fn run_to(server: &Server, args: &[&str], stdout: To, stderr: To) -> (Option<i32>, String) {
    let mut command = bare_thena();
    command
        .args(args)
        .envs(server.env())
        .stdin(Stdio::null())
        .stdout(stdout.stdio())
        .stderr(stderr.stdio());
    let mut child = command.spawn().expect("thena starts");
    let out: Option<Box<dyn Read>> = child.stdout.take().map(|p| Box::new(p) as _);
    let err: Option<Box<dyn Read>> = child.stderr.take().map(|p| Box::new(p) as _);
    let mut kept = String::new();
    for (pipe, to) in [(out, &stdout), (err, &stderr)] {
        if let (Some(mut pipe), To::Kept) = (pipe, to) {
            pipe.read_to_string(&mut kept).expect("readable");
        }
    }
    let status = child.wait().expect("thena exits");
    (status.code(), kept)
}

#[test]
fn a_create_whose_ticket_cannot_be_printed_exits_6_naming_the_ticket_and_its_key() {
    let server = Server::start();
    let (code, stderr) = run_to(&server, &CREATE, To::Full, To::Kept);
    assert_eq!(code, Some(6), "{stderr}");
    let tickets = server.sandbox.tickets();
    assert_eq!(tickets.len(), 1, "the ticket was created");
    let id = tickets[0].id.clone().expect("an id");
    let key = server.sandbox.requests()[0]
        .de_duplication_key
        .clone()
        .expect("a key");
    for needle in [
        "the ticket was created",
        id.as_str(),
        key.as_str(),
        "writing it to stdout failed",
    ] {
        assert!(stderr.contains(needle), "no {needle:?} in {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn no_command_panics_on_a_closed_or_full_stream() {
    let server = Server::start();
    let completions = ["completions", "bash"];
    for (stdout, stderr) in [(To::Full, To::Kept), (To::Closed, To::Kept)] {
        let (code, said) = run_to(&server, &completions, stdout, stderr);
        assert_eq!(code, Some(6), "{said}");
        assert!(
            said.contains("cannot write the completion script"),
            "{said}"
        );
        assert!(!said.contains("panicked"), "{said}");
    }

    // `thena tickets import f.csv 2>&1 | head -1`: both streams closed.
    let dir = Dir::new("streams-closed");
    let input = dir.write("tickets.csv", &rows_csv(5, false));
    let import = ["tickets", "import", input.as_str()];
    let (code, _) = run_to(&server, &import, To::Closed, To::Closed);
    assert_eq!(code, Some(0), "the rows are done; nothing panicked");
    assert_eq!(server.sandbox.tickets().len(), 5);

    // A starting mapping or a plan that cannot reach stdout is said so, exit 6.
    // A fresh file: rows never sent, so that the plan has lines to write.
    let fresh = dir.write(
        "fresh.jsonl",
        "{\"title\": \"New\", \"requestorEmail\": \"n@example.com\", \"teamId\": \"t\"}\n",
    );
    let write_mapping = ["tickets", "import", fresh.as_str(), "--write-mapping", "-"];
    let plan = [
        "tickets",
        "import",
        fresh.as_str(),
        "--dry-run",
        "--output",
        "-",
    ];
    for (args, said_what) in [
        (&write_mapping[..], "cannot write stdout"),
        (&plan[..], "the plan could not be written to stdout"),
    ] {
        for stdout in [To::Full, To::Closed] {
            let (code, said) = run_to(&server, args, stdout, To::Kept);
            assert_eq!(code, Some(6), "{args:?}: {said}");
            assert!(said.contains(said_what), "{args:?}: {said}");
            assert!(!said.contains("panicked"), "{said}");
        }
    }

    // A failure with stderr closed still exits with its status.
    let (code, _) = run_to(
        &server,
        &["tickets", "import", "/nonexistent.csv"],
        To::Closed,
        To::Closed,
    );
    assert_eq!(code, Some(2));
}
