//! Building a [`Client`]: where it connects, with which key, and how patiently.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::Client;
use crate::auth::ApiKey;
use crate::retry::HORIZON;
use crate::settings::{ConfigError, Settings};
use crate::state::Runtime;
use crate::tls;

/// Where the Thena platform's API lives.
pub const DEFAULT_BASE_URL: &str = "https://platform.thena.ai";

/// The `User-Agent` of every request, unless `configure_http` sets another: the SDK and
/// its version.
const USER_AGENT: &str = concat!("thena-sdk-rust/", env!("CARGO_PKG_VERSION"));

impl Client {
    /// Starts building a client; [`ClientBuilder::build`] checks the settings.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment; see [`ClientBuilder::from_env`].
    pub fn from_env() -> Result<Client, ConfigError> {
        ClientBuilder::from_env()?.build()
    }
}

/// Adjusts the reqwest client the SDK builds; see [`ClientBuilder::configure_http`].
type ConfigureHttp = Arc<dyn Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync>;

/// Settings for a [`Client`]. Its `Debug` never shows the API key.
#[derive(Clone, Default)]
pub struct ClientBuilder {
    base_url: Option<String>,
    api_key: Option<String>,
    settings: Settings,
    allow_insecure_http: bool,
    root_certificates: Vec<Vec<u8>>,
    configure_http: Option<ConfigureHttp>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field(
                "base_url",
                &self.base_url.as_deref().map(without_credentials),
            )
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("settings", &self.settings)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("root_certificates", &self.root_certificates.len())
            .field(
                "configure_http",
                &self.configure_http.as_ref().map(|_| "<fn>"),
            )
            .finish()
    }
}

impl ClientBuilder {
    /// Settings from the environment: `THENA_API_KEY` (required), `THENA_BASE_URL`,
    /// `THENA_MAX_RETRIES` and `THENA_TIMEOUT_SECS`. The builder can still be adjusted.
    pub fn from_env() -> Result<Self, ConfigError> {
        if std::env::var_os("THENA_API_KEY").is_none() {
            return Err(ConfigError::MissingEnv("THENA_API_KEY"));
        }
        Self::default().with_env()
    }

    /// This builder with the environment's settings over it: each of `THENA_API_KEY`,
    /// `THENA_BASE_URL`, `THENA_MAX_RETRIES` and `THENA_TIMEOUT_SECS` that is set
    /// replaces the builder's, and one that is not leaves it as it is. For programs
    /// whose own settings (a configuration file's) rank below the environment's.
    pub fn with_env(mut self) -> Result<Self, ConfigError> {
        // Set means set: a blank value is refused, never read as "use the default"
        // (`THENA_BASE_URL=$STAGING_URL` with the variable missing must not reach
        // production).
        let var = |name: &'static str, rule: &'static str| match std::env::var_os(name) {
            None => Ok(None),
            Some(value) => match value.to_str().map(str::trim) {
                Some(text) if !text.is_empty() => Ok(Some(text.to_owned())),
                _ => Err(ConfigError::InvalidEnv { name, rule }),
            },
        };
        match std::env::var_os("THENA_API_KEY") {
            None => {}
            Some(key) if key.to_str().is_some_and(|k| k.trim().is_empty()) => {
                return Err(ConfigError::EmptyEnv("THENA_API_KEY"));
            }
            // Not UTF-8: refused by the key's own rule, without being shown.
            Some(key) => self = self.api_key(key.to_string_lossy()),
        }
        const URL: &str = "a URL such as https://platform.thena.ai (unset it for the default)";
        if let Some(url) = var("THENA_BASE_URL", URL)? {
            self = self.base_url(url);
        }
        const RETRIES: &str = "a whole number of retries, such as 2";
        if let Some(n) = var("THENA_MAX_RETRIES", RETRIES)? {
            let n = n.parse().map_err(|_| ConfigError::InvalidEnv {
                name: "THENA_MAX_RETRIES",
                rule: RETRIES,
            })?;
            self = self.max_retries(n);
        }
        const SECONDS: &str = "a positive number of seconds, such as 30 or 2.5";
        if let Some(secs) = var("THENA_TIMEOUT_SECS", SECONDS)? {
            let secs = secs
                .parse::<f64>()
                .ok()
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .filter(|d| !d.is_zero())
                .ok_or(ConfigError::InvalidEnv {
                    name: "THENA_TIMEOUT_SECS",
                    rule: SECONDS,
                })?;
            self = self.timeout(secs);
        }
        Ok(self)
    }

