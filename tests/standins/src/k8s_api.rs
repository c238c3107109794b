//! A Kubernetes API server stand-in for tests: serves the real list paths
//! (`/api/v1/pods`, `/apis/apps/v1/namespaces/{ns}/deployments`,
//! `/apis/metrics.k8s.io/v1beta1/pods`, ...) with List JSON as the API reference shows
//! it (`kind: PodList`, `metadata.resourceVersion`, `metadata.continue`, items without
//! `kind`/`apiVersion`), `Status` objects for errors, bearer-token auth, and faults on
//! demand: 403 on a resource, 410 Gone on a continue token, 429 with `Retry-After`,
//! malformed JSON, slowness, the metrics API absent. Leases (`coordination.k8s.io/v1`)
//! are read and written with resourceVersion conflicts ([`crate::k8s_leases`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The bearer token the server accepts (and that must never show up in output).
pub const TOKEN: &str = "k8s-test-token-5f0c1a9e7d3b";

/// Where a kind lives in the API: group/version, plural, namespaced.
pub fn kind_info(kind: &str) -> Option<(&'static str, &'static str, bool)> {
    Some(match kind {
        "Namespace" => ("v1", "namespaces", false),
        "Pod" => ("v1", "pods", true),
        "LimitRange" => ("v1", "limitranges", true),
        "ResourceQuota" => ("v1", "resourcequotas", true),
        "Deployment" => ("apps/v1", "deployments", true),
        "StatefulSet" => ("apps/v1", "statefulsets", true),
        "DaemonSet" => ("apps/v1", "daemonsets", true),
        "ReplicaSet" => ("apps/v1", "replicasets", true),
        "ReplicationController" => ("v1", "replicationcontrollers", true),
        "PodTemplate" => ("v1", "podtemplates", true),
        "Job" => ("batch/v1", "jobs", true),
        "CronJob" => ("batch/v1", "cronjobs", true),
        "PodDisruptionBudget" => ("policy/v1", "poddisruptionbudgets", true),
        "HorizontalPodAutoscaler" => ("autoscaling/v2", "horizontalpodautoscalers", true),
        "PodMetrics" => ("metrics.k8s.io/v1beta1", "pods", true),
        _ => return None,
    })
}

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The method (`GET`, `PUT`, …).
    pub method: String,
    /// The path (`/api/v1/pods`).
    pub path: String,
    /// Query parameters.
    pub query: HashMap<String, String>,
}

/// What the server serves and which faults it injects; tests change it at will.
#[derive(Debug, Default)]
pub struct ApiState {
    /// Objects by `group/version/plural` (e.g. `apps/v1/deployments`), in list order.
    objects: BTreeMap<String, Vec<Value>>,
    /// Resources (`apps/v1/deployments`) answering 403.
    pub forbidden: HashSet<String>,
    /// Resources answering 410 Gone to this many requests that carry a continue token.
    pub expire_continue: HashMap<String, u32>,
    /// Resources answering 429 (`Retry-After: 1`) to this many requests.
    pub throttle: HashMap<String, u32>,
    /// Whether `metrics.k8s.io` is served (else its paths are 404, as without metrics-server).
    pub metrics_served: bool,
    /// Every list answers with truncated JSON.
    pub malformed: bool,
    /// Every answer waits this long first.
    pub delay: Option<Duration>,
    /// Requests received, in order.
    pub requests: Vec<Recorded>,
    /// Leases by `(namespace, name)`, as stored (with `kind`, `apiVersion`).
    pub leases: BTreeMap<(String, String), Value>,
    /// The last resourceVersion given to a Lease.
    pub lease_version: u64,
    /// Lease requests answer 503 (the API server unreachable for the elector).
    pub leases_down: bool,
}

impl ApiState {
    /// Serves `object` (a full object with `kind`, `apiVersion`, `metadata`).
    pub fn add(&mut self, object: Value) {
        let kind = object["kind"].as_str().expect("object without kind");
        let (gv, plural, _) = kind_info(kind).unwrap_or_else(|| panic!("unknown kind {kind}"));
        self.objects
            .entry(format!("{gv}/{plural}"))
            .or_default()
            .push(object);
    }

