//! The `thena-sandbox` binary: starts on the port and key it is given, prints its URL,
//! serves the API to a plain HTTP client, stops on Ctrl-C.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

/// Kills the binary if a test fails before it exits.
struct Running(Option<Child>);

impl Running {
    fn wait(mut self) -> Output {
        let child = self.0.take().expect("still running");
        child.wait_with_output().expect("the binary exits")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test]
async fn the_binary_serves_the_api_with_the_given_key_and_stops_on_ctrl_c() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_thena-sandbox"))
        .args([
            "--port",
            "0",
            "--api-key",
            "cli-key",
            "--rate-limit",
            "50/1m",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let pid = child.id().to_string();
    let running = Running(Some(child));
    let mut url = String::new();
    BufReader::new(stdout)
        .read_line(&mut url)
        .expect("the URL line");
    let url = url.trim();
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");

    let http = common::http();
    let created = common::create(&http, url, "cli-key", &common::ticket("cli"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["x-ratelimit-limit"], "50");
    let body: Value = created.json().await.expect("JSON");
    assert_eq!(body["data"]["ticketIdentifier"], "CLI-1");

    let refused = common::create(&http, url, "sandbox-api-key", &common::ticket("cli"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(refused.status(), 401, "only the given key is accepted");

    // Ctrl-C is SIGINT.
    let signalled = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(signalled.success());
    let output = running.wait();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("x-api-key: cli-key"), "{stderr}");
    assert!(stderr.contains("stopped"), "{stderr}");
}

#[test]
fn bad_arguments_exit_2_with_the_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_thena-sandbox"))
        .args(["--rate-limit", "lots"])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--rate-limit"), "{stderr}");
    assert!(stderr.contains("try '--help'"), "{stderr}");
}

#[test]
fn help_lists_every_option_with_its_environment_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_thena-sandbox"))
        .arg("--help")
        .output()
        .expect("the binary runs");
    assert!(output.status.success(), "{output:?}");
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "--clock-shift <SECONDS>",
        "[env: THENA_SANDBOX_CLOCK_SHIFT=]",
        "--rate-limit-headers <all|some|none>",
        "[env: THENA_SANDBOX_RATE_LIMIT=]",
        "--api-key <KEY>",
    ] {
        assert!(help.contains(expected), "{expected} in {help}");
    }
}
