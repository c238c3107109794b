//! A git smart-HTTP server for tests: `git http-backend` (git's own CGI program, what
//! real git hosts run or emulate) behind a loopback HTTP server that demands HTTP basic
//! auth with a token, as GitHub does (`x-access-token:TOKEN`). Clones, fetches and
//! pushes over it are the real protocol, and every request is recorded.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// One request the server received.
#[derive(Debug, Clone)]
pub struct GitRequest {
    /// The method.
    pub method: String,
    /// The path and query.
    pub path: String,
    /// Whether it carried the right credentials.
    pub authorized: bool,
}

struct Shared {
    root: PathBuf,
    expected_auth: String,
    requests: Mutex<Vec<GitRequest>>,
}

/// A running server for the repositories under a directory; stops when dropped.
pub struct GitHttpServer {
    /// `http://127.0.0.1:PORT/git`: a repository `R` under the root is `{url}/R`.
    pub url: String,
    shared: Arc<Shared>,
    _served: crate::serve::Served,
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl GitHttpServer {
    /// Serves the repositories under `root` to clients authenticating as
    /// `username:token`.
    pub fn start(root: &Path, username: &str, token: &str) -> Self {
        let shared = Arc::new(Shared {
            root: root.to_path_buf(),
            expected_auth: format!("Basic {}", base64(format!("{username}:{token}").as_bytes())),
            requests: Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let served = crate::serve::Served::start(app, 0);
        GitHttpServer {
            url: format!("{}/git", served.url()),
            shared,
            _served: served,
        }
    }

    /// The requests received, in order.
    pub fn requests(&self) -> MutexGuard<'_, Vec<GitRequest>> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let header_of = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let authorized = header_of("authorization").as_deref() == Some(shared.expected_auth.as_str());
    shared
        .requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(GitRequest {
            method: method.to_string(),
            path: uri
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            authorized,
        });
    if !authorized {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"aiops-test\"")],
            "authentication required\n",
        )
            .into_response();
    }
    let Some(path_info) = uri.path().strip_prefix("/git") else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    let mut command = Command::new("git");
    command
        .arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", &shared.root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("PATH_INFO", path_info)
        .env("QUERY_STRING", uri.query().unwrap_or_default())
        .env("REQUEST_METHOD", method.as_str())
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("REMOTE_USER", "aiops")
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, var) in [
        ("content-type", "CONTENT_TYPE"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ("git-protocol", "GIT_PROTOCOL"),
    ] {
        if let Some(v) = header_of(name) {
            command.env(var, v);
        }
    }
    let output = tokio::task::spawn_blocking(move || {
        let mut child = command.spawn()?;
        child.stdin.take().unwrap().write_all(&body)?;
        child.wait_with_output()
    })
    .await
    .unwrap();
    let output = match output {
        Ok(o) => o,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    cgi_response(&output.stdout)
}

/// An HTTP response from a CGI program's output (headers, a blank line, the body).
fn cgi_response(out: &[u8]) -> Response {
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let Some((end, skip)) = split else {
        return (StatusCode::BAD_GATEWAY, "no CGI headers\n").into_response();
    };
    let head = String::from_utf8_lossy(&out[..end]).into_owned();
    let mut builder = Response::builder();
    let mut status = StatusCode::OK;
    for line in head.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            if let Some(code) = value.split(' ').next().and_then(|c| c.parse().ok()) {
                status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
            }
        } else {
            builder = builder.header(name.trim(), value);
        }
    }
    builder
        .status(status)
        .body(axum::body::Body::from(out[end + skip..].to_vec()))
        .unwrap()
}
