//! Sending: a thread reads, checks and keys the rows and hands them over a bounded
//! channel, in batches; the driver journals each row as sent and queues it for
//! `--concurrency` workers, which send through one client (so the SDK's retries and
//! rate-limit accounting govern them all), and journals each outcome as it comes.
//! Reading runs at most 2 × [`AHEAD`] rows ahead of sending: the channel's and the
//! driver's queue.
//!
//! The first Ctrl-C stops taking rows and lets the requests in flight finish; a second
//! one exits at once. Either way the journal is correct: every `sent` line reached the
//! operating system before its request left.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use thena_sdk::Client;
use thena_sdk::types::{CreateTicketBody, Ticket};
use tokio::sync::{Mutex, mpsc, watch};
use tokio::task::JoinSet;

use crate::exit::{Failure, Status};
use crate::import::check::{Columns, Problem, Valid};
use crate::import::input::Rows;
use crate::import::journal::{Baseline, Earlier, Event, Journal, Line, State};
use crate::import::key::{self, Basis, Keys};
use crate::import::outcome::Outcome;
use crate::import::progress::Progress;
use crate::import::report::{Reject, Rejects, Tally, count};
use crate::import::sent::{self, Sent};
use crate::import::sync::{self, Target, Update};

/// Rows checked ahead of sending, in the channel and again in the driver's queue.
const AHEAD: usize = 256;
/// Rows handed over at once: fewer hand-overs, fewer wake-ups.
const BATCH: usize = 64;
/// How often the progress is shown and the journal flushed.
const TICK: Duration = Duration::from_millis(100);
/// The wait before sending a throttled row again when the server named none.
const THROTTLE_WAIT: Duration = Duration::from_secs(1);
/// Rows with notes (`--sync`) named on stderr; a dry run names them all.
pub const NOTES_SHOWN: u64 = 10;

/// A row ready to send.
#[derive(Debug)]
pub struct Request {
    row: u64,
    key: String,
    source_id: Option<String>,
    action: Action,
}

/// What is sent for a row.
#[derive(Debug)]
enum Action {
    /// Its ticket is made.
    Create(Create),
    /// Its ticket is updated with what changed (`--sync`).
    Update(Update),
}

/// A create.
#[derive(Debug)]
struct Create {
    body: CreateTicketBody,
    /// What its properties are, for the journal.
    sent: Sent,
    /// Sent by an earlier run, with no outcome journaled: its ticket may exist.
    resent: bool,
    /// Its key may have been sent before (see [`Outcome::of`]).
    seen: bool,
    /// When `resent`, the content of the earlier run's attempt, if known.
    earlier: Option<u64>,
}

impl Create {
    /// Whether a ticket its key was answered with has its properties: this call's own
    /// attempts all sent them; an earlier run's attempt may have sent others.
    fn made_as_sent(&self, event: Event) -> bool {
        match (event, self.resent) {
            (Event::Created, _) => true,
            (_, true) => self.earlier == Some(self.sent.content()),
            (_, false) => !self.seen,
        }
    }
}

/// What the reading thread hands over, row by row.
// Nearly every item is a row to send: boxing it would cost an allocation per row.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Item {
    /// A row to send.
    Send(Request),
    /// A row that breaks the spec, as read, and why.
    Invalid {
        row: u64,
        line: u64,
        input: Value,
        problem: Problem,
    },
    /// A row an earlier run has done (with `--sync`: and that did not change).
    Done,
    /// A row with changes that cannot be sent (`--sync`), each as a phrase; an item of
    /// its own, before the row's `Send` or `Done`.
    Noted {
        row: u64,
        source_id: Option<String>,
        notes: Vec<String>,
    },
    /// The input could not be read on.
    Failed(Failure),
}

impl Item {
    /// The row and properties of an update, the row of a create: for a plan.
    pub fn planned(&self) -> Option<(u64, Option<&str>, &str, &[String])> {
        match self {
            Item::Send(request) => Some(match &request.action {
                Action::Create(_) => (request.row, request.source_id.as_deref(), "create", &[][..]),
                Action::Update(update) => (
                    request.row,
                    request.source_id.as_deref(),
                    "update",
                    &update.properties[..],
                ),
            }),
            _ => None,
        }
    }
}

