//! Minting and opening link tokens: a signed JWT (JWS) inside a PBES2 JWE, as the production
//! broker makes them.

use std::ops::RangeInclusive;

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use jose::{Header, JwsAlg, jwe, jws};
use rand::Rng;
use rand::distributions::Alphanumeric;
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha512;

use instant_connect::{
    AUDIENCE, FieldError, Flow, ITERATIONS, LinkPlan, Role, SALT_LENGTHS, Vertical,
};

const SHORT_KEY_LEN: usize = 7;

/// The claims inside every link, in the order they are written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub exp: i64,
    pub jti: String,
    pub role: Role,
    pub vt: Vertical,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<Flow>,
}

/// Why a token could not be opened. Callers show one "not valid" answer for all of them; the
/// reason is for logs (it never includes the token).
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("not decryptable: {0}")]
    Decrypt(jose::Error),
    #[error("content is not a JWT")]
    NotJwt,
    #[error("inner JWT: {0}")]
    Signature(jose::Error),
    #[error("claims: {0}")]
    Claims(String),
}

/// The PBES2 inputs a broker issues: each link gets a count and salt length drawn from these
/// ranges (production's by default), and a token whose header lies outside them is refused
/// before any key is derived, so a visitor cannot make the broker run a costlier PBKDF2 than
/// it ever issues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pbes2Range {
    pub iterations: RangeInclusive<u32>,
    pub salt_length: RangeInclusive<usize>,
}

impl Default for Pbes2Range {
    fn default() -> Self {
        Self {
            iterations: ITERATIONS,
            salt_length: SALT_LENGTHS,
        }
    }
}

impl Pbes2Range {
    /// The production ranges, with either value fixed where given.
    pub fn fixed(iterations: Option<u32>, salt_length: Option<usize>) -> Self {
        Self {
            iterations: iterations.map_or(ITERATIONS, |n| n..=n),
            salt_length: salt_length.map_or(SALT_LENGTHS, |n| n..=n),
        }
    }

    /// Brings a plan's own `iterations` and `saltLength` into this broker's ranges; each value
    /// moved is a warning (the request asked for what this broker does not issue).
    pub fn fit(&self, plan: &mut LinkPlan) -> Vec<FieldError> {
        let mut warnings = Vec::new();
        if let Some(asked) = plan.iterations.filter(|n| !self.iterations.contains(n)) {
            let used = asked.clamp(*self.iterations.start(), *self.iterations.end());
            warnings.push(outside("iterations", asked, used, &self.iterations));
            plan.iterations = Some(used);
        }
        if let Some(asked) = plan.salt_length.filter(|n| !self.salt_length.contains(n)) {
            let used = asked.clamp(*self.salt_length.start(), *self.salt_length.end());
            warnings.push(outside("saltLength", asked, used, &self.salt_length));
            plan.salt_length = Some(used);
        }
        warnings
    }

    fn decrypt_policy(&self) -> jwe::DecryptPolicy {
        jwe::DecryptPolicy {
            iterations: self.iterations.clone(),
            salt_input_len: self.salt_length.clone(),
        }
    }
}

fn outside<T: std::fmt::Display>(
    field: &str,
    asked: T,
    used: T,
    range: &RangeInclusive<T>,
) -> FieldError {
    FieldError::new(
        field,
        format!(
            "{asked} is outside what this broker issues ({}..={}); {used} was used",
            range.start(),
            range.end()
        ),
    )
}

/// A token just made, with the claims inside it.
#[derive(Debug, Clone)]
pub struct Minted {
    pub role: Role,
    pub cipher: String,
    pub claims: LinkClaims,
}

pub struct Minter {
    /// The PBES2 password, as its UTF-8 bytes.
    secret: SecretString,
    /// Signs the inner JWT; derived from the secret so that the two never coincide.
    signing_key: [u8; 64],
    org_id: String,
    range: Pbes2Range,
}

impl Minter {
    pub fn new(secret: SecretString, org_id: String, range: Pbes2Range) -> Self {
        let mut signing_key = [0u8; 64];
        Hkdf::<Sha512>::new(None, secret.expose_secret().as_bytes())
            .expand(b"icnode broker: inner JWT signing key v1", &mut signing_key)
            .expect("64 bytes is a valid HKDF-SHA512 output length");
        Self {
            secret,
            signing_key,
            org_id,
            range,
        }
    }

    pub fn org_id(&self) -> &str {
        &self.org_id
    }

