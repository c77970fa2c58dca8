//! Profiles: named settings in `thena`'s configuration file, below the environment and
//! the flags. The file is `$THENA_CONFIG`, else `$XDG_CONFIG_HOME/thena/config.toml`,
//! else `~/.config/thena/config.toml`; the profile is `--profile`, else `$THENA_PROFILE`,
//! else `default` when the file has one. A profile names where its key comes from (a
//! file only its owner can read, or a command's output), never the key itself.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::exit::{Failure, Status};

/// The profile `thena` uses when none is named, if the file has it.
const DEFAULT: &str = "default";

/// The configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// One `[profiles.NAME]` table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The API's base URL.
    pub base_url: Option<String>,
    /// As `--max-retries`.
    pub max_retries: Option<u32>,
    /// As `--timeout`, in seconds.
    pub timeout: Option<f64>,
    /// A file holding the key, readable by its owner only (`~/` is the home directory).
    pub api_key_file: Option<PathBuf>,
    /// A command (run by `sh -c`) whose standard output is the key.
    pub api_key_command: Option<String>,
}

/// The profile in use, and where it was found.
#[derive(Debug)]
pub struct Chosen {
    /// Its name.
    pub name: String,
    /// The file it is in.
    pub path: PathBuf,
    /// Its settings.
    pub profile: Profile,
}

/// Where the configuration file is, if anywhere can be named, and whether the caller
/// named it (`THENA_CONFIG`: then it must exist).
fn path() -> Result<Option<(PathBuf, bool)>, Failure> {
    if let Some(path) = std::env::var_os("THENA_CONFIG") {
        if path.to_str().is_some_and(|p| p.trim().is_empty()) {
            return Err(config_error("THENA_CONFIG is set but empty".into()));
        }
        return Ok(Some((PathBuf::from(path), true)));
    }
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let config = set("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| set("HOME").map(|home| Path::new(&home).join(".config")));
    Ok(config.map(|c| (c.join("thena").join("config.toml"), false)))
}

fn config_error(message: String) -> Failure {
    Failure::new(Status::Config, message)
}

/// The profile named by `--profile` (`flag`) or `THENA_PROFILE`, or the `default` one;
/// `None` when none is named and the file has no `default` (or there is no file).
pub fn choose(flag: Option<&str>) -> Result<Option<Chosen>, Failure> {
    let env = match std::env::var("THENA_PROFILE") {
        Ok(name) if name.trim().is_empty() => {
            return Err(config_error("THENA_PROFILE is set but empty".into()));
        }
        Ok(name) => Some(name),
        Err(_) => None,
    };
    if flag.is_some_and(|f| f.trim().is_empty()) {
        return Err(config_error("--profile: the name is empty".into()));
    }
    let named = flag.map(str::to_owned).or(env);
    let Some((path, named_file)) = path()? else {
        return match named {
            Some(name) => Err(config_error(format!(
                "profile {name}: no configuration file (set THENA_CONFIG, XDG_CONFIG_HOME or HOME)"
            ))),
            None => Ok(None),
        };
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        // The usual place holds no file: no profiles. A file named by THENA_CONFIG must
        // be there (a typo must not send with the defaults).
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && named.is_none() && !named_file => {
            return Ok(None);
        }
        Err(e) => {
            return Err(config_error(format!(
                "the configuration file {}: {e}",
                path.display()
            )));
        }
    };
    let mut file: File = toml::from_str(&text).map_err(|e| {
        let line = e.span().map(|span| {
            text.as_bytes()[..span.start.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1
        });
        let at = line.map(|n| format!(", line {n}")).unwrap_or_default();
        config_error(format!(
            "the configuration file {}{at}: {}",
            path.display(),
            one_line(e.message())
        ))
    })?;
    let name = named.unwrap_or_else(|| DEFAULT.to_owned());
    match file.profiles.remove(&name) {
        Some(profile) => Ok(Some(Chosen {
            name,
            path,
            profile,
        })),
        None if name == DEFAULT && flag.is_none() => Ok(None),
        None => {
            let known: Vec<&str> = file.profiles.keys().map(String::as_str).collect();
            Err(config_error(format!(
                "profile {name}: not in {} (it has: {})",
                path.display(),
                match known.is_empty() {
                    true => "no profiles".to_owned(),
                    false => known.join(", "),
                }
            )))
        }
    }
}

impl Chosen {
    /// The key the profile names, and how it was found (for `config show`); `None` when
    /// it names no source.
    pub fn api_key(&self) -> Result<Option<(String, String)>, Failure> {
        let profile = &self.profile;
        let name = &self.name;
        match (&profile.api_key_file, &profile.api_key_command) {
            (Some(_), Some(_)) => Err(config_error(format!(
                "profile {name}: api_key_file and api_key_command are both set; keep one"
            ))),
            (Some(file), None) => {
                // Relative to the configuration file, wherever thena runs.
                let dir = self.path.parent().unwrap_or(Path::new(""));
                let file = &dir.join(home_relative(file));
                let key = read_private(file).map_err(|e| {
                    config_error(format!(
                        "profile {name}: api_key_file {}: {e}",
                        file.display()
                    ))
                })?;
                Ok(Some((key, format!("file {}", file.display()))))
            }
            (None, Some(command)) => {
                let key = run(command)
                    .map_err(|e| config_error(format!("profile {name}: api_key_command {e}")))?;
                // A command that spells the key out is shown without it.
                let shown = command.replace(&key, "[redacted]");
                Ok(Some((key, format!("command `{shown}`"))))
            }
            (None, None) => Ok(None),
        }
    }
}

/// `~/x` as `$HOME/x`, as a shell would have written it; any other path as it is.
fn home_relative(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => Path::new(&home).join(rest),
        _ => path.to_owned(),
    }
}

/// The most of a key file or a key command's output that is read: a key is one short
/// line.
const KEY_BYTES: u64 = 64 * 1024;
/// How long a key command may run.
const KEY_COMMAND_TIME: Duration = Duration::from_secs(30);
/// How much of a failing key command's stderr the message shows.
const STDERR_CHARS: usize = 500;

/// The first line of a file that only its owner can read or write.
fn read_private(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a file".into());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "others can access it (mode {mode:o}); run: chmod 600 {}",
                path.display()
            ));
        }
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(KEY_BYTES).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text")?;
    first_line(&text).ok_or_else(|| "it is empty".into())
}

