//! `GET /api/v1/findings` (filtered, paged) and `GET /api/v1/findings/{fingerprint}`.

use aiops_sdk::Severity;
use aiops_state::{FindingFilter, HistoryEntry, StoredFinding};
use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
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
    /// Rule id glob (`k8s-resources/*`).
    rule: Option<String>,
    /// Resource id glob.
    resource: Option<String>,
    /// Source glob (`k8s`, `manifests:*`).
    source: Option<String>,
    /// Namespace (or region, resource group) glob.
    namespace: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// The `next` of the previous page: findings after this fingerprint.
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
    q: Result<Query<FindingsQuery>, QueryRejection>,
) -> Result<Json<FindingsPage>, Problem> {
    s.auth.check(&headers, Role::Read)?;
    let mut q = query(q)?;
    // An empty parameter (`severity=`, as a form sends it) is no filter.
    for v in [
        &mut q.state,
        &mut q.severity,
        &mut q.rule,
        &mut q.resource,
        &mut q.source,
        &mut q.namespace,
        &mut q.after,
    ] {
        if v.as_deref().is_some_and(|x| x.trim().is_empty()) {
            *v = None;
        }
    }
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
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(bad(format!("limit: {limit} is not between 1 and 1000")));
    }
    let next = (all.len() > limit).then(|| all[limit - 1].fingerprint.clone());
    all.truncate(limit);
    Ok(Json(FindingsPage {
        findings: all,
        next,
    }))
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
