//! The `gitops.github:` section: which GitHub (or GitHub Enterprise) repository the
//! pull requests go to, how aiops authenticates, and who reviews.
//!
//! Secrets never sit in the config: a token comes from an environment variable or a
//! file, a GitHub App's private key from a file or an environment variable.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// How GitHub merges a pull request (`gitops.github.merge_method`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MergeMethod {
    /// A merge commit (aiops's commit stays an ancestor of base).
    #[default]
    Merge,
    /// One squashed commit.
    Squash,
    /// The commits rebased onto base.
    Rebase,
}

impl MergeMethod {
    /// The REST value (`merge_method`).
    pub fn rest(self) -> &'static str {
        match self {
            MergeMethod::Merge => "merge",
            MergeMethod::Squash => "squash",
            MergeMethod::Rebase => "rebase",
        }
    }

    /// The GraphQL enum value (`PullRequestMergeMethod`).
    pub fn graphql(self) -> &'static str {
        match self {
            MergeMethod::Merge => "MERGE",
            MergeMethod::Squash => "SQUASH",
            MergeMethod::Rebase => "REBASE",
        }
    }
}

/// GitHub App credentials (`gitops.github.app`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// The App's id.
    pub id: u64,
    /// The installation on the repository's owner; looked up from the repository when
    /// absent.
    #[serde(default)]
    pub installation_id: Option<u64>,
    /// A file holding the App's private key (PEM).
    #[serde(default)]
    pub private_key_file: Option<PathBuf>,
    /// An environment variable holding the App's private key (PEM).
    #[serde(default)]
    pub private_key_env: Option<String>,
}

/// Retries of GitHub calls (`gitops.github.retry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// Attempts of one call, the first included (5xx, rate limits, transport errors).
    pub max_attempts: u32,
    /// The first backoff after a 5xx or a transport error, doubled each time.
    pub backoff_ms: u64,
    /// The longest aiops waits for a rate limit (`retry-after`, `x-ratelimit-reset`)
    /// before it gives up on the call (the next cycle tries again).
    pub max_wait_seconds: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 4,
            backoff_ms: 500,
            max_wait_seconds: 120,
        }
    }
}

/// The `gitops.github:` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GithubConfig {
    /// The REST API root: `https://api.github.com`, or `https://HOST/api/v3` for
    /// GitHub Enterprise Server.
    #[serde(default = "default_api")]
    pub api: String,
    /// The GraphQL endpoint; derived from `api` when absent (`…/graphql`, or
    /// `https://HOST/api/graphql` for GitHub Enterprise Server).
    #[serde(default)]
    pub graphql: Option<String>,
    /// The repository's owner; taken from `gitops.repo.url` when absent.
    #[serde(default)]
    pub owner: Option<String>,
    /// The repository's name; taken from `gitops.repo.url` when absent.
    #[serde(default)]
    pub repo: Option<String>,
    /// The environment variable holding a token (default `GITHUB_TOKEN`).
    #[serde(default)]
    pub token_env: Option<String>,
    /// A file holding a token (read at each start; wins over `token_env`).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// GitHub App credentials instead of a token.
    #[serde(default)]
    pub app: Option<AppConfig>,
    /// Users asked to review each pull request.
    #[serde(default)]
    pub reviewers: Vec<String>,
    /// Teams (slugs) asked to review each pull request.
    #[serde(default)]
    pub team_reviewers: Vec<String>,
    /// Labels put on every pull request besides `aiops`, `severity:…` and `rule:…`.
    #[serde(default)]
    pub labels: Vec<String>,
    /// How pull requests are merged.
    #[serde(default)]
    pub merge_method: MergeMethod,
    /// Enable GitHub's auto-merge (merges when required checks pass) rather than
    /// merging at once; a repository without required checks is merged directly.
    #[serde(default = "yes")]
    pub auto_merge: bool,
    /// Seconds one HTTP call may take.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// Retries.
    #[serde(default)]
    pub retry: RetryConfig,
}

fn default_api() -> String {
    "https://api.github.com".into()
}

fn yes() -> bool {
    true
}

fn default_timeout() -> u64 {
    30
}

impl Default for GithubConfig {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("every key has a default")
    }
}

impl GithubConfig {
    /// The environment variable a token is read from.
    pub fn token_env(&self) -> &str {
        self.token_env.as_deref().unwrap_or("GITHUB_TOKEN")
    }

    /// The GraphQL endpoint.
    pub fn graphql_url(&self) -> String {
        if let Some(url) = &self.graphql {
            return url.clone();
        }
        let api = self.api.trim_end_matches('/');
        match api.strip_suffix("/api/v3") {
            Some(host) => format!("{host}/api/graphql"),
            None => format!("{api}/graphql"),
        }
    }

