//! Where `thena` sends its requests, and how patiently: a profile's settings (`profile`),
//! the SDK's environment settings over them and the global flags over those, or
//! `--sandbox`, an embedded sandbox; and `thena config show`, which says which won.

use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};
use thena_sandbox::Sandbox;
use thena_sdk::{Client, ClientBuilder, ConfigError};

use crate::exit::{Failure, Status};
use crate::profile;

/// The configuration, as `--help` explains it.
pub const HELP: &str = "\
Configuration:
  THENA_API_KEY       the API key (required unless --sandbox or a profile names one).
                      Never a flag: a flag would leave the key in your shell history
                      and in the process list.
  THENA_BASE_URL      the API's base URL (default https://platform.thena.ai)
  THENA_MAX_RETRIES   as --max-retries
  THENA_TIMEOUT_SECS  as --timeout
  THENA_PROFILE       as --profile
  THENA_LOG           debug (as --debug) or trace (each request and answer too)
  THENA_CONFIG        the configuration file (default
                      $XDG_CONFIG_HOME/thena/config.toml, else ~/.config/thena/config.toml)
A profile is a [profiles.NAME] table of that file with base_url, max_retries, timeout
and where the key comes from: api_key_file (a file only its owner can read) or
api_key_command (a command that prints the key). The `default` profile is used when
none is named. Flags override the environment, which overrides the profile.
`thena config show` prints what is in effect and where each setting came from.";

/// The environment variable of the key.
const API_KEY_ENV: &str = "THENA_API_KEY";
const BASE_URL: &str = "base-url";
const MAX_RETRIES: &str = "max-retries";
const TIMEOUT: &str = "timeout";
const SANDBOX: &str = "sandbox";
const PROFILE: &str = "profile";

/// The SDK's defaults, as help and `config show` state them.
const DEFAULT_RETRIES: u32 = 2;
const DEFAULT_TIMEOUT_SECS: u64 = 60;

/// Where the global options stand in every command's help, apart from its own.
pub const GLOBAL: &str = "Global options";

