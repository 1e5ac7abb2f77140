//! `divex directory import | list`: this home's directory of anchors, certificates and
//! revocations.

use divex_core::directory::{
    AgencyCertificate, Directory, DirectoryError, DirectorySnapshot, TrustAnchor,
};
use divex_core::error::Classified;
use divex_core::inspect::{FileKind, InspectError};
use divex_core::vocab::Vocabulary;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::Ctx;
use crate::cli::DirectoryImportArgs;
use crate::error::CliError;
use crate::support::{Lines, Report, commit_all, read_file, stage, stage_directory};
use crate::timefmt::{format_date, format_time};

pub(super) fn directory_import(ctx: &Ctx, a: &DirectoryImportArgs) -> Result<Report, CliError> {
    let bytes = read_file(
        &a.file,
        "the file to import",
        divex_core::directory::MAX_DIRECTORY_BYTES,
    )?;
    let mut dir = ctx.directory_to_update()?;
    let before = (
        dir.anchors().count(),
        dir.certificates().count(),
        dir.revocations().count(),
    );
    let mut pinned: Vec<TrustAnchor> = Vec::new();
    let mut kind;
    let mut snapshot: Option<DirectorySnapshot> = None;
    // What the file is (the library's recognition); anything that is not a bundle or an anchor
    // is tried as a certificate, then as a revocation, as before.
    let detected = match FileKind::detect(&bytes) {
        Err(InspectError::NotCbor(e)) => {
            return Err(CliError::Refused(format!(
                "{} is corrupted or not a divex file: it is not strict CBOR ({e})",
                a.file.display()
            )));
        }
        other => other.ok(),
    };
    let mut staged = Vec::new();
    if detected == Some(FileKind::Directory) {
        kind = "directory bundle";
        if a.trust_anchors {
            // Validate the whole bundle under its own anchors first, then pin them.
            let theirs = Directory::from_bytes(&bytes)?;
            for anchor in theirs.anchors() {
                if !dir.anchors().any(|x| x == anchor) {
                    pinned.push(anchor.clone());
                }
                dir.add_anchor(anchor.clone())?;
            }
        }
        // A signed snapshot is refused here when it is older than the one this home holds.
        dir.merge(&bytes)?;
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        snapshot = dir.snapshots().find(|s| s.digest == digest).copied();
        if let Some(s) = &snapshot {
            kind = "directory snapshot";
            // The latest snapshot of its anchor, kept outside directory.cbor: merged on every
            // load, it is the home's high-water mark (spec/directory.md §5.4).
            staged.push(stage(
                &ctx.home.held_snapshot(&s.anchor.to_string()),
                &bytes,
                true,
            )?);
        }
    } else if let Ok(anchor) = TrustAnchor::from_bytes(&bytes) {
        kind = "trust anchor";
        if !a.trust_anchors {
            return Err(CliError::Usage(format!(
                "this file is the trust anchor '{}' with fingerprint {}; compare the fingerprint with the authority's and rerun with --trust-anchors to pin it",
                anchor.name(),
                anchor.kid()
            )));
        }
        if !dir.anchors().any(|x| *x == anchor) {
            pinned.push(anchor.clone());
        }
        dir.add_anchor(anchor)?;
    } else {
        match dir.add_certificate(&bytes) {
            Ok(()) => kind = "certificate",
            Err(DirectoryError::WrongType { .. }) => {
                dir.add_revocation(&bytes)?;
                kind = "certificate revocation";
            }
            Err(e) => return Err(e.into()),
        }
    }
    staged.insert(0, stage_directory(&ctx.home, &dir)?);
    commit_all(staged)?;
    let after = (
        dir.anchors().count(),
        dir.certificates().count(),
        dir.revocations().count(),
    );
    let added = (after.0 - before.0, after.1 - before.1, after.2 - before.2);
    let mut l = Lines::new();
    l.add("imported", format!("{kind} from {}", a.file.display()))
        .add(
            "added",
            format!(
                "{} anchor(s), {} certificate(s), {} revocation(s)",
                added.0, added.1, added.2
            ),
        )
        .add("directory", ctx.home.directory_file().display().to_string());
    if let Some(s) = &snapshot {
        l.add(
            "snapshot",
            format!(
                "sequence {} of anchor {}, signed {}, expires {}",
                s.sequence,
                s.anchor,
                format_time(s.signed_at),
                format_time(s.expires)
            ),
        );
    }
    for p in &pinned {
        l.add(
            "pinned anchor",
            format!("{} (fingerprint {})", p.name(), p.kid()),
        );
    }
    let mut json = json!({"kind": kind, "added": {"anchors": added.0, "certificates": added.1, "revocations": added.2},
               "pinned_anchors": pinned.iter().map(|p| json!({"name": p.name(), "fingerprint": p.kid().to_string()})).collect::<Vec<_>>(),
               "directory": ctx.home.directory_file()});
    if let (Some(s), serde_json::Value::Object(m)) = (&snapshot, &mut json) {
        m.insert("sequence".into(), json!(s.sequence));
        m.insert("expires".into(), json!(s.expires));
        m.insert("anchor".into(), json!(s.anchor.to_string()));
    }
    ctx.judge(&dir);
    Ok(Report::new(l.render(), json))
}

