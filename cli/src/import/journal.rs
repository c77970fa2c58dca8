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
use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::exit::{Failure, Status};
use crate::import::key;
use crate::import::sent::{self, Sent};

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
    /// The row's ticket updated (`--sync`) with the properties that changed.
    Updated,
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
            Self::Updated => "updated",
        }
    }

    /// Whether the row has its ticket, made by this event's request.
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
    /// On a `sent` line: the hash of the row's properties ([`Sent::content`]).
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub content: Option<Cow<'a, str>>,
    /// On a line of a ticket made or updated, or of an update that may or may not have
    /// been made: what the ticket's properties now are, as far as known. A line without it (or a journal of an older thena) knows nothing
    /// of them: `--sync` sends all of the row's properties that an update can set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<Sent>,
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
            content: None,
            sent: None,
        }
    }

    /// Whether it is about an update (`--sync`): a refused or failed update has its
    /// ticket's id, a create's never does.
    fn is_update(&self) -> bool {
        self.event == Event::Updated || (self.id.is_some() && !self.event.is_done())
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

/// The header of the journal at `path`, if it has a whole one.
pub fn header(path: &Path) -> Option<Header> {
    let mut first = String::new();
    BufReader::new(File::open(path).ok()?)
        .take(64 * 1024)
        .read_line(&mut first)
        .ok()?;
    serde_json::from_str(first.trim_end()).ok()
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
    /// Its ticket exists: skip it (or, with `--sync`, update it if it changed). The
    /// [`Sent::content`] of what the ticket has, if known.
    Done(Option<u64>),
    /// Sent, and perhaps created: send it again with the same key. The
    /// [`Sent::content`] of the last attempt, if known.
    Open(Option<u64>),
}

/// What earlier runs did, by key: the keys sent, sorted by fingerprint, with what
/// their tickets have, and which are open. Keys refused (4xx) are not kept: they made
/// no ticket. About 17 bytes a key.
#[derive(Debug)]
pub struct Earlier {
    /// The journal's header.
    pub header: Header,
    /// Per key, its fingerprint and the [`Sent::content`] of its ticket (done) or of its
    /// last attempt (open); 0 when not known.
    keys: Vec<(u64, u64)>,
    /// The fingerprints of the keys sent without an outcome: few, those in flight when
    /// a run stopped.
    open: HashSet<u64>,
    found: Vec<bool>,
}

impl Earlier {
    /// The journal at `path`, if there is one (see [`read`]).
    pub fn read(path: &Path, repair: bool) -> Result<Option<Self>, Failure> {
        // In the order of the lines: a later line about a key wins.
        let mut keys: Vec<(u64, u64)> = Vec::new();
        let mut open: HashMap<u64, u64> = HashMap::new();
        let header = read(path, repair, |line| {
            let fingerprint = key::fingerprint(&line.key);
            if line.is_update() {
                // A refused update leaves the ticket as it was; one that failed says
                // what is still known of it.
                if line.event == Event::Updated || line.sent.is_some() {
                    keys.push((fingerprint, known(line.sent.as_ref())));
                }
                return Ok(());
            }
            match line.event {
                Event::Sent => {
                    let content = line.content.as_deref().and_then(sent::parse_hex);
                    open.insert(fingerprint, content.unwrap_or(0));
                }
                Event::Retryable => {
                    open.entry(fingerprint).or_insert(0);
                }
                event => {
                    open.remove(&fingerprint);
                    if event.is_done() {
                        keys.push((fingerprint, known(line.sent.as_ref())));
                    }
                }
            }
            Ok(())
        })?;
        let Some(header) = header else {
            return Ok(None);
        };
        // Stable: of one key's lines, the last stays last, and is kept, in place.
        keys.sort_by_key(|&(fp, _)| fp);
        let mut kept = 0;
        for i in 0..keys.len() {
            match kept {
                0 => kept = 1,
                _ if keys[kept - 1].0 == keys[i].0 => keys[kept - 1] = keys[i],
                _ => {
                    keys[kept] = keys[i];
                    kept += 1;
                }
            }
        }
        keys.truncate(kept);
        // A key done is done, whatever else its lines say.
        let done = keys.len();
        open.retain(|fp, _| keys[..done].binary_search_by_key(fp, |k| k.0).is_err());
        keys.extend(open.iter().map(|(&fp, &content)| (fp, content)));
        keys.sort_unstable_by_key(|&(fp, _)| fp);
        Ok(Some(Self {
            header,
            found: vec![false; keys.len()],
            keys,
            open: open.into_keys().collect(),
        }))
    }

    /// Whether no run sent any row that may have made a ticket.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The state of a row's key, and notes that the input still has it.
    pub fn state(&mut self, key_fingerprint: u64) -> Option<State> {
        let i = self
            .keys
            .binary_search_by_key(&key_fingerprint, |k| k.0)
            .ok()?;
        self.found[i] = true;
        let content = self.keys[i].1;
        let content = (content != 0).then_some(content);
        Some(match self.open.contains(&key_fingerprint) {
            true => State::Open(content),
            false => State::Done(content),
        })
    }

    /// The fingerprints of keys sent by earlier runs that no row asked for by
    /// [`state`](Self::state): rows removed from the input, or changed so that their
    /// key changed.
    pub fn missing(&self) -> HashSet<u64> {
        self.keys
            .iter()
            .zip(&self.found)
            .filter(|(_, found)| !**found)
            .map(|(&(fp, _), _)| fp)
            .collect()
    }
}

/// The content hash of what a line says its ticket has; 0 when it does not say.
fn known(sent: Option<&Sent>) -> u64 {
    sent.map_or(0, Sent::content)
}

/// What the journal knows of a done row's ticket, for `--sync`.
#[derive(Debug, Default)]
pub struct Baseline {
    /// The ticket's id; unknown after a 409, or a success whose body did not decode.
    pub id: Option<String>,
    /// Its properties as last sent, if known.
    pub sent: Option<Sent>,
}

/// The baselines of the keys with these fingerprints, from the journal at `path`.
pub fn baselines(path: &Path, wanted: &HashSet<u64>) -> Result<HashMap<u64, Baseline>, Failure> {
    let mut baselines: HashMap<u64, Baseline> = HashMap::with_capacity(wanted.len());
    read(path, false, |line| {
        let fingerprint = key::fingerprint(&line.key);
        if !wanted.contains(&fingerprint) {
            return Ok(());
        }
        let baseline = baselines.entry(fingerprint).or_default();
        if let Some(id) = &line.id {
            baseline.id = Some(id.clone().into_owned());
        }
        if line.event.is_done() || line.event == Event::Updated {
            baseline.sent = line.sent;
        } else if line.is_update() && line.sent.is_some() {
            // An update that may or may not have been made.
            baseline.sent = line.sent;
        }
        Ok(())
    })?;
    Ok(baselines)
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
            Event::Updated,
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
        assert_eq!(earlier.state(fp("a")), Some(State::Done(None)));
        assert_eq!(earlier.state(fp("b")), Some(State::Open(None)));
        assert_eq!(earlier.state(fp("c")), None, "a refusal made no ticket");
        assert_eq!(earlier.missing(), HashSet::from([fp("d")]));
    }

    #[test]
    fn the_journal_knows_what_each_ticket_has_after_creates_and_updates() {
        let file = TempFile::new("sync.thena-import", "");
        let path = Path::new(file.path());
        let sent = |value: serde_json::Value| match value {
            serde_json::Value::Object(map) => Sent::of(&map),
            _ => Sent::default(),
        };
        let (first, second) = (
            sent(serde_json::json!({"title": "A"})),
            sent(serde_json::json!({"title": "B"})),
        );
        let mut journal = Journal::create(path, &header()).expect("created");
        let mut line = Line::new(Event::Sent, 1, "a");
        line.content = Some(sent::hex(first.content()).into());
        journal.record(&line).expect("written");
        let mut line = Line::new(Event::Created, 1, "a");
        line.id = Some("T1".into());
        line.sent = Some(first.clone());
        journal.record(&line).expect("written");
        let mut line = Line::new(Event::Sent, 2, "b");
        line.content = Some(sent::hex(second.content()).into());
        journal.record(&line).expect("written");
        let mut line = Line::new(Event::Updated, 1, "a");
        line.id = Some("T1".into());
        line.sent = Some(second.clone());
        journal.record(&line).expect("written");
        // Updates refused or failed leave the ticket as the last update made it.
        for event in [Event::Rejected, Event::Retryable] {
            let mut line = Line::new(event, 1, "a");
            line.id = Some("T1".into());
            journal.record(&line).expect("written");
        }
        // A ticket made by an attempt whose content is not known.
        let mut line = Line::new(Event::CreatedEarlier, 3, "c");
        line.id = None;
        journal.record(&line).expect("written");
        journal.sync().expect("synced");

        let mut earlier = Earlier::read(path, true)
            .expect("readable")
            .expect("a journal");
        let fp = key::fingerprint;
        assert_eq!(
            earlier.state(fp("a")),
            Some(State::Done(Some(second.content())))
        );
        assert_eq!(
            earlier.state(fp("b")),
            Some(State::Open(Some(second.content())))
        );
        assert_eq!(earlier.state(fp("c")), Some(State::Done(None)));
        let wanted = HashSet::from([fp("a"), fp("c")]);
        let baselines = baselines(path, &wanted).expect("readable");
        assert_eq!(baselines[&fp("a")].id.as_deref(), Some("T1"));
        assert_eq!(baselines[&fp("a")].sent.as_ref(), Some(&second));
        assert_eq!(baselines[&fp("c")].id, None);
        assert_eq!(baselines[&fp("c")].sent, None);
        assert!(!baselines.contains_key(&fp("b")));
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
        assert_eq!(
            earlier.state(key::fingerprint("a")),
            Some(State::Open(None))
        );
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
