//! The state journal: what an import did, one JSON line per event, only ever appended.
//! Its first line is a [`Header`]; then every row sent has a `sent` line, written before
//! the request, and an outcome line when the request ends. A run that is killed leaves
//! at worst a last line cut short, which the next run cuts off: every line before it is
//! whole.
//!
//! Lines reach the operating system (a `write`) before the requests they announce are
//! sent, and the disk (an `fsync`) at least every [`SYNC_EVERY`] and at the end, so a
//! killed process loses nothing and a lost machine at most that much; either way the
//! rows concerned are sent again with the same keys, which the platform does not turn
//! into second tickets.
//!
//! Rows are known by their key (`deDuplicationKey`), not their number: rows can be
//! inserted or reordered between runs. A run keeps only each key's 64-bit fingerprint
//! and whether it is done, so a million rows cost about 10 MB.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::exit::{Failure, Status};
use crate::import::key;

/// The journal's format; a journal of another format is refused.
pub const VERSION: u32 = 1;
/// How every journal's first line starts (the header's first field).
const HEADER_START: &[u8] = crate::import::files::JOURNAL_START;
/// The longest the disk may lag behind the journal.
pub const SYNC_EVERY: Duration = Duration::from_secs(1);

/// The first line: what the journal is about. A run whose own header differs in
/// `target` or `idColumn` is refused: its keys, or its platform, would not be the
/// journal's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    /// [`VERSION`].
    pub thena_import: u32,
    /// Where the tickets go: the API's base URL, or `embedded sandbox`.
    pub target: String,
    /// The `--id-column` the keys were derived with.
    pub id_column: Option<String>,
    /// The input, as named on the command line (for people; not compared).
    pub input: String,
}

/// What happened to a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Event {
    /// About to be sent with its key; not done until an outcome says so.
    Sent,
    /// Created by this request.
    Created,
    /// Answered with its ticket after an earlier attempt (of this run or an earlier
    /// one) may have created it.
    Replayed,
    /// Refused as a duplicate (409): the key's ticket exists, created by an earlier
    /// attempt; its id is unknown.
    CreatedEarlier,
    /// Refused by the API (a 4xx): no ticket. It is sent again on the next run.
    Rejected,
    /// Failed after the SDK's retries (5xx, 408, 429, no answer): the ticket may exist.
    /// Sent again, with the same key, on the next run.
    Retryable,
}

impl Event {
    /// Its name in the journal and the mapping.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Created => "created",
            Self::Replayed => "replayed",
            Self::CreatedEarlier => "createdEarlier",
            Self::Rejected => "rejected",
            Self::Retryable => "retryable",
        }
    }

    /// Whether the row has its ticket.
    pub fn is_done(self) -> bool {
        matches!(self, Self::Created | Self::Replayed | Self::CreatedEarlier)
    }
}

/// One event line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Line<'a> {
    /// What happened.
    pub event: Event,
    /// The row's number in the input of the run that wrote the line.
    pub row: u64,
    /// The row's key.
    #[serde(borrow)]
    pub key: Cow<'a, str>,
    /// The row's value in the `--id-column` column.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<Cow<'a, str>>,
    /// The ticket's id, when known.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub id: Option<Cow<'a, str>>,
    /// The ticket's identifier, e.g. `TEAM1-42`, when known.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub ticket_identifier: Option<Cow<'a, str>>,
    /// The HTTP status of a refusal or failure, when there was an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why a row was refused or failed.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub message: Option<Cow<'a, str>>,
}

impl<'a> Line<'a> {
    /// A line with only its event, row and key.
    pub fn new(event: Event, row: u64, key: &'a str) -> Self {
        Self {
            event,
            row,
            key: Cow::Borrowed(key),
            source_id: None,
            id: None,
            ticket_identifier: None,
            status: None,
            message: None,
        }
    }
}

