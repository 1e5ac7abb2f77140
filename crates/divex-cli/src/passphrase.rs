//! Keystore passphrases: from the `DIVEX_PASSPHRASE` environment variable when it is set
//! (scripts, tests, the demo), otherwise typed on the terminal without echo.
//!
//! The passphrase is never echoed, logged, put in an error or written anywhere. Callers keep
//! it in a [`zeroize::Zeroizing`] so that it is wiped when dropped.

use zeroize::Zeroizing;

use crate::error::CliError;

/// The environment variable read before prompting.
pub const ENV: &str = "DIVEX_PASSPHRASE";

/// Shortest passphrase accepted for a new keystore.
pub const MIN_NEW_LEN: usize = 8;

/// The passphrase: `DIVEX_PASSPHRASE` if set, else a prompt on the terminal (`prompt` is
/// shown; nothing typed is echoed). With `confirm` (creating a keystore) the prompt is asked
/// twice and the answers must match, and a passphrase shorter than [`MIN_NEW_LEN`] characters
/// is refused.
pub fn passphrase(prompt: &str, confirm: bool) -> Result<String, CliError> {
    let value = match std::env::var(ENV) {
        Ok(v) => Zeroizing::new(v),
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(CliError::Passphrase(format!(
                "{ENV} is not valid UTF-8; set it to the passphrase as text"
            )));
        }
        Err(std::env::VarError::NotPresent) => prompt_tty(prompt, confirm)?,
    };
    if value.is_empty() {
        return Err(CliError::Passphrase(format!(
            "the passphrase is empty; type one, or set {ENV}"
        )));
    }
    if confirm && value.chars().count() < MIN_NEW_LEN {
        return Err(CliError::Passphrase(format!(
            "a new keystore needs a passphrase of at least {MIN_NEW_LEN} characters"
        )));
    }
    Ok(value.to_string())
}

fn prompt_tty(prompt: &str, confirm: bool) -> Result<Zeroizing<String>, CliError> {
    let no_tty = |_| {
        CliError::Passphrase(format!(
            "cannot read a passphrase: there is no terminal to prompt on; set {ENV} instead"
        ))
    };
    let first = Zeroizing::new(rpassword::prompt_password(prompt).map_err(no_tty)?);
    if confirm {
        let again =
            Zeroizing::new(rpassword::prompt_password("Repeat the passphrase: ").map_err(no_tty)?);
        if *first != *again {
            return Err(CliError::Passphrase(
                "the two passphrases differ; run the command again".into(),
            ));
        }
    }
    Ok(first)
}
