//! Batch verification of the inner Ed25519 signatures (spec/envelope.md §6.6): one
//! multiscalar equation over every envelope whose signature it decides exactly as
//! `verify_strict` does; everything else, and every signature of a failed batch, is verified
//! on its own.

use std::collections::BTreeMap;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand_core::CryptoRng;
use sha2::{Digest, Sha512};

use crate::keys::SigningPublicKey;

/// Fewer batchable signatures than this are verified one by one: the batch equation only
/// pays for itself once its fixed costs are shared.
const MIN_BATCH: usize = 2;

/// One signature to check: `verify_strict(key, message, signature)`.
pub(super) struct Item<'a> {
    pub(super) key: &'a SigningPublicKey,
    pub(super) message: &'a [u8],
    pub(super) signature: &'a [u8],
}

/// A signature admitted to the batch equation.
struct Candidate {
    /// Index into the items.
    item: usize,
    /// Index into the distinct keys.
    key: usize,
    r: EdwardsPoint,
    s: Scalar,
    k: Scalar,
}

/// Whether a point is in the prime-order subgroup: `[L]P = O`, computed as
/// `[L - 1]P + P` (vartime: every point here is public).
fn torsion_free(p: &EdwardsPoint) -> bool {
    let l_minus_one = -Scalar::ONE;
    (EdwardsPoint::vartime_double_scalar_mul_basepoint(&l_minus_one, p, &Scalar::ZERO) + p)
        .is_identity()
}

/// Whether the y coordinate of an encoded point is below p = 2^255 - 19 (bit 255, the
/// sign of x, is ignored). Encodings with y >= p decode to the point of y - p, but are
/// never the re-encoding `verify_strict` compares with.
fn canonical_y(b: &[u8; 32]) -> bool {
    let mut top = *b;
    if let Some(last) = top.last_mut() {
        *last &= 0x7f;
    }
    // y >= p iff y is one of p, ..., 2^255 - 1: bytes ed..ff, ff × 30, 7f.
    let (first, rest) = top.split_first().unwrap_or((&0, &[]));
    let (last, middle) = rest.split_last().unwrap_or((&0, &[]));
    !(*first >= 0xed && middle.iter().all(|&m| m == 0xff) && *last == 0x7f)
}

/// A point that the batch equation may use in place of `verify_strict`'s checks: it
/// decodes, its encoding is canonical, it is torsion-free and it is not the identity
/// (the only torsion-free point of small order).
fn batchable_point(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    if !canonical_y(bytes) {
        return None;
    }
    let p = CompressedEdwardsY(*bytes).decompress()?;
    (!p.is_small_order() && torsion_free(&p)).then_some(p)
}

/// Per distinct signing key: its point if batchable, and the accumulated `Σ z·k`.
struct Keys {
    index: BTreeMap<[u8; 32], Option<usize>>,
    points: Vec<EdwardsPoint>,
    coefficients: Vec<Scalar>,
}

impl Keys {
    fn slot(&mut self, key: &SigningPublicKey) -> Option<usize> {
        if let Some(slot) = self.index.get(key.as_bytes()) {
            return *slot;
        }
        let slot = batchable_point(key.as_bytes()).map(|a| {
            self.points.push(a);
            self.coefficients.push(Scalar::ZERO);
            self.points.len() - 1
        });
        self.index.insert(*key.as_bytes(), slot);
        slot
    }
}

fn candidate(item: usize, it: &Item<'_>, keys: &mut Keys) -> Option<Candidate> {
    let sig: &[u8; 64] = it.signature.try_into().ok()?;
    let (r_bytes, s_bytes) = sig.split_at(32);
    let r_bytes: [u8; 32] = r_bytes.try_into().ok()?;
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes.try_into().ok()?))?;
    let key = keys.slot(it.key)?;
    let r = batchable_point(&r_bytes)?;
    let digest = Sha512::new()
        .chain_update(r_bytes)
        .chain_update(it.key.as_bytes())
        .chain_update(it.message)
        .finalize();
    let wide: [u8; 64] = digest.into();
    Some(Candidate {
        item,
        key,
        r,
        s,
        k: Scalar::from_bytes_mod_order_wide(&wide),
    })
}

/// A uniformly random 128-bit scalar.
fn coefficient<R: CryptoRng + ?Sized>(rng: &mut R) -> Scalar {
    let mut z = [0u8; 16];
    rng.fill_bytes(&mut z);
    Scalar::from(u128::from_le_bytes(z))
}

/// The verdict of `verify_strict` for every item, computed with one batch equation over
/// the items that admit it (spec/envelope.md §6.6) and individually for the rest, and for
/// all of them if the batch equation fails.
pub(super) fn verify<R: CryptoRng + ?Sized>(items: &[Item<'_>], rng: &mut R) -> Vec<bool> {
    let mut keys = Keys {
        index: BTreeMap::new(),
        points: Vec::new(),
        coefficients: Vec::new(),
    };
    let candidates: Vec<Candidate> = items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| candidate(i, it, &mut keys))
        .collect();
    let mut accepted = vec![false; items.len()];
    if candidates.len() >= MIN_BATCH {
        // Σ z_i·s_i·B − Σ z_i·R_i − Σ_A (Σ_{i: A_i = A} z_i·k_i)·A = O
        let mut b = Scalar::ZERO;
        let mut r_scalars = Vec::with_capacity(candidates.len());
        for c in &candidates {
            let z = coefficient(rng);
            b += z * c.s;
            r_scalars.push(-z);
            if let Some(acc) = keys.coefficients.get_mut(c.key) {
                *acc -= z * c.k;
            }
        }
        let scalars = std::iter::once(b)
            .chain(r_scalars)
            .chain(keys.coefficients.iter().copied());
        let points = std::iter::once(ED25519_BASEPOINT_POINT)
            .chain(candidates.iter().map(|c| c.r))
            .chain(keys.points.iter().copied());
        if EdwardsPoint::vartime_multiscalar_mul(scalars, points).is_identity() {
            for c in &candidates {
                if let Some(a) = accepted.get_mut(c.item) {
                    *a = true;
                }
            }
        }
    }
    items
        .iter()
        .zip(accepted)
        .map(|(it, ok)| ok || it.key.verify(it.message, it.signature).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_y_boundaries() {
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        assert!(!canonical_y(&p), "p itself");
        p[31] = 0xff;
        assert!(!canonical_y(&p), "p with the sign bit");
        p[0] = 0xec;
        assert!(canonical_y(&p), "p - 1");
        let mut one = [0u8; 32];
        one[0] = 1;
        assert!(canonical_y(&one));
        assert!(!canonical_y(&[0xff; 32]));
    }

    #[test]
    fn basepoint_is_torsion_free_and_mixed_points_are_not() {
        assert!(torsion_free(&ED25519_BASEPOINT_POINT));
        let eight_torsion = curve25519_dalek::constants::EIGHT_TORSION;
        for (i, t) in eight_torsion.iter().enumerate() {
            assert_eq!(torsion_free(&(ED25519_BASEPOINT_POINT + t)), i == 0);
        }
    }
}