    /// Resolves relative files against `dir`, the config file's directory.
    pub fn resolve_paths(&mut self, dir: &Path) {
        if let Some(f) = &self.token_file
            && f.is_relative()
        {
            self.token_file = Some(dir.join(f));
        }
        if let Some(app) = &mut self.app
            && let Some(f) = &app.private_key_file
            && f.is_relative()
        {
            app.private_key_file = Some(dir.join(f));
        }
    }

    /// Fills `owner` and `repo` from `repo_url` where absent and checks the section.
    pub fn complete(&mut self, repo_url: &str) -> Result<(), String> {
        if (self.owner.is_none() || self.repo.is_none())
            && let Some((owner, repo)) = owner_and_repo(repo_url)
        {
            self.owner.get_or_insert(owner);
            self.repo.get_or_insert(repo);
        }
        if self.owner.is_none() || self.repo.is_none() {
            return Err(format!(
                "gitops.github.owner and gitops.github.repo: not given and not in gitops.repo.url {repo_url:?}"
            ));
        }
        if !(self.api.starts_with("https://") || self.api.starts_with("http://")) {
            return Err(format!(
                "gitops.github.api: {:?} is not an http(s) URL",
                self.api
            ));
        }
        if let Some(app) = &self.app {
            if app.private_key_file.is_some() == app.private_key_env.is_some() {
                return Err(
                    "gitops.github.app: give exactly one of private_key_file and private_key_env"
                        .into(),
                );
            }
            if self.token_file.is_some() || self.token_env.is_some() {
                return Err(
                    "gitops.github: give a token (token_env, token_file) or app, not both".into(),
                );
            }
        }
        if self.retry.max_attempts == 0 {
            return Err("gitops.github.retry.max_attempts: must be at least 1".into());
        }
        Ok(())
    }

    /// The repository's owner (after [`GithubConfig::complete`]).
    pub fn owner(&self) -> &str {
        self.owner.as_deref().unwrap_or_default()
    }

    /// The repository's name (after [`GithubConfig::complete`]).
    pub fn repo(&self) -> &str {
        self.repo.as_deref().unwrap_or_default()
    }
}

/// `owner` and `repo` of a GitHub clone address (`https://HOST/OWNER/REPO(.git)`,
/// `ssh://git@HOST/OWNER/REPO.git`, `git@HOST:OWNER/REPO.git`).
pub fn owner_and_repo(url: &str) -> Option<(String, String)> {
    let path = if let Some((_, rest)) = url.split_once("://") {
        rest.split_once('/')?.1
    } else if let Some((_, rest)) = url.split_once(':')
        && url.contains('@')
    {
        rest
    } else {
        return None;
    };
    let mut parts = path.trim_end_matches('/').rsplitn(3, '/');
    let repo = parts.next()?.trim_end_matches(".git");
    let owner = parts.next()?;
    (!repo.is_empty() && !owner.is_empty()).then(|| (owner.to_string(), repo.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_and_repo_from_urls() {
        for url in [
            "https://github.com/acme/iac.git",
            "https://github.com/acme/iac",
            "ssh://git@github.com/acme/iac.git",
            "git@github.com:acme/iac.git",
        ] {
            assert_eq!(
                owner_and_repo(url),
                Some(("acme".into(), "iac".into())),
                "{url}"
            );
        }
        assert_eq!(owner_and_repo("/srv/iac.git"), None);
    }

    #[test]
    fn graphql_endpoint_follows_the_api() {
        let mut c = GithubConfig::default();
        assert_eq!(c.graphql_url(), "https://api.github.com/graphql");
        c.api = "https://ghe.example.com/api/v3/".into();
        assert_eq!(c.graphql_url(), "https://ghe.example.com/api/graphql");
    }

    #[test]
    fn completion_and_checks() {
        let mut c = GithubConfig::default();
        assert!(c.complete("/srv/iac.git").unwrap_err().contains("owner"));
        c.complete("https://github.com/acme/iac.git").unwrap();
        assert_eq!((c.owner(), c.repo()), ("acme", "iac"));
        c.app = Some(AppConfig {
            id: 1,
            installation_id: None,
            private_key_file: None,
            private_key_env: None,
        });
        assert!(c.complete("x").unwrap_err().contains("exactly one"));
        let err = serde_norway::from_str::<GithubConfig>("token: abc").unwrap_err();
        assert!(err.to_string().contains("token"), "{err}");
    }
}
