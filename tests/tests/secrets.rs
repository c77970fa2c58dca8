//! The API key never appears in a log line (at trace level, the SDK's and its
//! dependencies'), in the `Debug` of the client or its builder, or in any error, even
//! when a server sends it back.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use thena_sandbox::{Fault, Sandbox};
use thena_sdk::{Client, types};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

const KEY: &str = "tk_live_SECRET_b7f3c9d1e5a2";

/// Everything written to the subscriber, kept for searching.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

fn ticket() -> types::builder::CreateTicketBody {
    types::CreateTicketBody::builder()
        .title("t")
        .requestor_email("u@example.com")
        .team_id("T")
}

// One thread, so that the subscriber set for this test sees every task: the client's,
// the connection pool's and the sandbox's.
#[tokio::test(flavor = "current_thread")]
async fn the_key_appears_in_no_log_line_debug_output_or_error() {
    // reqwest and rustls log through the `log` crate: bring those records in too.
    let _ = tracing_log::LogTracer::init();
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sandbox = Sandbox::builder()
        .api_key(KEY)
        .start()
        .await
        .expect("the sandbox starts");
    let builder = Client::builder()
        .base_url(sandbox.url())
        .api_key(KEY)
        .timeout(Duration::from_millis(300))
        .backoff(Duration::from_millis(10), Duration::from_millis(20));
    let client = builder.clone().build().expect("valid settings");
    let mut shown = vec![format!("{builder:?}"), format!("{client:?}")];

    let created = client
        .create_ticket()
        .body(ticket())
        .send()
        .await
        .expect("created");
    shown.push(format!("{created:?}"));
    let id = created.data.id.clone().expect("an id");

    sandbox.inject(Fault::status(503).times(2));
    shown.push(format!(
        "{:?}",
        client.create_ticket().body(ticket()).send().await
    ));
    sandbox.inject(Fault::status(502).html().times(3));
    sandbox.inject(Fault::drop_connection());
    sandbox.inject(Fault::delay(Duration::from_secs(1)).times(3));
    for _ in 0..3 {
        let result = client
            .update_ticket()
            .id(&id)
            .body(types::UpdateTicketBody::builder())
            .send()
            .await;
        if let Err(e) = &result {
            shown.push(e.to_string());
        }
        shown.push(format!("{result:?}"));
    }
    let err = client
        .update_ticket()
        .id("missing")
        .body(types::UpdateTicketBody::builder())
        .send()
        .await;
    let err = err.expect_err("404");
    shown.extend([err.to_string(), format!("{err:?}")]);

    let wrong = Client::builder()
        .base_url(sandbox.url())
        .api_key("other-key")
        .build()
        .expect("valid settings");
    let err = wrong
        .create_ticket()
        .body(ticket())
        .send()
        .await
        .expect_err("401");
    shown.extend([err.to_string(), format!("{err:?}")]);

    // A proxy that echoes the key in a header, in its body and in the request id.
    let echo = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(
            wiremock::ResponseTemplate::new(400)
                .insert_header("x-request-id", KEY)
                .insert_header("x-echo", format!("key={KEY}").as_str())
                .set_body_json(serde_json::json!({ "message": format!("bad key {KEY}") })),
        )
        .mount(&echo)
        .await;
    let echoed = Client::builder()
        .base_url(echo.uri())
        .api_key(KEY)
        .build()
        .expect("valid settings");
    let err = echoed
        .create_ticket()
        .body(ticket())
        .send()
        .await
        .expect_err("400");
    shown.extend([
        err.to_string(),
        format!("{err:?}"),
        format!("{err:#?}"),
        err.server_message().unwrap_or_default(),
    ]);

    let logs = captured.text();
    assert!(
        logs.contains("thena.call") && logs.contains("thena.attempt"),
        "spans were captured:\n{logs}"
    );
    assert!(logs.contains("retrying"), "retries were logged");
    for text in shown.iter().chain([&logs]) {
        assert!(
            !text.contains(KEY) && !text.contains("SECRET_b7f3"),
            "the key leaked into:\n{text}"
        );
    }
}
