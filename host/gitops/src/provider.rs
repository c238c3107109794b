//! Providers turn aiops's branch into a proposal a human reviews, behind one trait:
//! [`Local`] (the branch in the repository is the proposal; approving merges it into
//! base; rejecting deletes it) and [`Github`] (a pull request with labels and
//! reviewers; reviews approve or reject; merged by GitHub, or by its auto-merge once
//! the required checks pass).

use aiops_state::Remediation;
use git2::Oid;

use crate::git::Merged;
use crate::github::{GithubApi, GithubError, MergeResult, PullRequest};
use crate::proposal::GROUP_TRAILER;
use crate::workflow::{Gitops, GitopsError};

/// A proposal's review request at the provider (a pull request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRequest {
    /// Its number.
    pub number: i64,
    /// Its page.
    pub url: String,
}

/// How a provider's merge went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderMerge {
    /// Merged into base as this commit.
    Merged(String),
    /// The provider merges it later (auto-merge once the required checks pass).
    Queued(String),
    /// Not merged, and why.
    Held(String),
}

/// What the provider says of an open proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewState {
    /// Still open; `approved_by` a reviewer of its current head, `checks` a summary.
    Open {
        /// A reviewer who approved the current head (and the review's text).
        approved_by: Option<(String, String)>,
        /// A reviewer who requested changes (and why).
        changes_requested_by: Option<(String, String)>,
        /// The checks' summary, when the provider has checks.
        checks: Option<String>,
    },
    /// Merged at the provider (by someone, or by its auto-merge).
    Merged {
        /// The merge commit.
        commit: Option<String>,
        /// Who merged it.
        by: Option<String>,
    },
    /// Closed without a merge.
    Closed,
}

/// What differs between providers; the workflow does the rest.
#[allow(async_fn_in_trait)]
pub trait Provider {
    /// Opens the review request of `r`'s branch, or finds the open one (a process
    /// killed after opening it and before recording it); `None` when the branch is the
    /// proposal.
    async fn open(
        &self,
        gitops: &Gitops,
        r: &Remediation,
    ) -> Result<Option<ReviewRequest>, GitopsError>;

    /// Rewrites the review request's title and body after the branch changed.
    async fn update(&self, r: &Remediation) -> Result<(), GitopsError>;

    /// Reads back the review request of `r`.
    async fn review_state(&self, r: &Remediation) -> Result<ReviewState, GitopsError>;

    /// Merges the approved `r` into base.
    async fn merge(&self, gitops: &Gitops, r: &Remediation) -> Result<ProviderMerge, GitopsError>;

    /// Withdraws the rejected `r` (`reason` said why).
    async fn close(
        &self,
        gitops: &Gitops,
        r: &Remediation,
        reason: &str,
    ) -> Result<(), GitopsError>;
}

/// The embedded default: the branch is the proposal.
#[derive(Debug, Default)]
pub struct Local;

/// Pull requests on GitHub.
#[derive(Debug)]
pub struct Github {
    /// The API client.
    pub api: GithubApi,
}

/// The configured provider.
#[derive(Debug)]
pub enum AnyProvider {
    /// `local`.
    Local(Local),
    /// `github`.
    Github(Box<Github>),
}

fn head_of(r: &Remediation) -> Option<Oid> {
    r.head_commit.as_deref().and_then(|h| Oid::from_str(h).ok())
}

impl Provider for Local {
    async fn open(
        &self,
        _: &Gitops,
        _: &Remediation,
    ) -> Result<Option<ReviewRequest>, GitopsError> {
        Ok(None)
    }

    async fn update(&self, _: &Remediation) -> Result<(), GitopsError> {
        Ok(())
    }

    async fn review_state(&self, _: &Remediation) -> Result<ReviewState, GitopsError> {
        Ok(ReviewState::Open {
            approved_by: None,
            changes_requested_by: None,
            checks: None,
        })
    }

    async fn merge(&self, gitops: &Gitops, r: &Remediation) -> Result<ProviderMerge, GitopsError> {
        let clone = gitops.iac_clone();
        let base = clone.base_tip()?;
        let Some(head) = head_of(r) else {
            return Ok(ProviderMerge::Held("no commit to merge".into()));
        };
        let remote = clone.remote_branch(&r.branch);
        if remote.is_some_and(|t| t != head) {
            return Ok(ProviderMerge::Held(pushed_by_someone(
                &r.branch,
                remote.map(|o| o.to_string()),
            )));
        }
        let merge_commit = if clone.is_ancestor(head, base)? {
            // Merged by an earlier attempt killed before it recorded so.
            base
        } else {
            let message = format!(
                "Merge {}: {}\n\n{GROUP_TRAILER}: {}\n",
                r.branch, r.title, r.group_fingerprint
            );
            match clone.merge(base, head, &message, &gitops.config.author)? {
                Merged::FastForward(to) | Merged::MergeCommit(to) => {
                    clone.push(&gitops.config.repo.base, Some(to), Some(base))?;
                    crate::crash::point(crate::crash::MERGED);
                    to
                }
                Merged::Conflict(paths) => {
                    return Ok(ProviderMerge::Held(format!(
                        "conflicts with {} in {}; the next cycle recreates it from the new base",
                        gitops.config.repo.base,
                        paths.join(", ")
                    )));
                }
            }
        };
        delete_merged_branch(gitops, r, head, remote);
        Ok(ProviderMerge::Merged(merge_commit.to_string()))
    }

