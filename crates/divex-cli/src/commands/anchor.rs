//! `divex anchor create | issue | revoke | publish`: the trust anchor's keystore, the
//! certificates it issues, the revocations it signs and the signed directory snapshots it
//! publishes.

use std::path::PathBuf;

use divex_core::directory::{AnchorKeys, CertificateRequest, DirectoryError, Serial};
use divex_core::keys::PublicBundle;
use divex_core::vocab::Vocabulary;
use serde_json::json;
use zeroize::Zeroizing;

use super::{Ctx, DAY, fast_warning, with_warnings};
use crate::cli::{AnchorCreateArgs, AnchorIssueArgs, AnchorPublishArgs, AnchorRevokeArgs};
use crate::error::CliError;
use crate::keystore::{self, KeystoreError};
use crate::passphrase::passphrase;
use crate::support::{
    Lines, Report, commit_all, ensure_absent, hash8, read_file, stage, stage_directory,
};
use crate::timefmt::format_time;

fn anchor_path_or_missing(ctx: &Ctx, name: &str) -> Result<PathBuf, CliError> {
    let path = ctx.home.anchor_keystore(name);
    if !path.exists() {
        return Err(CliError::NotFound {
            what: format!("the keystore of trust anchor '{name}'"),
            path,
            hint: format!(
                "check --name and --home; create it with `divex anchor create --name {name}`"
            ),
        });
    }
    Ok(path)
}

fn open_anchor(ctx: &Ctx, name: &str) -> Result<AnchorKeys, CliError> {
    let path = anchor_path_or_missing(ctx, name)?;
    let pass = Zeroizing::new(passphrase(
        &format!("Passphrase for trust anchor {name}: "),
        false,
    )?);
    Ok(keystore::open_anchor(&path, &pass)?)
}

pub(super) fn anchor_create(ctx: &Ctx, a: &AnchorCreateArgs) -> Result<Report, CliError> {
    let path = ctx.home.anchor_keystore(&a.name);
    if path.exists() {
        return Err(KeystoreError::Exists { path }.into());
    }
    let display = a.display_name.clone().unwrap_or_else(|| a.name.clone());
    let anchor = AnchorKeys::generate(&display).map_err(|e| CliError::InvalidInput {
        what: "--display-name".into(),
        reason: e.to_string(),
    })?;
    let mut dir = ctx.directory_or_empty()?;
    dir.add_anchor(anchor.public())?;
    let staged_dir = stage_directory(&ctx.home, &dir)?;
    let pass = Zeroizing::new(passphrase(
        &format!("New passphrase for trust anchor {}: ", a.name),
        true,
    )?);
    keystore::create_anchor(&path, &anchor, &pass, a.kdf)?;
    commit_all(vec![staged_dir])?;
    let kid = anchor.public().kid().to_string();
    let mut l = Lines::new();
    l.add("anchor", &a.name)
        .add("display name", &display)
        .add("fingerprint", &kid)
        .add("keystore", path.display().to_string())
        .add("directory", ctx.home.directory_file().display().to_string());
    let human = format!(
        "Created trust anchor {}; it is pinned in this home's directory.\n{}Agencies pin it by comparing this fingerprint out of band.\n",
        a.name,
        l.render()
    );
    let r = Report::new(
        human,
        json!({"anchor": a.name, "display_name": display, "fingerprint": kid, "keystore": path,
               "directory": ctx.home.directory_file(), "kdf": a.kdf.as_str()}),
    );
    Ok(with_warnings(r, fast_warning(a.kdf)))
}

