//! Temporary files for the unit tests.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

/// A temporary file holding some text, removed when dropped. Each has a name of its
/// own, so tests running in parallel never share one.
pub struct TempFile(PathBuf);

impl TempFile {
    /// A file whose name ends in `name` (which may carry an extension), holding `text`.
    pub fn new(name: &str, text: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("thena-{}-{n}-{name}", std::process::id()));
        let mut file = std::fs::File::create(&path).expect("create a temporary file");
        file.write_all(text.as_bytes()).expect("write it");
        Self(path)
    }

    /// Its path, as a command-line argument.
    pub fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temporary path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
