//! The hooks every generated call runs through: the request's own checks and the
//! credentials, then the attempts.
//!
//! Shaped like progenitor's `ClientHooks` (the generated code calls `pre`, `exec` and
//! `post`), but `exec` returns the SDK's [`Error`], so that a call that fails without a
//! response still reports how many attempts it made and which key it carried.

use std::time::Instant;

use bytes::Bytes;
use reqwest::Request;
use tracing::{Instrument, field};

use crate::Client;
use crate::auth::API_KEY_HEADER;
use crate::body;
use crate::dry_run::PreparedRequest;
use crate::error::Error;
use crate::idempotency::DedupKey;
use crate::response::ResponseValue;
use crate::state::Runtime;

/// The operation a request is for, as progenitor names it (`create_ticket`), and the
/// `deDuplicationKey` of a create (codegen adds it: see `Client::dedup_key`).
pub(crate) struct OperationInfo {
    pub(crate) operation_id: &'static str,
    pub(crate) dedup_key: Option<DedupKey>,
}

pub(crate) trait ClientHooks<Inner> {
    /// Refuses a request that must not be sent (a blank key, a property set twice),
    /// adds the credentials, and stops a dry run's request there.
    async fn pre<E>(&self, request: &mut Request, info: &OperationInfo) -> Result<(), Error<E>>;
    /// Sends the request, retrying what is safe to retry, and reads the answer's body.
    async fn exec<E>(
        &self,
        request: Request,
        info: &OperationInfo,
    ) -> Result<ResponseValue<Bytes>, Error<E>>;
    /// Runs after `exec`; nothing to do, the generated code calls it.
    async fn post<E>(
        &self,
        result: &Result<ResponseValue<Bytes>, Error<E>>,
        info: &OperationInfo,
    ) -> Result<(), Error<E>>;
}

impl ClientHooks<Runtime> for Client {
    async fn pre<E>(&self, request: &mut Request, info: &OperationInfo) -> Result<(), Error<E>> {
        // A blank key is no key to a server that trims it: every such create would be new.
        if info
            .dedup_key
            .as_ref()
            .is_some_and(|k| k.key.trim().is_empty())
        {
            return Err(Error::InvalidRequest(
                "deDuplicationKey: must not be blank (leave the property out instead)".into(),
            ));
        }
        if let Some(name) = request
            .body()
            .and_then(|b| b.as_bytes())
            .and_then(body::repeated_member)
        {
            return Err(Error::InvalidRequest(format!(
                "body: property {name} is set twice (as a named property and in `extra`); set it once"
            )));
        }
        request
            .headers_mut()
            .insert(API_KEY_HEADER, self.inner.api_key.header_value());
        if self.inner.settings.dry_run {
            let prepared = PreparedRequest::of(request, &self.inner.redactor);
            return Err(Error::DryRun(Box::new(prepared)));
        }
        Ok(())
    }

    async fn exec<E>(
        &self,
        request: Request,
        info: &OperationInfo,
    ) -> Result<ResponseValue<Bytes>, Error<E>> {
        let span = tracing::info_span!(
            "thena.call",
            operation = info.operation_id,
            method = %request.method(),
            path = request.url().path(),
            status = field::Empty,
            attempts = field::Empty,
            duration_ms = field::Empty,
        );
        let started = Instant::now();
        let result = self.call(request, info).instrument(span.clone()).await;
        let (status, attempts) = match &result {
            Ok(answer) => (Some(answer.status().as_u16()), answer.head().attempts()),
            Err(e) => (e.status().map(|s| s.as_u16()), e.attempts()),
        };
        span.record("status", status);
        span.record("attempts", attempts);
        span.record("duration_ms", elapsed_ms(started));
        result
    }

    async fn post<E>(
        &self,
        _: &Result<ResponseValue<Bytes>, Error<E>>,
        _: &OperationInfo,
    ) -> Result<(), Error<E>> {
        Ok(())
    }
}

impl Client {
    /// The `deDuplicationKey` of a create, settled on its typed body before it is
    /// serialized: codegen calls this in the `send` of every operation whose body has
    /// the property.
    pub(crate) fn dedup_key<T>(&self, slot: &mut Option<T>) -> Option<DedupKey>
    where
        T: TryFrom<String> + std::ops::Deref,
        T::Target: AsRef<str>,
    {
        DedupKey::settle(self.inner.settings.idempotent_creates, slot)
    }
}

/// Milliseconds since `started`, for tracing fields.
pub(crate) fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}
