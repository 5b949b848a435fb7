//! PBKDF2 with HMAC-SHA-2 (RFC 8018 §5.2 over RFC 2104), composed on OpenSSL's SHA-2 block
//! functions so that each iteration costs two compressions and almost nothing else.
//!
//! Why not the `pbkdf2` crate: it is correct, but RustCrypto's SHA-512 compresses one block at
//! about 0.6 of the rate OpenSSL reaches on this x86-64 (AVX2) class of machine, and a token at
//! the production count is 27,204 one-block compressions (`BENCHMARKS.md` has the figures).
//! The primitive stays audited: libcrypto's block function, reached through `SHA*_Update` with
//! whole blocks on an empty buffer. Only the composition is written here, and the tests hold it
//! to RFC vectors and to the `pbkdf2` crate on random inputs.
//!
//! This is the one module of the workspace with `unsafe` code: FFI calls into libcrypto.
#![allow(unsafe_code)]

use openssl_sys as ffi;

use crate::KeyAlg;

/// The largest block (SHA-384/512) and digest (SHA-512) of the family, for stack buffers.
const MAX_BLOCK: usize = 128;
const MAX_OUTPUT: usize = 64;

/// Fills `out` with PBKDF2-HMAC-SHA-2 of `password` and `salt`, the hash chosen by `alg`.
/// A count of 0 is read as 1, as the `pbkdf2` crate does.
pub(crate) fn pbkdf2_hmac(
    alg: KeyAlg,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out: &mut [u8],
) {
    match alg {
        KeyAlg::Pbes2Hs256A128Kw => derive::<Sha256>(password, salt, iterations, out),
        KeyAlg::Pbes2Hs384A192Kw => derive::<Sha384>(password, salt, iterations, out),
        KeyAlg::Pbes2Hs512A256Kw => derive::<Sha512>(password, salt, iterations, out),
    }
}

/// A SHA-2 function as HMAC needs it: a running state that can also take one whole block
/// straight into its chaining value, and give that value back as the digest's bytes.
trait BlockHash: Clone {
    const BLOCK: usize;
    const OUTPUT: usize;
    /// Bytes of the message-length field that ends the padding (RFC 6234 §4).
    const LENGTH_FIELD: usize;

    fn new() -> Self;
    fn update(&mut self, data: &[u8]);
    fn finish(self, out: &mut [u8]);
    /// One compression of `block` (exactly `BLOCK` bytes). Only on a state whose buffer is
    /// empty, which every state here is: each has absorbed whole blocks only.
    fn compress(&mut self, block: &[u8]);
    fn set_chaining(&mut self, from: &Self);
    /// The first `OUTPUT` bytes of the chaining value, big-endian: the digest once a padded
    /// last block has been compressed.
    fn chaining_bytes(&self, out: &mut [u8]);
}

fn derive<H: BlockHash>(password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8]) {
    // HMAC's key block: the password, or its digest when longer than a block, zero-padded.
    let mut key = [0u8; MAX_BLOCK];
    if password.len() > H::BLOCK {
        let mut hash = H::new();
        hash.update(password);
        hash.finish(&mut key[..H::OUTPUT]);
    } else {
        key[..password.len()].copy_from_slice(password);
    }
    let keyed = |pad: u8| {
        let mut block = [0u8; MAX_BLOCK];
        for (b, k) in block.iter_mut().zip(&key[..H::BLOCK]) {
            *b = k ^ pad;
        }
        let mut hash = H::new();
        hash.compress(&block[..H::BLOCK]);
        hash
    };
    let inner = keyed(0x36);
    let outer = keyed(0x5c);

    // From U2 on, both hashes read an OUTPUT-byte message after the key block, so each is
    // one block: the message, 0x80, zeros, and the length in bits of key block + message.
    let mut inner_block = [0u8; MAX_BLOCK];
    let mut outer_block = [0u8; MAX_BLOCK];
    for block in [&mut inner_block, &mut outer_block] {
        block[H::OUTPUT] = 0x80;
        let bits = ((H::BLOCK + H::OUTPUT) * 8) as u64;
        block[H::BLOCK - 8..H::BLOCK].copy_from_slice(&bits.to_be_bytes());
    }
    debug_assert!(H::OUTPUT < H::BLOCK - H::LENGTH_FIELD);

    let mut work = inner.clone();
    for (index, chunk) in out.chunks_mut(H::OUTPUT).enumerate() {
        // U1 = HMAC(P, S || INT(i)): the salt has any length, so the inner hash runs whole.
        let mut hash = inner.clone();
        hash.update(salt);
        hash.update(&(index as u32 + 1).to_be_bytes());
        hash.finish(&mut outer_block[..H::OUTPUT]);
        work.set_chaining(&outer);
        work.compress(&outer_block[..H::BLOCK]);
        work.chaining_bytes(&mut inner_block[..H::OUTPUT]);

        let mut sum = [0u8; MAX_OUTPUT];
        sum[..H::OUTPUT].copy_from_slice(&inner_block[..H::OUTPUT]);
        for _ in 1..iterations {
            work.set_chaining(&inner);
            work.compress(&inner_block[..H::BLOCK]);
            work.chaining_bytes(&mut outer_block[..H::OUTPUT]);
            work.set_chaining(&outer);
            work.compress(&outer_block[..H::BLOCK]);
            work.chaining_bytes(&mut inner_block[..H::OUTPUT]);
            for (s, u) in sum.iter_mut().zip(&inner_block[..H::OUTPUT]) {
                *s ^= u;
            }
        }
        chunk.copy_from_slice(&sum[..chunk.len()]);
    }
}

