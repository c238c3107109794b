//! An Azure Resource Manager stand-in for tests: an HTTP server speaking ARM's paths and
//! JSON as the REST reference documents them (list pages `{"value": [...], "nextLink":
//! ...}`, Azure Monitor's metrics response, metric alert rules, `{"error": {...}}` bodies),
//! and an HTTPS Entra ID token endpoint (`POST /{tenant}/oauth2/v2.0/token`, the client
//! credentials grant) so the real azure_identity client-secret credential runs against it.
//!
//! Self-contained (axum, tokio, tokio-rustls, rcgen, serde_json) so both the tests crate
//! and the host's CLI tests include it. The server runs on its own thread and runtime,
//! so tests drive the collector or the `aiops` binary synchronously.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, State};
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

/// One metric series of a resource: ARM unit and `(average, maximum)` per interval.
#[derive(Debug, Clone)]
pub struct Series {
    /// Metric name, e.g. `Percentage CPU`.
    pub name: String,
    /// ARM unit, e.g. `Percent`.
    pub unit: String,
    /// Points, oldest first.
    pub points: Vec<(f64, f64)>,
}

/// What the server serves.
#[derive(Debug, Clone, Default)]
pub struct Estate {
    /// Subscription ids, in order.
    pub subscriptions: Vec<String>,
    /// ARM objects by subscription id, in list order.
    pub resources: BTreeMap<String, Vec<Value>>,
    /// Metric series by lower-case ARM resource id.
    pub metrics: HashMap<String, Vec<Series>>,
    /// Items per list page (ARM pages at 1000; small here to force `nextLink`).
    pub page_size: usize,
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

struct Shared {
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
        let (ca_pem, tls) = tls_config();
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
                        axum::routing::post(token_handler),
                    )
                    .with_state(shared);
                let tls = TlsListener {
                    inner: entra,
                    acceptor: tokio_rustls::TlsAcceptor::from(tls),
                };
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

impl Estate {
    /// The estate of an `aiops.inventory/v1` snapshot of Azure resources (e.g.
    /// `local-dev/inventory/azure.json`): each resource's `raw` served as the ARM object in
    /// its subscription, each metric summary turned into a 20-point series whose mean,
    /// nearest-rank 95th percentile and maximum are exactly the summary's.
    pub fn from_snapshot(path: &Path, page_size: usize) -> Estate {
        let text = std::fs::read_to_string(path).unwrap();
        let snapshot: Value = serde_json::from_str(&text).unwrap();
        let mut estate = Estate {
            page_size,
            ..Default::default()
        };
        for resource in snapshot["resources"].as_array().unwrap() {
            let object: Value = serde_json::from_str(resource["raw"].as_str().unwrap()).unwrap();
            let id = object["id"].as_str().unwrap().to_string();
            let subscription = id.split('/').nth(2).unwrap().to_string();
            if !estate.subscriptions.contains(&subscription) {
                estate.subscriptions.push(subscription.clone());
            }
            estate
                .resources
                .entry(subscription)
                .or_default()
                .push(object);
            let series: Vec<Series> = resource["metrics"]
                .as_array()
                .map(|metrics| {
                    metrics
                        .iter()
                        .map(|m| Series {
                            name: m["name"].as_str().unwrap().to_string(),
                            unit: arm_unit(m["unit"].as_str().unwrap()),
                            points: series_for(
                                m["avg"].as_f64().unwrap(),
                                m["max"].as_f64().unwrap(),
                                m["p95"].as_f64().unwrap(),
                            ),
                        })
                        .collect()
                })
                .unwrap_or_default();
            if !series.is_empty() {
                estate.metrics.insert(id.to_ascii_lowercase(), series);
            }
        }
        estate
    }
}

fn arm_unit(unit: &str) -> String {
    match unit {
        "percent" => "Percent".into(),
        "count" => "Count".into(),
        "bytes" => "Bytes".into(),
        other => other.into(),
    }
}

/// 20 points: two at `p95` (ranks 19 and 20), 18 below whose sum makes the mean `avg`
/// (whole or half numbers, so every sum is exact in floating point); the maxima equal
/// the averages except one, which is `max`.
pub fn series_for(avg: f64, max: f64, p95: f64) -> Vec<(f64, f64)> {
    let rest = 20.0 * avg - 2.0 * p95;
    let base = (rest / 18.0).floor();
    let extra = (rest - 18.0 * base) as usize;
    assert!(
        base + 1.0 <= p95,
        "cannot build a series for avg {avg} p95 {p95}"
    );
    assert!(
        rest.fract() == 0.0,
        "20*avg - 2*p95 must be whole: avg {avg} p95 {p95}"
    );
    let mut averages: Vec<f64> = (0..18)
        .map(|i| if i < extra { base + 1.0 } else { base })
        .collect();
    averages.push(p95);
    averages.push(p95);
    // Not sorted in time: the collector must sort.
    averages.rotate_left(7);
    let top = averages.iter().position(|&a| a == p95).unwrap();
    averages
        .iter()
        .enumerate()
        .map(|(i, &a)| (a, if i == top { max } else { a }))
        .collect()
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
        return managed_identity_token(&shared, &headers, &query);
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

/// The App Service managed identity endpoint (`GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=...`
/// with `X-IDENTITY-HEADER`).
fn managed_identity_token(
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
async fn token_handler(
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

/// A CA and a certificate for 127.0.0.1 and localhost signed by it.
fn tls_config() -> (String, Arc<tokio_rustls::rustls::ServerConfig>) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "aiops test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![leaf.der().clone()],
        tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
    )
    .unwrap();
    (ca.pem(), Arc::new(config))
}

/// A TCP listener that hands axum TLS streams.
struct TlsListener {
    inner: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.inner.accept().await else {
                continue;
            };
            if let Ok(Ok(tls)) =
                tokio::time::timeout(Duration::from_secs(5), self.acceptor.accept(tcp)).await
            {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}
