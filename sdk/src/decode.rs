//! Turning an answer's bytes into the value the spec describes, or into an error that
//! keeps every fact: the generated code calls [`ResponseValue::from_response`] on what
//! the call loop read. The API key is cut out of error bodies before they are decoded,
//! and out of every string once decoded.

use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::auth::Redactor;
use crate::error::Error;
use crate::response::ResponseValue;

impl<T: DeserializeOwned> ResponseValue<T> {
    /// Decodes an answer's body (the hooks have read it, within the size limit). A body
    /// that does not decode becomes an error that still carries the status, the headers
    /// and the bytes. An error answer is decoded with the API key cut out, so that the
    /// decoded message cannot carry it.
    #[doc(hidden)]
    pub async fn from_response<E>(answer: ResponseValue<Bytes>) -> Result<Self, Error<E>> {
        let (raw, mut head) = answer.into_parts();
        if head.status().is_success() {
            return match serde_json::from_slice(&raw) {
                Ok(inner) => Ok(Self::new(head, inner)),
                Err(source) => Err(Error::InvalidResponsePayload {
                    source: redacted(source, head.redactor()),
                    head,
                    body: raw,
                }),
            };
        }
        let shown = match head.redactor().bytes(&raw) {
            std::borrow::Cow::Borrowed(_) => raw.clone(),
            std::borrow::Cow::Owned(redacted) => Bytes::from(redacted),
        };
        head.raw_error_body = Some(raw);
        // Through a `Value`, whose strings are cut again once decoded: an escaped echo
        // (`tk\/live`) passes the byte search, never this.
        let decoded = serde_json::from_slice(&shown).and_then(|mut value| {
            head.redactor().json(&mut value);
            serde_json::from_value(value)
        });
        match decoded {
            Ok(inner) => Ok(Self::new(head, inner)),
            Err(source) => Err(Error::InvalidResponsePayload {
                head,
                body: shown,
                source,
            }),
        }
    }
}

/// A decoding error whose message quotes the API key (serde quotes the value it could
/// not use), rebuilt with the key cut out; any other is returned as it is.
fn redacted(e: serde_json::Error, redactor: &Redactor) -> serde_json::Error {
    let text = e.to_string();
    match redactor.text(&text) {
        std::borrow::Cow::Borrowed(_) => e,
        std::borrow::Cow::Owned(cut) => serde::de::Error::custom(cut),
    }
}
