//! One list page from the API server. kube builds the request (`kube::core::Request`)
//! and sends it with its auth and TLS; this module reads the status, `Retry-After` and
//! the List body itself, so throttling can honour the server's delay and a malformed
//! body is reported as such.

use std::time::Duration;

use http_body_util::BodyExt as _;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta;
use kube::api::ListParams;
use kube::client::Body;
use serde::Deserialize;
use serde_json::Value;

use crate::retry::{RetryPolicy, Transient, parse_retry_after, with_retry};

/// Why a call failed. Never carries a request header (the token lives there).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The server answered with an error status (a `Status` object or plain text).
    #[error("{}", status_text(*.code, reason, message))]
    Status {
        /// HTTP status code.
        code: u16,
        /// `Status.reason` (e.g. `Forbidden`, `Expired`), or the HTTP reason phrase.
        reason: String,
        /// `Status.message`, or the start of a non-JSON body.
        message: String,
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// No answer: connection refused, TLS failure, reset.
    #[error("cannot reach the API server: {0}")]
    Transport(String),
    /// A 2xx answer that is not a List as the API reference documents it.
    #[error("malformed response: {0}")]
    Malformed(String),
}

fn status_text(code: u16, reason: &str, message: &str) -> String {
    match code {
        403 => format!("forbidden: {message}"),
        _ => format!("HTTP {code} {reason}: {message}"),
    }
}

impl ApiError {
    /// The HTTP status, when the server answered.
    pub fn code(&self) -> Option<u16> {
        match self {
            ApiError::Status { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl Transient for ApiError {
    fn retry_after(&self) -> Option<Option<Duration>> {
        match self {
            ApiError::Status {
                code: 429 | 503 | 504,
                retry_after,
                ..
            } => Some(*retry_after),
            _ => None,
        }
    }
}

/// One page of a List.
#[derive(Debug)]
pub struct Page {
    /// The items, as the server sent them (without `kind`/`apiVersion`).
    pub items: Vec<Value>,
    /// The token for the next page; `None` on the last.
    pub continue_token: Option<String>,
}

#[derive(Deserialize)]
struct ListBody {
    #[serde(default)]
    metadata: ListMeta,
    items: Option<Vec<Value>>,
}

/// The error body the API server sends (`kind: Status`).
#[derive(Deserialize)]
struct StatusBody {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    message: String,
}

/// The API server as the collector uses it: list calls with retries.
#[derive(Clone)]
pub struct KubeApi {
    client: kube::Client,
    retry: RetryPolicy,
}

impl KubeApi {
    /// Wraps a connected client.
    pub fn new(client: kube::Client, retry: RetryPolicy) -> Self {
        KubeApi { client, retry }
    }

    /// Lists one page of `url_path` (e.g. `/apis/apps/v1/deployments`), retrying on
    /// throttling and brief unavailability.
    pub async fn list_page(
        &self,
        url_path: &str,
        limit: u32,
        continue_token: Option<&str>,
    ) -> Result<Page, ApiError> {
        let mut params = ListParams::default().limit(limit);
        if let Some(token) = continue_token {
            params = params.continue_token(token);
        }
        with_retry(&self.retry, url_path, || self.list_once(url_path, &params)).await
    }

    async fn list_once(&self, url_path: &str, params: &ListParams) -> Result<Page, ApiError> {
        let request = kube::core::Request::new(url_path)
            .list(params)
            .map_err(|err| ApiError::Transport(format!("cannot build the request: {err}")))?;
        let response = self
            .client
            .send(request.map(Body::from))
            .await
            .map_err(|err| ApiError::Transport(error_chain(&err)))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|err| ApiError::Transport(format!("reading the response: {err}")))?
            .to_bytes();
        if !status.is_success() {
            let (reason, message) = match serde_json::from_slice::<StatusBody>(&body) {
                Ok(s) => (s.reason, s.message),
                Err(_) => (
                    status.canonical_reason().unwrap_or_default().to_string(),
                    String::from_utf8_lossy(&body)
                        .chars()
                        .take(200)
                        .collect::<String>(),
                ),
            };
            return Err(ApiError::Status {
                code: status.as_u16(),
                reason,
                message: message.trim().to_string(),
                retry_after,
            });
        }
        let list: ListBody = serde_json::from_slice(&body)
            .map_err(|err| ApiError::Malformed(format!("{url_path}: {err}")))?;
        let items = list
            .items
            .ok_or_else(|| ApiError::Malformed(format!("{url_path}: no `items` in the List")))?;
        Ok(Page {
            items,
            continue_token: list.metadata.continue_.filter(|t| !t.is_empty()),
        })
    }
}

/// An error and its causes on one line (`ServiceError: client error (Connect): tcp
/// connect error: Connection refused`).
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_and_unavailability_are_transient_the_rest_not() {
        let status = |code, retry_after| ApiError::Status {
            code,
            reason: String::new(),
            message: String::new(),
            retry_after,
        };
        let after = Some(Duration::from_secs(2));
        assert_eq!(status(429, after).retry_after(), Some(after));
        assert_eq!(status(503, None).retry_after(), Some(None));
        assert_eq!(status(403, None).retry_after(), None);
        assert_eq!(status(410, None).retry_after(), None);
        assert_eq!(ApiError::Transport("refused".into()).retry_after(), None);
        assert_eq!(ApiError::Malformed("x".into()).retry_after(), None);
    }

    #[test]
    fn forbidden_reads_as_such() {
        let err = ApiError::Status {
            code: 403,
            reason: "Forbidden".into(),
            message: "pods is forbidden: User \"x\" cannot list resource \"pods\"".into(),
            retry_after: None,
        };
        assert!(err.to_string().starts_with("forbidden: pods is forbidden"));
    }
}
