//! Profiles of the configuration file: each key source, and the precedence of flags over
//! the environment over the profile, as `thena config show` reports it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::{CREATE, Server, thena};

/// A directory of its own for each test, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(test: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("thena-profiles-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory");
        Self(dir)
    }

    fn write(&self, name: &str, text: &str, mode: u32) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("written");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

fn config(dir: &Dir, profiles: &str) -> PathBuf {
    dir.write("config.toml", profiles, 0o600)
}

fn with_config<'a>(path: &'a Path, more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env = vec![("THENA_CONFIG", path.to_str().expect("a UTF-8 path"))];
    env.extend_from_slice(more);
    env
}

#[test]
fn a_key_from_a_private_file_works_and_from_a_readable_one_is_refused() {
    let server = Server::start();
    let dir = Dir::new("file");
    let key = dir.write("key", &format!("{}\n", server.sandbox.api_key()), 0o600);
    let path = config(
        &dir,
        &format!(
            "[profiles.default]\nbase_url = \"{}\"\napi_key_file = \"{}\"\n",
            server.sandbox.url(),
            key.display()
        ),
    );
    let run = thena(&CREATE, &with_config(&path, &[]), None);
    assert_eq!(run.ticket()["title"], "Printer on fire");

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let refused = thena(&CREATE, &with_config(&path, &[]), None);
    refused.failed(5, &["api_key_file", "others can access it", "chmod 600"]);
    assert!(
        !refused.stderr.contains(server.sandbox.api_key()),
        "{refused:#?}"
    );
    assert_eq!(
        server.sandbox.requests().len(),
        1,
        "the refused run sent nothing"
    );
}

#[test]
fn a_key_from_a_command_and_a_failing_command_with_its_stderr() {
    let server = Server::start();
    let dir = Dir::new("command");
    let path = config(
        &dir,
        &format!(
            "[profiles.staging]\nbase_url = \"{url}\"\napi_key_command = \"printf '%s\\\\n' {key}\"\n\
             [profiles.sealed]\nbase_url = \"{url}\"\napi_key_command = \"echo 'vault is sealed' >&2; exit 4\"\n",
            url = server.sandbox.url(),
            key = server.sandbox.api_key()
        ),
    );
    let run = thena(
        &[&["--profile", "staging"][..], &CREATE].concat(),
        &with_config(&path, &[]),
        None,
    );
    assert_eq!(run.ticket()["title"], "Printer on fire");

    let sealed = thena(
        &CREATE,
        &with_config(&path, &[("THENA_PROFILE", "sealed")]),
        None,
    );
    sealed.failed(5, &["profile sealed: api_key_command", "vault is sealed"]);

    let unknown = thena(
        &[&["--profile", "prod"][..], &CREATE].concat(),
        &with_config(&path, &[]),
        None,
    );
    unknown.failed(5, &["profile prod: not in", "sealed, staging"]);
    assert_eq!(server.sandbox.requests().len(), 1);
}

#[test]
fn flags_win_over_the_environment_which_wins_over_the_profile() {
    let server = Server::start();
    let dir = Dir::new("precedence");
    // The profile's URL goes nowhere and its key command fails: the environment's
    // settings win, and the command is not even run.
    let path = config(
        &dir,
        "[profiles.default]\nbase_url = \"http://127.0.0.1:9\"\nmax_retries = 5\ntimeout = 7.5\n\
         api_key_command = \"exit 1\"\n",
    );
    let env = with_config(
        &path,
        &[
            ("THENA_BASE_URL", server.sandbox.url()),
            ("THENA_API_KEY", server.sandbox.api_key()),
        ],
    );
    assert_eq!(
        thena(&CREATE, &env, None).ticket()["title"],
        "Printer on fire"
    );

    let show = thena(&["--timeout", "3", "config", "show"], &env, None);
    assert_eq!(show.code, Some(0), "{show:#?}");
    let lines: Vec<Vec<&str>> = show
        .stdout
        .lines()
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    let url = server.sandbox.url();
    assert_eq!(
        lines[0],
        ["base_url", url, "environment THENA_BASE_URL"],
        "{show:#?}"
    );
    assert_eq!(
        lines[1],
        ["max_retries", "5", "profile default"],
        "{show:#?}"
    );
    assert_eq!(lines[2], ["timeout", "3 s", "--timeout"], "{show:#?}");
    assert_eq!(
        lines[3],
        ["api_key", "<redacted>", "environment THENA_API_KEY"],
        "{show:#?}"
    );
    assert_eq!(lines[4][..2], ["profile", "default"], "{show:#?}");
    assert!(!show.stdout.contains(server.sandbox.api_key()));
    assert_eq!(show.stderr, "");
}

/// A file named by `THENA_CONFIG` must be there, blank variables are refused, and
/// `config show` makes the checks a command makes: what it shows is what would be used.
#[test]
fn a_named_file_must_exist_and_config_show_checks_what_it_shows() {
    let server = Server::start();
    let missing = [("THENA_CONFIG", "/nonexistent/typo.toml")];
    thena(&["config", "show"], &missing, None).failed(5, &["/nonexistent/typo.toml"]);
    let with_key = [
        ("THENA_CONFIG", "/nonexistent/typo.toml"),
        ("THENA_API_KEY", server.sandbox.api_key()),
        ("THENA_BASE_URL", server.sandbox.url()),
    ];
    thena(&CREATE, &with_key, None).failed(5, &["typo.toml"]);
    assert!(server.sandbox.requests().is_empty(), "a typo sends nothing");

    for (name, value, needle) in [
        ("THENA_TIMEOUT_SECS", "abc", "THENA_TIMEOUT_SECS must be"),
        ("THENA_BASE_URL", "", "THENA_BASE_URL must be"),
        ("THENA_PROFILE", "", "THENA_PROFILE is set but empty"),
        ("THENA_LOG", "", "THENA_LOG is set but empty"),
    ] {
        let run = thena(&["config", "show"], &[(name, value)], None);
        run.failed(5, &[needle]);
    }

    let dir = Dir::new("checked");
    let path = config(&dir, "[profiles.default]\ntimeout = -1\n");
    thena(&["config", "show"], &with_config(&path, &[]), None).failed(5, &["timeout"]);
    let path = config(&dir, "[profiles.default]\nbase_url = \"ftp://x\"\n");
    thena(&["config", "show"], &with_config(&path, &[]), None).failed(5, &["ftp://x"]);
    let path = config(
        &dir,
        "[profiles.default]\nmax_retries = 1\nmax_retries = 2\n",
    );
    thena(&["config", "show"], &with_config(&path, &[]), None).failed(5, &["line 3"]);
}