fn cert_status(dir: &Directory, c: &AgencyCertificate, now: u64) -> String {
    match dir.check(c, now) {
        Ok(()) => "valid".into(),
        Err(DirectoryError::Expired { .. }) => "expired".into(),
        Err(DirectoryError::NotYetValid { .. }) => "not yet valid".into(),
        Err(DirectoryError::Revoked { .. }) => "revoked".into(),
        Err(e) => format!("untrusted ({})", e.class()),
    }
}

pub(super) fn directory_list(ctx: &Ctx) -> Result<Report, CliError> {
    let dir = ctx.directory()?;
    let mut human = String::new();
    let mut anchors = Vec::new();
    human.push_str("Trust anchors:\n");
    for a in dir.anchors() {
        human.push_str(&format!("  {}  fingerprint {}\n", a.name(), a.kid()));
        let snapshot = dir.snapshots().find(|s| s.anchor == a.kid()).map(|s| {
            let expired = dir.check_fresh(&s.anchor, ctx.now).is_err();
            human.push_str(&format!(
                "    signed snapshot: sequence {}, signed {}, {} {}\n",
                s.sequence,
                format_time(s.signed_at),
                if expired { "EXPIRED" } else { "expires" },
                format_time(s.expires)
            ));
            json!({"sequence": s.sequence, "signed_at": s.signed_at, "expires": s.expires,
                   "expired": expired})
        });
        anchors.push(json!({"name": a.name(), "fingerprint": a.kid().to_string(),
                            "snapshot": snapshot}));
    }
    human.push_str("Certificates:\n");
    let mut certs = Vec::new();
    let mut list: Vec<_> = dir.certificates().collect();
    list.sort_by(|x, y| (x.agency_id(), x.not_before()).cmp(&(y.agency_id(), y.not_before())));
    for c in list {
        let status = cert_status(&dir, c, ctx.now);
        let roles: Vec<&str> = c.roles().iter().map(|r| r.as_str()).collect();
        human.push_str(&format!(
            "  {:<24} {:<8} {}{}  [{}]  serial {}  {} to {}\n",
            c.agency_id(),
            status,
            roles.join(","),
            if c.part2_program() { ", part 2" } else { "" },
            c.name(),
            c.serial(),
            format_date(c.not_before()),
            format_date(c.not_after()),
        ));
        certs.push(
            json!({"agency": c.agency_id(), "name": c.name(), "roles": roles,
            "part2_program": c.part2_program(), "serial": c.serial().to_string(), "status": status,
            "issuer": c.issuer().to_string(), "not_before": c.not_before(), "not_after": c.not_after(),
            "signing_key_id": c.keys().signing().kid().to_string(),
            "encryption_key_id": c.keys().encryption().kid().to_string()}),
        );
    }
    human.push_str("Revocations:\n");
    let mut revs = Vec::new();
    for r in dir.revocations() {
        human.push_str(&format!(
            "  serial {}  from {}  ({})\n",
            r.serial(),
            format_time(r.revoked_at()),
            r.reason()
        ));
        revs.push(json!({"serial": r.serial().to_string(), "revoked_at": r.revoked_at(), "reason": r.reason(), "issuer": r.issuer().to_string()}));
    }
    Ok(Report::new(
        human,
        json!({"anchors": anchors, "certificates": certs, "revocations": revs, "as_of": ctx.now}),
    ))
}