/// What the reading thread knows of earlier runs.
pub struct Known {
    /// The journal's state of each key.
    pub earlier: Option<Earlier>,
    /// Whether `--restart` discarded it.
    pub restart: bool,
    /// With `--sync`, what the journal knows of each changed row's ticket.
    pub sync: Option<HashMap<u64, Baseline>>,
    /// When known, the numbers of the rows to look at, in order: the others were
    /// found done by the first pass, and are not checked again.
    pub needed: Option<Vec<u64>>,
}

/// Reads the rows on a thread of its own and hands them over in batches; stops when
/// the receiver is gone, or after a row it cannot read.
pub fn read(
    rows: Rows,
    columns: Columns,
    mut keys: Keys,
    mut known: Known,
) -> mpsc::Receiver<Vec<Item>> {
    let (items, receiver) = mpsc::channel(AHEAD / BATCH);
    std::thread::spawn(move || {
        let mut batch = Vec::with_capacity(BATCH);
        let needed = known.needed.take();
        let mut next = needed.as_ref().map(|n| n.iter().peekable());
        for row in rows {
            let item = match row {
                Err(failure) => Item::Failed(failure),
                Ok(row)
                    if next
                        .as_mut()
                        .is_some_and(|n| n.next_if_eq(&&row.number).is_none()) =>
                {
                    Item::Done
                }
                Ok(row) => match columns.keyed(&mut keys, &row) {
                    Err(problem) => Item::Invalid {
                        row: row.number,
                        line: row.line,
                        input: columns.show(&row),
                        problem,
                    },
                    Ok((valid, key)) => {
                        let (noted, item) = known.item(row.number, valid, key);
                        batch.extend(noted);
                        item
                    }
                },
            };
            let failed = matches!(item, Item::Failed(_));
            batch.push(item);
            if batch.len() >= BATCH || failed {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                if items.blocking_send(full).is_err() || failed {
                    return;
                }
            }
        }
        if !batch.is_empty() {
            let _ = items.blocking_send(batch);
        }
    });
    receiver
}

impl Known {
    /// What a valid row comes to, and the notes on it, if any.
    fn item(&mut self, row: u64, valid: Valid, key: String) -> (Option<Item>, Item) {
        let fingerprint = key::fingerprint(&key);
        let state = self.earlier.as_mut().and_then(|e| e.state(fingerprint));
        match (state, &self.sync) {
            (Some(State::Done(content)), Some(baselines))
                if content != Some(valid.sent.content()) =>
            {
                let change = sync::change(&valid, baselines.get(&fingerprint));
                let noted = (!change.notes.is_empty()).then(|| Item::Noted {
                    row,
                    source_id: valid.source_id.clone(),
                    notes: change.notes,
                });
                let item = match change.update {
                    Some(update) => Item::Send(Request {
                        row,
                        key,
                        source_id: valid.source_id,
                        action: Action::Update(update),
                    }),
                    None => Item::Done,
                };
                (noted, item)
            }
            (Some(State::Done(_)), _) => (None, Item::Done),
            (state, _) => {
                let seen = state.is_some() || self.restart || matches!(valid.basis, Basis::Own(_));
                let (resent, earlier) = match state {
                    Some(State::Open(content)) => (true, content),
                    _ => (false, None),
                };
                let create = Create {
                    body: valid.body,
                    sent: valid.sent,
                    resent,
                    seen,
                    earlier,
                };
                let request = Request {
                    row,
                    key,
                    source_id: valid.source_id,
                    action: Action::Create(create),
                };
                (None, Item::Send(request))
            }
        }
    }
}

/// What one outcome means for the run.
enum Handled {
    /// The row is done with, one way or the other.
    Fine,
    /// The row failed after the SDK's retries.
    Failed,
    /// The import must stop, for this reason.
    Stop(Failure),
}

/// Rows in a row that failed after the SDK's retries: past a limit, the server or the
/// network is down, and the rest would fail alike.
struct Failures {
    in_a_row: usize,
    limit: usize,
}

impl Failures {
    fn new(concurrency: usize) -> Self {
        Self {
            in_a_row: 0,
            limit: concurrency.max(25) * 2,
        }
    }

    /// Counts an outcome; the ending it calls for, if any.
    fn count(&mut self, handled: Handled, tally: &Tally) -> Option<Ending> {
        match handled {
            Handled::Stop(failure) => return Some(Ending::Stopped(failure)),
            Handled::Fine => self.in_a_row = 0,
            Handled::Failed => self.in_a_row += 1,
        }
        (self.in_a_row >= self.limit).then(|| {
            Ending::Stopped(Failure::new(
                Status::Failed,
                format!(
                    "stopped: {} rows in a row failed after retries, the last with: {}",
                    self.in_a_row,
                    tally.last_failure.as_deref().unwrap_or_default()
                ),
            ))
        })
    }
}

