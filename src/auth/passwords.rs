//! Password rules and hashing.
//!
//! bcrypt reads at most 72 bytes, and a 128-character password of any Unicode can be 512.
//! So the password is first reduced to a fixed 44-byte SHA-256 digest in base64 form (no NUL
//! bytes, nothing truncated), and that goes to bcrypt with the configured cost.

use sha2::{Digest, Sha256};

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 128;

/// The user-facing problem with a new password, if any.
pub fn validate_new(password: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        Some(format!("Use at least {MIN_CHARS} characters."))
    } else if chars > MAX_CHARS {
        Some(format!("Use at most {MAX_CHARS} characters."))
    } else {
        None
    }
}

fn prehash(password: &str) -> String {
    use std::fmt::Write;
    let digest = Sha256::digest(password.as_bytes());
    // Standard base64 by hand keeps one dependency out; 32 bytes give 44 characters.
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(44);
    for chunk in digest.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let _ = write!(
                    out,
                    "{}",
                    ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char
                );
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn hash(password: &str, cost: u32) -> Result<String, bcrypt::BcryptError> {
    bcrypt::hash(prehash(password), cost)
}

/// Hashes on the blocking thread pool: bcrypt takes long enough to stall the async executor.
pub async fn hash_off_executor(
    password: &str,
    cost: u32,
) -> Result<String, crate::error::AppError> {
    let password = password.to_string();
    actix_web::web::block(move || hash(&password, cost))
        .await?
        .map_err(|e| crate::error::AppError::internal(format!("bcrypt: {e}")))
}

pub fn verify(password: &str, stored_hash: &str) -> bool {
    bcrypt::verify(prehash(password), stored_hash).unwrap_or(false)
}

/// Spends the same time as a real check, so an unknown email is not faster than a wrong
/// password.
pub fn verify_dummy(password: &str, cost: u32) {
    static DUMMY: std::sync::OnceLock<(u32, String)> = std::sync::OnceLock::new();
    let (_, dummy) = DUMMY.get_or_init(|| {
        (
            cost,
            hash("not a real password at all", cost).unwrap_or_default(),
        )
    });
    let _ = verify(password, dummy);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_rules_count_characters_not_bytes() {
        assert!(validate_new("short").is_some());
        assert!(validate_new("ééééééééééé").is_some()); // 11 chars
        assert!(validate_new("éééééééééééé").is_none()); // 12 chars
        assert!(validate_new(&"a".repeat(128)).is_none());
        assert!(validate_new(&"a".repeat(129)).is_some());
    }

    #[test]
    fn long_passwords_are_not_truncated() {
        let a = format!("{}{}", "x".repeat(100), "A");
        let b = format!("{}{}", "x".repeat(100), "B");
        let h = hash(&a, 4).unwrap();
        assert!(verify(&a, &h));
        assert!(!verify(&b, &h));
    }

    #[test]
    fn prehash_is_standard_base64_of_sha256() {
        // SHA-256("abc") in base64.
        assert_eq!(
            prehash("abc"),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
    }
}
