//! Record and replay of AWS API traffic: a proxy in front of moto records every answer,
//! then a replay server answers the same requests from the recording without moto —
//! so a benchmark can tell aiops's own wall time from the emulator's latency.
//!
//! A request is keyed by its path, its `X-Amz-Target` header and its body with the
//! time-window parameters (`StartTime`, `EndTime`) removed, which change between runs.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// One recorded answer.
#[derive(Debug, Clone)]
struct Answer {
    status: StatusCode,
    content_type: Option<HeaderValue>,
    body: Bytes,
}

type Recording = Arc<Mutex<HashMap<String, Answer>>>;

struct Shared {
    upstream: Option<String>,
    recording: Recording,
    misses: AtomicUsize,
    client: Client<HttpConnector, Body>,
}

/// A running recorder or replay server; stops on drop.
pub struct ReplayServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _runtime: tokio::runtime::Runtime,
}

impl ReplayServer {
    /// A proxy to `upstream` that records every answer.
    pub fn record(upstream: &str) -> ReplayServer {
        Self::start(
            Some(upstream.trim_end_matches('/').to_string()),
            Recording::default(),
        )
    }

    /// A server answering from what `recorder` recorded, never forwarding.
    pub fn replay(recorder: &ReplayServer) -> ReplayServer {
        let recorded = recorder.shared.recording.lock().unwrap().clone();
        Self::start(None, Arc::new(Mutex::new(recorded)))
    }

    fn start(upstream: Option<String>, recording: Recording) -> ReplayServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let shared = Arc::new(Shared {
            upstream,
            recording,
            misses: AtomicUsize::new(0),
            client: Client::builder(TokioExecutor::new()).build_http(),
        });
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().fallback(handle).with_state(shared.clone());
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        ReplayServer {
            addr,
            shared,
            _runtime: runtime,
        }
    }

    /// The server's URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Distinct requests recorded.
    pub fn recorded(&self) -> usize {
        self.shared.recording.lock().unwrap().len()
    }

    /// Requests the replay server had no recording for.
    pub fn misses(&self) -> usize {
        self.shared.misses.load(Ordering::SeqCst)
    }
}

/// The key of a request: path, target header, body without the time window.
fn key(path: &str, target: &str, body: &[u8]) -> String {
    let body = String::from_utf8_lossy(body);
    let kept: Vec<&str> = body
        .split('&')
        .filter(|p| !p.starts_with("StartTime=") && !p.starts_with("EndTime="))
        .collect();
    format!("{path}\n{target}\n{}", kept.join("&"))
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let key = key(&path, &target, &body);
    let Some(upstream) = &shared.upstream else {
        let answer = shared.recording.lock().unwrap().get(&key).cloned();
        return match answer {
            Some(answer) => respond(answer),
            None => {
                shared.misses.fetch_add(1, Ordering::SeqCst);
                Response::builder()
                    .status(StatusCode::INTERNAL_SERVER_ERROR)
                    .body(Body::from(format!("replay: nothing recorded for {key}")))
                    .unwrap()
            }
        };
    };
    parts.uri = format!("{upstream}{path}").parse().unwrap();
    let forwarded = shared
        .client
        .request(axum::http::Request::from_parts(parts, Body::from(body)))
        .await;
    let answer = match forwarded {
        Ok(response) => {
            let status = response.status();
            let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
            let body = axum::body::to_bytes(Body::new(response.into_body()), usize::MAX)
                .await
                .unwrap_or_default();
            Answer {
                status,
                content_type,
                body,
            }
        }
        Err(err) => Answer {
            status: StatusCode::BAD_GATEWAY,
            content_type: None,
            body: Bytes::from(format!("recorder: {err}")),
        },
    };
    shared.recording.lock().unwrap().insert(key, answer.clone());
    respond(answer)
}

fn respond(answer: Answer) -> Response {
    let mut builder = Response::builder().status(answer.status);
    if let Some(content_type) = answer.content_type {
        builder = builder.header(header::CONTENT_TYPE, content_type);
    }
    builder.body(Body::from(answer.body)).unwrap()
}

#[cfg(test)]
mod tests {
    use super::key;

    #[test]
    fn the_time_window_is_not_part_of_the_key() {
        let a = key(
            "/",
            "",
            b"Action=GetMetricData&StartTime=2026-11-25T10%3A00%3A00Z&EndTime=2026-11-25T13%3A00%3A00Z&MetricDataQueries.member.1.Id=m0",
        );
        let b = key(
            "/",
            "",
            b"Action=GetMetricData&StartTime=2026-11-25T11%3A00%3A00Z&EndTime=2026-11-25T14%3A00%3A00Z&MetricDataQueries.member.1.Id=m0",
        );
        assert_eq!(a, b);
        assert_ne!(a, key("/", "Kinesis_20131202.ListStreams", b"{}"));
    }
}