/// How the sending ended.
#[derive(Debug)]
pub enum Ending {
    /// Every row was taken.
    Finished,
    /// Stopped by Ctrl-C.
    Interrupted,
    /// Stopped for a cause that every further row would meet, with its status.
    Stopped(Failure),
}

/// The driver's surroundings.
pub struct Driver<'a> {
    /// The one client every request goes through.
    pub client: &'a Client,
    /// Creates in flight at most.
    pub concurrency: usize,
    /// The journal, open for appending.
    pub journal: &'a mut Journal,
    /// The rejects file.
    pub rejects: &'a mut Rejects,
    /// The progress display.
    pub progress: &'a mut Progress,
    /// The counts, updated as rows are handled.
    pub tally: &'a mut Tally,
    /// Whether this is a `--sync`.
    pub sync: bool,
}

impl Driver<'_> {
    /// Sends every row `items` hands over, or until stopped.
    pub async fn run(mut self, mut items: mpsc::Receiver<Vec<Item>>) -> Result<Ending, Failure> {
        let (stop, stopped) = watch::channel(false);
        let mut signals = interrupts();
        // Rows journaled as sent wait in the queue for a worker; queued or being sent,
        // they are in flight, never more than `concurrency`.
        let (queue, taken) = mpsc::channel(self.concurrency);
        let taken = Arc::new(Mutex::new(taken));
        let (answered, mut answers) = mpsc::unbounded_channel();
        let mut workers = JoinSet::new();
        for _ in 0..self.concurrency {
            let client = self.client.clone();
            let (taken, answered) = (Arc::clone(&taken), answered.clone());
            workers.spawn(worker(client, taken, answered, stopped.clone()));
        }
        drop(answered);
        let mut in_flight = 0;
        let mut ready = VecDeque::with_capacity(AHEAD + BATCH);
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut reading = true;
        let mut ending = None;
        // Counted apart from the ending: a second Ctrl-C stops at once even when the
        // import was already stopping for another reason.
        let mut interrupted = false;
        let mut failures = Failures::new(self.concurrency);

        loop {
            if ending.is_none() {
                in_flight += self.launch(&mut ready, &queue, in_flight)?;
            }
            if in_flight == 0 && (ending.is_some() || (!reading && ready.is_empty())) {
                break;
            }
            let stopping = tokio::select! {
                biased;
                Some(()) = signals.recv() => self.interrupted(&mut interrupted, in_flight),
                Some(answer) = answers.recv() => {
                    // Every answer that has come, so that their slots refill together.
                    let mut next = Some(answer);
                    let mut stopping = None;
                    while let Some((request, outcome)) = next {
                        in_flight -= 1;
                        let handled = self.outcome(request, outcome)?;
                        stopping = stopping.or(failures.count(handled, self.tally));
                        next = answers.try_recv().ok();
                    }
                    stopping
                }
                batch = items.recv(), if reading && ending.is_none() && ready.len() < AHEAD => {
                    match batch {
                        Some(batch) => self.receive(batch, &mut ready)?,
                        None => {
                            reading = false;
                            None
                        }
                    }
                }
                Some(ended) = workers.join_next() => {
                    // Workers end when the queue closes, after this loop: not before.
                    return Err(Failure::new(
                        Status::Failed,
                        format!("a request worker stopped: {ended:?}"),
                    ));
                }
                _ = ticker.tick() => {
                    self.journal.sync_soon().map_err(|e| self.journal_failed(&e))?;
                    self.rejects.flush()?;
                    self.progress
                        .update(self.tally, self.client.quota_spent_until());
                    None
                }
            };
            if let Some(stopping) = stopping {
                ending.get_or_insert(stopping);
                let _ = stop.send(true);
            }
        }
        self.progress
            .update(self.tally, self.client.quota_spent_until());
        Ok(ending.unwrap_or(Ending::Finished))
    }

    /// Ctrl-C: the first stops taking rows, the second stops at once.
    fn interrupted(&mut self, interrupted: &mut bool, in_flight: usize) -> Option<Ending> {
        if std::mem::replace(interrupted, true) {
            // Every line so far is whole; the next run resends the rows in flight with
            // their keys.
            let _ = self.journal.flush();
            let _ = self.rejects.flush();
            self.progress.finish();
            crate::stream::say(format_args!(
                "interrupted again: stopped at once; run the same command again to \
                 resume"
            ));
            std::process::exit(Status::Failed as i32);
        }
        // The bar goes before the message: redrawn under it, its last line would stay
        // behind above the summary. Progress goes on as log lines.
        self.progress.drop_bar();
        // Rows waiting for the quota, or for a worker, are not sent.
        self.client.stop_sending();
        self.progress.say(&format!(
            "interrupted: finishing the {} in flight (Ctrl-C again stops at once)",
            count(in_flight as u64, "request", "requests")
        ));
        Some(Ending::Interrupted)
    }

    /// Takes a batch of rows from the reading thread; the ending it calls for if the
    /// input could not be read on.
    fn receive(
        &mut self,
        batch: Vec<Item>,
        ready: &mut VecDeque<Request>,
    ) -> Result<Option<Ending>, Failure> {
        for item in batch {
            match item {
                Item::Send(request) => ready.push_back(request),
                Item::Invalid {
                    row,
                    line,
                    input,
                    problem,
                } => {
                    self.tally.invalid += 1;
                    self.rejects.add(&Reject {
                        row,
                        line: Some(line),
                        input: &input,
                        status: None,
                        property: problem.property.as_deref(),
                        message: &problem.message,
                        key: None,
                    })?;
                }
                Item::Done => self.tally.earlier += 1,
                Item::Noted {
                    row,
                    source_id,
                    notes,
                } => {
                    self.note(row, source_id.as_deref(), &notes);
                }
                // Rows were sent already: not a usage error that sent nothing.
                Item::Failed(failure) => {
                    return Ok(Some(Ending::Stopped(Failure::new(
                        Status::Failed,
                        failure.to_string(),
                    ))));
                }
            }
        }
        Ok(None)
    }

    /// Queues rows for the workers while fewer than `concurrency` are in flight; how
    /// many. Each is journaled as sent first: the lines reach the operating system
    /// before any of the requests can leave.
    fn launch(
        &mut self,
        ready: &mut VecDeque<Request>,
        queue: &mpsc::Sender<Request>,
        in_flight: usize,
    ) -> Result<usize, Failure> {
        let free = self.concurrency.saturating_sub(in_flight).min(ready.len());
        if free == 0 {
            return Ok(0);
        }
        for request in ready.iter().take(free) {
            // An update is sent again by the next run if its outcome is not journaled.
            let Action::Create(create) = &request.action else {
                continue;
            };
            let mut line = Line::new(Event::Sent, request.row, &request.key);
            line.source_id = request.source_id.as_deref().map(Into::into);
            line.content = Some(sent::hex(create.sent.content()).into());
            self.journal
                .record(&line)
                .map_err(|e| self.journal_failed(&e))?;
        }
        self.journal.flush().map_err(|e| self.journal_failed(&e))?;
        for request in ready.drain(..free) {
            // The queue has room for `concurrency` rows, and fewer are in flight.
            queue.try_send(request).map_err(|e| {
                Failure::new(Status::Failed, format!("the request workers are gone: {e}"))
            })?;
        }
        Ok(free)
    }

    /// Journals a row's outcome and counts it.
    fn outcome(&mut self, request: Request, outcome: Outcome) -> Result<Handled, Failure> {
        let mut line = Line::new(Event::Sent, request.row, &request.key);
        line.source_id = request.source_id.as_deref().map(Into::into);
        let (create, update) = match &request.action {
            Action::Create(create) => (Some(create), None),
            Action::Update(update) => (None, Some(update)),
        };
        // A refused or failed update names its ticket: the journal tells it from a
        // create's by that.
        line.id = update.and_then(|u| match &u.target {
            Target::Id(id) => Some(id.as_str().into()),
            Target::Key(_) => None,
        });
        let mut handled = Handled::Fine;
        match &outcome {
            Outcome::Ticket {
                event,
                id,
                ticket_identifier,
            } => {
                line.event = *event;
                line.id = id.as_deref().map(Into::into);
                line.ticket_identifier = ticket_identifier.as_deref().map(Into::into);
                line.sent = create
                    .filter(|c| c.made_as_sent(*event))
                    .map(|c| c.sent.clone());
                match event {
                    Event::Created => self.tally.created += 1,
                    _ => self.tally.replayed += 1,
                }
            }
            // Its changes are not in the ticket: as far as the journal knows, the
            // ticket has none of its properties, and the next --sync sends them all.
            Outcome::Other {
                id,
                ticket_identifier,
            } => {
                line.event = Event::Replayed;
                line.id = id.as_deref().map(Into::into);
                line.ticket_identifier = ticket_identifier.as_deref().map(Into::into);
                self.tally.replayed += 1;
                let notes = [format!(
                    "answered with the ticket its key made earlier, which has other \
                     content; {}",
                    match self.sync {
                        true => "the next --sync updates it",
                        false => "--sync updates it",
                    }
                )];
                self.note(request.row, request.source_id.as_deref(), &notes);
            }
            Outcome::CreatedEarlier => {
                line.event = Event::CreatedEarlier;
                line.sent = create
                    .filter(|c| c.made_as_sent(Event::CreatedEarlier))
                    .map(|c| c.sent.clone());
                self.tally.created_earlier += 1;
            }
            Outcome::Updated(learned) => {
                line.event = Event::Updated;
                if let Some(id) = learned {
                    line.id = Some(id.as_str().into());
                }
                line.sent = update.map(|u| u.sent.clone());
                self.tally.updated += 1;
            }
            // Nothing to journal: the next run finds the row changed again.
            Outcome::Noted(message) => {
                let notes = [message.clone()];
                self.note(request.row, request.source_id.as_deref(), &notes);
                self.tally.earlier += 1;
                return Ok(Handled::Fine);
            }
            Outcome::Rejected { status, message } => {
                line.event = Event::Rejected;
                line.status = *status;
                line.message = Some(message.as_str().into());
                self.tally.refused += 1;
                let input = match (create, update) {
                    (Some(create), _) => serde_json::to_value(&create.body),
                    (_, Some(update)) => serde_json::to_value(&update.body),
                    (None, None) => Ok(Value::Null),
                };
                self.rejects.add(&Reject {
                    row: request.row,
                    line: None,
                    input: &input.unwrap_or(Value::Null),
                    status: *status,
                    property: None,
                    message,
                    key: Some(&request.key),
                })?;
            }
            Outcome::Retryable { status, message }
            | Outcome::Throttled {
                status, message, ..
            } => {
                line.event = Event::Retryable;
                line.status = *status;
                line.message = Some(message.as_str().into());
                // An update that may have been made: what it sent is no longer known,
                // so the next run sends it again whatever the row then says.
                line.sent = update.map(Update::unsure);
                self.tally.retryable += 1;
                self.tally.last_failure = Some(message.clone());
                handled = Handled::Failed;
            }
            // The row stays sent without an outcome: the next run sends it again.
            Outcome::Fatal(message) => {
                return Ok(Handled::Stop(Failure::new(
                    Status::Refused,
                    format!("stopped: the API refuses the import: {message}"),
                )));
            }
        }
        self.journal
            .record(&line)
            .map_err(|e| self.journal_failed(&e))?;
        Ok(handled)
    }

    /// Counts a row with notes, and names it while few have been.
    fn note(&mut self, row: u64, source_id: Option<&str>, notes: &[String]) {
        self.tally.noted += 1;
        if self.tally.noted <= NOTES_SHOWN {
            self.progress.say(&note(row, source_id, notes));
        }
    }

    fn journal_failed(&self, e: &std::io::Error) -> Failure {
        Failure::new(
            Status::Failed,
            format!(
                "cannot write the journal {}: {e}; the next run resends the rows in flight \
                 with their keys",
                self.journal.path().display()
            ),
        )
    }
}

