//! `cargo xtask test`'s contract check with an independent validator: the quickstart and
//! the end-to-end suite run through Stoplight Prism, a proxy that validates every request
//! and response against spec/thena.yaml (`prism proxy spec/thena.yaml <sandbox> --errors`).
//! So does the `thena` command line: a create, then an update of the ticket it printed.
//! Any violation fails the step. Then the proof that the check bites: the sandbox is told
//! to send a response that breaks the spec, and Prism must catch it. The quickstart also
//! runs once without settings, as on a fresh clone, against its embedded sandbox.
//!
//! Prism is installed with npm into `.tools/prism` (git-ignored) when it is missing or
//! not the pinned version.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// The newest Prism whose `engines` accepts Node 20, the Node on the project's machines
/// (5.15 and later require Node 24).
const PRISM_VERSION: &str = "5.14.2";
const PRISM_DIR: &str = ".tools/prism";
const SPEC: &str = "spec/thena.yaml";
/// The key the contract run's sandbox accepts.
const API_KEY: &str = "contract-check-key";
/// The end-to-end suite run through Prism: tests/tests/sandbox.
const E2E_TEST: &str = "sandbox";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// The environment variables the quickstart, `thena` and the end-to-end suite read.
const SETTINGS: [&str; 8] = [
    "THENA_API_KEY",
    "THENA_BASE_URL",
    "THENA_MAX_RETRIES",
    "THENA_TIMEOUT_SECS",
    "THENA_TEAM_ID",
    "THENA_TEST_BASE_URL",
    "THENA_TEST_SANDBOX_URL",
    "THENA_TEST_API_KEY",
];

pub fn run() -> Result<(), String> {
    eprintln!(
        "\n==> prism: the quickstart, thena and the end-to-end suite through a validating proxy"
    );
    let started = Instant::now();
    let prism = install()?;
    let built = built()?;

    let (sandbox, sandbox_url) = start_sandbox(&built.sandbox)?;
    let port = free_port()?;
    let proxy_url = format!("http://127.0.0.1:{port}");
    let log_path = crate::root_path(PRISM_DIR).join("prism.log");
    let proxy = start_prism(&prism, &sandbox_url, port, &log_path)?;
    let result = check(&built, &proxy_url, &sandbox_url, &log_path);
    drop(proxy);
    drop(sandbox);
    let summary = result.map_err(|e| format!("{e}\n(Prism's log: {})", log_path.display()))?;
    eprintln!("prism: {summary} in {} s", started.elapsed().as_secs());
    Ok(())
}

/// Runs everything through Prism and returns the summary line.
fn check(
    built: &Built,
    proxy_url: &str,
    sandbox_url: &str,
    log_path: &Path,
) -> Result<String, String> {
    let through_prism = [("THENA_API_KEY", API_KEY), ("THENA_BASE_URL", proxy_url)];
    // First as a user first runs it, with no settings: against the embedded sandbox.
    run_with(&built.quickstart, &[], &[])?;
    run_with(&built.quickstart, &[], &through_prism)?;
    command_line(&built.thena, &through_prism)?;
    // `--workspace`, as in `cargo test --workspace`, so that nothing is built again.
    run_with(
        Path::new(&crate::cargo_program()),
        &["test", "--quiet", "--workspace", "--test", E2E_TEST],
        &[
            ("THENA_TEST_BASE_URL", proxy_url),
            ("THENA_TEST_SANDBOX_URL", sandbox_url),
            ("THENA_TEST_API_KEY", API_KEY),
        ],
    )?;
    let log = read_log(log_path)?;
    let validated = log.matches("Request received").count();
    let violations = violations(&log);
    if !violations.is_empty() {
        return Err(format!(
            "Prism found {} violation(s) of {SPEC} in {validated} requests:\n{}",
            violations.len(),
            violations.join("\n")
        ));
    }
    if validated == 0 {
        return Err("no request went through Prism".to_owned());
    }
    let caught = malformed_response_is_caught(proxy_url, sandbox_url, log_path)?;
    Ok(format!(
        "{validated} requests validated, 0 violations; malformed response caught ({caught})"
    ))
}

/// `thena tickets create`, then `thena tickets update` with the id the create printed:
/// the command line's requests and the answers it decodes, checked by Prism.
fn command_line(thena: &Path, envs: &[(&str, &str)]) -> Result<(), String> {
    let created = ticket_from(
        thena,
        &[
            "tickets",
            "create",
            "--title",
            "Contract check",
            "--requestor-email",
            "user@example.com",
            "--team-id",
            "contract_check",
            "--metadata",
            r#"{"check": "prism"}"#,
        ],
        envs,
    )?;
    let id = created["id"]
        .as_str()
        .ok_or_else(|| format!("thena printed a ticket without an id: {created}"))?;
    let updated = ticket_from(
        thena,
        &[
            "tickets",
            "update",
            id,
            "--title",
            "Contract check, updated",
        ],
        envs,
    )?;
    if updated["title"] != "Contract check, updated" {
        return Err(format!(
            "thena's update did not change the title: {updated}"
        ));
    }
    Ok(())
}

