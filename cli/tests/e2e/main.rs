//! End to end: the built `thena` binary as a process, against a sandbox that this test
//! process runs on loopback (so `sandbox.requests()` shows what reached it, and proves
//! that nothing did when the input was bad).

mod api;
mod exit_codes;
mod help;
mod import;
mod import_cases;
mod import_crash;
mod profiles;
mod streams;
mod tickets;

use std::ffi::OsStr;
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;
use thena_sandbox::{Sandbox, SandboxBuilder};

/// The settings `thena` reads from the environment: none of a developer's own may leak
/// into a test.
const SETTINGS: [&str; 7] = [
    "THENA_API_KEY",
    "THENA_BASE_URL",
    "THENA_MAX_RETRIES",
    "THENA_TIMEOUT_SECS",
    "THENA_PROFILE",
    "THENA_CONFIG",
    "THENA_LOG",
];

/// No configuration file in the usual place, unless a test names one: a developer's
/// own profiles must not reach a test.
const NO_CONFIG: (&str, &str) = ("XDG_CONFIG_HOME", "/nonexistent/thena-tests");

/// How a run of `thena` ended.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The ticket on stdout.
    pub fn ticket(&self) -> Value {
        assert_eq!(self.code, Some(0), "thena failed: {self:#?}");
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {self:#?}"))
    }

    /// Checks a failure: its exit status, nothing on stdout, and one `thena:` line (or
    /// clap's usage error) on stderr that contains every one of `needles`.
    pub fn failed(&self, code: i32, needles: &[&str]) {
        assert_eq!(self.code, Some(code), "{self:#?}");
        assert_eq!(self.stdout, "", "a failure printed on stdout: {self:#?}");
        assert!(
            self.stderr.starts_with("thena: ") || self.stderr.starts_with("error: "),
            "{self:#?}"
        );
        for needle in needles {
            assert!(self.stderr.contains(needle), "no {needle:?} in {self:#?}");
        }
        // The SDK's Display, never a Rust Debug dump.
        for debug in ["ErrorResponse", "Some(", "{ ", "InvalidRequest("] {
            assert!(!self.stderr.contains(debug), "a Debug dump: {self:#?}");
        }
    }
}

/// The `thena` binary with none of the developer's settings: no `THENA_*` variable and
/// no configuration file in the usual place.
pub fn bare_thena() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_thena"));
    for name in SETTINGS {
        command.env_remove(name);
    }
    command.env(NO_CONFIG.0, NO_CONFIG.1);
    command
}

/// Runs `thena` with `args`, exactly the environment `env` of its settings, and `stdin`.
pub fn thena(args: &[impl AsRef<OsStr>], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    let mut command = bare_thena();
    command
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.envs(env.iter().copied());
    let mut child = command.spawn().expect("thena starts");
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A command may stop before reading all its input; what it said shows why.
        if let Err(e) = pipe.write_all(text.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
        }
    }
    let output = child.wait_with_output().expect("thena exits");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A sandbox served by this test process, for `thena` to reach over loopback.
pub struct Server {
    pub sandbox: Sandbox,
    // Serves the sandbox; dropped after it.
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    pub fn start() -> Self {
        Self::start_with(Sandbox::builder())
    }

    pub fn start_with(builder: SandboxBuilder) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let sandbox = runtime
            .block_on(builder.start())
            .expect("the sandbox starts");
        Self {
            sandbox,
            _runtime: runtime,
        }
    }

    /// `THENA_API_KEY` and `THENA_BASE_URL` for this sandbox.
    pub fn env(&self) -> [(&str, &str); 2] {
        [
            ("THENA_API_KEY", self.sandbox.api_key()),
            ("THENA_BASE_URL", self.sandbox.url()),
        ]
    }

    /// Runs `thena` configured for this sandbox through the environment.
    pub fn thena(&self, args: &[impl AsRef<OsStr>]) -> Run {
        thena(args, &self.env(), None)
    }
}

/// The flags of a valid create.
pub const CREATE: [&str; 8] = [
    "tickets",
    "create",
    "--title",
    "Printer on fire",
    "--requestor-email",
    "user@example.com",
    "--team-id",
    "team_1",
];
