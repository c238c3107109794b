//! GitHub's REST and GraphQL APIs as aiops uses them, through octocrab's client (auth
//! by token or GitHub App, the base URI of GitHub Enterprise, rustls): pull requests,
//! labels, reviewers, reviews, checks, merges and auto-merge.
//!
//! Every call goes through [`GithubApi::send`], which reads the status and headers
//! itself: a 5xx or a transport error is retried with backoff, a rate limit (429, or a
//! 403 with `retry-after`, `x-ratelimit-remaining: 0` or GitHub's "secondary rate
//! limit" message) waits as long as GitHub says, and any other refusal becomes a
//! [`GithubError::Status`] naming the call and GitHub's message.

use std::time::Duration;

use http::{HeaderMap, Method, StatusCode};
use octocrab::Octocrab;
use octocrab::models::{AppId, InstallationId};
use serde_json::{Value, json};

use super::config::{GithubConfig, RetryConfig};

/// What a GitHub call can fail with. Never holds a token.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    /// GitHub answered with an error status.
    #[error("GitHub {method} {path}: {status} {message}")]
    Status {
        /// The method.
        method: Method,
        /// The path called.
        path: String,
        /// The status code.
        status: u16,
        /// GitHub's `message` and the `errors[].message` details.
        message: String,
    },
    /// The call did not get an answer.
    #[error("GitHub {method} {path}: {message}")]
    Transport {
        /// The method.
        method: Method,
        /// The path called.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// GitHub answered something aiops cannot read.
    #[error("GitHub {path}: unexpected answer: {message}")]
    Answer {
        /// The path called.
        path: String,
        /// What is missing.
        message: String,
    },
    /// The section or its credentials.
    #[error("gitops.github: {0}")]
    Config(String),
}

impl GithubError {
    /// The status GitHub answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            GithubError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// One answer: status, headers and the JSON body (`null` when empty).
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Value,
}

/// A pull request as aiops reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// Its number.
    pub number: u64,
    /// Its page (`html_url`).
    pub url: String,
    /// Its GraphQL id (`node_id`), for the auto-merge mutation.
    pub node_id: String,
    /// `open` or `closed`.
    pub state: String,
    /// True once merged.
    pub merged: bool,
    /// The merge commit, once merged.
    pub merge_commit: Option<String>,
    /// Who merged it.
    pub merged_by: Option<String>,
    /// The head branch's commit.
    pub head_sha: String,
    /// The head branch.
    pub head_ref: String,
    /// True when GitHub's auto-merge is enabled on it.
    pub auto_merge: bool,
}

impl PullRequest {
    fn from_json(path: &str, v: &Value) -> Result<PullRequest, GithubError> {
        let missing = |what: &str| GithubError::Answer {
            path: path.to_string(),
            message: format!("no {what} in the pull request"),
        };
        let text = |v: &Value| v.as_str().map(str::to_string);
        Ok(PullRequest {
            number: v["number"].as_u64().ok_or_else(|| missing("number"))?,
            url: text(&v["html_url"]).unwrap_or_default(),
            node_id: text(&v["node_id"]).unwrap_or_default(),
            state: text(&v["state"]).ok_or_else(|| missing("state"))?,
            merged: v["merged"].as_bool().unwrap_or(false) || !v["merged_at"].is_null(),
            merge_commit: text(&v["merge_commit_sha"]),
            merged_by: text(&v["merged_by"]["login"]),
            head_sha: text(&v["head"]["sha"]).unwrap_or_default(),
            head_ref: text(&v["head"]["ref"]).unwrap_or_default(),
            auto_merge: v["auto_merge"].is_object(),
        })
    }

    /// True while it is open.
    pub fn is_open(&self) -> bool {
        self.state == "open"
    }
}

