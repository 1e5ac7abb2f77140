//! `divex consent create | revoke | event | import | show`: signed consents, their
//! revocations and the case events that end them.

use std::path::{Path, PathBuf};

use divex_core::consent::{
    CaseEvent, ConsentError, ConsentSet, ImportedRevocation, Party, Revocability,
    RevocationStatement, SignedConsent, StatementSigner, VerifiedConsent,
};
use divex_core::directory::Directory;
use divex_core::inspect::FileKind;
use divex_core::keys::PersonalKey;
use divex_core::vocab::Vocabulary;
use serde_json::json;
use zeroize::Zeroizing;

use super::{Ctx, with_warnings};
use crate::cli::{
    ConsentCreateArgs, ConsentEventArgs, ConsentImportArgs, ConsentRevokeArgs, ConsentShowArgs,
};
use crate::consent_toml::{self, Signing};
use crate::error::CliError;
use crate::keystore;
use crate::passphrase::passphrase;
use crate::support::{
    CONSENT_SUFFIX, EVENT_SUFFIX, Lines, REVOCATION_SUFFIX, Report, commit_all, ensure_absent,
    hash8, join, open_agency_keys, read_file, stage, wire_name,
};
use crate::timefmt::format_time;

/// Largest consent description accepted.
const MAX_TOML: usize = 256 * 1024;

fn deficient_is_input(what: &Path) -> impl Fn(ConsentError) -> CliError + '_ {
    move |e| match e {
        ConsentError::Deficient { .. } => CliError::InvalidInput {
            what: format!("the consent described in {}", what.display()),
            reason: e.to_string(),
        },
        other => other.into(),
    }
}

fn personal_key_path(p: &Path) -> Result<(), CliError> {
    if p.exists() {
        Ok(())
    } else {
        Err(CliError::NotFound {
            what: "the personal key file".into(),
            path: p.to_path_buf(),
            hint: "create one with `divex consent patient-key --out FILE`".into(),
        })
    }
}

pub(super) fn consent_create(ctx: &Ctx, a: &ConsentCreateArgs) -> Result<Report, CliError> {
    let text = read_file(&a.from, "the consent description", MAX_TOML)?;
    let text = String::from_utf8(text).map_err(|_| CliError::InvalidInput {
        what: format!("the consent description {}", a.from.display()),
        reason: "it is not UTF-8 text".into(),
    })?;
    let desc = consent_toml::parse(&text, &a.from)?;
    let dir = ctx.directory()?;
    let witness = dir.current_certificate(&a.agency, ctx.now)?.clone();
    // The electronic signers' public keys come from their key files' headers; the secret keys
    // are checked against them once opened.
    let mut electronic = Vec::new();
    for p in &a.patient_keys {
        personal_key_path(p)?;
        let info = keystore::read_info(p)?;
        let key = info.personal_key().ok_or_else(|| {
            CliError::Usage(format!("{} is not a personal key file", p.display()))
        })?;
        electronic.push(*key.as_bytes());
    }
    let directive = desc.into_directive(
        &a.from,
        &Signing {
            witness_id: &a.agency,
            witness_name: witness.name(),
            witness_key: *witness.keys().signing().as_bytes(),
            electronic_keys: &electronic,
            now: ctx.now,
        },
    )?;
    directive.validate().map_err(deficient_is_input(&a.from))?;
    let out = a.out.clone().unwrap_or_else(|| {
        ctx.home
            .consents_dir(&a.agency)
            .join(format!("{}{CONSENT_SUFFIX}", directive.id))
    });
    ensure_absent(&out)?;

    let keys = open_agency_keys(&ctx.home, &a.agency)?;
    if keys.public() != witness.keys() {
        return Err(CliError::Refused(format!(
            "the keystore of '{}' does not hold the keys its current certificate names; ask the anchor for a certificate of these keys",
            a.agency
        )));
    }
    let mut people: Vec<PersonalKey> = Vec::new();
    for p in &a.patient_keys {
        let pass = Zeroizing::new(passphrase(
            &format!("Passphrase for {}: ", p.display()),
            false,
        )?);
        let (_, k) = keystore::open_personal(p, &pass)?;
        people.push(k);
    }
    let mut signers: Vec<&dyn StatementSigner> = vec![&keys];
    for k in &people {
        signers.push(k);
    }
    let signed = SignedConsent::sign(&directive, &signers).map_err(deficient_is_input(&a.from))?;
    let verified = SignedConsent::verify(signed.as_bytes(), &dir, ctx.now)?;
    commit_all(vec![stage(&out, verified.as_bytes(), false)?])?;
    let mut r = consent_report(&verified);
    r.human = format!(
        "Signed consent {} and wrote {}.\n{}",
        verified.id(),
        out.display(),
        r.human
    );
    if let serde_json::Value::Object(m) = &mut r.json {
        m.insert("file".into(), json!(out));
    }
    Ok(r)
}

