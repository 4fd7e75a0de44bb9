//! Visitor tokens: stateless, signed, carried in the `Authorization` header only.
//!
//! `hw1.<kid>.<payload>.<sig>`: `payload` is base64url (no padding) of the claims' JSON,
//! `sig` is base64url of HMAC-SHA256(secret, "hw1.<kid>.<payload>"), and `kid` names the
//! secret: the first 8 bytes of HMAC-SHA256(secret, "helpwire-relay key id"), hex. The first of
//! `token_secrets` signs; any of them verifies, so a new secret is put first and the old one
//! stays until the tokens it signed have expired. The payload is signed, not encrypted: the page
//! may read it (it holds nothing the page could use without the relay's secrets).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Longest token read, in bytes.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

const VERSION: &str = "hw1";

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Whether `expected_hex` is hex(HMAC-SHA256(key, message)), compared in constant time.
pub fn verify_hex(key: &[u8], message: &[u8], expected_hex: &str) -> bool {
    let Some(bytes) = from_hex(expected_hex.trim()) else {
        return false;
    };
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.verify_slice(&bytes).is_ok()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 128 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A backend session or conversation as the token carries it (the provider's `id` and `extra`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ref {
    pub id: String,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub x: serde_json::Value,
}

/// What a token says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The visitor id.
    pub v: String,
    /// The backend kind the token was made for (`gleap`, …).
    pub k: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// The site's user id, only when verified with `user_hash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub u: Option<String>,
    /// The backend identifier derived for the visitor (keyed hash of `v`).
    pub b: String,
    /// The backend session, once started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s: Option<Ref>,
    /// The conversations this visitor owns, oldest first.
    #[serde(default)]
    pub c: Vec<Ref>,
    /// What the page said about the visitor (name, email, custom data), for the backends that
    /// send it with later calls (Bancroft's conversation, the bot's every message).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub p: serde_json::Value,
}

impl Claims {
    pub fn owns(&self, conversation: &str) -> Option<&Ref> {
        self.c.iter().find(|c| c.id == conversation)
    }
}

/// Why a token was refused (all answer 401 `invalid_token`; the kind is for tests and debug logs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    UnknownKey,
    BadSignature,
    Expired,
}

/// Signs and verifies tokens with the configured secrets.
#[derive(Clone)]
pub struct Keys {
    keys: Vec<(String, Vec<u8>)>,
}

impl Keys {
    pub fn new(secrets: &[Vec<u8>]) -> Keys {
        Keys {
            keys: secrets
                .iter()
                .map(|s| (hex(&hmac(s, b"helpwire-relay key id")[..8]), s.clone()))
                .collect(),
        }
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let (kid, secret) = &self.keys[0];
        let payload = B64.encode(serde_json::to_vec(claims).expect("claims serialize"));
        let signed = format!("{VERSION}.{kid}.{payload}");
        let sig = B64.encode(hmac(secret, signed.as_bytes()));
        format!("{signed}.{sig}")
    }

    /// The claims of a well-signed token; expired ones are refused unless `now` is before
    /// `exp + grace` seconds.
    pub fn verify(&self, token: &str, now: u64, grace: u64) -> Result<Claims, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(version), Some(kid), Some(payload), Some(sig), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(TokenError::Malformed);
        };
        if version != VERSION {
            return Err(TokenError::Malformed);
        }
        let sig = B64.decode(sig).map_err(|_| TokenError::Malformed)?;
        let secret = self
            .keys
            .iter()
            .find(|(k, _)| k == kid)
            .map(|(_, s)| s)
            .ok_or(TokenError::UnknownKey)?;
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(format!("{version}.{kid}.{payload}").as_bytes());
        mac.verify_slice(&sig)
            .map_err(|_| TokenError::BadSignature)?;
        let bytes = B64.decode(payload).map_err(|_| TokenError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)?;
        if now >= claims.exp.saturating_add(grace) {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            v: "v_abc".into(),
            k: "gleap".into(),
            exp: 1000,
            u: None,
            b: "hw_x".into(),
            s: None,
            c: vec![Ref {
                id: "t1".into(),
                x: serde_json::Value::Null,
            }],
            p: serde_json::Value::Null,
        }
    }

    #[test]
    fn round_trip_rotation_and_refusals() {
        let old = Keys::new(&[b"old-secret-old-secret-old-secret-!".to_vec()]);
        let new = Keys::new(&[
            b"new-secret-new-secret-new-secret-!".to_vec(),
            b"old-secret-old-secret-old-secret-!".to_vec(),
        ]);
        let t = old.sign(&claims());
        assert_eq!(new.verify(&t, 10, 0), Ok(claims()));
        assert_eq!(
            old.verify(&new.sign(&claims()), 10, 0),
            Err(TokenError::UnknownKey)
        );
        assert_eq!(new.verify(&t, 1000, 0), Err(TokenError::Expired));
        assert!(new.verify(&t, 1000, 5).is_ok());
        let mut tampered = t.clone();
        tampered.pop();
        tampered.push(if t.ends_with('A') { 'B' } else { 'A' });
        assert!(new.verify(&tampered, 10, 0).is_err());
        assert_eq!(new.verify("garbage", 10, 0), Err(TokenError::Malformed));
    }

    #[test]
    fn identity_hash() {
        let h = hex(&hmac(b"k", b"u-1"));
        assert!(verify_hex(b"k", b"u-1", &h));
        assert!(verify_hex(b"k", b"u-1", &h.to_uppercase()));
        assert!(!verify_hex(b"k", b"u-2", &h));
        assert!(!verify_hex(b"k", b"u-1", "zz"));
    }

    /// The test vector the root README gives sites for their `user_hash` line (Node, Python).
    #[test]
    fn readme_identity_vector() {
        assert!(verify_hex(
            b"example-identity-secret-0123456789abcdef",
            b"u-42",
            "d685c769669bdf7dc2651b629b5334cd472ac8359acd5505702bd3db46ecb550"
        ));
    }
}
