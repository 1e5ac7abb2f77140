//! Revocation statements (spec/consent.md §5): the participant's (or a recording agency's)
//! signed revocation of a consent, verified against the consent it names.

use serde::{Deserialize, Serialize};

use crate::directory::Directory;
use crate::keys::{KeyId, SigningPublicKey};

use super::statement::{parse_statement, sign_statement, statement_signer, verify_statement};
use super::validate::is_token;
use super::{
    ConsentError, MAX_CLOCK_SKEW, Party, REVOCATION_TYP, StatementSigner, VerifiedConsent,
};

/// The participant's (or a representative's, or a recording agency's) revocation of a
/// consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationStatement {
    /// The consent revoked (all its versions are revoked with it).
    pub consent_id: String,
    /// When the participant revoked.
    pub revoked_at: u64,
    /// How it was communicated (e.g. "written", "oral-recorded").
    pub method: String,
}

impl RevocationStatement {
    /// Signs the statement.
    pub fn sign(&self, key: &dyn StatementSigner) -> Result<Vec<u8>, ConsentError> {
        if !is_token(&self.consent_id, 128) || !is_token(&self.method, 64) {
            return Err(ConsentError::Structure(
                "revocation consent id and method must be tokens",
            ));
        }
        sign_statement(REVOCATION_TYP, self, key)
    }

    /// Verifies a revocation against the consent it names. It must be signed by a signer
    /// who speaks for the patient, or by a certified agency named as a discloser or as the
    /// witness (recording a revocation the participant made in person).
    pub fn verify(
        bytes: &[u8],
        consent: &VerifiedConsent,
        directory: &Directory,
        now: u64,
    ) -> Result<VerifiedRevocation, ConsentError> {
        let (kid, body, msg): (KeyId, RevocationStatement, _) =
            parse_statement(bytes, REVOCATION_TYP)?;
        let d = consent.directive();
        if body.consent_id != d.id {
            return Err(ConsentError::NotApplicable(
                "the revocation names another consent",
            ));
        }
        body.check_alone(now)?;
        let bad = ConsentError::BadStatementSignature { what: "revocation" };
        // A key that speaks for the patient?
        for pk in d.patient_signer_keys() {
            let key = SigningPublicKey::from_bytes(pk).map_err(|_| bad.clone())?;
            if key.kid() == kid {
                return if verify_statement(&msg, &key) {
                    Ok(VerifiedRevocation {
                        statement: body,
                        consent_digest: *consent.digest(),
                        by_agency: None,
                    })
                } else {
                    Err(bad)
                };
            }
        }
        // A certified agency that recorded it?
        let cert = statement_signer(directory, &kid, "revocation", body.revoked_at, now)?;
        // Only the witness or a discloser named by id may record a revocation; a class
        // ("any treatment provider") would let unrelated agencies revoke.
        let id = cert.agency_id();
        let may_record = d.witness_agency() == Some(id)
            || d.disclosers
                .iter()
                .any(|p| matches!(p, Party::Agency(a) if a == id));
        if !may_record {
            return Err(ConsentError::UnexpectedSigner);
        }
        if !verify_statement(&msg, cert.keys().signing()) {
            return Err(bad);
        }
        Ok(VerifiedRevocation {
            statement: body,
            consent_digest: *consent.digest(),
            by_agency: Some(id.to_owned()),
        })
    }
}

impl RevocationStatement {
    /// The checks that need no consent (spec/consent.md §5.4 steps 2-3): the method is a
    /// token, and the statement is not post-dated. A revocation kept pending until its
    /// consent arrives (§5.5) passes them when it is imported.
    pub(super) fn check_alone(&self, now: u64) -> Result<(), ConsentError> {
        if !is_token(&self.method, 64) {
            return Err(ConsentError::Structure("revocation method must be a token"));
        }
        // A post-dated revocation could take effect once an irrevocable period ends, which
        // would let a revocation refused today act later (DOMAIN.md §5).
        if self.revoked_at > now.saturating_add(MAX_CLOCK_SKEW) {
            return Err(ConsentError::FutureDated {
                what: "revocation",
                at: self.revoked_at,
                now,
            });
        }
        Ok(())
    }
}

/// A revocation whose signature was checked against its consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRevocation {
    statement: RevocationStatement,
    consent_digest: [u8; 32],
    by_agency: Option<String>,
}

impl VerifiedRevocation {
    /// The statement.
    pub fn statement(&self) -> &RevocationStatement {
        &self.statement
    }

    /// The digest of the consent it was verified against.
    pub fn consent_digest(&self) -> &[u8; 32] {
        &self.consent_digest
    }

    /// The agency that recorded it, if not signed by the participant's own key.
    pub fn recorded_by(&self) -> Option<&str> {
        self.by_agency.as_deref()
    }
}
