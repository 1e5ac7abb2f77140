//! `open`: the checks of spec/envelope.md §7 in order; nothing is released until every one
//! passed.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::Profile;
use super::batch;
use super::error::OpenError;
use super::limits::EnvelopeLimits;
use super::metadata::Metadata;
use super::parse::{Inner, Outer, parse_inner, parse_outer};
use super::resolver::{ResolveError, SeenEnvelopes, Sender, SenderResolver};
use super::seal::{key_commitment, recipients_digest};
use crate::codec::{self, Value};
use crate::cose::{self, CoseError, HpkeParams, alg};
use crate::keys::AgencyKeys;

/// Options for [`open`] and [`open_many`].
#[derive(Clone, Copy)]
pub struct OpenOptions<'a> {
    /// Size bounds.
    pub limits: EnvelopeLimits,
    /// Replay hook; `None` skips the replay check.
    pub seen: Option<&'a dyn SeenEnvelopes>,
    /// How far in the future `issued_at` may be, in seconds (clock skew). Default 300.
    pub max_clock_skew: u64,
}

impl Default for OpenOptions<'_> {
    fn default() -> Self {
        OpenOptions {
            limits: EnvelopeLimits::DEFAULT,
            seen: None,
            max_clock_skew: 300,
        }
    }
}

impl fmt::Debug for OpenOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenOptions")
            .field("limits", &self.limits)
            .field("seen", &self.seen.is_some())
            .field("max_clock_skew", &self.max_clock_skew)
            .finish()
    }
}

/// A successfully opened envelope. Produced only when every check passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// Who signed it, as the resolver identified them.
    pub sender: Sender,
    /// The signed metadata.
    pub metadata: Metadata,
    /// The disclosure payload.
    pub payload: Vec<u8>,
    /// The exact signed inner `COSE_Sign1` bytes: non-repudiable evidence of what was sent.
    pub signed: Vec<u8>,
    /// SHA-256 of the whole envelope (what the ledgers of sender and recipients record).
    pub envelope_hash: [u8; 32],
}

// ---------------------------------------------------------------------------------------------
// open

/// Opens an envelope addressed to `me`, running every check of spec/envelope.md §7 in order;
/// the replay check (step 18) runs when `options.seen` is given. Nothing is released unless
/// every check passed.
pub fn open(
    envelope: &[u8],
    me: &AgencyKeys,
    senders: &dyn SenderResolver,
    now: u64,
    options: &OpenOptions<'_>,
) -> Result<Opened, OpenError> {
    verify(envelope, me, senders, now, options)?.release(options.seen)
}

/// Steps 1-16 of spec/envelope.md §7: everything but the consent (17) and the replay check
/// (18). The consent-scoped layer ([`crate::disclosure`]) runs its consent check between
/// this and [`Verified::release`], so that replay is checked once, in §7's order.
pub(crate) fn verify(
    envelope: &[u8],
    me: &AgencyKeys,
    senders: &dyn SenderResolver,
    now: u64,
    options: &OpenOptions<'_>,
) -> Result<Verified, OpenError> {
    let pending = open_to_signature(envelope, me, senders, now, options)?;
    // 13. verify_strict.
    pending
        .sender
        .key
        .verify(&pending.to_be_signed(), &pending.inner.sign1.signature)
        .map_err(|_| OpenError::BadSignature)?;
    pending.finish(envelope, now, options)
}

/// An envelope that passed steps 1-16 of spec/envelope.md §7. What it holds stays inside the
/// crate until [`Verified::release`] has run the replay check.
pub(crate) struct Verified(Opened);

impl Verified {
    /// The verified content, for the consent check of step 17.
    pub(crate) fn opened(&self) -> &Opened {
        &self.0
    }

    /// Steps 18 (replay, when a hook is given) and 19 (release).
    pub(crate) fn release(self, seen: Option<&dyn SeenEnvelopes>) -> Result<Opened, OpenError> {
        let envelope_id = self.0.metadata.envelope_id;
        if let Some(seen) = seen
            && seen.seen(&envelope_id)
        {
            return Err(OpenError::Replay { envelope_id });
        }
        Ok(self.0)
    }
}

