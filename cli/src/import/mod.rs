//! `thena tickets import FILE`: a ticket for every row of a CSV or JSON Lines file, each
//! created exactly once however often the import is stopped and run again.
//!
//! 1. The input is read once to check every row against the spec (`check`) and derive
//!    its key (`key`), before anything is sent; `--dry-run` stops there.
//! 2. The journal of earlier runs (`journal`) says which keys are done and which were
//!    sent without an outcome. A key sent earlier that no row derives any more means
//!    that rows changed under the import: it refuses to go on.
//! 3. The input is read again and sent (`pipeline`), every event journaled; refused
//!    rows go to the rejects file (`report`), progress to stderr (`progress`).
//! 4. The summary, the `--output` mapping (from the journal) and the exit status.

mod check;
mod files;
mod input;
mod journal;
mod key;
mod outcome;
mod pipeline;
mod plan;
mod progress;
mod report;
mod sent;
mod sync;
mod translate;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};
use thena_sdk::ClientInfo;

use crate::config;
use crate::exit::{Failure, Status};
use check::Columns;
use files::{Files, Hold, Named};
use input::{Format, Source};
use journal::{Earlier, Header, Journal};
use key::Keys;
use pipeline::{Driver, Ending, Known};
use progress::Progress;
use report::{Mapping, Rejects, Tally, count};
use translate::Translation;

/// The command's name in the tree.
pub const NAME: &str = "import";

const FILE: &str = "file";
const FORMAT: &str = "format";
const STATE: &str = "state";
const RESTART: &str = "restart";
const DRY_RUN: &str = "dry-run";
const ID_COLUMN: &str = "id-column";
const IGNORE_UNKNOWN: &str = "ignore-unknown-columns";
const CONCURRENCY: &str = "concurrency";
const OUTPUT: &str = "output";
const REJECTS: &str = "rejects";
const MAP: &str = "map";
const MAPPING: &str = "mapping";
const WRITE_MAPPING: &str = "write-mapping";
const SYNC: &str = "sync";

/// The journal's target when the tickets go to `--sandbox`.
const SANDBOX_TARGET: &str = "embedded sandbox";
/// Invalid rows named on stderr before the import goes on (a dry run names them all).
const INVALID_SHOWN: u64 = 10;
/// Rows named in a message about rows of the journal.
const ROWS_NAMED: usize = 5;

const HELP: &str = "\
Columns named otherwise than CreateTicketBody's properties (an export of another
helpdesk) are mapped with --map 'Subject=title' or a --mapping file, which also gives
constants for every row, value maps per property and date formats; --write-mapping
FILE writes one from the header to edit. With --id-column, --sync also updates the
tickets of rows that changed since they were sent, with only what changed.

Each row is sent with a deDuplicationKey that is the same on every run: the row's own
deDuplicationKey, else one derived from --id-column (the source system's ticket id:
recommended), else from the row's content and its number among identical rows. The
platform never makes two tickets of one key, so a row sent twice is one ticket.

Files (the input is only ever read; no file is written over that is not of its kind):
  FILE.thena-import  the journal (--state): every row sent and its outcome. Run the same
                     command again after any stop: done rows are skipped, rows in
                     flight are sent again with their keys.
  FILE.thena-import.lock
                     held for the whole run, naming the process: one import per journal
  FILE.rejects.jsonl the rows refused by the spec or the API, with the reason; only when
                     a row is refused (--rejects names another file). A rehearsal
                     (--sandbox) writes FILE.sandbox-rejects.jsonl instead
  --output FILE      the rows with their tickets (row, sourceId, outcome, key, id,
                     ticketIdentifier), from the journal: every run's

Exit status: 0 every row has its ticket; 2 the input or the options are unusable
(nothing sent); 3 rows were rejected (fix them and run again) or the API refuses the
import; 4 rows are still to send (failures after retries, Ctrl-C, SIGTERM): run again;
5 configuration error; 6 every row is done but the mapping (--output) could not be
written: run again to write it; 7 another import holds the journal.";

