//! `/remediations`: every remediation, newest first, its state, who decided and why,
//! and its pull request.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::{Shared, layout, session, when};

/// `GET /remediations`.
pub async fn list(State(console): State<Shared>, headers: HeaderMap) -> Response {
    let session = match session::require(&console, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let all = match console.app.store.list_remediations(&[]).await {
        Ok(a) => a,
        Err(e) => return layout::store(e),
    };
    let body = html! {
        h1 { "Remediations" }
        table #remediations {
            thead { tr { th { "#" } th { "State" } th { "Group" } th { "Title" } th { "Pull request" } th { "Decided by" } th { "Why" } th { "Updated" } } }
            tbody {
                @for r in &all {
                    tr id=(format!("r{}", r.id)) data-group=(r.group_key) {
                        td { (r.id) }
                        td.state { (r.state.as_str()) }
                        td { (r.group_key) }
                        td { (r.title) }
                        td {
                            @if let Some(url) = &r.pr_url {
                                a href=(url) rel="noreferrer" { "#" (r.pr_number.unwrap_or_default()) }
                            } @else {
                                (r.provider) ": " code { (r.branch) }
                            }
                            @if let Some(c) = &r.merge_commit { br; "merged as " code { (c.get(..12).unwrap_or(c)) } }
                        }
                        td { (r.decided_by.as_deref().unwrap_or("")) }
                        td { (r.decision_reason.as_deref().unwrap_or("")) }
                        td { (when(r.updated_at)) }
                    }
                }
            }
        }
    };
    layout::page("Remediations", Some(&session), body).into_response()
}
