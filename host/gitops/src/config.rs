//! The `gitops:` section of the config: which repository holds the IaC source, how
//! fixes are grouped and proposed, and the limits.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::git::Identity;
use crate::github::GithubConfig;
use crate::group::GroupBy;

/// The IaC repository (`gitops.repo`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoConfig {
    /// A local path, `file://…` (paths are relative to the config file).
    pub url: String,
    /// The branch changes are proposed against.
    #[serde(default = "default_base")]
    pub base: String,
    /// The directory inside the repository that holds the IaC source (default: its root).
    #[serde(default)]
    pub path: Option<String>,
    /// For local development: when `url` is a local path that does not exist, a bare
    /// repository is made there from this directory's files (one commit on `base`).
    #[serde(default)]
    pub seed: Option<PathBuf>,
}

fn default_base() -> String {
    "main".into()
}

/// Which provider turns a branch into a proposal (`gitops.provider`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// The branch in the repository is the proposal; approving merges it into base.
    #[default]
    Local,
    /// A GitHub (or GitHub Enterprise Server) pull request per branch (`gitops.github`).
    Github,
}

impl ProviderKind {
    /// Its name as the store records it.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Local => "local",
            ProviderKind::Github => "github",
        }
    }
}

/// How many proposals may be open (`gitops.limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Proposals awaiting approval at once; more wait for a later cycle.
    pub max_open: usize,
    /// New proposals one cycle opens.
    pub max_new_per_cycle: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_open: 20,
            max_new_per_cycle: 10,
        }
    }
}

/// The `gitops:` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitopsConfig {
    /// The IaC repository.
    pub repo: RepoConfig,
    /// The provider (`local` or `github`).
    #[serde(default)]
    pub provider: ProviderKind,
    /// The GitHub provider's settings (`provider: github`).
    #[serde(default)]
    pub github: Option<GithubConfig>,
    /// How fixes are grouped into proposals.
    #[serde(default)]
    pub group_by: GroupBy,
    /// Author and committer of aiops's commits.
    #[serde(default)]
    pub author: Identity,
    /// Limits on open and new proposals.
    #[serde(default)]
    pub limits: Limits,
    /// A merged fix whose findings are still reported this many cycles after the merge
    /// is flagged "merged but not effective".
    #[serde(default = "default_not_effective")]
    pub not_effective_after_cycles: u32,
}

fn default_not_effective() -> u32 {
    3
}

impl GitopsConfig {
    /// Resolves the local paths (`repo.url` when a path, `repo.seed`) against `dir`, the
    /// config file's directory.
    pub fn resolve_paths(&mut self, dir: &Path) {
        if is_local_path(&self.repo.url) && Path::new(&self.repo.url).is_relative() {
            self.repo.url = dir.join(&self.repo.url).to_string_lossy().into_owned();
        }
        if let Some(seed) = &self.repo.seed
            && seed.is_relative()
        {
            self.repo.seed = Some(dir.join(seed));
        }
        if let Some(github) = &mut self.github {
            github.resolve_paths(dir);
        }
    }

    /// The GitHub section completed from `repo.url` (owner, repo), for `provider: github`.
    pub fn github(&self) -> Result<GithubConfig, String> {
        let mut github = self.github.clone().unwrap_or_default();
        github.complete(&self.repo.url)?;
        Ok(github)
    }

    /// Checks what serde cannot: a supported address, a sane `path`.
    pub fn validate(&self) -> Result<(), String> {
        let url = &self.repo.url;
        if url.is_empty() {
            return Err("gitops.repo.url: empty".into());
        }
        if !(is_local_path(url) || url.starts_with("file://")) {
            return Err(format!(
                "gitops.repo.url: {url:?} is not supported by this build (a local path or file://; https and ssh need the github provider, not built yet)"
            ));
        }
        if self.provider == ProviderKind::Github {
            self.github()?;
        } else if self.github.is_some() {
            return Err("gitops.github: given, but gitops.provider is not github".into());
        }
        if let Some(path) = &self.repo.path
            && (path.starts_with('/') || path.split('/').any(|c| c == ".."))
        {
            return Err(format!(
                "gitops.repo.path: {path:?} must be relative and stay inside the repository"
            ));
        }
        if self.repo.base.is_empty() || self.repo.base.contains("..") {
            return Err(format!(
                "gitops.repo.base: {:?} is not a branch name",
                self.repo.base
            ));
        }
        Ok(())
    }

    /// The local path of the repository, when `repo.url` names one.
    pub fn local_path(&self) -> Option<PathBuf> {
        let url = &self.repo.url;
        if let Some(rest) = url.strip_prefix("file://") {
            Some(PathBuf::from(rest))
        } else if is_local_path(url) {
            Some(PathBuf::from(url))
        } else {
            None
        }
    }

    /// Where aiops keeps its clone under `data_dir`: one directory per repository.
    pub fn clone_dir(&self, data_dir: &Path) -> PathBuf {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(self.repo.url.as_bytes());
        data_dir
            .join("gitops")
            .join(hex::encode(&digest[..8]))
            .join("clone")
    }
}

/// True for an address without a scheme (`../iac.git`, `/srv/iac.git`).
fn is_local_path(url: &str) -> bool {
    !url.contains("://") && !url.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_validation() {
        let mut c: GitopsConfig = serde_norway::from_str("repo: {url: ../iac.git}").unwrap();
        assert_eq!(c.repo.base, "main");
        assert_eq!(c.group_by, GroupBy::Resource);
        assert_eq!(c.limits, Limits::default());
        c.resolve_paths(Path::new("/etc/aiops"));
        assert_eq!(c.repo.url, "/etc/aiops/../iac.git");
        assert!(c.validate().is_ok());
        c.repo.url = "https://github.com/o/r.git".into();
        assert!(c.validate().unwrap_err().contains("gitops.repo.url"));
        c.repo.url = "file:///srv/iac.git".into();
        c.repo.path = Some("../x".into());
        assert!(c.validate().unwrap_err().contains("gitops.repo.path"));
        let err = serde_norway::from_str::<GitopsConfig>("repo: {url: x, branch: y}").unwrap_err();
        assert!(err.to_string().contains("branch"), "{err}");
    }
}