fn parties(ps: &[Party]) -> Vec<String> {
    ps.iter()
        .map(|p| match p {
            Party::Agency(a) => format!("agency:{a}"),
            Party::Role(r) => format!("role:{r}"),
        })
        .collect()
}

fn consent_report(c: &VerifiedConsent) -> Report {
    let d = c.directive();
    let when = |t: Option<u64>| t.map(format_time);
    let expiry = {
        let mut parts = Vec::new();
        if let Some(t) = d.expiry.date {
            parts.push(format_time(t));
        }
        if let Some(e) = &d.expiry.event {
            parts.push(format!("final disposition of case {}", e.case_ref));
        }
        parts.join(" or ")
    };
    let revocation = match &d.revocation {
        Revocability::AtWill => "at will".to_owned(),
        Revocability::RevocableAfter(x) => {
            let mut parts = Vec::new();
            if let Some(t) = x.date {
                parts.push(format_time(t));
            }
            if let Some(e) = &x.event {
                parts.push(format!("final disposition of case {}", e.case_ref));
            }
            format!("irrevocable until {}", parts.join(" or "))
        }
    };
    let types: Vec<&str> = d
        .information
        .record_types
        .iter()
        .map(|t| t.as_str())
        .collect();
    let tiers: Vec<&str> = d.information.tiers.iter().map(|t| t.as_str()).collect();
    let signers: Vec<String> = d
        .signers
        .iter()
        .map(|s| {
            format!(
                "{} ({}, {})",
                s.name,
                wire_name(&s.capacity),
                wire_name(&s.method)
            )
        })
        .collect();
    let mut l = Lines::new();
    l.add("consent", format!("{} version {}", d.id, d.version))
        .add("regime", d.regime.citation())
        .add(
            "participant",
            format!("{} (born {})", d.subject.name, d.subject.date_of_birth),
        )
        .add("disclosers", parties(&d.disclosers).join(", "))
        .add("recipients", parties(&d.recipients).join(", "))
        .add("purposes", join(&d.purposes))
        .add("record types", types.join(", "))
        .add("tiers", tiers.join(", "))
        .add("effective", format_time(d.effective))
        .add("expires", &expiry)
        .add("revocation", &revocation)
        .add("redisclosure", wire_name(&d.redisclosure))
        .add(
            "notice",
            format!(
                "{} (consent copy {})",
                wire_name(&d.notice.form),
                if d.notice.attach_consent {
                    "attached"
                } else {
                    "may be referenced"
                }
            ),
        );
    if let Some(case) = &d.case {
        l.add(
            "case",
            format!("{} (authority {})", case.case_ref, case.authority),
        );
    }
    l.add(
        "signed",
        format!("{} by {}", format_time(d.signed_at), signers.join("; ")),
    )
    .add("digest", hex::encode(c.digest()))
    .add(
        "verified",
        "yes: every signature verifies and the witness is certified",
    );
    Report::new(
        l.render(),
        json!({
            "id": d.id, "version": d.version, "supersedes": d.supersedes,
            "regime": wire_name(&d.regime), "citation": d.regime.citation(),
            "subject": {"name": d.subject.name, "date_of_birth": d.subject.date_of_birth},
            "disclosers": parties(&d.disclosers), "recipients": parties(&d.recipients),
            "purposes": d.purposes, "record_types": types, "tiers": tiers,
            "effective": d.effective, "expiry": {"date": d.expiry.date, "case_disposition": d.expiry.event.as_ref().map(|e| &e.case_ref)},
            "expiry_utc": when(d.expiry.date),
            "revocation": revocation, "redisclosure": wire_name(&d.redisclosure),
            "signed_at": d.signed_at, "signers": signers,
            "digest": hex::encode(c.digest()), "verified": true,
        }),
    )
}
fn read_consent(ctx: &Ctx, path: &Path, dir: &Directory) -> Result<VerifiedConsent, CliError> {
    let bytes = read_file(path, "the consent", divex_core::consent::MAX_CONSENT_BYTES)?;
    SignedConsent::verify(&bytes, dir, ctx.now).map_err(|e| {
        let message = format!("the consent {} does not verify: {e}", path.display());
        CliError::library(&e, message)
    })
}