    async fn close(&self, gitops: &Gitops, r: &Remediation, _: &str) -> Result<(), GitopsError> {
        gitops.delete_branch(r)
    }
}

/// Best effort: a merged branch left behind is deleted by the next merge or cycle.
fn delete_merged_branch(gitops: &Gitops, r: &Remediation, head: Oid, remote: Option<Oid>) {
    if remote.is_some()
        && let Err(err) = gitops.iac_clone().push(&r.branch, None, Some(head))
    {
        tracing::warn!(branch = %r.branch, error = %err, "could not delete a merged branch");
    }
}

fn pushed_by_someone(branch: &str, tip: Option<String>) -> String {
    format!(
        "{branch} was pushed to by someone else ({}); aiops leaves it alone",
        tip.unwrap_or_default()
    )
}

/// The labels of a proposal: `aiops`, its highest severity, each rule, the configured.
pub fn labels(r: &Remediation, extra: &[String]) -> Vec<String> {
    let mut labels = vec!["aiops".to_string()];
    if let Some(severity) = r
        .findings
        .iter()
        .filter_map(|f| f.severity.parse::<aiops_sdk::Severity>().ok())
        .max()
    {
        labels.push(format!("severity:{}", severity.as_str()));
    }
    let mut rules: Vec<String> = r
        .findings
        .iter()
        .map(|f| {
            // GitHub caps label names at 50 characters.
            let label = format!("rule:{}", f.rule);
            label.chars().take(50).collect()
        })
        .collect();
    rules.sort();
    rules.dedup();
    labels.extend(rules);
    labels.extend(extra.iter().cloned());
    labels
}

/// The pull request's body: the proposal's explanation, its policy, and a marker.
pub fn pull_body(r: &Remediation) -> String {
    let mut body = r.body.trim_end().to_string();
    body.push_str("\n\n### Policy\n");
    body.push_str(&format!("- action: `{}`\n", r.action));
    for reason in &r.policy {
        body.push_str(&format!("- {reason}\n"));
    }
    body.push_str(&format!(
        "\nApprove this pull request to merge it, or request changes or close it to reject it: aiops will not propose this change again until it differs.\n\n<!-- aiops: group={} change={} -->\n",
        r.group_fingerprint, r.change_hash
    ));
    body
}

fn pr_number(r: &Remediation) -> Result<u64, GitopsError> {
    r.pr_number
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| GitopsError::Config(format!("remediation {} has no pull request", r.id)))
}

impl Github {
    async fn pull_of(&self, r: &Remediation) -> Result<PullRequest, GitopsError> {
        Ok(self.api.pull(pr_number(r)?).await?)
    }
}

impl Provider for Github {
    async fn open(
        &self,
        gitops: &Gitops,
        r: &Remediation,
    ) -> Result<Option<ReviewRequest>, GitopsError> {
        let body = pull_body(r);
        let pull = match self.api.open_pull_of(&r.branch).await? {
            Some(existing) => {
                self.api
                    .update_pull(existing.number, &r.title, &body)
                    .await?
            }
            None => {
                self.api
                    .create_pull(&r.branch, &gitops.config.repo.base, &r.title, &body)
                    .await?
            }
        };
        crate::crash::point(crate::crash::PR_OPENED);
        let github = gitops.config.github.clone().unwrap_or_default();
        if let Err(err) = self
            .api
            .add_labels(pull.number, &labels(r, &github.labels))
            .await
        {
            tracing::warn!(pull = pull.number, error = %err, "could not label the pull request");
        }
        if let Err(err) = self.api.request_reviewers(pull.number).await {
            tracing::warn!(pull = pull.number, error = %err, "could not request reviewers");
        }
        Ok(Some(ReviewRequest {
            number: pull.number as i64,
            url: pull.url,
        }))
    }

    async fn update(&self, r: &Remediation) -> Result<(), GitopsError> {
        self.api
            .update_pull(pr_number(r)?, &r.title, &pull_body(r))
            .await?;
        Ok(())
    }

