//! Errors as RFC 9457 problem details (`application/problem+json`): a status, a title
//! and what went wrong — never a 500 for bad input, never a secret.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A problem to answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The status.
    pub status: StatusCode,
    /// What went wrong, for people.
    pub detail: String,
}

impl Problem {
    /// A problem with `status` and `detail`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            detail: detail.into(),
        }
    }
}

/// The body of a problem response (RFC 9457).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub struct ProblemBody {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's reason phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, for people.
    pub detail: String,
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = ProblemBody {
            kind: "about:blank".into(),
            title: self.status.canonical_reason().unwrap_or("Error").into(),
            status: self.status.as_u16(),
            detail: self.detail,
        };
        let body = serde_json::to_string(&body).expect("a problem serializes");
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            "application/problem+json".parse().expect("a valid header"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                "Bearer realm=\"aiops\"".parse().expect("a valid header"),
            );
        }
        response
    }
}

impl From<aiops_state::StateError> for Problem {
    fn from(err: aiops_state::StateError) -> Self {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, err.to_string())
    }
}