/// `thena tickets import`.
pub fn command() -> Command {
    Command::new(NAME)
        .about("Create a ticket for every row of a CSV or JSON Lines file, exactly once")
        .after_help(HELP)
        .arg(Arg::new(FILE).value_name("FILE").required(true).help(
            "The rows: CSV with a header row of CreateTicketBody's property names \
                     (arrays and objects as JSON), or JSON Lines, one body per line; - reads \
                     stdin (with --state)",
        ))
        .arg(
            Arg::new(FORMAT)
                .long(FORMAT)
                .value_name("FORMAT")
                .value_parser(Format::NAMES)
                .help("csv or jsonl [default: from FILE's extension: .csv, .jsonl, .ndjson]"),
        )
        .arg(
            Arg::new(ID_COLUMN)
                .long(ID_COLUMN)
                .value_name("COLUMN")
                .help(
                    "The column with the source system's ticket id: each row's key derives \
                     from it, so edits to other columns never make a second ticket. It is \
                     not sent unless it is a property",
                ),
        )
        .arg(
            Arg::new(MAP)
                .long(MAP)
                .value_name("COLUMN=PROPERTY")
                .action(ArgAction::Append)
                .help(
                    "Read the column (JSON Lines: the property) COLUMN as the property \
                     PROPERTY, e.g. --map 'Subject=title'; repeatable, and over --mapping",
                ),
        )
        .arg(
            Arg::new(MAPPING)
                .long(MAPPING)
                .value_name("FILE")
                .value_parser(value_parser!(PathBuf))
                .help(
                    "A TOML file: [columns] COLUMN = PROPERTY, [constants] PROPERTY = VALUE \
                     for every row, [values.PROPERTY] OLD = NEW, [dates] PROPERTY = \
                     strftime format (see --write-mapping)",
                ),
        )
        .arg(
            Arg::new(WRITE_MAPPING)
                .long(WRITE_MAPPING)
                .value_name("FILE")
                .conflicts_with_all([MAP, MAPPING, DRY_RUN, RESTART, STATE, REJECTS, OUTPUT])
                .help(
                    "Write a starting mapping for FILE's header to this file (- for stdout) \
                     and stop: columns named for a property, or nearly, mapped; the rest \
                     commented out to edit; nothing is sent",
                ),
        )
        .arg(
            Arg::new(STATE)
                .long(STATE)
                .value_name("FILE")
                .value_parser(value_parser!(PathBuf))
                .help("The journal [default: FILE.thena-import; with --sandbox, a temporary one]"),
        )
        .arg(Arg::new(OUTPUT).long(OUTPUT).value_name("FILE").help(
            "Write each row's ticket (id, ticketIdentifier) to FILE: CSV for .csv, \
                     JSON Lines for .jsonl, JSON Lines on stdout for -. With --dry-run: \
                     the plan, a line per row to send (create, or update and its \
                     properties)",
        ))
        .arg(
            Arg::new(REJECTS)
                .long(REJECTS)
                .value_name("FILE")
                .value_parser(value_parser!(PathBuf))
                .help(
                    "Where refused rows go, created only when a row is refused [default: \
                     FILE.rejects.jsonl; with --sandbox, FILE.sandbox-rejects.jsonl]",
                ),
        )
        .arg(
            Arg::new(CONCURRENCY)
                .long(CONCURRENCY)
                .value_name("N")
                .value_parser(value_parser!(u16).range(1..=512))
                .default_value("8")
                .help("Creates in flight at once, through one client"),
        )
        .arg(
            Arg::new(DRY_RUN)
                .long(DRY_RUN)
                .action(ArgAction::SetTrue)
                .help("Check every row and report by row number; send nothing"),
        )
        .arg(
            Arg::new(IGNORE_UNKNOWN)
                .long(IGNORE_UNKNOWN)
                .action(ArgAction::SetTrue)
                .help(
                    "Skip columns (JSON Lines: properties) that CreateTicketBody does not \
                     have, instead of refusing the input",
                ),
        )
        .arg(
            Arg::new(SYNC)
                .long(SYNC)
                .action(ArgAction::SetTrue)
                .requires(ID_COLUMN)
                .help(
                    "Also bring tickets made by earlier runs up to date: a row whose content \
                     changed since it was sent updates its ticket with the properties that \
                     changed (PATCH), so edits made in Thena to others stay; ids gone from \
                     the input are listed. With --dry-run: the plan",
                ),
        )
        .arg(
            Arg::new(RESTART)
                .long(RESTART)
                .action(ArgAction::SetTrue)
                .help(
                    "Discard the journal and send every row again (same keys: rows whose \
                     ticket exists are not duplicated)",
                ),
        )
}

