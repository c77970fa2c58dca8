//! What a create's result means for its row.

use std::time::Duration;

use thena_sdk::ResponseValue;
use thena_sdk::types::TicketResponse;

use crate::import::journal::Event;

/// The statuses by which the API refuses a row for what it holds: no other row is
/// concerned. Any other refusal (401, 403, 404...) concerns the import as a whole.
const ROW_REFUSALS: [u16; 3] = [400, 413, 422];

/// What became of a row's create.
#[derive(Debug)]
pub enum Outcome {
    /// The row's ticket: [`Event::Created`] or [`Event::Replayed`]; without its id when
    /// the answer of success did not decode.
    Ticket {
        /// Which of the two.
        event: Event,
        /// The ticket's id.
        id: Option<String>,
        /// The ticket's identifier.
        ticket_identifier: Option<String>,
    },
    /// The ticket an earlier use of the row's key made, answered in place of a new one,
    /// with content other than the row's.
    Other {
        /// The ticket's id.
        id: Option<String>,
        /// The ticket's identifier.
        ticket_identifier: Option<String>,
    },
    /// A duplicate refusal (409) of a key that may have been sent before: the ticket
    /// exists, its id unknown.
    CreatedEarlier,
    /// The row's ticket updated (`--sync`), with its id when this update learned it.
    Updated(Option<String>),
    /// A change that cannot be sent (`--sync`), and why.
    Noted(String),
    /// The API refused the row itself.
    Rejected {
        /// The status, or `None` when the SDK refused before sending.
        status: Option<u16>,
        /// What the server said (or the SDK, when the server said nothing).
        message: String,
    },
    /// Failed after the SDK's retries; the ticket may exist.
    Retryable {
        /// The status of the last answer, if there was one.
        status: Option<u16>,
        /// The SDK's sentence about the failure.
        message: String,
    },
    /// Throttled (429) after the SDK's retries: to be sent again after this wait.
    Throttled {
        /// 429.
        status: Option<u16>,
        /// The SDK's sentence about it.
        message: String,
        /// The server's `Retry-After`, if any.
        wait: Option<Duration>,
        /// Whether an earlier attempt may have created the ticket.
        uncertain: bool,
    },
    /// A refusal that is not the row's fault (a wrong key, a wrong URL): the import
    /// stops. The SDK's sentence.
    Fatal(String),
}

impl Outcome {
    /// The outcome of a create; `resent` when the row was sent before (by an earlier run
    /// or an earlier call), so that its ticket may be that attempt's; `seen` when its key
    /// may have been sent before by anyone (`resent`, a `--restart`, a key the row
    /// brings): only then is a 409 a duplicate of it, whatever the SDK's classification.
    /// A 409 to a key never sent is a refusal of the row, which has no ticket.
    pub fn of(
        result: Result<ResponseValue<TicketResponse>, thena_sdk::Error>,
        resent: bool,
        seen: bool,
    ) -> Self {
        let error = match result {
            Ok(response) => {
                let event = if resent || response.head().earlier_attempt_may_have_created() {
                    Event::Replayed
                } else {
                    Event::Created
                };
                let ticket = response.into_inner().data;
                return Self::Ticket {
                    event,
                    id: ticket.id,
                    ticket_identifier: ticket.ticket_identifier,
                };
            }
            Err(error) => error,
        };
        let status = error.status().map(|s| s.as_u16());
        if status == Some(409) && (seen || error.earlier_attempt_may_have_created()) {
            return Self::CreatedEarlier;
        }
        // A success whose body did not decode (or could not be read, on this attempt or
        // an earlier one): the platform made the ticket. Sent again with its key, it
        // would only be replayed.
        if error.carried_out() {
            return Self::Ticket {
                event: match resent || error.earlier_attempt_may_have_created() {
                    true => Event::Replayed,
                    false => Event::Created,
                },
                id: None,
                ticket_identifier: None,
            };
        }
        if status == Some(409) && !matches!(error, thena_sdk::Error::InvalidRequest(_)) {
            return Self::Rejected {
                status,
                message: format!(
                    "{} (a conflict, though this row's key was never sent before: not a \
                     duplicate, and no ticket)",
                    error.server_message().unwrap_or_else(|| error.to_string())
                ),
            };
        }
        Self::failed(&error, status)
    }

    /// The outcome of an update (`--sync`). Updates are idempotent: one that failed, or
    /// whose outcome was not journaled, is sent again by the next run.
    pub fn of_update(
        result: Result<ResponseValue<TicketResponse>, thena_sdk::Error>,
        learned: Option<String>,
    ) -> Self {
        match result {
            Ok(_) => Self::Updated(learned),
            // A success whose body did not decode: the update was made.
            Err(error) if error.carried_out() => Self::Updated(learned),
            Err(error) => {
                let status = error.status().map(|s| s.as_u16());
                match status {
                    // Not found (the ticket was deleted in Thena) or in conflict: this
                    // row's alone.
                    Some(404 | 409) => Self::Rejected {
                        status,
                        message: error.server_message().unwrap_or_else(|| error.to_string()),
                    },
                    _ => Self::failed(&error, status),
                }
            }
        }
    }

    /// A request that failed or was refused, by its status.
    fn failed(error: &thena_sdk::Error, status: Option<u16>) -> Self {
        let unsent = matches!(
            error,
            thena_sdk::Error::QuotaExhausted { .. } | thena_sdk::Error::Stopped { .. }
        );
        match status {
            // The quota, past the SDK's wait, or a stop: nothing was sent.
            _ if unsent => Self::Throttled {
                status,
                message: error.to_string(),
                wait: error.retry_after(),
                uncertain: false,
            },
            Some(429) => Self::Throttled {
                status,
                message: error.to_string(),
                wait: error.retry_after(),
                uncertain: error.earlier_attempt_may_have_created(),
            },
            _ if matches!(error, thena_sdk::Error::InvalidRequest(_)) => Self::Rejected {
                status: None,
                message: error.to_string(),
            },
            Some(s) if ROW_REFUSALS.contains(&s) => Self::Rejected {
                status,
                message: error.server_message().unwrap_or_else(|| error.to_string()),
            },
            // A redirect or another refusal: every row would get the same.
            Some(s) if (300..500).contains(&s) && !error.is_retryable() => {
                Self::Fatal(error.to_string())
            }
            _ => Self::Retryable {
                status,
                message: error.to_string(),
            },
        }
    }
}