    async fn review_state(&self, r: &Remediation) -> Result<ReviewState, GitopsError> {
        let pull = self.pull_of(r).await?;
        if pull.merged {
            return Ok(ReviewState::Merged {
                commit: pull.merge_commit,
                by: pull.merged_by,
            });
        }
        if !pull.is_open() {
            return Ok(ReviewState::Closed);
        }
        // Each reviewer's latest verdict; an approval counts for the head it reviewed.
        let mut latest: Vec<(String, String, String, String)> = Vec::new();
        for review in self.api.reviews(pull.number).await? {
            match review.state.as_str() {
                "APPROVED" | "CHANGES_REQUESTED" | "DISMISSED" => {
                    latest.retain(|(user, ..)| user != &review.user);
                    if review.state != "DISMISSED" {
                        latest.push((review.user, review.state, review.body, review.commit));
                    }
                }
                _ => {}
            }
        }
        let head = r.head_commit.clone().unwrap_or_default();
        let changes_requested_by = latest
            .iter()
            .find(|(_, s, ..)| s == "CHANGES_REQUESTED")
            .map(|(u, _, b, _)| (u.clone(), b.clone()));
        let approved_by = latest
            .iter()
            .find(|(_, s, _, c)| s == "APPROVED" && (c.is_empty() || *c == head))
            .map(|(u, _, b, _)| (u.clone(), b.clone()));
        let checks = match self.api.checks(&pull.head_sha).await {
            Ok(c) => Some(c.summary()),
            Err(err) => {
                tracing::warn!(pull = pull.number, error = %err, "could not read the checks");
                None
            }
        };
        Ok(ReviewState::Open {
            approved_by,
            changes_requested_by,
            checks,
        })
    }

    async fn merge(&self, gitops: &Gitops, r: &Remediation) -> Result<ProviderMerge, GitopsError> {
        if r.pr_number.is_none() {
            return Ok(ProviderMerge::Held("no pull request yet".into()));
        }
        let pull = self.pull_of(r).await?;
        if pull.merged {
            return Ok(ProviderMerge::Merged(pull.merge_commit.unwrap_or_default()));
        }
        if !pull.is_open() {
            return Ok(ProviderMerge::Held(format!(
                "pull request #{} is closed",
                pull.number
            )));
        }
        if r.head_commit.as_deref() != Some(pull.head_sha.as_str()) {
            return Ok(ProviderMerge::Held(pushed_by_someone(
                &r.branch,
                Some(pull.head_sha),
            )));
        }
        if pull.auto_merge {
            return Ok(ProviderMerge::Queued(AUTO_MERGE_NOTE.into()));
        }
        match self.api.merge(&pull, &r.title).await? {
            MergeResult::Merged(sha) => {
                crate::crash::point(crate::crash::MERGED);
                let clone = gitops.iac_clone();
                clone.fetch()?;
                if let Some(head) = head_of(r) {
                    delete_merged_branch(gitops, r, head, clone.remote_branch(&r.branch));
                }
                Ok(ProviderMerge::Merged(sha))
            }
            MergeResult::AutoMergeEnabled => Ok(ProviderMerge::Queued(AUTO_MERGE_NOTE.into())),
            MergeResult::Refused(message) => Ok(ProviderMerge::Held(format!(
                "GitHub refused the merge of #{}: {message}",
                pull.number
            ))),
        }
    }

    async fn close(&self, _: &Gitops, r: &Remediation, reason: &str) -> Result<(), GitopsError> {
        let number = pr_number(r)?;
        let pull = self.api.pull(number).await?;
        if pull.is_open() {
            let by = r.decided_by.as_deref().unwrap_or("a reviewer");
            self.api
                .comment(
                    number,
                    &format!(
                        "Rejected by {by}: {reason}\n\naiops will not propose this change again until it differs; re-open this pull request to take the rejection back."
                    ),
                )
                .await?;
            self.api.close(number).await?;
        }
        // The branch stays, so the pull request can be re-opened.
        Ok(())
    }
}

/// The note of an approved proposal GitHub will merge.
pub const AUTO_MERGE_NOTE: &str =
    "auto-merge enabled: GitHub merges it when the required checks pass";

impl Provider for AnyProvider {
    async fn open(
        &self,
        g: &Gitops,
        r: &Remediation,
    ) -> Result<Option<ReviewRequest>, GitopsError> {
        match self {
            AnyProvider::Local(p) => p.open(g, r).await,
            AnyProvider::Github(p) => p.open(g, r).await,
        }
    }

    async fn update(&self, r: &Remediation) -> Result<(), GitopsError> {
        match self {
            AnyProvider::Local(p) => p.update(r).await,
            AnyProvider::Github(p) => p.update(r).await,
        }
    }

    async fn review_state(&self, r: &Remediation) -> Result<ReviewState, GitopsError> {
        match self {
            AnyProvider::Local(p) => p.review_state(r).await,
            AnyProvider::Github(p) => p.review_state(r).await,
        }
    }

    async fn merge(&self, g: &Gitops, r: &Remediation) -> Result<ProviderMerge, GitopsError> {
        match self {
            AnyProvider::Local(p) => p.merge(g, r).await,
            AnyProvider::Github(p) => p.merge(g, r).await,
        }
    }

    async fn close(&self, g: &Gitops, r: &Remediation, reason: &str) -> Result<(), GitopsError> {
        match self {
            AnyProvider::Local(p) => p.close(g, r, reason).await,
            AnyProvider::Github(p) => p.close(g, r, reason).await,
        }
    }
}

impl From<GithubError> for GitopsError {
    fn from(err: GithubError) -> Self {
        GitopsError::Github(err)
    }
}