/// Takes rows from the queue and sends them, one at a time, until the queue closes.
async fn worker(
    client: Client,
    queue: Arc<Mutex<mpsc::Receiver<Request>>>,
    answers: mpsc::UnboundedSender<(Request, Outcome)>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let request = queue.lock().await.recv().await;
        let Some(request) = request else {
            return;
        };
        let outcome = send(&client, &request, &mut stopped).await;
        if answers.send((request, outcome)).is_err() {
            return;
        }
    }
}

/// Sends a row; a throttled one (429 after the SDK's retries) again after the server's
/// wait, until it is answered otherwise or the import stops: throttling slows an
/// import, it does not fail its rows.
async fn send(client: &Client, request: &Request, stopped: &mut watch::Receiver<bool>) -> Outcome {
    let mut resent = matches!(&request.action, Action::Create(c) if c.resent);
    loop {
        let outcome = match &request.action {
            Action::Create(create) => {
                let result = client
                    .create_ticket()
                    .body(create.body.clone())
                    .send()
                    .await;
                // A ticket that is not as sent was made by an earlier use of the key.
                let other = result
                    .as_ref()
                    .is_ok_and(|r| !echoes(&create.body, &r.data));
                let outcome = Outcome::of(result, resent || other, create.seen || resent);
                match outcome {
                    Outcome::Ticket {
                        id,
                        ticket_identifier,
                        ..
                    } if other => Outcome::Other {
                        id,
                        ticket_identifier,
                    },
                    outcome => outcome,
                }
            }
            Action::Update(update) => updated(client, update).await,
        };
        let Outcome::Throttled {
            wait, uncertain, ..
        } = &outcome
        else {
            return outcome;
        };
        if *stopped.borrow() {
            return outcome;
        }
        resent |= *uncertain;
        tokio::select! {
            () = tokio::time::sleep(wait.unwrap_or(THROTTLE_WAIT)) => {}
            _ = stopped.changed() => return outcome,
        }
    }
}

