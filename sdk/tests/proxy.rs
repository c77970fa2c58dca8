//! A proxy from the environment never sees a request to a loopback `http://` base URL:
//! plain http is allowed there because the key stays on the machine, and `HTTP_PROXY`
//! would carry it off in clear. Over TLS the key is sealed, and the proxy is used as
//! configured. One test in a binary of its own, since it changes the process
//! environment.

use std::time::Duration;

use thena_sdk::{Client, types};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// An update through a client of `base`, which fails.
async fn update(base: String) -> thena_sdk::Error {
    Client::builder()
        .base_url(base)
        .api_key("tk_live_PROXIED")
        .max_retries(0)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("valid settings")
        .update_ticket()
        .id("T1")
        .body(types::UpdateTicketBody::builder().title("t"))
        .send()
        .await
        .expect_err("no ticket")
}

#[tokio::test]
async fn an_environment_proxy_is_not_used_for_loopback_http() {
    let proxy = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(502))
        .mount(&proxy)
        .await;
    let api = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(404).set_body_json(
                serde_json::json!({ "statusCode": 404, "message": "no such ticket" }),
            ),
        )
        .mount(&api)
        .await;
    // SAFETY: this binary has one test, so no other thread reads the environment.
    unsafe {
        for name in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
            std::env::set_var(name, proxy.uri());
        }
        for name in ["NO_PROXY", "no_proxy"] {
            std::env::remove_var(name);
        }
    }
    let err = update(api.uri()).await;
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404), "{err}");
    let through_proxy = proxy.received_requests().await.expect("recorded");
    assert!(
        through_proxy.is_empty(),
        "the proxy saw {} request(s)",
        through_proxy.len()
    );
    assert_eq!(api.received_requests().await.expect("recorded").len(), 1);

    // https to loopback: through the proxy, key sealed. The proxy: a listener that
    // notes the request line of the one connection it takes and refuses the tunnel.
    let tunnel = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let tunnel_url = format!("http://{}", tunnel.local_addr().expect("an address"));
    let (noted, asked) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::{BufRead, Write};
        let (stream, _) = tunnel.accept().ok()?;
        let mut reader = std::io::BufReader::new(stream.try_clone().ok()?);
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        (&stream)
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
            .ok()?;
        noted.send(line).ok()
    });
    // SAFETY: as above.
    unsafe {
        for name in ["HTTPS_PROXY", "https_proxy"] {
            std::env::set_var(name, &tunnel_url);
        }
    }
    let base = api.uri().replacen("http:", "https:", 1);
    let err = update(base).await;
    assert!(err.status().is_none(), "{err}");
    // A client that went around the proxy leaves it waiting.
    let asked = asked
        .recv_timeout(Duration::from_secs(5))
        .unwrap_or_default();
    assert!(asked.starts_with("CONNECT 127.0.0.1:"), "{asked:?}: {err}");
}
