//! Token login → a session: a random id in an HttpOnly, SameSite=Strict cookie, mapped
//! here to the token's name and role and a CSRF token for the session's forms. The
//! token itself is never kept in the cookie.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use subtle::ConstantTimeEq as _;

use super::Shared;
use super::layout;
use crate::serve::config::Role;

/// The session cookie's name.
pub const COOKIE: &str = "aiops_session";
/// How long a session lasts without use.
const IDLE: Duration = Duration::from_secs(8 * 3600);

/// A logged-in visitor.
#[derive(Debug, Clone)]
pub struct Session {
    /// The token's name (what the audit log records).
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The token every POST form of this session must carry.
    pub csrf: String,
    last_used: Instant,
}

/// The sessions, by id.
#[derive(Debug, Default)]
pub struct Sessions {
    by_id: Mutex<HashMap<String, Session>>,
}

/// 32 random bytes, hex.
fn random() -> Result<String, Response> {
    let mut bytes = [0u8; 32];
    rustix::rand::getrandom(&mut bytes, rustix::rand::GetRandomFlags::empty()).map_err(|e| {
        layout::error(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("no random bytes: {e}"),
        )
    })?;
    Ok(hex::encode(bytes))
}

impl Sessions {
    fn open(&self, name: String, role: Role) -> Result<String, Response> {
        let id = random()?;
        let csrf = random()?;
        let mut map = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, s| s.last_used.elapsed() < IDLE);
        map.insert(
            id.clone(),
            Session {
                name,
                role,
                csrf,
                last_used: Instant::now(),
            },
        );
        Ok(id)
    }

    fn get(&self, id: &str) -> Option<Session> {
        let mut map = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
        let session = map.get_mut(id)?;
        if session.last_used.elapsed() >= IDLE {
            map.remove(id);
            return None;
        }
        session.last_used = Instant::now();
        Some(session.clone())
    }

    fn close(&self, id: &str) {
        self.by_id
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }
}

/// The session id the request's cookie names.
fn cookie_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == COOKIE).then(|| v.to_string())
        })
}

/// The request's session, or a redirect to the login page.
pub fn require(console: &Shared, headers: &HeaderMap) -> Result<Session, Response> {
    cookie_id(headers)
        .and_then(|id| console.sessions.get(&id))
        .ok_or_else(|| Redirect::to("/login").into_response())
}

/// The request's session when the form's CSRF token is this session's (403 otherwise).
pub fn require_form(
    console: &Shared,
    headers: &HeaderMap,
    csrf: Option<&str>,
) -> Result<Session, Response> {
    let Some(session) = cookie_id(headers).and_then(|id| console.sessions.get(&id)) else {
        return Err(layout::error(
            StatusCode::FORBIDDEN,
            "not logged in: log in again and retry",
        ));
    };
    let presented = csrf.unwrap_or("").as_bytes();
    if !bool::from(session.csrf.as_bytes().ct_eq(presented)) {
        return Err(layout::error(
            StatusCode::FORBIDDEN,
            "the form's CSRF token is missing or wrong: reload the page and retry",
        ));
    }
    Ok(session)
}

/// `GET /login`.
pub async fn login_page() -> Response {
    login_form(StatusCode::OK, None)
}

fn login_form(status: StatusCode, problem: Option<&str>) -> Response {
    let body = html! {
        h1 { "Log in" }
        @if let Some(p) = problem { p.problem { (p) } }
        form method="post" action="/login" {
            label for="token" { "API token" }
            input #token type="password" name="token" autocomplete="off" required;
            button type="submit" { "Log in" }
        }
        p.hint { "Any of the API's bearer tokens (api.tokens); the console acts under its name and role." }
    };
    (status, layout::page("Log in", None, body)).into_response()
}

/// Form of `POST /login`.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    token: String,
}

/// `POST /login`: a known token opens a session.
pub async fn login(
    State(console): State<Shared>,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return login_form(StatusCode::BAD_REQUEST, Some("give a token"));
    };
    let mut headers = HeaderMap::new();
    let Ok(value) = HeaderValue::from_str(&format!("Bearer {}", form.token.trim())) else {
        return login_form(StatusCode::UNAUTHORIZED, Some("unknown token"));
    };
    headers.insert(header::AUTHORIZATION, value);
    let caller = match console.app.auth.check(&headers, Role::Read) {
        Ok(c) => c,
        Err(p) => return login_form(p.status, Some(&p.detail)),
    };
    tracing::info!(token = %caller.name, "console: logged in");
    let id = match console.sessions.open(caller.name, caller.role) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let secure = if console.secure_cookie {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict{secure}");
    let mut response = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// Form of the POSTs that carry only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /logout`.
pub async fn logout(
    State(console): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let csrf = form.as_ref().ok().and_then(|f| f.csrf.as_deref());
    if let Err(r) = require_form(&console, &headers, csrf) {
        return r;
    }
    if let Some(id) = cookie_id(&headers) {
        console.sessions.close(&id);
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("aiops_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}