/// SHA-512 on libcrypto; SHA-384 is the same state with its own start and a shorter digest.
#[derive(Clone)]
struct Sha512(ffi::SHA512_CTX);
#[derive(Clone)]
struct Sha384(Sha512);
#[derive(Clone)]
struct Sha256(ffi::SHA256_CTX);

impl Sha512 {
    fn started(init: unsafe extern "C" fn(*mut ffi::SHA512_CTX) -> std::ffi::c_int) -> Self {
        // SAFETY: the context is plain integers, so zeroes are a valid value for `init` to
        // overwrite; `init` only writes into the context it is given.
        unsafe {
            let mut ctx: ffi::SHA512_CTX = std::mem::zeroed();
            init(&mut ctx);
            Sha512(ctx)
        }
    }
}

impl BlockHash for Sha512 {
    const BLOCK: usize = 128;
    const OUTPUT: usize = 64;
    const LENGTH_FIELD: usize = 16;

    fn new() -> Self {
        Sha512::started(ffi::SHA512_Init)
    }
    fn update(&mut self, data: &[u8]) {
        // SAFETY: a context made by `SHA512_Init`, and `data` is valid for its length.
        unsafe { ffi::SHA512_Update(&mut self.0, data.as_ptr().cast(), data.len()) };
    }
    fn finish(mut self, out: &mut [u8]) {
        let mut digest = [0u8; 64];
        // SAFETY: `SHA512_Final` writes the context's digest length (64 for SHA-512, 48 for
        // SHA-384) into a buffer of 64.
        unsafe { ffi::SHA512_Final(digest.as_mut_ptr(), &mut self.0) };
        out.copy_from_slice(&digest[..out.len()]);
    }
    fn compress(&mut self, block: &[u8]) {
        debug_assert_eq!((block.len(), self.0.num), (Self::BLOCK, 0));
        self.update(block);
    }
    fn set_chaining(&mut self, from: &Self) {
        self.0.h = from.0.h;
    }
    fn chaining_bytes(&self, out: &mut [u8]) {
        for (bytes, word) in out.chunks_exact_mut(8).zip(self.0.h) {
            bytes.copy_from_slice(&word.to_be_bytes());
        }
    }
}

impl BlockHash for Sha384 {
    const BLOCK: usize = 128;
    const OUTPUT: usize = 48;
    const LENGTH_FIELD: usize = 16;

    fn new() -> Self {
        Sha384(Sha512::started(ffi::SHA384_Init))
    }
    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
    fn finish(self, out: &mut [u8]) {
        self.0.finish(out);
    }
    fn compress(&mut self, block: &[u8]) {
        self.0.compress(block);
    }
    fn set_chaining(&mut self, from: &Self) {
        self.0.set_chaining(&from.0);
    }
    fn chaining_bytes(&self, out: &mut [u8]) {
        self.0.chaining_bytes(out);
    }
}

impl BlockHash for Sha256 {
    const BLOCK: usize = 64;
    const OUTPUT: usize = 32;
    const LENGTH_FIELD: usize = 8;

