//! `/plugins`: each plugin slot, its name, version, kind and rules, loaded or failed
//! with the error, and its calls since the host started: how many, how many failed or
//! timed out, their mean and longest duration.

use aiops_runtime::CallOutcome;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;

use super::{Shared, layout, session};

/// `GET /plugins`.
pub async fn list(State(console): State<Shared>, headers: HeaderMap) -> Response {
    let session = match session::require(&console, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(registry) = console.app.plugins.get() else {
        return layout::error(StatusCode::SERVICE_UNAVAILABLE, "plugins are loading");
    };
    let snapshot = registry.snapshot();
    let body = html! {
        h1 { "Plugins" }
        table #plugins {
            thead { tr { th { "Origin" } th { "Name" } th { "Version" } th { "Kind" } th { "Rules" } th { "Status" } th { "Calls" } th { "Errors" } th { "Timeouts" } th { "Mean ms" } th { "Max ms" } th { "Error" } } }
            tbody {
                @for e in snapshot.entries.values() {
                    @let p = e.plugin.as_ref();
                    @let stats = p.map(|p| p.stats().snapshot()).unwrap_or_default();
                    tr data-status=(e.status()) {
                        td { code { (e.origin) } }
                        td { (p.map(|p| p.info.name.as_str()).unwrap_or("")) }
                        td { (p.map(|p| p.info.version.as_str()).unwrap_or("")) }
                        td { (p.map(|p| format!("{:?}", p.kind()).to_lowercase()).unwrap_or_default()) }
                        td { (p.map(|p| p.info.rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
                        td.state { (e.status()) }
                        td.calls { (stats.calls()) }
                        td.errors { (stats.count(CallOutcome::Error) + stats.count(CallOutcome::Memory)) }
                        td.timeouts { (stats.count(CallOutcome::Timeout)) }
                        td.mean { (format!("{:.1}", stats.mean_ms())) }
                        td.max { (format!("{:.1}", stats.max_ms())) }
                        td.problem { (e.error.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
    };
    layout::page("Plugins", Some(&session), body).into_response()
}
