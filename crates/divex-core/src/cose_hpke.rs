//! The COSE-HPKE encryption layer on its own, for interoperability with other COSE
//! implementations (python-cwt, the draft's test vectors): a tagged `COSE_Encrypt` (tag 96)
//! with ChaCha20/Poly1305 content encryption (alg 24) and HPKE-4-KE recipients (alg 50,
//! draft-ietf-cose-hpke: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305, base
//! mode), **without** the divex envelope profile: no signature, key commitment or audience.
//!
//! Whole-message entry points over the crate's COSE structures (bytes in, bytes out), so the
//! bindings' interoperability checks and any other front end share one copy of the message
//! layout. Not API: divex's own messages are envelopes ([`crate::envelope`]); tests and the
//! foreign-language bindings' interop checks reach it through `divex_core::testing`.

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::codec::{self, DecodeLimits, Map, Value};
use crate::cose::{self, CoseError, Encrypt, HpkeParams, ProtectedHeader, Recipient, alg, label};
use crate::keys::{EncryptionKeyPair, EncryptionPublicKey};

/// Decoding bounds for a stand-alone `COSE_Encrypt`: those of the divex envelope
/// (spec/envelope.md §9).
const LIMITS: DecodeLimits = DecodeLimits {
    max_input: 16 * 1024 * 1024,
    max_depth: 8,
    max_items: 1024,
    max_string: 16 * 1024 * 1024,
};

/// Encrypts `plaintext` to one X25519 public key as a tagged `COSE_Encrypt`: layer 0
/// `{1: 24}` / `{5: iv}`, one recipient `{1: 50, 4: kid}` / `{-4: ek}` carrying the random
/// content key, where `kid` is the divex key id of `recipient` (spec/envelope.md §3.2). The
/// HPKE `info` is the draft's `Recipient_structure` with empty `recipient_extra_info`; the
/// HPKE `aad` is empty.
pub fn encrypt<R: CryptoRng>(
    recipient: &EncryptionPublicKey,
    plaintext: &[u8],
    external_aad: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, CoseError> {
    let mut cek = Zeroizing::new([0u8; cose::CEK_LEN]);
    let mut iv = [0u8; cose::IV_LEN];
    rng.fill_bytes(cek.as_mut());
    rng.fill_bytes(&mut iv);

    // Every map below has distinct constant keys: insertion cannot fail.
    let mut rp = Map::new();
    let _ = rp.insert(Value::from(label::ALG), Value::from(alg::HPKE_4_KE));
    let _ = rp.insert(
        Value::from(label::KID),
        Value::bytes(recipient.kid().as_bytes()),
    );
    let recipient_protected = ProtectedHeader::new(rp);
    let (ek, wrapped) = cose::hpke_wrap(
        recipient,
        recipient_protected.as_bytes(),
        alg::CHACHA20_POLY1305,
        HpkeParams::default(),
        cek.as_ref(),
        rng,
    )?;
    let mut ru = Map::new();
    let _ = ru.insert(Value::from(label::EK), Value::bytes(ek));

    let mut p = Map::new();
    let _ = p.insert(Value::from(label::ALG), Value::from(alg::CHACHA20_POLY1305));
    let protected = ProtectedHeader::new(p);
    let aad = cose::enc_structure(protected.as_bytes(), external_aad);
    let ciphertext = cose::aead_seal(cek.as_ref(), &iv, &aad, plaintext)?;
    let mut u = Map::new();
    let _ = u.insert(Value::from(label::IV), Value::bytes(iv));
    Ok(Encrypt {
        protected,
        unprotected: u,
        ciphertext,
        recipients: vec![Recipient {
            protected: recipient_protected,
            unprotected: ru,
            ciphertext: wrapped,
        }],
    }
    .to_bytes())
}

/// Decrypts a tagged `COSE_Encrypt` (strict deterministic CBOR, within the envelope's decoding
/// limits) whose layer 0 is ChaCha20/Poly1305 (24) and whose recipient identified by `kid` is
/// HPKE-4-KE (50), with `key`. `extra_info` is the Recipient_structure's
/// `recipient_extra_info` and `hpke_aad` the HPKE `aad` (both empty unless the sender set
/// them).
pub fn decrypt(
    cose_encrypt: &[u8],
    key: &EncryptionKeyPair,
    kid: &[u8],
    external_aad: &[u8],
    extra_info: &[u8],
    hpke_aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CoseError> {
    let v = codec::decode_with(cose_encrypt, &LIMITS)?;
    let msg = Encrypt::from_value(&v, true, &LIMITS)?;
    cose::decrypt_hpke_ke(
        &msg,
        key,
        kid,
        external_aad,
        HpkeParams {
            extra_info,
            hpke_aad,
        },
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::keys::AgencyKeys;

    #[test]
    fn round_trip_and_refusals_keep_their_classes() {
        use crate::error::Classified;

        let keys = AgencyKeys::generate();
        let pair = keys.encryption();
        let kid = pair.public().kid();
        let msg = encrypt(pair.public(), b"plain", b"aad", &mut crate::rng::os()).unwrap();
        let plain = decrypt(&msg, pair, kid.as_bytes(), b"aad", b"", b"").unwrap();
        assert_eq!(&plain[..], b"plain");

        let wrong_aad = decrypt(&msg, pair, kid.as_bytes(), b"other", b"", b"").unwrap_err();
        assert_eq!(wrong_aad.class(), "decrypt");
        let no_such_kid = decrypt(&msg, pair, b"nope", b"aad", b"", b"").unwrap_err();
        assert_eq!(no_such_kid.class(), "structure");
        let mut trailing = msg.clone();
        trailing.push(0);
        assert_eq!(
            decrypt(&trailing, pair, kid.as_bytes(), b"aad", b"", b"")
                .unwrap_err()
                .class(),
            "malformed"
        );
    }
}
