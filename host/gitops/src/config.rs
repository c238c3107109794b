//! The `gitops:` section of the config: which repository holds the IaC source, how
//! fixes are grouped and proposed, and the limits.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::git::Identity;
use crate::git_cli::{RemoteAuth, is_network_url};
use crate::github::GithubConfig;
use crate::group::GroupBy;

/// The IaC repository (`gitops.repo`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepoConfig {
    /// A local path, `file://…` (paths are relative to the config file), `https://…`,
    /// `ssh://…` or `user@host:path`. May be left out with `seed`: the repository is
    /// then `iac-remote.git` under the data directory.
    #[serde(default)]
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
    /// https: the environment variable holding a token (with the GitHub provider its
    /// token is used when neither this nor `token_file` is given).
    #[serde(default)]
    pub token_env: Option<String>,
    /// https: a file holding a token.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// https: the user name sent with the token (default `x-access-token`, as GitHub
    /// wants; GitLab wants `oauth2`).
    #[serde(default)]
    pub username: Option<String>,
    /// ssh: the private key file.
    #[serde(default)]
    pub ssh_key_file: Option<PathBuf>,
    /// ssh: the known_hosts file the server is checked against (default: the user's).
    #[serde(default)]
    pub known_hosts_file: Option<PathBuf>,
    /// ssh: the ssh program (default `ssh` from PATH).
    #[serde(default)]
    pub ssh_program: Option<PathBuf>,
}

impl RepoConfig {
    /// The credentials for a network remote: the configured token or key, else
    /// `provider_token` (the GitHub provider's) for https.
    pub fn remote_auth(&self, provider_token: Option<String>) -> Result<RemoteAuth, String> {
        if let Some(key_file) = &self.ssh_key_file {
            return Ok(RemoteAuth::SshKey {
                key_file: key_file.clone(),
                known_hosts: self.known_hosts_file.clone(),
                program: self.ssh_program.clone(),
            });
        }
        let token = match (&self.token_file, &self.token_env) {
            (Some(file), _) => Some(
                std::fs::read_to_string(file)
                    .map_err(|e| format!("gitops.repo.token_file {}: {e}", file.display()))?
                    .trim()
                    .to_string(),
            ),
            (None, Some(var)) => Some(
                std::env::var(var)
                    .map_err(|_| format!("gitops.repo.token_env: ${var} is not set"))?
                    .trim()
                    .to_string(),
            ),
            (None, None) => provider_token,
        };
        Ok(match token {
            Some(token) if !token.is_empty() => RemoteAuth::Token {
                username: self
                    .username
                    .clone()
                    .unwrap_or_else(|| "x-access-token".into()),
                token,
            },
            _ => RemoteAuth::None,
        })
    }
}

fn default_base() -> String {
    "main".into()
}

/// Which provider turns a branch into a proposal (`gitops.provider`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
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
        if !self.repo.url.is_empty()
            && is_local_path(&self.repo.url)
            && Path::new(&self.repo.url).is_relative()
        {
            self.repo.url = dir.join(&self.repo.url).to_string_lossy().into_owned();
        }
        for file in [
            &mut self.repo.seed,
            &mut self.repo.token_file,
            &mut self.repo.ssh_key_file,
            &mut self.repo.known_hosts_file,
            &mut self.repo.ssh_program,
        ] {
            if let Some(f) = file
                && f.is_relative()
            {
                *file = Some(dir.join(&*f));
            }
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
            if self.repo.seed.is_some() {
                return Ok(());
            }
            return Err(
                "gitops.repo.url: empty (give it, or give seed for a local repository under the data directory)"
                    .into(),
            );
        }
        if !(is_local_path(url) || url.starts_with("file://") || is_network_url(url)) {
            return Err(format!(
                "gitops.repo.url: {url:?} is not a repository address (a local path, file://, https://, ssh:// or user@host:path)"
            ));
        }
        check_network_url(url, &self.repo)?;
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

/// The checks of a network address and its credential keys.
fn check_network_url(url: &str, repo: &RepoConfig) -> Result<(), String> {
    let https = url.starts_with("https://") || url.starts_with("http://");
    let ssh = is_network_url(url) && !https;
    if let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split(['/', ':']).next().unwrap_or_default();
        if !["127.0.0.1", "localhost", "[::1]"].contains(&host) {
            return Err(format!(
                "gitops.repo.url: {url:?}: plain http would send the token in clear; use https"
            ));
        }
    }
    if https
        && let Some(userinfo) = url.split("://").nth(1).and_then(|r| r.split('/').next())
        && userinfo.contains('@')
        && userinfo.split('@').next().is_some_and(|u| u.contains(':'))
    {
        return Err(
            "gitops.repo.url: holds a password; give the token in gitops.repo.token_env or token_file"
                .into(),
        );
    }
    if !ssh
        && (repo.ssh_key_file.is_some()
            || repo.known_hosts_file.is_some()
            || repo.ssh_program.is_some())
    {
        return Err("gitops.repo.ssh_key_file: only for ssh addresses".into());
    }
    if !https && (repo.token_env.is_some() || repo.token_file.is_some()) {
        return Err("gitops.repo.token_env/token_file: only for https addresses".into());
    }
    if repo.token_env.is_some() && repo.token_file.is_some() {
        return Err("gitops.repo: give token_env or token_file, not both".into());
    }
    Ok(())
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
        assert!(c.validate().is_ok());
        c.repo.url = "https://me:hunter2@github.com/o/r.git".into();
        assert!(c.validate().unwrap_err().contains("password"));
        c.repo.url = "http://git.example.com/o/r.git".into();
        assert!(c.validate().unwrap_err().contains("clear"));
        c.repo.url = "git@github.com:o/r.git".into();
        c.repo.token_env = Some("T".into());
        assert!(c.validate().unwrap_err().contains("only for https"));
        c.repo.token_env = None;
        c.repo.url = "ftp://x/y".into();
        assert!(
            c.validate()
                .unwrap_err()
                .contains("not a repository address")
        );
        c.repo.url = "file:///srv/iac.git".into();
        c.repo.path = Some("../x".into());
        assert!(c.validate().unwrap_err().contains("gitops.repo.path"));
        let err = serde_norway::from_str::<GitopsConfig>("repo: {url: x, branch: y}").unwrap_err();
        assert!(err.to_string().contains("branch"), "{err}");
    }
}
