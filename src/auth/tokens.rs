//! Random tokens and their stored digests. Tokens that travel (session ids, reset links) are
//! only ever stored as SHA-256 digests.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// `bytes` random bytes from the OS CSPRNG, hex-encoded.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// A 256-bit token, for sessions, reset links and CSRF.
pub fn new_secret_token() -> String {
    random_token(32)
}

pub fn sha256_hex(input: &str) -> String {
    hex::encode(Sha256::digest(input.as_bytes()))
}

/// Compares two strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_distinct() {
        let a = new_secret_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_secret_token());
    }

    #[test]
    fn constant_time_eq_matches_eq() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
