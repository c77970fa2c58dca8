//! Exit statuses: every failure carries the status a script can branch on and the one
//! line `thena` prints about it.

use std::fmt;
use std::process::ExitCode;

/// The exit statuses, as `--help` lists them.
pub const HELP: &str = "\
Exit status:
  0  success: the ticket (for api, the answer's body) is on stdout
  2  usage error: an unknown flag, a missing or invalid property, an unreadable
     --json-body; nothing was sent
  3  the API refused the request (a 4xx other than 408 and 429); the server's
     message is printed
  4  the server or the network failed, after retries (5xx, 408, 429, timeouts, no
     answer, an answer that does not decode): trying again later may succeed
  5  configuration error: no API key, an unusable base URL, a profile that is not
     there or whose key file or command fails, the embedded sandbox could not start
  6  done, but the output was lost: the ticket was created or updated (or every row
     of an import is done) and writing the result failed (a full disk, a closed
     pipe), or the server's answer to it could not be read; the message on stderr
     names what was done. Do not retry blindly: a create run again without its
     deDuplicationKey makes a second ticket
  7  busy: another import holds the journal (--state); the message names its
     process. Run again once it has finished";

/// Why `thena` stops without success. Every failure has one of these; 1 is not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Bad input, caught before anything was sent.
    Usage = 2,
    /// The API refused the request: a 4xx status that says "not this" (not 408 or 429).
    Refused = 3,
    /// The server or the network failed, or the platform said "not now".
    Failed = 4,
    /// The client could not be set up.
    Config = 5,
    /// The work was done, but its output (the ticket, the mapping) could not be written.
    OutputLost = 6,
    /// Another import holds the journal.
    Busy = 7,
}

/// A failure: its status and the message printed as `thena: <message>` on stderr.
#[derive(Debug)]
pub struct Failure {
    status: Status,
    message: String,
}

impl Failure {
    /// A failure with this status and message.
    pub fn new(status: Status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// Its exit status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Prints the message on stderr and gives the exit status.
    pub fn report(self) -> ExitCode {
        crate::stream::say(&self);
        ExitCode::from(self.status as u8)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The SDK's one-sentence `Display` names the cause, the status, the server's message,
/// the request id, the attempts and, for a create that may have happened, the
/// `deDuplicationKey` to retry with.
impl From<thena_sdk::Error> for Failure {
    fn from(e: thena_sdk::Error) -> Self {
        let status = if matches!(e, thena_sdk::Error::InvalidRequest(_)) {
            Status::Usage
        } else if e.carried_out() {
            // A success whose answer could not be read: done, never to be retried blindly.
            Status::OutputLost
        } else if e.status().is_some_and(|s| s.is_client_error()) && !e.is_retryable() {
            Status::Refused
        } else {
            Status::Failed
        };
        Self::new(status, e.to_string())
    }
}

impl From<thena_sdk::ConfigError> for Failure {
    fn from(e: thena_sdk::ConfigError) -> Self {
        Self::new(Status::Config, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_refused_before_sending_is_a_usage_error() {
        let failure = Failure::from(thena_sdk::Error::InvalidRequest(
            "id must not be empty".into(),
        ));
        assert_eq!(failure.status, Status::Usage);
        assert_eq!(failure.message, "invalid request: id must not be empty");
    }

    #[test]
    fn help_lists_every_status() {
        for status in [
            Status::Usage,
            Status::Refused,
            Status::Failed,
            Status::Config,
            Status::OutputLost,
            Status::Busy,
        ] {
            let line = format!("\n  {}  ", status as u8);
            assert!(HELP.contains(&line), "{status:?} is not in --help");
        }
    }

    #[test]
    fn configuration_errors_exit_with_5() {
        let failure = Failure::from(thena_sdk::ConfigError::MissingApiKey);
        assert_eq!(failure.status, Status::Config);
        assert_eq!(failure.status as u8, 5);
    }
}
