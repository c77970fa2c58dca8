//! The ticket API: `POST /v1/tickets` and `PATCH /v1/tickets/{id}`.
//!
//! Every API request goes through the same steps, in this order:
//! 1. it takes the next matching fault, if any (else, in chaos mode, perhaps a random
//!    one), and counts against the rate limit;
//! 2. its body is read (up to [`BODY_LIMIT`]) and it is logged;
//! 3. a delay fault waits; a status fault answers; a drop fault closes the connection;
//! 4. over the rate limit → 429; wrong or missing `x-api-key` → 401; body too large →
//!    413; not JSON → 415; an id that is not UTF-8 or a body that is invalid → 400
//!    naming every problem; unknown ticket → 404;
//! 5. the ticket is created (201) or updated (200);
//! 6. a truncate, malformed or drop-after-processing fault spoils the answer.
//!
//! Every answer carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
//! `X-RateLimit-Reset`; a 429 also carries `Retry-After`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use axum::response::Response;
use axum::routing::{patch, post};
use axum::{Extension, Router};
use http_body_util::BodyExt;

use crate::OnDuplicate;
use crate::faults::{FaultBody, FaultKind, Route};
use crate::rate_limit::Quota;
use crate::reply::Reply;
use crate::requests::{ApiKeyCheck, RequestRecord};
use crate::server::Connection;
use crate::state::Shared;
use crate::store::Created;
use crate::validate;

/// The largest request body accepted; larger ones get 413.
const BODY_LIMIT: usize = 1024 * 1024;
/// Past the limit the body is still read, and dropped, up to this size, so that the
/// client is not cut off mid-upload and can read the 413; beyond it the connection closes.
const DRAIN_LIMIT: usize = 16 * BODY_LIMIT;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1/tickets", post(create))
        .route("/v1/tickets/{id}", patch(update))
}

/// The operation a request asks for.
enum Op {
    Create,
    /// An update of the ticket with this id, or `None` when the id in the path is not
    /// UTF-8 once percent-decoded.
    Update(Option<String>),
}

impl Op {
    fn route(&self) -> Route {
        match self {
            Self::Create => Route::CreateTicket,
            Self::Update(_) => Route::UpdateTicket,
        }
    }
}

async fn create(
    State(shared): State<Arc<Shared>>,
    Extension(connection): Extension<Connection>,
    request: Request,
) -> Response {
    handle(&shared, connection, Op::Create, request).await
}

async fn update(
    State(shared): State<Arc<Shared>>,
    Extension(connection): Extension<Connection>,
    id: Result<Path<String>, PathRejection>,
    request: Request,
) -> Response {
    let id = id.ok().map(|Path(id)| id);
    handle(&shared, connection, Op::Update(id), request).await
}

/// Any other path outside `/_sandbox`: 404, logged and with the rate-limit headers
/// like every API answer.
pub(crate) async fn not_found(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    unknown(&shared, request, StatusCode::NOT_FOUND)
}

/// An API path with a method it does not have: 405, as for [`not_found`].
pub(crate) async fn method_not_allowed(
    State(shared): State<Arc<Shared>>,
    request: Request,
) -> Response {
    unknown(&shared, request, StatusCode::METHOD_NOT_ALLOWED)
}

fn unknown(shared: &Shared, request: Request, status: StatusCode) -> Response {
    let (parts, _) = request.into_parts();
    let path = parts.uri.path();
    let reply = Reply::error(status, format!("Cannot {} {path}", parts.method));
    if path.starts_with(crate::control::PREFIX) {
        return reply.into_response(None);
    }
    let quota = shared.limiter.hit();
    let mut record = record(shared, &parts, None);
    record.status = Some(status.as_u16());
    shared.log.push(record);
    reply.into_response(Some(&quota))
}

async fn handle(shared: &Shared, connection: Connection, op: Op, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let fault = shared
        .faults
        .take(op.route())
        .or_else(|| shared.chaos.pick());
    let quota = shared.limiter.hit();
    let mut logged = shared.log.pending(record(shared, &parts, Some(op.route())));
    let body = read_body(body).await;
    if let (Op::Create, Ok(bytes)) = (&op, &body) {
        logged.record.de_duplication_key = validate::de_duplication_key(bytes);
    }
    logged.record.fault.clone_from(&fault);

    // `None`: drop the connection instead of answering.
    let reply = match &fault {
        Some(FaultKind::Status {
            status,
            retry_after,
            body,
        }) => Some(status_fault(*status, *retry_after, *body)),
        Some(FaultKind::Drop { after_processing }) => {
            if *after_processing {
                process(shared, &op, &quota, &parts.headers, body);
            }
            None
        }
        Some(FaultKind::Delay {
            ms,
            after_processing,
        }) => {
            let delay = Duration::from_millis(*ms);
            if *after_processing {
                let reply = process(shared, &op, &quota, &parts.headers, body);
                tokio::time::sleep(delay).await;
                Some(reply)
            } else {
                tokio::time::sleep(delay).await;
                Some(process(shared, &op, &quota, &parts.headers, body))
            }
        }
        _ => Some(process(shared, &op, &quota, &parts.headers, body)),
    };
    logged.record.status = reply.as_ref().map(|reply| reply.status().as_u16());
    drop(logged);

    let Some(reply) = reply else {
        connection.close();
        // The connection's task drops this future along with the connection.
        return std::future::pending().await;
    };
    match fault {
        Some(FaultKind::Truncate) => reply.into_truncated_response(&quota, connection),
        Some(FaultKind::Malformed) => reply.malformed().into_response(Some(&quota)),
        _ => reply.into_response(Some(&quota)),
    }
}