/// The global options that configure the client.
pub fn args() -> [Arg; 5] {
    [
        Arg::new(BASE_URL)
            .long(BASE_URL)
            .help_heading(GLOBAL)
            .value_name("URL")
            .global(true)
            .help("The API's base URL [env: THENA_BASE_URL] [default: https://platform.thena.ai]"),
        Arg::new(PROFILE)
            .long(PROFILE)
            .help_heading(GLOBAL)
            .value_name("NAME")
            .global(true)
            .conflicts_with(SANDBOX)
            .help("The profile of the configuration file to use [env: THENA_PROFILE] [default: default]"),
        Arg::new(MAX_RETRIES)
            .long(MAX_RETRIES)
            .help_heading(GLOBAL)
            .value_name("N")
            .global(true)
            .value_parser(value_parser!(u32))
            .help(format!(
                "How often a transient failure (no answer, 408, 429, 5xx) is retried \
                 [env: THENA_MAX_RETRIES] [default: {DEFAULT_RETRIES}]"
            )),
        Arg::new(TIMEOUT)
            .long(TIMEOUT)
            .help_heading(GLOBAL)
            .value_name("SECS")
            .global(true)
            .value_parser(seconds)
            .help(format!(
                "The limit for one attempt, in seconds [env: THENA_TIMEOUT_SECS] \
                 [default: {DEFAULT_TIMEOUT_SECS}]"
            )),
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

/// What a client is for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Sending requests.
    Send,
    /// `--dry-run`: building and checking requests, sending none.
    DryRun,
    /// An import's rehearsal on the embedded sandbox, which then keeps only what
    /// deduplication needs, so that a million rows fit in memory.
    Rehearsal,
}

/// Configures the client from the profile, the environment and the flags, or starts
/// the embedded sandbox for `--sandbox`. Must run inside a tokio runtime.
pub async fn connect(matches: &ArgMatches, using: Use) -> Result<Connection, Failure> {
    let (builder, sandbox) = if sandbox(matches) {
        let settings = match using {
            Use::Rehearsal => Sandbox::builder().keys_only().request_log(0),
            Use::Send | Use::DryRun => Sandbox::builder(),
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
        let chosen = profile::choose(matches.get_one::<String>(PROFILE).map(String::as_str))?;
        (from_profile(chosen.as_ref())?.0.with_env()?, None)
    };
    let builder = apply_flags(builder, matches).dry_run(using == Use::DryRun);
    let client = builder.build().map_err(|e| match e {
        ConfigError::MissingApiKey => Failure::new(
            Status::Config,
            "no API key: set THENA_API_KEY in the environment, name a profile that has \
             one (see thena --help), or try thena with --sandbox (no account needed)",
        ),
        other => other.into(),
    })?;
    Ok(Connection {
        client,
        _sandbox: sandbox,
    })
}

/// The command's name in the tree.
pub const NAME: &str = "config";

/// `thena config show`.
pub fn command() -> Command {
    Command::new(NAME)
        .about("Show the configuration in effect")
        .subcommand_required(true)
        .subcommand(Command::new("show").about(
            "Print each setting in effect and where it came from: a flag, the environment, \
             the profile or the default (the key itself is never printed)",
        ))
}

/// Prints on stdout, one per line, each setting, its value and where it came from.
pub fn show(matches: &ArgMatches) -> Result<(), Failure> {
    let mut rows: Vec<[String; 3]> = Vec::new();
    let mut row = |name: &str, value: String, source: String| {
        rows.push([name.to_owned(), value, source]);
    };
    if sandbox(matches) {
        row("base_url", "an embedded sandbox".into(), "--sandbox".into());
        row("api_key", "the sandbox's".into(), "--sandbox".into());
        return print_rows(&rows);
    }
    let chosen = profile::choose(matches.get_one::<String>(PROFILE).map(String::as_str))?;
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let in_profile = chosen
        .as_ref()
        .map(|c| format!("profile {}", c.name))
        .unwrap_or_default();
    let profile = chosen.as_ref().map(|c| &c.profile);
    let (url, source) = first(
        [
            (
                matches.get_one::<String>(BASE_URL).cloned(),
                format!("--{BASE_URL}"),
            ),
            (env("THENA_BASE_URL"), "environment THENA_BASE_URL".into()),
            (profile.and_then(|p| p.base_url.clone()), in_profile.clone()),
        ],
        thena_sdk::DEFAULT_BASE_URL.into(),
    );
    row("base_url", url, source);
    let (retries, source) = first(
        [
            (
                matches.get_one::<u32>(MAX_RETRIES).map(u32::to_string),
                format!("--{MAX_RETRIES}"),
            ),
            (
                env("THENA_MAX_RETRIES"),
                "environment THENA_MAX_RETRIES".into(),
            ),
            (
                profile.and_then(|p| p.max_retries).map(|n| n.to_string()),
                in_profile.clone(),
            ),
        ],
        DEFAULT_RETRIES.to_string(),
    );
    row("max_retries", retries, source);
    let (timeout, source) = first(
        [
            (
                matches
                    .get_one::<Duration>(TIMEOUT)
                    .map(|d| d.as_secs_f64().to_string()),
                format!("--{TIMEOUT}"),
            ),
            (
                env("THENA_TIMEOUT_SECS"),
                "environment THENA_TIMEOUT_SECS".into(),
            ),
            (
                profile.and_then(|p| p.timeout).map(|t| t.to_string()),
                in_profile,
            ),
        ],
        DEFAULT_TIMEOUT_SECS.to_string(),
    );
    row("timeout", format!("{timeout} s"), source);
    let (builder, from_profile) = from_profile(chosen.as_ref())?;
    let key = match std::env::var_os(API_KEY_ENV) {
        Some(_) => Some(format!("environment {API_KEY_ENV}")),
        None => from_profile,
    };
    // What is shown is what a command would use: the same checks first.
    checked(builder, matches, key.is_some())?;
    match key {
        Some(source) => row("api_key", "<redacted>".into(), source),
        None => row("api_key", "not set".into(), "-".into()),
    }
    match &chosen {
        Some(c) => row("profile", c.name.clone(), c.path.display().to_string()),
        None => row("profile", "none".into(), "-".into()),
    }
    print_rows(&rows)
}

/// The first value given, with where it came from; else the default.
fn first(given: [(Option<String>, String); 3], default: String) -> (String, String) {
    given
        .into_iter()
        .find_map(|(value, source)| Some((value?, source)))
        .unwrap_or((default, "default".into()))
}

/// Rows of three columns, aligned, on stdout.
fn print_rows(rows: &[[String; 3]]) -> Result<(), Failure> {
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let (name, value) = (width(0), width(1));
    let text: String = rows
        .iter()
        .map(|[n, v, s]| format!("{n:<name$}  {v:<value$}  {s}\n"))
        .collect();
    crate::stream::data(text.as_bytes())
        .map_err(|e| Failure::new(Status::OutputLost, format!("writing to stdout failed: {e}")))
}

/// A builder with the profile's settings, and where its key came from when the profile
/// gave one. The key is looked up (a file read, a command run) only when the
/// environment does not set one, which would win anyway.
fn from_profile(
    chosen: Option<&profile::Chosen>,
) -> Result<(ClientBuilder, Option<String>), Failure> {
    let mut builder = Client::builder();
    let Some(chosen) = chosen else {
        return Ok((builder, None));
    };
    let profile = &chosen.profile;
    if let Some(url) = &profile.base_url {
        builder = builder.base_url(url);
    }
    if let Some(retries) = profile.max_retries {
        builder = builder.max_retries(retries);
    }
    if let Some(timeout) = profile.timeout {
        let timeout = seconds(&timeout.to_string()).map_err(|rule| {
            Failure::new(
                Status::Config,
                format!("profile {}: timeout: {rule}", chosen.name),
            )
        })?;
        builder = builder.timeout(timeout);
    }
    let mut source = None;
    if std::env::var_os(API_KEY_ENV).is_none()
        && let Some((key, from)) = chosen.api_key()?
    {
        builder = builder.api_key(key);
        source = Some(format!("profile {}: {from}", chosen.name));
    }
    Ok((builder, source))
}

/// The checks a real command makes of its settings (blank variables, the base URL,
/// timeouts), without a key if none is set.
fn checked(builder: ClientBuilder, matches: &ArgMatches, has_key: bool) -> Result<(), Failure> {
    let builder = apply_flags(builder.with_env()?, matches);
    let builder = match has_key {
        true => builder,
        // Only for the checks: this client is never used.
        false => builder.api_key("unset"),
    };
    builder.build().map(drop).map_err(Failure::from)
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