    fn new() -> Self {
        // SAFETY: as for SHA-512: plain integers, overwritten by `SHA256_Init`.
        unsafe {
            let mut ctx: ffi::SHA256_CTX = std::mem::zeroed();
            ffi::SHA256_Init(&mut ctx);
            Sha256(ctx)
        }
    }
    fn update(&mut self, data: &[u8]) {
        // SAFETY: a context made by `SHA256_Init`, and `data` is valid for its length.
        unsafe { ffi::SHA256_Update(&mut self.0, data.as_ptr().cast(), data.len()) };
    }
    fn finish(mut self, out: &mut [u8]) {
        let mut digest = [0u8; 32];
        // SAFETY: `SHA256_Final` writes 32 bytes.
        unsafe { ffi::SHA256_Final(digest.as_mut_ptr(), &mut self.0) };
        out.copy_from_slice(&digest[..out.len()]);
    }
    fn compress(&mut self, block: &[u8]) {
        debug_assert_eq!((block.len(), self.0.num), (Self::BLOCK, 0));
        self.update(block);
    }
    fn set_chaining(&mut self, from: &Self) {
        self.0.h = from.0.h;
    }
    fn chaining_bytes(&self, out: &mut [u8]) {
        for (bytes, word) in out.chunks_exact_mut(4).zip(self.0.h) {
            bytes.copy_from_slice(&word.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const ALGS: [KeyAlg; 3] = [
        KeyAlg::Pbes2Hs256A128Kw,
        KeyAlg::Pbes2Hs384A192Kw,
        KeyAlg::Pbes2Hs512A256Kw,
    ];

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn derived(alg: KeyAlg, password: &[u8], salt: &[u8], iterations: u32, len: usize) -> String {
        let mut out = vec![0u8; len];
        pbkdf2_hmac(alg, password, salt, iterations, &mut out);
        hex(&out)
    }

    /// The reference: RustCrypto's `pbkdf2` crate, which this module replaced.
    fn reference(alg: KeyAlg, password: &[u8], salt: &[u8], iterations: u32, len: usize) -> String {
        let mut out = vec![0u8; len];
        match alg {
            KeyAlg::Pbes2Hs256A128Kw => {
                pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, &mut out)
            }
            KeyAlg::Pbes2Hs384A192Kw => {
                pbkdf2::pbkdf2_hmac::<sha2::Sha384>(password, salt, iterations, &mut out)
            }
            KeyAlg::Pbes2Hs512A256Kw => {
                pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password, salt, iterations, &mut out)
            }
        }
        hex(&out)
    }

    #[test]
    fn rfc_7914_pbkdf2_hmac_sha256_vectors() {
        // RFC 7914 §11.
        assert_eq!(
            derived(KeyAlg::Pbes2Hs256A128Kw, b"passwd", b"salt", 1, 64),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc\
             49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        );
        assert_eq!(
            derived(KeyAlg::Pbes2Hs256A128Kw, b"Password", b"NaCl", 80000, 64),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56\
             a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"
        );
    }

    #[test]
    fn published_pbkdf2_hmac_sha512_vectors() {
        // The RFC 6070 inputs with HMAC-SHA-512, as published with the PBKDF2-HMAC-SHA512
        // test vectors widely used by implementations (and reproduced by OpenSSL).
        assert_eq!(
            derived(KeyAlg::Pbes2Hs512A256Kw, b"password", b"salt", 1, 64),
            "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252\
             c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce"
        );
        assert_eq!(
            derived(KeyAlg::Pbes2Hs512A256Kw, b"password", b"salt", 2, 64),
            "e1d9c16aa681708a45f5c7c4e215ceb66e011a2e9f0040713f18aefdb866d53c\
             f76cab2868a39b9f7840edce4fef5a82be67335c77a6068e04112754f27ccf4e"
        );
        assert_eq!(
            derived(KeyAlg::Pbes2Hs512A256Kw, b"password", b"salt", 4096, 64),
            "d197b1b33db0143e018b12f3d1d1479e6cdebdcc97c5c0f87f6902e072f457b5\
             143f30602641b3d55cd335988cb36b84376060ecd532e039b742a239434af2d5"
        );
        assert_eq!(
            derived(
                KeyAlg::Pbes2Hs512A256Kw,
                b"passwordPASSWORDpassword",
                b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
                4096,
                64
            ),
            "8c0511f4c6e597c6ac6315d8f0362e225f3c501495ba23b868c005174dc4ee71\
             115b59f9e60cd9532fa33e0f75aefe30225c583a186cd82bd4daea9724a3d3b8"
        );
    }

    #[test]
    fn keys_longer_than_a_block_and_outputs_longer_than_a_digest_match_the_reference() {
        for alg in ALGS {
            for password_len in [0, 63, 64, 65, 127, 128, 129, 300] {
                let password = vec![0xa5u8; password_len];
                for len in [1, 16, 32, 48, 64, 65, 100, 200] {
                    assert_eq!(
                        derived(alg, &password, b"PBES2-salt\0x", 3, len),
                        reference(alg, &password, b"PBES2-salt\0x", 3, len),
                        "{alg} password of {password_len} bytes, {len} bytes out"
                    );
                }
            }
        }
    }

    #[test]
    fn a_count_of_zero_is_read_as_one() {
        for alg in ALGS {
            assert_eq!(
                derived(alg, b"p", b"s", 0, 32),
                derived(alg, b"p", b"s", 1, 32)
            );
        }
    }

    proptest! {
        #[test]
        fn matches_the_pbkdf2_crate(
            alg in proptest::sample::select(ALGS.to_vec()),
            password in proptest::collection::vec(any::<u8>(), 0..300),
            salt in proptest::collection::vec(any::<u8>(), 0..300),
            iterations in 1u32..40,
            len in 1usize..150,
        ) {
            prop_assert_eq!(
                derived(alg, &password, &salt, iterations, len),
                reference(alg, &password, &salt, iterations, len)
            );
        }
    }
}
