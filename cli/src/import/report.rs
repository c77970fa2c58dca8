//! What an import tells: the counts ([`Tally`]) and the closing summary, the rejects
//! file (rows the API or the spec refused, with the reason), and the `--output` mapping
//! from rows to tickets, written from the journal.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::exit::{Failure, Status};
use crate::import::files::suffixed;
use crate::import::journal::{self, Event};

/// `n` with the singular or the plural phrase, as `n` asks: `count(1, "row", "rows")`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The rows of one run, by what became of them.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Rows in the input.
    pub rows: u64,
    /// Rows done by earlier runs, skipped.
    pub earlier: u64,
    /// Rows whose ticket this run created.
    pub created: u64,
    /// Rows answered with their ticket after an earlier attempt may have created it.
    pub replayed: u64,
    /// Rows refused as duplicates: their ticket exists, created earlier.
    pub created_earlier: u64,
    /// Rows that break the spec; never sent.
    pub invalid: u64,
    /// Rows the API refused.
    pub refused: u64,
    /// Rows that failed after the SDK's retries; the next run sends them again.
    pub retryable: u64,
    /// Rows whose ticket was updated with what changed (`--sync`).
    pub updated: u64,
    /// Rows with changes that cannot be sent (`--sync`), each named on stderr.
    pub noted: u64,
    /// Rows sent by earlier runs that the input no longer has.
    pub gone: u64,
    /// The last of those failures, as the SDK said it.
    pub last_failure: Option<String>,
}

impl Tally {
    /// Rows this run has finished with, whatever the outcome, and rows skipped.
    pub fn handled(&self) -> u64 {
        self.earlier + self.with_ticket() + self.updated + self.rejected() + self.retryable
    }

    /// Rows with their ticket, from this run.
    pub fn with_ticket(&self) -> u64 {
        self.created + self.replayed + self.created_earlier
    }

    /// Rows neither with their ticket nor rejected: failed after retries, or not
    /// reached.
    pub fn to_do(&self) -> u64 {
        self.rows
            .saturating_sub(self.earlier + self.with_ticket() + self.updated + self.rejected())
    }

    /// Rows refused, by the spec or by the API.
    pub fn rejected(&self) -> u64 {
        self.invalid + self.refused
    }

    /// The counts, as a phrase.
    pub fn counts(&self) -> String {
        let updated = match self.updated {
            0 => String::new(),
            n => format!("{n} updated, "),
        };
        format!(
            "{} created, {updated}{} replayed, {} created earlier, {} rejected, {} to retry",
            self.created,
            self.replayed,
            self.created_earlier,
            self.rejected(),
            self.retryable
        )
    }

    /// The closing summary: what became of the rows, how long it took.
    pub fn summary(&self, input: &str, elapsed: Duration) -> String {
        let sent = self.handled().saturating_sub(self.earlier + self.invalid);
        let rate = sent as f64 / elapsed.as_secs_f64().max(1e-3);
        let mut text = format!(
            "import of {input}: {}: {}",
            count(self.rows, "row", "rows"),
            self.counts()
        );
        if self.earlier > 0 {
            text.push_str(&format!("; {} done by earlier runs", self.earlier));
        }
        if self.noted > 0 {
            text.push_str(&format!(
                "; {} not sent (named above)",
                count(self.noted, "row has changes", "rows have changes")
            ));
        }
        if self.gone > 0 {
            text.push_str(&format!(
                "; {} no longer in the input",
                count(self.gone, "row sent earlier is", "rows sent earlier are")
            ));
        }
        let not_reached = self.rows.saturating_sub(self.handled());
        if not_reached > 0 {
            text.push_str(&format!("; {not_reached} not reached"));
        }
        text.push_str(&format!(
            "; {sent} sent in {:.1} s ({rate:.0} rows/s)",
            elapsed.as_secs_f64()
        ));
        text
    }
}

/// A refused row, as a line of the rejects file.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reject<'a> {
    /// The row's number.
    pub row: u64,
    /// The line it starts on, for rows refused before sending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The row as read (refused before sending) or the body sent (refused by the API).
    pub input: &'a Value,
    /// The API's status; `null` for a row refused before sending.
    pub status: Option<u16>,
    /// The property (or column) at fault, when one is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<&'a str>,
    /// Why: the rule broken, or the server's message.
    pub message: &'a str,
    /// The key the row was sent with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<&'a str>,
}

/// The rejects file of this run, written as rows are refused. A run with no rejects
/// leaves none (an earlier run's is removed).
pub struct Rejects {
    path: PathBuf,
    out: Option<BufWriter<File>>,
}

impl Rejects {
    /// The rejects file at `path`, empty.
    pub fn new(path: PathBuf) -> Result<Self, Failure> {
        // Nothing is touched where there is nothing to remove: on a read-only file
        // system even removing a file that is not there fails.
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok(Self { path, out: None });
        }
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(unwritable(&path, &e)),
            _ => Ok(Self { path, out: None }),
        }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds a refused row.
    pub fn add(&mut self, reject: &Reject<'_>) -> Result<(), Failure> {
        let out = match &mut self.out {
            Some(out) => out,
            None => {
                let file = File::create(&self.path).map_err(|e| unwritable(&self.path, &e))?;
                self.out.insert(BufWriter::new(file))
            }
        };
        serde_json::to_writer(&mut *out, reject)
            .map_err(io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .map_err(|e| unwritable(&self.path, &e))
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) -> Result<(), Failure> {
        match &mut self.out {
            Some(out) => out.flush().map_err(|e| unwritable(&self.path, &e)),
            None => Ok(()),
        }
    }
}

