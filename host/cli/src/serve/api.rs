//! The REST API under `/api/v1` (axum 0.8) and `/healthz`, `/readyz`: findings,
//! cycles (list, run now), remediations (list, show, approve, reject), notifications,
//! silences and the audit log; bearer tokens with roles; problem+json errors; body size
//! and time limits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aiops_sdk::Severity;
use aiops_state::{AuditQuery, FindingFilter, Store};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::auth::Auth;
use super::config::Role;
use super::decide;
use super::problem::Problem;
use crate::config::Config;

/// What the handlers share.
pub struct AppState {
    /// The config in force (swapped by a reload).
    pub config: arc_swap::ArcSwap<Config>,
    /// The last rejected config edit, if the file now holds one.
    pub config_error: arc_swap::ArcSwapOption<String>,
    /// The store.
    pub store: Store,
    /// The tokens.
    pub auth: Auth,
    /// True once plugins are loaded and the store is open.
    pub ready: AtomicBool,
    /// Wakes the scheduler for a cycle now.
    pub run_now: tokio::sync::Notify,
    /// Prometheus metrics.
    pub metrics: super::metrics::Metrics,
    /// The plugins, once the host has loaded them.
    pub plugins: std::sync::OnceLock<Arc<aiops_runtime::PluginRegistry>>,
}

type Shared = Arc<AppState>;

/// The router.
pub fn router(state: Shared) -> Router {
    let config = state.config.load();
    let limit = config.api.max_body_bytes;
    let timeout = Duration::from_secs(config.api.request_timeout_seconds);
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/v1/findings", get(findings))
        .route("/api/v1/findings/{fingerprint}", get(finding))
        .route("/api/v1/cycles", get(cycles).post(run_cycle))
        .route("/api/v1/remediations", get(remediations))
        .route("/api/v1/remediations/{id}", get(remediation))
        .route("/api/v1/remediations/{id}/approve", post(approve))
        .route("/api/v1/remediations/{id}/reject", post(reject))
        .route("/api/v1/notifications", get(notifications))
        .route("/api/v1/silences", get(silences).post(add_silence))
        .route(
            "/api/v1/silences/{id}",
            axum::routing::delete(expire_silence),
        )
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/plugins", get(plugins))
        .route("/api/v1/config", get(config_status))
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "no such endpoint") })
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(
            move |req, next: axum::middleware::Next| async move {
                match tokio::time::timeout(timeout, next.run(req)).await {
                    Ok(response) => response,
                    Err(_) => {
                        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "the request took too long")
                            .into_response()
                    }
                }
            },
        ))
        .with_state(state)
}

async fn metrics(State(s): State<Shared>) -> Response {
    s.metrics
        .remediations(&s.store.list_remediations(&[]).await.unwrap_or_default());
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.render(),
    )
        .into_response()
}

async fn readyz(State(s): State<Shared>) -> Response {
    if s.ready.load(Ordering::Acquire) {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "starting").into_response()
    }
}

/// Query of `GET /api/v1/findings`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FindingsQuery {
    state: Option<String>,
    severity: Option<String>,
    rule: Option<String>,
    resource: Option<String>,
    source: Option<String>,
    namespace: Option<String>,
    limit: Option<usize>,
    /// The `next` of the previous page: findings after this fingerprint.
    after: Option<String>,
}

fn bad(detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, detail)
}

