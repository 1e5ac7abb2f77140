//! The high-water mark (spec/ledger.md §4): the latest signed head the agency produced, kept in
//! the file `<ledger path>.head` **outside** the database, so that restoring an older database,
//! truncating it or emptying it does not roll the mark back with it.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::Connection;

use crate::error::LedgerError;
use crate::head::{MAX_HEAD_BYTES, SignedHead};
use crate::rows::hash_at;

/// `<ledger path>.head`: the ledger file's name with `.head` appended.
pub(crate) fn mark_path(ledger: &Path) -> PathBuf {
    let mut name = ledger.file_name().unwrap_or_default().to_owned();
    name.push(".head");
    ledger.with_file_name(name)
}

/// The mark file's contents: `None` if there is no mark, else the parsed head or what is
/// wrong with the file.
pub(crate) fn read(mark: &Path) -> io::Result<Option<Result<SignedHead, &'static str>>> {
    let file = match fs::File::open(mark) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut bytes = Vec::new();
    file.take(MAX_HEAD_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok(Some(SignedHead::from_bytes(&bytes)))
}

/// The mark of `agency_id`'s ledger at `mark`, if there is one (its signature not checked). A
/// file that is not a signed head of that agency's ledger is [`LedgerError::HeadMarkInvalid`].
pub(crate) fn load(mark: &Path, agency_id: &str) -> Result<Option<SignedHead>, LedgerError> {
    let invalid = |reason: String| LedgerError::HeadMarkInvalid {
        agency_id: agency_id.to_owned(),
        reason,
    };
    match read(mark) {
        Ok(None) => Ok(None),
        Ok(Some(Ok(m))) if m.agency_id == agency_id => Ok(Some(m)),
        Ok(Some(Ok(m))) => Err(invalid(format!(
            "it is the mark of agency {}'s ledger",
            m.agency_id
        ))),
        Ok(Some(Err(reason))) => Err(invalid(reason.to_owned())),
        Err(e) => Err(invalid(format!("it cannot be read ({e})"))),
    }
}

/// Refuses to go on from a ledger whose last entry is `present` if it does not reach its
/// high-water mark: shorter ([`LedgerError::RolledBack`]) or with another entry at the mark's
/// position ([`LedgerError::Forked`]). Structure only: the mark's signature is checked by
/// `Ledger::verify`, which has the directory.
pub(crate) fn reached(
    conn: &Connection,
    mark: &Path,
    agency_id: &str,
    genesis: &[u8; 32],
    present: u64,
) -> Result<(), LedgerError> {
    let Some(m) = load(mark, agency_id)? else {
        return Ok(());
    };
    if m.seq > present {
        return Err(LedgerError::RolledBack {
            agency_id: agency_id.to_owned(),
            present,
            signed: m.seq,
        });
    }
    if hash_at(conn, m.seq, genesis)? != Some(m.head) {
        return Err(LedgerError::Forked {
            agency_id: agency_id.to_owned(),
            from: 1,
            seq: m.seq,
            witness: None,
        });
    }
    Ok(())
}

/// Distinguishes the temporary files of concurrent writers in one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `head` to `mark` atomically: a temporary file in the same directory (mode 0600 on
/// Unix), `fsync`, `rename` over the mark, `fsync` of the directory. A crash leaves the old mark
/// or the new one, never a mix.
pub(crate) fn write(mark: &Path, head: &SignedHead) -> io::Result<()> {
    let dir = match mark.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(mark.file_name().unwrap_or_default());
    tmp_name.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp)?;
        f.write_all(&head.to_bytes())?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, mark)?;
        #[cfg(unix)]
        fs::File::open(&dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use divex_core::keys::AgencyKeys;

    #[test]
    fn the_mark_sits_beside_the_ledger() {
        assert_eq!(
            mark_path(Path::new("/h/agencies/x/ledger.sqlite")),
            PathBuf::from("/h/agencies/x/ledger.sqlite.head")
        );
    }

    #[test]
    fn written_atomically_owner_only_and_read_back() {
        let d = tempfile::tempdir().unwrap();
        let mark = d.path().join("l.sqlite.head");
        assert!(read(&mark).unwrap().is_none());
        let keys = AgencyKeys::generate();
        let h = SignedHead::sign("probation", 3, [1; 32], 10, &keys);
        write(&mark, &h).unwrap();
        let h2 = SignedHead::sign("probation", 4, [2; 32], 11, &keys);
        write(&mark, &h2).unwrap();
        assert_eq!(read(&mark).unwrap().unwrap().unwrap(), h2);
        assert_eq!(
            fs::read_dir(d.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&mark).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        fs::write(&mark, b"garbage").unwrap();
        assert!(read(&mark).unwrap().unwrap().is_err());
    }
}
