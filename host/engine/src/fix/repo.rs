//! An IaC repository on disk: every path a fix reads or writes is relative to its root
//! and stays inside it (no absolute paths, no `..`, no symlink that leads out), and
//! files are replaced atomically.
//!
//! Reads and writes go through the repository's directory handle, not through path
//! strings: each file's directory is opened beneath the root (`openat2` with
//! `RESOLVE_BENEATH`, so no symlink — even one swapped in while a fix runs — leads
//! out), and the temporary file and the rename are relative to that directory.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{Mode, OFlags, ResolveFlags};

/// Why a repository path could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The repository directory cannot be opened.
    #[error("IaC repository {path}: {source}")]
    Open {
        /// The directory given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The repository path is not a directory.
    #[error("IaC repository {0} is not a directory")]
    NotADirectory(PathBuf),
    /// A path that would leave the repository or is not a plain relative path.
    #[error("`{path}` is not a path inside the IaC repository: {why}")]
    Outside {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A file larger than the limit.
    #[error("{path} is larger than {limit} bytes")]
    TooLarge {
        /// Repository-relative path.
        path: String,
        /// The limit.
        limit: usize,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// Repository-relative path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// A local working copy of an IaC repository.
#[derive(Debug, Clone)]
pub struct IacRepo {
    root: PathBuf,
    /// The root directory, opened once: every read and write is relative to it.
    root_dir: Arc<OwnedFd>,
}

/// A directory of the repository, opened beneath its root; files are read, created
/// and renamed relative to it.
#[derive(Debug)]
pub struct RepoDir {
    fd: OwnedFd,
}

impl IacRepo {
    /// Opens the repository at `dir` (which must be a directory).
    pub fn open(dir: &Path) -> Result<IacRepo, RepoError> {
        let root = dir.canonicalize().map_err(|source| RepoError::Open {
            path: dir.to_path_buf(),
            source,
        })?;
        if !root.is_dir() {
            return Err(RepoError::NotADirectory(dir.to_path_buf()));
        }
        let root_dir = rustix::fs::open(
            &root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| RepoError::Open {
            path: dir.to_path_buf(),
            source: e.into(),
        })?;
        Ok(IacRepo {
            root,
            root_dir: Arc::new(root_dir),
        })
    }

    /// The repository-relative canonical path of `rel` (symlinks inside the
    /// repository resolved): the one name of a file that several paths reach.
    pub fn canonical(&self, rel: &str) -> Result<String, RepoError> {
        let path = self.resolve(rel)?;
        let inside = path
            .strip_prefix(&self.root)
            .map_err(|_| RepoError::Outside {
                path: rel.to_string(),
                why: "it leads outside the repository (symlink)",
            })?;
        inside
            .components()
            .map(|c| c.as_os_str().to_str())
            .collect::<Option<Vec<_>>>()
            .map(|parts| parts.join("/"))
            .filter(|p| !p.is_empty())
            .ok_or(RepoError::Outside {
                path: rel.to_string(),
                why: "not a UTF-8 file path",
            })
    }

    /// Opens the directory of repository file `rel` beneath the root, with its file
    /// name; the path is checked as by [`IacRepo::resolve`] first.
    pub fn open_dir_of(&self, rel: &str) -> Result<(RepoDir, String), RepoError> {
        self.resolve(rel)?;
        let (dir, name) = match rel.rsplit_once('/') {
            Some((dir, name)) => (dir, name),
            None => (".", rel),
        };
        let fd = rustix::fs::openat2(
            &*self.root_dir,
            dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
            ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
        )
        .map_err(|e| RepoError::Io {
            path: rel.to_string(),
            source: std::io::Error::from(e),
        })?;
        Ok((RepoDir { fd }, name.to_string()))
    }

    /// The canonical root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The repository-relative path (with `/`) of a file given on disk, when it lies
    /// inside the repository.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let canonical = path.canonicalize().ok()?;
        let rel = canonical.strip_prefix(&self.root).ok()?;
        let parts: Vec<&str> = rel
            .components()
            .map(|c| c.as_os_str().to_str())
            .collect::<Option<_>>()?;
        (!parts.is_empty()).then(|| parts.join("/"))
    }

    /// The file on disk for a repository-relative path: refused when it is absolute,
    /// has `..` or `.` parts, or leads (through a symlink) outside the repository. The
    /// file need not exist, but its directory must.
    pub fn resolve(&self, rel: &str) -> Result<PathBuf, RepoError> {
        let outside = |why| RepoError::Outside {
            path: rel.to_string(),
            why,
        };
        if rel.is_empty() {
            return Err(outside("empty path"));
        }
        if rel.contains('\\') || rel.contains('\0') {
            return Err(outside("backslashes and NUL are not allowed"));
        }
        let path = Path::new(rel);
        for component in path.components() {
            match component {
                Component::Normal(_) => {}
                Component::ParentDir => return Err(outside("`..` is not allowed")),
                Component::CurDir => return Err(outside("`.` parts are not allowed")),
                Component::RootDir | Component::Prefix(_) => {
                    return Err(outside("absolute paths are not allowed"));
                }
            }
        }
        let joined = self.root.join(path);
        let canonical = match joined.canonicalize() {
            Ok(c) => c,
            Err(_) => {
                let parent = joined.parent().ok_or_else(|| outside("no directory"))?;
                let parent = parent
                    .canonicalize()
                    .map_err(|_| outside("its directory does not exist"))?;
                parent.join(joined.file_name().ok_or_else(|| outside("no file name"))?)
            }
        };
        if !canonical.starts_with(&self.root) {
            return Err(outside("it leads outside the repository (symlink)"));
        }
        Ok(canonical)
    }

    /// Reads a repository file as UTF-8 text, refusing files above `limit` bytes
    /// (never reading more than `limit + 1`).
    pub fn read(&self, rel: &str, limit: usize) -> Result<String, RepoError> {
        let (dir, name) = self.open_dir_of(rel)?;
        dir.read(&name, limit).map_err(|err| match err {
            ReadError::TooLarge => RepoError::TooLarge {
                path: rel.to_string(),
                limit,
            },
            ReadError::Io(source) => RepoError::Io {
                path: rel.to_string(),
                source,
            },
        })
    }

    /// Every regular file whose name ends with one of `suffixes`, as sorted
    /// repository-relative paths. Hidden files and directories (`.git`) are skipped and
    /// symlinked directories are not followed.
    pub fn files(&self, suffixes: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![(self.root.clone(), String::new())];
        while let Some((dir, prefix)) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                tracing::warn!(dir = %dir.display(), "cannot read a directory of the IaC repository");
                continue;
            };
            for entry in entries.flatten() {
                let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                    continue;
                };
                if name.starts_with('.') {
                    continue;
                }
                let rel = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}/{name}")
                };
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    stack.push((entry.path(), rel));
                } else if suffixes.iter().any(|s| name.ends_with(s))
                    && (kind.is_file() || self.resolve(&rel).is_ok_and(|p| p.is_file()))
                {
                    out.push(rel);
                }
            }
        }
        out.sort();
        out
    }

    /// Replaces a repository file with `content` atomically: written to a temporary
    /// file in the same directory, synced, given the old file's permissions, renamed
    /// over it, all relative to the directory opened beneath the root. Readers see the
    /// old or the new file, never a half-written one.
    pub fn write_atomic(&self, rel: &str, content: &str) -> Result<(), RepoError> {
        // The file a symlink inside the repository names is replaced, not the link.
        let (dir, name) = self.open_dir_of(&self.canonical(rel)?)?;
        dir.replace(&name, content).map_err(|source| RepoError::Io {
            path: rel.to_string(),
            source,
        })
    }
}

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// Larger than the limit.
    TooLarge,
    /// The I/O error.
    Io(std::io::Error),
}

