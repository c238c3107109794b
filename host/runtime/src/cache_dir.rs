//! The compile cache's directory as a place only this user can write: created `0700`,
//! refused when it is a symlink, owned by someone else or writable by group or others;
//! files in it opened without following links.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Why the cache directory (or its key) is not used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CacheDirError {
    /// Creating or inspecting it failed.
    #[error("{path}: {source}")]
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// It is not safe to deserialise from.
    #[error("{path} {why}; only a directory of this user's that no one else can write is used")]
    Unsafe {
        /// The path concerned.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
}

/// The effective user id of this process.
pub(crate) fn current_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Creates `dir` (`0700`, parents with default permissions) unless it exists, then
/// checks it: a real directory, owned by this user, not writable by group or others.
pub(crate) fn prepare(dir: &Path) -> Result<(), CacheDirError> {
    let io = |source| CacheDirError::Io {
        path: dir.to_path_buf(),
        source,
    };
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(io)?;
    }
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(err) => return Err(io(err)),
    }
    check_private(dir, true)
}

/// Checks that `path` (not followed if a link) is owned by this user and not writable
/// by group or others, and is a directory or a regular file as `dir` says.
pub(crate) fn check_private(path: &Path, dir: bool) -> Result<(), CacheDirError> {
    let meta = fs::symlink_metadata(path).map_err(|source| CacheDirError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let unsafe_because = |why: String| {
        Err(CacheDirError::Unsafe {
            path: path.to_path_buf(),
            why,
        })
    };
    let kind = meta.file_type();
    if kind.is_symlink() {
        return unsafe_because("is a symbolic link".into());
    }
    if dir && !kind.is_dir() {
        return unsafe_because("is not a directory".into());
    }
    if !dir && !kind.is_file() {
        return unsafe_because("is not a regular file".into());
    }
    let me = current_uid();
    if meta.uid() != me {
        return unsafe_because(format!(
            "is owned by uid {}, not this user ({me})",
            meta.uid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return unsafe_because(format!(
            "is writable by group or others (mode {:o})",
            meta.mode() & 0o7777
        ));
    }
    Ok(())
}

/// Opens an existing file for reading without following a final symlink.
pub(crate) fn open_nofollow(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(nofollow())
        .open(path)
}

/// Creates a new file (`O_EXCL | O_NOFOLLOW`, mode `0600`) for writing.
pub(crate) fn create_new_nofollow(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nofollow())
        .open(path)
}

fn nofollow() -> i32 {
    rustix::fs::OFlags::NOFOLLOW.bits() as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_new_directory_is_private_and_a_shared_one_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/cache");
        prepare(&dir).unwrap();
        assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        let err = prepare(&dir).unwrap_err().to_string();
        assert!(err.contains("writable by group or others"), "{err}");
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        let err = prepare(&link).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
    }

    #[test]
    fn new_files_do_not_follow_links_or_reuse_names() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("target");
        fs::write(&target, "x").unwrap();
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(create_new_nofollow(&link).is_err());
        assert!(open_nofollow(&link).is_err());
        assert!(create_new_nofollow(&target).is_err());
        assert_eq!(fs::read_to_string(&target).unwrap(), "x");
    }
}
