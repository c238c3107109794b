//! aiops's own clone of the IaC repository: fetch, check out the base, build commits in
//! memory, push with a lease, merge. Nothing here touches a user's working copy: the
//! clone lives under aiops's data directory and is reset to the remote base each cycle.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use git2::build::{CheckoutBuilder, RepoBuilder, TreeUpdateBuilder};

use crate::git_cli::{NetworkRemote, RemoteAuth, is_network_url};
use git2::{
    Commit, FetchOptions, FetchPrune, FileMode, Oid, PushOptions, RemoteCallbacks, Repository,
    Signature,
};

/// What went wrong with the IaC repository.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// A git operation failed.
    #[error("git {what} ({url}): {message}")]
    Git {
        /// What aiops was doing.
        what: String,
        /// The remote's address.
        url: String,
        /// libgit2's message.
        message: String,
    },
    /// The remote ref is not where aiops last left it: someone else pushed.
    #[error(
        "{url}: {refname} is at {actual}, not {expected} as aiops last pushed it: someone else pushed, aiops leaves it alone"
    )]
    Lease {
        /// The remote's address.
        url: String,
        /// The ref.
        refname: String,
        /// Where aiops expected it (`absent` when it expected none).
        expected: String,
        /// Where it is (`absent` when deleted).
        actual: String,
    },
    /// The remote refused the push.
    #[error("{url}: the remote refused the push of {refname}: {message}")]
    Refused {
        /// The remote's address.
        url: String,
        /// The ref.
        refname: String,
        /// Its reason.
        message: String,
    },
    /// The base branch does not exist on the remote.
    #[error("{url}: the base branch {base} does not exist")]
    NoBase {
        /// The remote's address.
        url: String,
        /// The branch.
        base: String,
    },
    /// Seeding a new local repository failed.
    #[error("seeding {path} from {seed}: {message}")]
    Seed {
        /// The repository made.
        path: PathBuf,
        /// The directory it was seeded from.
        seed: PathBuf,
        /// What failed.
        message: String,
    },
}

/// The author and committer of aiops's commits.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// Name.
    pub name: String,
    /// E-mail address.
    pub email: String,
}

impl Default for Identity {
    fn default() -> Self {
        Identity {
            name: "aiops".into(),
            email: "aiops@localhost".into(),
        }
    }
}

/// How a merge went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merged {
    /// The branch was on top of base: base moved to it.
    FastForward(Oid),
    /// A merge commit joins base and the branch.
    MergeCommit(Oid),
    /// The branch conflicts with base in these paths.
    Conflict(Vec<String>),
}

/// aiops's clone of the IaC repository.
pub struct IacClone {
    repo: Repository,
    url: String,
    base: String,
    /// A network remote, reached through the `git` program; `None`: libgit2 (local).
    network: Option<NetworkRemote>,
}

/// The remote-tracking ref of a branch.
fn tracking(branch: &str) -> String {
    format!("refs/remotes/origin/{branch}")
}

impl IacClone {
    /// Opens aiops's clone in `dir`, cloning `url` there first when it is not one yet.
    pub fn open(url: &str, dir: &Path, base: &str) -> Result<IacClone, GitError> {
        IacClone::open_with(url, dir, base, RemoteAuth::None)
    }

    /// [`IacClone::open`] for a remote that needs `auth` (network remotes only).
    pub fn open_with(
        url: &str,
        dir: &Path,
        base: &str,
        auth: RemoteAuth,
    ) -> Result<IacClone, GitError> {
        let network = is_network_url(url).then(|| NetworkRemote::new(url, auth));
        let fail = |what: &str, e: git2::Error| GitError::Git {
            what: what.into(),
            url: url.into(),
            message: e.message().to_string(),
        };
        let repo = if dir.join(".git").is_dir() {
            let repo = Repository::open(dir).map_err(|e| fail("open of aiops's clone", e))?;
            // The config may have moved the remote.
            repo.remote_set_url("origin", url)
                .map_err(|e| fail("remote set-url", e))?;
            repo
        } else {
            if let Some(parent) = dir.parent() {
                std::fs::create_dir_all(parent).map_err(|e| GitError::Git {
                    what: format!("create {}", parent.display()),
                    url: url.into(),
                    message: e.to_string(),
                })?;
            }
            // Cloned into a fresh directory next to it, then renamed: a clone killed
            // halfway never leaves a half repository where the next cycle looks.
            let partial = dir.with_extension("partial");
            let _ = std::fs::remove_dir_all(&partial);
            match &network {
                Some(remote) => remote.clone_into(&partial)?,
                None => {
                    RepoBuilder::new()
                        .clone(url, &partial)
                        .map_err(|e| fail("clone", e))?;
                }
            }
            std::fs::rename(&partial, dir).map_err(|e| GitError::Git {
                what: format!("rename {} to {}", partial.display(), dir.display()),
                url: url.into(),
                message: e.to_string(),
            })?;
            Repository::open(dir).map_err(|e| fail("open of aiops's clone", e))?
        };
        Ok(IacClone {
            repo,
            url: url.into(),
            base: base.into(),
            network,
        })
    }