    /// The objects of `kind` being served.
    pub fn objects_of(&self, kind: &str) -> Vec<Value> {
        let (gv, plural, _) = kind_info(kind).unwrap_or_else(|| panic!("unknown kind {kind}"));
        self.objects
            .get(&format!("{gv}/{plural}"))
            .cloned()
            .unwrap_or_default()
    }

    /// The Lease `namespace/name`, as stored.
    pub fn lease(&self, namespace: &str, name: &str) -> Option<Value> {
        self.leases
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
    }

    /// Requests whose path is `path`.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

/// A running stand-in API server on a loopback port; stops when dropped.
pub struct FakeApiServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    state: Arc<Mutex<ApiState>>,
    _served: crate::serve::Served,
}

impl FakeApiServer {
    /// Starts a server with nothing served yet (metrics API absent).
    pub fn start() -> Self {
        let state = Arc::new(Mutex::new(ApiState::default()));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let served = crate::serve::Served::start(app, 0);
        FakeApiServer {
            url: served.url(),
            state,
            _served: served,
        }
    }

    /// The server's state, to seed objects, set faults and read requests.
    pub fn state(&self) -> MutexGuard<'_, ApiState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes a kubeconfig for this server (token auth) into `dir`; returns its path.
    pub fn write_kubeconfig(&self, dir: &Path) -> PathBuf {
        let path = dir.join("kubeconfig");
        std::fs::write(&path, kubeconfig(&self.url)).unwrap();
        path
    }
}

/// A kubeconfig with one context pointing at `server`, authenticating with [`TOKEN`].
pub fn kubeconfig(server: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {server}\n\
         contexts:\n- name: test\n  context:\n    cluster: test\n    user: tester\n    namespace: default\n\
         current-context: test\nusers:\n- name: tester\n  user:\n    token: {TOKEN}\n"
    )
}

pub(crate) fn status(code: StatusCode, reason: &str, message: &str, details: Value) -> Response {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "details": details, "code": code.as_u16()
    });
    (code, axum::Json(body)).into_response()
}

async fn handle(
    State(state): State<Arc<Mutex<ApiState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let path = uri.path().to_string();
    let query: HashMap<String, String> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), percent_decode(v)))
        .collect();
    let delay = {
        let mut state = state.lock().unwrap();
        state.requests.push(Recorded {
            method: method.to_string(),
            path: path.clone(),
            query: query.clone(),
        });
        state.delay
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {TOKEN}"));
    if !authorized {
        return status(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Unauthorized",
            json!({}),
        );
    }
    if let Some((namespace, name)) = crate::k8s_leases::parse(&path) {
        let mut state = state.lock().unwrap();
        if state.leases_down {
            return status(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "the server is currently unable to handle the request",
                json!({}),
            );
        }
        return crate::k8s_leases::handle(&mut state, &method, &namespace, &name, &body);
    }
    let Some((gv, namespace, plural)) = parse_path(&path) else {
        return (StatusCode::NOT_FOUND, "404 page not found\n").into_response();
    };
    let key = format!("{gv}/{plural}");
    let mut state = state.lock().unwrap();
    if gv.starts_with("metrics.k8s.io") && !state.metrics_served {
        return (StatusCode::NOT_FOUND, "404 page not found\n").into_response();
    }
    if state.malformed {
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[{\"metadata\":{\"name\":",
        )
            .into_response();
    }
    if let Some(left) = state.throttle.get_mut(&key).filter(|n| **n > 0) {
        *left -= 1;
        let mut response = status(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Too many requests, please try again later.",
            json!({"retryAfterSeconds": 1}),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, "1".parse().unwrap());
        return response;
    }
    let (group, _) = gv.split_once('/').unwrap_or(("", gv.as_str()));
    if state.forbidden.contains(&key) {
        let resource = if group.is_empty() {
            plural.clone()
        } else {
            format!("{plural}.{group}")
        };
        let scope = match &namespace {
            Some(ns) => format!("in the namespace \"{ns}\""),
            None => "at the cluster scope".to_string(),
        };
        return status(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!(
                "{resource} is forbidden: User \"system:serviceaccount:aiops:aiops\" cannot list resource \"{plural}\" in API group \"{group}\" {scope}"
            ),
            json!({"group": group, "kind": plural}),
        );
    }
    let continue_token = query.get("continue").cloned();
    if continue_token.is_some()
        && let Some(left) = state.expire_continue.get_mut(&key).filter(|n| **n > 0)
    {
        *left -= 1;
        return status(
            StatusCode::GONE,
            "Expired",
            "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
            json!({}),
        );
    }
    let items: Vec<Value> = state
        .objects
        .get(&key)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|o| {
            namespace.is_none() || o["metadata"]["namespace"].as_str() == namespace.as_deref()
        })
        .cloned()
        .collect();
    let kind = state
        .objects
        .get(&key)
        .and_then(|objects| objects.first())
        .and_then(|o| o["kind"].as_str())
        .map(String::from)
        .unwrap_or_else(|| kind_of(&key));
    drop(state);
    let start: usize = match continue_token.as_deref().map(parse_token) {
        Some(Some(offset)) => offset,
        Some(None) => {
            return status(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
                json!({}),
            );
        }
        None => 0,
    };
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let end = start.saturating_add(limit).min(items.len());
    let page: Vec<Value> = items[start.min(end)..end]
        .iter()
        .map(|o| {
            let mut item = o.clone();
            let fields = item.as_object_mut().unwrap();
            fields.remove("kind");
            fields.remove("apiVersion");
            item
        })
        .collect();
    let mut metadata = json!({"resourceVersion": "48213"});
    if end < items.len() {
        metadata["continue"] = json!(make_token(end));
        metadata["remainingItemCount"] = json!(items.len() - end);
    }
    axum::Json(json!({
        "kind": format!("{kind}List"),
        "apiVersion": gv,
        "metadata": metadata,
        "items": page,
    }))
    .into_response()
}

