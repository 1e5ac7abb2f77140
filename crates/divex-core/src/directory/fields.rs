//! The field types and syntax rules shared by certificates, revocations and trust anchors
//! (spec/directory.md §3.2, §4, §5.1): serial numbers, id tokens, display names, role lists.

use std::fmt;

use super::{MAX_AGENCY_ID_LEN, MAX_NAME_LEN, Role, SERIAL_LEN};

/// A certificate serial number: 16 random bytes chosen by the issuing anchor.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(pub [u8; SERIAL_LEN]);

impl Serial {
    /// Lower-case hex, as shown to operators.
    pub(crate) fn to_hex(self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A serial from its bytes.
    pub fn from_bytes(b: &[u8]) -> Option<Serial> {
        b.try_into().ok().map(Serial)
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({})", self.to_hex())
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Whether `s` is an id token: 1-`max` bytes of `a-z 0-9 . _ -` (agency ids, reason codes).
pub(super) fn is_id_token(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// Whether `s` is an agency id, `[a-z0-9._-]{1,64}` (spec/directory.md §3.2 rule 1); consents
/// name agencies by these ids.
pub(crate) fn is_agency_id(s: &str) -> bool {
    is_id_token(s, MAX_AGENCY_ID_LEN)
}

/// Unicode bidirectional formatting characters: refused in display names so that a name
/// cannot render as another agency's name in an operator's console ("Trojan Source").
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Whether `s` is a display name: 1-128 bytes of UTF-8 without control or bidirectional
/// formatting characters.
pub(super) fn is_display_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME_LEN
        && !s.chars().any(|c| c.is_control() || is_bidi_control(c))
}

/// Checks the roles of a certificate: non-empty, ascending by name, no duplicates.
pub(super) fn roles_are_canonical(roles: &[Role]) -> bool {
    !roles.is_empty() && roles.windows(2).all(|w| matches!(w, [a, b] if a < b))
}