    fn fail(&self, what: &str, e: git2::Error) -> GitError {
        GitError::Git {
            what: what.into(),
            url: self.url.clone(),
            message: e.message().to_string(),
        }
    }

    /// The clone's working directory.
    pub fn workdir(&self) -> &Path {
        self.repo.workdir().unwrap_or_else(|| self.repo.path())
    }

    /// The base branch's name.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Fetches every branch of the remote (pruning the deleted ones).
    pub fn fetch(&self) -> Result<(), GitError> {
        if let Some(network) = &self.network {
            return network.fetch(self.workdir());
        }
        let mut remote = self
            .repo
            .find_remote("origin")
            .map_err(|e| self.fail("find remote", e))?;
        let mut options = FetchOptions::new();
        options.prune(FetchPrune::On);
        remote
            .fetch(
                &["+refs/heads/*:refs/remotes/origin/*"],
                Some(&mut options),
                None,
            )
            .map_err(|e| self.fail("fetch", e))
    }

    /// Where a remote branch was at the last fetch.
    pub fn remote_branch(&self, branch: &str) -> Option<Oid> {
        self.repo.refname_to_id(&tracking(branch)).ok()
    }

    /// The remote base's tip at the last fetch.
    pub fn base_tip(&self) -> Result<Oid, GitError> {
        self.remote_branch(&self.base)
            .ok_or_else(|| GitError::NoBase {
                url: self.url.clone(),
                base: self.base.clone(),
            })
    }

    /// Resets the working directory to `commit` (detached, untracked files removed),
    /// so the fix pieces read exactly what is on base.
    pub fn checkout(&self, commit: Oid) -> Result<(), GitError> {
        let object = self
            .repo
            .find_object(commit, None)
            .map_err(|e| self.fail("find commit", e))?;
        self.repo
            .checkout_tree(
                &object,
                Some(CheckoutBuilder::new().force().remove_untracked(true)),
            )
            .map_err(|e| self.fail("checkout", e))?;
        self.repo
            .set_head_detached(commit)
            .map_err(|e| self.fail("set HEAD", e))
    }

