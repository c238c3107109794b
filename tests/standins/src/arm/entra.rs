//! The token endpoints of the ARM stand-in: Entra ID's v2.0 token endpoint (client
//! credentials with a secret or a federated assertion) and App Service's managed identity
//! endpoint.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{ACCESS_TOKEN, FEDERATED_TOKEN, IDENTITY_HEADER, Shared};

/// The App Service managed identity endpoint (`GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=...`
/// with `X-IDENTITY-HEADER`).
pub(super) fn managed_identity_token(
    shared: &Shared,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Response {
    shared.faults.token_requests.fetch_add(1, Ordering::SeqCst);
    let header_ok = headers
        .get("x-identity-header")
        .is_some_and(|v| v.as_bytes() == IDENTITY_HEADER.as_bytes());
    if !header_ok || query.get("api-version").map(String::as_str) != Some("2019-08-01") {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"statusCode": 401, "message": "Unauthorized"})),
        )
            .into_response();
    }
    if query.get("resource") != Some(&shared.base) {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"statusCode": 400, "message": "invalid resource"})),
        )
            .into_response();
    }
    let expires_on = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    axum::Json(json!({
        "access_token": ACCESS_TOKEN,
        "expires_on": expires_on.to_string(),
        "resource": shared.base,
        "token_type": "Bearer",
        "client_id": shared.identity.client_id
    }))
    .into_response()
}

/// The client credentials grant of the Microsoft identity platform v2.0 token endpoint,
/// with a client secret or a client assertion (workload identity).
pub(super) async fn token_handler(
    State(shared): State<Arc<Shared>>,
    UrlPath(tenant): UrlPath<String>,
    body: Bytes,
) -> Response {
    shared.faults.token_requests.fetch_add(1, Ordering::SeqCst);
    let form: HashMap<String, String> = url_form(&body);
    let id = &shared.identity;
    let bad = |code: &str, description: &str| {
        (
            StatusCode::UNAUTHORIZED,
            axum::Json(
                json!({"error": code, "error_description": description, "error_codes": [7000215]}),
            ),
        )
            .into_response()
    };
    if tenant != id.tenant {
        return bad("invalid_request", "AADSTS90002: Tenant not found.");
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials")
        || form.get("client_id") != Some(&id.client_id)
    {
        return bad(
            "unauthorized_client",
            "AADSTS700016: Application not found.",
        );
    }
    let assertion_ok = form.get("client_assertion_type").map(String::as_str)
        == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        && form.get("client_assertion").map(String::as_str) == Some(FEDERATED_TOKEN);
    if !assertion_ok && form.get("client_secret") != Some(&id.client_secret) {
        return bad(
            "invalid_client",
            "AADSTS7000215: Invalid client secret provided.",
        );
    }
    if form.get("scope") != Some(&format!("{}/.default", shared.base)) {
        return bad(
            "invalid_scope",
            "AADSTS70011: The provided scope is invalid.",
        );
    }
    axum::Json(json!({
        "token_type": "Bearer",
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": ACCESS_TOKEN
    }))
    .into_response()
}

fn url_form(body: &[u8]) -> HashMap<String, String> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%'
                && i + 2 < bytes.len()
                && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}