/// The options of one import.
struct Options {
    /// FILE as given; `-` for stdin.
    input: String,
    format: Format,
    /// Whether the input can be read only once (stdin, a pipe): it is spooled.
    piped: bool,
    state: Option<PathBuf>,
    rejects: Option<PathBuf>,
    id_column: Option<String>,
    translation: Translation,
    mapping: Option<Mapping>,
    concurrency: usize,
    dry_run: bool,
    ignore_unknown: bool,
    restart: bool,
    sync: bool,
}

impl Options {
    fn of(matches: &ArgMatches) -> Result<Self, Failure> {
        // Required by the command.
        let input = matches.get_one::<String>(FILE).cloned().unwrap_or_default();
        let format = match matches.get_one::<String>(FORMAT) {
            Some(name) => Format::named(name),
            None if input == "-" => {
                return Err(usage(
                    "reading stdin (-) needs --format csv or --format jsonl",
                ));
            }
            None => Format::of(Path::new(&input)),
        };
        let format = format.ok_or_else(|| {
            usage(format!(
                "{input}: cannot tell its format from its extension; give --format csv or \
                 --format jsonl"
            ))
        })?;
        // A pipe or a process substitution (`<(cat rows.csv)`) is not a regular file.
        let piped =
            input == "-" || std::fs::metadata(&input).is_ok_and(|m| !m.file_type().is_file());
        Ok(Self {
            format,
            piped,
            state: matches.get_one::<PathBuf>(STATE).cloned(),
            rejects: matches.get_one::<PathBuf>(REJECTS).cloned(),
            id_column: matches.get_one::<String>(ID_COLUMN).cloned(),
            translation: Translation::load(
                matches.get_one::<PathBuf>(MAPPING).map(PathBuf::as_path),
                &matches
                    .get_many::<String>(MAP)
                    .map(|maps| maps.cloned().collect::<Vec<_>>())
                    .unwrap_or_default(),
            )?,
            mapping: mapping(matches)?,
            concurrency: usize::from(matches.get_one::<u16>(CONCURRENCY).copied().unwrap_or(8)),
            dry_run: matches.get_flag(DRY_RUN),
            ignore_unknown: matches.get_flag(IGNORE_UNKNOWN),
            restart: matches.get_flag(RESTART),
            sync: matches.get_flag(SYNC),
            input,
        })
    }
}

/// `--output FILE`. Its name is the global `--output FORMAT`'s, which clap hands down
/// to every command: a value given on the command line is this command's, and the
/// global's formats are refused rather than taken for file names.
fn mapping(matches: &ArgMatches) -> Result<Option<Mapping>, Failure> {
    if matches.value_source(OUTPUT) != Some(ValueSource::CommandLine) {
        return Ok(None);
    }
    match matches.get_one::<String>(OUTPUT).map(String::as_str) {
        Some(format @ ("json" | "table")) => Err(usage(format!(
            "--output {format}: tickets import writes no ticket on stdout; its --output names \
             the file for the mapping of rows to tickets (.csv or .jsonl, or - for stdout)"
        ))),
        Some(name) => Mapping::named(name).map(Some),
        None => Ok(None),
    }
}

fn usage(message: impl Into<String>) -> Failure {
    Failure::new(Status::Usage, message)
}

/// Runs the import; its outcome is the exit status.
pub fn run(global: &ArgMatches, matches: &ArgMatches) -> Result<(), Failure> {
    if let Some(to) = matches.get_one::<String>(WRITE_MAPPING) {
        return write_mapping(matches, to);
    }
    let options = Options::of(matches)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(Status::Config, format!("cannot start the runtime: {e}")))?;
    runtime.block_on(import(global, options))
}