fn record(shared: &Shared, parts: &Parts, route: Option<Route>) -> RequestRecord {
    RequestRecord::new(
        parts.method.as_str(),
        parts.uri.path(),
        route,
        &parts.headers,
        shared.check_key(&parts.headers),
    )
}

fn status_fault(status: u16, retry_after: Option<u64>, body: FaultBody) -> Reply {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reply = match body {
        FaultBody::Json => Reply::error(status, format!("Injected fault: {status}")),
        FaultBody::Html => Reply::html(status),
    };
    reply.with_retry_after(retry_after)
}

/// Why a body could not be read.
enum BodyError {
    TooLarge,
    Unreadable,
}

async fn read_body(mut body: Body) -> Result<Vec<u8>, BodyError> {
    let mut bytes = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyError::Unreadable)?;
        if let Ok(data) = frame.into_data() {
            seen = seen.saturating_add(data.len());
            if seen > DRAIN_LIMIT {
                return Err(BodyError::TooLarge);
            }
            if seen <= BODY_LIMIT {
                bytes.extend_from_slice(&data);
            }
        }
    }
    if seen > BODY_LIMIT {
        Err(BodyError::TooLarge)
    } else {
        Ok(bytes)
    }
}

/// Steps 4 and 5: the answer the API gives when no fault intervenes.
fn process(
    shared: &Shared,
    op: &Op,
    quota: &Quota,
    headers: &HeaderMap,
    body: Result<Vec<u8>, BodyError>,
) -> Reply {
    if let Some(retry_after) = quota.retry_after {
        let limit = shared.limiter.limit();
        return Reply::error(
            StatusCode::TOO_MANY_REQUESTS,
            format!("Rate limit of {limit} exceeded; retry in {retry_after} s"),
        )
        .with_retry_after(Some(retry_after));
    }
    if shared.check_key(headers) != ApiKeyCheck::Valid {
        return Reply::error(StatusCode::UNAUTHORIZED, "Invalid or missing API key");
    }
    let bytes = match body {
        Ok(bytes) => bytes,
        Err(BodyError::TooLarge) => {
            return Reply::error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The request body is larger than {BODY_LIMIT} bytes"),
            );
        }
        Err(BodyError::Unreadable) => {
            return Reply::error(
                StatusCode::BAD_REQUEST,
                "The request body could not be read",
            );
        }
    };
    if !is_json(headers) {
        return Reply::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        );
    }
    match op {
        Op::Create => match validate::create_body(&bytes) {
            Err(problems) => Reply::errors(StatusCode::BAD_REQUEST, problems),
            Ok(body) => match (shared.store.create(body), shared.on_duplicate) {
                (Created::New(ticket), _) => Reply::ticket(StatusCode::CREATED, ticket),
                // A replay answers exactly like the create it repeats.
                (Created::Replayed(ticket, _), OnDuplicate::Replay) => {
                    Reply::ticket(StatusCode::CREATED, ticket)
                }
                (Created::Replayed(_, key), OnDuplicate::Conflict) => Reply::error(
                    StatusCode::CONFLICT,
                    format!("A ticket with deDuplicationKey {key:?} already exists"),
                ),
            },
        },
        Op::Update(None) => Reply::error(
            StatusCode::BAD_REQUEST,
            "id: the path segment is not valid UTF-8 once percent-decoded",
        ),
        Op::Update(Some(id)) => match validate::update_body(&bytes) {
            Err(problems) => Reply::errors(StatusCode::BAD_REQUEST, problems),
            Ok(update) => match shared.store.update(id, update) {
                Some(ticket) => Reply::ticket(StatusCode::OK, ticket),
                None => Reply::error(StatusCode::NOT_FOUND, format!("Ticket {id} not found")),
            },
        },
    }
}

/// `application/json`, with or without parameters such as `charset`.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case("application/json"))
}