async fn findings(
    State(s): State<Shared>,
    headers: HeaderMap,
    query: Result<Query<FindingsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    s.auth.check(&headers, Role::Read)?;
    let Query(q) = query.map_err(|e| bad(e.body_text()))?;
    let state = q.state.unwrap_or_else(|| "open".into());
    if !["open", "resolved", "stale", "all"].contains(&state.as_str()) {
        return Err(bad(format!(
            "state: {state:?} is not open, resolved, stale or all"
        )));
    }
    let glob = |name: &str, v: &Option<String>| -> Result<Option<glob::Pattern>, Problem> {
        v.as_deref()
            .map(|g| glob::Pattern::new(g).map_err(|e| bad(format!("{name}: {e}"))))
            .transpose()
    };
    let severities = match &q.severity {
        Some(list) => list
            .split(',')
            .map(|x| {
                x.parse::<Severity>()
                    .map_err(|_| bad(format!("severity: {x:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    let filter = FindingFilter {
        state: Some(state),
        severities,
        rule: glob("rule", &q.rule)?,
        resource: glob("resource", &q.resource)?,
    };
    let source = glob("source", &q.source)?;
    let namespace = glob("namespace", &q.namespace)?;
    let mut all = s.store.list_findings(&filter).await?;
    all.retain(|f| {
        source.as_ref().is_none_or(|g| g.matches(&f.source))
            && namespace.as_ref().is_none_or(|g| {
                f.resource_namespace
                    .as_deref()
                    .is_some_and(|n| g.matches(n))
            })
            && q.after
                .as_ref()
                .is_none_or(|a| f.fingerprint.as_str() > a.as_str())
    });
    // Pages in fingerprint order; `next` names where the next page starts.
    all.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let next = (all.len() > limit).then(|| all[limit - 1].fingerprint.clone());
    all.truncate(limit);
    Ok(Json(json!({"findings": all, "next": next})).into_response())
}

async fn finding(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(fingerprint): Path<String>,
) -> Result<Response, Problem> {
    s.auth.check(&headers, Role::Read)?;
    match s.store.show_finding(&fingerprint).await {
        Ok((finding, history)) => {
            Ok(Json(json!({"finding": finding, "history": history})).into_response())
        }
        Err(err) => Err(Problem::new(StatusCode::NOT_FOUND, err.to_string())),
    }
}

async fn cycles(State(s): State<Shared>, headers: HeaderMap) -> Result<Response, Problem> {
    s.auth.check(&headers, Role::Read)?;
    Ok(Json(s.store.list_cycles(50).await?).into_response())
}

async fn run_cycle(State(s): State<Shared>, headers: HeaderMap) -> Result<Response, Problem> {
    let caller = s.auth.check(&headers, Role::Admin)?;
    tracing::info!(by = %caller.name, "cycle requested through the API");
    s.run_now.notify_one();
    Ok((StatusCode::ACCEPTED, Json(json!({"status": "queued"}))).into_response())
}

async fn remediations(State(s): State<Shared>, headers: HeaderMap) -> Result<Response, Problem> {
    s.auth.check(&headers, Role::Read)?;
    Ok(Json(s.store.list_remediations(&[]).await?).into_response())
}

async fn remediation(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    s.auth.check(&headers, Role::Read)?;
    let r = s
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
    Ok(Json(json!({"remediation": r, "history": history})).into_response())
}

/// Body of approve and reject.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Decision {
    reason: Option<String>,
}

/// A JSON body, or the default when the request has none.
fn body<T: Default + serde::de::DeserializeOwned>(
    body: Result<Json<T>, axum::extract::rejection::JsonRejection>,
) -> Result<T, Problem> {
    match body {
        Ok(Json(v)) => Ok(v),
        Err(axum::extract::rejection::JsonRejection::MissingJsonContentType(_)) => Ok(T::default()),
        Err(e) => Err(Problem::new(StatusCode::BAD_REQUEST, e.body_text())),
    }
}

async fn approve(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    decision: Result<Json<Decision>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Problem> {
    let caller = s.auth.check(&headers, Role::Approve)?;
    let decision = body(decision)?;
    let (outcome, r) = decide::approve(s, id, caller.name, decision.reason).await?;
    Ok(Json(json!({"outcome": outcome, "remediation": r})).into_response())
}

async fn reject(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    decision: Result<Json<Decision>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Problem> {
    let caller = s.auth.check(&headers, Role::Approve)?;
    let decision = body(decision)?;
    let r = decide::reject(s, id, caller.name, decision.reason).await?;
    Ok(Json(json!({"outcome": "rejected", "remediation": r})).into_response())
}

/// Query of `GET /api/v1/notifications`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NotificationsQuery {
    failed: Option<bool>,
    limit: Option<i64>,
}

async fn notifications(
    State(s): State<Shared>,
    headers: HeaderMap,
    query: Result<Query<NotificationsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    s.auth.check(&headers, Role::Read)?;
    let Query(q) = query.map_err(|e| bad(e.body_text()))?;
    let all = s
        .store
        .list_notifications(
            q.failed.unwrap_or(false),
            q.limit.unwrap_or(100).clamp(1, 1000),
        )
        .await?;
    Ok(Json(all).into_response())
}

async fn silences(State(s): State<Shared>, headers: HeaderMap) -> Result<Response, Problem> {
    s.auth.check(&headers, Role::Read)?;
    Ok(Json(s.store.silences(Some(aiops_state::now_millis())).await?).into_response())
}

async fn plugins(State(s): State<Shared>, headers: HeaderMap) -> Result<Response, Problem> {
    s.auth.check(&headers, Role::Read)?;
    let Some(registry) = s.plugins.get() else {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "plugins are loading",
        ));
    };
    let listed: Vec<serde_json::Value> = registry
        .snapshot()
        .entries
        .values()
        .map(|e| {
            let p = e.plugin.as_ref();
            json!({
                "origin": e.origin,
                "name": p.map(|p| p.info.name.clone()),
                "version": p.map(|p| p.info.version.clone()),
                "kind": p.map(|p| format!("{:?}", p.kind()).to_lowercase()),
                "rules": p.map(|p| p.info.rules.iter().map(|r| r.id.clone()).collect::<Vec<_>>()),
                "hash": p.map(|p| p.hash.clone()),
                "status": if p.is_some() { "loaded" } else { "failed" },
                "error": e.error,
            })
        })
        .collect();
    Ok(Json(listed).into_response())
}

async fn config_status(State(s): State<Shared>, headers: HeaderMap) -> Result<Response, Problem> {
    s.auth.check(&headers, Role::Read)?;
    let error = s.config_error.load().as_deref().cloned();
    Ok(Json(json!({"ok": error.is_none(), "error": error})).into_response())
}

/// Body of `POST /api/v1/silences`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSilence {
    /// `KEY=GLOB` matchers, as `aiops silence add --match` takes them.
    matchers: Vec<String>,
    /// How long (`2h`).
    duration: String,
    /// Why.
    comment: String,
}

async fn add_silence(
    State(s): State<Shared>,
    headers: HeaderMap,
    body: Result<Json<NewSilence>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Problem> {
    let caller = s.auth.check(&headers, Role::Approve)?;
    let Json(new) = body.map_err(|e| bad(e.body_text()))?;
    if new.matchers.is_empty() || new.comment.trim().is_empty() {
        return Err(bad("a silence needs matchers and a comment"));
    }
    let m = crate::notify_cmd::matcher_of(&new.matchers).map_err(|e| bad(format!("{e:#}")))?;
    let duration = aiops_notify::config::parse_duration(&new.duration)
        .map_err(|e| bad(format!("duration: {e}")))?;
    let ends = aiops_state::now_millis() + duration.as_millis() as i64;
    let id = s
        .store
        .add_silence(
            &crate::notify_cmd::matcher_json(&m),
            &new.comment,
            &caller.name,
            ends,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "ends_at": ends})),
    )
        .into_response())
}

async fn expire_silence(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let caller = s.auth.check(&headers, Role::Approve)?;
    if s.store.expire_silence(id, &caller.name).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(Problem::new(
            StatusCode::NOT_FOUND,
            format!("no active silence {id}"),
        ))
    }
}

async fn audit(State(s): State<Shared>, headers: HeaderMap) -> Result<Response, Problem> {
    s.auth.check(&headers, Role::Read)?;
    Ok(Json(s.store.audit(&AuditQuery::default()).await?).into_response())
}
