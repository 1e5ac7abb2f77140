//! Randomness. divex draws every key, IV, CEK and envelope id from a cryptographically secure
//! generator: the operating system's by default, or one the caller supplies (the spec-vector
//! generator uses a seeded ChaCha20 generator so that its output is reproducible).

pub use rand_core::CryptoRng;

/// The operating system's CSPRNG.
///
/// Panics only if the operating system cannot provide randomness at all, in which case no
/// secure operation is possible; this never depends on untrusted input.
pub fn os() -> rand_core::UnwrapErr<getrandom::SysRng> {
    rand_core::UnwrapErr(getrandom::SysRng)
}
