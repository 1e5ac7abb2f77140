//! `seal`: sign the disclosure, encrypt it once under a fresh content key, and wrap that
//! key for each recipient (spec/envelope.md §5); profile v2 when the sender states its ledger
//! head (§15), v1 otherwise.

use std::fmt;

use hkdf::Hkdf;
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::error::SealError;
use super::labels;
use super::limits::EnvelopeLimits;
use super::metadata::{Disclosure, EnvelopeId, LedgerHead, Metadata, sorted_tokens};
use super::{ENVELOPE_ID_LEN, KEY_COMMITMENT_INFO, KEY_COMMITMENT_LEN, Profile};
use crate::codec::{self, Map, Value};
use crate::cose::{self, HpkeParams, ProtectedHeader, Recipient, alg, label};
use crate::keys::{AgencyKeys, PublicBundle};

// ---------------------------------------------------------------------------------------------
// Building blocks (`pub` in a crate-private module: tests and the vector generator assemble
// hostile envelopes from the same parts through `divex_core::testing`; they are not API).

/// `HKDF-SHA256(salt = empty, ikm = CEK, info = "divex/v1 key commitment", L = 32)`.
pub fn key_commitment(cek: &[u8]) -> [u8; KEY_COMMITMENT_LEN] {
    let hk = Hkdf::<Sha256>::new(None, cek);
    let mut out = [0u8; KEY_COMMITMENT_LEN];
    // 32 bytes is far below HKDF-SHA256's 8160-byte maximum.
    let _ = hk.expand(KEY_COMMITMENT_INFO, &mut out);
    out
}

/// SHA-256 of the encoded recipients array: layer 0's `external_aad`.
pub fn recipients_digest(recipients: &[Recipient]) -> [u8; 32] {
    let v = Value::Array(recipients.iter().map(Recipient::to_value).collect());
    Sha256::digest(codec::encode(&v)).into()
}

/// Signs `payload` with `metadata` as the inner `COSE_Sign1`; returns its encoding.
pub fn sign_inner(
    sender: &AgencyKeys,
    metadata: &Metadata,
    commitment: &[u8; KEY_COMMITMENT_LEN],
    payload: &[u8],
) -> Vec<u8> {
    let protected = ProtectedHeader::new(
        metadata.to_protected_map(&sender.public().signing().kid(), commitment),
    );
    let signature = sender.sign(&cose::sig_structure(protected.as_bytes(), &[], payload));
    // Sign1 { protected, unprotected: {}, payload, signature }.to_bytes(), without copying the
    // payload into a Sign1 first.
    cose::encode_sign1(protected.as_bytes(), &Map::new(), payload, &signature)
}

/// One HPKE-4-KE recipient carrying `cek` for `recipient`.
pub fn wrap_for<R: CryptoRng>(
    recipient: &PublicBundle,
    cek: &[u8],
    rng: &mut R,
) -> Result<Recipient, SealError> {
    let enc = recipient.encryption();
    let mut pm = Map::new();
    let _ = pm.insert(Value::from(label::ALG), Value::from(alg::HPKE_4_KE));
    let _ = pm.insert(Value::from(label::KID), Value::bytes(enc.kid().as_bytes()));
    let protected = ProtectedHeader::new(pm);
    let (ek, ciphertext) = cose::hpke_wrap(
        enc,
        protected.as_bytes(),
        alg::CHACHA20_POLY1305,
        HpkeParams::default(),
        cek,
        rng,
    )
    .map_err(|_| SealError::Crypto)?;
    let mut um = Map::new();
    let _ = um.insert(Value::from(label::EK), Value::bytes(ek));
    Ok(Recipient {
        protected,
        unprotected: um,
        ciphertext,
    })
}

