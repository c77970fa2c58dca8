//! IDs for tickets and comments, shaped like the platform's: 29 characters of `[0-9A-Z]`,
//! e.g. `71XNF90K10YBR86G1AN06KZJJFX40`.
//!
//! ULID-like: 10 Crockford base-32 characters of the creation time in milliseconds, so
//! that IDs sort by creation time, then 19 random ones (95 bits), so that they do not
//! collide. The platform's own scheme is not documented; only the shape is copied.

/// Crockford's base-32 alphabet: no I, L, O or U, as in the platform's IDs.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const TIME_CHARS: u32 = 10;
const RANDOM_CHARS: usize = 19;

/// The length of every ID.
pub(crate) const ID_LEN: usize = TIME_CHARS as usize + RANDOM_CHARS;

/// A new ID for something created at `unix_ms`.
pub(crate) fn new_id(unix_ms: u64) -> String {
    let time = (0..TIME_CHARS).rev().map(|i| (unix_ms >> (i * 5)) & 31);
    let random = (0..RANDOM_CHARS).map(|_| fastrand::u64(..32));
    let mut id = String::with_capacity(ID_LEN);
    id.extend(
        time.chain(random)
            .map(|digit| char::from(ALPHABET[digit as usize])),
    );
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_platform_shape_and_sort_by_time() {
        let earlier = new_id(1_700_000_000_000);
        let later = new_id(1_700_000_000_001);
        for id in [&earlier, &later] {
            assert_eq!(id.len(), ID_LEN, "{id}");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
                "{id}"
            );
        }
        assert!(earlier < later, "{earlier} < {later}");
        assert_ne!(new_id(0), new_id(0));
    }
}
