//! A small typed client for the Azure Resource Manager REST API: GET with a bearer token,
//! retries on throttling (429 with `Retry-After`) and server errors, list pages followed
//! through `nextLink`, and errors that name the call.

use std::time::Duration;

use azure_core::credentials::Secret;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::retry::{RetryPolicy, Transient, parse_retry_after, with_retry};

/// Why an ARM call failed. Never carries the token.
#[derive(Debug, thiserror::Error)]
pub enum ArmError {
    /// ARM answered with an error status.
    #[error("{call}: HTTP {status}{}", detail(.code, .message))]
    Status {
        /// `GET /path` of the call.
        call: String,
        /// HTTP status code.
        status: u16,
        /// ARM's `error.code`, e.g. `AuthorizationFailed`.
        code: Option<String>,
        /// ARM's `error.message`.
        message: Option<String>,
        /// The server's `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// No answer (connection refused, reset, timed out).
    #[error("{call}: {message}")]
    Transport {
        /// `GET /path` of the call.
        call: String,
        /// What the HTTP client said, with its causes.
        message: String,
        /// Worth retrying: could not connect, or timed out.
        transient: bool,
    },
    /// The answer is not the JSON the ARM reference documents.
    #[error("{call}: malformed response: {message}")]
    Malformed {
        /// `GET /path` of the call.
        call: String,
        /// What is wrong with it.
        message: String,
    },
}

fn detail(code: &Option<String>, message: &Option<String>) -> String {
    match (code, message) {
        (Some(c), Some(m)) => format!(" {c}: {m}"),
        (Some(c), None) => format!(" {c}"),
        (None, Some(m)) => format!(" {m}"),
        (None, None) => String::new(),
    }
}

/// An error and its causes on one line.
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

impl ArmError {
    /// The HTTP status, when ARM answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ArmError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when the caller's identity may not read this (401, 403).
    pub fn is_denied(&self) -> bool {
        matches!(self.status(), Some(401 | 403))
    }
}

impl Transient for ArmError {
    fn retry_after(&self) -> Option<Option<Duration>> {
        match self {
            ArmError::Status {
                status,
                retry_after,
                ..
            } if *status == 429 || (500..600).contains(status) => Some(*retry_after),
            ArmError::Transport { transient, .. } if *transient => Some(None),
            _ => None,
        }
    }
}

/// One page of an ARM list: `{"value": [...], "nextLink": "..."}`.
#[derive(Debug, Deserialize)]
pub struct Page {
    /// The items, as ARM returned them.
    #[serde(default)]
    pub value: Vec<Value>,
    /// Absolute URL of the next page, absent on the last.
    #[serde(rename = "nextLink", default)]
    pub next_link: Option<String>,
}

/// `{"error": {"code": ..., "message": ...}}`, ARM's error body.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    code: Option<String>,
    message: Option<String>,
}

/// A client for one ARM endpoint with one access token.
pub struct ArmClient {
    http: reqwest::Client,
    endpoint: Url,
    token: Secret,
    retry: RetryPolicy,
}

impl ArmClient {
    /// A client for `endpoint` (e.g. `https://management.azure.com`).
    pub fn new(http: reqwest::Client, endpoint: Url, token: Secret, retry: RetryPolicy) -> Self {
        ArmClient {
            http,
            endpoint,
            token,
            retry,
        }
    }

