//! Size bounds of the envelope (spec/envelope.md §9).

use crate::codec::DecodeLimits;

/// Size bounds applied by [`open`](crate::open()) and [`seal`](crate::seal()) (spec/envelope.md §9).
///
/// `EnvelopeLimits::default()` is 16 MiB and 64 recipients. Larger values are capped at
/// 256 MiB and 1024 recipients (the most any caller may configure); fewer than one recipient
/// counts as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvelopeLimits {
    /// Largest envelope accepted, in bytes (at most 256 MiB).
    pub max_envelope_bytes: usize,
    /// Most recipients in one envelope (1 to 1024).
    pub max_recipients: usize,
}

impl EnvelopeLimits {
    /// The defaults: 16 MiB, 64 recipients.
    pub(crate) const DEFAULT: EnvelopeLimits = EnvelopeLimits {
        max_envelope_bytes: 16 * 1024 * 1024,
        max_recipients: 64,
    };
    /// The largest values a caller may configure: 256 MiB, 1024 recipients.
    pub(crate) const SAFE_MAX: EnvelopeLimits = EnvelopeLimits {
        max_envelope_bytes: 256 * 1024 * 1024,
        max_recipients: 1024,
    };
    /// Nesting depth of a valid envelope is at most 5; 8 leaves room and nothing more.
    pub(crate) const MAX_DEPTH: usize = 8;

    /// These limits capped at [`EnvelopeLimits::SAFE_MAX`].
    pub(crate) fn clamped(self) -> EnvelopeLimits {
        EnvelopeLimits {
            max_envelope_bytes: self
                .max_envelope_bytes
                .min(Self::SAFE_MAX.max_envelope_bytes),
            max_recipients: self.max_recipients.clamp(1, Self::SAFE_MAX.max_recipients),
        }
    }

    pub(super) fn codec(self) -> DecodeLimits {
        DecodeLimits {
            max_input: self.max_envelope_bytes,
            max_depth: Self::MAX_DEPTH,
            // The safe maximum, not the configured one, so that a count between the two is
            // reported precisely as `TooManyRecipients` rather than as a codec limit.
            max_items: Self::SAFE_MAX.max_recipients,
            max_string: self.max_envelope_bytes,
        }
    }
}

impl Default for EnvelopeLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