pub(super) fn consent_revoke(ctx: &Ctx, a: &ConsentRevokeArgs) -> Result<Report, CliError> {
    let dir = ctx.directory()?;
    let consent = read_consent(ctx, &a.consent, &dir)?;
    if let Some(p) = &a.patient_key {
        personal_key_path(p)?;
    }
    let at = a.at.unwrap_or(ctx.now);
    let statement = RevocationStatement {
        consent_id: consent.id().to_owned(),
        revoked_at: at,
        method: a.method.clone(),
    };
    if let Some(o) = &a.out {
        ensure_absent(o)?;
    }
    let bytes = match (&a.by_agency, &a.patient_key) {
        (Some(id), _) => {
            let keys = open_agency_keys(&ctx.home, id)?;
            statement.sign(&keys)
        }
        (None, Some(p)) => {
            let pass = Zeroizing::new(passphrase(
                &format!("Passphrase for {}: ", p.display()),
                false,
            )?);
            let (_, k) = keystore::open_personal(p, &pass)?;
            statement.sign(&k)
        }
        (None, None) => {
            return Err(CliError::Usage(
                "give --by-agency ID or --patient-key FILE".into(),
            ));
        }
    }
    .map_err(|e| match e {
        ConsentError::Structure(_) => CliError::InvalidInput {
            what: "the revocation".into(),
            reason: e.to_string(),
        },
        other => other.into(),
    })?;
    let verified = RevocationStatement::verify(&bytes, &consent, &dir, ctx.now)?;
    let name = format!("{}.{}{REVOCATION_SUFFIX}", consent.id(), hash8(&bytes));
    let out = match (&a.out, &a.by_agency) {
        (Some(o), _) => o.clone(),
        (None, Some(id)) => ctx.home.consents_dir(id).join(name),
        (None, None) => a
            .consent
            .parent()
            .map_or_else(|| PathBuf::from(&name), |p| p.join(&name)),
    };
    commit_all(vec![stage(&out, &bytes, false)?])?;
    let by = verified.recorded_by().map_or_else(
        || "the participant's own key".to_owned(),
        |a| format!("agency {a}"),
    );
    let mut l = Lines::new();
    l.add("consent", consent.id())
        .add("revoked at", format_time(at))
        .add("signed by", &by)
        .add("method", &a.method)
        .add("file", out.display().to_string());
    let mut human = format!(
        "Signed a revocation of consent {}.\n{}",
        consent.id(),
        l.render()
    );
    if matches!(
        consent.directive().revocation,
        Revocability::RevocableAfter(_)
    ) {
        human.push_str("Note: this is a §2.35 consent; the revocation takes effect only if it was made once the consent became revocable (42 CFR §2.35(c)).\n");
    }
    human.push_str(
        "Give the file to every agency that holds the consent (`divex consent import`).\n",
    );
    Ok(Report::new(
        human,
        json!({"consent_id": consent.id(), "revoked_at": at, "signed_by": verified.recorded_by(), "method": a.method, "file": out}),
    ))
}