async fn import(global: &ArgMatches, mut options: Options) -> Result<(), Failure> {
    let started = Instant::now();
    let sandbox = config::sandbox(global);
    let files = Files::of(&Named {
        input: &options.input,
        piped: options.piped,
        state: options.state.as_deref(),
        rejects: options.rejects.as_deref(),
        mapping: options.mapping.as_ref().and_then(Mapping::path),
        sandbox,
    })?;
    // Held until the import ends; a dry run writes nothing and holds nothing.
    let _hold = match options.dry_run {
        true => None,
        false => Some(Hold::take(&files.state)?),
    };
    let source = match options.input.as_str() {
        "-" => Source::spool(
            std::io::stdin().lock(),
            "stdin",
            files.spool.clone(),
            options.format,
        )?,
        path if options.piped => Source::spool(
            std::fs::File::open(path).map_err(|e| usage(format!("{path}: cannot read it: {e}")))?,
            path,
            files.spool.clone(),
            options.format,
        )?,
        path => Source::file(Path::new(path), options.format)?,
    };
    let mut rows = source.rows()?;
    let columns = Columns::new(
        rows.header(),
        options.id_column.clone(),
        options.ignore_unknown,
        std::mem::take(&mut options.translation),
    )?;
    let ignored = columns.ignored();
    if !ignored.is_empty() {
        let names: Vec<String> = ignored.iter().map(|name| format!("{name:?}")).collect();
        crate::stream::say(format_args!(
            "--ignore-unknown-columns: {} not imported: {}",
            count(names.len() as u64, "column is", "columns are"),
            names.join(", ")
        ));
    }

    // Configuration errors come before the long check; a dry run needs no client.
    let connection = match options.dry_run {
        true => None,
        false => Some(config::connect(global, config::Use::Rehearsal).await?),
    };
    let target = connection.as_ref().map(|c| match sandbox {
        true => SANDBOX_TARGET.to_owned(),
        false => c.client.baseurl().to_owned(),
    });
    if options.restart && !options.dry_run {
        // Only a journal is discarded: --state may name a file that is not one.
        files::owned(
            &files.state,
            "a journal",
            &[files::JOURNAL_START],
            "--state",
        )?;
        // Keys are the same again only with the same --id-column.
        if let Some(earlier) = journal::header(&files.state)
            && earlier.id_column != options.id_column
        {
            return Err(usage(format!(
                "--restart: the journal {} was written with {}, this run has {}: every row \
                 sent would get a second ticket under its new key. Run --restart with the \
                 same --id-column; to start over with other keys on purpose, remove the \
                 journal yourself",
                files.state.display(),
                id_column_shown(&earlier.id_column),
                id_column_shown(&options.id_column)
            )));
        }
        match std::fs::remove_file(&files.state) {
            Ok(()) => crate::stream::say(format_args!(
                "--restart: discarded the journal {}",
                files.state.display()
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(usage(format!(
                    "--restart: cannot remove {}: {e}",
                    files.state.display()
                )));
            }
        }
    }
    // A journal of runs that sent nothing binds nothing: it is replaced.
    let mut earlier = match options.restart {
        true => None,
        false => Earlier::read(&files.state, !options.dry_run)?.filter(|e| !e.is_empty()),
    };
    if let Some(earlier) = &earlier {
        same_import(&earlier.header, &options, target.as_deref(), &files.state)?;
    }

    let mut tally = Tally::default();
    let mut keys = Keys::first_pass();
    let mut found = check_rows(
        rows,
        &columns,
        &mut keys,
        earlier.as_mut(),
        &options,
        &mut tally,
    )?;
    if let Some(earlier) = &earlier {
        tally.gone = changed_rows(earlier, &files.state, found.fresh, options.sync)?;
    }
    // Content keys number identical rows: every row is looked at again.
    let needed = match options.id_column.is_some() && !keys.repeats() {
        true => Some(std::mem::take(&mut found.needed)),
        false => None,
    };
    let known = Known {
        needed,
        sync: match options.sync && !found.changed.is_empty() {
            true => Some(journal::baselines(&files.state, &found.changed)?),
            false => options.sync.then(HashMap::new),
        },
        earlier,
        restart: options.restart,
    };
    let (Some(connection), Some(target)) = (connection, target) else {
        let plan = match (&options.mapping, options.sync) {
            (None, false) => None,
            (mapping, _) => Some(plan::Plan::new(mapping.as_ref())?),
        };
        return match plan {
            // What would be sent: only a second pass over the rows to send tells it.
            Some(plan) if found.to_send() > 0 => {
                let items = pipeline::read(source.rows()?, columns, keys.later_pass(), known);
                plan.make(items, &source.name, tally, &files.state).await
            }
            Some(plan) => plan.finish(&source.name, tally, &files.state),
            None => dry_run(&source, &tally, &files.state),
        };
    };

    let header = Header {
        thena_import: journal::VERSION,
        target,
        id_column: options.id_column.clone(),
        input: source.name.clone(),
    };
    let mut journal = match &known.earlier {
        Some(_) => Journal::append(&files.state)?,
        None => Journal::create(&files.state, &header)?,
    };
    let mut rejects = Rejects::new(files.rejects.clone())?;
    let mut progress = Progress::new(&tally);
    if found.to_send() == 0 {
        progress.say(match (tally.rows, tally.rows - tally.invalid) {
            (0, _) => "the input has no rows: nothing to send",
            (_, 0) => "no row is valid: nothing to send",
            _ if options.sync => "every valid row is done already, and none changed",
            _ => "every valid row is done already",
        });
    }
    // The sending counts them again, row by row: unless there is nothing to send, and
    // no invalid row to write to the rejects file.
    let items = match found.to_send() == 0 && tally.invalid == 0 {
        true => tokio::sync::mpsc::channel(1).1,
        false => {
            tally.earlier = 0;
            tally.invalid = 0;
            pipeline::read(source.rows()?, columns, keys.later_pass(), known)
        }
    };
    let ending = Driver {
        client: &connection.client,
        concurrency: options.concurrency,
        journal: &mut journal,
        rejects: &mut rejects,
        progress: &mut progress,
        tally: &mut tally,
        sync: options.sync,
    }
    .run(items)
    .await;
    let synced = journal.sync();
    progress.finish();
    let ending = ending?;
    synced.map_err(|e| {
        Failure::new(
            Status::Failed,
            format!("cannot write the journal {}: {e}", files.state.display()),
        )
    })?;
    rejects.flush()?;
    crate::stream::say(tally.summary(&source.name, started.elapsed()));
    let concluded = conclude(ending, &tally, &source.name, rejects.path(), &files.state);
    match &options.mapping {
        Some(mapping) => mapped(mapping, &files.state, concluded),
        None => concluded,
    }
}

/// `--write-mapping TO`: a starting mapping from the input's header (CSV) or its first
/// row's properties (JSON Lines), written to a new file, or to stdout for `-`.
fn write_mapping(matches: &ArgMatches, to: &str) -> Result<(), Failure> {
    let options = Options::of(matches)?;
    let (columns, samples) = match options.input.as_str() {
        "-" => input::sample(std::io::stdin().lock(), "stdin", options.format)?,
        path => input::sample(
            std::fs::File::open(path).map_err(|e| usage(format!("{path}: cannot read it: {e}")))?,
            path,
            options.format,
        )?,
    };
    let text = translate::starting(&options.input, &columns, &samples);
    if to == "-" {
        return crate::stream::data(text.as_bytes())
            .map_err(|e| Failure::new(Status::OutputLost, format!("cannot write stdout: {e}")));
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => usage(format!(
                "--write-mapping {to}: the file exists; edit it and import with --mapping \
                 {to}, or remove it to write a new one"
            )),
            _ => usage(format!("--write-mapping {to}: cannot create it: {e}")),
        })?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| usage(format!("--write-mapping {to}: cannot write it: {e}")))?;
    let input = match options.input.as_str() {
        "-" => format!("- --format {}", options.format.name()),
        input => input.to_owned(),
    };
    crate::stream::say(format_args!(
        "wrote {to} from the {} of {}: edit it, then check it with thena tickets import \
         {input} --mapping {to} --dry-run",
        count(columns.len() as u64, "column", "columns"),
        options.input,
    ));
    Ok(())
}

