//! `/cycles`: the recent cycles, how each went, what it changed and what failed.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::{Shared, layout, session, when};

/// `GET /cycles`.
pub async fn list(State(console): State<Shared>, headers: HeaderMap) -> Response {
    let session = match session::require(&console, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let cycles = match console.app.store.list_cycles(50).await {
        Ok(c) => c,
        Err(e) => return layout::store(e),
    };
    let body = html! {
        h1 { "Recent cycles" }
        table #cycles {
            thead { tr { th { "#" } th { "Started" } th { "Finished" } th { "Status" } th { "Sources" } th { "New" } th { "Open" } th { "Resolved" } th { "Problems" } } }
            tbody {
                @for c in &cycles {
                    tr {
                        td { (c.id) }
                        td { (when(c.started_at)) }
                        td { (c.finished_at.map(when).unwrap_or_default()) }
                        td.state { (c.status.as_str()) }
                        td { @for s in &c.sources { (s.source) " (" (s.resources) ")" br; } }
                        td { (c.summary.as_ref().map_or(0, |s| s.total.new)) }
                        td { (c.summary.as_ref().map_or(0, |s| s.total.open)) }
                        td { (c.summary.as_ref().map_or(0, |s| s.total.resolved)) }
                        td.problem { @for p in &c.problems { (p.message) br; } }
                    }
                }
            }
        }
    };
    layout::page("Cycles", Some(&session), body).into_response()
}
