//! The web console, served by `aiops serve` next to the API, with nothing to build at
//! run time: server-rendered HTML (maud, compile-time templates), one vendored
//! stylesheet, no JavaScript — plain forms.
//!
//! The story of a visit: `/login` takes one of the API's bearer tokens
//! ([`session`]); the console keeps a random session id in an HttpOnly, SameSite=Strict
//! cookie (Secure unless it listens on loopback) mapped server-side to the token's name
//! and role — never the token itself. Every page reads through the same store calls as
//! the API: findings with their filters, severity counts and pages ([`findings`]), a
//! finding's evidence and history, pending approvals with their diff ([`approvals`]),
//! remediations and their pull requests ([`remediations`]), plugins and their load
//! errors ([`plugins`]), recent cycles ([`cycles`]). Approve and Reject go through
//! [`super::decide`], the API's own path, under the token's name, and need the
//! `approve` role. Every POST carries the session's CSRF token (checked in constant
//! time); every response carries a strict Content-Security-Policy; every error is a
//! page ([`layout::error`]), never a 500 body.

// The error of a page handler is the error page to answer with (a `Response`); boxing
// it would only add an allocation on the error path.
#![allow(clippy::result_large_err)]

pub mod approvals;
pub mod cycles;
pub mod findings;
pub mod layout;
pub mod plugins;
pub mod remediations;
pub mod session;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse as _;
use axum::routing::{get, post};

use super::api::AppState;

/// The Content-Security-Policy of every console response.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What the console's handlers share: the API's state and the sessions.
pub struct Console {
    /// The API's state (store, tokens, config, plugins).
    pub app: Arc<AppState>,
    /// Logged-in sessions.
    pub sessions: session::Sessions,
    /// Mark the session cookie `Secure` (false only when listening on loopback).
    pub secure_cookie: bool,
}

/// Shared console state.
pub type Shared = Arc<Console>;

/// The console's routes, to merge with the API's router.
pub fn router(app: Arc<AppState>) -> Router {
    let config = app.config.load_full();
    let secure_cookie = !config
        .api
        .listen
        .parse::<std::net::SocketAddr>()
        .is_ok_and(|a| a.ip().is_loopback())
        && !config.api.listen.starts_with("localhost:");
    let limit = config.api.max_body_bytes;
    let timeout = Duration::from_secs(config.api.request_timeout_seconds);
    let console = Arc::new(Console {
        app,
        sessions: session::Sessions::default(),
        secure_cookie,
    });
    Router::new()
        .route("/", get(findings::list))
        .route("/findings/{fingerprint}", get(findings::detail))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/approvals", get(approvals::list))
        .route("/approvals/{id}/approve", post(approvals::approve))
        .route("/approvals/{id}/reject", post(approvals::reject))
        .route("/remediations", get(remediations::list))
        .route("/plugins", get(plugins::list))
        .route("/cycles", get(cycles::list))
        .route("/console.css", get(stylesheet))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(
            move |req, next: axum::middleware::Next| async move {
                let mut response = match tokio::time::timeout(timeout, next.run(req)).await {
                    Ok(response) => response,
                    Err(_) => layout::error(
                        axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        "the request took too long",
                    ),
                };
                let headers = response.headers_mut();
                headers.insert(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(CSP),
                );
                headers.insert(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                );
                headers.insert(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                );
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            },
        ))
        .with_state(console)
}

/// The vendored stylesheet.
async fn stylesheet() -> axum::response::Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("console.css"),
    )
        .into_response()
}

/// Milliseconds since the epoch as `YYYY-MM-DD HH:MM:SS` UTC.
pub fn when(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