/// Whether a ticket has what a create sent, as far as the answer shows: the title, the
/// description, the requestor, the priority and the status it names.
fn echoes(sent: &CreateTicketBody, ticket: &Ticket) -> bool {
    let same = |sent: Option<&str>, answered: Option<&String>| match (sent, answered) {
        (Some(sent), Some(answered)) => sent == answered,
        _ => true,
    };
    same(Some(&sent.title), ticket.title.as_ref())
        && same(sent.description.as_deref(), ticket.description.as_ref())
        && same(Some(&sent.requestor_email), ticket.requestor_email.as_ref())
        && same(sent.priority_name.as_deref(), ticket.priority.as_ref())
        && same(sent.status_name.as_deref(), ticket.status.as_ref())
}

/// Sends an update; first, when its ticket's id is unknown, the row's create again
/// under its key, which the platform answers with the ticket it made.
async fn updated(client: &Client, update: &Update) -> Outcome {
    let (id, learned) = match &update.target {
        Target::Id(id) => (id.clone(), None),
        Target::Key(create) => {
            let result = client.create_ticket().body((**create).clone()).send().await;
            match Outcome::of(result, true, true) {
                Outcome::Ticket { id: Some(id), .. } => (id.clone(), Some(id)),
                Outcome::Ticket { id: None, .. } => {
                    return Outcome::Retryable {
                        status: None,
                        message: "its create, sent again under its key to learn its \
                                  ticket's id, was answered with a body that does not decode"
                            .to_owned(),
                    };
                }
                Outcome::CreatedEarlier => {
                    return Outcome::Noted(
                        "changed, but its ticket's id is unknown and the platform answers \
                         409 to its key: not updated; find the ticket by its \
                         deDuplicationKey"
                            .to_owned(),
                    );
                }
                other => return other,
            }
        }
    };
    let result = client
        .update_ticket()
        .id(id.as_str())
        .body(update.body.clone())
        .send()
        .await;
    Outcome::of_update(result, learned)
}