/// `(group/version, namespace, plural)` of a list path.
fn parse_path(path: &str) -> Option<(String, Option<String>, String)> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (gv, rest) = match segments.as_slice() {
        ["api", "v1", rest @ ..] => ("v1".to_string(), rest),
        ["apis", group, version, rest @ ..] => (format!("{group}/{version}"), rest),
        _ => return None,
    };
    match rest {
        [plural] => Some((gv, None, plural.to_string())),
        ["namespaces", ns, plural] => Some((gv, Some(ns.to_string()), plural.to_string())),
        _ => None,
    }
}

fn kind_of(key: &str) -> String {
    [
        "Namespace",
        "Pod",
        "LimitRange",
        "ResourceQuota",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "Job",
        "CronJob",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "PodMetrics",
    ]
    .into_iter()
    .find(|k| kind_info(k).is_some_and(|(gv, plural, _)| format!("{gv}/{plural}") == key))
    .unwrap_or("Unknown")
    .to_string()
}

/// An opaque-looking continue token carrying the next offset, as the real server's
/// base64 tokens carry the next key.
fn make_token(offset: usize) -> String {
    format!("eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDgyMTN9.{offset}")
}

fn parse_token(token: &str) -> Option<usize> {
    token.rsplit_once('.')?.1.parse().ok()
}

pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&text[i + 1..i + 3], 16) {
                Ok(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Builds objects the way the API server stores them (uid, resourceVersion,
/// creationTimestamp, managedFields), for tests to seed.
pub fn object(kind: &str, namespace: Option<&str>, name: &str, rest: Value) -> Value {
    let (gv, _, _) = kind_info(kind).unwrap_or_else(|| panic!("unknown kind {kind}"));
    let mut metadata = json!({
        "name": name,
        "uid": format!("6b1c0c4e-{:04x}-4a8e-9d5e-{:012x}", name.len(), name.len() * 7919),
        "resourceVersion": "48100",
        "creationTimestamp": "2026-11-20T08:00:00Z",
        "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update",
            "apiVersion": gv, "time": "2026-11-20T08:00:00Z", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {}}}]
    });
    if let Some(ns) = namespace {
        metadata["namespace"] = json!(ns);
    }
    let mut object = json!({"apiVersion": gv, "kind": kind, "metadata": metadata});
    if let Value::Object(extra) = rest {
        for (key, value) in extra {
            if key == "metadata" {
                for (k, v) in value.as_object().cloned().unwrap_or_default() {
                    object["metadata"][k] = v;
                }
            } else {
                object[key] = value;
            }
        }
    }
    object
}
