//! A local Thena-compatible server (work in progress).
