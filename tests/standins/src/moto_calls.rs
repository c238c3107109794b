//! A proxy in front of moto that counts the AWS calls passing through by operation
//! (`kinesis:DescribeStreamSummary`, `monitoring:GetMetricData`, …: the SigV4 scope's
//! service and the JSON protocols' `X-Amz-Target` or the query protocol's `Action`), so
//! tests and benches assert how many calls a collection makes, at the HTTP level.
//!
//! Options: [`CallCounter::latency`] delays every answer, [`CallCounter::refuse`] denies
//! one operation, [`CallCounter::hold`] keeps the requests of one operation waiting until a
//! request of another has arrived (so a test shows what does not wait for what, by
//! order, not by time), and [`CallCounter::like_aws`] fills two gaps of moto 5.2.5
//! where AWS documents more ([`crate::moto_gaps`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::Notify;

use crate::moto_gaps;

/// Requests of `held` wait until a request of `until` has arrived, or `at_most`.
#[derive(Debug, Clone)]
pub struct Hold {
    /// The operation kept waiting, e.g. `kinesis:DescribeStreamSummary`.
    pub held: String,
    /// The operation that releases it, e.g. `monitoring:GetMetricData`.
    pub until: String,
    /// Longest wait; a hold that ends so is recorded ([`CallCounter::hold_timed_out`]).
    pub at_most: Duration,
}

pub(crate) struct Shared {
    pub(crate) upstream: String,
    pub(crate) client: Client<HttpConnector, Body>,
    log: Mutex<Vec<String>>,
    hold: Mutex<Option<Hold>>,
    released: AtomicBool,
    release: Notify,
    timed_out: AtomicBool,
    like_aws: AtomicBool,
    refused: Mutex<Option<String>>,
    latency: Mutex<Duration>,
}

/// A running counting proxy; stops on drop.
pub struct CallCounter {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _runtime: tokio::runtime::Runtime,
}

impl CallCounter {
    /// Starts a proxy to `upstream` (moto's URL) that forwards everything.
    pub fn start(upstream: &str) -> CallCounter {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_string(),
            client: Client::builder(TokioExecutor::new()).build_http(),
            log: Mutex::new(Vec::new()),
            hold: Mutex::new(None),
            released: AtomicBool::new(false),
            release: Notify::new(),
            timed_out: AtomicBool::new(false),
            like_aws: AtomicBool::new(false),
            refused: Mutex::new(None),
            latency: Mutex::new(Duration::ZERO),
        });
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().fallback(handle).with_state(shared.clone());
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        CallCounter {
            addr,
            shared,
            _runtime: runtime,
        }
    }

    /// The proxy's URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// From now on, hold requests as `hold` says.
    pub fn hold(&self, hold: Hold) {
        self.shared.released.store(false, Ordering::SeqCst);
        self.shared.timed_out.store(false, Ordering::SeqCst);
        *self.shared.hold.lock().unwrap() = Some(hold);
    }

    /// True when a hold ended by its time limit instead of the releasing request.
    pub fn hold_timed_out(&self) -> bool {
        self.shared.timed_out.load(Ordering::SeqCst)
    }

    /// From now on, answer as AWS documents where moto 5.2.5 does not: `ConsumerCount`
    /// in `DescribeStreamSummary`, Kinesis streams in the tagging API's `GetResources`.
    pub fn like_aws(&self) {
        self.shared.like_aws.store(true, Ordering::SeqCst);
    }

    /// From now on, answer requests of `op` with AWS's `AccessDeniedException` (a role
    /// without that permission).
    pub fn refuse(&self, op: &str) {
        *self.shared.refused.lock().unwrap() = Some(op.to_string());
    }

    /// From now on, answer each request `latency` later (a region's round trip).
    pub fn latency(&self, latency: Duration) {
        *self.shared.latency.lock().unwrap() = latency;
    }

    /// Calls so far by operation.
    pub fn calls(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for op in self.shared.log.lock().unwrap().iter() {
            *counts.entry(op.clone()).or_insert(0) += 1;
        }
        counts
    }

    /// Calls so far in arrival order.
    pub fn log(&self) -> Vec<String> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Forgets the calls counted so far.
    pub fn reset(&self) {
        self.shared.log.lock().unwrap().clear();
    }
}

/// `SERVICE:Operation` of a request, from its SigV4 scope and its target or action.
pub fn operation(headers: &HeaderMap, body: &[u8]) -> String {
    let service = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|auth| auth.split("Credential=").nth(1))
        .and_then(|scope| scope.split('/').nth(3))
        .unwrap_or("unsigned")
        .to_string();
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.rsplit('.').next())
        .map(str::to_string);
    let action = || {
        String::from_utf8_lossy(body)
            .split('&')
            .find_map(|pair| pair.strip_prefix("Action=").map(str::to_string))
    };
    let op = target.or_else(action).unwrap_or_else(|| "unknown".into());
    format!("{service}:{op}")
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return status(StatusCode::BAD_REQUEST, "unreadable body");
    };
    let op = operation(&parts.headers, &body);
    shared.log.lock().unwrap().push(op.clone());
    let latency = *shared.latency.lock().unwrap();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if shared.refused.lock().unwrap().as_deref() == Some(op.as_str()) {
        return access_denied(&op);
    }
    let hold = shared.hold.lock().unwrap().clone();
    if let Some(hold) = hold {
        if op == hold.until {
            shared.released.store(true, Ordering::SeqCst);
            shared.release.notify_waiters();
        } else if op == hold.held {
            wait_for_release(&shared, hold.at_most).await;
        }
    }
    if shared.like_aws.load(Ordering::SeqCst) {
        if let Some(response) = moto_gaps::answer(&shared, &op, &parts.headers, &body).await {
            return response;
        }
        let headers = parts.headers.clone();
        let response = forward(&shared, parts, body).await;
        return moto_gaps::amend(&shared, &op, &headers, response).await;
    }
    forward(&shared, parts, body).await
}

async fn wait_for_release(shared: &Shared, at_most: Duration) {
    let notified = shared.release.notified();
    if shared.released.load(Ordering::SeqCst) {
        return;
    }
    if tokio::time::timeout(at_most, notified).await.is_err() {
        shared.timed_out.store(true, Ordering::SeqCst);
    }
}

async fn forward(shared: &Shared, mut parts: axum::http::request::Parts, body: Bytes) -> Response {
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    parts.uri = format!("{}{path}", shared.upstream).parse().unwrap();
    match shared
        .client
        .request(axum::http::Request::from_parts(parts, Body::from(body)))
        .await
    {
        Ok(response) => response.map(Body::new),
        Err(err) => status(StatusCode::BAD_GATEWAY, &format!("proxy: {err}")),
    }
}

/// The JSON protocols' `AccessDeniedException` (HTTP 400).
fn access_denied(op: &str) -> Response {
    let action = op.replace("tagging:", "tag:");
    let body = format!(
        r#"{{"__type":"AccessDeniedException","message":"User is not authorized to perform: {action}"}}"#
    );
    Response::builder()
        .status(StatusCode::BAD_REQUEST)
        .header(header::CONTENT_TYPE, "application/x-amz-json-1.1")
        .body(Body::from(body))
        .unwrap()
}

pub(crate) fn status(code: StatusCode, text: &str) -> Response {
    Response::builder()
        .status(code)
        .body(Body::from(text.to_string()))
        .unwrap()
}