/// Opens many envelopes addressed to `me`; element `i` of the result is exactly what
/// [`open`] returns for `envelopes[i]` (spec/envelope.md §6.6).
///
/// Steps 1-12 and 14-19 of spec/envelope.md §7 run per envelope as in [`open`]. Step 13,
/// the Ed25519 signature check, runs as one batch verification over every envelope that
/// reached it and whose signature the batch equation decides exactly as `verify_strict` does
/// (`R` and `A` torsion-free, `R` canonical and not the identity, `S` reduced); every other
/// signature, and every signature of a batch that fails, is verified on its own with
/// `verify_strict`, so a bad envelope is named individually and never takes good ones down
/// with it. Batching saves scalar multiplications in the signature check only; the X25519 of
/// each envelope's HPKE stanza is not batched (BENCHMARKS.md has what that means for
/// throughput).
pub fn open_many(
    envelopes: &[&[u8]],
    me: &AgencyKeys,
    senders: &dyn SenderResolver,
    now: u64,
    options: &OpenOptions<'_>,
) -> Vec<Result<Opened, OpenError>> {
    let pending: Vec<Result<Pending, OpenError>> = envelopes
        .iter()
        .map(|e| open_to_signature(e, me, senders, now, options))
        .collect();
    let messages: Vec<Option<Vec<u8>>> = pending
        .iter()
        .map(|p| p.as_ref().ok().map(Pending::to_be_signed))
        .collect();
    let items: Vec<batch::Item<'_>> = pending
        .iter()
        .zip(&messages)
        .filter_map(|(p, m)| match (p, m) {
            (Ok(p), Some(m)) => Some(batch::Item {
                key: &p.sender.key,
                message: m,
                signature: &p.inner.sign1.signature,
            }),
            _ => None,
        })
        .collect();
    let mut verdicts = batch::verify(&items, &mut crate::rng::os()).into_iter();
    pending
        .into_iter()
        .zip(envelopes)
        .map(|(p, envelope)| {
            let p = p?;
            // `items` holds one entry per envelope that reached step 13, in order.
            if verdicts.next() != Some(true) {
                return Err(OpenError::BadSignature);
            }
            p.finish(envelope, now, options)?.release(options.seen)
        })
        .collect()
}

/// An envelope that passed steps 1-12 of spec/envelope.md §7: the signature is next.
struct Pending {
    outer: Outer,
    inner: Inner,
    sender: Sender,
    inner_bytes: Zeroizing<Vec<u8>>,
}

impl Pending {
    /// The Sig_structure the inner signature must verify over (§6.1).
    fn to_be_signed(&self) -> Vec<u8> {
        self.inner.sign1.to_be_signed(&[])
    }

    /// Steps 14-16, once the signature verified.
    fn finish(
        self,
        envelope: &[u8],
        now: u64,
        options: &OpenOptions<'_>,
    ) -> Result<Verified, OpenError> {
        let Pending {
            outer,
            inner,
            sender,
            mut inner_bytes,
        } = self;
        // 14. Audience equals the outer recipient set (and so contains me).
        if inner.metadata.audience != outer.recipient_kids {
            return Err(OpenError::AudienceMismatch);
        }
        // 15. The signed commitment equals the outer one.
        if !bool::from(inner.commitment.ct_eq(&outer.commitment)) {
            return Err(OpenError::Reencrypted);
        }
        // 16. Clock.
        if inner.metadata.issued_at > now.saturating_add(options.max_clock_skew) {
            return Err(OpenError::IssuedInFuture {
                issued_at: inner.metadata.issued_at,
                now,
            });
        }
        // 17 (consent) is the consent-scoped layer's, 18 (replay) `Verified::release`'s.
        let Inner {
            sign1, metadata, ..
        } = inner;
        Ok(Verified(Opened {
            sender,
            metadata,
            payload: sign1.payload,
            // Moved out, not copied.
            signed: std::mem::take(&mut *inner_bytes),
            envelope_hash: Sha256::digest(envelope).into(),
        }))
    }
}

