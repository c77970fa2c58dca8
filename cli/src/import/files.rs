//! The files of one import and what it may do to them: the input is only ever read;
//! the journal, the rejects file and the mapping are written only when they are this
//! import's own (new, empty, or starting as such a file does), never when one of them
//! is the input or another of them. The journal is held by one import at a time,
//! through an exclusive lock on a file beside it that names the holding process.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::exit::{Failure, Status};

/// How a journal starts (its header's first field).
pub const JOURNAL_START: &[u8] = b"{\"thenaImport\":";
/// How a rejects file, and a JSON Lines mapping, start.
pub const JSONL_START: &[u8] = b"{\"row\":";
/// How a CSV mapping starts.
pub const CSV_MAPPING_START: &[u8] = b"row,sourceId,";

/// Where an import reads and writes.
pub struct Files {
    /// The journal.
    pub state: PathBuf,
    /// The rejects file, written only when a row is refused.
    pub rejects: PathBuf,
    /// Where a pipe or stdin is copied, to be read twice.
    pub spool: PathBuf,
    /// Holds the journal of a rehearsal (`--sandbox` without `--state`).
    _scratch: Option<Scratch>,
}

/// What [`Files::of`] needs to know of the options.
pub struct Named<'a> {
    /// FILE as given; `-` for stdin.
    pub input: &'a str,
    /// Whether the input can be read only once (stdin, a pipe).
    pub piped: bool,
    /// `--state`.
    pub state: Option<&'a Path>,
    /// `--rejects`.
    pub rejects: Option<&'a Path>,
    /// `--output`, when it names a file.
    pub mapping: Option<&'a Path>,
    /// Whether the tickets go to the embedded sandbox: a rehearsal, which touches none
    /// of the real run's files.
    pub sandbox: bool,
}

impl Files {
    /// The files of an import, each checked: none is the input or another of them, and
    /// each one that exists is this import's kind of file.
    pub fn of(named: &Named<'_>) -> Result<Self, Failure> {
        let scratch = match (named.state, named.sandbox) {
            (None, true) => Some(Scratch::new()?),
            _ => None,
        };
        let state = match (named.state, &scratch) {
            (Some(state), _) => state.to_owned(),
            (None, Some(scratch)) => scratch.0.join("journal.thena-import"),
            (None, None) if named.input == "-" => {
                return Err(usage(
                    "reading stdin (-) needs --state FILE: the journal, for the next run to \
                     resume from",
                ));
            }
            (None, None) if named.piped => {
                return Err(usage(format!(
                    "{} is not a regular file (a pipe?): it can be read only once, and the \
                     import reads its input twice, to check every row before it sends any. \
                     Name the journal with --state FILE (the input is then copied beside \
                     it first), or give the rows on stdin: tickets import - --format \
                     csv|jsonl --state FILE",
                    named.input
                )));
            }
            (None, None) => PathBuf::from(format!("{}.thena-import", named.input)),
        };
        let rejects = match (named.rejects, named.sandbox, named.piped) {
            (Some(rejects), _, _) => rejects.to_owned(),
            // A rehearsal's rejects are its own, beside the real run's.
            (None, true, true) => PathBuf::from("stdin.sandbox-rejects.jsonl"),
            (None, true, false) => PathBuf::from(format!("{}.sandbox-rejects.jsonl", named.input)),
            (None, false, true) => suffixed(&state, ".rejects.jsonl"),
            (None, false, false) => PathBuf::from(format!("{}.rejects.jsonl", named.input)),
        };
        let files = Self {
            spool: suffixed(&state, ".stdin"),
            state,
            rejects,
            _scratch: scratch,
        };
        files.check(named)?;
        Ok(files)
    }

    /// Refuses to write over the input, over one of the import's files with another,
    /// or over a file that is not of the kind the import writes there.
    fn check(&self, named: &Named<'_>) -> Result<(), Failure> {
        let mut written: Vec<(&str, &Path)> = vec![
            ("--state (the journal)", &self.state),
            ("the rejects file (--rejects)", &self.rejects),
        ];
        if let Some(mapping) = named.mapping {
            written.push(("--output", mapping));
        }
        if named.input != "-" {
            let input = Path::new(named.input);
            for (what, path) in &written {
                if same_file(input, path) {
                    return Err(usage(format!(
                        "{what} {} is the input: the import would write over the rows it \
                         reads. Name another file",
                        path.display()
                    )));
                }
            }
        }
        for (i, (what, path)) in written.iter().enumerate() {
            for (other, other_path) in &written[i + 1..] {
                if same_file(path, other_path) {
                    return Err(usage(format!(
                        "{what} and {other} are one file, {}: name two",
                        path.display()
                    )));
                }
            }
        }
        owned(&self.rejects, "a rejects file", &[JSONL_START], "--rejects")?;
        if let Some(mapping) = named.mapping {
            owned(
                mapping,
                "a mapping of rows to tickets",
                &[JSONL_START, CSV_MAPPING_START],
                "--output",
            )?;
        }
        Ok(())
    }
}

