//! An Azure Resource Manager stand-in for tests: an HTTP server speaking ARM's paths and
//! JSON as the REST reference documents them (list pages `{"value": [...], "nextLink":
//! ...}`, Azure Monitor's metrics response, metric alert rules, `{"error": {...}}` bodies),
//! and the token endpoints the real azure_identity credentials talk to: Entra ID's
//! (`POST /{tenant}/oauth2/v2.0/token` over HTTPS, client secret or federated assertion;
//! [`entra`]) and App Service's managed identity endpoint (`GET /msi/token`). What it
//! serves is an [`Estate`] ([`estate`]); faults are switched on through [`Faults`].
//!
//! Self-contained (axum, tokio, tokio-rustls, rcgen, serde_json) so both the tests crate
//! and the host's CLI tests use it. The server runs on its own thread and runtime,
//! so tests drive the collector or the `aiops` binary synchronously.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod entra;
mod estate;
mod tls;

pub use estate::{Estate, Series, series_for};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The access token the token endpoint issues and ARM accepts.
pub const ACCESS_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.arm-test-token.sig";

/// The Kubernetes service-account token the token endpoint accepts as a workload
/// identity's client assertion.
pub const FEDERATED_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.federated-service-account-token.sig";

/// The `IDENTITY_HEADER` of the App Service managed identity endpoint (`/msi/token`).
pub const IDENTITY_HEADER: &str = "9f1c3a52-aiops-identity-header";

/// Tenant, client and secret the token endpoint accepts.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Tenant id.
    pub tenant: String,
    /// Application (client) id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
}

impl Default for Identity {
    fn default() -> Self {
        Identity {
            tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
            client_id: "0e6ab6c1-8e8b-4d3c-b5c4-9b6c4f3c2a10".into(),
            client_secret: "Xq8~s3cr3t.Value-never-in-logs".into(),
        }
    }
}

/// Faults to inject; counters to assert on.
#[derive(Debug, Default)]
pub struct Faults {
    /// Subscriptions that answer 403 `AuthorizationFailed`.
    pub forbidden: Mutex<Vec<String>>,
    /// 429s still to answer (with `Retry-After: 1`) before serving normally.
    pub throttle_next: AtomicUsize,
    /// Answer every ARM call with 429 (throttled beyond any retry).
    pub throttle_always: Mutex<bool>,
    /// Answer list calls whose path contains this with a body that is not JSON.
    pub malformed: Mutex<Option<String>>,
    /// Delay every ARM answer by this long.
    pub delay: Mutex<Duration>,
    /// ARM requests answered 429.
    pub throttled: AtomicUsize,
    /// ARM requests served, by path.
    pub requests: Mutex<Vec<String>>,
    /// Token requests answered.
    pub token_requests: AtomicUsize,
}

pub(crate) struct Shared {
    estate: Estate,
    identity: Identity,
    faults: Arc<Faults>,
    base: String,
}

