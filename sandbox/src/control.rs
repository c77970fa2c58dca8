//! The control API for tests, under `/_sandbox`, a prefix the Thena API (all under
//! `/v1`) cannot collide with. It has no authentication: the sandbox only listens on
//! the loopback interface.
//!
//! - `GET /_sandbox/tickets[?teamId=T]`: the tickets, in creation order.
//! - `GET /_sandbox/faults`: the faults still to apply; `POST` adds one (a [`Fault`] as
//!   JSON); `DELETE` removes them all.
//! - `GET /_sandbox/chaos`: the chaos in force, or `null`; `POST` sets it (a [`Chaos`]
//!   as JSON: `{"rate": 0.05, "seed": 7}`); `DELETE` turns it off.
//! - `GET /_sandbox/requests`: the request log, oldest first (the most recent requests,
//!   as many as its capacity), with `x-sandbox-requests-dropped`: how many older ones it
//!   forgot; `DELETE` empties it.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use crate::chaos::Chaos;
use crate::faults::Fault;
use crate::reply::Reply;
use crate::state::Shared;

/// The header of `GET /_sandbox/requests` that counts the requests the log forgot.
const DROPPED_HEADER: &str = "x-sandbox-requests-dropped";

/// Where the control API lives.
pub(crate) const PREFIX: &str = "/_sandbox";

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sandbox/tickets", get(tickets))
        .route(
            "/_sandbox/faults",
            get(faults).post(add_fault).delete(clear_faults),
        )
        .route(
            "/_sandbox/chaos",
            get(chaos).post(set_chaos).delete(clear_chaos),
        )
        .route("/_sandbox/requests", get(requests).delete(clear_requests))
}

#[derive(Deserialize)]
struct TicketFilter {
    #[serde(rename = "teamId")]
    team_id: Option<String>,
}

async fn tickets(
    State(shared): State<Arc<Shared>>,
    Query(filter): Query<TicketFilter>,
) -> Response {
    Json(shared.store.list(filter.team_id.as_deref())).into_response()
}

async fn faults(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.faults.pending()).into_response()
}

async fn add_fault(
    State(shared): State<Arc<Shared>>,
    fault: Result<Json<Fault>, JsonRejection>,
) -> Response {
    match fault {
        Ok(Json(fault)) => {
            shared.faults.push(fault);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(rejection) => {
            Reply::error(rejection.status(), rejection.body_text()).into_response(None)
        }
    }
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.faults.clear();
    StatusCode::NO_CONTENT
}

async fn chaos(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.chaos.get()).into_response()
}

async fn set_chaos(
    State(shared): State<Arc<Shared>>,
    chaos: Result<Json<Chaos>, JsonRejection>,
) -> Response {
    let chaos = match chaos {
        Ok(Json(chaos)) => chaos,
        Err(rejection) => {
            return Reply::error(rejection.status(), rejection.body_text()).into_response(None);
        }
    };
    // The rate arrives unchecked through serde; Chaos::new says what is wrong with it.
    if let Err(e) = Chaos::new(chaos.rate()) {
        return Reply::error(StatusCode::BAD_REQUEST, e.to_string()).into_response(None);
    }
    shared.chaos.set(Some(chaos));
    StatusCode::NO_CONTENT.into_response()
}

async fn clear_chaos(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.chaos.set(None);
    StatusCode::NO_CONTENT
}

async fn requests(State(shared): State<Arc<Shared>>) -> Response {
    let mut response = Json(shared.log.all()).into_response();
    response.headers_mut().insert(
        DROPPED_HEADER,
        axum::http::HeaderValue::from(shared.log.dropped()),
    );
    response
}

async fn clear_requests(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.log.clear();
    StatusCode::NO_CONTENT
}
