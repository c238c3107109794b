//! What the host is running with: `GET /api/v1/plugins` (load status and errors, call
//! counts and latency),
//! `GET /api/v1/config` (whether the last edit was taken) and `GET /api/v1/audit`.

use aiops_runtime::CallOutcome;
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
    /// Calls of `detect` / `remediate` since the host started, whatever their outcome
    /// (`calls` = successful calls + `errors` + `timeouts`); 0 when nothing loaded.
    calls: u64,
    /// Calls that failed other than by a timeout: a trap (panic, unreachable), the
    /// memory cap, a guest error or a result over the limits.
    errors: u64,
    /// Calls stopped by their deadline (CPU, or wall clock while waiting in WASI).
    timeouts: u64,
    /// How long its calls took.
    latency: CallLatency,
}

/// How long a plugin's calls took, in milliseconds, over every call since the host
/// started (0 before the first call); the `aiops_plugin_call_duration_seconds`
/// histogram on `/metrics` has the distribution.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct CallLatency {
    /// The mean duration of a call, in ms.
    mean_ms: f64,
    /// The longest call, in ms.
    max_ms: f64,
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
            let stats = p.map(|p| p.stats().snapshot()).unwrap_or_default();
            PluginStatus {
                origin: e.origin.clone(),
                name: p.map(|p| p.info.name.clone()),
                version: p.map(|p| p.info.version.clone()),
                kind: p.map(|p| format!("{:?}", p.kind()).to_lowercase()),
                rules: p.map(|p| p.info.rules.iter().map(|r| r.id.clone()).collect()),
                hash: p.map(|p| p.hash.clone()),
                status: e.status().into(),
                error: e.error.clone(),
                calls: stats.calls(),
                errors: stats.count(CallOutcome::Error) + stats.count(CallOutcome::Memory),
                timeouts: stats.count(CallOutcome::Timeout),
                latency: CallLatency {
                    mean_ms: stats.mean_ms(),
                    max_ms: stats.max_ms(),
                },
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
