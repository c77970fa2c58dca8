//! Tests of `thena-sdk` that need more than the SDK itself: see `tests/`.
