//! The COSE-HPKE encryption layer on its own, for interoperability with other COSE
//! implementations (python-cwt, the draft's test vectors): `divex_core::cose_hpke`, a tagged
//! `COSE_Encrypt` with ChaCha20/Poly1305 content encryption (alg 24) and HPKE-4-KE recipients
//! (alg 50), without the divex envelope profile (no signature, key commitment or audience).

use std::sync::Arc;

use divex_core::keys::EncryptionPublicKey;
use divex_core::testing::cose_hpke;

use crate::error::Result;
use crate::keys::EncryptionKeyPair;

/// Encrypts `plaintext` to one X25519 public key as a tagged `COSE_Encrypt` whose one
/// recipient's `kid` is the divex key id of `recipient_public_key` (spec/envelope.md §3.2);
/// the HPKE `info` is the draft's `Recipient_structure` with empty `recipient_extra_info`,
/// the HPKE `aad` is empty.
#[uniffi::export(default(external_aad))]
pub fn hpke_encrypt(
    recipient_public_key: Vec<u8>,
    plaintext: Vec<u8>,
    external_aad: Vec<u8>,
) -> Result<Vec<u8>> {
    let recipient = EncryptionPublicKey::from_bytes(&recipient_public_key)?;
    Ok(cose_hpke::encrypt(
        &recipient,
        &plaintext,
        &external_aad,
        &mut divex_core::testing::rng::os(),
    )?)
}

/// Decrypts a tagged `COSE_Encrypt` (strict deterministic CBOR) whose layer 0 is
/// ChaCha20/Poly1305 (24) and whose recipient identified by `kid` is HPKE-4-KE (50), with
/// `key`. `extra_info` is the Recipient_structure's `recipient_extra_info` and `hpke_aad` the
/// HPKE `aad` (both empty unless the sender set them).
// One `default(..)` per argument: a bare name (the type's default, empty bytes) is accepted
// only last in a list.
#[uniffi::export(default(external_aad), default(extra_info), default(hpke_aad))]
pub fn hpke_decrypt(
    cose_encrypt: Vec<u8>,
    key: Arc<EncryptionKeyPair>,
    kid: Vec<u8>,
    external_aad: Vec<u8>,
    extra_info: Vec<u8>,
    hpke_aad: Vec<u8>,
) -> Result<Vec<u8>> {
    let plaintext = cose_hpke::decrypt(
        &cose_encrypt,
        &key.inner,
        &kid,
        &external_aad,
        &extra_info,
        &hpke_aad,
    )?;
    Ok(plaintext.to_vec())
}
