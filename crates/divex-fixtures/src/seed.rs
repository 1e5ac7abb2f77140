//! The seeded randomness of reproducible fixtures: one ChaCha20 stream per named purpose.
//!
//! Every spec vector is drawn from these streams, so their derivation is fixed: changing the
//! domain string or the way a purpose becomes a seed changes every committed vector.

use divex_core::keys::AgencyKeys;
use divex_core::testing::AgencyKeysExt;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::{Digest, Sha256};

/// A reproducible CSPRNG for `purpose`: ChaCha20 seeded with
/// `SHA-256("divex spec vectors v1\0" ‖ purpose)`.
///
/// ```
/// use rand_core::Rng;
///
/// let (mut a, mut b) = (divex_fixtures::rng("x"), divex_fixtures::rng("x"));
/// assert_eq!(a.next_u64(), b.next_u64());
/// ```
pub fn rng(purpose: &str) -> ChaCha20Rng {
    let seed: [u8; 32] = Sha256::new()
        .chain_update(b"divex spec vectors v1\0")
        .chain_update(purpose.as_bytes())
        .finalize()
        .into();
    ChaCha20Rng::from_seed(seed)
}

/// The deterministic keys of the named test agency (the stream `agency <name>`): the keys of
/// the envelope vectors and of every seeded [`crate::World`].
pub fn agency(name: &str) -> AgencyKeys {
    AgencyKeys::generate_with_rng(&mut rng(&format!("agency {name}")))
}