/// A command's standard output, its first line, as the key: run by `sh -c`, for at
/// most [`KEY_COMMAND_TIME`], its output read up to [`KEY_BYTES`]. Its stderr, cut
/// short and on one line, goes into the message when it fails (a password manager says
/// why).
fn run(command: &str) -> Result<String, String> {
    let mut child = Command::new("sh")
        .args(["-c", command])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run: {e}"))?;
    // Read on threads, so that a full pipe cannot stall the command, nor an endless
    // one the reader; what has arrived is kept as it arrives.
    let read = |pipe: Option<Box<dyn Read + Send>>| {
        let kept = Arc::new(Mutex::new(Vec::new()));
        let into = Arc::clone(&kept);
        let reader = std::thread::spawn(move || {
            let Some(mut pipe) = pipe.map(|p| p.take(KEY_BYTES)) else {
                return;
            };
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                into.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(&chunk[..n]);
            }
        });
        (kept, reader)
    };
    let stdout = read(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = read(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + KEY_COMMAND_TIME;
    let status = loop {
        match child
            .try_wait()
            .map_err(|e| format!("cannot wait for it: {e}"))?
        {
            Some(status) => break status,
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "did not finish within {} s",
                    KEY_COMMAND_TIME.as_secs()
                ));
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    // The pipes close when the command ends, unless a process it left running holds
    // them: that one is given a second, then what has arrived is taken.
    let until = Instant::now() + Duration::from_secs(1);
    while !(stdout.1.is_finished() && stderr.1.is_finished()) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    let taken = |kept: &Arc<Mutex<Vec<u8>>>| {
        std::mem::take(&mut *kept.lock().unwrap_or_else(|e| e.into_inner()))
    };
    let (out, err) = (taken(&stdout.0), taken(&stderr.0));
    if !status.success() {
        let said = one_line(&String::from_utf8_lossy(&err));
        let said: String = said.chars().take(STDERR_CHARS).collect();
        return Err(match said.is_empty() {
            true => format!("failed ({status})"),
            false => format!("failed ({status}): {said}"),
        });
    }
    let text = String::from_utf8(out).map_err(|_| "printed a key that is not UTF-8")?;
    first_line(&text).ok_or_else(|| "printed nothing".into())
}

/// `text` on one line, without control characters (a terminal's escape sequences).
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first line, trimmed, unless it is blank.
fn first_line(text: &str) -> Option<String> {
    let line = text.lines().next()?.trim();
    (!line.is_empty()).then(|| line.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_gives_its_first_line_or_its_stderr() {
        assert_eq!(run("printf 'tk_1\\nmore\\n'"), Ok("tk_1".into()));
        let failed = run("echo 'vault sealed' >&2; exit 3").expect_err("fails");
        assert!(failed.ends_with("vault sealed"), "{failed}");
        let noisy = run("yes 'a line' >&2; exit 1").expect_err("fails");
        assert!(noisy.len() < STDERR_CHARS + 40, "{} bytes", noisy.len());
        // Endless output is read no further than a key could be: the command then fails.
        assert!(run("yes tk_endless").is_err());
        // A process left running does not hold the key back.
        assert_eq!(run("sleep 5 & echo tk_1"), Ok("tk_1".into()));
        let escape = run("printf '\\033[31mred' >&2; exit 1").expect_err("fails");
        assert!(!escape.contains('\u{1b}'), "{escape:?}");
        assert_eq!(run("true"), Err("printed nothing".into()));
    }

    #[test]
    fn a_key_file_may_start_at_home() {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        assert_eq!(home_relative(Path::new("~/.k")), home.join(".k"));
        assert_eq!(home_relative(Path::new("/etc/~/k")), Path::new("/etc/~/k"));
        assert_eq!(home_relative(Path::new("~other/k")), Path::new("~other/k"));
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let err = toml::from_str::<File>("[profiles.x]\napi_key = \"tk\"\n").expect_err("unknown");
        assert!(err.message().contains("api_key"), "{}", err.message());
    }
}
