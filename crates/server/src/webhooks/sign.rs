//! Standard Webhooks signatures: `v1,` and the base64 of HMAC-SHA256 over
//! `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the secret's bytes (`whsec_` and
//! their base64). Several signatures go space-separated; a receiver accepts any one.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

const PREFIX: &str = "whsec_";
/// Bytes of a new secret: the specification asks for 24 to 64.
const SECRET_BYTES: usize = 32;

/// A fresh secret from the operating system's random source.
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{PREFIX}{}", STANDARD.encode(bytes))
}

/// The `webhook-signature` of `body` sent as `id` at `timestamp`, one signature for each
/// secret (the current one, and the one before while it still signs).
pub fn signatures(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .filter_map(|secret| {
            let key = STANDARD.decode(secret.strip_prefix(PREFIX)?).ok()?;
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
            mac.update(format!("{id}.{timestamp}.").as_bytes());
            mac.update(body);
            Some(format!(
                "v1,{}",
                STANDARD.encode(mac.finalize().into_bytes())
            ))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the specification's reference implementations (svix's libraries,
    /// `standardwebhooks`' test suite): this secret, id, time and body sign to this.
    #[test]
    fn a_signature_is_the_specifications_own_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signatures(&[secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        let two = signatures(&[secret, &new_secret()], "msg_1", 1, b"{}");
        assert_eq!(two.split(' ').count(), 2);
        assert!(new_secret().starts_with(PREFIX));
        assert_ne!(new_secret(), new_secret());
        assert_eq!(signatures(&["not-a-secret"], "m", 1, b""), "");
    }
}
