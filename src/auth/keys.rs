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

/// `text` (a request path, say) with every API key in it masked: anything shaped like a key this
/// daemon makes, and the caller's own key whatever its shape (a master key can be any string).
pub fn mask_keys<'a>(text: &'a str, presented: Option<&str>) -> std::borrow::Cow<'a, str> {
    let own = presented.filter(|k| k.len() >= 8 && text.contains(*k));
    if !text.contains(KEY_PREFIX) && own.is_none() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = match own {
        Some(key) if key.starts_with(KEY_PREFIX) => text.replace(key, &mask(key)),
        // A key of another shape has no public prefix to show.
        Some(key) => text.replace(key, "***"),
        None => text.to_string(),
    };
    let mut from = 0;
    while let Some(at) = out[from..].find(KEY_PREFIX).map(|i| i + from) {
        let body = at + KEY_PREFIX.len();
        let hex = out[body..]
            .bytes()
            .take_while(u8::is_ascii_hexdigit)
            .count();
        if hex > 5 {
            let masked = mask(&out[at..body + hex]);
            out.replace_range(at..body + hex, &masked);
            from = at + masked.len();
        } else {
            from = body;
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_paths_are_masked() {
        let key = generate_key();
        let path = format!("/api/sessions/{key}/messages");
        let masked = mask_keys(&path, None);
        assert!(!masked.contains(&key), "{masked}");
        assert!(masked.starts_with(&format!("/api/sessions/{}…", &key[..12])));
        assert!(masked.ends_with("/messages"));
        assert_eq!(
            mask_keys("/api/sessions/x/mysecretvalue", Some("mysecretvalue")),
            "/api/sessions/x/***"
        );
        assert_eq!(
            mask_keys("/api/sessions", Some("owa_k1_ab")),
            "/api/sessions"
        );
    }

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
