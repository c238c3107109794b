//! The remediation workflow on one repository and one store: opening the clone,
//! proposing a group's change on its branch, merging an approved one, closing a
//! rejected one. The cycle stage ([`crate::remediate`]) and the approval actions
//! ([`crate::approvals`]) both go through here, so the CLI and `aiops serve` share it.
//!
//! Crash safety comes from the order of the steps and the lease: a decision is stored
//! before it is carried out (approved before merged), every push names where the ref
//! must be, and a branch found with aiops's trailers for the same group and change is
//! adopted rather than proposed again.

use std::path::Path;

use aiops_state::{
    OutboxEvent, Remediation, RemediationState, RemediationStep, StateError, Store, now_millis,
};
use git2::Oid;

use crate::config::{GitopsConfig, ProviderKind};
use crate::git::{GitError, IacClone, seed_bare};
use crate::git_cli::is_network_url;
use crate::github::{GithubApi, GithubError};
use crate::policy::{Policy, PolicyConfig, PolicyError};
use crate::proposal::{CHANGE_TRAILER, GROUP_TRAILER, trailer};
use crate::provider::{self, AnyProvider, Provider, ProviderMerge};

/// What can stop a remediation step.
#[derive(Debug, thiserror::Error)]
pub enum GitopsError {
    /// The repository.
    #[error(transparent)]
    Git(#[from] GitError),
    /// The store.
    #[error(transparent)]
    State(#[from] StateError),
    /// GitHub.
    #[error(transparent)]
    Github(GithubError),
    /// The `policy:` section.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The IaC directory in aiops's clone.
    #[error("gitops.repo.path: {0}")]
    Repo(String),
    /// The `gitops:` section (the message names the key).
    #[error("{0}")]
    Config(String),
    /// An action on a remediation in the wrong state.
    #[error("remediation {id} is {state}, not {wanted}")]
    WrongState {
        /// The remediation.
        id: i64,
        /// Its state.
        state: String,
        /// What the action needs.
        wanted: String,
    },
    /// Someone changed the remediation at the same time.
    #[error("remediation {id} changed while aiops was updating it; try again")]
    Raced {
        /// The remediation.
        id: i64,
    },
}

/// The repository, its config and policy, ready to propose and merge.
pub struct Gitops {
    /// The `gitops:` section.
    pub config: GitopsConfig,
    /// The `policy:` section, compiled.
    pub policy: Policy,
    clone: IacClone,
    provider: AnyProvider,
}

/// How merging an approved remediation went.
#[derive(Debug, Clone, PartialEq)]
pub enum MergeOutcome {
    /// Merged into base.
    Merged(Remediation),
    /// Not merged: it stays approved, and the next cycle recreates the branch from
    /// the new base (a conflict) or leaves it to the human who pushed to it.
    Held(Remediation),
    /// Not merged yet: the provider merges it (auto-merge once the required checks
    /// pass); the next cycle records the merge.
    Queued(Remediation),
}

/// Makes the local bare repository `repo.url` names from `repo.seed`, when the config
/// gives a seed and the repository does not exist yet; nothing otherwise.
pub fn seed_local_repository(config: &GitopsConfig) -> Result<(), GitError> {
    if let (Some(seed), Some(path)) = (&config.repo.seed, config.local_path())
        && seed_bare(&path, seed, &config.repo.base, &config.author)?
    {
        tracing::info!(repo = %path.display(), seed = %seed.display(), "made a bare IaC repository from the seed");
    }
    Ok(())
}

impl Gitops {
    /// Opens aiops's clone of `config.repo` under `data_dir` (seeding a local bare
    /// repository first when `repo.seed` says so), fetches, and connects the provider.
    pub async fn open(
        config: GitopsConfig,
        policy: &PolicyConfig,
        data_dir: &Path,
    ) -> Result<Gitops, GitopsError> {
        let policy = Policy::new(policy)?;
        seed_local_repository(&config)?;
        let (provider, provider_token) = match config.provider {
            ProviderKind::Local => (AnyProvider::Local(provider::Local), None),
            ProviderKind::Github => {
                let github = config.github().map_err(GitopsError::Config)?;
                let api = GithubApi::connect(&github).await?;
                let token = if is_network_url(&config.repo.url) {
                    Some(api.git_token().await?)
                } else {
                    None
                };
                (
                    AnyProvider::Github(Box::new(provider::Github { api })),
                    token,
                )
            }
        };
        let auth = config
            .repo
            .remote_auth(provider_token)
            .map_err(GitopsError::Config)?;
        let clone = IacClone::open_with(
            &config.repo.url,
            &config.clone_dir(data_dir),
            &config.repo.base,
            auth,
        )?;
        clone.fetch()?;
        Ok(Gitops {
            config,
            policy,
            clone,
            provider,
        })
    }

    /// The provider.
    pub fn provider(&self) -> &AnyProvider {
        &self.provider
    }

    /// aiops's clone.
    pub fn iac_clone(&self) -> &IacClone {
        &self.clone
    }

    /// The IaC directory in the clone's working directory (`repo.path`).
    pub fn iac_dir(&self) -> std::path::PathBuf {
        match &self.config.repo.path {
            Some(p) => self.clone.workdir().join(p),
            None => self.clone.workdir().to_path_buf(),
        }
    }

    /// A path of the IaC directory as the repository names it.
    pub fn repo_path(&self, iac_path: &str) -> String {
        match &self.config.repo.path {
            Some(p) => format!("{}/{iac_path}", p.trim_end_matches('/')),
            None => iac_path.to_string(),
        }
    }

    /// True when `commit` is aiops's for `group` (its trailer and committer).
    pub fn is_ours(&self, commit: Oid, group: &str) -> Result<bool, GitopsError> {
        let message = self.clone.message(commit)?;
        Ok(trailer(&message, GROUP_TRAILER) == Some(group)
            && self.clone.committer_email(commit)? == self.config.author.email)
    }

    /// The change hash in `commit`'s trailer.
    pub fn change_of(&self, commit: Oid) -> Result<Option<String>, GitopsError> {
        Ok(trailer(&self.clone.message(commit)?, CHANGE_TRAILER).map(str::to_string))
    }

    /// Merges an approved remediation into base (at once for the local provider) and
    /// deletes its branch; records `merged` with `actor`, or why it is held.
    pub async fn merge(
        &self,
        store: &Store,
        mut r: Remediation,
        actor: &str,
    ) -> Result<MergeOutcome, GitopsError> {
        if r.state != RemediationState::Approved {
            return Err(GitopsError::WrongState {
                id: r.id,
                state: r.state.to_string(),
                wanted: "approved".into(),
            });
        }
        self.clone.fetch()?;
        let merge_commit = match self.provider.merge(self, &r).await? {
            ProviderMerge::Merged(commit) => commit,
            ProviderMerge::Held(note) => {
                r.note = Some(note);
                r.updated_at = now_millis();
                return self.hold(store, r, actor).await;
            }
            ProviderMerge::Queued(note) => {
                if r.note.as_deref() == Some(note.as_str()) {
                    return Ok(MergeOutcome::Queued(r));
                }
                r.note = Some(note);
                r.updated_at = now_millis();
                let s = step(
                    actor,
                    "remediation.merge_queued",
                    r.note.clone(),
                    Vec::new(),
                );
                if !store
                    .update_remediation(&r, RemediationState::Approved, &s)
                    .await?
                {
                    return Err(GitopsError::Raced { id: r.id });
                }
                return Ok(MergeOutcome::Queued(r));
            }
        };
        self.record_merged(store, r, actor, RemediationState::Approved, &merge_commit)
            .await
            .map(MergeOutcome::Merged)
    }

    /// Records `r` (in state `expected`) merged into base as `merge_commit`.
    pub async fn record_merged(
        &self,
        store: &Store,
        mut r: Remediation,
        actor: &str,
        expected: RemediationState,
        merge_commit: &str,
    ) -> Result<Remediation, GitopsError> {
        let now = now_millis();
        r.state = RemediationState::Merged;
        r.merged_at = Some(now);
        r.merged_cycle = Some(store.latest_cycle_id().await?);
        r.merge_commit = Some(merge_commit.to_string());
        r.note = None;
        r.updated_at = now;
        let step = step(
            actor,
            "remediation.merged",
            Some(format!(
                "merged into {} as {merge_commit}",
                self.config.repo.base
            )),
            event("remediation.merged", &r),
        );
        if !store.update_remediation(&r, expected, &step).await? {
            return Err(GitopsError::Raced { id: r.id });
        }
        Ok(r)
    }

    async fn hold(
        &self,
        store: &Store,
        r: Remediation,
        actor: &str,
    ) -> Result<MergeOutcome, GitopsError> {
        let step = step(actor, "remediation.merge_held", r.note.clone(), Vec::new());
        if !store
            .update_remediation(&r, RemediationState::Approved, &step)
            .await?
        {
            return Err(GitopsError::Raced { id: r.id });
        }
        Ok(MergeOutcome::Held(r))
    }

    /// Deletes a closed remediation's branch if it is still where aiops left it.
    pub fn delete_branch(&self, r: &Remediation) -> Result<(), GitopsError> {
        let head = r.head_commit.as_deref().and_then(|h| Oid::from_str(h).ok());
        if let Some(head) = head
            && self.clone.remote_branch(&r.branch) == Some(head)
        {
            self.clone.push(&r.branch, None, Some(head))?;
        }
        Ok(())
    }
}

/// A remediation step with its audit action and events.
pub fn step(
    actor: &str,
    action: &str,
    reason: Option<String>,
    events: Vec<OutboxEvent>,
) -> RemediationStep {
    RemediationStep {
        actor: actor.into(),
        action: action.into(),
        reason,
        events,
    }
}

/// The outbox event `kind` about `r` (its subject and id filled in by the store).
pub fn event(kind: &str, r: &Remediation) -> Vec<OutboxEvent> {
    let severity = r
        .findings
        .iter()
        .filter_map(|f| f.severity.parse::<aiops_sdk::Severity>().ok())
        .max();
    vec![OutboxEvent {
        id: 0,
        at: r.updated_at,
        kind: kind.into(),
        subject: String::new(),
        severity: severity.map(|s| s.as_str().to_string()),
        cycle: r.cycle,
        payload: serde_json::json!({
            "title": r.title,
            "branch": r.branch,
            "state": r.state.as_str(),
            "action": r.action,
            "policy": r.policy,
            "files": r.files,
            "pr_url": r.pr_url,
            "pr_number": r.pr_number,
            "group_key": r.group_key,
            "rules": r.findings.iter().map(|f| &f.rule).collect::<std::collections::BTreeSet<_>>(),
            "decided_by": r.decided_by,
            "reason": r.decision_reason,
            "findings": r.findings.iter().map(|f| &f.fingerprint).collect::<Vec<_>>(),
        }),
        dedup_key: format!("{kind}:{{id}}:{}", r.change_hash),
    }]
}