/// Writes the mapping and says what it holds. Rows are done whether or not it can be
/// written: a failure to write it alone is [`Status::OutputLost`], and running the same
/// command again writes it (sending nothing again).
fn mapped(mapping: &Mapping, state: &Path, concluded: Result<(), Failure>) -> Result<(), Failure> {
    let written = match mapping.write(state) {
        Ok(written) => written,
        Err(lost) => {
            return Err(match concluded {
                Ok(()) => Failure::new(
                    Status::OutputLost,
                    format!(
                        "every row is done, but {lost}; run the same command again to write \
                         it (rows done are not sent again)"
                    ),
                ),
                Err(failure) => Failure::new(failure.status(), format!("{failure}; and {lost}")),
            });
        }
    };
    let place = match mapping.path() {
        Some(path) => format!(" in {}", path.display()),
        None => " on stdout".to_owned(),
    };
    crate::stream::say(format_args!(
        "{}{place}",
        count(
            written.rows,
            "row and its ticket is",
            "rows and their tickets are"
        )
    ));
    if written.without_id > 0 {
        crate::stream::say(format_args!(
            "{} no ticket id in the mapping: the platform answered 409 to a key sent before \
             (the ticket exists, but a 409 does not name it) or a success whose body did not \
             decode. Find those tickets by their deDuplicationKey (the key column)",
            count(written.without_id, "row has", "rows have")
        ));
    }
    concluded
}

