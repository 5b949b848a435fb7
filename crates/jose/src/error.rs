/// Everything that can go wrong in this crate. No variant carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("a compact {kind} has {expected} parts separated by '.', this one has {found}")]
    PartCount {
        kind: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("the {part} part is empty")]
    EmptyPart { part: &'static str },
    #[error("the {part} part is not unpadded base64url")]
    Base64 { part: &'static str },
    #[error("the protected header is not a JSON object")]
    HeaderNotObject,
    #[error("the protected header member `{member}` is missing or not {expected}")]
    HeaderMember {
        member: &'static str,
        expected: &'static str,
    },
    #[error("unsupported `alg` `{0}`")]
    UnsupportedAlg(String),
    #[error("unsupported `enc` `{0}`")]
    UnsupportedEnc(String),
    #[error("`alg` `{0}` is not allowed here")]
    AlgNotAllowed(String),
    #[error("header member `{0}` is not supported")]
    UnsupportedMember(&'static str),
    #[error("PBES2 iteration count {got} is outside {min}..={max}")]
    IterationsOutOfBounds { got: u64, min: u32, max: u32 },
    #[error("PBES2 salt input of {got} bytes is outside {min}..={max}")]
    SaltOutOfBounds { got: usize, min: usize, max: usize },
    #[error("an HMAC key for {alg} needs at least {min} bytes, this one has {got}")]
    KeyTooShort {
        alg: &'static str,
        min: usize,
        got: usize,
    },
    #[error("the password is empty")]
    EmptyPassword,
    #[error("a plaintext of {len} bytes is over the {max}-byte limit of a compact JWE")]
    PlaintextTooLong { len: usize, max: usize },
    #[error("the range to draw the PBES2 {parameter} from is empty")]
    EmptyRange { parameter: &'static str },
    /// Wrong password, or any part changed after encryption: deliberately one answer.
    #[error("decryption failed")]
    DecryptionFailed,
    /// Wrong key, or header, payload or signature changed after signing.
    #[error("signature verification failed")]
    InvalidSignature,
}