    /// The URL of `path` (starting with `/`) with `query` pairs on the endpoint. Spaces
    /// (in metric names) are sent as `%20`, as the ARM reference writes them; a literal
    /// `+` is already `%2B`.
    pub fn url(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self.endpoint.clone();
        let base = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base}{path}"));
        if query.is_empty() {
            url.set_query(None);
        } else {
            let encoded = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(query)
                .finish()
                .replace('+', "%20");
            url.set_query(Some(&encoded));
        }
        url
    }

    /// GETs `url` and parses the JSON answer, retrying throttling and server errors.
    pub async fn get<T: DeserializeOwned>(&self, url: &Url) -> Result<T, ArmError> {
        let call = format!("GET {}", url.path());
        with_retry(&self.retry, &call, || self.get_once(url, &call)).await
    }

    async fn get_once<T: DeserializeOwned>(&self, url: &Url, call: &str) -> Result<T, ArmError> {
        let transport = |err: reqwest::Error| ArmError::Transport {
            call: call.to_string(),
            transient: err.is_connect() || err.is_timeout(),
            message: error_chain(&err.without_url()),
        };
        let response = self
            .http
            .get(url.clone())
            .bearer_auth(self.token.secret())
            .header("accept", "application/json")
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = response.bytes().await.map_err(transport)?;
        if !status.is_success() {
            let detail = serde_json::from_slice::<ErrorBody>(&body)
                .ok()
                .map(|b| b.error);
            return Err(ArmError::Status {
                call: call.to_string(),
                status: status.as_u16(),
                code: detail.as_ref().and_then(|d| d.code.clone()),
                message: detail.and_then(|d| d.message),
                retry_after,
            });
        }
        serde_json::from_slice(&body).map_err(|e| ArmError::Malformed {
            call: call.to_string(),
            message: e.to_string(),
        })
    }

    /// Lists every item of `url`, page by page through `nextLink`, handing each page's
    /// items to `on_page` as it arrives. A `nextLink` leaving the endpoint is refused
    /// (the token is only sent to the configured endpoint).
    pub async fn list(
        &self,
        url: Url,
        mut on_page: impl FnMut(Vec<Value>),
    ) -> Result<(), ArmError> {
        let mut next = Some(url);
        while let Some(url) = next.take() {
            let page: Page = self.get(&url).await?;
            if let Some(link) = page.next_link.filter(|l| !l.is_empty()) {
                next = Some(self.same_origin(&url, &link)?);
            }
            on_page(page.value);
        }
        Ok(())
    }

    fn same_origin(&self, from: &Url, link: &str) -> Result<Url, ArmError> {
        let malformed = |message: String| ArmError::Malformed {
            call: format!("GET {}", from.path()),
            message,
        };
        let url = Url::parse(link).map_err(|e| malformed(format!("nextLink: {e}")))?;
        if url.origin() != self.endpoint.origin() {
            return Err(malformed(format!(
                "nextLink points outside {}",
                self.endpoint.origin().ascii_serialization()
            )));
        }
        Ok(url)
    }
}

impl std::fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArmClient")
            .field("endpoint", &self.endpoint.as_str())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(endpoint: &str) -> ArmClient {
        ArmClient::new(
            reqwest::Client::new(),
            Url::parse(endpoint).unwrap(),
            Secret::new("t"),
            RetryPolicy::default(),
        )
    }

    #[test]
    fn urls_keep_the_endpoint_path_and_encode_the_query() {
        let c = client("http://127.0.0.1:8080/arm/");
        let url = c.url(
            "/subscriptions/s/providers/Microsoft.Insights/metrics",
            &[
                ("metricnames", "Percentage CPU+X"),
                ("api-version", "2024-02-01"),
            ],
        );
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/arm/subscriptions/s/providers/Microsoft.Insights/metrics?metricnames=Percentage%20CPU%2BX&api-version=2024-02-01"
        );
    }

    #[test]
    fn next_links_must_stay_on_the_endpoint() {
        let c = client("https://management.azure.com");
        let from = c.url("/subscriptions", &[]);
        assert!(
            c.same_origin(
                &from,
                "https://management.azure.com/subscriptions?%24skiptoken=x"
            )
            .is_ok()
        );
        let err = c.same_origin(&from, "https://evil.example/x").unwrap_err();
        assert!(err.to_string().contains("nextLink points outside"), "{err}");
    }

    #[test]
    fn throttling_and_server_errors_are_transient_denials_are_not() {
        let status = |status, retry_after| ArmError::Status {
            call: "GET /x".into(),
            status,
            code: None,
            message: None,
            retry_after,
        };
        let after = Some(Duration::from_secs(3));
        assert_eq!(status(429, after).retry_after(), Some(after));
        assert_eq!(status(503, None).retry_after(), Some(None));
        assert_eq!(status(403, None).retry_after(), None);
        assert!(status(403, None).is_denied());
    }
}
