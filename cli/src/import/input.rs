//! The input of an import: a CSV file (a header row, then one row per ticket) or a JSON
//! Lines file (one body per line), read row by row. It is read twice, once to check it
//! and once to send it, so stdin is first spooled to a file beside the state.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use csv::StringRecord;

use crate::exit::{Failure, Status};
use crate::import::{check, translate};

/// The longest JSON line read; a longer one is an invalid row, skipped without being
/// held. Larger than any body the API accepts. A CSV row may not be longer either.
const LINE_LIMIT: usize = 1024 * 1024;

/// How the input is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A header row naming the columns, then one row per ticket.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    /// The values `--format` takes.
    pub const NAMES: [&'static str; 2] = ["csv", "jsonl"];

    /// The format `--format` names.
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "csv" => Some(Self::Csv),
            "jsonl" => Some(Self::Jsonl),
            _ => None,
        }
    }

    /// Its name, as `--format` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Jsonl => "jsonl",
        }
    }

    /// The format a file's extension says: `.csv`, or `.jsonl` / `.ndjson`.
    pub fn of(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(Self::Csv),
            "jsonl" | "ndjson" => Some(Self::Jsonl),
            _ => None,
        }
    }
}

/// The file an import reads, however often.
pub struct Source {
    path: PathBuf,
    /// The input as the user named it, for messages: a path, or `stdin`.
    pub name: String,
    /// How it is written.
    pub format: Format,
    /// Its size and modification time when first opened: a file that changes between
    /// the check and the sending is refused, since its rows were not the rows checked.
    stamp: Stamp,
    _spool: Option<Spool>,
}

/// What shows that a file changed.
#[derive(Debug, PartialEq)]
struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl Stamp {
    fn of(file: &File) -> io::Result<Self> {
        let metadata = file.metadata()?;
        Ok(Self {
            len: metadata.len(),
            modified: metadata.modified().ok(),
        })
    }
}

impl Source {
    /// The file at `path`.
    pub fn file(path: &Path, format: Format) -> Result<Self, Failure> {
        let name = path.display().to_string();
        let stamp = File::open(path)
            .and_then(|file| Stamp::of(&file))
            .map_err(|e| unreadable(&name, &e))?;
        Ok(Self {
            path: path.to_owned(),
            name,
            format,
            stamp,
            _spool: None,
        })
    }

    /// Input that can be read only once (stdin, a pipe), named `name`, copied to
    /// `spool` (removed when the source is dropped).
    pub fn spool(
        mut from: impl Read,
        name: &str,
        spool: PathBuf,
        format: Format,
    ) -> Result<Self, Failure> {
        let mut file = File::create(&spool).map_err(|e| {
            Failure::new(
                Status::Usage,
                format!("cannot copy {name} to {}: {e}", spool.display()),
            )
        })?;
        let spool = Spool(spool);
        let stamp = io::copy(&mut from, &mut file)
            .and_then(|_| file.sync_all())
            .and_then(|()| Stamp::of(&file))
            .map_err(|e| unreadable(name, &e))?;
        Ok(Self {
            path: spool.0.clone(),
            name: name.to_owned(),
            format,
            stamp,
            _spool: Some(spool),
        })
    }

    /// Its rows from the first, and for CSV its header; refused if the file is no
    /// longer as it was first opened.
    pub fn rows(&self) -> Result<Rows, Failure> {
        let file = File::open(&self.path).map_err(|e| unreadable(&self.name, &e))?;
        if Stamp::of(&file).map_err(|e| unreadable(&self.name, &e))? != self.stamp {
            return Err(Failure::new(
                Status::Usage,
                format!(
                    "{} changed while the import read it: its rows are not the rows checked. \
                     Run again once nothing writes to it",
                    self.name
                ),
            ));
        }
        let reader = match self.format {
            Format::Csv => {
                let mut csv = csv::ReaderBuilder::new()
                    .has_headers(true)
                    .from_reader(Bounded::new(file));
                let header = csv.headers().map_err(|e| {
                    Failure::new(Status::Usage, format!("{}: no header row: {e}", self.name))
                })?;
                if header.is_empty() {
                    return Err(Failure::new(
                        Status::Usage,
                        format!("{}: no header row: the file is empty", self.name),
                    ));
                }
                Reader::Csv(csv)
            }
            Format::Jsonl => Reader::Jsonl {
                lines: BufReader::with_capacity(64 * 1024, file),
                buffer: Vec::new(),
                line: 0,
            },
        };
        Ok(Rows {
            reader,
            number: 0,
            name: self.name.clone(),
        })
    }
}

