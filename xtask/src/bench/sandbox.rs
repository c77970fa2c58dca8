//! The `thena-sandbox` release binary in a process of its own, as the benchmarks that
//! measure across processes start it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use crate::{cargo, target_dir};

/// The API key the sandbox is started with.
pub const KEY: &str = "bench-api-key";
/// A rate limit out of reach: no throttling.
pub const UNLIMITED: &str = "4294967295/1h";

/// Builds these packages' binaries in release mode.
pub fn build_release(packages: &[&str]) -> Result<(), String> {
    let mut command = cargo();
    command.args(["build", "--release", "--quiet"]);
    for package in packages {
        command.args(["-p", package]);
    }
    let built = command
        .current_dir(crate::root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    match built.success() {
        true => Ok(()),
        false => Err(format!("building {} failed", packages.join(", "))),
    }
}

/// A running sandbox; stopped when dropped, whatever happens to the benchmark.
pub struct Sandbox {
    child: Child,
    /// Its base URL.
    pub url: String,
}

impl Sandbox {
    /// Starts the release binary (built already) with [`KEY`] and this rate limit.
    pub fn start(rate_limit: &str) -> Result<Self, String> {
        Self::start_with(rate_limit, &[])
    }

    /// [`Sandbox::start`] with more options.
    pub fn start_with(rate_limit: &str, options: &[&str]) -> Result<Self, String> {
        let binary = target_dir().join("release").join("thena-sandbox");
        let mut child = Command::new(&binary)
            .args(["--rate-limit", rate_limit, "--api-key", KEY])
            .args(options)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("the sandbox has no stdout")?;
        let mut sandbox = Self {
            child,
            url: String::new(),
        };
        BufReader::new(stdout)
            .read_line(&mut sandbox.url)
            .map_err(|e| format!("reading the sandbox's URL: {e}"))?;
        sandbox.url = sandbox.url.trim().to_owned();
        Ok(sandbox)
    }

    /// Runs the benchmark binary `name` of thena-tests (release) against this sandbox,
    /// with `THENA_BENCH_URL`, `THENA_BENCH_KEY` and these settings; its stdout.
    pub fn bench(&self, name: &str, settings: &[(&str, &str)]) -> Result<String, String> {
        let output = cargo()
            .args(["bench", "--quiet", "-p", "thena-tests", "--bench", name])
            .current_dir(crate::root())
            .env("THENA_BENCH_URL", &self.url)
            .env("THENA_BENCH_KEY", KEY)
            .envs(settings.iter().copied())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        match output.status.success() {
            true => Ok(String::from_utf8_lossy(&output.stdout).into_owned()),
            false => Err(format!("the {name} benchmark failed ({})", output.status)),
        }
    }

    /// The peak resident set of the sandbox process so far, in KiB (`VmHWM`, Linux).
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// The body of a `GET` on a control path, e.g. `/_sandbox/requests`.
    pub fn get(&self, path: &str) -> Result<String, String> {
        let address = self.url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).map_err(|e| format!("{}: {e}", self.url))?;
        // HTTP/1.0: the answer ends with the connection, never in chunks.
        write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n")
            .map_err(|e| format!("GET {path}: {e}"))?;
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .map_err(|e| format!("GET {path}: {e}"))?;
        match answer.split_once("\r\n\r\n") {
            Some((head, body))
                if head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200") =>
            {
                Ok(body.to_owned())
            }
            _ => Err(format!(
                "GET {path}: {}",
                answer.lines().next().unwrap_or_default()
            )),
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