/// Layer 0's protected header of `profile` (spec/envelope.md §5.4): `{1: 24, -65537: kc}`,
/// and from v2 on the profile marker `-65546: 2`.
pub fn content_protected(commitment: &[u8; KEY_COMMITMENT_LEN], profile: Profile) -> Map {
    let mut pm = Map::new();
    let _ = pm.insert(Value::from(label::ALG), Value::from(alg::CHACHA20_POLY1305));
    let _ = pm.insert(
        Value::from(labels::KEY_COMMITMENT),
        Value::bytes(commitment),
    );
    if profile.has_marker() {
        let _ = pm.insert(Value::from(labels::PROFILE), Value::from(profile.number()));
    }
    pm
}

/// Encrypts `inner` under `cek` as a profile v1 layer 0 for the given (already sorted)
/// recipients.
pub fn encrypt_layer<R: CryptoRng>(
    inner: &[u8],
    cek: &[u8],
    commitment: &[u8; KEY_COMMITMENT_LEN],
    recipients: Vec<Recipient>,
    rng: &mut R,
) -> Result<Vec<u8>, SealError> {
    encrypt_layer_with(
        content_protected(commitment, Profile::V1),
        inner,
        cek,
        recipients,
        rng,
    )
}

/// Encrypts `inner` under `cek` as layer 0 with the protected header `protected` (normally
/// [`content_protected`]) for the given (already sorted) recipients.
pub fn encrypt_layer_with<R: CryptoRng + ?Sized>(
    protected: Map,
    inner: &[u8],
    cek: &[u8],
    recipients: Vec<Recipient>,
    rng: &mut R,
) -> Result<Vec<u8>, SealError> {
    let protected = ProtectedHeader::new(protected);
    let mut iv = [0u8; cose::IV_LEN];
    rng.fill_bytes(&mut iv);
    // The recipients array is encoded once: its SHA-256 is layer 0's external_aad, and the
    // same bytes end the envelope.
    let encoded_recipients = codec::encode(&Value::Array(
        recipients.iter().map(Recipient::to_value).collect(),
    ));
    let digest: [u8; 32] = Sha256::digest(&encoded_recipients).into();
    let aad = cose::enc_structure(protected.as_bytes(), &digest);
    let ciphertext = cose::aead_seal(cek, &iv, &aad, inner).map_err(|_| SealError::Crypto)?;
    let mut um = Map::new();
    let _ = um.insert(Value::from(label::IV), Value::bytes(iv));
    Ok(cose::encode_encrypt(
        protected.as_bytes(),
        &um,
        &ciphertext,
        &encoded_recipients,
    ))
}

// ---------------------------------------------------------------------------------------------
// seal

/// Options for [`seal`].
#[derive(Default)]
pub struct SealOptions<'a> {
    /// Size bounds (capped at `EnvelopeLimits::SAFE_MAX`); the default is
    /// `EnvelopeLimits::DEFAULT`, what every recipient accepts by default.
    pub limits: EnvelopeLimits,
    /// The CSPRNG for the content key, envelope id, IV and ephemeral keys; `None` (the
    /// default) uses the operating system's. A seeded generator is for reproducible test
    /// vectors only.
    pub rng: Option<&'a mut dyn CryptoRng>,
    /// The sender's ledger head before this disclosure is recorded: `Some` seals profile v2
    /// with the head signed in (spec/envelope.md §15), `None` (the default) profile v1.
    pub ledger_head: Option<LedgerHead>,
}

impl fmt::Debug for SealOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealOptions")
            .field("limits", &self.limits)
            .field("rng", &if self.rng.is_some() { "caller's" } else { "OS" })
            .field("ledger_head", &self.ledger_head)
            .finish()
    }
}

/// A sealed envelope and the metadata it carries, so that the sender can record the
/// disclosure without restating it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedEnvelope {
    /// The envelope bytes.
    pub bytes: Vec<u8>,
    /// The signed metadata: envelope id, issue time, audience and the sender's statement
    /// (labels and redacted fields sorted and de-duplicated, as signed).
    pub metadata: Metadata,
}

