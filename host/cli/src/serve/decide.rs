//! A human's decision on a remediation, for the API and the console alike: the
//! decision lock (so a cycle cannot race it), the IaC repository opened, the approval
//! (then the merge) or the rejection recorded under the caller's name.

use aiops_gitops::approvals;
use aiops_gitops::workflow::{Gitops, MergeOutcome};
use aiops_state::Remediation;
use axum::http::StatusCode;

use super::api::AppState;
use super::problem::Problem;

type Shared = std::sync::Arc<AppState>;

/// Approves remediation `id` as `who`: returns what became of it (`merged`, `held` or
/// `queued`) and the remediation as it is now.
pub async fn approve(
    s: Shared,
    id: i64,
    who: String,
    reason: Option<String>,
) -> Result<(&'static str, Remediation), Problem> {
    let metrics = s.clone();
    let outcome = decided(s, id, who, move |s, gitops, who| async move {
        approvals::approve(&s.store, &gitops, id, &who, reason.as_deref()).await
    })
    .await?;
    match &outcome {
        MergeOutcome::Merged(_) => count_pull_request(&metrics, "merged"),
        MergeOutcome::Queued(_) => count_pull_request(&metrics, "merge_queued"),
        MergeOutcome::Held(_) => {}
    }
    Ok(match outcome {
        MergeOutcome::Merged(r) => ("merged", r),
        MergeOutcome::Held(r) => ("held", r),
        MergeOutcome::Queued(r) => ("queued", r),
    })
}

/// Rejects remediation `id` as `who`; a rejection needs a reason (400 without one).
pub async fn reject(
    s: Shared,
    id: i64,
    who: String,
    reason: Option<String>,
) -> Result<Remediation, Problem> {
    let reason = reason.filter(|r| !r.trim().is_empty()).ok_or_else(|| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "reason: a rejection needs a reason",
        )
    })?;
    let metrics = s.clone();
    let rejected = decided(s, id, who, move |s, gitops, who| async move {
        approvals::reject(&s.store, &gitops, id, &who, &reason).await
    })
    .await?;
    count_pull_request(&metrics, "closed");
    Ok(rejected)
}

/// Counts a decision's pull request action under the configured provider.
fn count_pull_request(s: &AppState, action: &str) {
    if let Some(gitops) = &s.config.load().gitops {
        s.metrics.pull_request(gitops.provider.as_str(), action);
    }
}

/// Takes the decision lock on `id` for `who`, opens the IaC repository and runs
/// `decide` on a blocking thread, mapping its error to a problem.
async fn decided<T, F, Fut>(s: Shared, id: i64, who: String, decide: F) -> Result<T, Problem>
where
    T: Send + 'static,
    F: FnOnce(Shared, Gitops, String) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, aiops_gitops::workflow::GitopsError>>,
{
    on_repository(move || async move {
        let _lock = approvals::decision_lock(&s.store, id, &who)
            .await
            .map_err(decision_problem)?;
        let gitops = open_gitops(&s).await?;
        decide(s.clone(), gitops, who)
            .await
            .map_err(decision_problem)
    })
    .await
}

/// Runs work on aiops's clone (libgit2's repository is not `Sync`, so its futures are
/// not `Send`) on a blocking thread of its own.
async fn on_repository<T, F>(work: impl FnOnce() -> F + Send + 'static) -> Result<T, Problem>
where
    T: Send + 'static,
    F: std::future::Future<Output = Result<T, Problem>>,
{
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(work()))
        .await
        .unwrap_or_else(|e| {
            Err(Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                e.to_string(),
            ))
        })
}

async fn open_gitops(s: &AppState) -> Result<Gitops, Problem> {
    let config = s.config.load_full();
    let gitops = config.gitops.clone().ok_or_else(|| {
        Problem::new(
            StatusCode::CONFLICT,
            "no `gitops:` section: nothing to merge into",
        )
    })?;
    Gitops::open(gitops, &config.policy, &config.data_dir())
        .await
        .map_err(|e| Problem::new(StatusCode::BAD_GATEWAY, e.to_string()))
}

fn decision_problem(err: aiops_gitops::workflow::GitopsError) -> Problem {
    use aiops_gitops::workflow::GitopsError as E;
    match err {
        E::WrongState { .. } | E::Raced { .. } => {
            Problem::new(StatusCode::CONFLICT, err.to_string())
        }
        E::State(aiops_state::StateError::Busy { .. }) => {
            Problem::new(StatusCode::SERVICE_UNAVAILABLE, err.to_string())
        }
        E::State(aiops_state::StateError::NotFound(_)) => {
            Problem::new(StatusCode::NOT_FOUND, err.to_string())
        }
        other => Problem::new(StatusCode::BAD_GATEWAY, other.to_string()),
    }
}
