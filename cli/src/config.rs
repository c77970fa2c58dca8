//! Where `thena` sends its requests, and how patiently: the SDK's environment settings
//! with the global flags over them, or `--sandbox`, an embedded sandbox.

use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, value_parser};
use thena_sandbox::Sandbox;
use thena_sdk::{Client, ClientBuilder, ConfigError};

use crate::exit::{Failure, Status};

/// The configuration, as `--help` explains it.
pub const HELP: &str = "\
Configuration:
  THENA_API_KEY       the API key (required unless --sandbox). It is read from the
                      environment only, never from a flag: a flag would leave the key
                      in your shell history and in the process list.
  THENA_BASE_URL      the API's base URL (default https://platform.thena.ai)
  THENA_MAX_RETRIES   as --max-retries
  THENA_TIMEOUT_SECS  as --timeout
The flags override the environment.";

const BASE_URL: &str = "base-url";
const MAX_RETRIES: &str = "max-retries";
const TIMEOUT: &str = "timeout";
const SANDBOX: &str = "sandbox";

/// Where the global options stand in every command's help, apart from its own.
pub const GLOBAL: &str = "Global options";

/// The global options that configure the client.
pub fn args() -> [Arg; 4] {
    [
        Arg::new(BASE_URL)
            .long(BASE_URL)
            .help_heading(GLOBAL)
            .value_name("URL")
            .global(true)
            .help("The API's base URL [env: THENA_BASE_URL] [default: https://platform.thena.ai]"),
        Arg::new(MAX_RETRIES)
            .long(MAX_RETRIES)
            .help_heading(GLOBAL)
            .value_name("N")
            .global(true)
            .value_parser(value_parser!(u32))
            .help(
                "How often a transient failure (no answer, 408, 429, 5xx) is retried \
                 [env: THENA_MAX_RETRIES] [default: 2]",
            ),
        Arg::new(TIMEOUT)
            .long(TIMEOUT)
            .help_heading(GLOBAL)
            .value_name("SECS")
            .global(true)
            .value_parser(seconds)
            .help("The limit for one attempt, in seconds [env: THENA_TIMEOUT_SECS] [default: 60]"),
        Arg::new(SANDBOX)
            .long(SANDBOX)
            .help_heading(GLOBAL)
            .global(true)
            .action(ArgAction::SetTrue)
            .conflicts_with(BASE_URL)
            .help(
                "Send to a sandbox started inside thena, not to the Thena platform: no \
                 account or key needed; its tickets last as long as the command",
            ),
    ]
}

/// Whether `--sandbox` was given: requests go to an embedded sandbox.
pub fn sandbox(matches: &ArgMatches) -> bool {
    matches.get_flag(SANDBOX)
}

/// A configured client, and the embedded sandbox it talks to, kept running as long as
/// the client is used.
pub struct Connection {
    /// The SDK client.
    pub client: Client,
    _sandbox: Option<Sandbox>,
}

/// Configures the client from the environment and the flags, or starts the embedded
/// sandbox for `--sandbox`; a `rehearsal`'s (an import's) keeps only what
/// deduplication needs, so that a million rows fit in memory. Must run inside a tokio
/// runtime.
pub async fn connect(matches: &ArgMatches, rehearsal: bool) -> Result<Connection, Failure> {
    let (builder, sandbox) = if sandbox(matches) {
        let settings = match rehearsal {
            true => Sandbox::builder().keys_only().request_log(0),
            false => Sandbox::builder(),
        };
        let sandbox = settings.start().await.map_err(|e| {
            Failure::new(
                Status::Config,
                format!("cannot start the embedded sandbox: {e}"),
            )
        })?;
        crate::stream::say(format_args!(
            "--sandbox: sending to an embedded sandbox at {}; its tickets are gone \
             when thena exits",
            sandbox.url()
        ));
        let builder = Client::builder()
            .base_url(sandbox.url())
            .api_key(sandbox.api_key());
        (builder, Some(sandbox))
    } else {
        let builder = ClientBuilder::from_env().map_err(|e| match e {
            ConfigError::MissingEnv("THENA_API_KEY") => Failure::new(
                Status::Config,
                "no API key: set THENA_API_KEY in the environment, or try thena with \
                 --sandbox (no account needed)",
            ),
            other => other.into(),
        })?;
        (builder, None)
    };
    let builder = apply_flags(builder, matches);
    Ok(Connection {
        client: builder.build()?,
        _sandbox: sandbox,
    })
}

fn apply_flags(mut builder: ClientBuilder, matches: &ArgMatches) -> ClientBuilder {
    if let Some(url) = matches.get_one::<String>(BASE_URL) {
        builder = builder.base_url(url);
    }
    if let Some(&retries) = matches.get_one::<u32>(MAX_RETRIES) {
        builder = builder.max_retries(retries);
    }
    if let Some(&timeout) = matches.get_one::<Duration>(TIMEOUT) {
        builder = builder.timeout(timeout);
    }
    builder
}

/// A positive number of seconds, such as 30 or 2.5.
fn seconds(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| "expected a positive number of seconds, such as 30 or 2.5".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_positive_seconds() {
        assert_eq!(seconds("2.5"), Ok(Duration::from_millis(2500)));
        for bad in ["0", "-1", "soon", "NaN", "inf"] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
    }
}
