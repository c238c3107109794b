//! `/`: the findings, filtered like `GET /api/v1/findings` (state, severity, rule,
//! source, namespace), with severity counts and pages; `/findings/{fp}`: one finding's
//! evidence and history.

use aiops_state::{FindingFilter, FindingParams};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::{Shared, layout, session, when};

/// The findings page's query (empty fields, as a form sends them, mean "any").
#[derive(Debug, Default, Deserialize)]
pub struct FindingsQuery {
    state: Option<String>,
    severity: Option<String>,
    rule: Option<String>,
    source: Option<String>,
    namespace: Option<String>,
    after: Option<String>,
}

/// Findings per page.
const PAGE: usize = 50;
const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// `GET /`.
pub async fn list(
    State(console): State<Shared>,
    headers: HeaderMap,
    query: Result<Query<FindingsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let session = match session::require(&console, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(Query(q)) = query else {
        return layout::error(StatusCode::BAD_REQUEST, "the filters could not be read");
    };
    match render_list(&console, &session, &q).await {
        Ok(r) | Err(r) => r,
    }
}

async fn render_list(
    console: &Shared,
    session: &session::Session,
    q: &FindingsQuery,
) -> Result<Response, Response> {
    let bad = |e: aiops_state::StateError| match e {
        aiops_state::StateError::Invalid { .. } => {
            layout::error(StatusCode::BAD_REQUEST, &e.to_string())
        }
        e => layout::store(e),
    };
    // The same query as `GET /api/v1/findings`, a page of `PAGE`.
    let query = FindingParams {
        state: given(&q.state),
        severity: given(&q.severity),
        rule: given(&q.rule),
        source: given(&q.source),
        namespace: given(&q.namespace),
        after: given(&q.after),
        limit: Some(PAGE),
        ..Default::default()
    }
    .parse()
    .map_err(bad)?;
    let store = &console.app.store;
    let state = query.filter.state.clone().unwrap_or_else(|| "open".into());
    // Counts over the other filters, so each severity shows what picking it would give.
    let any_severity = FindingFilter {
        severities: Vec::new(),
        ..query.filter.clone()
    };
    let by_severity = store
        .count_findings(&any_severity, None)
        .await
        .map_err(bad)?;
    let counts: Vec<(&str, u64)> = SEVERITIES
        .iter()
        .map(|s| (*s, by_severity.get(*s).copied().unwrap_or(0)))
        .collect();
    let total: u64 = if query.filter.severities.is_empty() && query.after.is_none() {
        by_severity.values().sum()
    } else {
        store
            .count_findings(&query.filter, query.after.as_deref())
            .await
            .map_err(bad)?
            .values()
            .sum()
    };
    let page = store.find_findings(&query).await.map_err(bad)?;
    let (all, next) = (page.findings, page.next);
    let keep = |key: &str, value: &str| {
        let mut pairs = vec![("state", state.as_str())];
        for (k, v) in [
            ("severity", &q.severity),
            ("rule", &q.rule),
            ("source", &q.source),
            ("namespace", &q.namespace),
        ] {
            if let Some(v) = given(v) {
                pairs.push((k, v));
            }
        }
        pairs.retain(|(k, _)| *k != key);
        pairs.push((key, value));
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        format!("/?{}", query.join("&"))
    };
    let body = html! {
        h1 { "Findings" }
        p.counts {
            @for (s, n) in &counts {
                a href=(keep("severity", s)) { span class=(format!("sev-{s}")) data-severity=(s) { (s) ": " (n) } }
            }
        }
        form.filters method="get" action="/" {
            label { "state"
                select name="state" {
                    @for s in ["open", "resolved", "stale", "all"] {
                        option value=(s) selected[s == state] { (s) }
                    }
                }
            }
            label { "severity"
                select name="severity" {
                    option value="" { "any" }
                    @for s in SEVERITIES {
                        option value=(s) selected[given(&q.severity) == Some(s)] { (s) }
                    }
                }
            }
            label { "rule" input name="rule" value=(given(&q.rule).unwrap_or("")) placeholder="glob"; }
            label { "source" input name="source" value=(given(&q.source).unwrap_or("")) placeholder="glob"; }
            label { "namespace" input name="namespace" value=(given(&q.namespace).unwrap_or("")) placeholder="glob"; }
            button type="submit" { "Filter" }
        }
        p.hint { (total) " matching" @if given(&q.after).is_some() { " from here on" } }
        table #findings {
            thead { tr { th { "Severity" } th { "Rule" } th { "Resource" } th { "Namespace" } th { "Source" } th { "Title" } } }
            tbody {
                @for f in &all {
                    tr {
                        td { span class=(format!("sev-{}", f.severity)) { (f.severity) } }
                        td { (f.rule) }
                        td { a href=(format!("/findings/{}", f.fingerprint)) { (f.resource_id) } }
                        td { (f.resource_namespace.as_deref().unwrap_or("")) }
                        td { (f.source) }
                        td { (f.title) }
                    }
                }
            }
        }
        @if let Some(next) = &next {
            p { a.next href=(keep("after", next)) { "Next page →" } }
        }
    };
    Ok(layout::page("Findings", Some(session), body).into_response())
}

/// Percent-encodes a query value.
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /findings/{fingerprint}`.
pub async fn detail(
    State(console): State<Shared>,
    headers: HeaderMap,
    Path(fingerprint): Path<String>,
) -> Response {
    let session = match session::require(&console, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (f, history) = match console.app.store.show_finding(&fingerprint).await {
        Ok(found) => found,
        Err(aiops_state::StateError::NotFound(m)) => {
            return layout::error(StatusCode::NOT_FOUND, &m);
        }
        Err(e) => return layout::store(e),
    };
    let body = html! {
        h1 { (f.title) }
        p { span class=(format!("sev-{}", f.severity)) { (f.severity) } " " (f.rule) " · " (f.state.as_str()) @if f.stale { " (stale)" } }
        p { (f.message) }
        table #facts {
            tr { th { "Resource" } td { (f.resource_id) } }
            tr { th { "Kind" } td { (f.resource_kind) } }
            tr { th { "Namespace" } td { (f.resource_namespace.as_deref().unwrap_or("")) } }
            tr { th { "Source" } td { (f.source) } }
            @if let Some(file) = &f.file { tr { th { "File" } td { (file) @if let Some(l) = f.line { ":" (l) } } } }
            tr { th { "Plugin" } td { (f.plugin) } }
            tr { th { "First seen" } td { (when(f.first_seen)) } }
            tr { th { "Last seen" } td { (when(f.last_seen)) } }
            tr { th { "Fingerprint" } td { code { (f.fingerprint) } } }
        }
        h2 { "Evidence" }
        table #evidence {
            @for (k, v) in &f.evidence { tr { th { (k) } td { code { (v) } } } }
        }
        h2 { "History" }
        table #history {
            thead { tr { th { "When" } th { "Cycle" } th { "Change" } th { "From" } th { "To" } th { "Why" } } }
            tbody {
                @for h in &history {
                    tr {
                        td { (when(h.at)) } td { (h.cycle) } td { (h.change) }
                        td { (h.from.as_deref().unwrap_or("")) } td { (h.to.as_deref().unwrap_or("")) }
                        td { (h.reason.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
    };
    layout::page(&f.title, Some(&session), body).into_response()
}