/// Steps 1-12 of spec/envelope.md §7, in order.
fn open_to_signature(
    envelope: &[u8],
    me: &AgencyKeys,
    senders: &dyn SenderResolver,
    now: u64,
    options: &OpenOptions<'_>,
) -> Result<Pending, OpenError> {
    let limits = options.limits.clamped();

    // 1-6. Size, strict decode and profile check of the outer layers.
    if envelope.len() > limits.max_envelope_bytes {
        return Err(OpenError::TooLarge {
            size: envelope.len(),
            limit: limits.max_envelope_bytes,
        });
    }
    let climits = limits.codec();
    let outer = parse_outer(envelope, &climits, &limits, Profile::READABLE)?;

    // 7. Find my recipient by kid (recipients are sorted: binary search).
    let my_kid = me.public().encryption().kid();
    let idx = outer
        .recipient_kids
        .binary_search(&my_kid)
        .map_err(|_| OpenError::NotForMe { kid: my_kid })?;
    let mine = outer
        .msg
        .recipients
        .get(idx)
        .ok_or(OpenError::NotForMe { kid: my_kid })?;
    let ek = outer
        .eks
        .get(idx)
        .ok_or(OpenError::NotForMe { kid: my_kid })?;

    // 8. HPKE open of the content key (rejects non-contributory ek).
    let cek = cose::hpke_unwrap(
        me.encryption(),
        ek,
        mine.protected.as_bytes(),
        alg::CHACHA20_POLY1305,
        HpkeParams::default(),
        &mine.ciphertext,
    )
    .map_err(|e| match e {
        CoseError::NonContributoryKey => OpenError::NonContributoryKey,
        _ => OpenError::KeyUnwrap,
    })?;
    if cek.len() != cose::CEK_LEN {
        return Err(OpenError::KeyUnwrap);
    }

    // 9. Key commitment.
    let expected = key_commitment(&cek);
    if !bool::from(expected.ct_eq(&outer.commitment)) {
        return Err(OpenError::KeyCommitment);
    }

    // 10. AEAD open of layer 0, bound to every recipient stanza.
    let digest = match received_recipients(envelope, &outer.msg) {
        Some(bytes) => Sha256::digest(bytes).into(),
        None => recipients_digest(&outer.msg.recipients),
    };
    let aad = cose::enc_structure(outer.msg.protected.as_bytes(), &digest);
    let inner_bytes = Zeroizing::new(
        cose::aead_open(&cek, &outer.iv, &aad, &outer.msg.ciphertext)
            .map_err(|_| OpenError::Decrypt)?,
    );
    drop(cek);

    // 11. Strict decode of the inner COSE_Sign1.
    let inner = parse_inner(&inner_bytes, &climits, outer.profile)?;

    // 12. Signer known and trusted.
    let sender = senders
        .resolve(&inner.sender_kid, now)
        .map_err(|e| match e {
            ResolveError::Unknown => OpenError::UnknownSender {
                kid: inner.sender_kid,
            },
            ResolveError::NotTrusted(reason) => OpenError::UntrustedSender {
                kid: inner.sender_kid,
                reason,
            },
        })?;
    if sender.key.kid() != inner.sender_kid {
        return Err(OpenError::UnknownSender {
            kid: inner.sender_kid,
        });
    }
    Ok(Pending {
        outer,
        inner,
        sender,
        inner_bytes,
    })
}

/// The recipients array exactly as received. The envelope decoded strictly (shortest heads,
/// canonical map order, nothing trailing), so its encoding is the re-encoding of what was
/// decoded, and the recipients array, the last element, is the suffix that follows the tag,
/// the array head and the first three elements. Hashing this suffix gives the same digest as
/// [`recipients_digest`] without re-encoding every stanza.
fn received_recipients<'a>(envelope: &'a [u8], msg: &cose::Encrypt) -> Option<&'a [u8]> {
    const MAJOR_BYTES: u8 = 2;
    const MAJOR_TAG: u8 = 6;
    let mut prefix = Vec::with_capacity(48);
    codec::write_head(&mut prefix, MAJOR_TAG, cose::TAG_ENCRYPT);
    codec::write_array_head(&mut prefix, 4);
    codec::write_bytes(&mut prefix, msg.protected.as_bytes());
    codec::encode_into(&Value::Map(msg.unprotected.clone()), &mut prefix);
    codec::write_head(&mut prefix, MAJOR_BYTES, msg.ciphertext.len() as u64);
    let start = prefix.len().checked_add(msg.ciphertext.len())?;
    // The prefix is what the envelope starts with; anything else means the assumption does
    // not hold, and the caller re-encodes instead.
    let (head, _) = envelope.split_at_checked(prefix.len())?;
    if head != prefix.as_slice() {
        return None;
    }
    envelope.get(start..)
}