/// Seals `payload` from `sender` to `recipients`: signs it with `disclosure` as the signed
/// metadata, encrypts it once under a fresh content key, and wraps that key for each
/// recipient (spec/envelope.md §5). `now` is the issue time, seconds since the Unix epoch.
pub fn seal(
    sender: &AgencyKeys,
    recipients: &[PublicBundle],
    disclosure: &Disclosure,
    payload: &[u8],
    now: u64,
    options: SealOptions<'_>,
) -> Result<SealedEnvelope, SealError> {
    let limits = options.limits.clamped();
    let head = options.ledger_head;
    match options.rng {
        Some(rng) => seal_with(
            sender, recipients, disclosure, head, payload, now, limits, rng,
        ),
        None => seal_with(
            sender,
            recipients,
            disclosure,
            head,
            payload,
            now,
            limits,
            &mut crate::rng::os(),
        ),
    }
}

#[allow(clippy::too_many_arguments)] // `seal`'s arguments, unpacked once
fn seal_with(
    sender: &AgencyKeys,
    recipients: &[PublicBundle],
    disclosure: &Disclosure,
    ledger_head: Option<LedgerHead>,
    payload: &[u8],
    now: u64,
    limits: EnvelopeLimits,
    mut rng: &mut dyn CryptoRng,
) -> Result<SealedEnvelope, SealError> {
    disclosure.validate()?;
    if let Some(head) = &ledger_head {
        head.validate()?;
    }
    if recipients.is_empty() {
        return Err(SealError::NoRecipients);
    }
    if recipients.len() > limits.max_recipients {
        return Err(SealError::TooManyRecipients {
            count: recipients.len(),
            limit: limits.max_recipients,
        });
    }
    let mut sorted: Vec<&PublicBundle> = recipients.iter().collect();
    sorted.sort_by_key(|b| b.encryption().kid());
    for w in sorted.windows(2) {
        if let [a, b] = w
            && a.encryption().kid() == b.encryption().kid()
        {
            return Err(SealError::DuplicateRecipient {
                kid: a.encryption().kid(),
            });
        }
    }
    // Rough size bound before doing any work: payload, fixed headers, ~150 bytes a recipient.
    let estimate = payload.len() + 1024 + 160 * sorted.len();
    if estimate > limits.max_envelope_bytes {
        return Err(SealError::TooLarge {
            size: estimate,
            limit: limits.max_envelope_bytes,
        });
    }

    let mut cek = Zeroizing::new([0u8; cose::CEK_LEN]);
    rng.fill_bytes(cek.as_mut());
    let commitment = key_commitment(cek.as_ref());
    let mut id = [0u8; ENVELOPE_ID_LEN];
    rng.fill_bytes(&mut id);

    let metadata = Metadata {
        envelope_id: EnvelopeId(id),
        issued_at: now,
        audience: sorted.iter().map(|b| b.encryption().kid()).collect(),
        disclosure: Disclosure {
            labels: sorted_tokens(&disclosure.labels),
            redacted: sorted_tokens(&disclosure.redacted),
            ..disclosure.clone()
        },
        ledger_head,
    };
    let inner = sign_inner(sender, &metadata, &commitment, payload);
    let stanzas = sorted
        .iter()
        .map(|b| wrap_for(b, cek.as_ref(), &mut rng))
        .collect::<Result<Vec<_>, _>>()?;
    let bytes = encrypt_layer_with(
        content_protected(&commitment, metadata.profile()),
        &inner,
        cek.as_ref(),
        stanzas,
        &mut rng,
    )?;
    // Never hand out an envelope that `open` would refuse as too large.
    if bytes.len() > limits.max_envelope_bytes {
        return Err(SealError::TooLarge {
            size: bytes.len(),
            limit: limits.max_envelope_bytes,
        });
    }
    Ok(SealedEnvelope { bytes, metadata })
}
