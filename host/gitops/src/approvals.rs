//! Approving and rejecting a proposal: the one place the CLI and `aiops serve` call.
//!
//! An approval is stored (compare and set, audited, with its event) before the merge
//! is tried, so a process killed in between loses nothing: the next cycle finds the
//! remediation `approved` and finishes the merge.

use std::time::Duration;

use aiops_state::{CycleLock, Remediation, RemediationState, Store, now_millis};

use crate::provider::Provider;
use crate::workflow::{Gitops, GitopsError, MergeOutcome, event, step};

/// How long a decision waits for a running cycle (which holds aiops's clone) to end.
pub const LOCK_WAIT: Duration = Duration::from_secs(20);

/// Takes the store's cycle lock for a decision on `id`: a decision never runs beside a
/// cycle (or another decision) on the same clone, in this process or another. Take it
/// before opening the clone, and hold it through [`approve`] or [`reject`].
pub async fn decision_lock(store: &Store, id: i64, by: &str) -> Result<CycleLock, GitopsError> {
    Ok(store
        .lock_cycles(
            &format!("a decision on remediation {id} by {by}"),
            LOCK_WAIT,
        )
        .await?)
}

/// Who decided, as the audit log records it: `user:NAME`.
pub fn user_actor(name: &str) -> String {
    format!("user:{name}")
}

fn expect_awaiting(r: &Remediation) -> Result<(), GitopsError> {
    if r.state == RemediationState::AwaitingApproval {
        Ok(())
    } else {
        Err(GitopsError::WrongState {
            id: r.id,
            state: r.state.to_string(),
            wanted: RemediationState::AwaitingApproval.to_string(),
        })
    }
}

/// Approves remediation `id` for `by` and merges it; the merge outcome (the caller holds
/// the [`decision_lock`]).
pub async fn approve(
    store: &Store,
    gitops: &Gitops,
    id: i64,
    by: &str,
    reason: Option<&str>,
) -> Result<MergeOutcome, GitopsError> {
    let mut r = store.remediation(id).await?;
    expect_awaiting(&r)?;
    r.state = RemediationState::Approved;
    r.decided_by = Some(by.to_string());
    r.decision_reason = reason.map(str::to_string);
    r.updated_at = now_millis();
    let actor = user_actor(by);
    let approved = step(
        &actor,
        "remediation.approved",
        reason.map(str::to_string),
        event("remediation.approved", &r),
    );
    if !store
        .update_remediation(&r, RemediationState::AwaitingApproval, &approved)
        .await?
    {
        return Err(GitopsError::Raced { id });
    }
    crate::crash::point(crate::crash::APPROVED);
    gitops.merge(store, r, &actor).await
}

/// Rejects remediation `id` for `by` because of `reason` (the caller holds the
/// [`decision_lock`]) and withdraws it (deletes the
/// branch, or closes the pull request with a comment saying why); a
/// later cycle proposes nothing for its group until the proposed change differs.
pub async fn reject(
    store: &Store,
    gitops: &Gitops,
    id: i64,
    by: &str,
    reason: &str,
) -> Result<Remediation, GitopsError> {
    let mut r = store.remediation(id).await?;
    expect_awaiting(&r)?;
    r.state = RemediationState::Rejected;
    r.decided_by = Some(by.to_string());
    r.decision_reason = Some(reason.to_string());
    r.updated_at = now_millis();
    let rejected = step(
        &user_actor(by),
        "remediation.rejected",
        Some(reason.to_string()),
        event("remediation.rejected", &r),
    );
    if !store
        .update_remediation(&r, RemediationState::AwaitingApproval, &rejected)
        .await?
    {
        return Err(GitopsError::Raced { id });
    }
    if let Err(err) = gitops.provider().close(gitops, &r, reason).await {
        tracing::warn!(branch = %r.branch, error = %err, "could not withdraw a rejected proposal");
    }
    Ok(r)
}