    fn commit_of(&self, oid: Oid) -> Result<Commit<'_>, GitError> {
        self.repo
            .find_commit(oid)
            .map_err(|e| self.fail("find commit", e))
    }

    /// A commit on `parent` with `files` (repository-relative path, new content)
    /// replaced, made in memory (the working directory is not touched); its id.
    pub fn commit_files(
        &self,
        parent: Oid,
        files: &[(String, String)],
        message: &str,
        who: &Identity,
    ) -> Result<Oid, GitError> {
        let parent = self.commit_of(parent)?;
        let tree = parent.tree().map_err(|e| self.fail("read tree", e))?;
        let mut update = TreeUpdateBuilder::new();
        for (path, content) in files {
            let blob = self
                .repo
                .blob(content.as_bytes())
                .map_err(|e| self.fail("write blob", e))?;
            let mode = tree
                .get_path(Path::new(path))
                .ok()
                .filter(|e| e.filemode() == i32::from(FileMode::BlobExecutable))
                .map_or(FileMode::Blob, |_| FileMode::BlobExecutable);
            update.upsert(path, blob, mode);
        }
        let tree_id = update
            .create_updated(&self.repo, &tree)
            .map_err(|e| self.fail("write tree", e))?;
        let tree = self
            .repo
            .find_tree(tree_id)
            .map_err(|e| self.fail("find tree", e))?;
        let signature = self.signature(who)?;
        self.repo
            .commit(None, &signature, &signature, message, &tree, &[&parent])
            .map_err(|e| self.fail("commit", e))
    }

    fn signature(&self, who: &Identity) -> Result<Signature<'static>, GitError> {
        Signature::now(&who.name, &who.email).map_err(|e| self.fail("signature", e))
    }

    /// The full message of `commit`.
    pub fn message(&self, commit: Oid) -> Result<String, GitError> {
        Ok(self
            .commit_of(commit)?
            .message()
            .unwrap_or_default()
            .to_string())
    }

    /// The committer e-mail of `commit`.
    pub fn committer_email(&self, commit: Oid) -> Result<String, GitError> {
        Ok(self
            .commit_of(commit)?
            .committer()
            .email()
            .unwrap_or_default()
            .to_string())
    }

    /// True when `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: Oid, descendant: Oid) -> Result<bool, GitError> {
        if ancestor == descendant {
            return Ok(true);
        }
        self.repo
            .graph_descendant_of(descendant, ancestor)
            .map_err(|e| self.fail("merge base", e))
    }

    /// Paths `branch` would conflict in when merged into `base` (empty: merges clean).
    pub fn conflicts(&self, base: Oid, branch: Oid) -> Result<Vec<String>, GitError> {
        let ours = self.commit_of(base)?;
        let theirs = self.commit_of(branch)?;
        let index = self
            .repo
            .merge_commits(&ours, &theirs, None)
            .map_err(|e| self.fail("merge", e))?;
        let mut paths = Vec::new();
        if index.has_conflicts() {
            for conflict in index.conflicts().map_err(|e| self.fail("conflicts", e))? {
                let conflict = conflict.map_err(|e| self.fail("conflicts", e))?;
                let entry = conflict.our.or(conflict.their).or(conflict.ancestor);
                if let Some(entry) = entry {
                    paths.push(String::from_utf8_lossy(&entry.path).into_owned());
                }
            }
        }
        Ok(paths)
    }

    /// Merges `branch` into `base` (fast-forward when it is on top), in memory: the
    /// commit base should move to, or the conflicting paths.
    pub fn merge(
        &self,
        base: Oid,
        branch: Oid,
        message: &str,
        who: &Identity,
    ) -> Result<Merged, GitError> {
        if self.is_ancestor(base, branch)? {
            return Ok(Merged::FastForward(branch));
        }
        let ours = self.commit_of(base)?;
        let theirs = self.commit_of(branch)?;
        let mut index = self
            .repo
            .merge_commits(&ours, &theirs, None)
            .map_err(|e| self.fail("merge", e))?;
        if index.has_conflicts() {
            return Ok(Merged::Conflict(self.conflicts(base, branch)?));
        }
        let tree_id = index
            .write_tree_to(&self.repo)
            .map_err(|e| self.fail("write tree", e))?;
        let tree = self
            .repo
            .find_tree(tree_id)
            .map_err(|e| self.fail("find tree", e))?;
        let signature = self.signature(who)?;
        let id = self
            .repo
            .commit(
                None,
                &signature,
                &signature,
                message,
                &tree,
                &[&ours, &theirs],
            )
            .map_err(|e| self.fail("commit", e))?;
        Ok(Merged::MergeCommit(id))
    }

    /// Sets the remote `branch` to `to` (delete when `None`), only if it is at
    /// `expected` there (`None`: absent), checked by the remote during the push.
    pub fn push(
        &self,
        branch: &str,
        to: Option<Oid>,
        expected: Option<Oid>,
    ) -> Result<(), GitError> {
        let refname = format!("refs/heads/{branch}");
        let local = match to {
            Some(oid) => {
                let local = format!("refs/aiops/push/{branch}");
                self.repo
                    .reference(&local, oid, true, "aiops push")
                    .map_err(|e| self.fail("write push ref", e))?;
                Some(local)
            }
            None => None,
        };
        match &self.network {
            Some(network) => network.push(self.workdir(), &refname, local.as_deref(), expected)?,
            None => self.push_libgit2(&refname, local.as_deref(), expected)?,
        }
        // Mirror the push in the tracking ref, as a fetch would.
        let tracking = tracking(branch);
        match to {
            Some(oid) => {
                let _ = self.repo.reference(&tracking, oid, true, "aiops push");
            }
            None => {
                if let Ok(mut r) = self.repo.find_reference(&tracking) {
                    let _ = r.delete();
                }
            }
        }
        Ok(())
    }

    fn push_libgit2(
        &self,
        refname: &str,
        local: Option<&str>,
        expected: Option<Oid>,
    ) -> Result<(), GitError> {
        let refname = refname.to_string();
        let spec = match local {
            Some(local) => format!("+{local}:{refname}"),
            None => format!(":{refname}"),
        };
        let lease: RefCell<Option<GitError>> = RefCell::new(None);
        let refused: RefCell<Option<String>> = RefCell::new(None);
        let mut callbacks = RemoteCallbacks::new();
        let show = |o: Option<Oid>| o.map_or("absent".to_string(), |o| o.to_string());
        callbacks.push_negotiation(|updates| {
            for update in updates {
                if update.dst_refname().ok() != Some(refname.as_str()) {
                    continue;
                }
                let actual = Some(update.src()).filter(|o| !o.is_zero());
                if actual != expected {
                    *lease.borrow_mut() = Some(GitError::Lease {
                        url: self.url.clone(),
                        refname: refname.clone(),
                        expected: show(expected),
                        actual: show(actual),
                    });
                    return Err(git2::Error::from_str("lease broken"));
                }
            }
            Ok(())
        });
        callbacks.push_update_reference(|_, status| {
            if let Some(message) = status {
                *refused.borrow_mut() = Some(message.to_string());
            }
            Ok(())
        });
        let mut options = PushOptions::new();
        options.remote_callbacks(callbacks);
        let mut remote = self
            .repo
            .find_remote("origin")
            .map_err(|e| self.fail("find remote", e))?;
        let pushed = remote.push(&[spec.as_str()], Some(&mut options));
        drop(options);
        drop(remote);
        if let Some(err) = lease.into_inner() {
            return Err(err);
        }
        if let Err(e) = pushed {
            // A lease for an absent branch that exists is a rejected non-fast-forward
            // for some transports: say it as a lease.
            return Err(self.fail(&format!("push of {refname}"), e));
        }
        if let Some(message) = refused.into_inner() {
            return Err(GitError::Refused {
                url: self.url.clone(),
                refname,
                message,
            });
        }
        Ok(())
    }
}

