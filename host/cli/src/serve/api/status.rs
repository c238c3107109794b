//! What the host is running with: `GET /api/v1/plugins` (load status and errors),
//! `GET /api/v1/config` (whether the last edit was taken) and `GET /api/v1/audit`.

use aiops_state::{AuditEntry, AuditQuery};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;

use super::Shared;
use super::openapi::Problems;
use crate::serve::config::Role;
use crate::serve::problem::Problem;

/// A plugin file and how its load went.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct PluginStatus {
    /// Where it came from (`builtin:NAME` or its file).
    origin: String,
    /// Its name, when it loaded.
    name: Option<String>,
    /// Its version, when it loaded.
    version: Option<String>,
    /// `detector` or `remediator`, when it loaded.
    kind: Option<String>,
    /// Its rules' ids, when it loaded.
    rules: Option<Vec<String>>,
    /// The hash of its bytes, when it loaded.
    hash: Option<String>,
    /// `loaded`, or `failed` when the file's last load failed (a version loaded
    /// before keeps serving meanwhile: then `name` and `version` are that version's).
    status: String,
    /// Why its last load failed.
    error: Option<String>,
}

/// Whether the config file's last edit was taken.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct ConfigStatus {
    /// True when the file on disk is the config in force.
    ok: bool,
    /// Why the last edit was rejected (file, line and key), if it was.
    error: Option<String>,
}

/// The plugins and their load status.
#[utoipa::path(
    get,
    path = "/plugins",
    tag = "status",
    responses((status = 200, description = "The plugins", body = Vec<PluginStatus>), Problems),
    security((), ("bearer" = [])),
)]
pub(super) async fn plugins(
    State(s): State<Shared>,
    headers: HeaderMap,
) -> Result<Json<Vec<PluginStatus>>, Problem> {
    s.auth.check(&headers, Role::Read)?;
    let Some(registry) = s.plugins.get() else {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "plugins are loading",
        ));
    };
    let listed = registry
        .snapshot()
        .entries
        .values()
        .map(|e| {
            let p = e.plugin.as_ref();
            PluginStatus {
                origin: e.origin.clone(),
                name: p.map(|p| p.info.name.clone()),
                version: p.map(|p| p.info.version.clone()),
                kind: p.map(|p| format!("{:?}", p.kind()).to_lowercase()),
                rules: p.map(|p| p.info.rules.iter().map(|r| r.id.clone()).collect()),
                hash: p.map(|p| p.hash.clone()),
                status: if p.is_some() && e.error.is_none() {
                    "loaded"
                } else {
                    "failed"
                }
                .into(),
                error: e.error.clone(),
            }
        })
        .collect();
    Ok(Json(listed))
}

/// Whether the config file's last edit was taken, and if not why.
#[utoipa::path(
    get,
    path = "/config",
    tag = "status",
    responses((status = 200, description = "The config's status", body = ConfigStatus), Problems),
    security((), ("bearer" = [])),
)]
pub(super) async fn config(
    State(s): State<Shared>,
    headers: HeaderMap,
) -> Result<Json<ConfigStatus>, Problem> {
    s.auth.check(&headers, Role::Read)?;
    let error = s.config_error.load().as_deref().cloned();
    Ok(Json(ConfigStatus {
        ok: error.is_none(),
        error,
    }))
}

/// The audit log, newest first.
#[utoipa::path(
    get,
    path = "/audit",
    tag = "status",
    responses((status = 200, description = "The audit entries", body = Vec<AuditEntry>), Problems),
    security((), ("bearer" = [])),
)]
pub(super) async fn audit(
    State(s): State<Shared>,
    headers: HeaderMap,
) -> Result<Json<Vec<AuditEntry>>, Problem> {
    s.auth.check(&headers, Role::Read)?;
    Ok(Json(s.store.audit(&AuditQuery::default()).await?))
}
