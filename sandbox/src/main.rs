//! `thena-sandbox [--port N] [--api-key KEY] [--rate-limit N/WINDOW] [--on-duplicate M]`:
//! serves the Thena ticket API on 127.0.0.1 and prints its base URL on the first line of
//! stdout.

use std::process::ExitCode;

use thena_sandbox::{Chaos, RateLimit, Sandbox, SandboxBuilder};

const USAGE: &str = "\
usage: thena-sandbox [--port N] [--api-key KEY] [--rate-limit N/WINDOW]
                     [--on-duplicate replay|conflict] [--chaos RATE [--seed N]]

Serves the Thena ticket API (POST /v1/tickets, PATCH /v1/tickets/{id}) in memory on
127.0.0.1, prints its base URL, and runs until Ctrl-C.

options:
  --port N               the port; 0 (the default) lets the OS choose a free one
  --api-key KEY          the key clients must send in x-api-key (default: sandbox-api-key)
  --rate-limit N/WINDOW  answer N requests per fixed window, WINDOW like 1s, 10s, 1m, 1h,
                         and 429 to the rest (default: 100000/1m)
  --on-duplicate MODE    a create whose deDuplicationKey was seen before gets the
                         original ticket (replay, the default) or 409 (conflict)
  --chaos RATE           each API request meets, with probability RATE (0 to 1), one of:
                         503, 429 with Retry-After: 1, a connection dropped before or
                         after processing, a body cut short; the request log says which
  --seed N               makes the chaos's choices reproducible
  --request-log N        the request log keeps the N most recent requests (default
                         10000) and counts the others (x-sandbox-requests-dropped)
  -h, --help             this text

Tests control it under /_sandbox: GET /_sandbox/tickets, GET/POST/DELETE /_sandbox/faults,
GET/POST/DELETE /_sandbox/chaos, GET/DELETE /_sandbox/requests.";

#[tokio::main]
async fn main() -> ExitCode {
    let builder = match parse(std::env::args().skip(1)) {
        Ok(Some(builder)) => builder,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("thena-sandbox: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let sandbox = match builder.start().await {
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

/// The settings, or `None` for `--help`.
fn parse(args: impl Iterator<Item = String>) -> Result<Option<SandboxBuilder>, String> {
    let mut builder = Sandbox::builder();
    let (mut chaos, mut seed) = (None, None);
    let mut args = args;
    while let Some(arg) = args.next() {
        // Both `--port 8080` and `--port=8080`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg, None),
        };
        if matches!(flag.as_str(), "-h" | "--help") {
            return Ok(None);
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        builder = match flag.as_str() {
            "--port" => {
                let port = value()?;
                builder.port(
                    port.parse()
                        .map_err(|_| format!("--port {port:?}: not a port number"))?,
                )
            }
            "--api-key" => {
                let key = value()?;
                if key.trim().is_empty() {
                    return Err("--api-key must not be empty".to_owned());
                }
                builder.api_key(key)
            }
            "--rate-limit" => {
                let limit: RateLimit =
                    value()?.parse().map_err(|e| format!("--rate-limit: {e}"))?;
                builder.rate_limit(limit)
            }
            "--on-duplicate" => {
                let mode = value()?
                    .parse()
                    .map_err(|e| format!("--on-duplicate {e}"))?;
                builder.on_duplicate(mode)
            }
            "--chaos" => {
                let rate = value()?;
                let rate: f64 = rate
                    .parse()
                    .map_err(|_| format!("--chaos {rate:?}: not a number"))?;
                chaos = Some(Chaos::new(rate).map_err(|e| format!("--chaos: {e}"))?);
                builder
            }
            "--seed" => {
                let n = value()?;
                seed = Some(
                    n.parse()
                        .map_err(|_| format!("--seed {n:?}: not a whole number"))?,
                );
                builder
            }
            "--request-log" => {
                let n = value()?;
                builder.request_log(
                    n.parse()
                        .map_err(|_| format!("--request-log {n:?}: not a whole number"))?,
                )
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        };
    }
    match (chaos, seed) {
        (Some(chaos), seed) => Ok(Some(builder.chaos(seed.map_or(chaos, |s| chaos.seed(s))))),
        (None, Some(_)) => Err("--seed needs --chaos".to_owned()),
        (None, None) => Ok(Some(builder)),
    }
}

#[cfg(test)]
mod tests {
    use thena_sandbox::DEFAULT_API_KEY;

    use super::*;

    fn args(line: &str) -> impl Iterator<Item = String> {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn flags_take_separate_or_inline_values() {
        let builder = parse(args(
            "--port 8080 --api-key=k1 --rate-limit 5/10s --on-duplicate conflict --chaos 0.05 --seed 3",
        ))
        .expect("valid")
        .expect("not help");
        let shown = format!("{builder:?}");
        assert!(shown.contains("port: 8080"), "{shown}");
        assert!(shown.contains("\"k1\""), "{shown}");
        assert!(shown.contains("requests: 5"), "{shown}");
        assert!(shown.contains("on_duplicate: Conflict"), "{shown}");
        assert!(shown.contains("rate: 0.05, seed: Some(3)"), "{shown}");
        assert!(parse(args("--help")).expect("valid").is_none());
        assert!(format!("{:?}", parse(args("")).expect("valid")).contains(DEFAULT_API_KEY));
    }

    #[test]
    fn bad_arguments_are_named() {
        for (line, expected) in [
            ("--port", "--port needs a value"),
            ("--port 70000", "not a port number"),
            ("--api-key=", "must not be empty"),
            ("--rate-limit 5", "N/WINDOW"),
            ("--on-duplicate refuse", "expected replay or conflict"),
            ("--chaos 2", "from 0 to 1"),
            ("--chaos much", "not a number"),
            ("--seed 7", "--seed needs --chaos"),
            ("--verbose", "unknown argument \"--verbose\""),
        ] {
            let err = parse(args(line)).expect_err(line);
            assert!(err.contains(expected), "{line}: {err}");
        }
    }
}
