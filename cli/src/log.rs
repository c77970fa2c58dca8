//! `--debug` and `THENA_LOG=debug|trace`: the SDK's spans and events on stderr (at
//! trace level, each request and answer with its headers and the start of its body,
//! the key redacted by the SDK). Nothing of it reaches stdout.

use clap::{Arg, ArgAction, ArgMatches};
use tracing::Level;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::exit::{Failure, Status};

const DEBUG: &str = "debug";

/// The global `--debug` flag.
pub fn arg() -> Arg {
    Arg::new(DEBUG)
        .long(DEBUG)
        .help_heading(crate::config::GLOBAL)
        .global(true)
        .action(ArgAction::SetTrue)
        .help(
            "Log the SDK's calls, attempts, retries and rate-limit waits on stderr \
             [env: THENA_LOG=debug; THENA_LOG=trace adds each request and answer, the key \
             redacted]",
        )
}

/// Starts the log `--debug` or `THENA_LOG` asks for, if any.
pub fn start(matches: &ArgMatches) -> Result<(), Failure> {
    let from_env = match std::env::var("THENA_LOG").ok().as_deref().map(str::trim) {
        None => None,
        Some("") => {
            return Err(Failure::new(
                Status::Config,
                "THENA_LOG is set but empty: set it to debug or trace, or unset it",
            ));
        }
        Some("debug") => Some(Level::DEBUG),
        Some("trace") => Some(Level::TRACE),
        Some(_) => {
            return Err(Failure::new(
                Status::Config,
                "THENA_LOG must be debug or trace",
            ));
        }
    };
    let from_flag = matches.get_flag(DEBUG).then_some(Level::DEBUG);
    // The more detailed of the two.
    let Some(level) = from_env.into_iter().chain(from_flag).max() else {
        return Ok(());
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        // A call's and an attempt's facts (status, request id, duration) are known when
        // they close.
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(crate::stream::log)
        // A closed stderr drops the log; it must not become a panic.
        .log_internal_errors(false)
        .init();
    Ok(())
}
