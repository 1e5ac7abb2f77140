//! Envelope vectors 032 onwards (revision 2 of the vectors, spec/envelope.md §12.3): what
//! 001-031 leave unpinned. Each scenario starts from the genuine envelope or from a seeded
//! generator of its own, so the earlier vectors' draws are untouched, and each refusal differs
//! from an openable envelope and setting in exactly one respect.

use divex_core::keys::AgencyKeys;
use divex_core::testing::codec::Value;
use divex_core::testing::cose::label;
use divex_core::testing::envelope::{self, ConsentRef, Disclosure, Metadata};
use sha2::{Digest, Sha256};

use super::{Builder, NOW, PAYLOAD, Vector, nested_arrays, plan, rewrite, rng, with_label};
use divex_core::records::RecordType;
use divex_core::testing::envelope::SealOptions;
use divex_core::vocab::{FieldName, NoticeCode, Purpose, SecurityLabel};

/// Vectors 032 onwards: the trust, size, clock-skew and nesting boundaries, the audience
/// rules, a kid outside the closed recipient label set, and an `ok` envelope whose metadata
/// differs from the defaults in every token list.
pub(crate) fn generate(
    g: &[u8],
    genuine_metadata: &Metadata,
    provider: &AgencyKeys,
    three: [&AgencyKeys; 3],
) -> Vec<Vector> {
    let [court, probation, _] = three;
    let mut out = Vec::new();

    // §7 step 12: the signer is known but its certificate is not valid at `now`.
    {
        let mut b = Builder::new(
            "untrusted-sender",
            "untrusted_sender",
            "The genuine envelope; the resolver knows the provider's key, but its certificate was revoked.",
        );
        for s in &mut b.senders {
            if s.agency_id == "treatment-provider" {
                s.untrusted = Some("certificate revoked (key compromise)".into());
            }
        }
        out.push(b.finish(g.to_vec()));
    }

    // §7 step 1: `len(envelope) > max_envelope_bytes`, at the boundary.
    let len = u64::try_from(g.len()).expect("small envelope");
    {
        let mut b = Builder::new(
            "too-large",
            "too_large",
            "The genuine envelope opened with a size limit one byte smaller than it.",
        );
        b.max_envelope_bytes = Some(len - 1);
        out.push(b.finish(g.to_vec()));
    }
    {
        let mut b = Builder::new(
            "ok-at-size-limit",
            "ok",
            "The genuine envelope opened with a size limit exactly its length.",
        )
        .opens("treatment-provider", genuine_metadata, PAYLOAD);
        b.max_envelope_bytes = Some(len);
        out.push(b.finish(g.to_vec()));
    }

    // §7 step 16: `issued_at > now + skew` with the default skew of 300 s, at the boundary.
    {
        let mut r = rng("skew-at-limit");
        let p = plan(provider, &three, PAYLOAD, NOW + 300, &mut r);
        let b = Builder::new(
            "ok-issued-at-skew-limit",
            "ok",
            "Issued 300 s after the opener's clock: exactly the allowed skew.",
        )
        .opens("treatment-provider", &p.metadata, PAYLOAD);
        out.push(b.finish(p.assemble(&mut r)));
    }
    {
        let mut r = rng("skew-over-limit");
        let env = plan(provider, &three, PAYLOAD, NOW + 301, &mut r).assemble(&mut r);
        out.push(
            Builder::new(
                "issued-past-skew-limit",
                "issued_in_future",
                "Issued 301 s after the opener's clock: one second over the allowed skew.",
            )
            .finish(env),
        );
    }

    // §9: envelope nesting depth 8. Layer 0's unprotected map is at depth 3 (tag 96, array,
    // map), so arrays under label 99 sit at depths 4, 5, ...: five decode (the envelope then
    // fails the closed label set), six do not.
    {
        let env = rewrite(g, |m| {
            m.unprotected = with_label(&m.unprotected, 99, nested_arrays(5));
        });
        out.push(
            Builder::new(
                "nested-at-depth-limit",
                "unexpected_header",
                "Layer 0's unprotected header gains label 99 holding arrays 5 deep, the innermost at depth 8: it decodes, and label 99 is refused.",
            )
            .finish(env),
        );
    }
    {
        let env = rewrite(g, |m| {
            m.unprotected = with_label(&m.unprotected, 99, nested_arrays(6));
        });
        out.push(
            Builder::new(
                "nested-over-depth-limit",
                "malformed",
                "Layer 0's unprotected header gains label 99 holding arrays 6 deep, the innermost at depth 9: over the depth limit of 8.",
            )
            .finish(env),
        );
    }

    // §2.3 and §7 step 14: the reader compares the signed audience with the recipient kids,
    // element by element; an audience in another order or empty is not the recipient list.
    {
        let mut r = rng("audience-unsorted");
        let mut p = plan(provider, &three, PAYLOAD, NOW, &mut r);
        p.metadata.audience.reverse();
        p.resign(provider, PAYLOAD);
        out.push(
            Builder::new(
                "audience-unsorted",
                "audience_mismatch",
                "The provider signed the right audience in descending order; the recipients are in ascending order.",
            )
            .finish(p.assemble(&mut r)),
        );
    }
    {
        let mut r = rng("audience-empty");
        let mut p = plan(provider, &three, PAYLOAD, NOW, &mut r);
        p.metadata.audience.clear();
        p.resign(provider, PAYLOAD);
        out.push(
            Builder::new(
                "audience-empty",
                "audience_mismatch",
                "The provider signed an empty audience; the envelope has three recipients.",
            )
            .finish(p.assemble(&mut r)),
        );
    }

    // §2.1 and §7 step 6: the recipient's unprotected bucket is exactly {-4}.
    {
        let court_kid = court.public().encryption().kid();
        let env = rewrite(g, |m| {
            for r in &mut m.recipients {
                if r.kid() == Some(court_kid.as_bytes().as_slice()) {
                    r.unprotected = with_label(
                        &r.unprotected,
                        label::KID,
                        Value::bytes(court_kid.as_bytes()),
                    );
                }
            }
        });
        out.push(
            Builder::new(
                "recipient-kid-unprotected",
                "unexpected_header",
                "The court's stanza carries its kid in the unprotected header too (the protected kid is unchanged).",
            )
            .finish(env),
        );
    }

    // Every metadata field released as signed: labels given unsorted with duplicates, fields
    // redacted, another record type, notice and consent.
    {
        let mut r = rng("labels-and-redactions");
        let payload = b"progress report 2026-09-07..2026-09-20: compliant";
        let d = Disclosure {
            purpose: Purpose::from_static("cj-monitor-conditional-release"),
            consent: ConsentRef {
                id: "consent-pc1000-0002".into(),
                digest: Sha256::digest(b"second signed consent placeholder").into(),
            },
            record_type: RecordType::ProgressReport,
            labels: vec![
                SecurityLabel::from_static("no-criminal-use"),
                SecurityLabel::from_static("R"),
                SecurityLabel::PART2,
                SecurityLabel::from_static("R"),
            ],
            notice: NoticeCode::from_static("part2-notice-long"),
            redacted: vec![
                FieldName::from_static("engagement"),
                FieldName::from_static("barriers"),
            ],
        };
        let (env, metadata) = envelope::seal(
            provider,
            &[probation.public().clone(), court.public().clone()],
            &d,
            payload,
            NOW,
            SealOptions {
                rng: Some(&mut r),
                ..SealOptions::default()
            },
        )
        .map(|s| (s.bytes, s.metadata))
        .expect("seal");
        let b = Builder::new(
            "ok-labels-and-redactions",
            "ok",
            "Labels given unsorted and repeated are signed sorted bytewise and unique; two redacted fields; opened by the court.",
        )
        .opens("treatment-provider", &metadata, payload);
        out.push(b.finish(env));
    }
    out
}
