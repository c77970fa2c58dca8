//! Failures without a response, told in words: what went wrong, found in the error's
//! source chain, and whether another attempt can heal it.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::time::Duration;

use rustls::CertificateError;

/// Which time limit ended an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Timeout {
    /// The limit for establishing a connection
    /// ([`ClientBuilder::connect_timeout`](crate::ClientBuilder::connect_timeout)):
    /// nothing was sent.
    Connect(Duration),
    /// The limit of one attempt ([`ClientBuilder::timeout`](crate::ClientBuilder::timeout)).
    Attempt(Duration),
    /// What was left of the whole call's limit
    /// ([`ClientBuilder::operation_timeout`](crate::ClientBuilder::operation_timeout)).
    Operation(Duration),
}

impl Timeout {
    /// The length of the limit.
    pub(crate) fn limit(self) -> Duration {
        match self {
            Self::Connect(d) | Self::Attempt(d) | Self::Operation(d) => d,
        }
    }
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect(d) => write!(
                f,
                "could not connect within {} (the connect timeout)",
                Human(*d)
            ),
            Self::Attempt(d) => {
                write!(f, "timed out after {} (the per-attempt timeout)", Human(*d))
            }
            Self::Operation(d) => write!(
                f,
                "timed out after {} (what was left of the operation timeout)",
                Human(*d)
            ),
        }
    }
}

/// A duration as people write it: `150 ms`, `60 s`, `2.5 s`.
pub(crate) struct Human(pub(crate) Duration);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d < Duration::from_secs(1) {
            write!(f, "{} ms", d.as_millis())
        } else if d.subsec_millis() == 0 {
            write!(f, "{} s", d.as_secs())
        } else {
            write!(f, "{}.{} s", d.as_secs(), d.subsec_millis() / 100)
        }
    }
}

/// What ended an attempt that got no whole answer: [`Error::cause`](crate::Error::cause).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause {
    /// The server refused the connection: nothing listens there, nothing was sent.
    Refused,
    /// The host name did not resolve: nothing was sent.
    HostNotFound,
    /// The connection was reset.
    Reset,
    /// The server closed the connection before answering in full.
    Closed,
    /// A time limit ran out (the error's `timeout` says which).
    TimedOut,
    /// The server's certificate is not trusted (its issuer is unknown).
    CertificateUntrusted,
    /// The server's certificate is for another host.
    CertificateForAnotherHost,
    /// The server's certificate has expired.
    CertificateExpired,
    /// Another TLS failure, in rustls's words.
    Tls(String),
    /// Anything else; the error's `Display` and `source()` say what.
    Other,
}

impl Cause {
    /// Reads the cause off a reqwest error's source chain.
    pub(crate) fn of(e: &reqwest::Error) -> Cause {
        if e.is_timeout() {
            return Cause::TimedOut;
        }
        let mut dns = false;
        let mut found = Cause::Other;
        for cause in chain(e) {
            if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
                return tls_cause(tls);
            }
            if let Some(io) = cause.downcast_ref::<io::Error>() {
                match io.kind() {
                    io::ErrorKind::ConnectionRefused => return Cause::Refused,
                    io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
                        found = Cause::Reset
                    }
                    io::ErrorKind::TimedOut => found = Cause::TimedOut,
                    io::ErrorKind::UnexpectedEof => found = Cause::Closed,
                    _ => {}
                }
            }
            if cause
                .downcast_ref::<hyper::Error>()
                .is_some_and(hyper::Error::is_incomplete_message)
            {
                found = Cause::Closed;
            }
            // hyper-util's connector does not export its error type; its message for a
            // failed lookup is pinned by this crate's DNS test.
            dns |= cause.to_string() == "dns error";
        }
        if dns { Cause::HostNotFound } else { found }
    }
}

/// Whether another attempt may succeed: a refused or reset connection, a timeout, a
/// failed DNS lookup may pass; a certificate the client refuses will not. (What else
/// `execute` can fail with, a request that cannot be built or a redirect, the client
/// never meets: it builds its requests itself and follows no redirect.)
pub(crate) fn is_transient(e: &reqwest::Error) -> bool {
    !matches!(
        Cause::of(e),
        Cause::CertificateUntrusted
            | Cause::CertificateForAnotherHost
            | Cause::CertificateExpired
            | Cause::Tls(_)
    )
}

fn tls_cause(e: &rustls::Error) -> Cause {
    match e {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                Cause::CertificateUntrusted
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                Cause::CertificateForAnotherHost
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                Cause::CertificateExpired
            }
            other => Cause::Tls(format!("invalid certificate: {other:?}")),
        },
        other => Cause::Tls(other.to_string()),
    }
}

/// An error and its sources, looking inside `io::Error`s, whose `source()` skips the
/// error they wrap.
fn chain<'a>(
    e: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    let mut next = Some(e);
    std::iter::from_fn(move || {
        let current = next?;
        next = match current.downcast_ref::<io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn StdError + 'static)),
            None => current.source(),
        };
        Some(current)
    })
}

/// The cause of a failure without a response, as a phrase.
pub(crate) fn describe(
    f: &mut fmt::Formatter<'_>,
    e: &reqwest::Error,
    timeout: Option<Timeout>,
) -> fmt::Result {
    let name = e.url().and_then(|u| u.host_str()).unwrap_or("the server");
    let host = match e.url().and_then(|u| u.port_or_known_default()) {
        Some(port) => format!("{name}:{port}"),
        None => name.to_owned(),
    };
    match Cause::of(e) {
        Cause::Refused => write!(f, "connection refused by {host}")?,
        Cause::HostNotFound => write!(f, "host not found: the DNS lookup of {name} failed")?,
        Cause::Reset => write!(f, "the connection to {host} was reset")?,
        Cause::Closed => write!(f, "{host} closed the connection before answering in full")?,
        Cause::TimedOut => match timeout {
            Some(timeout) => write!(f, "{timeout}")?,
            None => f.write_str("timed out")?,
        },
        Cause::CertificateUntrusted => write!(
            f,
            "the TLS certificate of {host} is not trusted (its issuer is unknown; \
             a private CA can be added with ClientBuilder::add_root_certificate_pem)"
        )?,
        Cause::CertificateForAnotherHost => {
            write!(f, "the TLS certificate of {host} is for another host")?
        }
        Cause::CertificateExpired => write!(f, "the TLS certificate of {host} has expired")?,
        Cause::Tls(detail) => write!(f, "the TLS handshake with {host} failed: {detail}")?,
        Cause::Other => {
            write!(f, "{e}")?;
            if let Some(root) = chain(e).skip(1).last() {
                write!(f, ": {root}")?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        let shown = |d| Human(d).to_string();
        assert_eq!(shown(Duration::from_micros(149_954)), "149 ms");
        assert_eq!(shown(Duration::from_millis(999)), "999 ms");
        assert_eq!(shown(Duration::from_secs(1)), "1 s");
        assert_eq!(shown(Duration::from_secs(60)), "60 s");
        assert_eq!(shown(Duration::from_millis(2500)), "2.5 s");
        assert_eq!(shown(Duration::MAX), "18446744073709551615.9 s");
    }
}
