//! `GET /api/v1/findings` (filtered, paged) and `GET /api/v1/findings/{fingerprint}`.

use aiops_state::{FindingParams, HistoryEntry, StateError, StoredFinding};
use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse as _, Response};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::openapi::Problems;
use super::{Shared, bad, path, query};
use crate::serve::config::Role;
use crate::serve::problem::Problem;

/// Query of `GET /api/v1/findings`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct FindingsQuery {
    /// `open` (the default), `resolved`, `stale` or `all`.
    #[param(pattern = "^(open|resolved|stale|all)?$")]
    state: Option<String>,
    /// Severities, comma-separated (`high,critical`).
    #[param(pattern = "^((info|low|medium|high|critical)(,(info|low|medium|high|critical))*)?$")]
    severity: Option<String>,
    /// Rule id glob (`k8s-resources/*`): `*`, `?`, `[a-z]`, `[!a]`; a malformed glob
    /// (`x[`) is refused with a 400 naming the parameter.
    rule: Option<String>,
    /// Resource id glob (as `rule`).
    resource: Option<String>,
    /// Source glob (`k8s`, `manifests:*`; as `rule`).
    source: Option<String>,
    /// Namespace (or region, resource group) glob (as `rule`).
    namespace: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// The `next` of the previous page: findings after this fingerprint (at most 256
    /// characters, none a control character).
    #[param(max_length = 256, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    after: Option<String>,
}

/// One page of findings, in fingerprint order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct FindingsPage {
    /// The findings.
    findings: Vec<StoredFinding>,
    /// Where the next page starts (pass it as `after`), or null on the last page.
    next: Option<String>,
}

/// A finding with its history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct FindingDetail {
    /// The finding.
    finding: StoredFinding,
    /// What happened to it, cycle by cycle.
    history: Vec<HistoryEntry>,
}

/// Findings, filtered and paged.
#[utoipa::path(
    get,
    path = "/findings",
    tag = "findings",
    params(FindingsQuery),
    responses((status = 200, description = "One page of findings", body = FindingsPage), Problems),
    security((), ("bearer" = [])),
)]
pub(super) async fn list(
    State(s): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<FindingsQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    s.auth.check(&headers, Role::Read)?;
    let q = query(q)?;
    let params = FindingParams {
        state: q.state.as_deref(),
        severity: q.severity.as_deref(),
        rule: q.rule.as_deref(),
        resource: q.resource.as_deref(),
        source: q.source.as_deref(),
        namespace: q.namespace.as_deref(),
        after: q.after.as_deref(),
        limit: q.limit,
    };
    let query = params.parse().map_err(problem)?;
    // Read (begun after this request arrived) before the page: the page is at least as
    // new as this generation.
    let generation = s.findings_generation.current().await?;
    let render = async {
        let page = s.store.find_findings(&query).await.map_err(problem)?;
        let page = FindingsPage {
            findings: page.findings,
            next: page.next,
        };
        serde_json::to_vec(&page)
            .map(Bytes::from)
            .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
    };
    let body = s
        .findings_pages
        .page(uri.query().unwrap_or_default(), generation, render)
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// A bad parameter as a 400 naming it; the store's own failures as they always are.
fn problem(err: StateError) -> Problem {
    match err {
        StateError::Invalid { .. } => bad(err.to_string()),
        err => err.into(),
    }
}

/// A finding and its history.
#[utoipa::path(
    get,
    path = "/findings/{fingerprint}",
    tag = "findings",
    params(("fingerprint" = String, Path, description = "The finding's fingerprint")),
    responses((status = 200, description = "The finding", body = FindingDetail), Problems),
    security((), ("bearer" = [])),
)]
pub(super) async fn show(
    State(s): State<Shared>,
    headers: HeaderMap,
    fingerprint: Result<Path<String>, PathRejection>,
) -> Result<Json<FindingDetail>, Problem> {
    s.auth.check(&headers, Role::Read)?;
    let fingerprint = path(fingerprint)?;
    match s.store.show_finding(&fingerprint).await {
        Ok((finding, history)) => Ok(Json(FindingDetail { finding, history })),
        Err(err) => Err(Problem::new(StatusCode::NOT_FOUND, err.to_string())),
    }
}