pub(super) fn anchor_issue(ctx: &Ctx, a: &AnchorIssueArgs) -> Result<Report, CliError> {
    anchor_path_or_missing(ctx, &a.name)?;
    let bundle = match (&a.bundle, &a.from_keystore) {
        (Some(f), _) => {
            let b = read_file(f, "the public bundle", 4096)?;
            PublicBundle::from_bytes(&b)?
        }
        (None, Some(id)) => {
            let ks = ctx.home.keystore(id);
            if !ks.exists() {
                return Err(CliError::NotFound {
                    what: format!("the keystore of agency '{id}'"),
                    path: ks,
                    hint: format!(
                        "create it with `divex init --agency {id}`, or pass its --bundle file"
                    ),
                });
            }
            keystore::read_info(&ks)?.agency_bundle().ok_or_else(|| {
                CliError::Usage(format!("{} is not an agency keystore", ks.display()))
            })?
        }
        (None, None) => {
            return Err(CliError::Usage(
                "give --bundle FILE or --from-keystore ID".into(),
            ));
        }
    };
    if let Some(o) = &a.out {
        ensure_absent(o)?;
    }
    let not_before = a.not_before.unwrap_or(ctx.now);
    let not_after = not_before
        .checked_add(a.days.saturating_mul(DAY))
        .ok_or_else(|| CliError::Usage("--days is too large".into()))?;
    let mut dir = ctx.directory_or_empty()?;
    let anchor = open_anchor(ctx, &a.name)?;
    dir.add_anchor(anchor.public())?;
    let cert = anchor
        .issue(&CertificateRequest {
            agency_id: a.agency.clone(),
            name: a.agency_name.clone(),
            roles: a.roles.clone(),
            part2_program: a.part2,
            keys: bundle,
            not_before,
            not_after,
        })
        .map_err(|e| match e {
            DirectoryError::InvalidCertificate(_) => CliError::InvalidInput {
                what: "the certificate request".into(),
                reason: e.to_string(),
            },
            other => other.into(),
        })?;
    dir.add_certificate(cert.as_bytes())?;
    let serial = cert.serial().to_string();
    let out = a.out.clone().unwrap_or_else(|| {
        ctx.home
            .certificates_dir()
            .join(format!("{}-{serial}.cert.cose", a.agency))
    });
    let staged = vec![
        stage(&out, cert.as_bytes(), false)?,
        stage_directory(&ctx.home, &dir)?,
    ];
    commit_all(staged)?;
    let roles: Vec<&str> = cert.roles().iter().map(|r| r.as_str()).collect();
    let mut l = Lines::new();
    l.add("agency", format!("{} ({})", cert.agency_id(), cert.name()))
        .add("roles", roles.join(", "))
        .add(
            "part 2 program",
            if cert.part2_program() { "yes" } else { "no" },
        )
        .add("serial", &serial)
        .add(
            "valid",
            format!("{} to {}", format_time(not_before), format_time(not_after)),
        )
        .add("signing key id", cert.keys().signing().kid().to_string())
        .add(
            "encryption key id",
            cert.keys().encryption().kid().to_string(),
        )
        .add("certificate", out.display().to_string());
    Ok(Report::new(
        format!(
            "Issued a certificate to {} and added it to this home's directory.\n{}",
            a.agency,
            l.render()
        ),
        json!({"agency": cert.agency_id(), "name": cert.name(), "roles": roles,
               "part2_program": cert.part2_program(), "serial": serial,
               "not_before": not_before, "not_after": not_after,
               "signing_key_id": cert.keys().signing().kid().to_string(),
               "encryption_key_id": cert.keys().encryption().kid().to_string(),
               "certificate": out}),
    ))
}

pub(super) fn anchor_revoke(ctx: &Ctx, a: &AnchorRevokeArgs) -> Result<Report, CliError> {
    anchor_path_or_missing(ctx, &a.name)?;
    let serial = hex::decode(a.serial.trim())
        .ok()
        .and_then(|b| Serial::from_bytes(&b))
        .ok_or_else(|| {
            CliError::Usage(
                "--serial must be the certificate's 32 hex digits (see `divex directory list`)"
                    .into(),
            )
        })?;
    if let Some(o) = &a.out {
        ensure_absent(o)?;
    }
    let at = a.at.unwrap_or(ctx.now);
    let mut dir = ctx.directory_or_empty()?;
    let anchor = open_anchor(ctx, &a.name)?;
    dir.add_anchor(anchor.public())?;
    let rev = anchor.revoke(serial, at, &a.reason).map_err(|e| match e {
        DirectoryError::InvalidRevocation(_) => CliError::InvalidInput {
            what: "the revocation".into(),
            reason: e.to_string(),
        },
        other => other.into(),
    })?;
    dir.add_revocation(rev.as_bytes())?;
    let known = dir
        .certificates()
        .find(|c| c.serial() == serial && c.issuer() == anchor.public().kid())
        .map(|c| c.agency_id().to_owned());
    let out = a.out.clone().unwrap_or_else(|| {
        ctx.home.certificates_dir().join(format!(
            "{}.{}.cert-revocation.cose",
            serial,
            hash8(rev.as_bytes())
        ))
    });
    commit_all(vec![
        stage(&out, rev.as_bytes(), false)?,
        stage_directory(&ctx.home, &dir)?,
    ])?;
    let mut l = Lines::new();
    l.add("serial", serial.to_string())
        .add(
            "agency",
            known
                .clone()
                .unwrap_or_else(|| "(certificate not in this directory)".into()),
        )
        .add("untrusted from", format_time(at))
        .add("reason", &a.reason)
        .add("revocation", out.display().to_string());
    let mut r = Report::new(
        format!(
            "Revoked certificate {}.\n{}Distribute the revocation file to every agency (`divex directory import`).\n",
            serial,
            l.render()
        ),
        json!({"serial": serial.to_string(), "agency": known, "revoked_at": at, "reason": a.reason, "revocation": out}),
    );
    if known.is_none() {
        r = r.warn("no certificate with this serial from this anchor is in the directory");
    }
    Ok(r)
}