/// How much of an input a starting mapping reads for the values of its columns.
const SAMPLED_BYTES: u64 = 64 * 1024 * 1024;

/// The columns of an input, for a starting mapping: a CSV header's, or the properties
/// of the first JSON line; and for each column [`translate::sampled`] names, the first
/// distinct values in the first 64 MiB of rows.
pub fn sample(
    from: impl Read,
    name: &str,
    format: Format,
) -> Result<(Vec<String>, Vec<Vec<String>>), Failure> {
    let usage = |message: String| Failure::new(Status::Usage, message);
    let from = from.take(SAMPLED_BYTES);
    // Per column: whether it is sampled, and the values seen so far.
    let mut samples: Vec<(bool, Vec<String>)> = Vec::new();
    let add = |i: usize, value: &str, samples: &mut Vec<(bool, Vec<String>)>| {
        if let Some((true, seen)) = samples.get_mut(i)
            && seen.len() < translate::SAMPLES
            && !value.is_empty()
            && value.len() <= 200
            && !seen.iter().any(|v| v == value)
        {
            seen.push(value.to_owned());
        }
    };
    let columns: Vec<String> = match format {
        Format::Csv => {
            let mut csv = csv::ReaderBuilder::new()
                .has_headers(true)
                .from_reader(from);
            let header = csv
                .headers()
                .map_err(|e| usage(format!("{name}: no header row: {e}")))?;
            if let Some(twice) = check::named_twice(header) {
                return Err(usage(format!(
                    "{name}: the header names column {twice:?} twice"
                )));
            }
            let columns: Vec<String> = header.iter().map(str::to_owned).collect();
            samples = columns
                .iter()
                .map(|c| (translate::sampled(c), Vec::new()))
                .collect();
            // A row that does not read is no sample; the import names it.
            for record in csv.records().map_while(Result::ok) {
                for (i, value) in record.iter().enumerate() {
                    add(i, value, &mut samples);
                }
            }
            columns
        }
        Format::Jsonl => {
            let mut columns: Vec<String> = Vec::new();
            for line in BufReader::new(from).lines() {
                let line = line.map_err(|e| unreadable(name, &e))?;
                let line = line.strip_prefix('\u{feff}').unwrap_or(&line);
                if line.trim().is_empty() {
                    continue;
                }
                let row = match serde_json::from_str::<serde_json::Value>(line) {
                    Ok(serde_json::Value::Object(row)) => row,
                    _ if columns.is_empty() => {
                        return Err(usage(format!("{name}: its first line is no JSON object")));
                    }
                    _ => continue,
                };
                // Every property of any row, in the order first met.
                for key in row.keys() {
                    if !columns.contains(key) {
                        columns.push(key.clone());
                        samples.push((translate::sampled(key), Vec::new()));
                    }
                }
                for (i, column) in columns.iter().enumerate() {
                    match row.get(column) {
                        Some(serde_json::Value::String(text)) => add(i, text, &mut samples),
                        Some(serde_json::Value::Bool(b)) => add(i, &b.to_string(), &mut samples),
                        _ => {}
                    }
                }
            }
            columns
        }
    };
    if columns.iter().all(String::is_empty) {
        return Err(usage(format!(
            "{name}: no columns to map: the file is empty"
        )));
    }
    Ok((columns, samples.into_iter().map(|(_, seen)| seen).collect()))
}

/// The file under the CSV reader, which fails once a row runs past [`LINE_LIMIT`]:
/// after an unclosed quote, the rest of the file would be one field, held in memory.
/// It follows the quoting as the reader does (RFC 4180: a field that starts with `"`
/// is quoted until a `"` that is not doubled), so that a quoted field still open at the
/// end of the file is caught, with the line where it opened.
struct Bounded {
    file: File,
    /// Bytes read since the current row began (plus the reader's read-ahead).
    in_row: usize,
    quoting: Quoting,
    /// The line being read, counting from 1.
    line: u64,
    /// The line where the quoted field being read opened.
    opened: u64,
    /// Whether the file has been read to its end.
    ended: bool,
}

