#![allow(clippy::unwrap_used)]

use uniffi::{Lift, Lower};

use super::*;
use crate::UniFfiTag;

/// The mirror of the core's `#[non_exhaustive]` [`Role`] is held to `Role::ALL`: every role
/// lowers (a role missing from the declaration would panic here, in the generated match's
/// catch-all) and comes back as itself.
#[test]
fn every_core_role_crosses_and_comes_back() {
    let mut seen = Vec::new();
    for &role in Role::ALL {
        let mut buf = Vec::new();
        <Role as Lower<UniFfiTag>>::write(role, &mut buf);
        let back = <Role as Lift<UniFfiTag>>::try_read(&mut buf.as_slice()).unwrap();
        assert_eq!(back, role);
        seen.push(buf);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen.len(),
        Role::ALL.len(),
        "two roles share a foreign value"
    );
    assert_eq!(roles(), Role::ALL);
}