/// Creates a bare repository at `path` whose base branch holds the files of `seed` in
/// one commit (the embedded default's "remote"), when `path` does not exist yet.
pub fn seed_bare(path: &Path, seed: &Path, base: &str, who: &Identity) -> Result<bool, GitError> {
    if path.exists() {
        return Ok(false);
    }
    let fail = |message: String| GitError::Seed {
        path: path.to_path_buf(),
        seed: seed.to_path_buf(),
        message,
    };
    if !seed.is_dir() {
        return Err(fail("the seed directory does not exist".into()));
    }
    let partial = path.with_extension("seeding");
    let _ = std::fs::remove_dir_all(&partial);
    let repo = Repository::init_bare(&partial).map_err(|e| fail(e.message().into()))?;
    let mut update = TreeUpdateBuilder::new();
    let mut stack = vec![seed.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
        for entry in entries {
            let entry = entry.map_err(|e| fail(e.to_string()))?;
            let file_type = entry.file_type().map_err(|e| fail(e.to_string()))?;
            let p = entry.path();
            if file_type.is_dir() {
                stack.push(p);
            } else if file_type.is_file() {
                let rel = p
                    .strip_prefix(seed)
                    .map_err(|e| fail(e.to_string()))?
                    .to_string_lossy()
                    .replace('\\', "/");
                let content =
                    std::fs::read(&p).map_err(|e| fail(format!("{}: {e}", p.display())))?;
                let blob = repo.blob(&content).map_err(|e| fail(e.message().into()))?;
                update.upsert(rel, blob, FileMode::Blob);
            }
        }
    }
    let empty = repo
        .treebuilder(None)
        .and_then(|b| b.write())
        .and_then(|id| repo.find_tree(id))
        .map_err(|e| fail(e.message().into()))?;
    let tree_id = update
        .create_updated(&repo, &empty)
        .map_err(|e| fail(e.message().into()))?;
    let tree = repo
        .find_tree(tree_id)
        .map_err(|e| fail(e.message().into()))?;
    let signature = Signature::now(&who.name, &who.email).map_err(|e| fail(e.message().into()))?;
    let refname = format!("refs/heads/{base}");
    drop(empty);
    repo.commit(
        Some(&refname),
        &signature,
        &signature,
        &format!("Seed from {}", seed.display()),
        &tree,
        &[],
    )
    .map_err(|e| fail(e.message().into()))?;
    repo.set_head(&refname)
        .map_err(|e| fail(e.message().into()))?;
    drop(tree);
    drop(repo);
    std::fs::rename(&partial, path).map_err(|e| fail(e.to_string()))?;
    Ok(true)
}
