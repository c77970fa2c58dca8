//! `Client::from_env` / `ClientBuilder::from_env`: the settings it reads, and what it
//! refuses. One test in a binary of its own, since it changes the process environment.

use thena_sdk::{ClientBuilder, ConfigError};

const VARIABLES: [&str; 4] = [
    "THENA_API_KEY",
    "THENA_BASE_URL",
    "THENA_MAX_RETRIES",
    "THENA_TIMEOUT_SECS",
];

/// Sets exactly `pairs` of the variables `from_env` reads, and reads them.
fn from_env(pairs: &[(&str, &str)]) -> Result<ClientBuilder, ConfigError> {
    // SAFETY: this binary has one test, so no other thread reads the environment.
    unsafe {
        for name in VARIABLES {
            std::env::remove_var(name);
        }
        for (name, value) in pairs {
            std::env::set_var(name, value);
        }
    }
    ClientBuilder::from_env()
}

#[test]
fn the_environment_configures_the_client_and_bad_values_are_named() {
    assert_eq!(
        from_env(&[]).err(),
        Some(ConfigError::MissingEnv("THENA_API_KEY"))
    );
    for empty in ["", "   "] {
        let err = from_env(&[("THENA_API_KEY", empty)]).expect_err("empty");
        assert_eq!(err, ConfigError::EmptyEnv("THENA_API_KEY"));
        assert_eq!(
            err.to_string(),
            "THENA_API_KEY is set but empty; it is required"
        );
    }
    for (name, value, rule) in [
        ("THENA_MAX_RETRIES", "two", "a whole number of retries"),
        ("THENA_TIMEOUT_SECS", "0", "a positive number of seconds"),
        ("THENA_TIMEOUT_SECS", "-1", "a positive number of seconds"),
        ("THENA_TIMEOUT_SECS", "soon", "a positive number of seconds"),
    ] {
        let err = from_env(&[("THENA_API_KEY", "k"), (name, value)]).expect_err(value);
        assert!(
            matches!(err, ConfigError::InvalidEnv { name: n, .. } if n == name),
            "{err:?}"
        );
        assert!(err.to_string().contains(rule), "{err}");
    }

    let builder = from_env(&[
        ("THENA_API_KEY", "k"),
        ("THENA_BASE_URL", "https://h.example"),
        ("THENA_MAX_RETRIES", " 4 "),
        ("THENA_TIMEOUT_SECS", "2.5"),
    ])
    .expect("valid settings");
    let shown = format!("{builder:?}");
    for expected in [
        "base_url: Some(\"https://h.example\")",
        "api_key: Some(\"<redacted>\")",
        "max_retries: 4",
        "timeout: 2.5s",
    ] {
        assert!(shown.contains(expected), "{expected} in {shown}");
    }
    assert!(builder.build().is_ok());

    // Set means set: a blank variable is refused, never read as the default (a
    // `THENA_BASE_URL=$STAGING_URL` whose variable is missing must not reach production).
    for name in ["THENA_BASE_URL", "THENA_MAX_RETRIES", "THENA_TIMEOUT_SECS"] {
        let err = from_env(&[("THENA_API_KEY", "k"), (name, " ")]).expect_err(name);
        assert!(
            err.to_string().starts_with(&format!("{name} must be ")),
            "{err}"
        );
    }

    // `with_env`: the environment over a builder's own settings, which stay wherever
    // the environment is silent (no key set here: the builder's own is kept).
    assert!(from_env(&[("THENA_MAX_RETRIES", "7")]).is_err(), "no key");
    let builder = ClientBuilder::default()
        .base_url("https://own.example")
        .api_key("own")
        .max_retries(1)
        .with_env()
        .expect("valid settings");
    let shown = format!("{builder:?}");
    for expected in [
        "base_url: Some(\"https://own.example\")",
        "api_key: Some(\"<redacted>\")",
        "max_retries: 7",
    ] {
        assert!(shown.contains(expected), "{expected} in {shown}");
    }
}
