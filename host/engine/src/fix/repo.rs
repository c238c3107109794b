//! An IaC repository on disk: every path a fix reads or writes is relative to its root
//! and stays inside it (no absolute paths, no `..`, no symlink that leads out), and
//! files are replaced atomically.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

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
        Ok(IacRepo { root })
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

    /// Reads a repository file as UTF-8 text, refusing files above `limit` bytes.
    pub fn read(&self, rel: &str, limit: usize) -> Result<String, RepoError> {
        let path = self.resolve(rel)?;
        let io = |source| RepoError::Io {
            path: rel.to_string(),
            source,
        };
        let size = std::fs::metadata(&path).map_err(io)?.len();
        if size > limit as u64 {
            return Err(RepoError::TooLarge {
                path: rel.to_string(),
                limit,
            });
        }
        std::fs::read_to_string(&path).map_err(io)
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
    /// over it. Readers see the old or the new file, never a half-written one.
    pub fn write_atomic(&self, rel: &str, content: &str) -> Result<(), RepoError> {
        let path = self.resolve(rel)?;
        let io = |source| RepoError::Io {
            path: rel.to_string(),
            source,
        };
        let dir = path.parent().expect("a resolved file has a directory");
        let mut tmp = tempfile::Builder::new()
            .prefix(".aiops-fix-")
            .tempfile_in(dir)
            .map_err(io)?;
        tmp.write_all(content.as_bytes()).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        if let Ok(meta) = std::fs::metadata(&path) {
            tmp.as_file()
                .set_permissions(meta.permissions())
                .map_err(io)?;
        }
        tmp.persist(&path).map_err(|e| io(e.error))?;
        Ok(())
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
}
