//! File helpers: bounded reads and atomic writes.
//!
//! Every output is written to a temporary file in the destination's directory, flushed to
//! disk, and only then moved into place, so a command that fails (or is killed) leaves either
//! the old file or nothing — never half a file. Files are created with mode 0600 and new
//! directories with mode 0700 on Unix: everything in a divex home is protected health
//! information or key material.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Creates `dir` and its parents (mode 0700 on Unix) if they do not exist.
pub fn create_dir_private(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Reads a whole file, refusing files larger than `max` bytes.
pub fn read_bounded(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let file = fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the file is {len} bytes, over the limit of {max}"),
        ));
    }
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(max.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the file is over the limit of {max} bytes"),
        ));
    }
    Ok(out)
}

/// A file written to a temporary name beside its destination, not yet in place.
#[derive(Debug)]
pub struct Staged {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
    overwrite: bool,
}

impl Staged {
    /// The destination.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the file into place: atomically replacing an existing file when `overwrite` was
    /// given, otherwise failing with [`io::ErrorKind::AlreadyExists`] if one appeared.
    pub fn commit(self) -> io::Result<PathBuf> {
        let Staged {
            tmp,
            path,
            overwrite,
        } = self;
        let result = if overwrite {
            tmp.persist(&path)
        } else {
            tmp.persist_noclobber(&path)
        };
        result.map_err(|e| e.error)?;
        // Make the rename durable where the platform allows it.
        #[cfg(unix)]
        if let Some(parent) = path.parent()
            && let Ok(d) = fs::File::open(parent)
        {
            let _ = d.sync_all();
        }
        Ok(path)
    }
}

/// Writes `bytes` to a temporary file beside `path` (creating the directory), flushed to disk.
/// Nothing is visible at `path` until [`Staged::commit`]; dropping the result removes the
/// temporary file. Refuses at once when `path` exists and `overwrite` is false.
pub fn stage(path: &Path, bytes: &[u8], overwrite: bool) -> io::Result<Staged> {
    if !overwrite && path.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "the file already exists",
        ));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    create_dir_private(&parent)?;
    // NamedTempFile creates the file with mode 0600 on Unix.
    let mut tmp = tempfile::Builder::new()
        .prefix(".divex-tmp-")
        .tempfile_in(&parent)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    Ok(Staged {
        tmp,
        path: path.to_path_buf(),
        overwrite,
    })
}

/// [`stage`] then [`Staged::commit`].
pub fn write_atomic(path: &Path, bytes: &[u8], overwrite: bool) -> io::Result<PathBuf> {
    stage(path, bytes, overwrite)?.commit()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_refuses_overwrite() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sub/x.bin");
        write_atomic(&p, b"one", false).unwrap();
        let e = write_atomic(&p, b"two", false).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"two", true).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        // No temporary files left behind.
        let names: Vec<_> = fs::read_dir(d.path().join("sub")).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn dropped_stage_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("y.bin");
        let s = stage(&p, b"data", false).unwrap();
        drop(s);
        assert!(!p.exists());
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 0);
    }

    #[test]
    fn bounded_read() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("z");
        fs::write(&p, [0u8; 10]).unwrap();
        assert_eq!(read_bounded(&p, 10).unwrap().len(), 10);
        assert!(read_bounded(&p, 9).is_err());
    }
}
