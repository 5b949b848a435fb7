//! Content encryption (RFC 7518 §5): AES-GCM, and AES-CBC with HMAC-SHA2 (encrypt-then-MAC).

use aes::cipher::{BlockCipher, BlockDecryptMut, BlockEncryptMut, KeyInit, KeyIvInit};
use aes::{Aes128, Aes192, Aes256};
use aes_gcm::aead::AeadInPlace;
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::{Aes128Gcm, Aes256Gcm, AesGcm};
use cbc::cipher::block_padding::Pkcs7;
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384, Sha512};

use crate::{ContentEnc, Error};

type Aes192Gcm = AesGcm<Aes192, U12>;
const GCM_TAG_LEN: usize = 16;

/// The largest plaintext a JWE is made of: 16 MiB. A compact JWE travels in URLs and headers, so
/// nothing near this is sane, and it keeps far below AES-GCM's own limit (2^36 - 32 bytes), which
/// would otherwise be a panic.
pub const MAX_PLAINTEXT_BYTES: usize = 16 * 1024 * 1024;

pub(crate) struct Sealed {
    pub ciphertext: Vec<u8>,
    pub tag: Vec<u8>,
}

/// Encrypts and authenticates. `cek` and `iv` have the lengths `enc` requires (the caller makes
/// them); a plaintext over `MAX_PLAINTEXT_BYTES` is refused before any work.
pub(crate) fn seal(
    enc: ContentEnc,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Sealed, Error> {
    if plaintext.len() > MAX_PLAINTEXT_BYTES {
        return Err(Error::PlaintextTooLong {
            len: plaintext.len(),
            max: MAX_PLAINTEXT_BYTES,
        });
    }
    let sealed = match enc {
        ContentEnc::A128Gcm => gcm_seal::<Aes128Gcm>(cek, iv, aad, plaintext),
        ContentEnc::A192Gcm => gcm_seal::<Aes192Gcm>(cek, iv, aad, plaintext),
        ContentEnc::A256Gcm => gcm_seal::<Aes256Gcm>(cek, iv, aad, plaintext),
        ContentEnc::A128CbcHs256 => cbc_hs_seal::<Aes128, Hmac<Sha256>>(cek, iv, aad, plaintext),
        ContentEnc::A192CbcHs384 => cbc_hs_seal::<Aes192, Hmac<Sha384>>(cek, iv, aad, plaintext),
        ContentEnc::A256CbcHs512 => cbc_hs_seal::<Aes256, Hmac<Sha512>>(cek, iv, aad, plaintext),
    };
    Ok(sealed)
}

/// Checks the tag and decrypts. Every failure, including a wrong-sized IV or tag, is the same
/// `DecryptionFailed`.
pub(crate) fn open(
    enc: ContentEnc,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>, Error> {
    if cek.len() != enc.cek_len() || iv.len() != enc.iv_len() {
        return Err(Error::DecryptionFailed);
    }
    match enc {
        ContentEnc::A128Gcm => gcm_open::<Aes128Gcm>(cek, iv, aad, ciphertext, tag),
        ContentEnc::A192Gcm => gcm_open::<Aes192Gcm>(cek, iv, aad, ciphertext, tag),
        ContentEnc::A256Gcm => gcm_open::<Aes256Gcm>(cek, iv, aad, ciphertext, tag),
        ContentEnc::A128CbcHs256 => {
            cbc_hs_open::<Aes128, Hmac<Sha256>>(cek, iv, aad, ciphertext, tag)
        }
        ContentEnc::A192CbcHs384 => {
            cbc_hs_open::<Aes192, Hmac<Sha384>>(cek, iv, aad, ciphertext, tag)
        }
        ContentEnc::A256CbcHs512 => {
            cbc_hs_open::<Aes256, Hmac<Sha512>>(cek, iv, aad, ciphertext, tag)
        }
    }
}

fn gcm_seal<C: AeadInPlace + KeyInit>(cek: &[u8], iv: &[u8], aad: &[u8], pt: &[u8]) -> Sealed {
    let cipher = C::new_from_slice(cek).expect("CEK length matches the GCM key size");
    let mut buffer = pt.to_vec();
    let tag = cipher
        .encrypt_in_place_detached(GenericArray::from_slice(iv), aad, &mut buffer)
        .expect("seal keeps plaintexts far below the AES-GCM length limit");
    Sealed {
        ciphertext: buffer,
        tag: tag.to_vec(),
    }
}

fn gcm_open<C: AeadInPlace + KeyInit>(
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>, Error> {
    if tag.len() != GCM_TAG_LEN {
        return Err(Error::DecryptionFailed);
    }
    let cipher = C::new_from_slice(cek).map_err(|_| Error::DecryptionFailed)?;
    let mut buffer = ciphertext.to_vec();
    cipher
        .decrypt_in_place_detached(
            GenericArray::from_slice(iv),
            aad,
            &mut buffer,
            GenericArray::from_slice(tag),
        )
        .map_err(|_| Error::DecryptionFailed)?;
    Ok(buffer)
}

/// RFC 7518 §5.2.2.1: M = HMAC(MAC_KEY, AAD || IV || C || AL), AL = bit length of AAD, 64-bit
/// big-endian. The caller keeps the first half of M as the tag.
fn cbc_hs_mac<M: Mac + KeyInit>(mac_key: &[u8], aad: &[u8], iv: &[u8], ciphertext: &[u8]) -> M {
    let mut mac = <M as Mac>::new_from_slice(mac_key).expect("HMAC takes keys of any length");
    mac.update(aad);
    mac.update(iv);
    mac.update(ciphertext);
    mac.update(&((aad.len() as u64) * 8).to_be_bytes());
    mac
}

fn cbc_hs_seal<C, M>(cek: &[u8], iv: &[u8], aad: &[u8], plaintext: &[u8]) -> Sealed
where
    C: BlockCipher + BlockEncryptMut + KeyInit,
    M: Mac + KeyInit,
{
    let (mac_key, enc_key) = cek.split_at(cek.len() / 2);
    let ciphertext = cbc::Encryptor::<C>::new_from_slices(enc_key, iv)
        .expect("key and IV lengths match the AES-CBC variant")
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    let full = cbc_hs_mac::<M>(mac_key, aad, iv, &ciphertext)
        .finalize()
        .into_bytes();
    Sealed {
        tag: full[..mac_key.len()].to_vec(),
        ciphertext,
    }
}

fn cbc_hs_open<C, M>(
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>, Error>
where
    C: BlockCipher + BlockDecryptMut + KeyInit,
    M: Mac + KeyInit,
{
    let (mac_key, enc_key) = cek.split_at(cek.len() / 2);
    if tag.len() != mac_key.len() {
        return Err(Error::DecryptionFailed);
    }
    // Authenticate before decrypting (constant-time compare), so padding is never an oracle.
    cbc_hs_mac::<M>(mac_key, aad, iv, ciphertext)
        .verify_truncated_left(tag)
        .map_err(|_| Error::DecryptionFailed)?;
    cbc::Decryptor::<C>::new_from_slices(enc_key, iv)
        .map_err(|_| Error::DecryptionFailed)?
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .map_err(|_| Error::DecryptionFailed)
}
