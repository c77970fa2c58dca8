//! The TLS path, end to end over loopback: a CA made in the test, a TLS terminator in
//! front of a scripted server, and the SDK's rustls client trusting that CA through
//! `add_root_certificate_pem`. Each certificate problem fails after one attempt (no retry
//! heals it) with its cause in words. Nothing touches the system's trust store. The
//! terminator offers the hybrid post-quantum group X25519MLKEM768 first, whatever the
//! SDK's provider, and reports the group each handshake agreed on.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, date_time_ymd,
};
use rustls::NamedGroup;
use rustls::crypto::aws_lc_rs::{self, kx_group};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use thena_sdk::{Client, ConfigError, Error, types};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A private certificate authority.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Thena SDK test CA");
        let key = KeyPair::generate().expect("a key");
        Self {
            issuer: CertifiedIssuer::self_signed(params, key).expect("a CA certificate"),
        }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `host`, expired when `expired`.
    fn leaf(&self, host: &str, expired: bool) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let mut params = CertificateParams::new(vec![host.to_owned()]).expect("params");
        if expired {
            params.not_before = date_time_ymd(2000, 1, 1);
            params.not_after = date_time_ymd(2001, 1, 1);
        }
        let key = KeyPair::generate().expect("a key");
        let cert = params.signed_by(&key, &self.issuer).expect("signed");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (cert.der().clone(), key)
    }
}

/// The key exchange groups each handshake agreed on, as the server saw them.
type Agreed = Arc<Mutex<Vec<Option<NamedGroup>>>>;

/// Terminates TLS with `leaf` on a loopback port and passes the bytes on to `upstream`
/// (`host:port`). Returns the `https://localhost:PORT` base URL.
async fn terminator(
    leaf: (CertificateDer<'static>, PrivateKeyDer<'static>),
    upstream: String,
) -> String {
    terminator_agreeing(leaf, upstream).await.0
}

/// [`terminator`], and the groups its handshakes agreed on.
async fn terminator_agreeing(
    leaf: (CertificateDer<'static>, PrivateKeyDer<'static>),
    upstream: String,
) -> (String, Agreed) {
    let acceptor = acceptor(leaf);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let port = listener.local_addr().expect("an address").port();
    let agreed = Agreed::default();
    let record = agreed.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, upstream, record) = (acceptor.clone(), upstream.clone(), record.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let group = tls.get_ref().1.negotiated_key_exchange_group();
                record
                    .lock()
                    .expect("not poisoned")
                    .push(group.map(|g| g.name()));
                if let Ok(mut plain) = TcpStream::connect(&upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    // The certificate names localhost; 127.0.0.1 is where it listens.
    (format!("https://localhost:{port}"), agreed)
}

/// Accepts TLS connections with `leaf`, offering X25519MLKEM768 first and the classical
/// groups after it.
fn acceptor(leaf: (CertificateDer<'static>, PrivateKeyDer<'static>)) -> TlsAcceptor {
    let provider = Arc::new(rustls::crypto::CryptoProvider {
        kx_groups: vec![
            kx_group::X25519MLKEM768,
            kx_group::X25519,
            kx_group::SECP256R1,
            kx_group::SECP384R1,
        ],
        ..aws_lc_rs::default_provider()
    });
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![leaf.0], leaf.1)
        .expect("a server config");
    TlsAcceptor::from(Arc::new(config))
}

fn host_port(url: &str) -> String {
    url.trim_start_matches("http://").to_owned()
}

fn ticket() -> types::builder::CreateTicketBody {
    types::CreateTicketBody::builder()
        .title("Over TLS")
        .requestor_email("user@example.com")
        .team_id("team_tls")
}

/// A server behind the terminator that answers every create with a ticket.
async fn upstream() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
            "status": true, "message": "Success", "timestamp": "t", "data": { "id": "T1" }
        })))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_create_over_tls_succeeds_with_the_private_ca_trusted() {
    let server = upstream().await;
    let ca = Ca::new();
    let url = terminator(ca.leaf("localhost", false), host_port(&server.uri())).await;

    let client = Client::builder()
        .base_url(&url)
        .api_key("tk_test_tls")
        .add_root_certificate_pem(ca.pem())
        .build()
        .expect("valid settings");
    let created = client
        .create_ticket()
        .body(ticket())
        .send()
        .await
        .expect("created over TLS");

    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(1));
}

/// The SDK's own provider decides the key exchange, and the server reports what was agreed:
/// with aws-lc-rs (the default feature) the hybrid post-quantum X25519MLKEM768; with only
/// `ring`, which has no post-quantum key exchange, a classical group (rustls's ring provider
/// prefers secp384r1). One handshake either way: the client's first key share fits.
#[tokio::test]
async fn the_handshake_agrees_on_x25519mlkem768_when_the_provider_has_it() {
    let server = upstream().await;
    let ca = Ca::new();
    let (url, agreed) =
        terminator_agreeing(ca.leaf("localhost", false), host_port(&server.uri())).await;

    let client = Client::builder()
        .base_url(&url)
        .api_key("tk_test_tls")
        .add_root_certificate_pem(ca.pem())
        .build()
        .expect("valid settings");
    client
        .create_ticket()
        .body(ticket())
        .send()
        .await
        .expect("created over TLS");

    let agreed = agreed.lock().expect("not poisoned").clone();
    if cfg!(feature = "aws-lc-rs") {
        assert_eq!(agreed, [Some(NamedGroup::X25519MLKEM768)]);
    } else {
        assert!(
            matches!(
                agreed[..],
                [Some(
                    NamedGroup::X25519 | NamedGroup::secp256r1 | NamedGroup::secp384r1
                )]
            ),
            "a classical group, one handshake: {agreed:?}"
        );
    }
}