/// Where the reading is in a CSV field.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quoting {
    /// At the start of a field.
    Start,
    /// In a field that did not start with a quote: quotes in it are text.
    Plain,
    /// In a quoted field.
    Quoted,
    /// Just after a quote in a quoted field: a second one is a quote in the text,
    /// anything else closes the field's quotes.
    Closing,
}

impl Bounded {
    fn new(file: File) -> Self {
        Self {
            file,
            in_row: 0,
            quoting: Quoting::Start,
            line: 1,
            opened: 0,
            ended: false,
        }
    }

    fn follow(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            let end = matches!(byte, b',' | b'\n' | b'\r');
            self.quoting = match (self.quoting, byte) {
                (Quoting::Quoted, b'"') => Quoting::Closing,
                (Quoting::Quoted, _) => Quoting::Quoted,
                (Quoting::Start, b'"') => {
                    self.opened = self.line;
                    Quoting::Quoted
                }
                (Quoting::Closing, b'"') => Quoting::Quoted,
                (_, _) if end => Quoting::Start,
                (_, _) => Quoting::Plain,
            };
            if byte == b'\n' {
                self.line += 1;
            }
        }
    }

    /// The line where a quoted field opened that the end of the file left open.
    fn unclosed(&self) -> Option<u64> {
        (self.ended && self.quoting == Quoting::Quoted).then_some(self.opened)
    }
}

impl Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.in_row > LINE_LIMIT {
            return Err(io::Error::new(io::ErrorKind::InvalidData, RowTooLong));
        }
        let read = self.file.read(buf)?;
        self.in_row += read;
        self.ended |= read == 0 && !buf.is_empty();
        self.follow(&buf[..read]);
        Ok(read)
    }
}

/// The error [`Bounded`] fails with.
#[derive(Debug)]
struct RowTooLong;

impl std::fmt::Display for RowTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "longer than {} KiB", LINE_LIMIT / 1024)
    }
}

impl std::error::Error for RowTooLong {}

/// A file holding stdin, removed when dropped.
struct Spool(PathBuf);

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn unreadable(name: &str, e: &io::Error) -> Failure {
    Failure::new(Status::Usage, format!("{name}: cannot read it: {e}"))
}

/// The rows of a [`Source`], in order.
pub struct Rows {
    reader: Reader,
    number: u64,
    name: String,
}

enum Reader {
    Csv(csv::Reader<Bounded>),
    Jsonl {
        lines: BufReader<File>,
        buffer: Vec<u8>,
        line: u64,
    },
}

/// One row of the input.
#[derive(Debug)]
pub struct Row {
    /// Its number: CSV rows count from 1 after the header; a JSON Lines row's number is
    /// its line's (blank lines are not rows).
    pub number: u64,
    /// The line it starts on.
    pub line: u64,
    /// Its fields, or why they cannot be read.
    pub content: Result<Content, String>,
}

/// The fields of a row, as read.
#[derive(Debug)]
pub enum Content {
    /// A CSV record, one field per column of the header.
    Csv(StringRecord),
    /// A line of JSON Lines.
    Json(String),
}

impl Rows {
    /// The CSV header, or `None` for JSON Lines.
    pub fn header(&mut self) -> Option<StringRecord> {
        match &mut self.reader {
            Reader::Csv(csv) => csv.headers().ok().cloned(),
            Reader::Jsonl { .. } => None,
        }
    }