/// Prism's log lines at error or warning level: every violation it found, in a request
/// or a response.
fn violations(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|line| line.contains('✖') || line.contains('⚠'))
        .collect()
}

/// Makes the sandbox break the spec in its next create response, sends a create through
/// Prism and returns Prism's complaint. Fails if Prism lets the response through.
fn malformed_response_is_caught(
    proxy_url: &str,
    sandbox_url: &str,
    log_path: &Path,
) -> Result<String, String> {
    let (status, _) = http(
        sandbox_url,
        "POST",
        "/_sandbox/faults",
        &[],
        r#"{"kind": "malformed", "route": "POST /v1/tickets"}"#,
    )?;
    if status != 204 {
        return Err(format!(
            "the sandbox refused the malformed fault ({status})"
        ));
    }
    let before = violations(&read_log(log_path)?).len();
    let ticket = r#"{"title": "Malformed on purpose", "requestorEmail": "user@example.com", "teamId": "contract_check"}"#;
    let (status, body) = http(
        proxy_url,
        "POST",
        "/v1/tickets",
        &[("x-api-key", API_KEY)],
        ticket,
    )?;
    if status != 500 || !body.contains("VIOLATIONS") || !body.contains("ticketId") {
        return Err(format!(
            "Prism did not catch a response with a string data.ticketId: it answered {status}: {body}"
        ));
    }
    // Prism writes its log line after answering.
    let deadline = Instant::now() + Duration::from_secs(5);
    while violations(&read_log(log_path)?).len() == before {
        if Instant::now() > deadline {
            return Err(
                "Prism answered 500 for the malformed response but logged no violation".to_owned(),
            );
        }
        sleep(Duration::from_millis(100));
    }
    Ok("data.ticketId as a string".to_owned())
}

/// Prism's executable, installed first when missing or not the pinned version.
fn install() -> Result<PathBuf, String> {
    let dir = crate::root_path(PRISM_DIR);
    let bin = dir
        .join("node_modules/.bin")
        .join(if cfg!(windows) { "prism.cmd" } else { "prism" });
    let manifest = dir.join("node_modules/@stoplight/prism-cli/package.json");
    let installed = fs::read_to_string(&manifest)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|package| package["version"].as_str().map(str::to_owned));
    if bin.exists() && installed.as_deref() == Some(PRISM_VERSION) {
        return Ok(bin);
    }
    eprintln!("installing @stoplight/prism-cli@{PRISM_VERSION} into {PRISM_DIR}");
    fs::create_dir_all(&dir).map_err(|e| format!("creating {PRISM_DIR}: {e}"))?;
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let status = Command::new(npm)
        .args([
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ])
        .arg("--prefix")
        .arg(&dir)
        .arg(format!("@stoplight/prism-cli@{PRISM_VERSION}"))
        .current_dir(crate::root())
        .status()
        .map_err(|e| format!("cannot run npm (Node.js is needed for the Prism check): {e}"))?;
    if !status.success() || !bin.exists() {
        return Err(format!(
            "npm could not install @stoplight/prism-cli@{PRISM_VERSION} ({status})"
        ));
    }
    Ok(bin)
}

/// The executables the step runs.
struct Built {
    sandbox: PathBuf,
    quickstart: PathBuf,
    thena: PathBuf,
}

/// The `thena-sandbox` and `thena` binaries and the quickstart example, as
/// `cargo test --workspace` built them (`cargo run` would build the dependency chain
/// again with other features, for the same program), found wherever the target dir is.
fn built() -> Result<Built, String> {
    let output = crate::cargo()
        .args([
            "test",
            "--quiet",
            "--workspace",
            "--no-run",
            "--message-format=json",
        ])
        .current_dir(crate::root())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("building the workspace failed ({})", output.status));
    }
    let messages: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let executable = |kind: &str, name: &str| {
        messages
            .iter()
            .filter(|m| m["target"]["name"] == name && m["target"]["kind"][0] == kind)
            // Not the unit-test harness cargo also builds from the same target.
            .filter(|m| m["profile"]["test"] == false)
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .ok_or_else(|| format!("cargo built no {kind} named {name}"))
    };
    Ok(Built {
        sandbox: executable("bin", "thena-sandbox")?,
        quickstart: executable("example", "quickstart")?,
        thena: executable("bin", "thena")?,
    })
}

/// Kills a child process when dropped, so that a failing step leaves nothing running.
struct Running {
    child: Child,
    name: &'static str,
}