/// Reads a journal: its header, then each whole line. A last line cut short (by a kill
/// mid-write) is skipped; with `repair`, it is also cut off the file so that appends
/// start on a line of their own. `None` when the file does not exist or holds no
/// whole header.
pub fn read(
    path: &Path,
    repair: bool,
    mut each: impl FnMut(Line<'_>) -> Result<(), Failure>,
) -> Result<Option<Header>, Failure> {
    let foreign = |e: &dyn std::fmt::Display| {
        Failure::new(
            Status::Usage,
            format!(
                "{} is not a journal of thena tickets import ({e}); name another file with \
                 --state",
                path.display()
            ),
        )
    };
    let damaged = |line: u64, e: &dyn std::fmt::Display| {
        Failure::new(
            Status::Usage,
            format!(
                "the journal {} is damaged at line {line} ({e}); --restart discards it",
                path.display()
            ),
        )
    };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unusable(path, &e)),
    };
    let mut lines = BufReader::with_capacity(256 * 1024, file);
    let mut buffer = Vec::new();
    let mut header = None;
    let (mut number, mut whole) = (0u64, 0u64);
    loop {
        buffer.clear();
        let read = lines
            .read_until(b'\n', &mut buffer)
            .map_err(|e| unusable(path, &e))?;
        if read == 0 {
            break;
        }
        if buffer.last() != Some(&b'\n') {
            // A header cut short is a journal's first write interrupted; any other file
            // is not cut down to nothing.
            if header.is_none() && !buffer.starts_with(HEADER_START) {
                return Err(foreign(&"its first line is not a journal's header"));
            }
            if repair {
                let file = OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| unusable(path, &e))?;
                file.set_len(whole).map_err(|e| unusable(path, &e))?;
            }
            break;
        }
        number += 1;
        whole += read as u64;
        if header.is_none() {
            let parsed: Header = serde_json::from_slice(&buffer).map_err(|e| foreign(&e))?;
            if parsed.thena_import != VERSION {
                return Err(Failure::new(
                    Status::Usage,
                    format!(
                        "the journal {} has format {}; this thena writes format {VERSION} \
                         (--restart replaces it)",
                        path.display(),
                        parsed.thena_import
                    ),
                ));
            }
            header = Some(parsed);
            continue;
        }
        let line: Line = serde_json::from_slice(&buffer).map_err(|e| damaged(number, &e))?;
        each(line)?;
    }
    Ok(header)
}

fn unusable(path: &Path, e: &io::Error) -> Failure {
    Failure::new(
        Status::Usage,
        format!("the journal {}: cannot use it: {e}", path.display()),
    )
}

/// Whether a row was done by an earlier run, or sent without an outcome that says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Its ticket exists: skip it.
    Done,
    /// Sent, and perhaps created: send it again with the same key.
    Open,
}

/// What earlier runs did, by key: the keys sent, sorted by fingerprint, and which are
/// done. Keys refused (4xx) are not kept: they made no ticket.
#[derive(Debug)]
pub struct Earlier {
    /// The journal's header.
    pub header: Header,
    fingerprints: Vec<u64>,
    done: Vec<bool>,
    found: Vec<bool>,
}

impl Earlier {
    /// The journal at `path`, if there is one (see [`read`]).
    pub fn read(path: &Path, repair: bool) -> Result<Option<Self>, Failure> {
        let mut done = Vec::new();
        let mut open = HashSet::new();
        let header = read(path, repair, |line| {
            let fingerprint = key::fingerprint(&line.key);
            match line.event {
                Event::Sent | Event::Retryable => {
                    open.insert(fingerprint);
                }
                event => {
                    open.remove(&fingerprint);
                    if event.is_done() {
                        done.push(fingerprint);
                    }
                }
            }
            Ok(())
        })?;
        let Some(header) = header else {
            return Ok(None);
        };
        let mut keys: Vec<(u64, bool)> = done
            .into_iter()
            .map(|fp| (fp, true))
            .chain(open.into_iter().map(|fp| (fp, false)))
            .collect();
        // A key done is done, whatever else its lines say.
        keys.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        keys.dedup_by_key(|k| k.0);
        let (fingerprints, done): (Vec<u64>, Vec<bool>) = keys.into_iter().unzip();
        Ok(Some(Self {
            header,
            found: vec![false; fingerprints.len()],
            fingerprints,
            done,
        }))
    }

    /// Whether no run sent any row that may have made a ticket.
    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }

    /// The state of a row's key, and notes that the input still has it.
    pub fn state(&mut self, key_fingerprint: u64) -> Option<State> {
        let i = self.fingerprints.binary_search(&key_fingerprint).ok()?;
        self.found[i] = true;
        Some(if self.done[i] {
            State::Done
        } else {
            State::Open
        })
    }

    /// The fingerprints of keys sent by earlier runs that no row asked for by
    /// [`state`](Self::state): rows removed from the input, or changed so that their
    /// key changed.
    pub fn missing(&self) -> HashSet<u64> {
        self.fingerprints
            .iter()
            .zip(&self.found)
            .filter(|(_, found)| !**found)
            .map(|(&fp, _)| fp)
            .collect()
    }
}

/// Appends to a journal.
pub struct Journal {
    out: BufWriter<File>,
    path: PathBuf,
    synced: Instant,
    syncing: Option<JoinHandle<io::Result<()>>>,
}

impl Journal {
    /// A new journal with this header, replacing any file at `path`.
    pub fn create(path: &Path, header: &Header) -> Result<Self, Failure> {
        let file = File::create(path).map_err(|e| unusable(path, &e))?;
        let mut journal = Self::new(file, path);
        serde_json::to_writer(&mut journal.out, header)
            .map_err(io::Error::from)
            .and_then(|()| journal.out.write_all(b"\n"))
            .and_then(|()| journal.sync())
            .map_err(|e| unusable(path, &e))?;
        Ok(journal)
    }

