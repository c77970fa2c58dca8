//! The one door to stdout and stderr. Nothing else in `thena` writes to them, so a
//! closed or full stream (`| head -1`, `> /dev/full`, a terminal gone) never panics a
//! command: data written to stdout reports its failure to the caller, which decides
//! the exit status; a message that cannot reach stderr is lost, as nobody is there to
//! read it.

use std::fmt::Display;
use std::io::{self, Write};

/// Writes `thena: <message>` and a line end to stderr; a failure to write is ignored.
pub fn say(message: impl Display) {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "thena: {message}").and_then(|()| stderr.flush());
}

/// Writes `text` and a line end to stderr, as it is (`api -i`'s status and headers); a
/// failure to write is ignored.
pub fn note(text: &str) {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "{text}").and_then(|()| stderr.flush());
}

/// Stderr, for the `--debug` log's writer. Its write errors are the logger's to drop.
pub fn log() -> io::Stderr {
    io::stderr()
}

/// Writes `bytes` to stdout, whole, and flushes.
pub fn data(bytes: &[u8]) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(bytes)?;
    stdout.flush()
}

/// Stdout, for a writer that streams its data (the import's mapping); its failures
/// are the caller's to report.
pub fn stdout() -> io::StdoutLock<'static> {
    io::stdout().lock()
}
