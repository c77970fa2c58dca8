//! `thena-sandbox [OPTIONS]`: serves the Thena ticket API on 127.0.0.1 and prints its
//! base URL on the first line of stdout. `--help` lists the options; each can also be
//! set through the environment variable it names.

use std::process::ExitCode;

use clap::{Arg, ArgMatches, Command, value_parser};
use thena_sandbox::{
    Chaos, DEFAULT_API_KEY, OnDuplicate, RateLimit, RateLimitHeaders, Sandbox, SandboxBuilder,
};

fn command() -> Command {
    Command::new("thena-sandbox")
        .about(
            "Serves the Thena ticket API (POST /v1/tickets, PATCH /v1/tickets/{id}) in memory \
             on 127.0.0.1, prints its base URL, and runs until Ctrl-C.",
        )
        .after_help(
            "Tests control it under /_sandbox: GET /_sandbox/tickets, GET/POST/DELETE \
             /_sandbox/faults, GET/POST/DELETE /_sandbox/chaos, GET/DELETE /_sandbox/requests.",
        )
        .arg(
            Arg::new("port")
                .long("port")
                .value_name("N")
                .env("THENA_SANDBOX_PORT")
                .value_parser(value_parser!(u16))
                .default_value("0")
                .help("The port; 0 lets the OS choose a free one"),
        )
        .arg(
            Arg::new("api-key")
                .long("api-key")
                .value_name("KEY")
                .env("THENA_SANDBOX_API_KEY")
                .hide_env_values(true)
                .value_parser(|key: &str| match key.trim().is_empty() {
                    true => Err("must not be empty".to_owned()),
                    false => Ok(key.to_owned()),
                })
                .default_value(DEFAULT_API_KEY)
                .help("The key clients must send in x-api-key"),
        )
        .arg(
            Arg::new("rate-limit")
                .long("rate-limit")
                .value_name("N/WINDOW")
                .env("THENA_SANDBOX_RATE_LIMIT")
                .value_parser(|limit: &str| limit.parse::<RateLimit>().map_err(|e| e.to_string()))
                // RateLimit::DEFAULT, as the test checks
                .default_value("100000/1m")
                .help(
                    "Answer N requests per fixed window, WINDOW like 1s, 10s, 1m, 1h, and 429 \
                     to the rest",
                ),
        )
        .arg(
            Arg::new("rate-limit-headers")
                .long("rate-limit-headers")
                .value_name("all|some|none")
                .env("THENA_SANDBOX_RATE_LIMIT_HEADERS")
                .value_parser(|mode: &str| mode.parse::<RateLimitHeaders>())
                .default_value("all")
                .help(
                    "Which X-RateLimit-* headers answers carry: Limit, Remaining and Reset \
                     (all), Remaining and Reset (some), or none",
                ),
        )
        .arg(
            Arg::new("clock-shift")
                .long("clock-shift")
                .value_name("SECONDS")
                .env("THENA_SANDBOX_CLOCK_SHIFT")
                .allow_negative_numbers(true)
                .value_parser(value_parser!(i64))
                .default_value("0")
                .help(
                    "Run the sandbox's clock this many seconds ahead of the machine's (behind \
                     when negative): its Date, its rate-limit windows and their resets",
                ),
        )
        .arg(
            Arg::new("on-duplicate")
                .long("on-duplicate")
                .value_name("replay|conflict")
                .env("THENA_SANDBOX_ON_DUPLICATE")
                .value_parser(|mode: &str| mode.parse::<OnDuplicate>())
                .default_value("replay")
                .help(
                    "A create whose deDuplicationKey was seen before gets the original ticket \
                     (replay) or 409 (conflict)",
                ),
        )
        .arg(
            Arg::new("chaos")
                .long("chaos")
                .value_name("RATE")
                .env("THENA_SANDBOX_CHAOS")
                .value_parser(|rate: &str| {
                    let rate: f64 = rate.parse().map_err(|_| "not a number".to_owned())?;
                    Chaos::new(rate).map_err(|e| e.to_string())
                })
                .help(
                    "Each API request meets, with probability RATE (0 to 1), one of: 503, 429 \
                     with Retry-After: 1, a connection dropped before or after processing, a \
                     body cut short; the request log says which",
                ),
        )
        .arg(
            Arg::new("seed")
                .long("seed")
                .value_name("N")
                .env("THENA_SANDBOX_SEED")
                .value_parser(value_parser!(u64))
                .requires("chaos")
                .help("Makes the chaos's choices reproducible"),
        )
        .arg(
            Arg::new("request-log")
                .long("request-log")
                .value_name("N")
                .env("THENA_SANDBOX_REQUEST_LOG")
                .value_parser(value_parser!(usize))
                .help(
                    "The request log keeps the N most recent requests (default 10000) and \
                     counts the others (x-sandbox-requests-dropped)",
                ),
        )
}

