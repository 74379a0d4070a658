//! Key material: generation, hashing and constant-time comparison.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Every generated key starts with this, then 64 lowercase hex characters.
pub const KEY_PREFIX: &str = "owa_k1_";

/// A new random key: `owa_k1_` + 32 random bytes in hex.
pub fn generate_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{KEY_PREFIX}{}", hex::encode(bytes))
}

/// The stored form of a key: HMAC-SHA256 keyed with the pepper, or SHA-256 without one.
pub fn hash_key(key: &str, pepper: &str) -> String {
    if pepper.is_empty() {
        return hex::encode(Sha256::digest(key.as_bytes()));
    }
    match Hmac::<Sha256>::new_from_slice(pepper.as_bytes()) {
        Ok(mut mac) => {
            mac.update(key.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC accepts keys of any length; kept total rather than panicking.
        Err(_) => hex::encode(Sha256::digest(format!("{pepper}{key}").as_bytes())),
    }
}

/// Compares two hashes without leaking where they differ.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// The part of a key that may be shown again: its first 12 characters.
pub fn key_prefix(key: &str) -> String {
    key.chars().take(12).collect()
}

/// `owa_k1_abcd…` with the rest hidden, for the startup log on later starts.
pub fn mask(key: &str) -> String {
    format!("{}…", key_prefix(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_documented_shape() {
        let k = generate_key();
        assert_eq!(k.len(), 7 + 64);
        assert!(k.starts_with(KEY_PREFIX));
        assert!(k[7..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(k, generate_key());
    }

    #[test]
    fn pepper_changes_the_hash() {
        let k = "owa_k1_00";
        assert_eq!(hash_key(k, ""), hex::encode(Sha256::digest(k)));
        assert_ne!(hash_key(k, ""), hash_key(k, "pepper"));
        assert!(hashes_equal(&hash_key(k, "p"), &hash_key(k, "p")));
        assert!(!hashes_equal(&hash_key(k, "p"), &hash_key(k, "q")));
    }
}