    /// The API's base URL: scheme and host, with an optional port and path prefix.
    /// Defaults to [`DEFAULT_BASE_URL`]; a trailing slash is harmless.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The API key, sent as the `x-api-key` header on every request. Required.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The limit for one attempt, from connecting to the last byte of the body
    /// (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// The limit for establishing a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.settings.connect_timeout = timeout;
        self
    }

    /// A limit for a whole call, retries and waits included (default: none). A retry
    /// whose wait would end past it is not made; the last failure is returned at once.
    /// A limit too large for the clock to represent counts as none.
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.settings.operation_timeout = Some(timeout);
        self
    }

    /// How many times a transient failure is retried (default 2, so 3 attempts).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.settings.max_retries = retries;
        self
    }

    /// Exponential backoff between retries: `base * 2^n`, capped at `cap`, with jitter
    /// (default 0.5 s and 8 s). The wait before a retry is the larger of the backoff and
    /// the server's `Retry-After`.
    pub fn backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.settings.backoff_base = base;
        self.settings.backoff_cap = cap;
        self
    }

    /// The longest wait the client accepts before a retry or for a rate-limit reset
    /// (default 60 s). A server asking for longer gets its error returned at once,
    /// with the wait in [`Error::retry_after`](crate::Error::retry_after). A server's
    /// wait of more than a day is not believed at all (a misconfigured proxy, or
    /// milliseconds sent as seconds): the client falls back to its own backoff.
    pub fn max_retry_wait(mut self, wait: Duration) -> Self {
        // No setting may make a call sleep without bound: a day is the longest wait.
        self.settings.max_retry_wait = wait.min(HORIZON);
        self
    }

    /// A dry run (default off): every call is built and checked as usual (its key
    /// settled, its credentials added) and then not sent; it fails with
    /// [`Error::DryRun`](crate::Error::DryRun), which holds the request as it would
    /// have gone, the API key redacted.
    pub fn dry_run(mut self, on: bool) -> Self {
        self.settings.dry_run = on;
        self
    }

    /// Whether a create without a `deDuplicationKey` gets a generated one (default
    /// true). Creates are retried only with a key: turning this off also turns off the
    /// retries of creates that do not set one themselves.
    pub fn idempotent_creates(mut self, enabled: bool) -> Self {
        self.settings.idempotent_creates = enabled;
        self
    }

    /// Whether the client tracks the server's `X-RateLimit-*` window and waits for its
    /// reset instead of sending into a spent window (default true).
    pub fn rate_limit_aware(mut self, enabled: bool) -> Self {
        self.settings.rate_limit_aware = enabled;
        self
    }

    /// Allows plain `http://` to hosts other than loopback (default false: the API key
    /// would travel in clear).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The largest response body the client reads (default 4 MiB; a ticket is about
    /// 6 KB). A larger one, error answers included, fails the call with
    /// [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge), so that a broken
    /// proxy streaming without end cannot exhaust memory.
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.settings.max_response_bytes = limit;
        self
    }

    /// Trusts the certificate authorities in this PEM text (one or more
    /// `-----BEGIN CERTIFICATE-----` blocks) besides the platform's: for a corporate
    /// proxy or a private deployment. Checked by [`build`](Self::build).
    pub fn add_root_certificate_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.root_certificates.push(pem.as_ref().to_vec());
        self
    }

    /// Adjusts the `reqwest::ClientBuilder` the SDK starts from (proxies, pool sizes,
    /// local address, TLS of your own with `tls_backend_preconfigured`). The SDK applies
    /// its own rules after yours: redirects are never followed (so the API key and the
    /// ticket body cannot be carried to another origin), and an `https` base URL is
    /// never left for plain `http`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let client = thena_sdk::Client::builder()
    ///     .api_key("my-api-key")
    ///     .configure_http(|http| http.pool_idle_timeout(Duration::from_secs(30)))
    ///     .build();
    /// assert!(client.is_ok());
    /// ```
    pub fn configure_http(
        mut self,
        configure: impl Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync + 'static,
    ) -> Self {
        self.configure_http = Some(Arc::new(configure));
        self
    }

    /// Checks the settings and builds the client. Never panics.
    pub fn build(self) -> Result<Client, ConfigError> {
        let base_url = normalize_base_url(
            self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
            self.allow_insecure_http,
        )?;
        let api_key = ApiKey::parse(self.api_key.as_deref().unwrap_or_default())?;
        let roots = self
            .root_certificates
            .iter()
            .map(|pem| parse_certificates(pem))
            .collect::<Result<Vec<_>, _>>()?
            .concat();
        let tls = tls::client_config(&roots).map_err(|e| ConfigError::Http(e.to_string()))?;
        let mut http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(self.settings.connect_timeout)
            .tls_backend_preconfigured(tls);
        if let Some(configure) = &self.configure_http {
            http = configure(http);
        }
        let mut http = http
            .redirect(reqwest::redirect::Policy::none())
            .https_only(base_url.starts_with("https:"));
        // Plain http is allowed to loopback because the key stays on the machine; a
        // proxy from the environment (HTTP_PROXY) would carry it off in clear.
        let loopback_http = reqwest::Url::parse(&base_url)
            .is_ok_and(|url| url.scheme() == "http" && is_loopback(&url));
        if loopback_http {
            http = http.no_proxy();
        }
        let http = http.build().map_err(|e| ConfigError::Http(e.to_string()))?;
        Ok(Client {
            baseurl: base_url,
            client: http,
            inner: Runtime::new(self.settings, api_key),
        })
    }
}