impl RepoDir {
    /// Reads file `name` of this directory (not following a symlink out of it) as
    /// UTF-8 text of at most `limit` bytes.
    pub fn read(&self, name: &str, limit: usize) -> Result<String, ReadError> {
        let fd = rustix::fs::openat2(
            &self.fd,
            name,
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
            ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
        )
        .map_err(|e| ReadError::Io(e.into()))?;
        let mut bytes = Vec::new();
        std::fs::File::from(fd)
            .take(limit as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(ReadError::Io)?;
        if bytes.len() > limit {
            return Err(ReadError::TooLarge);
        }
        String::from_utf8(bytes)
            .map_err(|e| ReadError::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
    }

    /// Replaces file `name` of this directory with `content`: a new temporary file
    /// (`O_EXCL | O_NOFOLLOW`) synced, given the old file's permissions, renamed over
    /// it — all relative to this directory.
    pub fn replace(&self, name: &str, content: &str) -> std::io::Result<()> {
        let old_mode = rustix::fs::statat(&self.fd, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)
            .ok()
            .map(|st| Mode::from_raw_mode(st.st_mode as _) & Mode::from_raw_mode(0o7777));
        let tmp = format!(".aiops-fix-{}-{name}", std::process::id());
        let fd = rustix::fs::openat(
            &self.fd,
            tmp.as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )?;
        let written = (|| -> std::io::Result<()> {
            let mut file = std::fs::File::from(fd);
            file.write_all(content.as_bytes())?;
            file.sync_all()?;
            if let Some(mode) = old_mode {
                rustix::fs::fchmod(&file, mode)?;
            }
            rustix::fs::renameat(&self.fd, tmp.as_str(), &self.fd, name)?;
            Ok(())
        })();
        if written.is_err() {
            let _ = rustix::fs::unlinkat(&self.fd, tmp.as_str(), rustix::fs::AtFlags::empty());
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_that_leave_the_repository() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.yaml"), "x: 1\n").unwrap();
        std::fs::create_dir(dir.path().join("k8s")).unwrap();
        std::fs::write(dir.path().join("k8s/a.yaml"), "a: 1\n").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.path(), dir.path().join("k8s/link")).unwrap();
        let repo = IacRepo::open(dir.path()).unwrap();
        assert!(repo.resolve("k8s/a.yaml").is_ok());
        for bad in [
            "../x.yaml",
            "k8s/../../x",
            "/etc/passwd",
            "./k8s/a.yaml",
            "",
        ] {
            assert!(repo.resolve(bad).is_err(), "{bad}");
        }
        #[cfg(unix)]
        {
            let err = repo.resolve("k8s/link/secret.yaml").unwrap_err();
            assert!(err.to_string().contains("outside"), "{err}");
            assert_eq!(repo.files(&[".yaml"]), vec!["k8s/a.yaml".to_string()]);
        }
    }

    #[test]
    fn writes_atomically_keeping_permissions() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), "old\n").unwrap();
        let repo = IacRepo::open(dir.path()).unwrap();
        repo.write_atomic("a.yaml", "new\n").unwrap();
        assert_eq!(repo.read("a.yaml", 100).unwrap(), "new\n");
        assert!(matches!(
            repo.read("a.yaml", 2),
            Err(RepoError::TooLarge { .. })
        ));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }

    #[test]
    fn a_directory_swapped_for_a_symlink_after_opening_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("k8s")).unwrap();
        std::fs::write(dir.path().join("k8s/a.yaml"), "old\n").unwrap();
        std::fs::write(outside.path().join("a.yaml"), "outside\n").unwrap();
        let repo = IacRepo::open(dir.path()).unwrap();
        let (opened, name) = repo.open_dir_of("k8s/a.yaml").unwrap();
        // A concurrent writer moves the directory away and puts a symlink out in its place.
        std::fs::rename(dir.path().join("k8s"), dir.path().join("moved")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("k8s")).unwrap();
        opened.replace(&name, "new\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(outside.path().join("a.yaml")).unwrap(),
            "outside\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("moved/a.yaml")).unwrap(),
            "new\n"
        );
        // And a new open refuses the symlink that leads out.
        assert!(repo.write_atomic("k8s/a.yaml", "x").is_err());
        assert_eq!(
            std::fs::read_to_string(outside.path().join("a.yaml")).unwrap(),
            "outside\n"
        );
    }

    #[test]
    fn reads_stop_at_the_limit_and_symlinked_aliases_share_a_canonical_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), "0123456789").unwrap();
        std::os::unix::fs::symlink("a.yaml", dir.path().join("alias.yaml")).unwrap();
        let repo = IacRepo::open(dir.path()).unwrap();
        assert!(matches!(
            repo.read("a.yaml", 9),
            Err(RepoError::TooLarge { limit: 9, .. })
        ));
        assert_eq!(repo.read("alias.yaml", 10).unwrap(), "0123456789");
        assert_eq!(repo.canonical("alias.yaml").unwrap(), "a.yaml");
        assert_eq!(repo.canonical("a.yaml").unwrap(), "a.yaml");
    }
}