/// The settings the options ask for.
fn builder(matches: &ArgMatches) -> SandboxBuilder {
    let mut builder = Sandbox::builder();
    if let Some(&port) = matches.get_one::<u16>("port") {
        builder = builder.port(port);
    }
    if let Some(key) = matches.get_one::<String>("api-key") {
        builder = builder.api_key(key.clone());
    }
    if let Some(&limit) = matches.get_one::<RateLimit>("rate-limit") {
        builder = builder.rate_limit(limit);
    }
    if let Some(&headers) = matches.get_one::<RateLimitHeaders>("rate-limit-headers") {
        builder = builder.rate_limit_headers(headers);
    }
    if let Some(&shift) = matches.get_one::<i64>("clock-shift") {
        builder = builder.clock_shift(shift);
    }
    if let Some(&mode) = matches.get_one::<OnDuplicate>("on-duplicate") {
        builder = builder.on_duplicate(mode);
    }
    if let Some(&kept) = matches.get_one::<usize>("request-log") {
        builder = builder.request_log(kept);
    }
    if let Some(&chaos) = matches.get_one::<Chaos>("chaos") {
        let seed = matches.get_one::<u64>("seed");
        builder = builder.chaos(seed.map_or(chaos, |&s| chaos.seed(s)));
    }
    builder
}

#[tokio::main]
async fn main() -> ExitCode {
    let matches = match command().try_get_matches() {
        Ok(matches) => matches,
        // --help and --version print to stdout and succeed; errors go to stderr, exit 2.
        Err(e) => {
            let _ = e.print();
            return match e.use_stderr() {
                true => ExitCode::from(2),
                false => ExitCode::SUCCESS,
            };
        }
    };
    let sandbox = match builder(&matches).start().await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("thena-sandbox: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The URL alone on the first line, for scripts; the rest goes to stderr.
    println!("{}", sandbox.url());
    eprintln!(
        "thena-sandbox: serving the Thena ticket API at {} (x-api-key: {}); Ctrl-C stops it",
        sandbox.url(),
        sandbox.api_key()
    );
    let signal = tokio::signal::ctrl_c().await;
    sandbox.shutdown().await;
    match signal {
        Ok(()) => {
            eprintln!("thena-sandbox: stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("thena-sandbox: cannot wait for Ctrl-C: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<SandboxBuilder, String> {
        let args = std::iter::once("thena-sandbox").chain(line.split_whitespace());
        command()
            .try_get_matches_from(args)
            .map(|m| builder(&m))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_command_is_well_formed() {
        command().debug_assert();
    }

    #[test]
    fn flags_take_separate_or_inline_values() {
        let builder = parse(
            "--port 8080 --api-key=k1 --rate-limit 5/10s --on-duplicate conflict --chaos 0.05 \
             --seed 3 --clock-shift -3600 --rate-limit-headers some",
        )
        .expect("valid");
        let shown = format!("{builder:?}");
        for expected in [
            "port: 8080",
            "\"k1\"",
            "requests: 5",
            "on_duplicate: Conflict",
            "rate: 0.05, seed: Some(3)",
            "clock_shift: -3600",
            "rate_limit_headers: Some",
        ] {
            assert!(shown.contains(expected), "{expected} in {shown}");
        }
        let defaults = format!("{:?}", parse("").expect("valid"));
        assert!(defaults.contains(DEFAULT_API_KEY), "{defaults}");
        assert!(defaults.contains("clock_shift: 0"), "{defaults}");
        assert!(defaults.contains("rate_limit_headers: All"), "{defaults}");
        let default_limit = format!("{:?}", Sandbox::builder());
        assert!(
            default_limit.contains(&format!("{:?}", RateLimit::DEFAULT))
                && defaults.contains(&format!("{:?}", RateLimit::DEFAULT)),
            "{defaults}"
        );
    }

    #[test]
    fn bad_arguments_are_named() {
        for (line, expected) in [
            ("--port", "a value is required for '--port <N>'"),
            ("--port 70000", "70000"),
            ("--api-key=", "must not be empty"),
            ("--rate-limit 5", "N/WINDOW"),
            ("--on-duplicate refuse", "expected replay or conflict"),
            ("--rate-limit-headers few", "expected all, some or none"),
            ("--clock-shift soon", "invalid digit"),
            ("--chaos 2", "from 0 to 1"),
            ("--chaos much", "not a number"),
            ("--seed 7", "--chaos <RATE>"),
            ("--verbose", "unexpected argument '--verbose'"),
        ] {
            let err = parse(line).expect_err(line);
            assert!(err.contains(expected), "{line}: {err}");
        }
    }
}