/// `divex anchor publish`: the anchor's signed directory snapshot (spec/directory.md §5.4) of
/// what this home's directory holds from it, numbered one more than the last snapshot of the
/// anchor the home holds (or `--sequence`), expiring in `--days`. The snapshot becomes the
/// home's held snapshot of the anchor, so the next one is numbered after it.
pub(super) fn anchor_publish(ctx: &Ctx, a: &AnchorPublishArgs) -> Result<Report, CliError> {
    let path = anchor_path_or_missing(ctx, &a.name)?;
    let public = keystore::read_info(&path)?.anchor().ok_or_else(|| {
        CliError::Usage(format!("{} is not a trust anchor keystore", path.display()))
    })?;
    let kid = public.kid();
    let mut dir = ctx.directory_to_update()?;
    dir.add_anchor(public)?;
    let last = dir
        .snapshots()
        .find(|s| s.anchor == kid)
        .map(|s| s.sequence);
    let sequence = match (a.sequence, last) {
        (Some(n), Some(l)) if n <= l => {
            return Err(CliError::Usage(format!(
                "--sequence {n} is not higher than sequence {l}, the last snapshot of anchor '{}' this home holds; agencies would refuse it",
                a.name
            )));
        }
        (Some(n), _) => n,
        (None, Some(l)) => l
            .checked_add(1)
            .ok_or_else(|| CliError::Usage("the sequence numbers are exhausted".into()))?,
        (None, None) => 1,
    };
    let signed_at = ctx.now;
    let expires = signed_at
        .checked_add(a.days * DAY)
        .ok_or_else(|| CliError::Usage("--days is too large for this time".into()))?;
    let out = a.out.clone().unwrap_or_else(|| {
        ctx.home
            .certificates_dir()
            .join(format!("{}-{sequence}.snapshot.cose", a.name))
    });
    ensure_absent(&out)?;
    let anchor = open_anchor(ctx, &a.name)?;
    let bytes = anchor.publish(&dir, sequence, signed_at, expires)?;
    dir.merge(&bytes)?;
    commit_all(vec![
        stage(&out, &bytes, false)?,
        stage(&ctx.home.held_snapshot(&kid.to_string()), &bytes, true)?,
        stage_directory(&ctx.home, &dir)?,
    ])?;
    ctx.judge(&dir);
    let certificates = dir.certificates().filter(|c| c.issuer() == kid).count();
    let revocations = dir.revocations().filter(|r| r.issuer() == kid).count();
    let mut l = Lines::new();
    l.add("anchor", format!("{} (fingerprint {kid})", a.name))
        .add("sequence", sequence.to_string())
        .add("signed", format_time(signed_at))
        .add("expires", format_time(expires))
        .add(
            "contents",
            format!("{certificates} certificate(s), {revocations} revocation(s)"),
        )
        .add("snapshot", out.display().to_string());
    Ok(Report::new(
        format!(
            "Published signed directory snapshot {sequence} of anchor {}.\n{}Distribute it to every agency (`divex directory import`), and publish again before it expires.\n",
            a.name,
            l.render()
        ),
        json!({"anchor": a.name, "fingerprint": kid.to_string(), "sequence": sequence,
               "signed_at": signed_at, "expires": expires, "certificates": certificates,
               "revocations": revocations, "snapshot": out}),
    ))
}
