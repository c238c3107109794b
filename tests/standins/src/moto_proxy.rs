//! A fault-injecting HTTP proxy in front of moto: forwards every request, or answers
//! with AWS throttling errors a number of times first, or waits past the client's
//! timeout, or answers garbage, or fails the requests signed for one region — so the
//! collector's retry, deadline and isolation meet real failure shapes on the wire.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// What the proxy does to requests.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Forward untouched.
    None,
    /// Answer the first N requests with the protocol's throttling error.
    Throttle(usize),
    /// Wait this long, then forward.
    Delay(Duration),
    /// Answer 200 with a body that is neither XML nor JSON.
    Garbage,
    /// Answer 500 to requests signed for this region, forward the rest.
    FailRegion(String),
}

struct Shared {
    upstream: String,
    fault: Mutex<Fault>,
    throttled: AtomicUsize,
    forwarded: AtomicUsize,
    client: Client<HttpConnector, Body>,
}

/// A running proxy; stops on drop.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _runtime: tokio::runtime::Runtime,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (e.g. moto's URL) with `fault`.
    pub fn start(upstream: &str, fault: Fault) -> FaultProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_string(),
            fault: Mutex::new(fault),
            throttled: AtomicUsize::new(0),
            forwarded: AtomicUsize::new(0),
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
        FaultProxy {
            addr,
            shared,
            _runtime: runtime,
        }
    }

    /// The proxy's URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests answered with a throttling error so far.
    pub fn throttled(&self) -> usize {
        self.shared.throttled.load(Ordering::SeqCst)
    }

    /// Requests forwarded to the upstream so far.
    pub fn forwarded(&self) -> usize {
        self.shared.forwarded.load(Ordering::SeqCst)
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let fault = shared.fault.lock().unwrap().clone();
    let json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    match fault {
        Fault::Throttle(n) => {
            let before = shared
                .throttled
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                    (t < n).then_some(t + 1)
                });
            if before.is_ok() {
                return throttling(json);
            }
        }
        Fault::Delay(delay) => tokio::time::sleep(delay).await,
        Fault::Garbage => {
            return Response::builder()
                .status(StatusCode::OK)
                .header(
                    header::CONTENT_TYPE,
                    if json {
                        "application/x-amz-json-1.1"
                    } else {
                        "text/xml"
                    },
                )
                .body(Body::from(
                    "<<<{{ this is not what the API reference documents",
                ))
                .unwrap();
        }
        Fault::FailRegion(region) => {
            if signed_region(&request).as_deref() == Some(region.as_str()) {
                return Response::builder()
                    .status(StatusCode::INTERNAL_SERVER_ERROR)
                    .body(Body::from("region unavailable"))
                    .unwrap();
            }
        }
        Fault::None => {}
    }
    forward(&shared, request).await
}

/// The region of the SigV4 credential scope (`Credential=KEY/DATE/REGION/SERVICE/...`).
fn signed_region(request: &Request) -> Option<String> {
    let auth = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let scope = auth.split("Credential=").nth(1)?;
    scope.split('/').nth(2).map(str::to_string)
}

fn throttling(json: bool) -> Response {
    let (content_type, body) = if json {
        (
            "application/x-amz-json-1.1",
            r#"{"__type":"LimitExceededException","message":"Rate exceeded"}"#.to_string(),
        )
    } else {
        (
            "text/xml",
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
             <Message>Rate exceeded</Message></Error>\
             <RequestId>7f1c0e52-throttle</RequestId></ErrorResponse>"
                .to_string(),
        )
    };
    Response::builder()
        .status(StatusCode::BAD_REQUEST)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap()
}

async fn forward(shared: &Shared, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    parts.uri = format!("{}{path}", shared.upstream).parse().unwrap();
    shared.forwarded.fetch_add(1, Ordering::SeqCst);
    match shared
        .client
        .request(axum::http::Request::from_parts(parts, body))
        .await
    {
        Ok(response) => response.map(Body::new),
        Err(err) => Response::builder()
            .status(StatusCode::BAD_GATEWAY)
            .body(Body::from(format!("proxy: {err}")))
            .unwrap(),
    }
}
