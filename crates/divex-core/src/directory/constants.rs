//! The directory formats' fixed values (spec/directory.md §2, §9): the `typ` of each signed
//! document and the bounds only the implementation applies (the rest are in `mod.rs`).

/// `typ` of an agency certificate.
pub const TYP_CERTIFICATE: &str = "application/divex-certificate+cbor";
/// `typ` of a certificate revocation.
pub const TYP_REVOCATION: &str = "application/divex-revocation+cbor";
/// Value of the `"typ"` entry of a directory bundle.
pub const TYP_DIRECTORY: &str = "application/divex-directory+cbor";
/// `typ` of a signed directory snapshot (spec/directory.md §5.4).
pub const TYP_SNAPSHOT: &str = "application/divex-directory-snapshot+cbor";

/// Longest lifetime of a signed directory snapshot, `expires - signed_at`: 31 days.
pub const MAX_SNAPSHOT_LIFETIME: u64 = 31 * 86_400;

/// Largest encoded certificate.
pub const MAX_CERTIFICATE_BYTES: usize = 4 * 1024;
/// Most entries (anchors, certificates and revocations together) in one directory.
pub const MAX_ENTRIES: usize = 10_000;