    fn next_csv(csv: &mut csv::Reader<Bounded>, number: u64) -> io::Result<Option<Row>> {
        let mut record = StringRecord::new();
        csv.get_mut().in_row = 0;
        let (line, content) = match csv.read_record(&mut record) {
            Ok(false) => return Ok(None),
            // The reader has read to the end of the file for this row: it is the last.
            Ok(true) if csv.get_ref().unclosed().is_some() => {
                let opened = csv.get_ref().unclosed().unwrap_or_default();
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "row {number} (line {}): unterminated CSV quoted field: the quote \
                         opened on line {opened} is never closed, so every line after it \
                         would be part of this row. Close the quote (a quote in a field is \
                         written \"\"); nothing was sent",
                        record.position().map_or(0, csv::Position::line)
                    ),
                ));
            }
            Ok(true) => (
                record.position().map_or(0, csv::Position::line),
                Ok(Content::Csv(record)),
            ),
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                match e.into_kind() {
                    // The reader cannot go on past it: the import stops there.
                    csv::ErrorKind::Io(e) if e.get_ref().is_some_and(|e| e.is::<RowTooLong>()) => {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "row {number} is {RowTooLong} (an unclosed quote?); nothing \
                                 after it was read"
                            ),
                        ));
                    }
                    csv::ErrorKind::Io(e) => return Err(e),
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => (
                        line,
                        Err(format!(
                            "{len} fields where the header has {expected_len} columns"
                        )),
                    ),
                    csv::ErrorKind::Utf8 { err, .. } => {
                        (line, Err(format!("field {} is not UTF-8", err.field() + 1)))
                    }
                    other => (line, Err(format!("not CSV: {other:?}"))),
                }
            }
        };
        Ok(Some(Row {
            number,
            line,
            content,
        }))
    }

    fn next_json(
        lines: &mut BufReader<File>,
        buffer: &mut Vec<u8>,
        line: &mut u64,
    ) -> io::Result<Option<Row>> {
        loop {
            buffer.clear();
            let read = lines
                .by_ref()
                .take(LINE_LIMIT as u64 + 1)
                .read_until(b'\n', buffer)?;
            if read == 0 {
                return Ok(None);
            }
            *line += 1;
            let content = if buffer.len() > LINE_LIMIT && buffer.last() != Some(&b'\n') {
                lines.skip_until(b'\n')?;
                Err(format!("longer than {} KiB", LINE_LIMIT / 1024))
            } else {
                let text = buffer.strip_prefix(b"\xef\xbb\xbf").unwrap_or(buffer);
                match std::str::from_utf8(text) {
                    Ok(text) if text.trim().is_empty() => continue,
                    Ok(text) => Ok(Content::Json(text.trim_end().to_owned())),
                    Err(_) => Err("not UTF-8".to_owned()),
                }
            };
            return Ok(Some(Row {
                number: *line,
                line: *line,
                content,
            }));
        }
    }
}

impl Iterator for Rows {
    type Item = Result<Row, Failure>;

