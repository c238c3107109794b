//! The REST API under `/api/v1` (axum 0.8) and `/healthz`, `/readyz`, `/metrics`:
//! findings, cycles (list, run now), remediations (list, show, approve, reject),
//! notifications, silences, plugins and the audit log; bearer tokens with roles;
//! problem+json errors; body size and time limits.
//!
//! Every `/api/v1` handler carries a `#[utoipa::path]` naming the types it returns, and
//! is registered through `utoipa_axum::routes!`, so the OpenAPI 3.1 document served at
//! `/api/v1/openapi.json` is made from the same handlers and types that answer.

mod cycles;
mod findings;
pub mod fresh_read;
mod notifications;
pub mod openapi;
pub mod page_cache;
mod remediations;
mod status;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Auth;
use super::problem::Problem;
use crate::config::Config;

/// What the handlers share.
pub struct AppState {
    /// The config in force (swapped by a reload).
    pub config: arc_swap::ArcSwap<Config>,
    /// The last rejected config edit, if the file now holds one.
    pub config_error: arc_swap::ArcSwapOption<String>,
    /// The store.
    pub store: aiops_state::Store,
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
    /// Rendered pages of `GET /api/v1/findings`.
    pub findings_pages: page_cache::PageCache,
    /// The store's findings generation, one read shared by the requests waiting for it.
    pub findings_generation: fresh_read::FreshRead<i64, Problem>,
}

impl AppState {
    /// The state of a host serving `store` under `config`.
    pub fn new(
        config: Config,
        store: aiops_state::Store,
        auth: Auth,
        metrics: super::metrics::Metrics,
    ) -> AppState {
        let findings_pages = page_cache::PageCache::new(config.api.findings_cache_mib);
        let generation_store = store.clone();
        AppState {
            config: arc_swap::ArcSwap::from_pointee(config),
            config_error: arc_swap::ArcSwapOption::empty(),
            store,
            auth,
            ready: Default::default(),
            run_now: tokio::sync::Notify::new(),
            metrics,
            plugins: std::sync::OnceLock::new(),
            findings_pages,
            findings_generation: fresh_read::FreshRead::new(move || {
                let store = generation_store.clone();
                Box::pin(async move { Ok(store.findings_generation().await?) })
            }),
        }
    }
}

type Shared = Arc<AppState>;

/// The `/api/v1` routes with their OpenAPI document.
fn api_v1() -> OpenApiRouter<Shared> {
    let routes = OpenApiRouter::new()
        .routes(routes!(findings::list))
        .routes(routes!(findings::show))
        .routes(routes!(cycles::list, cycles::run_now))
        .routes(routes!(remediations::list))
        .routes(routes!(remediations::show))
        .routes(routes!(remediations::approve))
        .routes(routes!(remediations::reject))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::silences, notifications::add_silence))
        .routes(routes!(notifications::expire_silence))
        .routes(routes!(status::audit))
        .routes(routes!(status::plugins))
        .routes(routes!(status::config));
    OpenApiRouter::with_openapi(openapi::base()).nest("/api/v1", routes)
}

/// The API's OpenAPI 3.1 document, as `/api/v1/openapi.json` serves it.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    api_v1().split_for_parts().1
}

/// The router.
pub fn router(state: Shared) -> Router {
    let config = state.config.load();
    let limit = config.api.max_body_bytes;
    let timeout = Duration::from_secs(config.api.request_timeout_seconds);
    let (api, document) = api_v1().split_for_parts();
    let document = Arc::new(document);
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let document = document.clone();
                async move { Json(document.as_ref().clone()) }
            }),
        )
        .merge(api)
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "no such endpoint") })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "this endpoint does not take that method",
            )
        })
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(
            move |req, next: axum::middleware::Next| async move {
                match tokio::time::timeout(timeout, next.run(req)).await {
                    Ok(response) => as_problem(response).await,
                    Err(_) => {
                        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "the request took too long")
                            .into_response()
                    }
                }
            },
        ))
        .with_state(state)
}

/// Turns the plain-text errors axum's own layers answer with (a body over the size
/// limit: 413) into problem+json like every other error.
async fn as_problem(response: Response) -> Response {
    let is_plain_error = response.status().is_client_error()
        && response
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if !is_plain_error {
        return response;
    }
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    Problem::new(status, String::from_utf8_lossy(&body).trim().to_string()).into_response()
}

async fn metrics(axum::extract::State(s): axum::extract::State<Shared>) -> Response {
    s.metrics
        .findings(&s.store.finding_counts().await.unwrap_or_default());
    s.metrics
        .remediations(&s.store.remediation_counts().await.unwrap_or_default());
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.render(),
    )
        .into_response()
}

async fn readyz(axum::extract::State(s): axum::extract::State<Shared>) -> Response {
    if s.ready.load(Ordering::Acquire) {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "starting").into_response()
    }
}

/// A 400 problem.
fn bad(detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, detail)
}

/// The query, or a 4xx problem saying what is wrong with it.
fn query<T>(query: Result<axum::extract::Query<T>, QueryRejection>) -> Result<T, Problem> {
    query
        .map(|q| q.0)
        .map_err(|e| Problem::new(e.status(), e.body_text()))
}

/// The path parameter, or a 4xx problem saying what is wrong with it.
fn path<T>(path: Result<axum::extract::Path<T>, PathRejection>) -> Result<T, Problem> {
    path.map(|p| p.0)
        .map_err(|e| Problem::new(e.status(), e.body_text()))
}

/// A JSON body, or the default when the request has none.
fn body_or_default<T: Default>(body: Result<Json<T>, JsonRejection>) -> Result<T, Problem> {
    match body {
        Ok(Json(v)) => Ok(v),
        Err(JsonRejection::MissingJsonContentType(_)) => Ok(T::default()),
        Err(e) => Err(Problem::new(e.status(), e.body_text())),
    }
}
