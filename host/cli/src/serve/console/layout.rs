//! The page shell (head, navigation, the logout form) and the error page.

use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::session::Session;

/// A whole page: `title`, the navigation when logged in, `body`.
pub fn page(title: &str, session: Option<&Session>, body: Markup) -> Html<String> {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · aiops" }
                link rel="stylesheet" href="/console.css";
            }
            body {
                header {
                    span.brand { "aiops" }
                    @if let Some(s) = session {
                        nav {
                            a href="/" { "Findings" }
                            a href="/approvals" { "Approvals" }
                            a href="/remediations" { "Remediations" }
                            a href="/plugins" { "Plugins" }
                            a href="/cycles" { "Cycles" }
                        }
                        form.logout method="post" action="/logout" {
                            span.who { (s.name) " (" (format!("{:?}", s.role).to_lowercase()) ")" }
                            input type="hidden" name="csrf" value=(s.csrf);
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    };
    Html(markup.into_string())
}

/// An error as a page with `status` (never a bare 500).
pub fn error(status: StatusCode, message: &str) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    let body = html! {
        h1 { (status.as_u16()) " " (reason) }
        p.problem { (message) }
        p { a href="/" { "Back to the findings" } }
    };
    let mut response = (status, page(reason, None, body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// A store or decision problem as an error page.
pub fn problem(p: crate::serve::problem::Problem) -> Response {
    error(p.status, &p.detail)
}

/// A store error as an error page (503: the store is the one at fault, not the visitor).
pub fn store(err: aiops_state::StateError) -> Response {
    error(StatusCode::SERVICE_UNAVAILABLE, &err.to_string())
}