/// One review, as `GET …/pulls/N/reviews` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// The reviewer's login.
    pub user: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`, `PENDING`.
    pub state: String,
    /// What the reviewer wrote.
    pub body: String,
    /// The commit reviewed.
    pub commit: String,
}

/// The checks and statuses of a commit, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checks {
    /// Succeeded (or neutral, skipped).
    pub passed: usize,
    /// Failed, cancelled, timed out, errored.
    pub failed: Vec<String>,
    /// Not finished.
    pub pending: usize,
}

impl Checks {
    /// A one-line summary (`checks: 2 passed, 1 failed (lint), 0 pending`).
    pub fn summary(&self) -> String {
        let failed = if self.failed.is_empty() {
            "0 failed".to_string()
        } else {
            format!("{} failed ({})", self.failed.len(), self.failed.join(", "))
        };
        format!(
            "checks: {} passed, {failed}, {} pending",
            self.passed, self.pending
        )
    }
}

/// How a merge request went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeResult {
    /// Merged: the merge commit.
    Merged(String),
    /// Auto-merge is enabled: GitHub merges once the required checks pass.
    AutoMergeEnabled,
    /// GitHub refused (not mergeable, head moved, checks failing): its message.
    Refused(String),
}

/// An authenticated client of one repository's API.
pub struct GithubApi {
    rest: Octocrab,
    graphql: Octocrab,
    config: GithubConfig,
    /// A GitHub App's installation client, for git's token.
    app_installation: Option<Octocrab>,
    token: Option<String>,
}

impl std::fmt::Debug for GithubApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubApi")
            .field("api", &self.config.api)
            .field("owner", &self.config.owner())
            .field("repo", &self.config.repo())
            .finish_non_exhaustive()
    }
}

enum Credentials {
    Token(String),
    App {
        id: u64,
        installation: Option<u64>,
        key: octocrab::EncodingKey,
    },
}

fn credentials(config: &GithubConfig) -> Result<Credentials, GithubError> {
    if let Some(app) = &config.app {
        let pem = match (&app.private_key_file, &app.private_key_env) {
            (Some(file), _) => std::fs::read(file).map_err(|e| {
                GithubError::Config(format!("app.private_key_file {}: {e}", file.display()))
            })?,
            (None, Some(var)) => std::env::var(var)
                .map_err(|_| {
                    GithubError::Config(format!("app.private_key_env: ${var} is not set"))
                })?
                .into_bytes(),
            (None, None) => {
                return Err(GithubError::Config(
                    "app: no private_key_file or private_key_env".into(),
                ));
            }
        };
        let key = octocrab::EncodingKey::from_rsa_pem(&pem).map_err(|e| {
            GithubError::Config(format!("app: the private key is not an RSA PEM key ({e})"))
        })?;
        return Ok(Credentials::App {
            id: app.id,
            installation: app.installation_id,
            key,
        });
    }
    let token = match &config.token_file {
        Some(file) => std::fs::read_to_string(file)
            .map_err(|e| GithubError::Config(format!("token_file {}: {e}", file.display())))?,
        None => std::env::var(config.token_env()).map_err(|_| {
            GithubError::Config(format!(
                "no token: set ${} (gitops.github.token_env), or give gitops.github.token_file or gitops.github.app",
                config.token_env()
            ))
        })?,
    };
    let token = token.trim().to_string();
    if token.is_empty() {
        return Err(GithubError::Config("the token is empty".into()));
    }
    Ok(Credentials::Token(token))
}

/// An octocrab client of the API at `base`, authenticated by `auth`.
fn client(base: &str, config: &GithubConfig, auth: &Auth) -> Result<Octocrab, GithubError> {
    let timeout = Some(Duration::from_secs(config.timeout_seconds));
    let builder = Octocrab::builder()
        .base_uri(base)
        .map_err(|e| GithubError::Config(format!("api {base:?}: {e}")))?
        .set_connect_timeout(timeout)
        .set_read_timeout(timeout);
    let built = match auth {
        Auth::Token(token) => builder.personal_token(token.clone()).build(),
        Auth::App(id, key) => builder.app(AppId(*id), key.clone()).build(),
    };
    built.map_err(|e| GithubError::Config(format!("client: {e}")))
}

/// How a client authenticates.
enum Auth {
    Token(String),
    App(u64, octocrab::EncodingKey),
}

impl GithubApi {
    /// Connects to the repository of `config` (completed): reads the credentials and,
    /// for a GitHub App, finds its installation when not given.
    pub async fn connect(config: &GithubConfig) -> Result<GithubApi, GithubError> {
        let graphql_url = config.graphql_url();
        let graphql_base = graphql_url
            .strip_suffix("/graphql")
            .ok_or_else(|| {
                GithubError::Config(format!("graphql {graphql_url:?} does not end in /graphql"))
            })?
            .to_string();
        match credentials(config)? {
            Credentials::Token(token) => {
                let auth = Auth::Token(token.clone());
                Ok(GithubApi {
                    rest: client(&config.api, config, &auth)?,
                    graphql: client(&graphql_base, config, &auth)?,
                    config: config.clone(),
                    app_installation: None,
                    token: Some(token),
                })
            }
            Credentials::App {
                id,
                installation,
                key,
            } => {
                let auth = Auth::App(id, key);
                let app = client(&config.api, config, &auth)?;
                let installation = match installation {
                    Some(i) => i,
                    None => {
                        let api = GithubApi {
                            rest: app.clone(),
                            graphql: app.clone(),
                            config: config.clone(),
                            app_installation: None,
                            token: None,
                        };
                        let path =
                            format!("/repos/{}/{}/installation", config.owner(), config.repo());
                        let answer = api.send(Method::GET, &path, None).await?;
                        answer.body["id"]
                            .as_u64()
                            .ok_or_else(|| GithubError::Answer {
                                path,
                                message: "no installation id".into(),
                            })?
                    }
                };
                let rest = app
                    .installation(InstallationId(installation))
                    .map_err(|e| GithubError::Config(format!("installation: {e}")))?;
                let graphql = client(&graphql_base, config, &auth)?
                    .installation(InstallationId(installation))
                    .map_err(|e| GithubError::Config(format!("installation: {e}")))?;
                Ok(GithubApi {
                    app_installation: Some(rest.clone()),
                    rest,
                    graphql,
                    config: config.clone(),
                    token: None,
                })
            }
        }
    }

    /// The token git authenticates with over https (`x-access-token`): the configured
    /// token, or a fresh installation token of the GitHub App.
    pub async fn git_token(&self) -> Result<String, GithubError> {
        if let Some(token) = &self.token {
            return Ok(token.clone());
        }
        let crab = self
            .app_installation
            .as_ref()
            .ok_or_else(|| GithubError::Config("no credentials".into()))?;
        use octocrab::secrecy::ExposeSecret;
        crab.installation_token()
            .await
            .map(|t| t.expose_secret().to_string())
            .map_err(|e| GithubError::Transport {
                method: Method::POST,
                path: "/app/installations/…/access_tokens".into(),
                message: e.to_string(),
            })
    }

    fn repo_path(&self, rest: &str) -> String {
        format!(
            "/repos/{}/{}{rest}",
            self.config.owner(),
            self.config.repo()
        )
    }

    /// Sends one REST call (`path` relative to the API root), retrying as the module
    /// says.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, GithubError> {
        send(&self.rest, &self.config.retry, method, path, body).await
    }

    /// Pull requests whose head is `branch` (newest first, open or closed).
    pub async fn pulls_of(&self, branch: &str) -> Result<Vec<PullRequest>, GithubError> {
        let path = self.repo_path(&format!(
            "/pulls?head={}:{}&state=all&sort=created&direction=desc&per_page=20",
            self.config.owner(),
            url_escape(branch)
        ));
        let answer = self.send(Method::GET, &path, None).await?;
        let list = answer.body.as_array().ok_or_else(|| GithubError::Answer {
            path: path.clone(),
            message: "not a list".into(),
        })?;
        let mut pulls = list
            .iter()
            .map(|v| PullRequest::from_json(&path, v))
            .collect::<Result<Vec<_>, _>>()?;
        // The head filter is GitHub's; keep only exact matches all the same.
        pulls.retain(|p| p.head_ref.is_empty() || p.head_ref == branch);
        Ok(pulls)
    }

    /// The open pull request of `branch`, if any.
    pub async fn open_pull_of(&self, branch: &str) -> Result<Option<PullRequest>, GithubError> {
        Ok(self
            .pulls_of(branch)
            .await?
            .into_iter()
            .find(PullRequest::is_open))
    }

    /// Opens a pull request of `branch` into `base`; when GitHub says one already
    /// exists (422), that one is found, its title and body rewritten, and returned.
    pub async fn create_pull(
        &self,
        branch: &str,
        base: &str,
        title: &str,
        body: &str,
    ) -> Result<PullRequest, GithubError> {
        let path = self.repo_path("/pulls");
        let request = json!({
            "title": title, "head": branch, "base": base, "body": body,
            "maintainer_can_modify": false, "draft": false,
        });
        match self.send(Method::POST, &path, Some(&request)).await {
            Ok(answer) => PullRequest::from_json(&path, &answer.body),
            Err(GithubError::Status {
                status: 422,
                message,
                ..
            }) if message.contains("already exists") => {
                let existing =
                    self.open_pull_of(branch)
                        .await?
                        .ok_or_else(|| GithubError::Answer {
                            path: path.clone(),
                            message: format!(
                                "GitHub says a pull request of {branch} exists but lists none open"
                            ),
                        })?;
                self.update_pull(existing.number, title, body).await
            }
            Err(err) => Err(err),
        }
    }

    /// Rewrites a pull request's title and body.
    pub async fn update_pull(
        &self,
        number: u64,
        title: &str,
        body: &str,
    ) -> Result<PullRequest, GithubError> {
        let path = self.repo_path(&format!("/pulls/{number}"));
        let answer = self
            .send(
                Method::PATCH,
                &path,
                Some(&json!({"title": title, "body": body})),
            )
            .await?;
        PullRequest::from_json(&path, &answer.body)
    }

    /// One pull request.
    pub async fn pull(&self, number: u64) -> Result<PullRequest, GithubError> {
        let path = self.repo_path(&format!("/pulls/{number}"));
        let answer = self.send(Method::GET, &path, None).await?;
        PullRequest::from_json(&path, &answer.body)
    }

    /// Adds `labels` to pull request `number` (labels GitHub does not know yet are made).
    pub async fn add_labels(&self, number: u64, labels: &[String]) -> Result<(), GithubError> {
        if labels.is_empty() {
            return Ok(());
        }
        let path = self.repo_path(&format!("/issues/{number}/labels"));
        self.send(Method::POST, &path, Some(&json!({ "labels": labels })))
            .await
            .map(drop)
    }

    /// Asks the configured users and teams to review pull request `number`.
    pub async fn request_reviewers(&self, number: u64) -> Result<(), GithubError> {
        if self.config.reviewers.is_empty() && self.config.team_reviewers.is_empty() {
            return Ok(());
        }
        let path = self.repo_path(&format!("/pulls/{number}/requested_reviewers"));
        let body = json!({
            "reviewers": self.config.reviewers,
            "team_reviewers": self.config.team_reviewers,
        });
        self.send(Method::POST, &path, Some(&body)).await.map(drop)
    }

    /// The reviews of pull request `number`, oldest first.
    pub async fn reviews(&self, number: u64) -> Result<Vec<Review>, GithubError> {
        let path = self.repo_path(&format!("/pulls/{number}/reviews?per_page=100"));
        let answer = self.send(Method::GET, &path, None).await?;
        let list = answer.body.as_array().ok_or_else(|| GithubError::Answer {
            path: path.clone(),
            message: "not a list".into(),
        })?;
        Ok(list
            .iter()
            .map(|v| Review {
                user: v["user"]["login"].as_str().unwrap_or("?").to_string(),
                state: v["state"].as_str().unwrap_or_default().to_string(),
                body: v["body"].as_str().unwrap_or_default().to_string(),
                commit: v["commit_id"].as_str().unwrap_or_default().to_string(),
            })
            .collect())
    }

    /// The check runs and commit statuses of `sha`.
    pub async fn checks(&self, sha: &str) -> Result<Checks, GithubError> {
        let mut checks = Checks::default();
        let runs = self
            .send(
                Method::GET,
                &self.repo_path(&format!("/commits/{sha}/check-runs?per_page=100")),
                None,
            )
            .await?;
        for run in runs.body["check_runs"].as_array().into_iter().flatten() {
            let name = run["name"].as_str().unwrap_or("?").to_string();
            match (run["status"].as_str(), run["conclusion"].as_str()) {
                (Some("completed"), Some("success" | "neutral" | "skipped")) => checks.passed += 1,
                (Some("completed"), _) => checks.failed.push(name),
                _ => checks.pending += 1,
            }
        }
        let status = self
            .send(
                Method::GET,
                &self.repo_path(&format!("/commits/{sha}/status")),
                None,
            )
            .await?;
        for s in status.body["statuses"].as_array().into_iter().flatten() {
            let name = s["context"].as_str().unwrap_or("?").to_string();
            match s["state"].as_str() {
                Some("success") => checks.passed += 1,
                Some("pending") => checks.pending += 1,
                _ => checks.failed.push(name),
            }
        }
        Ok(checks)
    }

    /// Merges pull request `number` at `sha`: enables auto-merge when configured,
    /// falling back to a direct merge only when GitHub refuses because the pull request
    /// is in "clean status" (nothing to wait for).
    pub async fn merge(&self, pull: &PullRequest, title: &str) -> Result<MergeResult, GithubError> {
        if self.config.auto_merge {
            match self.enable_auto_merge(&pull.node_id).await {
                Ok(()) => return Ok(MergeResult::AutoMergeEnabled),
                Err(GithubError::Status { message, .. }) if is_clean_status(&message) => {
                    tracing::debug!(pull = pull.number, "clean status: merging directly");
                }
                Err(err) => return Err(err),
            }
        }
        self.merge_directly(pull, title).await
    }

    async fn enable_auto_merge(&self, node_id: &str) -> Result<(), GithubError> {
        let query = "mutation($id: ID!, $method: PullRequestMergeMethod) { \
            enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: $method}) { \
            pullRequest { number autoMergeRequest { enabledAt } } } }";
        let body = json!({
            "query": query,
            "variables": {"id": node_id, "method": self.config.merge_method.graphql()},
        });
        let path = "/graphql";
        let answer = send(
            &self.graphql,
            &self.config.retry,
            Method::POST,
            path,
            Some(&body),
        )
        .await?;
        if let Some(errors) = answer.body["errors"].as_array()
            && !errors.is_empty()
        {
            let message = errors
                .iter()
                .filter_map(|e| e["message"].as_str())
                .collect::<Vec<_>>()
                .join("; ");
            return Err(GithubError::Status {
                method: Method::POST,
                path: path.into(),
                status: answer.status.as_u16(),
                message,
            });
        }
        Ok(())
    }

    async fn merge_directly(
        &self,
        pull: &PullRequest,
        title: &str,
    ) -> Result<MergeResult, GithubError> {
        let path = self.repo_path(&format!("/pulls/{}/merge", pull.number));
        let body = json!({
            "sha": pull.head_sha,
            "merge_method": self.config.merge_method.rest(),
            "commit_title": format!("{title} (#{})", pull.number),
        });
        match self.send(Method::PUT, &path, Some(&body)).await {
            Ok(answer) => Ok(MergeResult::Merged(
                answer.body["sha"].as_str().unwrap_or_default().to_string(),
            )),
            Err(GithubError::Status {
                status: 405 | 409 | 422,
                message,
                ..
            }) => Ok(MergeResult::Refused(message)),
            Err(err) => Err(err),
        }
    }

    /// Comments on pull request `number`.
    pub async fn comment(&self, number: u64, body: &str) -> Result<(), GithubError> {
        let path = self.repo_path(&format!("/issues/{number}/comments"));
        self.send(Method::POST, &path, Some(&json!({ "body": body })))
            .await
            .map(drop)
    }

    /// Closes pull request `number` without merging.
    pub async fn close(&self, number: u64) -> Result<(), GithubError> {
        let path = self.repo_path(&format!("/pulls/{number}"));
        self.send(Method::PATCH, &path, Some(&json!({"state": "closed"})))
            .await
            .map(drop)
    }
}

/// True for GitHub's refusal to enable auto-merge on a pull request that can be merged
/// at once.
fn is_clean_status(message: &str) -> bool {
    message.to_ascii_lowercase().contains("clean status")
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn send(
    crab: &Octocrab,
    retry: &RetryConfig,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<Answer, GithubError> {
    let mut backoff = Duration::from_millis(retry.backoff_ms);
    let mut attempt = 1;
    loop {
        let result = match method {
            Method::GET => crab._get(path).await,
            Method::POST => crab._post(path, body).await,
            Method::PATCH => crab._patch(path, body).await,
            Method::PUT => crab._put(path, body).await,
            Method::DELETE => crab._delete(path, body).await,
            _ => unreachable!("aiops calls GET, POST, PATCH, PUT and DELETE only"),
        };
        let wait = match result {
            Ok(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                let text =
                    crab.body_to_string(response)
                        .await
                        .map_err(|e| GithubError::Transport {
                            method: method.clone(),
                            path: path.into(),
                            message: e.to_string(),
                        })?;
                let body: Value = if text.trim().is_empty() {
                    Value::Null
                } else {
                    serde_json::from_str(&text).unwrap_or(Value::String(text))
                };
                if status.is_success() {
                    return Ok(Answer {
                        status,
                        headers,
                        body,
                    });
                }
                let message = error_message(&body);
                match retry_wait(status, &headers, &message, backoff) {
                    Some(wait)
                        if attempt < retry.max_attempts
                            && wait <= Duration::from_secs(retry.max_wait_seconds) =>
                    {
                        tracing::warn!(%method, path, status = status.as_u16(), wait_ms = wait.as_millis() as u64, attempt, "GitHub: retrying");
                        wait
                    }
                    _ => {
                        return Err(GithubError::Status {
                            method,
                            path: path.into(),
                            status: status.as_u16(),
                            message,
                        });
                    }
                }
            }
            Err(err) if attempt < retry.max_attempts => {
                tracing::warn!(%method, path, error = %err, attempt, "GitHub: no answer, retrying");
                backoff
            }
            Err(err) => {
                return Err(GithubError::Transport {
                    method,
                    path: path.into(),
                    message: err.to_string(),
                });
            }
        };
        tokio::time::sleep(wait).await;
        attempt += 1;
        backoff *= 2;
    }
}

/// GitHub's `message` with the `errors[]` details.
fn error_message(body: &Value) -> String {
    let mut message = match body {
        Value::String(s) => s.chars().take(200).collect(),
        _ => body["message"].as_str().unwrap_or("").to_string(),
    };
    let details: Vec<String> = body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            e["message"]
                .as_str()
                .map(str::to_string)
                .or_else(|| e["code"].as_str().map(str::to_string))
        })
        .collect();
    if !details.is_empty() {
        message = format!("{message}: {}", details.join("; "));
    }
    message
}

/// How long to wait before retrying an answer with `status`, or `None` when retrying
/// cannot help.
fn retry_wait(
    status: StatusCode,
    headers: &HeaderMap,
    message: &str,
    backoff: Duration,
) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if status.is_server_error() {
        return Some(backoff);
    }
    let limited = status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN
            && (header("retry-after").is_some()
                || header("x-ratelimit-remaining") == Some("0")
                || message.to_ascii_lowercase().contains("rate limit")));
    if !limited {
        return None;
    }
    if let Some(secs) = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(Duration::from_secs(secs));
    }
    if header("x-ratelimit-remaining") == Some("0")
        && let Some(reset) = header("x-ratelimit-reset").and_then(|v| v.parse::<u64>().ok())
    {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        return Some(Duration::from_secs(reset.saturating_sub(now) + 1));
    }
    // GitHub: without either header, wait at least a minute.
    Some(Duration::from_secs(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_and_server_errors_wait() {
        let mut h = HeaderMap::new();
        let b = Duration::from_millis(5);
        assert_eq!(retry_wait(StatusCode::BAD_GATEWAY, &h, "", b), Some(b));
        assert_eq!(
            retry_wait(StatusCode::FORBIDDEN, &h, "Resource not accessible", b),
            None
        );
        assert_eq!(
            retry_wait(
                StatusCode::FORBIDDEN,
                &h,
                "You have exceeded a secondary rate limit",
                b
            ),
            Some(Duration::from_secs(60))
        );
        h.insert("retry-after", "3".parse().unwrap());
        assert_eq!(
            retry_wait(StatusCode::FORBIDDEN, &h, "", b),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_wait(StatusCode::UNPROCESSABLE_ENTITY, &h, "", b),
            None
        );
    }

    #[test]
    fn error_details_are_kept() {
        let body = json!({"message": "Validation Failed", "errors": [
            {"resource": "PullRequest", "code": "custom", "message": "A pull request already exists for acme:aiops/x."}
        ]});
        assert_eq!(
            error_message(&body),
            "Validation Failed: A pull request already exists for acme:aiops/x."
        );
        assert!(is_clean_status(
            "Pull request Pull request is in clean status"
        ));
    }
}