/// Creates through a terminator with `leaf`, trusting `ca` unless it is `None`, and
/// returns the error.
async fn refused(
    leaf: (CertificateDer<'static>, PrivateKeyDer<'static>),
    ca: Option<&Ca>,
) -> Error {
    let server = upstream().await;
    let url = terminator(leaf, host_port(&server.uri())).await;
    let mut builder = Client::builder().base_url(&url).api_key("tk_test_tls");
    if let Some(ca) = ca {
        builder = builder.add_root_certificate_pem(ca.pem());
    }
    let err = builder
        .build()
        .expect("valid settings")
        .create_ticket()
        .body(ticket())
        .send()
        .await
        .expect_err("the certificate is refused");
    let reached = server.received_requests().await.map_or(0, |r| r.len());
    assert_eq!(reached, 0, "nothing reached the server");
    err
}

#[tokio::test]
async fn each_certificate_problem_fails_once_with_its_cause() {
    let ca = Ca::new();
    for (leaf, trusted, cause) in [
        (
            ca.leaf("localhost", false),
            None,
            "is not trusted (its issuer is unknown",
        ),
        (
            ca.leaf("other.example", false),
            Some(&ca),
            "is for another host",
        ),
        (ca.leaf("localhost", true), Some(&ca), "has expired"),
    ] {
        let err = refused(leaf, trusted).await;
        assert!(matches!(err, Error::CommunicationError { .. }), "{err:?}");
        assert_eq!(err.attempts(), 1, "{cause}: a certificate does not heal");
        assert!(!err.is_retryable(), "{cause}");
        let shown = err.to_string();
        assert!(
            shown.contains("the TLS certificate of localhost:") && shown.contains(cause),
            "{shown}"
        );
        assert!(
            shown.starts_with("no response from https://localhost:"),
            "{shown}"
        );
    }
}

/// A server that reads the request and drops the connection without TLS's goodbye
/// (`close_notify`): the client's TLS reports an unexpected end of the stream, which is
/// a connection closed before the answer, and retried like one.
#[tokio::test]
async fn a_tls_connection_cut_without_its_goodbye_is_a_closed_connection() {
    let ca = Ca::new();
    let acceptor = acceptor(ca.leaf("localhost", false));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let port = listener.local_addr().expect("an address").port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(stream).await {
                    let mut request = [0u8; 8192];
                    let _ = tls.read(&mut request).await;
                    // Dropped, not shut down: the TCP connection ends, TLS never says so.
                }
            });
        }
    });
    let client = Client::builder()
        .base_url(format!("https://localhost:{port}"))
        .api_key("tk_test_tls")
        .add_root_certificate_pem(ca.pem())
        .max_retries(1)
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .expect("valid settings");
    let err = client
        .update_ticket()
        .id("T1")
        .body(types::UpdateTicketBody::builder())
        .send()
        .await
        .expect_err("no answer");
    assert!(
        err.to_string()
            .contains("closed the connection before answering in full"),
        "{err}"
    );
    assert_eq!(err.attempts(), 2, "retried: {err}");
}

#[tokio::test]
async fn an_https_base_url_is_never_left_for_plain_http() {
    let elsewhere = MockServer::builder()
        .listener(std::net::TcpListener::bind("127.0.0.2:0").expect("loopback"))
        .start()
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(201))
        .mount(&elsewhere)
        .await;
    let redirecting = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(307).insert_header(
            "location",
            format!("{}/v1/tickets", elsewhere.uri()).as_str(),
        ))
        .mount(&redirecting)
        .await;
    let ca = Ca::new();
    let url = terminator(ca.leaf("localhost", false), host_port(&redirecting.uri())).await;

    let err = Client::builder()
        .base_url(&url)
        .api_key("tk_live_https_only")
        .add_root_certificate_pem(ca.pem())
        .configure_http(|http| http.redirect(reqwest::redirect::Policy::limited(5)))
        .build()
        .expect("valid settings")
        .create_ticket()
        .body(ticket())
        .send()
        .await
        .expect_err("a redirect");

    assert_eq!(err.status().map(|s| s.as_u16()), Some(307));
    assert!(
        elsewhere
            .received_requests()
            .await
            .expect("recorded")
            .is_empty()
    );
}

#[test]
fn a_root_certificate_that_is_not_pem_is_a_config_error() {
    for pem in [
        "",
        "not a certificate",
        "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n",
    ] {
        let err = Client::builder()
            .api_key("k")
            .add_root_certificate_pem(pem)
            .build()
            .expect_err(pem);
        assert!(matches!(err, ConfigError::InvalidCertificate(_)), "{err:?}");
        assert!(
            err.to_string().starts_with("add_root_certificate_pem: "),
            "{err}"
        );
    }
}