/// An `--id-column` as a phrase.
fn id_column_shown(column: &Option<String>) -> String {
    match column {
        Some(column) => format!("--id-column {column}"),
        None => "no --id-column".to_owned(),
    }
}

/// Refuses a journal written for another platform or with another `--id-column`: its
/// keys would not be this run's.
fn same_import(
    earlier: &Header,
    options: &Options,
    target: Option<&str>,
    state: &Path,
) -> Result<(), Failure> {
    let shown = id_column_shown;
    if earlier.id_column != options.id_column {
        return Err(usage(format!(
            "the journal {} was written with {}, this run has {}: its keys would not match, \
             and every row sent already would become a second ticket; run with the same \
             --id-column",
            state.display(),
            shown(&earlier.id_column),
            shown(&options.id_column)
        )));
    }
    match target {
        Some(target) if target != earlier.target => Err(usage(format!(
            "the journal {} is of an import into {}, this run sends to {target}; name another \
             --state, or --restart to discard the journal",
            state.display(),
            earlier.target
        ))),
        _ => Ok(()),
    }
}

/// What the first pass found.
#[derive(Debug, Default)]
struct Found {
    /// Valid rows whose key the journal does not know.
    fresh: u64,
    /// Valid rows sent by an earlier run with no outcome: sent again.
    open: u64,
    /// With `--sync`, the fingerprints of the keys of rows done by earlier runs whose
    /// content changed since.
    changed: HashSet<u64>,
    /// The numbers of the rows the sending has to look at (to send, or invalid), in
    /// order: the others are done. Kept when keys come from ids or the rows' own, so
    /// that a row's key does not depend on the rows before it.
    needed: Vec<u64>,
}

impl Found {
    /// Whether the sending has rows to send.
    fn to_send(&self) -> u64 {
        self.fresh + self.open + self.changed.len() as u64
    }
}