    /// The journal at `path`, to go on with.
    pub fn append(path: &Path) -> Result<Self, Failure> {
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| unusable(path, &e))?;
        Ok(Self::new(file, path))
    }

    fn new(file: File, path: &Path) -> Self {
        Self {
            out: BufWriter::with_capacity(64 * 1024, file),
            path: path.to_owned(),
            synced: Instant::now(),
            syncing: None,
        }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds a line (buffered: see [`flush`](Self::flush)).
    pub fn record(&mut self, line: &Line<'_>) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, line)?;
        self.out.write_all(b"\n")
    }

    /// Hands the buffered lines to the operating system: from then on a killed process
    /// keeps them.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes, and starts writing to disk in the background if the last sync is
    /// [`SYNC_EVERY`] old and none is under way.
    pub fn sync_soon(&mut self) -> io::Result<()> {
        self.flush()?;
        if self.synced.elapsed() < SYNC_EVERY {
            return Ok(());
        }
        if let Some(syncing) = self.syncing.take_if(|s| s.is_finished()) {
            syncing.join().unwrap_or(Ok(()))?;
        }
        if self.syncing.is_none() {
            let file = self.out.get_ref().try_clone()?;
            self.syncing = Some(std::thread::spawn(move || file.sync_data()));
            self.synced = Instant::now();
        }
        Ok(())
    }

    /// Flushes and waits until every line is on disk.
    pub fn sync(&mut self) -> io::Result<()> {
        self.flush()?;
        if let Some(syncing) = self.syncing.take() {
            syncing.join().unwrap_or(Ok(()))?;
        }
        self.out.get_ref().sync_data()?;
        self.synced = Instant::now();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_file::TempFile;

    fn header() -> Header {
        Header {
            thena_import: VERSION,
            target: "http://127.0.0.1:4010".into(),
            id_column: None,
            input: "tickets.csv".into(),
        }
    }

    #[test]
    fn event_names_are_their_json() {
        for event in [
            Event::Sent,
            Event::Created,
            Event::Replayed,
            Event::CreatedEarlier,
            Event::Rejected,
            Event::Retryable,
        ] {
            let json = serde_json::to_value(event).expect("JSON");
            assert_eq!(json, event.name());
        }
    }

    #[test]
    fn a_journal_knows_which_keys_are_done_and_which_are_open() {
        let file = TempFile::new("journal.thena-import", "");
        let path = Path::new(file.path());
        let mut journal = Journal::create(path, &header()).expect("created");
        for (event, key) in [
            (Event::Sent, "a"),
            (Event::Sent, "b"),
            (Event::Sent, "c"),
            (Event::Sent, "d"),
            (Event::Created, "a"),
            (Event::Retryable, "b"),
            (Event::Rejected, "c"),
        ] {
            journal.record(&Line::new(event, 1, key)).expect("written");
        }
        journal.sync().expect("synced");

        let mut earlier = Earlier::read(path, true)
            .expect("readable")
            .expect("a journal");
        assert_eq!(earlier.header, header());
        let fp = key::fingerprint;
        assert_eq!(earlier.state(fp("a")), Some(State::Done));
        assert_eq!(earlier.state(fp("b")), Some(State::Open));
        assert_eq!(earlier.state(fp("c")), None, "a refusal made no ticket");
        assert_eq!(earlier.missing(), HashSet::from([fp("d")]));
    }

    #[test]
    fn a_line_cut_short_is_cut_off_and_a_damaged_line_refused() {
        let head = serde_json::to_string(&header()).expect("JSON");
        let text =
            format!("{head}\n{{\"event\":\"sent\",\"row\":1,\"key\":\"a\"}}\n{{\"event\":\"cre");
        let file = TempFile::new("cut.thena-import", &text);
        let path = Path::new(file.path());
        let mut earlier = Earlier::read(path, true)
            .expect("readable")
            .expect("a journal");
        assert_eq!(earlier.state(key::fingerprint("a")), Some(State::Open));
        let kept = std::fs::read_to_string(path).expect("readable");
        assert!(kept.ends_with("\"key\":\"a\"}\n"), "{kept}");

        let file = TempFile::new("damaged.thena-import", &format!("{head}\nnot json\n{{}}\n"));
        let err = Earlier::read(Path::new(file.path()), true).expect_err("damaged");
        assert!(err.to_string().contains("damaged at line 2"), "{err}");

        let file = TempFile::new("other.thena-import", "title,teamId\n");
        let err = Earlier::read(Path::new(file.path()), true).expect_err("not a journal");
        assert!(err.to_string().contains("is not a journal"), "{err}");

        // Another file with no line end is refused, not cut down to nothing.
        let file = TempFile::new("notes.txt", "remember the milk");
        let err = Earlier::read(Path::new(file.path()), true).expect_err("not a journal");
        assert!(err.to_string().contains("is not a journal"), "{err}");
        let kept = std::fs::read_to_string(file.path()).expect("readable");
        assert_eq!(kept, "remember the milk");

        // Killed while writing its header: no journal yet.
        let file = TempFile::new("new.thena-import", "{\"thenaImport\":");
        assert!(
            Earlier::read(Path::new(file.path()), true)
                .expect("readable")
                .is_none()
        );
    }
}
