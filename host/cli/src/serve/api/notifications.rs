//! `GET /api/v1/notifications` (the outbox, or what failed) and silences:
//! `GET`/`POST /api/v1/silences`, `DELETE /api/v1/silences/{id}`.

use aiops_state::{Notification, Silence};
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use super::openapi::Problems;
use super::{Shared, bad, path, query};
use crate::serve::config::Role;
use crate::serve::problem::Problem;

/// Query of `GET /api/v1/notifications`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct NotificationsQuery {
    /// Only the messages that went dead (gave up after `max_attempts`).
    failed: Option<bool>,
    /// How many, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// Body of `POST /api/v1/silences`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewSilence {
    /// `KEY=GLOB` matchers, as `aiops silence add --match` takes them.
    #[schema(min_items = 1, inline, value_type = Vec<MatcherText>)]
    matchers: Vec<String>,
    /// How long (`2h`, `30m`; units ms, s, m, h, d).
    #[schema(pattern = r"^[0-9]{1,9}(ms|s|m|h|d)?$")]
    duration: String,
    /// Why.
    #[schema(pattern = r"\S")]
    comment: String,
}

/// One `KEY=GLOB` matcher (`severity=high`, `namespace=shop-*`, `team=payments`).
#[derive(utoipa::ToSchema)]
#[schema(pattern = r"^[A-Za-z0-9_.-]+=[A-Za-z0-9_.*?-]*$")]
#[allow(dead_code)]
pub(super) struct MatcherText(String);

/// A silence just made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct SilenceCreated {
    /// Its id (for `DELETE /api/v1/silences/{id}`).
    id: i64,
    /// When it ends (Unix ms).
    ends_at: i64,
}

/// The notification outbox, newest first.
#[utoipa::path(
    get,
    path = "/notifications",
    tag = "notifications",
    params(NotificationsQuery),
    responses((status = 200, description = "The messages", body = Vec<Notification>), Problems),
    security((), ("bearer" = [])),
)]
pub(super) async fn list(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: Result<Query<NotificationsQuery>, QueryRejection>,
) -> Result<Json<Vec<Notification>>, Problem> {
    s.auth.check(&headers, Role::Read)?;
    let q = query(q)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(bad(format!("limit: {limit} is not between 1 and 1000")));
    }
    let all = s
        .store
        .list_notifications(q.failed.unwrap_or(false), limit)
        .await?;
    Ok(Json(all))
}

/// The active silences.
#[utoipa::path(
    get,
    path = "/silences",
    tag = "notifications",
    responses((status = 200, description = "The active silences", body = Vec<Silence>), Problems),
    security((), ("bearer" = [])),
)]
pub(super) async fn silences(
    State(s): State<Shared>,
    headers: HeaderMap,
) -> Result<Json<Vec<Silence>>, Problem> {
    s.auth.check(&headers, Role::Read)?;
    Ok(Json(
        s.store.silences(Some(aiops_state::now_millis())).await?,
    ))
}

/// Silences the notifications that match (the `approve` role; audited under the
/// token's name).
#[utoipa::path(
    post,
    path = "/silences",
    tag = "notifications",
    request_body = NewSilence,
    responses((status = 201, description = "The silence", body = SilenceCreated), Problems),
    security(("bearer" = [])),
)]
pub(super) async fn add_silence(
    State(s): State<Shared>,
    headers: HeaderMap,
    body: Result<Json<NewSilence>, JsonRejection>,
) -> Result<(StatusCode, Json<SilenceCreated>), Problem> {
    let caller = s.auth.check(&headers, Role::Approve)?;
    let Json(new) = body.map_err(|e| Problem::new(e.status(), e.body_text()))?;
    if new.matchers.is_empty() || new.comment.trim().is_empty() {
        return Err(bad("a silence needs matchers and a comment"));
    }
    let m = crate::notify_cmd::matcher_of(&new.matchers).map_err(|e| bad(format!("{e:#}")))?;
    let duration = aiops_notify::config::parse_duration(&new.duration)
        .map_err(|e| bad(format!("duration: {e}")))?;
    let ends_at = i64::try_from(duration.as_millis())
        .ok()
        .and_then(|d| aiops_state::now_millis().checked_add(d))
        .ok_or_else(|| bad(format!("duration: {:?} is too long", new.duration)))?;
    let id = s
        .store
        .add_silence(
            &crate::notify_cmd::matcher_json(&m),
            &new.comment,
            &caller.name,
            ends_at,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(SilenceCreated { id, ends_at })))
}

/// Ends a silence now (the `approve` role).
#[utoipa::path(
    delete,
    path = "/silences/{id}",
    tag = "notifications",
    params(("id" = i64, Path, description = "The silence's id")),
    responses((status = 204, description = "Expired"), Problems),
    security(("bearer" = [])),
)]
pub(super) async fn expire_silence(
    State(s): State<Shared>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, Problem> {
    let caller = s.auth.check(&headers, Role::Approve)?;
    let id = path(id)?;
    if s.store.expire_silence(id, &caller.name).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::new(
            StatusCode::NOT_FOUND,
            format!("no active silence {id}"),
        ))
    }
}