/// A row's notes (`--sync`), as one line.
pub fn note(row: u64, source_id: Option<&str>, notes: &[String]) -> String {
    let id = source_id.map_or_else(String::new, |id| format!(" ({id})"));
    format!("row {row}{id}: {}", notes.join("; "))
}

/// Ctrl-C, each time it is pressed, for as long as the driver listens; after that it
/// stops the process at once (the journal is complete by then).
fn interrupts() -> mpsc::UnboundedReceiver<()> {
    let (sender, receiver) = mpsc::unbounded_channel();
    // Without a listener, Ctrl-C keeps its default (the process ends; the journal still
    // makes the next run right).
    let Ok(mut presses) = Presses::listen() else {
        return receiver;
    };
    tokio::spawn(async move {
        while presses.next().await {
            if sender.send(()).is_err() {
                crate::stream::say(format_args!(
                    "interrupted; run the same command again to finish"
                ));
                std::process::exit(Status::Failed as i32);
            }
        }
    });
    receiver
}

/// Ctrl-C presses, from one listener registered before any row is sent and kept for
/// the whole run: a press that comes while the one before is handled is kept, not lost.
/// SIGTERM (a container stopped, a service manager's stop) is one too.
#[cfg(unix)]
struct Presses {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Presses {
    fn listen() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn next(&mut self) -> bool {
        tokio::select! {
            pressed = self.interrupt.recv() => pressed.is_some(),
            stopped = self.terminate.recv() => stopped.is_some(),
        }
    }
}

#[cfg(not(unix))]
struct Presses;

#[cfg(not(unix))]
impl Presses {
    fn listen() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn next(&mut self) -> bool {
        tokio::signal::ctrl_c().await.is_ok()
    }
}