/// Refuses a file that exists, is not empty, and does not start as a file of this kind:
/// it is someone else's, and writing it would destroy it.
pub fn owned(path: &Path, kind: &str, starts: &[&[u8]], flag: &str) -> Result<(), Failure> {
    let mut start = [0u8; 16];
    let read = match File::open(path) {
        Ok(mut file) => file.read(&mut start).unwrap_or(0),
        Err(_) => return Ok(()),
    };
    let start = &start[..read];
    if read == 0
        || starts
            .iter()
            .any(|s| s.starts_with(start) || start.starts_with(s))
    {
        return Ok(());
    }
    Err(usage(format!(
        "{} is not {kind} of thena tickets import, and the import would write over it: \
         name another file with {flag}",
        path.display()
    )))
}

/// Whether two paths name one file: the same inode, or (for files not there yet) the
/// same name in the same directory.
fn same_file(a: &Path, b: &Path) -> bool {
    match (identity(a), identity(b)) {
        (Some(a), Some(b)) => a == b,
        _ => resolved(a) == resolved(b),
    }
}

#[cfg(unix)]
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// A path made absolute through its directory, which exists when the file does not.
fn resolved(path: &Path) -> PathBuf {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let directory = std::fs::canonicalize(directory).unwrap_or_else(|_| directory.to_owned());
    match path.file_name() {
        Some(name) => directory.join(name),
        None => directory,
    }
}

/// `path` with `suffix` added to its name.
pub fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn usage(message: impl Into<String>) -> Failure {
    Failure::new(Status::Usage, message)
}

/// A directory of its own for a rehearsal's journal, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Self, Failure> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path =
            std::env::temp_dir().join(format!("thena-import-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|e| {
            Failure::new(
                Status::Config,
                format!(
                    "cannot make a directory for the journal at {}: {e}",
                    path.display()
                ),
            )
        })?;
        Ok(Self(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The exclusive hold of one import on its journal, for the whole run: a second import
/// of the same journal (a cron job that overlaps the last one) is refused, naming the
/// process that holds it. The lock is the operating system's, on `JOURNAL.lock`, so it
/// ends with the process however it ends; the file is removed when the hold is
/// dropped, and a file left by a killed process is simply locked again.
pub struct Hold {
    path: PathBuf,
    _file: File,
}

impl Hold {
    /// Takes the hold on the journal at `state`.
    pub fn take(state: &Path) -> Result<Self, Failure> {
        let path = suffixed(state, ".lock");
        let failed = |e: &io::Error| {
            Failure::new(
                Status::Usage,
                format!("cannot lock the journal with {}: {e}", path.display()),
            )
        };
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| failed(&e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    let holder = match holder.trim() {
                        "" => "another process".to_owned(),
                        pid => format!("process {pid}"),
                    };
                    return Err(Failure::new(
                        Status::Busy,
                        format!(
                            "another import ({holder}) holds the journal {}: two imports of \
                             one journal at once would both send its rows. Run again once \
                             it has finished",
                            state.display()
                        ),
                    ));
                }
                Err(TryLockError::Error(e)) => return Err(failed(&e)),
            }
            // The holder before may have removed the file between the open and the
            // lock: then this lock is on a file nobody else can find. Take it again.
            if moved(&path, &file) {
                continue;
            }
            file.set_len(0)
                .and_then(|()| write!(file, "{}", std::process::id()))
                .and_then(|()| file.flush())
                .map_err(|e| failed(&e))?;
            return Ok(Self { path, _file: file });
        }
    }
}

/// Whether `path` no longer names the open `file`.
#[cfg(unix)]
fn moved(path: &Path, file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    identity(path) != file.metadata().ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn moved(_: &Path, _: &File) -> bool {
    false
}

impl Drop for Hold {
    fn drop(&mut self) {
        // Removed while still locked: whoever opened it meanwhile finds it gone.
        let _ = std::fs::remove_file(&self.path);
    }
}