impl Running {
    /// Fails if the process has already exited.
    fn alive(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!("{} exited ({status})", self.name)),
            Err(e) => Err(format!("{}: {e}", self.name)),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the sandbox on a port of the OS's choice and returns it with its URL.
fn start_sandbox(bin: &Path) -> Result<(Running, String), String> {
    let child = Command::new(bin)
        .args(["--port", "0", "--api-key", API_KEY])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let mut running = Running {
        child,
        name: "thena-sandbox",
    };
    let stdout = running
        .child
        .stdout
        .take()
        .ok_or("thena-sandbox has no stdout")?;
    let mut url = String::new();
    BufReader::new(stdout)
        .read_line(&mut url)
        .map_err(|e| format!("reading thena-sandbox's URL: {e}"))?;
    let url = url.trim().to_owned();
    if !url.starts_with("http://") {
        running.alive()?;
        return Err(format!("thena-sandbox printed {url:?} instead of its URL"));
    }
    Ok((running, url))
}

/// Starts `prism proxy` on `port`, logging to `log_path`, and waits until it listens.
fn start_prism(
    prism: &Path,
    upstream: &str,
    port: u16,
    log_path: &Path,
) -> Result<Running, String> {
    let log =
        File::create(log_path).map_err(|e| format!("creating {}: {e}", log_path.display()))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("{}: {e}", log_path.display()))?;
    let child = Command::new(prism)
        .args([
            "proxy",
            SPEC,
            upstream,
            "--errors",
            "--host",
            "127.0.0.1",
            "--port",
        ])
        .arg(port.to_string())
        .current_dir(crate::root())
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(|e| format!("cannot start Prism: {e}"))?;
    let mut running = Running {
        child,
        name: "prism",
    };
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        running
            .alive()
            .map_err(|e| format!("{e}:\n{}", read_log(log_path).unwrap_or_default()))?;
        if Instant::now() > deadline {
            return Err(format!(
                "Prism did not listen on port {port} within {STARTUP_TIMEOUT:?}"
            ));
        }
        sleep(Duration::from_millis(200));
    }
    Ok(running)
}

/// A port that was free a moment ago.
fn free_port() -> Result<u16, String> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

fn read_log(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

/// `program` with exactly `envs` of the variables the quickstart, the suite and `thena`
/// read (a developer's own settings must not leak into the check), announced on stderr;
/// and its command line, for messages.
fn command(program: &Path, args: &[&str], envs: &[(&str, &str)]) -> (Command, String) {
    let name = program.file_name().map_or_else(
        || program.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let settings: Vec<String> = envs.iter().map(|(k, v)| format!("{k}={v} ")).collect();
    let command_line = format!("{}{name} {}", settings.concat(), args.join(" "));
    let command_line = command_line.trim_end().to_owned();
    eprintln!("\n==> {command_line}");
    let mut command = Command::new(program);
    for variable in SETTINGS {
        command.env_remove(variable);
    }
    command
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(crate::root());
    (command, command_line)
}

/// Runs `program`; its output goes where this step's goes.
fn run_with(program: &Path, args: &[&str], envs: &[(&str, &str)]) -> Result<(), String> {
    let (mut command, command_line) = command(program, args, envs);
    let status = command
        .status()
        .map_err(|e| format!("cannot run {command_line}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{command_line}` failed ({status})"))
    }
}

/// Runs `thena` and returns the ticket it printed on stdout.
fn ticket_from(
    thena: &Path,
    args: &[&str],
    envs: &[(&str, &str)],
) -> Result<serde_json::Value, String> {
    let (mut command, command_line) = command(thena, args, envs);
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {command_line}: {e}"))?;
    if !output.status.success() {
        return Err(format!("`{command_line}` failed ({})", output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{stdout}");
    serde_json::from_str(&stdout)
        .map_err(|e| format!("`{command_line}` printed no ticket ({e}): {stdout}"))
}

/// A minimal HTTP/1.1 exchange, enough for a JSON request and a short answer: the
/// status and the body (as text, still chunk-encoded if it was).
fn http(
    base_url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<(u16, String), String> {
    let host = base_url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{base_url}: not an http:// URL"))?;
    let fail = |e: std::io::Error| format!("{method} {base_url}{path}: {e}");
    let mut stream = TcpStream::connect(host).map_err(fail)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(fail)?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).map_err(fail)?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(fail)?;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("{method} {base_url}{path}: no HTTP status in {response:?}"))?;
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_are_the_lines_at_error_or_warning_level() {
        let log = "\
[6:00:52 AM] › [HTTP SERVER] post /v1/tickets ℹ  info      Request received
[6:00:52 AM] ›     [PROXY] ℹ  info      The upstream call to /v1/tickets has returned 201
[6:00:52 AM] › [HTTP SERVER] post /v1/tickets ✖  error     Request terminated with error: https://stoplight.io/prism/errors#VIOLATIONS: Request/Response not valid
[6:00:53 AM] › [VALIDATOR] ⚠  warning   Violation: response.header should have required property 'x-id'
";
        assert_eq!(violations(log).len(), 2);
        assert!(violations(log)[0].contains("VIOLATIONS"));
    }
}
