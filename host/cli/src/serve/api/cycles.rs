//! `GET /api/v1/cycles` (the latest 50) and `POST /api/v1/cycles` (run one now).

use aiops_state::CycleRecord;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;

use super::Shared;
use super::openapi::Problems;
use crate::serve::config::Role;
use crate::serve::problem::Problem;

/// The answer to a run-now request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Queued {
    /// Always `queued`: the cycle starts when the one running (if any) has finished.
    status: String,
}

/// The latest 50 cycles, newest first.
#[utoipa::path(
    get,
    path = "/cycles",
    tag = "cycles",
    responses((status = 200, description = "The latest cycles", body = Vec<CycleRecord>), Problems),
    security((), ("bearer" = [])),
)]
pub(super) async fn list(
    State(s): State<Shared>,
    headers: HeaderMap,
) -> Result<Json<Vec<CycleRecord>>, Problem> {
    s.auth.check(&headers, Role::Read)?;
    Ok(Json(s.store.list_cycles(50).await?))
}

/// Runs a cycle as soon as no other is running (the `admin` role).
#[utoipa::path(
    post,
    path = "/cycles",
    tag = "cycles",
    responses((status = 202, description = "The cycle is queued", body = Queued), Problems),
    security(("bearer" = [])),
)]
pub(super) async fn run_now(
    State(s): State<Shared>,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<Queued>), Problem> {
    let caller = s.auth.check(&headers, Role::Admin)?;
    tracing::info!(by = %caller.name, "cycle requested through the API");
    s.run_now.notify_one();
    Ok((
        StatusCode::ACCEPTED,
        Json(Queued {
            status: "queued".into(),
        }),
    ))
}
