//! `divex init`, `divex keys rotate` and `divex consent patient-key`: new keys, sealed in a
//! keystore.

use divex_core::keys::{AgencyKeys, PersonalKey};
use divex_core::vocab::Vocabulary;
use serde_json::json;
use zeroize::Zeroizing;

use super::{Ctx, fast_warning, with_warnings};
use crate::cli::{InitArgs, KeysRotateArgs, PatientKeyArgs};
use crate::error::CliError;
use crate::keyring::{self, RETIRED_SUFFIX};
use crate::keystore::{self, KeystoreError};
use crate::passphrase::passphrase;
use crate::support::{Lines, Report, ensure_absent, stage};

pub(super) fn init(ctx: &Ctx, a: &InitArgs) -> Result<Report, CliError> {
    let path = ctx.home.keystore(&a.agency);
    if path.exists() {
        return Err(KeystoreError::Exists { path }.into());
    }
    if let Some(b) = &a.bundle_out {
        ensure_absent(b)?;
    }
    let pass = Zeroizing::new(passphrase(
        &format!("New passphrase for agency {}: ", a.agency),
        true,
    )?);
    let keys = AgencyKeys::generate();
    keystore::create_agency(&path, &a.agency, &keys, &pass, a.kdf)?;
    let bundle = keys.public().to_bytes();
    let mut written = vec![path.display().to_string()];
    if let Some(b) = &a.bundle_out {
        stage(b, &bundle, false)?
            .commit()
            .map_err(|e| CliError::io(b, "the bundle file", e))?;
        written.push(b.display().to_string());
    }
    let sk = keys.public().signing().kid().to_string();
    let ek = keys.public().encryption().kid().to_string();
    let mut l = Lines::new();
    l.add("agency", &a.agency)
        .add("keystore", path.display().to_string())
        .add("signing key id", &sk)
        .add("encryption key id", &ek)
        .add("public bundle", hex::encode(&bundle));
    if let Some(b) = &a.bundle_out {
        l.add("bundle file", b.display().to_string());
    }
    let mut human = format!("Created agency {}.\n{}", a.agency, l.render());
    human.push_str(&format!(
        "Next: have your trust anchor certify these keys, e.g.\n  divex anchor issue --name ANCHOR --agency {} --agency-name \"...\" --role ROLE --from-keystore {} --days 365\n",
        a.agency, a.agency
    ));
    let r = Report::new(
        human,
        json!({
            "agency": a.agency,
            "keystore": path,
            "signing_key_id": sk,
            "encryption_key_id": ek,
            "public_bundle": hex::encode(&bundle),
            "bundle_file": a.bundle_out,
            "kdf": a.kdf.as_str(),
        }),
    );
    Ok(with_warnings(r, fast_warning(a.kdf)))
}

pub(super) fn keys_rotate(ctx: &Ctx, a: &KeysRotateArgs) -> Result<Report, CliError> {
    let path = ctx.home.keystore(&a.agency);
    if !path.exists() {
        return Err(KeystoreError::NotFound { path }.into());
    }
    if let Some(b) = &a.bundle_out {
        ensure_absent(b)?;
    }
    let pass = Zeroizing::new(passphrase(
        &format!("Passphrase for agency {}: ", a.agency),
        false,
    )?);
    let old = keyring::open_checked(&path, &a.agency, &pass)?;
    let old_kid = old.public().signing().kid().to_string();
    let retired = ctx
        .home
        .retired_keystores(&a.agency)
        .join(format!("{old_kid}{RETIRED_SUFFIX}"));
    let keys = AgencyKeys::generate();
    // The old file is kept first, then replaced: an interrupted rotation leaves either the
    // old keys in place (and their identical retired copy, which a new run accepts) or both.
    keystore::rotate_agency(&path, &retired, &a.agency, &keys, &pass, a.kdf)?;
    let bundle = keys.public().to_bytes();
    let mut written = vec![path.display().to_string(), retired.display().to_string()];
    if let Some(b) = &a.bundle_out {
        stage(b, &bundle, false)?
            .commit()
            .map_err(|e| CliError::io(b, "the bundle file", e))?;
        written.push(b.display().to_string());
    }
    let sk = keys.public().signing().kid().to_string();
    let ek = keys.public().encryption().kid().to_string();
    let mut l = Lines::new();
    l.add("agency", &a.agency)
        .add("keystore", path.display().to_string())
        .add("signing key id", &sk)
        .add("encryption key id", &ek)
        .add("public bundle", hex::encode(&bundle))
        .add(
            "retired keys",
            format!("{old_kid} (kept at {})", retired.display()),
        );
    if let Some(b) = &a.bundle_out {
        l.add("bundle file", b.display().to_string());
    }
    let mut human = format!("Rotated the keys of agency {}.\n{}", a.agency, l.render());
    human.push_str(&format!(
        "Next: until the trust anchor certifies the new keys, this agency cannot seal. Have it\n\
         certify them and revoke the old certificate as superseded, e.g.\n  \
         divex anchor issue --name ANCHOR --agency {id} --agency-name \"...\" --role ROLE --from-keystore {id} --days 365\n  \
         divex anchor revoke --name ANCHOR --serial OLD_SERIAL --reason superseded\n\
         then distribute the directory. The retired keys still open envelopes sealed to them.\n",
        id = a.agency
    ));
    let r = Report::new(
        human,
        json!({
            "agency": a.agency,
            "keystore": path,
            "signing_key_id": sk,
            "encryption_key_id": ek,
            "public_bundle": hex::encode(&bundle),
            "retired_signing_key_id": old_kid,
            "retired_keystore": retired,
            "bundle_file": a.bundle_out,
            "written": written,
            "kdf": a.kdf.as_str(),
        }),
    );
    Ok(with_warnings(r, fast_warning(a.kdf)))
}

pub(super) fn patient_key(_ctx: &Ctx, a: &PatientKeyArgs) -> Result<Report, CliError> {
    if a.out.exists() {
        return Err(KeystoreError::Exists {
            path: a.out.clone(),
        }
        .into());
    }
    let pass = Zeroizing::new(passphrase(
        &format!("New passphrase for {}: ", a.out.display()),
        true,
    )?);
    let key = PersonalKey::generate();
    keystore::create_personal(&a.out, &a.label, &key, &pass, a.kdf)?;
    let kid = key.public().kid().to_string();
    let public = hex::encode(key.public().as_bytes());
    let mut l = Lines::new();
    l.add("key file", a.out.display().to_string())
        .add("label", &a.label)
        .add("public key", &public)
        .add("key id", &kid);
    let r = Report::new(
        format!("Created a personal signing key.\n{}", l.render()),
        json!({"file": a.out, "label": a.label, "public_key": public, "key_id": kid, "kdf": a.kdf.as_str()}),
    );
    Ok(with_warnings(r, fast_warning(a.kdf)))
}