/// The certificates of one PEM text; at least one.
fn parse_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let invalid = |rule: String| ConfigError::InvalidCertificate(rule);
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(e.to_string()))?;
    if certs.is_empty() {
        return Err(invalid("no -----BEGIN CERTIFICATE----- block found".into()));
    }
    Ok(certs)
}

/// Parses the base URL and drops trailing slashes: the generated code appends paths
/// that start with `/`, and `https://host//v1/tickets` is a different URL.
fn normalize_base_url(raw: &str, allow_insecure_http: bool) -> Result<String, ConfigError> {
    let invalid = |rule: &str| ConfigError::InvalidBaseUrl {
        url: without_credentials(raw),
        rule: rule.to_owned(),
    };
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not have a query or a fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it must not carry credentials"));
    }
    if url.scheme() == "http" && !allow_insecure_http && !is_loopback(&url) {
        return Err(invalid(
            "plain http would send the API key in clear to a host other than loopback; \
             use https, or allow_insecure_http(true)",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// `url` as it may be shown: whatever stands between its scheme and its last `@` (user
/// name and password, however the URL is broken) replaced by `[redacted]`. Works on text,
/// so that a URL too broken to parse is cut as well; a URL with an `@` in its path
/// loses a little more than it must, in an error message only.
fn without_credentials(url: &str) -> String {
    let Some(at) = url.rfind('@') else {
        return url.to_owned();
    };
    let scheme = url
        .find(':')
        .filter(|&i| {
            url[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
        .map_or(0, |i| i + 1);
    let start =
        scheme + url[scheme..at].len() - url[scheme..at].trim_start_matches(['/', '\\']).len();
    format!("{}[redacted]{}", &url[..start], &url[at..])
}

/// Whether the URL's host is this machine: `localhost` and its subdomains (RFC 6761),
/// with or without the root's trailing dot, or a loopback address (an IPv4-mapped one
/// included).
fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let name = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_slashes_are_dropped() {
        let norm = |u| normalize_base_url(u, false);
        assert_eq!(
            norm("http://127.0.0.1:8080/").as_deref(),
            Ok("http://127.0.0.1:8080")
        );
        assert_eq!(
            norm("https://h.example/api//").as_deref(),
            Ok("https://h.example/api")
        );
        assert_eq!(norm(DEFAULT_BASE_URL).as_deref(), Ok(DEFAULT_BASE_URL));
    }

    #[test]
    fn unusable_base_urls_are_refused_with_the_rule() {
        for (url, rule) in [
            ("platform.thena.ai", "relative URL without a base"),
            ("ftp://h.example", "scheme"),
            ("https://h.example/?a=1", "query"),
            ("https://user:pw@h.example", "credentials"),
            ("https://user@h.example", "credentials"),
            ("https://:pw@h.example", "credentials"),
            ("https://h.example/#top", "fragment"),
            ("http://h.example", "in clear"),
            ("http://10.0.0.1:8080", "in clear"),
        ] {
            let err = Client::builder()
                .api_key("k")
                .base_url(url)
                .build()
                .expect_err(url);
            assert!(
                matches!(&err, ConfigError::InvalidBaseUrl { .. }),
                "{err:?}"
            );
            assert!(err.to_string().contains(rule), "{url}: {err}");
        }
    }

    #[test]
    fn credentials_in_a_base_url_are_never_shown() {
        for url in [
            "https://svc:PASSWORD@h.example/api",
            "https://PASSWORD@h.example",
            "http://svc:PASSWORD@[::1",
            "svc:PASSWORD@h.example",
        ] {
            let builder = Client::builder().api_key("k").base_url(url);
            let err = builder.clone().build().expect_err(url);
            for shown in [format!("{err}"), format!("{err:?}"), format!("{builder:?}")] {
                assert!(!shown.contains("PASSWORD"), "{shown}");
            }
        }
        assert_eq!(
            without_credentials("https://a:b@h.example:8/p?q#f"),
            "https://[redacted]@h.example:8/p?q#f"
        );
        for broken in [
            "https:/svc:PASSWORD@host.example",
            "https:/\\svc:PASSWORD@host.example",
            "https://svc:PASS#WORD@host.example",
            "https://svc:PA/SS?WORD@host.example",
            "svc:PASSWORD@host.example",
        ] {
            let shown = without_credentials(broken);
            assert!(
                !shown.contains("PASS") && !shown.contains("WORD"),
                "{shown}"
            );
            assert!(shown.ends_with("[redacted]@host.example"), "{shown}");
        }
        assert_eq!(
            without_credentials("https://h.example/p"),
            "https://h.example/p"
        );
    }

    #[test]
    fn plain_http_is_for_loopback_unless_allowed() {
        for url in [
            "http://localhost:1",
            "http://localhost.:1",
            "http://api.localhost:1",
            "http://127.0.0.1:1",
            "http://127.8.9.10",
            "http://[::1]:1",
            "http://[::ffff:127.0.0.1]:1",
        ] {
            assert!(normalize_base_url(url, false).is_ok(), "{url}");
        }
        assert!(normalize_base_url("http://h.example", true).is_ok());
        let allowed = Client::builder()
            .api_key("k")
            .base_url("http://h.example")
            .allow_insecure_http(true)
            .build();
        assert!(allowed.is_ok(), "{allowed:?}");
    }

    #[test]
    fn debug_output_shows_every_setting() {
        let builder = Client::builder()
            .api_key("k")
            .base_url("https://h.example")
            .connect_timeout(Duration::from_secs(5))
            .add_root_certificate_pem("pem")
            .configure_http(|http| http);
        let shown = format!("{builder:?}");
        for expected in [
            "ClientBuilder",
            "base_url: Some(\"https://h.example\")",
            "api_key: Some(\"<redacted>\")",
            "connect_timeout: 5s",
            "root_certificates: 1",
            "configure_http: Some(\"<fn>\")",
        ] {
            assert!(shown.contains(expected), "{expected} in {shown}");
        }
    }

    #[test]
    fn api_key_is_required_and_checked_without_being_shown() {
        assert_eq!(
            Client::builder().build().err(),
            Some(ConfigError::MissingApiKey)
        );
        assert_eq!(
            Client::builder().api_key("  ").build().err(),
            Some(ConfigError::MissingApiKey)
        );
        let err = Client::builder()
            .api_key("secret\nkey")
            .build()
            .expect_err("newline");
        assert_eq!(err, ConfigError::InvalidApiKey);
        assert!(!err.to_string().contains("secret"));
    }

    #[test]
    fn debug_output_redacts_the_key() {
        const KEY: &str = "tk_live_DISTINCTIVE_0123456789";
        let builder = Client::builder().api_key(KEY);
        let client = builder.clone().build().expect("valid settings");
        for shown in [
            format!("{builder:?}"),
            format!("{client:?}"),
            format!("{client:#?}"),
        ] {
            assert!(
                !shown.contains(KEY) && !shown.contains("DISTINCTIVE"),
                "{shown}"
            );
        }
    }
}
