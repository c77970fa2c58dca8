//! Randomness from the operating system, for deDuplicationKeys and retry jitter.

/// 16 random bytes. Should the OS source ever fail, the clock and a counter stand in:
/// the result stays unique within the process, which is what a key needs.
fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    if getrandom::getrandom(&mut bytes).is_err() {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        bytes[..8].copy_from_slice(&nanos.to_le_bytes());
        bytes[8..].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    }
    bytes
}

/// A random number, for jitter.
pub(crate) fn u64() -> u64 {
    let b = random_bytes();
    u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

/// A random (version 4) UUID in its usual text form.
pub(crate) fn uuid_v4() -> String {
    let mut b = random_bytes();
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn uuids_are_version_4_and_distinct() {
        let uuids: std::collections::HashSet<String> = (0..64).map(|_| super::uuid_v4()).collect();
        assert_eq!(uuids.len(), 64, "all distinct");
        for a in &uuids {
            assert_eq!(
                a.split('-').map(str::len).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12],
                "{a}"
            );
            assert_eq!(&a[14..15], "4", "{a}");
            assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        }
    }

    #[test]
    fn random_numbers_vary() {
        let draws: std::collections::HashSet<u64> = (0..16).map(|_| super::u64()).collect();
        assert!(draws.len() > 8, "{draws:?}");
    }
}