/// A running ARM + Entra stand-in.
pub struct ArmServer {
    /// ARM base URL, e.g. `http://127.0.0.1:41234`.
    pub endpoint: String,
    /// App Service managed identity endpoint (`IDENTITY_ENDPOINT`), on the ARM port.
    pub identity_endpoint: String,
    /// Entra authority host, e.g. `https://127.0.0.1:41235` (HTTPS, as azure_identity requires).
    pub authority: String,
    /// PEM of the CA that signed the token endpoint's certificate.
    pub ca_pem: String,
    /// The identity the token endpoint accepts.
    pub identity: Identity,
    /// Faults and counters.
    pub faults: Arc<Faults>,
    _runtime: std::thread::JoinHandle<()>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl ArmServer {
    /// Starts serving `estate` on loopback ports.
    pub fn start(estate: Estate) -> ArmServer {
        let identity = Identity::default();
        let faults = Arc::new(Faults::default());
        let (ca_pem, tls_config) = tls::tls_config();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread_faults = faults.clone();
        let thread_identity = identity.clone();
        let handle = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let arm = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let entra = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let arm_addr = arm.local_addr().unwrap();
                let entra_addr = entra.local_addr().unwrap();
                let shared = Arc::new(Shared {
                    estate,
                    identity: thread_identity,
                    faults: thread_faults,
                    base: format!("http://{arm_addr}"),
                });
                let arm_app = Router::new()
                    .fallback(arm_handler)
                    .with_state(shared.clone());
                let entra_app = Router::new()
                    .route(
                        "/{tenant}/oauth2/v2.0/token",
                        axum::routing::post(entra::token_handler),
                    )
                    .with_state(shared);
                let tls = tls::TlsListener::new(entra, tls_config);
                tokio::spawn(async move { axum::serve(arm, arm_app).await.ok() });
                tokio::spawn(async move { axum::serve(tls, entra_app).await.ok() });
                ready_tx.send((arm_addr, entra_addr)).unwrap();
                stop_rx.await.ok();
            });
        });
        let (arm_addr, entra_addr) = ready_rx.recv().unwrap();
        ArmServer {
            endpoint: format!("http://{arm_addr}"),
            identity_endpoint: format!("http://{arm_addr}/msi/token"),
            authority: format!("https://{entra_addr}"),
            ca_pem,
            identity,
            faults,
            _runtime: handle,
            _stop: stop_tx,
        }
    }

    /// Writes the CA certificate to `dir/ca.pem` and returns the path.
    pub fn write_ca(&self, dir: &Path) -> PathBuf {
        let path = dir.join("ca.pem");
        std::fs::write(&path, &self.ca_pem).unwrap();
        path
    }

    /// The paths of the ARM requests served so far.
    pub fn requests(&self) -> Vec<String> {
        self.faults.requests.lock().unwrap().clone()
    }
}

fn arm_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

async fn arm_handler(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let faults = &shared.faults;
    let path = uri.path().to_string();
    if path == "/msi/token" {
        return entra::managed_identity_token(&shared, &headers, &query);
    }
    faults.requests.lock().unwrap().push(path.clone());
    let delay = *faults.delay.lock().unwrap();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {ACCESS_TOKEN}"));
    if !authorized {
        return arm_error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        );
    }
    if method != Method::GET {
        return arm_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "GET only",
        );
    }
    let throttle = *faults.throttle_always.lock().unwrap()
        || faults
            .throttle_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
    if throttle {
        faults.throttled.fetch_add(1, Ordering::SeqCst);
        let mut response = arm_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "The request is being throttled.",
        );
        response
            .headers_mut()
            .insert("retry-after", "1".parse().unwrap());
        return response;
    }
    let Some(api_version) = query.get("api-version") else {
        return arm_error(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        );
    };
    let malformed = faults
        .malformed
        .lock()
        .unwrap()
        .as_deref()
        .is_some_and(|bad| path.contains(bad));
    if malformed {
        return (
            StatusCode::OK,
            [("content-type", "application/json")],
            "{\"value\": [{\"id\": \"/subscriptions/",
        )
            .into_response();
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
    let estate = &shared.estate;
    // GET /subscriptions
    if lower == ["subscriptions"] {
        let items: Vec<Value> = estate
            .subscriptions
            .iter()
            .map(|id| {
                json!({
                    "id": format!("/subscriptions/{id}"),
                    "subscriptionId": id,
                    "tenantId": shared.identity.tenant,
                    "displayName": format!("sub {id}"),
                    "state": "Enabled",
                    "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"},
                    "authorizationSource": "RoleBased"
                })
            })
            .collect();
        return page(&shared, &path, api_version, &query, items);
    }
    if lower.len() < 2 || lower[0] != "subscriptions" {
        return arm_error(StatusCode::NOT_FOUND, "NotFound", "no such path");
    }
    let subscription = segments[1];
    if faults
        .forbidden
        .lock()
        .unwrap()
        .iter()
        .any(|s| s.eq_ignore_ascii_case(subscription))
    {
        return arm_error(
            StatusCode::FORBIDDEN,
            "AuthorizationFailed",
            &format!(
                "The client '{}' does not have authorization to perform action over scope '/subscriptions/{subscription}'.",
                shared.identity.client_id
            ),
        );
    }
    let Some(objects) = estate.resources.get(subscription) else {
        return arm_error(
            StatusCode::NOT_FOUND,
            "SubscriptionNotFound",
            &format!("The subscription '{subscription}' could not be found."),
        );
    };
    // GET {resource id}/providers/Microsoft.Insights/metrics
    if lower.ends_with(&[
        "providers".into(),
        "microsoft.insights".into(),
        "metrics".into(),
    ]) {
        let resource_id = format!("/{}", segments[..segments.len() - 3].join("/"));
        return metrics(&shared, &resource_id, &query);
    }
    // GET /subscriptions/{s}/providers/{namespace}/{type}
    if lower.len() == 5 && lower[2] == "providers" {
        let arm_type = format!("{}/{}", lower[3], lower[4]);
        let items = objects
            .iter()
            .filter(|o| {
                o["type"]
                    .as_str()
                    .is_some_and(|t| t.eq_ignore_ascii_case(&arm_type))
            })
            .cloned()
            .collect();
        return page(&shared, &path, api_version, &query, items);
    }
    // GET {server id}/databases
    if lower.last().is_some_and(|l| l == "databases") {
        let parent = format!("/{}/", segments[..segments.len() - 1].join("/")).to_ascii_lowercase();
        let items = objects
            .iter()
            .filter(|o| {
                o["type"]
                    .as_str()
                    .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Sql/servers/databases"))
                    && o["id"]
                        .as_str()
                        .is_some_and(|id| id.to_ascii_lowercase().starts_with(&parent))
            })
            .cloned()
            .collect();
        return page(&shared, &path, api_version, &query, items);
    }
    arm_error(StatusCode::NOT_FOUND, "NotFound", "no such path")
}