    /// The PBES2 inputs this minter issues, and the only ones it opens.
    pub fn range(&self) -> &Pbes2Range {
        &self.range
    }

    /// One token for `role`, valid as `plan` says, with its own random salt, count and `jti`.
    pub fn mint(&self, plan: &LinkPlan, role: Role, now: i64) -> Result<Minted, jose::Error> {
        let claims = LinkClaims {
            iss: self.org_id.clone(),
            aud: AUDIENCE.to_owned(),
            sub: plan.sub.clone(),
            iat: now,
            nbf: plan.nbf,
            exp: plan.exp,
            jti: uuid::Uuid::new_v4().to_string(),
            role,
            vt: plan.vertical,
            flow: plan.flow.clone(),
        };
        let mut jwt_header = Header::new();
        jwt_header.insert("alg".into(), Value::Null);
        jwt_header.insert("typ".into(), "JWT".into());
        let payload = serde_json::to_vec(&claims).expect("claims serialize");
        let jwt = jws::sign(plan.jws_alg, &self.signing_key, &jwt_header, &payload)?;

        let pbes2 = jwe::Pbes2Params::random(
            plan.salt_length
                .map_or(self.range.salt_length.clone(), |n| n..=n),
            plan.iterations
                .map_or(self.range.iterations.clone(), |n| n..=n),
        )?;
        let params = jwe::Params {
            alg: plan.jwe_alg,
            enc: plan.enc,
            pbes2,
        };
        let cipher = jwe::encrypt(
            self.secret.expose_secret().as_bytes(),
            &params,
            &self.jwe_header(),
            jwt.as_bytes(),
        )?;
        Ok(Minted {
            role,
            cipher,
            claims,
        })
    }

    /// The role of every token a plan asks for: hosts first, then guests.
    pub fn roles(plan: &LinkPlan) -> impl Iterator<Item = Role> {
        std::iter::repeat_n(Role::Host, plan.num_host)
            .chain(std::iter::repeat_n(Role::Guest, plan.num_guest))
    }

    /// Decrypts and verifies a token of this broker's org. Validity in time is the caller's
    /// business (a join page answers 403 and 410; space details do not care).
    pub fn open(&self, cipher: &str) -> Result<LinkClaims, OpenError> {
        let decrypted = jwe::decrypt(
            self.secret.expose_secret().as_bytes(),
            cipher,
            &self.range.decrypt_policy(),
        )
        .map_err(OpenError::Decrypt)?;
        if decrypted.header.get("cty").and_then(Value::as_str) != Some("JWT") {
            return Err(OpenError::NotJwt);
        }
        let jwt = std::str::from_utf8(&decrypted.plaintext).map_err(|_| OpenError::NotJwt)?;
        let verified =
            jws::verify(&self.signing_key, jwt, JwsAlg::ALL).map_err(OpenError::Signature)?;
        let claims: LinkClaims = serde_json::from_slice(&verified.payload)
            .map_err(|e| OpenError::Claims(e.to_string()))?;
        if claims.iss != self.org_id || claims.aud != AUDIENCE {
            return Err(OpenError::Claims(
                "issued for another org or audience".into(),
            ));
        }
        Ok(claims)
    }

    /// The opaque access token space details hand out: stable per link, useless elsewhere.
    pub fn space_token(&self, claims: &LinkClaims) -> String {
        use base64::Engine;
        let mut mac = <Hmac<Sha512> as Mac>::new_from_slice(&self.signing_key)
            .expect("HMAC takes keys of any length");
        mac.update(b"space-token:");
        mac.update(claims.jti.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// The production broker's protected header: `p2s, p2c, aud, iss, cty, enc, alg`.
    fn jwe_header(&self) -> Header {
        let mut header = Header::new();
        for (name, value) in [
            ("p2s", Value::Null),
            ("p2c", Value::Null),
            ("aud", AUDIENCE.into()),
            ("iss", self.org_id.clone().into()),
            ("cty", "JWT".into()),
            ("enc", Value::Null),
            ("alg", Value::Null),
        ] {
            header.insert(name.into(), value);
        }
        header
    }
}

/// A fresh short key: 7 characters of [A-Za-z0-9] from the OS CSPRNG.
pub fn short_key() -> String {
    OsRng
        .sample_iter(&Alphanumeric)
        .take(SHORT_KEY_LEN)
        .map(char::from)
        .collect()
}
