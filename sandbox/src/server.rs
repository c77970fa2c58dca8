//! The accept loop: HTTP/1.1 connections served by hyper, one task each, with a handle
//! through which a handler can close its own connection without answering.
//!
//! `axum::serve` would do the rest, but offers no way to drop a connection, which the
//! drop and truncate faults need.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};
use tower_service::Service;

/// How long shutdown waits for requests in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The connection a request came on, in the request's extensions.
#[derive(Clone, Default)]
pub(crate) struct Connection(Arc<Notify>);

impl Connection {
    /// Closes the connection: the response in progress, if any, is abandoned.
    pub(crate) fn close(&self) {
        // `notify_one` keeps the signal if the connection's task is not waiting yet.
        self.0.notify_one();
    }
}

/// Serves `app` until `stop` fires or its sender is dropped, then lets requests in
/// flight finish (for up to [`DRAIN_TIMEOUT`]).
pub(crate) async fn serve(listener: TcpListener, app: Router, mut stop: oneshot::Receiver<()>) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => spawn_connection(stream, &app, &graceful),
                // Out of file descriptors, for instance: back off rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            _ = &mut stop => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
}

fn spawn_connection(stream: TcpStream, app: &Router, graceful: &GracefulShutdown) {
    // Small JSON answers: send them now rather than wait for more to fill a segment.
    let _ = stream.set_nodelay(true);
    let connection = Connection::default();
    let closed = connection.clone();
    let app = app.clone();
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(connection.clone());
        app.clone().call(request)
    });
    let served =
        graceful.watch(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
    tokio::spawn(async move {
        tokio::select! {
            _ = served => {}
            // Dropping the connection's future closes the socket, mid-answer or before it.
            () = closed.0.notified() => {}
        }
    });
}