/// One page of `items` at `$skiptoken`, with a `nextLink` while more remain.
fn page(
    shared: &Shared,
    path: &str,
    api_version: &str,
    query: &HashMap<String, String>,
    items: Vec<Value>,
) -> Response {
    let size = shared.estate.page_size.max(1);
    let start: usize = query
        .get("$skiptoken")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let end = (start + size).min(items.len());
    let mut body = json!({"value": items.get(start..end).unwrap_or_default()});
    if end < items.len() {
        body["nextLink"] = json!(format!(
            "{}{path}?api-version={api_version}&%24skiptoken={end}",
            shared.base
        ));
    }
    axum::Json(body).into_response()
}

/// Azure Monitor's metrics response for the requested names.
fn metrics(shared: &Shared, resource_id: &str, query: &HashMap<String, String>) -> Response {
    let (Some(names), Some(timespan), Some(interval), Some(aggregation)) = (
        query.get("metricnames"),
        query.get("timespan"),
        query.get("interval"),
        query.get("aggregation"),
    ) else {
        return arm_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "metricnames, timespan, interval and aggregation are required here",
        );
    };
    if !aggregation
        .split(',')
        .any(|a| a.eq_ignore_ascii_case("average"))
        || !aggregation
            .split(',')
            .any(|a| a.eq_ignore_ascii_case("maximum"))
    {
        return arm_error(StatusCode::BAD_REQUEST, "BadRequest", "aggregation");
    }
    let Some((start, _end)) = timespan.split_once('/') else {
        return arm_error(StatusCode::BAD_REQUEST, "BadRequest", "timespan start/end");
    };
    let known = shared
        .estate
        .metrics
        .get(&resource_id.to_ascii_lowercase())
        .cloned()
        .unwrap_or_default();
    let value: Vec<Value> = names
        .split(',')
        .map(|name| {
            let series = known.iter().find(|s| s.name == name);
            let data: Vec<Value> = series
                .map(|s| {
                    s.points
                        .iter()
                        .enumerate()
                        .map(|(i, (avg, max))| {
                            json!({"timeStamp": format!("{start}+{i}h"), "average": avg, "maximum": max})
                        })
                        .collect()
                })
                .unwrap_or_default();
            let timeseries = if data.is_empty() {
                json!([])
            } else {
                json!([{"metadatavalues": [], "data": data}])
            };
            json!({
                "id": format!("{resource_id}/providers/Microsoft.Insights/metrics/{name}"),
                "type": "Microsoft.Insights/metrics",
                "name": {"value": name, "localizedValue": name},
                "displayDescription": "",
                "unit": series.map(|s| s.unit.as_str()).unwrap_or("Count"),
                "timeseries": timeseries,
                "errorCode": "Success"
            })
        })
        .collect();
    axum::Json(json!({
        "cost": 0,
        "timespan": timespan,
        "interval": interval,
        "value": value,
        "namespace": "",
        "resourceregion": "westeurope"
    }))
    .into_response()
}
