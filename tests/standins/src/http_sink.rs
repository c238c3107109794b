//! A loopback HTTP server that receives webhook POSTs (Teams Workflows, webhooks,
//! Grafana's annotations API) and records them — path, headers, body — answering with
//! programmed responses first (a 429 with `Retry-After`, a 503) and then `ok`. It can
//! be stopped and started again on the same port, as a receiver that was down.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// One request received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The path.
    pub path: String,
    /// Headers, lower-case names.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
    /// When it arrived (Unix ms), before it was answered.
    pub at_millis: i64,
}

impl Received {
    /// Header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// A programmed answer: status, extra headers, body.
pub type Answer = (u16, Vec<(String, String)>, String);

/// What the sink answers and what it received.
#[derive(Debug, Default)]
pub struct SinkState {
    /// Answers to give first, in order: (status, headers, body).
    pub answers: VecDeque<Answer>,
    /// Requests answered with success.
    pub delivered: Vec<Received>,
    /// Every request, answered or refused.
    pub all: Vec<Received>,
}

/// A running sink; stops when dropped.
pub struct HttpSink {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The port (to start again on).
    pub port: u16,
    state: Arc<Mutex<SinkState>>,
    served: crate::serve::Served,
}

impl HttpSink {
    /// Starts on a free port.
    pub fn start() -> HttpSink {
        HttpSink::start_on(0, Arc::default())
    }

    /// Starts on `port` (0: any) with `state` (kept across a restart).
    pub fn start_on(port: u16, state: Arc<Mutex<SinkState>>) -> HttpSink {
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let served = crate::serve::Served::start(app, port);
        HttpSink {
            url: served.url(),
            port: served.port,
            state,
            served,
        }
    }

    /// Stops the server (connections are refused), keeping what it received.
    pub fn stop(mut self) -> (u16, Arc<Mutex<SinkState>>) {
        self.served.stop();
        // Wait until the port is free again.
        for _ in 0..100 {
            if std::net::TcpListener::bind(("127.0.0.1", self.port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        (self.port, self.state.clone())
    }

    /// What it received and will answer.
    pub fn state(&self) -> MutexGuard<'_, SinkState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

async fn handle(
    State(state): State<Arc<Mutex<SinkState>>>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let received = Received {
        path: uri.path().to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: body.to_vec(),
        at_millis: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64),
    };
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    state.all.push(received.clone());
    if let Some((status, extra, text)) = state.answers.pop_front() {
        let mut response = (StatusCode::from_u16(status).unwrap(), text).into_response();
        for (k, v) in extra {
            response.headers_mut().insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        if status < 300 {
            state.delivered.push(received);
        }
        return response;
    }
    state.delivered.push(received);
    (StatusCode::OK, "{\"ok\":true}").into_response()
}