pub(super) fn consent_event(ctx: &Ctx, a: &ConsentEventArgs) -> Result<Report, CliError> {
    let dir = ctx.directory()?;
    dir.current_certificate(&a.agency, ctx.now)?;
    if let Some(o) = &a.out {
        ensure_absent(o)?;
    }
    let at = a.at.unwrap_or(ctx.now);
    let event = CaseEvent {
        case_ref: a.case_ref.clone(),
        outcome: a.outcome,
        effective_at: at,
    };
    let keys = open_agency_keys(&ctx.home, &a.agency)?;
    let bytes = event.sign(&keys).map_err(|e| CliError::InvalidInput {
        what: "the case event".into(),
        reason: e.to_string(),
    })?;
    // The signing agency holds the event it signs: the bound on back-dating applies as to
    // any import (spec/consent.md §6.3).
    let warnings: Vec<String> = import_event(
        &mut ConsentSet::new(),
        &bytes,
        &dir,
        ctx.now,
        a.court_order.as_deref(),
    )
    .map_err(|e| back_dated_hint(e, "the case event"))?
    .into_iter()
    .collect();
    let out = a.out.clone().unwrap_or_else(|| {
        ctx.home.consents_dir(&a.agency).join(format!(
            "{}.{}.{}{EVENT_SUFFIX}",
            a.case_ref.replace(['/', '\\'], "_"),
            wire_name(&a.outcome),
            hash8(&bytes)
        ))
    });
    commit_all(vec![stage(&out, &bytes, false)?])?;
    let mut l = Lines::new();
    if let Some(order) = &a.court_order
        && !warnings.is_empty()
    {
        l.add("court order", order);
    }
    l.add("case", &a.case_ref)
        .add("outcome", wire_name(&a.outcome))
        .add("effective", format_time(at))
        .add("signed by", &a.agency)
        .add("file", out.display().to_string());
    Ok(with_warnings(
        Report::new(
            format!(
                "Signed the disposition of case {}.\n{}Give the file to the agencies holding consents for this case (`divex consent import`).\n",
                a.case_ref,
                l.render()
            ),
            json!({"case_ref": a.case_ref, "outcome": wire_name(&a.outcome), "effective_at": at, "agency": a.agency, "file": out, "court_order": a.court_order.as_ref().filter(|_| !warnings.is_empty())}),
        ),
        warnings,
    ))
}

/// Imports a new case event into `set` (its last event, once imported): bounded to 30 days
/// of back-dating (spec/consent.md §6.3), or, when it is dated earlier and `court_order`
/// names an order, admitted on that order — the warning to print is returned.
fn import_event(
    set: &mut ConsentSet,
    bytes: &[u8],
    dir: &Directory,
    now: u64,
    court_order: Option<&str>,
) -> Result<Option<String>, ConsentError> {
    match (set.import_event(bytes, dir, now), court_order) {
        (Ok(_), _) => Ok(None),
        (Err(ConsentError::BackDated { at, .. }), Some(order)) => {
            set.import_event_without_date_bound(bytes, dir, now)?;
            Ok(Some(format!(
                "COURT ORDER {order}: a case event dated {} ({} days before now) is admitted without the 30-day bound on back-dating; it can end irrevocable periods and expire consents retroactively",
                format_time(at),
                now.saturating_sub(at) / 86_400
            )))
        }
        (Err(e), _) => Err(e),
    }
}

/// A refusal of `what` as back-dated says how to admit it on a court order.
fn back_dated_hint(e: ConsentError, what: &str) -> CliError {
    match e {
        ConsentError::BackDated { .. } => CliError::library(
            &e,
            format!(
                "{what} is refused: {e}; if a court ordered it recorded now, give --court-order ORDER_REF"
            ),
        ),
        other => other.into(),
    }
}