    fn next(&mut self) -> Option<Self::Item> {
        self.number += 1;
        let row = match &mut self.reader {
            Reader::Csv(csv) => Self::next_csv(csv, self.number),
            Reader::Jsonl {
                lines,
                buffer,
                line,
            } => Self::next_json(lines, buffer, line),
        };
        row.map_err(|e| unreadable(&self.name, &e)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_file::TempFile;

    fn rows(name: &str, text: &str, format: Format) -> Vec<Row> {
        let file = TempFile::new(name, text);
        let source = Source::file(Path::new(file.path()), format).expect("readable");
        source
            .rows()
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("no I/O error")
    }

    #[test]
    fn a_sample_holds_the_first_distinct_values_of_the_columns_worth_mapping() {
        let mut text = String::from("Subject,Priority,Due\n");
        for i in 0..30 {
            text.push_str(&format!("T{i},p{},0{}/01/2025\n", i % 25, i % 9 + 1));
        }
        let (columns, samples) =
            sample(text.as_bytes(), "export.csv", Format::Csv).expect("a sample");
        assert_eq!(columns, ["Subject", "Priority", "Due"]);
        assert!(samples[0].is_empty(), "a title has no values to map");
        assert_eq!(samples[1].len(), translate::SAMPLES);
        assert_eq!(samples[1][..3], ["p0", "p1", "p2"]);
        assert_eq!(samples[2].len(), 9, "each date once");

        let err = sample(&b"a,b,a\n"[..], "x.csv", Format::Csv).expect_err("a twice");
        assert!(
            err.to_string().contains("names column \"a\" twice"),
            "{err}"
        );

        // JSON Lines: every line's properties, in the order first met.
        let lines = "{\"Subject\": \"T\"}\n\n{\"Priority\": \"urgent\", \"Subject\": \"U\"}\n";
        let (columns, samples) =
            sample(lines.as_bytes(), "x.jsonl", Format::Jsonl).expect("a sample");
        assert_eq!(columns, ["Subject", "Priority"]);
        assert_eq!(samples[1], ["urgent"]);
        let err = sample(&b"[1]\n"[..], "x.jsonl", Format::Jsonl).expect_err("no object");
        assert!(err.to_string().contains("no JSON object"), "{err}");
    }

    #[test]
    fn a_file_that_changes_between_the_passes_is_refused() {
        let file = TempFile::new("changing.csv", "title,teamId\nA,t1\n");
        let source = Source::file(Path::new(file.path()), Format::Csv).expect("readable");
        assert_eq!(source.rows().expect("rows").count(), 1);
        std::fs::write(file.path(), "title,teamId\nA,t1\nB,t2\n").expect("written");
        let err = source.rows().err().expect("refused");
        assert!(
            err.to_string().contains("changed while the import read it"),
            "{err}"
        );
    }

    #[test]
    fn a_csv_row_past_the_limit_stops_the_reading() {
        let text = format!(
            "title,teamId\nA,t1\n\"{},t2\nB,t3\n",
            "x".repeat(2 * LINE_LIMIT)
        );
        let file = TempFile::new("unclosed.csv", &text);
        let source = Source::file(Path::new(file.path()), Format::Csv).expect("readable");
        let mut rows = source.rows().expect("rows");
        assert!(rows.next().is_some_and(|row| row.is_ok()));
        let err = rows.next().expect("a second row").expect_err("too long");
        assert!(
            err.to_string()
                .contains("row 2 is longer than 1024 KiB (an unclosed quote?)"),
            "{err}"
        );
    }

    #[test]
    fn the_extension_names_the_format() {
        assert_eq!(Format::of(Path::new("a/b.CSV")), Some(Format::Csv));
        assert_eq!(Format::of(Path::new("b.ndjson")), Some(Format::Jsonl));
        assert_eq!(Format::of(Path::new("b.json")), None);
        assert_eq!(Format::of(Path::new("b")), None);
    }

    #[test]
    fn csv_rows_count_from_the_first_after_the_header() {
        let rows = rows(
            "rows.csv",
            "\u{feff}title,teamId\nA,t1\n\"multi\nline\",t2\nonly-one-field\n",
            Format::Csv,
        );
        let numbers: Vec<(u64, u64)> = rows.iter().map(|r| (r.number, r.line)).collect();
        assert_eq!(numbers, [(1, 2), (2, 3), (3, 5)]);
        assert!(matches!(&rows[1].content, Ok(Content::Csv(r)) if &r[0] == "multi\nline"));
        assert_eq!(
            rows[2].content.as_ref().err().map(String::as_str),
            Some("1 fields where the header has 2 columns")
        );
    }

    #[test]
    fn json_rows_are_numbered_by_line_and_blank_lines_skipped() {
        let long = format!("{{\"title\": \"{}\"}}", "x".repeat(LINE_LIMIT));
        let text = format!("{{\"a\": 1}}\n\n  \n{long}\n{{\"b\": 2}}");
        let rows = rows("rows.jsonl", &text, Format::Jsonl);
        let numbers: Vec<u64> = rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [1, 4, 5]);
        assert!(matches!(&rows[0].content, Ok(Content::Json(t)) if t == "{\"a\": 1}"));
        assert_eq!(
            rows[1].content.as_ref().err().map(String::as_str),
            Some("longer than 1024 KiB")
        );
        assert!(matches!(&rows[2].content, Ok(Content::Json(t)) if t == "{\"b\": 2}"));
    }

    #[test]
    fn a_csv_file_needs_a_header() {
        let file = TempFile::new("empty.csv", "");
        let source = Source::file(Path::new(file.path()), Format::Csv).expect("readable");
        let err = source.rows().err().expect("no header");
        assert!(err.to_string().contains("no header row"), "{err}");
    }

    #[test]
    fn a_quote_left_open_at_the_end_names_the_line_it_opened_on() {
        let text = "title,description\nA,\"fine, \"\"quoted\"\"\"\nB,x\"y\nC,\"open\nD,d\n";
        let file = TempFile::new("open.csv", text);
        let source = Source::file(Path::new(file.path()), Format::Csv).expect("readable");
        let mut rows = source.rows().expect("rows");
        assert!(rows.next().is_some_and(|row| row.is_ok()), "a closed quote");
        assert!(
            rows.next().is_some_and(|row| row.is_ok()),
            "a quote inside a field"
        );
        let err = rows.next().expect("a third row").expect_err("unterminated");
        assert!(
            err.to_string().contains(
                "row 3 (line 4): unterminated CSV quoted field: the quote opened on line 4"
            ),
            "{err}"
        );
    }
}