fn unwritable(path: &Path, e: &io::Error) -> Failure {
    Failure::new(
        Status::Failed,
        format!("cannot write {}: {e}", path.display()),
    )
}

/// What [`Mapping::write`] wrote.
#[derive(Debug, Default)]
pub struct Written {
    /// Rows with their ticket.
    pub rows: u64,
    /// Of those, rows whose ticket's id is unknown: answered 409 (created earlier), or
    /// with a body that did not decode.
    pub without_id: u64,
}

/// Where `--output` writes the mapping, and how.
#[derive(Debug, PartialEq, Eq)]
pub enum Mapping {
    /// A CSV file (`.csv`).
    Csv(PathBuf),
    /// A JSON Lines file (`.jsonl`, `.ndjson`).
    Jsonl(PathBuf),
    /// JSON Lines on stdout (`-`).
    Stdout,
}

/// One line of the mapping: a row with its ticket.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Mapped<'a> {
    row: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_id: Option<&'a str>,
    outcome: Event,
    key: &'a str,
    id: Option<&'a str>,
    ticket_identifier: Option<&'a str>,
}

/// Where the mapping's lines go: a CSV writer (which buffers), or buffered JSON Lines
/// and the text of the line being written.
enum Sink {
    Csv(Box<csv::Writer<Box<dyn Write>>>),
    Jsonl(BufWriter<Box<dyn Write>>, Vec<u8>),
}

/// The CSV mapping's columns.
const MAPPING_COLUMNS: [&str; 6] = [
    "row",
    "sourceId",
    "outcome",
    "key",
    "id",
    "ticketIdentifier",
];

impl Mapping {
    /// The mapping `--output` names: a file whose extension says its format, or `-`.
    pub fn named(name: &str) -> Result<Self, Failure> {
        if name == "-" {
            return Ok(Self::Stdout);
        }
        let path = PathBuf::from(name);
        match super::input::Format::of(&path) {
            Some(super::input::Format::Csv) => Ok(Self::Csv(path)),
            Some(super::input::Format::Jsonl) => Ok(Self::Jsonl(path)),
            None => Err(Failure::new(
                Status::Usage,
                format!(
                    "--output {name}: name a .csv or a .jsonl file (the extension says the \
                     format), or - for JSON Lines on stdout"
                ),
            )),
        }
    }

    /// The file it names, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Self::Csv(path) | Self::Jsonl(path) => Some(path),
            Self::Stdout => None,
        }
    }

    /// Writes one line per row with its ticket, every run's, in the order they were
    /// done; a file is replaced whole once complete, and nothing is left of it when it
    /// cannot be. Returns how many rows, and how many of them have no ticket id.
    pub fn write(&self, journal: &Path) -> Result<Written, Failure> {
        let partial = self.path().map(|path| suffixed(path, ".partial"));
        let written = self.write_to(journal, partial.as_deref());
        if let (Err(_), Some(partial)) = (&written, &partial) {
            let _ = std::fs::remove_file(partial);
        }
        written
    }

    fn write_to(&self, journal: &Path, partial: Option<&Path>) -> Result<Written, Failure> {
        let path = self.path();
        let shown = path.map_or_else(|| "stdout".to_owned(), |p| p.display().to_string());
        let fail = |e: &dyn std::fmt::Display| {
            Failure::new(
                Status::Failed,
                format!("the mapping could not be written to {shown}: {e}"),
            )
        };
        let out: Box<dyn Write> = match partial {
            Some(partial) => Box::new(File::create(partial).map_err(|e| fail(&e))?),
            None => Box::new(crate::stream::stdout()),
        };
        let mut sink = match self {
            Self::Csv(_) => {
                let mut csv = csv::Writer::from_writer(out);
                csv.write_record(MAPPING_COLUMNS).map_err(|e| fail(&e))?;
                Sink::Csv(Box::new(csv))
            }
            _ => Sink::Jsonl(BufWriter::new(out), Vec::new()),
        };
        let mut written = Written::default();
        journal::read(journal, false, |line| {
            if !line.event.is_done() {
                return Ok(());
            }
            written.rows += 1;
            if line.id.is_none() {
                written.without_id += 1;
            }
            let (id, ticket_identifier) = (line.id.as_deref(), line.ticket_identifier.as_deref());
            match &mut sink {
                Sink::Csv(csv) => csv
                    .write_record([
                        line.row.to_string().as_str(),
                        line.source_id.as_deref().unwrap_or_default(),
                        line.event.name(),
                        &line.key,
                        id.unwrap_or_default(),
                        ticket_identifier.unwrap_or_default(),
                    ])
                    .map_err(|e| fail(&e)),
                Sink::Jsonl(out, text) => {
                    let mapped = Mapped {
                        row: line.row,
                        source_id: line.source_id.as_deref(),
                        outcome: line.event,
                        key: &line.key,
                        id,
                        ticket_identifier,
                    };
                    text.clear();
                    serde_json::to_writer(&mut *text, &mapped).map_err(|e| fail(&e))?;
                    text.push(b'\n');
                    out.write_all(text).map_err(|e| fail(&e))
                }
            }
        })?;
        match sink {
            Sink::Csv(mut csv) => csv.flush().map_err(|e| fail(&e))?,
            Sink::Jsonl(mut out, _) => out.flush().map_err(|e| fail(&e))?,
        }
        if let (Some(path), Some(partial)) = (path, partial) {
            std::fs::rename(partial, path).map_err(|e| fail(&e))?;
        }
        Ok(written)
    }
}
