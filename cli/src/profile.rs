//! Profiles: named settings in `thena`'s configuration file, below the environment and
//! the flags. The file is `$THENA_CONFIG`, else `$XDG_CONFIG_HOME/thena/config.toml`,
//! else `~/.config/thena/config.toml`; the profile is `--profile`, else `$THENA_PROFILE`,
//! else `default` when the file has one. A profile names where its key comes from (a
//! file only its owner can read, or a command's output), never the key itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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

/// Where the configuration file is, if anywhere can be named.
pub fn path() -> Option<PathBuf> {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(path) = set("THENA_CONFIG") {
        return Some(PathBuf::from(path));
    }
    let config = set("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| set("HOME").map(|home| Path::new(&home).join(".config")))?;
    Some(config.join("thena").join("config.toml"))
}

fn config_error(message: String) -> Failure {
    Failure::new(Status::Config, message)
}

/// The profile named by `--profile` (`flag`) or `THENA_PROFILE`, or the `default` one;
/// `None` when none is named and the file has no `default` (or there is no file).
pub fn choose(flag: Option<&str>) -> Result<Option<Chosen>, Failure> {
    let env = std::env::var("THENA_PROFILE")
        .ok()
        .filter(|n| !n.is_empty());
    let named = flag.map(str::to_owned).or(env);
    let Some(path) = path() else {
        return match named {
            Some(name) => Err(config_error(format!(
                "profile {name}: no configuration file (set THENA_CONFIG, XDG_CONFIG_HOME or HOME)"
            ))),
            None => Ok(None),
        };
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && named.is_none() => return Ok(None),
        Err(e) => {
            return Err(config_error(format!(
                "the configuration file {}: {e}",
                path.display()
            )));
        }
    };
    let mut file: File = toml::from_str(&text).map_err(|e| {
        let message = e.message();
        config_error(format!(
            "the configuration file {}: {message}",
            path.display()
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
                let file = &home_relative(file);
                let key = read_private(file).map_err(|e| {
                    config_error(format!(
                        "profile {name}: api_key_file {}: {e}",
                        file.display()
                    ))
                })?;
                Ok(Some((key, format!("file {}", file.display()))))
            }
            (None, Some(command)) => {
                let key = run(command).map_err(|e| {
                    config_error(format!("profile {name}: api_key_command `{command}` {e}"))
                })?;
                Ok(Some((key, format!("command `{command}`"))))
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
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    first_line(&text).ok_or_else(|| "it is empty".into())
}

/// A command's standard output, its first line, as the key. Its stderr passes through
/// to the message when it fails (a password manager says why).
fn run(command: &str) -> Result<String, String> {
    let output = Command::new("sh")
        .args(["-c", command])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run: {e}"))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        let said = said.split_whitespace().collect::<Vec<_>>().join(" ");
        return Err(match said.is_empty() {
            true => format!("failed ({})", output.status),
            false => format!("failed ({}): {said}", output.status),
        });
    }
    let text = String::from_utf8(output.stdout).map_err(|_| "printed a key that is not UTF-8")?;
    first_line(&text).ok_or_else(|| "printed nothing".into())
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