/// The first pass: checks every row and derives its key, counting what the journal
/// knows of it. Invalid rows are named on stderr (all of them in a dry run).
fn check_rows(
    rows: input::Rows,
    columns: &Columns,
    keys: &mut Keys,
    mut earlier: Option<&mut Earlier>,
    options: &Options,
    tally: &mut Tally,
) -> Result<Found, Failure> {
    let mut found = Found::default();
    let mut warned = 0;
    // Rows done by earlier runs that changed since, without --sync.
    let mut changed = 0u64;
    for row in rows {
        let row = row?;
        tally.rows += 1;
        if let Some(warning) = columns.swallowed(&row) {
            warned += 1;
            if options.dry_run || warned <= INVALID_SHOWN {
                crate::stream::say(format_args!("warning: {warning}"));
            }
        }
        match columns.keyed(keys, &row) {
            Err(problem) => {
                tally.invalid += 1;
                found.needed.push(row.number);
                // Still in the input: not gone.
                if let (Some(earlier), Some(key)) = (earlier.as_deref_mut(), columns.id_key(&row)) {
                    earlier.state(key::fingerprint(&key));
                }
                if options.dry_run || tally.invalid <= INVALID_SHOWN {
                    crate::stream::say(format_args!(
                        "row {} (line {}): {}",
                        row.number, row.line, problem.message
                    ));
                }
            }
            Ok((valid, key)) => {
                let fingerprint = key::fingerprint(&key);
                match earlier.as_deref_mut().and_then(|e| e.state(fingerprint)) {
                    Some(journal::State::Done(content)) => {
                        tally.earlier += 1;
                        if content != Some(valid.sent.content()) {
                            match options.sync {
                                true => {
                                    found.changed.insert(fingerprint);
                                    found.needed.push(row.number);
                                }
                                false => changed += 1,
                            }
                        }
                    }
                    Some(journal::State::Open(_)) => {
                        found.open += 1;
                        found.needed.push(row.number);
                    }
                    None => {
                        found.fresh += 1;
                        found.needed.push(row.number);
                    }
                }
            }
        }
    }
    if !options.dry_run && tally.invalid > INVALID_SHOWN {
        crate::stream::say(format_args!(
            "and {} more; all are listed in the rejects file",
            count(tally.invalid - INVALID_SHOWN, "invalid row", "invalid rows")
        ));
    }
    if changed > 0 {
        crate::stream::say(format_args!(
            "{} since an earlier run sent {}; --sync updates their tickets",
            count(
                changed,
                "row done by an earlier run changed",
                "rows done by earlier runs changed"
            ),
            if changed == 1 { "it" } else { "them" }
        ));
    }
    Ok(found)
}

/// Rows sent by earlier runs whose key no row of the input derives any more. With
/// content keys, that is a row changed (or removed): sent again, a changed row would
/// be a second ticket, so the import refuses. Keys given by the rows or by
/// `--id-column` do not change with a row's content: when no row is new to the journal
/// either (`fresh`), rows were only removed, and that is noted; otherwise ids or keys
/// may have been rewritten (a spreadsheet dropping an id's leading zeros), and the
/// import refuses too, but with `--sync`, where rows come and go between exports: the
/// ids gone are listed. Gives how many rows are gone.
fn changed_rows(earlier: &Earlier, state: &Path, fresh: u64, sync: bool) -> Result<u64, Failure> {
    let missing = earlier.missing();
    if missing.is_empty() {
        return Ok(0);
    }
    let mut named: Vec<u64> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    let mut by_content = false;
    journal::read(state, false, |line| {
        let fingerprint = key::fingerprint(&line.key);
        if missing.contains(&fingerprint) && seen.insert(fingerprint) {
            by_content |= line.key.starts_with(key::CONTENT_PREFIX);
            if named.len() < ROWS_NAMED {
                named.push(line.row);
                ids.push(line.source_id.as_deref().unwrap_or(&line.key).to_owned());
            }
        }
        Ok(())
    })?;
    let more = |mut shown: Vec<String>| {
        if missing.len() > shown.len() {
            shown.push(format!("{} more", missing.len() - shown.len()));
        }
        shown.join(", ")
    };
    if sync && !by_content {
        crate::stream::say(format_args!(
            "{} no longer in the input ({}): {} (an import deletes nothing)",
            count(
                missing.len() as u64,
                "id sent by an earlier run is",
                "ids sent by earlier runs are"
            ),
            more(ids),
            if missing.len() == 1 {
                "its ticket stays"
            } else {
                "their tickets stay"
            }
        ));
        return Ok(missing.len() as u64);
    }
    let rows = more(named.iter().map(u64::to_string).collect());
    if !by_content && fresh > 0 {
        return Err(usage(format!(
            "the input changed since the journal {} was written: {} no longer in it (rows \
             {rows}, as numbered then) and {} new to the journal. If ids or keys were \
             rewritten (a spreadsheet drops an id's leading zeros), the new rows are old \
             tickets under new keys and sending them would make second tickets, so nothing \
             was sent. Restore the ids or keys; or, if those rows really were removed and \
             others added, run with --restart (rows whose key is unchanged keep their \
             tickets). With --sync, rows may come and go: the rows gone are listed",
            state.display(),
            count(
                missing.len() as u64,
                "row sent by an earlier run is",
                "rows sent by earlier runs are"
            ),
            count(fresh, "row is", "rows are")
        )));
    }
    if !by_content {
        crate::stream::say(format_args!(
            "{} no longer in the input (rows {rows}, as numbered then); their tickets \
             stay",
            count(
                missing.len() as u64,
                "row sent by an earlier run is",
                "rows sent by earlier runs are"
            )
        ));
        return Ok(missing.len() as u64);
    }
    Err(usage(format!(
        "the input changed since the journal {} was written: {} the same \
         deDuplicationKey from their content (rows {rows}, as numbered then). Sent again they would make second tickets, so nothing was sent. Undo the \
         change; or run with --restart to send every row again (unchanged rows keep their \
         keys and tickets, changed ones get new tickets). --id-column keys rows by the \
         source system's id instead",
        state.display(),
        count(
            missing.len() as u64,
            "row sent earlier no longer derives",
            "rows sent earlier no longer derive"
        )
    )))
}

