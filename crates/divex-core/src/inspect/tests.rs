//! Recognition of every kind of divex file, and refusals that never echo the bytes.

#![allow(clippy::indexing_slicing)]

use super::*;
use crate::directory::{AnchorKeys, CertificateRequest, Role};
use crate::keys::AgencyKeys;
use crate::keystore::{self, KdfProfile};

const NOW: u64 = 1_790_000_000;

#[test]
fn every_kind_is_recognised_and_rendered() {
    let anchor = AnchorKeys::generate("County Justice IT").unwrap();
    let keys = AgencyKeys::generate();
    let cert = anchor
        .issue(&CertificateRequest {
            agency_id: "county-drug-court".into(),
            name: "County Drug Court".into(),
            roles: vec![Role::Court],
            part2_program: false,
            keys: keys.public().clone(),
            not_before: NOW - 86_400,
            not_after: NOW + 86_400,
        })
        .unwrap();
    let revocation = anchor.revoke(cert.serial(), NOW, "superseded").unwrap();
    let mut directory = Directory::new();
    directory.add_anchor(anchor.public()).unwrap();
    directory.add_certificate(cert.as_bytes()).unwrap();
    let ks =
        keystore::seal_agency("county-drug-court", &keys, "passphrase", KdfProfile::Fast).unwrap();
    for (bytes, kind) in [
        (cert.as_bytes().to_vec(), FileKind::Certificate),
        (
            revocation.as_bytes().to_vec(),
            FileKind::CertificateRevocation,
        ),
        (directory.to_bytes(), FileKind::Directory),
        (keys.public().to_bytes(), FileKind::PublicBundle),
        (anchor.public().to_bytes(), FileKind::TrustAnchor),
        (ks.clone(), FileKind::Keystore),
    ] {
        assert_eq!(FileKind::detect(&bytes).unwrap(), kind);
        let i = inspect(&bytes, Some(&directory), NOW).unwrap();
        assert_eq!(i.kind, kind);
        assert!(!i.summary.is_empty(), "{kind}");
        assert!(!i.diagnostic.is_empty(), "{kind}");
    }
    // A signed directory snapshot is a directory, with its sequence and expiry shown.
    let snapshot = anchor
        .publish(&directory, 7, NOW, NOW + 7 * 86_400)
        .unwrap();
    assert_eq!(FileKind::detect(&snapshot).unwrap(), FileKind::Directory);
    let i = inspect(&snapshot, None, NOW).unwrap();
    assert!(
        i.summary.contains(&("sequence".to_owned(), "7".to_owned())),
        "{:?}",
        i.summary
    );
    assert!(
        i.summary
            .iter()
            .any(|(k, v)| k == "valid" && v.starts_with("yes"))
    );
    // A certificate is checked against the directory when one is given.
    let i = inspect(cert.as_bytes(), Some(&directory), NOW).unwrap();
    assert!(
        i.summary
            .iter()
            .any(|(k, v)| k == "status" && v.starts_with("valid now"))
    );
    // A keystore shows its header, never its ciphertext.
    let i = inspect(&ks, None, NOW).unwrap();
    assert!(i.diagnostic.contains("encrypted secret key elided"));
    assert!(!i.diagnostic.contains(&hex_encode(&ks[ks.len() - 16..])));
}

#[test]
fn what_is_no_divex_file_is_refused_with_its_class() {
    let e = inspect(b"hello", None, NOW).unwrap_err();
    assert!(matches!(e, InspectError::NotCbor(_)));
    assert_eq!(
        (e.category(), e.class()),
        (ErrorCategory::Input, "not_divex")
    );
    // Strict CBOR, but no divex file: a bare integer, a map of nothing divex knows.
    for bytes in [&[0x01][..], &[0xa1, 0x61, b'a', 0x01]] {
        assert_eq!(FileKind::detect(bytes), Err(InspectError::Unknown));
    }
    // Tagged as an envelope, but not a COSE_Encrypt.
    let e = inspect(&[0xd8, 0x60, 0x80], None, NOW).unwrap_err();
    assert!(matches!(e, InspectError::InvalidEnvelope { .. }), "{e}");
    assert_eq!(e.category(), ErrorCategory::Envelope);
}

fn hex_encode(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
