//! A property added to the spec reaches the `thena` command line with no edit but
//! regeneration: the spec gets one more property in both ticket bodies, both generated
//! files are written from it by the functions `cargo xtask generate` calls, and `thena`
//! is built from that copy of the workspace (the hand-written code untouched) and run.
//!
//! The copy lives in a fixed directory under `target/` with its own target directory,
//! and files are rewritten only when their content changes, so after the first run only
//! what changed is rebuilt.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The crates `thena` is built from, copied as they are but for their generated files.
const CRATES: [&str; 3] = ["cli", "sandbox", "sdk"];

/// The new property, in the spec's YAML, after the last property both bodies share.
const ANCHOR: &str =
    "        formId:\n          description: The ID of the form\n          type: string\n";
const PROPERTY: &str = "        escalationLevel:\n          description: How far the ticket has been escalated\n          type: integer\n";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_property_added_to_the_spec_becomes_a_flag_after_generate() {
    let spec = fs::read_to_string(root().join("spec/thena.yaml")).expect("read the spec");
    assert_eq!(
        spec.matches(ANCHOR).count(),
        2,
        "both bodies end with formId"
    );
    let spec = spec.replace(ANCHOR, &format!("{ANCHOR}{PROPERTY}"));
    let sdk = thena_codegen::generate(&spec).expect("the SDK generates");
    let cli = thena_codegen::generate_cli(&spec).expect("the commands generate");
    let committed = fs::read_to_string(root().join("cli/src/generated.rs")).expect("read");
    assert!(!committed.contains("escalation-level") && cli.contains("escalation-level"));

    let copy = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-regeneration");
    let workspace = copy.join("workspace");
    mirror(&workspace, &spec, &sdk, &cli);
    let thena = build(&workspace, &copy.join("target"));

    // The flag, with the spec's description, on both commands.
    for command in ["create", "update"] {
        let help = run(&thena, &["tickets", command, "--help"], &[]);
        let help = String::from_utf8_lossy(&help.stdout).into_owned();
        assert!(help.contains("--escalation-level <INTEGER>"), "{help}");
        assert!(
            help.contains("How far the ticket has been escalated"),
            "{help}"
        );
    }

    // On the wire, as the JSON type the spec gives it.
    let server = MockServer::start().await;
    let created = fs::read(root().join("tests/fixtures/create-ticket-response.json"))
        .expect("read the fixture");
    Mock::given(method("POST"))
        .and(path("/v1/tickets"))
        .respond_with(ResponseTemplate::new(201).set_body_raw(created, "application/json"))
        .mount(&server)
        .await;
    let env = [
        ("THENA_API_KEY", "k".to_owned()),
        ("THENA_BASE_URL", server.uri()),
    ];
    let create = move |level: &str| {
        let args = [
            "tickets",
            "create",
            "--title",
            "T",
            "--requestor-email",
            "user@example.com",
            "--team-id",
            "team_1",
            "--escalation-level",
            level,
        ];
        run(&thena, &args, &env)
    };
    // A blocking wait for the process; the mock server answers meanwhile.
    let (sent, refused) = tokio::task::spawn_blocking(move || (create("3"), create("high")))
        .await
        .expect("thena runs");
    assert!(sent.status.success(), "{sent:?}");
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("--escalation-level <INTEGER>"), "{stderr}");

    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1, "only the valid create was sent");
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).expect("JSON body");
    assert_eq!(body["escalationLevel"], 3, "{body}");
}

/// Writes the copy: the workspace manifest with only the crates `thena` needs, the lock
/// file, and the crates with the freshly generated files.
fn mirror(workspace: &Path, spec: &str, sdk: &str, cli: &str) {
    let root = root();
    let manifest = fs::read_to_string(root.join("Cargo.toml")).expect("read Cargo.toml");
    let members = manifest
        .lines()
        .find(|l| l.starts_with("members = "))
        .expect("a members line");
    let manifest = manifest.replace(members, r#"members = ["cli", "sandbox", "sdk"]"#);
    write_if_changed(&workspace.join("Cargo.toml"), manifest.as_bytes());
    // The SDK's crate documentation is the README.
    for file in ["Cargo.lock", "README.md"] {
        let bytes = fs::read(root.join(file)).unwrap_or_else(|e| panic!("read {file}: {e}"));
        write_if_changed(&workspace.join(file), &bytes);
    }
    for krate in CRATES {
        copy_dir(&root.join(krate), &workspace.join(krate));
    }
    write_if_changed(&workspace.join("spec/thena.yaml"), spec.as_bytes());
    write_if_changed(&workspace.join("sdk/src/generated.rs"), sdk.as_bytes());
    write_if_changed(&workspace.join("cli/src/generated.rs"), cli.as_bytes());
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.expect("a directory entry");
        let path = entry.path();
        if path.ends_with("src/generated.rs") {
            continue; // written from the modified spec instead
        }
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            write_if_changed(&to.join(entry.file_name()), &bytes);
        }
    }
}

/// Leaves a file with the same content alone, so that cargo does not rebuild it.
fn write_if_changed(path: &Path, bytes: &[u8]) {
    if fs::read(path).is_ok_and(|current| current == bytes) {
        return;
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).expect("create the directory");
    }
    fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Builds `thena` in the copy, offline: every crate it needs is in cargo's cache since
/// the workspace itself was built.
fn build(workspace: &Path, target: &Path) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "build",
            "--offline",
            "--quiet",
            "-p",
            "thena-cli",
            "--bin",
            "thena",
        ])
        .arg("--target-dir")
        .arg(target)
        .current_dir(workspace)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "building thena from the regenerated code failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    target
        .join("debug")
        .join(format!("thena{}", std::env::consts::EXE_SUFFIX))
}

fn run(thena: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    Command::new(thena)
        .args(args)
        .env_remove("THENA_API_KEY")
        .env_remove("THENA_BASE_URL")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("thena runs")
}
