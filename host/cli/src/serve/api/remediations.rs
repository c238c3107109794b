//! `GET /api/v1/remediations[/{id}]` and their approval: `POST …/{id}/approve`,
//! `POST …/{id}/reject` (through [`decide`], the path the console takes too).

use aiops_state::{AuditEntry, AuditQuery, Remediation};
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use super::openapi::Problems;
use super::{Shared, body_or_default, path};
use crate::serve::config::Role;
use crate::serve::decide;
use crate::serve::problem::Problem;

/// A remediation with its audit history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct RemediationDetail {
    /// The remediation (its diff included).
    remediation: Remediation,
    /// Its audit entries, oldest first.
    history: Vec<AuditEntry>,
}

/// Body of approve (optional, as is its reason).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Approval {
    /// Why, recorded in the audit log.
    reason: Option<String>,
}

/// Body of reject: the reason is required.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Rejection {
    /// Why, recorded in the audit log and shown on the remediation.
    #[serde(default)]
    #[schema(required = true, min_length = 1, pattern = r"\S")]
    reason: String,
}

/// What a decision did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Decided {
    /// `merged`, `approved` (the provider merges it) or `rejected`.
    outcome: String,
    /// The remediation after the decision.
    remediation: Remediation,
}

/// Every remediation, newest first.
#[utoipa::path(
    get,
    path = "/remediations",
    tag = "remediations",
    responses((status = 200, description = "The remediations", body = Vec<Remediation>), Problems),
    security((), ("bearer" = [])),
)]
pub(super) async fn list(
    State(s): State<Shared>,
    headers: HeaderMap,
) -> Result<Json<Vec<Remediation>>, Problem> {
    s.auth.check(&headers, Role::Read)?;
    Ok(Json(s.store.list_remediations(&[]).await?))
}

/// A remediation, its diff and its history.
#[utoipa::path(
    get,
    path = "/remediations/{id}",
    tag = "remediations",
    params(("id" = i64, Path, description = "The remediation's id")),
    responses((status = 200, description = "The remediation", body = RemediationDetail), Problems),
    security((), ("bearer" = [])),
)]
pub(super) async fn show(
    State(s): State<Shared>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<RemediationDetail>, Problem> {
    s.auth.check(&headers, Role::Read)?;
    let id = path(id)?;
    let remediation = s
        .store
        .remediation(id)
        .await
        .map_err(|e| Problem::new(StatusCode::NOT_FOUND, e.to_string()))?;
    let history = s
        .store
        .audit(&AuditQuery {
            subject: Some(format!("remediation:{id}")),
            ..Default::default()
        })
        .await?;
    Ok(Json(RemediationDetail {
        remediation,
        history,
    }))
}

/// Approves a remediation awaiting approval (the `approve` role); the approver in the
/// audit log is the token's name.
#[utoipa::path(
    post,
    path = "/remediations/{id}/approve",
    tag = "remediations",
    params(("id" = i64, Path, description = "The remediation's id")),
    request_body(content = Option<Approval>, description = "An optional reason"),
    responses(
        (status = 200, description = "Approved (and merged where the provider merges at once)", body = Decided),
        (status = 409, description = "The remediation is not awaiting approval", body = crate::serve::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 502, description = "The IaC repository or the pull-request provider failed", body = crate::serve::problem::ProblemBody, content_type = "application/problem+json"),
        Problems,
    ),
    security(("bearer" = [])),
)]
pub(super) async fn approve(
    State(s): State<Shared>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
    approval: Result<Json<Option<Approval>>, JsonRejection>,
) -> Result<Json<Decided>, Problem> {
    let caller = s.auth.check(&headers, Role::Approve)?;
    let id = path(id)?;
    let decision = body_or_default(approval)?.unwrap_or_default();
    let (outcome, remediation) = decide::approve(s, id, caller.name, decision.reason).await?;
    Ok(Json(Decided {
        outcome: outcome.into(),
        remediation,
    }))
}

/// Rejects a remediation awaiting approval, with a reason (the `approve` role).
#[utoipa::path(
    post,
    path = "/remediations/{id}/reject",
    tag = "remediations",
    params(("id" = i64, Path, description = "The remediation's id")),
    request_body(content = Rejection, description = "Why (required)"),
    responses(
        (status = 200, description = "Rejected", body = Decided),
        (status = 409, description = "The remediation is not awaiting approval", body = crate::serve::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 502, description = "The IaC repository or the pull-request provider failed", body = crate::serve::problem::ProblemBody, content_type = "application/problem+json"),
        Problems,
    ),
    security(("bearer" = [])),
)]
pub(super) async fn reject(
    State(s): State<Shared>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
    rejection: Result<Json<Rejection>, JsonRejection>,
) -> Result<Json<Decided>, Problem> {
    let caller = s.auth.check(&headers, Role::Approve)?;
    let id = path(id)?;
    let rejection = body_or_default(rejection)?;
    let remediation = decide::reject(s, id, caller.name, Some(rejection.reason)).await?;
    Ok(Json(Decided {
        outcome: "rejected".into(),
        remediation,
    }))
}