enum Held {
    Consent,
    Revocation,
    Event,
}

/// Which of the three statements an agency holds `bytes` are (the library's recognition).
fn classify_statement(bytes: &[u8]) -> Option<Held> {
    match FileKind::detect(bytes).ok()? {
        FileKind::Consent => Some(Held::Consent),
        FileKind::ConsentRevocation => Some(Held::Revocation),
        FileKind::CaseEvent => Some(Held::Event),
        _ => None,
    }
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

pub(super) fn consent_import(ctx: &Ctx, a: &ConsentImportArgs) -> Result<Report, CliError> {
    let dir = ctx.directory()?;
    dir.current_certificate(&a.agency, ctx.now)?;
    let mut set = ctx.holdings(&a.agency, &dir)?;
    let folder = ctx.home.consents_dir(&a.agency);
    let mut files = Vec::new();
    for f in &a.files {
        let b = read_file(
            f,
            "the file to import",
            divex_core::consent::MAX_CONSENT_BYTES,
        )?;
        let kind = classify_statement(&b).ok_or_else(|| {
            CliError::Refused(format!(
                "{} is not a signed consent, consent revocation or case event",
                f.display()
            ))
        })?;
        files.push((f.clone(), b, kind));
    }
    // Consents first, so that revocations of them verify.
    files.sort_by_key(|(_, _, k)| match k {
        Held::Consent => 0,
        Held::Revocation => 1,
        Held::Event => 2,
    });
    let mut held: Vec<String> = match std::fs::read_dir(&folder) {
        Ok(rd) => rd
            .flatten()
            .filter_map(|e| std::fs::read(e.path()).ok())
            .map(|b| sha256_hex(&b))
            .collect(),
        Err(_) => Vec::new(),
    };
    let mut staged = Vec::new();
    let mut imported = Vec::new();
    let mut warnings = Vec::new();
    let mut pending = 0_usize;
    for (f, b, kind) in &files {
        let ctxerr = |e: ConsentError| {
            CliError::library(&e, format!("{} does not verify: {e}", f.display()))
        };
        let (name, what) = match kind {
            Held::Consent => {
                let c = set.import_consent(b, &dir, ctx.now).map_err(ctxerr)?;
                (
                    format!("{}.{}{CONSENT_SUFFIX}", c.id(), hash8(b)),
                    format!("consent {}", c.id()),
                )
            }
            Held::Revocation => match set.import_revocation(b, &dir, ctx.now).map_err(ctxerr)? {
                ImportedRevocation::Verified(r) => {
                    let id = r.statement().consent_id.clone();
                    (
                        format!("{id}.{}{REVOCATION_SUFFIX}", hash8(b)),
                        format!("revocation of consent {id}"),
                    )
                }
                // Kept, and judged when the consent arrives (spec/consent.md §5.5).
                ImportedRevocation::Pending(st) => {
                    let id = st.consent_id.clone();
                    pending += 1;
                    (
                        format!("{id}.{}{REVOCATION_SUFFIX}", hash8(b)),
                        format!("revocation of consent {id}, pending: the consent is not held yet"),
                    )
                }
            },
            Held::Event => {
                let order = import_event(&mut set, b, &dir, ctx.now, a.court_order.as_deref())
                    .map_err(|e| match e {
                        ConsentError::BackDated { .. } => {
                            back_dated_hint(e, &f.display().to_string())
                        }
                        other => ctxerr(other),
                    })?;
                warnings.extend(order);
                let e = set
                    .events()
                    .last()
                    .ok_or(CliError::Other("the case event was not kept".into()))?;
                let case = e.event().case_ref.replace(['/', '\\'], "_");
                (
                    format!("{case}.{}{EVENT_SUFFIX}", hash8(b)),
                    format!("disposition of case {}", e.event().case_ref),
                )
            }
        };
        let path = folder.join(name);
        // The same bytes already held (under any name), or given twice: nothing to do.
        let digest = sha256_hex(b);
        if held.contains(&digest) {
            imported.push(json!({"file": f, "what": what, "stored": path, "new": false}));
            continue;
        }
        held.push(digest);
        staged.push(stage(&path, b, false)?);
        imported.push(json!({"file": f, "what": what, "stored": path, "new": true}));
    }
    commit_all(staged)?;
    let mut human = format!("Agency {} now holds:\n", a.agency);
    for i in &imported {
        human.push_str(&format!(
            "  {}  ({})\n",
            i["what"].as_str().unwrap_or_default(),
            if i["new"].as_bool().unwrap_or(false) {
                "imported"
            } else {
                "already held"
            }
        ));
    }
    if pending > 0 {
        human.push_str(
            "A pending revocation is applied when its consent arrives (imported, or attached to an envelope); until then nothing is sealed or released under that consent.\n",
        );
    }
    Ok(with_warnings(
        Report::new(
            human,
            json!({"agency": a.agency, "imported": imported, "pending_revocations": pending}),
        ),
        warnings,
    ))
}

pub(super) fn consent_show(ctx: &Ctx, a: &ConsentShowArgs) -> Result<Report, CliError> {
    let dir = ctx.directory()?;
    let consent = read_consent(ctx, &a.file, &dir)?;
    let mut r = consent_report(&consent);
    if let Some(agency) = &a.agency {
        let mut set = ctx.holdings(agency, &dir)?;
        set.import_consent(consent.as_bytes(), &dir, ctx.now)?;
        let facts = divex_core::decision::Facts::from(&set);
        let revoked = divex_core::decision::revoked_at(&consent, &facts);
        let d = consent.directive();
        let case_refs: Vec<&str> = d
            .case
            .iter()
            .map(|c| c.case_ref.as_str())
            .chain(d.expiry.event.iter().map(|e| e.case_ref.as_str()))
            .collect();
        let events: Vec<String> = set
            .events()
            .iter()
            .filter(|e| case_refs.contains(&e.event().case_ref.as_str()))
            .map(|e| {
                format!(
                    "case {} {} at {} (signed by {})",
                    e.event().case_ref,
                    wire_name(&e.event().outcome),
                    format_time(e.event().effective_at),
                    e.signer().agency_id
                )
            })
            .collect();
        let revocations = set
            .revocations()
            .iter()
            .filter(|x| x.statement().consent_id == d.id)
            .count();
        // When the expiry event (the case's final disposition, signed by the case's
        // authority) happened, as the decision engine reads it (spec/consent.md §7).
        let authority = d.case.as_ref().map(|c| c.authority.as_str());
        let expired_by_event = d.expiry.event.as_ref().and_then(|ev| {
            set.events()
                .iter()
                .filter(|e| {
                    e.event().case_ref == ev.case_ref
                        && e.event().outcome.is_final()
                        && Some(e.signer().agency_id.as_str()) == authority
                })
                .map(|e| e.event().effective_at)
                .min()
        });
        let expires_at = match (d.expiry.date, expired_by_event) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let status = if ctx.now < d.effective {
            "not yet in effect".to_owned()
        } else if let Some(t) = expires_at.filter(|t| *t <= ctx.now) {
            format!("expired ({})", format_time(t))
        } else if let Some(t) = revoked.filter(|t| *t <= ctx.now) {
            format!("revoked (effective {})", format_time(t))
        } else {
            "in force (unless a newer version supersedes it)".to_owned()
        };
        let mut l = Lines::new();
        l.add("held by", agency)
            .add("status now", &status)
            .add("revocations held", revocations.to_string());
        for e in &events {
            l.add("case event", e);
        }
        r.human.push_str(&l.render());
        if let serde_json::Value::Object(m) = &mut r.json {
            m.insert(
                "holdings".into(),
                json!({"agency": agency, "status": status, "revoked_at": revoked, "revocations": revocations, "case_events": events}),
            );
        }
    }
    Ok(r)
}