/// A dry run's report: what the check found, what the journal says.
fn dry_run(source: &Source, tally: &Tally, state: &Path) -> Result<(), Failure> {
    let journal = match tally.earlier {
        0 => String::new(),
        done => format!("; {done} done by earlier runs ({})", state.display()),
    };
    crate::stream::say(format_args!(
        "dry run of {}: {}, {} valid, {} invalid{journal}; nothing was sent",
        source.name,
        count(tally.rows, "row", "rows"),
        tally.rows - tally.invalid,
        tally.invalid
    ));
    match tally.invalid {
        0 => Ok(()),
        n => Err(usage(format!(
            "{} the spec (listed above)",
            count(n, "row breaks", "rows break")
        ))),
    }
}

/// The exit status: 0 only when every row has its ticket.
fn conclude(
    ending: Ending,
    tally: &Tally,
    input: &str,
    rejects: &Path,
    state: &Path,
) -> Result<(), Failure> {
    let resume = format!(
        "run the same command again to resume (the journal {} has every row's state: rows \
         done are skipped, rows in flight are sent again with the same keys)",
        state.display()
    );
    let not_done = count(tally.to_do(), "row is", "rows are");
    match ending {
        Ending::Stopped(failure) => Err(Failure::new(
            failure.status(),
            format!("{failure}; {not_done} not done: fix the cause and {resume}"),
        )),
        Ending::Interrupted => Err(Failure::new(
            Status::Failed,
            format!("interrupted: {not_done} not done; {resume}"),
        )),
        Ending::Finished if tally.retryable > 0 => Err(Failure::new(
            Status::Failed,
            format!(
                "{} after retries, the last with: {}; {resume}",
                count(tally.retryable, "row failed", "rows failed"),
                tally.last_failure.as_deref().unwrap_or_default()
            ),
        )),
        Ending::Finished if tally.to_do() > tally.retryable => Err(Failure::new(
            Status::Failed,
            format!("{not_done} not done: the input could not be read to its end; {resume}"),
        )),
        Ending::Finished if tally.rejected() > 0 => Err(Failure::new(
            Status::Refused,
            format!(
                "{} rejected; {} names each with the reason: fix them in {input} and run the \
                 same command again (rows done are skipped)",
                count(tally.rejected(), "row was", "rows were"),
                rejects.display()
            ),
        )),
        Ending::Finished => Ok(()),
    }
}
